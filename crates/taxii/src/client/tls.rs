//! The client's TLS settings: extra trusted CAs, a pinned server certificate, and a client
//! identity for mutual TLS, turned into one `rustls::ClientConfig`.
//!
//! Decisions a reader may question:
//! - **A pin replaces the chain check, not the handshake check.** A pinned peer is accepted when
//!   it presents exactly the pinned certificate (the DER bytes compared), whoever signed it and
//!   whatever names it carries: partners often run self-signed certificates, and a pin is
//!   the stronger statement. The handshake signature is still verified against the pinned
//!   certificate's key, so only the holder of its private key can present it.
//! - **Without a pin the roots are webpki's plus the added ones**, the roots reqwest itself
//!   trusts with the `rustls-tls` feature: adding a CA never stops trusting the public ones.
//! - **The ring provider is named explicitly** rather than taken from a process-wide default,
//!   so the client works whatever else the process installs.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// PEM texts given to the builder, parsed when the client is built.
#[derive(Clone, Default)]
pub(super) struct TlsOptions {
    pub(super) roots: Vec<Vec<u8>>,
    pub(super) pinned: Option<Vec<u8>>,
    pub(super) identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl fmt::Debug for TlsOptions {
    // The private key never reaches logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("roots", &self.roots.len())
            .field("pinned", &self.pinned.is_some())
            .field("identity", &self.identity.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl TlsOptions {
    pub(super) fn is_empty(&self) -> bool {
        self.roots.is_empty() && self.pinned.is_none() && self.identity.is_none()
    }

    /// The rustls configuration these options describe; the error says which input is wrong.
    pub(super) fn client_config(&self) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let builder = match &self.pinned {
            Some(pem) => {
                let pinned = certificates(pem, "the pinned server certificate")?
                    .into_iter()
                    .next()
                    .expect("certificates() returns at least one");
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(PinnedServer::new(
                        pinned, &provider,
                    )))
            }
            None => {
                let mut roots = rustls::RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                for pem in &self.roots {
                    for cert in certificates(pem, "a root certificate")? {
                        roots
                            .add(cert)
                            .map_err(|e| format!("a root certificate is unusable: {e}"))?;
                    }
                }
                builder.with_root_certificates(roots)
            }
        };
        match &self.identity {
            Some((cert, key)) => {
                let chain = certificates(cert, "the client certificate")?;
                let key = private_key(key, "the client key")?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| format!("the client certificate and key do not fit: {e}"))
            }
            None => Ok(builder.with_no_client_auth()),
        }
    }
}

/// Every certificate of a PEM text; at least one, or an error naming `what`.
pub(super) fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} is not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what} holds no PEM certificate"));
    }
    Ok(certs)
}

/// The private key of a PEM text (PKCS#8, PKCS#1 or SEC1), or an error naming `what`.
pub(super) fn private_key(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => format!("{what} holds no PEM private key"),
        e => format!("{what} is not valid PEM: {e}"),
    })
}

/// Accepts exactly one server certificate, and checks the handshake was signed with its key.
#[derive(Debug)]
struct PinnedServer {
    pinned: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedServer {
    fn new(pinned: CertificateDer<'static>, provider: &CryptoProvider) -> PinnedServer {
        PinnedServer {
            pinned,
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

/// Why a pinned connection was refused (shown in the error chain).
#[derive(Debug, thiserror::Error)]
#[error("the server's certificate is not the pinned certificate")]
struct NotPinned;

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(NotPinned))),
            ))
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

/// The TLS failure inside a request error, when the request failed for one: a certificate
/// refused on either side, an alert from the server, a protocol mismatch.
pub(super) fn failure(error: &reqwest::Error) -> Option<String> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(t) = e.downcast_ref::<rustls::Error>() {
            return Some(describe(t));
        }
        // An `io::Error` wrapping another error reports the wrapped error's source rather
        // than the wrapped error itself (and the connector nests them): look inside.
        next = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// rustls's message, made readable where its own `Display` shows a debug form.
fn describe(e: &rustls::Error) -> String {
    use rustls::{AlertDescription as Alert, CertificateError as Cert, Error as E};
    match e {
        E::InvalidCertificate(Cert::Other(other)) => {
            format!("invalid peer certificate: {}", other.0)
        }
        E::InvalidCertificate(Cert::UnknownIssuer) => {
            "invalid peer certificate: not issued by a trusted CA (UnknownIssuer)".into()
        }
        E::AlertReceived(
            Alert::CertificateRequired
            | Alert::BadCertificate
            | Alert::UnknownCA
            | Alert::CertificateUnknown,
        ) => format!("{e} (the server refused our client certificate, or wants one)"),
        e => e.to_string(),
    }
}
