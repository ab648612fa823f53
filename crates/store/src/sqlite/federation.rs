//! The SQLite side of [`crate::FederationStore`].

use async_trait::async_trait;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use crate::{
    AddOutcome, CollectionId, Deletion, Error, FederationStore, ObjectSharing, OrganisationKey,
    Peer, PeerState, PeerStateUpdate, PulledPageUpdate, Result,
};

/// Claims a side of a peer (`?1`, `?2`) for holder `?3` until `?5` unless another holder's
/// claim stands at `?4`: one row changed when claimed.
const CLAIM: &str = "INSERT INTO peer_claims (peer, side, holder, expires) VALUES (?1, ?2, ?3, ?5) \
     ON CONFLICT (peer, side) DO UPDATE SET holder = excluded.holder, expires = excluded.expires \
     WHERE peer_claims.holder = excluded.holder OR peer_claims.expires < ?4";

const COLUMNS: &str = "name, url, organisation, channel, remote_collection, local_collection, \
                       token_file, interval_secs, cursor, last_success, last_error, stored, \
                       options, progress";

fn json<T: serde::de::DeserializeOwned>(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<T> {
    let text: String = r.get(at)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(at, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Stores the state `s` of peer `name` (`NotFound` if absent).
fn write_state(conn: &rusqlite::Connection, name: &str, s: &PeerState) -> Result<()> {
    let n = conn.execute(
        "UPDATE peers SET cursor = ?2, last_success = ?3, last_error = ?4, stored = ?5, \
         progress = ?6 WHERE name = ?1",
        params![
            name,
            s.cursor,
            s.last_success,
            s.last_error,
            s.stored as i64,
            serde_json::to_string(&s.progress).map_err(Error::backend)?
        ],
    )?;
    if n == 0 {
        return Err(Error::NotFound(format!("peer {name}")));
    }
    Ok(())
}

/// Changes the state of peer `name` by `update` inside the caller's transaction (`NotFound`
/// if absent).
pub(super) fn update_state(
    conn: &rusqlite::Connection,
    name: &str,
    update: impl FnOnce(&mut PeerState),
) -> Result<()> {
    let (_, mut state) = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM peers WHERE name = ?1"))?
        .query_row([name], row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("peer {name}")))?;
    update(&mut state);
    write_state(conn, name, &state)
}

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
            options: json(r, 12)?,
        },
        PeerState {
            cursor: r.get(8)?,
            last_success: r.get(9)?,
            last_error: r.get(10)?,
            stored: r.get::<_, i64>(11)? as u64,
            progress: json(r, 13)?,
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
                 local_collection, token_file, interval_secs, options) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (name) DO NOTHING",
                params![
                    p.name,
                    p.url,
                    p.organisation,
                    p.channel,
                    p.remote_collection,
                    p.local_collection,
                    p.token_file,
                    p.interval_secs as i64,
                    serde_json::to_string(&p.options).map_err(Error::backend)?
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
        self.write(move |conn| write_state(conn, &name, &s)).await
    }

    async fn update_peer_state(&self, name: &str, update: PeerStateUpdate) -> Result<()> {
        let name = name.to_owned();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            update_state(&tx, &name, update)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn add_pulled_page(
        &self,
        name: &str,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
        update: PulledPageUpdate,
    ) -> Result<(Vec<AddOutcome>, Vec<entente_stix::Object>)> {
        let beside = super::Beside::PeerState(name.to_owned(), update);
        let written = self
            .add_objects_sharing(collection, objects, Some(sharing), beside)
            .await?;
        Ok((written.outcomes, written.objects))
    }

    async fn claim_peer(
        &self,
        name: &str,
        side: &str,
        holder: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool> {
        let (name, side, holder) = (name.to_owned(), side.to_owned(), holder.to_owned());
        self.write(move |conn| {
            let exists = conn
                .prepare_cached("SELECT 1 FROM peers WHERE name = ?1")?
                .exists([&name])?;
            if !exists {
                return Err(Error::NotFound(format!("peer {name}")));
            }
            let n = conn
                .prepare_cached(CLAIM)?
                .execute(params![name, side, holder, now, expires])?;
            Ok(n == 1)
        })
        .await
    }

    async fn release_peer(&self, name: &str, side: &str, holder: &str) -> Result<()> {
        let (name, side, holder) = (name.to_owned(), side.to_owned(), holder.to_owned());
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM peer_claims WHERE peer = ?1 AND side = ?2 AND holder = ?3",
                params![name, side, holder],
            )?;
            Ok(())
        })
        .await
    }

    async fn add_organisation_key(&self, organisation: &str, public_key: &str) -> Result<()> {
        let (org, key) = (organisation.to_owned(), public_key.to_owned());
        self.write(move |conn| {
            let known: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?1)",
                [&org],
                |r| r.get(0),
            )?;
            if !known {
                return Err(Error::NotFound(format!("organisation {org}")));
            }
            let n = conn.execute(
                "INSERT INTO organisation_keys (public_key, organisation, added) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (public_key) DO NOTHING",
                params![key, org, crate::filter::now_micros()],
            )?;
            if n == 0 {
                return Err(Error::Conflict(format!("key {key} is registered")));
            }
            Ok(())
        })
        .await
    }

    async fn organisation_keys(&self) -> Result<Vec<OrganisationKey>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT public_key, organisation, added FROM organisation_keys \
                 ORDER BY organisation, added",
            )?;
            let rows = st.query_map([], |r| {
                Ok(OrganisationKey {
                    public_key: r.get(0)?,
                    organisation: r.get(1)?,
                    added: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn remove_organisation_key(&self, public_key: &str) -> Result<()> {
        let key = public_key.to_owned();
        self.write(move |conn| {
            if conn.execute(
                "DELETE FROM organisation_keys WHERE public_key = ?1",
                [&key],
            )? == 0
            {
                return Err(Error::NotFound(format!("key {key}")));
            }
            Ok(())
        })
        .await
    }

    async fn deletions(&self, collection: &str, after: i64, limit: u32) -> Result<Vec<Deletion>> {
        let collection = collection.to_owned();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(
                "SELECT seq, collection, object_id, version, deleted_at, originator, \
                 received_through, tlp, handling, recipients FROM deletions \
                 WHERE collection = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let mut rows = st.query(params![collection, after, limit as i64])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let recipients: Option<String> = r.get(9)?;
                out.push(Deletion {
                    seq: r.get(0)?,
                    collection: r.get(1)?,
                    object_id: r.get(2)?,
                    version: r.get(3)?,
                    deleted_at: r.get(4)?,
                    sharing: ObjectSharing {
                        originator: r.get(5)?,
                        received_through: r.get(6)?,
                        tlp: r.get(7)?,
                        handling: r.get(8)?,
                        recipients: match recipients {
                            Some(t) => serde_json::from_str(&t).map_err(Error::backend)?,
                            None => Vec::new(),
                        },
                        signature: None,
                        signature_batch: None,
                    },
                });
            }
            Ok(out)
        })
        .await
    }

    async fn signature_batches(&self, keys: &[String]) -> Result<Vec<crate::SignatureBatch>> {
        let keys = keys.to_vec();
        self.read(move |conn| {
            let mut st =
                conn.prepare_cached("SELECT key, record FROM signature_batches WHERE key = ?1")?;
            let mut out = Vec::new();
            for key in &keys {
                if let Some(record) = st.query_row([key], |r| r.get::<_, String>(1)).optional()? {
                    out.push(crate::SignatureBatch {
                        key: key.clone(),
                        record,
                    });
                }
            }
            Ok(out)
        })
        .await
    }
}
