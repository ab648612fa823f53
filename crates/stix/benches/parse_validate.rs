//! Parse + validate throughput on the enterprise ATT&CK bundle.
//!
//! Input: `../shared/data/stix/attack/enterprise-attack-18.1.json.gz` (24,771 objects,
//! 45,942,485 bytes uncompressed), decompressed once in setup; the bench itself does no I/O.
//!
//! Workloads:
//! - `stream_only`: the stream reader splits the bundle and builds each `Object` (header parsed).
//! - `stream_and_validate`: the same plus `validate` on every object — what `entente import` and
//!   `entente validate` do per object. Reported twice: as bytes/s and as objects/s.
//!
//! Knobs: none; the input is fixed. Run with `cargo bench -p entente-stix`.

use std::io::Read;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente_stix::stream::Reader;

fn input() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/stix/attack/enterprise-attack-18.1.json.gz");
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn stream_only(bytes: &[u8]) -> usize {
    Reader::new(bytes).filter(|r| r.is_ok()).count()
}

fn stream_and_validate(bytes: &[u8]) -> (usize, usize) {
    let mut objects = 0;
    let mut errors = 0;
    for item in Reader::new(bytes) {
        let o = item.expect("the ATT&CK bundle is well formed");
        let r = o.validate();
        objects += 1;
        errors += r.errors().count();
    }
    (objects, errors)
}

fn bench(c: &mut Criterion) {
    let bytes = input();
    let (objects, errors) = stream_and_validate(&bytes);
    assert_eq!(objects, 24_771);
    assert_eq!(errors, 0);

    let mut g = c.benchmark_group("attack_enterprise_bytes");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("stream_only", |b| b.iter(|| stream_only(&bytes)));
    g.bench_function("stream_and_validate", |b| {
        b.iter(|| stream_and_validate(&bytes))
    });
    g.finish();

    let mut g = c.benchmark_group("attack_enterprise_objects");
    g.sample_size(10);
    g.throughput(Throughput::Elements(objects as u64));
    g.bench_function("stream_and_validate", |b| {
        b.iter(|| stream_and_validate(&bytes))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
