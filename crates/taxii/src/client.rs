//! A typed async TAXII 2.1 client.
//!
//! ```no_run
//! # async fn demo() -> Result<(), entente_taxii::client::Error> {
//! use entente_taxii::{Client, ObjectQuery};
//! use futures::TryStreamExt;
//!
//! let client = Client::builder().basic_auth("alice", "secret").build()?;
//! let discovery = client.discovery("https://node.example/taxii2/").await?;
//! let root = client.api_root(&discovery.api_roots[0])?;
//! let collections = root.collections().await?;
//! let coll = root.collection(&collections.collections[0].id);
//! let query = ObjectQuery::new().types(["indicator"]);
//! let objects: Vec<_> = coll.all_objects(query).try_collect().await?;
//! # Ok(()) }
//! ```
//!
//! Shape: a [`Client`] holds the HTTP connection pool, credentials and retry policy; an
//! [`ApiRootClient`] is bound to one API root URL and a [`CollectionClient`] to one
//! collection. Handles are cheap to clone and make no request until asked.
//!
//! Decisions a reader may question:
//! - **Retries** happen only where repeating cannot change the outcome: idempotent requests
//!   (GET, DELETE) on connect errors, timeouts, 5xx and 429, with exponential backoff and
//!   jitter (honouring `Retry-After` up to the backoff ceiling). A POST is retried only when
//!   the connection could not be made at all, because then nothing reached the server.
//! - **Responses are size-capped** ([`ClientBuilder::max_response_bytes`]): a peer cannot make
//!   this process allocate without bound.
//! - **Objects stay raw** (`Box<RawValue>`): pulling from one server and pushing to another
//!   relays the exact JSON.
//! - **Paging** follows `next` while `more` is true. Servers that say `more` without a `next`
//!   (TAXII 2.0 habits) are paged with `added_after` set to the page's
//!   `X-TAXII-Date-Added-Last`; a page that claims more but brings nothing ends with an error
//!   rather than looping.
//! - **TLS** is rustls (the `rustls-tls` feature of reqwest). Besides the webpki roots, a
//!   client can trust more CAs ([`ClientBuilder::add_root_certificate`]), accept exactly one
//!   server certificate ([`ClientBuilder::pinned_server_certificate`]) and present a
//!   certificate of its own ([`ClientBuilder::client_identity`]). A TLS failure is
//!   [`Error::Tls`] and is never retried: asking again cannot change a certificate.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use futures::Stream;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

mod tls;

use crate::media::TAXII_JSON;
use crate::query::ObjectQuery;
use crate::resources::{
    ApiRoot, Collection, Collections, Discovery, Envelope, ErrorMessage, Manifest, Status,
    StatusKind, Versions,
};

/// The header giving the `date_added` of the first item of a page (TAXII 2.1 section 3.3).
pub const DATE_ADDED_FIRST: &str = "X-TAXII-Date-Added-First";
/// The header giving the `date_added` of the last item of a page (TAXII 2.1 section 3.3).
pub const DATE_ADDED_LAST: &str = "X-TAXII-Date-Added-Last";

