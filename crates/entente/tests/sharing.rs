//! The sharing configuration and the sharing rules from the command line: organisations,
//! channels, collection bindings, imports with provenance, exports through the gate, and the
//! audit export for an oversight reviewer.

use std::process::{Command, Output};

struct Node {
    dir: tempfile::TempDir,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Node {
    fn new() -> Node {
        let n = Node {
            dir: tempfile::Builder::new()
                .prefix("entente-sharing-")
                .tempdir()
                .unwrap(),
        };
        n.ok(&["init"]);
        n
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_entente"))
            .arg("--data")
            .arg(self.dir.path().join("data"))
            .args(args)
            .env_remove("ENTENTE_DATA")
            .env_remove("ENTENTE_STORE_URL")
            .env("ENTENTE_LOG", "warn")
            .output()
            .unwrap()
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

    /// Runs a command that must fail; returns its standard error.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "{args:?} should fail: {}",
            text(&out.stdout)
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        text(&out.stderr)
    }

    fn file(&self, name: &str, body: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_owned()
    }
}

fn indicator(n: u32, tlp: Option<&str>) -> String {
    let marking = match tlp {
        Some(id) => format!(r#","object_marking_refs":["{id}"]"#),
        None => String::new(),
    };
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{n:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"partner indicator {n}","pattern":"[ipv4-addr:value = '198.51.100.{n}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"{marking}}}"#
    )
}

const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const RED: &str = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1";

