//! Mattermost's AppError: every error answer, with a stable id and the
//! request id.

use axum::http::StatusCode;
use chathooks_mattermost_server::ErrorResponse;
use chathooks_mattermost_types::AppError;

use chathooks_core::password::PasswordError;
use chathooks_core::store::StoreError;

/// An error on its way to becoming an AppError answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub id: String,
    pub message: String,
    pub detailed: String,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, id: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            id: id.into(),
            message: message.into(),
            detailed: String::new(),
        }
    }

    pub fn detailed(mut self, detailed: impl Into<String>) -> Self {
        self.detailed = detailed.into();
        self
    }

    pub fn bad_request(id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, id, message)
    }

    pub fn not_found(id: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, id, message)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "api.context.permissions.app_error",
            "You do not have the appropriate permissions.",
        )
    }

    pub fn session_expired() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "api.context.session_expired.app_error",
            "Invalid or expired session, please login again.",
        )
    }

    /// A malformed or missing path/query parameter.
    pub fn invalid_url_param(name: &str) -> Self {
        Self::bad_request(
            "api.context.invalid_url_param.app_error",
            format!("Invalid or missing {name} parameter in request URL."),
        )
    }

    /// A malformed or missing body field.
    pub fn invalid_body_param(name: &str) -> Self {
        Self::bad_request(
            "api.context.invalid_body_param.app_error",
            format!("Invalid or missing {name} in request body."),
        )
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "app.internal_error",
            "An internal error occurred.",
        )
        .detailed(detail.to_string())
    }

    /// The AppError body.
    pub fn body(&self) -> AppError {
        AppError {
            id: self.id.clone(),
            message: self.message.clone(),
            detailed_error: self.detailed.clone(),
            request_id: Some(chathooks_dialect::request_id::current()),
            status_code: i64::from(self.status.as_u16()),
            is_oauth: Some(false),
        }
    }

    /// A complete HTTP answer, for errors outside an operation.
    pub fn into_http(self) -> axum::response::Response {
        chathooks_runtime::json_response(self.status, &self.body())
    }

    /// The operation's answer for this error.
    pub fn respond<R: ErrorResponse<AppError>>(self) -> R {
        R::error(self.status, self.body())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::not_found("app.store.not_found.app_error", "The resource was not found."),
            StoreError::Conflict(what) => Self::bad_request(
                "store.sql.save.exists.app_error",
                "A resource with the same name already exists.",
            )
            .detailed(what),
            other => Self::internal(other),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        match error {
            // Mattermost has no such limit; the id is ours, in its style.
            PasswordError::Busy => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "app.password.too_many_waiting.app_error",
                "Too many password checks are waiting. Please try again shortly.",
            ),
            PasswordError::Failed(detail) => Self::internal(detail),
        }
    }
}

/// Turn an operation's outcome into its answer.
pub(crate) fn respond<R: ErrorResponse<AppError>>(result: ApiResult<R>) -> R {
    result.unwrap_or_else(ApiError::respond)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_password_pool_is_a_429_app_error() {
        let error = ApiError::from(PasswordError::Busy);
        assert_eq!(error.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.id, "app.password.too_many_waiting.app_error");
        // Login documents only 400 and 401; any other status is its `default`.
        let answer: chathooks_mattermost_server::ops::login::Response = error.respond();
        let answer = axum::response::IntoResponse::into_response(answer);
        assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
    }
}
