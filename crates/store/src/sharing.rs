//! What the store keeps for the sharing rules (issue 4): organisations, channels and their
//! agreements, the binding of collections to a channel or an owning organisation, the sharing
//! facts of every object version, users' default purposes, release requests and releases.
//!
//! The store holds these as plain records (strings, instants in microseconds); what they mean
//! is decided by the server's policy module, never here.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{AddOutcome, CollectionId, DateAdded, Result, StoredObject};

/// An organisation known to the node: the home organisation, another local one, or a partner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Short identifier (`ORG-A`, `ch-fedpol`), as users and channels name it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether this is the node's home organisation (at most one).
    pub home: bool,
}

/// A channel: a sharing group of organisations under one agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRecord {
    /// Short identifier.
    pub id: String,
    /// Display title.
    pub title: String,
    /// The member organisations' ids (two for a bilateral channel), sorted.
    pub members: Vec<String>,
    /// The legal basis of the agreement, as text.
    pub legal_basis: String,
    /// The purposes the agreement allows.
    pub purposes: Vec<String>,
    /// The most restrictive TLP the channel carries (`clear`, `green`, `amber`,
    /// `amber+strict`, `red`).
    pub max_marking: String,
    /// Whether every object must carry a TLP marking.
    pub require_tlp: bool,
    /// In force from (microseconds since the Unix epoch, inclusive).
    pub valid_from: i64,
    /// In force until (exclusive); `None`: open-ended.
    pub valid_until: Option<i64>,
}

/// Where a collection belongs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CollectionScope {
    /// Exposes a channel.
    Channel(String),
    /// Private to one organisation.
    Private(String),
}

/// The sharing facts of one stored object version, read once at ingest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectSharing {
    /// The originating organisation; `None` for versions stored without provenance (read as
    /// "unknown": nobody is its originator).
    pub originator: Option<String>,
    /// The channel it arrived through; `None` when created locally.
    pub received_through: Option<String>,
    /// Its TLP (`clear`, `green`, `amber`, `amber+strict`, `red`), if marked.
    pub tlp: Option<String>,
    /// Its handling code (`H0`, `H1`, `H2`, or `H3:<restriction>`), if any.
    pub handling: Option<String>,
    /// The named TLP:RED recipients (`organisation:<id>`, `user:<login>`).
    pub recipients: Vec<String>,
    /// The originating node's signature the version arrived with, kept so that it travels on
    /// when the version is relayed: its compact form, or, for a version signed in a batch, a
    /// reference to the batch's record ([`SignatureBatch`]) and the version's leaf in it.
    pub signature: Option<String>,
    /// The batch record `signature` refers to, given with a version being added: the store
    /// keeps it once (by its key) for all the versions that name it, and deletes it with the
    /// last of them. Not read back with the version (see
    /// [`crate::FederationStore::signature_batches`]).
    pub signature_batch: Option<std::sync::Arc<SignatureBatch>>,
}

/// `Invalid` unless `sharing`, when given, holds one record for each of `objects`.
pub(crate) fn one_record_each(
    objects: &[entente_stix::Object],
    sharing: Option<&[ObjectSharing]>,
) -> Result<()> {
    match sharing {
        Some(s) if s.len() != objects.len() => Err(crate::Error::Invalid(format!(
            "{} sharing records for {} objects",
            s.len(),
            objects.len()
        ))),
        _ => Ok(()),
    }
}

/// What many versions signed in one batch share (their originator's key and signature, and the
/// batch's tree), kept once rather than with each version. The record is opaque to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureBatch {
    /// The record's key (a hash of `record`).
    pub key: String,
    /// The record.
    pub record: String,
}

impl SignatureBatch {
    /// The start of a version's reference to a batch's record: `batch:<record key>:<leaf>`.
    pub const REFERENCE: &'static str = "batch:";

    /// The reference a version signed in this batch, at `leaf`, keeps as its signature.
    pub fn reference(&self, leaf: u64) -> String {
        format!("{}{}:{leaf}", Self::REFERENCE, self.key)
    }

