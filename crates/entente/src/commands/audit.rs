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
        AuditCommand::Export { out, after } => export(ctx, out.as_deref(), after).await,
    }
}

/// Writes the audit log as JSON lines, one entry per line with every recorded field and the
/// hashes in hex, verifying the chain as it goes: the export fails (and says where) rather
/// than hand an oversight reviewer a log that does not verify.
async fn export(
    ctx: &Context,
    out: Option<&std::path::Path>,
    after: u64,
) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let store = ctx.open_store().await?;
    let sink: Box<dyn std::io::Write> = match out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = std::io::BufWriter::new(sink);
    // Verification needs the chain from its start, even when exporting a tail.
    let mut verifier = audit::Verifier::new(None);
    let mut cursor = 0u64;
    let mut written = 0u64;
    loop {
        let page = store
            .audit_page(cursor, audit::VERIFY_PAGE)
            .await
            .context("cannot read the audit log")?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        for e in &page {
            if let Err(t) = verifier.push(e) {
                sink.flush()?;
                anyhow::bail!("the audit log does not verify: {t}; export stopped");
            }
            if e.seq <= after {
                continue;
            }
            let r = &e.record;
            let line = serde_json::json!({
                "seq": e.seq,
                "time": entente_stix::Timestamp::from_unix_micros(r.time).as_str(),
                "actor": r.actor,
                "organisation": r.organisation,
                "action": r.action,
                "target": r.target,
                "purpose": r.purpose,
                "decision": r.decision,
                "rule": r.rule,
                "detail": r.detail,
                "prev_hash": audit::to_hex(&e.prev_hash),
                "hash": audit::to_hex(&e.hash),
            });
            serde_json::to_writer(&mut sink, &line)?;
            sink.write_all(b"\n")?;
            written += 1;
        }
    }
    sink.flush().context("cannot write the export")?;
    eprintln!("exported {written} audit entries (chain verified)");
    super::audit::record_cli(
        &store,
        "audit.export",
        "audit-log",
        &format!("after={after} entries={written}"),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Records a decision of the sharing rules taken for a command (an export), with its purpose.
pub(crate) async fn record_cli_decision(
    store: &entente_store::SharedStore,
    action: &str,
    target: &str,
    purpose: Option<&str>,
    decision: &str,
    rule: &str,
    detail: &str,
) -> anyhow::Result<()> {
    let outcome = if decision == "allow" {
        audit::Outcome::Allow
    } else {
        audit::Outcome::Deny
    };
    let mut r = audit::record(
        audit::CLI_ACTOR,
        audit::NODE_ORGANISATION,
        action,
        target,
        outcome,
        rule,
        detail,
    );
    r.purpose = purpose.map(str::to_owned);
    audit::Recorder::new(store.clone())
        .record(r)
        .await
        .context("cannot write the audit log")?;
    Ok(())
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
