//! Sanctions screening on a node (issue 7): importing list versions into the store, screening
//! subjects against the newest stored version, recording hits and human adjudications, and the
//! HTTP API over them behind the access check.
//!
//! What it is not: the matcher or the list formats (that is `entente-screening`, pure), nor SQL
//! (`entente-store`). This module joins the two, once, for both the command line (`entente lists`,
//! `entente screen`) and the HTTP API, so that a screening from either records the same subjects
//! and hits and reuses the same adjudications.
//!
//! # Flow
//!
//! - [`import_version`]: diff the new version against the newest stored one, store both in one
//!   transaction, then **re-screen every stored subject** of that list against the new version
//!   and report the hits that appeared or vanished.
//! - [`screen`]: screen queries against the newest stored version (a [`LoadedList`] is built
//!   once per list version and cached in the process), record each subject and its hits, and
//!   attach to each match the adjudication in force for that subject and entry, if any.
//! - [`adjudicate`]: a named user records true match, false positive or needs more information,
//!   with a reason. Nothing here refuses or freezes anything: a match is a candidate for a human.
//!
//! A **subject** is identified by [`subject_key`], a digest of the facts screened (folded name,
//! type, date of birth, folded nationality, document number): the same person screened again with
//! the same facts is the same subject, so earlier decisions apply to it.
//!
//! # HTTP API
//!
//! Every route needs credentials and an `Entente-Purpose` header; a request without a purpose is
//! refused with 400 before anything is screened. Every decision (allowed or refused) is recorded
//! in the audit log with the purpose. Bodies are JSON, at most [`MAX_BODY`] bytes and
//! [`MAX_BATCH`] queries; errors are JSON error messages.
//!
//! - `POST /screening/v1/screen`: `{"list": "un", "query": {...}}` or `{"queries": [...]}`
//!   (optional `threshold`, `type`, `record`); action `Screen`.
//! - `GET /screening/v1/lists`: stored list versions; action `Screen`.
//! - `GET /screening/v1/subjects/{key}`: a subject, its hits and adjudications; action `Screen`.
//! - `POST /screening/v1/adjudications`: `{"subject", "list", "entry_id", "decision",
//!   "reason"}`, decided by the authenticated user; action `Adjudicate`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use entente_screening::{
    Entry, EntryKind, ListDiff, ListVersion, Match, Query, ScreenOptions, Screener,
};
use entente_store::{
    Adjudication, AdjudicationDecision, Hit, HitChanges, ListChange, ListChangeKind,
    ListVersionInfo, NewAdjudication, NewHit, NewListVersion, SharedStore, Store, StoredListEntry,
    Subject, SubjectScreening,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::audit::{self, Outcome};
use crate::auth::Principal;
use crate::error::ApiError;

pub use entente_screening::DEFAULT_THRESHOLD;

/// Most queries in one screening request over HTTP: larger batches answer 413. The command line
/// has no such limit (it streams).
pub const MAX_BATCH: usize = 1000;

/// Largest screening or adjudication request body accepted, in bytes (413 beyond).
pub const MAX_BODY: usize = 1024 * 1024;

/// Longest name accepted in a query, in bytes.
pub const MAX_NAME_LEN: usize = 512;

/// Longest other field (date of birth, nationality, document, reason), in bytes.
pub const MAX_FIELD_LEN: usize = 1024;

/// Most matches returned per query.
pub const MAX_MATCHES: usize = 10;

// ---------------------------------------------------------------------------------------------
// Conversions between the screening model and what the store keeps
// ---------------------------------------------------------------------------------------------

fn kind_str(k: EntryKind) -> &'static str {
    match k {
        EntryKind::Individual => "individual",
        EntryKind::Entity => "entity",
        EntryKind::Vessel => "vessel",
        EntryKind::Aircraft => "aircraft",
    }
}

