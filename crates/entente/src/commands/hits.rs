//! `entente hits`: the correlation hits of the node, as its operator sees them (every hit in
//! full: the command reads the data folder directly, as `entente audit show` does; analysts
//! and partners list hits through the API, where the access check decides what they see), and
//! the correlation settings, the index rebuild and the capped values.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use entente_stix::Timestamp;
use entente_store::{CorrelationHit, SharedStore};

/// `entente hits` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum HitsCommand {
    /// The hits of one object (any of its versions, in any collection).
    Object {
        /// The STIX id.
        id: String,
        #[command(flatten)]
        out: Output,
    },
    /// The hits with a side in one collection.
    Collection {
        /// The collection id or alias.
        collection: String,
        /// The API root (default: the configured default API root).
        #[arg(long)]
        api_root: Option<String>,
        #[command(flatten)]
        out: Output,
    },
    /// The hits found at or after a time (RFC 3339, e.g. 2026-03-01T00:00:00Z).
    Since {
        /// The time.
        time: String,
        #[command(flatten)]
        out: Output,
    },
    /// Rebuilds the correlation index from every stored object and finds the hits again
    /// (after changing the settings, or to recover hits that could not be recorded).
    Rebuild,
    /// The values that correlate more than the cap allows, with how many versions hold each.
    Capped,
    /// Shows the correlation settings, or changes them (then run `entente hits rebuild` for
    /// the stored data to follow them).
    Settings(SettingsArgs),
}

/// How hits are printed.
#[derive(Debug, Args)]
pub(crate) struct Output {
    /// At most this many hits.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,
}

/// `entente hits settings` options.
#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    /// Correlate on ingest.
    #[arg(long, conflicts_with = "disable")]
    enable: bool,
    /// Do not correlate on ingest.
    #[arg(long)]
    disable: bool,
    /// A value held by more than this many object versions stops correlating.
    #[arg(long)]
    cap: Option<usize>,
    /// Apply the built-in warning lists (true or false).
    #[arg(long)]
    builtin_warning_lists: Option<bool>,
    /// A value that never correlates (address, CIDR network, domain with its subdomains,
    /// URL, e-mail address, hash); repeatable.
    #[arg(long, value_name = "VALUE")]
    warn: Vec<String>,
    /// A value that correlates even though a warning list names it; repeatable.
    #[arg(long, value_name = "VALUE")]
    allow: Vec<String>,
    /// Empty the `warn` and `allow` lists before adding the values given.
    #[arg(long)]
    clear_lists: bool,
}

pub(crate) async fn run(ctx: &super::Context, cmd: HitsCommand) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    match cmd {
        HitsCommand::Object { id, out } => {
            let id: entente_stix::StixId = id
                .parse()
                .map_err(|_| anyhow::anyhow!("{id:?} is not a STIX identifier (type--UUID)"))?;
            let s = store.clone();
            let id = id.into_string();
            list(&out, move |after, n| {
                let (s, id) = (s.clone(), id.clone());
                async move { s.hits_for_object(&id, after, n).await }
            })
            .await
        }
        HitsCommand::Collection {
            collection,
            api_root,
            out,
        } => {
            let root = ctx.api_root(api_root.as_deref())?;
            let c = super::find_collection(&store, &root, &collection).await?.id;
            let s = store.clone();
            list(&out, move |after, n| {
                let (s, c) = (s.clone(), c.clone());
                async move { s.hits_for_collection(&c, after, n).await }
            })
            .await
        }
        HitsCommand::Since { time, out } => {
            let since = time
                .parse::<Timestamp>()
                .map_err(|_| anyhow::anyhow!("{time:?} is not an RFC 3339 timestamp"))?
                .unix_micros();
            let s = store.clone();
            list(&out, move |after, n| {
                let s = s.clone();
                async move { s.hits_since(since, after, n).await }
            })
            .await
        }
        HitsCommand::Rebuild => rebuild(&store).await,
        HitsCommand::Capped => {
            let capped = entente_server::correlation::capped(&store)
                .await
                .context("cannot build the correlation index")?;
            if capped.is_empty() {
                eprintln!("no value is over the cap");
            }
            for (value, n) in capped {
                println!("{n}\t{value}");
            }
            Ok(ExitCode::SUCCESS)
        }
        HitsCommand::Settings(args) => settings(&store, args).await,
    }
}

