//! Correlation (issue 5): the ingest hook that indexes observables and records the hits new
//! data makes, and the API listing hits through the access check.
//!
//! **Where the index lives.** One [`entente_correlate::Engine`] per store, in a process-wide
//! registry keyed by the store (`Arc` identity, held weakly so a dropped store frees its
//! index). It is built lazily: the first ingest (or listing-independent command such as
//! `entente hits rebuild`) reads the correlation settings and every stored object version,
//! indexes them without looking for hits (those were recorded when the data arrived), and
//! then checks the new batch. Rebuilding at start rather than persisting the index keeps one
//! source of truth (the object versions) and costs one scan (see BENCHMARKS.md); the rejected
//! alternative, a postings table, would double the writes of every ingest. Several processes
//! over one PostgreSQL each keep their own index and see the others' objects only from their
//! next rebuild (`entente hits rebuild`, or a restart).
//!
//! **Never blocks ingest.** The objects are already stored when the hook runs; if recording
//! the hits fails it is logged (an operator can `entente hits rebuild`) and the ingest still
//! succeeds, because failing it would make the client resend data that is stored.
//!
//! **Visibility (DESIGN.md invariant 1, one gate).** A hit links two object versions. Each
//! listed hit goes through [`hit_visibility`], the one function deciding what a principal
//! learns of it, which asks [`access::check`] about each side: read both sides and the hit is
//! shown in full; read one side only and it is `hit-only` (your side, and the organisations to
//! contact: never the other side's id, value, kind, rule or text); read neither and it is not
//! there at all (it is not counted, and paging tokens are sealed so they carry no count).
//! Every request must declare its purpose (`Entente-Purpose`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use entente_correlate::{Engine, Settings};
use entente_stix::{Object, Timestamp};
use entente_store::{
    AddOutcome, Collection, CollectionId, CorrelationHit, HitSide, ObjectFilter, Permission,
    SharedStore, Store,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::{self, Action, Decision, Resource};
use crate::audit::Outcome;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::taxii::paging;

// ---------------------------------------------------------------------------------------------
// The index registry
// ---------------------------------------------------------------------------------------------

type Cell = Arc<tokio::sync::Mutex<Option<Engine>>>;

/// The correlation work of a store's writes still running after the writes were acknowledged
/// (see [`index_added_later`]). Cloning it shares the same state.
#[derive(Clone)]
struct Pending {
    /// Each running correlation holds a read guard; a hits listing takes the write guard once,
    /// so that it starts after all of them ([`settled`]).
    running: Arc<tokio::sync::RwLock<()>>,
    /// At most [`PENDING_WRITES`] at a time: a write beyond them waits for a slot before it
    /// is answered, so that correlation falling behind slows the writers down rather than
    /// piling up their objects in memory.
    slots: Arc<tokio::sync::Semaphore>,
}

/// Writes whose correlation may run after their answer at one time.
const PENDING_WRITES: usize = 8;

/// A store (held weakly), its engine cell and its pending correlation work.
type Entry = (Weak<dyn Store>, Cell, Pending);

static REGISTRY: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The engine cell of `store` (created empty on first use).
fn cell(store: &SharedStore) -> Cell {
    registered(store).0
}

/// The pending correlation work of `store` (see [`Pending`]).
fn pending(store: &SharedStore) -> Pending {
    registered(store).1
}

/// The registry entry of `store`, created on first use.
fn registered(store: &SharedStore) -> (Cell, Pending) {
    let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    reg.retain(|(w, _, _)| w.strong_count() > 0);
    let me = Arc::downgrade(store);
    if let Some((_, c, p)) = reg.iter().find(|(w, _, _)| Weak::ptr_eq(w, &me)) {
        return (c.clone(), p.clone());
    }
    let c: Cell = Arc::new(tokio::sync::Mutex::new(None));
    let p = Pending {
        running: Arc::new(tokio::sync::RwLock::new(())),
        slots: Arc::new(tokio::sync::Semaphore::new(PENDING_WRITES)),
    };
    reg.push((me, c.clone(), p.clone()));
    (c, p)
}

/// Holds `store`'s correlation index as its build after a start does, until the guard drops.
#[cfg(test)]
pub(crate) async fn hold_index(
    store: &SharedStore,
) -> tokio::sync::OwnedMutexGuard<Option<Engine>> {
    cell(store).lock_owned().await
}

/// Waits until the correlation of every write acknowledged before the call is done, its hits
/// recorded (see [`index_added_later`]).
pub async fn settled(store: &SharedStore) {
    drop(pending(store).running.write().await);
}

/// The state of `store`'s correlation index, as `/health` reports it: `ready` (built),
/// `busy` (being built, as after a start, or taking the versions of a write), or `absent` (not
/// built: its build failed, and the next write tries again).
pub fn index_state(store: &SharedStore) -> &'static str {
    match cell(store).try_lock() {
        Ok(engine) if engine.is_some() => "ready",
        Ok(_) => "absent",
        Err(_) => "busy",
    }
}

