//! How a node reaches a peer: the project's TAXII client, with our credential for the peer
//! and the peer's transport settings ([`entente_store::PeerTls`]).

use entente_store::Peer;

use super::PullError;

/// The TAXII client for `peer`: our bearer token (read from the peer's token file) and its
/// transport settings.
pub fn client_for(peer: &Peer) -> Result<entente_taxii::Client, PullError> {
    let token = std::fs::read_to_string(&peer.token_file)
        .map_err(|source| PullError::Token {
            path: peer.token_file.clone(),
            source,
        })?
        .trim()
        .to_owned();
    entente_taxii::Client::builder()
        .bearer_token(token)
        .build()
        .map_err(|e| PullError::Peer(e.to_string()))
}
