//! TLS for the node's HTTP server (`[server.tls]`): rustls, optionally with client
//! certificates (mutual TLS) accepted by CA or pinned exactly.
//!
//! What it is not: it decides nothing about who may do what. A client certificate only admits
//! a connection; requests on it are still authenticated by token or password and decided by
//! the access check, exactly as over plain HTTP.
//!
//! Decisions a reader may question:
//! - **The node serves TLS itself** (tokio-rustls, one hyper HTTP/1.1 connection per stream, no upgrades: no route
//!   uses them)
//!   rather than leaving it to a proxy, so that partners can pin the node's own certificate
//!   and the node can pin theirs; a proxy in front remains possible with TLS off.
//! - **Requests over TLS carry `X-Forwarded-Proto: https`**, set by the server and replacing
//!   any such header a client sent: the node terminates TLS the way a proxy in front of it
//!   would, and says so the same way, so discovery advertises `https://` URLs.
//! - **A pinned client certificate is compared byte for byte** and accepted whoever signed it;
//!   the handshake signature is still verified against its key. A certificate that is not
//!   pinned is accepted only when it chains to a configured CA.
//! - **A failed handshake is logged at debug**: on an open port that is the normal noise of
//!   scanners, not something an operator must act on.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use tokio::net::TcpListener;

use crate::config::TlsConfig;

/// How long a client may take to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the TLS configuration could not be used: always names the file.
#[derive(Debug, thiserror::Error)]
#[error("{key} {}: {reason}", path.display())]
pub struct TlsError {
    /// The configuration key (`server.tls.certificate`, ...).
    pub key: &'static str,
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError {
        key,
        path: path.to_owned(),
        reason: format!("cannot read: {e}"),
    })
}

fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |reason: String| TlsError {
        key,
        path: path.to_owned(),
        reason,
    };
    let pem = read(key, path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(fail("holds no PEM certificate".into()));
    }
    Ok(certs)
}

fn private_key(key: &'static str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read(key, path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError {
        key,
        path: path.to_owned(),
        reason: match e {
            rustls::pki_types::pem::Error::NoItemsFound => "holds no PEM private key".into(),
            e => format!("not valid PEM: {e}"),
        },
    })
}

/// Reads the files named by `config` and builds the rustls server configuration.
pub fn server_config(config: &TlsConfig) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = certificates("server.tls.certificate", &config.certificate)?;
    let key = private_key("server.tls.private_key", &config.private_key)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError {
            key: "server.tls",
            path: config.certificate.clone(),
            reason: e.to_string(),
        })?;
    let builder = match &config.client_auth {
        None => builder.with_no_client_auth(),
        Some(auth) => {
            let mut pinned = Vec::new();
            for path in &auth.certificates {
                let mut certs = certificates("server.tls.client_certificates", path)?;
                pinned.push(certs.swap_remove(0));
            }
            let ca = match &auth.ca {
                None => None,
                Some(path) => {
                    let mut roots = rustls::RootCertStore::empty();
                    for cert in certificates("server.tls.client_ca", path)? {
                        roots.add(cert).map_err(|e| TlsError {
                            key: "server.tls.client_ca",
                            path: path.clone(),
                            reason: format!("unusable CA certificate: {e}"),
                        })?;
                    }
                    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                        Arc::new(roots),
                        provider.clone(),
                    )
                    .build()
                    .map_err(|e| TlsError {
                        key: "server.tls.client_ca",
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                    Some(verifier)
                }
            };
            builder.with_client_cert_verifier(Arc::new(ClientCertificates {
                pinned,
                ca,
                required: auth.required,
                algorithms: provider.signature_verification_algorithms,
            }))
        }
    };
    let mut server = builder.with_single_cert(chain, key).map_err(|e| TlsError {
        key: "server.tls.private_key",
        path: config.private_key.clone(),
        reason: format!("does not fit the certificate: {e}"),
    })?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(server))
}

