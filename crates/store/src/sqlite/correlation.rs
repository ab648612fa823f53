//! The sqlite side of [`crate::CorrelationStore`].

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::SqliteStore;
use crate::{CollectionId, CorrelationHit, CorrelationStore, Error, HitSide, Result};

const COLUMNS: &str =
    "seq, found, rule, kind, value, a_coll, a_id, a_version, b_coll, b_id, b_version";

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
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut added = 0;
            {
                let mut known = tx.prepare_cached("SELECT 1 FROM collections WHERE id = ?1")?;
                let mut insert = tx.prepare_cached(
                    "INSERT INTO correlation_hits (found, rule, kind, value, a_coll, a_id, \
                     a_version, b_coll, b_id, b_version) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING",
                )?;
                let mut checked = std::collections::HashSet::new();
                for h in &hits {
                    for c in [&h.a.collection, &h.b.collection] {
                        if checked.contains(&c.0) {
                            continue;
                        }
                        if known.query_row([&c.0], |_| Ok(())).optional()?.is_none() {
                            // Dropping the transaction rolls it back: nothing is stored.
                            return Err(Error::NotFound(format!("collection {c}")));
                        }
                        checked.insert(c.0.clone());
                    }
                    added += insert.execute(params![
                        h.found,
                        h.rule,
                        h.kind,
                        h.value,
                        h.a.collection.0,
                        h.a.id,
                        h.a.version,
                        h.b.collection.0,
                        h.b.id,
                        h.b.version,
                    ])? as u64;
                }
            }
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    async fn hits_for_object(&self, id: &str, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        let id = id.to_owned();
        self.read(move |conn| {
            // Two index range scans merged, rather than an OR the planner may scan the table for.
            let sql = format!(
                "SELECT {COLUMNS} FROM (\
                   SELECT * FROM correlation_hits WHERE a_id = ?1 AND seq > ?2 \
                   UNION \
                   SELECT * FROM correlation_hits WHERE b_id = ?1 AND seq > ?2) \
                 ORDER BY seq LIMIT ?3"
            );
            query(conn, &sql, &[&id, &after, &limit(n)])
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
                   SELECT * FROM correlation_hits WHERE a_coll = ?1 AND seq > ?2 \
                   UNION \
                   SELECT * FROM correlation_hits WHERE b_coll = ?1 AND seq > ?2) \
                 ORDER BY seq LIMIT ?3"
            );
            query(conn, &sql, &[&c, &after, &limit(n)])
        })
        .await
    }

    async fn hits_since(&self, since: i64, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {COLUMNS} FROM correlation_hits WHERE found >= ?1 AND seq > ?2 \
                 ORDER BY seq LIMIT ?3"
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
