//! `entente audit`: the hash-chained audit log as an operator sees it (DESIGN.md invariant 4;
//! issue 4, "tampering with one byte of any entry, deleting an entry, or swapping two entries
//! is detected by `entente audit verify`").
//!
//! Each test builds a real node with the built binary (init, users, a collection, a grant, an
//! import), then alters its audit log's SQLite database (`entente.audit.db`, beside the main
//! `entente.db`) behind the program's back, the way someone with the data folder could: drop
//! the append-only triggers, then edit rows with SQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;
use rusqlite::types::Value;

/// Entries the reference node's log holds (see [`reference`]).
const ENTRIES: u64 = 6;

struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Node {
        Node {
            dir: tempfile::Builder::new()
                .prefix("entente-audit-")
                .tempdir()
                .unwrap(),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The main database.
    fn db(&self) -> PathBuf {
        self.data().join("entente.db")
    }

    /// The audit log's own database, beside the main one.
    fn audit_db(&self) -> PathBuf {
        self.data().join("entente.audit.db")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_entente"))
            .arg("--data")
            .arg(self.data())
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

    /// A copy of this node's data folder, to tamper with.
    fn copy(&self) -> Node {
        let node = Node::new();
        copy_dir(&self.data(), &node.data());
        node
    }

    /// Opens the audit log's database with the append-only guards dropped.
    fn tamper(&self) -> Connection {
        let conn = Connection::open(self.audit_db()).unwrap();
        conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
        conn
    }

    /// Runs `audit verify` (with an anchor when given): exit code and stdout.
    fn verify(&self, anchor: Option<&str>) -> (i32, String) {
        let mut args = vec!["audit", "verify"];
        if let Some(a) = anchor {
            args.extend(["--anchor", a]);
        }
        let out = self.run(&args);
        (
            out.status.code().unwrap(),
            format!("{}{}", text(&out.stdout), text(&out.stderr)),
        )
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn indicator(i: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"test {i}","pattern":"[ipv4-addr:value = '198.51.100.{i}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#
    )
}

/// A node whose audit log holds [`ENTRIES`] entries: `user add`, `collection add`,
/// `user grant`, `import`, `user token`, and a second `import` (of duplicates). Tests that
/// tamper several times copy it.
fn reference() -> Node {
    let node = Node::new();
    node.ok(&["init"]);
    node.ok(&["user", "add", "alice", "--organisation", "ORG-A"]);
    let id = node.ok(&[
        "collection",
        "add",
        "--title",
        "Partners",
        "--alias",
        "partners",
    ]);
    let id = id.trim().to_owned();
    node.ok(&["user", "grant", "alice", "-c", "partners", "--read"]);
    let file = node.dir.path().join("two.jsonl");
    std::fs::write(&file, format!("{}\n{}\n", indicator(1), indicator(2))).unwrap();
    let file = file.to_str().unwrap().to_owned();
    node.ok(&["import", &file, "-c", &id]);
    node.ok(&["user", "token", "alice", "--label", "laptop"]);
    node.ok(&["import", &file, "-c", "partners"]);
    node
}

/// The `hash` column of one entry, in hex.
fn stored_hash(node: &Node, seq: i64) -> String {
    let conn = Connection::open(node.audit_db()).unwrap();
    let hash: Vec<u8> = conn
        .query_row("SELECT hash FROM audit_log WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .unwrap();
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

fn assert_detected(node: &Node, seq: u64, what: &str) -> String {
    let (code, out) = node.verify(None);
    assert_eq!(code, 1, "{what}: expected exit 1, got {code}: {out}");
    assert!(
        out.contains(&format!("audit entry {seq}:")),
        "{what}: the message names entry {seq}: {out}"
    );
    out
}

#[test]
fn intact_log_verifies_and_shows_every_recorded_act() {
    let node = reference();
    let (code, out) = node.verify(None);
    assert_eq!(code, 0, "{out}");
    let head = stored_hash(&node, ENTRIES as i64);
    assert!(
        out.contains(&format!("audit log intact: {ENTRIES} entries, head {head}")),
        "{out}"
    );
    // The printed anchor verifies the same log.
    let anchor = format!("{ENTRIES}:{head}");
    assert!(out.contains(&anchor), "{out}");
    let (code, out) = node.verify(Some(&anchor));
    assert_eq!(code, 0, "{out}");

    let shown = node.ok(&["audit", "show", "--limit", "100"]);
    let lines: Vec<&str> = shown.lines().skip(1).collect();
    assert_eq!(lines.len(), ENTRIES as usize, "{shown}");
    let actions: Vec<&str> = lines
        .iter()
        .map(|l| l.split('\t').nth(4).unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.add",
            "collection.add",
            "user.grant",
            "objects.import",
            "user.token",
            "objects.import"
        ]
    );
    assert!(
        lines[0].contains("organisation=ORG-A role=analyst"),
        "{shown}"
    );
    assert!(lines[2].contains("read=true write=false"), "{shown}");
    assert!(
        lines[3].contains("stored=2 duplicates=0 rejected=0"),
        "{shown}"
    );
    assert!(
        lines[5].contains("stored=0 duplicates=2 rejected=0"),
        "{shown}"
    );
    for l in &lines {
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols.len(), 11, "{l}");
        assert_eq!((cols[2], cols[3], cols[7]), ("cli", "node", "allow"), "{l}");
    }
    // No token or password reaches the log.
    assert!(!shown.contains("password"), "{shown}");

    let last_two = node.ok(&["audit", "show", "--limit", "2"]);
    let seqs: Vec<&str> = last_two
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(seqs, ["5", "6"]);
}

#[test]
fn an_empty_log_verifies() {
    let node = Node::new();
    node.ok(&["init"]);
    let (code, out) = node.verify(None);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("audit log intact: 0 entries"), "{out}");
    assert!(node.ok(&["audit", "show"]).contains("empty"));
}

/// One changed byte in any column of any entry is found, and the message names that entry.
#[test]
fn one_changed_byte_in_any_field_is_detected() {
    let reference = &reference();
    let text_columns = [
        "actor",
        "organisation",
        "action",
        "target",
        "decision",
        "rule",
        "detail",
    ];
    for seq in [1i64, 3, ENTRIES as i64] {
        for column in text_columns
            .iter()
            .chain(&["time", "purpose", "prev_hash", "hash"])
        {
            let node = reference.copy();
            let conn = node.tamper();
            let sql = format!("SELECT {column} FROM audit_log WHERE seq = ?1");
            let old: Value = conn.query_row(&sql, [seq], |r| r.get(0)).unwrap();
            let new = match old {
                // The last byte of a number: flip its lowest bit.
                Value::Integer(n) => Value::Integer(n ^ 1),
                // Text stays valid UTF-8: flip a bit of its first (ASCII) byte.
                Value::Text(s) => {
                    let mut b = s.into_bytes();
                    b[0] ^= 0x01;
                    Value::Text(String::from_utf8(b).unwrap())
                }
                Value::Blob(mut b) => {
                    b[7] ^= 0x80;
                    Value::Blob(b)
                }
                // An absent purpose made present (one tag byte differs).
                Value::Null => Value::Text(String::new()),
                Value::Real(_) => unreachable!("no real columns"),
            };
            conn.execute(
                &format!("UPDATE audit_log SET {column} = ?1 WHERE seq = ?2"),
                rusqlite::params![new, seq],
            )
            .unwrap();
            drop(conn);
            assert_detected(&node, seq as u64, &format!("{column} of entry {seq}"));
        }
    }
}

#[test]
fn a_changed_sequence_number_is_detected() {
    let node = reference();
    node.tamper()
        .execute("UPDATE audit_log SET seq = seq + 256 WHERE seq = 4", [])
        .unwrap();
    let out = assert_detected(&node, 4, "seq of entry 4");
    assert!(out.contains("missing"), "{out}");
}

#[test]
fn a_deleted_entry_is_detected() {
    let reference = reference();
    for seq in [1u64, 3, 5] {
        let node = reference.copy();
        node.tamper()
            .execute("DELETE FROM audit_log WHERE seq = ?1", [seq as i64])
            .unwrap();
        let out = assert_detected(&node, seq, &format!("deleted entry {seq}"));
        assert!(out.contains("missing"), "{out}");
    }
}

#[test]
fn a_deleted_entry_with_the_rest_renumbered_is_detected() {
    let node = reference();
    let conn = node.tamper();
    conn.execute_batch(
        "DELETE FROM audit_log WHERE seq = 3;
         UPDATE audit_log SET seq = -seq WHERE seq > 3;
         UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0;",
    )
    .unwrap();
    drop(conn);
    let out = assert_detected(&node, 3, "deleted and renumbered");
    assert!(out.contains("link"), "{out}");
}

#[test]
fn swapped_entries_are_detected() {
    let reference = reference();
    for (a, b) in [(2i64, 4i64), (5, 6), (1, 2)] {
        let node = reference.copy();
        node.tamper()
            .execute_batch(&format!(
                "UPDATE audit_log SET seq = -1 WHERE seq = {a};
                 UPDATE audit_log SET seq = {a} WHERE seq = {b};
                 UPDATE audit_log SET seq = {b} WHERE seq = -1;"
            ))
            .unwrap();
        assert_detected(&node, a as u64, &format!("entries {a} and {b} swapped"));
    }
}

/// Cutting entries off the end leaves a valid, shorter chain; the anchor kept from an earlier
/// verification is what reveals it.
#[test]
fn a_cut_tail_is_detected_with_the_anchor() {
    let node = reference();
    let anchor = format!("{ENTRIES}:{}", stored_hash(&node, ENTRIES as i64));
    node.tamper()
        .execute(
            "DELETE FROM audit_log WHERE seq >= ?1",
            [ENTRIES as i64 - 1],
        )
        .unwrap();
    let (code, out) = node.verify(None);
    assert_eq!(
        code, 0,
        "without an anchor the shorter chain is valid: {out}"
    );
    let (code, out) = node.verify(Some(&anchor));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("audit entry {}:", ENTRIES - 1)) && out.contains("cut off"),
        "{out}"
    );
}

