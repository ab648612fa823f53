//! The sqlite side of [`crate::ScreeningStore`].
//!
//! Writes run on the single writer connection in `IMMEDIATE` transactions, so the version
//! number drawn from `max(number) + 1` and the hit comparison in `record_screenings` cannot race
//! another writer (in this process or another).

use std::collections::HashMap;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::SqliteStore;
use crate::screening::{change_counts, check_previous, parse_decision, validate_version};
use crate::{
    Adjudication, Error, Hit, HitChanges, HitStatus, ListChange, ListChangeKind, ListVersionInfo,
    NewAdjudication, NewListVersion, Result, ScreeningStore, StoredListEntry, Subject,
    SubjectScreening,
};

const VERSION_COLUMNS: &str =
    "list, number, version, source, imported_at, entries, added, amended, delisted";

fn row_to_version(r: &rusqlite::Row<'_>) -> rusqlite::Result<ListVersionInfo> {
    Ok(ListVersionInfo {
        list: r.get(0)?,
        number: r.get::<_, i64>(1)? as u64,
        version: r.get(2)?,
        source: r.get(3)?,
        imported_at: r.get(4)?,
        entries: r.get::<_, i64>(5)? as u64,
        added: r.get::<_, i64>(6)? as u64,
        amended: r.get::<_, i64>(7)? as u64,
        delisted: r.get::<_, i64>(8)? as u64,
    })
}

const SUBJECT_COLUMNS: &str =
    "key, name, kind, birth_date, nationality, document, first_screened, last_screened";

fn row_to_subject(r: &rusqlite::Row<'_>) -> rusqlite::Result<Subject> {
    Ok(Subject {
        key: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        birth_date: r.get(3)?,
        nationality: r.get(4)?,
        document: r.get(5)?,
        first_screened: r.get(6)?,
        last_screened: r.get(7)?,
    })
}

const HIT_COLUMNS: &str =
    "subject, list, entry_id, status, score, matched_name, body, first_number, last_number";

fn row_to_hit(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Hit, String)> {
    Ok((
        Hit {
            subject: r.get(0)?,
            list: r.get(1)?,
            entry_id: r.get(2)?,
            status: HitStatus::Open,
            score: r.get(4)?,
            matched_name: r.get(5)?,
            body: r.get(6)?,
            first_number: r.get::<_, i64>(7)? as u64,
            last_number: r.get::<_, i64>(8)? as u64,
        },
        r.get(3)?,
    ))
}

fn finish_hit((mut h, status): (Hit, String)) -> Result<Hit> {
    h.status = HitStatus::parse(&status)?;
    Ok(h)
}

const ADJUDICATION_COLUMNS: &str =
    "seq, subject, list, entry_id, decision, reason, user_name, time, list_number";

fn row_to_adjudication(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Adjudication, String)> {
    Ok((
        Adjudication {
            seq: r.get::<_, i64>(0)? as u64,
            subject: r.get(1)?,
            list: r.get(2)?,
            entry_id: r.get(3)?,
            decision: crate::AdjudicationDecision::TrueMatch,
            reason: r.get(5)?,
            user: r.get(6)?,
            time: r.get(7)?,
            list_number: r.get::<_, i64>(8)? as u64,
        },
        r.get(4)?,
    ))
}

fn finish_adjudication((mut a, decision): (Adjudication, String)) -> Result<Adjudication> {
    a.decision = parse_decision(&decision)?;
    Ok(a)
}

fn version_exists(conn: &Connection, list: &str, number: u64) -> Result<()> {
    let found: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM screening_list_versions WHERE list = ?1 AND number = ?2)",
        )?
        .query_row(params![list, number as i64], |r| r.get(0))?;
    if found {
        Ok(())
    } else {
        Err(Error::NotFound(format!("list {list} version {number}")))
    }
}

fn add_version_blocking(conn: &mut Connection, v: NewListVersion) -> Result<ListVersionInfo> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM screening_list_versions WHERE list = ?1 AND version = ?2)",
        params![v.list, v.version],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Error::Conflict(format!(
            "list {} version {} is already stored",
            v.list, v.version
        )));
    }
    let number: i64 = tx.query_row(
        "SELECT coalesce(max(number), 0) + 1 FROM screening_list_versions WHERE list = ?1",
        [&v.list],
        |r| r.get(0),
    )?;
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            info.list,
            number,
            info.version,
            info.source,
            info.imported_at,
            info.entries as i64,
            added as i64,
            amended as i64,
            delisted as i64
        ],
    )?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO screening_list_entries \
             (list, number, pos, entry_id, kind, reference, name, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (pos, e) in v.entries.iter().enumerate() {
            insert.execute(params![
                v.list,
                number,
                pos as i64,
                e.entry_id,
                e.kind,
                e.reference,
                e.name,
                e.body
            ])?;
        }
        let mut insert = tx.prepare_cached(
            "INSERT INTO screening_list_changes (list, number, pos, change, entry_id, name, body) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (pos, c) in v.changes.iter().enumerate() {
            insert
                .execute(params![
                    v.list,
                    number,
                    pos as i64,
                    c.change.as_str(),
                    c.entry_id,
                    c.name,
                    c.body
                ])
                .map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _)
                        if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        Error::Invalid(format!("entry {:?} changes twice", c.entry_id))
                    }
                    e => e.into(),
                })?;
        }
    }
    tx.commit()?;
    Ok(info)
}

