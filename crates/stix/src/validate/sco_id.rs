//! Deterministic SCO identifiers (section 2.9).
//!
//! An SCO's id SHOULD be a UUIDv5 in the STIX namespace
//! `00abedb4-aa42-466c-9c01-fed23315a9b7` over the JSON Canonicalization Scheme (RFC 8785)
//! form of an object holding only its id-contributing properties. When none of them is
//! present the id is a UUIDv4 and nothing can be checked.

use crate::json::Members;
use crate::{Object, StixId};

/// The STIX 2.1 namespace for deterministic SCO ids.
const NAMESPACE: uuid::Uuid = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");

/// The id-contributing properties of each SCO type (section 6, "ID Contributing Properties").
fn contributing(ty: &str) -> Option<&'static [&'static str]> {
    Some(match ty {
        "artifact" => &["hashes", "payload_bin"],
        "autonomous-system" => &["number"],
        "directory" => &["path"],
        "domain-name" | "email-addr" | "ipv4-addr" | "ipv6-addr" | "mac-addr" | "url" => &["value"],
        "email-message" => &["from_ref", "subject", "body"],
        "file" => &["hashes", "name", "extensions", "parent_directory_ref"],
        "mutex" => &["name"],
        "network-traffic" => &[
            "start",
            "end",
            "src_ref",
            "dst_ref",
            "src_port",
            "dst_port",
            "protocols",
            "extensions",
        ],
        "software" => &["name", "cpe", "swid", "vendor", "version"],
        "user-account" => &["account_type", "user_id", "account_login"],
        "windows-registry-key" => &["key", "values"],
        "x509-certificate" => &["hashes", "serial_number"],
        _ => return None,
    })
}

/// The deterministic id an SCO should carry, when its type has id-contributing properties
/// and at least one is present. `None` for other objects and for SCOs that must use UUIDv4.
pub fn deterministic_id(object: &Object) -> Option<StixId> {
    let m = Members::parse(object.as_json())?;
    expected_id(object.object_type(), &m).and_then(|s| s.parse().ok())
}

pub(crate) fn expected_id(ty: &str, m: &Members<'_>) -> Option<String> {
    let props = contributing(ty)?;
    let mut obj = serde_json::Map::new();
    for p in props {
        let Some(raw) = m.get(p) else { continue };
        let mut val: serde_json::Value = serde_json::from_str(raw).ok()?;
        if *p == "hashes" {
            val = choose_one_hash(val)?;
        }
        obj.insert((*p).to_owned(), val);
    }
    if obj.is_empty() {
        return None;
    }
    let mut text = String::new();
    canonical(&serde_json::Value::Object(obj), &mut text);
    Some(format!(
        "{ty}--{}",
        uuid::Uuid::new_v5(&NAMESPACE, text.as_bytes())
    ))
}

/// Section 2.9: of the hashes, only one contributes, chosen in the order MD5, SHA-1,
/// SHA-256, SHA-512, then the first key in canonical order.
fn choose_one_hash(v: serde_json::Value) -> Option<serde_json::Value> {
    let serde_json::Value::Object(map) = v else {
        return Some(v);
    };
    let key = ["MD5", "SHA-1", "SHA-256", "SHA-512"]
        .iter()
        .find(|k| map.contains_key(**k))
        .map(|k| (*k).to_owned())
        .or_else(|| {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            keys.first().map(|k| (*k).clone())
        })?;
    let mut out = serde_json::Map::new();
    let val = map.get(&key)?.clone();
    out.insert(key, val);
    Some(serde_json::Value::Object(out))
}

/// Writes `v` in RFC 8785 canonical form: no whitespace, object keys sorted by UTF-16 code
/// units, minimal string escaping, numbers in their shortest ECMAScript form.
pub(crate) fn canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                out.push_str(&es_number(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => canonical_str(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_str(k, out);
                out.push(':');
                canonical(&o[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

fn canonical_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript `Number.prototype.toString` for finite doubles (RFC 8785 section 3.2.2.3).
fn es_number(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    // Rust prints the shortest round-trip digits; switch to exponent form where ECMAScript does.
    let abs = f.abs();
    if (1e-6..1e21).contains(&abs) {
        format!("{f}")
    } else {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            _ => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_keys_and_escapes_minimally() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,2.5,"\u00e9\n"],"a":{"z":true,"y":null}}"#).unwrap();
        let mut s = String::new();
        canonical(&v, &mut s);
        assert_eq!(s, "{\"a\":{\"y\":null,\"z\":true},\"b\":[1,2.5,\"é\\n\"]}");
        assert_eq!(es_number(1e21), "1e+21");
        assert_eq!(es_number(1e-7), "1e-7");
        assert_eq!(es_number(0.5), "0.5");
    }

    /// Expected ids computed independently (Python `uuid.uuid5` over the compact,
    /// key-sorted JSON of the contributing properties).
    #[test]
    fn ids_match_an_independent_computation() {
        let ip = Object::from_json(
            r#"{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-000000000000","value":"198.51.100.3"}"#,
        )
        .unwrap();
        assert_eq!(
            deterministic_id(&ip).unwrap().as_str(),
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
        );
        // Only one hash contributes; MD5 would win over SHA-256, and `size` does not contribute.
        let f = Object::from_json(
            r#"{"type":"file","id":"file--00000000-0000-4000-8000-000000000000","size":3,"name":"foo.exe","hashes":{"SHA-256":"fe90a7e910cb3a4739bed9180e807e93fa70c90f25a8915476f5e4bfbac681db"}}"#,
        )
        .unwrap();
        assert_eq!(
            deterministic_id(&f).unwrap().as_str(),
            "file--741019a6-c339-5e5d-ad1e-6fa3dec47bb4"
        );
        // No contributing property: a UUIDv4 is expected and nothing is checked.
        let p = Object::from_json(
            r#"{"type":"process","id":"process--00000000-0000-4000-8000-000000000000","pid":1}"#,
        )
        .unwrap();
        assert!(deterministic_id(&p).is_none());
    }
}
