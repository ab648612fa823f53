//! Store benchmarks on the embedded SQLite backend.
//!
//! Workloads (names describe the workload, not the engine):
//! - `store_ingest/add_objects_1000_indicators`: `add_objects` of generated STIX 2.1 indicators in
//!   batches of 1,000 into one growing collection; throughput in objects/s. Each batch is one
//!   durable transaction (WAL, `synchronous=FULL`).
//! - `store_page/*`: `objects_page` / `manifest_page` with `limit=100` on a collection of
//!   `ENTENTE_BENCH_STORE_OBJECTS` objects: the default query from the start, `match[type]` with
//!   `added_after` in the middle of the collection, a manifest page, one object by id, and a
//!   rare type (`campaign`, one object in six).
//!
//! Knobs (environment variables):
//! - `ENTENTE_BENCH_STORE_OBJECTS`: size of the paged collection (default 20,000, small enough
//!   for CI's `cargo bench --no-run` and a quick run; the issue's figure uses 1000000). Filling it
//!   prints the sustained ingest rate to stderr.
//! - `ENTENTE_BENCH_DIR`: folder for the database files (default: a temporary folder, removed at
//!   the end). Use a real disk: fsync cost is part of the figure.
//! - `ENTENTE_BENCH_POSTGRES_URL` (optional, e.g. `postgres://postgres@127.0.0.1:5432/test`):
//!   also runs `store_ingest/postgres_add_objects_1000_indicators` in a fresh database created
//!   on that server and dropped afterwards.
//!
//! Data is generated from a counter (ids are UUIDs derived from it), so runs are repeatable.

mod common;

use std::time::{Duration, Instant};

