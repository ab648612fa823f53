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

/// As [`add_objects_with`], storing in the same transaction the status resource `make` builds
/// from the outcomes (the TAXII POST path; see [`entente_store::Store::add_objects_with_status`]).
/// Returns once the objects are stored: their correlation runs beside the answer
/// ([`crate::correlation::index_added_later`]).
pub async fn add_objects_with_status(
    store: &SharedStore,
    collection: &CollectionId,
    objects: Vec<Object>,
    sharing: Vec<entente_store::ObjectSharing>,
    make: entente_store::MakeStatus,
) -> Result<(Vec<AddOutcome>, entente_store::Status), entente_store::Error> {
    let kept = objects.clone();
    let (outcomes, status) = store
        .add_objects_with_status(collection, objects, sharing, make)
        .await?;
    // The answer does not wait for correlation (its hits are listed once it is done).
    crate::correlation::index_added_later(store, collection, kept, outcomes.clone()).await;
    Ok((outcomes, status))
}

/// Stored objects that may wait for the correlation worker, or be correlated by it, before the
/// next batch waits for it (a larger batch counts as this many). The worker takes every batch
/// waiting together, so this also bounds what it correlates at once.
const QUEUED_OBJECTS: usize = 4_000;

/// A stored batch queued for correlation, holding its share of [`QUEUED_OBJECTS`] until it is
/// correlated.
type Queued = (
    Vec<Object>,
    Vec<AddOutcome>,
    tokio::sync::OwnedSemaphorePermit,
);

/// The ingest path for a stream of batches into one collection (a federation pull, an
/// import): each batch is stored durably as [`add_objects_with`] does, and its correlation is
/// handed to a worker that indexes the batches in order while the next ones are stored. The
/// caller awaits [`Deferred::finish`] at the end, so that when a stream is reported done its
/// hits are recorded too, or [`Deferred::finish_later`], so that the hits are recorded
/// beside what it does next; dropped without either (an error elsewhere), the worker still
/// indexes what was queued, then ends.
pub struct Deferred {
    store: SharedStore,
    collection: CollectionId,
    queue: Option<tokio::sync::mpsc::UnboundedSender<Queued>>,
    /// Permits for [`QUEUED_OBJECTS`] objects.
    room: std::sync::Arc<tokio::sync::Semaphore>,
    worker: tokio::task::JoinHandle<Result<(), entente_store::Error>>,
}

impl Deferred {
    /// Starts the correlation worker for `collection`.
    pub fn new(store: &SharedStore, collection: &CollectionId) -> Deferred {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Queued>();
        let (s, c) = (store.clone(), collection.clone());
        let worker = tokio::spawn(async move {
            while let Some((mut objects, mut outcomes, permit)) = rx.recv().await {
                // The batches stored while the last ones were correlated go together: their
                // hits are written in one transaction, so a worker that fell behind catches up
                // with fewer, larger writes. The permits go when they are correlated.
                let mut permits = vec![permit];
                while let Ok((more, more_outcomes, permit)) = rx.try_recv() {
                    objects.extend(more);
                    outcomes.extend(more_outcomes);
                    permits.push(permit);
                }
                crate::correlation::index_added(&s, &c, &objects, &outcomes).await?;
                drop(permits);
            }
            Ok(())
        });
        Deferred {
            store: store.clone(),
            collection: collection.clone(),
            queue: Some(tx),
            room: std::sync::Arc::new(tokio::sync::Semaphore::new(QUEUED_OBJECTS)),
            worker,
        }
    }

    /// Stores a batch with its sharing facts (durable when this returns) and queues its
    /// correlation. The outcomes are those of the store, in input order.
    pub async fn add(
        &mut self,
        objects: Vec<Object>,
        sharing: Vec<entente_store::ObjectSharing>,
    ) -> Result<Vec<AddOutcome>, entente_store::Error> {
        self.add_beside(objects, sharing, None).await
    }

