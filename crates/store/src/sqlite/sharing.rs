//! The SQLite side of [`crate::SharingStore`].

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{BY_ID, HEADER_COLUMNS, SHARING_COLUMNS, SqliteStore, read_object, read_sharing};
use crate::sharing::search_pattern;
use crate::{
    AddOutcome, ChannelRecord, CollectionId, CollectionScope, DateAdded, Error, ObjectSharing,
    Organisation, ReleaseRecord, ReleaseRequestRecord, Result, SearchHit, SharingStore,
    StoredObject, TextSearch,
};

use crate::sharing::{from_json_text as from_json, to_json_text as json};

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn channel_rows(conn: &rusqlite::Connection, id: Option<&str>) -> Result<Vec<ChannelRecord>> {
    let mut st = conn.prepare_cached(
        "SELECT id, title, legal_basis, purposes, max_marking, require_tlp, valid_from, \
         valid_until FROM channels WHERE ?1 IS NULL OR id = ?1 ORDER BY id",
    )?;
    let mut rows = st.query([id])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let purposes: String = r.get(3)?;
        out.push(ChannelRecord {
            id: r.get(0)?,
            title: r.get(1)?,
            members: Vec::new(),
            legal_basis: r.get(2)?,
            purposes: from_json(&purposes)?,
            max_marking: r.get(4)?,
            require_tlp: r.get(5)?,
            valid_from: r.get(6)?,
            valid_until: r.get(7)?,
        });
    }
    let mut members = conn.prepare_cached(
        "SELECT organisation FROM channel_members WHERE channel = ?1 ORDER BY organisation",
    )?;
    for c in &mut out {
        c.members = members
            .query_map([&c.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
    }
    Ok(out)
}

fn request_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ReleaseRequestRecord> {
    Ok(ReleaseRequestRecord {
        id: r.get(0)?,
        object_id: r.get(1)?,
        originator: r.get(2)?,
        requester: r.get(3)?,
        state: r.get(4)?,
        body: r.get(5)?,
    })
}

#[async_trait]
impl SharingStore for SqliteStore {
    async fn add_organisation(&self, o: Organisation) -> Result<()> {
        self.write(move |conn| {
            match conn.execute(
                "INSERT INTO organisations (id, name, home) VALUES (?1, ?2, ?3)",
                params![o.id, o.name, o.home],
            ) {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Err(Error::Conflict(if o.home {
                    format!("organisation {} or a home organisation exists", o.id)
                } else {
                    format!("organisation {} exists", o.id)
                })),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn organisations(&self) -> Result<Vec<Organisation>> {
        self.read(|conn| {
            let mut st =
                conn.prepare_cached("SELECT id, name, home FROM organisations ORDER BY id")?;
            let rows = st.query_map([], |r| {
                Ok(Organisation {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    home: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn home_organisation(&self) -> Result<Option<Organisation>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT id, name, home FROM organisations WHERE home = 1")?
                .query_row([], |r| {
                    Ok(Organisation {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        home: r.get(2)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn put_channel(&self, c: ChannelRecord) -> Result<()> {
        self.write(move |conn| {
            let tx = conn.transaction()?;
            for m in &c.members {
                let known: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?1)",
                    [m],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(Error::NotFound(format!("organisation {m}")));
                }
            }
            tx.execute(
                "INSERT INTO channels (id, title, legal_basis, purposes, max_marking, \
                 require_tlp, valid_from, valid_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, \
                 legal_basis = excluded.legal_basis, purposes = excluded.purposes, \
                 max_marking = excluded.max_marking, require_tlp = excluded.require_tlp, \
                 valid_from = excluded.valid_from, valid_until = excluded.valid_until",
                params![
                    c.id,
                    c.title,
                    c.legal_basis,
                    json(&c.purposes)?,
                    c.max_marking,
                    c.require_tlp,
                    c.valid_from,
                    c.valid_until
                ],
            )?;
            tx.execute("DELETE FROM channel_members WHERE channel = ?1", [&c.id])?;
            for m in &c.members {
                tx.execute(
                    "INSERT OR IGNORE INTO channel_members (channel, organisation) VALUES (?1, ?2)",
                    params![c.id, m],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn channels(&self) -> Result<Vec<ChannelRecord>> {
        self.read(|conn| channel_rows(conn, None)).await
    }

    async fn channel(&self, id: &str) -> Result<ChannelRecord> {
        let id = id.to_owned();
        self.read(move |conn| {
            channel_rows(conn, Some(&id))?
                .pop()
                .ok_or_else(|| Error::NotFound(format!("channel {id}")))
        })
        .await
    }

    async fn set_collection_scope(
        &self,
        collection: &CollectionId,
        scope: CollectionScope,
    ) -> Result<()> {
        let collection = collection.clone();
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let exists = |sql: &str, key: &str| -> Result<bool> {
                Ok(tx.query_row(sql, [key], |r| r.get(0))?)
            };
            if !exists(
                "SELECT EXISTS (SELECT 1 FROM collections WHERE id = ?1)",
                &collection.0,
            )? {
                return Err(Error::NotFound(format!("collection {collection}")));
            }
            let (channel, owner) = match &scope {
                CollectionScope::Channel(c) => {
                    if !exists("SELECT EXISTS (SELECT 1 FROM channels WHERE id = ?1)", c)? {
                        return Err(Error::NotFound(format!("channel {c}")));
                    }
                    (Some(c.clone()), None)
                }
                CollectionScope::Private(o) => {
                    if !exists(
                        "SELECT EXISTS (SELECT 1 FROM organisations WHERE id = ?1)",
                        o,
                    )? {
                        return Err(Error::NotFound(format!("organisation {o}")));
                    }
                    (None, Some(o.clone()))
                }
            };
            tx.execute(
                "INSERT INTO collection_scopes (collection_id, channel, owner) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (collection_id) DO UPDATE SET channel = excluded.channel, \
                 owner = excluded.owner",
                params![collection.0, channel, owner],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn collection_scope(&self, collection: &CollectionId) -> Result<Option<CollectionScope>> {
        let collection = collection.clone();
        self.read(move |conn| {
            let row: Option<(Option<String>, Option<String>)> = conn
                .prepare_cached(
                    "SELECT channel, owner FROM collection_scopes WHERE collection_id = ?1",
                )?
                .query_row([&collection.0], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            Ok(match row {
                Some((Some(c), _)) => Some(CollectionScope::Channel(c)),
                Some((None, Some(o))) => Some(CollectionScope::Private(o)),
                _ => None,
            })
        })
        .await
    }

    async fn collection_scopes(&self) -> Result<Vec<(CollectionId, CollectionScope)>> {
        self.read(|conn| {
            let mut st = conn.prepare_cached(
                "SELECT collection_id, channel, owner FROM collection_scopes ORDER BY collection_id",
            )?;
            let mut rows = st.query([])?;
            let mut out = Vec::new();
            while let Some(r) = rows.next()? {
                let (c, ch, o): (String, Option<String>, Option<String>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?);
                let scope = match (ch, o) {
                    (Some(ch), _) => CollectionScope::Channel(ch),
                    (None, Some(o)) => CollectionScope::Private(o),
                    _ => continue,
                };
                out.push((CollectionId(c), scope));
            }
            Ok(out)
        })
        .await
    }

    async fn add_objects_with(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
    ) -> Result<Vec<AddOutcome>> {
        let written = self
            .add_objects_sharing(collection, objects, Some(sharing), super::Beside::Nothing)
            .await?;
        super::drop_aside(written.objects);
        Ok(written.outcomes)
    }

    async fn add_objects_handing_back(
        &self,
        collection: &CollectionId,
        objects: Vec<entente_stix::Object>,
        sharing: Vec<ObjectSharing>,
    ) -> Result<(Vec<AddOutcome>, Vec<entente_stix::Object>)> {
        let written = self
            .add_objects_sharing(collection, objects, Some(sharing), super::Beside::Nothing)
            .await?;
        Ok((written.outcomes, written.objects))
    }

    // On the writer's connection, with the writer's filters of the ids each collection may
    // hold (`known`): an id that no filter may hold needs no lookup. The ids of a POST are
    // nearly all new, and looking each one up in every collection was a fifth of the CPU of
    // storing them. The filters are exact only as seen from the writer (it reloads them when
    // another connection has written), hence its lock: this waits for a write in progress,
    // which the objects checked here would wait for anyway.
    async fn held_elsewhere(
        &self,
        object_ids: &[String],
    ) -> Result<Vec<(CollectionId, String, ObjectSharing)>> {
        let (ids, inner) = (object_ids.to_vec(), self.inner.clone());
        self.locked(
            |inner| &inner.writer.conn,
            move |conn| {
                let mut known = inner.known.lock().unwrap_or_else(|p| p.into_inner());
                // One snapshot for the filters' check and the lookups.
                let tx = conn.transaction()?;
                let collections: Vec<(i64, String)> = tx
                    .prepare_cached("SELECT pk, id FROM collections ORDER BY pk")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let hashes: Vec<i64> = ids.iter().map(|i| crate::filter::id_hash(i)).collect();
                let mut st = tx.prepare_cached(&format!(
                    "SELECT o.id, {SHARING_COLUMNS} FROM {BY_ID} \
                     WHERE k.coll = ?1 AND k.idh = ?2 AND o.id = ?3 AND o.is_last = 1"
                ))?;
                let mut out = Vec::new();
                for (pk, collection) in collections {
                    let filter = known.collection(&tx, pk)?;
                    for (id, h) in ids.iter().zip(&hashes) {
                        if !filter.may_contain(*h) {
                            continue;
                        }
                        let mut rows = st.query(params![pk, h, id])?;
                        while let Some(r) = rows.next()? {
                            out.push((
                                CollectionId(collection.clone()),
                                r.get(0)?,
                                read_sharing(r, 1)?,
                            ));
                        }
                    }
                }
                Ok(out)
            },
        )
        .await
    }

    // One query per collection, in collection id order, on the partial `is_last` index in
    // `date_added` order: the scan stops as soon as the page is full. LIKE folds ASCII case.
    async fn search_objects(&self, search: &TextSearch) -> Result<Vec<SearchHit>> {
        let (search, inner) = (search.clone(), self.inner.clone());
        self.read(move |conn| {
            let mut collections = search.collections.clone();
            collections.sort();
            collections.dedup();
            let pattern = search_pattern(&search.text);
            let types = json(&search.types)?;
            let mut st = conn.prepare_cached(&format!(
                "SELECT o.date_added, o.body, {SHARING_COLUMNS}, {HEADER_COLUMNS} FROM objects o \
                 WHERE o.coll = ?1 AND o.is_last = 1 AND o.date_added > ?2 \
                 AND o.body LIKE ?3 ESCAPE '\\' \
                 AND (?4 = '[]' OR o.type IN (SELECT value FROM json_each(?4))) \
                 ORDER BY o.date_added LIMIT ?5"
            ))?;
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
                let pk = match inner.pk(conn, &c) {
                    Ok(pk) => pk,
                    Err(Error::NotFound(_)) => continue,
                    Err(e) => return Err(e),
                };
                let room = (search.limit - out.len()) as i64;
                let mut rows = st.query(params![pk, after, pattern, types, room])?;
                while let Some(r) = rows.next()? {
                    out.push(SearchHit {
                        collection: c.clone(),
                        stored: StoredObject {
                            object: read_object(r, 1, 8)?,
                            date_added: DateAdded(r.get(0)?),
                            sharing: read_sharing(r, 2)?,
                        },
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    async fn set_default_purpose(&self, user: &str, purpose: Option<String>) -> Result<()> {
        let user = user.to_owned();
        self.write(move |conn| {
            let known: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
                [&user],
                |r| r.get(0),
            )?;
            if !known {
                return Err(Error::NotFound(format!("user {user}")));
            }
            conn.execute(
                "INSERT INTO user_defaults (user_name, purpose) VALUES (?1, ?2) \
                 ON CONFLICT (user_name) DO UPDATE SET purpose = excluded.purpose",
                params![user, purpose],
            )?;
            Ok(())
        })
        .await
    }

    async fn default_purpose(&self, user: &str) -> Result<Option<String>> {
        let user = user.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT purpose FROM user_defaults WHERE user_name = ?1")?
                .query_row([&user], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten())
        })
        .await
    }

    async fn put_release_request(&self, r: ReleaseRequestRecord) -> Result<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO release_requests (id, object_id, originator, requester, state, body, \
                 seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, \
                 (SELECT coalesce(max(seq), 0) + 1 FROM release_requests)) \
                 ON CONFLICT (id) DO UPDATE SET state = excluded.state, body = excluded.body",
                params![
                    r.id,
                    r.object_id,
                    r.originator,
                    r.requester,
                    r.state,
                    r.body
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn release_request(&self, id: &str) -> Result<ReleaseRequestRecord> {
        let id = id.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT id, object_id, originator, requester, state, body FROM release_requests \
                 WHERE id = ?1",
            )?
            .query_row([&id], request_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("release request {id}")))
        })
        .await
    }

    async fn release_requests(&self, organisation: &str) -> Result<Vec<ReleaseRequestRecord>> {
        let org = organisation.to_owned();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(
                "SELECT id, object_id, originator, requester, state, body FROM release_requests \
                 WHERE originator = ?1 OR requester = ?1 ORDER BY seq DESC",
            )?;
            let rows = st.query_map([&org], request_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn add_release(&self, r: ReleaseRecord) -> Result<()> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO releases (object_id, destination, body) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (object_id, destination) DO UPDATE SET body = excluded.body",
                params![r.object_id, r.destination, json(&r)?],
            )?;
            Ok(())
        })
        .await
    }

    async fn releases_for(&self, object_ids: &[String]) -> Result<Vec<ReleaseRecord>> {
        let ids = object_ids.to_vec();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(
                "SELECT body FROM releases WHERE object_id = ?1 ORDER BY destination",
            )?;
            let mut out = Vec::new();
            for id in &ids {
                let mut rows = st.query([id])?;
                while let Some(r) = rows.next()? {
                    let body: String = r.get(0)?;
                    out.push(from_json(&body)?);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn has_releases(&self) -> Result<bool> {
        self.read(|conn| {
            Ok(conn.query_row("SELECT EXISTS (SELECT 1 FROM releases)", [], |r| r.get(0))?)
        })
        .await
    }
}
