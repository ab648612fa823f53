//! TAXII 2.1 media types and content negotiation (TAXII 2.1 section 1.6.8).
//!
//! Every TAXII 2.1 resource, the object envelope included, is served as
//! [`TAXII_JSON`] (`application/taxii+json;version=2.1`); [`STIX_JSON`] only appears inside
//! resources (a collection's `media_types`, a manifest record's `media_type`).
//!
//! What counts as acceptable (the spec's table in section 1.6.8.1 plus plain HTTP semantics,
//! RFC 9110 section 12.5.1):
//! - `application/taxii+json;version=2.1`;
//! - `application/taxii+json` without `version`: the spec defines it as "the latest version the
//!   server supports", which is 2.1;
//! - the wildcards `*/*` and `application/*` (HTTP: the client takes anything; curl sends
//!   `*/*` by default);
//! - no `Accept` header at all (HTTP: no preference).
//!
//! A range with `q=0` is a refusal and never matches. `application/taxii+json;version=2.0` (or
//! any other version), `application/json`, `application/stix+json` and `text/html` are not
//! acceptable: the server answers 406. Parameters other than `version` and `q` (for example
//! `charset=utf-8`) are ignored, and type, subtype and parameter names compare
//! case-insensitively, as RFC 9110 requires.
//!
//! A request body (`Content-Type`) must be `application/taxii+json` with `version=2.1` or no
//! version; anything else is 415.

/// The TAXII 2.1 media type, used for every request and response body.
pub const TAXII_JSON: &str = "application/taxii+json;version=2.1";

/// The STIX 2.1 media type, as listed in collections and manifest records.
pub const STIX_JSON: &str = "application/stix+json;version=2.1";

/// The STIX 2.0 media type (manifest records of objects without `spec_version`).
pub const STIX20_JSON: &str = "application/stix+json;version=2.0";

/// The TAXII version this crate speaks, as it appears in the `version` parameter.
pub const TAXII_VERSION: &str = "2.1";

/// One media range of an `Accept` header or a media type of a `Content-Type` header.
#[derive(Clone, Debug, PartialEq)]
pub struct MediaRange<'a> {
    /// The type, e.g. `application` or `*` (as written; compare case-insensitively).
    pub kind: &'a str,
    /// The subtype, e.g. `taxii+json` or `*`.
    pub subtype: &'a str,
    /// The `version` parameter, unquoted, when present.
    pub version: Option<&'a str>,
    /// The quality value (`q`), 1.0 when absent; 0.0 means "not acceptable".
    pub q: f32,
}

