//! One STIX object: its exact JSON text plus typed header fields.

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::json::{Members, as_str};
use crate::{StixId, Timestamp};

type Field<'a> = Result<Option<std::borrow::Cow<'a, str>>, &'static str>;

/// The header members of an object, each missing, a string, or of the wrong JSON type.
struct Header<'a> {
    kind: Field<'a>,
    id: Field<'a>,
    spec_version: Field<'a>,
    created: Field<'a>,
    modified: Field<'a>,
}

/// One STIX object (SDO, SRO, SCO, marking-definition, language-content, extension-definition
/// or custom), holding the exact JSON text it was read from.
#[derive(Clone, Debug)]
pub struct Object {
    /// The JSON text of one object: valid JSON by construction (read through serde_json, or
    /// vouched for by [`Object::from_stored`]'s caller).
    raw: Box<str>,
    id: StixId,
    spec_version: Option<Cow<'static, str>>,
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
}

/// Why bytes could not be read as a STIX object at all (as opposed to a validation finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Not JSON, or not a JSON object.
    #[error("not a JSON object: {0}")]
    Json(String),
    /// A header property is missing or has the wrong form.
    #[error("{object}: property `{property}`: {message}")]
    Header {
        /// The object's id, or `<unknown>` when the id itself is bad.
        object: String,
        /// The property name.
        property: &'static str,
        /// What was expected.
        message: String,
    },
}

impl Object {
    /// Reads one object from its JSON text. Only the header is checked here (a JSON object with
    /// a well-formed `id` whose type part equals `type`, and well-formed `created`/`modified`
    /// when present); the rest is checked by validation.
    pub fn from_json(text: &str) -> Result<Object, ParseError> {
        let raw: Box<RawValue> =
            serde_json::from_str(text).map_err(|e| ParseError::Json(e.to_string()))?;
        Self::from_raw(raw)
    }

    /// Reads one object from owned JSON text, without copying it when it has no surrounding
    /// whitespace (the streaming reader's path).
    pub fn from_string(text: String) -> Result<Object, ParseError> {
        let raw = RawValue::from_string(text).map_err(|e| ParseError::Json(e.to_string()))?;
        Self::from_raw(raw)
    }

