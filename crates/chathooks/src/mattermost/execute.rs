//! `POST /hooks/{hook_id}` (being written).

use chathooks_mattermost_server::ops::execute_incoming_webhook;

use super::error::{ApiError, ApiResult};
use crate::server::Shared;
use crate::store::Store;

pub async fn execute_incoming_webhook<S: Store>(
    _state: &Shared<S>,
    _request: execute_incoming_webhook::Request,
) -> ApiResult<execute_incoming_webhook::Response> {
    Err(ApiError::new(
        axum::http::StatusCode::NOT_IMPLEMENTED,
        "api.not_implemented",
        "Not implemented yet.",
    ))
}
