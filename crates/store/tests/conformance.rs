//! Storage conformance: one set of scenarios, written once against the `Store` trait, run on
//! every backend.
//!
//! - SQLite always runs, each scenario in its own temporary folder.
//! - PostgreSQL runs when `ENTENTE_TEST_POSTGRES_URL` is set (for example
//!   `postgres://postgres@127.0.0.1:5432/test`): each scenario creates a fresh database with a
//!   unique name on that server, and drops it afterwards. Without the variable those tests pass
//!   without doing anything, and say so on stderr.
//!
//! Scenarios open the store through `entente_store::open(url)`, the same entry point the
//! binary uses, and reopen it to check durability.

use std::collections::HashSet;
use std::sync::Arc;

use entente_stix::{Object, Timestamp};
use entente_store::{
    AddOutcome, ApiRoot, ApiToken, Collection, CollectionId, DateAdded, Error, ObjectFilter,
    Permission, Role, SharedStore, Status, User, VersionMatch,
};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

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

scenarios!(
    api_roots_and_collections,
    versions_out_of_order,
    versions_across_a_large_collection,
    spec_version_filters,
    duplicates_change_nothing,
    two_handles_on_one_database,
    objects_with_their_status,
    paging_basics,
    paging_with_concurrent_writers,
    date_added_monotonic_under_concurrent_writers,
    durable_across_reopen,
    delete_with_filters,
    status_resources,
    users_tokens_permissions,
    objects_without_versions,
    unknown_collection,
    real_data_round_trip,
);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const ROOT: &str = "api1";

fn uuid_n(n: u128) -> String {
    uuid::Uuid::from_u128(0x1111_2222_3333_4444_0000_0000_0000_0000 + n).to_string()
}

fn indicator_id(n: u128) -> String {
    format!("indicator--{}", uuid_n(n))
}

/// An indicator version with `created` fixed and the given `modified`.
fn indicator(n: u128, modified: &str) -> Object {
    let text = format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"{}","created":"2020-01-01T00:00:00.000Z","modified":"{modified}","name":"test {n}","pattern":"[ipv4-addr:value = '10.0.0.{}']","pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}}"#,
        indicator_id(n),
        n % 250
    );
    Object::from_json(&text).expect("fixture parses")
}

fn malware(n: u128, modified: &str) -> Object {
    let text = format!(
        r#"{{"type":"malware","spec_version":"2.1","id":"malware--{}","created":"2020-01-01T00:00:00Z","modified":"{modified}","name":"m{n}","is_family":false}}"#,
        uuid_n(n)
    );
    Object::from_json(&text).expect("fixture parses")
}

/// A status body from JSON.
fn raw(v: serde_json::Value) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(&v).unwrap()
}

/// A stored status body, parsed.
fn parsed(body: &serde_json::value::RawValue) -> serde_json::Value {
    serde_json::from_str(body.get()).unwrap()
}

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

async fn setup(store: &SharedStore, id: &str) -> CollectionId {
    match store
        .create_api_root(ApiRoot {
            name: ROOT.into(),
            title: "API root one".into(),
            description: None,
            max_content_length: 10_485_760,
        })
        .await
    {
        Ok(()) | Err(Error::Conflict(_)) => {}
        Err(e) => panic!("create api root: {e}"),
    }
    let cid = CollectionId(id.to_owned());
    store
        .create_collection(Collection {
            id: cid.clone(),
            api_root: ROOT.into(),
            title: format!("collection {id}"),
            description: None,
            alias: None,
            media_types: vec!["application/stix+json;version=2.1".into()],
        })
        .await
        .expect("create collection");
    cid
}

fn all(limit: usize) -> ObjectFilter {
    ObjectFilter {
        versions: vec![VersionMatch::All],
        limit,
        ..Default::default()
    }
}

fn page_filter(limit: usize) -> ObjectFilter {
    ObjectFilter {
        limit,
        ..Default::default()
    }
}

/// Every item matching `f`, by following `next` to the end with pages of `f.limit`.
async fn read_all(
    store: &SharedStore,
    c: &CollectionId,
    f: &ObjectFilter,
) -> Vec<(String, String)> {
    let mut f = f.clone();
    let mut out = Vec::new();
    loop {
        let page = store.objects_page(c, &f).await.expect("page");
        for o in &page.items {
            out.push((
                o.object.id().as_str().to_owned(),
                o.object
                    .modified()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
            ));
        }
        if !page.more {
            return out;
        }
        f.after = page.next;
        assert!(f.after.is_some(), "more without next");
    }
}