    /// Reads one object from an already-delimited raw JSON value.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Object, ParseError> {
        // The text is valid JSON (a `RawValue`), so the header is found by a scanner that only
        // locates members; a second validating parse would double the cost of reading.
        let raw: Box<str> = raw.into();
        let members =
            Members::parse_until(&raw, &["type", "id", "spec_version", "created", "modified"])
                .ok_or_else(|| ParseError::Json("expected a JSON object".to_owned()))?;
        let text = |k: &str| -> Result<Option<std::borrow::Cow<'_, str>>, &'static str> {
            match members.get(k) {
                None => Ok(None),
                Some(v) => as_str(v).map(Some).ok_or("expected a string"),
            }
        };
        let h = Header {
            kind: text("type"),
            id: text("id"),
            spec_version: text("spec_version"),
            created: text("created"),
            modified: text("modified"),
        };
        let id_text = match &h.id {
            Ok(v) => v.as_deref(),
            Err(m) => return Err(id_error((*m).into())),
        };
        let id = parse_id(id_text.ok_or_else(|| id_error("required property missing".into()))?)?;
        let hdr = |property, message: String| header_error(&id, property, message);
        let kind = h.kind.map_err(|m| hdr("type", m.into()))?;
        match kind.as_deref() {
            None => return Err(hdr("type", "required property missing".into())),
            Some(t) if t != id.object_type() => {
                return Err(hdr(
                    "type",
                    format!("`{t}` does not match the id's type part"),
                ));
            }
            Some(_) => {}
        }
        let ts = |v: Result<Option<std::borrow::Cow<'_, str>>, &'static str>, p| match v {
            Err(m) => Err(hdr(p, m.into())),
            Ok(v) => parse_timestamp(&id, p, v.as_deref()),
        };
        let created = ts(h.created, "created")?;
        let modified = ts(h.modified, "modified")?;
        let spec_version = h
            .spec_version
            .map_err(|m| hdr("spec_version", m.into()))?
            .map(|s| spec_version(&s));
        Ok(Object {
            raw,
            id,
            spec_version,
            created,
            modified,
        })
    }

    /// Rebuilds an object that was read (and validated) before, from its JSON text and the
    /// header facts kept beside it: a store's own records, served back by the thousand. The
    /// text is not parsed again; only `spec_version` is looked up in it (usually among the first
    /// members). The caller vouches that `json` is the text of a JSON object whose `id`,
    /// `created` and `modified` are these; what is checked is only that `id` and the timestamps
    /// are well formed.
    pub fn from_stored(
        json: String,
        id: &str,
        created: Option<&str>,
        modified: Option<&str>,
    ) -> Result<Object, ParseError> {
        let id = parse_id(id)?;
        let created = parse_timestamp(&id, "created", created)?;
        let modified = parse_timestamp(&id, "modified", modified)?;
        let raw = json.into_boxed_str();
        let spec_version = Members::first(&raw, "spec_version")
            .and_then(as_str)
            .map(|s| spec_version(&s));
        Ok(Object {
            raw,
            id,
            spec_version,
            created,
            modified,
        })
    }

    /// This object with its text replaced by `json`, which the caller (this crate) vouches is
    /// the text of a JSON object with the same header members (`type`, `id`, `spec_version`,
    /// `created`, `modified`): a member other than these removed from valid JSON text.
    pub(crate) fn with_json(self, json: String) -> Object {
        Object {
            raw: json.into_boxed_str(),
            ..self
        }
    }

    /// The identifier.
    pub fn id(&self) -> &StixId {
        &self.id
    }

    /// The object type (`indicator`, `ipv4-addr`, `x-acme-widget`, ...).
    pub fn object_type(&self) -> &str {
        self.id.object_type()
    }

    /// `spec_version`, when present (STIX 2.0 objects other than bundles have none).
    pub fn spec_version(&self) -> Option<&str> {
        self.spec_version.as_deref()
    }

    /// `created`, when present.
    pub fn created(&self) -> Option<&Timestamp> {
        self.created.as_ref()
    }

    /// `modified`, when present.
    pub fn modified(&self) -> Option<&Timestamp> {
        self.modified.as_ref()
    }

    /// The version of this object as TAXII 2.1 defines it: `modified`, else `created`, else
    /// none (objects without either, like most SCOs, have a single version).
    pub fn version(&self) -> Option<&Timestamp> {
        self.modified.as_ref().or(self.created.as_ref())
    }

    /// The exact JSON text.
    pub fn as_json(&self) -> &str {
        &self.raw
    }

    /// The JSON text of the top-level properties `names` (the first occurrence of each), `None`
    /// where absent, found by one scan of the object without parsing it: the cheap way to read
    /// a few properties of many objects (the ingest path reads markings this way).
    pub fn properties<const N: usize>(&self, names: [&str; N]) -> [Option<&str>; N] {
        let members = Members::parse_until(&self.raw, &names);
        names.map(|n| members.as_ref().and_then(|m| m.get(n)))
    }

    /// Parses the whole object into a `serde_json::Value` (allocates; for inspection).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.raw).expect("valid JSON by construction")
    }
}

/// A header error of an object whose id is not known (the id itself is the problem).
fn id_error(message: String) -> ParseError {
    ParseError::Header {
        object: "<unknown>".into(),
        property: "id",
        message,
    }
}

/// A header error of the object `id`.
fn header_error(id: &StixId, property: &'static str, message: String) -> ParseError {
    ParseError::Header {
        object: id.to_string(),
        property,
        message,
    }
}

/// A `spec_version` value, without an allocation for the versions in use.
fn spec_version(text: &str) -> Cow<'static, str> {
    match text {
        "2.1" => Cow::Borrowed("2.1"),
        "2.0" => Cow::Borrowed("2.0"),
        other => Cow::Owned(other.to_owned()),
    }
}

fn parse_id(text: &str) -> Result<StixId, ParseError> {
    text.parse()
        .map_err(|e: crate::IdError| id_error(e.to_string()))
}

/// The timestamp `property` of the object `id`, when present.
fn parse_timestamp(
    id: &StixId,
    property: &'static str,
    text: Option<&str>,
) -> Result<Option<Timestamp>, ParseError> {
    text.map(|t| {
        t.parse::<Timestamp>()
            .map_err(|e| header_error(id, property, e.to_string()))
    })
    .transpose()
}