/// What went wrong talking to a TAXII server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A URL could not be used.
    #[error("invalid URL {url:?}: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The HTTP client could not be built (TLS setup).
    #[error("building the HTTP client")]
    Build(#[source] reqwest::Error),
    /// The TLS settings given to the builder are unusable (a PEM text that holds no
    /// certificate, a key that does not fit its certificate).
    #[error("TLS settings: {0}")]
    TlsSettings(String),
    /// The TLS handshake with the server failed: its certificate was refused (not trusted,
    /// not the pinned one), or it refused ours. Never retried.
    #[error("TLS with {url} failed: {reason}")]
    Tls {
        /// The URL requested.
        url: String,
        /// What TLS reported.
        reason: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The request did not complete (connection refused, reset, timed out), after retries.
    #[error("request to {url} failed")]
    Transport {
        /// The URL requested.
        url: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status; `message` is its TAXII error message when it
    /// sent one.
    #[error("{url}: HTTP {status}{}", message.as_ref().map(|m| format!(": {}{}", m.title, m.description.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())).unwrap_or_default())]
    Http {
        /// The URL requested.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The TAXII error message from the body, when it parsed as one.
        message: Option<Box<ErrorMessage>>,
        /// The `Retry-After` delay the server asked for (seconds form only).
        retry_after: Option<Duration>,
    },
    /// The server answered successfully but not with what TAXII says it should.
    #[error("{url}: unexpected response: {reason}")]
    Protocol {
        /// The URL requested.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The response body exceeded the configured maximum.
    #[error("{url}: response larger than {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A status was still pending when [`CollectionClient::add_objects_and_wait`] gave up.
    #[error("status {} still pending after {waited:?}", status.id)]
    StillPending {
        /// The last status seen.
        status: Box<Status>,
        /// How long it waited.
        waited: Duration,
    },
}

impl Error {
    /// The HTTP status when the server answered with an error.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The TAXII error message the server sent, if any.
    pub fn taxii_error(&self) -> Option<&ErrorMessage> {
        match self {
            Error::Http { message, .. } => message.as_deref(),
            _ => None,
        }
    }
}

/// Result alias for client calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Credentials sent with every request.
#[derive(Clone, Default)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP Basic.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl fmt::Debug for Auth {
    // Secrets never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// When and how often to retry.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retrying).
    pub max_retries: u32,
    /// Wait before the first retry; doubled each time.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    auth: Auth,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    max_response_bytes: usize,
    user_agent: String,
    accept_invalid_certs: bool,
    tls: tls::TlsOptions,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            auth: Auth::None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_response_bytes: 256 * 1024 * 1024,
            user_agent: concat!("entente-taxii/", env!("CARGO_PKG_VERSION")).to_owned(),
            accept_invalid_certs: false,
            tls: tls::TlsOptions::default(),
        }
    }
}

impl ClientBuilder {
    /// Sends HTTP Basic credentials.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Auth::Basic {
            user: user.into(),
            password: password.into(),
        };
        self
    }

    /// Sends a bearer token.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Bearer(token.into());
        self
    }

    /// Sets the credentials.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Total time allowed for one attempt of one request, body included (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy (default: 3 retries, 200 ms doubling up to 5 s).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Largest response body read (default 256 MiB).
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Accepts any TLS certificate. Only for tests against self-signed local servers.
    pub fn danger_accept_invalid_certs(mut self, yes: bool) -> Self {
        self.accept_invalid_certs = yes;
        self
    }

    /// Trusts the CA certificates of a PEM text besides the webpki roots (a partner's private
    /// CA). May be called more than once. Ignored when a server certificate is pinned.
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.tls.roots.push(pem.as_ref().to_vec());
        self
    }

    /// Accepts exactly this server certificate (PEM; the first certificate of the text),
    /// whoever signed it and whatever host names it carries; any other certificate is refused.
    /// The handshake must still be signed with the pinned certificate's key.
    pub fn pinned_server_certificate(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.tls.pinned = Some(pem.as_ref().to_vec());
        self
    }

    /// Presents this certificate (PEM: the certificate, then any intermediates) and proves
    /// holding its private key (PEM: PKCS#8, PKCS#1 or SEC1) when the server asks for one:
    /// mutual TLS.
    pub fn client_identity(
        mut self,
        certificate_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Self {
        self.tls.identity = Some((certificate_pem.as_ref().to_vec(), key_pem.as_ref().to_vec()));
        self
    }

    /// Builds the client. Fails with [`Error::TlsSettings`] when a PEM text given for TLS is
    /// unusable.
    pub fn build(self) -> Result<Client> {
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent);
        http = if self.tls.is_empty() {
            http.danger_accept_invalid_certs(self.accept_invalid_certs)
        } else {
            if self.accept_invalid_certs {
                return Err(Error::TlsSettings(
                    "accepting any certificate cannot be combined with trusted roots, a pinned \
                     certificate or a client identity"
                        .into(),
                ));
            }
            http.use_preconfigured_tls(self.tls.client_config().map_err(Error::TlsSettings)?)
        };
        let http = http.build().map_err(Error::Build)?;
        Ok(Client {
            http,
            auth: self.auth,
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
        })
    }
}