    /// The record key and leaf of a version's reference; `None` for any other signature.
    pub fn parse_reference(signature: &str) -> Option<(&str, u64)> {
        let (key, leaf) = signature.strip_prefix(Self::REFERENCE)?.rsplit_once(':')?;
        Some((key, leaf.parse().ok()?))
    }

    /// How many of `signatures` refer to each batch's record, each counting `n` (the backends
    /// add these to the records' `refs`: `n` is 1 for versions added, -1 for versions deleted).
    pub(crate) fn count_references<'a>(
        signatures: impl IntoIterator<Item = &'a str>,
        n: i64,
    ) -> Vec<(&'a str, i64)> {
        let mut counts: Vec<(&str, i64)> = Vec::new();
        for (key, _) in signatures.into_iter().filter_map(Self::parse_reference) {
            // The versions of a batch arrive together: the last entry is nearly always it.
            match counts.iter_mut().rev().find(|(k, _)| *k == key) {
                Some((_, count)) => *count += n,
                None => counts.push((key, n)),
            }
        }
        counts
    }
}

/// A release the originator granted: an object may go to `destination` beyond its channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRecord {
    /// The released object's id (all its versions).
    pub object_id: String,
    /// `channel:<id>`, `organisation:<id>` or `export`.
    pub destination: String,
    /// Conditions attached by the originator.
    pub conditions: Vec<String>,
    /// When set, only this sanitised derivative may go.
    pub derivative: Option<String>,
    /// A wider TLP the released copy may carry.
    pub wider_marking: Option<String>,
    /// The release request that granted it.
    pub request: String,
}

/// A release request as stored: its id, the object it concerns, its originator and state (for
/// listing), and the whole request as JSON (the server's `ReleaseRequest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseRequestRecord {
    /// The request id.
    pub id: String,
    /// The object concerned.
    pub object_id: String,
    /// The originating organisation, which decides.
    pub originator: String,
    /// The organisation that asked.
    pub requester: String,
    /// `pending`, `awaiting-confirmation`, `granted` or `denied`.
    pub state: String,
    /// The request, as JSON.
    pub body: String,
}

/// A text search over the newest versions of the objects of some collections (see
/// [`SharingStore::search_objects`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextSearch {
    /// The collections searched (in any order; unknown ones are skipped).
    pub collections: Vec<CollectionId>,
    /// The text the object's JSON must contain, ignoring case.
    pub text: String,
    /// Only objects of these types (all types when empty).
    pub types: Vec<String>,
    /// Resume after this hit (the `collection` and `date_added` of the last hit of the
    /// previous page).
    pub after: Option<(CollectionId, DateAdded)>,
    /// At most this many hits.
    pub limit: usize,
}

/// One object version found by [`SharingStore::search_objects`].
#[derive(Clone, Debug)]
pub struct SearchHit {
    /// The collection holding it.
    pub collection: CollectionId,
    /// The version, with its sharing facts.
    pub stored: StoredObject,
}

/// Escapes `\`, `%` and `_` so that `text` matches literally in a `LIKE ... ESCAPE '\'`.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The `LIKE` pattern of a search: the text as it appears inside a JSON string (a quote or a
/// backslash in the text is escaped in the stored JSON), with the wildcards escaped, between
/// `%`.
pub(crate) fn search_pattern(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    let inner = quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(text);
    format!("%{}%", like_escape(inner))
}

/// Persistence for the sharing rules. A supertrait of [`crate::Store`].
#[async_trait]
pub trait SharingStore: Send + Sync {
    /// Registers an organisation. `Conflict` if the id exists, or if `home` is set and a home
    /// organisation exists.
    async fn add_organisation(&self, organisation: Organisation) -> Result<()>;
    /// All organisations, by id.
    async fn organisations(&self) -> Result<Vec<Organisation>>;
    /// The home organisation, `None` until one is registered.
    async fn home_organisation(&self) -> Result<Option<Organisation>>;

