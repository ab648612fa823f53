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
    // RFC 8785, as STIX 2.1 section 2.9 requires.
    let text = crate::canonical::canonicalize(&serde_json::Value::Object(obj)).ok()?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
