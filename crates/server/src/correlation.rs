//! Correlation (issue 5): the ingest hook that indexes observables and finds hits, and the API
//! listing hits through the access check.

use axum::Router;

use crate::AppState;

/// The correlation routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
