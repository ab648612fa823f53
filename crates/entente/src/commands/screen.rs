//! `entente screen`: screen names against the newest stored version of a sanctions list, and
//! record human decisions on the hits (`entente screen adjudicate`).
//!
//! Input and output:
//! - `entente screen NAME`: one query; a readable summary, or one JSON line with `--json`.
//! - `entente screen` (no name): one query per stdin line, one JSON line per query, in order.
//! - `entente screen --csv [--input FILE]`: a CSV batch of applicants with the header
//!   `name,date_of_birth,nationality,document_number` (also `date of birth`, `dob`, `document`;
//!   only `name` is required), out as JSON lines or, with `--output csv`, one CSV row per match
//!   (an applicant without a match gets one row with empty match columns).
//!
//! Every screened subject and its hits are stored (unless `--no-record`), so that adjudications
//! apply to later screenings of the same subject and the subject is re-screened when a new list
//! version is imported. The work is done by `entente_server::screening`, shared with the API.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use entente_screening::Query;
use entente_server::access::{self, Action, Resource};
use entente_server::auth::Principal;
use entente_server::screening::{self as service, LoadedList, ScreenReport};
use entente_store::{AdjudicationDecision, SharedStore};

use super::Context;

/// Queries screened and recorded per round when reading a batch (bounds memory on big files).
const CHUNK: usize = 20_000;

/// Output format of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// One JSON object per query, per line.
    Json,
    /// One CSV row per match.
    Csv,
}

/// `entente screen` arguments.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ScreenArgs {
    #[command(subcommand)]
    action: Option<ScreenAction>,
    /// The list to screen against (its newest stored version).
    #[arg(long, default_value = "un")]
    list: String,
    /// Only individuals or only entities.
    #[arg(long = "type", value_parser = ["individual", "entity"])]
    kind: Option<String>,
    /// Print JSON (always the case for stdin and CSV batches unless `--output csv`).
    #[arg(long)]
    json: bool,
    /// Report matches scoring at least this (0 < T <= 1; default 0.82, the calibrated
    /// default of the matcher).
    #[arg(long)]
    threshold: Option<f32>,
    /// Read a CSV batch (header name,date_of_birth,nationality,document_number).
    #[arg(long)]
    csv: bool,
    /// Read the batch from this file instead of stdin.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Output format of a batch.
    #[arg(long, value_enum, default_value = "json")]
    output: Output,
    /// Date of birth of the single NAME (YYYY-MM-DD or YYYY).
    #[arg(long)]
    dob: Option<String>,
    /// Nationality of the single NAME.
    #[arg(long)]
    nationality: Option<String>,
    /// Document number of the single NAME.
    #[arg(long)]
    document: Option<String>,
    /// Do not store the subjects and hits (no adjudication, no re-screening for them).
    #[arg(long)]
    no_record: bool,
    /// The name to screen; without it, queries are read from stdin.
    name: Option<String>,
}

/// `entente screen` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ScreenAction {
    /// Record a human decision on a hit: true match, false positive or needs more information.
    Adjudicate {
        /// The subject key printed with the screening (`"subject"`).
        #[arg(long)]
        subject: String,
        /// The entry id of the hit (`"id"`).
        #[arg(long)]
        entry: String,
        /// The list of the hit.
        #[arg(long, default_value = "un")]
        list: String,
        /// The decision.
        #[arg(long, value_parser = ["true-match", "false-positive", "needs-more-information"])]
        decision: String,
        /// Why (required).
        #[arg(long)]
        reason: String,
        /// The user deciding (an analyst or liaison officer of this node).
        #[arg(long)]
        user: String,
    },
    /// Show a screened subject, its hits and the decisions on them.
    Subject {
        /// The subject key.
        key: String,
    },
}

pub(crate) async fn run(ctx: &super::Context, args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let done = match args.action {
        Some(ScreenAction::Adjudicate {
            subject,
            entry,
            list,
            decision,
            reason,
            user,
        }) => adjudicate(ctx, &subject, &entry, &list, &decision, &reason, &user).await,
        Some(ScreenAction::Subject { key }) => subject(ctx, &key).await,
        None => screen(ctx, args).await,
    };
    quiet_broken_pipe(done)
}

