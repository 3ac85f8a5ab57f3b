//! `GET /healthz` (the process serves requests) and `GET /readyz` (and its
//! database answers), for orchestrators and for tests waiting on a start.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::server::Shared;

pub async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

pub async fn readyz(State(state): State<Shared>) -> Response {
    match state.core.read().count_users().await {
        Ok(_) if !state.core.shutdown.is_cancelled() => (StatusCode::OK, "ready\n").into_response(),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}
