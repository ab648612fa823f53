//! Storing correlation hits on the embedded SQLite backend.
//!
//! Workload: `store_hits/add_hits_1500`: `add_hits` of 1,500 new hits at a time (what a page of
//! 1,000 pulled versions makes with the generated data of `bench/gen`), each linking a new
//! version to an older one by a shared value, into a store already holding
//! `ENTENTE_BENCH_HITS` hits (default 200,000; the federation benchmark's million versions make
//! about 1,560,000); throughput in hits/s. Each call is one durable transaction of the hits'
//! file.
//!
//! Knobs: `ENTENTE_BENCH_HITS`, and `ENTENTE_BENCH_DIR` for the database files (default: a
//! temporary folder). Data is generated from a counter, so runs are repeatable.

mod common;

use std::time::{Duration, Instant};

use common::{bench_dir, knob, new_collection, runtime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente_store::{CollectionId, CorrelationHit, HitSide};

const BATCH: u64 = 1_500;

fn uuid(n: u64) -> String {
    uuid::Uuid::from_u64_pair(0x656e_7465_6e74_6548, n.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .to_string()
}

/// Hit `n`: version `n` (an observed-data) meets an older version (an indicator) on an
/// address.
fn hit(coll: &CollectionId, n: u64) -> CorrelationHit {
    let side = |kind: &str, m: u64| HitSide {
        collection: coll.clone(),
        id: format!("{kind}--{}", uuid(m)),
        version: format!(
            "2026-03-{:02}T10:{:02}:{:02}.000Z",
            1 + m % 28,
            m % 60,
            m % 59
        ),
    };
    CorrelationHit {
        seq: 0,
        found: 1_700_000_000_000_000 + n as i64,
        rule: "value".into(),
        kind: "ipv4-addr".into(),
        value: format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
        a: side("observed-data", n),
        b: side("indicator", n / 2 + 7),
    }
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = bench_dir(&tmp);
    let size: u64 = knob("ENTENTE_BENCH_HITS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let path = dir.join("hits-bench.db");
    for f in [
        path.clone(),
        entente_store::SqliteStore::hits_file(&path),
        entente_store::SqliteStore::audit_file(&path),
    ] {
        let _ = std::fs::remove_file(&f);
    }
    let store = rt
        .block_on(entente_store::open(&format!("sqlite:{}", path.display())))
        .expect("open");
    let coll = rt.block_on(new_collection(&store, "hits"));
    let mut n = 0u64;
    let add = |n: &mut u64| {
        let batch: Vec<CorrelationHit> = (*n..*n + BATCH).map(|i| hit(&coll, i)).collect();
        *n += BATCH;
        let added = rt.block_on(store.add_hits(batch)).expect("add hits");
        assert_eq!(added, BATCH);
    };
    let start = Instant::now();
    while n < size {
        add(&mut n);
    }
    eprintln!(
        "filled {n} hits in {:.1} s ({:.0} hits/s)",
        start.elapsed().as_secs_f64(),
        n as f64 / start.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("store_hits");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(20);
    group.bench_function("add_hits_1500", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = Instant::now();
                add(&mut n);
                total += t.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(hits, benches);
criterion_main!(hits);
