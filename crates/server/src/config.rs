//! The only place that reads settings.
//!
//! Precedence, lowest first: defaults < `entente.toml` in the data folder < `ENTENTE_*`
//! environment < command-line flags ([`Overrides`]). The loader takes the environment as a map
//! argument, so tests never touch the process environment; only the binary passes
//! `std::env::vars()` in.
//!
//! Loading is two steps: the file is parsed into [`RawConfig`] (every field optional, unknown
//! keys collected), then merged and validated into the typed [`Config`], reporting every
//! problem at once rather than the first one.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The example configuration, every option once with a comment (`entente config example`).
pub const EXAMPLE: &str = include_str!("../../../entente.example.toml");

/// The config file name inside the data folder.
pub const FILE_NAME: &str = "entente.toml";

/// The typed, validated configuration of a node.
#[derive(Clone)]
pub struct Config {
    /// The data folder (holds the SQLite database and the config file).
    pub data_dir: PathBuf,
    /// Where the store lives: `sqlite:PATH` (absolute after loading) or `postgres://...`.
    pub store_url: String,
    /// HTTP settings.
    pub server: ServerConfig,
    /// TAXII settings.
    pub taxii: TaxiiConfig,
    /// Import settings.
    pub import: ImportConfig,
    /// Logging settings (the binary installs the subscriber).
    pub log: LogConfig,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A PostgreSQL URL may carry a password: never print it.
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("store_url", &redact_url(&self.store_url))
            .field("server", &self.server)
            .field("taxii", &self.taxii)
            .field("import", &self.import)
            .field("log", &self.log)
            .finish()
    }
}

/// A store URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// HTTP settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Seconds a request may take before it is abandoned (slow or stalled uploads included).
    pub request_timeout_secs: u64,
    /// The external base URL (`https://cti.agency.example`) used in discovery; when unset, it is
    /// taken from the request's `Host` header.
    pub public_url: Option<String>,
    /// TLS (`[server.tls]`); plain HTTP when unset.
    pub tls: Option<TlsConfig>,
}

/// TLS settings of the HTTP server (`[server.tls]`). Paths are absolute after loading (a
/// relative one is inside the data folder); the files are read when the server starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// PEM file of the server's certificate, followed by any intermediates.
    pub certificate: PathBuf,
    /// PEM file of its private key (PKCS#8, PKCS#1 or SEC1).
    pub private_key: PathBuf,
    /// Client certificates (mutual TLS); none asked for when unset.
    pub client_auth: Option<ClientAuthConfig>,
}

/// Which client certificates the server accepts (mutual TLS). A certificate is accepted when
/// it is one of `certificates` exactly, or when it chains to one of the `ca` certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAuthConfig {
    /// PEM file of CA certificates whose client certificates are accepted.
    pub ca: Option<PathBuf>,
    /// PEM files of pinned client certificates, each accepted exactly, whoever signed it.
    pub certificates: Vec<PathBuf>,
    /// Whether a client without a certificate is refused at the handshake (`true`) or served
    /// as before, authenticated by its token or password only (`false`).
    pub required: bool,
}

/// TAXII settings. `Debug` hides `paging_secret`.
#[derive(Clone)]
pub struct TaxiiConfig {
    /// Discovery `title`.
    pub title: String,
    /// Discovery `description`.
    pub description: Option<String>,
    /// Discovery `contact`.
    pub contact: Option<String>,
    /// The API root advertised as `default` in discovery.
    pub default_api_root: Option<String>,
    /// Page size when a request gives no `limit`.
    pub default_page_size: usize,
    /// Largest page size served; larger `limit`s are lowered to it (TAXII 2.1 section 3.4.2).
    pub max_page_size: usize,
    /// Secret that seals `next` paging tokens; random per process when unset.
    pub paging_secret: Option<String>,
    /// API roots to create at start-up when missing.
    pub api_roots: Vec<ApiRootConfig>,
    /// Collections to create at start-up when missing.
    pub collections: Vec<CollectionConfig>,
}

