//! Liveness, readiness and Prometheus metrics.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use crate::error::ApiError;
use crate::state::AppState;
use pramana_server::store;

/// `/healthz`, `/readyz`, `/metrics`.
pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

/// Postgres answers.
async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    store::ping(&state.pool).await.map_err(|_| ApiError::Unavailable)?;
    Ok((StatusCode::OK, axum::Json(json!({"status": "ready"}))))
}

/// Prometheus text exposition.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
