//! The PostgreSQL side of [`crate::SharingStore`].

use async_trait::async_trait;

use super::{HEADER_COLUMNS, PostgresStore, SHARING_COLUMNS, read_object, read_sharing};
use crate::sharing::search_pattern;
use crate::{
    AddOutcome, ChannelRecord, CollectionId, CollectionScope, DateAdded, Error, ObjectSharing,
    Organisation, ReleaseRecord, ReleaseRequestRecord, Result, SearchHit, SharingStore,
    StoredObject, TextSearch,
};

use crate::sharing::{from_json_text as from_json, to_json_text as json};

fn organisation(r: &tokio_postgres::Row) -> Organisation {
    Organisation {
        id: r.get(0),
        name: r.get(1),
        home: r.get(2),
    }
}

fn request(r: &tokio_postgres::Row) -> ReleaseRequestRecord {
    ReleaseRequestRecord {
        id: r.get(0),
        object_id: r.get(1),
        originator: r.get(2),
        requester: r.get(3),
        state: r.get(4),
        body: r.get(5),
    }
}

impl PostgresStore {
    async fn channel_rows(&self, id: Option<&str>) -> Result<Vec<ChannelRecord>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT id, title, legal_basis, purposes, max_marking, require_tlp, valid_from, \
                 valid_until, ARRAY(SELECT organisation FROM channel_members m \
                 WHERE m.channel = c.id ORDER BY organisation) \
                 FROM channels c WHERE $1::text IS NULL OR id = $1 ORDER BY id",
                &[&id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let purposes: &str = r.get(3);
                Ok(ChannelRecord {
                    id: r.get(0),
                    title: r.get(1),
                    members: r.get(8),
                    legal_basis: r.get(2),
                    purposes: from_json(purposes)?,
                    max_marking: r.get(4),
                    require_tlp: r.get(5),
                    valid_from: r.get(6),
                    valid_until: r.get(7),
                })
            })
            .collect()
    }

    async fn exists(&self, sql: &str, key: &str) -> Result<bool> {
        let conn = self.pool.get().await?;
        Ok(conn.client.query_one(sql, &[&key]).await?.get(0))
    }
}

#[async_trait]
impl SharingStore for PostgresStore {
    async fn add_organisation(&self, o: Organisation) -> Result<()> {
        let conn = self.pool.get().await?;
        let n = conn
            .client
            .execute(
                "INSERT INTO organisations (id, name, home) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
                &[&o.id, &o.name, &o.home],
            )
            .await?;
        if n == 0 {
            return Err(Error::Conflict(if o.home {
                format!("organisation {} or a home organisation exists", o.id)
            } else {
                format!("organisation {} exists", o.id)
            }));
        }
        Ok(())
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query("SELECT id, name, home FROM organisations ORDER BY id", &[])
            .await?;
        Ok(rows.iter().map(organisation).collect())
    }

