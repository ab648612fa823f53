//! `entente pull`: copy a remote TAXII 2.1 collection into a local one, through the project's
//! TAXII client (peers are reached only through `entente-taxii`).

use std::process::ExitCode;

use super::Context;
use crate::cli::PullArgs;

/// Pages through the remote collection and stores every version locally.
pub(crate) async fn pull(_ctx: &Context, _args: PullArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("pull is not available yet")
}
