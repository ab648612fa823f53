//! `entente import`: stream STIX objects from a file into a collection.
//!
//! Two stages overlap on the two halves of the work: a blocking thread reads, splits, parses
//! and validates (CPU), and the async side writes batches to the store (one durable
//! transaction each). A bounded channel between them keeps memory bounded whatever the input
//! size: at most a few batches are in flight, and the reader never holds more than one object
//! beyond the configured maximum size.

use std::process::ExitCode;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use entente_store::AddOutcome;
use serde::Serialize;

use super::{Context, find_collection};
use crate::cli::ImportArgs;

/// One rejected input element.
#[derive(Debug, Serialize)]
pub(crate) struct Rejection {
    /// Position in the input (element index, or line number for JSON lines).
    pub(crate) position: String,
    /// The object id when it could be read.
    pub(crate) id: Option<String>,
    /// Why it was rejected.
    pub(crate) reason: String,
}

/// What an import did.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Summary {
    pub(crate) stored: u64,
    pub(crate) duplicates: u64,
    pub(crate) rejected: u64,
    /// The first rejections (at most [`MAX_LISTED`]).
    pub(crate) rejections: Vec<Rejection>,
    /// A fatal input error that ended the import early (objects before it are stored).
    pub(crate) fatal: Option<String>,
}

const MAX_LISTED: usize = 1000;

enum Msg {
    /// Valid objects with their sharing facts (computed here, beside parsing, so that the
    /// writer's side of the pipeline only stores).
    Batch(Vec<entente_stix::Object>, Vec<entente_store::ObjectSharing>),
    Rejected(Rejection),
    Fatal(String),
}

/// Reads, parses and validates on the calling (blocking) thread, sending batches.
fn produce(
    reader: Box<dyn std::io::BufRead + Send>,
    max_object_size: usize,
    batch: usize,
    provenance: &entente_server::ingest::Provenance,
    tx: tokio::sync::mpsc::Sender<Msg>,
) {
    let send = |objects: Vec<entente_stix::Object>| {
        let facts = entente_server::sharing::facts_at_ingest(
            &objects,
            &provenance.originator,
            provenance.received_through.as_ref(),
        );
        Msg::Batch(objects, facts)
    };
    let mut pending = Vec::with_capacity(batch);
    for item in entente_stix::stream::Reader::with_max_object_size(reader, max_object_size) {
        let msg = match item {
            Ok(object) => {
                let report = entente_server::validation::validate(&object);
                if report.is_valid() {
                    pending.push(object);
                    if pending.len() < batch {
                        continue;
                    }
                    send(std::mem::replace(&mut pending, Vec::with_capacity(batch)))
                } else {
                    let reason = report
                        .errors()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ");
                    Msg::Rejected(Rejection {
                        position: format!("object {}", object.id()),
                        id: Some(object.id().to_string()),
                        reason,
                    })
                }
            }
            Err(e) if e.is_fatal() => {
                if !pending.is_empty() {
                    let _ = tx.blocking_send(send(std::mem::take(&mut pending)));
                }
                let _ = tx.blocking_send(Msg::Fatal(e.to_string()));
                return;
            }
            Err(e) => Msg::Rejected(Rejection {
                position: e.at.to_string(),
                id: None,
                reason: e.kind.to_string(),
            }),
        };
        if tx.blocking_send(msg).is_err() {
            return; // the writer stopped (store error): nothing more to do
        }
    }
    if !pending.is_empty() {
        let _ = tx.blocking_send(send(pending));
    }
}

