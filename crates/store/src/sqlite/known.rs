//! Which object ids each collection may already hold, so that the writer can skip the index
//! lookup for an id it has certainly never stored.
//!
//! Before each insert the writer asks the id index for the id's stored versions (to
//! find duplicates and to know whether the new version is the only one). Most ids of an import
//! or a pull are new, and that lookup, a descent of a B-tree in random order, was a fifth of the
//! writer's time. A Bloom filter per collection answers "certainly new" for almost all of them
//! at the cost of a few memory reads; "maybe stored" still takes the exact lookup. It has no
//! false negatives as long as it has seen every id stored in the collection:
//!
//! - it is loaded from the index the first time the writer touches a collection, inside the
//!   write transaction;
//! - the writer adds each id it inserts (a transaction that rolls back leaves extra ids: false
//!   positives, which only cost a lookup; deleted ids stay for the same reason);
//! - another connection, another process, that writes the database makes `PRAGMA data_version`
//!   change, and every filter is dropped and reloaded on next use.
//!
//! Sixteen bits per id, with the four probes of an id in one 64-bit word (one memory access),
//! keep false positives near 1% (1.1% over three layers in the unit test); a full layer gets a
//! twice larger one beside it (no reload). A million ids take 2 to 4 MB.
//!
//! The hits' writer keeps one such filter of the stored hits' keys ([`KnownHits`]), for the
//! same reason: before each new hit it looks for an equal one already stored, and almost every
//! hit of a pull or an import is new. With the filter, the hits need no index by key (hits'
//! schema 2): "maybe stored" looks among the stored hits of the new hit's first side. The same
//! rules keep it without false negatives, on the hits' file (its `data_version`), and emptying
//! the hits drops it; it is loaded from the hits' `hkey` column. Loading reads every stored
//! hit (about a second at a million and a half), so only a batch of at least
//! [`LOAD_HITS_AT`] hits loads it: a stream of large batches (an import, a pull catching up)
//! pays once, while the few hits of a single POST or of a pull that keeps up are looked up
//! exactly, without the wait.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::Result;

/// The filters of one writer connection, by collection key.
#[derive(Default)]
pub(super) struct KnownIds {
    data_version: Option<i64>,
    collections: HashMap<i64, Filter>,
}

impl KnownIds {
    /// The filter of collection `pk`, loaded when missing; all are dropped first when another
    /// connection has written since the last call. Call inside the write transaction, so that
    /// nobody else writes between this and the inserts.
    pub(super) fn collection(&mut self, conn: &Connection, pk: i64) -> Result<&mut Filter> {
        if another_wrote(conn, &mut self.data_version)? {
            self.collections.clear();
        }
        match self.collections.entry(pk) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(e) => Ok(e.insert(Filter::load(
                conn,
                "SELECT idh FROM object_ids_all WHERE coll = ?1",
                [pk],
            )?)),
        }
    }
}

/// Whether another connection has written the file of `conn` since the last call (the first
/// call says so too), `seen` keeping its `data_version` between calls.
fn another_wrote(conn: &Connection, seen: &mut Option<i64>) -> Result<bool> {
    let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    Ok(seen.replace(version) != Some(version))
}

/// The fewest hits in a batch that load the filter of stored hit keys (see the module docs).
pub(super) const LOAD_HITS_AT: usize = 1_000;

/// The filter of the stored hits' keys (`filter::hit_key`) of the hits' writer connection.
#[derive(Default)]
pub(super) struct KnownHits {
    data_version: Option<i64>,
    filter: Option<Filter>,
}

impl KnownHits {
    /// The filter, dropped first when another connection has written the hits' file since
    /// the last call; when it is not loaded, loaded from the stored hits if `load`, else
    /// `None` (every key may then be stored). Call inside the write transaction.
    pub(super) fn filter(&mut self, conn: &Connection, load: bool) -> Result<Option<&mut Filter>> {
        if another_wrote(conn, &mut self.data_version)? {
            self.filter = None;
        }
        if self.filter.is_none() && load {
            self.filter = Some(Filter::load(conn, "SELECT hkey FROM correlation_hits", [])?);
        }
        Ok(self.filter.as_mut())
    }