/// The correlation settings kept by the store (the defaults when never set). Stored settings
/// that no longer parse are reported and replaced by the defaults rather than stopping ingest.
pub async fn settings(store: &SharedStore) -> Result<Settings, entente_store::Error> {
    match store.correlation_settings().await? {
        None => Ok(Settings::default()),
        Some(text) => match serde_json::from_str::<Settings>(&text) {
            Ok(s) if s.validate().is_ok() => Ok(s),
            _ => {
                tracing::error!("stored correlation settings are not valid; using the defaults");
                Ok(Settings::default())
            }
        },
    }
}

/// Validates and stores new settings; the index is rebuilt with them on next use. `Invalid`
/// (and nothing changed) when they are not valid.
pub async fn set_settings(store: &SharedStore, new: &Settings) -> Result<(), entente_store::Error> {
    new.validate().map_err(entente_store::Error::Invalid)?;
    let text =
        serde_json::to_string(new).map_err(|e| entente_store::Error::Invalid(e.to_string()))?;
    store.set_correlation_settings(text).await?;
    *cell(store).lock().await = None;
    Ok(())
}

/// Every collection of the store, with its API root.
async fn all_collections(store: &SharedStore) -> Result<Vec<Collection>, entente_store::Error> {
    let mut out = Vec::new();
    for root in store.api_roots().await? {
        out.extend(store.collections(&root.name).await?);
    }
    Ok(out)
}

/// Every stored version of a collection that the engine reads (see
/// [`entente_correlate::indexed_types`]), in `date_added` order, handed to `f` in the ingest
/// batches they arrived in, as near as the store tells: one `add_objects` call gives its
/// versions consecutive `date_added` values (the store hands out `last + 1` within a batch),
/// so a run of consecutive values is read as one batch (at most [`MAX_RUN`] versions). Objects
/// of one batch never hit each other, and an observed-data takes the SCOs of its batch it
/// refers to, so a rebuild finds the links the arrivals found. Returns the versions read.
async fn for_each_batch(
    store: &SharedStore,
    collection: &CollectionId,
    mut f: impl FnMut(&[(Object, i64)]),
) -> Result<u64, entente_store::Error> {
    // Only the types the engine reads anything from, one query per type merged by
    // `date_added`: each query is a range of the (collection, type, date_added) index, where
    // one query for all the types walks every version of the collection with its text (on
    // ATT&CK-like data, attack patterns and relationships the engine never reads).
    let mut streams: Vec<TypeStream> = entente_correlate::indexed_types()
        .into_iter()
        .map(|t| TypeStream {
            filter: ObjectFilter {
                types: vec![t.to_owned()],
                ..ObjectFilter::every_version(2000)
            },
            buf: std::collections::VecDeque::new(),
            done: false,
        })
        .collect();
    let mut n = 0;
    let mut run: Vec<(Object, i64)> = Vec::new();
    loop {
        for s in streams.iter_mut().filter(|s| s.buf.is_empty() && !s.done) {
            let page = store.objects_page(collection, &s.filter).await?;
            n += page.items.len() as u64;
            s.buf.extend(page.items);
            match (page.more, page.next) {
                (true, Some(next)) => s.filter.after = Some(next),
                _ => s.done = true,
            }
        }
        let Some(next) = streams
            .iter_mut()
            .filter(|s| !s.buf.is_empty())
            .min_by_key(|s| s.buf[0].date_added.0)
        else {
            break;
        };
        let s = next.buf.pop_front().expect("not empty");
        let d = s.date_added.0;
        if run
            .last()
            .is_some_and(|(_, last)| d != last + 1 || run.len() >= MAX_RUN)
        {
            f(&run);
            run.clear();
        }
        run.push((s.object, d));
    }
    if !run.is_empty() {
        f(&run);
    }
    Ok(n)
}

/// One type's versions, a page at a time.
struct TypeStream {
    filter: ObjectFilter,
    buf: std::collections::VecDeque<entente_store::StoredObject>,
    done: bool,
}

/// Every stored version of the [`entente_correlate::ref_types`] objects of a collection, as
/// (id, version, date_added), from the manifest: the engine needs no more of them, and not
/// reading their text (long descriptions, in ATT&CK) is most of what a rebuild saves.
async fn for_each_ref(
    store: &SharedStore,
    collection: &CollectionId,
    mut f: impl FnMut(&str, &str, i64),
) -> Result<u64, entente_store::Error> {
    let mut n = 0;
    // One query per type: each is a range of the (collection, type, date_added) index.
    for t in entente_correlate::ref_types() {
        let mut filter = ObjectFilter {
            types: vec![t.to_owned()],
            ..ObjectFilter::every_version(5000)
        };
        loop {
            let page = store.manifest_page(collection, &filter).await?;
            n += page.items.len() as u64;
            for m in &page.items {
                f(&m.id, &m.version, m.date_added.0);
            }
            match (page.more, page.next) {
                (true, Some(next)) => filter.after = Some(next),
                _ => break,
            }
        }
    }
    Ok(n)
}