/// Parses `individual` or `entity` (the subject types a query may be restricted to).
pub fn parse_kind(s: &str) -> Result<EntryKind, ApiError> {
    match s {
        "individual" => Ok(EntryKind::Individual),
        "entity" => Ok(EntryKind::Entity),
        other => Err(ApiError::BadRequest(format!(
            "unknown type {other:?}: expected individual or entity"
        ))),
    }
}

fn json<T: Serialize>(v: &T) -> Result<String, ApiError> {
    serde_json::to_string(v).map_err(ApiError::internal)
}

/// An entry as the store keeps it (its JSON is what a screener is rebuilt from).
pub fn stored_entry(e: &Entry) -> Result<StoredListEntry, ApiError> {
    Ok(StoredListEntry {
        entry_id: e.id.clone(),
        kind: kind_str(e.kind).to_owned(),
        reference: e.reference.clone(),
        name: e.primary_name().to_owned(),
        body: json(e)?,
    })
}

/// A diff as the store keeps it: added, then amended, then delisted.
pub fn stored_changes(d: &ListDiff) -> Result<Vec<ListChange>, ApiError> {
    let mut out = Vec::with_capacity(d.added.len() + d.amended.len() + d.delisted.len());
    for e in &d.added {
        out.push(ListChange {
            change: ListChangeKind::Added,
            entry_id: e.id.clone(),
            name: e.primary_name().to_owned(),
            body: json(e)?,
        });
    }
    for a in &d.amended {
        out.push(ListChange {
            change: ListChangeKind::Amended,
            entry_id: a.entry.id.clone(),
            name: a.entry.primary_name().to_owned(),
            body: json(a)?,
        });
    }
    for e in &d.delisted {
        out.push(ListChange {
            change: ListChangeKind::Delisted,
            entry_id: e.id.clone(),
            name: e.primary_name().to_owned(),
            body: json(e)?,
        });
    }
    Ok(out)
}

