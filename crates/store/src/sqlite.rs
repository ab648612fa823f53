//! The embedded SQLite backend (the default): one database file, zero configuration.
//!
//! What it is: [`SqliteStore`], opened from `sqlite:PATH` by [`crate::open`]. The file and its
//! folder are created when missing, and the migrations in `migrations/sqlite/` run on open.
//!
//! Concurrency: SQLite allows one writer at a time per file, so the store keeps **one writer
//! connection behind a mutex** for each of its files (the main one, the audit log's and the
//! correlation hits', see [`SqliteStore::audit_file`] and [`SqliteStore::hits_file`]) and a
//! small pool of **read-only connections** to the main file with the hits' file attached; in
//! WAL mode readers never block the writers nor each other. All database work runs on `tokio::task::spawn_blocking`, so
//! async callers never stall a runtime thread.
//!
//! Durability: a write is on disk (its log fsynced) before [`Store::add_objects`] or any other
//! write returns: "durable when acknowledged". The writer connection commits with
//! `synchronous=NORMAL`, which writes the transaction's log frames without syncing them, and
//! the thread that ran the write syncs the log itself once the writer lock is released (see
//! `SqliteStore::write_prepared`): the next write proceeds while this one waits for the disk,
//! and one sync covers every transaction committed before it. A transaction is visible to
//! readers from its commit, a few milliseconds before its sync; power lost in between loses it
//! together with its acknowledgement, which was never sent. Every other connection (audit
//! log, checkpoints) keeps `synchronous=FULL`.
//!
//! `date_added`: assigned under the writer lock inside an `IMMEDIATE` transaction as
//! `max(now, last + 1)` from the collection's counter row, so it is unique and strictly
//! increasing per collection, and commit order equals `date_added` order (a reader paging with a
//! cursor never sees a smaller `date_added` appear behind it). The counter is kept in the
//! collection row rather than derived from `max(date_added)` so that deleting the newest object
//! can never make a value be handed out twice.

mod checkpoint;
mod correlation;
mod federation;
mod ids;
mod known;
mod screening;
mod sharing;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::filter::{self, Dialect, Param};
use crate::{
    AddOutcome, ApiRoot, ApiToken, AuditEntry, AuditHasher, AuditRecord, Collection, CollectionId,
    DateAdded, Error, ManifestRecord, ObjectFilter, ObjectSharing, Page, Permission, Result, Role,
    SignatureBatch, Status, Store, StoredObject, User, VersionMatch,
};

/// The page cache of each writer, the main file's and the hits', during a bulk load
/// ([`Store::prepare_bulk_load`]), in KiB (SQLite's negative `cache_size`); 64 MiB and 16 MiB
/// otherwise.
const BULK_LOAD_CACHE: i64 = -8_192;

/// Migrations, in order. A shipped migration is never edited: changes go in a new file.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
    ),
    (
        2,
        "audit",
        include_str!("../migrations/sqlite/0002_audit.sql"),
    ),
    (
        3,
        "sharing",
        include_str!("../migrations/sqlite/0003_sharing.sql"),
    ),
    (
        4,
        "screening",
        include_str!("../migrations/sqlite/0004_screening.sql"),
    ),
    (
        5,
        "correlation",
        include_str!("../migrations/sqlite/0005_correlation.sql"),
    ),
    (
        6,
        "federation",
        include_str!("../migrations/sqlite/0006_federation.sql"),
    ),
    (
        7,
        "provenance",
        include_str!("../migrations/sqlite/0007_provenance.sql"),
    ),
    (
        8,
        "compact_hits",
        include_str!("../migrations/sqlite/0008_compact_hits.sql"),
    ),
    (
        AUDIT_MOVED,
        "audit_own_file",
        include_str!("../migrations/sqlite/0009_audit_own_file.sql"),
    ),
    (
        10,
        "id_index",
        include_str!("../migrations/sqlite/0010_id_index.sql"),
    ),
    (
        11,
        "hit_index",
        include_str!("../migrations/sqlite/0011_hit_index.sql"),
    ),
    (
        12,
        "peer_claims",
        include_str!("../migrations/sqlite/0012_peer_claims.sql"),
    ),
    (
        13,
        "hits_own_file",
        include_str!("../migrations/sqlite/0013_hits_own_file.sql"),
    ),
    (
        14,
        "signature_batches",
        include_str!("../migrations/sqlite/0014_signature_batches.sql"),
    ),
    (
        15,
        "signature_batch_refs",
        include_str!("../migrations/sqlite/0015_signature_batch_refs.sql"),
    ),
];

/// The migration that moves the audit log into its own file ([`audit_path`]): its rows are
/// copied there first ([`move_audit_rows`]), then the table is dropped from the main file.
const AUDIT_MOVED: i64 = 9;

/// Migrations of the audit log's own file. Its table and guards are those of schema 2, which
/// created them in the main file before migration 9 moved them.
const AUDIT_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "audit",
    include_str!("../migrations/sqlite/0002_audit.sql"),
)];

/// The migration that moves the correlation hits into their own file ([`hits_path`]): they
/// are copied there first ([`move_hit_rows`]), then dropped from the main file.
const HITS_MOVED: i64 = 13;

/// Migrations of the correlation hits' own file.
const HITS_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "hits",
        include_str!("../migrations/sqlite/hits/0001_hits.sql"),
    ),
    (
        2,
        "hit keys in memory",
        include_str!("../migrations/sqlite/hits/0002_hit_keys_in_memory.sql"),
    ),
];

/// The schema name under which readers attach the hits' file. Queries name the hits' tables
/// without it: SQLite finds a table in the attached file when the main one has none by that
/// name.
const HITS_SCHEMA: &str = "hits";

/// The file beside the main database file `path` that holds its `part`: `entente.db` gives
/// `entente.PART.db` (`entente` gives `entente.PART`).
fn beside(path: &Path, part: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{part}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{part}"),
    };
    path.with_file_name(name)
}

/// The audit log's database file beside the main one at `path`: `entente.db` gives
/// `entente.audit.db` (`entente` gives `entente.audit`).
///
/// Why a file of its own: every commit to a SQLite database makes each reader connection of
/// that database drop its page cache at its next transaction. The journal commits served reads
/// every few milliseconds under load; in the main file, that made every TAXII read re-fetch the
/// pages it had cached. In a file of its own, with its own writer connection and lock, audit
/// appends neither touch the readers of objects nor wait for object writes.
fn audit_path(path: &Path) -> PathBuf {
    beside(path, "audit")
}

/// The correlation hits' database file beside the main one at `path`: `entente.db` gives
/// `entente.hits.db`.
///
/// Why a file of its own: SQLite lets one connection write a file at a time. Storing a batch
/// of objects (a page pulled from a peer, a POST) makes correlation hits, often more hits than
/// objects, each a row with its indexes; in the main file those rows waited for the objects'
/// writes and the objects for them. With their own file, writer connection and log, the hits of
/// one batch are written while the next batch's objects are. Readers attach the file
/// ([`HITS_SCHEMA`]), so a query may join hits with collections as before.
fn hits_path(path: &Path) -> PathBuf {
    beside(path, "hits")
}

/// Read connections kept open for reuse (more are opened on demand under load). Opening one
/// costs a schema parse on its first statement, which under a burst of concurrent requests
/// dominated the cost of a read when only 4 were kept: keep enough for the blocking pool's
/// usual concurrency.
const READERS: usize = 16;

/// Recomputes the maintenance flags of every version of one object (after an out-of-order
/// insert or a delete). Only the flags change; the versions themselves are never edited.
/// Parameters: collection key, id, id hash. The object's versions are found once, through the
/// id index ([`BY_ID`]).
static RECOMPUTE_FLAGS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH v AS (SELECT o.seq, o.vkey, o.spec_version FROM {BY_ID} \
             WHERE k.coll = ?1 AND k.idh = ?3 AND o.id = ?2) \
         UPDATE objects NOT INDEXED SET \
             is_first = (vkey = (SELECT min(vkey) FROM v)), \
             is_last = (vkey = (SELECT max(vkey) FROM v)), \
             is_latest_spec = (spec_version = (SELECT max(spec_version) FROM v)) \
         WHERE seq IN (SELECT seq FROM v)"
    )
});

/// The SQLite store. Cheap to clone (shared state).
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

/// The writer of one database file: its connection, the log it syncs after each write and the
/// checkpointer of that log.
struct Writer {
    /// The write-ahead log (`<file>-wal`), synced after each write (see the module docs).
    log: PathBuf,
    /// Checkpoints the writer's log beside it (see [`checkpoint`]). Declared before the
    /// connection so that it stops first (see its `Drop`).
    checkpointer: checkpoint::Checkpointer,
    conn: Mutex<Connection>,
}

