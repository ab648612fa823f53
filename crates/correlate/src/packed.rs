//! Compact forms of the object ids and timestamps the engine keeps for every indexed version.
//!
//! A STIX id is `type--` and a UUID: as text about 47 bytes, packed 19 (a marker, the type's
//! number in a table of the types met, the UUID's 16 bytes). A timestamp of the usual form
//! (`2024-05-01T12:00:00.000Z`) is 24 bytes as text, packed 11 (a marker, the number of
//! fraction digits, the digits two to a byte). Anything else is kept as its text, so every
//! form comes back exactly as it was given; a text that itself begins with a marker byte gets
//! a prefix that says so.

use std::collections::HashMap;

/// The first byte of a packed form.
const PACKED: u8 = 0x01;
/// The first byte of a text that begins with [`PACKED`] or [`VERBATIM`] itself.
const VERBATIM: u8 = 0x00;

/// The object types met, numbered in order of first appearance.
#[derive(Debug, Default)]
pub(crate) struct Types {
    names: Vec<Box<str>>,
    numbers: HashMap<Box<str>, u16>,
}

impl Types {
    /// The number of `name`, given one when it is new (`None` once every number is taken).
    fn number(&mut self, name: &str) -> Option<u16> {
        if let Some(&n) = self.numbers.get(name) {
            return Some(n);
        }
        let n = u16::try_from(self.names.len()).ok()?;
        self.names.push(name.into());
        self.numbers.insert(name.into(), n);
        Some(n)
    }
}

/// Appends `text` as it is, with the prefix when it begins with a marker byte.
fn push_text(out: &mut Vec<u8>, text: &str) {
    if matches!(text.as_bytes().first(), Some(&(PACKED | VERBATIM))) {
        out.push(VERBATIM);
    }
    out.extend_from_slice(text.as_bytes());
}

/// The text of a form [`push_text`] wrote.
fn text(bytes: &[u8]) -> &str {
    let bytes = match bytes.first() {
        Some(&VERBATIM) => &bytes[1..],
        _ => bytes,
    };
    // Written from a `&str`, and cut only at character boundaries by the engine.
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// The 16 bytes of a UUID written in its canonical form (hyphenated, lower case), the only
/// form that [`push_uuid_text`] gives back as it was.
fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let u = uuid::Uuid::try_parse(text).ok()?;
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (*u.hyphenated().encode_lower(&mut buf) == *text).then(|| *u.as_bytes())
}

fn push_uuid_text(out: &mut String, bytes: [u8; 16]) {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    out.push_str(
        uuid::Uuid::from_bytes(bytes)
            .hyphenated()
            .encode_lower(&mut buf),
    );
}

/// Appends the packed form of the id `id` (numbering its type in `types` when new).
pub(crate) fn push_id(out: &mut Vec<u8>, id: &str, types: &mut Types) {
    if let Some((kind, uuid)) = id.split_once("--")
        && let Some(bytes) = uuid_bytes(uuid)
        && let Some(n) = types.number(kind)
    {
        out.push(PACKED);
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&bytes);
        return;
    }
    push_text(out, id);
}

/// The id a form of [`push_id`] holds.
pub(crate) fn id(bytes: &[u8], types: &Types) -> String {
    match packed_id(bytes, types) {
        Some((kind, uuid)) => {
            let mut s = String::with_capacity(kind.len() + 38);
            s.push_str(kind);
            s.push_str("--");
            push_uuid_text(&mut s, uuid);
            s
        }
        None => text(bytes).to_owned(),
    }
}

/// Whether a form of [`push_id`] holds the id `id`, without building its text.
pub(crate) fn id_eq(bytes: &[u8], id: &str, types: &Types) -> bool {
    match packed_id(bytes, types) {
        Some((kind, uuid)) => id
            .split_once("--")
            .is_some_and(|(k, u)| k == kind && uuid_bytes(u).is_some_and(|b| b == uuid)),
        None => text(bytes) == id,
    }
}

fn packed_id<'a>(bytes: &[u8], types: &'a Types) -> Option<(&'a str, [u8; 16])> {
    if bytes.len() != 19 || bytes[0] != PACKED {
        return None;
    }
    let n = u16::from_le_bytes([bytes[1], bytes[2]]);
    Some((
        types.names.get(usize::from(n))?,
        bytes[3..].try_into().ok()?,
    ))
}