    /// As [`Deferred::add`] for a page pulled from peer `peer`, whose state `update` changes
    /// in the page's transaction (see [`entente_store::FederationStore::add_pulled_page`]).
    pub async fn add_pulled(
        &mut self,
        objects: Vec<Object>,
        sharing: Vec<entente_store::ObjectSharing>,
        peer: &str,
        update: entente_store::PulledPageUpdate,
    ) -> Result<Vec<AddOutcome>, entente_store::Error> {
        self.add_beside(objects, sharing, Some((peer, update)))
            .await
    }

    async fn add_beside(
        &mut self,
        objects: Vec<Object>,
        sharing: Vec<entente_store::ObjectSharing>,
        peer: Option<(&str, entente_store::PulledPageUpdate)>,
    ) -> Result<Vec<AddOutcome>, entente_store::Error> {
        // With correlation off (read from the store for each batch, so that a change made by
        // another process is seen), nothing is kept for the worker. With it on, the store hands
        // the objects back for the worker: no copy of the batch is made.
        let correlate =
            self.queue.is_some() && crate::correlation::settings(&self.store).await?.enabled;
        let (outcomes, kept) = match peer {
            None if !correlate => {
                let outcomes = self
                    .store
                    .add_objects_with(&self.collection, objects, sharing)
                    .await?;
                (outcomes, None)
            }
            None => {
                let (outcomes, objects) = self
                    .store
                    .add_objects_handing_back(&self.collection, objects, sharing)
                    .await?;
                (outcomes, Some(objects))
            }
            Some((name, update)) => {
                let (outcomes, objects) = self
                    .store
                    .add_pulled_page(name, &self.collection, objects, sharing, update)
                    .await?;
                (outcomes, correlate.then_some(objects))
            }
        };
        let queued = match (&self.queue, kept) {
            (Some(q), Some(kept)) => {
                let n = kept.len().clamp(1, QUEUED_OBJECTS) as u32;
                match self.room.clone().acquire_many_owned(n).await {
                    Ok(permit) => q.send((kept, outcomes.clone(), permit)).is_ok(),
                    Err(_) => false,
                }
            }
            (Some(_), None) => true,
            (None, _) => false,
        };
        if !queued {
            // The worker stopped on an error: finish reports it.
            self.queue = None;
        }
        Ok(outcomes)
    }

    /// Waits until every queued batch is indexed.
    pub async fn finish(self) -> Result<(), entente_store::Error> {
        // Closing the queue ends the worker once it has indexed what was queued.
        drop(self.queue);
        self.worker
            .await
            .map_err(|e| entente_store::Error::Backend(Box::new(e)))?
    }

