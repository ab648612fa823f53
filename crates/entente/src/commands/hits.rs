//! `entente hits`.

use std::process::ExitCode;

use clap::Subcommand;

/// `entente hits` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum HitsCommand {}

pub(crate) async fn run(ctx: &super::Context, cmd: HitsCommand) -> anyhow::Result<ExitCode> {
    let _ = ctx;
    match cmd {}
}
