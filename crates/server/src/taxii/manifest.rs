//! Manifest (TAXII 2.1 section 5.6): one record per object version, without content.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use entente_taxii::{Manifest, ManifestRecord};

use super::gated;
use super::objects::parse_query;
use super::paging::{self, Binding, Endpoint};
use super::{AcceptsTaxii, TaxiiPath, date_added_headers, reach_collection, taxii_json};
use crate::AppState;
use crate::access::{Action, ObjectAction};
use crate::auth::Principal;
use crate::error::ApiError;

/// GET {api-root}/collections/{id}/manifest/
///
/// Same filters and paging as the objects listing; the manifest reveals which objects exist,
/// so it needs the same read permission as the objects themselves.
pub async fn get(
    principal: Principal,
    _: AcceptsTaxii,
    State(state): State<AppState>,
    TaxiiPath((api_root, collection)): TaxiiPath<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let reached =
        reach_collection(&state, &principal, &api_root, &collection, Action::Read).await?;
    let q = paging::honoured(Endpoint::Listing, &parse_query(raw.as_deref())?);
    let coll = &reached.collection.id;
    let binding = Binding::new(
        &state.paging_key,
        "manifest",
        &api_root,
        &coll.0,
        "",
        &principal.user,
        &q,
    );
    let after = q
        .next
        .as_deref()
        .map(|t| paging::open(t, &binding))
        .transpose()?;
    let limit = paging::page_size(&state, &q);
    let filter = paging::store_filter(Endpoint::Listing, &q, None, limit, after);
    let gated = gated::page(&state, &reached.gate, ObjectAction::Read, &filter, |f| {
        let state = &state;
        async move { state.store.manifest_page(coll, &f).await }
    })
    .await?;
    gated::record_read(
        &state,
        &principal,
        "taxii.manifest.read",
        &coll.0,
        gated::detail(&gated),
    )
    .await?;
    let page = gated.page;
    let first = page.items.first().map(|r| r.date_added);
    let last = page.items.last().map(|r| r.date_added);
    let body = Manifest {
        more: Some(page.more),
        next: page.next.map(|c| paging::seal(c, &binding)),
        objects: page
            .items
            .into_iter()
            .map(|r| ManifestRecord {
                id: r.id,
                date_added: r.date_added.to_timestamp().as_str().to_owned(),
                version: r.version,
                media_type: Some(r.media_type),
            })
            .collect(),
    };
    let mut resp = taxii_json(StatusCode::OK, &body)?;
    date_added_headers(&mut resp, first, last);
    Ok(resp)
}