/// Imports one input into one collection; returns what happened.
pub(crate) async fn import_into(
    store: &entente_store::SharedStore,
    collection: &entente_store::CollectionId,
    provenance: &entente_server::ingest::Provenance,
    input: crate::input::Input,
    max_object_size: usize,
    batch: usize,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<Summary> {
    // Into a channel's collection, each object is decided by the gate as a write by its
    // originator (the channel's marking rules: a TLP marking required, none above the
    // channel's highest); a private collection is the operator's own.
    let gate = match &provenance.received_through {
        Some(channel) => {
            let purpose = store.channel(&channel.0).await?.purposes.into_iter().next();
            let principal = entente_server::auth::Principal {
                user: entente_server::audit::CLI_ACTOR.to_owned(),
                organisation: provenance.originator.0.clone(),
                role: entente_store::Role::Admin,
                purpose,
            };
            let snapshot = std::sync::Arc::new(
                entente_server::sharing::load(store)
                    .await
                    .context("cannot read the sharing configuration")?,
            );
            Some(entente_server::access::Gate::new(
                &principal, collection, snapshot,
            ))
        }
        None => None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(1);
    let consumed = input.consumed.clone();
    let reader = input.reader;
    let batch = batch.clamp(1, 100_000);
    let from = provenance.clone();
    let producer =
        tokio::task::spawn_blocking(move || produce(reader, max_object_size, batch, &from, tx));
    let mut summary = Summary::default();
    // Stored batches are correlated by a worker while the next ones are stored.
    let mut ingest = entente_server::ingest::Deferred::new(store, collection);
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Batch(objects, facts) => {
                let (kept, kept_facts) = match &gate {
                    None => (objects, facts),
                    Some(g) => {
                        let (mut kept, mut kept_facts) = (Vec::new(), Vec::new());
                        for (o, f) in objects.into_iter().zip(facts) {
                            let d = g.decide(
                                entente_server::access::ObjectAction::Write,
                                &g.facts(&f, &[]),
                            );
                            if d.is_allow() {
                                kept.push(o);
                                kept_facts.push(f);
                                continue;
                            }
                            summary.rejected += 1;
                            if summary.rejections.len() < MAX_LISTED {
                                summary.rejections.push(Rejection {
                                    position: o.id().to_string(),
                                    id: Some(o.id().to_string()),
                                    reason: format!(
                                        "refused by the sharing rules ({}): {}",
                                        d.rule(),
                                        d.reason().map_or("not allowed", |r| r.message())
                                    ),
                                });
                            }
                        }
                        (kept, kept_facts)
                    }
                };
                if kept.is_empty() {
                    continue;
                }
                let outcomes = ingest
                    .add(kept, kept_facts)
                    .await
                    .context("the store refused a batch; objects before it are stored")?;
                for o in outcomes {
                    match o {
                        AddOutcome::Added { .. } => summary.stored += 1,
                        AddOutcome::Duplicate { .. } => summary.duplicates += 1,
                    }
                }
            }
            Msg::Rejected(r) => {
                summary.rejected += 1;
                if summary.rejections.len() < MAX_LISTED {
                    summary.rejections.push(r);
                }
            }
            Msg::Fatal(e) => summary.fatal = Some(e),
        }
        progress.set_position(consumed.load(Ordering::Relaxed));
        progress.set_message(format!(
            "{} stored, {} duplicates, {} rejected",
            summary.stored, summary.duplicates, summary.rejected
        ));
    }
    producer.await.context("the reader thread failed")?;
    ingest
        .finish()
        .await
        .context("correlating the imported objects failed; run `entente hits rebuild`")?;
    Ok(summary)
}

fn progress_bar(total: Option<u64>) -> indicatif::ProgressBar {
    // Drawn only when stderr is a terminal; hidden in pipes, CI and tests.
    let target = indicatif::ProgressDrawTarget::stderr();
    let bar = match total {
        Some(n) => indicatif::ProgressBar::with_draw_target(Some(n), target).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
            )
            .expect("valid template"),
        ),
        None => indicatif::ProgressBar::with_draw_target(None, target).with_style(
            indicatif::ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec} {msg}")
                .expect("valid template"),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// `entente import`
pub(crate) async fn import(ctx: &Context, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    store.prepare_bulk_load().await?;
    let api_root = ctx.api_root(args.api_root.as_deref())?;
    let collection = find_collection(&store, &api_root, &args.collection).await?;
    let input = crate::input::open(&args.input)?;
    let bar = progress_bar(input.total);
    let started = std::time::Instant::now();
    let provenance =
        entente_server::sharing::provenance_for(&store, &collection.id, args.originator.as_deref())
            .await
            .map_err(anyhow::Error::msg)?;
    // Larger writes cost less per object (each commit rewrites the id index pages it
    // touched); with correlation on, memory bounds them (each batch's hits are held until
    // recorded: 10,000 objects keep a million-object import under 500 MB).
    let batch = match args.batch {
        Some(n) => n,
        None if entente_server::correlation::settings(&store).await?.enabled => 10_000,
        None => 50_000,
    };
    let summary = import_into(
        &store,
        &collection.id,
        &provenance,
        input,
        ctx.config.import.max_object_size,
        batch,
        &bar,
    )
    .await?;
    bar.finish_and_clear();
    let detail = format!(
        "stored={} duplicates={} rejected={} input_error={}",
        summary.stored,
        summary.duplicates,
        summary.rejected,
        summary.fatal.is_some()
    );
    super::audit::record_cli(&store, "objects.import", &collection.id.0, &detail).await?;
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        for r in &summary.rejections {
            eprintln!("rejected {}: {}", r.position, r.reason);
        }
        if summary.rejected as usize > summary.rejections.len() {
            eprintln!(
                "... and {} more rejections",
                summary.rejected as usize - summary.rejections.len()
            );
        }
        if let Some(f) = &summary.fatal {
            eprintln!("input error: {f}");
        }
        println!(
            "stored {}, duplicates {}, rejected {} ({:.1} s) into collection {}",
            summary.stored, summary.duplicates, summary.rejected, secs, collection.id
        );
    }
    tracing::info!(
        collection = %collection.id,
        stored = summary.stored,
        duplicates = summary.duplicates,
        rejected = summary.rejected,
        "import finished"
    );
    Ok(if summary.fatal.is_some() {
        ExitCode::FAILURE
    } else if summary.rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
