//! TAXII 2.1 query parameters: paging (section 3.4) and filtering (section 3.5).
//!
//! [`ObjectQuery`] is one type for every endpoint that takes parameters; each endpoint uses
//! the subset the specification gives it (objects and manifest: all of them; one object:
//! `added_after`, `limit`, `next`, `match[version]`, `match[spec_version]`; versions:
//! `added_after`, `limit`, `next`, `match[spec_version]`; delete: `match[version]`,
//! `match[spec_version]`) and ignores the rest.
//!
//! Parsing rules, decided here once for server and client:
//! - A parameter this crate does not know (`foo=1`, `match[color]=red`) is **ignored**, as
//!   section 3.5 lets servers do with filters they do not support; a client that adds a
//!   vendor filter still gets an answer, only unfiltered by it.
//! - A known parameter with a malformed value is an error (HTTP 400): `added_after` that is
//!   not a STIX timestamp, `limit` that is not a positive integer, an empty value or an empty
//!   item in a comma-separated list, invalid percent-encoding or UTF-8.
//! - `added_after`, `limit` and `next` may appear once; a second occurrence is an error,
//!   because silently picking one would page differently from what the client believes.
//! - `match[...]` values are comma-separated (OR); repeating a `match[...]` parameter adds
//!   values (also OR); different `match[...]` fields combine with AND.
//! - A huge `limit` is not an error: it saturates, and the server lowers it to its maximum
//!   page size (section 3.4: the server may return fewer objects than asked).

use entente_stix::Timestamp;

/// Largest number of values accepted in one `match[...]` field (all occurrences together).
/// Bounds the work a single query can ask for.
pub const MAX_FILTER_VALUES: usize = 1000;

/// Why a query string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("query parameter `{parameter}`: {message}")]
pub struct QueryError {
    /// The parameter at fault (as decoded).
    pub parameter: String,
    /// What was expected.
    pub message: String,
}

fn qerr(parameter: &str, message: impl Into<String>) -> QueryError {
    QueryError {
        parameter: parameter.chars().take(100).collect(),
        message: message.into(),
    }
}

/// A `match[version]` value (TAXII 2.1 section 3.5.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionFilter {
    /// The oldest version of each object.
    First,
    /// The newest version of each object (the default when no `match[version]` is given).
    Last,
    /// Every version.
    All,
    /// The version whose version timestamp is this instant.
    At(Timestamp),
}

impl VersionFilter {
    /// The value as written in a query.
    pub fn as_query_value(&self) -> std::borrow::Cow<'_, str> {
        match self {
            VersionFilter::First => "first".into(),
            VersionFilter::Last => "last".into(),
            VersionFilter::All => "all".into(),
            VersionFilter::At(t) => t.as_str().into(),
        }
    }
}

/// Paging and filter parameters of a TAXII request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectQuery {
    /// `added_after`: only versions added strictly after this instant.
    pub added_after: Option<Timestamp>,
    /// `limit`: the page size asked for (saturated at `u64::MAX`; the server caps it).
    pub limit: Option<u64>,
    /// `next`: the opaque token from the previous page.
    pub next: Option<String>,
    /// `match[id]`.
    pub ids: Vec<String>,
    /// `match[type]`.
    pub types: Vec<String>,
    /// `match[version]`; empty means `last`.
    pub versions: Vec<VersionFilter>,
    /// `match[spec_version]`; empty means the latest `spec_version` of each object.
    pub spec_versions: Vec<String>,
}

impl ObjectQuery {
    /// An empty query (no filters, server defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `limit`.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `added_after`.
    pub fn added_after(mut self, t: Timestamp) -> Self {
        self.added_after = Some(t);
        self
    }

    /// Adds `match[id]` values.
    pub fn ids<I: IntoIterator<Item = S>, S: Into<String>>(mut self, ids: I) -> Self {
        self.ids.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Adds `match[type]` values.
    pub fn types<I: IntoIterator<Item = S>, S: Into<String>>(mut self, types: I) -> Self {
        self.types.extend(types.into_iter().map(Into::into));
        self
    }

    /// Adds `match[version]` values.
    pub fn versions<I: IntoIterator<Item = VersionFilter>>(mut self, v: I) -> Self {
        self.versions.extend(v);
        self
    }

    /// Adds `match[spec_version]` values.
    pub fn spec_versions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, v: I) -> Self {
        self.spec_versions.extend(v.into_iter().map(Into::into));
        self
    }

