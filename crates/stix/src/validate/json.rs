//! Lazy, borrowed access to JSON values for validation.
//!
//! Validation never builds a `serde_json::Value` for a whole object: it splits the object into
//! its top-level members (`&RawValue` slices of the original text) and parses only the members
//! a rule needs, and only as deeply as the rule needs. Long free-text properties such as
//! `description` are checked by their first byte and never decoded.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// The JSON kind of a raw value, read from its first byte (the value is valid JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Num,
    Bool,
    Null,
    Arr,
    Obj,
}

impl Kind {
    pub(crate) fn of(raw: &RawValue) -> Kind {
        match raw.get().as_bytes().first() {
            Some(b'"') => Kind::Str,
            Some(b'{') => Kind::Obj,
            Some(b'[') => Kind::Arr,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Num,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Num => "a number",
            Kind::Bool => "a boolean",
            Kind::Null => "null",
            Kind::Arr => "a list",
            Kind::Obj => "an object",
        }
    }
}

/// A map key, borrowed from the text unless it contains escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// The members of a JSON object in document order (duplicates kept, so they can be reported).
pub(crate) struct Members<'a>(pub(crate) Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(16));
                while let Some(k) = m.next_key::<Key<'de>>()? {
                    let val: &'de RawValue = m.next_value()?;
                    v.push((k.0, val));
                }
                Ok(Members(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Members<'a> {
    /// Splits `raw` (which must be a JSON object) into members.
    pub(crate) fn parse(raw: &'a RawValue) -> Option<Members<'a>> {
        if Kind::of(raw) != Kind::Obj {
            return None;
        }
        serde_json::from_str(raw.get()).ok()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &'a RawValue)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

/// The text of a JSON string value (borrowed unless it has escapes), or `None` if not a string.
pub(crate) fn as_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let t = raw.get();
    if !t.starts_with('"') {
        return None;
    }
    let inner = &t[1..t.len() - 1];
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(t).ok().map(Cow::Owned)
}

/// The elements of a JSON list, or `None` if not a list.
pub(crate) fn as_list(raw: &RawValue) -> Option<Vec<&RawValue>> {
    if Kind::of(raw) != Kind::Arr {
        return None;
    }
    serde_json::from_str(raw.get()).ok()
}

/// A JSON number as f64, or `None` if not a number.
pub(crate) fn as_f64(raw: &RawValue) -> Option<f64> {
    if Kind::of(raw) != Kind::Num {
        return None;
    }
    raw.get().parse().ok()
}

/// A JSON integer (no fraction or exponent), or `None`.
pub(crate) fn as_int(raw: &RawValue) -> Option<i128> {
    if Kind::of(raw) != Kind::Num {
        return None;
    }
    raw.get().parse().ok()
}

/// A JSON boolean, or `None`.
pub(crate) fn as_bool(raw: &RawValue) -> Option<bool> {
    match raw.get() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// A JSON path to a value, built on the stack and rendered only when an issue is reported.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Idx(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, k: &'a str) -> Path<'a> {
        Path::Key(self, k)
    }
    pub(crate) fn idx(&'a self, i: usize) -> Path<'a> {
        Path::Idx(self, i)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(p, k) => {
                p.fmt(f)?;
                if !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && !k.contains('-')
                {
                    write!(f, ".{k}")
                } else {
                    write!(f, "[{k:?}]")
                }
            }
            Path::Idx(p, i) => {
                p.fmt(f)?;
                write!(f, "[{i}]")
            }
        }
    }
}
