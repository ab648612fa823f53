//! STIX identifiers: `type--UUID`.

use std::fmt;
use std::str::FromStr;

/// A STIX identifier of the form `object-type--UUID` (STIX 2.1 section 2.9).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StixId(String);

/// Why a string is not a STIX identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid identifier {value:?}: {reason}")]
pub struct IdError {
    /// The rejected value (truncated to 100 characters).
    pub value: String,
    /// What was expected.
    pub reason: &'static str,
}

/// The length of what follows the type in an identifier: `--` and a hyphenated UUID.
const SUFFIX: usize = 2 + 36;

impl StixId {
    /// The object type part (before `--`).
    pub fn object_type(&self) -> &str {
        // Checked at construction: the type, `--`, then 36 ASCII characters.
        &self.0[..self.0.len() - SUFFIX]
    }

    /// The UUID part (after `--`).
    pub fn uuid(&self) -> uuid::Uuid {
        uuid::Uuid::parse_str(&self.0[self.0.len() - 36..]).expect("checked at construction")
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes the identifier and returns its text.
    pub fn into_string(self) -> String {
        self.0
    }
}

fn valid_type_name(t: &str) -> bool {
    // STIX 2.1 section 3.1 (type): 3..=250 characters, lowercase ASCII letters, digits and
    // hyphens; must begin with a letter, must not end with a hyphen, no double hyphens.
    let b = t.as_bytes();
    (3..=250).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b[b.len() - 1] != b'-'
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && type_of(t).is_none()
}

/// The canonical hyphenated form of a UUID: 8-4-4-4-12 hexadecimal digits, either case (what
/// `uuid::Uuid::parse_str` accepts at 36 characters, checked without decoding it: every
/// object read from a store has its identifier checked).
fn is_hyphenated_uuid(u: &str) -> bool {
    let b = u.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// What precedes the first `--` of `text`, the type of an identifier (unchecked: `text` may
/// be any string, as the identifiers of observations given to the pattern matcher are). Found
/// byte by byte: a `--` pattern would build a substring searcher for every identifier read,
/// and identifiers are read for every object stored or served. The scan looks at every other
/// byte until a hyphen turns up: a pair `--` always has a hyphen at an odd offset from any
/// even starting point.
#[inline]
pub fn type_of(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i + 1] != b'-' {
            i += 2;
        } else if b[i] == b'-' {
            return Some(&text[..i]);
        } else {
            i += 1;
        }
    }
    None
}

impl FromStr for StixId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| IdError {
            value: s.chars().take(100).collect(),
            reason,
        };
        let t = type_of(s).ok_or_else(|| err("expected `type--UUID`"))?;
        let u = &s[t.len() + 2..];
        if !valid_type_name(t) {
            return Err(err(
                "the type part must be 3-250 lowercase letters, digits or hyphens",
            ));
        }
        // The UUID must be in the canonical hyphenated lowercase-or-uppercase form.
        if !is_hyphenated_uuid(u) {
            return Err(err("the part after `--` must be an RFC 4122 UUID"));
        }
        Ok(StixId(s.to_owned()))
    }
}

impl fmt::Display for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for StixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StixId({})", self.0)
    }
}

impl AsRef<str> for StixId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{StixId, type_of};

    #[test]
    fn type_of_examples() {
        for (id, want) in [
            ("file--1234", Some("file")),
            ("observed-data--x", Some("observed-data")),
            ("x-a-b--c--d", Some("x-a-b")),
            ("---", Some("")),
            ("a---b", Some("a")),
            ("a-b-c", None),
            ("a-", None),
            ("", None),
            ("é--1", Some("é")),
        ] {
            assert_eq!(type_of(id), want, "{id}");
        }
    }

    proptest! {
        /// The stride-two scan finds what a search for the first `--` finds.
        #[test]
        fn type_of_is_the_text_before_the_first_double_hyphen(id in "[ab-]{0,12}") {
            let at = id.as_bytes().windows(2).position(|w| w == b"--");
            prop_assert_eq!(type_of(&id), at.map(|at| &id[..at]));
        }

        /// The UUID check accepts exactly what the `uuid` crate parses at 36 characters.
        #[test]
        fn the_uuid_check_agrees_with_the_uuid_crate(u in "[0-9a-fA-Fg{}-]{30,38}") {
            let crate_says = u.len() == 36 && uuid::Uuid::parse_str(&u).is_ok();
            prop_assert_eq!(super::is_hyphenated_uuid(&u), crate_says, "{}", u);
        }

        #[test]
        fn hyphenated_uuids_of_either_case_are_accepted(
            bytes in any::<[u8; 16]>(),
            upper in any::<bool>(),
        ) {
            let text = uuid::Uuid::from_bytes(bytes).hyphenated().to_string();
            let text = if upper { text.to_uppercase() } else { text };
            prop_assert!(super::is_hyphenated_uuid(&text), "{}", text);
        }
    }

    #[test]
    fn the_separator_is_the_first_double_hyphen() {
        let uuid = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
        let ok: StixId = format!("x-my-type--{uuid}").parse().expect("valid");
        assert_eq!(ok.object_type(), "x-my-type");
        assert_eq!(ok.uuid().to_string(), uuid);
        for bad in [
            format!("a--b--{uuid}"),
            format!("in--dicator--{uuid}"),
            format!("indicator-{uuid}"),
            format!("indicator---{uuid}"),
            format!("indicator--{uuid}x"),
            format!("indicator--x{uuid}"),
            format!("Indicator--{uuid}"),
            format!("ab--{uuid}"),
            format!("indicator--{}", &uuid[..35]),
            format!("indicator--{}", uuid.replace('-', "")),
            format!("indicator--{{{uuid}}}"),
            format!("indicator--é{}", &uuid[2..]),
            format!("indicatoré--{uuid}"),
            "--".to_owned(),
            String::new(),
        ] {
            let e = bad.parse::<StixId>().expect_err(&bad);
            assert!(!e.reason.is_empty(), "{bad}");
        }
    }

    #[test]
    fn the_type_is_what_precedes_the_first_double_hyphen() {
        use super::type_of;
        assert_eq!(type_of("file--6a7a3a48"), Some("file"));
        assert_eq!(type_of("x-custom-thing--1--2"), Some("x-custom-thing"));
        assert_eq!(type_of("--1"), Some(""));
        assert_eq!(type_of("a-b-c"), None);
        assert_eq!(type_of("-"), None);
        assert_eq!(type_of(""), None);
        assert_eq!(type_of("ipv4-addr--"), Some("ipv4-addr"));
    }

    #[test]
    fn multibyte_text_around_the_separator_is_refused_without_panicking() {
        // Byte positions that fall inside a character must not be sliced.
        for s in [
            "é--6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "indicator--6ba7b810-9dad-11d1-80b4-00c04fd430cé",
            "indicator-é6ba7b810-9dad-11d1-80b4-00c04fd430c8",
            "ééééééééééééééééééééééé",
        ] {
            assert!(s.parse::<StixId>().is_err(), "{s}");
        }
    }
}
