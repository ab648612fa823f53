//! The PostgreSQL backend, for deployments that outgrow one machine: several stateless entente
//! processes over one database.
//!
//! What it is: [`PostgresStore`], opened from a `postgres://` URL by [`crate::open`], with its own
//! migrations in `migrations/postgres/` applied on connect (under an advisory lock, so processes
//! starting together do not race). It speaks through `tokio-postgres` with a small built-in
//! connection pool; TLS to the database is not configured here (run it on loopback or a private
//! network).
//!
//! `date_added` across processes: the insert transaction locks the collection's row
//! (`SELECT ... FOR UPDATE`) and draws `max(now, last + 1)` from its counter, so values are unique
//! and strictly increasing per collection even with several writers, and a writer holding a
//! larger value commits after every smaller one (a reader paging with a cursor never sees a value
//! appear behind it). The lock is per collection: writers to different collections do not wait on
//! each other.
//!
//! Batches: `add_objects` looks up existing versions of the whole batch in one query, inserts
//! all new versions with one `INSERT ... SELECT FROM unnest(...)`, and recomputes the
//! `first`/`last` flags only of objects that already had versions.

mod correlation;
mod federation;
mod screening;
mod sharing;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Statement};

use crate::filter::{self, Dialect, Param};
use crate::{
    AddOutcome, ApiRoot, ApiToken, AuditEntry, AuditHasher, AuditRecord, Collection, CollectionId,
    DateAdded, Error, ManifestRecord, ObjectFilter, ObjectSharing, Page, Permission, Result, Role,
    SignatureBatch, Status, Store, StoredObject, User,
};

/// Migrations, in order. A shipped migration is never edited: changes go in a new file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "audit",
        include_str!("../migrations/postgres/0002_audit.sql"),
    ),
    (
        3,
        "sharing",
        include_str!("../migrations/postgres/0003_sharing.sql"),
    ),
    (
        4,
        "screening",
        include_str!("../migrations/postgres/0004_screening.sql"),
    ),
    (
        5,
        "correlation",
        include_str!("../migrations/postgres/0005_correlation.sql"),
    ),
    (
        6,
        "federation",
        include_str!("../migrations/postgres/0006_federation.sql"),
    ),
    (
        7,
        "provenance",
        include_str!("../migrations/postgres/0007_provenance.sql"),
    ),
    (
        8,
        "peer_claims",
        include_str!("../migrations/postgres/0008_peer_claims.sql"),
    ),
    (
        9,
        "signature_batches",
        include_str!("../migrations/postgres/0009_signature_batches.sql"),
    ),
    (
        10,
        "signature_batch_refs",
        include_str!("../migrations/postgres/0010_signature_batch_refs.sql"),
    ),
];

/// Key of the advisory lock that serialises migrations across processes.
const MIGRATION_LOCK: i64 = 0x656e_7465_6e74_6501;

/// Most connections one process opens at once.
const MAX_CONNECTIONS: usize = 16;

/// Recomputes the maintenance flags of every version of the listed objects. Only the flags
/// change; versions themselves are never edited.
const RECOMPUTE_FLAGS: &str = "UPDATE objects o SET is_first = (o.vkey = a.mn), \
     is_last = (o.vkey = a.mx), is_latest_spec = (o.spec_version = a.ms) \
     FROM (SELECT id, min(vkey) AS mn, max(vkey) AS mx, max(spec_version) AS ms FROM objects \
           WHERE coll = $1 AND id = ANY($2) GROUP BY id) a \
     WHERE o.coll = $1 AND o.id = a.id";

/// The PostgreSQL store. Cheap to clone (shared pool).
#[derive(Clone)]
pub struct PostgresStore {
    pool: Arc<Pool>,
}

struct Pool {
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Conn>>,
    permits: Arc<Semaphore>,
}

/// One connection with its cache of prepared statements.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Conn {
    async fn prepare_cached(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).await?;
        if self.statements.len() > 128 {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), s.clone());
        Ok(s)
    }
}

