//! `GET /health`: liveness and store reachability.

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
        Ok(_) => (axum::http::StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": "store unreachable"})),
        ),
    }
}
