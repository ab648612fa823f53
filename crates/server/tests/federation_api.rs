//! The node's federation endpoints over real HTTP on loopback: the deletion log (what a partner
//! learns of deletions, through the gate; sealed cursors; pushed deletions) and the peer status.

// The same test node as the integration suite; this file uses a part of it.
#[allow(unreachable_pub)]
#[path = "integration/node.rs"]
mod node;

use entente_store::{
    ApiToken, ChannelRecord, CollectionId, CollectionScope, Organisation, Role, User,
};
use node::{Node, indicator};
use serde_json::{Value, json};

const TLP_CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const TLP_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";
const TLP_RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

/// A user of `organisation` with `role`, a token and a default purpose.
async fn user(node: &Node, name: &str, organisation: &str, role: Role) -> String {
    node.store
        .add_user(User {
            name: name.into(),
            organisation: organisation.into(),
            role,
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
    node.store
        .set_default_purpose(name, Some("investigation".into()))
        .await
        .unwrap();
    token
}

fn marked(n: u32, marking: &str) -> Value {
    let mut o = indicator(n, 0);
    o["object_marking_refs"] = json!([marking]);
    o
}

async fn get(url: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn post(url: &str, token: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

struct Setup {
    node: Node,
    coll: String,
    analyst: String,
    partner: String,
    partner_analyst: String,
    outsider: String,
    admin: String,
}

/// The home organisation and agency B share channel home-b, exposed as one collection; B has
/// a service credential (its node) and an analyst; agency D is in no channel.
async fn setup() -> Setup {
    let node = Node::start().await;
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
    let now = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000) as i64;
    s.put_channel(ChannelRecord {
        id: "home-b".into(),
        title: "home and agency B".into(),
        members: vec!["home".into(), "agency-b".into()],
        legal_basis: "Memorandum of understanding".into(),
        purposes: vec!["investigation".into()],
        max_marking: "red".into(),
        require_tlp: false,
        valid_from: now - 86_400_000_000,
        valid_until: None,
    })
    .await
    .unwrap();
    let coll = node.collection("shared with B", None).await;
    s.set_collection_scope(
        &CollectionId(coll.clone()),
        CollectionScope::Channel("home-b".into()),
    )
    .await
    .unwrap();
    let analyst = node.user("analyst", Role::Analyst, None).await;
    node.grant("analyst", &coll, true, true).await;
    let partner = user(&node, "b-node", "agency-b", Role::Service).await;
    node.grant("b-node", &coll, true, true).await;
    let partner_analyst = user(&node, "b-analyst", "agency-b", Role::Analyst).await;
    node.grant("b-analyst", &coll, true, true).await;
    let outsider = user(&node, "d-analyst", "agency-d", Role::Analyst).await;
    node.grant("d-analyst", &coll, true, false).await;
    let admin = node.user("root", Role::Admin, None).await;
    Setup {
        node,
        coll,
        analyst,
        partner,
        partner_analyst,
        outsider,
        admin,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deletion_log_tells_only_what_could_have_been_read() {
    let w = setup().await;
    let objects = vec![
        marked(1, TLP_CLEAR),
        marked(2, TLP_RED),
        marked(3, TLP_AMBER),
        marked(4, TLP_CLEAR),
    ];
    let status = w
        .node
        .coll(&w.analyst, &w.coll)
        .add_objects(&node::envelope(&objects))
        .await
        .unwrap();
    assert_eq!(status.success_count, 4);
    for n in [1, 2, 3, 4] {
        w.node
            .coll(&w.analyst, &w.coll)
            .delete_object(
                &format!("indicator--{}", node::uuid_for(n)),
                &entente_taxii::ObjectQuery::new(),
            )
            .await
            .unwrap();
    }
    let url = format!(
        "{}/entente/v1/federation/api1/collections/{}/deletions/",
        w.node.url, w.coll
    );
    let ids = |log: &Value| -> Vec<String> {
        log["deletions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap()["indicator--".len()..].to_owned())
            .collect()
    };
    // The home analyst may read all four; agency B's node not the TLP:RED one (it names no
    // recipients), and nothing says it was skipped.
    let (status, all) = get(&url, &w.analyst).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(ids(&all).len(), 4, "{all}");
    let (status, log) = get(&url, &w.partner).await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(ids(&log), [1, 3, 4].map(node::uuid_for), "{log}");
    assert_eq!(log["more"], false);
    assert_eq!(log["deletions"][0]["version"], node::indicator_version(0));
    assert!(
        log["deletions"][0]["deleted"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // Paging with sealed cursors: one at a time, the same three, then nothing.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page_url = match &next {
            Some(n) => format!("{url}?limit=1&next={n}"),
            None => format!("{url}?limit=1"),
        };
        let (status, page) = get(&page_url, &w.partner).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        next = page["next"].as_str().map(str::to_owned);
        if page["more"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let (_, rest) = get(&format!("{url}?next={}", next.clone().unwrap()), &w.partner).await;
    assert!(ids(&rest).is_empty(), "{rest}");
    // A cursor is bound to its holder and cannot be forged.
    let token = next.unwrap();
    let (status, e) = get(&format!("{url}?next={token}"), &w.partner_analyst).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["http_status"], "400", "{e}");
    let mut forged = token.into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let (status, _) = get(
        &format!("{url}?next={}", String::from_utf8(forged).unwrap()),
        &w.partner,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = get(&format!("{url}?limit=x"), &w.partner).await;
    assert_eq!(status, 400);

    // An organisation outside the channel learns nothing, not even that the log exists.
    let (status, e) = get(&url, &w.outsider).await;
    assert!(status == 403 || status == 404, "{status} {e}");
    assert!(e.get("deletions").is_none(), "{e}");
    let (status, _) = get(
        &format!(
            "{}/entente/v1/federation/api1/collections/no-such/deletions/",
            w.node.url
        ),
        &w.partner,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_deletions_remove_only_what_the_partner_sent() {
    let w = setup().await;
    // Agency B's node sent one version (as agency B) into the channel's collection; the home
    // organisation wrote another.
    let status = w
        .node
        .coll(&w.partner_analyst, &w.coll)
        .add_objects(&node::envelope(&[marked(1, TLP_CLEAR)]))
        .await
        .unwrap();
    assert_eq!(status.success_count, 1);
    let status = w
        .node
        .coll(&w.analyst, &w.coll)
        .add_objects(&node::envelope(&[marked(2, TLP_CLEAR)]))
        .await
        .unwrap();
    assert_eq!(status.success_count, 1);
    let url = format!(
        "{}/entente/v1/federation/api1/collections/{}/deletions/",
        w.node.url, w.coll
    );
    let log = |ns: &[u32]| {
        json!({
            "deletions": ns.iter().map(|n| json!({
                "id": format!("indicator--{}", node::uuid_for(*n)),
                "version": node::indicator_version(0),
                "deleted": "2026-11-29T00:00:00.000000Z",
            })).collect::<Vec<_>>(),
            "more": false,
        })
    };
    // Only a partner node's service credential pushes deletions.
    let (status, _) = post(&url, &w.partner_analyst, &log(&[1])).await;
    assert_eq!(status, 403);
    let (status, _) = post(&url, &w.outsider, &log(&[1])).await;
    assert!(status == 403 || status == 404, "{status}");
    // Malformed bodies are refused; nothing changes.
    let (status, e) = post(&url, &w.partner, &json!({"deletions": "x"})).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(w.node.snapshot(&w.coll).await.len(), 2);
    // The home organisation's own version is never deleted by a partner; B's is.
    let (status, applied) = post(&url, &w.partner, &log(&[1, 2, 9])).await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["deleted"], 1, "{applied}");
    let left = w.node.snapshot(&w.coll).await;
    assert_eq!(left.len(), 1);
    assert!(left[0].0.ends_with(&node::uuid_for(2)));
    // Again: nothing more.
    let (_, applied) = post(&url, &w.partner, &log(&[1, 2])).await;
    assert_eq!(applied["deleted"], 0, "{applied}");
}

/// A peer `agency-b` pulling into `local` (never contacted by these tests).
fn agency_b(local: &str) -> entente_store::Peer {
    entente_store::Peer {
        name: "agency-b".into(),
        url: "https://b.example/api1/".into(),
        organisation: "agency-b".into(),
        channel: "home-b".into(),
        remote_collection: "c".into(),
        local_collection: local.to_owned(),
        token_file: "/nonexistent".into(),
        interval_secs: 60,
        options: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_status_is_for_administrators() {
    let w = setup().await;
    w.node.store.add_peer(agency_b(&w.coll)).await.unwrap();
    let mut state = entente_store::PeerState {
        last_error: Some("the peer failed: HTTP 500".into()),
        stored: 12,
        ..Default::default()
    };
    state.progress.failures = 3;
    state.progress.last_attempt = Some(1_800_000_000_000_000);
    state.progress.caught_up_at = Some(1_700_000_000_000_000);
    w.node
        .store
        .set_peer_state("agency-b", state)
        .await
        .unwrap();
    let url = format!("{}/entente/v1/federation/peers/", w.node.url);
    let (status, body) = get(&url, &w.admin).await;
    assert_eq!(status, 200, "{body}");
    let p = &body["peers"][0];
    assert_eq!(p["name"], "agency-b");
    assert_eq!(p["state"], "failing");
    assert_eq!(p["failures"], 3);
    assert_eq!(p["stored"], 12);
    assert_eq!(p["last_error"], "the peer failed: HTTP 500");
    assert!(p["lag_seconds"].as_u64().unwrap() > 86_400, "{p}");
    for token in [&w.analyst, &w.partner, &w.outsider] {
        let (status, body) = get(&url, token).await;
        assert_eq!(status, 403, "{body}");
        assert!(body.get("peers").is_none());
    }
}

/// A pull and a push of one peer may run at once (the serving node's scheduler beside an
/// `entente peer sync`): each stores the fields of its own side and leaves the other side's as
/// they are stored, whatever stale copy of them it loaded when it began.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_and_a_push_at_once_keep_each_others_state() {
    use entente_server::federation::{Side, save_state};
    let w = setup().await;
    let store = &w.node.store;
    store.add_peer(agency_b(&w.coll)).await.unwrap();
    // Both attempts begin from the same state.
    let (_, start) = store.peer("agency-b").await.unwrap();
    let mut pulled = start.clone();
    let mut pushed = start;
    pushed.progress.pushed = 5;
    pushed.progress.push_cursor = Some(9);
    pushed.progress.releases_pushed = vec!["release-1".into()];
    save_state(store, "agency-b", Side::Push, &pushed)
        .await
        .unwrap();
    pulled.cursor = Some("2026-01-01T00:00:00.000000Z".into());
    pulled.stored = 12;
    pulled.progress.behind = 1000;
    pulled.last_error = Some("the peer failed: HTTP 500".into());
    save_state(store, "agency-b", Side::Pull, &pulled)
        .await
        .unwrap();
    let (_, now) = store.peer("agency-b").await.unwrap();
    assert_eq!(now.progress.pushed, 5);
    assert_eq!(now.progress.push_cursor, Some(9));
    assert_eq!(now.progress.releases_pushed, ["release-1"]);
    assert_eq!(now.cursor.as_deref(), Some("2026-01-01T00:00:00.000000Z"));
    assert_eq!(now.stored, 12);
    assert_eq!(now.progress.behind, 1000);
    assert_eq!(now.last_error.as_deref(), Some("the peer failed: HTTP 500"));
    // The push, still holding its own copy, ends: the pull's fields stay.
    pushed.progress.pushed = 6;
    pushed.last_error = None;
    save_state(store, "agency-b", Side::Push, &pushed)
        .await
        .unwrap();
    let (_, now) = store.peer("agency-b").await.unwrap();
    assert_eq!(now.progress.pushed, 6);
    assert_eq!(now.stored, 12);
    assert_eq!(now.cursor.as_deref(), Some("2026-01-01T00:00:00.000000Z"));
    assert_eq!(now.last_error, None);
}

/// Two runs of one side of a peer never overlap: while another run holds the side, the
/// scheduler's run gives up without touching the state, and an immediate sync waits for the
/// side, then runs and gives it up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_run_of_a_side_at_a_time() {
    use entente_server::federation::{Hits, PullError, WhenBusy, pull};
    let w = setup().await;
    let store = w.node.store.clone();
    let peer = agency_b(&w.coll);
    store.add_peer(peer.clone()).await.unwrap();
    let now = entente_server::audit::now_micros();
    assert!(
        store
            .claim_peer("agency-b", "pull", "other", now, now + 60_000_000)
            .await
            .unwrap()
    );
    let skipped = pull(&store, &peer, WhenBusy::Skip, Hits::Later).await;
    assert!(matches!(skipped, Err(PullError::Busy(_))), "{skipped:?}");
    let (_, state) = store.peer("agency-b").await.unwrap();
    assert_eq!(state, entente_store::PeerState::default());
    // The push side is another side: free.
    assert!(
        store
            .claim_peer("agency-b", "push", "third", now, now + 60_000_000)
            .await
            .unwrap()
    );
    let waiting = tokio::spawn({
        let (store, peer) = (store.clone(), peer.clone());
        async move { pull(&store, &peer, WhenBusy::Wait, Hits::Recorded).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert!(!waiting.is_finished());
    let (_, state) = store.peer("agency-b").await.unwrap();
    assert_eq!(state.progress.last_attempt, None);
    store
        .release_peer("agency-b", "pull", "other")
        .await
        .unwrap();
    // Now it runs (and fails: the token file does not exist), recorded as an attempt.
    let ran = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(ran, Err(PullError::Token { .. })), "{ran:?}");
    let (_, state) = store.peer("agency-b").await.unwrap();
    assert!(state.progress.last_attempt.is_some());
    assert_eq!(state.progress.failures, 1);
    // It gave the side up.
    let later = entente_server::audit::now_micros();
    assert!(
        store
            .claim_peer("agency-b", "pull", "next", later, later + 1)
            .await
            .unwrap()
    );
}
