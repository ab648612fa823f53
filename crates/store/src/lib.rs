//! The entente store: one [`Store`] trait, named by intent, with an embedded SQLite backend
//! (the default) and a PostgreSQL backend.
//!
//! What it is not: it knows nothing of HTTP, TAXII envelopes or the policy gate. It keeps object
//! versions (append-only), collections, API roots, users and credentials, and TAXII status
//! resources, and it answers the queries TAXII needs with keyset paging on `date_added`.
//!
//! Invariants kept here:
//! - **Append-only history**: an object version (collection, id, version) is never edited in
//!   place; the same version again is a duplicate, not an error. Only [`Store::delete_object`]
//!   removes versions, and callers audit it.
//! - **Durable when acknowledged**: when [`Store::add_objects`] returns `Ok`, the versions are
//!   committed to disk.
//! - `date_added` is unique and strictly increasing within a collection (microseconds), because
//!   TAXII paging depends on it.
//! - Only this crate speaks SQL.
//! - **The audit log is append-only**: [`Store::append_audit`] numbers entries 1, 2, 3...
//!   without gaps and links each to the one before under the writer lock (across processes);
//!   no method updates or deletes an entry, and the schema refuses it (see the `audit` module).
//!
//! Choosing a backend: [`open`] takes a URL, `sqlite:PATH` (the embedded default; the file and
//! its folder are created) or `postgres://...` (several entente processes over one database).
//! Each backend owns its migrations (`migrations/<backend>/NNNN_name.sql`), embedded in the binary
//! and applied on open; a shipped migration is never edited. Both backends answer the same
//! conformance suite (`tests/conformance.rs`).
//!
//! Filter semantics (TAXII 2.1 section 3.4) are written once, in the `filter` module, and
//! rendered per SQL dialect: `match[version]` `first`/`last` are maintained as flags on each
//! version row so that the default query (`last`) is an index scan whatever order versions
//! arrived in.
//!
//! ```no_run
//! # async fn demo() -> entente_store::Result<()> {
//! let store = entente_store::open("sqlite:/var/lib/entente/entente.db").await?;
//! let roots = store.api_roots().await?;
//! # let _ = roots; Ok(()) }
//! ```
#![deny(missing_docs)]

mod audit;
mod correlation;
mod error;
mod federation;
mod filter;
pub mod postgres;
mod screening;
mod sharing;
pub mod sqlite;
mod types;

pub use audit::{AUDIT_GENESIS, AUDIT_HASH_LEN, AuditEntry, AuditHasher, AuditRecord};
pub use correlation::{CorrelationHit, CorrelationStore, HitSide};
pub use error::{Error, Result};
pub use federation::{
    Deletion, FederationStore, OrganisationKey, Peer, PeerOptions, PeerProgress, PeerState,
    PeerStateUpdate, PeerTls, PulledPageUpdate,
};
pub use postgres::PostgresStore;
pub use screening::*;
pub use sharing::{
    ChannelRecord, CollectionScope, ObjectSharing, Organisation, ReleaseRecord,
    ReleaseRequestRecord, SearchHit, SharingStore, SignatureBatch, TextSearch,
};
pub use sqlite::SqliteStore;
pub use types::*;

/// Opens the store named by `url` and runs its migrations.
///
/// - `sqlite:PATH` (also `sqlite://PATH`): the embedded backend; `PATH` is created with its
///   parent folders when missing.
/// - `postgres://...` or `postgresql://...`: the PostgreSQL backend (libpq-style URL).
///
/// Anything else is [`Error::Invalid`].
pub async fn open(url: &str) -> Result<SharedStore> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(Error::Invalid("sqlite: URL without a path".into()));
        }
        Ok(Arc::new(SqliteStore::open(path).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(Error::Invalid(
            "unknown store URL: expected sqlite:PATH or postgres://...".into(),
        ))
    }
}

use async_trait::async_trait;
use std::sync::Arc;

/// Decides one stored version on its sharing facts (see [`Store::objects_page_decided`]):
/// `None` serves it, `Some(rule)` withholds it, naming the rule that did.
pub type Decide = Arc<dyn Fn(&ObjectSharing) -> Option<&'static str> + Send + Sync>;

/// A row of a page read with [`Store::objects_page_decided`].
// Most rows are served: boxing them would cost an allocation each to save the space of the
// few withheld ones.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Decided {
    /// Served: the version, parsed.
    Served(StoredObject),
    /// Withheld: only where it was, and the rule.
    Withheld {
        /// Its `date_added` (a cursor may stop there).
        date_added: DateAdded,
        /// The rule that withheld it.
        rule: &'static str,
    },
}

impl Decided {
    /// The row's `date_added`.
    pub fn date_added(&self) -> DateAdded {
        match self {
            Decided::Served(o) => o.date_added,
            Decided::Withheld { date_added, .. } => *date_added,
        }
    }
}

/// Builds the status resource of a write from its outcomes, one per object in input order
/// (see [`Store::add_objects_with_status`]).
pub type MakeStatus = Box<dyn FnOnce(&[AddOutcome]) -> Status + Send>;

