//! `entente pull`: copy a remote TAXII 2.1 collection into a local one, through the project's
//! TAXII client (peers are reached only through `entente-taxii`).

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use entente_store::AddOutcome;
use entente_taxii::{Client, ObjectQuery, VersionFilter};
use futures::TryStreamExt;

use super::{Context, find_collection};
use crate::cli::PullArgs;

/// Pages through the remote collection (every version) and stores each valid object version
/// locally; invalid ones are reported and skipped, exactly as `entente import` does.
pub(crate) async fn pull(ctx: &Context, args: PullArgs) -> anyhow::Result<ExitCode> {
    let env = super::process_env();
    let secret = |var: &str| -> anyhow::Result<String> {
        env.get(var)
            .cloned()
            .filter(|v| !v.is_empty())
            .with_context(|| format!("environment variable {var} is not set"))
    };
    let mut builder = Client::builder();
    if let (Some(user), Some(var)) = (&args.user, &args.password_env) {
        builder = builder.basic_auth(user.clone(), secret(var)?);
    } else if let Some(var) = &args.token_env {
        builder = builder.bearer_token(secret(var)?);
    }
    let client = builder.build().context("cannot build the TAXII client")?;
    let remote = client
        .api_root(&args.url)
        .with_context(|| format!("not an API root URL: {}", args.url))?
        .collection(&args.collection);

    let store = ctx.open_store().await?;
    let api_root = ctx.api_root(args.api_root.as_deref())?;
    let local = find_collection(&store, &api_root, &args.into).await?;
    let provenance =
        entente_server::sharing::provenance_for(&store, &local.id, args.originator.as_deref())
            .await
            .map_err(anyhow::Error::msg)?;

    let mut query = ObjectQuery::new()
        .versions([VersionFilter::All])
        .limit(1000);
    if let Some(t) = &args.added_after {
        let t: entente_stix::Timestamp = t
            .parse()
            .with_context(|| format!("--added-after: {t:?} is not a timestamp"))?;
        query = query.added_after(t);
    }
    let (mut stored, mut duplicates, mut rejected) = (0u64, 0u64, 0u64);
    let mut pages = std::pin::pin!(remote.pages(query));
    while let Some(page) = pages.try_next().await.context("the remote server failed")? {
        let mut batch = Vec::with_capacity(page.body.objects.len());
        for raw in page.body.objects {
            match entente_stix::Object::from_raw(raw) {
                Ok(object) => {
                    let report = entente_server::validation::validate(&object);
                    if report.is_valid() {
                        batch.push(object);
                    } else {
                        rejected += 1;
                        let reasons: Vec<String> = report.errors().map(|e| e.to_string()).collect();
                        eprintln!("rejected {}: {}", object.id(), reasons.join("; "));
                    }
                }
                Err(e) => {
                    rejected += 1;
                    eprintln!("rejected an unreadable object: {e}");
                }
            }
        }
        for outcome in
            entente_server::ingest::add_objects(&store, &local.id, batch, &provenance).await?
        {
            match outcome {
                AddOutcome::Added { .. } => stored += 1,
                AddOutcome::Duplicate { .. } => duplicates += 1,
            }
        }
    }
    println!(
        "pulled into {}: stored {stored}, duplicates {duplicates}, rejected {rejected}",
        local.id
    );
    if stored + duplicates == 0 && rejected > 0 {
        bail!("nothing could be stored");
    }
    Ok(if rejected > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
