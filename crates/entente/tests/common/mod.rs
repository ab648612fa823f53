//! The test harness shared by the command-line tests of federation: a node is the built
//! `entente` binary on a temporary data folder, driven through its CLI and served on a free
//! loopback port.
// Each test binary uses a part of it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

// ---------------------------------------------------------------------------------------
// A node: the built binary on a temporary data folder.

pub(crate) struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    pub(crate) fn new(organisation: &str) -> Node {
        let n = Node {
            dir: tempfile::Builder::new()
                .prefix("entente-node-")
                .tempdir()
                .unwrap(),
        };
        n.ok(&["init", "--organisation", organisation]);
        n
    }

    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_entente"));
        c.arg("--data")
            .arg(self.dir.path().join("data"))
            .args(args)
            .env_remove("ENTENTE_DATA")
            .env_remove("ENTENTE_STORE_URL")
            .env("ENTENTE_LOG", "warn");
        c
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    pub(crate) fn file(&self, name: &str, body: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// The node's public identity key, as `entente identity` prints it.
    pub(crate) fn identity(&self) -> String {
        self.ok(&["identity"])
            .lines()
            .find_map(|l| l.strip_prefix("public key:"))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Versions stored in a collection, as `collection list` counts them.
    pub(crate) fn versions(&self, alias: &str) -> u64 {
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

    /// One field of `peer show` (`stored`, `last error`, `failures`, ...).
    pub(crate) fn show(&self, peer: &str, field: &str) -> String {
        let shown = self.ok(&["peer", "show", peer]);
        shown
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {field} in {shown}"))
            .trim()
            .to_owned()
    }

    pub(crate) fn stored(&self, peer: &str) -> u64 {
        self.show(peer, "stored").parse().unwrap()
    }

    pub(crate) fn failures(&self, peer: &str) -> u32 {
        let f = self.show(peer, "failures");
        f.trim_end_matches(" in a row").parse().unwrap()
    }

    pub(crate) fn audit(&self) -> String {
        self.ok(&["audit", "show", "--limit", "100000"])
    }

    /// Serves on `addr`; `None` when the process did not come up there (port still taken).
    pub(crate) fn serve_on(&self, addr: &str) -> Option<Served> {
        let child = self
            .cmd(&["serve", "--listen", addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut served = Served {
            child,
            addr: addr.to_owned(),
        };
        for _ in 0..400 {
            if let Ok(Some(_)) = served.child.try_wait() {
                return None;
            }
            if TcpStream::connect(&served.addr).is_ok() {
                return Some(served);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub(crate) fn serve(&self) -> Served {
        for _ in 0..20 {
            if let Some(s) = self.serve_on(&free_addr()) {
                return s;
            }
        }
        panic!("entente serve did not start");
    }

    pub(crate) fn ids(&self, collection: &str) -> Vec<String> {
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

    /// A token-only user with a default purpose, granted on a collection.
    pub(crate) fn token_user(
        &self,
        name: &str,
        organisation: &str,
        role: &str,
        collection: &str,
        grant: &[&str],
    ) -> String {
        let token = self
            .ok(&[
                "user",
                "add",
                name,
                "--organisation",
                organisation,
                "--role",
                role,
                "--token-only",
                "--purpose",
                "investigation",
            ])
            .lines()
            .find_map(|l| l.strip_prefix("token: "))
            .unwrap()
            .trim()
            .to_owned();
        let mut args = vec!["user", "grant", name, "-c", collection];
        args.extend_from_slice(grant);
        self.ok(&args);
        token
    }

    pub(crate) fn channel(&self, id: &str, members: [&str; 2]) {
        self.ok(&[
            "channel",
            "add",
            id,
            "--member",
            members[0],
            "--member",
            members[1],
            "--legal-basis",
            "Bilateral MoU",
            "--purpose",
            "investigation",
        ]);
    }

    pub(crate) fn collection(&self, alias: &str, channel: &str) -> String {
        let id = self
            .ok(&["collection", "add", "--title", alias, "--alias", alias])
            .trim()
            .to_owned();
        self.ok(&["collection", "bind", alias, "--channel", channel]);
        id
    }
}

/// The arguments of `entente peer add NAME --url URL --organisation ORG --channel CHANNEL
/// --pull REMOTE --into LOCAL --token-file FILE`, then `extra`.
pub(crate) fn peer_add<'a>(
    [name, url, organisation, channel, pull, into, token_file]: [&'a str; 7],
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "peer",
        "add",
        name,
        "--url",
        url,
        "--organisation",
        organisation,
        "--channel",
        channel,
        "--pull",
        pull,
        "--into",
        into,
        "--token-file",
        token_file,
    ];
    args.extend_from_slice(extra);
    args
}

/// A (fr-dgsi) and B (be-vsse) share channel fr-be; A exposes it in collection `shared` and
/// gives B a service credential; B exposes it in `from-fr` and accepts what A's node signs.
/// Returns A, B, the id of `shared` and the file on B holding B's token for A.
pub(crate) fn two_nodes() -> (Node, Node, String, String) {
    let a = Node::new("fr-dgsi");
    let b = Node::new("be-vsse");
    for (n, other) in [(&a, "be-vsse"), (&b, "fr-dgsi")] {
        n.ok(&["org", "add", other]);
        n.channel("fr-be", ["fr-dgsi", "be-vsse"]);
    }
    let shared = a.collection("shared", "fr-be");
    let token = a.token_user("be-node", "be-vsse", "service", "shared", &["--read"]);
    b.collection("from-fr", "fr-be");
    b.ok(&["org", "key", "add", "fr-dgsi", &a.identity()]);
    let token_file = b.file("fr.token", &token);
    (a, b, shared, token_file)
}

pub(crate) fn free_addr() -> String {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// A serving node; dropping it kills the process (SIGKILL on Unix: nothing is flushed or
/// shut down cleanly).
pub(crate) struct Served {
    pub(crate) child: Child,
    pub(crate) addr: String,
}

impl Served {
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
