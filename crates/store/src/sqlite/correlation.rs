//! The sqlite side of [`crate::CorrelationStore`].

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteStore;
use super::known::{KnownHits, LOAD_HITS_AT};
use crate::filter;
use crate::{CollectionId, CorrelationHit, CorrelationStore, HitSide, Result};

/// The columns of a hit, sides' collections by id (`h` is the hits table, `ca`/`cb` the
/// collections of its sides).
const COLUMNS: &str = "h.seq, h.found, h.rule, h.kind, h.value, ca.id, h.a_id, h.a_version, \
     cb.id, h.b_id, h.b_version";

/// Joins the collections of both sides to a set of hits `h`.
const SIDES: &str =
    "JOIN collections ca ON ca.pk = h.a_coll JOIN collections cb ON cb.pk = h.b_coll";

/// Whether a hit equal to the one about to be stored is stored: among the stored hits of its
/// first side's id (hash `?1`, both parts of the id index), one with its key (`?2`) and every
/// column equal (a hash collision never drops a hit). Asked only when the filter of stored keys
/// says there may be one.
const STORED: &str = "SELECT 1 FROM hit_ids_all k CROSS JOIN correlation_hits h ON h.seq = k.seq \
     WHERE k.idh = ?1 AND h.hkey = ?2 AND h.rule = ?3 AND h.kind = ?4 AND h.value = ?5 \
     AND h.a_coll = ?6 AND h.a_id = ?7 AND h.a_version = ?8 AND h.b_coll = ?9 AND h.b_id = ?10 \
     AND h.b_version = ?11";

/// The hits of an object (`?1`, its hash `?4`) after `seq` `?2`, at most `?3`: those of
/// either side with that id hash, from both parts of the id index, then each hit by `seq`,
/// confirmed by its id (a hash collision never adds one).
fn for_object_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM (\
           SELECT h.* FROM hit_ids_all k CROSS JOIN correlation_hits h ON h.seq = k.seq \
           WHERE k.idh = ?4 AND k.seq > ?2 AND (h.a_id = ?1 OR h.b_id = ?1) \
           ORDER BY k.seq LIMIT ?3) h {SIDES} \
         ORDER BY h.seq"
    )
}

fn hit(r: &Row<'_>) -> rusqlite::Result<CorrelationHit> {
    Ok(CorrelationHit {
        seq: r.get(0)?,
        found: r.get(1)?,
        rule: r.get(2)?,
        kind: r.get(3)?,
        value: r.get(4)?,
        a: HitSide {
            collection: CollectionId(r.get(5)?),
            id: r.get(6)?,
            version: r.get(7)?,
        },
        b: HitSide {
            collection: CollectionId(r.get(8)?),
            id: r.get(9)?,
            version: r.get(10)?,
        },
    })
}

