//! Property tests: identifiers, timestamps and exact round-trips of objects.

use entente_stix::stream::Reader;
use entente_stix::{Object, StixId, Timestamp};
use proptest::prelude::*;

fn type_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{2,12}(-[a-z0-9]{1,8}){0,3}"
}

proptest! {
    #[test]
    fn identifiers_round_trip(t in type_name(), u in any::<u128>()) {
        let uuid = uuid::Uuid::from_u128(u);
        let text = format!("{t}--{uuid}");
        let id: StixId = text.parse().unwrap();
        prop_assert_eq!(id.as_str(), text.as_str());
        prop_assert_eq!(id.object_type(), t.as_str());
        prop_assert_eq!(id.uuid(), uuid);
        prop_assert_eq!(id.to_string(), text);
    }

    #[test]
    fn malformed_identifiers_are_rejected(t in type_name(), u in any::<u128>(), cut in 1usize..36) {
        let uuid = uuid::Uuid::from_u128(u).to_string();
        let upper = format!("{}--{uuid}", t.to_uppercase());
        prop_assert!(upper.parse::<StixId>().is_err());
        let short = format!("{t}--{}", &uuid[..36 - cut]);
        prop_assert!(short.parse::<StixId>().is_err());
        let single = format!("{t}-{uuid}");
        prop_assert!(single.parse::<StixId>().is_err());
        let simple = format!("{t}--{}", uuid::Uuid::from_u128(u).simple());
        prop_assert!(simple.parse::<StixId>().is_err());
    }
}

/// A timestamp text and its instant computed independently, in nanoseconds since the epoch.
fn timestamp() -> impl Strategy<Value = (String, i128, u8)> {
    (
        1i32..=9999,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
        0usize..=9,
        any::<u32>(),
    )
        .prop_map(|(y, mo, d, h, mi, s, digits, f)| {
            let frac = if digits == 0 {
                0
            } else {
                f % 10u32.pow(digits as u32)
            };
            let text = if digits == 0 {
                format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
            } else {
                format!(
                    "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:0width$}Z",
                    width = digits
                )
            };
            let date =
                time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d).unwrap();
            let secs = date
                .with_hms(h, mi, s)
                .unwrap()
                .assume_utc()
                .unix_timestamp() as i128;
            let nanos = secs * 1_000_000_000 + frac as i128 * 10i128.pow(9 - digits as u32);
            (text, nanos, digits as u8)
        })
}

proptest! {
    #[test]
    fn timestamps_keep_their_text((text, nanos, digits) in timestamp()) {
        let ts: Timestamp = text.parse().unwrap();
        prop_assert_eq!(ts.as_str(), text.as_str());
        prop_assert_eq!(ts.to_string(), text.clone());
        prop_assert_eq!(ts.unix_nanos(), nanos);
        prop_assert_eq!(ts.precision(), digits);
        let again: Timestamp = ts.sort_key().parse().unwrap();
        prop_assert_eq!(again, ts);
    }

    #[test]
    fn timestamp_order_is_instant_order(a in timestamp(), b in timestamp()) {
        let ta: Timestamp = a.0.parse().unwrap();
        let tb: Timestamp = b.0.parse().unwrap();
        prop_assert_eq!(ta.cmp(&tb), a.1.cmp(&b.1));
        prop_assert_eq!(ta == tb, a.1 == b.1);
        prop_assert_eq!(ta.sort_key().cmp(&tb.sort_key()), a.1.cmp(&b.1));
    }

    #[test]
    fn micros_round_trip(m in -62_135_596_800_000_000i64..253_402_300_799_999_999) {
        let ts = Timestamp::from_unix_micros(m);
        prop_assert_eq!(ts.unix_micros(), m);
        let again: Timestamp = ts.as_str().parse().unwrap();
        prop_assert_eq!(again.unix_micros(), m);
        prop_assert_eq!(again.as_str(), ts.as_str());
    }

    #[test]
    fn malformed_timestamps_are_rejected((text, _, _) in timestamp(), at in 0usize..19) {
        // Replace a digit or separator by a letter: never a timestamp.
        let mut bad = text.clone().into_bytes();
        bad[at] = b'x';
        prop_assert!(String::from_utf8(bad).unwrap().parse::<Timestamp>().is_err());
        let offset = text.replace('Z', "+00:00");
        prop_assert!(offset.parse::<Timestamp>().is_err());
    }
}

