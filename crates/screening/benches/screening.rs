//! Screening benchmarks against the whole 2026 UN Consolidated List.
//!
//! Workloads (names describe the work, not the algorithm, so an engine change shows as a step in
//! the same series):
//!
//! * `import/un_consolidated_2026` — parse the 2 MB XML into a `ListVersion`.
//! * `index/un_consolidated_2026` — build the `Screener` index over it.
//! * `screen/single_query` — one query (a listed name with a spelling variant), end to end.
//! * `screen/single_query_miss` — one query of an unlisted, common-looking name.
//! * `screen/batch_2000_on_2_threads` — 2,000 queries (half listed names with a spelling change,
//!   half unlisted names) through `screen_batch` on 2 threads; criterion reports elements/s, which
//!   is queries per second.
//!
//! Knobs: the batch size (`BATCH`) and the seed of the query mix (`SEED`). Inputs are the list file
//! in `../shared/data/sanctions` and queries derived from it deterministically.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente_screening::{Query, ScreenOptions, Screener, import_un_xml};

const BATCH: usize = 2000;
const SEED: u64 = 0x5EED;

fn list_bytes() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sanctions/un_consolidated_2026-02-27.xml");
    std::fs::read(p).expect("UN list file")
}

const UNLISTED: &[&str] = &[
    "Thomas Lopez",
    "Erika Agostini",
    "Mohamed Schultz",
    "Ahmed Williams",
    "Ali Henriksen",
    "Fatima Soares",
    "Karim Benali",
    "Leif Ekstrom",
    "Omar Simbolon",
    "Yusuf Liimatainen",
];

fn queries(names: &[String]) -> Vec<Query> {
    let mut state = SEED;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..BATCH)
        .map(|i| {
            if i % 2 == 0 {
                let n = &names[next() % names.len()];
                // a spelling change: drop one letter of the longest word
                let mut w: Vec<String> = n.split_whitespace().map(str::to_owned).collect();
                if let Some(longest) = w.iter_mut().max_by_key(|x| x.chars().count())
                    && longest.chars().count() > 5
                {
                    let mut c: Vec<char> = longest.chars().collect();
                    c.remove(c.len() / 2);
                    *longest = c.into_iter().collect();
                }
                Query::name(w.join(" "))
            } else {
                Query::name(UNLISTED[next() % UNLISTED.len()])
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let bytes = list_bytes();
    c.bench_function("import/un_consolidated_2026", |b| {
        b.iter(|| import_un_xml(black_box(&bytes[..]), None).unwrap())
    });
    let list = import_un_xml(&bytes[..], None).unwrap();
    c.bench_function("index/un_consolidated_2026", |b| {
        b.iter(|| Screener::from_list(black_box(&list)))
    });
    let screener = Screener::new(
        [&list],
        ScreenOptions {
            threads: 2,
            ..ScreenOptions::default()
        },
    );
    let single = Query::name("Abou Bakr al-Baghdadi");
    c.bench_function("screen/single_query", |b| {
        b.iter(|| screener.screen(black_box(&single)))
    });
    let miss = Query::name("Mohamed Ali Schultz");
    c.bench_function("screen/single_query_miss", |b| {
        b.iter(|| screener.screen(black_box(&miss)))
    });
    let names: Vec<String> = list
        .entries
        .iter()
        .map(|e| e.primary_name().to_owned())
        .collect();
    let batch = queries(&names);
    let mut g = c.benchmark_group("screen");
    g.throughput(Throughput::Elements(batch.len() as u64));
    g.sample_size(20);
    g.bench_function("batch_2000_on_2_threads", |b| {
        b.iter(|| screener.screen_batch(black_box(&batch)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
