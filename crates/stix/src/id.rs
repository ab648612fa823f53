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

impl StixId {
    /// The object type part (before `--`).
    pub fn object_type(&self) -> &str {
        self.0.split_once("--").map(|(t, _)| t).unwrap_or("")
    }

    /// The UUID part (after `--`).
    pub fn uuid(&self) -> uuid::Uuid {
        let (_, u) = self.0.split_once("--").expect("checked at construction");
        uuid::Uuid::parse_str(u).expect("checked at construction")
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
        && !t.contains("--")
}

impl FromStr for StixId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason| IdError {
            value: s.chars().take(100).collect(),
            reason,
        };
        let (t, u) = s
            .split_once("--")
            .ok_or_else(|| err("expected `type--UUID`"))?;
        if !valid_type_name(t) {
            return Err(err(
                "the type part must be 3-250 lowercase letters, digits or hyphens",
            ));
        }
        // The UUID must be in the canonical hyphenated lowercase-or-uppercase form.
        if u.len() != 36 || uuid::Uuid::parse_str(u).is_err() {
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