/// A connection checked out of the pool; goes back on drop unless it broke.
struct Pooled {
    conn: Option<Conn>,
    pool: Arc<Pool>,
    _permit: OwnedSemaphorePermit,
}

impl std::ops::Deref for Pooled {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take()
            && !c.client.is_closed()
        {
            self.pool.idle.lock().expect("pool poisoned").push(c);
        }
    }
}

impl Pool {
    async fn get(self: &Arc<Self>) -> Result<Pooled> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(Error::backend)?;
        let idle = loop {
            let c = self.idle.lock().expect("pool poisoned").pop();
            match c {
                Some(c) if c.client.is_closed() => continue,
                other => break other,
            }
        };
        let conn = match idle {
            Some(c) => c,
            None => {
                let (client, connection) = self.config.connect(NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::warn!(error = %e, "PostgreSQL connection closed");
                    }
                });
                Conn {
                    client,
                    statements: HashMap::new(),
                }
            }
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: self.clone(),
            _permit: permit,
        })
    }
}

fn to_sql(params: &[Param]) -> Vec<Box<dyn ToSql + Sync + Send>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync + Send> {
            match p {
                Param::Int(i) => Box::new(*i),
                Param::Text(s) => Box::new(s.clone()),
                Param::TextList(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

fn refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

fn parse_role(name: &str, role: &str) -> Result<Role> {
    role.parse()
        .map_err(|e: String| Error::backend(format!("stored user {name}: {e}")))
}

fn row_to_user(r: &tokio_postgres::Row) -> Result<User> {
    let name: String = r.get(0);
    let role: String = r.get(2);
    Ok(User {
        role: parse_role(&name, &role)?,
        organisation: r.get(1),
        password_hash: r.get(3),
        name,
    })
}

fn row_to_collection(r: &tokio_postgres::Row) -> Result<Collection> {
    let media: String = r.get(5);
    Ok(Collection {
        id: CollectionId(r.get(0)),
        api_root: r.get(1),
        title: r.get(2),
        description: r.get(3),
        alias: r.get(4),
        media_types: serde_json::from_str(&media).map_err(Error::backend)?,
    })
}

/// The sharing columns read by [`read_sharing`], after the caller's own.
const SHARING_COLUMNS: &str =
    "o.originator, o.received_through, o.tlp, o.handling, o.recipients, o.signature";

/// The columns of [`read_object`]'s header facts, after the caller's own.
pub(crate) const HEADER_COLUMNS: &str = "o.id, o.created, o.modified";

/// Rebuilds a stored object from its body (column `body`) and the header facts stored beside
/// it ([`HEADER_COLUMNS`], from column `header`), without parsing the body again: it was read
/// and validated when it was stored.
pub(crate) fn read_object(
    r: &tokio_postgres::Row,
    body: usize,
    header: usize,
) -> Result<entente_stix::Object> {
    entente_stix::Object::from_stored(
        r.get(body),
        r.get(header),
        r.get(header + 1),
        r.get(header + 2),
    )
    .map_err(Error::backend)
}

/// Reads the sharing columns starting at column `at`.
fn read_sharing(r: &tokio_postgres::Row, at: usize) -> Result<ObjectSharing> {
    let recipients: Option<&str> = r.get(at + 4);
    Ok(ObjectSharing {
        originator: r.get(at),
        received_through: r.get(at + 1),
        tlp: r.get(at + 2),
        handling: r.get(at + 3),
        recipients: match recipients {
            Some(t) => serde_json::from_str(t).map_err(Error::backend)?,
            None => Vec::new(),
        },
        signature: r.get(at + 5),
        signature_batch: None,
    })
}

async fn collection_pk(conn: &mut Conn, id: &CollectionId) -> Result<i64> {
    let st = conn
        .prepare_cached("SELECT pk FROM collections WHERE id = $1")
        .await?;
    conn.client
        .query_opt(&st, &[&id.0])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| Error::NotFound(format!("collection {id}")))
}

/// Columns of the new versions of one batch, in `unnest` order.
#[derive(Default)]
struct NewRows {
    date_added: Vec<i64>,
    id: Vec<String>,
    kind: Vec<String>,
    spec: Vec<String>,
    vkey: Vec<String>,
    version: Vec<Option<String>>,
    created: Vec<Option<String>>,
    modified: Vec<Option<String>>,
    flag: Vec<bool>,
    body: Vec<String>,
    originator: Vec<Option<String>>,
    received_through: Vec<Option<String>>,
    tlp: Vec<Option<String>>,
    handling: Vec<Option<String>>,
    recipients: Vec<Option<String>>,
    signature: Vec<Option<String>>,
}

impl PostgresStore {
    /// Connects to the database named by `url` (libpq-style `postgres://` URL) and runs the
    /// migrations.
    pub async fn connect(url: &str) -> Result<PostgresStore> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|_| Error::Invalid("malformed PostgreSQL URL".into()))?;
        let store = PostgresStore {
            pool: Arc::new(Pool {
                config,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            }),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Adds objects, with their sharing facts when given (see [`Store::add_objects`]; `Invalid`
    /// when the lengths differ), and hands them back; when `peer` is given, changes that peer's
    /// state from the outcomes in the same transaction (see
    /// [`crate::FederationStore::add_pulled_page`]).
    pub(crate) async fn add_objects_sharing(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Option<Vec<ObjectSharing>>,
        peer: Option<(&str, crate::PulledPageUpdate)>,
    ) -> Result<(Vec<AddOutcome>, Vec<entente_stix::Object>)> {
        crate::sharing::one_record_each(&objects, sharing.as_deref())?;
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        // The per-collection lock: held until commit, it orders writers of this collection.
        let row = tx
            .query_opt(
                "SELECT pk, last_date_added FROM collections WHERE id = $1 FOR UPDATE",
                &[&collection.0],
            )
            .await?
            .ok_or_else(|| Error::NotFound(format!("collection {collection}")))?;
        let (pk, last): (i64, i64) = (row.get(0), row.get(1));
        let ids: Vec<String> = objects
            .iter()
            .map(|o| o.id().as_str().to_owned())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut existing: HashMap<(String, String), i64> = HashMap::new();
        let mut has_versions: HashSet<String> = HashSet::new();
        for r in tx
            .query(
                "SELECT id, vkey, date_added FROM objects WHERE coll = $1 AND id = ANY($2)",
                &[&pk, &ids],
            )
            .await?
        {
            let id: String = r.get(0);
            has_versions.insert(id.clone());
            existing.insert((id, r.get(1)), r.get(2));
        }
        // Invariant: every date_added handed out below is > `last` and strictly increasing.
        let mut next = filter::now_micros().max(last + 1);
        let mut rows = NewRows::default();
        let mut recompute: Vec<String> = Vec::new();
        // The batch records the added versions name, each once.
        let mut batches: Vec<(String, String)> = Vec::new();
        let mut outcomes = Vec::with_capacity(objects.len());
        let none = ObjectSharing::default();
        for (i, o) in objects.iter().enumerate() {
            let facts = sharing.as_ref().and_then(|f| f.get(i)).unwrap_or(&none);
            let id = o.id().as_str().to_owned();
            let key = (id.clone(), filter::version_key(o));
            if let Some(d) = existing.get(&key) {
                outcomes.push(AddOutcome::Duplicate {
                    date_added: DateAdded(*d),
                });
                continue;
            }
            let had = !has_versions.insert(id.clone());
            if had {
                recompute.push(id.clone());
            }
            rows.date_added.push(next);
            rows.id.push(id);
            rows.kind.push(o.object_type().to_owned());
            rows.spec.push(filter::effective_spec_version(o).to_owned());
            rows.vkey.push(key.1.clone());
            rows.version
                .push(o.version().map(|t| t.as_str().to_owned()));
            rows.created
                .push(o.created().map(|t| t.as_str().to_owned()));
            rows.modified
                .push(o.modified().map(|t| t.as_str().to_owned()));
            rows.flag.push(!had);
            rows.body.push(o.as_json().to_owned());
            rows.originator.push(facts.originator.clone());
            rows.received_through.push(facts.received_through.clone());
            rows.tlp.push(facts.tlp.clone());
            rows.handling.push(facts.handling.clone());
            rows.recipients
                .push(crate::sqlite::recipients_text(&facts.recipients));
            rows.signature.push(facts.signature.clone());
            if let Some(b) = &facts.signature_batch
                && !batches.iter().any(|(k, _)| *k == b.key)
            {
                batches.push((b.key.clone(), b.record.clone()));
            }
            existing.insert(key, next);
            outcomes.push(AddOutcome::Added {
                date_added: DateAdded(next),
            });
            next += 1;
        }
        if !rows.id.is_empty() {
            tx.execute(
                "INSERT INTO objects (coll, date_added, id, type, spec_version, vkey, version, \
                 created, modified, is_first, is_last, is_latest_spec, body, originator, \
                 received_through, tlp, handling, recipients, signature) \
                 SELECT $1, d, i, t, s, k, v, c, m, f, f, f, b, og, rt, tl, hc, rc, sg \
                 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::text[], $9::text[], $10::bool[], $11::text[], $12::text[], \
                 $13::text[], $14::text[], $15::text[], $16::text[], $17::text[]) \
                 AS u(d, i, t, s, k, v, c, m, f, b, og, rt, tl, hc, rc, sg)",
                &[
                    &pk,
                    &rows.date_added,
                    &rows.id,
                    &rows.kind,
                    &rows.spec,
                    &rows.vkey,
                    &rows.version,
                    &rows.created,
                    &rows.modified,
                    &rows.flag,
                    &rows.body,
                    &rows.originator,
                    &rows.received_through,
                    &rows.tlp,
                    &rows.handling,
                    &rows.recipients,
                    &rows.signature,
                ],
            )
            .await?;
            if !batches.is_empty() {
                // A record already stored is locked until the commit (a do-nothing conflict
                // would not lock it), the records of a write in key order: a deletion of its last version by another
                // connection then either waits and finds the references counted here, or
                // commits first, and the record is inserted again.
                batches.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                let (keys, records): (Vec<String>, Vec<String>) = batches.into_iter().unzip();
                tx.execute(
                    "INSERT INTO signature_batches (key, record) \
                     SELECT * FROM unnest($1::text[], $2::text[]) \
                     ON CONFLICT (key) DO UPDATE SET record = signature_batches.record",
                    &[&keys, &records],
                )
                .await?;
            }
            let added = rows.signature.iter().flatten().map(String::as_str);
            add_references(&tx, &SignatureBatch::count_references(added, 1)).await?;
            if !recompute.is_empty() {
                recompute.sort();
                recompute.dedup();
                tx.execute(RECOMPUTE_FLAGS, &[&pk, &recompute]).await?;
            }
            tx.execute(
                "UPDATE collections SET last_date_added = $1 WHERE pk = $2",
                &[&(next - 1), &pk],
            )
            .await?;
        }
        if let Some((name, update)) = peer {
            federation::update_state(&tx, name, |s| update(&outcomes, s)).await?;
        }
        tx.commit().await?;
        Ok((outcomes, objects))
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.pool.get().await?;
        let known = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
        let tx = conn.client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let newest: Option<i64> = tx
            .query_one("SELECT max(version) FROM schema_migrations", &[])
            .await?
            .get(0);
        if newest.unwrap_or(0) > known {
            return Err(Error::Invalid(format!(
                "database schema version {} is newer than this program knows ({known})",
                newest.unwrap_or(0)
            )));
        }
        for (version, name, sql) in MIGRATIONS {
            let done: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
                    &[version],
                )
                .await?
                .get(0);
            if !done {
                tracing::info!(version, name, "applying PostgreSQL migration");
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) \
                     VALUES ($1, $2, $3)",
                    &[version, name, &filter::now_micros()],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_api_root(&self, root: ApiRoot) -> Result<()> {
        let conn = self.pool.get().await?;
        let n = conn
            .client
            .execute(
                "INSERT INTO api_roots (name, title, description, max_content_length) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                &[
                    &root.name,
                    &root.title,
                    &root.description,
                    &(root.max_content_length as i64),
                ],
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict(format!("API root {} exists", root.name)));
        }
        Ok(())
    }

    async fn api_roots(&self) -> Result<Vec<ApiRoot>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT name, title, description, max_content_length FROM api_roots \
                 ORDER BY name",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| ApiRoot {
                name: r.get(0),
                title: r.get(1),
                description: r.get(2),
                max_content_length: r.get::<_, i64>(3) as u64,
            })
            .collect())
    }

    async fn create_collection(&self, c: Collection) -> Result<()> {
        let media = serde_json::to_string(&c.media_types).map_err(Error::backend)?;
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        // Serialise collection creation within the root so the uniqueness checks below hold.
        let root = tx
            .query_opt(
                "SELECT name FROM api_roots WHERE name = $1 FOR UPDATE",
                &[&c.api_root],
            )
            .await?;
        if root.is_none() {
            return Err(Error::NotFound(format!("API root {}", c.api_root)));
        }
        let mut names = vec![c.id.0.clone()];
        names.extend(c.alias.clone());
        for name in &names {
            let taken: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1 \
                     OR (api_root = $2 AND alias = $1))",
                    &[name, &c.api_root],
                )
                .await?
                .get(0);
            if taken {
                return Err(Error::Conflict(format!(
                    "collection id or alias {name} is taken"
                )));
            }
        }
        let inserted = tx
            .execute(
                "INSERT INTO collections (id, api_root, title, description, alias, media_types) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &c.id.0,
                    &c.api_root,
                    &c.title,
                    &c.description,
                    &c.alias,
                    &media,
                ],
            )
            .await?;
        if inserted == 0 {
            return Err(Error::Conflict(format!("collection {} exists", c.id)));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn collections(&self, api_root: &str) -> Result<Vec<Collection>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT id, api_root, title, description, alias, media_types FROM collections \
                 WHERE api_root = $1 ORDER BY title, id",
                &[&api_root],
            )
            .await?;
        rows.iter().map(row_to_collection).collect()
    }

    async fn collection(&self, api_root: &str, id_or_alias: &str) -> Result<Collection> {
        let mut conn = self.pool.get().await?;
        let st = conn
            .prepare_cached(
                "SELECT id, api_root, title, description, alias, media_types FROM collections \
                 WHERE api_root = $1 AND (id = $2 OR alias = $2) ORDER BY (id = $2) DESC LIMIT 1",
            )
            .await?;
        match conn
            .client
            .query_opt(&st, &[&api_root, &id_or_alias])
            .await?
        {
            Some(r) => row_to_collection(&r),
            None => Err(Error::NotFound(format!(
                "collection {id_or_alias} in {api_root}"
            ))),
        }
    }

    async fn add_objects(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
    ) -> Result<Vec<AddOutcome>> {
        Ok(self
            .add_objects_sharing(collection, objects, None, None)
            .await?
            .0)
    }

    async fn objects_page(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
    ) -> Result<Page<StoredObject>> {
        let mut conn = self.pool.get().await?;
        let pk = collection_pk(&mut conn, collection).await?;
        let mut clause = filter::page_clause(Dialect::Postgres, pk, filter);
        let limit = clause.bind(Param::Int(filter::fetch_limit(filter)));
        let sql = format!(
            "SELECT o.date_added, o.body, {SHARING_COLUMNS}, {HEADER_COLUMNS} FROM objects o \
             WHERE {} ORDER BY o.date_added LIMIT {limit}",
            clause.sql,
        );
        let st = conn.prepare_cached(&sql).await?;
        let params = to_sql(&clause.params);
        let rows = conn.client.query(&st, &refs(&params)).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(StoredObject {
                    date_added: DateAdded(r.get(0)),
                    object: read_object(r, 1, 8)?,
                    sharing: read_sharing(r, 2)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(filter::into_page(items, filter, |o| o.date_added))
    }

    async fn manifest_page(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
    ) -> Result<Page<ManifestRecord>> {
        let mut conn = self.pool.get().await?;
        let pk = collection_pk(&mut conn, collection).await?;
        let mut clause = filter::page_clause(Dialect::Postgres, pk, filter);
        let limit = clause.bind(Param::Int(filter::fetch_limit(filter)));
        let sql = format!(
            "SELECT o.id, o.date_added, o.version, o.spec_version, {SHARING_COLUMNS} \
             FROM objects o WHERE {} ORDER BY o.date_added LIMIT {limit}",
            clause.sql,
        );
        let st = conn.prepare_cached(&sql).await?;
        let params = to_sql(&clause.params);
        let rows = conn.client.query(&st, &refs(&params)).await?;
        let items = rows
            .iter()
            .map(|r| {
                let date_added = DateAdded(r.get(1));
                let version: Option<String> = r.get(2);
                let spec: &str = r.get(3);
                Ok(ManifestRecord {
                    id: r.get(0),
                    date_added,
                    version: version
                        .unwrap_or_else(|| date_added.to_timestamp().as_str().to_owned()),
                    media_type: filter::media_type(spec),
                    sharing: read_sharing(r, 4)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(filter::into_page(items, filter, |m| m.date_added))
    }

    async fn delete_object(
        &self,
        collection: &CollectionId,
        id: &str,
        filter: &ObjectFilter,
    ) -> Result<u64> {
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        // Take the collection lock so flag recomputation cannot interleave with an insert of
        // the same object.
        let pk: i64 = tx
            .query_opt(
                "SELECT pk FROM collections WHERE id = $1 FOR UPDATE",
                &[&collection.0],
            )
            .await?
            .ok_or_else(|| Error::NotFound(format!("collection {collection}")))?
            .get(0);
        let clause = filter::delete_clause(Dialect::Postgres, pk, id, filter);
        let params = to_sql(&clause.params);
        // The deletion log (federation): what is deleted, with the facts it had.
        tx.execute(
            &format!(
                "INSERT INTO deletions (collection, object_id, version, deleted_at, originator, \
                 received_through, tlp, handling, recipients) \
                 SELECT '{}', o.id, coalesce(o.modified, o.created), {}, o.originator, \
                 o.received_through, o.tlp, o.handling, o.recipients FROM objects AS o \
                 WHERE {} ORDER BY o.date_added",
                collection.0.replace('\'', "''"),
                filter::now_micros(),
                clause.sql
            ),
            &refs(&params),
        )
        .await?;
        // Each deleted version's signature: the batch records they refer to lose them.
        let signatures: Vec<Option<String>> = tx
            .query(
                &format!(
                    "DELETE FROM objects AS o WHERE {} RETURNING o.signature",
                    clause.sql
                ),
                &refs(&params),
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let n = signatures.len() as u64;
        if n == 0 {
            return Err(Error::NotFound(format!(
                "object {id} in collection {collection}"
            )));
        }
        let deleted = signatures.iter().flatten().map(String::as_str);
        add_references(&tx, &SignatureBatch::count_references(deleted, -1)).await?;
        tx.execute(RECOMPUTE_FLAGS, &[&pk, &vec![id.to_owned()]])
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn count_objects(&self, collection: &CollectionId) -> Result<u64> {
        let mut conn = self.pool.get().await?;
        let pk = collection_pk(&mut conn, collection).await?;
        let n: i64 = conn
            .client
            .query_one("SELECT count(*) FROM objects WHERE coll = $1", &[&pk])
            .await?
            .get(0);
        Ok(n as u64)
    }

    async fn put_status(&self, status: Status) -> Result<()> {
        let body = status.body.get();
        let conn = self.pool.get().await?;
        conn.client
            .execute(
                "INSERT INTO statuses (api_root, id, owner, body) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (api_root, id) DO UPDATE SET owner = excluded.owner, \
                 body = excluded.body",
                &[&status.api_root, &status.id, &status.owner, &body],
            )
            .await?;
        Ok(())
    }

    async fn status(&self, api_root: &str, id: &str) -> Result<Status> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT owner, body FROM statuses WHERE api_root = $1 AND id = $2",
                &[&api_root, &id],
            )
            .await?
            .ok_or_else(|| Error::NotFound(format!("status {id}")))?;
        let body: &str = row.get(1);
        Ok(Status {
            id: id.to_owned(),
            api_root: api_root.to_owned(),
            owner: row.get(0),
            body: serde_json::value::RawValue::from_string(body.to_owned())
                .map_err(Error::backend)?,
        })
    }

    async fn add_user(&self, user: User) -> Result<()> {
        let conn = self.pool.get().await?;
        let n = conn
            .client
            .execute(
                "INSERT INTO users (name, organisation, role, password_hash) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                &[
                    &user.name,
                    &user.organisation,
                    &user.role.as_str(),
                    &user.password_hash,
                ],
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict(format!("user {} exists", user.name)));
        }
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<User> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT name, organisation, role, password_hash FROM users WHERE name = $1",
                &[&name],
            )
            .await?
            .ok_or_else(|| Error::NotFound(format!("user {name}")))?;
        row_to_user(&row)
    }

    async fn users(&self) -> Result<Vec<User>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT name, organisation, role, password_hash FROM users ORDER BY name",
                &[],
            )
            .await?;
        rows.iter().map(row_to_user).collect()
    }

    async fn add_token(&self, token: ApiToken) -> Result<()> {
        let conn = self.pool.get().await?;
        let user: bool = conn
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = $1)",
                &[&token.user],
            )
            .await?
            .get(0);
        if !user {
            return Err(Error::NotFound(format!("user {}", token.user)));
        }
        let n = conn
            .client
            .execute(
                "INSERT INTO api_tokens (sha256, user_name, label) VALUES ($1, $2, $3) \
                 ON CONFLICT (sha256) DO NOTHING",
                &[&token.sha256, &token.user, &token.label],
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict("token exists".into()));
        }
        Ok(())
    }

    async fn user_by_token(&self, token_sha256: &str) -> Result<User> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT u.name, u.organisation, u.role, u.password_hash FROM api_tokens t \
                 JOIN users u ON u.name = t.user_name WHERE t.sha256 = $1",
                &[&token_sha256],
            )
            .await?
            .ok_or_else(|| Error::NotFound("token".into()))?;
        row_to_user(&row)
    }

    async fn set_permission(&self, p: Permission) -> Result<()> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = $1), \
                        EXISTS (SELECT 1 FROM collections WHERE id = $2)",
                &[&p.user, &p.collection.0],
            )
            .await?;
        if !row.get::<_, bool>(0) {
            return Err(Error::NotFound(format!("user {}", p.user)));
        }
        if !row.get::<_, bool>(1) {
            return Err(Error::NotFound(format!("collection {}", p.collection)));
        }
        conn.client
            .execute(
                "INSERT INTO permissions (user_name, collection_id, can_read, can_write) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_name, collection_id) DO UPDATE SET \
                 can_read = excluded.can_read, can_write = excluded.can_write",
                &[&p.user, &p.collection.0, &p.can_read, &p.can_write],
            )
            .await?;
        Ok(())
    }

    async fn permission(&self, user: &str, collection: &CollectionId) -> Result<Permission> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT can_read, can_write FROM permissions \
                 WHERE user_name = $1 AND collection_id = $2",
                &[&user, &collection.0],
            )
            .await?
            .ok_or_else(|| Error::NotFound(format!("permission of {user} on {collection}")))?;
        Ok(Permission {
            user: user.to_owned(),
            collection: collection.clone(),
            can_read: row.get(0),
            can_write: row.get(1),
        })
    }

    async fn append_audit(
        &self,
        records: Vec<AuditRecord>,
        hasher: AuditHasher,
    ) -> Result<Vec<AuditEntry>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        // The audit writer lock, held until commit: processes sharing the database append one
        // at a time, so each reads the head the previous one committed.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
            .await?;
        let last = tx
            .query_opt(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                &[],
            )
            .await?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, Vec<u8>>(1)));
        let entries = crate::audit::chain(last, records, hasher);
        let insert = tx
            .prepare(
                "INSERT INTO audit_log (seq, time, actor, organisation, action, target, purpose, \
                 decision, rule, detail, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .await?;
        for e in &entries {
            let r = &e.record;
            tx.execute(
                &insert,
                &[
                    &(e.seq as i64),
                    &r.time,
                    &r.actor,
                    &r.organisation,
                    &r.action,
                    &r.target,
                    &r.purpose,
                    &r.decision,
                    &r.rule,
                    &r.detail,
                    &e.prev_hash,
                    &e.hash,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(entries)
    }

    async fn audit_head(&self) -> Result<Option<AuditEntry>> {
        let conn = self.pool.get().await?;
        Ok(conn
            .client
            .query_opt(
                &format!("SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"),
                &[],
            )
            .await?
            .map(|r| row_to_audit(&r)))
    }

    async fn audit_page(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        let after = after.min(i64::MAX as u64) as i64;
        let limit = limit.min(i64::MAX as usize) as i64;
        let mut conn = self.pool.get().await?;
        let st = conn
            .prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            ))
            .await?;
        let rows = conn.client.query(&st, &[&after, &limit]).await?;
        Ok(rows.iter().map(row_to_audit).collect())
    }
}

