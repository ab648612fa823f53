//! The entente node: the TAXII 2.1 API, health, auth, the access check and configuration.
//!
//! What it is not: it holds no SQL (that is `entente-store`), no STIX rules (`entente-stix`)
//! and no wire types of its own (`entente-taxii`). Handlers receive typed requests, ask the one
//! access check in [`access`] for a decision, talk to the store through `Arc<dyn Store>`, and
//! map every error to a TAXII error message in [`error`].
#![deny(missing_docs)]

pub mod access;
pub mod auth;
pub mod config;
pub mod error;
mod health;
pub mod taxii;

use std::future::Future;
use std::sync::Arc;

use entente_store::SharedStore;
use tokio::net::TcpListener;

pub use config::Config;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: SharedStore,
    /// The configuration (immutable while serving).
    pub config: Arc<Config>,
}

/// Builds the whole HTTP application.
pub fn app(state: AppState) -> axum::Router {
    axum::Router::new()
        .merge(health::router())
        .merge(taxii::router(state.clone()))
        .with_state(state)
}

/// Serves the node on an already bound listener until `shutdown` resolves.
///
/// Tests bind `127.0.0.1:0`, spawn this, and talk to the bound address: no sleeps are needed
/// because the listener is bound before this is called.
pub async fn serve(
    config: Config,
    store: SharedStore,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = AppState {
        store,
        config: Arc::new(config),
    };
    let app = app(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