use common::{bench_dir, knob, new_collection, runtime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use entente_stix::Object;
use entente_store::{DateAdded, ObjectFilter};

const BATCH: usize = 1000;
const TYPES: [&str; 4] = ["indicator", "malware", "threat-actor", "campaign"];

fn uuid(n: u64) -> String {
    uuid::Uuid::from_u64_pair(0x656e_7465_6e74_6542, n).to_string()
}

/// A realistic indicator (about 600 bytes of JSON).
fn indicator(n: u64) -> Object {
    let text = format!(
        concat!(
            r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{id}","#,
            r#""created_by_ref":"identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01","#,
            r#""created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","#,
            r#""name":"Command and control address {n}","#,
            r#""description":"Address observed as command and control of a monitored network.","#,
            r#""indicator_types":["malicious-activity","attribution"],"#,
            r#""pattern":"[ipv4-addr:value = '10.{a}.{b}.{c}']","pattern_type":"stix","#,
            r#""valid_from":"2024-03-01T10:00:00Z","confidence":70,"labels":["c2"],"#,
            r#""object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}}"#
        ),
        id = uuid(n),
        n = n,
        a = (n >> 16) & 255,
        b = (n >> 8) & 255,
        c = n & 255,
    );
    Object::from_json(&text).expect("generated indicator parses")
}

/// Another SDO type, so that `match[type]` has something to skip.
fn other(n: u64) -> Object {
    let kind = TYPES[1 + (n as usize % 3)];
    let extra = if kind == "malware" {
        r#","is_family":true"#
    } else {
        ""
    };
    let text = format!(
        r#"{{"type":"{kind}","spec_version":"2.1","id":"{kind}--{id}","created":"2024-03-01T10:00:00.000Z","modified":"2024-03-01T10:00:00.000Z","name":"object {n}"{extra}}}"#,
        id = uuid(n),
    );
    Object::from_json(&text).expect("generated object parses")
}

/// Object `n` of the mixed collection: half indicators.
fn mixed(n: u64) -> Object {
    if n.is_multiple_of(2) {
        indicator(n)
    } else {
        other(n)
    }
}

fn benches(c: &mut Criterion) {
    let rt = runtime();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = bench_dir(&tmp);
    let size: u64 = knob("ENTENTE_BENCH_STORE_OBJECTS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);

    // ---- ingest ----
    let ingest_url = format!("sqlite:{}", dir.join("ingest.db").display());
    let _ = std::fs::remove_file(dir.join("ingest.db"));
    let store = rt.block_on(entente_store::open(&ingest_url)).expect("open");
    let coll = rt.block_on(new_collection(&store, "ingest"));
    let mut counter = 0u64;
    let mut group = c.benchmark_group("store_ingest");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(20);
    group.bench_function("add_objects_1000_indicators", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batch: Vec<Object> = (counter..counter + BATCH as u64).map(indicator).collect();
                counter += BATCH as u64;
                let start = Instant::now();
                rt.block_on(store.add_objects(&coll, batch)).expect("add");
                total += start.elapsed();
            }
            total
        })
    });
    if let Some(base) = knob("ENTENTE_BENCH_POSTGRES_URL") {
        let name = format!("entente_bench_{}", uuid::Uuid::new_v4().simple());
        let admin = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
                .await
                .expect("connect to ENTENTE_BENCH_POSTGRES_URL");
            tokio::spawn(conn);
            client
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create bench database");
            client
        });
        let url = match base.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{name}"),
            None => panic!("ENTENTE_BENCH_POSTGRES_URL needs a database path"),
        };
        let pg = rt
            .block_on(entente_store::open(&url))
            .expect("open postgres");
        let pg_coll = rt.block_on(new_collection(&pg, "ingest"));
        let mut counter = 0u64;
        group.bench_function("postgres_add_objects_1000_indicators", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let batch: Vec<Object> =
                        (counter..counter + BATCH as u64).map(indicator).collect();
                    counter += BATCH as u64;
                    let start = Instant::now();
                    rt.block_on(pg.add_objects(&pg_coll, batch)).expect("add");
                    total += start.elapsed();
                }
                total
            })
        });
        drop(pg);
        rt.block_on(admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")))
            .expect("drop bench database");
    }
    group.finish();
    drop(store);

    // ---- paging on a large collection ----
    let page_url = format!("sqlite:{}", dir.join("page.db").display());
    let _ = std::fs::remove_file(dir.join("page.db"));
    let store = rt.block_on(entente_store::open(&page_url)).expect("open");
    let coll = rt.block_on(new_collection(&store, "page"));
    let start = Instant::now();
    let mut middle = DateAdded(0);
    let mut n = 0u64;
    let mut build_time = Duration::ZERO;
    while n < size {
        let end = (n + BATCH as u64).min(size);
        let batch: Vec<Object> = (n..end).map(mixed).collect();
        let t = Instant::now();
        let out = rt.block_on(store.add_objects(&coll, batch)).expect("fill");
        build_time += t.elapsed();
        if n <= size / 2
            && size / 2 < end
            && let entente_store::AddOutcome::Added { date_added } = out[(size / 2 - n) as usize]
        {
            middle = date_added;
        }
        n = end;
    }
    eprintln!(
        "filled {size} objects in {:.1?} ({:.0} objects/s in add_objects, {:.0} objects/s with generation)",
        start.elapsed(),
        size as f64 / build_time.as_secs_f64(),
        size as f64 / start.elapsed().as_secs_f64()
    );

    let mut group = c.benchmark_group("store_page");
    group.throughput(Throughput::Elements(1));
    let default_page = ObjectFilter {
        limit: 100,
        ..Default::default()
    };
    group.bench_function(format!("objects_default_limit100_at_{size}"), |b| {
        b.iter(|| {
            let p = rt
                .block_on(store.objects_page(&coll, &default_page))
                .unwrap();
            assert_eq!(p.items.len(), 100);
        })
    });
    let typed = ObjectFilter {
        types: vec!["indicator".into()],
        added_after: Some(middle),
        limit: 100,
        ..Default::default()
    };
    group.bench_function(
        format!("objects_type_added_after_limit100_at_{size}"),
        |b| {
            b.iter(|| {
                let p = rt.block_on(store.objects_page(&coll, &typed)).unwrap();
                assert_eq!(p.items.len(), 100);
            })
        },
    );
    group.bench_function(format!("manifest_type_limit100_at_{size}"), |b| {
        b.iter(|| {
            let p = rt.block_on(store.manifest_page(&coll, &typed)).unwrap();
            assert_eq!(p.items.len(), 100);
        })
    });
    let by_id = ObjectFilter {
        ids: vec![format!("indicator--{}", uuid(size / 2 / 2 * 2))],
        limit: 100,
        ..Default::default()
    };
    group.bench_function(format!("object_by_id_at_{size}"), |b| {
        b.iter(|| {
            let p = rt.block_on(store.objects_page(&coll, &by_id)).unwrap();
            assert_eq!(p.items.len(), 1);
        })
    });
    let rare = ObjectFilter {
        types: vec!["campaign".into()],
        added_after: Some(middle),
        limit: 100,
        ..Default::default()
    };
    group.bench_function(format!("objects_rare_type_limit100_at_{size}"), |b| {
        b.iter(|| rt.block_on(store.objects_page(&coll, &rare)).unwrap())
    });
    group.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
