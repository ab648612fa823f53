//! `entente audit verify` and `entente audit show`: the audit log (DESIGN.md invariant 4) as
//! an operator or a reviewer reads it. The chain rules live in `entente_server::audit`; this
//! only reads through the store and prints.

use std::process::ExitCode;

use anyhow::Context as _;
use entente_server::audit::{self, Anchor};

use super::Context;
use crate::cli::AuditCommand;

pub(crate) async fn run(ctx: &Context, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify { anchor } => verify(ctx, anchor.as_deref()).await,
        AuditCommand::Show { limit } => show(ctx, limit).await,
    }
}

async fn verify(ctx: &Context, anchor: Option<&str>) -> anyhow::Result<ExitCode> {
    let anchor: Option<Anchor> = anchor
        .map(|a| a.parse().map_err(anyhow::Error::msg))
        .transpose()
        .context("invalid --anchor")?;
    let store = ctx.open_store().await?;
    let outcome = audit::verify_store(&store, anchor.as_ref())
        .await
        .context("cannot read the audit log")?;
    match outcome {
        Ok(head) => {
            println!(
                "audit log intact: {} entries, head {}",
                head.entries,
                audit::to_hex(&head.hash)
            );
            println!(
                "anchor (keep it elsewhere, pass it with --anchor): {}",
                head.anchor()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(tamper) => {
            println!("audit log NOT intact: {tamper}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn show(ctx: &Context, limit: usize) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    let head = store
        .audit_head()
        .await
        .context("cannot read the audit log")?;
    let Some(head) = head else {
        println!("the audit log is empty");
        return Ok(ExitCode::SUCCESS);
    };
    let after = head.seq.saturating_sub(limit as u64);
    let entries = store
        .audit_page(after, limit)
        .await
        .context("cannot read the audit log")?;
    println!(
        "seq\ttime\tactor\torganisation\taction\ttarget\tpurpose\tdecision\trule\tdetail\thash"
    );
    for e in entries {
        let r = &e.record;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            e.seq,
            entente_stix::Timestamp::from_unix_micros(r.time).as_str(),
            one_line(&r.actor),
            one_line(&r.organisation),
            one_line(&r.action),
            one_line(&r.target),
            r.purpose
                .as_deref()
                .map_or_else(|| "-".to_owned(), one_line),
            one_line(&r.decision),
            one_line(&r.rule),
            one_line(&r.detail),
            audit::to_hex(&e.hash),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A field on one tab-separated line: control characters (tabs, newlines) become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The rule recorded for command-line administration: whoever can open the node's data folder
/// (or its database URL) administers the node.
const CLI_RULE: &str = "cli.local-access";

/// Records one administration act done through the command line, after it succeeded.
pub(crate) async fn record_cli(
    store: &entente_store::SharedStore,
    action: &str,
    target: &str,
    detail: &str,
) -> anyhow::Result<()> {
    audit::Recorder::new(store.clone())
        .record(audit::record(
            audit::CLI_ACTOR,
            audit::NODE_ORGANISATION,
            action,
            target,
            audit::Outcome::Allow,
            CLI_RULE,
            detail,
        ))
        .await
        .context("cannot write the audit log")?;
    Ok(())
}
