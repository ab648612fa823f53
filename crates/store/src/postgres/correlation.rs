//! The postgres side of [`crate::CorrelationStore`].

use async_trait::async_trait;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::PostgresStore;
use crate::{CollectionId, CorrelationHit, CorrelationStore, Error, HitSide, Result};

const COLUMNS: &str =
    "seq, found, rule, kind, value, a_coll, a_id, a_version, b_coll, b_id, b_version";

fn hit(r: &Row) -> CorrelationHit {
    CorrelationHit {
        seq: r.get(0),
        found: r.get(1),
        rule: r.get(2),
        kind: r.get(3),
        value: r.get(4),
        a: HitSide {
            collection: CollectionId(r.get(5)),
            id: r.get(6),
            version: r.get(7),
        },
        b: HitSide {
            collection: CollectionId(r.get(8)),
            id: r.get(9),
            version: r.get(10),
        },
    }
}

fn limit(limit: usize) -> i64 {
    limit.min(100_000) as i64
}

impl PostgresStore {
    async fn hits_query(
        &self,
        sql: &str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<CorrelationHit>> {
        let mut conn = self.pool.get().await?;
        let st = conn.prepare_cached(sql).await?;
        let rows = conn.client.query(&st, args).await?;
        Ok(rows.iter().map(hit).collect())
    }
}

#[async_trait]
impl CorrelationStore for PostgresStore {
    async fn add_hits(&self, hits: Vec<CorrelationHit>) -> Result<u64> {
        let hits: Vec<CorrelationHit> = hits
            .into_iter()
            .map(|h| h.check().map(|()| h.canonical()))
            .collect::<Result<_>>()?;
        if hits.is_empty() {
            return Ok(0);
        }
        let mut conn = self.pool.get().await?;
        let known = conn
            .prepare_cached("SELECT 1 FROM collections WHERE id = $1")
            .await?;
        let insert = conn
            .prepare_cached(
                "INSERT INTO correlation_hits (found, rule, kind, value, a_coll, a_id, \
                 a_version, b_coll, b_id, b_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
            )
            .await?;
        let tx = conn.client.transaction().await?;
        let mut added = 0;
        let mut checked = std::collections::HashSet::new();
        for h in &hits {
            for c in [&h.a.collection, &h.b.collection] {
                if checked.contains(&c.0) {
                    continue;
                }
                if tx.query_opt(&known, &[&c.0]).await?.is_none() {
                    // Dropping the transaction rolls it back: nothing is stored.
                    return Err(Error::NotFound(format!("collection {c}")));
                }
                checked.insert(c.0.clone());
            }
            added += tx
                .execute(
                    &insert,
                    &[
                        &h.found,
                        &h.rule,
                        &h.kind,
                        &h.value,
                        &h.a.collection.0,
                        &h.a.id,
                        &h.a.version,
                        &h.b.collection.0,
                        &h.b.id,
                        &h.b.version,
                    ],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    async fn hits_for_object(&self, id: &str, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM correlation_hits \
             WHERE (a_id = $1 OR b_id = $1) AND seq > $2 ORDER BY seq LIMIT $3"
        );
        self.hits_query(&sql, &[&id, &after, &limit(n)]).await
    }

    async fn hits_for_collection(
        &self,
        collection: &CollectionId,
        after: i64,
        n: usize,
    ) -> Result<Vec<CorrelationHit>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM correlation_hits \
             WHERE (a_coll = $1 OR b_coll = $1) AND seq > $2 ORDER BY seq LIMIT $3"
        );
        self.hits_query(&sql, &[&collection.0, &after, &limit(n)])
            .await
    }

    async fn hits_since(&self, since: i64, after: i64, n: usize) -> Result<Vec<CorrelationHit>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM correlation_hits \
             WHERE found >= $1 AND seq > $2 ORDER BY seq LIMIT $3"
        );
        self.hits_query(&sql, &[&since, &after, &limit(n)]).await
    }

    async fn clear_hits(&self) -> Result<u64> {
        let conn = self.pool.get().await?;
        Ok(conn
            .client
            .execute("DELETE FROM correlation_hits", &[])
            .await?)
    }

    async fn correlation_settings(&self) -> Result<Option<String>> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT body FROM correlation_settings WHERE singleton = 1",
                &[],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn set_correlation_settings(&self, settings: String) -> Result<()> {
        let conn = self.pool.get().await?;
        conn.client
            .execute(
                "INSERT INTO correlation_settings (singleton, body) VALUES (1, $1) \
                 ON CONFLICT (singleton) DO UPDATE SET body = excluded.body",
                &[&settings],
            )
            .await?;
        Ok(())
    }
}