async fn list<F, Fut>(out: &Output, mut page: F) -> anyhow::Result<ExitCode>
where
    F: FnMut(i64, usize) -> Fut,
    Fut: std::future::Future<Output = entente_store::Result<Vec<CorrelationHit>>>,
{
    let mut after = 0;
    let mut shown = 0;
    if !out.json {
        println!("FOUND\tRULE\tKIND\tVALUE\tSIDE A\tSIDE B");
    }
    while shown < out.limit {
        let n = (out.limit - shown).min(1000);
        let hits = page(after, n).await.context("cannot read the hits")?;
        let Some(last) = hits.last() else { break };
        after = last.seq;
        for h in &hits {
            print_hit(h, out.json);
        }
        shown += hits.len();
        if hits.len() < n {
            break;
        }
    }
    if shown == 0 {
        eprintln!("no hits");
    }
    Ok(ExitCode::SUCCESS)
}

fn side_text(s: &entente_store::HitSide) -> String {
    format!("{}/{}@{}", s.collection, s.id, s.version)
}

fn print_hit(h: &CorrelationHit, json: bool) {
    let found = Timestamp::from_unix_micros(h.found);
    if json {
        let side = |s: &entente_store::HitSide| serde_json::json!({"collection": s.collection.0, "id": s.id, "version": s.version});
        println!(
            "{}",
            serde_json::json!({
                "found": found.as_str(), "rule": h.rule, "kind": h.kind, "value": h.value,
                "sides": [side(&h.a), side(&h.b)],
            })
        );
    } else {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            found.as_str(),
            h.rule,
            h.kind,
            if h.value.is_empty() { "-" } else { &h.value },
            side_text(&h.a),
            side_text(&h.b)
        );
    }
}

async fn rebuild(store: &SharedStore) -> anyhow::Result<ExitCode> {
    let r = entente_server::correlation::rebuild(store)
        .await
        .context("the correlation rebuild failed")?;
    println!(
        "read {} versions in {} ms; index: {} objects, {} values, {} postings, {} unanchored \
         patterns, {} values over the cap; hits: {} removed, {} recorded",
        r.versions,
        r.millis,
        r.index.objects,
        r.index.values,
        r.index.postings,
        r.index.unanchored,
        r.index.capped,
        r.removed,
        r.hits
    );
    Ok(ExitCode::SUCCESS)
}

async fn settings(store: &SharedStore, a: SettingsArgs) -> anyhow::Result<ExitCode> {
    let mut s = entente_server::correlation::settings(store)
        .await
        .context("cannot read the correlation settings")?;
    let changed = a.enable
        || a.disable
        || a.cap.is_some()
        || a.builtin_warning_lists.is_some()
        || !a.warn.is_empty()
        || !a.allow.is_empty()
        || a.clear_lists;
    if a.enable {
        s.enabled = true;
    }
    if a.disable {
        s.enabled = false;
    }
    if let Some(cap) = a.cap {
        s.cap = cap;
    }
    if let Some(b) = a.builtin_warning_lists {
        s.builtin_warning_lists = b;
    }
    if a.clear_lists {
        s.warn.clear();
        s.allow.clear();
    }
    s.warn.extend(a.warn);
    s.allow.extend(a.allow);
    if changed {
        match entente_server::correlation::set_settings(store, &s).await {
            Ok(()) => {}
            Err(entente_store::Error::Invalid(m)) => {
                anyhow::bail!("settings not changed: {m}")
            }
            Err(e) => return Err(e).context("cannot store the correlation settings"),
        }
    }
    println!("{}", serde_json::to_string_pretty(&s)?);
    Ok(ExitCode::SUCCESS)
}