/// The largest batch a rebuild reads as one (the import batch size).
const MAX_RUN: usize = 10_000;

/// Builds the engine from the stored versions, leaving out those `skip` names (by collection
/// and `date_added`: the versions being ingested right now, which their ingest then checks
/// as new).
async fn build(
    store: &SharedStore,
    skip: impl Fn(&CollectionId, i64) -> bool,
) -> Result<Engine, entente_store::Error> {
    let settings = settings(store).await?;
    let mut engine = Engine::new(settings).map_err(entente_store::Error::Invalid)?;
    if !engine.settings().enabled {
        return Ok(engine);
    }
    let started = Instant::now();
    let mut versions = 0;
    for c in all_collections(store).await? {
        versions += for_each_ref(store, &c.id, |id, version, d| {
            if !skip(&c.id, d) {
                engine.ingest_ref(&c.id.0, id, version, false);
            }
        })
        .await?;
        versions += for_each_batch(store, &c.id, |run| {
            let objects = run.iter().filter(|(_, d)| !skip(&c.id, *d)).map(|(o, _)| o);
            engine.load(&c.id.0, objects);
        })
        .await?;
    }
    let stats = engine.stats();
    tracing::info!(
        versions,
        indexed = stats.objects,
        values = stats.values,
        ms = started.elapsed().as_millis() as u64,
        "correlation index built"
    );
    Ok(engine)
}

fn to_stored(h: entente_correlate::Hit, found: i64) -> CorrelationHit {
    let side = |s: entente_correlate::Side| HitSide {
        collection: CollectionId(s.collection),
        id: s.id,
        version: s.version,
    };
    CorrelationHit {
        seq: 0,
        found,
        rule: h.rule.as_str().to_owned(),
        kind: h.kind,
        value: h.value,
        a: side(h.new),
        b: side(h.old),
    }
}

/// Builds the index in the background when a node starts, so that the first ingest does not
/// wait for it inside its request. The index is taken before this returns: an ingest that
/// arrives meanwhile waits for the build, which leaves out the versions stored after it began
/// (their own ingest checks them as new).
pub async fn warm(store: &SharedStore) -> tokio::task::JoinHandle<()> {
    let mut guard = cell(store).lock_owned().await;
    let store = store.clone();
    let began = crate::audit::now_micros();
    tokio::spawn(async move {
        if guard.is_none() {
            match build(&store, |_, d| d > began).await {
                Ok(engine) => *guard = Some(engine),
                // The next ingest tries again.
                Err(e) => tracing::warn!(error = %e, "building the correlation index failed"),
            }
        }
    })
}

/// Indexes the observables of the versions just added to `collection` (`objects[i]` has
/// outcome `outcomes[i]`; duplicates are skipped) and records the hits they make.
pub async fn index_added(
    store: &SharedStore,
    collection: &CollectionId,
    objects: &[Object],
    outcomes: &[AddOutcome],
) -> Result<(), entente_store::Error> {
    let hits = find_hits(store, collection, objects, outcomes).await?;
    record_hits(store, hits).await;
    Ok(())
}

/// As [`index_added`], but done by a task of its own: the caller acknowledges the write
/// without waiting for its correlation. Hits listings wait for it ([`settled`]), so a client
/// that lists hits after its write was acknowledged sees the write's hits. A failure is logged:
/// the objects are stored, and `entente hits rebuild` finds their hits again.
pub async fn index_added_later(
    store: &SharedStore,
    collection: &CollectionId,
    objects: Vec<Object>,
    outcomes: Vec<AddOutcome>,
) {
    let (s, c) = (store.clone(), collection.clone());
    run_later(store, collection, async move {
        index_added(&s, &c, &objects, &outcomes).await
    })
    .await;
}

/// Runs `work`, the correlation of versions stored in `collection` whose writer does not wait
/// for it, by a task of its own. It counts as pending correlation from the call on: hits
/// listings wait for it ([`settled`]), and it holds one of the [`PENDING_WRITES`] slots (the
/// call waits for one when all are taken). A failure is logged: the objects are stored, and
/// `entente hits rebuild` finds their hits again.
pub(crate) async fn run_later<F>(store: &SharedStore, collection: &CollectionId, work: F)
where
    F: std::future::Future<Output = Result<(), entente_store::Error>> + Send + 'static,
{
    // Taken before the caller answers: a listing that follows the answer waits for this
    // correlation, and a write finding every slot taken waits for one.
    let pending = pending(store);
    let slot = pending.slots.clone().acquire_owned().await;
    let guard = pending.running.clone().read_owned().await;
    let collection = collection.clone();
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(
                error = %e,
                collection = %collection,
                "correlating stored objects failed; run `entente hits rebuild`"
            );
        }
        drop(guard);
        drop(slot);
    });
}

