//! The one ingest path: every object that enters the node (TAXII POST, `entente import`,
//! `entente pull`, federation) is stored through [`add_objects`], which then hands the newly
//! added versions to correlation.

use entente_stix::Object;
use entente_store::{AddOutcome, CollectionId, SharedStore};

/// Stores `objects` in `collection` (one durable transaction, as [`entente_store::Store::add_objects`])
/// and then indexes the versions that were added for correlation. The outcomes are those of the
/// store, in input order.
pub async fn add_objects(
    store: &SharedStore,
    collection: &CollectionId,
    objects: Vec<Object>,
) -> Result<Vec<AddOutcome>, entente_store::Error> {
    let kept = objects.clone();
    let outcomes = store.add_objects(collection, objects).await?;
    crate::correlation::index_added(store, collection, &kept, &outcomes).await?;
    Ok(outcomes)
}