impl<'a> MediaRange<'a> {
    /// Parses one media range (`type/subtype *(;param=value)`). Returns `None` when it is not
    /// of that form.
    pub fn parse(text: &'a str) -> Option<MediaRange<'a>> {
        let mut parts = text.split(';');
        let essence = parts.next()?.trim();
        let (kind, subtype) = essence.split_once('/')?;
        let (kind, subtype) = (kind.trim(), subtype.trim());
        if kind.is_empty() || subtype.is_empty() || !is_token(kind) || !is_token(subtype) {
            return None;
        }
        let mut range = MediaRange {
            kind,
            subtype,
            version: None,
            q: 1.0,
        };
        for param in parts {
            let param = param.trim();
            if param.is_empty() {
                continue;
            }
            let (name, value) = param.split_once('=')?;
            let name = name.trim();
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            if name.eq_ignore_ascii_case("q") {
                // RFC 9110 section 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
                let q: f32 = value.parse().ok()?;
                if !(0.0..=1.0).contains(&q) {
                    return None;
                }
                range.q = q;
            } else if name.eq_ignore_ascii_case("version") {
                range.version = Some(value);
            }
        }
        Some(range)
    }

    /// Whether this range is the TAXII media type in a version this crate serves (2.1, or no
    /// version meaning "latest").
    pub fn is_taxii_21(&self) -> bool {
        self.kind.eq_ignore_ascii_case("application")
            && self.subtype.eq_ignore_ascii_case("taxii+json")
            && self.version.is_none_or(|v| v == TAXII_VERSION)
    }

    /// Whether a response of type [`TAXII_JSON`] satisfies this range.
    fn admits_taxii_21(&self) -> bool {
        if self.q <= 0.0 {
            return false;
        }
        if self.kind == "*" {
            return self.subtype == "*";
        }
        if !self.kind.eq_ignore_ascii_case("application") {
            return false;
        }
        if self.subtype == "*" {
            return true;
        }
        self.is_taxii_21()
    }
}

fn is_token(s: &str) -> bool {
    // RFC 9110 section 5.6.2 tchar.
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether a response in [`TAXII_JSON`] is acceptable to a client that sent this `Accept`
/// header (`None` when the request had none). See the module documentation for the rules.
pub fn accepts_taxii(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return true;
    };
    if accept.trim().is_empty() {
        return true;
    }
    accept
        .split(',')
        .filter_map(|r| MediaRange::parse(r.trim()))
        .any(|r| r.admits_taxii_21())
}

/// Whether a request body with this `Content-Type` is a TAXII 2.1 body
/// (`application/taxii+json` with `version=2.1` or no version).
pub fn is_taxii_content_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(MediaRange::parse)
        .is_some_and(|r| r.is_taxii_21())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_exact_and_versionless_and_wildcards() {
        assert!(accepts_taxii(Some("application/taxii+json;version=2.1")));
        assert!(accepts_taxii(Some("application/taxii+json; version=2.1")));
        assert!(accepts_taxii(Some(
            "application/taxii+json;version=\"2.1\""
        )));
        assert!(accepts_taxii(Some("Application/TAXII+JSON;Version=2.1")));
        assert!(accepts_taxii(Some("application/taxii+json")));
        assert!(accepts_taxii(Some("*/*")));
        assert!(accepts_taxii(Some("application/*")));
        assert!(accepts_taxii(None));
        assert!(accepts_taxii(Some("")));
        assert!(accepts_taxii(Some(
            "text/html, application/taxii+json;version=2.1;q=0.5"
        )));
        assert!(accepts_taxii(Some(
            "application/taxii+json;charset=utf-8;version=2.1"
        )));
    }

    #[test]
    fn accept_refusals() {
        assert!(!accepts_taxii(Some("application/taxii+json;version=2.0")));
        assert!(!accepts_taxii(Some("application/json")));
        assert!(!accepts_taxii(Some("application/stix+json;version=2.1")));
        assert!(!accepts_taxii(Some("text/html")));
        assert!(!accepts_taxii(Some("text/*")));
        assert!(!accepts_taxii(Some(
            "application/taxii+json;version=2.1;q=0"
        )));
        assert!(!accepts_taxii(Some("*/*;q=0")));
        assert!(!accepts_taxii(Some("garbage")));
        assert!(!accepts_taxii(Some("application/taxii+json;q=2")));
        assert!(!accepts_taxii(Some("*/json")));
    }

    #[test]
    fn content_types() {
        assert!(is_taxii_content_type(Some(TAXII_JSON)));
        assert!(is_taxii_content_type(Some("application/taxii+json")));
        assert!(is_taxii_content_type(Some(
            "application/taxii+json; version=2.1; charset=utf-8"
        )));
        assert!(!is_taxii_content_type(None));
        assert!(!is_taxii_content_type(Some("application/json")));
        assert!(!is_taxii_content_type(Some(
            "application/taxii+json;version=2.0"
        )));
        assert!(!is_taxii_content_type(Some(STIX_JSON)));
        assert!(!is_taxii_content_type(Some("*/*")));
    }

    proptest::proptest! {
        #[test]
        fn negotiation_never_panics(accept in ".{0,120}") {
            let _ = accepts_taxii(Some(&accept));
            let _ = is_taxii_content_type(Some(&accept));
        }
    }
}