impl Writer {
    /// Takes `conn`, the migrated writer connection of `file`: starts its checkpointer, then
    /// leaves syncing the log to [`SqliteStore::write_prepared`].
    fn start(file: &Path, conn: Connection) -> Result<Writer> {
        let checkpointer = checkpoint::Checkpointer::start(file, &conn)?;
        conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        let mut log = file.as_os_str().to_owned();
        log.push("-wal");
        Ok(Writer {
            log: PathBuf::from(log),
            checkpointer,
            conn: Mutex::new(conn),
        })
    }
}

struct Inner {
    path: PathBuf,
    /// The main file's writer: objects, sharing, federation, everything but the audit log and
    /// the correlation hits.
    writer: Writer,
    /// The writer of the correlation hits' own file ([`hits_path`]).
    hits: Writer,
    /// The connection to the audit log's own file ([`audit_path`]): appends and reads of the
    /// log, serialised by this lock (and across processes by the file's write lock).
    audit: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Which ids each collection may hold (see [`known`]); used under the writer lock.
    known: Mutex<known::KnownIds>,
    /// The rows in the id index's new part (see [`ids`]); used under the writer lock.
    new_ids: ids::NewRows,
    /// The rows in the new parts of the correlation hits' indexes (see [`ids::HITS`]); used
    /// under the hits' writer lock.
    new_hits: ids::NewRows,
    /// Which hit keys may be stored (see [`known`]); used under the hits' writer lock.
    known_hits: Mutex<known::KnownHits>,
    /// Versions added since the planner statistics were last refreshed.
    added_since_optimize: AtomicU64,
    /// The primary key of each collection read so far (see [`Inner::pk`]).
    pks: Mutex<HashMap<String, i64>>,
}

impl Inner {
    /// The primary key of `collection`, looked up once per process: a collection's key never
    /// changes (collections are not deleted), and asking for it was a query of its own in
    /// every page read. A collection not found (`NotFound`) is asked again each time.
    fn pk(&self, conn: &Connection, collection: &CollectionId) -> Result<i64> {
        let known = self.pks.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(pk) = known.get(&collection.0) {
            return Ok(*pk);
        }
        drop(known);
        let pk = collection_pk(conn, collection)?;
        self.pks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(collection.0.clone(), pk);
        Ok(pk)
    }
}

/// Batches of at least this many objects are freed on another thread than the writer's.
const DROP_ASIDE: usize = 1_000;

/// Refresh the planner statistics after this many added versions (see [`optimize`]).
const OPTIMIZE_EVERY: u64 = 50_000;

/// Lets SQLite refresh its planner statistics where tables grew a lot (`PRAGMA optimize`
/// re-analyses only those, with a bounded sample, so it is cheap when nothing changed). Without
/// statistics the planner may walk the `is_last` index of a large collection for a query that
/// another index would answer in a few steps.
fn optimize(conn: &Connection) -> Result<()> {
    conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
    Ok(())
}

fn configure(conn: &Connection, read_only: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
    )?;
    if read_only {
        // Readers map the database file: when another connection commits (the audit journal
        // does, every few milliseconds under load), SQLite drops each reader's page cache at
        // its next transaction; with the file mapped, re-reading a page is a memory access
        // rather than a copy out of the OS cache. Address space only, not memory.
        // With the file mapped, a reader's own page cache matters less: 16 MiB each (the
        // default of the writer, 64 MiB, times 16 readers would be a lot of memory).
        conn.execute_batch(
            "PRAGMA query_only = ON; PRAGMA mmap_size = 17179869184; PRAGMA cache_size = -16384;",
        )?;
    }
    // The writer's log is checkpointed by `checkpoint::Checkpointer`, beside it.
    conn.set_prepared_statement_cache_capacity(64);
    // The query planner stability guarantee: a plan never depends on the values bound to a
    // statement. Without it, SQLite marks a cached statement whose `LIMIT ?` (or any parameter
    // its planner looked at) was bound as expired, and prepares it again at its next step: every
    // page of objects was parsed and planned anew, about 15% of a served page's CPU time. The
    // plans lose nothing: the statistics are `sqlite_stat1` only (no `sqlite_stat4` samples),
    // partial indexes are on literals, and match[id] queries name their index.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// The SQL functions migrations use to fill derived columns (`entente_id_hash`,
/// `entente_hit_key`): the same Rust code that computes them on every insert.
fn register_functions(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("entente_id_hash", 1, flags, |ctx| {
        Ok(filter::id_hash(ctx.get_raw(0).as_str().map_err(|e| {
            rusqlite::Error::UserFunctionError(Box::new(e))
        })?))
    })?;
    conn.create_scalar_function("entente_hit_key", 9, flags, |ctx| {
        let text = |i: usize| {
            ctx.get_raw(i)
                .as_str()
                .map_err(|e| rusqlite::Error::UserFunctionError(Box::new(e)))
        };
        Ok(filter::hit_key(
            text(0)?,
            text(1)?,
            text(2)?,
            ctx.get::<i64>(3)?,
            text(4)?,
            text(5)?,
            ctx.get::<i64>(6)?,
            text(7)?,
            text(8)?,
        ))
    })?;
    Ok(())
}

fn migrate(conn: &mut Connection, audit: &mut Connection, hits: &mut Connection) -> Result<()> {
    register_functions(conn)?;
    run_migrations(conn, MIGRATIONS, |version, tx| {
        if version == AUDIT_MOVED {
            move_audit_rows(tx, audit)?;
        }
        if version == HITS_MOVED {
            move_hit_rows(tx, hits)?;
        }
        Ok(())
    })
}

/// The columns of a stored hit, in the main file before migration [`HITS_MOVED`] and in the
/// hits' file after it.
const HIT_COLUMNS: &str = "seq, found, rule, kind, value, a_coll, a_id, a_idh, a_version, \
     b_coll, b_id, b_idh, b_version, hkey";

/// Copies the rows of `table` (its `columns`, `seq` first) that the main file's transaction
/// `main` holds after the largest `seq` already in `to`, exactly as stored (types and bytes),
/// into the same table of `to`, a transaction of another file. Returns that largest `seq`
/// (where the copy started) and the number of rows copied.
fn copy_rows(
    main: &rusqlite::Transaction<'_>,
    to: &rusqlite::Transaction<'_>,
    table: &str,
    columns: &str,
) -> Result<(i64, u64)> {
    let copied: i64 = to.query_row(
        &format!("SELECT coalesce(max(seq), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )?;
    let mut read = main.prepare(&format!(
        "SELECT {columns} FROM {table} WHERE seq > ?1 ORDER BY seq"
    ))?;
    let width = read.column_count();
    let placeholders = (1..=width)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut insert = to.prepare(&format!(
        "INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    ))?;
    let mut rows = read.query([copied])?;
    let mut moved = 0u64;
    while let Some(row) = rows.next()? {
        let values = (0..width)
            .map(|i| row.get::<_, Value>(i))
            .collect::<rusqlite::Result<Vec<Value>>>()?;
        insert.execute(rusqlite::params_from_iter(values))?;
        moved += 1;
    }
    Ok((copied, moved))
}

/// Copies the correlation hits of the main file (migration [`HITS_MOVED`]) into the hits'
/// file, row for row with their `seq`, and fills the large part of their index by id, in one
/// durable transaction of the hits' file, before the main file's transaction drops
/// them. Hits already copied (a crash between the two commits) are not copied again.
fn move_hit_rows(main: &rusqlite::Transaction<'_>, hits: &mut Connection) -> Result<()> {
    let tx = hits.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (copied, moved) = copy_rows(main, &tx, "correlation_hits", HIT_COLUMNS)?;
    tx.execute(
        "INSERT INTO hit_ids (idh, seq) \
         SELECT a_idh, seq FROM correlation_hits WHERE seq > ?1 \
         UNION \
         SELECT b_idh, seq FROM correlation_hits WHERE seq > ?1 \
         ORDER BY 1, 2",
        [copied],
    )?;
    tx.commit()?;
    tracing::info!(moved, "correlation hits moved to their own file");
    Ok(())
}

/// Copies the audit rows of the main file (migration [`AUDIT_MOVED`]) into the audit file,
/// exactly as stored (types and bytes, so that verification still judges them), in one
/// durable transaction of the audit file, before the main file's transaction drops them.
/// Rows already copied (a crash between the two commits) are not copied again.
fn move_audit_rows(main: &rusqlite::Transaction<'_>, audit: &mut Connection) -> Result<()> {
    let tx = audit.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (_, moved) = copy_rows(main, &tx, "audit_log", AUDIT_COLUMNS)?;
    tx.commit()?;
    tracing::info!(moved, "audit log moved to its own file");
    Ok(())
}

/// Whether migration `version` is recorded in `conn` (false for a new, empty database).
fn applied(conn: &Connection, version: i64) -> Result<bool> {
    let tracked: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' \
         AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !tracked {
        return Ok(false);
    }
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
        [version],
        |r| r.get(0),
    )?)
}

/// Applies the migrations of `list` not yet recorded in `conn`, each in its own `IMMEDIATE`
/// transaction; `before` runs inside that transaction before a migration's SQL.
fn run_migrations(
    conn: &mut Connection,
    list: &[(i64, &str, &str)],
    mut before: impl FnMut(i64, &rusqlite::Transaction<'_>) -> Result<()>,
) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let newest: Option<i64> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })?;
    let known = list.last().map(|m| m.0).unwrap_or(0);
    if newest.unwrap_or(0) > known {
        return Err(Error::Invalid(format!(
            "database schema version {} is newer than this program knows ({known})",
            newest.unwrap_or(0)
        )));
    }
    for (version, name, sql) in list {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
            [version],
            |r| r.get(0),
        )?;
        if !done {
            tracing::info!(version, name, "applying SQLite migration");
            before(*version, &tx)?;
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![version, name, filter::now_micros()],
            )?;
        }
        tx.commit()?;
    }
    Ok(())
}

