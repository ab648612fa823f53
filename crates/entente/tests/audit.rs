//! `entente audit`: the hash-chained audit log as an operator sees it (DESIGN.md invariant 4;
//! issue 4, "tampering with one byte of any entry, deleting an entry, or swapping two entries
//! is detected by `entente audit verify`").
//!
//! Each test builds a real node with the built binary (init, users, a collection, a grant, an
//! import), then alters its SQLite database behind the program's back, the way someone with
//! the data folder could: drop the append-only triggers, then edit rows with SQL.

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

    fn db(&self) -> PathBuf {
        self.data().join("entente.db")
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

    /// Opens the database with the append-only guards dropped.
    fn tamper(&self) -> Connection {
        let conn = Connection::open(self.db()).unwrap();
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
    let conn = Connection::open(node.db()).unwrap();
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
    let conn = Connection::open(node.db()).unwrap();
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
