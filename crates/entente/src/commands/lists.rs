//! `entente lists`.

use std::process::ExitCode;

use clap::Subcommand;

/// `entente lists` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ListsCommand {}

pub(crate) async fn run(ctx: &super::Context, cmd: ListsCommand) -> anyhow::Result<ExitCode> {
    let _ = ctx;
    match cmd {}
}