/// A reader that stopped reading (`entente screen ... | head`) is not an error: everything it
/// asked for was written.
pub(crate) fn quiet_broken_pipe(done: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    match done {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(ExitCode::SUCCESS)
        }
        other => other,
    }
}

fn api(e: entente_server::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        e.message().description.unwrap_or_else(|| e.to_string())
    )
}

async fn screen(ctx: &Context, args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let threshold = args.threshold.unwrap_or(service::DEFAULT_THRESHOLD);
    service::validate_threshold(threshold).map_err(api)?;
    let kind = args
        .kind
        .as_deref()
        .map(service::parse_kind)
        .transpose()
        .map_err(api)?;
    let store = ctx.open_store().await?;
    let list = service::load_list(&store, &args.list).await.map_err(api)?;
    let record = !args.no_record;
    if let Some(name) = &args.name {
        anyhow::ensure!(
            !args.csv && args.input.is_none(),
            "give either a NAME or a batch (--csv / --input), not both"
        );
        let q = Query {
            name: name.clone(),
            kind,
            birth_date: args.dob.clone(),
            nationality: args.nationality.clone(),
            document: args.document.clone(),
        };
        service::validate_query(&q).map_err(api)?;
        let mut reports = service::screen(&store, &list, vec![q], threshold, record)
            .await
            .map_err(api)?;
        let r = reports.pop().context("one report per query")?;
        audit(&store, &list, 1, usize::from(!r.matches.is_empty())).await?;
        let mut out = std::io::stdout();
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&r)?)?;
        } else {
            print_readable(&r, &list, threshold)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    anyhow::ensure!(
        args.dob.is_none() && args.nationality.is_none() && args.document.is_none(),
        "--dob, --nationality and --document go with a NAME; a batch gives them as CSV columns"
    );
    let reader: Box<dyn BufRead> = match &args.input {
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).with_context(|| format!("cannot read {}", p.display()))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let queries = if args.csv {
        read_csv(reader, kind)?
    } else {
        read_lines(reader, kind)?
    };
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if args.output == Output::Csv {
        writeln!(
            out,
            "row,query,subject,id,list,list_version,reference,name,primary_name,score,\
             confidence,adjudication,adjudicated_by,adjudication_reason"
        )?;
    }
    let (mut total, mut matched, mut row) = (0usize, 0usize, 0usize);
    for chunk in queries.chunks(CHUNK) {
        // Screen the valid queries; an invalid line (empty, too long) keeps its place in the
        // output with an error and no matches.
        let mut valid = Vec::new();
        let mut errors = Vec::with_capacity(chunk.len());
        for q in chunk {
            match service::validate_query(q) {
                Ok(()) => {
                    valid.push(q.clone());
                    errors.push(None);
                }
                Err(e) => errors.push(Some(api(e).to_string())),
            }
        }
        let mut reports = service::screen(&store, &list, valid, threshold, record)
            .await
            .map_err(api)?
            .into_iter();
        for (q, err) in chunk.iter().zip(errors) {
            row += 1;
            total += 1;
            let r = match err {
                None => reports.next().context("one report per valid query")?,
                Some(e) => {
                    if args.output == Output::Json {
                        writeln!(
                            out,
                            "{}",
                            serde_json::json!({"query": q.name, "matches": [], "error": e})
                        )?;
                    } else {
                        write_csv_row(&mut out, row, &q.name, None, None)?;
                    }
                    continue;
                }
            };
            matched += usize::from(!r.matches.is_empty());
            match args.output {
                Output::Json => writeln!(out, "{}", serde_json::to_string(&r)?)?,
                Output::Csv if r.matches.is_empty() => {
                    write_csv_row(&mut out, row, &r.query, Some(&r.subject), None)?
                }
                Output::Csv => {
                    for m in &r.matches {
                        write_csv_row(&mut out, row, &r.query, Some(&r.subject), Some(m))?;
                    }
                }
            }
        }
        out.flush()?;
    }
    audit(&store, &list, total, matched).await?;
    Ok(ExitCode::SUCCESS)
}