/// Client certificates accepted by pin (exact bytes) or by CA.
#[derive(Debug)]
struct ClientCertificates {
    pinned: Vec<CertificateDer<'static>>,
    ca: Option<Arc<dyn ClientCertVerifier>>,
    required: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for ClientCertificates {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.required
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // Pinned certificates have no issuer in common to hint at; the CA's subjects are.
        self.ca.as_ref().map_or(&[], |ca| ca.root_hint_subjects())
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Ok(ClientCertVerified::assertion());
        }
        match &self.ca {
            Some(ca) => ca.verify_client_cert(end_entity, intermediates, now),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves, then stops accepting and
/// waits for the connections in progress to finish their requests (as `axum::serve` does for
/// plain HTTP).
pub(crate) async fn serve(
    listener: TcpListener,
    app: axum::Router,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(remote = %remote, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(remote = %remote, "TLS handshake timed out");
                    return;
                }
            };
            let service = hyper::service::service_fn(move |req| handle(app.clone(), remote, req));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(remote = %remote, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn handle(
    app: axum::Router,
    remote: SocketAddr,
    mut req: axum::http::Request<hyper::body::Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    use tower::ServiceExt as _;
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(remote));
    req.headers_mut().insert(
        "x-forwarded-proto",
        axum::http::HeaderValue::from_static("https"),
    );
    app.oneshot(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientAuthConfig;

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new() -> Files {
            Files {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn write(&self, name: &str, body: &str) -> PathBuf {
            let p = self.dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            p
        }
    }

    fn identity() -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    fn error(config: &TlsConfig) -> String {
        server_config(config).unwrap_err().to_string()
    }

    #[test]
    fn a_usable_configuration_builds_with_and_without_client_certificates() {
        let f = Files::new();
        let (cert, key) = identity();
        let mut config = TlsConfig {
            certificate: f.write("node.crt", &cert),
            private_key: f.write("node.key", &key),
            client_auth: None,
        };
        assert!(server_config(&config).is_ok());
        let (ca, _) = identity();
        let (pinned, _) = identity();
        config.client_auth = Some(ClientAuthConfig {
            ca: Some(f.write("ca.crt", &ca)),
            certificates: vec![f.write("pinned.crt", &pinned)],
            required: true,
        });
        assert!(server_config(&config).is_ok());
    }

    #[test]
    fn every_unusable_file_is_named() {
        let f = Files::new();
        let (cert, key) = identity();
        let (_, other_key) = identity();
        let good = TlsConfig {
            certificate: f.write("node.crt", &cert),
            private_key: f.write("node.key", &key),
            client_auth: None,
        };
        let missing = TlsConfig {
            certificate: f.dir.path().join("missing.crt"),
            ..good.clone()
        };
        let e = error(&missing);
        assert!(
            e.starts_with("server.tls.certificate ") && e.contains("missing.crt: cannot read"),
            "{e}"
        );
        let not_pem = TlsConfig {
            certificate: f.write("text.crt", "hello\n"),
            ..good.clone()
        };
        assert!(error(&not_pem).contains("text.crt: holds no PEM certificate"));
        let no_key = TlsConfig {
            private_key: f.write("cert-as-key.pem", &cert),
            ..good.clone()
        };
        assert!(error(&no_key).contains("cert-as-key.pem: holds no PEM private key"));
        let wrong_key = TlsConfig {
            private_key: f.write("other.key", &other_key),
            ..good.clone()
        };
        assert!(error(&wrong_key).contains("other.key: does not fit the certificate"));
        let bad_pin = TlsConfig {
            client_auth: Some(ClientAuthConfig {
                ca: None,
                certificates: vec![f.write("pin.crt", "")],
                required: false,
            }),
            ..good.clone()
        };
        let e = error(&bad_pin);
        assert!(
            e.starts_with("server.tls.client_certificates ") && e.contains("pin.crt"),
            "{e}"
        );
        let bad_ca = TlsConfig {
            client_auth: Some(ClientAuthConfig {
                ca: Some(f.write("ca.crt", &key)),
                certificates: vec![],
                required: true,
            }),
            ..good
        };
        let e = error(&bad_ca);
        assert!(
            e.starts_with("server.tls.client_ca ") && e.contains("ca.crt"),
            "{e}"
        );
    }
}
