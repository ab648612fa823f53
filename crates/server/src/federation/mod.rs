//! Federation, first part (issue 6): pulling from partner nodes, resumable.
//!
//! A **peer** ([`entente_store::Peer`]) is a partner node: its TAXII API root, the organisation
//! behind it, the channel the exchange belongs to, the remote collection to pull from and the
//! local collection (bound to that channel) to pull into, and a file holding our bearer token
//! for it. [`pull`] asks the peer, through the project's TAXII client, for every version added
//! after the stored cursor, validates each object, decides each through the gate as a write by
//! the peer's organisation, stores the allowed ones through the one
//! ingest path with the peer's organisation as originator and the channel as the way they came,
//! and moves the cursor after each stored page: a pull stopped at any point (a crash, a kill,
//! a network failure) resumes from the last stored page, and a version received twice is one
//! version. [`run_scheduler`] pulls every peer at its interval while the node serves.
//!
//! Not yet here (issue 6): pushing, signatures, mutual TLS, propagation of revocations.

use std::time::Duration;

use entente_store::{CollectionScope, Peer, PeerState, SharedStore};
use entente_taxii::{ObjectQuery, VersionFilter};
use futures::TryStreamExt as _;

use crate::audit::{self, Outcome};
use crate::ingest::Provenance;
use crate::policy::{ChannelId, OrgId};

pub mod transport;

/// Objects asked for per page.
pub const PAGE: u64 = 1000;

/// What one pull did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Versions stored.
    pub stored: u64,
    /// Versions already held.
    pub duplicates: u64,
    /// Objects refused (invalid STIX, invalid pattern).
    pub rejected: u64,
    /// Pages received.
    pub pages: u64,
}

/// Why a pull could not run or stopped.
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

/// Pulls from `peer` everything added since its cursor. The state (cursor, counts, last
/// success or error) is stored after each page and at the end, and the pull is audited.
pub async fn pull(store: &SharedStore, peer: &Peer) -> Result<PullReport, PullError> {
    let (_, mut state) = store.peer(&peer.name).await?;
    let outcome = pull_pages(store, peer, &mut state).await;
    match &outcome {
        Ok(_) => {
            state.last_success = Some(audit::now_micros());
            state.last_error = None;
        }
        Err(e) => state.last_error = Some(e.to_string()),
    }
    store.set_peer_state(&peer.name, state.clone()).await?;
    let (decision, detail) = match &outcome {
        Ok(r) => (
            Outcome::Allow,
            format!(
                "stored={} duplicates={} rejected={} pages={} cursor={}",
                r.stored,
                r.duplicates,
                r.rejected,
                r.pages,
                state.cursor.as_deref().unwrap_or("-")
            ),
        ),
        Err(e) => (Outcome::Deny, format!("error={e}")),
    };
    audit::Recorder::new(store.clone())
        .record(audit::record(
            audit::CLI_ACTOR,
            &peer.organisation,
            "federation.pull",
            &peer.name,
            decision,
            "peer-channel",
            &detail,
        ))
        .await?;
    outcome
}

async fn pull_pages(
    store: &SharedStore,
    peer: &Peer,
    state: &mut PeerState,
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
    let provenance = Provenance {
        originator: OrgId(peer.organisation.clone()),
        received_through: Some(ChannelId(peer.channel.clone())),
    };
    let local = entente_store::CollectionId(peer.local_collection.clone());
    // What a peer sends is a write into the channel by the peer's organisation: the gate
    // decides it like any other (agreement in force, the channel's marking rules), for the
    // purpose the agreement names first (a pull serves the agreement as a whole).
    let purpose = store
        .channel(&peer.channel)
        .await?
        .purposes
        .into_iter()
        .next();
    let principal = crate::auth::Principal {
        user: format!("peer:{}", peer.name),
        organisation: peer.organisation.clone(),
        role: entente_store::Role::Service,
        purpose,
    };
    let gate = crate::access::Gate::new(
        &principal,
        &local,
        std::sync::Arc::new(crate::sharing::load(store).await?),
    );
    if let crate::policy::Decision::Deny { reason, .. } = gate.scope() {
        return Err(PullError::Configuration(reason.message().to_owned()));
    }
    let stored_before = state.stored;
    let mut report = PullReport::default();
    let mut pages = std::pin::pin!(remote.pages(query));
    while let Some(page) = pages
        .try_next()
        .await
        .map_err(|e| PullError::Peer(e.to_string()))?
    {
        report.pages += 1;
        let mut batch = Vec::with_capacity(page.body.objects.len());
        for raw in page.body.objects {
            match entente_stix::Object::from_raw(raw) {
                Ok(o) if crate::validation::validate(&o).is_valid() => batch.push(o),
                _ => report.rejected += 1,
            }
        }
        let facts = crate::sharing::facts_at_ingest(
            &batch,
            &provenance.originator,
            provenance.received_through.as_ref(),
        );
        let (mut kept, mut kept_facts) = (Vec::new(), Vec::new());
        for (o, f) in batch.into_iter().zip(facts) {
            if gate
                .decide(crate::access::ObjectAction::Write, &gate.facts(&f, &[]))
                .is_allow()
            {
                kept.push(o);
                kept_facts.push(f);
            } else {
                report.rejected += 1;
            }
        }
        if !kept.is_empty() {
            for o in crate::ingest::add_objects_with(store, &local, kept, kept_facts).await? {
                match o {
                    entente_store::AddOutcome::Added { .. } => report.stored += 1,
                    entente_store::AddOutcome::Duplicate { .. } => report.duplicates += 1,
                }
            }
        }
        // The page is stored: resume after it from now on.
        if let Some(last) = page.date_added_last {
            state.cursor = Some(last);
        }
        state.stored = stored_before + report.stored;
        store.set_peer_state(&peer.name, state.clone()).await?;
    }
    Ok(report)
}

/// Pulls every peer at its interval until `shutdown` resolves. Peers added or removed while
/// the node runs are picked up within a second.
pub async fn run_scheduler(store: SharedStore, mut shutdown: tokio::sync::watch::Receiver<bool>) {
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
            if when <= now {
                match pull(&store, peer).await {
                    Ok(r) => {
                        tracing::info!(peer = %peer.name, stored = r.stored, duplicates = r.duplicates, rejected = r.rejected, "pulled")
                    }
                    Err(e) => tracing::warn!(peer = %peer.name, error = %e, "pull failed"),
                }
                due.insert(
                    peer.name.clone(),
                    tokio::time::Instant::now() + Duration::from_secs(peer.interval_secs.max(1)),
                );
            }
        }
        due.retain(|name, _| peers.iter().any(|(p, _)| &p.name == name));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