/// A TAXII 2.1 client: connection pool, credentials and retry policy.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    auth: Auth,
    retry: RetryPolicy,
    max_response_bytes: usize,
}

/// A response body plus the paging headers TAXII sends with it.
#[derive(Clone, Debug)]
pub struct Paged<T> {
    /// The resource.
    pub body: T,
    /// `X-TAXII-Date-Added-First`, when sent.
    pub date_added_first: Option<String>,
    /// `X-TAXII-Date-Added-Last`, when sent.
    pub date_added_last: Option<String>,
}

/// How [`CollectionClient::add_objects_and_wait`] polls.
#[derive(Clone, Debug)]
pub struct PollOptions {
    /// First wait between polls; doubled up to `max_interval`.
    pub interval: Duration,
    /// Longest wait between polls.
    pub max_interval: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(2),
            timeout: Duration::from_secs(300),
        }
    }
}

fn parse_url(url: &str) -> Result<Url> {
    let mut u = Url::parse(url).map_err(|e| Error::Url {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(Error::Url {
            url: url.to_owned(),
            reason: "expected an http or https URL".into(),
        });
    }
    // TAXII URLs end with a slash; joining relative paths depends on it.
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    u.set_query(None);
    u.set_fragment(None);
    Ok(u)
}

/// `base` plus path segments (percent-encoded), with a trailing slash.
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut u = base.clone();
    if let Ok(mut p) = u.path_segments_mut() {
        p.pop_if_empty().extend(segments).push("");
    }
    u
}

fn random_u64() -> u64 {
    // RandomState is seeded from the OS per instance: enough entropy for backoff jitter,
    // without a dependency on a random number generator.
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}

impl Client {
    /// A client with default settings and no credentials.
    pub fn new() -> Result<Client> {
        ClientBuilder::default().build()
    }

    /// Starts building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// `GET {discovery_url}` (usually `https://host/taxii2/`).
    pub async fn discovery(&self, discovery_url: &str) -> Result<Discovery> {
        let url = parse_url(discovery_url)?;
        Ok(self.get_json(url).await?.body)
    }

    /// A handle on one API root (an absolute URL, as listed by discovery).
    pub fn api_root(&self, api_root_url: &str) -> Result<ApiRootClient> {
        Ok(ApiRootClient {
            client: self.clone(),
            url: parse_url(api_root_url)?,
        })
    }

    /// GETs a JSON resource at `url` beside the TAXII API (an entente node's own endpoints,
    /// such as its deletion log), with this client's credentials, retries and limits.
    pub async fn get_resource<T: DeserializeOwned>(&self, url: &str) -> Result<T> {
        let url = Url::parse(url).map_err(|e| Error::Protocol {
            url: url.to_owned(),
            reason: format!("not a URL: {e}"),
        })?;
        Ok(self.get_json(url).await?.body)
    }

