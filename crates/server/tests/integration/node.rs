//! A real node for tests: SQLite store in a temporary folder, served on `127.0.0.1:0`, with
//! helpers to create collections, users and permissions, and to send raw HTTP.

#![allow(dead_code)] // Each test module uses a different subset.

use std::net::SocketAddr;

use entente_server::Config;
use entente_store::{
    ApiRoot, ApiToken, Collection, CollectionId, ObjectFilter, Permission, Role, SharedStore, User,
    VersionMatch,
};
use entente_taxii::{Client, CollectionClient, ErrorMessage, RetryPolicy, TAXII_JSON};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The API root every test node has.
pub const ROOT: &str = "api1";
/// Its `max_content_length`.
pub const MAX_CONTENT: u64 = 256 * 1024;

pub struct Node {
    pub addr: SocketAddr,
    pub url: String,
    pub store: SharedStore,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Node {
    pub async fn start() -> Node {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::for_data_dir(dir.path());
        config.taxii.default_page_size = 20;
        config.taxii.max_page_size = 50;
        adjust(&mut config);
        let store = entente_store::open(&config.store_url)
            .await
            .expect("open store");
        store
            .create_api_root(ApiRoot {
                name: ROOT.into(),
                title: "Test root".into(),
                description: Some("root for tests".into()),
                max_content_length: MAX_CONTENT,
            })
            .await
            .expect("api root");
        store
            .add_organisation(entente_store::Organisation {
                id: "home".into(),
                name: "Home".into(),
                home: true,
            })
            .await
            .expect("home organisation");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = store.clone();
        tokio::spawn(async move {
            entente_server::serve(config, served, listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        Node {
            addr,
            url: format!("http://{addr}"),
            store,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    pub fn root_url(&self) -> String {
        format!("{}/{ROOT}/", self.url)
    }

    /// Creates a collection and returns its id.
    pub async fn collection(&self, title: &str, alias: Option<&str>) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .create_collection(Collection {
                id: CollectionId(id.clone()),
                api_root: ROOT.into(),
                title: title.into(),
                description: Some(format!("{title} collection")),
                alias: alias.map(str::to_owned),
                media_types: vec!["application/stix+json;version=2.1".into()],
            })
            .await
            .expect("collection");
        id
    }

    /// Creates a user with a bearer token (and a password when given); returns the token.
    pub async fn user(&self, name: &str, role: Role, password: Option<&str>) -> String {
        self.store
            .add_user(User {
                name: name.into(),
                organisation: "home".into(),
                role,
                password_hash: password.map(entente_server::auth::hash_password),
            })
            .await
            .expect("user");
        let (token, sha256) = entente_server::auth::mint_token();
        self.store
            .add_token(ApiToken {
                sha256,
                user: name.into(),
                label: "tests".into(),
            })
            .await
            .expect("token");
        // The tests of the TAXII protocol send no purpose header: their users have a default.
        self.store
            .set_default_purpose(name, Some("investigation".into()))
            .await
            .expect("purpose");
        token
    }

    pub async fn grant(&self, user: &str, collection: &str, can_read: bool, can_write: bool) {
        self.store
            .set_permission(Permission {
                user: user.into(),
                collection: CollectionId(collection.into()),
                can_read,
                can_write,
            })
            .await
            .expect("grant");
    }

    /// A TAXII client with this bearer token and no retries (tests want the first answer).
    pub fn client(&self, token: &str) -> Client {
        Client::builder()
            .bearer_token(token)
            .retry(RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            })
            .build()
            .expect("client")
    }

    pub fn coll(&self, token: &str, collection: &str) -> CollectionClient {
        self.client(token)
            .api_root(&self.root_url())
            .expect("root url")
            .collection(collection)
    }

    /// Every stored version of a collection as (id, version, date_added), in order: the
    /// "stored data" that bad requests must leave unchanged.
    pub async fn snapshot(&self, collection: &str) -> Vec<(String, String, i64)> {
        let f = ObjectFilter {
            versions: vec![VersionMatch::All],
            spec_versions: vec!["2.0".into(), "2.1".into()],
            limit: 1_000_000,
            ..ObjectFilter::default()
        };
        self.store
            .manifest_page(&CollectionId(collection.into()), &f)
            .await
            .expect("manifest")
            .items
            .into_iter()
            .map(|m| (m.id, m.version, m.date_added.0))
            .collect()
    }

    /// Sends raw bytes on a fresh connection and reads the whole response (the server closes
    /// after `Connection: close`).
    pub async fn raw(&self, request: &[u8]) -> RawResponse {
        let mut s = TcpStream::connect(self.addr).await.expect("connect");
        // Ignore write errors: the server may answer and close before reading everything.
        let _ = s.write_all(request).await;
        let mut buf = Vec::new();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(20), s.read_to_end(&mut buf)).await;
        RawResponse::parse(&buf)
    }
}

/// A parsed raw HTTP/1.1 response.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn parse(buf: &[u8]) -> RawResponse {
        let text_end = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(buf)));
        let head = String::from_utf8_lossy(&buf[..text_end]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = buf[text_end + 4..].to_vec();
        let chunked = headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
        if chunked {
            body = dechunk(&body);
        }
        RawResponse {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts a TAXII error message with this status, and returns it.
    pub fn taxii_error(&self, status: u16) -> ErrorMessage {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), Some(TAXII_JSON));
        let m: ErrorMessage = serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not a TAXII error ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        });
        assert_eq!(m.http_status.as_deref(), Some(status.to_string().as_str()));
        m
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..eol])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}