#[test]
fn a_malformed_anchor_is_an_error() {
    let node = reference();
    let (code, out) = node.verify(Some("12:nothex"));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("--anchor"), "{out}");
}

#[test]
fn the_program_cannot_change_the_log() {
    let node = reference();
    let conn = Connection::open(node.audit_db()).unwrap();
    for sql in [
        "UPDATE audit_log SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    drop(conn);
    assert_eq!(node.verify(None).0, 0);
}

/// The log is not in the main database: a reader of objects never sees its commits.
#[test]
fn the_log_lives_in_its_own_file() {
    let node = reference();
    let main = Connection::open(node.db()).unwrap();
    let tables: i64 = main
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "no audit table left in the main file");
    let rows: i64 = Connection::open(node.audit_db())
        .unwrap()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, ENTRIES as i64);
}

/// Every row of the audit file, exactly as stored.
fn audit_rows(node: &Node) -> Vec<Vec<Value>> {
    let conn = Connection::open(node.audit_db()).unwrap();
    let mut st = conn
        .prepare("SELECT * FROM audit_log ORDER BY seq")
        .unwrap();
    st.query_map([], |r| (0..12).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Puts `node` back as a database of schema 8 left it: the log in the main file (its table as
/// schema 2 created it, holding `rows`), migration 9 not applied, and in the audit file only
/// `already` of the rows (what a crash between the move's two commits leaves) or no audit file
/// at all (`None`).
fn as_before_the_move(node: &Node, rows: &[Vec<Value>], already: Option<usize>) {
    let main = Connection::open(node.db()).unwrap();
    main.execute_batch(include_str!("../../store/migrations/sqlite/0002_audit.sql"))
        .unwrap();
    for row in rows {
        main.execute(
            "INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            rusqlite::params_from_iter(row),
        )
        .unwrap();
    }
    main.execute("DELETE FROM schema_migrations WHERE version = 9", [])
        .unwrap();
    drop(main);
    match already {
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let f = PathBuf::from(format!("{}{suffix}", node.audit_db().display()));
                let _ = std::fs::remove_file(f);
            }
        }
        Some(n) => {
            let audit = node.tamper();
            audit
                .execute("DELETE FROM audit_log WHERE seq > ?1", [n as i64])
                .unwrap();
        }
    }
}

/// A database whose log is still in the main file (schema 8) has it moved, row for row, into
/// its own file when it is opened; the chain goes on from the moved head.
#[test]
fn a_log_in_the_main_file_is_moved_intact() {
    let reference = reference();
    let rows = audit_rows(&reference);
    let (code, out) = reference.verify(None);
    assert_eq!(code, 0, "{out}");
    let head = format!("{ENTRIES}:{}", stored_hash(&reference, ENTRIES as i64));
    // No audit file yet, or one that holds part of the rows (a crash in the middle).
    for already in [None, Some(0), Some(3)] {
        let node = reference.copy();
        as_before_the_move(&node, &rows, already);
        let (code, out) = node.verify(Some(&head));
        assert_eq!(code, 0, "{already:?}: {out}");
        assert!(
            out.contains(&format!("intact: {ENTRIES} entries")),
            "{already:?}: {out}"
        );
        assert_eq!(audit_rows(&node), rows, "{already:?}: moved row for row");
        // The next entry links to the moved head.
        node.ok(&["user", "token", "alice"]);
        let (code, out) = node.verify(Some(&head));
        assert_eq!(code, 0, "{already:?}: {out}");
        assert!(
            out.contains(&format!("intact: {} entries", ENTRIES + 1)),
            "{already:?}: {out}"
        );
        let main = Connection::open(node.db()).unwrap();
        let left: i64 = main
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(left, 0, "{already:?}: the main file's table is dropped");
    }
    // A row altered before the move is still found after it.
    let node = reference.copy();
    let mut altered = rows.clone();
    altered[2][2] = Value::Text("mallory".into());
    as_before_the_move(&node, &altered, None);
    assert_detected(&node, 3, "altered before the move");
}

/// Once moved, a removed audit file stops the node rather than starting an empty log.
#[test]
fn a_removed_audit_file_is_refused() {
    let node = reference();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", node.audit_db().display()));
    }
    let (code, out) = node.verify(None);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("entente.audit.db") && out.contains("missing"),
        "{out}"
    );
    assert!(!node.audit_db().exists(), "no empty log was created");
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
        let child = Command::new(env!("CARGO_BIN_EXE_entente"))
            .arg("--data")
            .arg(node.data())
            .args(["serve", "--listen", &addr])
            .env_remove("ENTENTE_DATA")
            .env_remove("ENTENTE_STORE_URL")
            .env("ENTENTE_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
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

fn token_of(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("token:").map(|t| t.trim().to_owned()))
        .expect("a token is printed")
}

