//! Object versions (TAXII 2.1 section 5.7): the versions of one object, oldest `date_added`
//! first.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use entente_taxii::Versions;

use super::gated;
use super::objects::parse_query;
use super::paging::{self, Binding, Endpoint};
use super::{AcceptsTaxii, TaxiiPath, date_added_headers, object_id, reach_collection, taxii_json};
use crate::AppState;
use crate::access::{Action, ObjectAction};
use crate::auth::Principal;
use crate::error::ApiError;

/// GET {api-root}/collections/{id}/objects/{object-id}/versions/
///
/// Honours `added_after`, `limit`, `next` and `match[spec_version]`; every version is listed
/// (`match[version]` does not apply here). 404 when the object has no matching version.
pub async fn get(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, collection, object)): TaxiiPath<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let reached =
        reach_collection(&state, &principal, &api_root, &collection, Action::Read).await?;
    let object = object_id(&object)?;
    let q = paging::honoured(Endpoint::Versions, &parse_query(raw.as_deref())?);
    let coll = &reached.collection.id;
    let binding = Binding::new(
        &state.paging_key,
        "versions",
        &api_root,
        &coll.0,
        &object,
        &principal.user,
        &q,
    );
    let after = q
        .next
        .as_deref()
        .map(|t| paging::open(t, &binding))
        .transpose()?;
    let limit = paging::page_size(&state, &q);
    let filter = paging::store_filter(Endpoint::Versions, &q, Some(&object), limit, after);
    let gated = gated::page(&state, &reached.gate, ObjectAction::Read, &filter, |f| {
        let state = &state;
        async move { state.store.manifest_page(coll, &f).await }
    })
    .await?;
    gated::record_read(
        &state,
        &principal,
        "taxii.versions.read",
        &format!("{}/{object}", coll),
        gated::detail(&gated),
    )
    .await?;
    let page = gated.page;
    if page.items.is_empty() && after.is_none() {
        return Err(ApiError::NotFound("no such object".into()));
    }
    let first = page.items.first().map(|r| r.date_added);
    let last = page.items.last().map(|r| r.date_added);
    let body = Versions {
        more: Some(page.more),
        next: page.next.map(|c| paging::seal(c, &binding)),
        versions: page.items.into_iter().map(|r| r.version).collect(),
    };
    let mut resp = taxii_json(StatusCode::OK, &body)?;
    date_added_headers(&mut resp, first, last);
    Ok(resp)
}
