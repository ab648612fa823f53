//! How a node reaches a peer: the project's TAXII client, with our credential for the peer
//! and the peer's transport settings ([`entente_store::PeerTls`]).
//!
//! The TLS files are read at each pull, not when the peer is added: a certificate renewed on
//! disk is used from the next pull on, without registering the peer again. Each file is
//! checked here, so that an error names the file rather than only what was wrong in it.

use entente_store::Peer;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::PullError;

/// The TAXII client for `peer`: our bearer token (read from the peer's token file) and its
/// transport settings: a CA to trust, a pinned server certificate, our client certificate
/// and key (mutual TLS). An unreadable or malformed file is [`PullError::Configuration`].
pub fn client_for(peer: &Peer) -> Result<entente_taxii::Client, PullError> {
    let token = std::fs::read_to_string(&peer.token_file)
        .map_err(|source| PullError::Token {
            path: peer.token_file.clone(),
            source,
        })?
        .trim()
        .to_owned();
    let tls = &peer.options.tls;
    let mut builder = entente_taxii::Client::builder().bearer_token(token);
    if let Some(path) = &tls.ca_certificate {
        builder = builder.add_root_certificate(certificate_file(path, "CA certificate")?);
    }
    if let Some(path) = &tls.pinned_certificate {
        builder = builder.pinned_server_certificate(certificate_file(path, "pinned certificate")?);
    }
    match (&tls.client_certificate, &tls.client_key) {
        (Some(cert), Some(key)) => {
            builder = builder.client_identity(
                certificate_file(cert, "client certificate")?,
                key_file(key)?,
            );
        }
        (None, None) => {}
        _ => {
            return Err(PullError::Configuration(format!(
                "peer {}: a client certificate needs its key, and a key its certificate",
                peer.name
            )));
        }
    }
    builder.build().map_err(|e| match e {
        entente_taxii::client::Error::TlsSettings(reason) => {
            PullError::Configuration(format!("peer {}: {reason}", peer.name))
        }
        e => PullError::peer(&e),
    })
}

fn read(path: &str, what: &str) -> Result<Vec<u8>, PullError> {
    std::fs::read(path)
        .map_err(|e| PullError::Configuration(format!("cannot read the {what} {path}: {e}")))
}

/// A PEM file holding at least one certificate.
fn certificate_file(path: &str, what: &str) -> Result<Vec<u8>, PullError> {
    let pem = read(path, what)?;
    let mut certs = CertificateDer::pem_slice_iter(&pem);
    match certs.next() {
        Some(Ok(_)) if certs.all(|c| c.is_ok()) => Ok(pem),
        Some(_) => Err(PullError::Configuration(format!(
            "the {what} {path} is not valid PEM"
        ))),
        None => Err(PullError::Configuration(format!(
            "the {what} {path} holds no PEM certificate"
        ))),
    }
}

/// A PEM file holding a private key.
fn key_file(path: &str) -> Result<Vec<u8>, PullError> {
    let pem = read(path, "client key")?;
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(_) => Ok(pem),
        Err(rustls::pki_types::pem::Error::NoItemsFound) => Err(PullError::Configuration(format!(
            "the client key {path} holds no PEM private key"
        ))),
        Err(e) => Err(PullError::Configuration(format!(
            "the client key {path} is not valid PEM: {e}"
        ))),
    }
}
