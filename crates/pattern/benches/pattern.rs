//! Pattern validation and single-pattern matching.
//!
//! Inputs are fixed and built in code, so the series stay comparable across changes:
//! - `validate/*`: parse + vocabulary validation of four patterns of increasing size (one
//!   equality; a typical multi-hash OR; a compound pattern with references, qualifiers and every
//!   operator kind; a 200-term OR like the large MISP-converted indicators).
//! - `match/*`: one compiled pattern against OBSERVATIONS observed-data objects with one
//!   domain-name SCO each (one in MATCH_EVERY matching), the observations prepared once
//!   (`prepared`) or read from JSON values on every call (`from_values`).
//!
//! Names describe the workload, not the algorithm. Run: `cargo bench -p entente-pattern`.

use criterion::{Criterion, criterion_group, criterion_main};
use entente_pattern::{Observations, compile, validate_str};
use serde_json::{Value, json};
use std::hint::black_box;

/// Observed-data objects in the matching workloads.
const OBSERVATIONS: usize = 100;
/// One observation in this many carries the value the equality patterns look for.
const MATCH_EVERY: usize = 10;

fn patterns() -> Vec<(&'static str, String)> {
    let hashes = (0..8)
        .map(|i| format!("file:hashes.MD5 = '{i:032x}'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let big = (0..200)
        .map(|i| format!("file:hashes.'SHA-256' = '{i:064x}'"))
        .collect::<Vec<_>>()
        .join(" OR ");
    vec![
        (
            "single_equality",
            "[domain-name:value = 'evil.example.com']".to_owned(),
        ),
        ("eight_hashes", format!("[{hashes}]")),
        (
            "compound",
            "([email-message:from_ref.value LIKE '%@example.com' AND email-message:subject \
             MATCHES '(?i)invoice'] AND [network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' \
             AND network-traffic:dst_port IN (80, 443, 8080)]) WITHIN 600 SECONDS FOLLOWEDBY \
             [file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.5] REPEATS 2 TIMES \
             START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'"
                .to_owned(),
        ),
        ("two_hundred_hashes", format!("[{big}]")),
    ]
}

fn observations() -> Vec<Value> {
    let mut objects = Vec::new();
    for i in 0..OBSERVATIONS {
        let id = format!("domain-name--00000000-0000-4000-8000-{i:012}");
        let value = if i % MATCH_EVERY == MATCH_EVERY - 1 {
            "evil.example.com".to_owned()
        } else {
            format!("host{i}.example.org")
        };
        objects.push(json!({
            "type": "observed-data", "spec_version": "2.1",
            "id": format!("observed-data--00000000-0000-4000-8000-{i:012}"),
            "first_observed": format!("2026-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60),
            "last_observed": format!("2026-01-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60),
            "number_observed": 1, "object_refs": [id],
        }));
        objects.push(json!({"type": "domain-name", "id": id, "value": value}));
    }
    objects
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    for (name, text) in patterns() {
        g.bench_function(name, |b| b.iter(|| validate_str(black_box(&text)).unwrap()));
    }
    g.finish();

    let objects = observations();
    let prepared = Observations::from_objects(&objects).unwrap();
    let mut g = c.benchmark_group("match");
    for (name, text) in [
        (
            "equality_prepared",
            "[domain-name:value = 'evil.example.com']",
        ),
        ("like_prepared", "[domain-name:value LIKE 'evil.%.com']"),
        (
            "followedby_within_prepared",
            "([domain-name:value = 'evil.example.com'] FOLLOWEDBY [domain-name:value LIKE \
             'host%']) WITHIN 60 SECONDS",
        ),
        (
            "repeats_prepared",
            "[domain-name:value = 'evil.example.com'] REPEATS 5 TIMES",
        ),
        (
            "no_match_prepared",
            "[domain-name:value = 'absent.example.com']",
        ),
    ] {
        let p = compile(text).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| p.first_match(black_box(&prepared)).unwrap())
        });
    }
    let p = compile("[domain-name:value = 'evil.example.com']").unwrap();
    g.bench_function("equality_from_values", |b| {
        b.iter(|| {
            let obs = Observations::from_objects(black_box(&objects)).unwrap();
            p.first_match(&obs).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