/// Indexes the versions just added to `collection` and returns the hits they make (the first
/// half of [`index_added`]).
async fn find_hits(
    store: &SharedStore,
    collection: &CollectionId,
    objects: &[Object],
    outcomes: &[AddOutcome],
) -> Result<Vec<CorrelationHit>, entente_store::Error> {
    let added: Vec<(&Object, i64)> = objects
        .iter()
        .zip(outcomes)
        .filter_map(|(o, out)| match out {
            AddOutcome::Added { date_added } => Some((o, date_added.0)),
            _ => None,
        })
        .collect();
    if added.is_empty() {
        return Ok(Vec::new());
    }
    let cell = cell(store);
    let hits = {
        let mut guard = cell.lock().await;
        if guard.is_none() {
            let dates: HashSet<i64> = added.iter().map(|(_, d)| *d).collect();
            *guard = Some(build(store, |c, d| c == collection && dates.contains(&d)).await?);
        }
        let engine = guard.as_mut().expect("built above");
        if !engine.settings().enabled {
            return Ok(Vec::new());
        }
        let before = engine.capped_count();
        let hits = engine.ingest(&collection.0, added.iter().map(|(o, _)| *o));
        let capped = engine.capped_count();
        if capped > before {
            // The values are intelligence: they are listed by `entente hits capped`, not logged.
            tracing::warn!(
                newly_capped = capped - before,
                cap = engine.settings().cap,
                "values reached the correlation cap and stopped correlating"
            );
        }
        hits
    };
    let found = crate::audit::now_micros();
    Ok(hits.into_iter().map(|h| to_stored(h, found)).collect())
}

/// Records hits found by [`find_hits`] in one transaction. A failure is logged, never returned:
/// the objects are stored, and `entente hits rebuild` finds their hits again.
async fn record_hits(store: &SharedStore, hits: Vec<CorrelationHit>) {
    if hits.is_empty() {
        return;
    }
    let n = hits.len();
    if let Err(e) = store.add_hits(hits).await {
        tracing::error!(error = %e, hits = n, "recording correlation hits failed; run `entente hits rebuild`");
    }
}

/// What [`rebuild`] did.
#[derive(Clone, Debug, Serialize)]
pub struct RebuildReport {
    /// Stored versions read.
    pub versions: u64,
    /// Hits removed before the rebuild.
    pub removed: u64,
    /// Hits recorded.
    pub hits: u64,
    /// The size of the new index.
    pub index: entente_correlate::Stats,
    /// Milliseconds taken.
    pub millis: u64,
}

/// Rebuilds the index from every stored version and records the hits again (after removing
/// the old ones): collections in order, each page checked against everything before it.
/// Used after changing the settings or to recover from a failure to record hits.
pub async fn rebuild(store: &SharedStore) -> Result<RebuildReport, entente_store::Error> {
    let cell = cell(store);
    let mut guard = cell.lock().await;
    let started = Instant::now();
    let settings = settings(store).await?;
    let mut engine = Engine::new(settings).map_err(entente_store::Error::Invalid)?;
    let removed = store.clear_hits().await?;
    let (mut versions, mut hits) = (0, 0);
    if engine.settings().enabled {
        let collections = all_collections(store).await?;
        // Objects known by id alone first, so that the sightings read after them find them.
        for c in &collections {
            let mut found = Vec::new();
            versions += for_each_ref(store, &c.id, |id, version, _| {
                found.extend(engine.ingest_ref(&c.id.0, id, version, true));
            })
            .await?;
            let now = crate::audit::now_micros();
            for chunk in found.chunks(5000) {
                hits += store
                    .add_hits(chunk.iter().cloned().map(|h| to_stored(h, now)).collect())
                    .await?;
            }
        }
        for c in &collections {
            let mut found = Vec::new();
            versions += for_each_batch(store, &c.id, |run| {
                found.extend(engine.ingest(&c.id.0, run.iter().map(|(o, _)| o)));
            })
            .await?;
            let now = crate::audit::now_micros();
            for chunk in found.chunks(5000) {
                hits += store
                    .add_hits(chunk.iter().cloned().map(|h| to_stored(h, now)).collect())
                    .await?;
            }
        }
    }
    let index = engine.stats();
    *guard = Some(engine);
    Ok(RebuildReport {
        versions,
        removed,
        hits,
        index,
        millis: started.elapsed().as_millis() as u64,
    })
}

