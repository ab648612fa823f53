//! `GET /health`: liveness, store reachability, and whether the correlation index is built.

use axum::{Json, Router, extract::State, routing::get};
use serde_json::json;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

/// GET /health
async fn health(
    State(state): State<AppState>,
) -> (axum::http::StatusCode, Json<serde_json::Value>) {
    match state.store.api_roots().await {
        Ok(_) => (
            axum::http::StatusCode::OK,
            Json(json!({
                "status": "ok",
                "correlation_index": crate::correlation::index_state(&state.store),
            })),
        ),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": "store unreachable"})),
        ),
    }
}
