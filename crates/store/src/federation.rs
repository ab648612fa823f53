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
    /// Push, signature and transport settings.
    pub options: PeerOptions,
}

/// A peer's settings beyond where to pull from (stored as one JSON document, so that new
/// settings need no new column).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeerOptions {
    /// The local collection whose versions are pushed to the peer (as far as the gate allows).
    pub push_from: Option<String>,
    /// The peer's collection they are pushed into.
    pub push_to: Option<String>,
    /// Accept versions that carry no signature (a peer that is not an entente node). Forged or
    /// altered signatures are refused all the same.
    pub allow_unsigned: bool,
    /// Transport security.
    pub tls: PeerTls,
}

/// How the connection to a peer is secured (files holding PEM; the contents are never stored
/// in the database).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeerTls {
    /// The peer's own server certificate: when set, the peer must present exactly this
    /// certificate (pinning), whoever signed it.
    pub pinned_certificate: Option<String>,
    /// A CA certificate to trust for the peer besides the system's roots.
    pub ca_certificate: Option<String>,
    /// Our client certificate (mutual TLS).
    pub client_certificate: Option<String>,
    /// The private key of our client certificate.
    pub client_key: Option<String>,
}

/// An organisation's node identity key, as registered on this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationKey {
    /// The Ed25519 public key, base64url without padding.
    pub public_key: String,
    /// The organisation the node holding the key speaks for.
    pub organisation: String,
    /// When it was registered (microseconds since the epoch).
    pub added: i64,
}

/// A deleted version, as partners learn of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deletion {
    /// Position in the node's deletion log (strictly increasing).
    pub seq: i64,
    /// The collection it was deleted from.
    pub collection: String,
    /// The object's id.
    pub object_id: String,
    /// The version deleted (`modified`, else `created`; `None` for objects without either).
    pub version: Option<String>,
    /// When (microseconds since the epoch).
    pub deleted_at: i64,
    /// The sharing facts the version had, for the gate to decide who may learn of it.
    pub sharing: crate::ObjectSharing,
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
    /// Push and deletion cursors, failures and lag (one JSON document).
    pub progress: PeerProgress,
}

/// Where a peer's push and deletion sync stand, and its health.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeerProgress {
    /// The local `date_added` (microseconds) of the last version pushed.
    pub push_cursor: Option<i64>,
    /// Versions pushed in all.
    pub pushed: u64,
    /// The position in this node's deletion log of the push collection up to which deletions
    /// were pushed.
    pub push_deletions_cursor: Option<i64>,
    /// The granted release requests whose objects were looked at again for pushing (a
    /// version withheld before its release goes once released).
    pub releases_pushed: Vec<String>,
    /// Where reading the peer's deletion log resumes (the peer's opaque `next`).
    pub deletions_cursor: Option<String>,
    /// Versions deleted here because the peer deleted them.
    pub deleted: u64,
    /// Versions refused from this peer in all (invalid, unsigned, forged, denied by the gate).
    pub refused: u64,
    /// Consecutive failed attempts (0 after a success): the retry delay doubles with each.
    pub failures: u32,
    /// When the last attempt started (microseconds since the epoch).
    pub last_attempt: Option<i64>,
    /// When this node last held everything the peer offered (the start of the last complete
    /// pull): the lag in seconds is measured from it.
    pub caught_up_at: Option<i64>,
    /// A lower bound of the versions the peer still had for us when the last pull stopped:
    /// a page when it stopped with more to come, 0 when it completed.
    pub behind: u64,
}

/// A change to a peer's state (see [`FederationStore::update_peer_state`]).
pub type PeerStateUpdate = Box<dyn FnOnce(&mut PeerState) + Send>;

/// A change to a peer's state made from the outcomes of storing a page pulled from it (see
/// [`FederationStore::add_pulled_page`]), one outcome per object in input order.
pub type PulledPageUpdate = Box<dyn FnOnce(&[crate::AddOutcome], &mut PeerState) + Send>;

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
    /// Changes a peer's state in one transaction: `update` is given the stored state, and
    /// what it leaves is stored. Two updates of one peer never interleave, so each keeps what
    /// the other changed (a pull and a push of one peer each change their own fields).
    /// `NotFound` if absent.
    async fn update_peer_state(&self, name: &str, update: PeerStateUpdate) -> Result<()>;
    /// Stores a page pulled from peer `name` into `collection` with its sharing facts, as
    /// [`crate::SharingStore::add_objects_handing_back`] does (the objects come back), and
    /// changes the peer's state by `update`, given the outcomes, in the same transaction: the
    /// page is held exactly when the peer's cursor and counts have moved past it, whenever the
    /// node stops. `NotFound` if the peer or the collection is absent (nothing is stored then).
    async fn add_pulled_page(
        &self,
        name: &str,
        collection: &crate::CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<crate::ObjectSharing>,
        update: PulledPageUpdate,
    ) -> Result<(Vec<crate::AddOutcome>, Vec<entente_stix::Object>)>;
    /// Claims `side` (`pull` or `push`) of peer `name` for `holder` until `expires`
    /// (microseconds since the epoch): true when it had no claim, its claim expired before
    /// `now`, or `holder` holds it already (a renewal); false when another holder's claim
    /// stands. One statement, so that two processes never both succeed. `NotFound` if the
    /// peer does not exist.
    async fn claim_peer(
        &self,
        name: &str,
        side: &str,
        holder: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool>;
    /// Gives up `holder`'s claim on `side` of peer `name` (nothing when it holds none).
    async fn release_peer(&self, name: &str, side: &str, holder: &str) -> Result<()>;

    /// Registers a node identity key for an organisation. `NotFound` if the organisation does
    /// not exist; `Conflict` if the key is registered (for any organisation).
    async fn add_organisation_key(&self, organisation: &str, public_key: &str) -> Result<()>;
    /// Every registered key.
    async fn organisation_keys(&self) -> Result<Vec<OrganisationKey>>;
    /// Removes a key. `NotFound` if absent.
    async fn remove_organisation_key(&self, public_key: &str) -> Result<()>;

    /// The deletions from `collection` after position `after`, oldest first, at most `limit`.
    async fn deletions(&self, collection: &str, after: i64, limit: u32) -> Result<Vec<Deletion>>;
    /// The signature batch records of the given keys that are stored (in no set order; keys
    /// not stored are left out).
    async fn signature_batches(&self, keys: &[String]) -> Result<Vec<crate::SignatureBatch>>;
}