    async fn home_organisation(&self) -> Result<Option<Organisation>> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt("SELECT id, name, home FROM organisations WHERE home", &[])
            .await?;
        Ok(row.as_ref().map(organisation))
    }

    async fn put_channel(&self, c: ChannelRecord) -> Result<()> {
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        for m in &c.members {
            let known: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)",
                    &[m],
                )
                .await?
                .get(0);
            if !known {
                return Err(Error::NotFound(format!("organisation {m}")));
            }
        }
        tx.execute(
            "INSERT INTO channels (id, title, legal_basis, purposes, max_marking, require_tlp, \
             valid_from, valid_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
             legal_basis = excluded.legal_basis, purposes = excluded.purposes, \
             max_marking = excluded.max_marking, require_tlp = excluded.require_tlp, \
             valid_from = excluded.valid_from, valid_until = excluded.valid_until",
            &[
                &c.id,
                &c.title,
                &c.legal_basis,
                &json(&c.purposes)?,
                &c.max_marking,
                &c.require_tlp,
                &c.valid_from,
                &c.valid_until,
            ],
        )
        .await?;
        tx.execute("DELETE FROM channel_members WHERE channel = $1", &[&c.id])
            .await?;
        tx.execute(
            "INSERT INTO channel_members (channel, organisation) \
             SELECT $1, m FROM unnest($2::text[]) AS u(m) ON CONFLICT DO NOTHING",
            &[&c.id, &c.members],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn channels(&self) -> Result<Vec<ChannelRecord>> {
        self.channel_rows(None).await
    }

    async fn channel(&self, id: &str) -> Result<ChannelRecord> {
        self.channel_rows(Some(id))
            .await?
            .pop()
            .ok_or_else(|| Error::NotFound(format!("channel {id}")))
    }

    async fn set_collection_scope(
        &self,
        collection: &CollectionId,
        scope: CollectionScope,
    ) -> Result<()> {
        if !self
            .exists(
                "SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1)",
                &collection.0,
            )
            .await?
        {
            return Err(Error::NotFound(format!("collection {collection}")));
        }
        let (channel, owner) = match &scope {
            CollectionScope::Channel(c) => {
                if !self
                    .exists("SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1)", c)
                    .await?
                {
                    return Err(Error::NotFound(format!("channel {c}")));
                }
                (Some(c.clone()), None)
            }
            CollectionScope::Private(o) => {
                if !self
                    .exists(
                        "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)",
                        o,
                    )
                    .await?
                {
                    return Err(Error::NotFound(format!("organisation {o}")));
                }
                (None, Some(o.clone()))
            }
        };
        let conn = self.pool.get().await?;
        conn.client
            .execute(
                "INSERT INTO collection_scopes (collection_id, channel, owner) VALUES ($1, $2, $3) \
                 ON CONFLICT (collection_id) DO UPDATE SET channel = excluded.channel, \
                 owner = excluded.owner",
                &[&collection.0, &channel, &owner],
            )
            .await?;
        Ok(())
    }

    async fn collection_scope(&self, collection: &CollectionId) -> Result<Option<CollectionScope>> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT channel, owner FROM collection_scopes WHERE collection_id = $1",
                &[&collection.0],
            )
            .await?;
        Ok(row.and_then(|r| {
            let channel: Option<String> = r.get(0);
            let owner: Option<String> = r.get(1);
            match (channel, owner) {
                (Some(c), _) => Some(CollectionScope::Channel(c)),
                (None, Some(o)) => Some(CollectionScope::Private(o)),
                _ => None,
            }
        }))
    }

    async fn collection_scopes(&self) -> Result<Vec<(CollectionId, CollectionScope)>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT collection_id, channel, owner FROM collection_scopes ORDER BY collection_id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let (c, ch, o): (String, Option<String>, Option<String>) =
                    (r.get(0), r.get(1), r.get(2));
                let scope = match (ch, o) {
                    (Some(ch), _) => CollectionScope::Channel(ch),
                    (None, Some(o)) => CollectionScope::Private(o),
                    _ => return None,
                };
                Some((CollectionId(c), scope))
            })
            .collect())
    }

    async fn add_objects_with(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
    ) -> Result<Vec<AddOutcome>> {
        Ok(self
            .add_objects_sharing(collection, objects, Some(sharing), None)
            .await?
            .0)
    }

    async fn add_objects_handing_back(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
    ) -> Result<(Vec<AddOutcome>, Vec<entente_stix::Object>)> {
        self.add_objects_sharing(collection, objects, Some(sharing), None)
            .await
    }

    async fn held_elsewhere(
        &self,
        object_ids: &[String],
    ) -> Result<Vec<(CollectionId, String, ObjectSharing)>> {
        let conn = self.pool.get().await?;
        let ids = object_ids.to_vec();
        let rows = conn
            .client
            .query(
                "SELECT c.id, o.id, o.originator, o.received_through, o.tlp, o.handling, \
                 o.recipients, o.signature FROM collections c CROSS JOIN LATERAL \
                 (SELECT * FROM objects o WHERE o.coll = c.pk AND o.id = ANY($1) AND o.is_last) o",
                &[&ids],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let recipients: Option<&str> = r.get(6);
                Ok((
                    CollectionId(r.get(0)),
                    r.get(1),
                    ObjectSharing {
                        originator: r.get(2),
                        received_through: r.get(3),
                        tlp: r.get(4),
                        handling: r.get(5),
                        recipients: match recipients {
                            Some(t) => from_json(t)?,
                            None => Vec::new(),
                        },
                        signature: r.get(7),
                        signature_batch: None,
                    },
                ))
            })
            .collect()
    }

    // One query per collection, in collection id order, on the partial `is_last` index in
    // `date_added` order: the scan stops as soon as the page is full.
    async fn search_objects(&self, search: &TextSearch) -> Result<Vec<SearchHit>> {
        let mut collections = search.collections.clone();
        collections.sort();
        collections.dedup();
        let pattern = search_pattern(&search.text);
        let mut conn = self.pool.get().await?;
        let st = conn
            .prepare_cached(&format!(
                "SELECT o.date_added, o.body, {SHARING_COLUMNS}, {HEADER_COLUMNS} \
                 FROM objects o JOIN collections c ON c.pk = o.coll \
                 WHERE c.id = $1 AND o.is_last AND o.date_added > $2 \
                 AND o.body ILIKE $3 ESCAPE '\\' \
                 AND (cardinality($4::text[]) = 0 OR o.type = ANY($4)) \
                 ORDER BY o.date_added LIMIT $5"
            ))
            .await?;
        let mut out = Vec::new();
        for c in collections {
            if out.len() >= search.limit {
                break;
            }
            let after = match &search.after {
                Some((ac, _)) if c < *ac => continue,
                Some((ac, d)) if c == *ac => d.0,
                _ => i64::MIN,
            };
            let room = (search.limit - out.len()) as i64;
            let rows = conn
                .client
                .query(&st, &[&c.0, &after, &pattern, &search.types, &room])
                .await?;
            for r in &rows {
                out.push(SearchHit {
                    collection: c.clone(),
                    stored: StoredObject {
                        date_added: DateAdded(r.get(0)),
                        object: read_object(r, 1, 8)?,
                        sharing: read_sharing(r, 2)?,
                    },
                });
            }
        }
        Ok(out)
    }

    async fn set_default_purpose(&self, user: &str, purpose: Option<String>) -> Result<()> {
        if !self
            .exists("SELECT EXISTS (SELECT 1 FROM users WHERE name = $1)", user)
            .await?
        {
            return Err(Error::NotFound(format!("user {user}")));
        }
        let conn = self.pool.get().await?;
        conn.client
            .execute(
                "INSERT INTO user_defaults (user_name, purpose) VALUES ($1, $2) \
                 ON CONFLICT (user_name) DO UPDATE SET purpose = excluded.purpose",
                &[&user, &purpose],
            )
            .await?;
        Ok(())
    }

    async fn default_purpose(&self, user: &str) -> Result<Option<String>> {
        let conn = self.pool.get().await?;
        let row = conn
            .client
            .query_opt(
                "SELECT purpose FROM user_defaults WHERE user_name = $1",
                &[&user],
            )
            .await?;
        Ok(row.and_then(|r| r.get(0)))
    }

    async fn put_release_request(&self, r: ReleaseRequestRecord) -> Result<()> {
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        tx.execute("LOCK TABLE release_requests IN EXCLUSIVE MODE", &[])
            .await?;
        tx.execute(
            "INSERT INTO release_requests (id, object_id, originator, requester, state, body, seq) \
             VALUES ($1, $2, $3, $4, $5, $6, \
             (SELECT coalesce(max(seq), 0) + 1 FROM release_requests)) \
             ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
            &[
                &r.id,
                &r.object_id,
                &r.originator,
                &r.requester,
                &r.state,
                &r.body,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn release_request(&self, id: &str) -> Result<ReleaseRequestRecord> {
        let conn = self.pool.get().await?;
        conn.client
            .query_opt(
                "SELECT id, object_id, originator, requester, state, body FROM release_requests \
                 WHERE id = $1",
                &[&id],
            )
            .await?
            .map(|r| request(&r))
            .ok_or_else(|| Error::NotFound(format!("release request {id}")))
    }

    async fn release_requests(&self, organisation: &str) -> Result<Vec<ReleaseRequestRecord>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                "SELECT id, object_id, originator, requester, state, body FROM release_requests \
                 WHERE originator = $1 OR requester = $1 ORDER BY seq DESC",
                &[&organisation],
            )
            .await?;
        Ok(rows.iter().map(request).collect())
    }

    async fn add_release(&self, r: ReleaseRecord) -> Result<()> {
        let conn = self.pool.get().await?;
        conn.client
            .execute(
                "INSERT INTO releases (object_id, destination, body) VALUES ($1, $2, $3) \
                 ON CONFLICT (object_id, destination) DO UPDATE SET body = excluded.body",
                &[&r.object_id, &r.destination, &json(&r)?],
            )
            .await?;
        Ok(())
    }

    async fn releases_for(&self, object_ids: &[String]) -> Result<Vec<ReleaseRecord>> {
        let conn = self.pool.get().await?;
        let ids = object_ids.to_vec();
        let rows = conn
            .client
            .query(
                "SELECT body FROM releases WHERE object_id = ANY($1) \
                 ORDER BY object_id, destination",
                &[&ids],
            )
            .await?;
        rows.iter().map(|r| from_json(r.get(0))).collect()
    }

    async fn has_releases(&self) -> Result<bool> {
        let conn = self.pool.get().await?;
        Ok(conn
            .client
            .query_one("SELECT EXISTS (SELECT 1 FROM releases)", &[])
            .await?
            .get(0))
    }
}
