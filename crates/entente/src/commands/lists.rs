//! `entente lists`: import a dated version of a sanctions list into the store, show the stored
//! versions and entries, and diff two versions. The work is done by
//! `entente_server::screening` (shared with the HTTP API); this parses arguments and prints.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use entente_screening::{ListId, ListVersion};
use entente_server::screening::{self as service, ImportReport};
use entente_store::{ListChangeKind, ListVersionInfo, SharedStore};

use super::Context;

/// The list formats `entente lists import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// UN Security Council Consolidated List XML (one file); list id `un`.
    Un,
    /// OFAC SDN CSV set: `sdn.csv`, optionally `alt.csv` and `add.csv`; list id `ofac-sdn`.
    Ofac,
    /// A national designation CSV (format: `cargo doc -p entente-screening`, module
    /// `import::national`); list id from `--id`.
    National,
}

/// `entente lists` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ListsCommand {
    /// Import a dated list version; prints what was added, amended and delisted since the
    /// previous version and the stored subjects whose hits changed.
    Import {
        /// Which format the files are in.
        #[arg(long = "list", value_enum)]
        format: ListFormat,
        /// The version date (YYYY-MM-DD) when the source carries none (OFAC, national CSV;
        /// default: today). The UN list states its own `dateGenerated`.
        #[arg(long)]
        date: Option<String>,
        /// List id of a national list (default `national`), e.g. `national-fr`.
        #[arg(long)]
        id: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The files: one UN XML; sdn.csv [alt.csv] [add.csv] (recognised by name); one
        /// national CSV.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show the stored versions (of one list), or the entries of one version.
    #[command(disable_version_flag = true)]
    Show {
        /// Only this list (`un`, `ofac-sdn`, `national-fr` ...).
        #[arg(long)]
        list: Option<String>,
        /// Show the entries of this version: its number (1, 2 ...) or date; `latest` for the
        /// newest. Needs `--list`.
        #[arg(long)]
        version: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What was added, amended and delisted between two versions of a list (by default the
    /// newest and the one before).
    Diff {
        /// The list.
        #[arg(long, default_value = "un")]
        list: String,
        /// The older version (number or date).
        #[arg(long)]
        from: Option<String>,
        /// The newer version (number or date; default the newest).
        #[arg(long)]
        to: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) async fn run(ctx: &super::Context, cmd: ListsCommand) -> anyhow::Result<ExitCode> {
    let done = match cmd {
        ListsCommand::Import {
            format,
            date,
            id,
            json,
            files,
        } => import(ctx, format, date, id, json, &files).await,
        ListsCommand::Show {
            list,
            version,
            json,
        } => show(ctx, list.as_deref(), version.as_deref(), json).await,
        ListsCommand::Diff {
            list,
            from,
            to,
            json,
        } => diff(ctx, &list, from.as_deref(), to.as_deref(), json).await,
    };
    super::screen::quiet_broken_pipe(done)
}

fn today() -> String {
    let d = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn check_date(d: &str) -> anyhow::Result<()> {
    let ok = d.len() == 10
        && d.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    anyhow::ensure!(ok, "--date must be YYYY-MM-DD, not {d:?}");
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn parse_files(
    format: ListFormat,
    date: Option<&str>,
    id: Option<&str>,
    files: &[PathBuf],
) -> anyhow::Result<ListVersion> {
    if let Some(d) = date {
        check_date(d)?;
    }
    let date = date.map(str::to_owned).unwrap_or_else(today);
    match format {
        ListFormat::Un => {
            anyhow::ensure!(files.len() == 1, "the UN list is one XML file");
            let f = std::fs::File::open(&files[0])
                .with_context(|| format!("cannot read {}", files[0].display()))?;
            entente_screening::import_un_xml(std::io::BufReader::new(f), Some(&date))
                .with_context(|| format!("{} is not a UN consolidated list", files[0].display()))
        }
        ListFormat::Ofac => {
            let (mut sdn, mut alt, mut add) = (None, None, None);
            for f in files {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().to_lowercase())
                    .unwrap_or_default();
                let slot = if name.contains("alt") {
                    &mut alt
                } else if name.contains("add") {
                    &mut add
                } else if name.contains("sdn") {
                    &mut sdn
                } else {
                    anyhow::bail!(
                        "{}: an OFAC file is named sdn.csv, alt.csv or add.csv",
                        f.display()
                    );
                };
                anyhow::ensure!(slot.is_none(), "{}: given twice", f.display());
                *slot = Some(read(f)?);
            }
            let sdn = sdn.context("the OFAC set needs its sdn.csv")?;
            entente_screening::import_ofac_sdn(&sdn, alt.as_deref(), add.as_deref(), &date)
                .context("the OFAC SDN files were not accepted")
        }
        ListFormat::National => {
            anyhow::ensure!(files.len() == 1, "a national list is one CSV file");
            let id = id.unwrap_or("national");
            anyhow::ensure!(
                !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "--id must be lowercase letters, digits and '-', like national-fr"
            );
            entente_screening::import_national_csv(&read(&files[0])?, ListId::from(id), &date)
                .with_context(|| format!("{} was not accepted", files[0].display()))
        }
    }
}

async fn import(
    ctx: &Context,
    format: ListFormat,
    date: Option<String>,
    id: Option<String>,
    json: bool,
    files: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let started = Instant::now();
    let version = parse_files(format, date.as_deref(), id.as_deref(), files)?;
    let store = ctx.open_store().await?;
    let source = files
        .iter()
        .map(|f| {
            f.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(", ");
    let report = service::import_version(&store, version, &source)
        .await
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))
        .context("import refused; nothing was stored")?;
    let elapsed = started.elapsed();
    let r = &report.version;
    let mut rec = entente_server::audit::record(
        entente_server::audit::CLI_ACTOR,
        entente_server::audit::NODE_ORGANISATION,
        "screening.list-import",
        &format!("screening:{}", r.list),
        entente_server::audit::Outcome::Allow,
        "local administration",
        &format!(
            "version={} number={} entries={} added={} amended={} delisted={} rescreened={}",
            r.version, r.number, r.entries, r.added, r.amended, r.delisted, report.rescreened
        ),
    );
    rec.purpose = None;
    entente_server::audit::Recorder::new(store.clone())
        .record(rec)
        .await
        .context("cannot record the import in the audit log")?;
    if json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        print_import(&report, elapsed.as_secs_f64())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(e: &entente_server::error::ApiError) -> String {
    e.message().description.unwrap_or_else(|| e.to_string())
}

fn print_import(report: &ImportReport, seconds: f64) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    let r = &report.version;
    writeln!(
        out,
        "imported {} version {} as number {}: {} entries in {:.2} s",
        r.list, r.version, r.number, r.entries, seconds
    )?;
    match &report.previous {
        Some(p) => writeln!(
            out,
            "since version {} (number {}): {} added, {} amended, {} delisted",
            p.version, p.number, r.added, r.amended, r.delisted
        )?,
        None => writeln!(
            out,
            "first version of {}: {} added, 0 amended, 0 delisted",
            r.list, r.added
        )?,
    }
    writeln!(out, "re-screened {} stored subjects", report.rescreened)?;
    for c in &report.changes {
        for h in &c.new {
            writeln!(
                out,
                "new hit: subject {} ({}) matches {} {} ({:.2})",
                c.subject.key, c.subject.name, h.list, h.entry_id, h.score
            )?;
        }
        for h in &c.vanished {
            writeln!(
                out,
                "vanished hit: subject {} ({}) no longer matches {} {}",
                c.subject.key, c.subject.name, h.list, h.entry_id
            )?;
        }
    }
    Ok(())
}

/// Finds a version of `list` by number, date or `latest`.
async fn find_version(
    store: &SharedStore,
    list: &str,
    which: Option<&str>,
) -> anyhow::Result<ListVersionInfo> {
    let list = service::list_id(list);
    let versions = store
        .list_versions(Some(list))
        .await
        .context("cannot read the list versions")?;
    anyhow::ensure!(
        !versions.is_empty(),
        "no version of list {list:?} is stored (see `entente lists show`)"
    );
    let found = match which {
        None | Some("latest") => versions.last().cloned(),
        Some(w) => match w.parse::<u64>() {
            Ok(n) => versions.iter().find(|v| v.number == n).cloned(),
            Err(_) => versions.iter().find(|v| v.version == w).cloned(),
        },
    };
    found.with_context(|| {
        format!(
            "list {list:?} has no version {:?} (stored: {})",
            which.unwrap_or("latest"),
            versions
                .iter()
                .map(|v| format!("{} = {}", v.number, v.version))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

async fn show(
    ctx: &Context,
    list: Option<&str>,
    version: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let store = ctx.open_store().await?;
    if let Some(which) = version {
        let list = list.context("--version needs --list")?;
        let info = find_version(&store, list, Some(which)).await?;
        let entries = store.list_entries(&info.list, info.number).await?;
        if json {
            let entries: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| serde_json::from_str(&e.body))
                .collect::<Result<_, _>>()
                .context("a stored entry is unreadable")?;
            writeln!(
                out,
                "{}",
                serde_json::json!({ "version": info, "entries": entries })
            )?;
        } else {
            writeln!(
                out,
                "{} version {} (number {}), {} entries, imported from {}",
                info.list, info.version, info.number, info.entries, info.source
            )?;
            for e in &entries {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    e.entry_id,
                    e.reference.as_deref().unwrap_or("-"),
                    e.kind,
                    e.name
                )?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let versions = store.list_versions(list.map(service::list_id)).await?;
    if json {
        writeln!(out, "{}", serde_json::json!({ "versions": versions }))?;
        return Ok(ExitCode::SUCCESS);
    }
    if versions.is_empty() {
        writeln!(
            out,
            "no list version is stored (import one with `entente lists import`)"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "list\tnumber\tversion\tentries\tadded\tamended\tdelisted\timported\tsource"
    )?;
    for v in &versions {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            v.list,
            v.number,
            v.version,
            v.entries,
            v.added,
            v.amended,
            v.delisted,
            entente_stix::Timestamp::from_unix_micros(v.imported_at).as_str(),
            v.source
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn load_stored(
    store: &SharedStore,
    list: &str,
    number: u64,
    items: &mut Vec<(ListChangeKind, String, String, serde_json::Value)>,
) -> anyhow::Result<()> {
    for c in store.list_changes(list, number).await? {
        let body = serde_json::from_str(&c.body).context("a stored change is unreadable")?;
        items.push((c.change, c.entry_id, c.name, body));
    }
    Ok(())
}

async fn diff(
    ctx: &Context,
    list: &str,
    from: Option<&str>,
    to: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let list = service::list_id(list);
    let store = ctx.open_store().await?;
    let to = find_version(&store, list, to).await?;
    let from = match from {
        Some(f) => Some(find_version(&store, list, Some(f)).await?),
        None if to.number > 1 => {
            Some(find_version(&store, list, Some(&(to.number - 1).to_string())).await?)
        }
        None => None,
    };
    // (change, id, name, body)
    let mut items: Vec<(ListChangeKind, String, String, serde_json::Value)> = Vec::new();
    match &from {
        // The first version, or consecutive versions: the diff stored at import.
        None => load_stored(&store, list, to.number, &mut items).await?,
        Some(f) if f.number + 1 == to.number => {
            load_stored(&store, list, to.number, &mut items).await?
        }
        // Any other pair: computed from the stored entries of both.
        Some(f) => {
            anyhow::ensure!(
                f.number != to.number,
                "--from and --to name the same version"
            );
            let err = |e: entente_server::error::ApiError| anyhow::anyhow!("{}", describe(&e));
            let old = service::load_version(&store, f).await.map_err(err)?;
            let new = service::load_version(&store, &to).await.map_err(err)?;
            let d = entente_screening::diff(&old, &new);
            for c in service::stored_changes(&d).map_err(err)? {
                items.push((c.change, c.entry_id, c.name, serde_json::from_str(&c.body)?));
            }
        }
    }
    let count = |k| items.iter().filter(|i| i.0 == k).count();
    let (a, m, d) = (
        count(ListChangeKind::Added),
        count(ListChangeKind::Amended),
        count(ListChangeKind::Delisted),
    );
    if json {
        let list_of = |k| {
            items
                .iter()
                .filter(|i| i.0 == k)
                .map(|i| i.3.clone())
                .collect::<Vec<_>>()
        };
        writeln!(
            out,
            "{}",
            serde_json::json!({
                "list": list,
                "from": from,
                "to": to,
                "added": list_of(ListChangeKind::Added),
                "amended": list_of(ListChangeKind::Amended),
                "delisted": list_of(ListChangeKind::Delisted),
            })
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    match &from {
        Some(f) => writeln!(
            out,
            "{list}: version {} (number {}) -> version {} (number {}): {a} added, {m} amended, {d} delisted",
            f.version, f.number, to.version, to.number
        )?,
        None => writeln!(
            out,
            "{list}: first version {} (number {}): {a} added",
            to.version, to.number
        )?,
    }
    for (kind, id, name, body) in &items {
        match kind {
            ListChangeKind::Added => writeln!(out, "+ {id}\t{name}")?,
            ListChangeKind::Delisted => writeln!(out, "- {id}\t{name}")?,
            ListChangeKind::Amended => {
                let fields: Vec<&str> = body["changes"]
                    .as_array()
                    .map(|c| c.iter().filter_map(|f| f["field"].as_str()).collect())
                    .unwrap_or_default();
                writeln!(out, "~ {id}\t{name}\t({})", fields.join(", "))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