/// The TAXII API records every write, every deletion and every refusal of the access check,
/// with the authenticated user and organisation, and the chain stays intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_records_writes_deletions_and_refusals() {
    let node = Node::new();
    node.ok(&["init"]);
    node.ok(&["org", "add", "ORG-A"]);
    let writer = token_of(&node.ok(&[
        "user",
        "add",
        "alice",
        "--organisation",
        "ORG-A",
        "--token-only",
        "--purpose",
        "investigation",
    ]));
    let outsider = token_of(&node.ok(&[
        "user",
        "add",
        "mallory",
        "--organisation",
        "ORG-M",
        "--token-only",
    ]));
    let id = node.ok(&[
        "collection",
        "add",
        "--title",
        "Shared",
        "--alias",
        "shared",
    ]);
    let id = id.trim().to_owned();
    node.ok(&["user", "grant", "alice", "-c", &id, "--read", "--write"]);
    // The collection is ORG-A's own workspace.
    node.ok(&["collection", "bind", &id, "--owner", "ORG-A"]);
    let before = node
        .ok(&["audit", "show", "--limit", "1000"])
        .lines()
        .count()
        - 1;

    let served = serve(&node);
    let base = format!("http://{}/api1/collections/{id}/objects/", served.addr);
    let taxii = "application/taxii+json;version=2.1";
    let http = reqwest::Client::new();
    let envelope = format!(r#"{{"objects":[{},{}]}}"#, indicator(1), indicator(2));
    let r = http
        .post(&base)
        .bearer_auth(&writer)
        .header("accept", taxii)
        .header("content-type", taxii)
        .body(envelope)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let object = "indicator--00000001-0000-4000-8000-000000000000";
    let r = http
        .delete(format!("{base}{object}/"))
        .bearer_auth(&writer)
        .header("accept", taxii)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http
        .get(&base)
        .bearer_auth(&outsider)
        .header("accept", taxii)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        404,
        "a collection without permission is concealed"
    );
    drop(served);

    let shown = node.ok(&["audit", "show", "--limit", "1000"]);
    let new: Vec<Vec<&str>> = shown
        .lines()
        .skip(1 + before)
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(new.len(), 3, "{shown}");
    // actor, organisation, action, target, decision
    let facts: Vec<[&str; 5]> = new.iter().map(|c| [c[2], c[3], c[4], c[5], c[7]]).collect();
    assert_eq!(
        facts,
        [
            ["alice", "ORG-A", "taxii.objects.add", id.as_str(), "allow"],
            ["alice", "ORG-A", "taxii.objects.delete", object, "allow"],
            ["mallory", "ORG-M", "access.deny", id.as_str(), "deny"],
        ]
    );
    assert!(
        new[0][9].starts_with("total=2 added=2 duplicates=0 failed=0"),
        "{shown}"
    );
    assert!(new[1][9].contains("versions=1"), "{shown}");
    assert_eq!(new[2][8], "no permission on this collection");
    assert!(new[2][9].contains("action=read"), "{shown}");
    let (code, out) = node.verify(None);
    assert_eq!(code, 0, "{out}");
}
