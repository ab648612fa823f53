//! `entente hits`: the real binary on a temporary data folder. Two files that correlate are
//! imported into two collections; the hits are listed by object, by collection and since a
//! time; the settings, the rebuild and the cap work; bad input is refused without change.

use std::path::PathBuf;
use std::process::{Command, Output};

struct Node {
    dir: tempfile::TempDir,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Node {
    fn new() -> Node {
        let node = Node {
            dir: tempfile::Builder::new()
                .prefix("entente-hits-")
                .tempdir()
                .unwrap(),
        };
        node.ok(&["init"]);
        node.ok(&[
            "collection",
            "add",
            "--title",
            "Partner feed",
            "--alias",
            "partner",
        ]);
        node
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
            "entente {args:?} failed:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn write(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    fn import(&self, file: &str, body: &str, collection: &str) {
        let p = self.write(file, body);
        self.ok(&["import", p.to_str().unwrap(), "--collection", collection]);
    }

    fn hits_json(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut a = vec!["hits"];
        a.extend_from_slice(args);
        a.push("--json");
        self.ok(&a)
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON hit per line"))
            .collect()
    }
}

const IND: &str = "indicator--0b9e1f64-2b1f-4d3c-9e0a-6d8f1c2b3a41";
const OD: &str = "observed-data--7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const WALLET_IND: &str = "indicator--1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

/// Our case file: an indicator on a C2 domain and one on a wallet.
fn ours() -> String {
    serde_json::json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": IND,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
         "pattern": "[domain-name:value = 'pay.ransom-c2.net'] OR [url:value = 'http://pay.ransom-c2.net/gate']"},
        {"type": "indicator", "spec_version": "2.1", "id": WALLET_IND,
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
         "pattern": "[x-cryptocurrency-wallet:value = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']"}
    ]})
    .to_string()
}

/// A partner's observation of the same domain (written differently) and of the wallet.
fn theirs() -> String {
    serde_json::json!({"type": "bundle", "id": "bundle--6e1a03d6-6a85-4398-a753-44a5d465f67e", "objects": [
        {"type": "observed-data", "spec_version": "2.1", "id": OD,
         "created": "2026-02-01T00:00:00.000Z", "modified": "2026-02-01T00:00:00.000Z",
         "first_observed": "2026-02-01T00:00:00Z", "last_observed": "2026-02-01T00:00:00Z",
         "number_observed": 1,
         "object_refs": ["domain-name--8f0e7c2a-3b4d-5e6f-8a9b-0c1d2e3f4a5b"]},
        {"type": "domain-name", "spec_version": "2.1",
         "id": "domain-name--8f0e7c2a-3b4d-5e6f-8a9b-0c1d2e3f4a5b", "value": "Pay.Ransom-C2.NET."},
        {"type": "x-cryptocurrency-wallet", "spec_version": "2.1",
         "id": "x-cryptocurrency-wallet--9a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d",
         "value": "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"},
        {"type": "ipv4-addr", "spec_version": "2.1",
         "id": "ipv4-addr--1b2c3d4e-5f6a-5b7c-8d9e-0f1a2b3c4d5e", "value": "8.8.8.8"}
    ]})
    .to_string()
}

#[test]
fn imported_files_correlate_and_hits_are_listed() {
    let node = Node::new();
    node.import("ours.json", &ours(), "home");
    node.import("theirs.json", &theirs(), "partner");

    let for_ind = node.hits_json(&["object", IND]);
    assert_eq!(for_ind.len(), 1, "{for_ind:?}");
    assert_eq!(for_ind[0]["kind"], "domain");
    assert_eq!(for_ind[0]["value"], "pay.ransom-c2.net");
    let ids: Vec<&str> = for_ind[0]["sides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&IND) && ids.contains(&OD), "{ids:?}");

    let wallet = node.hits_json(&["object", WALLET_IND]);
    assert_eq!(wallet.len(), 1);
    assert_eq!(wallet[0]["kind"], "wallet");

    // 8.8.8.8 is on the warning list: no hit, even imported twice.
    node.import(
        "again.json",
        &theirs().replace("bundle--6e1a", "bundle--7e1a"),
        "home",
    );
    let all = node.hits_json(&["since", "2000-01-01T00:00:00Z"]);
    assert!(all.iter().all(|h| h["value"] != "8.8.8.8"), "{all:?}");
    let for_partner = node.hits_json(&["collection", "partner"]);
    assert!(for_partner.len() >= 2, "{for_partner:?}");
    assert!(
        node.hits_json(&["since", "2999-01-01T00:00:00Z"])
            .is_empty()
    );

    // The table form names both sides.
    let table = node.ok(&["hits", "object", IND]);
    assert!(
        table.contains("pay.ransom-c2.net") && table.contains(OD),
        "{table}"
    );

    // Rebuild finds the same hits again.
    let before = node.hits_json(&["since", "2000-01-01T00:00:00Z"]).len();
    let report = node.ok(&["hits", "rebuild"]);
    assert!(report.contains("recorded"), "{report}");
    let after = node.hits_json(&["since", "2000-01-01T00:00:00Z"]).len();
    assert_eq!(before, after);
}

#[test]
fn settings_cap_and_bad_input() {
    let node = Node::new();
    let shown = node.ok(&["hits", "settings"]);
    let s: serde_json::Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(s["enabled"], true);
    assert_eq!(s["cap"], 100);

    // Bad settings are refused and change nothing.
    let out = node.run(&["hits", "settings", "--cap", "0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("cap"), "{}", text(&out.stderr));
    let out = node.run(&["hits", "settings", "--warn", " "]);
    assert!(!out.status.success());
    assert_eq!(node.ok(&["hits", "settings"]), shown);

    // Bad arguments: clear errors.
    for args in [
        &["hits", "object", "not-an-id"][..],
        &["hits", "since", "yesterday"],
        &["hits", "collection", "no-such-collection"],
    ] {
        let out = node.run(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(!text(&out.stderr).is_empty());
    }

    // A cap of 1: the domain seen a second time in another collection is capped.
    node.ok(&["hits", "settings", "--cap", "1", "--allow", "8.8.8.8"]);
    node.import("ours.json", &ours(), "home");
    node.import("theirs.json", &theirs(), "partner");
    node.import(
        "again.json",
        &theirs()
            .replace("bundle--6e1a", "bundle--7e1a")
            .replace("2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"),
        "home",
    );
    let capped = node.ok(&["hits", "capped"]);
    assert!(capped.contains("domain:pay.ransom-c2.net"), "{capped}");
    assert!(
        capped.contains("ipv4:8.8.8.8"),
        "allowed, so it correlates and is capped: {capped}"
    );

    // Disabled: importing makes no hits.
    node.ok(&["hits", "settings", "--disable"]);
    node.ok(&["hits", "rebuild"]);
    assert!(
        node.hits_json(&["since", "2000-01-01T00:00:00Z"])
            .is_empty()
    );
}