fn to_values(params: Vec<Param>) -> Vec<Value> {
    params
        .into_iter()
        .map(|p| match p {
            Param::Int(i) => Value::Integer(i),
            Param::Text(s) => Value::Text(s),
            Param::TextList(_) => unreachable!("the SQLite dialect expands lists"),
        })
        .collect()
}

/// The tables of a read of objects by id: both parts of the id index (`k`, see [`ids`]) first,
/// then each version (`o`) by `seq`; the statement constrains `k.coll` and `k.idh` and compares
/// `o.id`. A join, not `o.seq IN (SELECT ...)`: SQLite builds the list of such a subquery into
/// a temporary table in every statement, and a lookup by id took a sixth more CPU time.
const BY_ID: &str = "object_ids_all k CROSS JOIN objects o ON o.seq = k.seq";

/// The tables a page reads. `match[id]` lists are short, so the id index is always the right
/// access path ([`BY_ID`]); say so rather than rely on statistics (a fresh database has none).
fn page_tables(f: &ObjectFilter) -> &'static str {
    if f.ids.is_empty() { "objects o" } else { BY_ID }
}

/// Runs `f` on a connection from the reader pool (opening one when the pool is empty) and
/// returns it to the pool.
fn with_reader<T>(inner: &Inner, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    let pooled = inner.readers.lock().expect("reader pool poisoned").pop();
    let conn = match pooled {
        Some(c) => c,
        None => {
            let c = Connection::open(&inner.path)?;
            c.execute(
                &format!("ATTACH DATABASE ?1 AS {HITS_SCHEMA}"),
                [hits_path(&inner.path).to_string_lossy()],
            )?;
            configure(&c, true)?;
            c
        }
    };
    let out = f(&conn);
    let mut pool = inner.readers.lock().expect("reader pool poisoned");
    if pool.len() < READERS {
        pool.push(conn);
    }
    out
}

/// Whether a page of objects is a point read ([`SqliteStore::read_point`]): a few objects
/// named by id (through the id index, [`page_tables`]), each in a few versions named by
/// `match[version]` (`first`, `last` or timestamps, not `all`) and `match[spec_version]`, so
/// at most [`POINT_ROWS`] rows.
fn point_filter(f: &ObjectFilter) -> bool {
    !f.ids.is_empty()
        && !f.versions.contains(&VersionMatch::All)
        && f.ids.len() * f.versions.len().max(1) * f.spec_versions.len().max(1) <= POINT_ROWS
}

/// The most rows a read may return to run in place ([`point_filter`]).
const POINT_ROWS: usize = 16;

/// The SQL and parameters of one page of `columns` from the objects of a collection matching
/// `f`, in `date_added` order: shared by the objects and manifest queries.
///
/// A point read ([`point_filter`]) has neither `ORDER BY` nor `LIMIT`: it returns at most
/// [`POINT_ROWS`] rows, and [`filter::into_page`] orders them. SQLite orders rows that an index
/// does not give in order through a temporary B-tree, created and dropped in every statement,
/// even for a single row: about a fifth of the SQLite time of a lookup by id.
fn page_query(pk: i64, f: &ObjectFilter, columns: &str) -> (String, Vec<Value>) {
    let mut clause = filter::page_clause(Dialect::Sqlite, pk, f);
    let mut sql = format!(
        "SELECT {columns} FROM {} WHERE {}",
        page_tables(f),
        clause.sql
    );
    if !point_filter(f) {
        let limit = clause.bind(Param::Int(filter::fetch_limit(f)));
        sql.push_str(&format!(" ORDER BY o.date_added LIMIT {limit}"));
    }
    (sql, to_values(clause.params))
}

fn collection_pk(conn: &Connection, id: &CollectionId) -> Result<i64> {
    conn.prepare_cached("SELECT pk FROM collections WHERE id = ?1")?
        .query_row([&id.0], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("collection {id}")))
}

/// The recipients column: a JSON array, `NULL` when none are named.
pub(crate) fn recipients_text(r: &[String]) -> Option<String> {
    if r.is_empty() {
        None
    } else {
        serde_json::to_string(r).ok()
    }
}

/// The columns of [`read_sharing`], after the caller's own.
const SHARING_COLUMNS: &str =
    "o.originator, o.received_through, o.tlp, o.handling, o.recipients, o.signature";

/// Reads the sharing columns starting at column `at`.
fn read_sharing(r: &rusqlite::Row<'_>, at: usize) -> Result<ObjectSharing> {
    let recipients: Option<String> = r.get(at + 4)?;
    Ok(ObjectSharing {
        originator: r.get(at)?,
        received_through: r.get(at + 1)?,
        tlp: r.get(at + 2)?,
        handling: r.get(at + 3)?,
        recipients: match recipients {
            Some(t) => serde_json::from_str(&t).map_err(Error::backend)?,
            None => Vec::new(),
        },
        signature: r.get(at + 5)?,
        signature_batch: None,
    })
}

/// The columns of [`read_object`]'s header facts, after the caller's own.
pub(crate) const HEADER_COLUMNS: &str = "o.id, o.created, o.modified";

/// Rebuilds a stored object from its body (column `body`) and the header facts stored beside
/// it ([`HEADER_COLUMNS`], from column `header`), without parsing the body again: it was
/// read and validated when it was stored. Serving a page of objects spent a third of its
/// time re-reading them.
pub(crate) fn read_object(
    r: &rusqlite::Row<'_>,
    body: usize,
    header: usize,
) -> Result<entente_stix::Object> {
    let text = |i: usize| r.get_ref(i)?.as_str_or_null().map_err(Error::backend);
    let id = text(header)?.ok_or_else(|| Error::Invalid("stored object without id".into()))?;
    entente_stix::Object::from_stored(r.get(body)?, id, text(header + 1)?, text(header + 2)?)
        .map_err(Error::backend)
}

fn row_to_collection(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Collection, String)> {
    let media: String = r.get(5)?;
    Ok((
        Collection {
            id: CollectionId(r.get(0)?),
            api_root: r.get(1)?,
            title: r.get(2)?,
            description: r.get(3)?,
            alias: r.get(4)?,
            media_types: Vec::new(),
        },
        media,
    ))
}

fn finish_collection((mut c, media): (Collection, String)) -> Result<Collection> {
    c.media_types = serde_json::from_str(&media).map_err(Error::backend)?;
    Ok(c)
}

fn row_to_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<(User, String)> {
    let role: String = r.get(2)?;
    Ok((
        User {
            name: r.get(0)?,
            organisation: r.get(1)?,
            role: Role::Service,
            password_hash: r.get(3)?,
        },
        role,
    ))
}

fn finish_user((mut u, role): (User, String)) -> Result<User> {
    u.role = role
        .parse()
        .map_err(|e: String| Error::backend(format!("stored user {}: {e}", u.name)))?;
    Ok(u)
}

