//! `entente serve`: run the node until interrupted.

use std::process::ExitCode;

use anyhow::Context as _;

use super::Context;

/// Opens the store, provisions configured roots and collections, binds, and serves until
/// Ctrl-C or SIGTERM.
pub(crate) async fn serve(ctx: Context) -> anyhow::Result<ExitCode> {
    let store = ctx.open_store().await?;
    entente_server::provision(&store, &ctx.config)
        .await
        .context("cannot create the configured API roots and collections")?;
    let addr = ctx.config.server.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    tracing::info!(address = %local, data = %ctx.data_dir.display(), "serving");
    let scheme = if ctx.config.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    eprintln!("entente listening on {scheme}://{local}/taxii2/");
    entente_server::serve(ctx.config, store, listener, shutdown_signal())
        .await
        .context("server failed")?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
