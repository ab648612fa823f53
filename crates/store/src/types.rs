//! Plain data the store takes and returns.

use serde::{Deserialize, Serialize};

/// Microseconds since the Unix epoch: the server-assigned `date_added` of an object version,
/// unique and strictly increasing within a collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DateAdded(pub i64);

impl DateAdded {
    /// As a STIX/TAXII timestamp with six fractional digits.
    pub fn to_timestamp(self) -> entente_stix::Timestamp {
        entente_stix::Timestamp::from_unix_micros(self.0)
    }
}

/// A collection identifier (a UUID in text form, as TAXII 2.1 requires).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CollectionId(pub String);

impl std::fmt::Display for CollectionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A TAXII API root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiRoot {
    /// URL path segment, e.g. `api1` (served at `/api1/`).
    pub name: String,
    /// Human-readable title.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
    /// Largest request body accepted, in bytes.
    pub max_content_length: u64,
}

/// A TAXII collection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// The collection's UUID.
    pub id: CollectionId,
    /// The API root it lives in.
    pub api_root: String,
    /// Human-readable title.
    pub title: String,
    /// Optional description.
    pub description: Option<String>,
    /// Optional alias, unique within the API root.
    pub alias: Option<String>,
    /// Media types this collection serves.
    pub media_types: Vec<String>,
}

/// The outcome of adding one object version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddOutcome {
    /// Stored as a new version.
    Added {
        /// The assigned `date_added`.
        date_added: DateAdded,
    },
    /// That (id, version) was already in the collection; nothing changed.
    Duplicate {
        /// The `date_added` of the version already stored.
        date_added: DateAdded,
    },
}

/// `match[version]` values (TAXII 2.1 section 3.4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionMatch {
    /// The oldest version of each object.
    First,
    /// The newest version of each object (the default).
    Last,
    /// Every version.
    All,
    /// The version whose version timestamp (`modified`, else `created`) is this instant,
    /// compared at nanosecond precision whatever the number of digits written. For an object
    /// with neither (most SCOs), the version whose `date_added` is this instant, as the manifest
    /// reports it.
    At(entente_stix::Timestamp),
}

/// Filters and paging for object, manifest and versions queries. Empty vectors mean "no
/// filter"; an empty `versions` means `last`, as TAXII specifies.
///
/// Semantics (TAXII 2.1 section 3.4): different filters combine with AND, the values of one
/// filter with OR. `first`/`last` are the oldest/newest version of the object among all its
/// versions in the collection. Without `spec_versions`, only the latest `spec_version` among the
/// versions selected by the other filters is returned for each object. Objects without
/// `spec_version` count as `2.0`.
#[derive(Clone, Debug, Default)]
pub struct ObjectFilter {
    /// Only versions added strictly after this.
    pub added_after: Option<DateAdded>,
    /// `match[id]`.
    pub ids: Vec<String>,
    /// `match[type]`.
    pub types: Vec<String>,
    /// `match[version]`; empty means `last`.
    pub versions: Vec<VersionMatch>,
    /// `match[spec_version]` (e.g. `2.1`, `2.0`); empty means "the latest spec_version of each
    /// object".
    pub spec_versions: Vec<String>,
    /// Page size (the caller caps it); 0 means "no items, just tell whether there are any"
    /// (then [`Page::more`] says so, and [`Page::next`] resumes at the same place).
    pub limit: usize,
    /// Keyset cursor: continue strictly after this `date_added` (from [`Page::next`]). When
    /// both this and `added_after` are set, the later bound applies.
    pub after: Option<DateAdded>,
}

impl ObjectFilter {
    /// Every version of every object, of both spec versions, `limit` at a time: what copying
    /// or scanning a collection needs (the other fields left to the caller).
    pub fn every_version(limit: usize) -> ObjectFilter {
        ObjectFilter {
            versions: vec![VersionMatch::All],
            spec_versions: vec!["2.0".into(), "2.1".into()],
            limit,
            ..ObjectFilter::default()
        }
    }
}

/// One page of results.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items, ordered by `date_added` ascending.
    pub items: Vec<T>,
    /// Whether more items match after this page.
    pub more: bool,
    /// The cursor to pass as [`ObjectFilter::after`] for the next page, when `more`.
    pub next: Option<DateAdded>,
}

/// One stored object version with its provenance.
#[derive(Clone, Debug)]
pub struct StoredObject {
    /// The object, exactly as received.
    pub object: entente_stix::Object,
    /// When this version was added to the collection.
    pub date_added: DateAdded,
    /// Its sharing facts, read at ingest.
    pub sharing: crate::ObjectSharing,
}

/// A TAXII manifest record (TAXII 2.1 section 5.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestRecord {
    /// The object id.
    pub id: String,
    /// When this version was added.
    pub date_added: DateAdded,
    /// The version: `modified`, else `created`, else the `date_added` text.
    pub version: String,
    /// `application/stix+json;version=2.1` (or 2.0 for objects without `spec_version`).
    pub media_type: String,
    /// Its sharing facts, read at ingest.
    pub sharing: crate::ObjectSharing,
}

/// A TAXII status resource (TAXII 2.1 section 4.3.1), stored as the server built it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Status {
    /// The status id (a UUID).
    pub id: String,
    /// The API root it belongs to.
    pub api_root: String,
    /// The user who made the request (only they and admins may read it).
    pub owner: String,
    /// The full status resource as TAXII JSON, kept as its text: it is written once, stored
    /// and served as it is, and never read field by field. (A POST of 1,000 objects builds a
    /// status of 1,000 entries inside the writer's transaction; going through a
    /// [`serde_json::Value`] tree cost the writer twice the time of writing the text.)
    pub body: Box<serde_json::value::RawValue>,
}

/// Equal when every field is, the body compared as text.
impl PartialEq for Status {
    fn eq(&self, other: &Status) -> bool {
        self.id == other.id
            && self.api_root == other.api_root
            && self.owner == other.owner
            && self.body.get() == other.body.get()
    }
}

impl Eq for Status {}

/// User roles (see DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Manages the node.
    Admin,
    /// Reads and writes intelligence.
    Analyst,
    /// Liaison officer: manages exchanges with partners.
    LiaisonOfficer,
    /// Oversight: read-only access to the audit trail.
    Reviewer,
    /// A machine credential (a partner node, a tool).
    Service,
}

impl Role {
    /// The role's name as used in the CLI and config.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::LiaisonOfficer => "liaison-officer",
            Role::Reviewer => "reviewer",
            Role::Service => "service",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "admin" => Role::Admin,
            "analyst" => Role::Analyst,
            "liaison-officer" => Role::LiaisonOfficer,
            "reviewer" => Role::Reviewer,
            "service" => Role::Service,
            _ => {
                return Err(format!(
                    "unknown role `{s}` (expected admin, analyst, liaison-officer, reviewer or service)"
                ));
            }
        })
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Unique login name.
    pub name: String,
    /// The organisation the user belongs to.
    pub organisation: String,
    /// The user's role.
    pub role: Role,
    /// argon2id PHC string; `None` for token-only service credentials.
    pub password_hash: Option<String>,
}

/// An API token. Only the SHA-256 of the token is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// Hex SHA-256 of the token.
    pub sha256: String,
    /// The owning user.
    pub user: String,
    /// A label for operators (e.g. "partner node FR").
    pub label: String,
}

/// A user's access to one collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    /// The user.
    pub user: String,
    /// The collection.
    pub collection: CollectionId,
    /// May read objects, manifest, versions.
    pub can_read: bool,
    /// May add and delete objects.
    pub can_write: bool,
}
