//! Correlation storage on both backends: hits stored as links (canonical order, duplicates
//! skipped), listed by object, by collection and since a time; bad hits refused without
//! changing anything; settings kept; hits survive reopening.
//!
//! SQLite always runs; PostgreSQL runs when `ENTENTE_TEST_POSTGRES_URL` is set (a fresh
//! database per scenario, dropped afterwards), as in `conformance.rs`.

use entente_store::{
    ApiRoot, Collection, CollectionId, CorrelationHit, Error, HitSide, SharedStore,
};

/// A fresh, empty database for one scenario.
struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    /// For PostgreSQL: the server URL and the database to drop.
    pg: Option<(String, String)>,
}

impl TestDb {
    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        // A nested path: open() must create the missing folders.
        let url = format!(
            "sqlite:{}",
            dir.path().join("data/nested/entente.db").display()
        );
        TestDb {
            url,
            _dir: Some(dir),
            pg: None,
        }
    }

    // Test harnesses read their settings from the environment (see clippy.toml).
    #[allow(clippy::disallowed_methods)]
    async fn postgres() -> Option<TestDb> {
        let Ok(base) = std::env::var("ENTENTE_TEST_POSTGRES_URL") else {
            eprintln!("ENTENTE_TEST_POSTGRES_URL is not set: PostgreSQL scenario skipped");
            return None;
        };
        let name = format!("entente_test_{}", uuid::Uuid::new_v4().simple());
        let (client, conn) = tokio_postgres::connect(&base, tokio_postgres::NoTls)
            .await
            .expect("connect to ENTENTE_TEST_POSTGRES_URL");
        tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let url = with_database(&base, &name);
        Some(TestDb {
            url,
            _dir: None,
            pg: Some((base, name)),
        })
    }

    async fn open(&self) -> SharedStore {
        entente_store::open(&self.url).await.expect("open store")
    }

    async fn finish(self) {
        if let Some((base, name)) = &self.pg {
            let (client, conn) = tokio_postgres::connect(base, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop test database");
        }
    }
}