/// One audit entry per screening run (never the names): who screened how many against what.
async fn audit(
    store: &SharedStore,
    list: &LoadedList,
    queries: usize,
    matched: usize,
) -> anyhow::Result<()> {
    use entente_server::audit;
    let r = audit::record(
        audit::CLI_ACTOR,
        audit::NODE_ORGANISATION,
        "screening.screen",
        &format!("screening:{}", list.info.list),
        audit::Outcome::Allow,
        "local administration",
        &format!(
            "version={} queries={queries} with_matches={matched}",
            list.info.version
        ),
    );
    audit::Recorder::new(store.clone())
        .record(r)
        .await
        .context("cannot record the screening in the audit log")?;
    Ok(())
}

fn print_readable(r: &ScreenReport, list: &LoadedList, threshold: f32) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    writeln!(
        out,
        "{} match(es) for {:?} on {} version {} (threshold {threshold}); subject {}",
        r.matches.len(),
        r.query,
        list.info.list,
        list.info.version,
        r.subject
    )?;
    for m in &r.matches {
        writeln!(
            out,
            "  {:.2}  {}  {}  {}{}",
            m.score,
            m.id,
            m.reference.as_deref().unwrap_or("-"),
            m.name,
            if m.name != m.primary_name {
                format!(" (listed as {})", m.primary_name)
            } else {
                String::new()
            }
        )?;
        if let Some(a) = &m.adjudication {
            writeln!(
                out,
                "        adjudicated {} by {}: {}",
                a.decision.as_str(),
                a.user,
                a.reason
            )?;
        }
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn write_csv_row(
    out: &mut impl Write,
    row: usize,
    query: &str,
    subject: Option<&str>,
    m: Option<&service::MatchReport>,
) -> std::io::Result<()> {
    let (adj, by, why) = m
        .and_then(|m| m.adjudication.as_ref())
        .map(|a| (a.decision.as_str(), a.user.as_str(), a.reason.as_str()))
        .unwrap_or(("", "", ""));
    let cells = [
        row.to_string(),
        csv_field(query),
        subject.unwrap_or("").to_owned(),
        m.map(|m| csv_field(&m.id)).unwrap_or_default(),
        m.map(|m| csv_field(&m.list)).unwrap_or_default(),
        m.map(|m| m.list_version.clone()).unwrap_or_default(),
        m.and_then(|m| m.reference.as_deref().map(csv_field))
            .unwrap_or_default(),
        m.map(|m| csv_field(&m.name)).unwrap_or_default(),
        m.map(|m| csv_field(&m.primary_name)).unwrap_or_default(),
        m.map(|m| format!("{:.4}", m.score)).unwrap_or_default(),
        m.map(|m| format!("{:.4}", m.confidence))
            .unwrap_or_default(),
        adj.to_owned(),
        csv_field(by),
        csv_field(why),
    ];
    writeln!(out, "{}", cells.join(","))
}

fn read_lines(
    reader: Box<dyn BufRead>,
    kind: Option<entente_screening::EntryKind>,
) -> anyhow::Result<Vec<Query>> {
    let mut out = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read input line {}", i + 1))?;
        out.push(Query {
            name: line.trim_end_matches('\r').to_owned(),
            kind,
            ..Query::default()
        });
    }
    Ok(out)
}

/// Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes and newlines).
fn csv_records(text: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut line = 1;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                line += 1;
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            _ => field.push(c),
        }
    }
    anyhow::ensure!(!quoted, "CSV: a quoted field is not closed (line {line})");
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