fn query(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<CorrelationHit>> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(args, hit)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

fn limit(limit: usize) -> i64 {
    limit.min(100_000) as i64
}

/// The keys in the main file of each hit's two collections (`NotFound` for a collection that
/// does not exist), read before the hits' writer is taken: that file is not the hits' own. A
/// batch names few collections, each looked up once.
fn collection_keys(inner: &super::Inner, hits: &[CorrelationHit]) -> Result<Vec<(i64, i64)>> {
    super::with_reader(inner, |conn| {
        let mut known: Vec<(&str, i64)> = Vec::new();
        let mut keys = Vec::with_capacity(hits.len());
        for h in hits {
            let mut pair = [0i64; 2];
            for (slot, c) in pair.iter_mut().zip([&h.a.collection, &h.b.collection]) {
                *slot = match known.iter().find(|(id, _)| *id == c.0) {
                    Some(&(_, pk)) => pk,
                    None => {
                        let pk = inner.pk(conn, c)?;
                        known.push((&c.0, pk));
                        pk
                    }
                };
            }
            keys.push((pair[0], pair[1]));
        }
        Ok(keys)
    })
}

/// Stores `hits` (checked and canonical), whose collections' keys are `keys`, in one
/// transaction of the hits' file; returns how many were new. `known` is the filter of the
/// stored hits' keys: a key it has certainly never seen is not looked up (a batch too small to
/// load it looks every key up).
fn add_hits_blocking(
    conn: &mut Connection,
    known: &mut KnownHits,
    hits: &[CorrelationHit],
    keys: &[(i64, i64)],
) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut added = 0;
    {
        let mut known = known.filter(&tx, hits.len() >= LOAD_HITS_AT)?;
        let mut stored = tx.prepare_cached(STORED)?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO correlation_hits (found, rule, kind, value, a_coll, a_id, a_idh, \
             a_version, b_coll, b_id, b_idh, b_version, hkey) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        // The new part of the id index, written here rather than by a trigger (which would
        // give every insert a statement journal; see migration 10).
        let mut new_id = tx.prepare_cached("INSERT INTO hit_ids_new (idh, seq) VALUES (?1, ?2)")?;
        for (h, &(a_coll, b_coll)) in hits.iter().zip(keys) {
            let key = filter::hit_key(
                &h.rule,
                &h.kind,
                &h.value,
                a_coll,
                &h.a.id,
                &h.a.version,
                b_coll,
                &h.b.id,
                &h.b.version,
            );
            let (a_idh, b_idh) = (filter::id_hash(&h.a.id), filter::id_hash(&h.b.id));
            if known.as_ref().is_none_or(|f| f.may_contain(key))
                && stored.exists(params![
                    a_idh,
                    key,
                    h.rule,
                    h.kind,
                    h.value,
                    a_coll,
                    h.a.id,
                    h.a.version,
                    b_coll,
                    h.b.id,
                    h.b.version
                ])?
            {
                continue;
            }
            insert.execute(params![
                h.found,
                h.rule,
                h.kind,
                h.value,
                a_coll,
                h.a.id,
                a_idh,
                h.a.version,
                b_coll,
                h.b.id,
                b_idh,
                h.b.version,
                key,
            ])?;
            let seq = tx.last_insert_rowid();
            if let Some(f) = known.as_mut() {
                f.insert(key);
            }
            new_id.execute(params![a_idh, seq])?;
            if b_idh != a_idh {
                new_id.execute(params![b_idh, seq])?;
            }
            added += 1;
        }
    }
    tx.commit()?;
    Ok(added)
}

#[async_trait]
impl CorrelationStore for SqliteStore {
    async fn add_hits(&self, hits: Vec<CorrelationHit>) -> Result<u64> {
        let hits: Vec<CorrelationHit> = hits
            .into_iter()
            .map(|h| h.check().map(|()| h.canonical()))
            .collect::<Result<_>>()?;
        if hits.is_empty() {
            return Ok(0);
        }
        let inner = self.inner.clone();
        let keys_of = self.inner.clone();
        let prepare = move || collection_keys(&keys_of, &hits).map(|keys| (hits, keys));
        self.write_with(
            |i| &i.hits,
            prepare,
            move |conn, prepared| {
                let (hits, keys) = prepared?;
                let added = {
                    let mut known = inner.known_hits.lock().unwrap_or_else(|p| p.into_inner());
                    add_hits_blocking(conn, &mut known, &hits, &keys)?
                };
                // After the commit: a failure leaves the rows in the new parts, where readers
                // find them as well.
                if let Err(e) = inner.new_hits.after_add(conn, added) {
                    tracing::warn!(error = %e, "moving new hits into the hit indexes failed");
                }
                Ok(added)
            },
        )
        .await
    }

    async fn hits_for_object(&self, id: &str, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        let (id, idh) = (id.to_owned(), filter::id_hash(id));
        self.read(move |conn| {
            let sql = for_object_sql();
            query(conn, &sql, &[&id, &after, &limit(n), &idh])
        })
        .await
    }

