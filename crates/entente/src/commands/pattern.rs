//! `entente pattern validate|match`: the STIX patterning language from the command line.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context as _;
use entente_pattern::{Observations, Severity};

use crate::cli::PatternCommand;

/// Runs a pattern command. Validation errors and non-matches are exit codes, not errors.
pub(crate) fn run(cmd: PatternCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        PatternCommand::Validate { pattern } => {
            let text = match pattern {
                Some(p) => p,
                None => {
                    let mut s = String::new();
                    std::io::stdin()
                        .read_to_string(&mut s)
                        .context("cannot read the pattern")?;
                    s.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            match entente_pattern::validate_str(&text) {
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::FAILURE)
                }
                Ok((_, issues)) => {
                    let mut errors = 0;
                    for issue in &issues {
                        let kind = match issue.severity {
                            Severity::Error => {
                                errors += 1;
                                "error"
                            }
                            _ => "warning",
                        };
                        eprintln!("{kind}: {}", issue.message);
                    }
                    Ok(if errors > 0 {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    })
                }
            }
        }
        PatternCommand::Match {
            pattern,
            observed,
            json,
        } => {
            let compiled = match entente_pattern::compile(&pattern) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(2));
                }
            };
            let input = crate::input::open(&observed)?;
            let mut values = Vec::new();
            for item in entente_stix::stream::Reader::new(input.reader) {
                match item {
                    Ok(object) => values.push(object.to_value()),
                    Err(e) => {
                        eprintln!("{observed}: {e}");
                        return Ok(ExitCode::from(2));
                    }
                }
            }
            let observations = match Observations::from_objects(values.iter()) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("{observed}: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            match compiled.first_match(&observations) {
                Err(_) => {
                    eprintln!("the pattern is too costly to evaluate on this data (search limit)");
                    Ok(ExitCode::from(2))
                }
                Ok(None) => {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"matched": false, "observations": []})
                        );
                    }
                    Ok(ExitCode::FAILURE)
                }
                Ok(Some(m)) => {
                    if json {
                        let obs: Vec<serde_json::Value> = m
                            .observed_data(&observations)
                            .map(|o| o.observed_data().clone())
                            .collect();
                        println!(
                            "{}",
                            serde_json::to_string_pretty(
                                &serde_json::json!({"matched": true, "observations": obs})
                            )?
                        );
                    } else {
                        println!("match");
                    }
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}