fn open_hits(tx: &Transaction<'_>, subject: &str, list: &str) -> Result<HashMap<String, Hit>> {
    let mut st = tx.prepare_cached(&format!(
        "SELECT {HIT_COLUMNS} FROM screening_hits \
         WHERE subject = ?1 AND list = ?2 AND status = 'open'"
    ))?;
    let rows = st.query_map(params![subject, list], row_to_hit)?;
    let mut out = HashMap::new();
    for r in rows {
        let h = finish_hit(r?)?;
        out.insert(h.entry_id.clone(), h);
    }
    Ok(out)
}

fn record_blocking(
    conn: &mut Connection,
    list: &str,
    number: u64,
    screenings: Vec<SubjectScreening>,
) -> Result<Vec<HitChanges>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    version_exists(&tx, list, number)?;
    let n = number as i64;
    let mut out = Vec::with_capacity(screenings.len());
    for s in screenings {
        let sub = &s.subject;
        tx.prepare_cached(
            "INSERT INTO screening_subjects \
             (key, name, kind, birth_date, nationality, document, first_screened, last_screened) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT (key) DO UPDATE SET last_screened = excluded.last_screened",
        )?
        .execute(params![
            sub.key,
            sub.name,
            sub.kind,
            sub.birth_date,
            sub.nationality,
            sub.document,
            sub.first_screened,
            sub.last_screened
        ])?;
        tx.prepare_cached(
            "INSERT INTO screening_subject_lists (subject, list, last_number, last_time) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (subject, list) DO UPDATE SET \
             last_number = excluded.last_number, last_time = excluded.last_time",
        )?
        .execute(params![sub.key, list, n, sub.last_screened])?;
        let mut before = open_hits(&tx, &sub.key, list)?;
        let mut changes = HitChanges {
            subject: sub.key.clone(),
            new: Vec::new(),
            vanished: Vec::new(),
        };
        for h in s.hits {
            let was_open = before.remove(&h.entry_id).is_some();
            tx.prepare_cached(
                "INSERT INTO screening_hits (subject, list, entry_id, status, score, \
                 matched_name, body, first_number, last_number) \
                 VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7, ?7) \
                 ON CONFLICT (subject, list, entry_id) DO UPDATE SET status = 'open', \
                 score = excluded.score, matched_name = excluded.matched_name, \
                 body = excluded.body, last_number = excluded.last_number, \
                 first_number = CASE WHEN screening_hits.status = 'open' \
                     THEN screening_hits.first_number ELSE excluded.first_number END",
            )?
            .execute(params![
                sub.key,
                list,
                h.entry_id,
                h.score,
                h.matched_name,
                h.body,
                n
            ])?;
            if !was_open {
                let hit = tx
                    .prepare_cached(&format!(
                        "SELECT {HIT_COLUMNS} FROM screening_hits \
                         WHERE subject = ?1 AND list = ?2 AND entry_id = ?3"
                    ))?
                    .query_row(params![sub.key, list, h.entry_id], row_to_hit)?;
                changes.new.push(finish_hit(hit)?);
            }
        }
        let mut gone: Vec<Hit> = before.into_values().collect();
        gone.sort_by(|a, b| a.entry_id.cmp(&b.entry_id));
        for mut h in gone {
            tx.prepare_cached(
                "UPDATE screening_hits SET status = 'vanished' \
                 WHERE subject = ?1 AND list = ?2 AND entry_id = ?3",
            )?
            .execute(params![sub.key, list, h.entry_id])?;
            h.status = HitStatus::Vanished;
            changes.vanished.push(h);
        }
        out.push(changes);
    }
    tx.commit()?;
    Ok(out)
}