impl SqliteStore {
    /// Opens (creating when missing) the database file at `path` and runs the migrations.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path))
            .await
            .map_err(Error::backend)?
    }

    fn open_blocking(path: PathBuf) -> Result<SqliteStore> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(Error::backend)?;
        }
        let mut writer = Connection::open(&path)?;
        // A new database gets 8 KiB pages (SQLite's default is 4 KiB). Larger pages suit bulk
        // writes: rows of several hundred bytes appended in order fill fewer pages, and a
        // million-object import took 9.0-10.0 s with 4 KiB, 8.4 s with 8 KiB, 7.5 s with
        // 16 KiB. Smaller pages suit small writes into a large collection, where each new id
        // dirties one page of the id index wherever it falls: POSTs of 1,000 objects into a
        // million stored 37,000-38,300 objects/s with 4 KiB, 34,200-35,000 with 8 KiB,
        // 30,100-31,400 with 16 KiB. Without effect on an existing file.
        writer.execute_batch("PRAGMA page_size = 8192;")?;
        configure(&writer, false)?;
        let audit_file = audit_path(&path);
        if !audit_file.exists() && applied(&writer, AUDIT_MOVED)? {
            // Opening would start an empty log: a removed file must not pass for a new one.
            return Err(Error::Invalid(format!(
                "the audit log {} is missing (the database {} keeps its audit log there since \
                 schema {AUDIT_MOVED}); restore it from the backup taken with the database",
                audit_file.display(),
                path.display()
            )));
        }
        let hits_file = hits_path(&path);
        if !hits_file.exists() && applied(&writer, HITS_MOVED)? {
            // Opening would start the hits' sequence again, under cursors already handed out.
            return Err(Error::Invalid(format!(
                "the correlation hits' file {} is missing (the database {} keeps its hits there \
                 since schema {HITS_MOVED}); restore it from the backup taken with the database",
                hits_file.display(),
                path.display()
            )));
        }
        let mut audit = Connection::open(&audit_file)?;
        configure(&audit, false)?;
        run_migrations(&mut audit, AUDIT_MIGRATIONS, |_, _| Ok(()))?;
        let mut hits = Connection::open(&hits_file)?;
        hits.execute_batch("PRAGMA page_size = 8192;")?;
        configure(&hits, false)?;
        // 16 MiB of page cache rather than the 64 MiB of the main writer: what the hits'
        // writer touches most is the small new parts of their indexes and the tails of the
        // table and of its indexes in insertion order. Measured side by side, a synchronisation
        // of a million versions ran no slower, and an import of a million objects peaked 70 MB
        // lower.
        hits.execute_batch("PRAGMA cache_size = -16384;")?;
        run_migrations(&mut hits, HITS_MIGRATIONS, |_, _| Ok(()))?;
        migrate(&mut writer, &mut audit, &mut hits)?;
        optimize(&writer)?;
        optimize(&hits)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: Writer::start(&path, writer)?,
                hits: Writer::start(&hits_file, hits)?,
                path,
                audit: Mutex::new(audit),
                readers: Mutex::new(Vec::new()),
                known: Mutex::new(known::KnownIds::default()),
                new_ids: ids::NewRows::new(&ids::OBJECT_IDS),
                new_hits: ids::NewRows::new(&ids::HITS),
                known_hits: Mutex::new(known::KnownHits::default()),
                pks: Mutex::new(HashMap::new()),
                added_since_optimize: AtomicU64::new(0),
            }),
        })
    }

    /// Adds objects, with their sharing facts when given (see [`Store::add_objects`]; `Invalid`
    /// when the lengths differ), and stores in the same transaction what `beside` makes of
    /// the outcomes.
    async fn add_objects_sharing(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Option<Vec<ObjectSharing>>,
        beside: Beside,
    ) -> Result<Written> {
        crate::sharing::one_record_each(&objects, sharing.as_deref())?;
        let collection = collection.clone();
        let inner = self.inner.clone();
        // Each object's version key and id hash need no connection: they are computed before
        // the writer lock is taken (formatting 1,000 version keys was a twentieth of the
        // writer's time for a POST).
        let prepare = move || {
            let keys = objects.iter().map(VersionRow::of).collect::<Vec<_>>();
            (objects, keys)
        };
        self.write_prepared(prepare, move |conn, (objects, keys)| {
            let mut known = inner.known.lock().unwrap_or_else(|p| p.into_inner());
            let (outcomes, status) = add_objects_blocking(
                conn,
                &mut known,
                &collection,
                &objects,
                &keys,
                sharing.as_deref(),
                beside,
            )?;
            drop(known);
            // After the commit, like the statistics below: a failure leaves the rows in the
            // new part, where readers find them as well.
            if let Err(e) = inner.new_ids.after_add(conn, objects.len() as u64) {
                tracing::warn!(error = %e, "moving new ids into the id index failed");
            }
            let n = inner
                .added_since_optimize
                .fetch_add(objects.len() as u64, Ordering::Relaxed);
            if n + objects.len() as u64 >= OPTIMIZE_EVERY {
                inner.added_since_optimize.store(0, Ordering::Relaxed);
                // After the commit: a failure here does not undo the acknowledged write.
                if let Err(e) = optimize(conn) {
                    tracing::warn!(error = %e, "refreshing SQLite planner statistics failed");
                }
            }
            Ok(Written {
                outcomes,
                status,
                objects,
            })
        })
        .await
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The audit log's own database file for a store whose main file is `path` (`entente.db`
    /// gives `entente.audit.db`, in the same folder). A backup takes the three files (this one,
    /// the main file and [`SqliteStore::hits_file`]).
    pub fn audit_file(path: &Path) -> PathBuf {
        audit_path(path)
    }

    /// The correlation hits' own database file for a store whose main file is `path`
    /// (`entente.db` gives `entente.hits.db`, in the same folder).
    pub fn hits_file(path: &Path) -> PathBuf {
        hits_path(path)
    }

    /// Runs `f` on a read-only connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || with_reader(&inner, f))
            .await
            .map_err(Error::backend)?
    }

    /// Runs `f` on a read-only connection where the caller is, for point reads: a few rows
    /// found through a unique key, which take microseconds. The hop to the blocking pool and
    /// back wakes two threads, and cost a lookup by id more than the lookup itself (a fifth of
    /// the CPU of `GET .../objects/{id}/`). Anything that scans stays on the pool ([`read`]),
    /// so that no async worker waits long on SQLite.
    ///
    /// [`read`]: SqliteStore::read
    async fn read_point<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        with_reader(&self.inner, f)
    }

    /// [`read_point`] when `point`, else [`read`].
    ///
    /// [`read_point`]: SqliteStore::read_point
    /// [`read`]: SqliteStore::read
    async fn read_sized<T, F>(&self, point: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        if point {
            self.read_point(f).await
        } else {
            self.read(f).await
        }
    }

    /// Runs `f` on the audit log's connection on the blocking pool.
    async fn audit<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.locked(|inner| &inner.audit, f).await
    }

    /// Runs `f` on the single writer connection on the blocking pool, then lets the
    /// checkpointer look at the log (still under the writer lock, between transactions), then,
    /// when `f` committed, syncs the log before returning (see the module docs).
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        self.write_prepared(|| (), move |conn, ()| f(conn)).await
    }

    /// As [`Self::write`], running `prepare` first on the same blocking thread but before the
    /// writer lock is taken: every write waits for the one writer, so work that needs no
    /// connection is done outside it.
    async fn write_prepared<P, T, F>(
        &self,
        prepare: impl FnOnce() -> P + Send + 'static,
        f: F,
    ) -> Result<T>
    where
        P: Send + 'static,
        T: Send + 'static,
        F: FnOnce(&mut Connection, P) -> Result<T> + Send + 'static,
    {
        self.write_with(|inner| &inner.writer, prepare, f).await
    }

    /// As [`Self::write_prepared`], with the writer `which` picks: the main file's or the
    /// correlation hits' ([`hits_path`]).
    async fn write_with<P, T, F>(
        &self,
        which: fn(&Inner) -> &Writer,
        prepare: impl FnOnce() -> P + Send + 'static,
        f: F,
    ) -> Result<T>
    where
        P: Send + 'static,
        T: Send + 'static,
        F: FnOnce(&mut Connection, P) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let writer = which(&inner);
            let prepared = prepare();
            let (out, committed) = {
                let mut conn = writer
                    .conn
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let out = f(&mut conn, prepared);
                (out, writer.checkpointer.after_write())
            };
            // The writer lock is released: the next write runs while this one waits for the
            // disk. Until the log is synced, the write is not acknowledged.
            if committed {
                sync_log(&writer.log)?;
            }
            out
        })
        .await
        .map_err(Error::backend)?
    }

    /// Runs `f` on the blocking pool with the connection `which` picks, under its lock (a
    /// panic elsewhere leaves the connection usable: SQLite rolled back what it interrupted).
    async fn locked<T, F>(&self, which: fn(&Inner) -> &Mutex<Connection>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = which(&inner)
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(Error::backend)?
    }
}

/// Syncs the write-ahead log at `path` (file data, as `fdatasync`): every transaction committed
/// before the call is then on disk. The log exists while the writer's connection is open.
fn sync_log(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|log| log.sync_data())
        .map_err(|e| Error::backend(format!("syncing the log {}: {e}", path.display())))
}

/// What the writer needs of an object besides its columns, computed before the writer lock
/// (see [`SqliteStore::write_prepared`]).
struct VersionRow {
    /// [`filter::version_key`].
    vkey: String,
    /// [`filter::id_hash`].
    idh: i64,
}

