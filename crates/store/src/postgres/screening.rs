//! The postgres side of [`crate::ScreeningStore`].
//!
//! Writes that number or compare (a new list version, a screening's hits) take a transaction-scoped
//! advisory lock first, so processes sharing the database write one at a time: the version
//! number drawn from `max(number) + 1` is unique and the open hits read are those the last
//! writer committed. Entries are inserted with one `INSERT ... SELECT FROM unnest(...)`.

use std::collections::HashMap;

use async_trait::async_trait;

use super::PostgresStore;
use crate::screening::{change_counts, check_previous, parse_decision, validate_version};
use crate::{
    Adjudication, Error, Hit, HitChanges, HitStatus, ListChange, ListChangeKind, ListVersionInfo,
    NewAdjudication, NewListVersion, Result, ScreeningStore, StoredListEntry, Subject,
    SubjectScreening,
};

/// Key of the advisory lock that serialises screening writes across processes.
const SCREENING_LOCK: i64 = 0x656e_7465_6e74_6504;

const VERSION_COLUMNS: &str =
    "list, number, version, source, imported_at, entries, added, amended, delisted";

fn row_to_version(r: &tokio_postgres::Row) -> ListVersionInfo {
    ListVersionInfo {
        list: r.get(0),
        number: r.get::<_, i64>(1) as u64,
        version: r.get(2),
        source: r.get(3),
        imported_at: r.get(4),
        entries: r.get::<_, i64>(5) as u64,
        added: r.get::<_, i64>(6) as u64,
        amended: r.get::<_, i64>(7) as u64,
        delisted: r.get::<_, i64>(8) as u64,
    }
}

const SUBJECT_COLUMNS: &str =
    "key, name, kind, birth_date, nationality, document, first_screened, last_screened";

fn row_to_subject(r: &tokio_postgres::Row) -> Subject {
    Subject {
        key: r.get(0),
        name: r.get(1),
        kind: r.get(2),
        birth_date: r.get(3),
        nationality: r.get(4),
        document: r.get(5),
        first_screened: r.get(6),
        last_screened: r.get(7),
    }
}

const HIT_COLUMNS: &str =
    "subject, list, entry_id, status, score, matched_name, body, first_number, last_number";

fn row_to_hit(r: &tokio_postgres::Row) -> Result<Hit> {
    Ok(Hit {
        subject: r.get(0),
        list: r.get(1),
        entry_id: r.get(2),
        status: HitStatus::parse(r.get(3))?,
        score: r.get(4),
        matched_name: r.get(5),
        body: r.get(6),
        first_number: r.get::<_, i64>(7) as u64,
        last_number: r.get::<_, i64>(8) as u64,
    })
}

const ADJUDICATION_COLUMNS: &str =
    "seq, subject, list, entry_id, decision, reason, user_name, time, list_number";

fn row_to_adjudication(r: &tokio_postgres::Row) -> Result<Adjudication> {
    Ok(Adjudication {
        seq: r.get::<_, i64>(0) as u64,
        subject: r.get(1),
        list: r.get(2),
        entry_id: r.get(3),
        decision: parse_decision(r.get(4))?,
        reason: r.get(5),
        user: r.get(6),
        time: r.get(7),
        list_number: r.get::<_, i64>(8) as u64,
    })
}

async fn version_exists(
    client: &impl tokio_postgres::GenericClient,
    list: &str,
    number: u64,
) -> Result<()> {
    let found: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM screening_list_versions WHERE list = $1 AND number = $2)",
            &[&list, &(number.min(i64::MAX as u64) as i64)],
        )
        .await?
        .get(0);
    if found {
        Ok(())
    } else {
        Err(Error::NotFound(format!("list {list} version {number}")))
    }
}