/// Asserts that a reqwest response is a TAXII error with this status; returns the message.
pub async fn expect_error(resp: reqwest::Response, status: u16) -> ErrorMessage {
    assert_eq!(resp.status().as_u16(), status, "url {}", resp.url());
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some(TAXII_JSON)
    );
    let body = resp.text().await.expect("body");
    assert!(!body.contains("<html"), "{body}");
    let m: ErrorMessage =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("not a TAXII error ({e}): {body}"));
    assert_eq!(m.http_status.as_deref(), Some(status.to_string().as_str()));
    assert!(!m.title.is_empty());
    m
}

// ---- STIX fixtures (valid STIX 2.1 unless said otherwise) ----

pub fn uuid_for(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// An indicator, `n` choosing the id and `v` the version (`modified` = created + v seconds).
pub fn indicator(n: u32, v: u32) -> serde_json::Value {
    serde_json::json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": format!("indicator--{}", uuid_for(n)),
        "created": "2021-01-01T00:00:00.000Z",
        "modified": format!("2021-01-01T00:{:02}:{:02}.000Z", v / 60, v % 60),
        "name": format!("indicator {n} version {v}"),
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2021-01-01T00:00:00Z"
    })
}

pub fn indicator_version(v: u32) -> String {
    format!("2021-01-01T00:{:02}:{:02}.000Z", v / 60, v % 60)
}

pub fn malware(n: u32) -> serde_json::Value {
    serde_json::json!({
        "type": "malware",
        "spec_version": "2.1",
        "id": format!("malware--{}", uuid_for(n)),
        "created": "2021-02-01T00:00:00.000Z",
        "modified": "2021-02-01T00:00:00.000Z",
        "name": format!("malware {n}"),
        "is_family": false
    })
}

pub fn envelope(objects: &[serde_json::Value]) -> entente_taxii::Envelope {
    entente_taxii::Envelope::from_values(objects).expect("envelope")
}

pub fn ids_of(objects: &[Box<serde_json::value::RawValue>]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            serde_json::from_str::<serde_json::Value>(o.get()).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// A node with one collection and a set of users with distinct rights on it.
pub struct World {
    pub node: Node,
    pub coll: String,
    /// analyst, read and write.
    pub alice: String,
    /// analyst, read only.
    pub reader: String,
    /// analyst, write only.
    pub writer: String,
    /// analyst, no permission.
    pub nobody: String,
    /// admin, no permission on the collection.
    pub admin: String,
    /// reviewer, read and write granted (the role forbids writing).
    pub reviewer: String,
}

impl World {
    pub async fn new() -> World {
        Self::with_node(Node::start().await).await
    }

    pub async fn with_node(node: Node) -> World {
        let coll = node.collection("Main", Some("main")).await;
        let alice = node.user("alice", Role::Analyst, None).await;
        let reader = node.user("reader", Role::Analyst, None).await;
        let writer = node.user("writer", Role::Analyst, None).await;
        let nobody = node.user("nobody", Role::Analyst, None).await;
        let admin = node.user("admin", Role::Admin, None).await;
        let reviewer = node.user("reviewer", Role::Reviewer, None).await;
        node.grant("alice", &coll, true, true).await;
        node.grant("reader", &coll, true, false).await;
        node.grant("writer", &coll, false, true).await;
        node.grant("reviewer", &coll, true, true).await;
        World {
            node,
            coll,
            alice,
            reader,
            writer,
            nobody,
            admin,
            reviewer,
        }
    }

    /// The collection client for alice.
    pub fn alice(&self) -> CollectionClient {
        self.node.coll(&self.alice, &self.coll)
    }

    pub fn objects_url(&self) -> String {
        format!("{}collections/{}/objects/", self.node.root_url(), self.coll)
    }

    /// A raw reqwest client (no default headers).
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::new()
    }
}
