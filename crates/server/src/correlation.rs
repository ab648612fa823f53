//! Correlation (issue 5): the ingest hook that indexes observables and finds hits, and the API
//! listing hits through the access check.

use axum::Router;
use entente_stix::Object;
use entente_store::{AddOutcome, CollectionId, SharedStore};

use crate::AppState;

/// Indexes the observables of the versions just added to `collection` (`objects[i]` has
/// outcome `outcomes[i]`; duplicates are skipped) and records the hits they make.
pub async fn index_added(
    store: &SharedStore,
    collection: &CollectionId,
    objects: &[Object],
    outcomes: &[AddOutcome],
) -> Result<(), entente_store::Error> {
    let _ = (store, collection, objects, outcomes);
    Ok(())
}

/// The correlation routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