    /// Parses a raw (still percent-encoded) query string, without the leading `?`.
    pub fn parse(raw: Option<&str>) -> Result<ObjectQuery, QueryError> {
        let mut q = ObjectQuery::default();
        let Some(raw) = raw else { return Ok(q) };
        let mut seen_added_after = false;
        for pair in raw.split('&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent_decode(name).map_err(|m| qerr("<name>", m))?;
            let value = percent_decode(value).map_err(|m| qerr(&name, m))?;
            match name.as_str() {
                "added_after" => {
                    if seen_added_after {
                        return Err(qerr(&name, "given more than once"));
                    }
                    seen_added_after = true;
                    let t = value.parse::<Timestamp>().map_err(|_| {
                        qerr(
                            &name,
                            "expected a timestamp like 2016-01-01T00:00:00.000Z (RFC 3339, UTC)",
                        )
                    })?;
                    q.added_after = Some(t);
                }
                "limit" => {
                    if q.limit.is_some() {
                        return Err(qerr(&name, "given more than once"));
                    }
                    q.limit = Some(parse_limit(&value).map_err(|m| qerr(&name, m))?);
                }
                "next" => {
                    if q.next.is_some() {
                        return Err(qerr(&name, "given more than once"));
                    }
                    if value.is_empty() {
                        return Err(qerr(&name, "empty value"));
                    }
                    q.next = Some(value);
                }
                "match[id]" => push_list(&mut q.ids, &name, &value, |s| Ok(s.to_owned()))?,
                "match[type]" => push_list(&mut q.types, &name, &value, |s| Ok(s.to_owned()))?,
                "match[spec_version]" => {
                    push_list(&mut q.spec_versions, &name, &value, |s| Ok(s.to_owned()))?
                }
                "match[version]" => push_list(&mut q.versions, &name, &value, |s| {
                    Ok(match s {
                        "first" => VersionFilter::First,
                        "last" => VersionFilter::Last,
                        "all" => VersionFilter::All,
                        other => VersionFilter::At(other.parse::<Timestamp>().map_err(|_| {
                            "expected `first`, `last`, `all` or a timestamp like \
                             2016-01-01T00:00:00.000Z"
                                .to_owned()
                        })?),
                    })
                })?,
                // Unknown parameters and unsupported filters are ignored (section 3.5).
                _ => {}
            }
        }
        Ok(q)
    }

    /// The query as name/value pairs, lists comma-joined, ready to be URL-encoded.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(t) = &self.added_after {
            out.push(("added_after", t.as_str().to_owned()));
        }
        if let Some(l) = self.limit {
            out.push(("limit", l.to_string()));
        }
        if let Some(n) = &self.next {
            out.push(("next", n.clone()));
        }
        if !self.ids.is_empty() {
            out.push(("match[id]", self.ids.join(",")));
        }
        if !self.types.is_empty() {
            out.push(("match[type]", self.types.join(",")));
        }
        if !self.versions.is_empty() {
            let v: Vec<_> = self.versions.iter().map(|v| v.as_query_value()).collect();
            out.push(("match[version]", v.join(",")));
        }
        if !self.spec_versions.is_empty() {
            out.push(("match[spec_version]", self.spec_versions.join(",")));
        }
        out
    }
}

fn parse_limit(value: &str) -> Result<u64, String> {
    const MSG: &str = "expected a positive integer";
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MSG.into());
    }
    let digits = value.trim_start_matches('0');
    if digits.is_empty() {
        return Err(MSG.into());
    }
    // A value too large for u64 is still a positive integer: saturate, the server caps it.
    Ok(digits.parse::<u64>().unwrap_or(u64::MAX))
}

