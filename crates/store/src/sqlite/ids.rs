//! The id index in two parts (migration 10), and moving its new part into the large one.
//!
//! Ids are random, so in one index on `(coll, idh)` each new version lands on a random page:
//! at a million stored versions, a POST of 1,000 new objects dirtied about 1,000 pages of the
//! index, each written to the log at commit and copied again by the checkpoint. The writer now
//! puts each new version into `object_ids_new` instead, whose pages are few and stay hot, and
//! moves those rows into `object_ids` in one batch, sorted, once there are [`threshold`] of
//! them: each page of the large part is then written once per batch. (A trigger removes the
//! rows of deleted versions from either part.)
//!
//! The batch size balances the two costs per version: the small part's pages written at each
//! commit grow with its size, and the large part's pages written per batch, shared by the
//! batch's versions, grow with the store. Their sum is least near the square root of their
//! product, hence `64 * sqrt(versions stored)`: 64,000 new versions at a million stored.
//!
//! Readers see one index through the view `object_ids_all`; a batch moves in one transaction,
//! so every snapshot holds each version in exactly one part.
//!
//! The correlation hits' index by id (migration 11) is kept the same way ([`HITS`]): its new
//! part moves when the hits added since the last move pass the same threshold, computed from
//! the number of hits.

use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, TransactionBehavior};

use crate::Result;

/// The fewest new rows moved at once.
const MIN_BATCH: u64 = 16_384;

/// "Not counted yet" (the count is taken on the first write of a process).
const UNKNOWN: u64 = u64::MAX;

/// How many new rows the writer lets gather before moving them, for a table whose largest
/// `seq` is `max_seq` (about its number of rows, without counting them).
pub(super) fn threshold(max_seq: i64) -> u64 {
    let stored = max_seq.max(0) as f64;
    ((64.0 * stored.sqrt()) as u64).max(MIN_BATCH)
}

/// An index kept in two parts: how to count its new rows, how large the indexed table is,
/// and how to move the new part into the large one.
pub(super) struct Parts {
    /// Counts the rows added to the indexed table since the last move.
    count: &'static str,
    /// The largest `seq` of the indexed table.
    max_seq: &'static str,
    /// Statements that move every new part into its large part (in key order, so that each
    /// page of the large part is visited once) and empty it, run in one transaction.
    ///
    /// The inserts are `INSERT OR IGNORE`: a row already in the large part stays there once.
    /// A plain `INSERT` of many rows may abort on a constraint, so SQLite copied every page it
    /// changed into a statement journal first (in memory: `temp_store = MEMORY`), to undo that
    /// one statement: about 44 MB at the peak of a million-object import, for a move whose
    /// failure undoes the whole transaction anyway. An insert that cannot abort needs none.
    moves: &'static [&'static str],
}

/// The id index of the stored versions (migration 10).
pub(super) const OBJECT_IDS: Parts = Parts {
    count: "SELECT count(*) FROM object_ids_new",
    max_seq: "SELECT coalesce(max(seq), 0) FROM objects",
    moves: &[
        "INSERT OR IGNORE INTO object_ids (coll, idh, seq) \
         SELECT coll, idh, seq FROM object_ids_new ORDER BY coll, idh, seq",
        "DELETE FROM object_ids_new",
    ],
};

/// The correlation hits' index by id (migration 11; the hits' file): one or two rows per hit
/// (one per distinct id hash of its sides), counted by hit.
pub(super) const HITS: Parts = Parts {
    count: "SELECT count(DISTINCT seq) FROM hit_ids_new",
    max_seq: "SELECT coalesce(max(seq), 0) FROM correlation_hits",
    moves: &[
        "INSERT OR IGNORE INTO hit_ids (idh, seq) \
         SELECT idh, seq FROM hit_ids_new ORDER BY idh, seq",
        "DELETE FROM hit_ids_new",
    ],
};

/// The writer's running count of rows in the new part of an index: exact after its first
/// count, then kept by the writer (writes from another process make it approximate, which
/// only moves a batch earlier or later).
pub(super) struct NewRows {
    parts: &'static Parts,
    count: AtomicU64,
}

