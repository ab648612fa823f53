//! What the store keeps for federation (issue 6): the peers a node exchanges with, and where
//! each pull stands, so that a restart resumes exactly where it stopped.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// A partner node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// Short name (unique on the node).
    pub name: String,
    /// The peer's TAXII API root URL.
    pub url: String,
    /// The organisation behind the peer (the originator of what it sends).
    pub organisation: String,
    /// The channel (agreement) the exchange belongs to.
    pub channel: String,
    /// The peer's collection to pull from.
    pub remote_collection: String,
    /// The local collection (of `channel`) to pull into.
    pub local_collection: String,
    /// The file holding our credential (a bearer token) for the peer: the secret itself is
    /// never stored in the database.
    pub token_file: String,
    /// Seconds between scheduled pulls.
    pub interval_secs: u64,
}

/// Where a peer's pull stands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerState {
    /// The peer's `date_added` of the last version stored (TAXII timestamp), resumed from.
    pub cursor: Option<String>,
    /// When the last pull succeeded (microseconds since the epoch).
    pub last_success: Option<i64>,
    /// The last error, if the last pull failed.
    pub last_error: Option<String>,
    /// Versions stored from this peer in all.
    pub stored: u64,
}

/// Persistence of peers. A supertrait of [`crate::Store`].
#[async_trait]
pub trait FederationStore: Send + Sync {
    /// Registers a peer. `Conflict` if the name exists; `NotFound` if the local collection
    /// does not exist.
    async fn add_peer(&self, peer: Peer) -> Result<()>;
    /// All peers, by name, with their state.
    async fn peers(&self) -> Result<Vec<(Peer, PeerState)>>;
    /// One peer with its state. `NotFound` if absent.
    async fn peer(&self, name: &str) -> Result<(Peer, PeerState)>;
    /// Removes a peer (and its state). `NotFound` if absent.
    async fn remove_peer(&self, name: &str) -> Result<()>;
    /// Records a peer's state (after each stored page, and after each attempt).
    async fn set_peer_state(&self, name: &str, state: PeerState) -> Result<()>;
}