    /// Returns without waiting for the queued batches to be indexed: the worker goes on as
    /// correlation pending in the store (`correlation::run_later`), which hits
    /// listings, and a serving node when it stops, wait for.
    pub async fn finish_later(self) {
        let (store, collection) = (self.store.clone(), self.collection.clone());
        crate::correlation::run_later(&store, &collection, self.finish()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_store::{ApiRoot, Collection};

    const BATCHES: usize = 60;

    /// A fresh SQLite store with two collections: ours, holding an indicator for each domain
    /// `c2-{i}.evil-corp.net`, and theirs, empty.
    async fn store(dir: &std::path::Path) -> (SharedStore, CollectionId) {
        let url = format!("sqlite:{}", dir.join("entente.db").display());
        let store = entente_store::open(&url).await.unwrap();
        store
            .create_api_root(ApiRoot {
                name: "api1".into(),
                title: "t".into(),
                description: None,
                max_content_length: 1 << 20,
            })
            .await
            .unwrap();
        let mut ids = Vec::new();
        for title in ["ours", "theirs"] {
            let id = CollectionId(uuid::Uuid::new_v4().to_string());
            store
                .create_collection(Collection {
                    id: id.clone(),
                    api_root: "api1".into(),
                    title: title.into(),
                    description: None,
                    alias: None,
                    media_types: vec![],
                })
                .await
                .unwrap();
            ids.push(id);
        }
        let indicators = (0..BATCHES)
            .map(|i| {
                Object::from_json(&format!(
                    r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{i:012}","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'c2-{i}.evil-corp.net']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#
                ))
                .unwrap()
            })
            .collect();
        add_objects(&store, &ids[0], indicators, &provenance())
            .await
            .unwrap();
        (store, ids[1].clone())
    }

    fn provenance() -> Provenance {
        Provenance {
            originator: OrgId("org".into()),
            received_through: None,
        }
    }

    /// Batch `i` for theirs: the domain `c2-{i}.evil-corp.net` and one that nothing names.
    fn batch(i: usize) -> Vec<Object> {
        [(i, format!("c2-{i}.evil-corp.net")), (BATCHES + i, format!("x-{i}.evil-corp.net"))]
            .into_iter()
            .map(|(n, value)| {
                Object::from_json(&format!(
                    r#"{{"type":"domain-name","spec_version":"2.1","id":"domain-name--00000000-0000-5000-8000-{n:012}","value":"{value}"}}"#
                ))
                .unwrap()
            })
            .collect()
    }

    /// Every stored hit, by its sides' ids (the smaller first: the stored order also follows
    /// the collections' random ids) and its rule, sorted.
    async fn hits(store: &SharedStore) -> Vec<(String, String, String)> {
        crate::correlation::settled(store).await;
        let mut all: Vec<_> = store
            .hits_since(0, 0, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|h| {
                let mut ids = [h.a.id, h.b.id];
                ids.sort();
                let [a, b] = ids;
                (a, b, h.rule)
            })
            .collect();
        all.sort();
        all
    }

    /// A stream of batches through the correlation worker (which takes the batches waiting
    /// together) records exactly the hits that storing and correlating each batch in turn
    /// records, all of them by `finish`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_worker_records_the_hits_of_every_batch() {
        let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (serial, serial_theirs) = store(one.path()).await;
        for i in 0..BATCHES {
            add_objects(&serial, &serial_theirs, batch(i), &provenance())
                .await
                .unwrap();
        }
        let expected = hits(&serial).await;
        assert_eq!(expected.len(), BATCHES, "{expected:?}");

        let (deferred, deferred_theirs) = store(two.path()).await;
        let mut worker = Deferred::new(&deferred, &deferred_theirs);
        for i in 0..BATCHES {
            let objects = batch(i);
            let sharing = crate::sharing::facts_at_ingest(&objects, &provenance().originator, None);
            let outcomes = worker.add(objects, sharing).await.unwrap();
            assert!(
                outcomes
                    .iter()
                    .all(|o| matches!(o, AddOutcome::Added { .. }))
            );
        }
        worker.finish().await.unwrap();
        assert_eq!(hits(&deferred).await, expected);
    }

    /// A stream finished with [`Deferred::finish_later`] (a scheduled pull) returns while the
    /// correlation index is held, as it is while being built after a start; a hits listing
    /// waits for its correlation, then lists every hit of the stream.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_finished_later_does_not_wait_for_the_index() {
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let (store, theirs) = store(dir.path()).await;
        // The index is built by this first write, so that holding it next is what its build
        // after a start looks like to the stream.
        add_objects(&store, &theirs, batch(0), &provenance())
            .await
            .unwrap();
        assert_eq!(hits(&store).await.len(), 1);
        let held = crate::correlation::hold_index(&store).await;
        let mut worker = Deferred::new(&store, &theirs);
        for i in 1..BATCHES {
            let objects = batch(i);
            let sharing = crate::sharing::facts_at_ingest(&objects, &provenance().originator, None);
            worker.add(objects, sharing).await.unwrap();
        }
        tokio::time::timeout(Duration::from_secs(5), worker.finish_later())
            .await
            .expect("the stream ends without waiting for the index");
        let listing = tokio::spawn({
            let store = store.clone();
            async move { hits(&store).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !listing.is_finished(),
            "a listing waits for the stream's hits"
        );
        drop(held);
        let listed = tokio::time::timeout(Duration::from_secs(10), listing)
            .await
            .expect("the listing proceeds once the index is free")
            .unwrap();
        assert_eq!(listed.len(), BATCHES, "{listed:?}");
    }
}
