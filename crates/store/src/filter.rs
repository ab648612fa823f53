//! Translation of an [`ObjectFilter`] into a SQL `WHERE` clause, shared by both backends.
//!
//! The semantics follow TAXII 2.1 section 3.4 (query parameters):
//! - different filters are combined with a logical AND; the values of one filter (comma
//!   separated on the wire, a vector here) with a logical OR;
//! - `match[version]`: `first` / `last` / `all` / a timestamp; `last` when absent. `first` and
//!   `last` are the oldest and newest version of the object among all versions stored in the
//!   collection (kept as exact flags by the writers, so that these filters are index scans);
//! - `match[spec_version]`: the listed values; when absent, only the latest `spec_version` of each
//!   object among the versions that match the other filters;
//! - `added_after` and the keyset cursor `after` are both strict lower bounds on `date_added`.
//!
//! Objects without `spec_version` are STIX 2.0 content and are stored with `spec_version` `2.0`.
//! Objects without `modified` and `created` (most SCOs) have one version whose key is the empty
//! string; `match[version]=<timestamp>` also selects such a version when the timestamp equals its
//! `date_added`, which is what the manifest reports as its version.

use crate::{ObjectFilter, VersionMatch};

/// The SQL dialect: placeholders, boolean literals and list membership differ.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound parameter.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
    TextList(Vec<String>),
}

/// A `WHERE` clause over the `objects` table aliased `o`, with its parameters in order.
pub(crate) struct Clause {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
    dialect: Dialect,
}

impl Clause {
    pub(crate) fn new(dialect: Dialect) -> Clause {
        Clause {
            sql: String::new(),
            params: Vec::new(),
            dialect,
        }
    }

    /// Adds a parameter and returns its placeholder.
    pub(crate) fn bind(&mut self, p: Param) -> String {
        self.params.push(p);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.params.len()),
            Dialect::Postgres => format!("${}", self.params.len()),
        }
    }

    fn and(&mut self, cond: &str) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(cond);
    }

    fn flag(&self, alias: &str, column: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("{alias}.{column} = 1"),
            Dialect::Postgres => format!("{alias}.{column}"),
        }
    }

    fn in_list(&mut self, expr: &str, values: &[String]) -> String {
        match self.dialect {
            Dialect::Sqlite => {
                let ph: Vec<String> = values
                    .iter()
                    .map(|v| self.bind(Param::Text(v.clone())))
                    .collect();
                format!("{expr} IN ({})", ph.join(", "))
            }
            Dialect::Postgres => {
                let ph = self.bind(Param::TextList(values.to_vec()));
                format!("{expr} = ANY({ph})")
            }
        }
    }

    /// The `match[version]` predicate on the row aliased `alias`, or `None` for `all`.
    fn version_predicate(&mut self, alias: &str, versions: &[VersionMatch]) -> Option<String> {
        if versions.contains(&VersionMatch::All) {
            return None;
        }
        let mut parts = Vec::new();
        let mut first = false;
        let mut last = versions.is_empty();
        for v in versions {
            match v {
                VersionMatch::First => first = true,
                VersionMatch::Last => last = true,
                VersionMatch::All => unreachable!("handled above"),
                VersionMatch::At(ts) => {
                    let k = self.bind(Param::Text(ts.sort_key()));
                    let d = self.bind(Param::Int(ts.unix_micros()));
                    parts.push(format!(
                        "({alias}.vkey = {k} OR ({alias}.vkey = '' AND {alias}.date_added = {d}))"
                    ));
                }
            }
        }
        if first {
            parts.insert(0, self.flag(alias, "is_first"));
        }
        if last {
            parts.insert(0, self.flag(alias, "is_last"));
        }
        Some(if parts.len() == 1 {
            parts.pop().expect("one part")
        } else {
            format!("({})", parts.join(" OR "))
        })
    }
}

/// Whether the version filter can select at most one version per object (then "the latest
/// spec_version among the selected versions" is that version, and needs no predicate).
fn single_version(versions: &[VersionMatch]) -> bool {
    matches!(versions, [] | [VersionMatch::First] | [VersionMatch::Last])
}