/// The values over the cap with how many versions hold each (building the index if needed).
pub async fn capped(store: &SharedStore) -> Result<Vec<(String, u64)>, entente_store::Error> {
    let cell = cell(store);
    let mut guard = cell.lock().await;
    if guard.is_none() {
        *guard = Some(build(store, |_, _| false).await?);
    }
    Ok(guard
        .as_ref()
        .expect("built above")
        .capped()
        .into_iter()
        .map(|(o, n)| (o.to_string(), n))
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------------

/// What a principal may learn of one hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Both sides: the hit in full.
    Both,
    /// Only side `a`: that a match exists, and whom to contact about `b`.
    HitOnlyA,
    /// Only side `b`: that a match exists, and whom to contact about `a`.
    HitOnlyB,
    /// Nothing: the hit is not shown, not counted.
    Nothing,
}

/// The facts about one side of a hit the decision needs.
pub struct SideFacts<'a> {
    /// The collection holding the side (`None` when it no longer exists).
    pub collection: Option<&'a Collection>,
    /// The principal's permission on it.
    pub permission: Option<&'a Permission>,
    /// The sharing rules of the request on that collection.
    pub gate: &'a access::Gate,
    /// The sharing facts of the version (`None` when it no longer exists).
    pub sharing: Option<&'a entente_store::ObjectSharing>,
}

/// **The one decision** on what `principal` learns of a hit between sides `a` and `b`: each
/// side is asked of the access check ([`access::check_shared`]: the permission, then the
/// collection-level sharing rules, for reading the collection that holds it) and of the gate
/// for the version itself (its markings). A side that is not readable is disclosed as
/// `hit-only` unless the policy keeps even its existence from the principal (TLP:RED not
/// naming it, where the policy's `CorrelationHit` decision gives no `hit-only`).
pub fn hit_visibility(principal: &Principal, a: &SideFacts<'_>, b: &SideFacts<'_>) -> Visibility {
    // Readable: the collection (permission and collection-level rules) and the version itself
    // (its markings: a TLP:RED version that does not name the principal is not readable).
    let readable = |s: &SideFacts<'_>| match (s.collection, s.sharing) {
        (Some(collection), Some(sharing)) => {
            matches!(
                access::check_shared(
                    principal,
                    Action::Read,
                    &Resource::Collection {
                        collection,
                        permission: s.permission,
                    },
                    s.gate,
                ),
                Decision::Allow
            ) && s
                .gate
                .decide(access::ObjectAction::Read, &s.gate.facts(sharing, &[]))
                .is_allow()
        }
        _ => false,
    };
    // The existence of a version the principal may not read is disclosed (hit-only) unless
    // the policy keeps even that from it: TLP:RED is for its named recipients alone.
    let disclosable = |s: &SideFacts<'_>| match s.sharing {
        Some(sharing) => {
            let facts = s.gate.facts(sharing, &[]);
            let channels = s.gate.partner_channels();
            let d = s.gate.decide_action(
                &crate::policy::Action::CorrelationHit {
                    partner_channels: &channels,
                },
                &facts,
            );
            matches!(d, crate::policy::Decision::HitOnly { .. })
                || facts.tlp != Some(crate::policy::Tlp::Red)
        }
        None => false,
    };
    match (readable(a), readable(b)) {
        (true, true) => Visibility::Both,
        (true, false) if disclosable(b) => Visibility::HitOnlyA,
        (false, true) if disclosable(a) => Visibility::HitOnlyB,
        _ => Visibility::Nothing,
    }
}

/// The facts of one request: the collections, the principal's permissions and the sharing
/// rules on each, looked up once.
struct Facts<'a> {
    state: &'a AppState,
    principal: &'a Principal,
    collections: HashMap<String, Collection>,
    permissions: HashMap<String, Option<Permission>>,
    gates: HashMap<String, access::Gate>,
    snapshot: Arc<crate::sharing::Snapshot>,
    contacts: HashMap<HitSide, Vec<String>>,
    sharings: HashMap<HitSide, Option<entente_store::ObjectSharing>>,
}