/// Where the digits of `YYYY-MM-DDTHH:MM:SS` are.
const DATE_TIME_DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/// Appends the packed form of the timestamp `t` (`YYYY-MM-DDTHH:MM:SS`, an optional fraction of
/// up to nine digits, `Z`); any other text as it is.
pub(crate) fn push_timestamp(out: &mut Vec<u8>, t: &str) {
    let b = t.as_bytes();
    let shape = b.len() >= 20
        && &b[4..5] == b"-"
        && &b[7..8] == b"-"
        && &b[10..11] == b"T"
        && &b[13..14] == b":"
        && &b[16..17] == b":"
        && DATE_TIME_DIGITS.iter().all(|&i| b[i].is_ascii_digit())
        && b.last() == Some(&b'Z');
    let fraction = match (shape, b.len()) {
        (false, _) => None,
        (true, 20) => Some(&b[19..19]),
        (true, n) if (22..=30).contains(&n) && b[19] == b'.' => Some(&b[20..n - 1]),
        _ => None,
    };
    let Some(fraction) = fraction.filter(|f| f.iter().all(u8::is_ascii_digit)) else {
        push_text(out, t);
        return;
    };
    out.push(PACKED);
    out.push(fraction.len() as u8);
    let mut digits = DATE_TIME_DIGITS
        .iter()
        .map(|&i| b[i] - b'0')
        .chain(fraction.iter().map(|d| d - b'0'));
    while let Some(hi) = digits.next() {
        out.push((hi << 4) | digits.next().unwrap_or(0));
    }
}

/// The timestamp a form of [`push_timestamp`] holds.
pub(crate) fn timestamp(bytes: &[u8]) -> String {
    if bytes.first() != Some(&PACKED) || bytes.len() < 2 {
        return text(bytes).to_owned();
    }
    let fraction = usize::from(bytes[1]);
    let digit = |i: usize| -> char {
        let b = bytes.get(2 + i / 2).copied().unwrap_or(0);
        let d = if i.is_multiple_of(2) { b >> 4 } else { b & 15 };
        char::from(b'0' + d.min(9))
    };
    let mut s = String::with_capacity(21 + fraction);
    // `YYYY-MM-DDTHH:MM:SS`: separators after the 4th, 6th, 8th, 10th and 12th digits.
    for i in 0..14 {
        match i {
            4 | 6 => s.push('-'),
            8 => s.push('T'),
            10 | 12 => s.push(':'),
            _ => {}
        }
        s.push(digit(i));
    }
    if fraction > 0 {
        s.push('.');
        for i in 14..14 + fraction {
            s.push(digit(i));
        }
    }
    s.push('Z');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_round_trip(ids: &[&str]) {
        let mut types = Types::default();
        let forms: Vec<Vec<u8>> = ids
            .iter()
            .map(|i| {
                let mut out = Vec::new();
                push_id(&mut out, i, &mut types);
                out
            })
            .collect();
        for (i, form) in ids.iter().zip(&forms) {
            assert_eq!(id(form, &types), *i);
            for other in ids {
                assert_eq!(
                    id_eq(form, other, &types),
                    i == other,
                    "{i:?} against {other:?}"
                );
            }
        }
    }

    #[test]
    fn ids_come_back_as_they_were() {
        id_round_trip(&[
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3e",
            "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            // Not canonical UUIDs: kept as text.
            "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F",
            "indicator--8e2e2d2b17d44cbf938f98ee46b3cd3f",
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3",
            "x-custom--not-a-uuid",
            "no-separator",
            "",
            "\u{1}indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "\u{0}text",
        ]);
    }

    #[test]
    fn a_packed_id_is_short() {
        let mut types = Types::default();
        let mut out = Vec::new();
        push_id(
            &mut out,
            "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            &mut types,
        );
        assert_eq!(out.len(), 19);
    }

    #[test]
    fn timestamps_come_back_as_they_were() {
        for t in [
            "2024-05-01T12:00:00.000Z",
            "2024-05-01T12:00:00Z",
            "2024-05-01T12:00:00.1Z",
            "2016-04-06T20:03:48.123456789Z",
            "1999-12-31T23:59:59.999999Z",
            // Other forms: kept as text.
            "2024-05-01T12:00:00.1234567890Z",
            "2024-05-01T12:00:00.Z",
            "2024-05-01t12:00:00Z",
            "2024-05-01T12:00:00+00:00",
            "2024-05-01 12:00:00Z",
            "",
            "\u{1}2024",
            "\u{0}",
            "2024-05-01T12:00:0xZ",
        ] {
            let mut out = Vec::new();
            push_timestamp(&mut out, t);
            assert_eq!(timestamp(&out), t);
        }
        let mut out = Vec::new();
        push_timestamp(&mut out, "2024-05-01T12:00:00.000Z");
        assert_eq!(out.len(), 11);
    }
}
