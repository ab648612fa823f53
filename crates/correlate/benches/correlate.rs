//! Correlation benchmarks (issue 5): indexing indicators, checking incoming observables, and
//! ingesting observed-data against the index.
//!
//! Inputs are generated from a fixed seed, so every run measures the same data. Knobs:
//!
//! - `INDICATORS` (100,000): indicators indexed, a quarter each on a domain, an IPv4 address,
//!   a SHA-256 file hash and a URL, written as `[type:path = 'value']`; one in a hundred of
//!   them instead tests `ipv4-addr:value ISSUBSET` a /24 network (so address lookups also probe
//!   networks).
//! - `OBSERVABLES` (1,000,000): raw incoming values to check, of the same four kinds, in
//!   random case and with trailing dots as partners write them; `HIT_PER_MILLE` (10) per
//!   thousand are values an indicator holds, the rest are new.
//! - `OBSERVED` (10,000): observed-data objects, each with one SCO, ingested as one batch
//!   (extraction, normalisation, lookups, pattern evaluation of the candidates, hits).
//!
//! `check/1M observables/2 threads` splits the observables over two threads (the engine is
//! read-only while checking), the target machine having two cores.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use entente_correlate::{Engine, Kind, Settings};
use entente_stix::Object;

const INDICATORS: usize = 100_000;
const OBSERVABLES: usize = 1_000_000;
const HIT_PER_MILLE: u64 = 10;
const OBSERVED: usize = 10_000;

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The value of indicator `i` (kind, canonical text).
fn value(i: u64) -> (Kind, String) {
    match i % 4 {
        0 => (Kind::Domain, format!("host{i}.bad-{}.net", i % 997)),
        1 => (
            Kind::Ipv4,
            format!("45.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
        ),
        2 => (
            Kind::Hash(entente_correlate::HashAlg::Sha256),
            format!("{:016x}{:048x}", i, i.wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        ),
        _ => (Kind::Url, format!("http://site{i}.drop-zone.org/p/{i}")),
    }
}

fn pattern_of(i: u64) -> String {
    if i % 100 == 99 {
        return format!(
            "[ipv4-addr:value ISSUBSET '77.{}.{}.0/24']",
            (i >> 8) & 255,
            i & 255
        );
    }
    let (kind, v) = value(i);
    match kind {
        Kind::Domain => format!("[domain-name:value = '{v}']"),
        Kind::Ipv4 => format!("[ipv4-addr:value = '{v}']"),
        Kind::Url => format!("[url:value = '{v}']"),
        _ => format!("[file:hashes.'SHA-256' = '{v}']"),
    }
}

fn indicators() -> Vec<Object> {
    (0..INDICATORS as u64)
        .map(|i| {
            Object::from_string(format!(
                r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-{i:012}","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","pattern":"{}"}}"#,
                pattern_of(i)
            ))
            .expect("valid indicator")
        })
        .collect()
}

/// A raw value as a partner may write it: random case, sometimes a trailing dot.
fn messy(rng: &mut Rng, kind: Kind, v: &str) -> String {
    match kind {
        Kind::Domain => {
            let mut s: String = v
                .chars()
                .map(|c| {
                    if rng.next().is_multiple_of(3) {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            if rng.next().is_multiple_of(4) {
                s.push('.');
            }
            s
        }
        Kind::Hash(_) => v.to_ascii_uppercase(),
        _ => v.to_owned(),
    }
}

fn observables() -> Vec<(Kind, String)> {
    let mut rng = Rng(0x5eed_c0ff_ee00_0001);
    (0..OBSERVABLES)
        .map(|_| {
            let r = rng.next();
            let i = if r % 1000 < HIT_PER_MILLE {
                // A value an indicator holds (not one of the ISSUBSET ones).
                (rng.next() % INDICATORS as u64) / 100 * 100
            } else {
                INDICATORS as u64 + rng.next() % 100_000_000
            };
            let (kind, v) = value(i);
            let raw = messy(&mut rng, kind, &v);
            (kind, raw)
        })
        .collect()
}

fn engine_with(indicators: &[Object]) -> Engine {
    let mut e = Engine::new(Settings::default()).expect("default settings");
    e.load("ours", indicators);
    e
}

fn check_all(e: &Engine, obs: &[(Kind, String)]) -> usize {
    obs.iter().map(|(k, v)| e.check_raw(*k, v)).sum()
}

fn observed_batch() -> Vec<Object> {
    let mut rng = Rng(0x0b5e_0b5e_0b5e_0001);
    let mut out = Vec::with_capacity(OBSERVED * 2);
    for n in 0..OBSERVED as u64 {
        let i = if rng.next().is_multiple_of(100) {
            (rng.next() % INDICATORS as u64) / 100 * 100 + 1
        } else {
            INDICATORS as u64 + rng.next() % 100_000_000
        };
        let (_, v) = value(i / 4 * 4 + 1);
        let sco = format!("ipv4-addr--00000000-0000-4000-9000-{n:012}");
        out.push(
            Object::from_string(format!(
                r#"{{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-a000-{n:012}","created":"2026-02-01T00:00:00.000Z","modified":"2026-02-01T00:00:00.000Z","first_observed":"2026-02-01T00:00:00Z","last_observed":"2026-02-01T00:00:00Z","number_observed":1,"object_refs":["{sco}"]}}"#
            ))
            .expect("valid observed-data"),
        );
        out.push(
            Object::from_string(format!(
                r#"{{"type":"ipv4-addr","spec_version":"2.1","id":"{sco}","value":"{v}"}}"#
            ))
            .expect("valid SCO"),
        );
    }
    out
}

fn benches(c: &mut Criterion) {
    let inds = indicators();
    let obs = observables();

    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.bench_function("100k indicators", |b| {
        b.iter(|| black_box(engine_with(&inds)).stats())
    });
    g.finish();

    let engine = engine_with(&inds);
    let expected = check_all(&engine, &obs);
    assert!(expected > 0, "some observables hit");
    let mut g = c.benchmark_group("check");
    g.sample_size(10);
    g.bench_function("1M observables/1 thread", |b| {
        b.iter(|| assert_eq!(check_all(&engine, black_box(&obs)), expected))
    });
    g.bench_function("1M observables/2 threads", |b| {
        b.iter(|| {
            let (left, right) = obs.split_at(obs.len() / 2);
            let e = &engine;
            let n = std::thread::scope(|s| {
                let h = s.spawn(move || check_all(e, left));
                let r = check_all(e, right);
                h.join().expect("checker thread") + r
            });
            assert_eq!(n, expected);
        })
    });
    g.finish();

    let batch = observed_batch();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.bench_function("10k observed-data against 100k indicators", |b| {
        b.iter_batched(
            || engine_with(&inds),
            |mut e| {
                let hits = e.ingest("theirs", &batch);
                assert!(!hits.is_empty());
                hits.len()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(correlate, benches);
criterion_main!(correlate);
