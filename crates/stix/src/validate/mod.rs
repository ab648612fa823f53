//! Validation of STIX 2.1 objects against the specification.
//!
//! [`validate`] checks one [`Object`] and returns a [`Report`]: a list of [`Issue`]s, each
//! naming the object id, the JSON path of the offending value (`$.external_references[0]
//! .source_name`), a stable rule name, and what was expected. Errors are violations of a MUST
//! in the specification; warnings are violations of a SHOULD, values outside an open
//! vocabulary, and unknown property names.
//!
//! What is *not* here: checks across objects (that a referenced object exists, that a
//! `modified` is newer than a stored version). Those need a store; this crate does no I/O.
//!
//! Custom content (STIX 2.1 section 11): objects of unknown types are checked for their common
//! properties only. Properties named `x_…` are custom properties and are accepted silently
//! (ATT&CK and OpenCTI rely on them). Any other property name that the type does not define is
//! a warning (`unknown-property`) unless the object declares a `toplevel-property-extension`;
//! a property name that is not 3–250 characters of `a-z`, `0-9` and `_` is an error. This is
//! stix2-validator's default behaviour in spirit, without its strict mode.

mod rules;
mod sco_id;
mod vocab;

use std::fmt;

pub use sco_id::deterministic_id;

use crate::Object;

/// How serious an [`Issue`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A SHOULD of the specification is not met, a value is outside an open vocabulary, or a
    /// property is unknown. The object is still valid STIX.
    Warning,
    /// A MUST of the specification is not met. The object is not valid STIX.
    Error,
}

/// One finding about one object.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// Error or warning.
    pub severity: Severity,
    /// The object's id.
    pub object: String,
    /// The JSON path of the offending value, from the object's root (`$`).
    pub path: String,
    /// A stable rule name (`required-property`, `timestamp-order`, …) for programs and tests.
    pub rule: &'static str,
    /// What was expected, for people.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{s}[{}] {} {}: {}",
            self.rule, self.object, self.path, self.message
        )
    }
}

/// The outcome of validating one object: every issue found, in the order the rules ran
/// (common and type properties first, co-constraints after).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// All issues, errors and warnings.
    pub issues: Vec<Issue>,
}

impl Report {
    /// True when there is no error (warnings allowed): the object is valid STIX 2.1.
    pub fn is_valid(&self) -> bool {
        !self.issues.iter().any(|i| i.severity == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues.iter().filter(|i| i.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|i| i.severity == Severity::Warning)
    }

    /// True when some issue (of any severity) has this rule name.
    pub fn has_rule(&self, rule: &str) -> bool {
        self.issues.iter().any(|i| i.rule == rule)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.issues {
            writeln!(f, "{i}")?;
        }
        Ok(())
    }
}

/// Validates one object against STIX 2.1. Never fails: everything found is in the report.
pub fn validate(object: &Object) -> Report {
    let mut ctx = rules::Ctx::new(object.id().as_str());
    rules::check_object(object, &mut ctx);
    Report { issues: ctx.issues }
}

impl Object {
    /// Validates this object against STIX 2.1 (see [`validate`]).
    pub fn validate(&self) -> Report {
        validate(self)
    }
}