impl fmt::Debug for TaxiiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaxiiConfig")
            .field("title", &self.title)
            .field("description", &self.description)
            .field("contact", &self.contact)
            .field("default_api_root", &self.default_api_root)
            .field("default_page_size", &self.default_page_size)
            .field("max_page_size", &self.max_page_size)
            .field("paging_secret", &self.paging_secret.as_ref().map(|_| "***"))
            .field("api_roots", &self.api_roots)
            .field("collections", &self.collections)
            .finish()
    }
}

/// An API root declared in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiRootConfig {
    /// URL path segment.
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Largest request body, in bytes.
    pub max_content_length: Option<u64>,
}

/// A collection declared in the config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionConfig {
    /// The API root it belongs to.
    pub api_root: String,
    /// Its UUID.
    pub id: String,
    /// Title.
    pub title: String,
    /// Alias.
    pub alias: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// Import settings.
#[derive(Clone, Debug)]
pub struct ImportConfig {
    /// Largest single object (or JSON line) accepted, in bytes.
    pub max_object_size: usize,
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging settings.
#[derive(Clone, Debug)]
pub struct LogConfig {
    /// A tracing filter directive.
    pub filter: String,
    /// Output format.
    pub format: LogFormat,
}

/// Default `max_content_length` of an API root: 100 MiB.
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 100 * 1024 * 1024;

/// Command-line overrides: the highest precedence.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--listen`.
    pub listen: Option<String>,
    /// `--store`.
    pub store_url: Option<String>,
    /// `--log`.
    pub log_filter: Option<String>,
}