fn exported_ids(bundle: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(bundle).unwrap();
    v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn channels_bindings_provenance_and_gated_exports() {
    let node = Node::new();
    node.ok(&["org", "add", "partner-a", "--name", "Partner A"]);
    assert!(node.fails(&["org", "add", "partner-a"]).contains("exists"));
    assert!(node.fails(&["org", "add", "bad id!"]).contains("must be"));
    assert!(
        node.fails(&["org", "add", "second-home", "--home"])
            .contains("home")
    );
    let orgs = node.ok(&["org", "list"]);
    assert!(
        orgs.contains("home\thome\t(home)") && orgs.contains("partner-a\tPartner A"),
        "{orgs}"
    );

    // Channels: at least two registered members, a legal basis, a purpose, a valid TLP.
    let add = |extra: &[&str]| {
        let mut a = vec![
            "channel",
            "add",
            "ab",
            "--member",
            "home",
            "--member",
            "partner-a",
            "--legal-basis",
            "MoU 2026",
            "--purpose",
            "investigation",
        ];
        a.extend_from_slice(extra);
        node.run(&a)
    };
    for (extra, why) in [
        (vec!["--max-marking", "purple"], "--max-marking"),
        (vec!["--valid-until", "yesterday"], "RFC 3339"),
        (
            vec![
                "--valid-from",
                "2026-02-01T00:00:00Z",
                "--valid-until",
                "2026-01-01T00:00:00Z",
            ],
            "after",
        ),
    ] {
        let out = add(&extra);
        assert_eq!(out.status.code(), Some(1));
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
    }
    assert!(
        node.fails(&[
            "channel",
            "add",
            "solo",
            "--member",
            "home",
            "--legal-basis",
            "x",
            "--purpose",
            "p"
        ])
        .contains("at least two")
    );
    assert!(
        node.fails(&[
            "channel",
            "add",
            "ghost",
            "--member",
            "home",
            "--member",
            "nobody",
            "--legal-basis",
            "x",
            "--purpose",
            "p"
        ])
        .contains("organisation nobody")
    );
    assert!(add(&[]).status.success());
    assert!(
        node.fails(&[
            "channel",
            "add",
            "ab",
            "--member",
            "home",
            "--member",
            "partner-a",
            "--legal-basis",
            "x",
            "--purpose",
            "p"
        ])
        .contains("--replace")
    );
    let list = node.ok(&["channel", "list"]);
    assert!(
        list.contains(
            "ab\tab\tmembers=home,partner-a\tpurposes=investigation\tmax=amber\tin force"
        ),
        "{list}"
    );

    // A collection exposing the channel; objects entering it must say whose they are.
    node.ok(&[
        "collection",
        "add",
        "--title",
        "Shared",
        "--alias",
        "shared",
    ]);
    assert!(
        node.fails(&["collection", "bind", "shared", "--channel", "nope"])
            .contains("channel nope")
    );
    node.ok(&["collection", "bind", "shared", "--channel", "ab"]);
    let file = node.file(
        "partner.jsonl",
        &format!(
            "{}\n{}\n",
            indicator(1, Some(CLEAR)),
            indicator(2, Some(GREEN))
        ),
    );
    assert!(
        node.fails(&["import", &file, "-c", "shared"])
            .contains("--originator")
    );
    assert!(
        node.fails(&["import", &file, "-c", "shared", "--originator", "nobody"])
            .contains("not a registered organisation")
    );
    let nothing = node.ok(&["export", "-c", "shared", "--purpose", "investigation"]);
    assert!(
        exported_ids(&nothing).is_empty(),
        "refused imports stored nothing"
    );
    node.ok(&["import", &file, "-c", "shared", "--originator", "partner-a"]);
    // The channel carries at most AMBER: an import decides each object like any write, and a
    // TLP:RED one is refused with the rule that decided (exit 2), the rest taken as usual.
    let red = node.file(
        "red.jsonl",
        &format!(
            "{}\n{}\n",
            indicator(3, Some(RED)),
            indicator(2, Some(GREEN))
        ),
    );
    let out = node.run(&["import", &red, "-c", "shared", "--originator", "partner-a"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("indicator--00000003")
            && text(&out.stderr).contains("channel-max-marking"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("stored 0, duplicates 1, rejected 1"),
        "{}",
        text(&out.stdout)
    );

    // The export goes through the gate: the partner's GREEN object stays (third-party rule),
    // its CLEAR one leaves; no purpose, or one the agreement does not allow, exports nothing.
    let out = node.run(&["export", "-c", "shared", "--purpose", "investigation"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        exported_ids(&text(&out.stdout)),
        ["indicator--00000001-0000-4000-8000-000000000000"]
    );
    assert!(
        text(&out.stderr).contains("withheld 1 object versions"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("export-third-party: 1"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        node.fails(&["export", "-c", "shared"])
            .contains("--purpose")
    );
    assert!(
        node.fails(&["export", "-c", "shared", "--purpose", "tf-screening"])
            .contains("does not allow this purpose")
    );

    // An expired agreement stops the channel: nothing is exported at all.
    node.ok(&[
        "channel",
        "add",
        "ab",
        "--replace",
        "--member",
        "home",
        "--member",
        "partner-a",
        "--legal-basis",
        "MoU 2020",
        "--purpose",
        "investigation",
        "--valid-from",
        "2020-01-01T00:00:00Z",
        "--valid-until",
        "2021-01-01T00:00:00Z",
    ]);
    assert!(node.ok(&["channel", "list"]).contains("expired"));
    assert!(
        node.fails(&["export", "-c", "shared", "--purpose", "investigation"])
            .contains("expired")
    );

    // The home organisation's own objects in an unbound collection export freely.
    let own = node.file("own.jsonl", &format!("{}\n", indicator(3, Some(GREEN))));
    node.ok(&["import", &own, "-c", "home"]);
    let out = node.ok(&["export", "-c", "home", "--purpose", "investigation"]);
    assert_eq!(
        exported_ids(&out),
        ["indicator--00000003-0000-4000-8000-000000000000"]
    );

    // Default purposes: set, shown in effect, refused when malformed.
    node.ok(&[
        "user",
        "add",
        "svc",
        "--role",
        "service",
        "--token-only",
        "--purpose",
        "investigation",
    ]);
    assert!(
        node.fails(&["user", "purpose", "svc", "Not A Purpose"])
            .contains("--purpose")
    );
    assert!(
        node.fails(&["user", "purpose", "ghost", "investigation"])
            .contains("no user")
    );
    node.ok(&["user", "purpose", "svc"]);
}

#[test]
fn the_audit_export_is_complete_and_verified() {
    let node = Node::new();
    node.ok(&["org", "add", "partner-a"]);
    node.ok(&["user", "add", "alice", "--purpose", "investigation"]);
    let shown = node.ok(&["audit", "show", "--limit", "1000"]);
    let entries = shown.lines().count() - 1;
    let out = node.run(&["audit", "export"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), entries);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["seq"], i as u64 + 1);
        assert_eq!(l["hash"].as_str().unwrap().len(), 64);
        for k in [
            "time",
            "actor",
            "organisation",
            "action",
            "target",
            "decision",
            "rule",
            "detail",
            "prev_hash",
        ] {
            assert!(l.get(k).is_some(), "{k} in {l}");
        }
    }
    assert_eq!(lines[0]["action"], "org.add");
    assert!(text(&out.stderr).contains("chain verified"));
    // The export itself is recorded; --after exports the tail only.
    let out = node.ok(&["audit", "export", "--after", &entries.to_string()]);
    let tail: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0]["action"], "audit.export");

    // A tampered log is not exported as if it were sound.
    let db = node.dir.path().join("data").join("entente.audit.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS audit_log_no_update")
        .unwrap();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    conn.execute("UPDATE audit_log SET detail = 'forged' WHERE seq = 2", [])
        .unwrap();
    drop(conn);
    let err = node.fails(&["audit", "export"]);
    assert!(
        err.contains("does not verify") && err.contains("2"),
        "{err}"
    );
}
