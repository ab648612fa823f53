//! Lazy, borrowed access to JSON text that is already known to be valid.
//!
//! Validation never builds a `serde_json::Value` for a whole object: it splits the object into
//! its top-level members (slices of the original text) and parses only the members
//! a rule needs, and only as deeply as the rule needs. Long free-text properties such as
//! `description` are checked by their first byte and never decoded.

use std::borrow::Cow;
use std::fmt;

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
    pub(crate) fn of(raw: &str) -> Kind {
        match raw.as_bytes().first() {
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

/// The members of a JSON object in document order (duplicates kept, so they can be reported).
///
/// Built by [`Members::parse`], a hand-written scanner over text that is already known to be
/// valid JSON (it comes from a `RawValue`): it only finds where keys and values begin and
/// end, skipping string contents with `memchr2`, so it costs a fraction of a parse.
pub(crate) struct Members<'a>(pub(crate) Vec<(Cow<'a, str>, &'a str)>);

impl<'a> Members<'a> {
    /// Splits `text` (valid JSON) into members, or `None` if it is not an object.
    pub(crate) fn parse(text: &'a str) -> Option<Members<'a>> {
        Self::scan(text, &[])
    }

    /// Like [`Members::parse`], but stops as soon as every key of `wanted` has been seen
    /// (reading an object's header does not need its long tail of other properties).
    pub(crate) fn parse_until(text: &'a str, wanted: &[&str]) -> Option<Members<'a>> {
        Self::scan(text, wanted)
    }

    fn scan(text: &'a str, wanted: &[&str]) -> Option<Members<'a>> {
        let mut missing = wanted.len();
        let b = text.as_bytes();
        if b.first() != Some(&b'{') {
            return None;
        }
        let mut v = Vec::with_capacity(16);
        let mut i = skip_ws(b, 1);
        if b.get(i) == Some(&b'}') {
            return Some(Members(v));
        }
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            // Property names rarely have escapes: find the closing quote directly and borrow.
            let plain = b[i + 1..].iter().position(|&c| c == b'"' || c == b'\\');
            let (kend, key) = match plain {
                Some(k) if b[i + 1 + k] == b'"' => {
                    (i + k + 2, Cow::Borrowed(&text[i + 1..i + 1 + k]))
                }
                _ => {
                    let kend = string_end(b, i)?;
                    (kend, decode_str(&text[i..kend])?)
                }
            };
            i = skip_ws(b, kend);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(b, i + 1);
            let vend = value_end(b, i)?;
            if missing > 0 && wanted.contains(&key.as_ref()) && !v.iter().any(|(k, _)| *k == key) {
                missing -= 1;
                if missing == 0 {
                    v.push((key, &text[i..vend]));
                    return Some(Members(v));
                }
            }
            v.push((key, &text[i..vend]));
            i = skip_ws(b, vend);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                Some(b'}') => return Some(Members(v)),
                _ => return None,
            }
        }
    }

    /// The value of the first member named `key`, found without collecting the members
    /// before it: what [`Members::parse_until`] with that one key and [`Members::get`] give,
    /// without allocating (reading one header property of many stored objects).
    pub(crate) fn first(text: &'a str, key: &str) -> Option<&'a str> {
        let b = text.as_bytes();
        if b.first() != Some(&b'{') {
            return None;
        }
        let mut i = skip_ws(b, 1);
        if b.get(i) == Some(&b'}') {
            return None;
        }
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let plain = b[i + 1..].iter().position(|&c| c == b'"' || c == b'\\');
            let (kend, found) = match plain {
                Some(k) if b[i + 1 + k] == b'"' => (i + k + 2, &text[i + 1..i + 1 + k] == key),
                _ => {
                    let kend = string_end(b, i)?;
                    (kend, decode_str(&text[i..kend])? == key)
                }
            };
            i = skip_ws(b, kend);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(b, i + 1);
            let vend = value_end(b, i)?;
            if found {
                return Some(&text[i..vend]);
            }
            i = skip_ws(b, vend);
            match b.get(i) {
                Some(b',') => i = skip_ws(b, i + 1),
                _ => return None,
            }
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &'a str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    loop {
        match b.get(i) {
            Some(b' ') => {
                // Pretty-printed JSON is mostly indentation: skip it eight bytes at a time.
                i += 1;
                while let Some(w) = b.get(i..i + 8) {
                    if u64::from_ne_bytes(w.try_into().expect("8 bytes")) != SPACES {
                        break;
                    }
                    i += 8;
                }
            }
            Some(b'\n' | b'\r' | b'\t') => i += 1,
            _ => return i,
        }
    }
}

/// `i` is at an opening quote; returns the index just past the closing quote.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    // Most strings (property names, identifiers, timestamps) are short: a plain loop finds
    // their end before `memchr2` would have finished setting up.
    let short = b.len().min(i + 24);
    while i < short {
        match b[i] {
            b'"' => return Some(i + 1),
            b'\\' => break,
            _ => i += 1,
        }
    }
    loop {
        let k = memchr::memchr2(b'"', b'\\', &b[i..])?;
        i += k;
        if b[i] == b'\\' {
            i += 2;
        } else {
            return Some(i + 1);
        }
    }
}

/// `i` is at the first byte of a value; returns the index just past it.
fn value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0u32;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    b' ' | b'\n' | b'\r' | b'\t' => {
                        j = skip_ws(b, j);
                        continue;
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while let Some(c) = b.get(j) {
                if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    break;
                }
                j += 1;
            }
            Some(j)
        }
    }
}