/// Everything entente persists. Implemented by the SQLite and PostgreSQL backends; handed to
/// the server as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    SharingStore + ScreeningStore + CorrelationStore + FederationStore + Send + Sync + 'static
{
    // ---- API roots and collections ----

    /// Creates an API root. `Conflict` if the name exists.
    async fn create_api_root(&self, root: ApiRoot) -> Result<()>;
    /// All API roots, by name.
    async fn api_roots(&self) -> Result<Vec<ApiRoot>>;
    /// Creates a collection in an API root. `NotFound` if the root does not exist,
    /// `Conflict` if the id or the alias is taken in that root.
    async fn create_collection(&self, collection: Collection) -> Result<()>;
    /// The collections of one API root, by title then id.
    async fn collections(&self, api_root: &str) -> Result<Vec<Collection>>;
    /// One collection, found by id or alias. `NotFound` if absent.
    async fn collection(&self, api_root: &str, id_or_alias: &str) -> Result<Collection>;

    // ---- Objects ----

    /// Adds object versions to a collection in one durable transaction. Each input yields one
    /// outcome, in order: `Added` with its `date_added`, or `Duplicate` when that (id, version)
    /// is already in the collection (or earlier in the same batch). `NotFound` if the collection
    /// does not exist. The version is `modified`, else `created`, compared as an instant; an
    /// object with neither has a single version. The JSON text is stored exactly as given.
    async fn add_objects(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
    ) -> Result<Vec<AddOutcome>>;

    /// One page of object versions matching `filter`, ordered by `date_added` ascending.
    async fn objects_page(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
    ) -> Result<Page<StoredObject>>;

    /// [`Store::objects_page`] with each version decided by `decide` on its sharing facts as
    /// its row is read: a withheld version's body is never parsed, and the decisions are made
    /// where the facts were just read. The page counts withheld rows as `objects_page` counts
    /// rows (`limit`, `more`, `next`).
    async fn objects_page_decided(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
        decide: Decide,
    ) -> Result<Page<Decided>> {
        let page = self.objects_page(collection, filter).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .map(|o| match decide(&o.sharing) {
                    None => Decided::Served(o),
                    Some(rule) => Decided::Withheld {
                        date_added: o.date_added,
                        rule,
                    },
                })
                .collect(),
            more: page.more,
            next: page.next,
        })
    }

    /// One page of manifest records (no object text) matching `filter`, same order and
    /// semantics as [`Store::objects_page`].
    async fn manifest_page(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
    ) -> Result<Page<ManifestRecord>>;

    /// Deletes the versions of one object matching `filter` (`match[version]` and
    /// `match[spec_version]` only; the other fields are ignored). Returns how many versions
    /// were removed; `NotFound` when none matched.
    async fn delete_object(
        &self,
        collection: &CollectionId,
        id: &str,
        filter: &ObjectFilter,
    ) -> Result<u64>;

    /// Number of object versions stored in a collection.
    async fn count_objects(&self, collection: &CollectionId) -> Result<u64>;

    // ---- TAXII status resources ----

    /// Stores (inserts or replaces) a status resource.
    async fn put_status(&self, status: Status) -> Result<()>;
    /// One status resource. `NotFound` if absent.
    async fn status(&self, api_root: &str, id: &str) -> Result<Status>;

    /// As [`SharingStore::add_objects_with`], then stores the status resource `make` builds
    /// from the outcomes. The SQLite backend does both in one transaction, so that the
    /// versions of a TAXII POST and their status are durable together with one commit (the
    /// writer is held, and the disk flushed, once per request rather than twice); this default
    /// does one after the other.
    async fn add_objects_with_status(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
        make: MakeStatus,
    ) -> Result<(Vec<AddOutcome>, Status)> {
        let outcomes = self.add_objects_with(collection, objects, sharing).await?;
        let status = make(&outcomes);
        self.put_status(status.clone()).await?;
        Ok((outcomes, status))
    }

    /// Tells the store that a bulk load follows (`entente import`): a backend may give up
    /// cache memory it keeps for a serving node's mixed writes. The SQLite store's writers
    /// then keep 8 MiB of page cache each (instead of 64 for the main file's, 16 for the
    /// hits'). The default does nothing.
    async fn prepare_bulk_load(&self) -> Result<()> {
        Ok(())
    }

    // ---- Users, credentials, permissions ----

    /// Creates a user. `Conflict` if the name exists.
    async fn add_user(&self, user: User) -> Result<()>;
    /// One user by name. `NotFound` if absent.
    async fn user(&self, name: &str) -> Result<User>;
    /// All users, by name.
    async fn users(&self) -> Result<Vec<User>>;
    /// Stores an API token (only its SHA-256 hash is kept) for a user. `NotFound` if the user
    /// does not exist, `Conflict` if the hash is already stored.
    async fn add_token(&self, token: ApiToken) -> Result<()>;
    /// The user owning a token hash. `NotFound` if no such token.
    async fn user_by_token(&self, token_sha256: &str) -> Result<User>;
    /// Grants or changes a user's access to one collection. `NotFound` if the user or the
    /// collection does not exist.
    async fn set_permission(&self, permission: Permission) -> Result<()>;
    /// A user's permission on one collection. `NotFound` when none was granted.
    async fn permission(&self, user: &str, collection: &CollectionId) -> Result<Permission>;

    // ---- Audit log (append-only, hash-chained; see the `audit` module) ----

    /// Appends `records` to the audit log in one durable transaction and returns the entries as
    /// stored. Under the backend's writer lock (held across processes), the store reads the
    /// head, gives the records the next sequence numbers (1, 2, 3... without gaps), links each
    /// to the hash before it ([`AUDIT_GENESIS`] for the first) and seals it with `hasher`.
    /// Nothing is appended for an empty `records`. Rows are never updated nor deleted.
    async fn append_audit(
        &self,
        records: Vec<AuditRecord>,
        hasher: AuditHasher,
    ) -> Result<Vec<AuditEntry>>;

    /// The newest audit entry, `None` while the log is empty.
    async fn audit_head(&self) -> Result<Option<AuditEntry>>;

    /// Up to `limit` audit entries with `seq > after`, by `seq` ascending, exactly as stored.
    async fn audit_page(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>>;
}

/// A shared, dynamically dispatched store, as the server holds it.
pub type SharedStore = Arc<dyn Store>;
