//! Federation under faults (issue 6, "Tests that must exist: Faults"): real `entente`
//! processes on loopback, killed and restarted in the middle of a large pull, and partner
//! peers that are down, slow, or answer garbage, 5xx, truncated JSON or wrongly signed
//! versions, plus partners whose clocks are far from ours.
//!
//! The misbehaving partners are [`FakePeer`]s: a few lines of HTTP/1.1 over
//! `std::net::TcpListener` inside the test, so that each fault is exactly the one named. The
//! receiving node is always the real binary; what it stored is read back through its CLI.
//! The versions a fake peer serves are signed with a key made here (the same signing code a
//! node uses), registered on the receiving node as the partner organisation's key.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use common::{Node, free_addr, peer_add, text, two_nodes};
use entente_server::federation::signing::NodeIdentity;
use entente_stix::provenance;

const TAXII: &str = "application/taxii+json;version=2.1";

/// Waits up to `limit` for `f` to hold, checking every 200 ms.
fn wait_for(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

// ---------------------------------------------------------------------------------------
// Content.

fn indicator(i: usize, created: &str, label: &str) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:08x}-0000-4000-8000-000000000000","created":"{created}","modified":"{created}","name":"{label} {i}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
        i % 250
    )
}

fn lines(range: std::ops::Range<usize>, created: &str) -> String {
    range
        .map(|i| indicator(i, created, "shared") + "\n")
        .collect()
}

fn signed(identity: &NodeIdentity, json: &str) -> String {
    let o = entente_stix::Object::from_json(json).unwrap();
    provenance::attach_signature(&o, &identity.sign(&o).unwrap())
}

/// A TAXII envelope of raw objects.
fn envelope(objects: &[String], more: bool) -> String {
    format!(r#"{{"more":{more},"objects":[{}]}}"#, objects.join(","))
}

// ---------------------------------------------------------------------------------------
// The receiving side alone.

/// The receiving node B (be-vsse): channel fr-be exposed in `from-fr`, and `keys`
/// registered as fr-dgsi's.
fn receiver(keys: &[&str]) -> Node {
    let b = Node::new("be-vsse");
    b.ok(&["org", "add", "fr-dgsi"]);
    b.channel("fr-be", ["fr-dgsi", "be-vsse"]);
    b.collection("from-fr", "fr-be");
    for k in keys {
        b.ok(&["org", "key", "add", "fr-dgsi", k]);
    }
    b
}

/// Registers peer `fr` on `b`: pulls `remote` at `url` into `from-fr`.
fn add_peer(b: &Node, url: &str, remote: &str, token_file: &str, interval: u64) {
    b.ok(&peer_add(
        ["fr", url, "fr-dgsi", "fr-be", remote, "from-fr", token_file],
        &["--interval", &interval.to_string()],
    ));
}

/// B with a partner key made here and peer `fr` pointing at `url` (a fake peer).
fn receiver_of(url: &str, identity: &NodeIdentity) -> Node {
    let b = receiver(&[identity.public_key()]);
    let token = b.file("fr.token", "token-for-the-fake-peer");
    add_peer(&b, url, "shared", &token, 1);
    b
}

// ---------------------------------------------------------------------------------------
// A fake peer.

/// What the fake peer answers to one request.
enum Reply {
    /// A complete HTTP/1.1 response, after `delay`.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Bytes that are not HTTP at all, then the connection is closed.
    Raw(Vec<u8>),
    /// A 200 whose `Content-Length` announces `declared` bytes but whose connection closes
    /// after `body`.
    CutShort { body: Vec<u8>, declared: usize },
}

impl Reply {
    fn taxii(body: String) -> Reply {
        Reply::Http {
            status: 200,
            headers: vec![("Content-Type".into(), TAXII.into())],
            body: body.into_bytes(),
            delay: Duration::ZERO,
        }
    }

    fn status(status: u16) -> Reply {
        Reply::Http {
            status,
            headers: vec![("Content-Type".into(), TAXII.into())],
            body: format!(r#"{{"title":"status {status}","http_status":"{status}"}}"#).into_bytes(),
            delay: Duration::ZERO,
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    fn after(mut self, wait: Duration) -> Reply {
        if let Reply::Http { delay, .. } = &mut self {
            *delay = wait;
        }
        self
    }
}

type Handler = dyn Fn(&str) -> Reply + Send + Sync;

/// A partner that answers every request to its collection's objects with what its handler
/// says (given the request target, path and query), and 404 to the deletion log (what a
/// TAXII server that is not an entente node answers). It records the target of every request
/// with the time it arrived.
struct FakePeer {
    addr: String,
    requests: Arc<Mutex<Vec<(Instant, String)>>>,
    stop: Arc<AtomicBool>,
}

impl FakePeer {
    fn start(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> FakePeer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let requests: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let (requests, stop) = (requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let (requests, handler) = (requests.clone(), handler.clone());
                    std::thread::spawn(move || answer(conn, &requests, &*handler));
                }
            });
        }
        FakePeer {
            addr,
            requests,
            stop,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/api1/", self.addr)
    }

    /// The targets of the requests for objects, in order of arrival.
    fn object_requests(&self) -> Vec<(Instant, String)> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, t)| t.contains("/objects/"))
            .cloned()
            .collect()
    }
}

