//! Correlation over real HTTP on loopback: two organisations post data that correlates through
//! TAXII; the hits are listed through the access check. A principal reading both sides sees the
//! hit in full; one reading one side gets `hit-only` (its own side and whom to contact) and
//! nothing of the other side reaches it, in the body or in the headers, not even a count; one
//! reading neither side gets exactly what it gets when there are no hits at all.

// The same test node as the integration suite; this file uses a part of it.
#[allow(unreachable_pub)]
#[path = "integration/node.rs"]
mod node;

use entente_store::{
    ApiToken, ChannelRecord, CollectionId, CollectionScope, Organisation, Role, User,
};
use entente_taxii::Envelope;
use node::Node;
use serde_json::{Value, json};

const PURPOSE: &str = "ct-prevention";

/// Agency B and agency D, a channel between the home organisation and agency B, a collection
/// private to the home organisation (A) and one of the channel (B).
async fn two_agencies(node: &Node) -> (String, String) {
    let s = &node.store;
    for id in ["agency-b", "agency-d"] {
        s.add_organisation(Organisation {
            id: id.into(),
            name: id.into(),
            home: false,
        })
        .await
        .unwrap();
    }
    let now = time::OffsetDateTime::now_utc();
    let micros = |t: time::OffsetDateTime| (t.unix_timestamp_nanos() / 1000) as i64;
    s.put_channel(ChannelRecord {
        id: "home-b".into(),
        title: "home and agency B".into(),
        members: vec!["home".into(), "agency-b".into()],
        legal_basis: "Memorandum of understanding, 2026".into(),
        purposes: vec![PURPOSE.into()],
        max_marking: "red".into(),
        require_tlp: false,
        valid_from: micros(now - time::Duration::days(30)),
        valid_until: Some(micros(now + time::Duration::days(365))),
    })
    .await
    .unwrap();
    let a = node.collection("home cases", None).await;
    let b = node.collection("shared with agency B", None).await;
    s.set_collection_scope(
        &CollectionId(b.clone()),
        CollectionScope::Channel("home-b".into()),
    )
    .await
    .unwrap();
    (a, b)
}

/// The two agencies' collections and the tokens of their analysts: Alice writes A (home), Bob
/// writes B (agency B), Carol (home) reads both.
struct Analysts {
    coll_a: String,
    coll_b: String,
    alice: String,
    bob: String,
    carol: String,
}

async fn analysts(node: &Node) -> Analysts {
    let (coll_a, coll_b) = two_agencies(node).await;
    let alice = user(node, "alice", "home").await;
    let bob = user(node, "bob", "agency-b").await;
    let carol = user(node, "carol", "home").await;
    node.grant("alice", &coll_a, true, true).await;
    node.grant("bob", &coll_b, true, true).await;
    node.grant("carol", &coll_a, true, false).await;
    node.grant("carol", &coll_b, true, false).await;
    Analysts {
        coll_a,
        coll_b,
        alice,
        bob,
        carol,
    }
}

/// A user of `organisation` with a bearer token; returns the token. The users that post data
/// have a default purpose (the TAXII client sends no purpose header).
async fn user(node: &Node, name: &str, organisation: &str) -> String {
    let token = user_without_purpose(node, name, organisation).await;
    node.store
        .set_default_purpose(name, Some(PURPOSE.into()))
        .await
        .unwrap();
    token
}

async fn user_without_purpose(node: &Node, name: &str, organisation: &str) -> String {
    node.store
        .add_user(User {
            name: name.into(),
            organisation: organisation.into(),
            role: Role::Analyst,
            password_hash: None,
        })
        .await
        .unwrap();
    let (token, sha256) = entente_server::auth::mint_token();
    node.store
        .add_token(ApiToken {
            sha256,
            user: name.into(),
            label: "tests".into(),
        })
        .await
        .unwrap();
    token
}

const IND_A: &str = "indicator--a1a1a1a1-0000-4000-8000-000000000001";
const OD_B: &str = "observed-data--b2b2b2b2-0000-4000-8000-000000000002";
const OD_B2: &str = "observed-data--b2b2b2b2-0000-4000-8000-000000000003";
const DOM_B: &str = "domain-name--b2b2b2b2-0000-5000-8000-000000000004";
const SECRET: &str = "c2.secret-op.net";

