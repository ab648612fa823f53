//! `entente validate`: a validation report for STIX content, without storing anything.

use std::process::ExitCode;

use serde_json::json;

use super::Context;
use crate::cli::ValidateArgs;

/// Validates every object of the input; exit 1 when any error (or an unreadable element) is
/// found, 0 otherwise.
pub(crate) fn validate(ctx: &Context, args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let input = crate::input::open(&args.input)?;
    let (mut objects, mut errors, mut warnings) = (0u64, 0u64, 0u64);
    let mut findings = Vec::new();
    for item in entente_stix::stream::Reader::with_max_object_size(
        input.reader,
        ctx.config.import.max_object_size,
    ) {
        match item {
            Ok(object) => {
                objects += 1;
                let report = entente_server::validation::validate(&object);
                let errs: Vec<String> = report.errors().map(|e| e.to_string()).collect();
                let warns: Vec<String> = report.warnings().map(|w| w.to_string()).collect();
                errors += errs.len() as u64;
                warnings += warns.len() as u64;
                if args.json {
                    if !errs.is_empty() || (args.warnings && !warns.is_empty()) {
                        findings.push(json!({
                            "id": object.id().as_str(),
                            "errors": errs,
                            "warnings": if args.warnings { warns } else { Vec::new() },
                        }));
                    }
                } else {
                    for e in errs {
                        println!("error: {e}");
                    }
                    if args.warnings {
                        for w in warns {
                            println!("warning: {w}");
                        }
                    }
                }
            }
            Err(e) => {
                errors += 1;
                if args.json {
                    findings.push(json!({"position": e.at.to_string(), "errors": [e.to_string()]}));
                } else {
                    println!("error: {e}");
                }
                if e.is_fatal() {
                    break;
                }
            }
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "objects": objects, "errors": errors, "warnings": warnings, "findings": findings
            }))?
        );
    } else {
        println!("{objects} objects, {errors} errors, {warnings} warnings");
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