/// `base` with its database name replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (main, query) = match base.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (base, None),
    };
    let scheme_end = main.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match main[scheme_end..].find('/') {
        Some(i) => &main[..scheme_end + i],
        None => main,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let db = crate::TestDb::sqlite();
                    crate::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = crate::TestDb::postgres().await else { return };
                    crate::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

async fn setup(store: &SharedStore) -> (CollectionId, CollectionId) {
    store
        .create_api_root(ApiRoot {
            name: "api1".into(),
            title: "t".into(),
            description: None,
            max_content_length: 1 << 20,
        })
        .await
        .unwrap();
    let mut ids = Vec::new();
    for title in ["ours", "theirs"] {
        let id = CollectionId(uuid::Uuid::new_v4().to_string());
        store
            .create_collection(Collection {
                id: id.clone(),
                api_root: "api1".into(),
                title: title.into(),
                description: None,
                alias: None,
                media_types: vec![],
            })
            .await
            .unwrap();
        ids.push(id);
    }
    (ids[0].clone(), ids[1].clone())
}

fn side(c: &CollectionId, id: &str, version: &str) -> HitSide {
    HitSide {
        collection: c.clone(),
        id: id.into(),
        version: version.into(),
    }
}

fn hit(found: i64, a: HitSide, b: HitSide, value: &str) -> CorrelationHit {
    CorrelationHit {
        seq: 0,
        found,
        rule: "value".into(),
        kind: "domain".into(),
        value: value.into(),
        a,
        b,
    }
}

const IND: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const DOM: &str = "domain-name--3c8b3c1b-3e4e-5e7e-9b1a-6c1a2f1d9e10";
const OD: &str = "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf";

async fn hits_are_links_listed_three_ways(db: &TestDb) {
    let store = db.open().await;
    let (ours, theirs) = setup(&store).await;
    let i = side(&ours, IND, "2026-01-01T00:00:00Z");
    let d = side(&theirs, DOM, "");
    let o = side(&theirs, OD, "2026-02-01T00:00:00Z");
    let added = store
        .add_hits(vec![
            hit(1_000, d.clone(), i.clone(), "evil-c2.net"),
            hit(2_000, o.clone(), i.clone(), "evil-c2.net"),
        ])
        .await
        .unwrap();
    assert_eq!(added, 2);
    // The same link again, in the other order: skipped.
    let again = store
        .add_hits(vec![hit(3_000, i.clone(), d.clone(), "evil-c2.net")])
        .await
        .unwrap();
    assert_eq!(again, 0);
    // A pattern hit between the same versions is another link.
    let mut p = hit(4_000, o.clone(), i.clone(), "");
    p.rule = "pattern".into();
    p.kind = "pattern".into();
    assert_eq!(store.add_hits(vec![p]).await.unwrap(), 1);

    let for_ind = store.hits_for_object(IND, 0, 100).await.unwrap();
    assert_eq!(for_ind.len(), 3);
    assert!(for_ind.windows(2).all(|w| w[0].seq < w[1].seq));
    // Stored in canonical order: the smaller side first.
    assert!(for_ind.iter().all(|h| h.a < h.b));
    assert_eq!(for_ind[0].side_with_id(DOM), Some(&d));
    assert_eq!(for_ind[0].found, 1_000);
    let for_dom = store.hits_for_object(DOM, 0, 100).await.unwrap();
    assert_eq!(for_dom.len(), 1);
    // Paging by seq.
    let first = store.hits_for_object(IND, 0, 1).await.unwrap();
    let rest = store.hits_for_object(IND, first[0].seq, 100).await.unwrap();
    assert_eq!(rest.len(), 2);

    assert_eq!(
        store
            .hits_for_collection(&ours, 0, 100)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .hits_for_collection(&theirs, 0, 100)
            .await
            .unwrap()
            .len(),
        3
    );
    let other = CollectionId(uuid::Uuid::new_v4().to_string());
    assert!(
        store
            .hits_for_collection(&other, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(store.hits_since(2_000, 0, 100).await.unwrap().len(), 2);
    assert_eq!(store.hits_since(5_000, 0, 100).await.unwrap().len(), 0);
    assert!(
        store
            .hits_for_object("nothing--here", 0, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // Durable: the hits are there after reopening.
    drop(store);
    let store = db.open().await;
    assert_eq!(store.hits_for_object(IND, 0, 100).await.unwrap(), for_ind);
    assert_eq!(store.clear_hits().await.unwrap(), 3);
    assert!(store.hits_since(0, 0, 100).await.unwrap().is_empty());
}

async fn bad_hits_are_refused_and_change_nothing(db: &TestDb) {
    let store = db.open().await;
    let (ours, theirs) = setup(&store).await;
    let i = side(&ours, IND, "2026-01-01T00:00:00Z");
    let d = side(&theirs, DOM, "");
    store
        .add_hits(vec![hit(1, d.clone(), i.clone(), "evil-c2.net")])
        .await
        .unwrap();
    let before = store.hits_since(0, 0, 100).await.unwrap();

    let good = hit(2, side(&theirs, OD, "x"), i.clone(), "evil-c2.net");
    let mut bad_rule = good.clone();
    bad_rule.rule = "guess".into();
    let same_sides = hit(2, i.clone(), i.clone(), "v");
    let mut empty_id = good.clone();
    empty_id.a.id.clear();
    let mut empty_kind = good.clone();
    empty_kind.kind.clear();
    for bad in [bad_rule, same_sides, empty_id, empty_kind] {
        // A good hit in the same batch is not stored either.
        let err = store.add_hits(vec![good.clone(), bad]).await.unwrap_err();
        assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    }
    let unknown = CollectionId(uuid::Uuid::new_v4().to_string());
    let err = store
        .add_hits(vec![
            good.clone(),
            hit(3, side(&unknown, OD, "x"), i.clone(), "v"),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(store.hits_since(0, 0, 100).await.unwrap(), before);
    assert_eq!(store.add_hits(vec![]).await.unwrap(), 0);
}

async fn settings_are_kept(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.correlation_settings().await.unwrap(), None);
    store
        .set_correlation_settings(r#"{"cap": 5}"#.into())
        .await
        .unwrap();
    store
        .set_correlation_settings(r#"{"cap": 7}"#.into())
        .await
        .unwrap();
    drop(store);
    let store = db.open().await;
    assert_eq!(
        store.correlation_settings().await.unwrap().as_deref(),
        Some(r#"{"cap": 7}"#)
    );
}

/// Enough hits that the SQLite store moves the new part of its hit index by id into the large
/// one (`sqlite/ids.rs`, migration 11): an equal hit is still found in either part, an
/// object's hits are listed (and paged) across both in order, and clearing empties all.
async fn hits_across_a_large_store(db: &TestDb) {
    // 17 batches pass the threshold (16,384 hits); the 18th stays in the new part.
    const MANY: usize = 18_000;
    let store = db.open().await;
    let (ours, theirs) = setup(&store).await;
    let i = side(&ours, IND, "2026-01-01T00:00:00Z");
    // Each hit links the indicator to its own observed-data; every hundredth one also links
    // that observed-data to a shared domain, so that ids have hits in both parts.
    let od = |n: usize| format!("observed-data--00000000-0000-4000-8000-{n:012}");
    let hits_of = |n: usize| {
        let o = side(&theirs, &od(n), "2026-02-01T00:00:00Z");
        let mut v = vec![hit(n as i64, o.clone(), i.clone(), "evil-c2.net")];
        if n.is_multiple_of(100) {
            v.push(hit(n as i64, o, side(&theirs, DOM, ""), "evil-c2.net"));
        }
        v
    };
    let mut total = 0;
    for start in (0..MANY).step_by(1_000) {
        let batch: Vec<CorrelationHit> = (start..start + 1_000).flat_map(hits_of).collect();
        total += batch.len() as u64;
        assert_eq!(store.add_hits(batch).await.unwrap(), 1_000 + 10);
    }
    let parts = |db: &TestDb| -> Option<(i64, i64)> {
        let path = db.url.strip_prefix("sqlite:")?;
        let hits = entente_store::SqliteStore::hits_file(std::path::Path::new(path));
        let conn = rusqlite::Connection::open(hits).unwrap();
        let count = |t: &str| {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        };
        Some((count("hit_ids"), count("hit_ids_new")))
    };
    if let Some((ids, new_ids)) = parts(db) {
        // Two ids per hit, each in one part.
        assert!(ids >= 2 * 16_384, "no batch was moved: {ids} + {new_ids}");
        assert_eq!(ids + new_ids, 2 * total as i64);
        assert!(new_ids > 0);
    }
    // Hits already held, from the first batch (moved) and the last (new), in either order.
    let old = hit(
        99,
        i.clone(),
        side(&theirs, &od(5), "2026-02-01T00:00:00Z"),
        "evil-c2.net",
    );
    let recent = hits_of(MANY - 1).remove(0);
    assert_eq!(store.add_hits(vec![old, recent]).await.unwrap(), 0);
    // The hits of one observed-data, in the first batch, and of the shared domain, in every
    // batch.
    let of_first = store.hits_for_object(&od(100), 0, 10).await.unwrap();
    assert_eq!(of_first.len(), 2);
    assert!(of_first.iter().all(|h| h.side_with_id(&od(100)).is_some()));
    let of_last = store.hits_for_object(&od(MANY - 100), 0, 10).await.unwrap();
    assert_eq!(of_last.len(), 2);
    let mut dom = Vec::new();
    let mut after = 0;
    loop {
        let page = store.hits_for_object(DOM, after, 50).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        dom.extend(page);
    }
    assert_eq!(dom.len(), MANY / 100);
    assert!(dom.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        dom.iter().map(|h| h.found).collect::<Vec<_>>(),
        (0..MANY as i64).step_by(100).collect::<Vec<_>>()
    );
    // The indicator's hits, paged across both parts.
    let first = store.hits_for_object(IND, 0, 100).await.unwrap();
    assert_eq!(first.len(), 100);
    let tail = store
        .hits_for_object(IND, first[99].seq, 100_000)
        .await
        .unwrap();
    assert_eq!(first.len() + tail.len(), MANY);
    // A new hit between known versions is added once.
    let new = hit(
        1,
        side(&theirs, &od(3), "2026-02-01T00:00:00Z"),
        side(&theirs, DOM, ""),
        "x",
    );
    assert_eq!(store.add_hits(vec![new.clone()]).await.unwrap(), 1);
    assert_eq!(store.add_hits(vec![new.clone()]).await.unwrap(), 0);
    assert_eq!(store.clear_hits().await.unwrap(), total + 1);
    assert!(store.hits_for_object(DOM, 0, 10).await.unwrap().is_empty());
    if let Some(counts) = parts(db) {
        assert_eq!(counts, (0, 0));
    }
    // Cleared, the same hit is new again.
    assert_eq!(store.add_hits(vec![new]).await.unwrap(), 1);
}

/// Two handles on one store, as two processes (a server and a command) have: each skips the
/// hits the other stored, whatever either has already written or cleared. Batches of 1,000 hits
/// and more (as here) make the SQLite writer keep its filter of stored keys, which must follow
/// the other handle's writes; single hits are looked up without it.
async fn equal_hits_are_skipped_across_handles(db: &TestDb) {
    const N: usize = 1_000;
    let first = db.open().await;
    let (ours, theirs) = setup(&first).await;
    let second = db.open().await;
    let i = side(&ours, IND, "2026-01-01T00:00:00Z");
    let d = side(&theirs, DOM, "");
    let o = side(&theirs, OD, "2026-02-01T00:00:00Z");
    let many = |found: i64, other: &HitSide| -> Vec<CorrelationHit> {
        (0..N)
            .map(|n| {
                hit(
                    found,
                    other.clone(),
                    i.clone(),
                    &format!("c2-{n}.evil-corp.net"),
                )
            })
            .collect()
    };
    let (h, k) = (many(1_000, &d), many(2_000, &o));
    let both = || [h.clone(), k.clone()].concat();
    let n = N as u64;
    // Each handle has written before, so that it knows the hits of its own writes.
    assert_eq!(first.add_hits(h.clone()).await.unwrap(), n);
    assert_eq!(second.add_hits(h.clone()).await.unwrap(), 0);
    assert_eq!(second.add_hits(k.clone()).await.unwrap(), n);
    // The first learns of the hits the second stored after its own last write, in a large
    // batch and one by one.
    assert_eq!(first.add_hits(both()).await.unwrap(), 0);
    assert_eq!(first.add_hits(vec![k[7].clone()]).await.unwrap(), 0);
    assert_eq!(first.hits_since(0, 0, 10_000).await.unwrap().len(), 2 * N);
    // Cleared by one handle: both store the hits again, once.
    assert_eq!(second.clear_hits().await.unwrap(), 2 * n);
    assert_eq!(first.add_hits(h.clone()).await.unwrap(), n);
    assert_eq!(second.add_hits(both()).await.unwrap(), n);
    assert_eq!(first.add_hits(k.clone()).await.unwrap(), 0);
    // And a handle that cleared its own hits stores them again.
    assert_eq!(first.clear_hits().await.unwrap(), 2 * n);
    assert_eq!(first.add_hits(h.clone()).await.unwrap(), n);
    assert_eq!(first.add_hits(vec![h[3].clone()]).await.unwrap(), 0);
    assert_eq!(second.hits_since(0, 0, 10_000).await.unwrap().len(), N);
}

scenarios!(
    equal_hits_are_skipped_across_handles,
    hits_are_links_listed_three_ways,
    hits_across_a_large_store,
    bad_hits_are_refused_and_change_nothing,
    settings_are_kept,
);

/// A database written by schema 7 (hits indexed as text) keeps its hits, their sequence numbers
/// and their deduplication when schema 8 (the compact layout) and the later ones (11: the hit
/// indexes in two parts) are applied on open.
#[tokio::test]
async fn sqlite_hits_survive_the_compact_layout_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entente.db");
    let (ours, theirs) = (
        "0b0e3a52-3c8a-4a5e-9f35-1d2a3b4c5d6e",
        "7c1f4d2e-8b9a-4c3d-a2e1-f0e9d8c7b6a5",
    );
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .unwrap();
        let schema7 = [
            include_str!("../migrations/sqlite/0001_initial.sql"),
            include_str!("../migrations/sqlite/0002_audit.sql"),
            include_str!("../migrations/sqlite/0003_sharing.sql"),
            include_str!("../migrations/sqlite/0004_screening.sql"),
            include_str!("../migrations/sqlite/0005_correlation.sql"),
            include_str!("../migrations/sqlite/0006_federation.sql"),
            include_str!("../migrations/sqlite/0007_provenance.sql"),
        ];
        for (i, sql) in schema7.iter().enumerate() {
            conn.execute_batch(sql).unwrap();
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, 'old', 0)",
                [i as i64 + 1],
            )
            .unwrap();
        }
        conn.execute_batch(&format!(
            "INSERT INTO api_roots VALUES ('api1', 't', NULL, 1048576);
             INSERT INTO collections (pk, id, api_root, title, media_types)
                 VALUES (4, '{ours}', 'api1', 'ours', '[]'), (9, '{theirs}', 'api1', 'theirs', '[]');
             INSERT INTO correlation_hits (seq, found, rule, kind, value, a_coll, a_id, a_version,
                 b_coll, b_id, b_version) VALUES
               (5, 1000, 'value', 'domain', 'evil-c2.net', '{ours}', '{IND}', '2026-01-01T00:00:00Z',
                '{theirs}', '{DOM}', ''),
               (8, 2000, 'pattern', 'pattern', '', '{ours}', '{IND}', '2026-01-01T00:00:00Z',
                '{theirs}', '{OD}', '2026-02-01T00:00:00Z');"
        ))
        .unwrap();
    }
    let store = entente_store::open(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let (ours, theirs) = (CollectionId(ours.into()), CollectionId(theirs.into()));
    let i = side(&ours, IND, "2026-01-01T00:00:00Z");
    let d = side(&theirs, DOM, "");
    let o = side(&theirs, OD, "2026-02-01T00:00:00Z");
    let mut expected = vec![
        CorrelationHit {
            seq: 5,
            ..hit(1000, i.clone(), d.clone(), "evil-c2.net")
        },
        CorrelationHit {
            seq: 8,
            rule: "pattern".into(),
            kind: "pattern".into(),
            ..hit(2000, i.clone(), o.clone(), "")
        },
    ];
    assert_eq!(store.hits_since(0, 0, 10).await.unwrap(), expected);
    assert_eq!(store.hits_for_object(IND, 0, 10).await.unwrap(), expected);
    assert_eq!(
        store.hits_for_object(DOM, 0, 10).await.unwrap(),
        expected[..1]
    );
    assert_eq!(
        store.hits_for_collection(&theirs, 5, 10).await.unwrap(),
        expected[1..]
    );
    // The migrated hits are found again by their key: storing one of them again adds nothing,
    // a new one continues the sequence.
    let again = hit(3000, d.clone(), i.clone(), "evil-c2.net");
    assert_eq!(store.add_hits(vec![again]).await.unwrap(), 0);
    let new = hit(4000, o.clone(), i.clone(), "evil-c2.net");
    assert_eq!(store.add_hits(vec![new]).await.unwrap(), 1);
    expected.push(CorrelationHit {
        seq: 9,
        ..hit(4000, i, o, "evil-c2.net")
    });
    assert_eq!(store.hits_since(0, 0, 10).await.unwrap(), expected);
    drop(store);
    // Schema 13 moved them into the hits' own file, with both parts of their indexes; none is
    // left in the main file.
    let tables = |file: &std::path::Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(file).unwrap();
        let mut st = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE name LIKE 'correlation_hits%' \
                 OR name LIKE 'hit_%' ORDER BY name",
            )
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(tables(&path).is_empty(), "{:?}", tables(&path));
    let hits_file = entente_store::SqliteStore::hits_file(&path);
    assert_eq!(hits_file, dir.path().join("entente.hits.db"));
    assert!(tables(&hits_file).contains(&"correlation_hits".to_owned()));
    let conn = rusqlite::Connection::open(&hits_file).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM correlation_hits"), 3);
    assert_eq!(count("SELECT count(*) FROM hit_ids_all"), 6);
}

/// The hits' file is where a node's hits are once schema 13 moved them: a store whose hits'
/// file was removed refuses to open (it would hand out hit sequence numbers again) and creates
/// no empty one; an interrupted move (the hits copied, the main file's migration not
/// committed) copies nothing twice.
#[tokio::test]
async fn sqlite_hits_file_is_required_and_moved_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entente.db");
    let url = format!("sqlite:{}", path.display());
    let hits_file = entente_store::SqliteStore::hits_file(&path);
    {
        let store = entente_store::open(&url).await.unwrap();
        let (ours, theirs) = setup(&store).await;
        let h = hit(
            1,
            side(&ours, IND, "2026-01-01T00:00:00Z"),
            side(&theirs, DOM, ""),
            "evil-c2.net",
        );
        assert_eq!(store.add_hits(vec![h]).await.unwrap(), 1);
    }
    // The main file as before schema 13 with the hit still in it, the hits' file already
    // holding it: what a crash between the two commits of the move leaves.
    {
        let main = rusqlite::Connection::open(&path).unwrap();
        main.execute_batch(
            "CREATE TABLE correlation_hits (
                 seq INTEGER PRIMARY KEY, found INTEGER NOT NULL, rule TEXT NOT NULL,
                 kind TEXT NOT NULL, value TEXT NOT NULL, a_coll INTEGER NOT NULL,
                 a_id TEXT NOT NULL, a_idh INTEGER NOT NULL, a_version TEXT NOT NULL,
                 b_coll INTEGER NOT NULL, b_id TEXT NOT NULL, b_idh INTEGER NOT NULL,
                 b_version TEXT NOT NULL, hkey INTEGER NOT NULL) STRICT;
             CREATE TABLE hit_keys (hkey INTEGER, seq INTEGER);
             CREATE TABLE hit_keys_new (hkey INTEGER, seq INTEGER);
             CREATE TABLE hit_ids (idh INTEGER, seq INTEGER);
             CREATE TABLE hit_ids_new (idh INTEGER, seq INTEGER);
             CREATE VIEW hit_keys_all AS SELECT * FROM hit_keys;
             CREATE VIEW hit_ids_all AS SELECT * FROM hit_ids;
             DELETE FROM schema_migrations WHERE version = 13;",
        )
        .unwrap();
        let hits = rusqlite::Connection::open(&hits_file).unwrap();
        let row: Vec<rusqlite::types::Value> = hits
            .query_row("SELECT * FROM correlation_hits", [], |r| {
                (0..14).map(|i| r.get(i)).collect()
            })
            .unwrap();
        main.execute(
            "INSERT INTO correlation_hits VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            rusqlite::params_from_iter(row),
        )
        .unwrap();
    }
    {
        let store = entente_store::open(&url).await.unwrap();
        let listed = store.hits_since(0, 0, 10).await.unwrap();
        assert_eq!(listed.len(), 1, "moved once: {listed:?}");
        assert_eq!(listed[0].seq, 1);
        assert_eq!(store.hits_for_object(DOM, 0, 10).await.unwrap(), listed);
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", hits_file.display()));
    }
    let err = entente_store::open(&url).await.err().expect("refused");
    let message = err.to_string();
    assert!(
        message.contains("entente.hits.db") && message.contains("missing"),
        "{message}"
    );
    assert!(!hits_file.exists(), "no empty hits' file was created");
}

/// Schema 2 of the hits' file drops the index of the hits by key (the writer keeps the keys in
/// memory): a file written at schema 1 keeps its hits, which are still found equal to new ones.
#[tokio::test]
async fn sqlite_hits_file_schema_2_keeps_the_hits_and_their_deduplication() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entente.db");
    let url = format!("sqlite:{}", path.display());
    let hits_file = entente_store::SqliteStore::hits_file(&path);
    let (h, k) = {
        let store = entente_store::open(&url).await.unwrap();
        let (ours, theirs) = setup(&store).await;
        let i = side(&ours, IND, "2026-01-01T00:00:00Z");
        let h = hit(1, i.clone(), side(&theirs, DOM, ""), "evil-c2.net");
        let k = hit(
            2,
            i,
            side(&theirs, OD, "2026-02-01T00:00:00Z"),
            "evil-c2.net",
        );
        assert_eq!(store.add_hits(vec![h.clone(), k.clone()]).await.unwrap(), 2);
        (h, k)
    };
    // The hits' file as schema 1 left it: the index by key in its two parts, filled.
    {
        let conn = rusqlite::Connection::open(&hits_file).unwrap();
        conn.execute_batch(
            "CREATE TABLE hit_keys (hkey INTEGER NOT NULL, seq INTEGER NOT NULL, \
                 PRIMARY KEY (hkey, seq)) WITHOUT ROWID;
             CREATE TABLE hit_keys_new (hkey INTEGER NOT NULL, seq INTEGER NOT NULL, \
                 PRIMARY KEY (hkey, seq)) WITHOUT ROWID;
             INSERT INTO hit_keys SELECT hkey, seq FROM correlation_hits WHERE seq = 1;
             INSERT INTO hit_keys_new SELECT hkey, seq FROM correlation_hits WHERE seq = 2;
             CREATE VIEW hit_keys_all AS SELECT hkey, seq FROM hit_keys \
                 UNION ALL SELECT hkey, seq FROM hit_keys_new;
             DELETE FROM schema_migrations WHERE version = 2;",
        )
        .unwrap();
    }
    let store = entente_store::open(&url).await.unwrap();
    let conn = rusqlite::Connection::open(&hits_file).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'hit_keys%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(store.hits_since(0, 0, 10).await.unwrap().len(), 2);
    assert_eq!(store.add_hits(vec![k, h.clone()]).await.unwrap(), 0);
    let mut other = h;
    other.value = "other.example".into();
    assert_eq!(store.add_hits(vec![other]).await.unwrap(), 1);
}