    async fn hits_for_collection(
        &self,
        collection: &CollectionId,
        after: i64,
        n: usize,
    ) -> Result<Vec<CorrelationHit>> {
        let c = collection.0.clone();
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM (\
                   SELECT * FROM correlation_hits WHERE a_coll = \
                     (SELECT pk FROM collections WHERE id = ?1) AND seq > ?2 \
                   UNION \
                   SELECT * FROM correlation_hits WHERE b_coll = \
                     (SELECT pk FROM collections WHERE id = ?1) AND seq > ?2 \
                   ORDER BY seq LIMIT ?3) h {SIDES} \
                 ORDER BY h.seq"
            );
            query(conn, &sql, &[&c, &after, &limit(n)])
        })
        .await
    }

    async fn hits_since(&self, since: i64, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM (\
                   SELECT * FROM correlation_hits WHERE found >= ?1 AND seq > ?2 \
                   ORDER BY seq LIMIT ?3) h {SIDES} \
                 ORDER BY h.seq"
            );
            query(conn, &sql, &[&since, &after, &limit(n)])
        })
        .await
    }

    async fn clear_hits(&self) -> Result<u64> {
        let inner = self.inner.clone();
        self.write_with(
            |i| &i.hits,
            || (),
            move |conn, ()| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                for part in ["hit_ids", "hit_ids_new"] {
                    tx.execute(&format!("DELETE FROM {part}"), [])?;
                }
                let cleared = tx.execute("DELETE FROM correlation_hits", [])? as u64;
                tx.commit()?;
                inner.new_hits.reset();
                inner
                    .known_hits
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .reset();
                Ok(cleared)
            },
        )
        .await
    }

    async fn correlation_settings(&self) -> Result<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .query_row(
                    "SELECT body FROM correlation_settings WHERE singleton = 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }

    async fn set_correlation_settings(&self, settings: String) -> Result<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO correlation_settings (singleton, body) VALUES (1, ?1) \
                 ON CONFLICT (singleton) DO UPDATE SET body = excluded.body",
                [&settings],
            )?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query plan of `sql` on a fresh store, its `args` parameters bound to NULL.
    async fn plan(sql: String, args: usize) -> String {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("entente.db"))
            .await
            .unwrap();
        super::super::query_plan(&store, sql, vec![rusqlite::types::Null; args]).await
    }

    /// Both the writer's search for an equal hit and the listing of an object's hits read both
    /// parts of the id index by primary key, then the hits by `seq`: no table is scanned, and
    /// no other index of the hits is used.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hits_are_found_through_both_parts_of_their_indexes() {
        let stored = plan(STORED.to_owned(), 11).await;
        for step in [
            "SEARCH hit_ids USING PRIMARY KEY (idh=?)",
            "SEARCH hit_ids_new USING PRIMARY KEY (idh=?)",
            "SEARCH h USING INTEGER PRIMARY KEY (rowid=?)",
        ] {
            assert!(stored.contains(step), "no {step:?} in:\n{stored}");
        }
        for avoided in ["SCAN correlation_hits", "SCAN hit_ids", "INDEX", "TEMP"] {
            assert!(!stored.contains(avoided), "{avoided:?} in:\n{stored}");
        }
        let listing = plan(for_object_sql(), 4).await;
        for step in [
            "SEARCH hit_ids USING PRIMARY KEY (idh=? AND seq>?)",
            "SEARCH hit_ids_new USING PRIMARY KEY (idh=? AND seq>?)",
            "SEARCH h USING INTEGER PRIMARY KEY (rowid=?)",
        ] {
            assert!(listing.contains(step), "no {step:?} in:\n{listing}");
        }
        // The only scans are of the co-routines' few rows, never of a table.
        for avoided in ["SCAN correlation_hits", "SCAN hit_ids", "INDEX"] {
            assert!(!listing.contains(avoided), "{avoided:?} in:\n{listing}");
        }
    }
}