impl VersionRow {
    fn of(o: &entente_stix::Object) -> VersionRow {
        VersionRow {
            vkey: filter::version_key(o),
            idh: filter::id_hash(o.id().as_str()),
        }
    }
}

/// What a write of objects did: the outcomes, the status stored beside them, and the objects,
/// handed back off the writer's thread (see [`drop_aside`] for a caller that has no use for
/// them).
pub(crate) struct Written {
    pub(crate) outcomes: Vec<AddOutcome>,
    status: Option<Status>,
    pub(crate) objects: Vec<entente_stix::Object>,
}

/// Frees a large batch (a million allocations for an import's batch) on another thread, so
/// that the caller goes on at once.
pub(crate) fn drop_aside(objects: Vec<entente_stix::Object>) {
    if objects.len() >= DROP_ASIDE {
        tokio::task::spawn_blocking(move || drop(objects));
    }
}

/// What a write of objects stores beside them, in its transaction, from their outcomes.
pub(crate) enum Beside {
    Nothing,
    /// The status resource of the write (see [`Store::add_objects_with_status`]).
    Status(crate::MakeStatus),
    /// The state of the peer the objects were pulled from (see
    /// [`crate::FederationStore::add_pulled_page`]).
    PeerState(String, crate::PulledPageUpdate),
}

fn add_objects_blocking(
    conn: &mut Connection,
    known: &mut known::KnownIds,
    collection: &CollectionId,
    objects: &[entente_stix::Object],
    keys: &[VersionRow],
    sharing: Option<&[ObjectSharing]>,
    beside: Beside,
) -> Result<(Vec<AddOutcome>, Option<Status>)> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (pk, last): (i64, i64) = tx
        .prepare_cached("SELECT pk, last_date_added FROM collections WHERE id = ?1")?
        .query_row([&collection.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("collection {collection}")))?;
    // Invariant: every date_added handed out below is > `last` and strictly increasing.
    let mut next = filter::now_micros().max(last + 1);
    let first_assigned = next;
    let ids = known.collection(&tx, pk)?;
    let mut outcomes = Vec::with_capacity(objects.len());
    {
        let mut versions = tx.prepare_cached(&format!(
            "SELECT o.vkey, o.date_added FROM {BY_ID} \
             WHERE k.coll = ?1 AND k.idh = ?3 AND o.id = ?2"
        ))?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO objects (coll, date_added, id, idh, type, spec_version, vkey, version, \
             created, modified, is_first, is_last, is_latest_spec, body, originator, \
             received_through, tlp, handling, recipients, signature) \
             VALUES (?1, ?2, ?3, ?12, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10, ?11, ?13, ?14, ?15, \
             ?16, ?17, ?18)",
        )?;
        // The version's row in the id index's new part (see `ids`).
        let mut index =
            tx.prepare_cached("INSERT INTO object_ids_new (coll, idh, seq) VALUES (?1, ?2, ?3)")?;
        let none = ObjectSharing::default();
        let mut recompute = tx.prepare_cached(&RECOMPUTE_FLAGS)?;
        // A batch's record, once per call (the versions of a batch arrive together).
        let mut batch = tx.prepare_cached(
            "INSERT INTO signature_batches (key, record) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        let mut batches_kept: Option<&str> = None;
        // The signatures of the versions added (see `SignatureBatch::count_references`).
        let mut added_signatures: Vec<&str> = Vec::new();
        for (i, (o, key)) in objects.iter().zip(keys).enumerate() {
            let facts = sharing.and_then(|f| f.get(i)).unwrap_or(&none);
            let id = o.id().as_str();
            let (vkey, idh) = (&key.vkey, key.idh);
            let mut has_versions = false;
            let mut duplicate = None;
            if ids.may_contain(idh) {
                let mut rows = versions.query(params![pk, id, idh])?;
                while let Some(r) = rows.next()? {
                    has_versions = true;
                    let k: String = r.get(0)?;
                    if k == *vkey {
                        duplicate = Some(r.get::<_, i64>(1)?);
                    }
                }
            }
            if let Some(d) = duplicate {
                outcomes.push(AddOutcome::Duplicate {
                    date_added: DateAdded(d),
                });
                continue;
            }
            insert.execute(params![
                pk,
                next,
                id,
                o.object_type(),
                filter::effective_spec_version(o),
                vkey,
                o.version().map(|t| t.as_str()),
                o.created().map(|t| t.as_str()),
                o.modified().map(|t| t.as_str()),
                !has_versions,
                o.as_json(),
                idh,
                facts.originator,
                facts.received_through,
                facts.tlp,
                facts.handling,
                recipients_text(&facts.recipients),
                facts.signature,
            ])?;
            index.execute(params![pk, idh, tx.last_insert_rowid()])?;
            ids.insert(idh);
            if let Some(b) = &facts.signature_batch
                && batches_kept != Some(b.key.as_str())
            {
                batch.execute(params![b.key, b.record])?;
                batches_kept = Some(b.key.as_str());
            }
            added_signatures.extend(facts.signature.as_deref());
            if has_versions {
                recompute.execute(params![pk, id, idh])?;
            }
            outcomes.push(AddOutcome::Added {
                date_added: DateAdded(next),
            });
            next += 1;
        }
        add_references(&tx, &SignatureBatch::count_references(added_signatures, 1))?;
    }
    if next != first_assigned {
        tx.prepare_cached("UPDATE collections SET last_date_added = ?1 WHERE pk = ?2")?
            .execute(params![next - 1, pk])?;
    }
    let status = match beside {
        Beside::Nothing => None,
        Beside::Status(make) => {
            let status = make(&outcomes);
            insert_status(&tx, &status)?;
            Some(status)
        }
        Beside::PeerState(name, update) => {
            federation::update_state(&tx, &name, |s| update(&outcomes, s))?;
            None
        }
    };
    // The writer commits with synchronous=NORMAL: `write_prepared` syncs the log before the
    // caller hears back.
    tx.commit()?;
    Ok((outcomes, status))
}

/// Adds the counted references to their records' counts (a negative count takes them off),
/// then deletes the records no version refers to any more.
fn add_references(conn: &Connection, references: &[(&str, i64)]) -> Result<()> {
    if references.is_empty() {
        return Ok(());
    }
    let mut add =
        conn.prepare_cached("UPDATE signature_batches SET refs = refs + ?2 WHERE key = ?1")?;
    let mut drop =
        conn.prepare_cached("DELETE FROM signature_batches WHERE key = ?1 AND refs <= 0")?;
    for (key, n) in references {
        add.execute(params![key, n])?;
        if *n < 0 {
            drop.execute([key])?;
        }
    }
    Ok(())
}

