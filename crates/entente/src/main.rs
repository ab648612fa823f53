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

/// The allocator of the whole process. Serving a page parses and writes a hundred objects of
/// many small strings each, and the C library's allocator spent a fifth of a request's time
/// (much of it merging freed chunks whenever a larger block was asked for); mimalloc's
/// per-thread free lists do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
