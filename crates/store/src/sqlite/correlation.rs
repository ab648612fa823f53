//! The sqlite side of [`crate::CorrelationStore`].

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteStore;
use crate::filter;
use crate::{CollectionId, CorrelationHit, CorrelationStore, Error, HitSide, Result};

/// The columns of a hit, sides' collections by id (`h` is the hits table, `ca`/`cb` the
/// collections of its sides).
const COLUMNS: &str = "h.seq, h.found, h.rule, h.kind, h.value, ca.id, h.a_id, h.a_version, \
     cb.id, h.b_id, h.b_version";

/// Joins the collections of both sides to a set of hits `h`.
const SIDES: &str =
    "JOIN collections ca ON ca.pk = h.a_coll JOIN collections cb ON cb.pk = h.b_coll";

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

/// Stores `hits` (checked and canonical) in one transaction; returns how many were new.
fn add_hits_blocking(conn: &mut Connection, hits: &[CorrelationHit]) -> Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut added = 0;
    {
        let mut known = tx.prepare_cached("SELECT pk FROM collections WHERE id = ?1")?;
        // An equal hit is found by its key hash, then confirmed column by column. The index is
        // named: before the planner has statistics, it may otherwise walk every hit of the
        // collection (`a_coll`) for each probe.
        let mut stored = tx.prepare_cached(
            "SELECT 1 FROM correlation_hits INDEXED BY correlation_hits_key WHERE hkey = ?1 AND rule = ?2 AND kind = ?3 \
             AND value = ?4 AND a_coll = ?5 AND a_id = ?6 AND a_version = ?7 AND b_coll = ?8 \
             AND b_id = ?9 AND b_version = ?10",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO correlation_hits (found, rule, kind, value, a_coll, a_id, a_idh, \
             a_version, b_coll, b_id, b_idh, b_version, hkey) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let mut pks = std::collections::HashMap::<String, i64>::new();
        for h in hits {
            let mut pk = |c: &CollectionId| -> Result<i64> {
                if let Some(pk) = pks.get(c.0.as_str()) {
                    return Ok(*pk);
                }
                // Returning the error drops the transaction, which rolls it back.
                let pk: i64 = known
                    .query_row([&c.0], |r| r.get(0))
                    .optional()?
                    .ok_or_else(|| Error::NotFound(format!("collection {c}")))?;
                pks.insert(c.0.clone(), pk);
                Ok(pk)
            };
            let (a_coll, b_coll) = (pk(&h.a.collection)?, pk(&h.b.collection)?);
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
            let exists = stored
                .query_row(
                    params![
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
                    ],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if exists {
                continue;
            }
            insert.execute(params![
                h.found,
                h.rule,
                h.kind,
                h.value,
                a_coll,
                h.a.id,
                filter::id_hash(&h.a.id),
                h.a.version,
                b_coll,
                h.b.id,
                filter::id_hash(&h.b.id),
                h.b.version,
                key,
            ])?;
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
        self.write(move |conn| add_hits_blocking(conn, &hits)).await
    }

    async fn hits_for_object(&self, id: &str, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        let (id, idh) = (id.to_owned(), filter::id_hash(id));
        self.read(move |conn| {
            // Two index range scans merged, rather than an OR the planner may scan the table for.
            let sql = format!(
                "SELECT {COLUMNS} FROM (\
                   SELECT * FROM correlation_hits WHERE a_idh = ?4 AND a_id = ?1 AND seq > ?2 \
                   UNION \
                   SELECT * FROM correlation_hits WHERE b_idh = ?4 AND b_id = ?1 AND seq > ?2 \
                   ORDER BY seq LIMIT ?3) h {SIDES} \
                 ORDER BY h.seq"
            );
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
        self.write(|conn| Ok(conn.execute("DELETE FROM correlation_hits", [])? as u64))
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