fn added(o: &AddOutcome) -> DateAdded {
    match o {
        AddOutcome::Added { date_added } => *date_added,
        AddOutcome::Duplicate { .. } => panic!("expected Added, got {o:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

async fn api_roots_and_collections(db: &TestDb) {
    let s = db.open().await;
    let root = |name: &str| ApiRoot {
        name: name.into(),
        title: format!("root {name}"),
        description: Some("d".into()),
        max_content_length: 1000,
    };
    s.create_api_root(root("zeta")).await.unwrap();
    s.create_api_root(root("alpha")).await.unwrap();
    assert!(matches!(
        s.create_api_root(root("zeta")).await,
        Err(Error::Conflict(_))
    ));
    let roots = s.api_roots().await.unwrap();
    assert_eq!(
        roots.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["alpha", "zeta"]
    );
    assert_eq!(roots[0], root("alpha"));

    let coll = |id: &str, rootname: &str, title: &str, alias: Option<&str>| Collection {
        id: CollectionId(id.into()),
        api_root: rootname.into(),
        title: title.into(),
        description: None,
        alias: alias.map(str::to_owned),
        media_types: vec!["application/stix+json;version=2.1".into()],
    };
    let a = uuid_n(1);
    let b = uuid_n(2);
    assert!(matches!(
        s.create_collection(coll(&a, "missing", "A", None)).await,
        Err(Error::NotFound(_))
    ));
    s.create_collection(coll(&a, "alpha", "Beta title", Some("intel")))
        .await
        .unwrap();
    s.create_collection(coll(&b, "alpha", "Alpha title", None))
        .await
        .unwrap();
    // Same id again, even in another root: the id names one collection only.
    assert!(matches!(
        s.create_collection(coll(&a, "zeta", "A again", None)).await,
        Err(Error::Conflict(_))
    ));
    // Alias taken in the same root; free in another root.
    assert!(matches!(
        s.create_collection(coll(&uuid_n(3), "alpha", "C", Some("intel")))
            .await,
        Err(Error::Conflict(_))
    ));
    // An alias equal to another collection's id would make lookups ambiguous.
    assert!(matches!(
        s.create_collection(coll(&uuid_n(4), "alpha", "D", Some(&b)))
            .await,
        Err(Error::Conflict(_))
    ));
    s.create_collection(coll(&uuid_n(3), "zeta", "C", Some("intel")))
        .await
        .unwrap();

    let list = s.collections("alpha").await.unwrap();
    assert_eq!(
        list.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(),
        ["Alpha title", "Beta title"],
        "ordered by title"
    );
    assert_eq!(list[1], coll(&a, "alpha", "Beta title", Some("intel")));
    assert_eq!(s.collection("alpha", &a).await.unwrap().id.0, a);
    assert_eq!(s.collection("alpha", "intel").await.unwrap().id.0, a);
    assert_eq!(s.collection("zeta", "intel").await.unwrap().id.0, uuid_n(3));
    assert!(matches!(
        s.collection("zeta", &a).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.collection("alpha", "nope").await,
        Err(Error::NotFound(_))
    ));
    assert!(s.collections("nope").await.unwrap().is_empty());
}

async fn versions_out_of_order(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(10)).await;
    let (t1, t2, t3) = (
        "2021-01-01T00:00:00.000Z",
        "2021-06-01T00:00:00.000Z",
        "2022-01-01T00:00:00.000Z",
    );
    // X arrives t1, then t3, then t2 (out of order); Y has one version; Z is a malware.
    let out = s
        .add_objects(&c, vec![indicator(1, t1), indicator(2, t1)])
        .await
        .unwrap();
    assert_eq!(out.len(), 2);
    s.add_objects(&c, vec![indicator(1, t3)]).await.unwrap();
    s.add_objects(&c, vec![indicator(1, t2), malware(3, t1)])
        .await
        .unwrap();
    assert_eq!(s.count_objects(&c).await.unwrap(), 5);

    let x = indicator_id(1);
    let y = indicator_id(2);
    let get = |versions: Vec<VersionMatch>| {
        let s = s.clone();
        let c = c.clone();
        async move {
            read_all(
                &s,
                &c,
                &ObjectFilter {
                    versions,
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
        }
    };
    let pair = |id: &str, t: &str| (id.to_owned(), t.to_owned());
    let m = format!("malware--{}", uuid_n(3));

    // Default is last; results ordered by date_added.
    assert_eq!(
        get(vec![]).await,
        [pair(&y, t1), pair(&x, t3), pair(&m, t1)]
    );
    assert_eq!(get(vec![VersionMatch::Last]).await, get(vec![]).await);
    assert_eq!(
        get(vec![VersionMatch::First]).await,
        [pair(&x, t1), pair(&y, t1), pair(&m, t1)]
    );
    assert_eq!(
        get(vec![VersionMatch::All]).await,
        [
            pair(&x, t1),
            pair(&y, t1),
            pair(&x, t3),
            pair(&x, t2),
            pair(&m, t1)
        ]
    );
    assert_eq!(get(vec![VersionMatch::At(ts(t2))]).await, [pair(&x, t2)]);
    // The same instant written with another precision is the same version.
    assert_eq!(
        get(vec![VersionMatch::At(ts("2021-06-01T00:00:00Z"))]).await,
        [pair(&x, t2)]
    );
    // Combinations are a union.
    assert_eq!(
        get(vec![VersionMatch::First, VersionMatch::Last]).await,
        [pair(&x, t1), pair(&y, t1), pair(&x, t3), pair(&m, t1)]
    );
    assert_eq!(
        get(vec![VersionMatch::At(ts(t2)), VersionMatch::First]).await,
        [pair(&x, t1), pair(&y, t1), pair(&x, t2), pair(&m, t1)]
    );
    assert!(
        get(vec![VersionMatch::At(ts("2019-01-01T00:00:00Z"))])
            .await
            .is_empty()
    );

    // match[id] and match[type] (several values = OR, different filters = AND).
    let f = ObjectFilter {
        ids: vec![x.clone(), m.clone()],
        versions: vec![VersionMatch::All],
        limit: 100,
        ..Default::default()
    };
    assert_eq!(read_all(&s, &c, &f).await.len(), 4);
    let f = ObjectFilter {
        types: vec!["malware".into()],
        limit: 100,
        ..Default::default()
    };
    assert_eq!(read_all(&s, &c, &f).await, [pair(&m, t1)]);
    let f = ObjectFilter {
        types: vec!["indicator".into(), "malware".into()],
        ids: vec![y.clone()],
        limit: 100,
        ..Default::default()
    };
    assert_eq!(read_all(&s, &c, &f).await, [pair(&y, t1)]);
    // A few objects named by id, each in a few versions (a point read, which the SQLite store
    // answers without ordering in SQL) come in date_added order too, across pages of one.
    let f = ObjectFilter {
        ids: vec![y.clone(), x.clone()],
        versions: vec![
            VersionMatch::Last,
            VersionMatch::At(ts(t2)),
            VersionMatch::First,
        ],
        limit: 1,
        ..Default::default()
    };
    assert_eq!(
        read_all(&s, &c, &f).await,
        [pair(&x, t1), pair(&y, t1), pair(&x, t3), pair(&x, t2)]
    );
    let manifest = s
        .manifest_page(&c, &ObjectFilter { limit: 10, ..f })
        .await
        .unwrap();
    assert_eq!(
        manifest
            .items
            .iter()
            .map(|r| (r.id.as_str(), r.version.as_str()))
            .collect::<Vec<_>>(),
        [
            (x.as_str(), t1),
            (y.as_str(), t1),
            (x.as_str(), t3),
            (x.as_str(), t2)
        ]
    );

    // The manifest reports the same records with their versions and media types.
    let man = s
        .manifest_page(
            &c,
            &ObjectFilter {
                ids: vec![x.clone()],
                ..all(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        man.items
            .iter()
            .map(|r| r.version.as_str())
            .collect::<Vec<_>>(),
        [t1, t3, t2]
    );
    assert!(
        man.items
            .iter()
            .all(|r| r.id == x && r.media_type == "application/stix+json;version=2.1")
    );
    let dates: Vec<_> = man.items.iter().map(|r| r.date_added).collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]));

    // Objects come back byte for byte.
    let page = s
        .objects_page(
            &c,
            &ObjectFilter {
                ids: vec![y],
                ..page_filter(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items[0].object.as_json(), indicator(2, t1).as_json());
}

/// Enough versions that the SQLite store moves its new ids into the large part of its id index
/// (`sqlite/ids.rs`): lookups by id, the version flags, duplicates and deletions then work for
/// objects whose versions sit in both parts, as they do in one.
async fn versions_across_a_large_collection(db: &TestDb) {
    const MANY: u128 = 17_000;
    let s = db.open().await;
    let c = setup(&s, &uuid_n(11)).await;
    let (t0, t1, t2) = (
        "2020-01-01T00:00:00.000Z",
        "2021-01-01T00:00:00.000Z",
        "2022-01-01T00:00:00.000Z",
    );
    for start in (0..MANY).step_by(1_000) {
        let batch = (start..(start + 1_000).min(MANY))
            .map(|n| indicator(n, t1))
            .collect();
        s.add_objects(&c, batch).await.unwrap();
    }
    let parts = |db: &TestDb| -> Option<(i64, i64)> {
        let path = db.url.strip_prefix("sqlite:")?;
        let conn = rusqlite::Connection::open(path).unwrap();
        let count = |t: &str| {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        };
        Some((count("object_ids"), count("object_ids_new")))
    };
    if let Some((large, new)) = parts(db) {
        assert!(large >= 16_384, "no batch was moved: {large} + {new}");
        assert_eq!(large + new, MANY as i64);
    }
    // Later versions of ids 0..10 and earlier ones of ids 10..20 go into the new part.
    s.add_objects(&c, (0..10).map(|n| indicator(n, t2)).collect())
        .await
        .unwrap();
    s.add_objects(&c, (10..20).map(|n| indicator(n, t0)).collect())
        .await
        .unwrap();
    if let Some((large, new)) = parts(db) {
        assert_eq!(large + new, MANY as i64 + 20);
        assert!(new >= 20);
    }

    let versions = |ids: Vec<String>, versions: Vec<VersionMatch>| {
        let (s, c) = (s.clone(), c.clone());
        async move {
            let mut got = read_all(
                &s,
                &c,
                &ObjectFilter {
                    ids,
                    versions,
                    limit: 100,
                    ..Default::default()
                },
            )
            .await;
            got.sort();
            got
        }
    };
    let pair = |n: u128, t: &str| (indicator_id(n), t.to_owned());
    let (five, fifteen, far) = (indicator_id(5), indicator_id(15), indicator_id(16_500));
    assert_eq!(
        versions(vec![five.clone()], vec![VersionMatch::All]).await,
        [pair(5, t1), pair(5, t2)]
    );
    assert_eq!(versions(vec![five.clone()], vec![]).await, [pair(5, t2)]);
    assert_eq!(
        versions(vec![five.clone()], vec![VersionMatch::First]).await,
        [pair(5, t1)]
    );
    assert_eq!(
        versions(vec![fifteen.clone()], vec![VersionMatch::First]).await,
        [pair(15, t0)]
    );
    assert_eq!(
        versions(
            vec![five.clone(), fifteen.clone(), far.clone()],
            vec![VersionMatch::Last]
        )
        .await,
        [pair(5, t2), pair(15, t1), pair(16_500, t1)]
    );
    // Several versions per object selected: the spec_version rule compares versions of the
    // same object across both parts.
    assert_eq!(
        versions(
            vec![five.clone(), fifteen.clone()],
            vec![VersionMatch::First, VersionMatch::Last]
        )
        .await,
        [pair(5, t1), pair(5, t2), pair(15, t0), pair(15, t1)]
    );

    // A version stored before the batch moved is still found as a duplicate.
    let out = s
        .add_objects(&c, vec![indicator(5, t1), indicator(16_500, t1)])
        .await
        .unwrap();
    assert!(
        out.iter()
            .all(|o| matches!(o, AddOutcome::Duplicate { .. })),
        "{out:?}"
    );

    // Deleting an object removes its versions from both parts.
    assert_eq!(s.delete_object(&c, &five, &all(100)).await.unwrap(), 2);
    assert!(
        versions(vec![five.clone()], vec![VersionMatch::All])
            .await
            .is_empty()
    );
    assert_eq!(
        s.delete_object(
            &c,
            &fifteen,
            &ObjectFilter {
                versions: vec![VersionMatch::First],
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        1
    );
    assert_eq!(
        versions(vec![fifteen.clone()], vec![VersionMatch::First]).await,
        [pair(15, t1)]
    );
    assert_eq!(s.count_objects(&c).await.unwrap(), MANY as u64 + 20 - 3);
    if let Some((large, new)) = parts(db) {
        assert_eq!(large + new, MANY as i64 + 20 - 3);
    }
}

async fn spec_version_filters(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(11)).await;
    let id = format!("campaign--{}", uuid_n(5));
    // A STIX 2.0 version (no spec_version) and a later 2.1 version of the same object.
    let v20 = Object::from_json(&format!(
        r#"{{"type":"campaign","id":"{id}","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","name":"old"}}"#
    ))
    .unwrap();
    let v21 = Object::from_json(&format!(
        r#"{{"type":"campaign","spec_version":"2.1","id":"{id}","created":"2017-01-01T00:00:00.000Z","modified":"2018-01-01T00:00:00.000Z","name":"new"}}"#
    ))
    .unwrap();
    // An odd object whose newer version went back to 2.0.
    let odd = format!("campaign--{}", uuid_n(6));
    let odd21 = Object::from_json(&format!(
        r#"{{"type":"campaign","spec_version":"2.1","id":"{odd}","created":"2017-01-01T00:00:00.000Z","modified":"2017-01-01T00:00:00.000Z","name":"a"}}"#
    ))
    .unwrap();
    let odd20 = Object::from_json(&format!(
        r#"{{"type":"campaign","id":"{odd}","created":"2017-01-01T00:00:00.000Z","modified":"2019-01-01T00:00:00.000Z","name":"b"}}"#
    ))
    .unwrap();
    s.add_objects(
        &c,
        vec![v21.clone(), v20.clone(), odd21.clone(), odd20.clone()],
    )
    .await
    .unwrap();
    let names = |f: ObjectFilter| {
        let s = s.clone();
        let c = c.clone();
        async move {
            let p = s
                .objects_page(&c, &ObjectFilter { limit: 100, ..f })
                .await
                .unwrap();
            p.items
                .iter()
                .map(|o| o.object.to_value()["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let with = |versions: Vec<VersionMatch>, spec: &[&str]| ObjectFilter {
        versions,
        spec_versions: spec.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    // Default: last version, and among the selected versions the latest spec_version.
    assert_eq!(names(with(vec![], &[])).await, ["new", "b"]);
    // All versions, no spec_version filter: only the latest spec_version of each object.
    assert_eq!(
        names(with(vec![VersionMatch::All], &[])).await,
        ["new", "a"]
    );
    // first + last of `odd` are 2.1 (a) and 2.0 (b): keep the latest spec_version (a).
    assert_eq!(
        names(with(vec![VersionMatch::First, VersionMatch::Last], &[])).await,
        ["new", "a"]
    );
    // Explicit spec_version filters.
    assert_eq!(
        names(with(vec![VersionMatch::All], &["2.0"])).await,
        ["old", "b"]
    );
    assert_eq!(
        names(with(vec![VersionMatch::All], &["2.0", "2.1"])).await,
        ["new", "old", "a", "b"]
    );
    // Different filters AND together: the last version of `id` is 2.1, so no 2.0 result.
    assert_eq!(names(with(vec![], &["2.0"])).await, ["b"]);
    assert!(names(with(vec![], &["2.2"])).await.is_empty());

    let man = s
        .manifest_page(&c, &with(vec![VersionMatch::All], &["2.0"]))
        .await;
    let man = man.unwrap_or_else(|e| panic!("{e}"));
    assert!(man.items.is_empty(), "limit 0 returns no items");
    assert!(man.more);
    let man = s
        .manifest_page(
            &c,
            &ObjectFilter {
                limit: 10,
                ..with(vec![VersionMatch::All], &["2.0"])
            },
        )
        .await
        .unwrap();
    assert_eq!(
        man.items
            .iter()
            .map(|r| r.media_type.as_str())
            .collect::<Vec<_>>(),
        ["application/stix+json;version=2.0"; 2]
    );
}

async fn duplicates_change_nothing(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(12)).await;
    let t = "2021-01-01T00:00:00.000Z";
    let first = s.add_objects(&c, vec![indicator(1, t)]).await.unwrap();
    let d = added(&first[0]);
    let before = read_all(&s, &c, &all(10)).await;
    // Again, alone and in a batch with a new object and an in-batch repeat.
    let again = s.add_objects(&c, vec![indicator(1, t)]).await.unwrap();
    assert_eq!(again, [AddOutcome::Duplicate { date_added: d }]);
    // The same instant written differently is the same version.
    let again = s
        .add_objects(&c, vec![indicator(1, "2021-01-01T00:00:00Z")])
        .await
        .unwrap();
    assert_eq!(again, [AddOutcome::Duplicate { date_added: d }]);
    let mixed = s
        .add_objects(&c, vec![indicator(2, t), indicator(1, t), indicator(2, t)])
        .await
        .unwrap();
    let d2 = added(&mixed[0]);
    assert!(d2 > d);
    assert_eq!(mixed[1], AddOutcome::Duplicate { date_added: d });
    assert_eq!(mixed[2], AddOutcome::Duplicate { date_added: d2 });
    assert_eq!(s.count_objects(&c).await.unwrap(), 2);
    let after = read_all(&s, &c, &all(10)).await;
    assert_eq!(&after[..1], &before[..]);
    // An all-duplicate batch is accepted and changes nothing.
    let dup_only = s.add_objects(&c, vec![indicator(2, t)]).await.unwrap();
    assert_eq!(dup_only, [AddOutcome::Duplicate { date_added: d2 }]);
    assert_eq!(s.count_objects(&c).await.unwrap(), 2);
    // The same object in another collection is not a duplicate there.
    let other = setup(&s, &uuid_n(13)).await;
    let o = s.add_objects(&other, vec![indicator(1, t)]).await.unwrap();
    added(&o[0]);
    // An empty batch is fine.
    assert!(s.add_objects(&c, vec![]).await.unwrap().is_empty());
}

/// Two handles on one database, as two processes (a node and an `entente import` beside it):
/// each sees what the other stored, both for duplicates and for the version flags, however
/// much either has cached about the collection.
async fn two_handles_on_one_database(db: &TestDb) {
    let a = db.open().await;
    let c = setup(&a, &uuid_n(40)).await;
    let b = db.open().await;
    let (t1, t2, t3) = (
        "2021-01-01T00:00:00.000Z",
        "2021-02-01T00:00:00.000Z",
        "2021-03-01T00:00:00.000Z",
    );
    // A stores first (and so has looked at the collection).
    added(&a.add_objects(&c, vec![indicator(1, t1)]).await.unwrap()[0]);
    // B stores a second version of that object and a new object.
    let outs = b
        .add_objects(&c, vec![indicator(1, t2), indicator(2, t1)])
        .await
        .unwrap();
    let (d12, d2) = (added(&outs[0]), added(&outs[1]));
    // For A, both are duplicates now; a third version is new.
    let outs = a
        .add_objects(
            &c,
            vec![indicator(2, t1), indicator(1, t2), indicator(1, t3)],
        )
        .await
        .unwrap();
    assert_eq!(outs[0], AddOutcome::Duplicate { date_added: d2 });
    assert_eq!(outs[1], AddOutcome::Duplicate { date_added: d12 });
    added(&outs[2]);
    assert_eq!(a.count_objects(&c).await.unwrap(), 4);
    // One `last` and one `first` version per object, whoever stored them.
    let (i1, i2) = (indicator_id(1), indicator_id(2));
    assert_eq!(
        read_all(&b, &c, &page_filter(10)).await,
        [(i2.clone(), t1.to_owned()), (i1.clone(), t3.to_owned())]
    );
    let first = ObjectFilter {
        versions: vec![VersionMatch::First],
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        read_all(&a, &c, &first).await,
        [(i1, t1.to_owned()), (i2, t1.to_owned())]
    );
}

/// A write and the status built from its outcomes: the builder sees the outcomes the call
/// returns, and the status is stored (and survives a reopen) with the versions.
async fn objects_with_their_status(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(41)).await;
    let t = "2021-01-01T00:00:00.000Z";
    added(&s.add_objects(&c, vec![indicator(1, t)]).await.unwrap()[0]);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let make: entente_store::MakeStatus = {
        let seen = seen.clone();
        Box::new(move |outcomes: &[AddOutcome]| {
            *seen.lock().unwrap() = outcomes.to_vec();
            Status {
                id: "status-41".into(),
                api_root: ROOT.into(),
                owner: "alice".into(),
                body: raw(serde_json::json!({ "id": "status-41", "outcomes": outcomes.len() })),
            }
        })
    };
    let objects = vec![indicator(1, t), indicator(2, t)];
    let sharing = vec![entente_store::ObjectSharing::default(); 2];
    let (outcomes, status) = s
        .add_objects_with_status(&c, objects, sharing, make)
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), outcomes);
    assert!(matches!(outcomes[0], AddOutcome::Duplicate { .. }));
    added(&outcomes[1]);
    assert_eq!(status.id, "status-41");
    drop(s);
    let s = db.open().await;
    let stored = s.status(ROOT, "status-41").await.unwrap();
    assert_eq!(stored.owner, "alice");
    assert_eq!(parsed(&stored.body)["outcomes"], 2);
    assert_eq!(s.count_objects(&c).await.unwrap(), 2);
    // Mismatched sharing records: refused, nothing stored, no status.
    let make: entente_store::MakeStatus = Box::new(|_: &[AddOutcome]| Status {
        id: "status-42".into(),
        api_root: ROOT.into(),
        owner: "alice".into(),
        body: raw(serde_json::json!({})),
    });
    let refused = s
        .add_objects_with_status(&c, vec![indicator(3, t)], vec![], make)
        .await;
    assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    assert!(matches!(
        s.status(ROOT, "status-42").await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.count_objects(&c).await.unwrap(), 2);
}

async fn paging_basics(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(14)).await;
    let objs: Vec<_> = (0..25)
        .map(|n| indicator(n, "2021-01-01T00:00:00.000Z"))
        .collect();
    let out = s.add_objects(&c, objs).await.unwrap();
    let dates: Vec<DateAdded> = out.iter().map(added).collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]));

    let p = s.objects_page(&c, &page_filter(10)).await.unwrap();
    assert_eq!(p.items.len(), 10);
    assert!(p.more);
    assert_eq!(p.next, Some(dates[9]));
    let p2 = s
        .objects_page(
            &c,
            &ObjectFilter {
                after: p.next,
                ..page_filter(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(p2.items[0].date_added, dates[10]);
    let p3 = s
        .objects_page(
            &c,
            &ObjectFilter {
                after: p2.next,
                ..page_filter(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(p3.items.len(), 5);
    assert!(!p3.more);
    assert_eq!(p3.next, None);
    // Exactly a full last page: no `more`.
    let p = s
        .objects_page(
            &c,
            &ObjectFilter {
                after: Some(dates[14]),
                ..page_filter(10)
            },
        )
        .await
        .unwrap();
    assert_eq!(p.items.len(), 10);
    assert!(!p.more);

    // added_after is strict, and combines with the cursor (the later bound wins).
    let f = ObjectFilter {
        added_after: Some(dates[19]),
        ..page_filter(100)
    };
    assert_eq!(s.objects_page(&c, &f).await.unwrap().items.len(), 5);
    let f = ObjectFilter {
        added_after: Some(dates[19]),
        after: Some(dates[21]),
        ..page_filter(100)
    };
    assert_eq!(s.objects_page(&c, &f).await.unwrap().items.len(), 3);
    let f = ObjectFilter {
        added_after: Some(dates[21]),
        after: Some(dates[2]),
        ..page_filter(100)
    };
    assert_eq!(s.objects_page(&c, &f).await.unwrap().items.len(), 3);
    let f = ObjectFilter {
        added_after: Some(dates[24]),
        ..page_filter(100)
    };
    let p = s.objects_page(&c, &f).await.unwrap();
    assert!(p.items.is_empty() && !p.more && p.next.is_none());

    // limit 0: no items, tells whether any match, and the cursor resumes at the same place.
    let p = s.objects_page(&c, &page_filter(0)).await.unwrap();
    assert!(p.items.is_empty() && p.more);
    let resumed = s
        .objects_page(
            &c,
            &ObjectFilter {
                after: p.next,
                ..page_filter(100)
            },
        )
        .await
        .unwrap();
    assert_eq!(resumed.items.len(), 25);
    let f = ObjectFilter {
        types: vec!["malware".into()],
        ..page_filter(0)
    };
    let p = s.objects_page(&c, &f).await.unwrap();
    assert!(!p.more && p.next.is_none());
    // The manifest pages the same way.
    let m = s.manifest_page(&c, &page_filter(7)).await.unwrap();
    assert_eq!(m.items.len(), 7);
    assert_eq!(m.next, Some(dates[6]));
}

async fn paging_with_concurrent_writers(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(15)).await;
    const WRITERS: u128 = 4;
    const BATCHES: u128 = 15;
    const BATCH: u128 = 20;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let (s, c) = (s.clone(), c.clone());
        tasks.push(tokio::spawn(async move {
            for b in 0..BATCHES {
                let objs = (0..BATCH)
                    .map(|i| indicator(w * 100_000 + b * 1000 + i, "2021-01-01T00:00:00.000Z"))
                    .collect();
                s.add_objects(&c, objs).await.unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        tokio::spawn(async move {
            for t in tasks {
                t.await.unwrap();
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        })
    };
    // Page through while the writers add; once they are done, one final pass to the end.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let finished = done.load(std::sync::atomic::Ordering::SeqCst);
        loop {
            let p = s
                .objects_page(
                    &c,
                    &ObjectFilter {
                        after: cursor,
                        ..page_filter(7)
                    },
                )
                .await
                .unwrap();
            for o in &p.items {
                seen.push((o.date_added, o.object.id().as_str().to_owned()));
            }
            if let Some(last) = p.items.last() {
                cursor = Some(last.date_added);
            }
            if !p.more {
                break;
            }
        }
        if finished {
            break;
        }
        tokio::task::yield_now().await;
    }
    watcher.await.unwrap();
    let total = (WRITERS * BATCHES * BATCH) as usize;
    assert_eq!(seen.len(), total, "no item lost or repeated");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "date_added order");
    let ids: HashSet<_> = seen.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids.len(), total);
}

async fn date_added_monotonic_under_concurrent_writers(db: &TestDb) {
    // Two store handles on the same database stand for two processes.
    let s1 = db.open().await;
    let s2 = db.open().await;
    let c = setup(&s1, &uuid_n(16)).await;
    let mut tasks = Vec::new();
    for w in 0..16u128 {
        let s = if w % 2 == 0 { s1.clone() } else { s2.clone() };
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for b in 0..8u128 {
                let objs = (0..10u128)
                    .map(|i| indicator(w * 100_000 + b * 100 + i, "2021-01-01T00:00:00.000Z"))
                    .collect();
                let out = s.add_objects(&c, objs).await.unwrap();
                let dates: Vec<_> = out.iter().map(added).collect();
                // Within one batch, in input order.
                assert!(dates.windows(2).all(|w| w[0] < w[1]));
                mine.extend(dates);
            }
            mine
        }));
    }
    let mut every = Vec::new();
    for t in tasks {
        every.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = every.iter().copied().collect();
    assert_eq!(unique.len(), every.len(), "date_added unique");
    assert_eq!(every.len(), 16 * 8 * 10);
    let stored: Vec<DateAdded> = {
        let mut f = all(500);
        let mut v = Vec::new();
        loop {
            let p = s2.manifest_page(&c, &f).await.unwrap();
            v.extend(p.items.iter().map(|r| r.date_added));
            if !p.more {
                break v;
            }
            f.after = p.next;
        }
    };
    assert_eq!(stored.len(), every.len());
    assert!(stored.windows(2).all(|w| w[0] < w[1]));
    // Microseconds since the epoch, close to now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    assert!((now - stored[0].0).abs() < 600_000_000);
}

async fn durable_across_reopen(db: &TestDb) {
    let c;
    let before;
    let last_date;
    {
        let s = db.open().await;
        c = setup(&s, &uuid_n(17)).await;
        let out = s
            .add_objects(
                &c,
                (0..50)
                    .map(|n| indicator(n, "2021-01-01T00:00:00.000Z"))
                    .collect(),
            )
            .await
            .unwrap();
        last_date = added(out.last().unwrap());
        s.add_user(User {
            name: "ann".into(),
            organisation: "home".into(),
            role: Role::Analyst,
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        })
        .await
        .unwrap();
        before = read_all(&s, &c, &all(20)).await;
        // The store is dropped here: every connection closes.
    }
    let s = db.open().await;
    assert_eq!(s.count_objects(&c).await.unwrap(), 50);
    assert_eq!(read_all(&s, &c, &all(20)).await, before);
    assert_eq!(s.user("ann").await.unwrap().role, Role::Analyst);
    assert_eq!(s.api_roots().await.unwrap().len(), 1);
    // date_added keeps increasing after the restart.
    let out = s
        .add_objects(&c, vec![indicator(99, "2021-01-01T00:00:00.000Z")])
        .await
        .unwrap();
    assert!(added(&out[0]) > last_date);
    drop(s);
    // A third open finds the migrations applied and the data intact.
    let s = db.open().await;
    assert_eq!(s.count_objects(&c).await.unwrap(), 51);
}

async fn delete_with_filters(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(18)).await;
    let (t1, t2, t3) = (
        "2021-01-01T00:00:00.000Z",
        "2021-06-01T00:00:00.000Z",
        "2022-01-01T00:00:00.000Z",
    );
    let out = s
        .add_objects(
            &c,
            vec![
                indicator(1, t3),
                indicator(1, t1),
                indicator(1, t2),
                indicator(2, t1),
            ],
        )
        .await
        .unwrap();
    let x = indicator_id(1);
    let only = |versions: Vec<VersionMatch>| ObjectFilter {
        versions,
        ..Default::default()
    };
    let versions_of_x = || {
        let s = s.clone();
        let c = c.clone();
        let x = x.clone();
        async move {
            read_all(
                &s,
                &c,
                &ObjectFilter {
                    ids: vec![x],
                    ..all(10)
                },
            )
            .await
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>()
        }
    };
    // Deleting the first version moves `first` to the next one.
    assert_eq!(
        s.delete_object(&c, &x, &only(vec![VersionMatch::First]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(versions_of_x().await, [t3, t2]);
    let f = ObjectFilter {
        ids: vec![x.clone()],
        limit: 10,
        ..only(vec![VersionMatch::First])
    };
    let first = read_all(&s, &c, &f).await;
    assert_eq!(first, [(x.clone(), t2.to_owned())]);
    // A non-matching filter deletes nothing and says NotFound.
    assert!(matches!(
        s.delete_object(&c, &x, &only(vec![VersionMatch::At(ts(t1))]))
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.delete_object(
            &c,
            &x,
            &ObjectFilter {
                spec_versions: vec!["2.0".into()],
                ..all(0)
            }
        )
        .await,
        Err(Error::NotFound(_))
    ));
    // The default deletes the last version only; `last` moves back.
    assert_eq!(
        s.delete_object(&c, &x, &ObjectFilter::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(versions_of_x().await, [t2]);
    let last = read_all(
        &s,
        &c,
        &ObjectFilter {
            ids: vec![x.clone()],
            ..page_filter(10)
        },
    )
    .await;
    assert_eq!(last, [(x.clone(), t2.to_owned())]);
    // Other filters (ids, types, added_after) do not widen or narrow a delete.
    let f = ObjectFilter {
        types: vec!["malware".into()],
        added_after: Some(DateAdded(i64::MAX - 1)),
        ..all(0)
    };
    assert_eq!(s.delete_object(&c, &x, &f).await.unwrap(), 1);
    assert_eq!(s.count_objects(&c).await.unwrap(), 1);
    assert!(matches!(
        s.delete_object(&c, &x, &all(0)).await,
        Err(Error::NotFound(_))
    ));
    // Re-adding after a delete: a new, larger date_added (the counter never goes back).
    let again = s.add_objects(&c, vec![indicator(1, t3)]).await.unwrap();
    assert!(added(&again[0]) > out.iter().map(added).max().unwrap());
    assert!(matches!(
        s.delete_object(&CollectionId(uuid_n(999)), &x, &all(0))
            .await,
        Err(Error::NotFound(_))
    ));
}

async fn status_resources(db: &TestDb) {
    let s = db.open().await;
    setup(&s, &uuid_n(19)).await;
    let id = uuid_n(20);
    let mut st = Status {
        id: id.clone(),
        api_root: ROOT.into(),
        owner: "ann".into(),
        body: raw(
            serde_json::json!({"id": id, "status": "pending", "total_count": 2,
                                  "success_count": 1, "pending_count": 1}),
        ),
    };
    s.put_status(st.clone()).await.unwrap();
    assert_eq!(s.status(ROOT, &id).await.unwrap(), st);
    let mut body = parsed(&st.body);
    body["status"] = "complete".into();
    st.body = raw(body);
    s.put_status(st.clone()).await.unwrap();
    assert_eq!(s.status(ROOT, &id).await.unwrap(), st);
    assert!(matches!(
        s.status("other", &id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.status(ROOT, "nope").await,
        Err(Error::NotFound(_))
    ));
}

async fn users_tokens_permissions(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(21)).await;
    let user = |name: &str, role: Role| User {
        name: name.into(),
        organisation: "home".into(),
        role,
        password_hash: None,
    };
    s.add_user(user("zoe", Role::Service)).await.unwrap();
    s.add_user(user("ann", Role::LiaisonOfficer)).await.unwrap();
    assert!(matches!(
        s.add_user(user("ann", Role::Admin)).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(
        s.user("ann").await.unwrap(),
        user("ann", Role::LiaisonOfficer)
    );
    assert!(matches!(s.user("bob").await, Err(Error::NotFound(_))));
    assert_eq!(
        s.users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.name.as_str())
            .collect::<Vec<_>>(),
        ["ann", "zoe"]
    );

    let token = ApiToken {
        sha256: "ab".repeat(32),
        user: "zoe".into(),
        label: "partner node".into(),
    };
    s.add_token(token.clone()).await.unwrap();
    assert!(matches!(
        s.add_token(token.clone()).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.add_token(ApiToken {
            sha256: "cd".repeat(32),
            user: "bob".into(),
            ..token.clone()
        })
        .await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.user_by_token(&token.sha256).await.unwrap().name, "zoe");
    assert!(matches!(
        s.user_by_token(&"ef".repeat(32)).await,
        Err(Error::NotFound(_))
    ));

    assert!(matches!(
        s.permission("ann", &c).await,
        Err(Error::NotFound(_))
    ));
    let p = Permission {
        user: "ann".into(),
        collection: c.clone(),
        can_read: true,
        can_write: false,
    };
    s.set_permission(p.clone()).await.unwrap();
    assert_eq!(s.permission("ann", &c).await.unwrap(), p);
    let p2 = Permission {
        can_write: true,
        ..p.clone()
    };
    s.set_permission(p2.clone()).await.unwrap();
    assert_eq!(s.permission("ann", &c).await.unwrap(), p2);
    assert!(matches!(
        s.permission("zoe", &c).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.set_permission(Permission {
            user: "bob".into(),
            ..p.clone()
        })
        .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.set_permission(Permission {
            collection: CollectionId(uuid_n(999)),
            ..p
        })
        .await,
        Err(Error::NotFound(_))
    ));
}

async fn objects_without_versions(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(22)).await;
    let ip = Object::from_json(
        r#"{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}"#,
    )
    .unwrap();
    let file = Object::from_json(
        r#"{"type":"file","spec_version":"2.1","id":"file--e277603e-1060-5ad4-9937-c26c97f1ca68","name":"x.exe"}"#,
    )
    .unwrap();
    let out = s
        .add_objects(&c, vec![ip.clone(), file.clone()])
        .await
        .unwrap();
    let d = added(&out[0]);
    assert_eq!(
        s.add_objects(&c, vec![ip.clone()]).await.unwrap(),
        [AddOutcome::Duplicate { date_added: d }]
    );
    for versions in [
        vec![],
        vec![VersionMatch::First],
        vec![VersionMatch::Last],
        vec![VersionMatch::All],
    ] {
        let p = s
            .objects_page(
                &c,
                &ObjectFilter {
                    versions,
                    ..page_filter(10)
                },
            )
            .await
            .unwrap();
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.items[0].object.as_json(), ip.as_json());
    }
    // The manifest's version for an object without modified/created is its date_added.
    let m = s.manifest_page(&c, &page_filter(10)).await.unwrap();
    assert_eq!(m.items[0].version, d.to_timestamp().as_str());
    assert_eq!(m.items[0].media_type, "application/stix+json;version=2.1");
    // ... and asking for that version finds it.
    let f = ObjectFilter {
        versions: vec![VersionMatch::At(d.to_timestamp())],
        ..page_filter(10)
    };
    let p = s.objects_page(&c, &f).await.unwrap();
    assert_eq!(p.items.len(), 1);
    assert_eq!(p.items[0].object.id().as_str(), ip.id().as_str());
    assert_eq!(
        s.delete_object(&c, ip.id().as_str(), &ObjectFilter::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.count_objects(&c).await.unwrap(), 1);
}

async fn unknown_collection(db: &TestDb) {
    let s = db.open().await;
    setup(&s, &uuid_n(23)).await;
    let missing = CollectionId(uuid_n(998));
    let t = "2021-01-01T00:00:00.000Z";
    assert!(matches!(
        s.add_objects(&missing, vec![indicator(1, t)]).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.objects_page(&missing, &page_filter(1)).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.manifest_page(&missing, &page_filter(1)).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        s.count_objects(&missing).await,
        Err(Error::NotFound(_))
    ));
}

/// Real content: MITRE ATT&CK for ICS (see ../shared/data/stix/SOURCES.md). Every object is
/// stored and comes back byte for byte; type filters agree with an independent count.
async fn real_data_round_trip(db: &TestDb) {
    #[derive(serde::Deserialize)]
    struct Bundle {
        objects: Vec<Box<serde_json::value::RawValue>>,
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/stix/attack/ics-attack-18.1.json"
    );
    let text = std::fs::read_to_string(path).expect("ATT&CK ICS bundle");
    let bundle: Bundle = serde_json::from_str(&text).unwrap();
    let objects: Vec<Object> = bundle
        .objects
        .iter()
        .map(|r| Object::from_json(r.get()).unwrap())
        .collect();
    let s = db.open().await;
    let c = setup(&s, &uuid_n(24)).await;
    for chunk in objects.chunks(1000) {
        s.add_objects(&c, chunk.to_vec()).await.unwrap();
    }
    let distinct: HashSet<(String, String)> = objects
        .iter()
        .map(|o| {
            (
                o.id().as_str().to_owned(),
                o.version().map(|t| t.sort_key()).unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(s.count_objects(&c).await.unwrap() as usize, distinct.len());

    // Everything back, byte for byte, in input order (first occurrence of each version).
    let mut f = all(1000);
    let mut back = Vec::new();
    loop {
        let p = s.objects_page(&c, &f).await.unwrap();
        back.extend(p.items.into_iter().map(|o| o.object.as_json().to_owned()));
        if !p.more {
            break;
        }
        f.after = p.next;
    }
    let mut seen = HashSet::new();
    let expected: Vec<&str> = objects
        .iter()
        .filter(|o| {
            seen.insert((
                o.id().as_str().to_owned(),
                o.version().map(|t| t.sort_key()).unwrap_or_default(),
            ))
        })
        .map(|o| o.as_json())
        .collect();
    assert_eq!(back, expected);

    let techniques = objects
        .iter()
        .filter(|o| o.object_type() == "attack-pattern")
        .count();
    assert!(techniques > 50);
    let f = ObjectFilter {
        types: vec!["attack-pattern".into()],
        ..all(100_000)
    };
    assert_eq!(
        s.objects_page(&c, &f).await.unwrap().items.len(),
        techniques
    );
}

// ---------------------------------------------------------------------------------------------
// Opening stores by URL (backend-independent)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn open_rejects_unknown_urls() {
    for url in [
        "mysql://db/x",
        "sqlite:",
        "sqlite://",
        "",
        "postgres://[bad",
    ] {
        match entente_store::open(url).await {
            Err(Error::Invalid(_)) => {}
            Err(e) => panic!("{url:?}: expected Invalid, got {e}"),
            Ok(_) => panic!("{url:?}: expected Invalid, got a store"),
        }
    }
}

#[tokio::test]
async fn open_accepts_sqlite_url_forms() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/c.db");
    let s = entente_store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(s.api_roots().await.unwrap().is_empty());
    drop(s);
    assert!(path.exists(), "sqlite://ABSOLUTE_PATH names the file");
}

/// A database written by a newer program is refused rather than misread.
#[tokio::test]
async fn open_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("entente.db");
    let url = format!("sqlite:{}", path.display());
    drop(entente_store::open(&url).await.unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        entente_store::open(&url).await,
        Err(Error::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------------
// Audit log (DESIGN.md invariant 4): numbering, links, durability, one chain under concurrent
// writers, and rows that the program cannot change.
// ---------------------------------------------------------------------------------------------

mod audit {
    scenarios!(
        audit_append_and_read,
        audit_concurrent_writers_keep_one_chain,
        audit_rows_are_append_only,
    );
}

use entente_store::{AUDIT_GENESIS, AuditEntry, AuditRecord};

/// A deterministic 32-byte digest of everything the real seal covers. The store must call the
/// hasher it is given with the seq and link it assigned; which digest it is does not matter here
/// (the SHA-256 encoding is defined and tested in the server's audit module).
fn test_seal(seq: u64, r: &AuditRecord, prev_hash: &[u8]) -> [u8; 32] {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&seq.to_be_bytes());
    bytes.extend_from_slice(&r.time.to_be_bytes());
    for field in [
        &r.actor,
        &r.organisation,
        &r.action,
        &r.target,
        &r.decision,
        &r.rule,
        &r.detail,
    ] {
        bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
        bytes.extend_from_slice(field.as_bytes());
    }
    match &r.purpose {
        Some(p) => {
            bytes.push(1);
            bytes.extend_from_slice(p.as_bytes());
        }
        None => bytes.push(0),
    }
    bytes.extend_from_slice(prev_hash);
    // Four FNV-1a lanes with different offsets fill 32 bytes.
    let mut out = [0u8; 32];
    for (lane, chunk) in out.chunks_mut(8).enumerate() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (lane as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for b in &bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        chunk.copy_from_slice(&h.to_be_bytes());
    }
    out
}

fn audit_record(n: u32) -> AuditRecord {
    AuditRecord {
        time: 1_700_000_000_000_000 + i64::from(n),
        actor: format!("user-{n}"),
        organisation: "Bundesamt für Verfassungsschutz".into(),
        action: "taxii.objects.add".into(),
        target: uuid_n(u128::from(n)),
        purpose: n.is_multiple_of(2).then(|| "ct-prevention".to_owned()),
        decision: if n.is_multiple_of(3) { "deny" } else { "allow" }.into(),
        rule: "permission.can_write".into(),
        detail: format!("added={n} duplicates=0 rejected=0 «quoted»"),
    }
}

/// Asserts that `entries` are seq 1..=n, each linked to the one before and sealed by
/// [`test_seal`].
fn assert_chain(entries: &[AuditEntry]) {
    let mut prev = AUDIT_GENESIS.to_vec();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "seq without gaps");
        assert_eq!(e.prev_hash, prev, "entry {} links to the one before", e.seq);
        assert_eq!(
            e.hash,
            test_seal(e.seq, &e.record, &e.prev_hash).to_vec(),
            "entry {} sealed by the given hasher",
            e.seq
        );
        prev = e.hash.clone();
    }
}

async fn read_audit(store: &SharedStore, page: usize) -> Vec<AuditEntry> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map(|e: &AuditEntry| e.seq).unwrap_or(0);
        let got = store.audit_page(after, page).await.unwrap();
        assert!(got.len() <= page);
        if got.is_empty() {
            return all;
        }
        all.extend(got);
    }
}

async fn audit_append_and_read(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.audit_head().await.unwrap(), None);
    assert!(store.audit_page(0, 10).await.unwrap().is_empty());
    assert!(
        store
            .append_audit(Vec::new(), test_seal)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.audit_head().await.unwrap(),
        None,
        "empty append adds nothing"
    );

    let first = store
        .append_audit((1..=3).map(audit_record).collect(), test_seal)
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(first[0].prev_hash, AUDIT_GENESIS.to_vec());
    let second = store
        .append_audit((4..=5).map(audit_record).collect(), test_seal)
        .await
        .unwrap();
    assert_eq!(second[0].seq, 4);
    assert_eq!(
        second[0].prev_hash, first[2].hash,
        "a new batch links to the head"
    );

    let all = read_audit(&store, 2).await;
    assert_eq!(all.len(), 5);
    assert_chain(&all);
    let expected: Vec<AuditEntry> = first.into_iter().chain(second).collect();
    assert_eq!(all, expected, "read back exactly as appended");
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.record, audit_record(i as u32 + 1));
    }
    assert_eq!(store.audit_head().await.unwrap().as_ref(), all.last());
    assert_eq!(store.audit_page(3, 100).await.unwrap(), all[3..].to_vec());
    assert!(store.audit_page(5, 100).await.unwrap().is_empty());
    assert!(store.audit_page(u64::MAX, 100).await.unwrap().is_empty());

    // Durable: a reopened store reads the same log and continues the chain.
    drop(store);
    let store = db.open().await;
    assert_eq!(read_audit(&store, 100).await, all);
    let third = store
        .append_audit(vec![audit_record(6)], test_seal)
        .await
        .unwrap();
    assert_eq!(third[0].seq, 6);
    let all = read_audit(&store, 4).await;
    assert_chain(&all);
}

/// Two stores opened on one database (as two processes would be), each appending from several
/// tasks at once: one chain, no gaps, no forks.
async fn audit_concurrent_writers_keep_one_chain(db: &TestDb) {
    let stores = [db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for t in 0..8u32 {
        let store = stores[t as usize % 2].clone();
        tasks.push(tokio::spawn(async move {
            for b in 0..5u32 {
                let n = t * 100 + b * 10;
                let batch = (n..n + 1 + b % 3).map(audit_record).collect();
                store.append_audit(batch, test_seal).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let expected: usize = 8 * (0..5u32).map(|b| 1 + b as usize % 3).sum::<usize>();
    let all = read_audit(&stores[0], 7).await;
    assert_eq!(all.len(), expected);
    assert_chain(&all);
    assert_eq!(read_audit(&stores[1], 1000).await, all);
}

/// Runs one SQL statement directly on the test database, outside the store.
async fn raw_sql(db: &TestDb, sql: &str) -> Result<(), String> {
    if let Some(path) = db.url.strip_prefix("sqlite:") {
        let conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
        conn.execute_batch(sql).map_err(|e| e.to_string())
    } else {
        let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        tokio::spawn(conn);
        client.batch_execute(sql).await.map_err(|e| {
            e.as_db_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_else(|| e.to_string())
        })
    }
}

/// The program never changes an audit row: the database itself refuses updates and deletions
/// (someone who drops those guards is caught by the hash chain, tested with the CLI).
async fn audit_rows_are_append_only(db: &TestDb) {
    let store = db.open().await;
    let appended = store
        .append_audit((1..=3).map(audit_record).collect(), test_seal)
        .await
        .unwrap();
    // On SQLite the log is a file of its own beside the main one.
    let audit_db = TestDb {
        url: match db.url.strip_prefix("sqlite:") {
            Some(path) => format!(
                "sqlite:{}",
                entente_store::SqliteStore::audit_file(path.as_ref()).display()
            ),
            None => db.url.clone(),
        },
        _dir: None,
        pg: None,
    };
    for sql in [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 3",
        "DELETE FROM audit_log",
    ] {
        let err = raw_sql(&audit_db, sql).await.expect_err(sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    if db.pg.is_some() {
        let err = raw_sql(db, "TRUNCATE audit_log")
            .await
            .expect_err("truncate");
        assert!(err.contains("append-only"), "TRUNCATE: {err}");
    }
    assert_eq!(read_audit(&store, 10).await, appended);
}

// ---------------------------------------------------------------------------------------------
// Sharing facts (issue 4): organisations, channels, scopes, per-version provenance and
// markings, default purposes, release requests and releases.
// ---------------------------------------------------------------------------------------------

mod sharing {
    scenarios!(
        sharing_organisations_and_channels,
        sharing_scopes_and_object_facts,
        sharing_purposes_and_releases,
        sharing_text_search,
        sharing_pages_decided_in_the_store,
    );
}

/// `objects_page_decided` reads the rows `objects_page` reads, in the same pages: the served
/// ones as they are, the withheld ones by their `date_added` and the rule that withheld them.
async fn sharing_pages_decided_in_the_store(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, &uuid_n(71)).await;
    let objects: Vec<_> = (0..30)
        .map(|n| indicator(n, "2026-01-01T00:00:00.000Z"))
        .collect();
    let facts = (0..30)
        .map(|n| ObjectSharing {
            originator: Some(if n % 2 == 0 { "a" } else { "b" }.into()),
            tlp: Some(if n % 3 == 0 { "red" } else { "green" }.into()),
            ..Default::default()
        })
        .collect();
    s.add_objects_with(&c, objects, facts).await.unwrap();
    let decide: entente_store::Decide =
        Arc::new(|f: &ObjectSharing| (f.tlp.as_deref() == Some("red")).then_some("tlp-red"));
    let mut filter = page_filter(7);
    let mut pages = 0;
    loop {
        let plain = s.objects_page(&c, &filter).await.unwrap();
        let decided = s
            .objects_page_decided(&c, &filter, decide.clone())
            .await
            .unwrap();
        assert_eq!((decided.more, decided.next), (plain.more, plain.next));
        assert_eq!(decided.items.len(), plain.items.len());
        for (d, p) in decided.items.iter().zip(&plain.items) {
            assert_eq!(d.date_added(), p.date_added);
            match d {
                entente_store::Decided::Served(o) => {
                    assert_ne!(p.sharing.tlp.as_deref(), Some("red"));
                    assert_eq!(o.object.as_json(), p.object.as_json());
                    assert_eq!(o.sharing, p.sharing);
                }
                entente_store::Decided::Withheld { rule, .. } => {
                    assert_eq!(p.sharing.tlp.as_deref(), Some("red"));
                    assert_eq!(*rule, "tlp-red");
                }
            }
        }
        pages += 1;
        if !plain.more {
            break;
        }
        filter.after = plain.next;
    }
    assert_eq!(pages, 5);
}

use entente_store::{
    ChannelRecord, CollectionScope, ObjectSharing, Organisation, ReleaseRecord,
    ReleaseRequestRecord,
};

fn org(id: &str, home: bool) -> Organisation {
    Organisation {
        id: id.into(),
        name: format!("{id} name"),
        home,
    }
}

fn channel(id: &str, members: &[&str]) -> ChannelRecord {
    ChannelRecord {
        id: id.into(),
        title: format!("{id} title"),
        members: members.iter().map(|m| m.to_string()).collect(),
        legal_basis: "MoU".into(),
        purposes: vec!["investigation".into()],
        max_marking: "amber".into(),
        require_tlp: true,
        valid_from: 1_700_000_000_000_000,
        valid_until: Some(1_800_000_000_000_000),
    }
}

async fn sharing_organisations_and_channels(db: &TestDb) {
    let s = db.open().await;
    assert_eq!(s.home_organisation().await.unwrap(), None);
    s.add_organisation(org("home", true)).await.unwrap();
    s.add_organisation(org("a", false)).await.unwrap();
    s.add_organisation(org("b", false)).await.unwrap();
    assert!(matches!(
        s.add_organisation(org("a", false)).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        s.add_organisation(org("second-home", true)).await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(
        s.home_organisation().await.unwrap(),
        Some(org("home", true))
    );
    let ids: Vec<String> = s
        .organisations()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, ["a", "b", "home"]);

    assert!(matches!(
        s.put_channel(channel("x", &["home", "ghost"])).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(s.channel("x").await, Err(Error::NotFound(_))));
    s.put_channel(channel("ha", &["home", "a"])).await.unwrap();
    let got = s.channel("ha").await.unwrap();
    assert_eq!(got.members, ["a", "home"]);
    assert_eq!(got.valid_until, Some(1_800_000_000_000_000));
    // Replacing amends members and agreement.
    let mut amended = channel("ha", &["home", "b"]);
    amended.purposes = vec!["ct-prevention".into(), "investigation".into()];
    amended.valid_until = None;
    s.put_channel(amended).await.unwrap();
    let got = s.channel("ha").await.unwrap();
    assert_eq!(got.members, ["b", "home"]);
    assert_eq!(got.purposes, ["ct-prevention", "investigation"]);
    assert_eq!(got.valid_until, None);
    s.put_channel(channel("hab", &["home", "a", "b"]))
        .await
        .unwrap();
    let all: Vec<String> = s
        .channels()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(all, ["ha", "hab"]);
    // Durable.
    drop(s);
    let s = db.open().await;
    assert_eq!(s.channel("hab").await.unwrap().members, ["a", "b", "home"]);
}

async fn sharing_scopes_and_object_facts(db: &TestDb) {
    let s = db.open().await;
    s.add_organisation(org("home", true)).await.unwrap();
    s.add_organisation(org("a", false)).await.unwrap();
    s.put_channel(channel("ha", &["home", "a"])).await.unwrap();
    let c1 = setup(&s, "b2d7f7a4-0000-4000-8000-000000000001").await;
    let c2 = setup(&s, "b2d7f7a4-0000-4000-8000-000000000002").await;
    assert_eq!(s.collection_scope(&c1).await.unwrap(), None);
    for bad in [
        CollectionScope::Channel("nope".into()),
        CollectionScope::Private("nobody".into()),
    ] {
        assert!(matches!(
            s.set_collection_scope(&c1, bad).await,
            Err(Error::NotFound(_))
        ));
    }
    assert!(matches!(
        s.set_collection_scope(
            &CollectionId("b2d7f7a4-0000-4000-8000-00000000000f".into()),
            CollectionScope::Private("a".into())
        )
        .await,
        Err(Error::NotFound(_))
    ));
    s.set_collection_scope(&c1, CollectionScope::Channel("ha".into()))
        .await
        .unwrap();
    s.set_collection_scope(&c2, CollectionScope::Private("a".into()))
        .await
        .unwrap();
    s.set_collection_scope(&c2, CollectionScope::Private("home".into()))
        .await
        .unwrap();
    assert_eq!(
        s.collection_scopes().await.unwrap(),
        [
            (c1.clone(), CollectionScope::Channel("ha".into())),
            (c2.clone(), CollectionScope::Private("home".into())),
        ]
    );

    // Facts are stored with each version and read back with pages and manifests.
    let facts = ObjectSharing {
        originator: Some("a".into()),
        received_through: Some("ha".into()),
        tlp: Some("red".into()),
        handling: Some("H3:no use in court".into()),
        recipients: vec!["organisation:home".into(), "user:alice".into()],
        signature: Some("a2V5.c2ln".into()),
        signature_batch: None,
    };
    let objects = vec![
        indicator(1, "2026-01-01T00:00:00.000Z"),
        indicator(2, "2026-01-01T00:00:00.000Z"),
    ];
    assert!(matches!(
        s.add_objects_with(&c1, objects.clone(), vec![facts.clone()])
            .await,
        Err(Error::Invalid(_))
    ));
    let out = s
        .add_objects_with(
            &c1,
            objects.clone(),
            vec![facts.clone(), ObjectSharing::default()],
        )
        .await
        .unwrap();
    assert!(out.iter().all(|o| matches!(o, AddOutcome::Added { .. })));
    let page = s.objects_page(&c1, &all(10)).await.unwrap();
    assert_eq!(page.items[0].sharing, facts);
    assert_eq!(page.items[1].sharing, ObjectSharing::default());
    let manifest = s.manifest_page(&c1, &all(10)).await.unwrap();
    assert_eq!(manifest.items[0].sharing, facts);
    // Objects added without facts have none.
    s.add_objects(&c2, vec![indicator(1, "2026-01-01T00:00:00.000Z")])
        .await
        .unwrap();
    let page = s.objects_page(&c2, &all(10)).await.unwrap();
    assert_eq!(page.items[0].sharing, ObjectSharing::default());

    // Where else an object is held: its newest version in every collection.
    s.add_objects_with(
        &c1,
        vec![indicator(1, "2026-02-01T00:00:00.000Z")],
        vec![ObjectSharing {
            tlp: Some("amber".into()),
            ..facts.clone()
        }],
    )
    .await
    .unwrap();
    let mut held = s
        .held_elsewhere(&[indicator_id(1), indicator_id(9)])
        .await
        .unwrap();
    held.sort_by(|x, y| x.0.0.cmp(&y.0.0));
    assert_eq!(held.len(), 2, "{held:?}");
    assert_eq!(held[0].0, c1);
    assert_eq!(held[0].1, indicator_id(1));
    assert_eq!(held[0].2.tlp.as_deref(), Some("amber"));
    assert_eq!(held[1].0, c2);
    assert_eq!(held[1].2, ObjectSharing::default());
    // An object stored through another connection (another process, or the CLI beside a
    // running node) is found too, though the first store had already looked for it and found
    // nothing (the SQLite store remembers which ids each collection may hold).
    let late = indicator_id(7);
    assert!(
        s.held_elsewhere(std::slice::from_ref(&late))
            .await
            .unwrap()
            .is_empty()
    );
    let other = db.open().await;
    other
        .add_objects(&c2, vec![indicator(7, "2026-03-01T00:00:00.000Z")])
        .await
        .unwrap();
    let held = s.held_elsewhere(std::slice::from_ref(&late)).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((&held[0].0, held[0].1.as_str()), (&c2, late.as_str()));
}

async fn sharing_purposes_and_releases(db: &TestDb) {
    let s = db.open().await;
    s.add_user(User {
        name: "alice".into(),
        organisation: "home".into(),
        role: Role::Analyst,
        password_hash: None,
    })
    .await
    .unwrap();
    assert_eq!(s.default_purpose("alice").await.unwrap(), None);
    assert!(matches!(
        s.set_default_purpose("ghost", Some("x".into())).await,
        Err(Error::NotFound(_))
    ));
    s.set_default_purpose("alice", Some("investigation".into()))
        .await
        .unwrap();
    assert_eq!(
        s.default_purpose("alice").await.unwrap().as_deref(),
        Some("investigation")
    );
    s.set_default_purpose("alice", None).await.unwrap();
    assert_eq!(s.default_purpose("alice").await.unwrap(), None);

    let request = |id: &str, state: &str| ReleaseRequestRecord {
        id: id.into(),
        object_id: indicator_id(1),
        originator: "a".into(),
        requester: "home".into(),
        state: state.into(),
        body: format!("{{\"id\":\"{id}\",\"state\":\"{state}\"}}"),
    };
    assert!(matches!(
        s.release_request("r1").await,
        Err(Error::NotFound(_))
    ));
    s.put_release_request(request("r1", "pending"))
        .await
        .unwrap();
    s.put_release_request(request("r2", "pending"))
        .await
        .unwrap();
    s.put_release_request(request("r1", "granted"))
        .await
        .unwrap();
    assert_eq!(
        s.release_request("r1").await.unwrap(),
        request("r1", "granted")
    );
    let ids: Vec<String> = s
        .release_requests("a")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["r2", "r1"], "newest first, an update keeps its place");
    assert_eq!(s.release_requests("home").await.unwrap().len(), 2);
    assert!(s.release_requests("b").await.unwrap().is_empty());

    assert!(!s.has_releases().await.unwrap());
    let release = |dest: &str, cond: &str| ReleaseRecord {
        object_id: indicator_id(1),
        destination: dest.into(),
        conditions: vec![cond.into()],
        derivative: None,
        wider_marking: Some("green".into()),
        request: "r1".into(),
    };
    s.add_release(release("export", "first")).await.unwrap();
    s.add_release(release("channel:ha", "x")).await.unwrap();
    s.add_release(release("export", "second")).await.unwrap();
    assert!(s.has_releases().await.unwrap());
    let got = s
        .releases_for(&[indicator_id(1), indicator_id(2)])
        .await
        .unwrap();
    assert_eq!(
        got,
        [release("channel:ha", "x"), release("export", "second")]
    );
    assert!(s.releases_for(&[indicator_id(2)]).await.unwrap().is_empty());
}

/// A malware version carrying `description`, for the text search.
fn described(n: u128, modified: &str, description: &str) -> Object {
    let v = serde_json::json!({
        "type": "malware",
        "spec_version": "2.1",
        "id": format!("malware--{}", uuid_n(n)),
        "created": "2020-01-01T00:00:00Z",
        "modified": modified,
        "name": format!("m{n}"),
        "description": description,
        "is_family": false,
    });
    Object::from_json(&v.to_string()).expect("fixture parses")
}

async fn sharing_text_search(db: &TestDb) {
    use entente_store::TextSearch;
    let s = db.open().await;
    let c1 = setup(&s, "b2d7f7a4-0000-4000-8000-000000000001").await;
    let c2 = setup(&s, "b2d7f7a4-0000-4000-8000-000000000002").await;
    let c3 = setup(&s, "b2d7f7a4-0000-4000-8000-000000000003").await;
    let facts = ObjectSharing {
        originator: Some("a".into()),
        received_through: Some("ha".into()),
        tlp: Some("amber".into()),
        ..ObjectSharing::default()
    };
    let t1 = "2026-01-01T00:00:00.000Z";
    let t2 = "2026-02-01T00:00:00.000Z";
    // c1: object 1 in two versions (only the newer mentions the needle in capitals), object 2
    // without it, and the wildcard traps.
    s.add_objects_with(
        &c1,
        vec![
            described(1, t1, "an old haystack"),
            described(2, t1, "nothing to see"),
            described(3, t1, "100% sure"),
            described(4, t1, "1000 sure"),
            described(5, t1, "a_b"),
            described(6, t1, "axb"),
            described(7, t1, r#"she said "hi" \ bye"#),
            described(1, t2, "a NeEdLe in the haystack"),
        ],
        vec![facts.clone(); 8],
    )
    .await
    .unwrap();
    s.add_objects(
        &c2,
        vec![described(8, t1, "needle again"), indicator(9, t1)],
    )
    .await
    .unwrap();
    s.add_objects(&c3, vec![described(10, t1, "a needle nobody searches")])
        .await
        .unwrap();
    let ghost = CollectionId("b2d7f7a4-0000-4000-8000-00000000000f".into());
    let search = |text: &str, limit: usize| TextSearch {
        collections: vec![c2.clone(), ghost.clone(), c1.clone()],
        text: text.into(),
        limit,
        ..TextSearch::default()
    };
    let found = |hits: &[entente_store::SearchHit]| -> Vec<(String, String)> {
        hits.iter()
            .map(|h| {
                (
                    h.collection.0.clone(),
                    h.stored.object.id().as_str().to_owned(),
                )
            })
            .collect()
    };
    let m = |n: u128| format!("malware--{}", uuid_n(n));

    // Case-insensitive, newest version only, collections in id order, unknown ones skipped,
    // the sharing facts with each hit.
    let hits = s.search_objects(&search("needle", 10)).await.unwrap();
    assert_eq!(
        found(&hits),
        [(c1.0.clone(), m(1)), (c2.0.clone(), m(8))],
        "{hits:?}"
    );
    assert_eq!(
        hits[0].stored.object.modified().map(|t| t.as_str()),
        Some(t2)
    );
    assert_eq!(hits[0].stored.sharing, facts);
    assert_eq!(hits[1].stored.sharing, ObjectSharing::default());
    // An older version's text does not make the object a hit.
    assert!(
        s.search_objects(&search("old haystack", 10))
            .await
            .unwrap()
            .is_empty()
    );
    // Wildcards and escapes match literally.
    let hits = s.search_objects(&search("100%", 10)).await.unwrap();
    assert_eq!(found(&hits), [(c1.0.clone(), m(3))]);
    let hits = s.search_objects(&search("a_b", 10)).await.unwrap();
    assert_eq!(found(&hits), [(c1.0.clone(), m(5))]);
    let hits = s
        .search_objects(&search(r#"said "hi" \ b"#, 10))
        .await
        .unwrap();
    assert_eq!(found(&hits), [(c1.0.clone(), m(7))]);
    // A type filter.
    let mut by_type = search("m", 10);
    by_type.types = vec!["indicator".into()];
    let hits = s.search_objects(&by_type).await.unwrap();
    assert_eq!(
        found(&hits),
        [(c2.0.clone(), indicator_id(9))],
        "only the indicator"
    );
    // Bounded, and resumed after the last hit: the same hits, in the same order.
    let everything = s.search_objects(&search("malware--", 100)).await.unwrap();
    assert_eq!(everything.len(), 8, "{:?}", found(&everything));
    let mut paged = Vec::new();
    let mut q = search("malware--", 3);
    loop {
        let page = s.search_objects(&q).await.unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        q.after = Some((last.collection.clone(), last.stored.date_added));
        paged.extend(page);
    }
    assert_eq!(found(&paged), found(&everything));
    assert!(
        s.search_objects(&search("needle", 0))
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Federation (issue 6): peers and their pull state.
// ---------------------------------------------------------------------------------------------

mod federation {
    scenarios!(
        peers_and_their_state,
        a_pulled_page_goes_with_its_peer_state,
        claims_on_a_peers_sides,
        organisation_keys_and_the_deletion_log,
        signature_batches_kept_once,
        a_signature_batch_goes_with_its_last_version,
        a_batch_record_survives_its_last_version_deleted_meanwhile,
    );
}

/// A batch record given with the versions that name it is kept once, in the transaction that
/// adds them, and read back by key; the versions keep only their reference; a version found a
/// duplicate adds nothing.
async fn signature_batches_kept_once(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, "b2d7f7a4-0000-4000-8000-0000000000b1").await;
    let batch = Arc::new(entente_store::SignatureBatch {
        key: "key-1".into(),
        record: r#"{"size":2}"#.into(),
    });
    let facts = |leaf: u32, batch: &Arc<entente_store::SignatureBatch>| ObjectSharing {
        signature: Some(batch.reference(leaf.into())),
        signature_batch: Some(batch.clone()),
        ..ObjectSharing::default()
    };
    assert!(
        s.signature_batches(&["key-1".into()])
            .await
            .unwrap()
            .is_empty()
    );
    s.add_objects_with(
        &c,
        vec![
            indicator(1, "2026-01-01T00:00:00.000Z"),
            indicator(2, "2026-01-01T00:00:00.000Z"),
        ],
        vec![facts(0, &batch), facts(1, &batch)],
    )
    .await
    .unwrap();
    let page = s.objects_page(&c, &all(10)).await.unwrap();
    let refs: Vec<_> = page
        .items
        .iter()
        .map(|i| {
            (
                i.sharing.signature.as_deref(),
                i.sharing.signature_batch.is_none(),
            )
        })
        .collect();
    assert_eq!(
        refs,
        [(Some("batch:key-1:0"), true), (Some("batch:key-1:1"), true)]
    );
    let other = Arc::new(entente_store::SignatureBatch {
        key: "key-2".into(),
        record: r#"{"size":3}"#.into(),
    });
    // The same versions again (duplicates) with another record: nothing is kept.
    s.add_objects_with(
        &c,
        vec![indicator(1, "2026-01-01T00:00:00.000Z")],
        vec![facts(0, &other)],
    )
    .await
    .unwrap();
    let mut found = s
        .signature_batches(&["key-2".into(), "key-1".into(), "key-9".into()])
        .await
        .unwrap();
    found.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(found, [(*batch).clone()]);
    // A record already kept is kept as it was.
    s.add_objects_with(
        &c,
        vec![indicator(3, "2026-01-01T00:00:00.000Z")],
        vec![facts(2, &batch)],
    )
    .await
    .unwrap();
    assert_eq!(
        s.signature_batches(&["key-1".into()]).await.unwrap(),
        [(*batch).clone()]
    );
}

/// A batch record stays while a stored version refers to it, a copy in another collection
/// (which names the record without giving it) counting as one, and goes with the last of
/// them; a reference to a record never kept adds nothing and takes nothing away.
async fn a_signature_batch_goes_with_its_last_version(db: &TestDb) {
    let s = db.open().await;
    let c = setup(&s, "b2d7f7a4-0000-4000-8000-0000000000b2").await;
    let copies = setup(&s, "b2d7f7a4-0000-4000-8000-0000000000b3").await;
    let batch = Arc::new(entente_store::SignatureBatch {
        key: "key-1".into(),
        record: r#"{"size":2}"#.into(),
    });
    let reference = |leaf: u64, given: Option<&Arc<entente_store::SignatureBatch>>| ObjectSharing {
        signature: Some(batch.reference(leaf)),
        signature_batch: given.cloned(),
        ..ObjectSharing::default()
    };
    let kept = async || s.signature_batches(&["key-1".into()]).await.unwrap().len();
    let t = "2026-01-01T00:00:00.000Z";
    s.add_objects_with(
        &c,
        vec![indicator(1, t), indicator(2, t)],
        vec![reference(0, Some(&batch)), reference(1, Some(&batch))],
    )
    .await
    .unwrap();
    // A copy of the first version, named by its reference as read back, and a version naming
    // a record that was never kept.
    let stranger = ObjectSharing {
        signature: Some("batch:key-9:0".into()),
        ..ObjectSharing::default()
    };
    s.add_objects_with(
        &copies,
        vec![indicator(1, t), indicator(3, t)],
        vec![reference(0, None), stranger],
    )
    .await
    .unwrap();
    assert_eq!(kept().await, 1);

    s.delete_object(&c, &indicator_id(1), &all(10))
        .await
        .unwrap();
    s.delete_object(&copies, &indicator_id(3), &all(10))
        .await
        .unwrap();
    assert_eq!(kept().await, 1, "two versions still refer to it");
    s.delete_object(&c, &indicator_id(2), &all(10))
        .await
        .unwrap();
    assert_eq!(kept().await, 1, "the copy still refers to it");
    s.delete_object(&copies, &indicator_id(1), &all(10))
        .await
        .unwrap();
    assert_eq!(kept().await, 0, "no version refers to it any more");

    // Kept again when a version arrives with it again.
    s.add_objects_with(&c, vec![indicator(4, t)], vec![reference(0, Some(&batch))])
        .await
        .unwrap();
    assert_eq!(kept().await, 1);
}

/// A version arriving with its batch record while another connection deletes the last version
/// that named the record: whichever commits first, the record is kept exactly when a version
/// still names it (never a version naming a deleted record). Many rounds, each with a record of
/// its own, to meet the two writes in every order.
async fn a_batch_record_survives_its_last_version_deleted_meanwhile(db: &TestDb) {
    let s = db.open().await;
    let other = db.open().await;
    let c = setup(&s, "b2d7f7a4-0000-4000-8000-0000000000c2").await;
    let copies = setup(&s, "b2d7f7a4-0000-4000-8000-0000000000c3").await;
    let t = "2026-01-01T00:00:00.000Z";
    for round in 0..40u128 {
        let batch = Arc::new(entente_store::SignatureBatch {
            key: format!("key-{round}"),
            record: format!(r#"{{"size":1,"round":{round}}}"#),
        });
        let sharing = vec![ObjectSharing {
            signature: Some(batch.reference(0)),
            signature_batch: Some(batch.clone()),
            ..ObjectSharing::default()
        }];
        let n = 1000 + round;
        s.add_objects_with(&c, vec![indicator(n, t)], sharing.clone())
            .await
            .unwrap();
        let delete = {
            let (s, c) = (s.clone(), c.clone());
            tokio::spawn(async move { s.delete_object(&c, &indicator_id(n), &all(10)).await })
        };
        other
            .add_objects_with(&copies, vec![indicator(n, t)], sharing)
            .await
            .unwrap();
        delete.await.unwrap().unwrap();
        let kept = s
            .signature_batches(std::slice::from_ref(&batch.key))
            .await
            .unwrap();
        assert_eq!(
            kept.len(),
            1,
            "round {round}: the copy names a deleted record"
        );
        // Its last version gone, the record goes too.
        s.delete_object(&copies, &indicator_id(n), &all(10))
            .await
            .unwrap();
        let kept = s
            .signature_batches(std::slice::from_ref(&batch.key))
            .await
            .unwrap();
        assert!(
            kept.is_empty(),
            "round {round}: the record outlives its versions"
        );
    }
}

/// A side of a peer is held by one holder at a time until its claim expires; a renewal by the
/// holder extends it; the other side is independent; removing the peer removes its claims.
async fn claims_on_a_peers_sides(db: &TestDb) {
    let s = db.open().await;
    let local = setup(&s, "c3d7f7a4-0000-4000-8000-000000000002").await;
    let peer = entente_store::Peer {
        name: "nl".into(),
        url: "https://partner.example/api1/".into(),
        organisation: "nl-aivd".into(),
        channel: "be-nl".into(),
        remote_collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(),
        local_collection: local.0.clone(),
        token_file: "/etc/entente/nl.token".into(),
        interval_secs: 60,
        options: Default::default(),
    };
    s.add_peer(peer.clone()).await.unwrap();
    let t = 1_800_000_000_000_000_i64;
    let minute = 60_000_000;
    assert!(
        s.claim_peer("nl", "pull", "one", t, t + minute)
            .await
            .unwrap()
    );
    // Another holder waits while the claim stands, on either side of its expiry's edge.
    assert!(
        !s.claim_peer("nl", "pull", "two", t + 1, t + 1 + minute)
            .await
            .unwrap()
    );
    assert!(
        !s.claim_peer("nl", "pull", "two", t + minute, t + 2 * minute)
            .await
            .unwrap()
    );
    // The other side is free; the holder renews.
    assert!(
        s.claim_peer("nl", "push", "two", t, t + minute)
            .await
            .unwrap()
    );
    assert!(
        s.claim_peer("nl", "pull", "one", t + 10, t + 10 + minute)
            .await
            .unwrap()
    );
    assert!(
        !s.claim_peer("nl", "pull", "two", t + minute + 5, t + 3 * minute)
            .await
            .unwrap()
    );
    // Expired, it goes to the next claimant; the old holder's release does not free it.
    assert!(
        s.claim_peer("nl", "pull", "two", t + minute + 11, t + 3 * minute)
            .await
            .unwrap()
    );
    s.release_peer("nl", "pull", "one").await.unwrap();
    assert!(
        !s.claim_peer("nl", "pull", "one", t + minute + 12, t + 3 * minute)
            .await
            .unwrap()
    );
    s.release_peer("nl", "pull", "two").await.unwrap();
    assert!(
        s.claim_peer("nl", "pull", "one", t + minute + 13, t + 3 * minute)
            .await
            .unwrap()
    );
    assert!(matches!(
        s.claim_peer("ghost", "pull", "one", t, t + minute).await,
        Err(Error::NotFound(_))
    ));
    // A peer removed and added again starts free.
    s.remove_peer("nl").await.unwrap();
    s.add_peer(peer).await.unwrap();
    assert!(
        s.claim_peer("nl", "pull", "three", t, t + minute)
            .await
            .unwrap()
    );
    assert!(
        s.claim_peer("nl", "push", "three", t, t + minute)
            .await
            .unwrap()
    );
}

async fn peers_and_their_state(db: &TestDb) {
    use entente_store::{Peer, PeerState};
    let s = db.open().await;
    let local = setup(&s, "c3d7f7a4-0000-4000-8000-000000000001").await;
    let peer = |name: &str, local: &str| Peer {
        name: name.into(),
        url: "https://partner.example/api1/".into(),
        organisation: "fr-dgsi".into(),
        channel: "fr-be".into(),
        remote_collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(),
        local_collection: local.into(),
        token_file: "/etc/entente/fr.token".into(),
        interval_secs: 60,
        options: entente_store::PeerOptions {
            push_from: Some(local.into()),
            push_to: Some("collection-b".into()),
            allow_unsigned: name == "be",
            tls: entente_store::PeerTls {
                pinned_certificate: Some("/etc/entente/fr.pem".into()),
                ..Default::default()
            },
        },
    };
    assert!(matches!(
        s.add_peer(peer("fr", "c3d7f7a4-0000-4000-8000-00000000000f"))
            .await,
        Err(Error::NotFound(_))
    ));
    s.add_peer(peer("fr", &local.0)).await.unwrap();
    assert!(matches!(
        s.add_peer(peer("fr", &local.0)).await,
        Err(Error::Conflict(_))
    ));
    s.add_peer(peer("be", &local.0)).await.unwrap();
    let (p, st) = s.peer("fr").await.unwrap();
    assert_eq!(p, peer("fr", &local.0));
    assert_eq!(st, PeerState::default());
    let state = PeerState {
        cursor: Some("2026-11-29T10:00:00.123456Z".into()),
        last_success: Some(1_800_000_000_000_000),
        last_error: Some("HTTP 500".into()),
        stored: 12_345,
        progress: entente_store::PeerProgress {
            push_cursor: Some(1_800_000_000_000_001),
            pushed: 7,
            deletions_cursor: Some("AQIDBA".into()),
            failures: 2,
            behind: 1000,
            ..Default::default()
        },
    };
    s.set_peer_state("fr", state.clone()).await.unwrap();
    assert!(matches!(
        s.set_peer_state("ghost", state.clone()).await,
        Err(Error::NotFound(_))
    ));
    drop(s);
    let s = db.open().await;
    assert_eq!(s.peer("fr").await.unwrap().1, state);
    let names: Vec<String> = s
        .peers()
        .await
        .unwrap()
        .into_iter()
        .map(|(p, _)| p.name)
        .collect();
    assert_eq!(names, ["be", "fr"]);
    // Updates change the stored state in one transaction each: two writers (two handles, as
    // two processes) each changing a field of their own, at once, lose nothing of the other's.
    assert!(matches!(
        s.update_peer_state("ghost", Box::new(|_| {})).await,
        Err(Error::NotFound(_))
    ));
    let other = db.open().await;
    let rounds = 40u64;
    let pulls = tokio::spawn({
        let s = s.clone();
        async move {
            for _ in 0..rounds {
                s.update_peer_state("fr", Box::new(|st| st.stored += 1))
                    .await
                    .unwrap();
            }
        }
    });
    for _ in 0..rounds {
        other
            .update_peer_state("fr", Box::new(|st| st.progress.pushed += 1))
            .await
            .unwrap();
    }
    pulls.await.unwrap();
    let (_, after) = s.peer("fr").await.unwrap();
    assert_eq!(after.stored, state.stored + rounds);
    assert_eq!(after.progress.pushed, state.progress.pushed + rounds);
    assert_eq!(after.cursor, state.cursor);
    s.remove_peer("be").await.unwrap();
    assert!(matches!(s.remove_peer("be").await, Err(Error::NotFound(_))));
    assert!(matches!(s.peer("be").await, Err(Error::NotFound(_))));
}

/// A page pulled from a peer and the peer's state move in one transaction: the update sees
/// the page's outcomes; when the state cannot be written (no such peer), nothing of the page
/// is stored either.
async fn a_pulled_page_goes_with_its_peer_state(db: &TestDb) {
    use entente_store::{Peer, PeerState, PulledPageUpdate};
    let s = db.open().await;
    let local = setup(&s, "c3d7f7a4-0000-4000-8000-000000000002").await;
    s.add_peer(Peer {
        name: "fr".into(),
        url: "https://partner.example/api1/".into(),
        organisation: "fr-dgsi".into(),
        channel: "fr-be".into(),
        remote_collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116".into(),
        local_collection: local.0.clone(),
        token_file: "/etc/entente/fr.token".into(),
        interval_secs: 60,
        options: Default::default(),
    })
    .await
    .unwrap();
    let moved = |cursor: &str| -> PulledPageUpdate {
        let cursor = cursor.to_owned();
        Box::new(move |outcomes: &[AddOutcome], st: &mut PeerState| {
            st.cursor = Some(cursor);
            st.stored += outcomes
                .iter()
                .filter(|o| matches!(o, AddOutcome::Added { .. }))
                .count() as u64;
        })
    };
    let t = "2021-01-01T00:00:00.000Z";
    let sharing = |n| vec![entente_store::ObjectSharing::default(); n];
    let ids = |objects: &[Object]| -> Vec<String> {
        objects.iter().map(|o| o.id().as_str().to_owned()).collect()
    };
    let (first, back) = s
        .add_pulled_page(
            "fr",
            &local,
            vec![indicator(1, t), indicator(2, t)],
            sharing(2),
            moved("2026-12-01T00:00:00.000001Z"),
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    // The objects come back as given, for the caller's correlation.
    assert_eq!(ids(&back), [indicator_id(1), indicator_id(2)]);
    for o in &first {
        added(o);
    }
    // The same page again plus a version: the duplicates are not counted.
    let (again, _) = s
        .add_pulled_page(
            "fr",
            &local,
            vec![indicator(1, t), indicator(2, t), indicator(3, t)],
            sharing(3),
            moved("2026-12-01T00:00:00.000002Z"),
        )
        .await
        .unwrap();
    assert!(matches!(again[0], AddOutcome::Duplicate { .. }));
    assert!(matches!(again[1], AddOutcome::Duplicate { .. }));
    added(&again[2]);
    drop(s);
    let s = db.open().await;
    let (_, st) = s.peer("fr").await.unwrap();
    assert_eq!(st.stored, 3);
    assert_eq!(st.cursor.as_deref(), Some("2026-12-01T00:00:00.000002Z"));
    assert_eq!(s.count_objects(&local).await.unwrap(), 3);
    // No such peer: the state cannot be written, so the page is not stored.
    let ghost = s
        .add_pulled_page(
            "ghost",
            &local,
            vec![indicator(4, t)],
            sharing(1),
            moved("2026-12-01T00:00:00.000003Z"),
        )
        .await;
    assert!(matches!(ghost, Err(Error::NotFound(_))), "{ghost:?}");
    assert_eq!(s.count_objects(&local).await.unwrap(), 3);
    // Mismatched sharing records: refused, nothing stored, the state unchanged.
    let refused = s
        .add_pulled_page(
            "fr",
            &local,
            vec![indicator(5, t)],
            sharing(0),
            moved("2026-12-01T00:00:00.000004Z"),
        )
        .await;
    assert!(matches!(refused, Err(Error::Invalid(_))), "{refused:?}");
    assert_eq!(s.count_objects(&local).await.unwrap(), 3);
    assert_eq!(s.peer("fr").await.unwrap().1, st);
    // A write that is no page of a peer's hands its objects back the same way.
    let (outcomes, back) = s
        .add_objects_handing_back(&local, vec![indicator(6, t), indicator(1, t)], sharing(2))
        .await
        .unwrap();
    added(&outcomes[0]);
    assert!(matches!(outcomes[1], AddOutcome::Duplicate { .. }));
    assert_eq!(ids(&back), [indicator_id(6), indicator_id(1)]);
    assert_eq!(s.count_objects(&local).await.unwrap(), 4);
}

async fn organisation_keys_and_the_deletion_log(db: &TestDb) {
    let s = db.open().await;
    s.add_organisation(org("fr-dgsi", false)).await.unwrap();
    s.add_organisation(org("be-vsse", false)).await.unwrap();
    let (k1, k2) = ("AAAA-fr-key-1", "BBBB-be-key-1");
    assert!(matches!(
        s.add_organisation_key("ghost", k1).await,
        Err(Error::NotFound(_))
    ));
    s.add_organisation_key("fr-dgsi", k1).await.unwrap();
    s.add_organisation_key("be-vsse", k2).await.unwrap();
    assert!(matches!(
        s.add_organisation_key("be-vsse", k1).await,
        Err(Error::Conflict(_))
    ));
    let keys = s.organisation_keys().await.unwrap();
    let pairs: Vec<(&str, &str)> = keys
        .iter()
        .map(|k| (k.organisation.as_str(), k.public_key.as_str()))
        .collect();
    assert_eq!(pairs, [("be-vsse", k2), ("fr-dgsi", k1)]);
    s.remove_organisation_key(k2).await.unwrap();
    assert!(matches!(
        s.remove_organisation_key(k2).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(s.organisation_keys().await.unwrap().len(), 1);

    // Every deleted version is logged, in order, with the facts it had; nothing else is.
    let c = setup(&s, "c3d7f7a4-0000-4000-8000-0000000000d1").await;
    let facts = ObjectSharing {
        originator: Some("fr-dgsi".into()),
        received_through: Some("fr-be".into()),
        tlp: Some("amber".into()),
        ..Default::default()
    };
    let versions = vec![
        indicator(1, "2026-01-01T00:00:00.000Z"),
        indicator(1, "2026-02-01T00:00:00.000Z"),
        indicator(2, "2026-01-01T00:00:00.000Z"),
    ];
    s.add_objects_with(&c, versions, vec![facts.clone(); 3])
        .await
        .unwrap();
    assert!(s.deletions(&c.0, 0, 10).await.unwrap().is_empty());
    assert_eq!(
        s.delete_object(&c, &indicator_id(1), &all(0))
            .await
            .unwrap(),
        2
    );
    assert!(matches!(
        s.delete_object(&c, &indicator_id(1), &all(0)).await,
        Err(Error::NotFound(_))
    ));
    let log = s.deletions(&c.0, 0, 10).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].seq < log[1].seq);
    assert!(log.iter().all(|d| d.object_id == indicator_id(1)));
    assert_eq!(
        log.iter().map(|d| d.version.as_deref()).collect::<Vec<_>>(),
        [
            Some("2026-01-01T00:00:00.000Z"),
            Some("2026-02-01T00:00:00.000Z")
        ]
    );
    assert_eq!(log[0].sharing, facts);
    assert_eq!(log[0].collection, c.0);
    assert_eq!(s.deletions(&c.0, log[0].seq, 10).await.unwrap().len(), 1);
    assert_eq!(s.deletions(&c.0, 0, 1).await.unwrap().len(), 1);
    assert!(s.deletions("another", 0, 10).await.unwrap().is_empty());
    // The other object is untouched.
    assert_eq!(s.count_objects(&c).await.unwrap(), 1);
}