/// The config file as written: every field optional.
#[derive(Debug, Default, Deserialize)]
pub struct RawConfig {
    store: Option<RawStore>,
    server: Option<RawServer>,
    taxii: Option<RawTaxii>,
    import: Option<RawImport>,
    log: Option<RawLog>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawStore {
    url: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawServer {
    listen: Option<String>,
    request_timeout_secs: Option<u64>,
    public_url: Option<String>,
    tls: Option<RawTls>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawTls {
    certificate: Option<String>,
    private_key: Option<String>,
    client_ca: Option<String>,
    #[serde(default)]
    client_certificates: Vec<String>,
    client_auth: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawTaxii {
    title: Option<String>,
    description: Option<String>,
    contact: Option<String>,
    default_api_root: Option<String>,
    default_page_size: Option<usize>,
    max_page_size: Option<usize>,
    paging_secret: Option<String>,
    #[serde(default)]
    api_roots: Vec<ApiRootConfig>,
    #[serde(default)]
    collections: Vec<CollectionConfig>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawImport {
    max_object_size: Option<usize>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct RawLog {
    filter: Option<String>,
    format: Option<String>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// Every problem found while loading, reported at once.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    /// One line per problem.
    pub problems: Vec<String>,
}

/// A loaded configuration and the warnings (unknown keys) met on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The configuration.
    pub config: Config,
    /// Warnings for the operator (unknown keys).
    pub warnings: Vec<String>,
}

impl RawConfig {
    /// Parses config file text.
    pub fn parse(text: &str) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError {
            problems: vec![e.to_string()],
        })
    }

    fn unknown_keys(&self) -> Vec<String> {
        let mut out: Vec<String> = self.unknown.keys().cloned().collect();
        let mut section = |name: &str, keys: Option<&BTreeMap<String, toml::Value>>| {
            if let Some(keys) = keys {
                out.extend(keys.keys().map(|k| format!("{name}.{k}")));
            }
        };
        section("store", self.store.as_ref().map(|s| &s.unknown));
        section("server", self.server.as_ref().map(|s| &s.unknown));
        section(
            "server.tls",
            self.server
                .as_ref()
                .and_then(|s| s.tls.as_ref())
                .map(|t| &t.unknown),
        );
        section("taxii", self.taxii.as_ref().map(|s| &s.unknown));
        section("import", self.import.as_ref().map(|s| &s.unknown));
        section("log", self.log.as_ref().map(|s| &s.unknown));
        out
    }
}

impl Config {
    /// Loads the configuration of a data folder: defaults, then `DATA/entente.toml` if it
    /// exists, then `ENTENTE_*` variables from `env`, then `overrides`.
    pub fn load(
        data_dir: &Path,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Loaded, ConfigError> {
        let path = data_dir.join(FILE_NAME);
        let raw = match std::fs::read_to_string(&path) {
            Ok(text) => RawConfig::parse(&text).map_err(|e| ConfigError {
                problems: e
                    .problems
                    .into_iter()
                    .map(|p| format!("{}: {p}", path.display()))
                    .collect(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => RawConfig::default(),
            Err(e) => {
                return Err(ConfigError {
                    problems: vec![format!("{}: {e}", path.display())],
                });
            }
        };
        Self::from_raw(data_dir, raw, env, overrides)
    }

    /// Merges a parsed file with the environment and overrides, and validates the result.
    pub fn from_raw(
        data_dir: &Path,
        raw: RawConfig,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Loaded, ConfigError> {
        let mut problems = Vec::new();
        let warnings: Vec<String> = raw
            .unknown_keys()
            .into_iter()
            .map(|k| format!("unknown configuration key `{k}`"))
            .collect();
        let store = raw.store.unwrap_or_default();
        let server = raw.server.unwrap_or_default();
        let taxii = raw.taxii.unwrap_or_default();
        let import = raw.import.unwrap_or_default();
        let log = raw.log.unwrap_or_default();

        let env_get = |k: &str| env.get(k).cloned().filter(|v| !v.is_empty());
        let mut env_num = |k: &str| -> Option<u64> {
            let v = env_get(k)?;
            match v.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(format!("{k}: expected a whole number, got {v:?}"));
                    None
                }
            }
        };
        let request_timeout_env = env_num("ENTENTE_SERVER_REQUEST_TIMEOUT_SECS");
        let max_page_env = env_num("ENTENTE_TAXII_MAX_PAGE_SIZE");
        let default_page_env = env_num("ENTENTE_TAXII_DEFAULT_PAGE_SIZE");
        let max_object_env = env_num("ENTENTE_IMPORT_MAX_OBJECT_SIZE");

        // store.url
        let store_url = overrides
            .store_url
            .clone()
            .or_else(|| env_get("ENTENTE_STORE_URL"))
            .or(store.url)
            .unwrap_or_else(|| "sqlite:entente.db".to_owned());
        let store_url = if let Some(path) = store_url.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                problems.push("store.url: `sqlite:` needs a file path".into());
            }
            let p = Path::new(path);
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                data_dir.join(p)
            };
            format!("sqlite:{}", abs.display())
        } else if store_url.starts_with("postgres://") || store_url.starts_with("postgresql://") {
            store_url
        } else {
            problems.push(format!(
                "store.url: expected `sqlite:PATH` or `postgres://...`, got {:?}",
                redact_url(&store_url)
            ));
            store_url
        };

        // server
        let listen_text = overrides
            .listen
            .clone()
            .or_else(|| env_get("ENTENTE_SERVER_LISTEN"))
            .or(server.listen)
            .unwrap_or_else(|| "127.0.0.1:8443".to_owned());
        let listen = match listen_text.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                problems.push(format!(
                    "server.listen: expected an address like 127.0.0.1:8443, got {listen_text:?}"
                ));
                "127.0.0.1:8443".parse().expect("valid literal")
            }
        };
        let request_timeout_secs = request_timeout_env
            .or(server.request_timeout_secs)
            .unwrap_or(60);
        let public_url = env_get("ENTENTE_SERVER_PUBLIC_URL").or(server.public_url);
        if let Some(u) = &public_url {
            let ok = (u.starts_with("http://") || u.starts_with("https://"))
                && !u.contains(char::is_whitespace)
                && !u.contains(['?', '#', '"', '<', '>']);
            if !ok {
                problems.push(format!(
                    "server.public_url: expected an http:// or https:// base URL, got {u:?}"
                ));
            }
        }
        let tls = server
            .tls
            .and_then(|t| tls_config(data_dir, t, &mut problems));
        let paging_secret = env_get("ENTENTE_TAXII_PAGING_SECRET").or(taxii.paging_secret);
        if paging_secret.as_ref().is_some_and(|s| s.len() < 16) {
            problems.push("taxii.paging_secret: must be at least 16 characters".into());
        }
        if request_timeout_secs == 0 {
            problems.push("server.request_timeout_secs: must be at least 1".into());
        }

        // taxii
        let max_page_size = max_page_env
            .map(|n| n as usize)
            .or(taxii.max_page_size)
            .unwrap_or(1000);
        // An unset default page size follows a smaller maximum rather than contradicting it.
        let default_page_size = default_page_env
            .map(|n| n as usize)
            .or(taxii.default_page_size)
            .unwrap_or(100.min(max_page_size.max(1)));
        if max_page_size == 0 {
            problems.push("taxii.max_page_size: must be at least 1".into());
        }
        if default_page_size == 0 || default_page_size > max_page_size {
            problems.push(format!(
                "taxii.default_page_size: must be between 1 and max_page_size ({max_page_size})"
            ));
        }
        let mut api_roots = taxii.api_roots;
        if api_roots.is_empty() {
            api_roots.push(ApiRootConfig {
                name: "api1".into(),
                title: "entente API root".into(),
                description: Some("Default API root".into()),
                max_content_length: Some(DEFAULT_MAX_CONTENT_LENGTH),
            });
        }
        for root in &api_roots {
            if !valid_segment(&root.name) {
                problems.push(format!(
                    "taxii.api_roots: name {:?} must be 1-64 letters, digits, '-' or '_'",
                    root.name
                ));
            }
            if root.name == "taxii2" || root.name == "health" {
                problems.push(format!("taxii.api_roots: name {:?} is reserved", root.name));
            }
            if root.max_content_length == Some(0) {
                problems.push(format!(
                    "taxii.api_roots.{}: max_content_length must be > 0",
                    root.name
                ));
            }
        }
        for c in &taxii.collections {
            if uuid::Uuid::parse_str(&c.id).is_err() {
                problems.push(format!("taxii.collections: id {:?} is not a UUID", c.id));
            }
            if !api_roots.iter().any(|r| r.name == c.api_root) {
                problems.push(format!(
                    "taxii.collections {:?}: api_root {:?} is not declared in taxii.api_roots",
                    c.id, c.api_root
                ));
            }
        }
        let default_api_root = match taxii.default_api_root {
            Some(r) if r.is_empty() => None,
            Some(r) => Some(r),
            None => Some(api_roots[0].name.clone()),
        };

        // import
        let max_object_size = max_object_env
            .map(|n| n as usize)
            .or(import.max_object_size)
            .unwrap_or(16 * 1024 * 1024);
        if max_object_size < 64 {
            problems.push("import.max_object_size: must be at least 64 bytes".into());
        }

        // log
        let filter = overrides
            .log_filter
            .clone()
            .or_else(|| env_get("ENTENTE_LOG"))
            .or(log.filter)
            .unwrap_or_else(|| "info".to_owned());
        let format = match env_get("ENTENTE_LOG_FORMAT").or(log.format).as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problems.push(format!(
                    "log.format: expected \"text\" or \"json\", got {other:?}"
                ));
                LogFormat::Text
            }
        };

        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Loaded {
            config: Config {
                data_dir: data_dir.to_path_buf(),
                store_url,
                server: ServerConfig {
                    listen,
                    request_timeout_secs,
                    public_url: public_url.map(|u| u.trim_end_matches('/').to_owned()),
                    tls,
                },
                taxii: TaxiiConfig {
                    title: taxii.title.unwrap_or_else(|| "entente".into()),
                    description: taxii.description,
                    contact: taxii.contact,
                    default_api_root,
                    default_page_size,
                    max_page_size,
                    paging_secret,
                    api_roots,
                    collections: taxii.collections,
                },
                import: ImportConfig { max_object_size },
                log: LogConfig { filter, format },
            },
            warnings,
        })
    }

    /// Defaults for a data folder, with no file and no environment (tests, `entente demo`).
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        let data_dir = data_dir.into();
        Self::from_raw(
            &data_dir,
            RawConfig::default(),
            &HashMap::new(),
            &Overrides::default(),
        )
        .expect("defaults are valid")
        .config
    }
}

