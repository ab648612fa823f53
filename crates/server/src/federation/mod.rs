//! Federation (issue 6): exchanging with partner nodes, pull and push, signed and resumable.
//!
//! A **peer** ([`entente_store::Peer`]) is a partner node: its TAXII API root, the organisation
//! behind it, the channel the exchange belongs to, the remote collection to pull from and the
//! local collection (bound to that channel) to pull into, optionally a local collection to push
//! from and the remote collection to push into, and a file holding our bearer token for it.
//!
//! - [`pull`] asks the peer, through the project's TAXII client, for every version added
//!   after the stored cursor; splits each from its signature and verifies it
//!   ([`signing`]): a version signed by a registered key is attributed to that key's
//!   organisation (also when the peer only relays it), anything unsigned (unless the peer is
//!   allowed to send unsigned versions), forged, altered or signed by an unknown key is
//!   refused and audited. Each remaining version is decided by the gate as a write by the
//!   peer's organisation and stored through the one ingest path, with the channel as the way
//!   it came and its signature kept beside it. The cursor moves after each stored page: a pull
//!   stopped at any point resumes from the last stored page, and a version received twice is
//!   one version. Then the peer's deletion log is read ([`deletions`]), and versions the peer
//!   originated and has since deleted are deleted here too.
//! - [`push`] sends the versions of the push collection added after the push cursor that the
//!   gate lets go to the peer's organisation (`FederationTransfer`: the third-party rule, the
//!   channel's agreement, TLP:RED recipients), signed, and moves the cursor after each page
//!   the peer acknowledged.
//! - [`run_scheduler`] syncs every peer at its interval while the node serves; a peer that
//!   fails is retried after a delay that doubles with each consecutive failure (up to
//!   [`MAX_BACKOFF_SECS`]).

use std::time::Duration;

use entente_store::{AddOutcome, CollectionScope, Peer, PeerState, SharedStore};
use entente_taxii::{ObjectQuery, VersionFilter};
use futures::TryStreamExt as _;

use crate::audit::{self, Outcome};
use crate::policy::{ChannelId, OrgId};
pub use claim::WhenBusy;

pub mod claim;
pub mod deletions;
pub mod signing;
pub mod status;
pub mod transport;

/// Objects asked for (and pushed) per page.
pub const PAGE: u64 = 1000;

/// The longest delay between retries of a failing peer.
pub const MAX_BACKOFF_SECS: u64 = 300;

/// What one pull did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Versions stored.
    pub stored: u64,
    /// Versions already held.
    pub duplicates: u64,
    /// Versions refused: invalid STIX, unsigned, bad signatures, denied by the gate.
    pub rejected: u64,
    /// Of `rejected`: refused for their signature (unsigned, unknown key, forged, altered).
    pub bad_signatures: u64,
    /// Pages received.
    pub pages: u64,
    /// Versions deleted here because the peer deleted them.
    pub deleted: u64,
}

/// What one push did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Versions the peer accepted (stored or already held).
    pub sent: u64,
    /// Versions the peer refused.
    pub refused_by_peer: u64,
    /// Versions the gate kept from going.
    pub withheld: u64,
    /// Versions the peer deleted because this node deleted them.
    pub deleted: u64,
}

/// Why a sync could not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// The peer's configuration does not fit the node's sharing configuration.
    #[error("{0}")]
    Configuration(String),
    /// The credential file could not be read.
    #[error("cannot read the token file {path}: {source}")]
    Token {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The peer failed or answered something unusable.
    #[error("the peer failed: {0}")]
    Peer(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] entente_store::Error),
    /// Another run is moving the same side of the peer (see [`claim`]).
    #[error("{0}")]
    Busy(String),
}

impl PullError {
    /// A failure of the peer, with the whole chain of causes (a refused connection, a reset,
    /// a cut body), so that the status says why.
    pub fn peer(e: &(dyn std::error::Error + 'static)) -> PullError {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(cause) = source {
            let c = cause.to_string();
            if !text.contains(&c) {
                text.push_str(": ");
                text.push_str(&c);
            }
            source = cause.source();
        }
        PullError::Peer(text)
    }
}

