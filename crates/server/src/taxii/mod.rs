//! The TAXII 2.1 API, one module per resource of the specification.

use crate::AppState;

/// The TAXII routes.
pub fn router(_state: AppState) -> axum::Router<AppState> {
    axum::Router::new()
}
