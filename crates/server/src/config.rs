//! The only place that reads settings. Precedence: defaults < `entente.toml` < `ENTENTE_*`
//! environment < command-line flags. The loader takes the environment as a map, so tests never
//! touch the process environment.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The typed, validated configuration of a node.
#[derive(Clone, Debug)]
pub struct Config {
    /// The data folder (holds the SQLite database and the config file).
    pub data_dir: PathBuf,
    /// Where the store lives: `sqlite:PATH` or `postgres://...`.
    pub store_url: String,
    /// HTTP settings.
    pub server: ServerConfig,
    /// TAXII settings.
    pub taxii: TaxiiConfig,
    /// Import settings.
    pub import: ImportConfig,
}

/// HTTP settings.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Seconds a request may take before it is abandoned (slow or stalled uploads included).
    pub request_timeout_secs: u64,
}

/// TAXII settings.
#[derive(Clone, Debug)]
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
}

/// Import settings.
#[derive(Clone, Debug)]
pub struct ImportConfig {
    /// Largest single object (or JSON line) accepted, in bytes.
    pub max_object_size: usize,
}

impl Config {
    /// Defaults for a data folder (used by tests and `entente init`).
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        let data_dir = data_dir.into();
        Config {
            store_url: format!("sqlite:{}", data_dir.join("entente.db").display()),
            data_dir,
            server: ServerConfig {
                listen: "127.0.0.1:8443".parse().expect("valid literal"),
                request_timeout_secs: 60,
            },
            taxii: TaxiiConfig {
                title: "entente".into(),
                description: Some("entente intelligence-exchange node".into()),
                contact: None,
                default_api_root: Some("api1".into()),
                default_page_size: 100,
                max_page_size: 1000,
            },
            import: ImportConfig {
                max_object_size: 16 * 1024 * 1024,
            },
        }
    }
}