/// Checks that a peer fits the node's sharing configuration: its organisation is a member of
/// its channel, and the local collection exposes that channel.
pub async fn check_peer(store: &SharedStore, peer: &Peer) -> Result<(), PullError> {
    let channel = match store.channel(&peer.channel).await {
        Ok(c) => c,
        Err(entente_store::Error::NotFound(_)) => {
            return Err(PullError::Configuration(format!(
                "channel {} does not exist",
                peer.channel
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if !channel.members.contains(&peer.organisation) {
        return Err(PullError::Configuration(format!(
            "organisation {} is not a member of channel {}",
            peer.organisation, peer.channel
        )));
    }
    let scope = store
        .collection_scope(&entente_store::CollectionId(peer.local_collection.clone()))
        .await?;
    if scope != Some(CollectionScope::Channel(peer.channel.clone())) {
        return Err(PullError::Configuration(format!(
            "the local collection {} does not expose channel {} (entente collection bind)",
            peer.local_collection, peer.channel
        )));
    }
    Ok(())
}

/// The principal a peer acts as on this node: a service credential of its organisation, for
/// the first purpose its channel's agreement names (an exchange serves the agreement as a
/// whole).
async fn peer_principal(
    store: &SharedStore,
    peer: &Peer,
) -> Result<crate::auth::Principal, PullError> {
    let purpose = store
        .channel(&peer.channel)
        .await?
        .purposes
        .into_iter()
        .next();
    Ok(crate::auth::Principal {
        user: format!("peer:{}", peer.name),
        organisation: peer.organisation.clone(),
        role: entente_store::Role::Service,
        purpose,
    })
}

/// What an attempt did, for its audit record; `None` when it moved nothing (an idle peer
/// polled every second leaves no trace: no decision was made).
trait Described {
    fn describe(&self, state: &PeerState) -> Option<String>;
}

impl Described for PullReport {
    fn describe(&self, s: &PeerState) -> Option<String> {
        let moved = self.stored + self.duplicates + self.rejected + self.deleted;
        (moved > 0).then(|| {
            format!(
                "stored={} duplicates={} rejected={} bad_signatures={} deleted={} pages={} cursor={}",
                self.stored,
                self.duplicates,
                self.rejected,
                self.bad_signatures,
                self.deleted,
                self.pages,
                s.cursor.as_deref().unwrap_or("-")
            )
        })
    }
}

impl Described for PushReport {
    fn describe(&self, s: &PeerState) -> Option<String> {
        let moved = self.sent + self.refused_by_peer + self.withheld + self.deleted;
        (moved > 0).then(|| {
            format!(
                "sent={} refused_by_peer={} withheld={} deleted={} cursor={}",
                self.sent,
                self.refused_by_peer,
                self.withheld,
                self.deleted,
                s.progress.push_cursor.unwrap_or(0)
            )
        })
    }
}

/// The side of an exchange an attempt moves. Each owns its part of the peer's state: the pull
/// its cursors, counts and lag, the push its own cursors and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Receiving from the peer (its versions and deletions).
    Pull,
    /// Sending to the peer (this node's versions, releases and deletions).
    Push,
}

/// Stores `ours`, the state an attempt on `side` has moved on, as the state of peer `name`:
/// the fields `side` owns and the outcome fields from `ours`, the other side's fields as they
/// are stored now, in one transaction of the store. A pull and a push of one peer may run at
/// once (the serving node's scheduler beside an `entente peer sync`; two runs of one side never
/// do, see [`claim`]), and each began from the state it loaded: writing that whole state back,
/// or the merge of a state read before, would undo what the other stored meanwhile (a cursor
/// moved back is only pages sent or received again, which are duplicates; a count would be
/// wrong).
pub async fn save_state(
    store: &SharedStore,
    name: &str,
    side: Side,
    ours: &PeerState,
) -> Result<(), entente_store::Error> {
    let ours = ours.clone();
    store
        .update_peer_state(name, Box::new(move |now| take_side(side, ours, now)))
        .await
}

/// Sets in `now` what `side` keeps of the peer's state from `ours`, plus the outcome of the
/// attempt; the other side's fields stay as they are.
fn take_side(side: Side, ours: PeerState, now: &mut PeerState) {
    let (n, o) = (&mut now.progress, ours.progress);
    match side {
        Side::Pull => {
            now.cursor = ours.cursor;
            now.stored = ours.stored;
            n.deletions_cursor = o.deletions_cursor;
            n.deleted = o.deleted;
            n.refused = o.refused;
            n.caught_up_at = o.caught_up_at;
            n.behind = o.behind;
        }
        Side::Push => {
            n.push_cursor = o.push_cursor;
            n.pushed = o.pushed;
            n.push_deletions_cursor = o.push_deletions_cursor;
            n.releases_pushed = o.releases_pushed;
        }
    }
    n.failures = o.failures;
    n.last_attempt = o.last_attempt;
    now.last_success = ours.last_success;
    now.last_error = ours.last_error;
}

/// Runs one attempt of `work` for `peer`: claims `side` (see [`claim`]), loads its state,
/// lets `work` move it on, records the outcome (last success or error, consecutive failures)
/// and audits it as `action` (failures always, successes that moved anything), then gives the
/// side up.
async fn attempt<T: Described, F>(
    store: &SharedStore,
    peer: &Peer,
    side: Side,
    when_busy: WhenBusy,
    action: &str,
    work: F,
) -> Result<T, PullError>
where
    F: AsyncFnOnce(&mut PeerState) -> Result<T, PullError>,
{
    // One run of a side at a time: the state is loaded once the side is ours.
    let claim = claim::Claim::take(store, &peer.name, side, when_busy).await?;
    let outcome = async {
        let (_, mut state) = store.peer(&peer.name).await?;
        state.progress.last_attempt = Some(audit::now_micros());
        let outcome = work(&mut state).await;
        match &outcome {
            Ok(_) => {
                state.last_success = Some(audit::now_micros());
                state.last_error = None;
                state.progress.failures = 0;
            }
            Err(e) => {
                state.last_error = Some(e.to_string());
                state.progress.failures = state.progress.failures.saturating_add(1);
            }
        }
        save_state(store, &peer.name, side, &state).await?;
        let (decision, detail) = match &outcome {
            Ok(r) => match r.describe(&state) {
                Some(d) => (Outcome::Allow, d),
                None => return outcome,
            },
            Err(e) => (Outcome::Deny, format!("error={e}")),
        };
        audit::Recorder::new(store.clone())
            .record(audit::record(
                audit::CLI_ACTOR,
                &peer.organisation,
                action,
                &peer.name,
                decision,
                "peer-channel",
                &detail,
            ))
            .await?;
        outcome
    }
    .await;
    if let Err(e) = claim.release().await {
        // The claim expires on its own.
        tracing::warn!(peer = %peer.name, side = side.name(), error = %e, "giving up the claim failed");
    }
    outcome
}

/// When a pull returns, with respect to the correlation of the versions it stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hits {
    /// Once their hits are recorded (an immediate `entente peer sync`, whose process ends
    /// after it).
    Recorded,
    /// Once they are stored: their correlation goes on beside what follows, as pending
    /// correlation that hits listings and a stopping node wait for (the scheduler of a serving
    /// node, so that a pull is not held up by the correlation index being built after a start).
    Later,
}

/// Pulls from `peer` everything added since its cursor, then applies the deletions it
/// logged since the last pull. The state (cursors, counts, last success or error) is stored
/// after each page and at the end, and the pull is audited.
pub async fn pull(
    store: &SharedStore,
    peer: &Peer,
    when_busy: WhenBusy,
    hits: Hits,
) -> Result<PullReport, PullError> {
    attempt(
        store,
        peer,
        Side::Pull,
        when_busy,
        "federation.pull",
        async |state: &mut PeerState| {
            let started = audit::now_micros();
            let mut report = pull_pages(store, peer, state, hits).await?;
            report.deleted = deletions::apply(store, peer, state).await?;
            state.progress.caught_up_at = Some(started);
            state.progress.behind = 0;
            Ok(report)
        },
    )
    .await
}

/// One page of received versions, checked off the async workers: parsed, split from their
/// signatures, validated, verified.
struct Received {
    objects: Vec<(entente_stix::Object, signing::Verdict)>,
    invalid: u64,
}

/// A fetched and checked page, with what the cursor needs.
struct CheckedPage {
    received: Received,
    last: Option<String>,
    more: bool,
}

/// A fetched page being checked on the blocking pool, or the error that ended the fetching.
type PendingPage =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<CheckedPage, PullError>> + Send>>;

/// Stops the fetching task when the pull ends early (an error, a dropped future).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn check_page(raw: Vec<Box<serde_json::value::RawValue>>, ring: &signing::KeyRing) -> Received {
    let mut invalid = 0;
    let mut parsed = Vec::with_capacity(raw.len());
    for r in raw {
        match entente_stix::Object::from_raw(r) {
            Ok(o) => parsed.push(o),
            Err(_) => invalid += 1,
        }
    }
    let mut objects = signing::split_and_verify(ring, parsed);
    // Validation applies to the object as its originator wrote it.
    let before = objects.len();
    objects.retain(|(o, _)| crate::validation::validate(o).is_valid());
    invalid += (before - objects.len()) as u64;
    Received { objects, invalid }
}

async fn pull_pages(
    store: &SharedStore,
    peer: &Peer,
    state: &mut PeerState,
    hits: Hits,
) -> Result<PullReport, PullError> {
    check_peer(store, peer).await?;
    let client = transport::client_for(peer)?;
    let remote = client
        .api_root(&peer.url)
        .map_err(|e| PullError::Configuration(format!("peer URL: {e}")))?
        .collection(&peer.remote_collection);
    let mut query = ObjectQuery::new()
        .versions([VersionFilter::All])
        .limit(PAGE);
    if let Some(c) = &state.cursor {
        let t: entente_stix::Timestamp = c.parse().map_err(|_| {
            PullError::Configuration(format!("stored cursor {c:?} is not a timestamp"))
        })?;
        query = query.added_after(t);
    }
    let peer_org = OrgId(peer.organisation.clone());
    let channel = ChannelId(peer.channel.clone());
    let local = entente_store::CollectionId(peer.local_collection.clone());
    let ring = std::sync::Arc::new(signing::KeyRing::load(store).await?);
    // What a peer sends is a write into the channel by the peer's organisation: the gate
    // decides it like any other (agreement in force, the channel's marking rules, TLP:RED
    // recipients of what it relays).
    let principal = peer_principal(store, peer).await?;
    let gate = crate::access::Gate::new(
        &principal,
        &local,
        std::sync::Arc::new(crate::sharing::load(store).await?),
    );
    if let crate::policy::Decision::Deny { reason, .. } = gate.scope() {
        return Err(PullError::Configuration(reason.message().to_owned()));
    }
    let recorder = audit::Recorder::new(store.clone());
    let stored_before = state.stored;
    let mut report = PullReport::default();
    // A pipeline: while one page is decided and stored here, the next ones are fetched from
    // the peer and checked (parsed, validated, signatures verified) on other threads; a page
    // is checked while the next is fetched. Pages are stored, and the cursor moved, strictly
    // in order: the queue holds each page's check, awaited in turn.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<PendingPage>(2);
    let fetcher = tokio::spawn(async move {
        let mut pages = std::pin::pin!(remote.pages(query));
        loop {
            let next: PendingPage = match pages.try_next().await {
                Ok(Some(page)) => {
                    let ring = ring.clone();
                    let (last, more) = (page.date_added_last, page.body.more.unwrap_or(false));
                    let check =
                        tokio::task::spawn_blocking(move || check_page(page.body.objects, &ring));
                    Box::pin(async move {
                        check
                            .await
                            .map_err(|e| PullError::Peer(format!("checking a page failed: {e}")))
                            .map(|received| CheckedPage {
                                received,
                                last,
                                more,
                            })
                    })
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx
                        .send(Box::pin(std::future::ready(Err(PullError::peer(&e)))))
                        .await;
                    return;
                }
            };
            if tx.send(next).await.is_err() {
                return;
            }
        }
    });
    let _abort_on_drop = AbortOnDrop(fetcher);
    // Stored pages are correlated by a worker while the next pages are stored.
    let mut ingest = crate::ingest::Deferred::new(store, &local);
    while let Some(page) = rx.recv().await {
        let page = page.await?;
        report.pages += 1;
        let received = page.received;
        report.rejected += received.invalid;
        let (objects, verdicts): (Vec<_>, Vec<_>) = received.objects.into_iter().unzip();
        let facts = crate::sharing::facts_at_ingest(&objects, &peer_org, Some(&channel));
        let (mut kept, mut kept_facts) = (Vec::new(), Vec::new());
        for ((o, verdict), mut f) in objects.into_iter().zip(verdicts).zip(facts) {
            let refusal = verdict
                .apply(&mut f, peer.options.allow_unsigned)
                .err()
                .map(|(rule, _)| rule);
            if let Some(rule) = refusal {
                report.rejected += 1;
                report.bad_signatures += 1;
                state.progress.refused += 1;
                recorder
                    .record(audit::record(
                        &principal.user,
                        &peer.organisation,
                        "federation.refused",
                        o.id().as_str(),
                        Outcome::Deny,
                        rule,
                        &format!(
                            "peer={} version={}",
                            peer.name,
                            o.version().map_or("-", |t| t.as_str())
                        ),
                    ))
                    .await?;
                continue;
            }
            if gate
                .decide(crate::access::ObjectAction::Write, &gate.facts(&f, &[]))
                .is_allow()
            {
                kept.push(o);
                kept_facts.push(f);
            } else {
                report.rejected += 1;
                state.progress.refused += 1;
            }
        }
        // Once the page is stored, the pull resumes after it.
        if let Some(last) = page.last {
            state.cursor = Some(last);
        }
        // At least a page more, or nothing.
        state.progress.behind = if page.more { PAGE } else { 0 };
        if kept.is_empty() {
            save_state(store, &peer.name, Side::Pull, state).await?;
        } else {
            // The page and the state that moves past it, in one transaction: a node stopped at
            // any point holds the page exactly when its cursor and count say so.
            let (ours, counted) = (state.clone(), stored_before + report.stored);
            let update = Box::new(move |outcomes: &[AddOutcome], now: &mut PeerState| {
                let added = outcomes
                    .iter()
                    .filter(|o| matches!(o, AddOutcome::Added { .. }))
                    .count() as u64;
                let ours = PeerState {
                    stored: counted + added,
                    ..ours
                };
                take_side(Side::Pull, ours, now);
            });
            for o in ingest
                .add_pulled(kept, kept_facts, &peer.name, update)
                .await?
            {
                match o {
                    AddOutcome::Added { .. } => report.stored += 1,
                    AddOutcome::Duplicate { .. } => report.duplicates += 1,
                }
            }
            state.stored = stored_before + report.stored;
        }
    }
    match hits {
        Hits::Recorded => ingest.finish().await?,
        Hits::Later => ingest.finish_later().await,
    }
    Ok(report)
}

/// Pushes to `peer` the versions of its push collection added since the push cursor that the
/// gate lets go to the peer's channel, each signed (see [`signing`]). Does nothing for a
/// peer without a push collection.
pub async fn push(
    store: &SharedStore,
    peer: &Peer,
    data_dir: &std::path::Path,
    when_busy: WhenBusy,
) -> Result<PushReport, PullError> {
    let (Some(from), Some(to)) = (&peer.options.push_from, &peer.options.push_to) else {
        return Ok(PushReport::default());
    };
    attempt(
        store,
        peer,
        Side::Push,
        when_busy,
        "federation.push",
        async |state: &mut PeerState| push_pages(store, peer, from, to, data_dir, state).await,
    )
    .await
}

/// What a push needs for each batch: the gate (deciding as the home organisation's node
/// transferring to the peer's channel), the node key, the remote collection.
struct Pusher<'a> {
    gate: crate::access::Gate,
    destination: crate::policy::Peer,
    home: Option<OrgId>,
    identity: std::sync::Arc<signing::NodeIdentity>,
    client: entente_taxii::Client,
    remote: entente_taxii::CollectionClient,
    store: &'a SharedStore,
}

impl Pusher<'_> {
    /// Whether each `(object id, sharing facts)` may go to the peer (`FederationTransfer`,
    /// with the releases of those objects).
    async fn may_go<'s>(
        &self,
        items: impl Iterator<Item = (&'s str, &'s entente_store::ObjectSharing)> + Clone,
    ) -> Result<Vec<bool>, PullError> {
        let releases = crate::sharing::Releases::load(
            self.store,
            self.gate.needs_releases(),
            items.clone().map(|(id, _)| id.to_owned()),
        )
        .await?;
        let to = crate::policy::Action::FederationTransfer {
            to: self.destination.clone(),
        };
        Ok(items
            .map(|(id, sharing)| {
                self.gate
                    .decide_action(&to, &self.gate.facts(sharing, &releases.of(id)))
                    .is_allow()
            })
            .collect())
    }

    /// Decides, signs and sends `items`; returns (sent, refused by the peer, withheld).
    async fn send(
        &self,
        items: &[entente_store::StoredObject],
    ) -> Result<(u64, u64, u64), PullError> {
        let allowed = self
            .may_go(items.iter().map(|o| (o.object.id().as_str(), &o.sharing)))
            .await?;
        let going: Vec<&entente_store::StoredObject> = items
            .iter()
            .zip(&allowed)
            .filter_map(|(o, ok)| ok.then_some(o))
            .collect();
        let withheld = (items.len() - going.len()) as u64;
        let home = self.home.as_ref().map(|h| h.0.as_str());
        let trees = signing::batch_trees(self.store, going.iter().copied()).await?;
        let outgoing = signing::for_partner(&self.identity, home, &going, &trees)
            .into_iter()
            .map(serde_json::value::RawValue::from_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PullError::Peer(format!("cannot write an object: {e}")))?;
        if outgoing.is_empty() {
            return Ok((0, 0, withheld));
        }
        let envelope = entente_taxii::Envelope {
            more: None,
            next: None,
            objects: outgoing,
        };
        let status = self
            .remote
            .add_objects_and_wait(&envelope, &entente_taxii::PollOptions::default())
            .await
            .map_err(|e| PullError::peer(&e))?;
        Ok((status.success_count, status.failure_count, withheld))
    }
}