/// Stores (inserts or replaces) a status resource.
fn insert_status(conn: &Connection, status: &Status) -> Result<()> {
    let body = status.body.get();
    conn.prepare_cached(
        "INSERT INTO statuses (api_root, id, owner, body) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (api_root, id) DO UPDATE SET owner = excluded.owner, \
         body = excluded.body",
    )?
    .execute(params![status.api_root, status.id, status.owner, body])?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn prepare_bulk_load(&self) -> Result<()> {
        // What an import writes is appended to the tails of the tables and their indexes, and
        // to the small new parts of the id indexes: a smaller cache serves it as well
        // (BENCHMARKS.md, import memory: a correlated import of a million objects peaked 80-150
        // MB lower with the main writer's at 16 MiB, and about 20 MB lower again with both at
        // 8 MiB, no slower).
        let writers: [fn(&Inner) -> &Writer; 2] = [|i| &i.writer, |i| &i.hits];
        for which in writers {
            self.write_with(
                which,
                || (),
                |c, ()| Ok(c.execute_batch(&format!("PRAGMA cache_size = {BULK_LOAD_CACHE};"))?),
            )
            .await?;
        }
        Ok(())
    }

    async fn create_api_root(&self, root: ApiRoot) -> Result<()> {
        self.write(move |conn| {
            let n = conn.execute(
                "INSERT INTO api_roots (name, title, description, max_content_length) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
                params![
                    root.name,
                    root.title,
                    root.description,
                    root.max_content_length as i64
                ],
            )?;
            if n == 0 {
                return Err(Error::Conflict(format!("API root {} exists", root.name)));
            }
            Ok(())
        })
        .await
    }

    async fn api_roots(&self) -> Result<Vec<ApiRoot>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT name, title, description, max_content_length FROM api_roots ORDER BY name",
            )?;
            let rows = st.query_map([], |r| {
                Ok(ApiRoot {
                    name: r.get(0)?,
                    title: r.get(1)?,
                    description: r.get(2)?,
                    max_content_length: r.get::<_, i64>(3)? as u64,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn create_collection(&self, c: Collection) -> Result<()> {
        let media = serde_json::to_string(&c.media_types).map_err(Error::backend)?;
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let root: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM api_roots WHERE name = ?1)",
                [&c.api_root],
                |r| r.get(0),
            )?;
            if !root {
                return Err(Error::NotFound(format!("API root {}", c.api_root)));
            }
            // An id or alias must name one collection only: ids are unique everywhere, and
            // within a root no alias may equal another collection's id or alias.
            let mut names = vec![c.id.0.clone()];
            names.extend(c.alias.clone());
            for name in &names {
                let taken: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM collections WHERE id = ?1 \
                     OR (api_root = ?2 AND alias = ?1))",
                    params![name, c.api_root],
                    |r| r.get(0),
                )?;
                if taken {
                    return Err(Error::Conflict(format!(
                        "collection id or alias {name} is taken"
                    )));
                }
            }
            tx.execute(
                "INSERT INTO collections (id, api_root, title, description, alias, media_types) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![c.id.0, c.api_root, c.title, c.description, c.alias, media],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn collections(&self, api_root: &str) -> Result<Vec<Collection>> {
        let api_root = api_root.to_owned();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, api_root, title, description, alias, media_types FROM collections \
                 WHERE api_root = ?1 ORDER BY title, id",
            )?;
            let rows = st.query_map([&api_root], row_to_collection)?;
            rows.map(|r| finish_collection(r?)).collect()
        })
        .await
    }

    async fn collection(&self, api_root: &str, id_or_alias: &str) -> Result<Collection> {
        let (api_root, key) = (api_root.to_owned(), id_or_alias.to_owned());
        self.read_point(move |conn| {
            // An id wins over an alias that happens to equal it. Two lookups on their own
            // indexes: one query with `id = ?2 OR alias = ?2` ordered by which matched sorts
            // in a temporary B-tree, opened (and its page allocated) on every request.
            let by = |column: &str| -> Result<Option<(Collection, String)>> {
                Ok(conn
                    .prepare_cached(&format!(
                        "SELECT id, api_root, title, description, alias, media_types \
                         FROM collections WHERE api_root = ?1 AND {column} = ?2"
                    ))?
                    .query_row(params![api_root, key], row_to_collection)
                    .optional()?)
            };
            let found = match by("id")? {
                Some(c) => Some(c),
                None => by("alias")?,
            };
            match found {
                Some(c) => finish_collection(c),
                None => Err(Error::NotFound(format!("collection {key} in {api_root}"))),
            }
        })
        .await
    }

    async fn add_objects(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
    ) -> Result<Vec<AddOutcome>> {
        let written = self
            .add_objects_sharing(collection, objects, None, Beside::Nothing)
            .await?;
        drop_aside(written.objects);
        Ok(written.outcomes)
    }

    async fn objects_page(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
    ) -> Result<Page<StoredObject>> {
        let (collection, f, inner) = (collection.clone(), filter.clone(), self.inner.clone());
        self.read_sized(point_filter(&f), move |conn| {
            let columns = format!("o.date_added, o.body, {SHARING_COLUMNS}, {HEADER_COLUMNS}");
            let (sql, params) = page_query(inner.pk(conn, &collection)?, &f, &columns);
            let mut st = conn.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(params))?;
            let mut items = Vec::with_capacity(filter::page_capacity(&f));
            while let Some(r) = rows.next()? {
                items.push(StoredObject {
                    object: read_object(r, 1, 8)?,
                    date_added: DateAdded(r.get(0)?),
                    sharing: read_sharing(r, 2)?,
                });
            }
            Ok(filter::into_page(items, &f, |o| o.date_added))
        })
        .await
    }

    async fn objects_page_decided(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
        decide: crate::Decide,
    ) -> Result<Page<crate::Decided>> {
        let (collection, f, inner) = (collection.clone(), filter.clone(), self.inner.clone());
        self.read_sized(point_filter(&f), move |conn| {
            let columns = format!("o.date_added, o.body, {SHARING_COLUMNS}, {HEADER_COLUMNS}");
            let (sql, params) = page_query(inner.pk(conn, &collection)?, &f, &columns);
            let mut st = conn.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(params))?;
            let mut items = Vec::with_capacity(filter::page_capacity(&f));
            while let Some(r) = rows.next()? {
                let date_added = DateAdded(r.get(0)?);
                let sharing = read_sharing(r, 2)?;
                items.push(match decide(&sharing) {
                    Some(rule) => crate::Decided::Withheld { date_added, rule },
                    None => crate::Decided::Served(StoredObject {
                        object: read_object(r, 1, 8)?,
                        date_added,
                        sharing,
                    }),
                });
            }
            Ok(filter::into_page(items, &f, crate::Decided::date_added))
        })
        .await
    }

    async fn manifest_page(
        &self,
        collection: &CollectionId,
        filter: &ObjectFilter,
    ) -> Result<Page<ManifestRecord>> {
        let (collection, f, inner) = (collection.clone(), filter.clone(), self.inner.clone());
        self.read_sized(point_filter(&f), move |conn| {
            let columns =
                format!("o.id, o.date_added, o.version, o.spec_version, {SHARING_COLUMNS}");
            let (sql, params) = page_query(inner.pk(conn, &collection)?, &f, &columns);
            let mut st = conn.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(params))?;
            let mut items = Vec::with_capacity(filter::page_capacity(&f));
            while let Some(r) = rows.next()? {
                let date_added = DateAdded(r.get(1)?);
                let version: Option<String> = r.get(2)?;
                let spec: String = r.get(3)?;
                items.push(ManifestRecord {
                    id: r.get(0)?,
                    date_added,
                    version: version
                        .unwrap_or_else(|| date_added.to_timestamp().as_str().to_owned()),
                    media_type: filter::media_type(&spec),
                    sharing: read_sharing(r, 4)?,
                });
            }
            Ok(filter::into_page(items, &f, |m| m.date_added))
        })
        .await
    }

    async fn delete_object(
        &self,
        collection: &CollectionId,
        id: &str,
        filter: &ObjectFilter,
    ) -> Result<u64> {
        let (collection, id, f) = (collection.clone(), id.to_owned(), filter.clone());
        let inner = self.inner.clone();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let pk = inner.pk(&tx, &collection)?;
            let clause = filter::delete_clause(Dialect::Sqlite, pk, &id, &f);
            // The deletion log (federation): what is deleted, with the facts it had.
            tx.execute(
                &format!(
                    "INSERT INTO deletions (collection, object_id, version, deleted_at, \
                     originator, received_through, tlp, handling, recipients) \
                     SELECT '{}', o.id, coalesce(o.modified, o.created), {}, o.originator, \
                     o.received_through, o.tlp, o.handling, o.recipients \
                     FROM objects AS o NOT INDEXED WHERE {} ORDER BY o.date_added",
                    collection.0.replace('\'', "''"),
                    filter::now_micros(),
                    clause.sql
                ),
                rusqlite::params_from_iter(to_values(clause.params.clone())),
            )?;
            // Each deleted version's signature: the batch records they refer to lose them.
            let signatures: Vec<Option<String>> = tx
                .prepare(&format!(
                    "DELETE FROM objects AS o NOT INDEXED WHERE {} RETURNING signature",
                    clause.sql
                ))?
                .query_map(rusqlite::params_from_iter(to_values(clause.params)), |r| {
                    r.get(0)
                })?
                .collect::<rusqlite::Result<_>>()?;
            let n = signatures.len();
            if n == 0 {
                return Err(Error::NotFound(format!(
                    "object {id} in collection {collection}"
                )));
            }
            let deleted = signatures.iter().flatten().map(String::as_str);
            add_references(&tx, &SignatureBatch::count_references(deleted, -1))?;
            tx.execute(&RECOMPUTE_FLAGS, params![pk, id, filter::id_hash(&id)])?;
            tx.commit()?;
            Ok(n as u64)
        })
        .await
    }

    async fn count_objects(&self, collection: &CollectionId) -> Result<u64> {
        let (collection, inner) = (collection.clone(), self.inner.clone());
        self.read(move |conn| {
            let pk = inner.pk(conn, &collection)?;
            let n: i64 = conn
                .prepare_cached("SELECT count(*) FROM objects WHERE coll = ?1")?
                .query_row([pk], |r| r.get(0))?;
            Ok(n as u64)
        })
        .await
    }

    async fn put_status(&self, status: Status) -> Result<()> {
        self.write(move |conn| insert_status(conn, &status)).await
    }

    async fn add_objects_with_status(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
        make: crate::MakeStatus,
    ) -> Result<(Vec<AddOutcome>, Status)> {
        let written = self
            .add_objects_sharing(collection, objects, Some(sharing), Beside::Status(make))
            .await?;
        drop_aside(written.objects);
        let status = written
            .status
            .ok_or_else(|| Error::backend("no status was built"))?;
        Ok((written.outcomes, status))
    }

    async fn status(&self, api_root: &str, id: &str) -> Result<Status> {
        let (api_root, id) = (api_root.to_owned(), id.to_owned());
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .prepare_cached("SELECT owner, body FROM statuses WHERE api_root = ?1 AND id = ?2")?
                .query_row(params![api_root, id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (owner, body) = row.ok_or_else(|| Error::NotFound(format!("status {id}")))?;
            Ok(Status {
                id,
                api_root,
                owner,
                body: serde_json::value::RawValue::from_string(body).map_err(Error::backend)?,
            })
        })
        .await
    }

    async fn add_user(&self, user: User) -> Result<()> {
        self.write(move |conn| {
            let n = conn.execute(
                "INSERT INTO users (name, organisation, role, password_hash) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
                params![
                    user.name,
                    user.organisation,
                    user.role.as_str(),
                    user.password_hash
                ],
            )?;
            if n == 0 {
                return Err(Error::Conflict(format!("user {} exists", user.name)));
            }
            Ok(())
        })
        .await
    }

    async fn user(&self, name: &str) -> Result<User> {
        let name = name.to_owned();
        self.read_point(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT name, organisation, role, password_hash FROM users WHERE name = ?1",
                )?
                .query_row([&name], row_to_user)
                .optional()?;
            finish_user(row.ok_or_else(|| Error::NotFound(format!("user {name}")))?)
        })
        .await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT name, organisation, role, password_hash FROM users ORDER BY name",
            )?;
            let rows = st.query_map([], row_to_user)?;
            rows.map(|r| finish_user(r?)).collect()
        })
        .await
    }

    async fn add_token(&self, token: ApiToken) -> Result<()> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let user: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                [&token.user],
                |r| r.get(0),
            )?;
            if !user {
                return Err(Error::NotFound(format!("user {}", token.user)));
            }
            let n = tx.execute(
                "INSERT INTO api_tokens (sha256, user, label) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (sha256) DO NOTHING",
                params![token.sha256, token.user, token.label],
            )?;
            if n == 0 {
                return Err(Error::Conflict("token exists".into()));
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn user_by_token(&self, token_sha256: &str) -> Result<User> {
        let hash = token_sha256.to_owned();
        self.read_point(move |conn| {
            let row = conn
                .prepare_cached(
                    "SELECT u.name, u.organisation, u.role, u.password_hash \
                     FROM api_tokens t JOIN users u ON u.name = t.user WHERE t.sha256 = ?1",
                )?
                .query_row([&hash], row_to_user)
                .optional()?;
            finish_user(row.ok_or_else(|| Error::NotFound("token".into()))?)
        })
        .await
    }

    async fn set_permission(&self, p: Permission) -> Result<()> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let (user, coll): (bool, bool) = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1), \
                        EXISTS (SELECT 1 FROM collections WHERE id = ?2)",
                params![p.user, p.collection.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if !user {
                return Err(Error::NotFound(format!("user {}", p.user)));
            }
            if !coll {
                return Err(Error::NotFound(format!("collection {}", p.collection)));
            }
            tx.execute(
                "INSERT INTO permissions (user, collection_id, can_read, can_write) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user, collection_id) DO UPDATE SET \
                 can_read = excluded.can_read, can_write = excluded.can_write",
                params![p.user, p.collection.0, p.can_read, p.can_write],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn permission(&self, user: &str, collection: &CollectionId) -> Result<Permission> {
        let (user, collection) = (user.to_owned(), collection.clone());
        self.read_point(move |conn| {
            let row: Option<(bool, bool)> = conn
                .prepare_cached(
                    "SELECT can_read, can_write FROM permissions \
                     WHERE user = ?1 AND collection_id = ?2",
                )?
                .query_row(params![user, collection.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (can_read, can_write) = row
                .ok_or_else(|| Error::NotFound(format!("permission of {user} on {collection}")))?;
            Ok(Permission {
                user,
                collection,
                can_read,
                can_write,
            })
        })
        .await
    }

    async fn append_audit(
        &self,
        records: Vec<AuditRecord>,
        hasher: AuditHasher,
    ) -> Result<Vec<AuditEntry>> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        self.audit(move |conn| {
            // IMMEDIATE: the head read below and the inserts form one write transaction, so
            // no other writer (in this process or another) can append in between.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let last = tx
                .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
                .query_row([], |r| Ok((r.get::<_, i64>(0)? as u64, audit_bytes(r, 1)?)))
                .optional()?;
            let entries = crate::audit::chain(last, records, hasher);
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO audit_log (seq, time, actor, organisation, action, target, \
                     purpose, decision, rule, detail, prev_hash, hash) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?;
                for e in &entries {
                    let r = &e.record;
                    insert.execute(params![
                        e.seq as i64,
                        r.time,
                        r.actor,
                        r.organisation,
                        r.action,
                        r.target,
                        r.purpose,
                        r.decision,
                        r.rule,
                        r.detail,
                        e.prev_hash,
                        e.hash,
                    ])?;
                }
            }
            // synchronous=FULL: when commit returns, the entries are on disk.
            tx.commit()?;
            Ok(entries)
        })
        .await
    }

    async fn audit_head(&self) -> Result<Option<AuditEntry>> {
        self.audit(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1"
                ))?
                .query_row([], row_to_audit)
                .optional()?)
        })
        .await
    }

    async fn audit_page(&self, after: u64, limit: usize) -> Result<Vec<AuditEntry>> {
        let (after, limit) = (
            after.min(i64::MAX as u64) as i64,
            limit.min(i64::MAX as usize) as i64,
        );
        self.audit(move |conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            ))?;
            let rows = st.query_map(params![after, limit], row_to_audit)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

