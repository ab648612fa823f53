//! The TAXII 2.1 API, one module per resource of the specification.
//!
//! | route | module |
//! |---|---|
//! | `GET /taxii2/` | [`discovery`] |
//! | `GET {api-root}/` | [`api_root`] |
//! | `GET {api-root}/status/{status-id}/` | [`status`] |
//! | `GET {api-root}/collections/`, `GET {api-root}/collections/{id}/` | [`collections`] |
//! | `GET, POST {api-root}/collections/{id}/objects/`, `GET, DELETE .../objects/{object-id}/` | [`objects`] |
//! | `GET .../objects/{object-id}/versions/` | [`versions`] |
//! | `GET {api-root}/collections/{id}/manifest/` | [`manifest`] |
//!
//! Every handler takes, in this order: the authenticated [`Principal`] (401 first), then
//! [`AcceptsTaxii`] (406), then its path and query, and asks [`crate::access::check`] before
//! touching content. Every error, including unknown routes (404) and wrong methods (405), is
//! an [`ApiError`] rendered as a TAXII error message. What this module is not: it holds no
//! wire types (`entente-taxii`), no SQL (`entente-store`) and no policy (`access`).
//!
//! Paths end with `/` as the specification writes them; a path without the trailing slash is
//! a 404 (TAXII URLs are opaque to clients, which use the URLs the server gives them).

pub mod api_root;
pub mod collections;
pub mod discovery;
pub(crate) mod gated;
pub mod manifest;
pub mod objects;
pub(crate) mod paging;
pub mod status;
pub mod versions;

use axum::extract::{FromRequestParts, Path};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use entente_store::{Collection, DateAdded, Permission};
use entente_taxii::TAXII_JSON;
use serde::Serialize;

use crate::AppState;
use crate::access::{self, Action, Resource};
use crate::auth::Principal;
use crate::error::ApiError;

/// The TAXII routes, with TAXII error messages for unknown routes, wrong methods and panics.
pub fn router(_state: AppState) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/taxii2/", get(discovery::get))
        .route("/{api_root}/", get(api_root::get))
        .route("/{api_root}/status/{status_id}/", get(status::get))
        .route("/{api_root}/collections/", get(collections::list))
        .route(
            "/{api_root}/collections/{collection_id}/",
            get(collections::get),
        )
        .route(
            "/{api_root}/collections/{collection_id}/objects/",
            get(objects::list).post(objects::add),
        )
        .route(
            "/{api_root}/collections/{collection_id}/objects/{object_id}/",
            get(objects::get_one).delete(objects::delete),
        )
        .route(
            "/{api_root}/collections/{collection_id}/objects/{object_id}/versions/",
            get(versions::get),
        )
        .route(
            "/{api_root}/collections/{collection_id}/manifest/",
            get(manifest::get),
        )
        // Must come after the routes: it is attached to the routes that exist when called.
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            crate::error::panic_response,
        ))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such TAXII resource (TAXII URLs end with a slash)".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Proof that the request's `Accept` header admits a TAXII 2.1 response (else 406).
pub struct AcceptsTaxii;

impl<S: Send + Sync> FromRequestParts<S> for AcceptsTaxii {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut values = parts.headers.get_all(ACCEPT).iter().peekable();
        if values.peek().is_none() {
            return Ok(AcceptsTaxii);
        }
        for v in values {
            let text = v.to_str().map_err(|_| ApiError::NotAcceptable)?;
            if entente_taxii::media::accepts_taxii(Some(text)) {
                return Ok(AcceptsTaxii);
            }
        }
        Err(ApiError::NotAcceptable)
    }
}

/// Path parameters, with extraction failures as TAXII errors (axum's own are plain text).
pub struct TaxiiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for TaxiiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| TaxiiPath(t))
            .map_err(|_| ApiError::BadRequest("malformed path segment".into()))
    }
}