impl<'a> Facts<'a> {
    async fn new(state: &'a AppState, principal: &'a Principal) -> Result<Facts<'a>, ApiError> {
        let collections = all_collections(&state.store)
            .await?
            .into_iter()
            .map(|c| (c.id.0.clone(), c))
            .collect();
        Ok(Facts {
            state,
            principal,
            collections,
            permissions: HashMap::new(),
            gates: HashMap::new(),
            snapshot: state.sharing.get(&state.store).await?,
            contacts: HashMap::new(),
            sharings: HashMap::new(),
        })
    }

    fn gate(&mut self, collection: &str) -> &access::Gate {
        self.gates.entry(collection.to_owned()).or_insert_with(|| {
            access::Gate::new(
                self.principal,
                &CollectionId(collection.to_owned()),
                self.snapshot.clone(),
            )
        })
    }

    /// Whether the principal may read the collection (permission and sharing rules).
    async fn readable(&mut self, collection: &str) -> Result<bool, ApiError> {
        let p = self.permission(collection).await?;
        self.gate(collection);
        let Some(c) = self.collections.get(collection) else {
            return Ok(false);
        };
        Ok(access::check_shared(
            self.principal,
            Action::Read,
            &Resource::Collection {
                collection: c,
                permission: p.as_ref(),
            },
            &self.gates[collection],
        )
        .is_allow())
    }

    async fn permission(&mut self, collection: &str) -> Result<Option<Permission>, ApiError> {
        if let Some(p) = self.permissions.get(collection) {
            return Ok(p.clone());
        }
        let p = match self
            .state
            .store
            .permission(&self.principal.user, &CollectionId(collection.to_owned()))
            .await
        {
            Ok(p) => Some(p),
            Err(entente_store::Error::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        self.permissions.insert(collection.to_owned(), p.clone());
        Ok(p)
    }

    async fn visibility(&mut self, h: &CorrelationHit) -> Result<Visibility, ApiError> {
        let pa = self.permission(&h.a.collection.0).await?;
        let pb = self.permission(&h.b.collection.0).await?;
        let sa = self.sharing(&h.a).await?;
        let sb = self.sharing(&h.b).await?;
        self.gate(&h.a.collection.0);
        self.gate(&h.b.collection.0);
        let a = SideFacts {
            collection: self.collections.get(&h.a.collection.0),
            permission: pa.as_ref(),
            gate: &self.gates[&h.a.collection.0],
            sharing: sa.as_ref(),
        };
        let b = SideFacts {
            collection: self.collections.get(&h.b.collection.0),
            permission: pb.as_ref(),
            gate: &self.gates[&h.b.collection.0],
            sharing: sb.as_ref(),
        };
        Ok(hit_visibility(self.principal, &a, &b))
    }

    /// The sharing facts of the version a side names (`None` when it no longer exists).
    async fn sharing(
        &mut self,
        side: &HitSide,
    ) -> Result<Option<entente_store::ObjectSharing>, ApiError> {
        if let Some(s) = self.sharings.get(side) {
            return Ok(s.clone());
        }
        let filter = ObjectFilter {
            ids: vec![side.id.clone()],
            ..ObjectFilter::every_version(1000)
        };
        let found = match self
            .state
            .store
            .objects_page(&side.collection, &filter)
            .await
        {
            Ok(page) => page
                .items
                .into_iter()
                .find(|s| s.object.version().map(|t| t.as_str()).unwrap_or("") == side.version)
                .map(|s| s.sharing),
            Err(entente_store::Error::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        self.sharings.insert(side.clone(), found.clone());
        Ok(found)
    }

    /// Whom to contact about a side the principal may not read: the originating organisation
    /// of that version (its sharing facts, recorded at ingest); for a version stored without
    /// provenance, the organisations of the users who may write to the collection holding it.
    async fn contact(&mut self, side: &HitSide) -> Result<Vec<String>, ApiError> {
        if let Some(c) = self.contacts.get(side) {
            return Ok(c.clone());
        }
        let originator = self.sharing(side).await?.and_then(|s| s.originator);
        if let Some(org) = originator {
            self.contacts.insert(side.clone(), vec![org.clone()]);
            return Ok(vec![org]);
        }
        let mut orgs = Vec::new();
        let id = side.collection.clone();
        for u in self.state.store.users().await? {
            match self.state.store.permission(&u.name, &id).await {
                Ok(p) if p.can_write => orgs.push(u.organisation),
                Ok(_) | Err(entente_store::Error::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        orgs.sort();
        orgs.dedup();
        self.contacts.insert(side.clone(), orgs.clone());
        Ok(orgs)
    }
}

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

/// One side as shown.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SideView {
    /// Collection id.
    pub collection: String,
    /// STIX id.
    pub id: String,
    /// Version.
    pub version: String,
}

impl From<&HitSide> for SideView {
    fn from(s: &HitSide) -> SideView {
        SideView {
            collection: s.collection.0.clone(),
            id: s.id.clone(),
            version: s.version.clone(),
        }
    }
}

/// One hit as shown to a principal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "visibility")]
pub enum HitView {
    /// Both sides may be read.
    #[serde(rename = "full")]
    Full {
        /// When the hit was found (RFC 3339).
        found: String,
        /// `value` or `pattern`.
        rule: String,
        /// The kind of the shared value, or `pattern`.
        kind: String,
        /// The shared value (empty for a pattern hit).
        value: String,
        /// The two sides.
        sides: [SideView; 2],
    },
    /// Only one side may be read: that a match exists, and whom to contact.
    #[serde(rename = "hit-only")]
    HitOnly {
        /// When the hit was found (RFC 3339).
        found: String,
        /// The principal's own side.
        yours: SideView,
        /// The organisations to contact about the other side.
        contact: Vec<String>,
    },
}

/// A page of hits.
#[derive(Debug, Serialize)]
pub struct HitsPage {
    /// The hits, oldest first.
    pub hits: Vec<HitView>,
    /// Pass as `next` for the following page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Query parameters of the listings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HitsQuery {
    /// Only hits found at or after this time (RFC 3339).
    pub since: Option<String>,
    /// At most this many hits (1 to 1000; 100 when absent).
    pub limit: Option<usize>,
    /// The `next` token of the previous page.
    pub next: Option<String>,
}

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// Which listing a request is.
enum Listing {
    Object(String),
    Collection(CollectionId),
    Since,
}

fn found_text(micros: i64) -> String {
    Timestamp::from_unix_micros(micros).as_str().to_owned()
}

async fn list(
    state: &AppState,
    principal: &Principal,
    listing: Listing,
    q: HitsQuery,
) -> Result<Json<HitsPage>, ApiError> {
    if principal.purpose.is_none() {
        return Err(ApiError::BadRequest(format!(
            "correlation requests must declare their purpose in the {} header",
            crate::auth::PURPOSE_HEADER
        )));
    }
    settled(&state.store).await;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let since = match &q.since {
        Some(s) => s
            .parse::<Timestamp>()
            .map_err(|_| ApiError::BadRequest("since must be an RFC 3339 timestamp".into()))?
            .unix_micros(),
        None if matches!(listing, Listing::Since) => {
            return Err(ApiError::BadRequest("since is required".into()));
        }
        None => i64::MIN,
    };
    let (endpoint, target) = match &listing {
        Listing::Object(id) => ("correlation-object", id.clone()),
        Listing::Collection(c) => ("correlation-collection", c.0.clone()),
        Listing::Since => ("correlation-since", String::new()),
    };
    let binding_query = entente_taxii::ObjectQuery {
        added_after: q.since.as_ref().and_then(|s| s.parse().ok()),
        ..entente_taxii::ObjectQuery::default()
    };
    let binding = paging::Binding::new(
        &state.paging_key,
        endpoint,
        "",
        &target,
        "",
        &principal.user,
        &binding_query,
    );
    let mut after = match &q.next {
        Some(t) => paging::open(t, &binding)?.0,
        None => 0,
    };
    let mut gate = Facts::new(state, principal).await?;
    if let Listing::Collection(c) = &listing {
        // The collection itself must be readable: otherwise it answers as if it did not exist.
        if !gate.readable(&c.0).await? {
            // Invariant 4: the refusal leaves a trace before it is answered.
            audit_listing(
                state,
                principal,
                endpoint,
                &target,
                Outcome::Deny,
                "reason=not-readable",
            )
            .await?;
            return Err(ApiError::NotFound("no such collection".into()));
        }
    }
    let store = &state.store;
    let mut out: Vec<HitView> = Vec::new();
    let mut shown: HashSet<HitView> = HashSet::new();
    let mut more = false;
    'scan: loop {
        let batch = 500;
        let rows = match &listing {
            Listing::Object(id) => store.hits_for_object(id, after, batch).await?,
            Listing::Collection(c) => store.hits_for_collection(c, after, batch).await?,
            Listing::Since => store.hits_since(since, after, batch).await?,
        };
        let exhausted = rows.len() < batch;
        for h in rows {
            if h.found < since {
                after = h.seq;
                continue;
            }
            let vis = gate.visibility(&h).await?;
            // The side the listing is about must be one the principal reads.
            let wanted = |s: &HitSide| match &listing {
                Listing::Object(id) => s.id == *id,
                Listing::Collection(c) => s.collection == *c,
                Listing::Since => true,
            };
            let view = match vis {
                Visibility::Both if wanted(&h.a) || wanted(&h.b) => HitView::Full {
                    found: found_text(h.found),
                    rule: h.rule.clone(),
                    kind: h.kind.clone(),
                    value: h.value.clone(),
                    sides: [SideView::from(&h.a), SideView::from(&h.b)],
                },
                Visibility::HitOnlyA if wanted(&h.a) => HitView::HitOnly {
                    found: found_text(h.found),
                    yours: SideView::from(&h.a),
                    contact: gate.contact(&h.b).await?,
                },
                Visibility::HitOnlyB if wanted(&h.b) => HitView::HitOnly {
                    found: found_text(h.found),
                    yours: SideView::from(&h.b),
                    contact: gate.contact(&h.a).await?,
                },
                _ => {
                    after = h.seq;
                    continue;
                }
            };
            // Several hidden versions matching one of yours show as one entry (the first
            // found): the number of the other party's objects is not disclosed.
            let key = match &view {
                HitView::HitOnly { yours, contact, .. } => HitView::HitOnly {
                    found: String::new(),
                    yours: yours.clone(),
                    contact: contact.clone(),
                },
                full => full.clone(),
            };
            if shown.contains(&key) {
                after = h.seq;
                continue;
            }
            if out.len() == limit {
                // Another visible entry exists: only then is there a next page (invisible
                // hits never make one appear). It is the first of the next page.
                more = true;
                break 'scan;
            }
            after = h.seq;
            shown.insert(key);
            out.push(view);
        }
        if exhausted {
            break;
        }
    }
    let next = more.then(|| paging::seal(entente_store::DateAdded(after), &binding));
    let full = out
        .iter()
        .filter(|h| matches!(h, HitView::Full { .. }))
        .count();
    let hit_only = out.len() - full;
    let outcome = if hit_only > 0 {
        Outcome::HitOnly
    } else {
        Outcome::Allow
    };
    audit_listing(
        state,
        principal,
        endpoint,
        &target,
        outcome,
        &format!("full={full} hit-only={hit_only}"),
    )
    .await?;
    Ok(Json(HitsPage { hits: out, next }))
}

/// Records a listing of hits (DESIGN.md invariant 4): who, for which purpose, what was asked,
/// and how many hits were shown in full and as hit-only (never which).
async fn audit_listing(
    state: &AppState,
    principal: &Principal,
    endpoint: &str,
    target: &str,
    outcome: Outcome,
    detail: &str,
) -> Result<(), ApiError> {
    let mut r = crate::audit::record(
        &principal.user,
        &principal.organisation,
        endpoint,
        if target.is_empty() { "-" } else { target },
        outcome,
        "hit-visibility",
        detail,
    );
    r.purpose = principal.purpose.clone();
    // Like served TAXII reads, a listing does not wait for the disk (see `audit::Journal`).
    state.journal.submit(r)?;
    Ok(())
}

/// GET /correlation/v1/objects/{id}/hits: the hits of one object (any of its versions).
pub async fn object_hits(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HitsQuery>,
) -> Result<Json<HitsPage>, ApiError> {
    let id = crate::taxii::object_id(&id)?;
    list(&state, &principal, Listing::Object(id), q).await
}

/// GET /correlation/v1/collections/{id}/hits: the hits with a side in one collection.
pub async fn collection_hits(
    principal: Principal,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<HitsQuery>,
) -> Result<Json<HitsPage>, ApiError> {
    list(&state, &principal, Listing::Collection(CollectionId(id)), q).await
}

/// GET /correlation/v1/hits?since=T: the hits found at or after a time.
pub async fn hits_since(
    principal: Principal,
    State(state): State<AppState>,
    Query(q): Query<HitsQuery>,
) -> Result<Json<HitsPage>, ApiError> {
    list(&state, &principal, Listing::Since, q).await
}

/// The correlation routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/correlation/v1/objects/{id}/hits", get(object_hits))
        .route(
            "/correlation/v1/collections/{id}/hits",
            get(collection_hits),
        )
        .route("/correlation/v1/hits", get(hits_since))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three states `/health` reports: not built, busy (the index is held, as while it is
    /// built), built.
    #[tokio::test]
    async fn index_states() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("e.db").display());
        let store = entente_store::open(&url).await.unwrap();
        assert_eq!(index_state(&store), "absent");
        let held = cell(&store);
        let mut guard = held.lock().await;
        assert_eq!(index_state(&store), "busy");
        *guard = Some(build(&store, |_, _| false).await.unwrap());
        drop(guard);
        assert_eq!(index_state(&store), "ready");
    }

    /// Correlation after the answer is bounded: while the index is held (correlation cannot
    /// run), [`PENDING_WRITES`] writes are handed over at once, the next one waits for a slot,
    /// and a listing waits for all of them; once the index is free, everything completes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn correlation_after_the_answer_is_bounded() {
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("e.db").display());
        let store = entente_store::open(&url).await.unwrap();
        let coll = CollectionId("c".into());
        let object = || -> Object {
            let text = r#"{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[domain-name:value = 'c2.example.net']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}"#;
            Object::from_json(text).unwrap()
        };
        let added = || {
            vec![AddOutcome::Added {
                date_added: entente_store::DateAdded(1),
            }]
        };
        let held = cell(&store);
        let guard = held.lock().await;
        for _ in 0..PENDING_WRITES {
            tokio::time::timeout(
                Duration::from_secs(5),
                index_added_later(&store, &coll, vec![object()], added()),
            )
            .await
            .expect("a free slot is taken at once");
        }
        let next = tokio::spawn({
            let store = store.clone();
            let coll = coll.clone();
            async move { index_added_later(&store, &coll, vec![object()], added()).await }
        });
        let listing = tokio::spawn({
            let store = store.clone();
            async move { settled(&store).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!next.is_finished(), "a write beyond the slots waits");
        assert!(
            !listing.is_finished(),
            "a listing waits for pending correlation"
        );
        drop(guard);
        tokio::time::timeout(Duration::from_secs(10), next)
            .await
            .expect("the waiting write gets a slot")
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), listing)
            .await
            .expect("the listing proceeds")
            .unwrap();
        tokio::time::timeout(Duration::from_secs(10), settled(&store))
            .await
            .expect("everything settles");
    }
}