/// Builds the clause for the object, manifest and versions queries. `coll` is the collection's
/// internal key. The caller appends ordering and the limit.
pub(crate) fn page_clause(dialect: Dialect, coll: i64, f: &ObjectFilter) -> Clause {
    let mut c = Clause::new(dialect);
    let coll = c.bind(Param::Int(coll));
    c.and(&format!("o.coll = {coll}"));
    let lower = match (f.added_after, f.after) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    if let Some(d) = lower {
        let p = c.bind(Param::Int(d.0));
        c.and(&format!("o.date_added > {p}"));
    }
    if !f.ids.is_empty() {
        if c.dialect == Dialect::Sqlite {
            // The id index is on a 64-bit hash of the id (see `id_hash`), read as `k` (the
            // SQLite store joins it, see `sqlite::page_query`); the text comparison below
            // removes the (astronomically rare) collisions.
            let ph: Vec<String> = f
                .ids
                .iter()
                .map(|i| c.bind(Param::Int(id_hash(i))))
                .collect();
            c.and(&format!("k.coll = {coll} AND k.idh IN ({})", ph.join(", ")));
        }
        let cond = c.in_list("o.id", &f.ids);
        c.and(&cond);
    }
    if !f.types.is_empty() {
        let cond = c.in_list("o.type", &f.types);
        c.and(&cond);
    }
    version_and_spec(&mut c, f);
    c
}

/// Builds the clause for deleting versions of one object: only `match[version]` and
/// `match[spec_version]` apply (TAXII 2.1 section 5.7).
pub(crate) fn delete_clause(dialect: Dialect, coll: i64, id: &str, f: &ObjectFilter) -> Clause {
    let mut c = Clause::new(dialect);
    let coll = c.bind(Param::Int(coll));
    c.and(&format!("o.coll = {coll}"));
    if dialect == Dialect::Sqlite {
        let h = c.bind(Param::Int(id_hash(id)));
        c.and(&versions_by_hash("o", &coll, &format!("= {h}")));
    }
    let p = c.bind(Param::Text(id.to_owned()));
    c.and(&format!("o.id = {p}"));
    version_and_spec(&mut c, f);
    c
}

fn version_and_spec(c: &mut Clause, f: &ObjectFilter) {
    if let Some(v) = c.version_predicate("o", &f.versions) {
        c.and(&v);
    }
    if !f.spec_versions.is_empty() {
        let cond = c.in_list("o.spec_version", &f.spec_versions);
        c.and(&cond);
    } else if f.versions.contains(&VersionMatch::All) {
        // Every version is selected, so "latest among the selected" is the maintained flag.
        let flag = c.flag("o", "is_latest_spec");
        c.and(&flag);
    } else if !single_version(&f.versions) {
        // Several versions per object may be selected: keep a row only when no other selected
        // version of the same object has a later spec_version.
        let inner = c
            .version_predicate("o2", &f.versions)
            .expect("not `all` in this branch");
        let (hint, same_hash) = if c.dialect == Dialect::Sqlite {
            (
                "NOT INDEXED ",
                format!("AND {} ", versions_by_hash("o2", "o.coll", "= o.idh")),
            )
        } else {
            ("", String::new())
        };
        c.and(&format!(
            "NOT EXISTS (SELECT 1 FROM objects o2 {hint}WHERE o2.coll = o.coll {same_hash}\
             AND o2.id = o.id AND o2.spec_version > o.spec_version AND {inner})"
        ));
    }
}

/// SQLite: the condition that the row `alias` of `objects` is a version whose id hash
/// satisfies `idh` (`= ?3`, `IN (...)`) in collection `coll` (SQL expressions), found through
/// both parts of the id index (the view `object_ids_all`, migration 10). The statement must
/// name the table `NOT INDEXED`, so that the rows are then read by `seq` rather than through an
/// index on `coll` that the planner may prefer; the caller still compares the id text.
pub(crate) fn versions_by_hash(alias: &str, coll: &str, idh: &str) -> String {
    format!("{alias}.seq IN (SELECT seq FROM object_ids_all WHERE coll = {coll} AND idh {idh})")
}