/// Key of the advisory lock that serialises audit appends across processes.
const AUDIT_LOCK: i64 = 0x656e_7465_6e74_6502;

/// The columns [`row_to_audit`] reads, in order.
const AUDIT_COLUMNS: &str = "seq, time, actor, organisation, action, target, purpose, decision, \
     rule, detail, prev_hash, hash";

fn row_to_audit(r: &tokio_postgres::Row) -> AuditEntry {
    AuditEntry {
        seq: r.get::<_, i64>(0) as u64,
        record: AuditRecord {
            time: r.get(1),
            actor: r.get(2),
            organisation: r.get(3),
            action: r.get(4),
            target: r.get(5),
            purpose: r.get(6),
            decision: r.get(7),
            rule: r.get(8),
            detail: r.get(9),
        },
        prev_hash: r.get(10),
        hash: r.get(11),
    }
}

/// Adds counted references to their batch records' counts (a negative count takes them off;
/// see `SignatureBatch::count_references`), then deletes the records no version refers to any more.
async fn add_references(
    tx: &tokio_postgres::Transaction<'_>,
    references: &[(&str, i64)],
) -> Result<()> {
    if references.is_empty() {
        return Ok(());
    }
    let (keys, counts): (Vec<&str>, Vec<i64>) = references.iter().copied().unzip();
    tx.execute(
        "UPDATE signature_batches AS b SET refs = b.refs + u.n \
         FROM unnest($1::text[], $2::bigint[]) AS u(k, n) WHERE b.key = u.k",
        &[&keys, &counts],
    )
    .await?;
    if counts.iter().any(|n| *n < 0) {
        tx.execute(
            "DELETE FROM signature_batches WHERE key = ANY($1) AND refs <= 0",
            &[&keys],
        )
        .await?;
    }
    Ok(())
}