/// Whitespace as JSON allows it.
fn ws() -> impl Strategy<Value = String> {
    "[ \t\r\n]{0,3}"
}

/// JSON text with varied number forms, escapes and whitespace: what a round-trip must keep.
/// (Numbers beyond the f64 range, like `1e400`, are rejected by the parser and left out.)
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,12})?([eE][+-]?[0-9]{1,2})?",
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#""\u00e9\ud83d\ude00 \/ \" \\ \n""#.to_owned()),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            (prop::collection::vec((ws(), inner.clone(), ws()), 0..6)).prop_map(|items| {
                let parts: Vec<String> = items
                    .into_iter()
                    .map(|(a, v, b)| format!("{a}{v}{b}"))
                    .collect();
                format!("[{}]", parts.join(","))
            }),
            (prop::collection::vec(("[a-z_]{1,8}", ws(), inner, ws()), 0..6)).prop_map(|items| {
                let parts: Vec<String> = items
                    .into_iter()
                    .map(|(k, a, v, b)| format!("\"{k}\"{a}:{b}{v}"))
                    .collect();
                format!("{{{}}}", parts.join(","))
            }),
        ]
    })
}

fn object_text() -> impl Strategy<Value = String> {
    (
        type_name(),
        any::<u128>(),
        prop::collection::vec(("x_[a-z_]{1,10}", ws(), json_text(), ws()), 0..6),
        ws(),
    )
        .prop_map(|(t, u, props, w)| {
            let mut s = format!(
                "{{{w}\"type\"{w}:{w}\"x-{t}\",\"spec_version\":\"2.1\",\"id\":\"x-{t}--{}\",\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.123456789Z\"",
                uuid::Uuid::from_u128(u)
            );
            for (k, a, v, b) in props {
                s.push_str(&format!(",{a}\"{k}\"{b}:{a}{v}{b}"));
            }
            s.push_str(&w);
            s.push('}');
            s
        })
}

proptest! {
    #[test]
    fn objects_round_trip_exactly(text in object_text()) {
        let o = Object::from_json(&text).unwrap();
        prop_assert_eq!(o.as_json(), text.as_str());
        let a: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(o.to_value(), a);
        prop_assert_eq!(o.version().unwrap().as_str(), "2020-01-01T00:00:00.123456789Z");
        // Through the stream reader, inside a bundle, with small buffers.
        let bundle = format!(
            "{{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":[ {text} ,\n{text}]}}"
        );
        let got: Vec<_> = Reader::new(std::io::BufReader::with_capacity(7, bundle.as_bytes())).collect();
        prop_assert_eq!(got.len(), 2);
        for g in got {
            let g = g.unwrap();
            prop_assert_eq!(g.as_json(), text.as_str());
        }
        // And as JSON lines.
        let lines = format!("{text}\n{text}\n");
        for g in Reader::new(lines.as_bytes()) {
            let g = g.unwrap();
            prop_assert_eq!(g.as_json(), text.as_str());
        }
    }
}

/// A small real bundle (OASIS example) to mutate.
const SEED_BUNDLE: &str = include_str!(
    "../../../../shared/data/stix/oasis/cti-documentation-examples/indicator-for-malicious-url.json"
);

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Hostile input: any mutation of a real bundle is read to the end without panicking,
    /// every object that comes out validates without panicking, and nothing claims more
    /// elements than the input could hold.
    #[test]
    fn mutated_input_never_panics(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
        cap in 1usize..64,
        max in 64usize..4096,
    ) {
        let mut bytes = SEED_BUNDLE.as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i.max(1)),
            }
        }
        let reader = Reader::with_max_object_size(std::io::BufReader::with_capacity(cap, &bytes[..]), max);
        let mut items = 0;
        for item in reader {
            items += 1;
            prop_assert!(items <= bytes.len() + 1);
            if let Ok(o) = item {
                prop_assert!(o.as_json().len() <= max);
                let _ = o.validate();
            }
        }
    }
}
