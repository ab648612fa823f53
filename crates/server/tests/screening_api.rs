//! The screening API (issue 7) over real HTTP on loopback: a node on SQLite in a temporary
//! folder with the real UN Consolidated List (2026-02-27) imported through the same code the
//! `entente lists import` command uses.

use std::net::SocketAddr;

use entente_server::Config;
use entente_store::{ApiToken, Role, SharedStore, User};
use serde_json::{Value, json};

struct Node {
    url: String,
    store: SharedStore,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

const PURPOSE: &str = "counter-terrorism-financing";

impl Node {
    async fn start(with_list: bool) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config::for_data_dir(dir.path());
        let store = entente_store::open(&config.store_url)
            .await
            .expect("open store");
        if with_list {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/data/sanctions/un_consolidated_2026-02-27.xml"
            );
            let bytes = std::fs::read(path).expect("the UN list file");
            let list = entente_screening::import_un_xml(&bytes[..], None).expect("UN list");
            entente_server::screening::import_version(&store, list, "un.xml")
                .await
                .expect("import");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = store.clone();
        tokio::spawn(async move {
            entente_server::serve(config, served, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        Node {
            url: format!("http://{addr}"),
            store,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    /// Creates a user with a bearer token; returns the token.
    async fn user(&self, name: &str, role: Role) -> String {
        self.store
            .add_user(User {
                name: name.into(),
                organisation: "FIU".into(),
                role,
                password_hash: None,
            })
            .await
            .expect("user");
        let (token, sha256) = entente_server::auth::mint_token();
        self.store
            .add_token(ApiToken {
                sha256,
                user: name.into(),
                label: "tests".into(),
            })
            .await
            .expect("token");
        token
    }

    fn post(&self, path: &str, token: &str, purpose: Option<&str>) -> reqwest::RequestBuilder {
        let mut r = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(p) = purpose {
            r = r.header("Entente-Purpose", p);
        }
        r
    }

    fn get(&self, path: &str, token: &str, purpose: Option<&str>) -> reqwest::RequestBuilder {
        let mut r = reqwest::Client::new()
            .get(format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(p) = purpose {
            r = r.header("Entente-Purpose", p);
        }
        r
    }

    async fn screen(&self, token: &str, body: Value) -> (u16, Value) {
        let resp = self
            .post("/screening/v1/screen", token, Some(PURPOSE))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// The audit log once `done` holds for it (served reads are committed with the journal's
    /// next batch, within milliseconds, not before their response); fails after 10 s.
    async fn audit_when(
        &self,
        done: impl Fn(&[entente_store::AuditRecord]) -> bool,
    ) -> Vec<entente_store::AuditRecord> {
        for _ in 0..1000 {
            let log = self.audit().await;
            if done(&log) {
                return log;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!(
            "the audit log never reached the expected state: {:?}",
            self.audit().await
        );
    }

    /// Every audit record, oldest first.
    async fn audit(&self) -> Vec<entente_store::AuditRecord> {
        self.store
            .audit_page(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.record)
            .collect()
    }
}

fn ids(result: &Value) -> Vec<String> {
    result["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_and_batch_screening_with_purpose_in_the_audit_log() {
    let node = Node::start(true).await;
    let analyst = node.user("alice", Role::Analyst).await;
    let (status, body) = node
        .screen(
            &analyst,
            json!({"query": {"name": "Saddam Hussein al-Tikriti"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["list"], "un");
    assert_eq!(body["list_version"], "2026-02-27");
    let r = &body["results"][0];
    assert_eq!(r["query"], "Saddam Hussein al-Tikriti");
    assert_eq!(ids(r)[0], "6908048");
    let m = &r["matches"][0];
    assert_eq!(m["reference"], "IQi.001");
    assert!(m["score"].as_f64().unwrap() >= 0.82);
    assert!(m["explanation"]["alignments"].is_array());

    // A batch keeps its order; the other facts count.
    let (status, body) = node
        .screen(
            &analyst,
            json!({"list": "un", "type": "individual", "threshold": 0.85, "queries": [
                {"name": "John Smith"},
                {"name": "Eric Badege", "birth_date": "1971", "nationality": "Congo"},
                {"name": "BADEGE, Eric"},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(ids(&results[0]).is_empty());
    assert_eq!(ids(&results[1]), ["6907993"]);
    assert_eq!(ids(&results[2]), ["6907993"]);
    assert_eq!(body["threshold"], 0.85);

    // Screened without being kept.
    let before = node.store.screened_subjects("un").await.unwrap().len();
    let (status, body) = node
        .screen(
            &analyst,
            json!({"query": {"name": "Lucien Nzambamwita"}, "record": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(ids(&body["results"][0]), ["6908663"]);
    let key = body["results"][0]["subject"].as_str().unwrap();
    assert!(node.store.subject(key).await.is_err());
    assert_eq!(
        node.store.screened_subjects("un").await.unwrap().len(),
        before
    );

    // The lists.
    let resp = node
        .get("/screening/v1/lists", &analyst, Some(PURPOSE))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let lists: Value = resp.json().await.unwrap();
    assert_eq!(lists["versions"][0]["entries"], 1003);

    // Every decision is in the audit log with its purpose; no screened name is.
    let audit = node
        .audit_when(|log| {
            log.iter()
                .filter(|r| r.action == "screening.screen")
                .count()
                >= 4
        })
        .await;
    let screens: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "screening.screen")
        .collect();
    assert_eq!(screens.len(), 4, "{audit:?}");
    for r in &screens {
        assert_eq!(r.purpose.as_deref(), Some(PURPOSE));
        assert_eq!(r.decision, "allow");
        assert_eq!(r.actor, "alice");
        assert!(!r.detail.to_lowercase().contains("badege"), "{}", r.detail);
    }
    assert!(
        screens[1].detail.contains("queries=3"),
        "{}",
        screens[1].detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purpose_and_role_are_required() {
    let node = Node::start(true).await;
    let analyst = node.user("alice", Role::Analyst).await;
    let admin = node.user("root", Role::Admin).await;
    let reviewer = node.user("rita", Role::Reviewer).await;
    let service = node.user("bank-gw", Role::Service).await;
    let body = json!({"query": {"name": "Eric Badege"}});

    // No purpose: 400, a clear message, nothing screened or recorded as a subject.
    let resp = node
        .post("/screening/v1/screen", &analyst, None)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let err: Value = resp.json().await.unwrap();
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("Entente-Purpose")
            || err["description"]
                .as_str()
                .unwrap()
                .contains("entente-purpose"),
        "{err}"
    );
    assert!(node.store.screened_subjects("un").await.unwrap().is_empty());
    let resp = node
        .get("/screening/v1/lists", &analyst, None)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    // A malformed purpose.
    let resp = node
        .post("/screening/v1/screen", &analyst, Some("Not A Purpose!"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // Admin and reviewer may not screen nor adjudicate; service may screen, not adjudicate.
    for token in [&admin, &reviewer] {
        let resp = node
            .post("/screening/v1/screen", token, Some(PURPOSE))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
        let resp = node
            .get("/screening/v1/lists", token, Some(PURPOSE))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
    }
    let (status, _) = node.screen(&service, body.clone()).await;
    assert_eq!(status, 200);
    let adj = json!({"subject": "x", "list": "un", "entry_id": "6907993",
                     "decision": "false-positive", "reason": "r"});
    for token in [&admin, &reviewer, &service] {
        let resp = node
            .post("/screening/v1/adjudications", token, Some(PURPOSE))
            .json(&adj)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403);
    }
    // No credentials.
    let resp = reqwest::Client::new()
        .post(format!("{}/screening/v1/screen", node.url))
        .header("Entente-Purpose", PURPOSE)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // The refusals are in the audit log, with the purpose when one was declared.
    let audit = node.audit().await;
    let denied: Vec<_> = audit.iter().filter(|r| r.decision == "deny").collect();
    assert!(
        denied
            .iter()
            .any(|r| r.actor == "alice" && r.purpose.is_none() && r.rule == "purpose required")
    );
    assert!(denied.iter().any(|r| r.actor == "root"
        && r.purpose.as_deref() == Some(PURPOSE)
        && r.action == "screening.screen"));
    assert!(
        denied
            .iter()
            .any(|r| r.actor == "rita" && r.action == "screening.adjudicate")
    );
    assert!(
        denied
            .iter()
            .any(|r| r.actor == "bank-gw" && r.action == "screening.adjudicate")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adjudication_is_reused_by_later_screenings() {
    let node = Node::start(true).await;
    let analyst = node.user("alice", Role::Analyst).await;
    let (_, body) = node
        .screen(&analyst, json!({"query": {"name": "Eric Badege"}}))
        .await;
    let subject = body["results"][0]["subject"].as_str().unwrap().to_owned();
    assert!(body["results"][0]["matches"][0]["adjudication"].is_null());

    let adj = json!({"subject": subject, "list": "un", "entry_id": "6907993",
                     "decision": "needs-more-information", "reason": "ask for the date of birth"});
    let resp = node
        .post("/screening/v1/adjudications", &analyst, Some(PURPOSE))
        .json(&adj)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let a: Value = resp.json().await.unwrap();
    assert_eq!(
        a["user"], "alice",
        "the deciding user is the authenticated one"
    );
    assert_eq!(a["decision"], "needs-more-information");

    let (_, later) = node
        .screen(&analyst, json!({"query": {"name": "eric badege"}}))
        .await;
    let m = &later["results"][0]["matches"][0];
    assert_eq!(later["results"][0]["subject"], subject.as_str());
    assert_eq!(m["adjudication"]["decision"], "needs-more-information");
    assert_eq!(m["adjudication"]["reason"], "ask for the date of birth");

    // The subject's record.
    let resp = node
        .get(
            &format!("/screening/v1/subjects/{subject}"),
            &analyst,
            Some(PURPOSE),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let s: Value = resp.json().await.unwrap();
    assert_eq!(s["hits"][0]["id"], "6907993");
    assert_eq!(s["adjudications"][0]["user"], "alice");
    let resp = node
        .get("/screening/v1/subjects/nope", &analyst, Some(PURPOSE))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // Bad adjudications change nothing.
    for bad in [
        json!({"subject": subject, "entry_id": "6907993", "decision": "freeze", "reason": "r"}),
        json!({"subject": subject, "entry_id": "6907993", "decision": "true-match", "reason": "  "}),
        json!({"subject": subject, "entry_id": "6907993", "decision": "true-match"}),
        json!({"subject": subject, "entry_id": "6907993", "decision": "true-match", "reason": "r", "user": "bob"}),
        json!({"subject": subject, "entry_id": 6907993, "decision": "true-match", "reason": "r"}),
    ] {
        let resp = node
            .post("/screening/v1/adjudications", &analyst, Some(PURPOSE))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
    }
    let resp = node
        .post("/screening/v1/adjudications", &analyst, Some(PURPOSE))
        .json(
            &json!({"subject": subject, "entry_id": "1", "decision": "true-match", "reason": "r"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "no hit on that entry");
    assert_eq!(node.store.adjudications(&subject).await.unwrap().len(), 1);
    let audit = node.audit().await;
    let adj: Vec<_> = audit
        .iter()
        .filter(|r| r.action == "screening.adjudicate" && r.decision == "allow")
        .collect();
    assert_eq!(adj.len(), 1);
    assert_eq!(adj[0].purpose.as_deref(), Some(PURPOSE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_screening_requests_change_nothing() {
    let node = Node::start(true).await;
    let analyst = node.user("alice", Role::Analyst).await;
    let send_raw = |body: Vec<u8>| {
        node.post("/screening/v1/screen", &analyst, Some(PURPOSE))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    for bad in [
        b"{not json".to_vec(),
        b"[]".to_vec(),
        br#"{"query": {"name": 42}}"#.to_vec(),
        br#"{"query": {"name": ""}}"#.to_vec(),
        br#"{"query": {"nom": "x"}}"#.to_vec(),
        br#"{"queries": []}"#.to_vec(),
        br#"{"query": {"name": "a"}, "queries": [{"name": "b"}]}"#.to_vec(),
        br#"{"query": {"name": "a"}, "threshold": 0}"#.to_vec(),
        br#"{"query": {"name": "a"}, "threshold": 7}"#.to_vec(),
        br#"{"query": {"name": "a"}, "type": "vessel"}"#.to_vec(),
        format!(r#"{{"query": {{"name": "{}"}}}}"#, "a".repeat(600)).into_bytes(),
    ] {
        let resp = send_raw(bad.clone()).await.unwrap();
        assert_eq!(resp.status(), 400, "{}", String::from_utf8_lossy(&bad));
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["title"].is_string() && err["description"].is_string(),
            "{err}"
        );
    }
    // An unknown list.
    let (status, _) = node
        .screen(&analyst, json!({"list": "eu", "query": {"name": "x"}}))
        .await;
    assert_eq!(status, 404);
    // Too many queries, and too large a body.
    let many: Vec<Value> = (0..entente_server::screening::MAX_BATCH + 1)
        .map(|i| json!({"name": format!("Person {i}")}))
        .collect();
    let (status, err) = node.screen(&analyst, json!({"queries": many})).await;
    assert_eq!(status, 413, "{err}");
    let huge = format!(
        r#"{{"queries": [{{"name": "x", "document": "{}"}}]}}"#,
        "9".repeat(entente_server::screening::MAX_BODY)
    );
    let resp = send_raw(huge.into_bytes()).await.unwrap();
    assert_eq!(resp.status(), 413);
    // Nothing was recorded as a subject.
    assert!(node.store.screened_subjects("un").await.unwrap().is_empty());
    // The maximum batch is served.
    let full: Vec<Value> = (0..entente_server::screening::MAX_BATCH)
        .map(|i| json!({"name": format!("Person {i}")}))
        .collect();
    let (status, body) = node.screen(&analyst, json!({"queries": full})).await;
    assert_eq!(status, 200);
    assert_eq!(body["results"].as_array().unwrap().len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screening_without_a_stored_list_is_a_clear_404() {
    let node = Node::start(false).await;
    let analyst = node.user("alice", Role::Analyst).await;
    let (status, err) = node
        .screen(&analyst, json!({"query": {"name": "Eric Badege"}}))
        .await;
    assert_eq!(status, 404);
    assert!(
        err["description"]
            .as_str()
            .unwrap()
            .contains("no version of list"),
        "{err}"
    );
}
