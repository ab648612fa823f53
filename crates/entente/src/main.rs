//! The `entente` binary: parses the command line, runs the command, reports the outcome.
//!
//! This crate is thin on purpose: behaviour lives in the library crates. It is the only crate
//! that installs a tracing subscriber, reads the process environment (handing it to the config
//! loader as a map) and uses `anyhow`.

mod cli;
mod commands;
mod demo;
mod input;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` prints the whole chain of causes on one line.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