/// A TAXII JSON response with the TAXII media type.
pub(crate) fn taxii_json<T: Serialize>(status: StatusCode, body: &T) -> Result<Response, ApiError> {
    let bytes = serde_json::to_vec(body).map_err(ApiError::internal)?;
    Ok(taxii_bytes(status, bytes))
}

/// A TAXII response of JSON already written.
pub(crate) fn taxii_bytes(status: StatusCode, json: Vec<u8>) -> Response {
    let mut resp = (status, json).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TAXII_JSON));
    resp
}

/// Adds `X-TAXII-Date-Added-First` and `-Last` (TAXII 2.1 section 3.3) for a non-empty page.
pub(crate) fn date_added_headers(
    resp: &mut Response,
    first: Option<DateAdded>,
    last: Option<DateAdded>,
) {
    for (name, d) in [
        ("x-taxii-date-added-first", first),
        ("x-taxii-date-added-last", last),
    ] {
        if let Some(d) = d
            && let Ok(v) = HeaderValue::from_str(d.to_timestamp().as_str())
        {
            resp.headers_mut().insert(HeaderName::from_static(name), v);
        }
    }
}

/// A collection as the requester is entitled to it: the collection, the requester's
/// permission, and the decision for `action` already enforced.
pub(crate) struct Reached {
    /// The collection.
    pub(crate) collection: Collection,
    /// The requester's permission on it.
    pub(crate) permission: Option<Permission>,
    /// The sharing rules for this request on it.
    pub(crate) gate: access::Gate,
}

/// Finds a collection by id or alias and enforces `action` on it through the one access
/// check. A missing collection and a concealed one give the same 404.
pub(crate) async fn reach_collection(
    state: &AppState,
    principal: &Principal,
    api_root: &str,
    id_or_alias: &str,
    action: Action,
) -> Result<Reached, ApiError> {
    // Clients nearly always use the collection's id: look the permission up for it at the
    // same time as the collection, and ask again only when the path held an alias. Both
    // usually come from the catalogue without asking the store (see `catalog`).
    let guess = entente_store::CollectionId(id_or_alias.to_ascii_lowercase());
    let (collection, guessed) = tokio::join!(
        state
            .catalog
            .collection(&state.store, api_root, id_or_alias),
        state
            .catalog
            .permission(&state.store, &principal.user, &guess),
    );
    let collection = match collection {
        Ok(c) => c,
        Err(entente_store::Error::NotFound(_)) => {
            return Err(ApiError::NotFound("no such resource".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let permission = if collection.id == guess {
        guessed?
    } else {
        permission_of(state, principal, &collection).await?
    };
    let gate = access::Gate::new(
        principal,
        &collection.id,
        state.sharing.get(&state.store).await?,
    );
    let decision = access::check_shared(
        principal,
        action,
        &Resource::Collection {
            collection: &collection,
            permission: permission.as_ref(),
        },
        &gate,
    );
    // Invariant 4: a refusal leaves a trace before it is answered.
    crate::audit::record_refusal(
        &state.journal,
        principal,
        action,
        &collection.id.0,
        &decision,
    )
    .await?;
    decision.require()?;
    Ok(Reached {
        collection,
        permission,
        gate,
    })
}

/// The principal's permission on a collection, `None` when none was granted.
pub(crate) async fn permission_of(
    state: &AppState,
    principal: &Principal,
    collection: &Collection,
) -> Result<Option<Permission>, ApiError> {
    Ok(state
        .catalog
        .permission(&state.store, &principal.user, &collection.id)
        .await?)
}

/// An object id from a path, refused with 400 unless it is a STIX identifier
/// (`type--UUID`): a path segment never reaches the store unchecked.
pub(crate) fn object_id(raw: &str) -> Result<String, ApiError> {
    raw.parse::<entente_stix::StixId>()
        .map(|id| id.into_string())
        .map_err(|_| {
            ApiError::BadRequest("the object id must be a STIX identifier `type--UUID`".into())
        })
}
