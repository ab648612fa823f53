//! CLI tests: run the built `entente` binary in a temporary folder, as a user would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary data folder and a way to run `entente --data DIR ...` in it.
struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Node {
        Node {
            dir: tempfile::Builder::new()
                .prefix("entente-cli-")
                .tempdir()
                .unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_entente"));
        c.arg("--data").arg(self.data()).args(args);
        // The tests set what they need; nothing leaks in from the caller's environment.
        c.env_remove("ENTENTE_DATA")
            .env_remove("ENTENTE_STORE_URL")
            .env("ENTENTE_LOG", "warn");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    }

    fn init(&self) -> String {
        let out = self.run(&["init"]);
        assert!(out.status.success(), "init failed: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        stdout
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("password:")
                    .map(|p| p.trim().to_owned())
            })
            .expect("init prints the admin password")
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn export(&self) -> serde_json::Value {
        let out = self.run(&[
            "export",
            "--collection",
            "home",
            "--purpose",
            "investigation",
        ]);
        assert!(out.status.success(), "export failed: {}", text(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("export writes a JSON bundle")
    }

    fn import_json(&self, file: &Path) -> (Output, serde_json::Value) {
        let out = self.run(&[
            "import",
            file.to_str().unwrap(),
            "--collection",
            "home",
            "--json",
        ]);
        let summary = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "summary JSON ({e}): {}\n{}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        (out, summary)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

fn indicator(i: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"test {i}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
        i,
        i % 256
    )
}

fn ids_of(bundle: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}@{}",
                o["id"].as_str().unwrap(),
                o["modified"].as_str().unwrap_or("")
            )
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn help_reads_well() {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in [
        "init",
        "serve",
        "demo",
        "import",
        "export",
        "validate",
        "user",
        "collection",
        "config",
    ] {
        assert!(help.contains(cmd), "--help lists {cmd}:\n{help}");
    }
}

#[test]
fn config_example_is_the_documented_file() {
    let out = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../entente.example.toml"),
    )
    .unwrap();
    assert_eq!(text(&out.stdout), shipped);
}

#[test]
fn init_refuses_to_overwrite() {
    let node = Node::new();
    node.init();
    let again = node.run(&["init"]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already initialised"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn import_attack_export_and_reimport_gives_nothing_new() {
    let node = Node::new();
    node.init();
    let attack = shared_data().join("stix/attack/enterprise-attack-18.1.json.gz");
    let (out, summary) = node.import_json(&attack);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stored = summary["stored"].as_u64().unwrap();
    assert!(
        stored > 20_000,
        "ATT&CK Enterprise holds tens of thousands of objects: {summary}"
    );
    assert_eq!(summary["rejected"], 0, "{summary}");

    let exported = node.export();
    let objects = exported["objects"].as_array().unwrap();
    assert_eq!(objects.len() as u64, stored);

    // The export is exact: every exported object is byte-for-byte the object that went in.
    let out_file = node.write("export.json", &serde_json::to_vec(&exported).unwrap());
    let (out, again) = node.import_json(&out_file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(again["stored"], 0, "re-import stores nothing new: {again}");
    assert_eq!(again["duplicates"].as_u64().unwrap(), stored);
    assert_eq!(ids_of(&node.export()), ids_of(&exported));

    // Exact round trip: the original bundle's objects, compared as JSON values.
    let original: serde_json::Value = {
        let f = std::fs::File::open(&attack).unwrap();
        serde_json::from_reader(flate2::read::GzDecoder::new(f)).unwrap()
    };
    let mut by_key = std::collections::HashMap::new();
    for o in original["objects"].as_array().unwrap() {
        by_key.insert(
            format!(
                "{}@{}",
                o["id"].as_str().unwrap(),
                o["modified"].as_str().unwrap_or("")
            ),
            o,
        );
    }
    for o in objects {
        let key = format!(
            "{}@{}",
            o["id"].as_str().unwrap(),
            o["modified"].as_str().unwrap_or("")
        );
        assert_eq!(
            by_key.get(&key).copied(),
            Some(o),
            "{key} round-trips exactly"
        );
    }
}

#[test]
fn validate_reports_and_exits_non_zero_on_errors() {
    let node = Node::new();
    let good = node.write("good.json", format!("[{}]", indicator(1)).as_bytes());
    let out = node.run(&["validate", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let bad = node.write(
        "bad.json",
        br#"[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]"#,
    );
    let out = node.run(&["validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let report = text(&out.stdout);
    assert!(
        report.contains("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"),
        "{report}"
    );
    assert!(report.contains("modified"), "{report}");
}

#[test]
fn invalid_objects_are_rejected_and_valid_ones_stored() {
    let node = Node::new();
    node.init();
    let mut lines = String::new();
    for i in 0..10 {
        lines.push_str(&indicator(i));
        lines.push('\n');
    }
    // A wrong type of value (confidence must be an integer 0..100) in the middle.
    lines.push_str(&indicator(10).replace("\"name\"", "\"confidence\":\"high\",\"name\""));
    lines.push('\n');
    let f = node.write("mixed.jsonl", lines.as_bytes());
    let (out, summary) = node.import_json(&f);
    assert_eq!(out.status.code(), Some(2), "partial import exits 2");
    assert_eq!(summary["stored"], 10, "{summary}");
    assert_eq!(summary["rejected"], 1, "{summary}");
    let reason = summary["rejections"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("confidence"), "{reason}");
}

#[test]
fn bad_input_never_alters_what_is_stored() {
    let node = Node::new();
    node.init();
    let base = node.write(
        "base.json",
        format!("[{},{}]", indicator(1), indicator(2)).as_bytes(),
    );
    let (out, _) = node.import_json(&base);
    assert!(out.status.success());
    let before = node.export()["objects"].clone();

    // Truncated JSON: a clear error, the complete objects before it are kept.
    let truncated = format!("[{},{}", indicator(3), &indicator(4)[..40]);
    let f = node.write("truncated.json", truncated.as_bytes());
    let out = node.run(&["import", f.to_str().unwrap(), "--collection", "home"]);
    assert!(!out.status.success());
    assert!(!text(&out.stderr).is_empty());

    // Invalid UTF-8 inside a string.
    let mut bytes = format!("[{}]", indicator(5)).into_bytes();
    let at = bytes.windows(4).position(|w| w == b"test").unwrap();
    bytes[at] = 0xff;
    let f = node.write("latin1.json", &bytes);
    let out = node.run(&["import", f.to_str().unwrap(), "--collection", "home"]);
    assert!(!out.status.success(), "invalid UTF-8 is refused");

    // Not JSON at all.
    let f = node.write("garbage.json", b"\x00\x01 this is not json");
    let out = node.run(&["import", f.to_str().unwrap(), "--collection", "home"]);
    assert!(!out.status.success());

    // Every earlier object is still there, unchanged.
    let after = node.export()["objects"].clone();
    let before_ids: std::collections::HashSet<_> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    let after_ids: std::collections::HashSet<_> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    assert!(before_ids.is_subset(&after_ids), "stored objects unchanged");
    assert!(
        after_ids.contains(
            &serde_json::from_str::<serde_json::Value>(&indicator(3))
                .unwrap()
                .to_string()
        )
    );
}

#[test]
fn oversized_objects_are_skipped_with_bounded_memory() {
    let node = Node::new();
    node.init();
    let huge = indicator(7).replace(
        "\"name\":\"test 7\"",
        &format!("\"name\":\"{}\"", "x".repeat(50_000)),
    );
    let f = node.write(
        "big.json",
        format!("[{},{},{}]", indicator(6), huge, indicator(8)).as_bytes(),
    );
    let out = node.run_env(
        &[
            "import",
            f.to_str().unwrap(),
            "--collection",
            "home",
            "--json",
        ],
        &[("ENTENTE_IMPORT_MAX_OBJECT_SIZE", "4096")],
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(summary["stored"], 2, "{summary}");
    assert_eq!(summary["rejected"], 1, "{summary}");
}

#[test]
fn hundred_thousand_objects_with_one_invalid_in_the_middle() {
    let node = Node::new();
    node.init();
    let mut s = String::with_capacity(100_000 * 400);
    s.push_str("{\"type\":\"bundle\",\"id\":\"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d\",\"objects\":[");
    for i in 0..100_000 {
        if i > 0 {
            s.push(',');
        }
        if i == 50_000 {
            s.push_str(
                &indicator(i).replace("2026-01-01T00:00:00.000Z\",\"name", "yesterday\",\"name"),
            );
        } else {
            s.push_str(&indicator(i));
        }
    }
    s.push_str("]}");
    let f = node.write("big-bundle.json", s.as_bytes());
    let (out, summary) = node.import_json(&f);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(summary["stored"], 99_999, "{summary}");
    assert_eq!(summary["rejected"], 1, "{summary}");
    let reason = summary["rejections"][0]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.contains("modified") || reason.contains("timestamp"),
        "{reason}"
    );
}

#[test]
fn import_reads_stdin_and_gzip() {
    let node = Node::new();
    node.init();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(format!("{}\n{}\n", indicator(1), indicator(2)).as_bytes())
        .unwrap();
    let bytes = gz.finish().unwrap();
    let out = node.run_stdin(&["import", "-", "--collection", "home", "--json"], &bytes);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["stored"], 2);
}

#[test]
fn users_collections_and_tokens() {
    let node = Node::new();
    node.init();
    let out = node.run(&[
        "collection",
        "add",
        "--title",
        "Partner feed",
        "--alias",
        "partner",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "prints the new id: {id}"
    );
    let dup = node.run(&[
        "collection",
        "add",
        "--title",
        "Again",
        "--alias",
        "partner",
    ]);
    assert!(!dup.status.success(), "aliases are unique");

    let out = node.run_stdin(
        &[
            "user",
            "add",
            "alice",
            "--role",
            "analyst",
            "--organisation",
            "home",
            "--password-stdin",
        ],
        b"correct horse battery staple\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = node.run(&[
        "user",
        "grant",
        "alice",
        "--collection",
        "partner",
        "--read",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = node.run(&["user", "add", "bob", "--role", "wizard"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown role"));
    let out = node.run(&["user", "token", "alice"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).trim().len() >= 32);
    let list = text(&node.run(&["user", "list"]).stdout);
    assert!(list.contains("alice") && list.contains("admin"), "{list}");
    let list = text(&node.run(&["collection", "list"]).stdout);
    assert!(list.contains("partner") && list.contains("home"), "{list}");
    let out = node.run(&["import", "/nonexistent/file.json", "--collection", "home"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot open"));
    let out = node.run(&["import", "-", "--collection", "nope"]);
    assert!(
        text(&out.stderr).contains("no collection"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_config_is_reported_with_every_problem() {
    let node = Node::new();
    node.init();
    std::fs::write(
        node.data().join("entente.toml"),
        "[server]\nlisten = \"nowhere\"\n[log]\nformat = \"xml\"\n",
    )
    .unwrap();
    let out = node.run(&["collection", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("server.listen") && err.contains("log.format"),
        "{err}"
    );
}

#[test]
fn demo_loads_its_dataset() {
    let node = Node::new();
    let out = node.run(&["demo", "--no-serve", "--listen", "127.0.0.1:0"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("analyst /"), "{stdout}");
    let loaded: u64 = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("loaded:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("demo prints how many objects it loaded");
    assert!(loaded >= 100, "{stdout}");
}

/// A running `entente serve`, killed on drop.
struct Served {
    child: std::process::Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(node: &Node) -> Served {
    for _ in 0..20 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let child = node
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
                break; // the port was taken meanwhile: try another
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = served.child.kill();
    }
    panic!("entente serve did not start");
}

#[test]
fn pull_copies_a_remote_collection() {
    let source = Node::new();
    let password = source.init();
    // The pulling node sends no purpose header: the source's admin has a default.
    let out = source.run(&["user", "purpose", "admin", "investigation"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut lines = String::new();
    for i in 0..2500 {
        lines.push_str(&indicator(i));
        lines.push('\n');
    }
    // A second version of one object: pull copies every version.
    lines.push_str(&indicator(1).replace(
        "\"modified\":\"2026-01-01T00:00:00.000Z\"",
        "\"modified\":\"2026-02-01T00:00:00.000Z\"",
    ));
    lines.push('\n');
    let f = source.write("source.jsonl", lines.as_bytes());
    let (out, _) = source.import_json(&f);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let served = serve(&source);
    let collection_id = source.export(); // read before serving ends; ids compared below
    let list = text(&source.run(&["collection", "list"]).stdout);
    let home_id = list
        .lines()
        .find(|l| l.contains("\thome\t"))
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap()
        .to_owned();

    let target = Node::new();
    target.init();
    let url = format!("http://{}/api1/", served.addr);
    let pull = |password: &str| {
        let args = ["pull", &url, "--collection", &home_id, "--into", "home"];
        let auth = ["--user", "admin", "--password-env", "SRC_PW"];
        target.run_env(&[&args[..], &auth[..]].concat(), &[("SRC_PW", password)])
    };
    let out = pull(&password);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("stored 2501"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(ids_of(&target.export()), ids_of(&collection_id));

    // Pulling again stores nothing new.
    let out = pull(&password);
    assert!(
        text(&out.stdout).contains("stored 0, duplicates 2501"),
        "{}",
        text(&out.stdout)
    );

    // Wrong credentials: a clear error, nothing stored.
    let out = pull("wrong password!");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("401") || text(&out.stderr).to_lowercase().contains("auth"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn pattern_validate_and_match() {
    let node = Node::new();
    let ok = node.run(&["pattern", "validate", "[ipv4-addr:value = '198.51.100.1']"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let syntax = node.run(&["pattern", "validate", "[ipv4-addr:value = '198.51.100.1'"]);
    assert_eq!(syntax.status.code(), Some(1));
    assert!(
        text(&syntax.stderr).contains("column 34"),
        "{}",
        text(&syntax.stderr)
    );
    let unknown = node.run_stdin(&["pattern", "validate"], b"[file:colour = 'red']\n");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("colour"),
        "{}",
        text(&unknown.stderr)
    );

    let observed = node.write(
        "observed.json",
        br#"[{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16.000Z","modified":"2016-04-06T19:58:16.000Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,"object_refs":["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]},
{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}]"#,
    );
    let observed = observed.to_str().unwrap();
    let hit = node.run(&[
        "pattern",
        "match",
        "--pattern",
        "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
        "--observed",
        observed,
        "--json",
    ]);
    assert_eq!(hit.status.code(), Some(0), "{}", text(&hit.stderr));
    let out: serde_json::Value = serde_json::from_slice(&hit.stdout).unwrap();
    assert_eq!(
        out["observations"][0]["id"],
        "observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"
    );
    let miss = node.run(&[
        "pattern",
        "match",
        "--pattern",
        "[ipv4-addr:value = '203.0.113.9']",
        "--observed",
        observed,
    ]);
    assert_eq!(miss.status.code(), Some(1));
    let bad = node.run(&[
        "pattern",
        "match",
        "--pattern",
        "[ipv4-addr:value = ",
        "--observed",
        observed,
    ]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn indicators_with_invalid_stix_patterns_are_rejected() {
    let node = Node::new();
    node.init();
    let broken = indicator(1).replace("'198.51.100.1']", "'198.51.100.1'");
    let unknown = indicator(2).replace("[ipv4-addr:value", "[ipv4-addr:colour");
    let f = node.write(
        "patterns.jsonl",
        format!("{broken}\n{unknown}\n{}\n", indicator(3)).as_bytes(),
    );
    let (out, summary) = node.import_json(&f);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(summary["stored"], 1, "{summary}");
    assert_eq!(summary["rejected"], 2, "{summary}");
    let reasons: Vec<&str> = summary["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("pattern-syntax"), "{reasons:?}");
    assert!(
        reasons[1].contains("pattern-vocabulary") && reasons[1].contains("colour"),
        "{reasons:?}"
    );
    let out = node.run(&["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("$.pattern"),
        "{}",
        text(&out.stdout)
    );
}

/// Sends one HTTP/1.1 request over a fresh connection and returns (status, body).
fn http(addr: &str, request: &str) -> (u16, String) {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    s.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn acknowledged_objects_survive_a_killed_server() {
    // Invariant 5 (durable when acknowledged): once POST has answered, the objects are on disk,
    // even if the process is killed (SIGKILL, no shutdown) the next instant.
    let node = Node::new();
    let password = node.init();
    let out = node.run(&["user", "purpose", "admin", "investigation"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&node.run(&["collection", "list"]).stdout);
    let home = list
        .lines()
        .find(|l| l.contains("\thome\t"))
        .unwrap()
        .split('\t')
        .nth(1)
        .unwrap()
        .to_owned();
    let mut served = serve(&node);
    let objects: Vec<String> = (0..50).map(indicator).collect();
    let body = format!("{{\"objects\":[{}]}}", objects.join(","));
    let auth = {
        // HTTP Basic by hand: base64 of "admin:PASSWORD" (the password is hex, so ASCII).
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let raw = format!("admin:{password}").into_bytes();
        let mut out = String::new();
        for chunk in raw.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    };
    let request = format!(
        "POST /api1/collections/{home}/objects/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {auth}\r\n\
         Accept: application/taxii+json;version=2.1\r\nContent-Type: application/taxii+json;version=2.1\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        served.addr,
        body.len()
    );
    let (status, answer) = http(&served.addr, &request);
    assert_eq!(status, 202, "{answer}");
    assert!(answer.contains("\"success_count\":50"), "{answer}");
    served.child.kill().unwrap(); // SIGKILL: no graceful shutdown, no final flush
    served.child.wait().unwrap();
    let exported = node.export();
    assert_eq!(exported["objects"].as_array().unwrap().len(), 50);
}

#[test]
fn an_import_killed_midway_resumes_without_loss_or_duplicates() {
    let node = Node::new();
    node.init();
    let total = 200_000;
    let mut lines = String::with_capacity(total * 400);
    for i in 0..total {
        lines.push_str(&indicator(i));
        lines.push('\n');
    }
    let f = node.write("many.jsonl", lines.as_bytes());
    let mut child = node
        .cmd(&[
            "import",
            f.to_str().unwrap(),
            "--collection",
            "home",
            "--batch",
            "5000",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some batches are committed (or when it has finished, on a fast machine).
    let db = node.data().join("entente.db-wal");
    for _ in 0..400 {
        if std::fs::metadata(&db)
            .map(|m| m.len() > 4 << 20)
            .unwrap_or(false)
        {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    // The store opens, and importing the same file again completes it exactly.
    let (out, summary) = node.import_json(&f);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stored = summary["stored"].as_u64().unwrap();
    let duplicates = summary["duplicates"].as_u64().unwrap();
    assert_eq!(stored + duplicates, total as u64, "{summary}");
    assert_eq!(summary["rejected"], 0);
    eprintln!("after the kill: {duplicates} versions were already stored, {stored} added");
    let exported = node.export();
    let objects = exported["objects"].as_array().unwrap();
    assert_eq!(objects.len(), total, "every object once, none twice");
    let distinct: std::collections::HashSet<&str> =
        objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(distinct.len(), total);
}

#[test]
fn api_roots_and_collections_declared_in_the_config_file_are_created() {
    let node = Node::new();
    node.init();
    let path = node.data().join("entente.toml");
    let mut config = std::fs::read_to_string(&path).unwrap();
    config.push_str(
        "\n[[taxii.api_roots]]\nname = \"ops\"\ntitle = \"Operations\"\n\n\
         [[taxii.collections]]\napi_root = \"ops\"\nid = \"2c5e5d4e-0f4f-4a36-9d2e-1c1e7f0b8a11\"\n\
         title = \"Event security\"\nalias = \"event\"\n",
    );
    std::fs::write(&path, config).unwrap();
    let roots = text(&node.run(&["api-root", "list"]).stdout);
    assert!(
        roots.contains("/api1/") && roots.contains("/ops/"),
        "{roots}"
    );
    let list = text(
        &node
            .run(&["collection", "list", "--api-root", "ops"])
            .stdout,
    );
    assert!(
        list.contains("2c5e5d4e-0f4f-4a36-9d2e-1c1e7f0b8a11\tevent\tEvent security"),
        "{list}"
    );
    // A collection naming an undeclared API root is a configuration error.
    let broken = std::fs::read_to_string(&path)
        .unwrap()
        .replace("api_root = \"ops\"", "api_root = \"nowhere\"");
    std::fs::write(&path, broken).unwrap();
    let out = node.run(&["collection", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nowhere"),
        "{}",
        text(&out.stderr)
    );
}
