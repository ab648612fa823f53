//! Where each peer stands: last success, lag, errors. Shown by `entente peer show` and served
//! to administrators (and monitoring with an admin credential) at
//! `GET /entente/v1/federation/peers/`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use entente_store::{Peer, PeerState};
use serde::Serialize;

use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::auth::Principal;
use crate::error::ApiError;

/// A peer's health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    /// The peer.
    pub name: String,
    /// Its API root URL.
    pub url: String,
    /// The organisation behind it.
    pub organisation: String,
    /// The channel.
    pub channel: String,
    /// `ok` (the last attempt succeeded), `failing` (it failed; see `last_error`) or `never`
    /// (no attempt yet).
    pub state: &'static str,
    /// The last successful sync (TAXII timestamp).
    pub last_success: Option<String>,
    /// The last attempt (TAXII timestamp).
    pub last_attempt: Option<String>,
    /// The last error, while failing.
    pub last_error: Option<String>,
    /// Consecutive failures (the retry delay doubles with each).
    pub failures: u32,
    /// Seconds since this node last held everything the peer offered; `None` if it never did.
    pub lag_seconds: Option<u64>,
    /// Versions the peer still had for us when the last pull stopped (a lower bound).
    pub behind: u64,
    /// Versions stored from the peer in all.
    pub stored: u64,
    /// Versions pushed to the peer in all.
    pub pushed: u64,
    /// Versions deleted here because the peer deleted them.
    pub deleted: u64,
    /// Versions refused from the peer (invalid, bad signatures, denied by the gate).
    pub refused: u64,
}

fn timestamp(micros: Option<i64>) -> Option<String> {
    micros.map(|m| {
        entente_stix::Timestamp::from_unix_micros(m)
            .as_str()
            .to_owned()
    })
}

impl PeerStatus {
    /// The status of `peer` from its stored state, now.
    pub fn of(peer: &Peer, s: &PeerState) -> PeerStatus {
        let now = crate::audit::now_micros();
        let state = match (&s.last_error, s.progress.last_attempt.or(s.last_success)) {
            (Some(_), _) => "failing",
            (None, Some(_)) => "ok",
            (None, None) => "never",
        };
        PeerStatus {
            name: peer.name.clone(),
            url: peer.url.clone(),
            organisation: peer.organisation.clone(),
            channel: peer.channel.clone(),
            state,
            last_success: timestamp(s.last_success),
            last_attempt: timestamp(s.progress.last_attempt),
            last_error: s.last_error.clone(),
            failures: s.progress.failures,
            lag_seconds: s
                .progress
                .caught_up_at
                .map(|t| ((now - t).max(0) / 1_000_000) as u64),
            behind: s.progress.behind,
            stored: s.stored,
            pushed: s.progress.pushed,
            deleted: s.progress.deleted,
            refused: s.progress.refused,
        }
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/entente/v1/federation/peers/", get(list))
}

async fn list(principal: Principal, State(state): State<AppState>) -> Result<Response, ApiError> {
    let d = access::check(&principal, Action::Administer, &Resource::Node);
    crate::audit::record_refusal(
        &state.journal,
        &principal,
        Action::Administer,
        "federation-status",
        &d,
    )
    .await?;
    d.require()?;
    let peers: Vec<PeerStatus> = state
        .store
        .peers()
        .await?
        .iter()
        .map(|(p, s)| PeerStatus::of(p, s))
        .collect();
    let body = serde_json::json!({ "peers": peers });
    Ok(crate::releases::json_response(StatusCode::OK, &body))
}
