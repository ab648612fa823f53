//! Interoperability with clients nobody on this project wrote: the OASIS Python libraries
//! `taxii2-client` and `stix2` drive a real node (the built `entente` binary) through the whole
//! TAXII 2.1 API. The Python side lives in `tests/interop/test_taxii_interop.py`.
//!
//! This test creates a data folder with `entente init`, starts `entente serve` on a free
//! loopback port, runs `python3 -m pytest -q tests/interop` against it, and stops the node
//! whether the run passed or not. Besides the admin credential printed by `init`, it gives the
//! Python side a bearer token, a read-only user and a user without access to the collection.
//!
//! When the Python packages are not importable the test is skipped with a message, unless
//! `ENTENTE_REQUIRE_INTEROP=1` is set (as in CI), in which case it fails.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_entente");

/// How long the node may take to answer `GET /health` after it was started.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// How many ports are tried when the one picked was taken meanwhile.
const PORT_ATTEMPTS: usize = 5;
/// Variables that would point the node somewhere else than the folder made for the test.
const NODE_ENV: [&str; 5] = [
    "ENTENTE_DATA",
    "ENTENTE_STORE_URL",
    "ENTENTE_SERVER_LISTEN",
    "ENTENTE_LOG",
    "ENTENTE_LOG_FORMAT",
];

