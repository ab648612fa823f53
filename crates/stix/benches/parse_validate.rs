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
//! Each workload is measured twice: in wall-clock time (criterion's default), and in the CPU
//! time of the benchmarking thread (`cpu/…` groups, read from `/proc/thread-self/schedstat`,
//! Linux only). On a shared machine the wall clock also counts time spent waiting for a core;
//! the CPU time is what one core actually needs, which is what the throughput target is about.
//!
//! Knobs: none; the input is fixed. Run with `cargo bench -p entente-stix`.

use std::io::Read;
use std::path::Path;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
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

/// CPU time of the current thread, in nanoseconds (first field of its schedstat).
fn thread_cpu_nanos() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux) is readable")
}

/// A criterion measurement of the benchmarking thread's CPU time, formatted like wall time.
struct ThreadCpu {
    wall: WallTime,
}

impl Measurement for ThreadCpu {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_nanos()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_nanos() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn bench_cpu(c: &mut Criterion<ThreadCpu>) {
    let bytes = input();
    let mut g = c.benchmark_group("cpu/attack_enterprise_bytes");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("stream_only", |b| b.iter(|| stream_only(&bytes)));
    g.bench_function("stream_and_validate", |b| {
        b.iter(|| stream_and_validate(&bytes))
    });
    g.finish();
    let mut g = c.benchmark_group("cpu/attack_enterprise_objects");
    g.sample_size(10);
    g.throughput(Throughput::Elements(24_771));
    g.bench_function("stream_and_validate", |b| {
        b.iter(|| stream_and_validate(&bytes))
    });
    g.finish();
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
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(ThreadCpu { wall: WallTime });
    targets = bench_cpu
}
criterion_main!(benches, cpu);
