//! Status resources (TAXII 2.1 section 4.3): the outcome of an add-objects request.
//!
//! A status is built and stored by [`super::objects::add`] when the request completes
//! (entente processes an envelope synchronously, so every status it returns is `complete`),
//! and stays retrievable here by the user who made the request, or an admin.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{AcceptsTaxii, TaxiiPath, taxii_json};
use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::auth::Principal;
use crate::error::ApiError;

/// GET {api-root}/status/{status-id}/
pub async fn get(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, status_id)): TaxiiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let status = match state.store.status(&api_root, &status_id).await {
        Ok(s) => s,
        Err(entente_store::Error::NotFound(_)) => {
            return Err(ApiError::NotFound("no such status".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let owner_organisation = match state.store.user(&status.owner).await {
        Ok(u) => u.organisation,
        Err(entente_store::Error::NotFound(_)) => String::new(),
        Err(e) => return Err(e.into()),
    };
    access::check(
        &principal,
        Action::ReadStatus,
        &Resource::Status {
            owner: &status.owner,
            owner_organisation: &owner_organisation,
        },
    )
    .require()?;
    taxii_json(StatusCode::OK, &status.body)
}
