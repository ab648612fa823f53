//! The PostgreSQL side of [`crate::FederationStore`].

use async_trait::async_trait;

use super::PostgresStore;
use crate::{
    AddOutcome, CollectionId, Deletion, Error, FederationStore, ObjectSharing, OrganisationKey,
    Peer, PeerState, PeerStateUpdate, PulledPageUpdate, Result,
};

const COLUMNS: &str = "name, url, organisation, channel, remote_collection, local_collection, \
                       token_file, interval_secs, cursor, last_success, last_error, stored, \
                       options, progress";

fn json<T: serde::de::DeserializeOwned>(r: &tokio_postgres::Row, at: usize) -> Result<T> {
    serde_json::from_str(r.get::<_, &str>(at)).map_err(Error::backend)
}

/// Stores the state `s` of peer `name` (`NotFound` if absent).
async fn write_state(
    client: &impl tokio_postgres::GenericClient,
    name: &str,
    s: &PeerState,
) -> Result<()> {
    let n = client
        .execute(
            "UPDATE peers SET cursor = $2, last_success = $3, last_error = $4, stored = $5, \
             progress = $6 WHERE name = $1",
            &[
                &name,
                &s.cursor,
                &s.last_success,
                &s.last_error,
                &(s.stored as i64),
                &serde_json::to_string(&s.progress).map_err(Error::backend)?,
            ],
        )
        .await?;
    if n == 0 {
        return Err(Error::NotFound(format!("peer {name}")));
    }
    Ok(())
}

/// Changes the state of peer `name` by `update` inside the caller's transaction, the peer's
/// row locked until it ends (`NotFound` if absent).
pub(super) async fn update_state(
    client: &impl tokio_postgres::GenericClient,
    name: &str,
    update: impl FnOnce(&mut PeerState),
) -> Result<()> {
    let (_, mut state) = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM peers WHERE name = $1 FOR UPDATE"),
            &[&name],
        )
        .await?
        .map(|r| row(&r))
        .ok_or_else(|| Error::NotFound(format!("peer {name}")))??;
    update(&mut state);
    write_state(client, name, &state).await
}

fn row(r: &tokio_postgres::Row) -> Result<(Peer, PeerState)> {
    Ok((
        Peer {
            name: r.get(0),
            url: r.get(1),
            organisation: r.get(2),
            channel: r.get(3),
            remote_collection: r.get(4),
            local_collection: r.get(5),
            token_file: r.get(6),
            interval_secs: r.get::<_, i64>(7) as u64,
            options: json(r, 12)?,
        },
        PeerState {
            cursor: r.get(8),
            last_success: r.get(9),
            last_error: r.get(10),
            stored: r.get::<_, i64>(11) as u64,
            progress: json(r, 13)?,
        },
    ))
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
                 local_collection, token_file, interval_secs, options) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING",
                &[
                    &p.name,
                    &p.url,
                    &p.organisation,
                    &p.channel,
                    &p.remote_collection,
                    &p.local_collection,
                    &p.token_file,
                    &(p.interval_secs as i64),
                    &serde_json::to_string(&p.options).map_err(Error::backend)?,
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
        rows.iter().map(row).collect()
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
            .ok_or_else(|| Error::NotFound(format!("peer {name}")))?
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
        write_state(&conn.client, name, &s).await
    }

    async fn update_peer_state(&self, name: &str, update: PeerStateUpdate) -> Result<()> {
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        update_state(&tx, name, update).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_pulled_page(
        &self,
        name: &str,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
        update: PulledPageUpdate,
    ) -> Result<(Vec<AddOutcome>, Vec<entente_stix::Object>)> {
        self.add_objects_sharing(collection, objects, Some(sharing), Some((name, update)))
            .await
    }

    async fn claim_peer(
        &self,
        name: &str,
        side: &str,
        holder: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool> {
        let conn = self.pool.get().await?;
        // A claim on an unknown peer fails the reference to it.
        let n = conn
            .client
            .execute(
                "INSERT INTO peer_claims (peer, side, holder, expires) VALUES ($1, $2, $3, $5) \
                 ON CONFLICT (peer, side) DO UPDATE SET holder = excluded.holder, \
                 expires = excluded.expires \
                 WHERE peer_claims.holder = excluded.holder OR peer_claims.expires < $4",
                &[&name, &side, &holder, &now, &expires],
            )
            .await
            .map_err(|e| match e.code() {
                Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => {
                    Error::NotFound(format!("peer {name}"))
                }
                _ => e.into(),
            })?;
        Ok(n == 1)
    }

    async fn release_peer(&self, name: &str, side: &str, holder: &str) -> Result<()> {
        let conn = self.pool.get().await?;
        conn.client
            .execute(
                "DELETE FROM peer_claims WHERE peer = $1 AND side = $2 AND holder = $3",
                &[&name, &side, &holder],
            )
            .await?;
        Ok(())
    }

    async fn add_organisation_key(&self, organisation: &str, public_key: &str) -> Result<()> {
        let conn = self.pool.get().await?;
        let known: bool = conn
            .client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)",
                &[&organisation],
            )
            .await?
            .get(0);
        if !known {
            return Err(Error::NotFound(format!("organisation {organisation}")));
        }
        let n = conn
            .client
            .execute(
                "INSERT INTO organisation_keys (public_key, organisation, added) \
                 VALUES ($1, $2, $3) ON CONFLICT (public_key) DO NOTHING",
                &[&public_key, &organisation, &crate::filter::now_micros()],
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict(format!("key {public_key} is registered")));
        }
        Ok(())
    }

    async fn organisation_keys(&self) -> Result<Vec<OrganisationKey>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT public_key, organisation, added FROM organisation_keys \
                 ORDER BY organisation, added",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| OrganisationKey {
                public_key: r.get(0),
                organisation: r.get(1),
                added: r.get(2),
            })
            .collect())
    }

    async fn remove_organisation_key(&self, public_key: &str) -> Result<()> {
        let conn = self.pool.get().await?;
        if conn
            .client
            .execute(
                "DELETE FROM organisation_keys WHERE public_key = $1",
                &[&public_key],
            )
            .await?
            == 0
        {
            return Err(Error::NotFound(format!("key {public_key}")));
        }
        Ok(())
    }

    async fn deletions(&self, collection: &str, after: i64, limit: u32) -> Result<Vec<Deletion>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT seq, collection, object_id, version, deleted_at, originator, \
                 received_through, tlp, handling, recipients FROM deletions \
                 WHERE collection = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                &[&collection, &after, &(limit as i64)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let recipients: Option<&str> = r.get(9);
                Ok(Deletion {
                    seq: r.get(0),
                    collection: r.get(1),
                    object_id: r.get(2),
                    version: r.get(3),
                    deleted_at: r.get(4),
                    sharing: ObjectSharing {
                        originator: r.get(5),
                        received_through: r.get(6),
                        tlp: r.get(7),
                        handling: r.get(8),
                        recipients: match recipients {
                            Some(t) => serde_json::from_str(t).map_err(Error::backend)?,
                            None => Vec::new(),
                        },
                        signature: None,
                        signature_batch: None,
                    },
                })
            })
            .collect()
    }

    async fn signature_batches(&self, keys: &[String]) -> Result<Vec<crate::SignatureBatch>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT key, record FROM signature_batches WHERE key = ANY($1)",
                &[&keys],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| crate::SignatureBatch {
                key: r.get(0),
                record: r.get(1),
            })
            .collect())
    }
}