impl Drop for FakePeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
    }
}

fn answer(mut conn: TcpStream, requests: &Mutex<Vec<(Instant, String)>>, handler: &Handler) {
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = text(&head);
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    requests
        .lock()
        .unwrap()
        .push((Instant::now(), target.clone()));
    let reply = if target.contains("/deletions/") {
        Reply::status(404)
    } else {
        handler(&target)
    };
    let _ = match reply {
        Reply::Http {
            status,
            headers,
            body,
            delay,
        } => {
            std::thread::sleep(delay);
            let mut out = format!(
                "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
                if status < 400 { "OK" } else { "Error" },
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            conn.write_all(out.as_bytes())
                .and_then(|()| conn.write_all(&body))
        }
        Reply::Raw(bytes) => conn.write_all(&bytes),
        Reply::CutShort { body, declared } => {
            let out = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {TAXII}\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
            );
            conn.write_all(out.as_bytes())
                .and_then(|()| conn.write_all(&body))
        }
    };
    let _ = conn.flush();
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

/// The value of query parameter `name` in a request target, decoded.
fn query_param(target: &str, name: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (decode(k) == name).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

// ---------------------------------------------------------------------------------------
// 1. Killed in the middle of a large pull.

/// Issue 6: kill -9 the receiving node in the middle of a pull of 100,000 versions and
/// restart it (three times), then kill the source in the middle and restart it on the same
/// port: the receiver ends with exactly the source's versions, each stored once (none lost,
/// none counted twice), as its peer state says after every kill.
#[test]
fn issue_6_a_large_pull_survives_killing_either_node() {
    const TOTAL: u64 = 100_000;
    let started = Instant::now();
    let (a, b, shared, token_file) = two_nodes();
    let input = a.file(
        "large.jsonl",
        &lines(0..TOTAL as usize, "2026-01-01T00:00:00.000Z"),
    );
    a.ok(&["import", &input, "-c", "shared", "--originator", "fr-dgsi"]);
    assert_eq!(a.versions("shared"), TOTAL);
    let imported = started.elapsed();

    let mut source = a.serve();
    let addr = source.addr.clone();
    add_peer(&b, &format!("http://{addr}/api1/"), &shared, &token_file, 1);

    // The receiver is killed mid-pull three times, each once some more pages are stored, and
    // restarted. A page and the peer state that moves past it are one transaction: whenever
    // the kill lands, the versions held are exactly those the state counts.
    let mut receiving = b.serve();
    let mut held = 0;
    for _ in 0..3 {
        wait_for(Duration::from_secs(600), "more pages", || {
            b.stored("fr") >= held + 15_000
        });
        receiving.kill();
        held = b.versions("from-fr");
        let stored = b.stored("fr");
        assert!(
            held < TOTAL,
            "the pull was not interrupted: {held} versions"
        );
        assert_eq!(held, stored, "the versions held and the state disagree");
        eprintln!("receiver killed at {stored} stored");
        receiving = b.serve();
    }

    // It resumes; then the source is killed mid-pull and restarted on its port.
    wait_for(Duration::from_secs(600), "the pull to go on", || {
        b.stored("fr") >= held + 15_000
    });
    source.kill();
    let at_source_kill = b.stored("fr");
    assert!(
        at_source_kill < TOTAL,
        "the pull ended before the source was killed"
    );
    wait_for(
        Duration::from_secs(60),
        "the receiver to see the failure",
        || b.failures("fr") >= 1,
    );
    let error = b.show("fr", "last error");
    assert!(error.contains(&addr), "the error names the peer: {error}");
    eprintln!("source killed at {at_source_kill} stored: {error}");
    let restarted = Instant::now();
    source = loop {
        if let Some(s) = a.serve_on(&addr) {
            break s;
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(60),
            "the source could not listen on {addr} again"
        );
        std::thread::sleep(Duration::from_millis(200));
    };

    wait_for(Duration::from_secs(900), "the pull to complete", || {
        b.stored("fr") >= TOTAL && b.failures("fr") == 0
    });
    drop(receiving);
    drop(source);
    assert_eq!(b.versions("from-fr"), TOTAL);
    assert_eq!(b.stored("fr"), TOTAL, "each version counted once");
    assert_eq!(b.show("fr", "last error"), "-");
    assert_eq!(b.show("fr", "refused"), "0");
    assert_eq!(a.versions("shared"), TOTAL);
    eprintln!(
        "100,000 versions: imported in {:.0?}, whole test {:.0?}",
        imported,
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------
// 2. Peers that fail.

/// After a failed sync: exit status 1 with the reason, `peer show` failing with a clear last
/// error, nothing stored.
fn assert_failed(b: &Node, expect: &[&str]) -> String {
    let out = b.run(&["peer", "sync", "fr"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{err}", text(&out.stdout));
    assert!(err.contains("pulling from fr failed"), "{err}");
    let last = b.show("fr", "last error");
    for e in expect {
        assert!(last.contains(e), "last error {last:?} lacks {e:?}");
    }
    assert_eq!(b.failures("fr"), 1);
    assert_eq!(b.show("fr", "last success"), "never");
    assert_eq!(b.stored("fr"), 0);
    assert_eq!(b.versions("from-fr"), 0);
    assert_eq!(b.show("fr", "cursor"), "(from the start)");
    last
}

#[test]
fn a_peer_that_is_down_fails_clearly() {
    let addr = free_addr();
    let identity = NodeIdentity::generate();
    let b = receiver_of(&format!("http://{addr}/api1/"), &identity);
    let started = Instant::now();
    let last = assert_failed(&b, &[&addr]);
    // Connection refused is retried by the client before the sync gives up.
    assert!(started.elapsed() >= Duration::from_millis(300));
    let audit = b.audit();
    assert!(
        audit
            .lines()
            .any(|l| l.contains("federation.pull") && l.contains("deny")),
        "{audit}"
    );
    // The status says why: an operator must tell a partner that is down from one that
    // answers garbage or cuts its answers short.
    assert!(
        last.to_lowercase().contains("refused"),
        "the last error does not say the connection was refused: {last}"
    );
}

#[test]
fn a_peer_that_answers_500_is_retried_then_fails() {
    let identity = NodeIdentity::generate();
    let peer = FakePeer::start(|_| Reply::status(500));
    let b = receiver_of(&peer.url(), &identity);
    assert_failed(&b, &["500"]);
    let n = peer.object_requests().len();
    assert!(n > 1, "a 500 is retried: {n} requests");
    // The client gives up after its retries; the scheduler retries later.
    assert!(n <= 10, "{n} requests");
}

#[test]
fn a_peer_that_answers_garbage_stores_nothing() {
    let identity = NodeIdentity::generate();
    // Not HTTP at all.
    let peer = FakePeer::start(|_| Reply::Raw(b"\x00\xffSSH-2.0-garbage\r\n\x07\x08".to_vec()));
    let b = receiver_of(&peer.url(), &identity);
    assert_failed(&b, &[&peer.addr]);
    // HTTP, the TAXII media type, but not JSON.
    let peer = FakePeer::start(|_| Reply::taxii("<html>\u{1}\u{2} not json".into()));
    let b = receiver_of(&peer.url(), &identity);
    assert_failed(&b, &["not the expected TAXII resource"]);
    // JSON, but not an envelope.
    let peer = FakePeer::start(|_| Reply::taxii(r#"{"objects":"none","more":7}"#.into()));
    let b = receiver_of(&peer.url(), &identity);
    assert_failed(&b, &["not the expected TAXII resource"]);
    // An envelope of things that are not STIX objects: refused one by one, none stored.
    let peer = FakePeer::start(|_| Reply::taxii(r#"{"objects":[{"a":1},"x",[]]}"#.into()));
    let b = receiver_of(&peer.url(), &identity);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0, rejected 3"), "{out}");
    assert_eq!(b.show("fr", "refused"), "0", "invalid objects are rejected");
    assert_eq!(b.versions("from-fr"), 0);
}

#[test]
fn a_peer_that_sends_truncated_json_stores_nothing() {
    let identity = NodeIdentity::generate();
    let full = envelope(
        &(0..5)
            .map(|i| signed(&identity, &indicator(i, "2026-01-01T00:00:00.000Z", "cut")))
            .collect::<Vec<_>>(),
        false,
    );
    // A complete response whose JSON stops in the middle of an object.
    let half = full[..full.len() / 2].to_owned();
    let peer = FakePeer::start(move |_| Reply::taxii(half.clone()));
    let b = receiver_of(&peer.url(), &identity);
    assert_failed(&b, &["not the expected TAXII resource"]);
    // A response cut off before its announced length: the connection closes early.
    let cut = full.as_bytes()[..full.len() / 2].to_vec();
    let declared = full.len();
    let peer = FakePeer::start(move |_| Reply::CutShort {
        body: cut.clone(),
        declared,
    });
    let b = receiver_of(&peer.url(), &identity);
    assert_failed(&b, &[&peer.addr]);
    assert!(
        peer.object_requests().len() > 1,
        "a cut response is retried"
    );
}

/// A pull that breaks after some pages keeps what it stored, and the next pull resumes after
/// the last stored page (from the peer's X-TAXII-Date-Added-Last): no version is lost or
/// stored twice.
#[test]
fn a_pull_broken_midway_keeps_its_pages_and_resumes() {
    const FIRST: &str = "2026-05-01T10:00:00.000001Z";
    const SECOND: &str = "2026-05-01T10:00:00.000002Z";
    let identity = NodeIdentity::generate();
    let page = |range: std::ops::Range<usize>, more: bool| {
        let objects: Vec<String> = range
            .map(|i| signed(&identity, &indicator(i, "2026-01-01T00:00:00.000Z", "mid")))
            .collect();
        let e = envelope(&objects, more);
        if more {
            format!(r#"{{"next":"page-2",{}"#, &e[1..])
        } else {
            e
        }
    };
    let (first, second) = (page(0..3, true), page(3..6, false));
    let healed = Arc::new(AtomicBool::new(false));
    let peer = {
        let healed = healed.clone();
        FakePeer::start(move |target| {
            let reply = match (
                query_param(target, "next"),
                query_param(target, "added_after"),
            ) {
                (None, None) => first.clone(),
                (Some(_), _) if !healed.load(Ordering::SeqCst) => {
                    second[..second.len() - 40].to_owned()
                }
                _ => second.clone(),
            };
            let last = if reply == first { FIRST } else { SECOND };
            Reply::taxii(reply).with_header("X-TAXII-Date-Added-Last", last)
        })
    };
    let b = receiver_of(&peer.url(), &identity);
    let out = b.run(&["peer", "sync", "fr"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_eq!(b.versions("from-fr"), 3, "the first page stays stored");
    assert_eq!(b.stored("fr"), 3);
    assert_eq!(b.show("fr", "cursor"), FIRST);
    assert_eq!(b.failures("fr"), 1);
    healed.store(true, Ordering::SeqCst);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 3, duplicates 0, rejected 0"), "{out}");
    assert_eq!(b.versions("from-fr"), 6);
    assert_eq!(b.stored("fr"), 6);
    assert_eq!(b.show("fr", "cursor"), SECOND);
    assert_eq!(b.failures("fr"), 0);
    assert_eq!(b.show("fr", "last error"), "-");
    let resumed = peer.object_requests().last().unwrap().1.clone();
    assert_eq!(
        query_param(&resumed, "added_after").as_deref(),
        Some(FIRST),
        "{resumed}"
    );
}

/// The client's timeout is 60 s per request, retried three times: a peer slower than that
/// would keep a test four minutes. A peer that is slow but answers within it is waited for.
#[test]
fn a_slow_peer_within_the_timeout_is_waited_for() {
    let identity = NodeIdentity::generate();
    let objects: Vec<String> = (0..3)
        .map(|i| signed(&identity, &indicator(i, "2026-01-01T00:00:00.000Z", "slow")))
        .collect();
    let body = envelope(&objects, false);
    let peer = FakePeer::start(move |_| {
        Reply::taxii(body.clone())
            .with_header("X-TAXII-Date-Added-Last", "2026-03-01T00:00:00.000000Z")
            .after(Duration::from_secs(3))
    });
    let b = receiver_of(&peer.url(), &identity);
    let started = Instant::now();
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(out.contains("stored 3, duplicates 0, rejected 0"), "{out}");
    assert_eq!(peer.object_requests().len(), 1, "not retried");
    assert_eq!(b.versions("from-fr"), 3);
    assert_eq!(b.show("fr", "last error"), "-");
}

/// Versions whose signature is altered, by an unknown key, or missing are refused one by one
/// and audited; the pull itself completes, the peer state counts them, nothing is stored.
#[test]
fn wrongly_signed_versions_are_refused_and_audited() {
    let partner = NodeIdentity::generate();
    let stranger = NodeIdentity::generate();
    let object = |i: usize| indicator(i, "2026-01-01T00:00:00.000Z", "signed");
    let tampered_payload =
        |i: usize| signed(&partner, &object(i)).replace(&format!("\"signed {i}\""), "\"altered\"");
    let tampered_signature = |i: usize| {
        let o = entente_stix::Object::from_json(&object(i)).unwrap();
        let mut bad = partner.sign(&o).unwrap();
        let first = if bad.signature.starts_with('A') {
            "B"
        } else {
            "A"
        };
        bad.signature.replace_range(..1, first);
        provenance::attach_signature(&o, &bad)
    };
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "signature-invalid",
            (0..4).map(tampered_payload).collect::<Vec<_>>(),
        ),
        (
            "signature-invalid",
            (0..4).map(tampered_signature).collect(),
        ),
        (
            "signature-unknown-key",
            (0..4).map(|i| signed(&stranger, &object(i))).collect(),
        ),
        ("signature-missing", (0..4).map(object).collect()),
    ];
    for (rule, objects) in cases {
        assert!(
            objects
                .iter()
                .all(|o| entente_stix::Object::from_json(o).is_ok())
        );
        let body = envelope(&objects, false);
        let peer = FakePeer::start(move |_| Reply::taxii(body.clone()));
        let b = receiver_of(&peer.url(), &partner);
        let out = b.ok(&["peer", "sync", "fr"]);
        assert!(
            out.contains("stored 0, duplicates 0, rejected 4"),
            "{rule}: {out}"
        );
        assert!(
            out.contains("4 refused for their signature"),
            "{rule}: {out}"
        );
        assert_eq!(b.show("fr", "refused"), "4", "{rule}");
        assert_eq!(b.stored("fr"), 0);
        assert_eq!(b.versions("from-fr"), 0, "{rule}");
        let audit = b.audit();
        let refused: Vec<&str> = audit
            .lines()
            .filter(|l| l.contains("\tfederation.refused\t"))
            .collect();
        assert_eq!(refused.len(), 4, "{rule}: {audit}");
        assert!(
            refused
                .iter()
                .all(|l| l.contains(rule) && l.contains("deny")),
            "{rule}: {refused:?}"
        );
    }

    // A mixed page: the good versions are stored, only the bad ones refused.
    let mut objects: Vec<String> = (10..13).map(|i| signed(&partner, &object(i))).collect();
    objects.push(tampered_payload(13));
    objects.push(signed(&stranger, &object(14)));
    let body = envelope(&objects, false);
    let peer = FakePeer::start(move |_| Reply::taxii(body.clone()));
    let b = receiver_of(&peer.url(), &partner);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 3, duplicates 0, rejected 2"), "{out}");
    assert_eq!(b.versions("from-fr"), 3);
    assert_eq!(b.show("fr", "refused"), "2");
}

/// While the node serves, a failing peer is retried less and less often: its failures
/// count up, the spacing between attempts grows, and over the same window it is asked far
/// less often than a healthy peer on the same interval.
#[test]
fn a_failing_peer_is_retried_with_backoff() {
    const WINDOW: Duration = Duration::from_secs(20);
    let identity = NodeIdentity::generate();
    // A non-retryable failure (not JSON): one request per attempt.
    let failing = FakePeer::start(|_| Reply::taxii("garbage".into()));
    let healthy = FakePeer::start(|_| Reply::taxii(envelope(&[], false)));
    let b_failing = receiver_of(&failing.url(), &identity);
    let b_healthy = receiver_of(&healthy.url(), &identity);
    let serving = (b_failing.serve(), b_healthy.serve());
    wait_for(Duration::from_secs(30), "the first attempts", || {
        !failing.object_requests().is_empty() && !healthy.object_requests().is_empty()
    });
    wait_for(Duration::from_secs(30), "a failure to be recorded", || {
        b_failing.failures("fr") >= 1
    });
    let early = b_failing.failures("fr");
    std::thread::sleep(WINDOW);
    let late = b_failing.failures("fr");
    let shown = b_failing.ok(&["peer", "show", "fr"]);
    drop(serving);

    assert!(late > early, "failures count up: {early} then {late}");
    assert!(late >= 3, "{shown}");
    assert!(shown.contains("not the expected TAXII resource"), "{shown}");
    let in_window = |peer: &FakePeer| {
        let requests = peer.object_requests();
        let first = requests[0].0;
        requests
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t <= first + WINDOW)
            .collect::<Vec<Instant>>()
    };
    let failing_times = in_window(&failing);
    let healthy_times = in_window(&healthy);
    assert!(
        failing_times.len() * 2 < healthy_times.len(),
        "backoff: {} attempts at a failing peer, {} at a healthy one",
        failing_times.len(),
        healthy_times.len()
    );
    let gaps: Vec<Duration> = failing_times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 2, "{gaps:?}");
    assert!(
        *gaps.last().unwrap() >= gaps[0] * 2,
        "the spacing grows: {gaps:?}"
    );
    assert_eq!(b_failing.versions("from-fr"), 0);
    assert_eq!(b_healthy.failures("fr"), 0);
}

// ---------------------------------------------------------------------------------------
// 3. Clocks.

/// Versions created and modified a day ahead of the receiver's clock are pulled and stored
/// like any other.
#[test]
fn versions_from_a_clock_ahead_are_stored() {
    let (a, b, shared, token_file) = two_nodes();
    let now = entente_stix::Timestamp::from_unix_micros(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    );
    let ahead = entente_stix::Timestamp::from_unix_micros(now.unix_micros() + 86_400_000_000);
    // Millisecond precision, as STIX producers commonly write.
    let ahead = format!("{}Z", &ahead.as_str()[..23]);
    let input = a.file("ahead.jsonl", &lines(0..50, &ahead));
    a.ok(&["import", &input, "-c", "shared", "--originator", "fr-dgsi"]);
    let served = a.serve();
    add_peer(
        &b,
        &format!("http://{}/api1/", served.addr),
        &shared,
        &token_file,
        1,
    );
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 50, duplicates 0, rejected 0"), "{out}");
    assert_eq!(b.versions("from-fr"), 50);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0, rejected 0"), "{out}");
}

/// The pull cursor is the peer's clock, never ours: whatever X-TAXII-Date-Added-Last a peer
/// sends, years ahead or years behind, the next pull asks `added_after` exactly that value.
#[test]
fn the_cursor_is_the_peers_clock() {
    const FUTURE: &str = "2093-02-03T04:05:06.789012Z";
    const PAST: &str = "1999-12-31T23:59:59.5Z";
    let identity = NodeIdentity::generate();
    let page = |range: std::ops::Range<usize>| {
        let objects: Vec<String> = range
            .map(|i| {
                signed(
                    &identity,
                    &indicator(i, "2026-01-01T00:00:00.000Z", "clock"),
                )
            })
            .collect();
        envelope(&objects, false)
    };
    let (first, second) = (page(0..2), page(2..4));
    let peer = FakePeer::start(move |target| match query_param(target, "added_after") {
        None => Reply::taxii(first.clone())
            .with_header("X-TAXII-Date-Added-First", FUTURE)
            .with_header("X-TAXII-Date-Added-Last", FUTURE),
        Some(t) if t == FUTURE => Reply::taxii(second.clone())
            .with_header("X-TAXII-Date-Added-First", PAST)
            .with_header("X-TAXII-Date-Added-Last", PAST),
        Some(_) => Reply::taxii(envelope(&[], false)),
    });
    let b = receiver_of(&peer.url(), &identity);

    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 2, duplicates 0"), "{out}");
    assert_eq!(b.show("fr", "cursor"), FUTURE);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 2, duplicates 0"), "{out}");
    assert_eq!(b.show("fr", "cursor"), PAST);
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0"), "{out}");
    // An empty page (no header) leaves the cursor where it was.
    assert_eq!(b.show("fr", "cursor"), PAST);

    let asked: Vec<Option<String>> = peer
        .object_requests()
        .iter()
        .map(|(_, t)| query_param(t, "added_after"))
        .collect();
    assert_eq!(
        asked,
        [None, Some(FUTURE.to_owned()), Some(PAST.to_owned())],
        "{:?}",
        peer.object_requests()
    );
    assert_eq!(b.versions("from-fr"), 4);
}