fn read_csv(
    mut reader: Box<dyn BufRead>,
    kind: Option<entente_screening::EntryKind>,
) -> anyhow::Result<Vec<Query>> {
    let mut text = String::new();
    reader
        .read_to_string(&mut text)
        .context("the CSV input is not UTF-8 text")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut records = csv_records(text)?.into_iter();
    let header = records.next().context("the CSV input is empty")?;
    let mut cols = [None; 4];
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().to_lowercase().replace([' ', '-'], "_");
        let slot = match h.as_str() {
            "name" | "full_name" => 0,
            "date_of_birth" | "dob" | "birth_date" => 1,
            "nationality" => 2,
            "document_number" | "document" | "passport" => 3,
            other => anyhow::bail!(
                "CSV: unknown column {other:?}; expected name, date_of_birth, nationality, \
                 document_number"
            ),
        };
        anyhow::ensure!(cols[slot].is_none(), "CSV: column {h:?} given twice");
        cols[slot] = Some(i);
    }
    let name_col = cols[0].context("CSV: the header has no `name` column")?;
    let get = |r: &[String], c: Option<usize>| {
        c.and_then(|c| r.get(c))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut out = Vec::new();
    for (i, r) in records.enumerate() {
        if r.len() == 1 && r[0].trim().is_empty() {
            continue; // a blank line
        }
        anyhow::ensure!(
            r.len() == header.len(),
            "CSV record {} has {} fields, the header {}",
            i + 2,
            r.len(),
            header.len()
        );
        out.push(Query {
            name: r[name_col].trim().to_owned(),
            kind,
            birth_date: get(&r, cols[1]),
            nationality: get(&r, cols[2]),
            document: get(&r, cols[3]),
        });
    }
    Ok(out)
}

async fn adjudicate(
    ctx: &Context,
    subject: &str,
    entry: &str,
    list: &str,
    decision: &str,
    reason: &str,
    user: &str,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let decision: AdjudicationDecision =
        decision.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    anyhow::ensure!(!reason.trim().is_empty(), "--reason must say why");
    let store = ctx.open_store().await?;
    let u = match store.user(user).await {
        Ok(u) => u,
        Err(entente_store::Error::NotFound(_)) => {
            anyhow::bail!("no user {user:?} (see `entente user list`)")
        }
        Err(e) => return Err(e).context("cannot read users"),
    };
    // The one gate decides who may adjudicate, here as over HTTP.
    let principal = Principal {
        user: u.name.clone(),
        organisation: u.organisation.clone(),
        role: u.role,
        purpose: None,
    };
    if let access::Decision::Deny(d) =
        access::check(&principal, Action::Adjudicate, &Resource::Screening)
    {
        anyhow::bail!("{user} may not adjudicate: {}", d.reason);
    }
    let a = service::adjudicate(&store, subject, list, entry, decision, reason, user)
        .await
        .map_err(api)
        .context("adjudication refused; nothing was recorded")?;
    use entente_server::audit;
    let r = audit::record(
        &u.name,
        &u.organisation,
        "screening.adjudicate",
        &format!("screening:{}:{}", a.list, a.entry_id),
        audit::Outcome::Allow,
        "screening role",
        &format!(
            "subject={} decision={} seq={}",
            a.subject,
            a.decision.as_str(),
            a.seq
        ),
    );
    audit::Recorder::new(store.clone())
        .record(r)
        .await
        .context("cannot record the adjudication in the audit log")?;
    writeln!(
        out,
        "recorded {} on subject {} / {} {} by {} (adjudication {})",
        a.decision.as_str(),
        a.subject,
        a.list,
        a.entry_id,
        a.user,
        a.seq
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn subject(ctx: &Context, key: &str) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout();
    let store = ctx.open_store().await?;
    let s = match store.subject(key).await {
        Ok(s) => s,
        Err(entente_store::Error::NotFound(_)) => anyhow::bail!("no subject {key:?}"),
        Err(e) => return Err(e).context("cannot read subjects"),
    };
    let hits = store.subject_hits(key).await?;
    let adjudications = store.adjudications(key).await?;
    let hits: Vec<serde_json::Value> = hits
        .iter()
        .map(|h| {
            serde_json::json!({
                "list": h.list, "id": h.entry_id, "status": h.status, "score": h.score,
                "name": h.matched_name, "first_number": h.first_number,
                "last_number": h.last_number,
            })
        })
        .collect();
    writeln!(
        out,
        "{}",
        serde_json::json!({ "subject": s, "hits": hits, "adjudications": adjudications })
    )?;
    Ok(ExitCode::SUCCESS)
}
