//! Transport security over real TLS on loopback (issue 6): a node serving rustls with
//! certificates made here by rcgen, clients that trust its CA or pin its certificate, mutual
//! TLS with client certificates accepted by CA or by pin, and a federation pull between two
//! nodes over mutual TLS.

// Only `peer_add` of the shared harness: this file serves nodes with certificates.
mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use entente_taxii::Client;
use entente_taxii::client::Error;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A certificate and its private key, both PEM.
struct Identity {
    cert: String,
    key: String,
}

/// A certificate authority made for one test.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for loopback, signed by this CA.
    fn server(&self) -> Identity {
        leaf("node", Some(self), ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate, signed by this CA.
    fn client(&self, name: &str) -> Identity {
        leaf(name, Some(self), ExtendedKeyUsagePurpose::ClientAuth)
    }
}

/// A certificate for `127.0.0.1` and `localhost`, signed by `ca` or by its own key.
fn leaf(name: &str, ca: Option<&Ca>, usage: ExtendedKeyUsagePurpose) -> Identity {
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    Identity {
        cert: cert.pem(),
        key: key.serialize_pem(),
    }
}

fn self_signed_server(name: &str) -> Identity {
    leaf(name, None, ExtendedKeyUsagePurpose::ServerAuth)
}

fn self_signed_client(name: &str) -> Identity {
    leaf(name, None, ExtendedKeyUsagePurpose::ClientAuth)
}

struct Node {
    dir: tempfile::TempDir,
    config: String,
}

impl Node {
    fn new(organisation: &str) -> Node {
        let dir = tempfile::Builder::new()
            .prefix("entente-tls-")
            .tempdir()
            .unwrap();
        let mut n = Node {
            dir,
            config: String::new(),
        };
        n.ok(&["init", "--organisation", organisation]);
        n.config = std::fs::read_to_string(n.config_file()).unwrap();
        n
    }

    fn config_file(&self) -> std::path::PathBuf {
        self.dir.path().join("data").join("entente.toml")
    }

    /// Serves TLS from now on: `section` is the body of `[server.tls]`.
    fn set_tls(&self, section: &str) {
        std::fs::write(
            self.config_file(),
            format!("{}\n[server.tls]\n{section}", self.config),
        )
        .unwrap();
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

    /// Writes a file in the node's folder and returns its path.
    fn file(&self, name: &str, body: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_owned()
    }

    /// A bearer token of a new user of `organisation`.
    fn token(&self, user: &str, organisation: &str) -> String {
        self.ok(&[
            "user",
            "add",
            user,
            "--organisation",
            organisation,
            "--token-only",
        ])
        .lines()
        .find_map(|l| l.trim().strip_prefix("token:").map(|t| t.trim().to_owned()))
        .expect("a token is printed")
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

impl Served {
    fn discovery_url(&self) -> String {
        format!("https://{}/taxii2/", self.addr)
    }
}

impl Served {
    /// Stops the node as an operator would (SIGTERM) and returns how it ended.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("entente serve did not stop on SIGTERM");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Discovery through `client`: its title, or the error.
fn discover(client: entente_taxii::ClientBuilder, url: &str) -> Result<Vec<String>, Error> {
    let client = client
        .retry(entente_taxii::client::RetryPolicy {
            max_retries: 0,
            ..Default::default()
        })
        .build()
        .unwrap();
    block_on(client.discovery(url)).map(|d| d.api_roots)
}

/// Asserts that `result` is a TLS failure whose reason contains `reason`.
fn refused_by_tls(result: Result<Vec<String>, Error>, reason: &str) {
    match result {
        Err(e @ Error::Tls { .. }) => {
            assert!(e.to_string().contains(reason), "{e}");
        }
        other => panic!("expected a TLS failure ({reason}), got {other:?}"),
    }
}

#[test]
fn a_tls_node_answers_clients_that_trust_its_ca() {
    let ca = Ca::new("entente test CA");
    let server = ca.server();
    let node = Node::new("fr-dgsi");
    let token = node.token("alice", "fr-dgsi");
    let cert = node.file("node.crt", &server.cert);
    let key = node.file("node.key", &server.key);
    node.set_tls(&format!("certificate = {cert:?}\nprivate_key = {key:?}\n"));
    let served = node.serve();
    let url = served.discovery_url();

    let roots = discover(
        Client::builder()
            .bearer_token(&token)
            .add_root_certificate(ca.pem()),
        &url,
    )
    .unwrap();
    // The node knows it serves TLS: discovery advertises https URLs.
    assert_eq!(roots, [format!("https://{}/api1/", served.addr)]);

    // Without the CA, the node's certificate is not trusted.
    refused_by_tls(
        discover(Client::builder().bearer_token(&token), &url),
        "invalid peer certificate",
    );
    // Trusting another CA does not help.
    refused_by_tls(
        discover(
            Client::builder()
                .bearer_token(&token)
                .add_root_certificate(Ca::new("another CA").pem()),
            &url,
        ),
        "invalid peer certificate",
    );
    // Plain HTTP on the TLS port gets nowhere.
    let plain = discover(
        Client::builder().bearer_token(&token),
        &format!("http://{}/taxii2/", served.addr),
    );
    assert!(plain.is_err(), "{plain:?}");
    // Shutting down still works with TLS: the node stops cleanly on SIGTERM.
    assert!(served.terminate().success());

    // A certificate file that is not one stops the node at start, naming the file.
    let bad = node.file("bad.crt", "not a certificate\n");
    node.set_tls(&format!("certificate = {bad:?}\nprivate_key = {key:?}\n"));
    let out = node.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("server.tls.certificate") && err.contains("bad.crt"),
        "{err}"
    );
}

#[test]
fn a_pinned_client_accepts_exactly_the_pinned_certificate() {
    // Self-signed, as partners' nodes often are: no CA vouches for it, the pin does.
    let server = self_signed_server("fr-node");
    let node = Node::new("fr-dgsi");
    let token = node.token("alice", "fr-dgsi");
    let cert = node.file("node.crt", &server.cert);
    let key = node.file("node.key", &server.key);
    node.set_tls(&format!("certificate = {cert:?}\nprivate_key = {key:?}\n"));
    let served = node.serve();
    let url = served.discovery_url();

    discover(
        Client::builder()
            .bearer_token(&token)
            .pinned_server_certificate(&server.cert),
        &url,
    )
    .unwrap();
    // Pinned to another certificate: refused, whatever else is trusted.
    let other = self_signed_server("fr-node");
    refused_by_tls(
        discover(
            Client::builder()
                .bearer_token(&token)
                .pinned_server_certificate(&other.cert),
            &url,
        ),
        "not the pinned certificate",
    );
    // Unpinned, the self-signed certificate is not trusted.
    refused_by_tls(
        discover(Client::builder().bearer_token(&token), &url),
        "invalid peer certificate",
    );
    // A pin that is no certificate is refused when the client is built.
    let built = Client::builder()
        .pinned_server_certificate("no certificate here")
        .build();
    assert!(
        matches!(&built, Err(Error::TlsSettings(r)) if r.contains("no PEM certificate")),
        "{built:?}"
    );
}

#[test]
fn mutual_tls_refuses_clients_without_an_accepted_certificate() {
    let server = self_signed_server("fr-node");
    let partners = Ca::new("partners CA");
    let by_ca = partners.client("be-node");
    let pinned = self_signed_client("nl-node");
    let unknown = Ca::new("unknown CA").client("mallory");
    let unknown_self_signed = self_signed_client("nl-node");
    let node = Node::new("fr-dgsi");
    let token = node.token("alice", "fr-dgsi");
    let cert = node.file("node.crt", &server.cert);
    let key = node.file("node.key", &server.key);
    let ca = node.file("partners.crt", &partners.pem());
    let pin = node.file("nl.crt", &pinned.cert);
    let tls = format!(
        "certificate = {cert:?}\nprivate_key = {key:?}\nclient_ca = {ca:?}\nclient_certificates = [{pin:?}]\n"
    );
    node.set_tls(&tls);
    let served = node.serve();
    let url = served.discovery_url();
    let client = || {
        Client::builder()
            .bearer_token(&token)
            .pinned_server_certificate(&server.cert)
    };

    // Required (the default with client_ca / client_certificates): no certificate, no
    // connection, token or not.
    refused_by_tls(discover(client(), &url), "CertificateRequired");
    refused_by_tls(
        discover(client().client_identity(&unknown.cert, &unknown.key), &url),
        "the server refused our client certificate",
    );
    refused_by_tls(
        discover(
            client().client_identity(&unknown_self_signed.cert, &unknown_self_signed.key),
            &url,
        ),
        "the server refused our client certificate",
    );
    // A certificate signed by the partners' CA, or exactly the pinned one, is served.
    discover(client().client_identity(&by_ca.cert, &by_ca.key), &url).unwrap();
    discover(client().client_identity(&pinned.cert, &pinned.key), &url).unwrap();
    // A certificate admits the connection, not the request: the token is still needed.
    let anonymous = discover(
        Client::builder()
            .pinned_server_certificate(&server.cert)
            .client_identity(&by_ca.cert, &by_ca.key),
        &url,
    );
    assert_eq!(
        anonymous.as_ref().err().and_then(Error::http_status),
        Some(401),
        "{anonymous:?}"
    );
    // A key that is not the certificate's is refused before any connection.
    let built = client().client_identity(&by_ca.cert, &pinned.key).build();
    assert!(matches!(&built, Err(Error::TlsSettings(_))), "{built:?}");
    drop(served);

    // Optional: a client without a certificate is served, one with an unaccepted one is not.
    node.set_tls(&format!("{tls}client_auth = \"optional\"\n"));
    let served = node.serve();
    let url = served.discovery_url();
    discover(client(), &url).unwrap();
    discover(client().client_identity(&pinned.cert, &pinned.key), &url).unwrap();
    refused_by_tls(
        discover(client().client_identity(&unknown.cert, &unknown.key), &url),
        "the server refused our client certificate",
    );
}

fn indicator(i: usize) -> String {
    format!(
        r#"{{"type":"indicator","spec_version":"2.1","id":"indicator--{i:08x}-0000-4000-8000-000000000000","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"shared {i}","pattern":"[ipv4-addr:value = '198.51.100.{}']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}}"#,
        i % 250
    )
}

#[test]
fn a_peer_is_pulled_over_mutual_tls_with_pinned_certificates() {
    // A (fr-dgsi) shares channel fr-be with B (be-vsse) in collection `shared`; each node
    // pins the other's certificate: A accepts exactly B's client certificate, B exactly A's
    // server certificate.
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
    let objects: String = (0..20).map(|i| indicator(i) + "\n").collect();
    let objects = a.file("objects.jsonl", &objects);
    a.ok(&[
        "import",
        &objects,
        "-c",
        "shared",
        "--originator",
        "fr-dgsi",
    ]);
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
    let identity = a
        .ok(&["identity"])
        .lines()
        .find_map(|l| l.strip_prefix("public key:"))
        .unwrap()
        .trim()
        .to_owned();
    b.ok(&["org", "key", "add", "fr-dgsi", &identity]);
    let token_file = b.file("fr.token", &token);

    let a_server = self_signed_server("fr-node");
    let b_client = self_signed_client("be-node");
    let a_cert = a.file("node.crt", &a_server.cert);
    let a_key = a.file("node.key", &a_server.key);
    let b_pin = a.file("be-node.crt", &b_client.cert);
    a.set_tls(&format!(
        "certificate = {a_cert:?}\nprivate_key = {a_key:?}\nclient_certificates = [{b_pin:?}]\nclient_auth = \"required\"\n"
    ));
    let served = a.serve();
    let url = format!("https://{}/api1/", served.addr);

    let pin = b.file("fr-node.crt", &a_server.cert);
    let client_cert = b.file("client.crt", &b_client.cert);
    let client_key = b.file("client.key", &b_client.key);
    let add = |name: &str, tls: &[&str]| {
        b.ok(&common::peer_add(
            [
                name,
                &url,
                "fr-dgsi",
                "fr-be",
                &shared,
                "from-fr",
                &token_file,
            ],
            tls,
        ));
    };
    let failure = |name: &str| {
        let out = b.run(&["peer", "sync", name]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
        text(&out.stderr)
    };

    add(
        "fr",
        &[
            "--pin-certificate",
            &pin,
            "--client-certificate",
            &client_cert,
            "--client-key",
            &client_key,
        ],
    );
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 20, duplicates 0, rejected 0"), "{out}");

    // The pin does not match A's certificate: nothing is pulled, and the error says why.
    let other = b.file("other.crt", &self_signed_server("fr-node").cert);
    add(
        "fr-other-pin",
        &[
            "--pin-certificate",
            &other,
            "--client-certificate",
            &client_cert,
            "--client-key",
            &client_key,
        ],
    );
    let err = failure("fr-other-pin");
    assert!(err.contains("not the pinned certificate"), "{err}");
    let shown = b.ok(&["peer", "show", "fr-other-pin"]);
    assert!(shown.contains("not the pinned certificate"), "{shown}");

    // Without our client certificate, A refuses the handshake.
    add("fr-no-client-cert", &["--pin-certificate", &pin]);
    let err = failure("fr-no-client-cert");
    assert!(err.contains("TLS with https://"), "{err}");

    // Without a pin or a CA, A's self-signed certificate is not trusted.
    add(
        "fr-unpinned",
        &[
            "--client-certificate",
            &client_cert,
            "--client-key",
            &client_key,
        ],
    );
    let err = failure("fr-unpinned");
    assert!(err.contains("invalid peer certificate"), "{err}");

    // Unreadable or malformed files are configuration errors naming the file.
    let missing = b.dir.path().join("missing.crt");
    add(
        "fr-missing-pin",
        &["--pin-certificate", missing.to_str().unwrap()],
    );
    let err = failure("fr-missing-pin");
    assert!(
        err.contains("cannot read the pinned certificate") && err.contains("missing.crt"),
        "{err}"
    );
    let garbage = b.file("garbage.key", "-----BEGIN PRIVATE KEY-----\nnot base64\n");
    add(
        "fr-bad-key",
        &[
            "--pin-certificate",
            &pin,
            "--client-certificate",
            &client_cert,
            "--client-key",
            &garbage,
        ],
    );
    let err = failure("fr-bad-key");
    assert!(
        err.contains("client key") && err.contains("garbage.key"),
        "{err}"
    );

    // Nothing but the first pull was stored.
    let out = b.ok(&["peer", "sync", "fr"]);
    assert!(out.contains("stored 0, duplicates 0"), "{out}");
}