/// Rebuilds a list version from the store.
pub async fn load_version(
    store: &SharedStore,
    info: &ListVersionInfo,
) -> Result<ListVersion, ApiError> {
    let stored = store.list_entries(&info.list, info.number).await?;
    let entries = stored
        .iter()
        .map(|e| {
            serde_json::from_str::<Entry>(&e.body).map_err(|err| {
                ApiError::internal(format!(
                    "stored entry {} of list {} version {} is unreadable: {err}",
                    e.entry_id, info.list, info.number
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListVersion {
        list: info.list.as_str().into(),
        version: info.version.clone(),
        entries,
    })
}

// ---------------------------------------------------------------------------------------------
// Loaded lists (screener cache)
// ---------------------------------------------------------------------------------------------

/// One stored list version with its screening index.
pub struct LoadedList {
    /// The stored version.
    pub info: ListVersionInfo,
    /// The index over its entries.
    pub screener: Screener,
}

type CacheSlot = (Weak<dyn Store>, ListVersionInfo, Arc<LoadedList>);

/// Indexes kept per process (one per list and store, newest version only).
static CACHE: Mutex<Vec<CacheSlot>> = Mutex::new(Vec::new());

/// Most cached indexes.
const CACHE_MAX: usize = 16;

fn options() -> ScreenOptions {
    ScreenOptions {
        max_results: MAX_MATCHES,
        ..ScreenOptions::default()
    }
}

/// The list id a name means: `ofac` is short for `ofac-sdn`; other names are ids.
pub fn list_id(name: &str) -> &str {
    match name {
        "ofac" => entente_screening::OFAC_LIST_ID,
        other => other,
    }
}

/// The newest stored version of `list` with its index (built once per version and cached).
/// `NotFound` (404) when the list has no stored version.
pub async fn load_list(store: &SharedStore, list: &str) -> Result<Arc<LoadedList>, ApiError> {
    let list = list_id(list);
    let info = match store.list_version(list, None).await {
        Ok(i) => i,
        Err(entente_store::Error::NotFound(_)) => {
            return Err(ApiError::NotFound(format!(
                "no version of list {list:?} is stored (import one with `entente lists import`)"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    load_info(store, info).await
}

async fn load_info(
    store: &SharedStore,
    info: ListVersionInfo,
) -> Result<Arc<LoadedList>, ApiError> {
    let same_store = |w: &Weak<dyn Store>| {
        w.upgrade()
            .is_some_and(|s| std::ptr::addr_eq(Arc::as_ptr(&s), Arc::as_ptr(store)))
    };
    {
        let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, l)) = cache.iter().find(|(w, i, _)| *i == info && same_store(w)) {
            return Ok(l.clone());
        }
    }
    let version = load_version(store, &info).await?;
    let screener = tokio::task::spawn_blocking(move || Screener::new([&version], options()))
        .await
        .map_err(ApiError::internal)?;
    let loaded = Arc::new(LoadedList {
        info: info.clone(),
        screener,
    });
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    cache.retain(|(w, i, _)| w.strong_count() > 0 && !(i.list == info.list && same_store(w)));
    if cache.len() >= CACHE_MAX {
        cache.remove(0);
    }
    cache.push((Arc::downgrade(store), info, loaded.clone()));
    Ok(loaded)
}

// ---------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------

fn norm_document(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The key of the subject a query describes: 32 hex digits of SHA-256 over the folded name, the
/// type, the date of birth, the folded nationality and the document number. Spelling the same
/// name with other case, punctuation or diacritics gives the same subject; other facts give
/// another subject (a decision on "Omar, born 1990" does not carry to "Omar, born 1962").
pub fn subject_key(q: &Query) -> String {
    use entente_screening::text::fold_joined;
    let mut h = Sha256::new();
    let parts = [
        fold_joined(&q.name),
        q.kind.map(kind_str).unwrap_or("").to_owned(),
        q.birth_date.as_deref().unwrap_or("").trim().to_owned(),
        fold_joined(q.nationality.as_deref().unwrap_or("")),
        norm_document(q.document.as_deref().unwrap_or("")),
    ];
    h.update(b"entente-subject-v1");
    for p in &parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    audit::to_hex(&h.finalize()[..16])
}

fn subject_of(q: &Query, now: i64) -> Subject {
    Subject {
        key: subject_key(q),
        name: q.name.clone(),
        kind: q.kind.map(|k| kind_str(k).to_owned()),
        birth_date: q.birth_date.clone(),
        nationality: q.nationality.clone(),
        document: q.document.clone(),
        first_screened: now,
        last_screened: now,
    }
}

fn query_of(s: &Subject) -> Query {
    Query {
        name: s.name.clone(),
        kind: s.kind.as_deref().and_then(|k| parse_kind(k).ok()),
        birth_date: s.birth_date.clone(),
        nationality: s.nationality.clone(),
        document: s.document.clone(),
    }
}

fn new_hits(matches: &[Match]) -> Result<Vec<NewHit>, ApiError> {
    matches
        .iter()
        .map(|m| {
            Ok(NewHit {
                entry_id: m.entry_id.clone(),
                score: f64::from(m.score),
                matched_name: m.matched_name.clone(),
                body: json(m)?,
            })
        })
        .collect()
}

/// Checks a query's fields (lengths, non-empty name) before anything is screened.
pub fn validate_query(q: &Query) -> Result<(), ApiError> {
    if q.name.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "a query needs a non-empty name".into(),
        ));
    }
    if q.name.len() > MAX_NAME_LEN {
        return Err(ApiError::BadRequest(format!(
            "a name is at most {MAX_NAME_LEN} bytes"
        )));
    }
    for f in [&q.birth_date, &q.nationality, &q.document]
        .into_iter()
        .flatten()
    {
        if f.len() > MAX_FIELD_LEN {
            return Err(ApiError::BadRequest(format!(
                "a query field is at most {MAX_FIELD_LEN} bytes"
            )));
        }
    }
    Ok(())
}

/// Checks a threshold: a number in (0, 1].
pub fn validate_threshold(t: f32) -> Result<(), ApiError> {
    if t.is_finite() && t > 0.0 && t <= 1.0 {
        Ok(())
    } else {
        Err(ApiError::BadRequest(
            "threshold must be a number greater than 0 and at most 1".into(),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Screening
// ---------------------------------------------------------------------------------------------

/// One match as entente reports it (CLI JSON lines and the HTTP API).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MatchReport {
    /// The entry id (UN DATAID, OFAC ent_num, national id).
    pub id: String,
    /// The list.
    pub list: String,
    /// The list version (date) screened against.
    pub list_version: String,
    /// The entry's reference number.
    pub reference: Option<String>,
    /// The listed name that matched (primary, original script or alias).
    pub name: String,
    /// The entry's primary name.
    pub primary_name: String,
    /// `individual`, `entity`, ...
    pub kind: String,
    /// The score in [0, 1].
    pub score: f32,
    /// The score's calibration on the evaluation set.
    pub confidence: f32,
    /// Why: aligned tokens, rules, evidence.
    pub explanation: serde_json::Value,
    /// The adjudication in force for this subject and entry, from an earlier screening.
    pub adjudication: Option<Adjudication>,
}

/// The result of screening one query.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScreenReport {
    /// The name screened.
    pub query: String,
    /// The subject's key (for adjudication).
    pub subject: String,
    /// The matches at or above the threshold, best first.
    pub matches: Vec<MatchReport>,
}

fn report(m: &Match, adjudication: Option<Adjudication>) -> Result<MatchReport, ApiError> {
    Ok(MatchReport {
        id: m.entry_id.clone(),
        list: m.list.to_string(),
        list_version: m.list_version.clone(),
        reference: m.reference.clone(),
        name: m.matched_name.clone(),
        primary_name: m.primary_name.clone(),
        kind: kind_str(m.kind).to_owned(),
        score: (m.score * 10_000.0).round() / 10_000.0,
        confidence: (m.confidence * 10_000.0).round() / 10_000.0,
        explanation: serde_json::to_value(&m.explanation).map_err(ApiError::internal)?,
        adjudication,
    })
}

/// Screens `queries` against `list` at `threshold`, in order. When `record` is true, each
/// subject and its hits are stored (so adjudications apply to later screenings and the subject
/// is re-screened when the list changes); either way, each match carries the adjudication in
/// force for its subject and entry, if one was recorded.
pub async fn screen(
    store: &SharedStore,
    list: &Arc<LoadedList>,
    queries: Vec<Query>,
    threshold: f32,
    record: bool,
) -> Result<Vec<ScreenReport>, ApiError> {
    let results = screen_matches(list, &queries, threshold).await?;
    reports(store, list, queries, results, record).await
}

/// What [`screen`] does after matching: stores each subject and its hits when `record` is true,
/// and reports each query's matches with the adjudication in force for its subject and entry.
/// `results` are [`screen_matches`]' answers for `queries`, in order.
pub async fn reports(
    store: &SharedStore,
    list: &Arc<LoadedList>,
    queries: Vec<Query>,
    results: Vec<Vec<Match>>,
    record: bool,
) -> Result<Vec<ScreenReport>, ApiError> {
    let now = audit::now_micros();
    let keys: Vec<String> = queries.iter().map(subject_key).collect();
    if record {
        let mut screenings = Vec::with_capacity(queries.len());
        for (q, m) in queries.iter().zip(&results) {
            screenings.push(SubjectScreening {
                subject: subject_of(q, now),
                hits: new_hits(m)?,
            });
        }
        store
            .record_screenings(&list.info.list, list.info.number, screenings)
            .await?;
    }
    let mut out = Vec::with_capacity(queries.len());
    let mut decided: HashMap<String, Vec<Adjudication>> = HashMap::new();
    for ((q, matches), key) in queries.into_iter().zip(results).zip(keys) {
        if !matches.is_empty() && !decided.contains_key(&key) {
            let a = store.adjudications(&key).await?;
            decided.insert(key.clone(), a);
        }
        let mut reports = Vec::with_capacity(matches.len());
        for m in &matches {
            let in_force = decided.get(&key).and_then(|all| {
                all.iter()
                    .rev()
                    .find(|a| a.list == m.list.as_str() && a.entry_id == m.entry_id)
                    .cloned()
            });
            reports.push(report(m, in_force)?);
        }
        out.push(ScreenReport {
            query: q.name,
            subject: key,
            matches: reports,
        });
    }
    Ok(out)
}

/// Screens without touching the store. A few queries are screened in place (well under a
/// millisecond each); a batch runs on the blocking pool, on the screener's threads.
pub async fn screen_matches(
    list: &Arc<LoadedList>,
    queries: &[Query],
    threshold: f32,
) -> Result<Vec<Vec<Match>>, ApiError> {
    if queries.len() <= 4 {
        return Ok(queries
            .iter()
            .map(|q| list.screener.screen_with_threshold(q, threshold))
            .collect());
    }
    let (list, queries) = (list.clone(), queries.to_vec());
    tokio::task::spawn_blocking(move || {
        list.screener
            .screen_batch_with_threshold(&queries, threshold)
    })
    .await
    .map_err(ApiError::internal)
}

// ---------------------------------------------------------------------------------------------
// Import and re-screening
// ---------------------------------------------------------------------------------------------

/// What an import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// The stored version.
    pub version: ListVersionInfo,
    /// The version it was compared with (`None` for the first of its list).
    pub previous: Option<ListVersionInfo>,
    /// Stored subjects re-screened against the new version.
    pub rescreened: usize,
    /// Per re-screened subject whose hits changed: the hits that appeared and vanished.
    pub changes: Vec<SubjectChanges>,
}

/// Hits of one subject that appeared or vanished with a new list version.
#[derive(Clone, Debug, Serialize)]
pub struct SubjectChanges {
    /// The subject.
    pub subject: Subject,
    /// Hits raised by the new version and not before.
    pub new: Vec<Hit>,
    /// Hits no longer raised.
    pub vanished: Vec<Hit>,
}

/// Stores `version` as the newest version of its list (with its diff to the previous one),
/// then re-screens the list's stored subjects against it at [`DEFAULT_THRESHOLD`] and reports
/// the hits that appeared or vanished. `Conflict` (409) when that dated version is stored.
pub async fn import_version(
    store: &SharedStore,
    version: ListVersion,
    source: &str,
) -> Result<ImportReport, ApiError> {
    let list = version.list.to_string();
    let previous = match store.list_version(&list, None).await {
        Ok(i) => Some(i),
        Err(entente_store::Error::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let old = match &previous {
        Some(p) => load_version(store, p).await?,
        None => ListVersion {
            list: version.list.clone(),
            version: String::new(),
            entries: Vec::new(),
        },
    };
    let diff = entente_screening::diff(&old, &version);
    let entries = version
        .entries
        .iter()
        .map(stored_entry)
        .collect::<Result<Vec<_>, _>>()?;
    let info = match store
        .add_list_version(NewListVersion {
            list: list.clone(),
            version: version.version.clone(),
            source: source.to_owned(),
            imported_at: audit::now_micros(),
            entries,
            changes: stored_changes(&diff)?,
            previous: previous.as_ref().map(|p| p.number),
        })
        .await
    {
        Ok(i) => i,
        // The same dated version again, or another import came first: nothing stored.
        Err(entente_store::Error::Conflict(m)) => return Err(ApiError::BadRequest(m)),
        Err(e) => return Err(e.into()),
    };
    // Re-screen with an index over the new version (built here from the parsed entries, not
    // reloaded from the store).
    let screener = tokio::task::spawn_blocking(move || Screener::new([&version], options()))
        .await
        .map_err(ApiError::internal)?;
    let loaded = Arc::new(LoadedList {
        info: info.clone(),
        screener,
    });
    let subjects = store.screened_subjects(&list).await?;
    let queries: Vec<Query> = subjects.iter().map(query_of).collect();
    let results = screen_matches(&loaded, &queries, DEFAULT_THRESHOLD).await?;
    let now = audit::now_micros();
    let mut screenings = Vec::with_capacity(subjects.len());
    for (s, m) in subjects.iter().zip(&results) {
        let mut s = s.clone();
        s.last_screened = now;
        screenings.push(SubjectScreening {
            subject: s,
            hits: new_hits(m)?,
        });
    }
    let recorded: Vec<HitChanges> = store
        .record_screenings(&list, info.number, screenings)
        .await?;
    let changes = subjects
        .into_iter()
        .zip(recorded)
        .filter(|(_, c)| !c.new.is_empty() || !c.vanished.is_empty())
        .map(|(subject, c)| SubjectChanges {
            subject,
            new: c.new,
            vanished: c.vanished,
        })
        .collect();
    // Warm the cache for the next screening.
    let _ = load_info(store, info.clone()).await;
    Ok(ImportReport {
        version: info,
        previous,
        rescreened: queries.len(),
        changes,
    })
}

/// Records a named user's decision on a hit. `NotFound` (404) when the hit or the user does not
/// exist; 400 for an empty reason.
pub async fn adjudicate(
    store: &SharedStore,
    subject: &str,
    list: &str,
    entry_id: &str,
    decision: AdjudicationDecision,
    reason: &str,
    user: &str,
) -> Result<Adjudication, ApiError> {
    if reason.len() > MAX_FIELD_LEN {
        return Err(ApiError::BadRequest(format!(
            "a reason is at most {MAX_FIELD_LEN} bytes"
        )));
    }
    match store
        .add_adjudication(NewAdjudication {
            subject: subject.to_owned(),
            list: list.to_owned(),
            entry_id: entry_id.to_owned(),
            decision,
            reason: reason.trim().to_owned(),
            user: user.to_owned(),
            time: audit::now_micros(),
        })
        .await
    {
        Ok(a) => Ok(a),
        Err(entente_store::Error::NotFound(m)) => Err(ApiError::NotFound(m)),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP API
// ---------------------------------------------------------------------------------------------

/// The screening routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/screening/v1/screen", post(screen_handler))
        .route("/screening/v1/lists", get(lists_handler))
        .route("/screening/v1/subjects/{key}", get(subject_handler))
        .route("/screening/v1/adjudications", post(adjudication_handler))
}

const TARGET: &str = "screening";

/// The access check, the purpose requirement and their audit trace, for every handler. A
/// refusal is recorded before it is answered.
async fn gate(state: &AppState, principal: &Principal, action: Action) -> Result<String, ApiError> {
    let decision = access::check(principal, action, &Resource::Screening);
    let action_name = action_name(action);
    if let access::Decision::Deny(d) = &decision {
        let mut r = audit::record(
            &principal.user,
            &principal.organisation,
            action_name,
            TARGET,
            Outcome::Deny,
            &d.reason,
            "",
        );
        r.purpose = principal.purpose.clone();
        state.journal.record(r).await?;
    }
    decision.require()?;
    let Some(purpose) = principal.purpose.clone() else {
        let r = audit::record(
            &principal.user,
            &principal.organisation,
            action_name,
            TARGET,
            Outcome::Deny,
            "purpose required",
            "",
        );
        state.journal.record(r).await?;
        return Err(ApiError::BadRequest(format!(
            "screening requires a declared purpose: send the {} header (for example \
             `Entente-Purpose: counter-terrorism-financing`)",
            crate::auth::PURPOSE_HEADER
        )));
    };
    Ok(purpose)
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::Adjudicate => "screening.adjudicate",
        _ => "screening.screen",
    }
}

/// Records an allowed request. `durable`: wait until the record is on disk (requests that
/// store something: recorded screenings, adjudications); otherwise it is submitted to the
/// journal and committed with the next batch, as served reads are (see `audit::Journal`).
async fn record_allow(
    state: &AppState,
    principal: &Principal,
    action: Action,
    target: &str,
    detail: &str,
    durable: bool,
) -> Result<(), ApiError> {
    let mut r = audit::record(
        &principal.user,
        &principal.organisation,
        action_name(action),
        target,
        Outcome::Allow,
        "screening role",
        detail,
    );
    r.purpose = principal.purpose.clone();
    if durable {
        state.journal.record(r).await?;
    } else {
        state.journal.submit(r)?;
    }
    Ok(())
}

/// Reads a JSON body of at most [`MAX_BODY`] bytes into `T` (400 when malformed, 413 when too
/// large).
async fn read_json<T: serde::de::DeserializeOwned>(body: axum::body::Body) -> Result<T, ApiError> {
    use http_body_util::BodyExt;
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    let bytes = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(ApiError::PayloadTooLarge {
                max: MAX_BODY as u64,
            });
        }
        Err(_) => {
            return Err(ApiError::BadRequest(
                "the request body could not be read".into(),
            ));
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid: {e}")))
}

/// One query of a screening request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryBody {
    name: String,
    #[serde(default)]
    birth_date: Option<String>,
    #[serde(default)]
    nationality: Option<String>,
    #[serde(default)]
    document: Option<String>,
}

/// A screening request: one `query` or a batch of `queries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreenBody {
    #[serde(default = "default_list")]
    list: String,
    #[serde(default)]
    query: Option<QueryBody>,
    #[serde(default)]
    queries: Option<Vec<QueryBody>>,
    #[serde(default)]
    threshold: Option<f32>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    /// Store the subjects and hits (default). `false` screens without keeping anything: no
    /// adjudication can then refer to these subjects and they are not re-screened.
    #[serde(default = "yes")]
    record: bool,
}

fn yes() -> bool {
    true
}

fn default_list() -> String {
    entente_screening::UN_LIST_ID.to_owned()
}

#[derive(Debug, Serialize)]
struct ScreenResponse {
    list: String,
    list_version: String,
    list_number: u64,
    threshold: f32,
    results: Vec<ScreenReport>,
}

/// `POST /screening/v1/screen`: screens one query or a batch against the newest stored version
/// of a list; records the subjects and hits; each match carries the adjudication in force.
async fn screen_handler(
    State(state): State<AppState>,
    principal: Principal,
    body: axum::body::Body,
) -> Result<Json<ScreenResponse>, ApiError> {
    gate(&state, &principal, Action::Screen).await?;
    let req: ScreenBody = read_json(body).await?;
    let items = match (req.query, req.queries) {
        (Some(q), None) => vec![q],
        (None, Some(qs)) => qs,
        _ => {
            return Err(ApiError::BadRequest(
                "send either `query` (one object) or `queries` (an array)".into(),
            ));
        }
    };
    if items.is_empty() {
        return Err(ApiError::BadRequest("`queries` is empty".into()));
    }
    if items.len() > MAX_BATCH {
        // `max` counts bytes in the error message; a count of queries would read wrongly there.
        return Err(ApiError::PayloadTooLarge { max: 0 });
    }
    let threshold = req.threshold.unwrap_or(DEFAULT_THRESHOLD);
    validate_threshold(threshold)?;
    let kind = req.kind.as_deref().map(parse_kind).transpose()?;
    let queries = items
        .into_iter()
        .map(|q| {
            let q = Query {
                name: q.name,
                kind,
                birth_date: q.birth_date,
                nationality: q.nationality,
                document: q.document,
            };
            validate_query(&q).map(|()| q)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let list = load_list(&state.store, &req.list).await?;
    let n = queries.len();
    let matches = screen_matches(&list, &queries, threshold).await?;
    let matched = matches.iter().filter(|m| !m.is_empty()).count();
    // A recorded screening is answered once both the subjects with their hits and the audit
    // record are durable. They are two commits to two files (the audit log has its own on
    // SQLite), so they are made side by side: the answer waits for the slower flush, not for
    // the sum of both. The audit record is of the decision to screen, which stands whether or
    // not storing the subjects then fails (the request then fails, and says so).
    let target = format!("{TARGET}:{}", list.info.list);
    let detail = format!(
        "version={} queries={n} with_matches={matched} threshold={threshold} record={}",
        list.info.version, req.record
    );
    let audited = record_allow(
        &state,
        &principal,
        Action::Screen,
        &target,
        &detail,
        req.record,
    );
    let reported = reports(&state.store, &list, queries, matches, req.record);
    let (results, ()) = tokio::try_join!(reported, audited)?;
    Ok(Json(ScreenResponse {
        list: list.info.list.clone(),
        list_version: list.info.version.clone(),
        list_number: list.info.number,
        threshold,
        results,
    }))
}

/// `GET /screening/v1/lists`: the stored list versions with their diff counts.
async fn lists_handler(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<serde_json::Value>, ApiError> {
    gate(&state, &principal, Action::Screen).await?;
    let versions = state.store.list_versions(None).await?;
    record_allow(&state, &principal, Action::Screen, TARGET, "lists", false).await?;
    Ok(Json(serde_json::json!({ "versions": versions })))
}

/// `GET /screening/v1/subjects/{key}`: a screened subject, its hits and the adjudications.
async fn subject_handler(
    State(state): State<AppState>,
    principal: Principal,
    Path(key): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    gate(&state, &principal, Action::Screen).await?;
    let subject = match state.store.subject(&key).await {
        Ok(s) => s,
        Err(entente_store::Error::NotFound(_)) => {
            return Err(ApiError::NotFound("no such subject".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let hits: Vec<serde_json::Value> = state
        .store
        .subject_hits(&key)
        .await?
        .into_iter()
        .map(|h| {
            serde_json::json!({
                "list": h.list, "id": h.entry_id, "status": h.status, "score": h.score,
                "name": h.matched_name, "first_number": h.first_number,
                "last_number": h.last_number,
                "match": serde_json::from_str::<serde_json::Value>(&h.body).unwrap_or_default(),
            })
        })
        .collect();
    let adjudications = state.store.adjudications(&key).await?;
    record_allow(
        &state,
        &principal,
        Action::Screen,
        &format!("{TARGET}:subject:{key}"),
        "subject",
        false,
    )
    .await?;
    Ok(Json(serde_json::json!({
        "subject": subject, "hits": hits, "adjudications": adjudications,
    })))
}

/// An adjudication request: the deciding user is the authenticated principal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjudicationBody {
    subject: String,
    #[serde(default = "default_list")]
    list: String,
    entry_id: String,
    decision: AdjudicationDecision,
    reason: String,
}

/// `POST /screening/v1/adjudications`: records the authenticated user's decision on a hit.
async fn adjudication_handler(
    State(state): State<AppState>,
    principal: Principal,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<Adjudication>), ApiError> {
    gate(&state, &principal, Action::Adjudicate).await?;
    let req: AdjudicationBody = read_json(body).await?;
    if req.reason.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "an adjudication needs a reason".into(),
        ));
    }
    let a = adjudicate(
        &state.store,
        &req.subject,
        &req.list,
        &req.entry_id,
        req.decision,
        &req.reason,
        &principal.user,
    )
    .await?;
    record_allow(
        &state,
        &principal,
        Action::Adjudicate,
        &format!("{TARGET}:{}:{}", a.list, a.entry_id),
        &format!(
            "subject={} decision={} seq={}",
            a.subject,
            a.decision.as_str(),
            a.seq
        ),
        true,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}