fn indicator() -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": IND_A,
           "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
           "name": "agency A case 17", "pattern_type": "stix",
           "pattern": format!("[domain-name:value = '{SECRET}']"),
           "valid_from": "2026-01-01T00:00:00Z"})
}

fn observed(id: &str, day: u32) -> Vec<Value> {
    vec![
        json!({"type": "observed-data", "spec_version": "2.1", "id": id,
               "created": format!("2026-02-{day:02}T00:00:00.000Z"),
               "modified": format!("2026-02-{day:02}T00:00:00.000Z"),
               "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:00:00Z",
               "number_observed": 1, "object_refs": [DOM_B]}),
        json!({"type": "domain-name", "spec_version": "2.1", "id": DOM_B, "value": SECRET}),
    ]
}

async fn post(node: &Node, token: &str, collection: &str, objects: Vec<Value>) {
    let status = node
        .coll(token, collection)
        .add_objects(&Envelope {
            objects,
            ..Envelope::default()
        })
        .await
        .expect("post objects");
    assert_eq!(status.failure_count, 0, "{status:?}");
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }

    /// Everything a client can see of the answer, less the per-request error id.
    fn seen(&self) -> (u16, Vec<(String, String)>, Value) {
        let mut body = self.json();
        if let Some(o) = body.as_object_mut() {
            o.remove("error_id");
        }
        (self.status, self.headers.clone(), body)
    }
}

