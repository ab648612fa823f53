//! Federation between two real nodes on loopback (issue 6, first part): a partner registered
//! as a peer, pulled under a channel's agreement with a service credential, resumable from a
//! stored cursor, scheduled while the node serves, and failures reported without storing
//! anything wrongly.

use std::time::{Duration, Instant};

mod common;

use common::{Node, peer_add, text, two_nodes};

fn indicator(i: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"shared {i}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
        i % 250
    )
}

fn lines(range: std::ops::Range<usize>) -> String {
    range.map(|i| indicator(i) + "\n").collect()
}

#[test]
fn a_peer_is_pulled_resumably_and_on_schedule() {
    let (a, b, shared, token_file) = two_nodes();
    let first = a.file("first.jsonl", &lines(0..2500));
    a.ok(&["import", &first, "-c", "shared", "--originator", "fr-dgsi"]);
    let served = a.serve();
    let url = format!("http://{}/api1/", served.addr);

    // A peer that does not fit the sharing configuration is refused.
    let out = b.run(&peer_add(
        [
            "fr",
            &url,
            "nobody",
            "fr-be",
            &shared,
            "from-fr",
            &token_file,
        ],
        &[],
    ));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a member"),
        "{}",
        text(&out.stderr)
    );
    let out = b.run(&peer_add(
        ["fr", &url, "fr-dgsi", "fr-be", &shared, "home", &token_file],
        &[],
    ));
    assert!(
        text(&out.stderr).contains("does not expose channel"),
        "{}",
        text(&out.stderr)
    );

    b.ok(&peer_add(
        [
            "fr",
            &url,
            "fr-dgsi",
            "fr-be",
            &shared,
            "from-fr",
            &token_file,
        ],
        &["--interval", "1"],
    ));
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(
        out.contains("stored 2500, duplicates 0, rejected 0 (3 pages)"),
        "{out}"
    );
    assert_eq!(b.versions("from-fr"), 2500);
    assert_eq!(a.ids("shared").len(), 2500);
    let shown = b.ok(&["peer", "show", "fr"]);
    assert!(shown.contains("stored:        2500"), "{shown}");
    assert!(
        !shown.contains("(from the start)"),
        "the cursor is stored: {shown}"
    );

    // Resuming: only what was added since is fetched.
    let more = a.file("more.jsonl", &lines(2500..2510));
    a.ok(&["import", &more, "-c", "shared", "--originator", "fr-dgsi"]);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 10, duplicates 0"), "{out}");
    let pulls = || {
        b.ok(&["audit", "show", "--limit", "1000"])
            .matches("federation.pull")
            .count()
    };
    let before = pulls();
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0"), "{out}");
    // A pull that moved nothing decided nothing: it leaves no audit record.
    assert_eq!(pulls(), before);

    // B keeps the provenance: its export (a release would be needed) withholds A's objects.
    let out = b.run(&["export", "-c", "from-fr", "--purpose", "investigation"]);
    assert!(
        text(&out.stderr).contains("withheld 2510"),
        "{}",
        text(&out.stderr)
    );

    // While B serves, its scheduler pulls what A adds.
    let later = a.file("later.jsonl", &lines(2510..2515));
    let b_served = b.serve();
    a.ok(&["import", &later, "-c", "shared", "--originator", "fr-dgsi"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let shown = b.ok(&["peer", "show", "fr"]);
        if shown.contains("stored:        2515") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the scheduler did not pull: {shown}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(b_served);
    assert_eq!(b.versions("from-fr"), 2515);
    drop(served);

    // A peer that is down: a clear error, the state says so, nothing changes.
    let out = b.run(&["peer", "sync", "fr"]);
    assert_eq!(out.status.code(), Some(1));
    let shown = b.ok(&["peer", "show", "fr"]);
    assert!(!shown.contains("last error:    -"), "{shown}");
    assert_eq!(b.versions("from-fr"), 2515);
    let audit = b.ok(&["audit", "show", "--limit", "1000"]);
    assert!(audit.contains("federation.pull"), "{audit}");
    b.ok(&["peer", "remove", "fr"]);
    assert!(b.ok(&["peer", "list"]).trim().is_empty());
}

#[test]
fn a_wrong_credential_stores_nothing() {
    let (a, b, shared, _) = two_nodes();
    let first = a.file("first.jsonl", &lines(0..20));
    a.ok(&["import", &first, "-c", "shared", "--originator", "fr-dgsi"]);
    let served = a.serve();
    let url = format!("http://{}/api1/", served.addr);
    let wrong = b.file("wrong.token", "not-a-token");
    b.ok(&peer_add(
        ["fr", &url, "fr-dgsi", "fr-be", &shared, "from-fr", &wrong],
        &[],
    ));
    let out = b.run(&["peer", "sync", "fr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
    assert_eq!(b.versions("from-fr"), 0);
    let missing = b.run(&peer_add(
        [
            "gone",
            &url,
            "fr-dgsi",
            "fr-be",
            &shared,
            "from-fr",
            "/nonexistent/token",
        ],
        &[],
    ));
    assert!(missing.status.success());
    let out = b.run(&["peer", "sync", "gone"]);
    assert!(
        text(&out.stderr).contains("cannot read the token file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn pulled_objects_go_through_the_gate() {
    let (a, b, shared, token_file) = two_nodes();
    let first = a.file("first.jsonl", &lines(0..30));
    a.ok(&["import", &first, "-c", "shared", "--originator", "fr-dgsi"]);
    let served = a.serve();
    let url = format!("http://{}/api1/", served.addr);
    b.ok(&peer_add(
        [
            "fr",
            &url,
            "fr-dgsi",
            "fr-be",
            &shared,
            "from-fr",
            &token_file,
        ],
        &[],
    ));
    let channel = |extra: &[&str]| {
        let mut args = vec![
            "channel",
            "add",
            "fr-be",
            "--replace",
            "--member",
            "fr-dgsi",
            "--member",
            "be-vsse",
            "--legal-basis",
            "Bilateral MoU",
            "--purpose",
            "investigation",
        ];
        args.extend_from_slice(extra);
        b.ok(&args);
    };
    // On B the channel requires a TLP marking: A's unmarked objects are refused, none stored.
    channel(&["--require-tlp"]);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0, rejected 30"), "{out}");
    assert_eq!(b.versions("from-fr"), 0);
    // An expired agreement stops the pull altogether.
    channel(&[
        "--valid-from",
        "2020-01-01T00:00:00Z",
        "--valid-until",
        "2021-01-01T00:00:00Z",
    ]);
    let out = b.run(&["peer", "sync", "fr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("expired"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(b.versions("from-fr"), 0);
}

const TLP_CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const TLP_AMBER: &str = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421";

fn marked(i: usize, marking: &str) -> String {
    indicator(i).replacen(
        "\"name\"",
        &format!("\"object_marking_refs\":[\"{marking}\"],\"name\""),
        1,
    )
}

fn marked_id(i: usize) -> String {
    format!("indicator--{i:08x}-0000-4000-8000-000000000000")
}

async fn http(
    method: reqwest::Method,
    url: &str,
    token: &str,
    body: Option<String>,
) -> (u16, serde_json::Value) {
    let taxii = "application/taxii+json;version=2.1";
    let mut req = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token)
        .header("accept", taxii)
        .header("entente-purpose", "investigation");
    if let Some(b) = body {
        req = req.header("content-type", taxii).body(b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_default())
}

/// Three nodes: A (fr-dgsi) shares with B (be-vsse) in channel fr-be; B shares with C
/// (nl-aivd) in channel be-nl and pushes what it received from A towards C. A's signature
/// travels with its versions through B and is verified on C; the third-party rule keeps A's
/// TLP:AMBER version from C until A's organisation releases it; A's deletion reaches B on its
/// pull and C on B's push.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_third_party_rule_signatures_and_deletions() {
    let a = Node::new("fr-dgsi");
    let b = Node::new("be-vsse");
    let c = Node::new("nl-aivd");
    // A: channel fr-be with B.
    a.ok(&["org", "add", "be-vsse"]);
    a.channel("fr-be", ["fr-dgsi", "be-vsse"]);
    let shared = a.collection("shared", "fr-be");
    let b_on_a = a.token_user("be-node", "be-vsse", "service", "shared", &["--read"]);
    let a_writer = a.token_user(
        "fr-analyst",
        "fr-dgsi",
        "analyst",
        "shared",
        &["--read", "--write"],
    );
    // C: channel be-nl with B; knows A's organisation but not yet its key.
    c.ok(&["org", "add", "be-vsse"]);
    c.ok(&["org", "add", "fr-dgsi"]);
    c.channel("be-nl", ["be-vsse", "nl-aivd"]);
    let from_be = c.collection("from-be", "be-nl");
    let outbox = c.collection("outbox", "be-nl");
    let b_on_c = c.token_user(
        "be-node",
        "be-vsse",
        "service",
        "from-be",
        &["--read", "--write"],
    );
    c.ok(&["user", "grant", "be-node", "-c", "outbox", "--read"]);
    // B: both channels; A's key; a liaison officer of A's organisation who answers release
    // requests on B's node, and one of B's analysts.
    b.ok(&["org", "add", "fr-dgsi"]);
    b.ok(&["org", "add", "nl-aivd"]);
    b.channel("fr-be", ["fr-dgsi", "be-vsse"]);
    b.channel("be-nl", ["be-vsse", "nl-aivd"]);
    b.collection("from-fr", "fr-be");
    b.collection("from-nl", "be-nl");
    b.ok(&["org", "key", "add", "fr-dgsi", &a.identity()]);
    let fr_liaison = b.token_user(
        "fr-liaison",
        "fr-dgsi",
        "liaison-officer",
        "from-fr",
        &["--read"],
    );
    let be_analyst = b.token_user("be-analyst", "be-vsse", "analyst", "from-fr", &["--read"]);
    let a_token = b.file("a.token", &b_on_a);
    let c_token = b.file("c.token", &b_on_c);

    let a_served = a.serve();
    let c_served = c.serve();
    let a_url = format!("http://{}/api1/", a_served.addr);
    let c_url = format!("http://{}/api1/", c_served.addr);
    b.ok(&peer_add(
        [
            "fr", &a_url, "fr-dgsi", "fr-be", &shared, "from-fr", &a_token,
        ],
        &[],
    ));
    b.ok(&peer_add(
        [
            "nl", &c_url, "nl-aivd", "be-nl", &outbox, "from-nl", &c_token,
        ],
        &["--push-from", "from-fr", "--push-to", &from_be],
    ));

    // 1. A's first CLEAR version goes A -> B -> C, but C does not know A's key: refused there.
    let batch = a.file("1.jsonl", &(marked(1, TLP_CLEAR) + "\n"));
    a.ok(&["import", &batch, "-c", "shared", "--originator", "fr-dgsi"]);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 1, duplicates 0, rejected 0"), "{out}");
    let out = b.ok(&["peer", "sync", "nl"]);
    assert!(
        out.contains(
            "pushed to nl: sent 0, refused by the peer 1, withheld by the sharing rules 0"
        ),
        "{out}"
    );
    assert_eq!(c.versions("from-be"), 0);

    // 2. Once C registers A's key, A's versions relayed by B are accepted on C, attributed to
    // A (C's export withholds them: they are a partner's). The AMBER one stays on B.
    c.ok(&["org", "key", "add", "fr-dgsi", &a.identity()]);
    let batch = a.file(
        "2.jsonl",
        &format!("{}\n{}\n", marked(2, TLP_CLEAR), marked(3, TLP_AMBER)),
    );
    a.ok(&["import", &batch, "-c", "shared", "--originator", "fr-dgsi"]);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 2, duplicates 0, rejected 0"), "{out}");
    let out = b.ok(&["peer", "sync", "nl"]);
    assert!(
        out.contains(
            "pushed to nl: sent 1, refused by the peer 0, withheld by the sharing rules 1"
        ),
        "{out}"
    );
    assert_eq!(c.versions("from-be"), 1);
    let shown = b.ok(&["peer", "show", "nl"]);
    assert!(shown.contains("pushes:        "), "{shown}");

    // 3. B asks A's organisation to release the AMBER version to channel be-nl; A's liaison
    // officer grants it; the next push sends it.
    {
        let b_served = b.serve();
        let base = format!("http://{}/entente/v1/releases/", b_served.addr);
        let filing = serde_json::json!({
            "api_root": "api1",
            "collection": "from-fr",
            "object_id": marked_id(3),
            "destination": "channel:be-nl",
            "reason": "the Dutch service investigates the same network",
        });
        let (status, filed) = http(
            reqwest::Method::POST,
            &base,
            &be_analyst,
            Some(filing.to_string()),
        )
        .await;
        assert_eq!(status, 201, "{filed}");
        let id = filed["id"].as_str().unwrap().to_owned();
        let (status, granted) = http(
            reqwest::Method::POST,
            &format!("{base}{id}/grant/"),
            &fr_liaison,
            Some("{}".into()),
        )
        .await;
        assert_eq!(status, 200, "{granted}");
        assert_eq!(granted["state"], "granted", "{granted}");
    }
    // B's node syncs its peers while it serves: its scheduler may have pushed the released
    // version already, or else this sync does. Either way it goes exactly once.
    let out = b.ok(&["peer", "sync", "nl"]);
    assert!(
        out.contains(
            "pushed to nl: sent 1, refused by the peer 0, withheld by the sharing rules 0"
        ) || out.contains(
            "pushed to nl: sent 0, refused by the peer 0, withheld by the sharing rules 0"
        ),
        "{out}"
    );
    let shown = b.ok(&["peer", "show", "nl"]);
    assert!(shown.contains("pushed:        2\n"), "{shown}");
    assert_eq!(c.versions("from-be"), 2);
    // On C the AMBER version is A's (its signature says so): C's export withholds it, while
    // the CLEAR one may go.
    let out = c.run(&["export", "-c", "from-be", "--purpose", "investigation"]);
    assert!(
        text(&out.stderr).contains("exported 1") && text(&out.stderr).contains("withheld 1"),
        "{}",
        text(&out.stderr)
    );
    // Nothing more goes on the next push.
    let out = b.ok(&["peer", "sync", "nl"]);
    assert!(out.contains("pushed to nl: sent 0,"), "{out}");

    // A partner node reading from C gets A's signature with A's versions (a relay keeps the
    // originator's); a local user gets the object exactly as A wrote it.
    let ext = "extension-definition--0b6c1a8e-2f0d-5a57-9d3e-6b7f4c1e8a21";
    let objects_url = format!("{c_url}collections/{from_be}/objects/");
    let (status, page) = http(reqwest::Method::GET, &objects_url, &b_on_c, None).await;
    assert_eq!(status, 200, "{page}");
    let objects = page["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 2, "{page}");
    for o in objects {
        assert_eq!(
            o["extensions"][ext]["public_key"],
            a.identity().as_str(),
            "{o}"
        );
    }
    // Forged, altered and unsigned versions from a partner node are refused on the TAXII
    // write path too.
    let signed = objects[0].clone();
    let mut altered = signed.clone();
    altered["name"] = "altered in transit".into();
    let mut forged = signed.clone();
    forged["extensions"][ext]["signature"] = "A".repeat(86).into();
    forged["id"] = marked_id(9).into();
    let unsigned = serde_json::from_str::<serde_json::Value>(&marked(8, TLP_CLEAR)).unwrap();
    let envelope = serde_json::json!({ "objects": [altered, forged, unsigned] });
    let (status, st) = http(
        reqwest::Method::POST,
        &objects_url,
        &b_on_c,
        Some(envelope.to_string()),
    )
    .await;
    assert_eq!(status, 202, "{st}");
    assert_eq!(st["failure_count"], 3, "{st}");
    let messages = st["failures"].to_string();
    assert!(messages.contains("does not verify"), "{messages}");
    assert!(messages.contains("must carry its signature"), "{messages}");
    assert_eq!(c.versions("from-be"), 2);

    // 4. A deletes its second version: B learns it on its pull, C on B's push.
    let (status, body) = http(
        reqwest::Method::DELETE,
        &format!("{a_url}collections/{shared}/objects/{}/", marked_id(2)),
        &a_writer,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("deleted 1 versions the peer deleted"), "{out}");
    assert_eq!(b.versions("from-fr"), 2);
    let out = b.ok(&["peer", "sync", "nl"]);
    assert!(out.contains("the peer deleted 1 versions"), "{out}");
    assert_eq!(c.versions("from-be"), 1);
    // Recorded on both.
    assert!(
        b.ok(&["audit", "show", "--limit", "1000"])
            .contains("federation.delete")
    );
    assert!(
        c.ok(&["audit", "show", "--limit", "1000"])
            .contains("federation.delete")
    );

    // 5. A revokes its first version (a new version, `revoked: true`): it reaches B on the
    // next pull, and C on B's next push, like any version.
    let revoked = marked(1, TLP_CLEAR).replace(
        "\"modified\":\"2026-01-01T00:00:00.000Z\"",
        "\"modified\":\"2026-03-01T00:00:00.000Z\",\"revoked\":true",
    );
    assert!(revoked.contains("\"revoked\":true"));
    let batch = a.file("revoked.jsonl", &(revoked + "\n"));
    a.ok(&["import", &batch, "-c", "shared", "--originator", "fr-dgsi"]);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 1, duplicates 0, rejected 0"), "{out}");
    let out = b.ok(&["peer", "sync", "nl"]);
    assert!(out.contains("pushed to nl: sent 1,"), "{out}");
    let (status, versions) = http(
        reqwest::Method::GET,
        &format!("{c_url}collections/{from_be}/objects/{}/", marked_id(1)),
        &b_on_c,
        None,
    )
    .await;
    assert_eq!(status, 200, "{versions}");
    assert_eq!(versions["objects"][0]["revoked"], true, "{versions}");

    // What a peer learns: only the collections of its own channel (A's home collection and
    // anything else stay unlisted), nothing of other channels.
    let (status, listed) = http(
        reqwest::Method::GET,
        &format!("{a_url}collections/"),
        &b_on_a,
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let titles: Vec<&str> = listed["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(titles, [shared.as_str()], "{listed}");
    assert!(!listed.to_string().contains("be-nl"), "{listed}");

    // 6. Status: B's peers are fine and caught up.
    let shown = b.ok(&["peer", "show", "fr"]);
    assert!(shown.contains("failures:      0 in a row"), "{shown}");
    assert!(shown.contains("deleted:       1"), "{shown}");
    assert!(!shown.contains("never caught up"), "{shown}");
}
