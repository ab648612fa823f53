//! API root information (TAXII 2.1 section 4.2).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_taxii::{ApiRoot, TAXII_JSON};

use super::{AcceptsTaxii, TaxiiPath, taxii_json};
use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::auth::Principal;
use crate::error::ApiError;

/// The stored API root named `name` if the principal may see it, else 404.
pub(crate) async fn find(
    state: &AppState,
    principal: &Principal,
    name: &str,
) -> Result<entente_store::ApiRoot, ApiError> {
    let root = state
        .store
        .api_roots()
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError::NotFound("no such API root".into()))?;
    access::check(
        principal,
        Action::See,
        &Resource::ApiRoot { name: &root.name },
    )
    .require()?;
    Ok(root)
}

/// GET {api-root}/
pub async fn get(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath(api_root): TaxiiPath<String>,
) -> Result<Response, ApiError> {
    let root = find(&state, &principal, &api_root).await?;
    let body = ApiRoot {
        title: root.title,
        description: root.description,
        versions: vec![TAXII_JSON.to_owned()],
        max_content_length: root.max_content_length,
    };
    taxii_json(StatusCode::OK, &body)
}
