//! Federation between two real nodes on loopback (issue 6, first part): a partner registered
//! as a peer, pulled under a channel's agreement with a service credential, resumable from a
//! stored cursor, scheduled while the node serves, and failures reported without storing
//! anything wrongly.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

struct Node {
    dir: tempfile::TempDir,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Node {
    fn new(organisation: &str) -> Node {
        let n = Node {
            dir: tempfile::Builder::new()
                .prefix("entente-federation-")
                .tempdir()
                .unwrap(),
        };
        n.ok(&["init", "--organisation", organisation]);
        n
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_entente"));
        c.arg("--data")
            .arg(self.dir.path().join("data"))
            .args(args)
            .env_remove("ENTENTE_DATA")
            .env_remove("ENTENTE_STORE_URL")
            .env("ENTENTE_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn file(&self, name: &str, body: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// The node's public identity key, as `entente identity` prints it.
    fn identity(&self) -> String {
        self.ok(&["identity"])
            .lines()
            .find_map(|l| l.strip_prefix("public key:"))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn ids(&self, collection: &str) -> Vec<String> {
        let out = self.ok(&["export", "-c", collection, "--purpose", "investigation"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let mut ids: Vec<String> = v["objects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    }

    /// Versions stored in a collection, as `collection list` counts them (an export would be
    /// decided by the sharing rules: a partner's objects do not leave in one).
    fn versions(&self, alias: &str) -> u64 {
        let list = self.ok(&["collection", "list"]);
        let line = list
            .lines()
            .find(|l| l.split('\t').nth(2) == Some(alias))
            .unwrap_or_else(|| panic!("no collection {alias}: {list}"));
        line.rsplit('\t')
            .next()
            .unwrap()
            .trim_end_matches(" versions")
            .parse()
            .unwrap()
    }

    fn serve(&self) -> Served {
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let addr = format!("127.0.0.1:{port}");
            let child = self
                .cmd(&["serve", "--listen", &addr])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut served = Served { child, addr };
            for _ in 0..200 {
                if std::net::TcpStream::connect(&served.addr).is_ok() {
                    return served;
                }
                if let Ok(Some(_)) = served.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("entente serve did not start");
    }
}

struct Served {
    child: Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn indicator(i: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"shared {i}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
        i % 250
    )
}

fn lines(range: std::ops::Range<usize>) -> String {
    range.map(|i| indicator(i) + "\n").collect()
}

/// A (fr-dgsi) and B (be-vsse) share channel fr-be; A exposes it in collection `shared` and
/// gives B a service credential; B exposes it in `from-fr` and registers A as a peer.
fn two_nodes() -> (Node, Node, String, String) {
    let a = Node::new("fr-dgsi");
    let b = Node::new("be-vsse");
    for (n, other) in [(&a, "be-vsse"), (&b, "fr-dgsi")] {
        n.ok(&["org", "add", other]);
        n.ok(&[
            "channel",
            "add",
            "fr-be",
            "--member",
            "fr-dgsi",
            "--member",
            "be-vsse",
            "--legal-basis",
            "Bilateral MoU",
            "--purpose",
            "investigation",
        ]);
    }
    let shared = a
        .ok(&["collection", "add", "--title", "FR-BE", "--alias", "shared"])
        .trim()
        .to_owned();
    a.ok(&["collection", "bind", "shared", "--channel", "fr-be"]);
    let token = a
        .ok(&[
            "user",
            "add",
            "be-node",
            "--organisation",
            "be-vsse",
            "--role",
            "service",
            "--token-only",
            "--purpose",
            "investigation",
        ])
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .unwrap()
        .trim()
        .to_owned();
    a.ok(&["user", "grant", "be-node", "-c", "shared", "--read"]);
    b.ok(&[
        "collection",
        "add",
        "--title",
        "From FR",
        "--alias",
        "from-fr",
    ]);
    b.ok(&["collection", "bind", "from-fr", "--channel", "fr-be"]);
    // B accepts what A's node signs.
    b.ok(&["org", "key", "add", "fr-dgsi", &a.identity()]);
    let token_file = b.file("fr.token", &token);
    (a, b, shared, token_file)
}

#[test]
fn a_peer_is_pulled_resumably_and_on_schedule() {
    let (a, b, shared, token_file) = two_nodes();
    let first = a.file("first.jsonl", &lines(0..2500));
    a.ok(&["import", &first, "-c", "shared", "--originator", "fr-dgsi"]);
    let served = a.serve();
    let url = format!("http://{}/api1/", served.addr);

    // A peer that does not fit the sharing configuration is refused.
    let out = b.run(&[
        "peer",
        "add",
        "fr",
        "--url",
        &url,
        "--organisation",
        "nobody",
        "--channel",
        "fr-be",
        "--pull",
        &shared,
        "--into",
        "from-fr",
        "--token-file",
        &token_file,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a member"),
        "{}",
        text(&out.stderr)
    );
    let out = b.run(&[
        "peer",
        "add",
        "fr",
        "--url",
        &url,
        "--organisation",
        "fr-dgsi",
        "--channel",
        "fr-be",
        "--pull",
        &shared,
        "--into",
        "home",
        "--token-file",
        &token_file,
    ]);
    assert!(
        text(&out.stderr).contains("does not expose channel"),
        "{}",
        text(&out.stderr)
    );

    b.ok(&[
        "peer",
        "add",
        "fr",
        "--url",
        &url,
        "--organisation",
        "fr-dgsi",
        "--channel",
        "fr-be",
        "--pull",
        &shared,
        "--into",
        "from-fr",
        "--token-file",
        &token_file,
        "--interval",
        "1",
    ]);
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
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0"), "{out}");

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
    b.ok(&[
        "peer",
        "add",
        "fr",
        "--url",
        &url,
        "--organisation",
        "fr-dgsi",
        "--channel",
        "fr-be",
        "--pull",
        &shared,
        "--into",
        "from-fr",
        "--token-file",
        &wrong,
    ]);
    let out = b.run(&["peer", "sync", "fr"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("401"), "{}", text(&out.stderr));
    assert_eq!(b.versions("from-fr"), 0);
    let missing = b.run(&[
        "peer",
        "add",
        "gone",
        "--url",
        &url,
        "--organisation",
        "fr-dgsi",
        "--channel",
        "fr-be",
        "--pull",
        &shared,
        "--into",
        "from-fr",
        "--token-file",
        "/nonexistent/token",
    ]);
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
    b.ok(&[
        "peer",
        "add",
        "fr",
        "--url",
        &url,
        "--organisation",
        "fr-dgsi",
        "--channel",
        "fr-be",
        "--pull",
        &shared,
        "--into",
        "from-fr",
        "--token-file",
        &token_file,
    ]);
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
