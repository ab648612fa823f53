//! `entente screen`.

use std::process::ExitCode;

use clap::Args;

/// `entente screen` arguments.
#[derive(Debug, Args)]
pub(crate) struct ScreenArgs {}

pub(crate) async fn run(ctx: &super::Context, args: ScreenArgs) -> anyhow::Result<ExitCode> {
    let _ = ctx;
    let _ = args;
    anyhow::bail!("not available")
}