impl NewRows {
    /// The count for the index `parts`, not taken yet.
    pub(super) const fn new(parts: &'static Parts) -> NewRows {
        NewRows {
            parts,
            count: AtomicU64::new(UNKNOWN),
        }
    }

    /// After a commit that added up to `added` rows: moves the new part into the large one
    /// when it has grown past [`threshold`]. Returns the number of rows moved. Call with the
    /// writer connection, between transactions.
    pub(super) fn after_add(&self, conn: &mut Connection, added: u64) -> Result<u64> {
        let mut n = self.count.load(Ordering::Relaxed);
        if n == UNKNOWN {
            n = conn.query_row(self.parts.count, [], |r| r.get::<_, i64>(0))? as u64;
        } else {
            n = n.saturating_add(added);
        }
        self.count.store(n, Ordering::Relaxed);
        if n < MIN_BATCH {
            return Ok(0);
        }
        let max_seq: i64 = conn.query_row(self.parts.max_seq, [], |r| r.get(0))?;
        if n < threshold(max_seq) {
            return Ok(0);
        }
        let moved = merge(conn, self.parts)?;
        self.count.store(0, Ordering::Relaxed);
        Ok(moved)
    }

    /// Forgets the count (after the new part was emptied some other way).
    pub(super) fn reset(&self) {
        self.count.store(UNKNOWN, Ordering::Relaxed);
    }
}

/// Moves every row of the new parts of `parts` into its large parts, in one transaction.
/// Returns the rows the first statement moved.
pub(super) fn merge(conn: &mut Connection, parts: &Parts) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut moved = None;
    for sql in parts.moves {
        let n = tx.execute(sql, [])? as u64;
        moved.get_or_insert(n);
    }
    tx.commit()?;
    Ok(moved.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_grows_with_the_square_root_of_the_store() {
        assert_eq!(threshold(0), MIN_BATCH);
        assert_eq!(threshold(-5), MIN_BATCH);
        assert_eq!(threshold(10_000), MIN_BATCH);
        assert_eq!(threshold(1_000_000), 64_000);
        assert_eq!(threshold(100_000_000), 640_000);
    }

    /// A folder holding a store's files at the latest schema, no store open on them.
    async fn migrated() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::sqlite::SqliteStore::open(dir.path().join("entente.db"))
            .await
            .unwrap();
        drop(store);
        dir
    }

    /// The moves' statements cannot abort (no constraint check halts them), so SQLite keeps no
    /// statement journal for them.
    #[tokio::test]
    async fn the_moves_cannot_abort() {
        let dir = migrated().await;
        for (file, parts) in [("entente.db", &OBJECT_IDS), ("entente.hits.db", &HITS)] {
            let conn = Connection::open(dir.path().join(file)).unwrap();
            for sql in parts.moves {
                let mut st = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
                let halts: Vec<(String, i64)> = st
                    .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
                    .unwrap()
                    .map(|r| r.unwrap())
                    .filter(|(op, p1)| op == "HaltIfNull" || (op == "Halt" && *p1 != 0))
                    .collect();
                assert!(halts.is_empty(), "{sql}: {halts:?}");
            }
        }
    }

    /// A move empties the new part into the large one, keeping once a row that is already
    /// there.
    #[tokio::test]
    async fn a_move_keeps_each_row_once() {
        let dir = migrated().await;
        let mut conn = Connection::open(dir.path().join("entente.hits.db")).unwrap();
        conn.execute_batch(
            "INSERT INTO hit_ids (idh, seq) VALUES (1, 10), (5, 12); \
             INSERT INTO hit_ids_new (idh, seq) VALUES (5, 12), (-3, 11), (9, 13);",
        )
        .unwrap();
        assert_eq!(
            merge(&mut conn, &HITS).unwrap(),
            2,
            "the rows not there yet"
        );
        let rows = |table: &str| -> Vec<(i64, i64)> {
            conn.prepare(&format!("SELECT idh, seq FROM {table} ORDER BY idh, seq"))
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(rows("hit_ids"), [(-3, 11), (1, 10), (5, 12), (9, 13)]);
        assert!(rows("hit_ids_new").is_empty());
    }
}
