//! The SQLite side of [`crate::FederationStore`].

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::{Error, FederationStore, Peer, PeerState, Result};

const COLUMNS: &str = "name, url, organisation, channel, remote_collection, local_collection, \
                       token_file, interval_secs, cursor, last_success, last_error, stored";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Peer, PeerState)> {
    Ok((
        Peer {
            name: r.get(0)?,
            url: r.get(1)?,
            organisation: r.get(2)?,
            channel: r.get(3)?,
            remote_collection: r.get(4)?,
            local_collection: r.get(5)?,
            token_file: r.get(6)?,
            interval_secs: r.get::<_, i64>(7)? as u64,
        },
        PeerState {
            cursor: r.get(8)?,
            last_success: r.get(9)?,
            last_error: r.get(10)?,
            stored: r.get::<_, i64>(11)? as u64,
        },
    ))
}

#[async_trait]
impl FederationStore for SqliteStore {
    async fn add_peer(&self, p: Peer) -> Result<()> {
        self.write(move |conn| {
            let known: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM collections WHERE id = ?1)",
                [&p.local_collection],
                |r| r.get(0),
            )?;
            if !known {
                return Err(Error::NotFound(format!(
                    "collection {}",
                    p.local_collection
                )));
            }
            let n = conn.execute(
                "INSERT INTO peers (name, url, organisation, channel, remote_collection, \
                 local_collection, token_file, interval_secs) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO NOTHING",
                params![
                    p.name,
                    p.url,
                    p.organisation,
                    p.channel,
                    p.remote_collection,
                    p.local_collection,
                    p.token_file,
                    p.interval_secs as i64
                ],
            )?;
            if n == 0 {
                return Err(Error::Conflict(format!("peer {} exists", p.name)));
            }
            Ok(())
        })
        .await
    }

    async fn peers(&self) -> Result<Vec<(Peer, PeerState)>> {
        self.read(|conn| {
            let mut st =
                conn.prepare_cached(&format!("SELECT {COLUMNS} FROM peers ORDER BY name"))?;
            let rows = st.query_map([], row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn peer(&self, name: &str) -> Result<(Peer, PeerState)> {
        let name = name.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM peers WHERE name = ?1"))?
                .query_row([&name], row)
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("peer {name}")))
        })
        .await
    }

    async fn remove_peer(&self, name: &str) -> Result<()> {
        let name = name.to_owned();
        self.write(move |conn| {
            if conn.execute("DELETE FROM peers WHERE name = ?1", [&name])? == 0 {
                return Err(Error::NotFound(format!("peer {name}")));
            }
            Ok(())
        })
        .await
    }

    async fn set_peer_state(&self, name: &str, s: PeerState) -> Result<()> {
        let name = name.to_owned();
        self.write(move |conn| {
            let n = conn.execute(
                "UPDATE peers SET cursor = ?2, last_success = ?3, last_error = ?4, stored = ?5 \
                 WHERE name = ?1",
                params![
                    name,
                    s.cursor,
                    s.last_success,
                    s.last_error,
                    s.stored as i64
                ],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("peer {name}")));
            }
            Ok(())
        })
        .await
    }
}