/// Whether the run must fail (rather than skip) when the Python clients are missing.
///
/// Reading the process environment directly is deliberate here: this is a test harness switch,
/// not a node setting, so it does not belong to `entente_server::config`.
#[allow(clippy::disallowed_methods)]
fn interop_required() -> bool {
    std::env::var("ENTENTE_REQUIRE_INTEROP").is_ok_and(|v| v == "1")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python_clients_importable() -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import taxii2client.v21, stix2, pytest"])
        .output()
        .map_err(|e| format!("python3 could not be started: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        // The last line of the traceback names the missing module.
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(stderr.trim().lines().last().unwrap_or_default().to_owned())
    }
}

fn entente(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data").arg(data);
    for name in NODE_ENV {
        cmd.env_remove(name);
    }
    cmd
}

/// A user who may read the collection `home` but not write it.
const READER: &str = "interop-reader";
const READER_PASSWORD: &str = "reader-password-for-interop";
/// A user with no access to the collection `home`.
const OUTSIDER: &str = "interop-outsider";
const OUTSIDER_PASSWORD: &str = "outsider-password-for-interop";

fn cli(data: &Path, args: &[&str]) -> Command {
    let mut cmd = entente(data);
    cmd.args(args);
    cmd
}

/// `entente user add NAME --role analyst --password-stdin`, the password written on stdin.
fn add_user(data: &Path, name: &str, password: &str) {
    let mut child = cli(
        data,
        &[
            "user",
            "add",
            name,
            "--role",
            "analyst",
            "--password-stdin",
            // The OASIS clients send no Entente-Purpose header: the users get a default.
            "--purpose",
            "investigation",
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("entente user add starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(format!("{password}\n").as_bytes())
        .expect("the password is written");
    let out = child.wait_with_output().expect("entente user add ends");
    assert!(
        out.status.success(),
        "entente user add {name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn run(mut cmd: Command) -> Output {
    let out = cmd.output().expect("the entente binary runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The admin password printed once by `entente init` (the line `password: <value>`).
fn admin_password(init_stdout: &str) -> String {
    init_stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("password:"))
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| panic!("no `password:` line in the output of init:\n{init_stdout}"))
}

/// A running node; stopped (killed and reaped) when dropped, also when the test panics.
struct Node {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A loopback port that was free a moment ago (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a loopback port can be bound")
}

/// True when `GET /health` answers 200.
fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    match stream.read_exact(&mut head) {
        Ok(()) => head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200"),
        Err(_) => false,
    }
}

/// Starts `entente serve` on a free loopback port and waits (bounded) until it is healthy.
/// A port taken between picking and binding makes the node exit: another port is tried.
fn start_node(data: &Path) -> Node {
    let mut failures = Vec::new();
    for attempt in 0..PORT_ATTEMPTS {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port())
            .parse()
            .expect("an address");
        let log = data.join(format!("serve-{attempt}.log"));
        let file = std::fs::File::create(&log).expect("the log file can be created");
        let child = entente(data)
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log file handle can be cloned"))
            .stderr(file)
            .spawn()
            .expect("entente serve starts");
        let mut node = Node { child, addr, log };
        let started = Instant::now();
        loop {
            if healthy(node.addr) {
                return node;
            }
            if let Ok(Some(status)) = node.child.try_wait() {
                failures.push(format!(
                    "{addr}: exited with {status}:\n{}",
                    node.log_text()
                ));
                break;
            }
            if started.elapsed() > STARTUP_LIMIT {
                panic!(
                    "the node on {addr} did not answer GET /health within {STARTUP_LIMIT:?}:\n{}",
                    node.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!(
        "the node did not start on any of {PORT_ATTEMPTS} ports:\n{}",
        failures.join("\n")
    );
}

#[test]
fn oasis_python_clients_drive_a_real_node() {
    if let Err(why) = python_clients_importable() {
        assert!(
            !interop_required(),
            "ENTENTE_REQUIRE_INTEROP=1 but the OASIS Python clients are not importable \
             (pip install -r tests/interop/requirements.txt): {why}"
        );
        eprintln!(
            "SKIPPED oasis_python_clients_drive_a_real_node: the OASIS Python clients are not \
             importable (pip install -r tests/interop/requirements.txt): {why}"
        );
        return;
    }

    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("node");
    let init = run(cli(&data, &["init"]));
    let password = admin_password(&String::from_utf8_lossy(&init.stdout));
    run(cli(&data, &["user", "purpose", "admin", "investigation"]));
    let token = String::from_utf8_lossy(&run(cli(&data, &["user", "token", "admin"])).stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !token.is_empty(),
        "`entente user token admin` printed no token"
    );
    add_user(&data, READER, READER_PASSWORD);
    run(cli(
        &data,
        &["user", "grant", READER, "--collection", "home", "--read"],
    ));
    add_user(&data, OUTSIDER, OUTSIDER_PASSWORD);

    let node = start_node(&data);
    let out = Command::new("python3")
        .args([
            "-m",
            "pytest",
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            "tests/interop",
        ])
        .current_dir(workspace_root())
        .env("ENTENTE_INTEROP_URL", format!("http://{}", node.addr))
        .env("ENTENTE_INTEROP_USER", "admin")
        .env("ENTENTE_INTEROP_PASSWORD", &password)
        .env("ENTENTE_INTEROP_TOKEN", &token)
        .env("ENTENTE_INTEROP_READER_USER", READER)
        .env("ENTENTE_INTEROP_READER_PASSWORD", READER_PASSWORD)
        .env("ENTENTE_INTEROP_OUTSIDER_USER", OUTSIDER)
        .env("ENTENTE_INTEROP_OUTSIDER_PASSWORD", OUTSIDER_PASSWORD)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("python3 -m pytest starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = format!(
        "pytest ({}):\n{stdout}\n{stderr}\nnode log:\n{}",
        out.status,
        node.log_text()
    );
    assert!(
        out.status.success(),
        "the OASIS clients found problems: {report}"
    );
    // A run where everything was skipped also exits 0: require that tests really ran.
    let summary = stdout.lines().last().unwrap_or_default();
    assert!(summary.contains(" passed"), "no test passed: {report}");
    assert!(
        !summary.contains("skipped"),
        "some tests were skipped: {report}"
    );
    eprintln!("OASIS Python clients against the node: {summary}");
    drop(node);
}

#[test]
fn admin_password_is_read_from_the_init_output() {
    let text = "Initialised /tmp/x\n  admin user: admin\n  password:   s3cret-Value_9\nThe password is shown only once.\n";
    assert_eq!(admin_password(text), "s3cret-Value_9");
}