/// A stable 64-bit hash of an object id (FNV-1a), stored beside the id by the SQLite backend.
///
/// Why: ids are random UUIDs, so an index on the id text receives every insert at a random
/// place, and each batch dirties (and writes again, through the WAL) a page per object. Indexing
/// 8-byte hashes instead packs about five times more entries per page, which cuts the pages
/// written per batch by as much. Every lookup also compares the id text, so a collision costs
/// a second row read, never a wrong answer. The hash is part of the on-disk format: never
/// change it without a migration.
pub(crate) fn id_hash(id: &str) -> i64 {
    fnv1a(FNV_OFFSET, id.as_bytes()) as i64
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A stable 64-bit hash of a correlation hit's identity (its rule, kind, value and both sides,
/// collections by their compact key), stored beside the hit by the SQLite backend so that the
/// index that finds an equal hit before an insert holds integers, not nine text columns. Equal
/// hashes are always confirmed by comparing the columns. Part of the on-disk format, like
/// [`id_hash`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn hit_key(
    rule: &str,
    kind: &str,
    value: &str,
    a_coll: i64,
    a_id: &str,
    a_version: &str,
    b_coll: i64,
    b_id: &str,
    b_version: &str,
) -> i64 {
    let mut h = FNV_OFFSET;
    for field in [rule.as_bytes(), kind.as_bytes(), value.as_bytes()] {
        h = fnv1a(h, field);
        h = fnv1a(h, &[0x1f]);
    }
    for (coll, id, version) in [(a_coll, a_id, a_version), (b_coll, b_id, b_version)] {
        h = fnv1a(h, &coll.to_le_bytes());
        for field in [id.as_bytes(), version.as_bytes()] {
            h = fnv1a(h, field);
            h = fnv1a(h, &[0x1f]);
        }
    }
    h as i64
}

/// The `spec_version` stored for an object: its own, else `2.0` (STIX 2.0 objects carry none).
pub(crate) fn effective_spec_version(o: &entente_stix::Object) -> &str {
    o.spec_version().unwrap_or("2.0")
}

/// The version key stored for an object (see the module docs).
pub(crate) fn version_key(o: &entente_stix::Object) -> String {
    o.version().map(|t| t.sort_key()).unwrap_or_default()
}

/// The media type of a stored version, from its stored `spec_version`.
pub(crate) fn media_type(spec_version: &str) -> String {
    format!("application/stix+json;version={spec_version}")
}

/// Microseconds since the epoch, now.
pub(crate) fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Turns `limit + 1` fetched rows (or all the rows of a point read, in any order) into a page
/// (see [`crate::Page`]): `limit == 0` fetches one row to tell whether any match, and returns a
/// cursor that resumes at the same place.
pub(crate) fn into_page<T>(
    mut items: Vec<T>,
    f: &ObjectFilter,
    date_of: impl Fn(&T) -> crate::DateAdded,
) -> crate::Page<T> {
    if f.limit == 0 {
        let more = !items.is_empty();
        return crate::Page {
            items: Vec::new(),
            more,
            next: more.then(|| f.after.unwrap_or(crate::DateAdded(i64::MIN))),
        };
    }
    // The SQLite store leaves the few rows of a point read unordered (`sqlite::page_query`);
    // rows that came ordered are only checked.
    if !items.is_sorted_by_key(&date_of) {
        items.sort_by_key(&date_of);
    }
    let more = items.len() > f.limit;
    items.truncate(f.limit);
    let next = if more {
        items.last().map(&date_of)
    } else {
        None
    };
    crate::Page { items, more, next }
}

/// How many rows to fetch for a filter.
pub(crate) fn fetch_limit(f: &ObjectFilter) -> i64 {
    (f.limit.min(i64::MAX as usize - 1) as i64).saturating_add(1)
}

/// The room to reserve for the rows of one page: what [`fetch_limit`] asks for, up to a bound
/// (a page may be asked for with a huge limit and hold few rows).
pub(crate) fn page_capacity(f: &ObjectFilter) -> usize {
    f.limit.saturating_add(1).min(1024)
}