    /// POSTs a JSON body to `url` beside the TAXII API (an entente node's own endpoints) and
    /// reads the JSON answer, with this client's credentials and limits (not retried: the
    /// caller decides whether repeating is safe).
    pub async fn post_resource<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        url: &str,
        body: &B,
    ) -> Result<T> {
        let parsed = Url::parse(url).map_err(|e| Error::Protocol {
            url: url.to_owned(),
            reason: format!("not a URL: {e}"),
        })?;
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Protocol {
            url: url.to_owned(),
            reason: format!("cannot write the request body: {e}"),
        })?;
        let (_, answer) = self.send(Method::POST, parsed, Some(bytes)).await?;
        serde_json::from_slice(&answer).map_err(|e| Error::Protocol {
            url: url.to_owned(),
            reason: format!("body is not the expected resource: {e}"),
        })
    }

    async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<Paged<T>> {
        let (headers, body) = self.send(Method::GET, url.clone(), None).await?;
        let parsed = serde_json::from_slice(&body).map_err(|e| Error::Protocol {
            url: url.to_string(),
            reason: format!("body is not the expected TAXII resource: {e}"),
        })?;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Paged {
            body: parsed,
            date_added_first: header(DATE_ADDED_FIRST),
            date_added_last: header(DATE_ADDED_LAST),
        })
    }

    /// Sends one request with retries; returns headers and body of a 2xx response.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
    ) -> Result<(HeaderMap, Vec<u8>)> {
        let idempotent = method != Method::POST;
        let mut attempt = 0u32;
        loop {
            let mut req = self
                .http
                .request(method.clone(), url.clone())
                .header(ACCEPT, TAXII_JSON);
            req = match &self.auth {
                Auth::None => req,
                Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
                Auth::Bearer(t) => req.bearer_auth(t),
            };
            if let Some(b) = &body {
                req = req.header(CONTENT_TYPE, TAXII_JSON).body(b.clone());
            }
            let outcome = match req.send().await {
                Ok(resp) => self.read(url.as_str(), resp).await,
                Err(e) => Err(match tls::failure(&e) {
                    Some(reason) => Error::Tls {
                        url: url.to_string(),
                        reason,
                        source: e,
                    },
                    None => Error::Transport {
                        url: url.to_string(),
                        source: e,
                    },
                }),
            };
            let (retryable, retry_after) = match &outcome {
                Ok(_) => return outcome.map(|(h, _, b)| (h, b)),
                // A connect error means nothing reached the server: safe for any method.
                Err(Error::Transport { source, .. }) => (
                    source.is_connect()
                        || (idempotent
                            && (source.is_timeout()
                                || source.is_request()
                                || source.is_body()
                                // A connection dropped mid-body surfaces as a decode error.
                                || source.is_decode())),
                    None,
                ),
                Err(Error::Http {
                    status,
                    retry_after,
                    ..
                }) => (
                    idempotent && (*status == 429 || (500..600).contains(status)),
                    *retry_after,
                ),
                Err(_) => (false, None),
            };
            if !retryable || attempt >= self.retry.max_retries {
                return outcome.map(|(h, _, b)| (h, b));
            }
            let backoff = self
                .retry
                .initial_backoff
                .saturating_mul(1u32 << attempt.min(16))
                .min(self.retry.max_backoff);
            // Full jitter in [backoff/2, backoff].
            let half = backoff.as_millis() as u64 / 2;
            let jitter = if half == 0 {
                0
            } else {
                random_u64() % (half + 1)
            };
            let wait = retry_after
                .unwrap_or(Duration::from_millis(half + jitter))
                .min(self.retry.max_backoff);
            tracing::debug!(url = %url, attempt, wait_ms = wait.as_millis() as u64, "retrying TAXII request");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Reads a response: `Ok` for 2xx, `Http` with the TAXII error message otherwise.
    async fn read(
        &self,
        url: &str,
        mut resp: reqwest::Response,
    ) -> Result<(HeaderMap, StatusCode, Vec<u8>)> {
        let status = resp.status();
        let headers = resp.headers().clone();
        if let Some(len) = resp.content_length()
            && len > self.max_response_bytes as u64
        {
            return Err(Error::TooLarge {
                url: url.to_owned(),
                limit: self.max_response_bytes,
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.max_response_bytes {
                        return Err(Error::TooLarge {
                            url: url.to_owned(),
                            limit: self.max_response_bytes,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(Error::Transport {
                        url: url.to_owned(),
                        source: e,
                    });
                }
            }
        }
        if status.is_success() {
            return Ok((headers, status, body));
        }
        let message = serde_json::from_slice::<ErrorMessage>(&body)
            .ok()
            .map(Box::new);
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        Err(Error::Http {
            url: url.to_owned(),
            status: status.as_u16(),
            message,
            retry_after,
        })
    }
}

/// A handle on one API root.
#[derive(Clone, Debug)]
pub struct ApiRootClient {
    client: Client,
    url: Url,
}

impl ApiRootClient {
    /// The API root URL (with a trailing slash).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `GET {api-root}/`: title, versions, `max_content_length`.
    pub async fn information(&self) -> Result<ApiRoot> {
        Ok(self.client.get_json(self.url.clone()).await?.body)
    }

    /// `GET {api-root}/collections/`.
    pub async fn collections(&self) -> Result<Collections> {
        Ok(self
            .client
            .get_json(join(&self.url, &["collections"]))
            .await?
            .body)
    }

    /// `GET {api-root}/status/{status-id}/`.
    pub async fn status(&self, status_id: &str) -> Result<Status> {
        Ok(self
            .client
            .get_json(join(&self.url, &["status", status_id]))
            .await?
            .body)
    }

    /// A handle on one collection of this API root (by id or alias). Makes no request.
    pub fn collection(&self, id: &str) -> CollectionClient {
        CollectionClient {
            root: self.clone(),
            url: join(&self.url, &["collections", id]),
        }
    }
}

/// A handle on one collection.
#[derive(Clone, Debug)]
pub struct CollectionClient {
    root: ApiRootClient,
    url: Url,
}

fn with_query(mut url: Url, query: &ObjectQuery) -> Url {
    let pairs = query.to_pairs();
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url
}

impl CollectionClient {
    /// The collection URL (with a trailing slash).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `GET {api-root}/collections/{id}/`.
    pub async fn information(&self) -> Result<Collection> {
        Ok(self.root.client.get_json(self.url.clone()).await?.body)
    }

    /// `GET {api-root}/collections/{id}/objects/`: one page.
    pub async fn objects(&self, query: &ObjectQuery) -> Result<Paged<Envelope>> {
        let url = with_query(join(&self.url, &["objects"]), query);
        self.root.client.get_json(url).await
    }

    /// Every page of `GET {api-root}/collections/{id}/objects/` for this query, following
    /// `next` until `more` is false.
    pub fn pages(&self, query: ObjectQuery) -> impl Stream<Item = Result<Paged<Envelope>>> + '_ {
        futures::stream::try_unfold(Some(query), move |state| async move {
            let Some(query) = state else {
                return Ok(None);
            };
            let page = self.objects(&query).await?;
            let next = next_query(query, &page, self.url.as_str())?;
            Ok(Some((page, next)))
        })
    }

    /// Every object matching the query, across all pages, in server order.
    pub fn all_objects(
        &self,
        query: ObjectQuery,
    ) -> impl Stream<Item = Result<Box<RawValue>>> + '_ {
        use futures::TryStreamExt;
        self.pages(query)
            .map_ok(|page| futures::stream::iter(page.body.objects.into_iter().map(Ok)))
            .try_flatten()
    }

    /// `GET {api-root}/collections/{id}/objects/{object-id}/`: versions of one object.
    pub async fn object(&self, object_id: &str, query: &ObjectQuery) -> Result<Paged<Envelope>> {
        let url = with_query(join(&self.url, &["objects", object_id]), query);
        self.root.client.get_json(url).await
    }

    /// `GET {api-root}/collections/{id}/objects/{object-id}/versions/`.
    pub async fn versions(&self, object_id: &str, query: &ObjectQuery) -> Result<Paged<Versions>> {
        let url = with_query(join(&self.url, &["objects", object_id, "versions"]), query);
        self.root.client.get_json(url).await
    }

    /// `GET {api-root}/collections/{id}/manifest/`: one page.
    pub async fn manifest(&self, query: &ObjectQuery) -> Result<Paged<Manifest>> {
        let url = with_query(join(&self.url, &["manifest"]), query);
        self.root.client.get_json(url).await
    }

    /// `POST {api-root}/collections/{id}/objects/`: returns the status resource.
    pub async fn add_objects<T: serde::Serialize>(&self, envelope: &Envelope<T>) -> Result<Status> {
        let url = join(&self.url, &["objects"]);
        let body = serde_json::to_vec(envelope).map_err(|e| Error::Protocol {
            url: url.to_string(),
            reason: format!("envelope could not be serialised: {e}"),
        })?;
        let (_, bytes) = self
            .root
            .client
            .send(Method::POST, url.clone(), Some(body))
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Protocol {
            url: url.to_string(),
            reason: format!("body is not a TAXII status: {e}"),
        })
    }

    /// Adds objects, then polls the status until it is complete (or `poll.timeout` passes).
    pub async fn add_objects_and_wait<T: serde::Serialize>(
        &self,
        envelope: &Envelope<T>,
        poll: &PollOptions,
    ) -> Result<Status> {
        let started = tokio::time::Instant::now();
        let mut status = self.add_objects(envelope).await?;
        let mut interval = poll.interval;
        while status.status == StatusKind::Pending {
            let waited = started.elapsed();
            if waited >= poll.timeout {
                return Err(Error::StillPending {
                    status: Box::new(status),
                    waited,
                });
            }
            tokio::time::sleep(interval.min(poll.timeout - waited)).await;
            interval = (interval * 2).min(poll.max_interval);
            status = self.root.status(&status.id).await?;
        }
        Ok(status)
    }

    /// `DELETE {api-root}/collections/{id}/objects/{object-id}/` (with `match[version]` and
    /// `match[spec_version]` from the query).
    pub async fn delete_object(&self, object_id: &str, query: &ObjectQuery) -> Result<()> {
        let q = ObjectQuery {
            versions: query.versions.clone(),
            spec_versions: query.spec_versions.clone(),
            ..ObjectQuery::default()
        };
        let url = with_query(join(&self.url, &["objects", object_id]), &q);
        self.root.client.send(Method::DELETE, url, None).await?;
        Ok(())
    }
}

/// The query for the page after `page`, or `None` when it was the last.
fn next_query(
    mut query: ObjectQuery,
    page: &Paged<Envelope>,
    url: &str,
) -> Result<Option<ObjectQuery>> {
    if page.body.more != Some(true) {
        return Ok(None);
    }
    if page.body.objects.is_empty() {
        return Err(Error::Protocol {
            url: url.to_owned(),
            reason: "the server says more objects follow but sent an empty page".into(),
        });
    }
    if let Some(next) = &page.body.next {
        query.next = Some(next.clone());
        return Ok(Some(query));
    }
    let last = page.date_added_last.as_deref().ok_or_else(|| Error::Protocol {
        url: url.to_owned(),
        reason: "the server says more objects follow but gave neither `next` nor X-TAXII-Date-Added-Last".into(),
    })?;
    let t = last.parse().map_err(|_| Error::Protocol {
        url: url.to_owned(),
        reason: "X-TAXII-Date-Added-Last is not a timestamp".into(),
    })?;
    query.next = None;
    query.added_after = Some(t);
    Ok(Some(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_a_trailing_slash_and_encoded_segments() {
        let u = parse_url("http://127.0.0.1:1/api1").unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:1/api1/");
        let j = join(&u, &["collections", "a/b", "objects"]);
        assert_eq!(
            j.as_str(),
            "http://127.0.0.1:1/api1/collections/a%2Fb/objects/"
        );
        assert!(parse_url("ftp://x/").is_err());
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn query_is_encoded() {
        let u = with_query(
            parse_url("http://h/c/").unwrap(),
            &ObjectQuery::new().types(["indicator", "malware"]).limit(3),
        );
        assert_eq!(
            u.as_str(),
            "http://h/c/?limit=3&match%5Btype%5D=indicator%2Cmalware"
        );
        let back = ObjectQuery::parse(u.query()).unwrap();
        assert_eq!(back.types, ["indicator", "malware"]);
    }

    #[test]
    fn auth_debug_redacts() {
        let a = Auth::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Bearer("tok".into())).contains("tok"));
    }
}