fn push_list<T>(
    into: &mut Vec<T>,
    name: &str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<(), QueryError> {
    if value.is_empty() {
        return Err(qerr(name, "empty value"));
    }
    for item in value.split(',') {
        if item.is_empty() {
            return Err(qerr(name, "empty item in the comma-separated list"));
        }
        if into.len() >= MAX_FILTER_VALUES {
            return Err(qerr(name, format!("more than {MAX_FILTER_VALUES} values")));
        }
        into.push(parse(item).map_err(|m| qerr(name, m))?);
    }
    Ok(())
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte; the result
/// must be UTF-8.
pub fn percent_decode(s: &str) -> Result<String, String> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Ok(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ => return Err("invalid percent-encoding".into()),
                }
                i += 3;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not valid UTF-8 after percent-decoding".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<ObjectQuery, QueryError> {
        ObjectQuery::parse(Some(s))
    }

    #[test]
    fn parses_every_filter_and_combination() {
        let q = p("added_after=2016-02-01T00:00:01.000Z&limit=10&match%5Bid%5D=a--1,b--2\
                   &match[type]=indicator&match[type]=malware&match[version]=first,last,all,2017-01-01T00:00:00Z\
                   &match[spec_version]=2.0,2.1&next=tok")
        .unwrap();
        assert_eq!(q.added_after.unwrap().as_str(), "2016-02-01T00:00:01.000Z");
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.ids, ["a--1", "b--2"]);
        assert_eq!(q.types, ["indicator", "malware"]);
        assert_eq!(q.versions.len(), 4);
        assert!(matches!(q.versions[3], VersionFilter::At(_)));
        assert_eq!(q.spec_versions, ["2.0", "2.1"]);
        assert_eq!(q.next.as_deref(), Some("tok"));
    }

    #[test]
    fn unknown_parameters_are_ignored() {
        let q = p("foo=bar&match[color]=red&&x").unwrap();
        assert_eq!(q, ObjectQuery::default());
        assert_eq!(ObjectQuery::parse(None).unwrap(), ObjectQuery::default());
    }

    #[test]
    fn malformed_values_are_errors() {
        for bad in [
            "added_after=yesterday",
            "added_after=2016-02-01T00:00:01.000Z&added_after=2016-02-01T00:00:01.000Z",
            "limit=0",
            "limit=-1",
            "limit=ten",
            "limit=",
            "limit=1.5",
            "limit=1&limit=2",
            "next=",
            "next=a&next=b",
            "match[type]=",
            "match[type]=a,,b",
            "match[version]=newest",
            "match[id]=%zz",
            "match[id]=%ff",
        ] {
            assert!(p(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn huge_limit_saturates() {
        assert_eq!(
            p("limit=99999999999999999999999999").unwrap().limit,
            Some(u64::MAX)
        );
        assert_eq!(p("limit=007").unwrap().limit, Some(7));
    }

    #[test]
    fn too_many_values_are_refused() {
        let many = vec!["a"; MAX_FILTER_VALUES + 1].join(",");
        assert!(p(&format!("match[id]={many}")).is_err());
    }

    #[test]
    fn pairs_round_trip() {
        let q = ObjectQuery::new()
            .limit(5)
            .ids(["a--1"])
            .types(["indicator", "malware"])
            .versions([VersionFilter::All])
            .spec_versions(["2.1"]);
        let raw: Vec<String> = q
            .to_pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(p(&raw.join("&")).unwrap(), q);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn item() -> impl Strategy<Value = String> {
            // Values a client may send: no commas (the list separator), anything else goes,
            // including `&`, `=`, `%`, `+`, spaces and non-ASCII, which must survive encoding.
            "[^,]{1,20}"
        }

        proptest! {
            #[test]
            fn parsing_never_panics(raw in ".{0,200}") {
                let _ = ObjectQuery::parse(Some(&raw));
            }

            #[test]
            fn encoded_queries_parse_back(
                ids in proptest::collection::vec(item(), 0..4),
                types in proptest::collection::vec(item(), 0..4),
                specs in proptest::collection::vec(item(), 0..3),
                limit in proptest::option::of(1u64..u64::MAX),
                next in proptest::option::of("[A-Za-z0-9_-]{1,60}"),
            ) {
                let q = ObjectQuery {
                    limit,
                    next,
                    ids,
                    types,
                    spec_versions: specs,
                    ..ObjectQuery::default()
                };
                // Encode as reqwest/url would (application/x-www-form-urlencoded).
                let encoded: Vec<String> = q
                    .to_pairs()
                    .into_iter()
                    .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(&v)))
                    .collect();
                prop_assert_eq!(ObjectQuery::parse(Some(&encoded.join("&"))).unwrap(), q);
            }
        }

        fn form_encode(s: &str) -> String {
            let mut out = String::new();
            for b in s.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                        out.push(b as char)
                    }
                    b' ' => out.push('+'),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
            out
        }
    }
}
