//! Discovery (TAXII 2.1 section 4.1): what this server is and which API roots it offers.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::Response;
use entente_taxii::Discovery;

use super::{AcceptsTaxii, taxii_json};
use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::auth::Principal;
use crate::error::ApiError;

/// The absolute base URL (`http://host:port`) the client used, from `Host` (and
/// `X-Forwarded-Proto` for a TLS-terminating proxy). `None` when the header is missing or has
/// characters a host cannot have: then API roots are given as absolute paths.
///
/// The host is echoed only after this check, so a hostile `Host` cannot inject text into
/// the response.
pub(crate) fn base_url(headers: &HeaderMap) -> Option<String> {
    let host = headers.get("host")?.to_str().ok()?;
    let valid = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !valid {
        return None;
    }
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    Some(format!("{scheme}://{host}"))
}

/// GET /taxii2/
///
/// Lists the API roots the access check lets the principal see (today every one: what each
/// principal may reach inside them is decided per collection).
pub async fn get(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = match &state.config.server.public_url {
        Some(url) => url.clone(),
        None => base_url(&headers).unwrap_or_default(),
    };
    let roots: Vec<_> = state
        .store
        .api_roots()
        .await?
        .into_iter()
        .filter(|r| {
            access::check(
                &principal,
                Action::See,
                &Resource::ApiRoot { name: &r.name },
            )
            .is_allow()
        })
        .collect();
    let url = |name: &str| format!("{base}/{name}/");
    let default = state
        .config
        .taxii
        .default_api_root
        .as_deref()
        .filter(|d| roots.iter().any(|r| r.name == *d))
        .map(url);
    let t = &state.config.taxii;
    let body = Discovery {
        title: t.title.clone(),
        description: t.description.clone(),
        contact: t.contact.clone(),
        default,
        api_roots: roots.iter().map(|r| url(&r.name)).collect(),
    };
    taxii_json(StatusCode::OK, &body)
}
