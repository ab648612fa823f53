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

use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, TransactionBehavior};

use crate::Result;

/// The fewest new versions moved at once.
const MIN_BATCH: u64 = 16_384;

/// "Not counted yet" (the count is taken on the first write of a process).
const UNKNOWN: u64 = u64::MAX;

/// How many new versions the writer lets gather before moving them, for a store whose
/// largest `seq` is `max_seq` (about its number of versions, without counting them).
pub(super) fn threshold(max_seq: i64) -> u64 {
    let stored = max_seq.max(0) as f64;
    ((64.0 * stored.sqrt()) as u64).max(MIN_BATCH)
}

/// The writer's running count of rows in the new part: exact after its first count, then
/// kept by the writer (writes from another process make it approximate, which only moves a
/// batch earlier or later).
pub(super) struct NewIds(AtomicU64);

impl Default for NewIds {
    fn default() -> NewIds {
        NewIds(AtomicU64::new(UNKNOWN))
    }
}

impl NewIds {
    /// After a commit that stored up to `added` versions: moves the new part into the large one
    /// when it has grown past [`threshold`]. Returns the number of versions moved. Call with
    /// the writer connection, between transactions.
    pub(super) fn after_add(&self, conn: &mut Connection, added: u64) -> Result<u64> {
        let mut n = self.0.load(Ordering::Relaxed);
        if n == UNKNOWN {
            n = conn.query_row("SELECT count(*) FROM object_ids_new", [], |r| {
                r.get::<_, i64>(0)
            })? as u64;
        } else {
            n = n.saturating_add(added);
        }
        self.0.store(n, Ordering::Relaxed);
        if n < MIN_BATCH {
            return Ok(0);
        }
        let max_seq: i64 =
            conn.query_row("SELECT coalesce(max(seq), 0) FROM objects", [], |r| {
                r.get(0)
            })?;
        if n < threshold(max_seq) {
            return Ok(0);
        }
        let moved = merge(conn)?;
        self.0.store(0, Ordering::Relaxed);
        Ok(moved)
    }
}

/// Moves every row of the new part into the large part, in one transaction.
pub(super) fn merge(conn: &mut Connection) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // In key order, so that each page of the large part is visited once.
    let moved = tx.execute(
        "INSERT INTO object_ids (coll, idh, seq) \
         SELECT coll, idh, seq FROM object_ids_new ORDER BY coll, idh, seq",
        [],
    )?;
    tx.execute("DELETE FROM object_ids_new", [])?;
    tx.commit()?;
    Ok(moved as u64)
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
}