    /// Creates or replaces a channel (its members and agreement). `NotFound` if a member is
    /// not a registered organisation.
    async fn put_channel(&self, channel: ChannelRecord) -> Result<()>;
    /// All channels, by id.
    async fn channels(&self) -> Result<Vec<ChannelRecord>>;
    /// One channel. `NotFound` if absent.
    async fn channel(&self, id: &str) -> Result<ChannelRecord>;

    /// Binds a collection to a channel or an owning organisation (replacing any binding).
    /// `NotFound` if the collection, channel or organisation does not exist.
    async fn set_collection_scope(
        &self,
        collection: &CollectionId,
        scope: CollectionScope,
    ) -> Result<()>;
    /// A collection's binding; `None` when unbound (private to the home organisation).
    async fn collection_scope(&self, collection: &CollectionId) -> Result<Option<CollectionScope>>;
    /// Every collection's binding.
    async fn collection_scopes(&self) -> Result<Vec<(CollectionId, CollectionScope)>>;

    /// As [`crate::Store::add_objects`], recording `sharing[i]` with `objects[i]` in the same
    /// transaction. `Invalid` when the lengths differ.
    async fn add_objects_with(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
    ) -> Result<Vec<AddOutcome>>;
    /// As [`SharingStore::add_objects_with`], and hands the objects back (in input order) for
    /// a caller that still needs them after the write, without a copy.
    async fn add_objects_handing_back(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
    ) -> Result<(Vec<AddOutcome>, Vec<entente_stix::Object>)>;

    /// The sharing facts of the newest version of each of `object_ids` in every collection
    /// holding it: `(collection, object id, facts)`.
    async fn held_elsewhere(
        &self,
        object_ids: &[String],
    ) -> Result<Vec<(CollectionId, String, ObjectSharing)>>;

    /// The newest version (`is_last`) of every object of `search.collections` whose JSON text
    /// contains `search.text`, ignoring case (ASCII letters on SQLite; PostgreSQL folds case
    /// by the database's locale), optionally of `search.types` only: at most `search.limit`
    /// hits, by collection id, then `date_added`, after `search.after`. The text is matched
    /// literally (`%`, `_` and `\` are not wildcards) against the JSON as stored, so a quote
    /// or a backslash in it matches one inside a JSON string value. The store decides nothing:
    /// every hit carries its sharing facts, for the caller's gate.
    async fn search_objects(&self, search: &TextSearch) -> Result<Vec<SearchHit>>;

    /// Sets (or clears) the purpose assumed for a user's requests that declare none.
    /// `NotFound` if the user does not exist.
    async fn set_default_purpose(&self, user: &str, purpose: Option<String>) -> Result<()>;
    /// A user's default purpose.
    async fn default_purpose(&self, user: &str) -> Result<Option<String>>;

    /// Stores (inserts or replaces) a release request.
    async fn put_release_request(&self, request: ReleaseRequestRecord) -> Result<()>;
    /// One release request. `NotFound` if absent.
    async fn release_request(&self, id: &str) -> Result<ReleaseRequestRecord>;
    /// Release requests concerning an organisation (as originator or requester), newest first.
    async fn release_requests(&self, organisation: &str) -> Result<Vec<ReleaseRequestRecord>>;
    /// Records a granted release (replacing one for the same object and destination).
    async fn add_release(&self, release: ReleaseRecord) -> Result<()>;
    /// The releases of the given objects.
    async fn releases_for(&self, object_ids: &[String]) -> Result<Vec<ReleaseRecord>>;
    /// Whether any release exists (lets readers skip the lookup on nodes that have none).
    async fn has_releases(&self) -> Result<bool>;
}

/// A value as the JSON text a column keeps (both backends).
pub(crate) fn to_json_text<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(crate::Error::backend)
}

/// A value back from the JSON text of a column (both backends).
pub(crate) fn from_json_text<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(crate::Error::backend)
}