/// Validates `[server.tls]`: both files named, client authentication coherent. The files
/// themselves are read when the server starts (a command that does not serve must not fail
/// because a certificate file is missing).
fn tls_config(data_dir: &Path, raw: RawTls, problems: &mut Vec<String>) -> Option<TlsConfig> {
    let path = |key: &str, value: Option<String>, problems: &mut Vec<String>| match value {
        Some(v) if v.trim().is_empty() => {
            problems.push(format!("server.tls.{key}: must name a PEM file"));
            None
        }
        Some(v) => Some(data_dir.join(v)),
        None => None,
    };
    let certificate = path("certificate", raw.certificate, problems);
    let private_key = path("private_key", raw.private_key, problems);
    let ca = path("client_ca", raw.client_ca, problems);
    let certificates: Vec<PathBuf> = raw
        .client_certificates
        .into_iter()
        .filter_map(|c| path("client_certificates", Some(c), problems))
        .collect();
    let some_client_trust = ca.is_some() || !certificates.is_empty();
    let required = match raw.client_auth.as_deref() {
        None if some_client_trust => Some(true),
        None | Some("none") => None,
        Some("required") => Some(true),
        Some("optional") => Some(false),
        Some(other) => {
            problems.push(format!(
                "server.tls.client_auth: expected \"required\", \"optional\" or \"none\", got {other:?}"
            ));
            None
        }
    };
    if raw.client_auth.as_deref().is_some_and(|a| a != "none") && !some_client_trust {
        problems.push(
            "server.tls.client_auth: client certificates are asked for, but neither client_ca \
             nor client_certificates says which to accept"
                .into(),
        );
    }
    if raw.client_auth.as_deref() == Some("none") && some_client_trust {
        problems.push(
            "server.tls.client_auth: \"none\" contradicts client_ca / client_certificates".into(),
        );
    }
    let (certificate, private_key) = match (certificate, private_key) {
        (Some(c), Some(k)) => (c, k),
        (c, k) => {
            if c.is_none() {
                problems
                    .push("server.tls.certificate: required when [server.tls] is present".into());
            }
            if k.is_none() {
                problems
                    .push("server.tls.private_key: required when [server.tls] is present".into());
            }
            return None;
        }
    };
    Some(TlsConfig {
        certificate,
        private_key,
        client_auth: required.map(|required| ClientAuthConfig {
            ca,
            certificates,
            required,
        }),
    })
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn example_config_parses_with_no_warnings() {
        let raw = RawConfig::parse(EXAMPLE).unwrap();
        let loaded = Config::from_raw(
            Path::new("/data"),
            raw,
            &HashMap::new(),
            &Overrides::default(),
        )
        .unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let c = loaded.config;
        assert_eq!(c.store_url, "sqlite:/data/entente.db");
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8443");
        assert_eq!(c.taxii.api_roots.len(), 1);
        assert_eq!(
            c.taxii.api_roots[0].max_content_length,
            Some(DEFAULT_MAX_CONTENT_LENGTH)
        );
        assert_eq!(c.taxii.default_api_root.as_deref(), Some("api1"));
        assert_eq!(c.import.max_object_size, 16 * 1024 * 1024);
    }

    #[test]
    fn precedence_is_defaults_file_env_flags() {
        let file = "[server]\nlisten = \"127.0.0.1:1000\"\n[taxii]\nmax_page_size = 50\n";
        let load = |e: &HashMap<String, String>, o: &Overrides| {
            Config::from_raw(Path::new("/d"), RawConfig::parse(file).unwrap(), e, o)
                .unwrap()
                .config
        };
        let none = Overrides::default();
        assert_eq!(load(&HashMap::new(), &none).server.listen.port(), 1000);
        assert_eq!(load(&HashMap::new(), &none).taxii.max_page_size, 50);
        let e = env(&[
            ("ENTENTE_SERVER_LISTEN", "127.0.0.1:2000"),
            ("ENTENTE_TAXII_MAX_PAGE_SIZE", "70"),
        ]);
        assert_eq!(load(&e, &none).server.listen.port(), 2000);
        assert_eq!(load(&e, &none).taxii.max_page_size, 70);
        let flags = Overrides {
            listen: Some("127.0.0.1:3000".into()),
            ..Default::default()
        };
        assert_eq!(load(&e, &flags).server.listen.port(), 3000);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let file = "[server]\nlisten = \"nowhere\"\n[log]\nformat = \"xml\"\n[store]\nurl = \"mysql://x\"\n";
        let err = Config::from_raw(
            Path::new("/d"),
            RawConfig::parse(file).unwrap(),
            &env(&[("ENTENTE_TAXII_MAX_PAGE_SIZE", "many")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 4, "{err}");
        let text = err.to_string();
        assert!(text.contains("server.listen"), "{text}");
        assert!(text.contains("log.format"), "{text}");
        assert!(text.contains("store.url"), "{text}");
        assert!(text.contains("ENTENTE_TAXII_MAX_PAGE_SIZE"), "{text}");
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let file = "colour = 1\n[server]\nlisten = \"127.0.0.1:1\"\nspeed = 3\n";
        let loaded = Config::from_raw(
            Path::new("/d"),
            RawConfig::parse(file).unwrap(),
            &HashMap::new(),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(loaded.warnings.len(), 2, "{:?}", loaded.warnings);
        assert!(loaded.warnings.iter().any(|w| w.contains("server.speed")));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let mut c = Config::for_data_dir("/d");
        c.store_url = "postgres://entente:s3cret@db:5432/entente".into();
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("entente:***@db"), "{shown}");
        c.taxii.paging_secret = Some("a-very-long-paging-secret".into());
        assert!(!format!("{c:?}").contains("a-very-long-paging-secret"));
    }

    fn tls(section: &str) -> Result<Option<TlsConfig>, ConfigError> {
        let file = format!("[server]\nlisten = \"127.0.0.1:1\"\n[server.tls]\n{section}");
        Config::from_raw(
            Path::new("/d"),
            RawConfig::parse(&file).unwrap(),
            &HashMap::new(),
            &Overrides::default(),
        )
        .map(|l| {
            assert!(l.warnings.is_empty(), "{:?}", l.warnings);
            l.config.server.tls
        })
    }

    #[test]
    fn tls_paths_are_resolved_and_client_auth_defaults_to_required() {
        assert_eq!(Config::for_data_dir("/d").server.tls, None);
        let t = tls("certificate = \"tls/node.crt\"\nprivate_key = \"/etc/node.key\"\n")
            .unwrap()
            .unwrap();
        assert_eq!(t.certificate, Path::new("/d/tls/node.crt"));
        assert_eq!(t.private_key, Path::new("/etc/node.key"));
        assert_eq!(t.client_auth, None);
        let t = tls("certificate = \"c\"\nprivate_key = \"k\"\nclient_certificates = [\"a.crt\", \"b.crt\"]\n")
            .unwrap()
            .unwrap();
        let auth = t.client_auth.unwrap();
        assert!(auth.required);
        assert_eq!(auth.ca, None);
        assert_eq!(
            auth.certificates,
            [Path::new("/d/a.crt"), Path::new("/d/b.crt")]
        );
        let t = tls("certificate = \"c\"\nprivate_key = \"k\"\nclient_ca = \"ca.crt\"\nclient_auth = \"optional\"\n")
            .unwrap()
            .unwrap();
        let auth = t.client_auth.unwrap();
        assert!(!auth.required);
        assert_eq!(auth.ca.as_deref(), Some(Path::new("/d/ca.crt")));
    }

    #[test]
    fn tls_problems_are_reported_together() {
        let err = tls("client_auth = \"always\"\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("server.tls.certificate: required"), "{text}");
        assert!(text.contains("server.tls.private_key: required"), "{text}");
        assert!(text.contains("server.tls.client_auth"), "{text}");
        let err = tls("certificate = \"c\"\nprivate_key = \"k\"\nclient_auth = \"required\"\n")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("neither client_ca nor client_certificates"),
            "{err}"
        );
        let file = "[server.tls]\ncertificate = \"c\"\nprivate_key = \"k\"\ncolour = 1\n";
        let loaded = Config::from_raw(
            Path::new("/d"),
            RawConfig::parse(file).unwrap(),
            &HashMap::new(),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(
            loaded.warnings,
            ["unknown configuration key `server.tls.colour`"]
        );
    }

    #[test]
    fn broken_toml_is_a_clear_error() {
        let err = RawConfig::parse("[server\nlisten=").unwrap_err();
        assert!(!err.problems.is_empty());
    }
}
