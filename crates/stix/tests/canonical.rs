//! The one-pass canonical form (`canonicalize_str`, and the signing input built on it) gives
//! what reading the text into a `serde_json::Value` and writing that value's canonical form
//! gives, on every object of the test data, on generated JSON and on edge cases; and refuses
//! what `serde_json` refuses.

mod common;

use entente_stix::Object;
use entente_stix::canonical::{canonicalize, canonicalize_str};
use entente_stix::provenance::{SIGNATURE_EXTENSION, signing_input};
use proptest::prelude::*;
use serde_json::Value;

use common::{data_files, read_bytes, rel};

/// The canonical form through a `serde_json::Value`.
fn by_value(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    canonicalize(&v).ok()
}

/// The signing input through a `serde_json::Value`: the signature entry removed from the
/// top-level `extensions` object, and `extensions` when nothing else is left.
fn signing_input_by_value(text: &str) -> Option<String> {
    let mut value: Value = serde_json::from_str(text).ok()?;
    if let Some(members) = value.as_object_mut() {
        let now_empty = match members.get_mut("extensions") {
            Some(Value::Object(e)) => {
                e.remove(SIGNATURE_EXTENSION);
                e.is_empty()
            }
            _ => false,
        };
        if now_empty {
            members.remove("extensions");
        }
    }
    canonicalize(&value).ok()
}

fn same(text: &str) {
    assert_eq!(canonicalize_str(text).ok(), by_value(text), "{text}");
}

#[test]
fn every_object_of_the_test_data() {
    let mut objects = 0;
    for path in data_files() {
        let bytes = read_bytes(&path);
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        assert_eq!(
            canonicalize_str(text).ok(),
            by_value(text),
            "{}",
            rel(&path)
        );
        for item in entente_stix::stream::Reader::new(bytes.as_slice()).flatten() {
            let t = item.as_json();
            assert_eq!(canonicalize_str(t).ok(), by_value(t), "{}", rel(&path));
            assert_eq!(
                signing_input(&item).ok(),
                signing_input_by_value(t),
                "{}",
                rel(&path)
            );
            objects += 1;
        }
    }
    assert!(objects > 10_000, "{objects} objects");
}

#[test]
fn edge_cases() {
    for text in [
        r#"{"a":1,"a":2}"#,
        r#"{"b":{"x":1},"a":[],"b":{"y":2}}"#,
        r#""\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\""#,
        r#""é😀 plain""#,
        r#"{"\u0061":1,"a":2}"#,
        "[1.0, -0, -0.0, 0e5, 1E2, 1e21, 1e-7, 123456789012345, 1234567890123456, 1e308]",
        "[9007199254740993, -9007199254740993, 18446744073709551616, 0.1, 5e-324, 2.5e-8]",
        " \t\n{ \"z\" : [ true , false , null ] } \r\n",
        "[]",
        "{}",
        r#"{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6}"#,
        // Refused by both.
        "1e400",
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83dx""#,
        r#""\x""#,
        "\"a\u{1}\"",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "[1,]",
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        "[1] x",
        "tru",
        "",
        r#""open"#,
    ] {
        same(text);
    }
}

#[test]
fn nesting_is_refused_where_serde_json_refuses_it() {
    for depth in [100, 126, 127, 128, 129, 130, 200] {
        same(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        let mut objects = String::new();
        for _ in 0..depth {
            objects.push_str("{\"a\":");
        }
        objects.push('1');
        objects.push_str(&"}".repeat(depth));
        same(&objects);
    }
}

#[test]
fn the_signing_input_drops_only_the_signature_entry() {
    let sig = format!("\"{SIGNATURE_EXTENSION}\":{{\"public_key\":\"aw\",\"signature\":\"cw\"}}");
    let head = r#"{"type":"x-thing","id":"x-thing--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","#;
    for extensions in [
        format!("{{{sig}}}"),
        format!(
            "{{{sig},\"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e\":{{\"rank\":5}}}}"
        ),
        "{}".to_owned(),
        "[1]".to_owned(),
        format!("{{{sig},{sig}}}"),
    ] {
        for text in [
            format!("{head}\"extensions\":{extensions}}}"),
            format!("{head}\"extensions\":{{\"a\":1}},\"extensions\":{extensions}}}"),
            format!("{head}\"extensions\":{extensions},\"extensions\":{{\"a\":1}}}}"),
            format!("{head}\"inner\":{{\"extensions\":{extensions}}}}}"),
        ] {
            let o = Object::from_json(&text).unwrap();
            assert_eq!(
                signing_input(&o).ok(),
                signing_input_by_value(&text),
                "{text}"
            );
        }
    }
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::String),
        "[\\u{0}-\\u{1f}\"\\\\a-z\u{e9}\u{20ac}\u{1f600}]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-c\u{e9}\u{1f600}]{0,3}", inner), 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn generated_json(v in json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            serde_json::to_string(&v).unwrap()
        };
        prop_assert_eq!(canonicalize_str(&text).ok(), canonicalize(&v).ok());
    }
}
