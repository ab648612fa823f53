//! The README's examples, run as written: the quickstart's `curl` commands against a demo node.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

mod common;

use common::{Served, free_addr};

/// A running `entente demo` (stopped when dropped) and the analyst's password it printed.
struct Demo {
    served: Served,
    analyst_password: String,
}

/// Starts `entente demo` on a free port and reads the analyst's password from what it prints;
/// `None` when it stopped before serving (the port was taken meanwhile).
fn start_demo(addr: &str) -> Option<Demo> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(["--log", "warn", "demo", "--listen", addr])
        .env_remove("ENTENTE_DATA")
        .env_remove("ENTENTE_STORE_URL")
        .env_remove("ENTENTE_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut password = None;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(p) = line.trim().strip_prefix("analyst:") {
            password = p.trim().strip_prefix("analyst / ").map(str::to_owned);
        }
        if line.starts_with("Press Ctrl-C") {
            let analyst_password = password.expect("the demo prints the analyst's password");
            return Some(Demo {
                served: Served {
                    child,
                    addr: addr.to_owned(),
                },
                analyst_password,
            });
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// The first `sh` block of `markdown` that contains `needle`.
fn sh_block<'a>(markdown: &'a str, needle: &str) -> &'a str {
    markdown
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block))
        .find(|block| block.contains(needle))
        .unwrap_or_else(|| panic!("no sh block with {needle:?} in the README"))
}

#[test]
fn the_quickstart_curl_examples_work_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let block = sh_block(&readme, "PASS=...");
    let demo = (0..10)
        .find_map(|_| start_demo(&free_addr()))
        .expect("entente demo did not start");

    // The block as written, with the password the demo printed and the port it got; curl
    // fails on an HTTP error.
    let mut script = String::from(
        "set -euo pipefail\n\
         curl() { command curl --silent --show-error --fail-with-body --max-time 60 \"$@\"; }\n",
    );
    for line in block.lines() {
        if line.starts_with("PASS=") {
            script.push_str(&format!("PASS='{}'\n", demo.analyst_password));
        } else {
            script.push_str(&line.replace("127.0.0.1:8443", &demo.served.addr));
            script.push('\n');
        }
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Stored objects are served as they were written, over several lines or one.
    let answers: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let [discovery, collections, actors, manifest, status, versions] = &answers[..] else {
        panic!("six answers expected, one per curl:\n{stdout}");
    };
    assert_eq!(discovery["api_roots"].as_array().map(Vec::len), Some(1));
    assert!(
        collections["collections"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{collections}"
    );
    let actors = actors["objects"].as_array().expect("an envelope");
    assert!((1..=5).contains(&actors.len()), "{actors:?}");
    assert!(actors.iter().all(|o| o["type"] == "threat-actor"));
    let manifest = manifest["objects"].as_array().expect("a manifest");
    assert!((1..=10).contains(&manifest.len()), "{manifest:?}");
    assert_eq!(status["status"], "complete", "{status}");
    assert_eq!(status["success_count"], 1, "{status}");
    assert_eq!(
        versions["versions"],
        serde_json::json!(["2026-11-29T10:00:00.000Z"]),
        "{versions}"
    );
}
