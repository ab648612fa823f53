//! The entente node: the TAXII 2.1 API, health, auth, the access check and configuration.
//!
//! What it is not: it holds no SQL (that is `entente-store`), no STIX rules (`entente-stix`)
//! and no wire types of its own (`entente-taxii`). Handlers receive typed requests, ask the one
//! access check in [`access`] for a decision, talk to the store through `Arc<dyn Store>`, and
//! map every error to a TAXII error message in [`error`].
#![deny(missing_docs)]

pub mod access;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod correlation;
pub mod error;
mod expiring;
pub mod federation;
mod health;
pub mod ingest;
pub mod policy;
pub mod releases;
pub mod screening;
pub mod search;
pub mod sharing;
pub mod taxii;
pub mod tls;
pub mod validation;

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
    /// The key sealing TAXII `next` tokens (see `taxii::paging`).
    pub(crate) paging_key: [u8; 32],
    /// Organisations, channels and collection scopes, cached (see `sharing`).
    pub sharing: sharing::SnapshotCache,
    /// Collections and permissions, cached (see `catalog`).
    pub catalog: catalog::Catalog,
    /// The audit log writer (group commit).
    pub journal: audit::Journal,
}

/// Builds the whole HTTP application: routes, then one span per request (with a request id)
/// and the request time limit.
pub fn app(state: AppState) -> axum::Router {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let timeout = std::time::Duration::from_secs(state.config.server.request_timeout_secs);
    let header = axum::http::HeaderName::from_static("x-request-id");
    axum::Router::new()
        .merge(health::router())
        .merge(taxii::router(state.clone()))
        .merge(screening::router())
        .merge(releases::router())
        .merge(admin::router())
        .merge(correlation::router())
        .merge(search::router())
        .merge(federation::deletions::router())
        .merge(federation::status::router())
        .with_state(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        // Outside the timeout: bare error responses of layers become TAXII error messages.
        .layer(axum::middleware::map_response(error::errors_as_taxii))
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::debug_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            },
        ))
        .layer(SetRequestIdLayer::new(header, MakeRequestUuid))
}

/// Creates the API roots and collections declared in the configuration when they are missing.
/// Existing ones are left as they are (the store is the record; the file only seeds it).
pub async fn provision(store: &SharedStore, config: &Config) -> Result<(), entente_store::Error> {
    use entente_store::{ApiRoot, Collection, CollectionId, Error};
    let existing = store.api_roots().await?;
    for root in &config.taxii.api_roots {
        if existing.iter().any(|r| r.name == root.name) {
            continue;
        }
        let r = ApiRoot {
            name: root.name.clone(),
            title: root.title.clone(),
            description: root.description.clone(),
            max_content_length: root
                .max_content_length
                .unwrap_or(config::DEFAULT_MAX_CONTENT_LENGTH),
        };
        match store.create_api_root(r).await {
            Ok(()) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    for c in &config.taxii.collections {
        let collection = Collection {
            id: CollectionId(c.id.to_lowercase()),
            api_root: c.api_root.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            alias: c.alias.clone(),
            media_types: vec![STIX_MEDIA_TYPE.to_owned()],
        };
        match store.create_collection(collection).await {
            Ok(()) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The media type of STIX 2.1 content served by collections.
pub const STIX_MEDIA_TYPE: &str = "application/stix+json;version=2.1";

/// Serves the node on an already bound listener until `shutdown` resolves: over TLS when
/// `[server.tls]` is configured (see [`tls`]), plain HTTP otherwise. At shutdown the node stops
/// accepting, lets the requests in progress finish, stops the federation scheduler and
/// flushes the audit journal.
///
/// Tests bind `127.0.0.1:0`, spawn this, and talk to the bound address: no sleeps are needed
/// because the listener is bound before this is called.
///
/// Fails at once, before serving anything, when a TLS file cannot be read or used (the error
/// names the file).
pub async fn serve(
    config: Config,
    store: SharedStore,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = match &config.server.tls {
        Some(t) => Some(tls::server_config(t)?),
        None => None,
    };
    let paging_key = taxii::paging::paging_key(config.taxii.paging_secret.as_deref());
    let journal = audit::Journal::start(store.clone());
    let state = AppState {
        journal: journal.clone(),
        store,
        config: Arc::new(config),
        paging_key,
        sharing: sharing::SnapshotCache::default(),
        catalog: catalog::Catalog::default(),
    };
    // The correlation index is built while the node already answers (the task is detached).
    drop(correlation::warm(&state.store).await);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = tokio::spawn(federation::run_scheduler(
        state.store.clone(),
        state.config.data_dir.clone(),
        stopped,
    ));
    let store = state.store.clone();
    let app = app(state);
    let shutdown = async move {
        shutdown.await;
        let _ = stop.send(true);
    };
    match tls {
        Some(tls) => tls::serve(listener, app, tls, shutdown).await?,
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await?
        }
    }
    // A pull in progress resumes from its last stored page on the next start.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), scheduler).await;
    // Acknowledged writes whose correlation is still running get their hits recorded (what a
    // stop cuts short, `entente hits rebuild` finds again).
    if tokio::time::timeout(
        std::time::Duration::from_secs(30),
        correlation::settled(&store),
    )
    .await
    .is_err()
    {
        tracing::warn!("correlation of the last writes was cut short; run `entente hits rebuild`");
    }
    // Reads recorded without waiting reach the disk before the process ends.
    if let Err(e) = journal.flush().await {
        tracing::warn!(error = %e, "the audit journal could not be flushed at shutdown");
    }
    Ok(())
}
