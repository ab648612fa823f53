//! Screening storage (issue 7): list versions with entries and diffs, subjects, hits and
//! adjudications, one scenario set run on every backend.
//!
//! SQLite always runs, each scenario in its own temporary folder; PostgreSQL runs when
//! `ENTENTE_TEST_POSTGRES_URL` is set, each scenario in a fresh database that is dropped
//! afterwards (the harness of `tests/conformance.rs`).

use entente_store::{
    AdjudicationDecision, Error, HitStatus, ListChange, ListChangeKind, NewAdjudication, NewHit,
    NewListVersion, Role, SharedStore, StoredListEntry, Subject, SubjectScreening, User,
};

struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("entente.db").display());
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
        Some(TestDb {
            url: with_database(&base, &name),
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
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::TestDb::sqlite();
                    crate::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
    list_versions_entries_and_diffs,
    bad_versions_change_nothing,
    hits_appear_and_vanish,
    adjudications_are_kept,
    real_un_list_round_trip,
);

fn entry(id: &str, name: &str, body: &str) -> StoredListEntry {
    StoredListEntry {
        entry_id: id.into(),
        kind: "individual".into(),
        reference: Some(format!("QDi.{id}")),
        name: name.into(),
        body: body.into(),
    }
}

fn change(kind: ListChangeKind, id: &str) -> ListChange {
    ListChange {
        change: kind,
        entry_id: id.into(),
        name: format!("name {id}"),
        body: format!("{{\"id\":\"{id}\"}}"),
    }
}

fn version(
    list: &str,
    date: &str,
    entries: Vec<StoredListEntry>,
    changes: Vec<ListChange>,
) -> NewListVersion {
    NewListVersion {
        list: list.into(),
        version: date.into(),
        source: "test".into(),
        imported_at: 1_700_000_000_000_000,
        entries,
        changes,
        previous: None,
    }
}

/// A version whose diff was computed against version `previous`.
fn after(previous: u64, mut v: NewListVersion) -> NewListVersion {
    v.previous = Some(previous);
    v
}

fn subject(key: &str, t: i64) -> Subject {
    Subject {
        key: key.into(),
        name: format!("subject {key}"),
        kind: None,
        birth_date: Some("1970".into()),
        nationality: None,
        document: None,
        first_screened: t,
        last_screened: t,
    }
}

fn hit(id: &str, score: f64) -> NewHit {
    NewHit {
        entry_id: id.into(),
        score,
        matched_name: format!("name {id}"),
        body: format!("{{\"entry_id\":\"{id}\",\"score\":{score}}}"),
    }
}

async fn list_versions_entries_and_diffs(db: &TestDb) {
    let store = db.open().await;
    assert!(store.list_versions(None).await.unwrap().is_empty());
    assert!(matches!(
        store.list_version("un", None).await,
        Err(Error::NotFound(_))
    ));
    let v1 = store
        .add_list_version(version(
            "un",
            "2015-03-27",
            vec![
                entry("1", "Alpha", "{\"a\":1}"),
                entry("2", "Beta", "{\"b\":\"é\"}"),
            ],
            vec![
                change(ListChangeKind::Added, "1"),
                change(ListChangeKind::Added, "2"),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(
        (v1.number, v1.entries, v1.added, v1.amended, v1.delisted),
        (1, 2, 2, 0, 0)
    );
    let v2 = store
        .add_list_version(after(
            1,
            version(
                "un",
                "2026-02-27",
                vec![entry("3", "Gamma", "{}"), entry("2", "Beta", "{\"b\":2}")],
                vec![
                    change(ListChangeKind::Added, "3"),
                    change(ListChangeKind::Amended, "2"),
                    change(ListChangeKind::Delisted, "1"),
                ],
            ),
        ))
        .await
        .unwrap();
    assert_eq!((v2.number, v2.added, v2.amended, v2.delisted), (2, 1, 1, 1));
    // Another list numbers its own versions.
    let o1 = store
        .add_list_version(version(
            "ofac-sdn",
            "2021-07-07",
            vec![entry("9", "X", "{}")],
            vec![],
        ))
        .await
        .unwrap();
    assert_eq!(o1.number, 1);

    let all = store.list_versions(None).await.unwrap();
    let keys: Vec<(String, u64)> = all.iter().map(|v| (v.list.clone(), v.number)).collect();
    assert_eq!(
        keys,
        vec![("ofac-sdn".into(), 1), ("un".into(), 1), ("un".into(), 2)]
    );
    assert_eq!(
        store.list_versions(Some("un")).await.unwrap(),
        vec![v1.clone(), v2.clone()]
    );
    assert_eq!(store.list_version("un", None).await.unwrap(), v2);
    assert_eq!(store.list_version("un", Some(1)).await.unwrap(), v1);
    assert!(matches!(
        store.list_version("un", Some(3)).await,
        Err(Error::NotFound(_))
    ));

    // Entries come back exactly, in source order.
    let e1 = store.list_entries("un", 1).await.unwrap();
    assert_eq!(
        e1,
        vec![
            entry("1", "Alpha", "{\"a\":1}"),
            entry("2", "Beta", "{\"b\":\"é\"}")
        ]
    );
    let e2 = store.list_entries("un", 2).await.unwrap();
    assert_eq!(
        e2.iter().map(|e| e.entry_id.as_str()).collect::<Vec<_>>(),
        ["3", "2"]
    );
    let c2 = store.list_changes("un", 2).await.unwrap();
    assert_eq!(
        c2.iter()
            .map(|c| (c.change, c.entry_id.as_str()))
            .collect::<Vec<_>>(),
        [
            (ListChangeKind::Added, "3"),
            (ListChangeKind::Amended, "2"),
            (ListChangeKind::Delisted, "1")
        ]
    );
    assert!(matches!(
        store.list_entries("un", 9).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.list_changes("eu", 1).await,
        Err(Error::NotFound(_))
    ));

    // Durable across reopen.
    drop(store);
    let store = db.open().await;
    assert_eq!(store.list_versions(Some("un")).await.unwrap(), vec![v1, v2]);
}

async fn bad_versions_change_nothing(db: &TestDb) {
    let store = db.open().await;
    store
        .add_list_version(version(
            "un",
            "2026-02-27",
            vec![entry("1", "A", "{}")],
            vec![],
        ))
        .await
        .unwrap();
    // The same dated version again.
    assert!(matches!(
        store
            .add_list_version(version(
                "un",
                "2026-02-27",
                vec![entry("2", "B", "{}")],
                vec![]
            ))
            .await,
        Err(Error::Conflict(_))
    ));
    // Duplicate entry ids.
    assert!(matches!(
        store
            .add_list_version(after(
                1,
                version(
                    "un",
                    "2026-03-01",
                    vec![entry("1", "A", "{}"), entry("1", "A2", "{}")],
                    vec![]
                )
            ))
            .await,
        Err(Error::Invalid(_))
    ));
    // A diff naming an entry twice.
    assert!(matches!(
        store
            .add_list_version(after(
                1,
                version(
                    "un",
                    "2026-03-02",
                    vec![entry("5", "E", "{}")],
                    vec![
                        change(ListChangeKind::Added, "5"),
                        change(ListChangeKind::Delisted, "5")
                    ]
                )
            ))
            .await,
        Err(Error::Invalid(_))
    ));
    // A diff computed against a version that is no longer the newest.
    assert!(matches!(
        store
            .add_list_version(version(
                "un",
                "2026-03-04",
                vec![entry("9", "I", "{}")],
                vec![]
            ))
            .await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store
            .add_list_version(after(2, version("un", "2026-03-04", vec![], vec![])))
            .await,
        Err(Error::Conflict(_))
    ));
    // Empty list id or date.
    assert!(matches!(
        store
            .add_list_version(version("", "2026-03-03", vec![], vec![]))
            .await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        store
            .add_list_version(version("un", " ", vec![], vec![]))
            .await,
        Err(Error::Invalid(_))
    ));
    let versions = store.list_versions(None).await.unwrap();
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert_eq!(store.list_entries("un", 1).await.unwrap().len(), 1);
    assert!(matches!(
        store.list_entries("un", 2).await,
        Err(Error::NotFound(_))
    ));
    // Screening against a version that does not exist records nothing.
    assert!(matches!(
        store
            .record_screenings(
                "un",
                7,
                vec![SubjectScreening {
                    subject: subject("s1", 1),
                    hits: vec![hit("1", 0.9)]
                }]
            )
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(store.subject("s1").await, Err(Error::NotFound(_))));
}

async fn hits_appear_and_vanish(db: &TestDb) {
    let store = db.open().await;
    store
        .add_list_version(version(
            "un",
            "2015-03-27",
            vec![entry("1", "A", "{}")],
            vec![],
        ))
        .await
        .unwrap();
    store
        .add_list_version(after(
            1,
            version("un", "2026-02-27", vec![entry("2", "B", "{}")], vec![]),
        ))
        .await
        .unwrap();
    let first = store
        .record_screenings(
            "un",
            1,
            vec![
                SubjectScreening {
                    subject: subject("s1", 10),
                    hits: vec![hit("1", 0.9), hit("7", 0.85)],
                },
                SubjectScreening {
                    subject: subject("s2", 10),
                    hits: vec![],
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].subject, "s1");
    assert_eq!(
        first[0]
            .new
            .iter()
            .map(|h| h.entry_id.as_str())
            .collect::<Vec<_>>(),
        ["1", "7"]
    );
    assert!(first[0].vanished.is_empty());
    assert!(first[1].new.is_empty() && first[1].vanished.is_empty());

    // The same screening again raises nothing new.
    let again = store
        .record_screenings(
            "un",
            1,
            vec![SubjectScreening {
                subject: subject("s1", 20),
                hits: vec![hit("1", 0.91), hit("7", 0.85)],
            }],
        )
        .await
        .unwrap();
    assert!(again[0].new.is_empty() && again[0].vanished.is_empty());
    let s1 = store.subject("s1").await.unwrap();
    assert_eq!((s1.first_screened, s1.last_screened), (10, 20));

    // Version 2: entry 1 vanished, entry 2 is new, 7 kept.
    let later = store
        .record_screenings(
            "un",
            2,
            vec![SubjectScreening {
                subject: subject("s1", 30),
                hits: vec![hit("2", 0.95), hit("7", 0.86)],
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        later[0]
            .new
            .iter()
            .map(|h| h.entry_id.as_str())
            .collect::<Vec<_>>(),
        ["2"]
    );
    assert_eq!(later[0].new[0].first_number, 2);
    assert_eq!(
        later[0]
            .vanished
            .iter()
            .map(|h| h.entry_id.as_str())
            .collect::<Vec<_>>(),
        ["1"]
    );
    assert_eq!(later[0].vanished[0].status, HitStatus::Vanished);
    let hits = store.subject_hits("s1").await.unwrap();
    let view: Vec<(&str, HitStatus, u64, u64)> = hits
        .iter()
        .map(|h| (h.entry_id.as_str(), h.status, h.first_number, h.last_number))
        .collect();
    assert_eq!(
        view,
        [
            ("1", HitStatus::Vanished, 1, 1),
            ("2", HitStatus::Open, 2, 2),
            ("7", HitStatus::Open, 1, 2)
        ]
    );
    assert!((hits[2].score - 0.86).abs() < 1e-9);
    let subjects = store.screened_subjects("un").await.unwrap();
    assert_eq!(
        subjects.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(),
        ["s1", "s2"]
    );
    assert!(
        store
            .screened_subjects("ofac-sdn")
            .await
            .unwrap()
            .is_empty()
    );
    // A vanished hit raised again is new again.
    let back = store
        .record_screenings(
            "un",
            2,
            vec![SubjectScreening {
                subject: subject("s1", 40),
                hits: vec![hit("1", 0.9), hit("2", 0.95), hit("7", 0.86)],
            }],
        )
        .await
        .unwrap();
    assert_eq!(
        back[0]
            .new
            .iter()
            .map(|h| h.entry_id.as_str())
            .collect::<Vec<_>>(),
        ["1"]
    );
    assert_eq!(back[0].new[0].first_number, 2);
}

async fn adjudications_are_kept(db: &TestDb) {
    let store = db.open().await;
    store
        .add_user(User {
            name: "alice".into(),
            organisation: "FIU".into(),
            role: Role::Analyst,
            password_hash: None,
        })
        .await
        .unwrap();
    store
        .add_list_version(version(
            "un",
            "2026-02-27",
            vec![entry("1", "A", "{}")],
            vec![],
        ))
        .await
        .unwrap();
    store
        .record_screenings(
            "un",
            1,
            vec![SubjectScreening {
                subject: subject("s1", 1),
                hits: vec![hit("1", 0.9)],
            }],
        )
        .await
        .unwrap();
    let new = |decision, reason: &str, user: &str, entry: &str| NewAdjudication {
        subject: "s1".into(),
        list: "un".into(),
        entry_id: entry.into(),
        decision,
        reason: reason.into(),
        user: user.into(),
        time: 5,
    };
    let a1 = store
        .add_adjudication(new(
            AdjudicationDecision::NeedsMoreInformation,
            "date of birth missing",
            "alice",
            "1",
        ))
        .await
        .unwrap();
    assert_eq!(a1.list_number, 1);
    let a2 = store
        .add_adjudication(new(
            AdjudicationDecision::FalsePositive,
            "born 1990, listed person 1962",
            "alice",
            "1",
        ))
        .await
        .unwrap();
    assert!(a2.seq > a1.seq);
    // Refused: no reason, unknown user, no such hit. Nothing is recorded.
    assert!(matches!(
        store
            .add_adjudication(new(AdjudicationDecision::TrueMatch, "  ", "alice", "1"))
            .await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        store
            .add_adjudication(new(AdjudicationDecision::TrueMatch, "r", "mallory", "1"))
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store
            .add_adjudication(new(AdjudicationDecision::TrueMatch, "r", "alice", "2"))
            .await,
        Err(Error::NotFound(_))
    ));
    let all = store.adjudications("s1").await.unwrap();
    assert_eq!(all, vec![a1, a2]);
    assert_eq!(all[1].decision, AdjudicationDecision::FalsePositive);
    assert_eq!(all[1].user, "alice");
    assert!(store.adjudications("s2").await.unwrap().is_empty());
    // Adjudications survive the hit vanishing.
    store
        .add_list_version(after(
            1,
            version(
                "un",
                "2026-03-01",
                vec![],
                vec![change(ListChangeKind::Delisted, "1")],
            ),
        ))
        .await
        .unwrap();
    let ch = store
        .record_screenings(
            "un",
            2,
            vec![SubjectScreening {
                subject: subject("s1", 2),
                hits: vec![],
            }],
        )
        .await
        .unwrap();
    assert_eq!(ch[0].vanished.len(), 1);
    assert_eq!(store.adjudications("s1").await.unwrap().len(), 2);
}

/// The real UN list, stored as the CLI stores it, comes back byte for byte and rebuilds a
/// screener that finds a listed person.
async fn real_un_list_round_trip(db: &TestDb) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/sanctions/un_consolidated_2026-02-27.xml"
    );
    let Ok(bytes) = std::fs::read(path) else {
        eprintln!("{path} not found: scenario skipped");
        return;
    };
    let store = db.open().await;
    // Entries as JSON text without the screening crate: the store keeps what it is given.
    let text = String::from_utf8(bytes).unwrap();
    let mut entries = Vec::new();
    for (i, chunk) in text.split("<DATAID>").skip(1).enumerate() {
        let id = chunk.split("</DATAID>").next().unwrap().to_owned();
        entries.push(entry(
            &id,
            &format!("entry {i}"),
            &serde_json::json!({"id": id, "i": i, "x": "ا"}).to_string(),
        ));
    }
    assert_eq!(entries.len(), 1003);
    let info = store
        .add_list_version(version("un", "2026-02-27", entries.clone(), vec![]))
        .await
        .unwrap();
    assert_eq!(info.entries, 1003);
    assert_eq!(store.list_entries("un", 1).await.unwrap(), entries);
}