#[async_trait]
impl ScreeningStore for PostgresStore {
    async fn add_list_version(&self, v: NewListVersion) -> Result<ListVersionInfo> {
        validate_version(&v)?;
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCREENING_LOCK])
            .await?;
        let taken: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM screening_list_versions \
                 WHERE list = $1 AND version = $2)",
                &[&v.list, &v.version],
            )
            .await?
            .get(0);
        if taken {
            return Err(Error::Conflict(format!(
                "list {} version {} is already stored",
                v.list, v.version
            )));
        }
        let number: i64 = tx
            .query_one(
                "SELECT coalesce(max(number), 0) + 1 FROM screening_list_versions WHERE list = $1",
                &[&v.list],
            )
            .await?
            .get(0);
        check_previous(&v, number as u64 - 1)?;
        let (added, amended, delisted) = change_counts(&v.changes);
        let info = ListVersionInfo {
            list: v.list.clone(),
            number: number as u64,
            version: v.version.clone(),
            source: v.source.clone(),
            imported_at: v.imported_at,
            entries: v.entries.len() as u64,
            added,
            amended,
            delisted,
        };
        tx.execute(
            &format!(
                "INSERT INTO screening_list_versions ({VERSION_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            &[
                &info.list,
                &number,
                &info.version,
                &info.source,
                &info.imported_at,
                &(info.entries as i64),
                &(added as i64),
                &(amended as i64),
                &(delisted as i64),
            ],
        )
        .await?;
        let pos: Vec<i64> = (0..v.entries.len() as i64).collect();
        let ids: Vec<&str> = v.entries.iter().map(|e| e.entry_id.as_str()).collect();
        let kinds: Vec<&str> = v.entries.iter().map(|e| e.kind.as_str()).collect();
        let refs: Vec<Option<&str>> = v.entries.iter().map(|e| e.reference.as_deref()).collect();
        let names: Vec<&str> = v.entries.iter().map(|e| e.name.as_str()).collect();
        let bodies: Vec<&str> = v.entries.iter().map(|e| e.body.as_str()).collect();
        tx.execute(
            "INSERT INTO screening_list_entries \
             (list, number, pos, entry_id, kind, reference, name, body) \
             SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], \
             $7::text[], $8::text[])",
            &[&v.list, &number, &pos, &ids, &kinds, &refs, &names, &bodies],
        )
        .await?;
        let mut seen = std::collections::HashSet::new();
        if let Some(c) = v.changes.iter().find(|c| !seen.insert(c.entry_id.as_str())) {
            return Err(Error::Invalid(format!(
                "entry {:?} changes twice",
                c.entry_id
            )));
        }
        let pos: Vec<i64> = (0..v.changes.len() as i64).collect();
        let kinds: Vec<&str> = v.changes.iter().map(|c| c.change.as_str()).collect();
        let ids: Vec<&str> = v.changes.iter().map(|c| c.entry_id.as_str()).collect();
        let names: Vec<&str> = v.changes.iter().map(|c| c.name.as_str()).collect();
        let bodies: Vec<&str> = v.changes.iter().map(|c| c.body.as_str()).collect();
        tx.execute(
            "INSERT INTO screening_list_changes (list, number, pos, change, entry_id, name, body) \
             SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], \
             $7::text[])",
            &[&v.list, &number, &pos, &kinds, &ids, &names, &bodies],
        )
        .await?;
        tx.commit().await?;
        Ok(info)
    }

    async fn list_versions(&self, list: Option<&str>) -> Result<Vec<ListVersionInfo>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM screening_list_versions \
                     WHERE $1::text IS NULL OR list = $1 ORDER BY list, number"
                ),
                &[&list],
            )
            .await?;
        Ok(rows.iter().map(row_to_version).collect())
    }

    async fn list_version(&self, list: &str, number: Option<u64>) -> Result<ListVersionInfo> {
        let conn = self.pool.get().await?;
        let found = match number {
            Some(n) => {
                conn.client
                    .query_opt(
                        &format!(
                            "SELECT {VERSION_COLUMNS} FROM screening_list_versions \
                             WHERE list = $1 AND number = $2"
                        ),
                        &[&list, &(n.min(i64::MAX as u64) as i64)],
                    )
                    .await?
            }
            None => {
                conn.client
                    .query_opt(
                        &format!(
                            "SELECT {VERSION_COLUMNS} FROM screening_list_versions \
                             WHERE list = $1 ORDER BY number DESC LIMIT 1"
                        ),
                        &[&list],
                    )
                    .await?
            }
        };
        found
            .map(|r| row_to_version(&r))
            .ok_or_else(|| match number {
                Some(n) => Error::NotFound(format!("list {list} version {n}")),
                None => Error::NotFound(format!("list {list}")),
            })
    }

    async fn list_entries(&self, list: &str, number: u64) -> Result<Vec<StoredListEntry>> {
        let conn = self.pool.get().await?;
        version_exists(&conn.client, list, number).await?;
        let rows = conn
            .client
            .query(
                "SELECT entry_id, kind, reference, name, body FROM screening_list_entries \
                 WHERE list = $1 AND number = $2 ORDER BY pos",
                &[&list, &(number as i64)],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredListEntry {
                entry_id: r.get(0),
                kind: r.get(1),
                reference: r.get(2),
                name: r.get(3),
                body: r.get(4),
            })
            .collect())
    }

    async fn list_changes(&self, list: &str, number: u64) -> Result<Vec<ListChange>> {
        let conn = self.pool.get().await?;
        version_exists(&conn.client, list, number).await?;
        let rows = conn
            .client
            .query(
                "SELECT change, entry_id, name, body FROM screening_list_changes \
                 WHERE list = $1 AND number = $2 ORDER BY pos",
                &[&list, &(number as i64)],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ListChange {
                    change: ListChangeKind::parse(r.get(0))?,
                    entry_id: r.get(1),
                    name: r.get(2),
                    body: r.get(3),
                })
            })
            .collect()
    }

    async fn record_screenings(
        &self,
        list: &str,
        number: u64,
        screenings: Vec<SubjectScreening>,
    ) -> Result<Vec<HitChanges>> {
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCREENING_LOCK])
            .await?;
        version_exists(&tx, list, number).await?;
        let n = number as i64;
        let upsert_subject = tx
            .prepare(
                "INSERT INTO screening_subjects (key, name, kind, birth_date, nationality, \
                 document, first_screened, last_screened) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (key) DO UPDATE SET last_screened = excluded.last_screened",
            )
            .await?;
        let upsert_list = tx
            .prepare(
                "INSERT INTO screening_subject_lists (subject, list, last_number, last_time) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (subject, list) DO UPDATE SET \
                 last_number = excluded.last_number, last_time = excluded.last_time",
            )
            .await?;
        let select_open = tx
            .prepare(&format!(
                "SELECT {HIT_COLUMNS} FROM screening_hits \
                 WHERE subject = $1 AND list = $2 AND status = 'open'"
            ))
            .await?;
        let upsert_hit = tx
            .prepare(&format!(
                "INSERT INTO screening_hits AS h (subject, list, entry_id, status, score, \
                 matched_name, body, first_number, last_number) \
                 VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $7) \
                 ON CONFLICT (subject, list, entry_id) DO UPDATE SET status = 'open', \
                 score = excluded.score, matched_name = excluded.matched_name, \
                 body = excluded.body, last_number = excluded.last_number, \
                 first_number = CASE WHEN h.status = 'open' \
                     THEN h.first_number ELSE excluded.first_number END \
                 RETURNING {HIT_COLUMNS}"
            ))
            .await?;
        let vanish = tx
            .prepare(
                "UPDATE screening_hits SET status = 'vanished' \
                 WHERE subject = $1 AND list = $2 AND entry_id = $3",
            )
            .await?;
        let mut out = Vec::with_capacity(screenings.len());
        for s in screenings {
            let sub = &s.subject;
            tx.execute(
                &upsert_subject,
                &[
                    &sub.key,
                    &sub.name,
                    &sub.kind,
                    &sub.birth_date,
                    &sub.nationality,
                    &sub.document,
                    &sub.first_screened,
                    &sub.last_screened,
                ],
            )
            .await?;
            tx.execute(&upsert_list, &[&sub.key, &list, &n, &sub.last_screened])
                .await?;
            let mut before: HashMap<String, Hit> = HashMap::new();
            for r in tx.query(&select_open, &[&sub.key, &list]).await? {
                let h = row_to_hit(&r)?;
                before.insert(h.entry_id.clone(), h);
            }
            let mut changes = HitChanges {
                subject: sub.key.clone(),
                new: Vec::new(),
                vanished: Vec::new(),
            };
            for h in s.hits {
                let was_open = before.remove(&h.entry_id).is_some();
                let row = tx
                    .query_one(
                        &upsert_hit,
                        &[
                            &sub.key,
                            &list,
                            &h.entry_id,
                            &h.score,
                            &h.matched_name,
                            &h.body,
                            &n,
                        ],
                    )
                    .await?;
                if !was_open {
                    changes.new.push(row_to_hit(&row)?);
                }
            }
            let mut gone: Vec<Hit> = before.into_values().collect();
            gone.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
            for mut h in gone {
                tx.execute(&vanish, &[&sub.key, &list, &h.entry_id]).await?;
                h.status = HitStatus::Vanished;
                changes.vanished.push(h);
            }
            out.push(changes);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn screened_subjects(&self, list: &str) -> Result<Vec<Subject>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                &format!(
                    "SELECT {SUBJECT_COLUMNS} FROM screening_subjects WHERE key IN \
                     (SELECT subject FROM screening_subject_lists WHERE list = $1) ORDER BY key"
                ),
                &[&list],
            )
            .await?;
        Ok(rows.iter().map(row_to_subject).collect())
    }

    async fn subject(&self, key: &str) -> Result<Subject> {
        let conn = self.pool.get().await?;
        conn.client
            .query_opt(
                &format!("SELECT {SUBJECT_COLUMNS} FROM screening_subjects WHERE key = $1"),
                &[&key],
            )
            .await?
            .map(|r| row_to_subject(&r))
            .ok_or_else(|| Error::NotFound(format!("subject {key}")))
    }

    async fn subject_hits(&self, key: &str) -> Result<Vec<Hit>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                &format!(
                    "SELECT {HIT_COLUMNS} FROM screening_hits WHERE subject = $1 \
                     ORDER BY list, entry_id"
                ),
                &[&key],
            )
            .await?;
        rows.iter().map(row_to_hit).collect()
    }

    async fn add_adjudication(&self, a: NewAdjudication) -> Result<Adjudication> {
        if a.reason.trim().is_empty() {
            return Err(Error::Invalid("an adjudication needs a reason".into()));
        }
        let mut conn = self.pool.get().await?;
        let tx = conn.client.transaction().await?;
        let user: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM users WHERE name = $1)",
                &[&a.user],
            )
            .await?
            .get(0);
        if !user {
            return Err(Error::NotFound(format!("user {}", a.user)));
        }
        let Some(number) = tx
            .query_opt(
                "SELECT last_number FROM screening_hits \
                 WHERE subject = $1 AND list = $2 AND entry_id = $3 FOR SHARE",
                &[&a.subject, &a.list, &a.entry_id],
            )
            .await?
            .map(|r| r.get::<_, i64>(0))
        else {
            return Err(Error::NotFound(format!(
                "hit of subject {} on list {} entry {}",
                a.subject, a.list, a.entry_id
            )));
        };
        let seq: i64 = tx
            .query_one(
                "INSERT INTO screening_adjudications \
                 (subject, list, entry_id, decision, reason, user_name, time, list_number) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq",
                &[
                    &a.subject,
                    &a.list,
                    &a.entry_id,
                    &a.decision.as_str(),
                    &a.reason,
                    &a.user,
                    &a.time,
                    &number,
                ],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(Adjudication {
            seq: seq as u64,
            subject: a.subject,
            list: a.list,
            entry_id: a.entry_id,
            decision: a.decision,
            reason: a.reason,
            user: a.user,
            time: a.time,
            list_number: number as u64,
        })
    }

    async fn adjudications(&self, subject: &str) -> Result<Vec<Adjudication>> {
        let conn = self.pool.get().await?;
        let rows = conn
            .client
            .query(
                &format!(
                    "SELECT {ADJUDICATION_COLUMNS} FROM screening_adjudications \
                     WHERE subject = $1 ORDER BY seq"
                ),
                &[&subject],
            )
            .await?;
        rows.iter().map(row_to_adjudication).collect()
    }
}