/// The columns [`row_to_audit`] reads, in order.
const AUDIT_COLUMNS: &str = "seq, time, actor, organisation, action, target, purpose, decision, \
     rule, detail, prev_hash, hash";

/// Reads a text column of the audit log. Invalid UTF-8 (a row altered behind the program's
/// back) reads lossily rather than failing, so verification can name the entry.
fn audit_text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(b) | ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    })
}

/// Reads a blob column of the audit log, whatever it holds.
fn audit_bytes(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Null => Vec::new(),
        ValueRef::Integer(n) => n.to_string().into_bytes(),
        ValueRef::Real(x) => x.to_string().into_bytes(),
        ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
    })
}

fn row_to_audit(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let text = |i| audit_text(r, i).map(Option::unwrap_or_default);
    Ok(AuditEntry {
        seq: r.get::<_, i64>(0)? as u64,
        record: AuditRecord {
            time: r.get(1)?,
            actor: text(2)?,
            organisation: text(3)?,
            action: text(4)?,
            target: text(5)?,
            purpose: audit_text(r, 6)?,
            decision: text(7)?,
            rule: text(8)?,
            detail: text(9)?,
        },
        prev_hash: audit_bytes(r, 10)?,
        hash: audit_bytes(r, 11)?,
    })
}

/// The query plan of `sql` with `params` on `store`, one step per line (for tests of plans).
#[cfg(test)]
pub(super) async fn query_plan<P>(store: &SqliteStore, sql: String, params: Vec<P>) -> String
where
    P: rusqlite::ToSql + Send + 'static,
{
    store
        .read(move |c| {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = st.query_map(rusqlite::params_from_iter(params), |r| r.get(3))?;
            Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
        })
        .await
        .expect("query plan")
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(name: &str) -> ApiRoot {
        ApiRoot {
            name: name.into(),
            title: name.into(),
            description: None,
            max_content_length: 1 << 20,
        }
    }

    /// A bulk load's hint shrinks both writers' page caches; the store writes as before.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_bulk_load_shrinks_the_writers_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("entente.db"))
            .await
            .unwrap();
        let cache = async |which: fn(&Inner) -> &Writer| -> i64 {
            store
                .write_with(
                    which,
                    || (),
                    |c, ()| Ok(c.query_row("PRAGMA cache_size", [], |r| r.get(0))?),
                )
                .await
                .unwrap()
        };
        assert_eq!(cache(|i| &i.writer).await, -65_536);
        assert_eq!(cache(|i| &i.hits).await, -16_384);
        store.prepare_bulk_load().await.unwrap();
        assert_eq!(cache(|i| &i.writer).await, BULK_LOAD_CACHE);
        assert_eq!(cache(|i| &i.hits).await, BULK_LOAD_CACHE);
        store.create_api_root(root("api1")).await.unwrap();
        assert_eq!(store.api_roots().await.unwrap().len(), 1);
    }

    /// A database of schema 14 (batch records without their count of references) gets each
    /// record's count from the versions that refer to it, copies included, and loses the
    /// records none refers to; later deletions then go by those counts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_reference_count_migration_counts_stored_references() {
        use crate::{CollectionId, ObjectFilter, SharingStore};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entente.db");
        let malware = |n: u32| {
            entente_stix::Object::from_json(&format!(
                r#"{{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-{n:012}","created":"2020-01-01T00:00:00.000Z","modified":"2020-01-01T00:00:00.000Z","name":"m{n}","is_family":false}}"#
            ))
            .unwrap()
        };
        let reference = |signature: &str| ObjectSharing {
            signature: Some(signature.into()),
            ..ObjectSharing::default()
        };
        {
            let store = SqliteStore::open(&path).await.unwrap();
            store.create_api_root(root("api1")).await.unwrap();
            for c in ["c1", "c2"] {
                store
                    .create_collection(Collection {
                        id: CollectionId(c.into()),
                        api_root: "api1".into(),
                        title: c.into(),
                        description: None,
                        alias: None,
                        media_types: vec![],
                    })
                    .await
                    .unwrap();
            }
            let c1 = CollectionId("c1".into());
            let c2 = CollectionId("c2".into());
            store
                .add_objects_with(
                    &c1,
                    vec![malware(1), malware(2), malware(3)],
                    vec![
                        reference("batch:k1:0"),
                        reference("batch:k1:1"),
                        reference("batch:k2:0"),
                    ],
                )
                .await
                .unwrap();
            store
                .add_objects_with(&c2, vec![malware(1)], vec![reference("batch:k1:0")])
                .await
                .unwrap();
            // Back to schema 14: records without counts, one that no version names.
            store
                .write(|c| {
                    Ok(c.execute_batch(
                        "ALTER TABLE signature_batches DROP COLUMN refs; \
                         INSERT INTO signature_batches (key, record) VALUES \
                         ('k1', 'one'), ('k2', 'two'), ('k3', 'three'); \
                         DELETE FROM schema_migrations WHERE version = 15;",
                    )?)
                })
                .await
                .unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let counts = async || -> Vec<(String, i64)> {
            store
                .write(|c| {
                    Ok(
                        c.prepare("SELECT key, refs FROM signature_batches ORDER BY key")?
                            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                            .collect::<rusqlite::Result<_>>()?,
                    )
                })
                .await
                .unwrap()
        };
        assert_eq!(counts().await, [("k1".into(), 3), ("k2".into(), 1)]);
        let all = ObjectFilter {
            limit: 10,
            ..Default::default()
        };
        let c1 = CollectionId("c1".into());
        for n in [1, 2, 3] {
            let id = format!("malware--00000000-0000-4000-8000-{n:012}");
            store.delete_object(&c1, &id, &all).await.unwrap();
        }
        assert_eq!(
            counts().await,
            [("k1".into(), 1)],
            "the copy in c2 still names k1"
        );
    }

    /// A database made before the id index had two parts (schemas up to 9: one index on
    /// `(coll, idh)`) keeps finding its objects by id once migrated: every stored version is in
    /// the large part, and versions added afterwards are compared with them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_id_index_migration_keeps_every_stored_version_findable() {
        use crate::types::{ObjectFilter, VersionMatch};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entente.db");
        let object = |n: u32, modified: &str| {
            entente_stix::Object::from_json(&format!(
                r#"{{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-{n:012}","created":"2020-01-01T00:00:00.000Z","modified":"{modified}","name":"m{n}","is_family":false}}"#
            ))
            .unwrap()
        };
        {
            let mut conn = Connection::open(&path).unwrap();
            register_functions(&conn).unwrap();
            run_migrations(&mut conn, &MIGRATIONS[..8], |_, _| Ok(())).unwrap();
            conn.execute_batch(
                "INSERT INTO api_roots VALUES ('api1', 'one', NULL, 1000000); \
                 INSERT INTO collections (pk, id, api_root, title, media_types) \
                 VALUES (1, 'c1', 'api1', 'c1', '[]');",
            )
            .unwrap();
            for n in 0..50 {
                let o = object(n, "2021-01-01T00:00:00.000Z");
                conn.execute(
                    "INSERT INTO objects (coll, date_added, id, idh, type, spec_version, vkey, \
                     version, created, modified, is_first, is_last, is_latest_spec, body) \
                     VALUES (1, ?1, ?2, ?3, 'malware', '2.1', ?4, NULL, ?5, ?5, 1, 1, 1, ?6)",
                    params![
                        i64::from(n) + 1,
                        o.id().as_str(),
                        filter::id_hash(o.id().as_str()),
                        filter::version_key(&o),
                        o.modified().unwrap().as_str(),
                        o.as_json(),
                    ],
                )
                .unwrap();
            }
            let indexes: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'objects_id'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(indexes, 1, "the one-part index before migration 10");
        }
        let store = SqliteStore::open(&path).await.unwrap();
        let counts: (i64, i64) = store
            .write(|c| {
                Ok(c.query_row(
                    "SELECT (SELECT count(*) FROM object_ids), \
                     (SELECT count(*) FROM object_ids_new)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .await
            .unwrap();
        assert_eq!(counts, (50, 0));
        let c = crate::CollectionId("c1".into());
        let out = store
            .add_objects(
                &c,
                vec![
                    object(7, "2021-01-01T00:00:00.000Z"),
                    object(7, "2022-01-01T00:00:00.000Z"),
                ],
            )
            .await
            .unwrap();
        assert!(matches!(out[0], AddOutcome::Duplicate { .. }), "{out:?}");
        assert!(matches!(out[1], AddOutcome::Added { .. }), "{out:?}");
        let id = object(7, "2021-01-01T00:00:00.000Z")
            .id()
            .as_str()
            .to_owned();
        let page = |versions: Vec<VersionMatch>| {
            let (store, c, id) = (store.clone(), c.clone(), id.clone());
            async move {
                store
                    .objects_page(
                        &c,
                        &ObjectFilter {
                            ids: vec![id],
                            versions,
                            limit: 10,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap()
                    .items
                    .iter()
                    .map(|o| o.object.modified().unwrap().as_str().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(page(vec![]).await, ["2022-01-01T00:00:00.000Z"]);
        assert_eq!(
            page(vec![VersionMatch::First]).await,
            ["2021-01-01T00:00:00.000Z"]
        );
        assert_eq!(page(vec![VersionMatch::All]).await.len(), 2);
    }

    /// A lookup by id reads both parts of the id index and then each version by `seq`, with
    /// neither a temporary table for a subquery's list nor one for ordering.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lookup_by_id_reads_the_id_index_then_versions_by_seq() {
        use crate::types::ObjectFilter;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("entente.db"))
            .await
            .unwrap();
        let f = ObjectFilter {
            ids: vec!["malware--00000000-0000-4000-8000-000000000001".into()],
            limit: 10,
            ..Default::default()
        };
        assert!(point_filter(&f));
        let (sql, params) = page_query(1, &f, "o.date_added, o.body");
        let plan = query_plan(&store, sql, params).await;
        for step in [
            "SEARCH object_ids USING PRIMARY KEY (coll=? AND idh=?)",
            "SEARCH object_ids_new USING PRIMARY KEY (coll=? AND idh=?)",
            "SEARCH o USING INTEGER PRIMARY KEY (rowid=?)",
        ] {
            assert!(plan.contains(step), "no {step:?} in:\n{plan}");
        }
        for avoided in ["LIST SUBQUERY", "TEMP", "SCAN"] {
            assert!(!plan.contains(avoided), "{avoided:?} in:\n{plan}");
        }
    }

    /// The writer commits without syncing (`synchronous=NORMAL`) and a write is acknowledged
    /// only once the thread that ran it has synced the log: when the log cannot be synced, the
    /// write reports an error. A use of the writer that commits nothing syncs nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_is_acknowledged_only_once_its_log_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entente.db");
        let store = SqliteStore::open(&path).await.unwrap();
        store.create_api_root(root("api1")).await.unwrap();
        let synchronous: i64 = store
            .write(|c| Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(synchronous, 1, "the writer commits with synchronous=NORMAL");

        // The log is taken from under the connection, which goes on writing to the file it
        // holds open: the sync by name fails, and the write is not acknowledged.
        let log = dir.path().join("entente.db-wal");
        std::fs::remove_file(&log).unwrap();
        let err = store.create_api_root(root("api2")).await.unwrap_err();
        let source = std::error::Error::source(&err).map(|e| e.to_string());
        assert!(
            source
                .as_deref()
                .is_some_and(|s| s.contains("syncing the log")),
            "unexpected error: {err:?}"
        );
        // Nothing committed, nothing to sync: no error although the log is still missing.
        let roots: i64 = store
            .write(|c| Ok(c.query_row("SELECT count(*) FROM api_roots", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(roots, 2);
    }
}