    /// Forgets the filter (after the hits were removed: its keys would all be false positives).
    pub(super) fn reset(&mut self) {
        self.filter = None;
    }
}

/// A scalable Bloom filter of 64-bit id hashes (`filter::id_hash`).
pub(super) struct Filter {
    layers: Vec<Layer>,
}

struct Layer {
    /// One 64-bit block per id: all the probes of an id fall in one word, so a query costs one
    /// memory access per layer (a plain Bloom filter's probes would each miss the cache).
    blocks: Vec<u64>,
    /// Number of blocks minus one (a power of two minus one).
    mask: u64,
    len: usize,
    capacity: usize,
}

const BITS_PER_ID: usize = 16;
const PROBES: u32 = 4;
const MIN_CAPACITY: usize = 1 << 16;

impl Layer {
    fn new(capacity: usize) -> Layer {
        let capacity = capacity.max(MIN_CAPACITY);
        let nblocks = (capacity * BITS_PER_ID / 64).next_power_of_two();
        Layer {
            blocks: vec![0; nblocks],
            mask: nblocks as u64 - 1,
            len: 0,
            capacity,
        }
    }

    /// The block of `h` and the bits it sets there: one mix picks the block, a second gives
    /// four 6-bit bit positions.
    fn probe(&self, h: i64) -> (usize, u64) {
        let a = mix(h as u64);
        let b = mix(a);
        let bits = (0..PROBES).fold(0u64, |m, i| m | 1 << ((b >> (6 * i)) & 63));
        ((a & self.mask) as usize, bits)
    }

    fn contains(&self, h: i64) -> bool {
        let (block, bits) = self.probe(h);
        self.blocks[block] & bits == bits
    }

    fn insert(&mut self, h: i64) {
        let (block, bits) = self.probe(h);
        self.blocks[block] |= bits;
        self.len += 1;
    }
}

/// splitmix64's finaliser: spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Filter {
    /// A filter of the 64-bit hashes the query `sql` (with `params`) returns, with room for as
    /// many again.
    fn load(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Filter> {
        let hashes = conn
            .prepare_cached(sql)?
            .query_map(params, |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        let mut filter = Filter::with_capacity(hashes.len().saturating_mul(2));
        for h in hashes {
            filter.insert(h);
        }
        Ok(filter)
    }

    fn with_capacity(capacity: usize) -> Filter {
        Filter {
            layers: vec![Layer::new(capacity)],
        }
    }

    /// False when `h` was certainly never inserted.
    pub(super) fn may_contain(&self, h: i64) -> bool {
        self.layers.iter().any(|l| l.contains(h))
    }

    /// Records `h`.
    pub(super) fn insert(&mut self, h: i64) {
        let last = self.layers.last().expect("at least one layer");
        if last.len >= last.capacity {
            let next = Layer::new(last.capacity * 2);
            self.layers.push(next);
        }
        self.layers
            .last_mut()
            .expect("at least one layer")
            .insert(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_few_false_positives_across_layers() {
        let mut f = Filter::with_capacity(0);
        let n = 300_000i64; // past the first layer's 65,536: several layers
        for i in 0..n {
            f.insert(mix(i as u64) as i64);
        }
        assert!(f.layers.len() >= 3, "{} layers", f.layers.len());
        for i in 0..n {
            assert!(f.may_contain(mix(i as u64) as i64), "lost {i}");
        }
        let fp = (n..2 * n)
            .filter(|i| f.may_contain(mix(*i as u64) as i64))
            .count();
        // Under 1% per layer; a few layers.
        assert!(fp < (n as usize) / 25, "{fp} false positives of {n}");
    }
}
