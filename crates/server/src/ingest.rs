//! The one ingest path: every object that enters the node (TAXII POST, `entente import`,
//! `entente pull`, federation) is stored through [`add_objects`], which records its sharing
//! facts (originator, the channel it came through, its markings) in the same transaction and
//! then hands the newly added versions to correlation.

use entente_stix::Object;
use entente_store::{AddOutcome, CollectionId, SharedStore};

use crate::policy::{ChannelId, OrgId};

/// Where objects come from.
#[derive(Clone, Debug)]
pub struct Provenance {
    /// The organisation that originated them.
    pub originator: OrgId,
    /// The channel they arrive through (the channel of the collection they are stored in);
    /// `None` for a private collection.
    pub received_through: Option<ChannelId>,
}

/// Stores `objects` in `collection` (one durable transaction, as
/// [`entente_store::Store::add_objects`]) with their sharing facts, and then indexes the
/// versions that were added for correlation. The outcomes are those of the store, in input
/// order.
pub async fn add_objects(
    store: &SharedStore,
    collection: &CollectionId,
    objects: Vec<Object>,
    provenance: &Provenance,
) -> Result<Vec<AddOutcome>, entente_store::Error> {
    let sharing = crate::sharing::facts_at_ingest(
        &objects,
        &provenance.originator,
        provenance.received_through.as_ref(),
    );
    let kept = objects.clone();
    let outcomes = store.add_objects_with(collection, objects, sharing).await?;
    crate::correlation::index_added(store, collection, &kept, &outcomes).await?;
    Ok(outcomes)
}

/// As [`add_objects`], with the sharing facts already decided per object (the TAXII write
/// path, where a copy of another organisation's object keeps that originator).
pub async fn add_objects_with(
    store: &SharedStore,
    collection: &CollectionId,
    objects: Vec<Object>,
    sharing: Vec<entente_store::ObjectSharing>,
) -> Result<Vec<AddOutcome>, entente_store::Error> {
    let kept = objects.clone();
    let outcomes = store.add_objects_with(collection, objects, sharing).await?;
    crate::correlation::index_added(store, collection, &kept, &outcomes).await?;
    Ok(outcomes)
}