async fn push_pages(
    store: &SharedStore,
    peer: &Peer,
    from: &str,
    to: &str,
    data_dir: &std::path::Path,
    state: &mut PeerState,
) -> Result<PushReport, PullError> {
    check_peer(store, peer).await?;
    let identity = signing::node_identity(data_dir)
        .map_err(|e| PullError::Configuration(format!("the node identity key: {e}")))?;
    let client = transport::client_for(peer)?;
    let remote = client
        .api_root(&peer.url)
        .map_err(|e| PullError::Configuration(format!("peer URL: {e}")))?
        .collection(to);
    let deletions_url = deletions::log_url(&peer.url, to)?;
    let source = entente_store::CollectionId(from.to_owned());
    // The release requests are read before the sharing snapshot: a release granted after the
    // snapshot was taken is not in it, and its version would be withheld while the request
    // was marked as looked at, never to go. Read first, every grant listed is in the snapshot.
    let Some(home_org) = store.home_organisation().await?.map(|o| OrgId(o.id)) else {
        return Err(PullError::Configuration(
            "the node has no home organisation (entente init)".into(),
        ));
    };
    let requests = store.release_requests(&home_org.0).await?;
    let snapshot = std::sync::Arc::new(crate::sharing::load(store).await?);
    let home = Some(home_org.clone());
    // The node transfers on behalf of its home organisation, as a liaison officer would, for
    // a purpose both the source collection's agreement and the peer's allow.
    let peer_purposes = store.channel(&peer.channel).await?.purposes;
    let source_purposes = match store.collection_scope(&source).await? {
        Some(CollectionScope::Channel(c)) => store.channel(&c).await?.purposes,
        _ => Vec::new(),
    };
    let purpose = source_purposes
        .iter()
        .find(|p| peer_purposes.contains(p))
        .or(source_purposes.first())
        .cloned();
    let principal = crate::auth::Principal {
        user: format!("peer:{}", peer.name),
        organisation: home_org.0.clone(),
        role: entente_store::Role::LiaisonOfficer,
        purpose,
    };
    let pusher = Pusher {
        gate: crate::access::Gate::new(&principal, &source, snapshot),
        destination: crate::policy::Peer::Channel(ChannelId(peer.channel.clone())),
        home,
        identity,
        client,
        remote,
        store,
    };
    let mut report = PushReport::default();
    let tally = |report: &mut PushReport, state: &mut PeerState, (sent, refused, withheld)| {
        report.sent += sent;
        report.refused_by_peer += refused;
        report.withheld += withheld;
        state.progress.pushed += sent;
    };
    loop {
        let filter = entente_store::ObjectFilter {
            after: state.progress.push_cursor.map(entente_store::DateAdded),
            ..entente_store::ObjectFilter::every_version(PAGE as usize)
        };
        let page = store.objects_page(&source, &filter).await?;
        let Some(last) = page.items.last().map(|o| o.date_added) else {
            break;
        };
        tally(&mut report, state, pusher.send(&page.items).await?);
        // The page is acknowledged: resume after it from now on.
        state.progress.push_cursor = Some(last.0);
        save_state(store, &peer.name, Side::Push, state).await?;
        if !page.more {
            break;
        }
    }
    // Versions withheld earlier may go once their originator released them: each release
    // granted to this node's organisation is looked at once.
    for request in requests {
        if request.state != "granted"
            || request.requester != home_org.0
            || state.progress.releases_pushed.contains(&request.id)
        {
            continue;
        }
        let filter = entente_store::ObjectFilter {
            ids: vec![request.object_id.clone()],
            ..entente_store::ObjectFilter::every_version(PAGE as usize)
        };
        let page = store.objects_page(&source, &filter).await?;
        let (sent, refused, _) = pusher.send(&page.items).await?;
        tally(&mut report, state, (sent, refused, 0));
        state.progress.releases_pushed.push(request.id);
        save_state(store, &peer.name, Side::Push, state).await?;
    }
    // Deletions of the push collection's versions, as far as those versions could have gone.
    loop {
        let after = state.progress.push_deletions_cursor.unwrap_or(0);
        let batch = store.deletions(from, after, PAGE as u32).await?;
        let Some(last) = batch.last().map(|d| d.seq) else {
            break;
        };
        // Only deletions of versions that could have gone to the peer are told.
        let allowed = pusher
            .may_go(batch.iter().map(|d| (d.object_id.as_str(), &d.sharing)))
            .await?;
        let told: Vec<deletions::DeletionEntry> = batch
            .iter()
            .zip(allowed)
            .filter(|(_, ok)| *ok)
            .map(|(d, _)| deletions::DeletionEntry::of(d))
            .collect();
        if !told.is_empty() {
            let log = deletions::DeletionLog {
                deletions: told,
                more: false,
                next: None,
            };
            match pusher
                .client
                .post_resource::<_, deletions::Applied>(&deletions_url, &log)
                .await
            {
                Ok(applied) => report.deleted += applied.deleted,
                // A peer that keeps no deletion log (not an entente node) is not told.
                Err(e) if e.http_status() == Some(404) => {}
                Err(e) => {
                    return Err(PullError::Peer(format!(
                        "pushing deletions: {}",
                        PullError::peer(&e)
                    )));
                }
            }
        }
        state.progress.push_deletions_cursor = Some(last);
        save_state(store, &peer.name, Side::Push, state).await?;
        if batch.len() < PAGE as usize {
            break;
        }
    }
    Ok(report)
}

