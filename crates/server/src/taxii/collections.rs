//! Collections (TAXII 2.1 sections 5.1 and 5.2).
//!
//! A principal sees only the collections the access check lets it see, each with `can_read`
//! and `can_write` as they apply to that principal. A collection it may not see is absent
//! from the list and answers 404, like one that does not exist.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_store::Permission;
use entente_taxii::{Collection, Collections};

use super::{AcceptsTaxii, TaxiiPath, permission_of, reach_collection, taxii_json};
use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::auth::Principal;
use crate::error::ApiError;

/// The wire form of a collection for this principal.
fn describe(
    principal: &Principal,
    c: entente_store::Collection,
    permission: Option<&Permission>,
    gate: &access::Gate,
) -> Collection {
    let allowed = |action| {
        access::check_shared(
            principal,
            action,
            &Resource::Collection {
                collection: &c,
                permission,
            },
            gate,
        )
        .is_allow()
    };
    let (can_read, can_write) = (allowed(Action::Read), allowed(Action::Write));
    Collection {
        id: c.id.0,
        title: c.title,
        description: c.description,
        alias: c.alias,
        can_read,
        can_write,
        media_types: c.media_types,
    }
}

/// GET {api-root}/collections/
pub async fn list(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath(api_root): TaxiiPath<String>,
) -> Result<Response, ApiError> {
    super::api_root::find(&state, &principal, &api_root).await?;
    let mut out = Vec::new();
    let snapshot = state.sharing.get(&state.store).await?;
    for c in state.store.collections(&api_root).await? {
        let permission = permission_of(&state, &principal, &c).await?;
        let gate = access::Gate::new(&principal, &c.id, snapshot.clone());
        let visible = access::check_shared(
            &principal,
            Action::See,
            &Resource::Collection {
                collection: &c,
                permission: permission.as_ref(),
            },
            &gate,
        )
        .is_allow();
        if visible {
            out.push(describe(&principal, c, permission.as_ref(), &gate));
        }
    }
    taxii_json(StatusCode::OK, &Collections { collections: out })
}

/// GET {api-root}/collections/{id}/
pub async fn get(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, id)): TaxiiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let reached = reach_collection(&state, &principal, &api_root, &id, Action::See).await?;
    let body = describe(
        &principal,
        reached.collection,
        reached.permission.as_ref(),
        &reached.gate,
    );
    taxii_json(StatusCode::OK, &body)
}