fn adjudicate_blocking(conn: &mut Connection, a: NewAdjudication) -> Result<Adjudication> {
    if a.reason.trim().is_empty() {
        return Err(Error::Invalid("an adjudication needs a reason".into()));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let user: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE name = ?1)",
        [&a.user],
        |r| r.get(0),
    )?;
    if !user {
        return Err(Error::NotFound(format!("user {}", a.user)));
    }
    let number: Option<i64> = tx
        .query_row(
            "SELECT last_number FROM screening_hits \
             WHERE subject = ?1 AND list = ?2 AND entry_id = ?3",
            params![a.subject, a.list, a.entry_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(number) = number else {
        return Err(Error::NotFound(format!(
            "hit of subject {} on list {} entry {}",
            a.subject, a.list, a.entry_id
        )));
    };
    tx.execute(
        "INSERT INTO screening_adjudications \
         (subject, list, entry_id, decision, reason, user_name, time, list_number) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            a.subject,
            a.list,
            a.entry_id,
            a.decision.as_str(),
            a.reason,
            a.user,
            a.time,
            number
        ],
    )?;
    let seq = tx.last_insert_rowid();
    tx.commit()?;
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

#[async_trait]
impl ScreeningStore for SqliteStore {
    async fn add_list_version(&self, version: NewListVersion) -> Result<ListVersionInfo> {
        validate_version(&version)?;
        self.write(move |conn| add_version_blocking(conn, version))
            .await
    }

    async fn list_versions(&self, list: Option<&str>) -> Result<Vec<ListVersionInfo>> {
        let list = list.map(str::to_owned);
        self.read(move |conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} FROM screening_list_versions \
                 WHERE ?1 IS NULL OR list = ?1 ORDER BY list, number"
            ))?;
            let rows = st.query_map([list], row_to_version)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn list_version(&self, list: &str, number: Option<u64>) -> Result<ListVersionInfo> {
        let list = list.to_owned();
        self.read(move |conn| {
            let found = match number {
                Some(n) => conn
                    .prepare_cached(&format!(
                        "SELECT {VERSION_COLUMNS} FROM screening_list_versions \
                         WHERE list = ?1 AND number = ?2"
                    ))?
                    .query_row(params![list, n.min(i64::MAX as u64) as i64], row_to_version)
                    .optional()?,
                None => conn
                    .prepare_cached(&format!(
                        "SELECT {VERSION_COLUMNS} FROM screening_list_versions \
                         WHERE list = ?1 ORDER BY number DESC LIMIT 1"
                    ))?
                    .query_row([&list], row_to_version)
                    .optional()?,
            };
            found.ok_or_else(|| match number {
                Some(n) => Error::NotFound(format!("list {list} version {n}")),
                None => Error::NotFound(format!("list {list}")),
            })
        })
        .await
    }

    async fn list_entries(&self, list: &str, number: u64) -> Result<Vec<StoredListEntry>> {
        let list = list.to_owned();
        self.read(move |conn| {
            version_exists(conn, &list, number)?;
            let mut st = conn.prepare_cached(
                "SELECT entry_id, kind, reference, name, body FROM screening_list_entries \
                 WHERE list = ?1 AND number = ?2 ORDER BY pos",
            )?;
            let rows = st.query_map(params![list, number as i64], |r| {
                Ok(StoredListEntry {
                    entry_id: r.get(0)?,
                    kind: r.get(1)?,
                    reference: r.get(2)?,
                    name: r.get(3)?,
                    body: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn list_changes(&self, list: &str, number: u64) -> Result<Vec<ListChange>> {
        let list = list.to_owned();
        self.read(move |conn| {
            version_exists(conn, &list, number)?;
            let mut st = conn.prepare_cached(
                "SELECT change, entry_id, name, body FROM screening_list_changes \
                 WHERE list = ?1 AND number = ?2 ORDER BY pos",
            )?;
            let rows = st.query_map(params![list, number as i64], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (change, entry_id, name, body) = row?;
                out.push(ListChange {
                    change: ListChangeKind::parse(&change)?,
                    entry_id,
                    name,
                    body,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn record_screenings(
        &self,
        list: &str,
        number: u64,
        screenings: Vec<SubjectScreening>,
    ) -> Result<Vec<HitChanges>> {
        let list = list.to_owned();
        self.write(move |conn| record_blocking(conn, &list, number, screenings))
            .await
    }

    async fn screened_subjects(&self, list: &str) -> Result<Vec<Subject>> {
        let list = list.to_owned();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {SUBJECT_COLUMNS} FROM screening_subjects WHERE key IN \
                 (SELECT subject FROM screening_subject_lists WHERE list = ?1) ORDER BY key"
            ))?;
            let rows = st.query_map([list], row_to_subject)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn subject(&self, key: &str) -> Result<Subject> {
        let key = key.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {SUBJECT_COLUMNS} FROM screening_subjects WHERE key = ?1"
            ))?
            .query_row([&key], row_to_subject)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("subject {key}")))
        })
        .await
    }

    async fn subject_hits(&self, key: &str) -> Result<Vec<Hit>> {
        let key = key.to_owned();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {HIT_COLUMNS} FROM screening_hits WHERE subject = ?1 \
                 ORDER BY list, entry_id"
            ))?;
            let rows = st.query_map([key], row_to_hit)?;
            rows.map(|r| finish_hit(r?)).collect()
        })
        .await
    }

    async fn add_adjudication(&self, adjudication: NewAdjudication) -> Result<Adjudication> {
        self.write(move |conn| adjudicate_blocking(conn, adjudication))
            .await
    }

    async fn adjudications(&self, subject: &str) -> Result<Vec<Adjudication>> {
        let subject = subject.to_owned();
        self.read(move |conn| {
            let mut st = conn.prepare_cached(&format!(
                "SELECT {ADJUDICATION_COLUMNS} FROM screening_adjudications \
                 WHERE subject = ?1 ORDER BY seq"
            ))?;
            let rows = st.query_map([subject], row_to_adjudication)?;
            rows.map(|r| finish_adjudication(r?)).collect()
        })
        .await
    }
}