/// Decodes a JSON string literal (with its quotes), borrowing when it has no escapes.
fn decode_str(lit: &str) -> Option<Cow<'_, str>> {
    let inner = &lit[1..lit.len() - 1];
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(lit).ok().map(Cow::Owned)
}

/// The text of a JSON string value (borrowed unless it has escapes), or `None` if not a string.
pub(crate) fn as_str(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.starts_with('"') {
        return None;
    }
    decode_str(raw)
}

/// The elements of a JSON list, or `None` if not a list.
pub(crate) fn as_list(raw: &str) -> Option<Vec<&str>> {
    let b = raw.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    let mut v = Vec::new();
    let mut i = skip_ws(b, 1);
    if b.get(i) == Some(&b']') {
        return Some(v);
    }
    loop {
        let end = value_end(b, i)?;
        v.push(&raw[i..end]);
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return Some(v),
            _ => return None,
        }
    }
}

/// A JSON number as f64, or `None` if not a number.
pub(crate) fn as_f64(raw: &str) -> Option<f64> {
    if Kind::of(raw) != Kind::Num {
        return None;
    }
    raw.parse().ok()
}

/// A JSON integer (no fraction or exponent), or `None`.
pub(crate) fn as_int(raw: &str) -> Option<i128> {
    if Kind::of(raw) != Kind::Num {
        return None;
    }
    raw.parse().ok()
}

/// A JSON boolean, or `None`.
pub(crate) fn as_bool(raw: &str) -> Option<bool> {
    match raw {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What [`Members::first`] must agree with.
    fn reference<'a>(text: &'a str, key: &str) -> Option<&'a str> {
        Members::parse_until(text, &[key]).and_then(|m| m.get(key))
    }

    #[test]
    fn the_first_member_is_found_as_the_full_scan_finds_it() {
        let cases = [
            (
                r#"{"type":"indicator","spec_version":"2.1"}"#,
                Some(r#""2.1""#),
            ),
            (
                r#"{ "spec_version" : "2.0" , "spec_version": "2.1" }"#,
                Some(r#""2.0""#),
            ),
            (
                r#"{"a":{"spec_version":"2.0"},"spec_version":"2.1"}"#,
                Some(r#""2.1""#),
            ),
            (r#"{"a":["spec_version"],"b":"spec_version"}"#, None),
            (r#"{"spec\u005fversion":"2.1"}"#, Some(r#""2.1""#)),
            (r#"{"x\"y":1,"spec_version":[1, 2]}"#, Some("[1, 2]")),
            ("{}", None),
            ("{ }", None),
            ("[]", None),
            ("", None),
            (r#"{"spec_version":"2.1""#, Some(r#""2.1""#)),
            (r#"{"a":1 "spec_version":"2.1"}"#, None),
        ];
        for (text, want) in cases {
            assert_eq!(Members::first(text, "spec_version"), want, "{text}");
            assert_eq!(reference(text, "spec_version"), want, "{text}");
        }
    }

    proptest! {
        #[test]
        fn first_agrees_with_the_full_scan(
            members in proptest::collection::vec(
                (prop_oneof!["[a-c_]{1,3}", Just("spec_version".to_owned())],
                 prop_oneof![
                     Just("\"2.1\"".to_owned()),
                     Just("{\"spec_version\":1}".to_owned()),
                     Just("[\"x\", {\"a\": \"b\"}]".to_owned()),
                     "-?[1-9][0-9]{0,3}",
                     Just("true".to_owned()),
                     Just("\"a \\\" quote\"".to_owned()),
                 ]),
                0..6,
            ),
            spaced in any::<bool>(),
            key in prop_oneof!["[a-c_]{1,3}", Just("spec_version".to_owned())],
        ) {
            let sep = if spaced { " , " } else { "," };
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}{}{v}", serde_json::to_string(k).unwrap(), if spaced { " : " } else { ":" }))
                .collect();
            let text = format!("{{{}}}", body.join(sep));
            prop_assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok(), "{}", text);
            prop_assert_eq!(Members::first(&text, &key), reference(&text, &key), "{}", text);
        }
    }
}