async fn get(node: &Node, token: &str, path: &str, purpose: Option<&str>) -> Answer {
    let mut req = reqwest::Client::new()
        .get(format!("{}{path}", node.url))
        .bearer_auth(token);
    if let Some(p) = purpose {
        req = req.header("Entente-Purpose", p);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .filter(|(k, _)| *k != "x-request-id" && *k != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = r.text().await.expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

/// Nothing of the hidden side is in the answer: no id, no value, no kind, no collection, no
/// object text, in the body or the headers.
fn assert_nothing_of(a: &Answer, hidden: &[&str]) {
    for h in hidden {
        let needle = h.to_lowercase();
        assert!(
            !a.body.to_lowercase().contains(&needle),
            "body leaks {h}: {}",
            a.body
        );
        for (k, v) in &a.headers {
            assert!(!v.to_lowercase().contains(&needle), "header {k} leaks {h}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_through_the_gate_never_leak_content() {
    let node = Node::start().await;
    let Analysts {
        coll_a,
        coll_b,
        alice,
        bob,
        carol,
    } = analysts(&node).await;
    let dave = user(&node, "dave", "agency-d").await;
    // Dave works in his own agency's collection: he reads neither side.
    let coll_d = node.collection("agency D", None).await;
    node.store
        .set_collection_scope(
            &CollectionId(coll_d.clone()),
            CollectionScope::Private("agency-d".into()),
        )
        .await
        .unwrap();
    node.grant("dave", &coll_d, true, true).await;
    // Bob holds a permission on A too, but A is private to the home organisation: the sharing
    // rules refuse him, so he still reads only his side.
    node.grant("bob", &coll_a, true, false).await;

    let since = "/correlation/v1/hits?since=2000-01-01T00:00:00Z";
    let empty_before = get(&node, &dave, since, Some(PURPOSE)).await;
    assert_eq!(empty_before.status, 200);

    post(&node, &alice, &coll_a, vec![indicator()]).await;
    post(&node, &bob, &coll_b, observed(OD_B, 1)).await;

    // Carol reads both sides: the full hit.
    let c = get(&node, &carol, since, Some(PURPOSE)).await;
    assert_eq!(c.status, 200, "{}", c.body);
    let hits = c.json()["hits"].as_array().unwrap().clone();
    assert!(!hits.is_empty());
    let value_hit = hits
        .iter()
        .find(|h| h["rule"] == "value")
        .expect("a value hit");
    assert_eq!(value_hit["visibility"], "full");
    assert_eq!(value_hit["kind"], "domain");
    assert_eq!(value_hit["value"], SECRET);
    let ids: Vec<&str> = value_hit["sides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&IND_A) && ids.contains(&OD_B), "{ids:?}");
    assert!(
        hits.iter().any(|h| h["rule"] == "pattern"),
        "the indicator's pattern matched the observation: {hits:?}"
    );

    // Alice reads only her side: hit-only, with agency B to contact, nothing of B's data.
    let a = get(&node, &alice, since, Some(PURPOSE)).await;
    assert_eq!(a.status, 200);
    let body = a.json();
    let hits = body["hits"].as_array().unwrap();
    assert_eq!(
        hits.len(),
        1,
        "one entry, however many hidden links: {body}"
    );
    assert_eq!(hits[0]["visibility"], "hit-only");
    assert_eq!(hits[0]["yours"]["id"], IND_A);
    assert_eq!(hits[0]["contact"], json!(["agency-b"]));
    assert_eq!(
        hits[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["contact", "found", "visibility", "yours"]
    );
    assert_nothing_of(
        &a,
        &[
            OD_B,
            DOM_B,
            &coll_b,
            SECRET,
            "secret-op",
            "observed-data",
            "domain",
            "pattern",
        ],
    );

    // Bob likewise sees only his side, with agency A to contact.
    let b = get(&node, &bob, since, Some(PURPOSE)).await;
    let body = b.json();
    let hits = body["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{body}");
    assert_eq!(hits[0]["yours"]["id"], OD_B);
    assert_eq!(hits[0]["contact"], json!(["home"]));
    assert_nothing_of(
        &b,
        &[
            IND_A,
            &coll_a,
            "indicator",
            "case 17",
            "pattern",
            "domain-name:value",
        ],
    );

    // A second observation of B matching the same indicator: Alice still sees one entry (the
    // number of B's objects is not disclosed).
    post(&node, &bob, &coll_b, observed(OD_B2, 2)).await;
    let a2 = get(&node, &alice, since, Some(PURPOSE)).await;
    assert_eq!(
        a2.json()["hits"].as_array().unwrap().len(),
        1,
        "{}",
        a2.body
    );
    assert_nothing_of(&a2, &[OD_B, OD_B2, DOM_B, &coll_b, SECRET]);

    // Dave reads neither side: exactly the answer of a node without hits (no count either).
    let d = get(&node, &dave, since, Some(PURPOSE)).await;
    assert_eq!(
        (d.status, &d.body, &d.headers),
        (
            empty_before.status,
            &empty_before.body,
            &empty_before.headers
        )
    );
    assert_eq!(d.json(), json!({"hits": []}));

    // Per object: Alice's own indicator gives hit-only; B's objects give her nothing, exactly
    // as an id that does not exist.
    let mine = get(
        &node,
        &alice,
        &format!("/correlation/v1/objects/{IND_A}/hits"),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(mine.json()["hits"][0]["visibility"], "hit-only");
    assert_nothing_of(&mine, &[OD_B, OD_B2, &coll_b, SECRET]);
    let theirs = get(
        &node,
        &alice,
        &format!("/correlation/v1/objects/{OD_B}/hits"),
        Some(PURPOSE),
    )
    .await;
    let unknown = get(
        &node,
        &alice,
        "/correlation/v1/objects/observed-data--00000000-0000-4000-8000-00000000ffff/hits",
        Some(PURPOSE),
    )
    .await;
    assert_eq!(theirs.seen(), unknown.seen());
    let carol_od = get(
        &node,
        &carol,
        &format!("/correlation/v1/objects/{OD_B}/hits"),
        Some(PURPOSE),
    )
    .await;
    assert!(
        carol_od.json()["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["visibility"] == "full")
    );
    assert!(!carol_od.json()["hits"].as_array().unwrap().is_empty());

    // Per collection: B's collection is concealed from Alice exactly like one that does not
    // exist; her own lists her hit-only entry.
    let b_coll = get(
        &node,
        &alice,
        &format!("/correlation/v1/collections/{coll_b}/hits"),
        Some(PURPOSE),
    )
    .await;
    let no_coll = get(
        &node,
        &alice,
        "/correlation/v1/collections/00000000-0000-4000-8000-000000000000/hits",
        Some(PURPOSE),
    )
    .await;
    assert_eq!(b_coll.status, 404);
    assert_eq!(b_coll.seen(), no_coll.seen());
    let a_coll = get(
        &node,
        &alice,
        &format!("/correlation/v1/collections/{coll_a}/hits"),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(a_coll.json()["hits"].as_array().unwrap().len(), 1);
    assert_nothing_of(&a_coll, &[OD_B, OD_B2, &coll_b, SECRET]);

    // Paging: one per page, with a sealed token that names no sequence number.
    let p1 = get(&node, &carol, &format!("{since}&limit=1"), Some(PURPOSE)).await;
    let next = p1.json()["next"].as_str().expect("a next token").to_owned();
    let p2 = get(
        &node,
        &carol,
        &format!("{since}&limit=1&next={next}"),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(p2.status, 200);
    assert_ne!(p1.json()["hits"], p2.json()["hits"]);
    // Alice's one entry fills a page of one, and no next page is offered although more
    // (hidden or duplicate) hits follow it in the store.
    let a1 = get(&node, &alice, &format!("{since}&limit=1"), Some(PURPOSE)).await;
    assert_eq!(a1.json()["hits"].as_array().unwrap().len(), 1);
    assert!(a1.json().get("next").is_none(), "{}", a1.body);
    // Another user's token does not continue Carol's listing.
    let stolen = get(
        &node,
        &alice,
        &format!("{since}&limit=1&next={next}"),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(stolen.status, 400);

    // Every listing leaves a trace in the audit log: who, for which purpose, the outcome and
    // how many hits were shown (never which); the concealed collection as a refusal.
    let wanted = [
        ("alice", "correlation-since", "hit-only"),
        ("carol", "correlation-since", "allow"),
        ("alice", "correlation-collection", "deny"),
    ];
    let mut missing = wanted.to_vec();
    for _ in 0..100 {
        let entries = node.store.audit_page(0, 100_000).await.unwrap();
        missing.retain(|(who, action, decision)| {
            !entries.iter().any(|e| {
                e.record.actor == *who
                    && e.record.action == *action
                    && e.record.decision == *decision
                    && e.record.purpose.as_deref() == Some(PURPOSE)
            })
        });
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(missing.is_empty(), "not audited: {missing:?}");

    // Time filter: nothing after the future.
    let later = get(
        &node,
        &carol,
        "/correlation/v1/hits?since=2999-01-01T00:00:00Z",
        Some(PURPOSE),
    )
    .await;
    assert_eq!(later.json(), json!({"hits": []}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_need_a_purpose_and_good_parameters() {
    let node = Node::start().await;
    let coll = node.collection("c", None).await;
    let t = user_without_purpose(&node, "erin", "home").await;
    node.grant("erin", &coll, true, true).await;
    let paths = [
        "/correlation/v1/hits?since=2026-01-01T00:00:00Z".to_owned(),
        format!("/correlation/v1/collections/{coll}/hits"),
        format!("/correlation/v1/objects/{IND_A}/hits"),
    ];
    for p in &paths {
        let a = get(&node, &t, p, None).await;
        assert_eq!(a.status, 400, "{p}: {}", a.body);
        assert!(
            a.body.contains("Entente-Purpose") || a.body.contains("entente-purpose"),
            "{}",
            a.body
        );
        assert_eq!(get(&node, &t, p, Some(PURPOSE)).await.status, 200, "{p}");
    }
    for bad in [
        "/correlation/v1/hits",
        "/correlation/v1/hits?since=yesterday",
        "/correlation/v1/hits?since=2026-01-01T00:00:00Z&limit=0",
        "/correlation/v1/hits?since=2026-01-01T00:00:00Z&limit=5000",
        "/correlation/v1/hits?since=2026-01-01T00:00:00Z&next=garbage",
        "/correlation/v1/hits?since=2026-01-01T00:00:00Z&colour=blue",
        "/correlation/v1/objects/not-an-id/hits",
    ] {
        assert_eq!(
            get(&node, &t, bad, Some(PURPOSE)).await.status,
            400,
            "{bad}"
        );
    }
    // Without credentials: 401.
    let r = reqwest::Client::new()
        .get(format!("{}{}", node.url, paths[0]))
        .header("Entente-Purpose", PURPOSE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

/// A TLP:RED version that does not name the principal is not readable through a hit, even in a
/// collection it may read, and its existence is not disclosed either (no hit-only for RED).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_versions_are_neither_shown_nor_disclosed() {
    let node = Node::start().await;
    let Analysts {
        coll_a,
        coll_b,
        alice,
        bob,
        carol,
    } = analysts(&node).await;
    let red = entente_stix::tlp::Tlp::Red.marking().id;
    let mut objects = observed(OD_B, 1);
    for o in &mut objects {
        o["object_marking_refs"] = json!([red]);
        o["x_entente_recipients"] = json!(["organisation:agency-b"]);
    }
    post(&node, &alice, &coll_a, vec![indicator()]).await;
    post(&node, &bob, &coll_b, objects).await;

    let since = "/correlation/v1/hits?since=2000-01-01T00:00:00Z";
    // Bob (the originator) sees his side; nothing tells Carol or Alice that B holds it.
    for who in [&carol, &alice] {
        let a = get(&node, who, since, Some(PURPOSE)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_nothing_of(&a, &[OD_B, DOM_B, "agency-b"]);
        assert!(
            a.json()["hits"]
                .as_array()
                .is_none_or(|h| h.iter().all(|h| h["visibility"] != "full")),
            "{}",
            a.body
        );
    }
    let b = get(&node, &bob, since, Some(PURPOSE)).await;
    assert_eq!(b.status, 200);
    assert!(
        b.body.contains(OD_B) || b.body.contains(DOM_B),
        "{}",
        b.body
    );
}

/// A POST is answered without waiting for its correlation, but a hits listing waits for the
/// correlation of every write answered before it: the hits of a large envelope are listed at
/// once, the last object's included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_of_an_answered_post_are_listed_at_once() {
    let node = Node::start().await;
    let Analysts {
        coll_a,
        coll_b,
        alice,
        bob,
        carol,
    } = analysts(&node).await;
    const N: u32 = 300;
    let domain = |i: u32| format!("c2-{i}.secret-op.net");
    let indicators = (0..N)
        .map(|i| {
            json!({"type": "indicator", "spec_version": "2.1",
                   "id": format!("indicator--a1a1a1a1-0000-4000-8000-{i:012x}"),
                   "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                   "pattern_type": "stix",
                   "pattern": format!("[domain-name:value = '{}']", domain(i)),
                   "valid_from": "2026-01-01T00:00:00Z"})
        })
        .collect();
    post(&node, &alice, &coll_a, indicators).await;
    let od = |i: u32| format!("observed-data--b2b2b2b2-0000-4000-8000-{i:012x}");
    let mut observed = Vec::new();
    for i in 0..N {
        let dom = format!("domain-name--b2b2b2b2-0000-5000-8000-{i:012x}");
        observed.push(
            json!({"type": "observed-data", "spec_version": "2.1", "id": od(i),
               "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
               "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:00:00Z",
               "number_observed": 1, "object_refs": [dom]}),
        );
        observed.push(
            json!({"type": "domain-name", "spec_version": "2.1", "id": dom,
                             "value": domain(i)}),
        );
    }
    post(&node, &bob, &coll_b, observed).await;
    let last = get(
        &node,
        &carol,
        &format!("/correlation/v1/objects/{}/hits", od(N - 1)),
        Some(PURPOSE),
    )
    .await;
    assert_eq!(last.status, 200, "{}", last.body);
    let hits = last.json()["hits"].as_array().cloned().unwrap_or_default();
    assert!(
        hits.iter()
            .any(|h| h["rule"] == "value" && h["value"] == domain(N - 1)),
        "the last object's hit is listed: {}",
        last.body
    );
}

/// `/health` says whether the correlation index is built: `ready` once a write has used it
/// (`busy` while the write's correlation, which its answer does not wait for, runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_the_correlation_index() {
    let node = Node::start().await;
    let (a, _) = two_agencies(&node).await;
    let token = user(&node, "alice", "home").await;
    node.grant("alice", &a, true, true).await;
    post(&node, &token, &a, vec![node::indicator(1, 1)]).await;
    let mut seen = Vec::new();
    for _ in 0..100 {
        let r = reqwest::get(format!("{}/health", node.url))
            .await
            .expect("request");
        assert_eq!(r.status().as_u16(), 200);
        let body = r.json::<Value>().await.expect("JSON body");
        if body["correlation_index"] != "busy" {
            seen.push(body);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen,
        vec![json!({"status": "ok", "correlation_index": "ready"})]
    );
}