/// Pulls from and pushes to `peer`: what an immediate `entente peer sync` (which waits for a
/// run of the same side under way elsewhere, and for the hits of what it pulled) and the
/// scheduler (which skips the first and does not wait for the second) do. The pull runs even
/// when the push fails, and the other way round.
pub async fn sync(
    store: &SharedStore,
    peer: &Peer,
    data_dir: &std::path::Path,
    when_busy: WhenBusy,
    hits: Hits,
) -> (Result<PullReport, PullError>, Result<PushReport, PullError>) {
    let pulled = pull(store, peer, when_busy, hits).await;
    let pushed = push(store, peer, data_dir, when_busy).await;
    (pulled, pushed)
}

/// The delay before the next attempt after `failures` consecutive failures: the interval,
/// doubled per failure, at most [`MAX_BACKOFF_SECS`] (never below the interval).
pub fn retry_delay(interval_secs: u64, failures: u32) -> Duration {
    let interval = interval_secs.max(1);
    if failures == 0 {
        return Duration::from_secs(interval);
    }
    let backoff = interval.saturating_mul(1u64 << failures.min(16));
    Duration::from_secs(backoff.min(MAX_BACKOFF_SECS.max(interval)))
}

/// Syncs every peer at its interval until `shutdown` resolves, retrying failing peers with
/// backoff. Peers added or removed while the node runs are picked up within a second.
pub async fn run_scheduler(
    store: SharedStore,
    data_dir: std::path::PathBuf,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut due: std::collections::HashMap<String, tokio::time::Instant> = Default::default();
    loop {
        let peers = match store.peers().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the peers");
                Vec::new()
            }
        };
        let now = tokio::time::Instant::now();
        for (peer, _) in &peers {
            let when = *due.entry(peer.name.clone()).or_insert(now);
            if when > now {
                continue;
            }
            let (pulled, pushed) = sync(&store, peer, &data_dir, WhenBusy::Skip, Hits::Later).await;
            match &pulled {
                Ok(r) => {
                    tracing::info!(peer = %peer.name, stored = r.stored, duplicates = r.duplicates, rejected = r.rejected, deleted = r.deleted, "pulled")
                }
                Err(e @ PullError::Busy(_)) => tracing::debug!(peer = %peer.name, "{e}"),
                Err(e) => tracing::warn!(peer = %peer.name, error = %e, "pull failed"),
            }
            match &pushed {
                Ok(r) if r.sent + r.withheld + r.refused_by_peer > 0 => {
                    tracing::info!(peer = %peer.name, sent = r.sent, withheld = r.withheld, refused = r.refused_by_peer, "pushed")
                }
                Ok(_) => {}
                Err(e @ PullError::Busy(_)) => tracing::debug!(peer = %peer.name, "{e}"),
                Err(e) => tracing::warn!(peer = %peer.name, error = %e, "push failed"),
            }
            let failures = match store.peer(&peer.name).await {
                Ok((_, s)) => s.progress.failures,
                Err(_) => 0,
            };
            due.insert(
                peer.name.clone(),
                tokio::time::Instant::now() + retry_delay(peer.interval_secs, failures),
            );
        }
        due.retain(|name, _| peers.iter().any(|(p, _)| &p.name == name));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_doubles_up_to_the_cap() {
        assert_eq!(retry_delay(60, 0), Duration::from_secs(60));
        assert_eq!(retry_delay(60, 1), Duration::from_secs(120));
        assert_eq!(retry_delay(60, 2), Duration::from_secs(240));
        assert_eq!(retry_delay(60, 3), Duration::from_secs(MAX_BACKOFF_SECS));
        assert_eq!(retry_delay(1, 40), Duration::from_secs(MAX_BACKOFF_SECS));
        assert_eq!(retry_delay(0, 0), Duration::from_secs(1));
        assert_eq!(retry_delay(900, 5), Duration::from_secs(900));
    }
}
