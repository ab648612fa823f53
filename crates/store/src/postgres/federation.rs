//! The PostgreSQL side of [`crate::FederationStore`].

use async_trait::async_trait;

use super::PostgresStore;
use crate::{Error, FederationStore, Peer, PeerState, Result};

const COLUMNS: &str = "name, url, organisation, channel, remote_collection, local_collection, \
                       token_file, interval_secs, cursor, last_success, last_error, stored";

fn row(r: &tokio_postgres::Row) -> (Peer, PeerState) {
    (
        Peer {
            name: r.get(0),
            url: r.get(1),
            organisation: r.get(2),
            channel: r.get(3),
            remote_collection: r.get(4),
            local_collection: r.get(5),
            token_file: r.get(6),
            interval_secs: r.get::<_, i64>(7) as u64,
        },
        PeerState {
            cursor: r.get(8),
            last_success: r.get(9),
            last_error: r.get(10),
            stored: r.get::<_, i64>(11) as u64,
        },
    )
}

#[async_trait]
impl FederationStore for PostgresStore {
    async fn add_peer(&self, p: Peer) -> Result<()> {
        let conn = self.pool.get().await?;
        let known: bool = conn
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1)",
                &[&p.local_collection],
            )
            .await?
            .get(0);
        if !known {
            return Err(Error::NotFound(format!(
                "collection {}",
                p.local_collection
            )));
        }
        let n = conn
            .client
            .execute(
                "INSERT INTO peers (name, url, organisation, channel, remote_collection, \
                 local_collection, token_file, interval_secs) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING",
                &[
                    &p.name,
                    &p.url,
                    &p.organisation,
                    &p.channel,
                    &p.remote_collection,
                    &p.local_collection,
                    &p.token_file,
                    &(p.interval_secs as i64),
                ],
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict(format!("peer {} exists", p.name)));
        }
        Ok(())
    }

    async fn peers(&self) -> Result<Vec<(Peer, PeerState)>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(&format!("SELECT {COLUMNS} FROM peers ORDER BY name"), &[])
            .await?;
        Ok(rows.iter().map(row).collect())
    }

    async fn peer(&self, name: &str) -> Result<(Peer, PeerState)> {
        let conn = self.pool.get().await?;
        conn.client
            .query_opt(
                &format!("SELECT {COLUMNS} FROM peers WHERE name = $1"),
                &[&name],
            )
            .await?
            .map(|r| row(&r))
            .ok_or_else(|| Error::NotFound(format!("peer {name}")))
    }

    async fn remove_peer(&self, name: &str) -> Result<()> {
        let conn = self.pool.get().await?;
        if conn
            .client
            .execute("DELETE FROM peers WHERE name = $1", &[&name])
            .await?
            == 0
        {
            return Err(Error::NotFound(format!("peer {name}")));
        }
        Ok(())
    }

    async fn set_peer_state(&self, name: &str, s: PeerState) -> Result<()> {
        let conn = self.pool.get().await?;
        let n = conn
            .client
            .execute(
                "UPDATE peers SET cursor = $2, last_success = $3, last_error = $4, stored = $5 \
                 WHERE name = $1",
                &[
                    &name,
                    &s.cursor,
                    &s.last_success,
                    &s.last_error,
                    &(s.stored as i64),
                ],
            )
            .await?;
        if n == 0 {
            return Err(Error::NotFound(format!("peer {name}")));
        }
        Ok(())
    }
}
