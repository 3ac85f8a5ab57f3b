//! Rocket.Chat's error answers.
//!
//! Rocket.Chat answers failures in a few fixed shapes, and clients match on
//! them: `{success: false, error, errorType?, details?}` with 400 (and 403 for a
//! missing permission), `{success: false, status: "error", message}` with 401,
//! and a plain-text 503 from `/hooks`. [`RcError`] is an error on its way to one
//! of those; [`FromRcError`] turns it into the answer of any operation, and
//! [`request_error`] answers requests the generated router refused.

use std::fmt;

use axum::http::StatusCode;
use axum::response::Response;
use chathooks_rocketchat_server::ops;
use chathooks_rocketchat_types as types;
use chathooks_runtime::{RequestError, RequestErrorKind, ValidationIssue};
use serde_json::{Map, Value};

use chathooks_core::password::PasswordError;
use chathooks_core::store::StoreError;

/// The message of every 401.
pub(crate) const NOT_LOGGED_IN: &str = "You must be logged in to do this.";
/// The error of every 403.
pub(crate) const NOT_PERMITTED: &str =
    "User does not have the permissions required for this action [error-unauthorized]";
/// `errorType` of schema validation failures.
pub(crate) const INVALID_PARAMS: &str = "invalid-params";
/// The operations whose too large bodies are files too large.
const UPLOAD_OPERATIONS: [&str; 2] = ["roomsUpload", "roomsMedia"];

/// An error on its way to becoming a Rocket.Chat answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RcError {
    /// 400 `{success: false, error, errorType?, details?}`.
    BadRequest {
        error: String,
        error_type: Option<String>,
        details: Map<String, Value>,
    },
    /// 401: no valid session.
    Unauthorized,
    /// 403: the caller lacks a permission.
    Forbidden,
    /// 403 with another error text (Rocket.Chat's `API.v1.unauthorized()`
    /// answers `unauthorized`).
    Refused(String),
    /// 404 (`/hooks` only), with the error text.
    NotFound(String),
    /// 503 (`/hooks` only): the integration is disabled.
    ServiceUnavailable,
    /// 429 with an error id: a bounded queue (the password pool) is full.
    TooManyRequests { error: String, error_type: String },
    /// 500; the detail is logged, never sent.
    Internal(String),
}

pub(crate) type RcResult<T> = Result<T, RcError>;

impl RcError {
    /// A failure without an error id (`API.v1.failure("...")` in Rocket.Chat).
    pub(crate) fn failure(error: impl Into<String>) -> Self {
        Self::BadRequest {
            error: error.into(),
            error_type: None,
            details: Map::new(),
        }
    }

    /// A failure with an error id: `error` is `"<message> [<id>]"`, as Rocket.Chat
    /// renders a `Meteor.Error`.
    pub(crate) fn typed(error_type: &str, message: &str) -> Self {
        Self::BadRequest {
            error: format!("{message} [{error_type}]"),
            error_type: Some(error_type.to_owned()),
            details: Map::new(),
        }
    }

    /// A failure with an error id and no message: a `Meteor.Error` without a
    /// reason renders as `"[<id>]"`.
    pub(crate) fn bare(error_type: &str) -> Self {
        Self::BadRequest {
            error: format!("[{error_type}]"),
            error_type: Some(error_type.to_owned()),
            details: Map::new(),
        }
    }

    /// A 403 whose error is `error`.
    pub(crate) fn refused(error: impl Into<String>) -> Self {
        Self::Refused(error.into())
    }

    /// Schema validation failures, with ajv-style messages.
    pub(crate) fn invalid_params(messages: &[String]) -> Self {
        Self::typed(INVALID_PARAMS, &messages.join("\n "))
    }

    /// Name the server method that failed in `details.method`, as Rocket.Chat
    /// does for errors thrown by its integration methods.
    pub(crate) fn in_method(mut self, method: &str) -> Self {
        if let Self::BadRequest { details, .. } = &mut self {
            details.insert("method".into(), method.into());
        }
        self
    }

    /// An internal failure: logged here with its detail, answered as a bare 500.
    pub(crate) fn internal(detail: impl fmt::Display) -> Self {
        let detail = detail.to_string();
        tracing::error!(%detail, "internal error in the Rocket.Chat API");
        Self::Internal(detail)
    }

    /// The body and status this error is answered with.
    pub(crate) fn answer(self) -> Answer {
        match self {
            Self::BadRequest {
                error,
                error_type,
                details,
            } => Answer::BadRequest(error_body(error, error_type, details)),
            Self::Unauthorized => Answer::Unauthorized(types::UnauthorizedError {
                message: NOT_LOGGED_IN.into(),
                status: types::UnauthorizedErrorStatus::Error,
                success: Some(false.into()),
            }),
            Self::Forbidden => Answer::Forbidden(error_body(NOT_PERMITTED.into(), None, Map::new())),
            Self::Refused(error) => Answer::Forbidden(error_body(error, None, Map::new())),
            Self::NotFound(error) => Answer::NotFound(error_body(error, None, Map::new())),
            Self::ServiceUnavailable => Answer::ServiceUnavailable("Service Unavailable".into()),
            Self::TooManyRequests { error, error_type } => {
                Answer::TooManyRequests(error_body(error, Some(error_type), Map::new()))
            }
            Self::Internal(_) => Answer::InternalServerError(error_body(
                "Internal server error".into(),
                Some("error-internal".into()),
                Map::new(),
            )),
        }
    }

    /// A complete HTTP answer, for errors outside an operation.
    pub(crate) fn into_http(self) -> Response {
        use chathooks_runtime::{json_response, text_response};
        match self.answer() {
            Answer::BadRequest(body) => json_response(StatusCode::BAD_REQUEST, &body),
            Answer::Unauthorized(body) => json_response(StatusCode::UNAUTHORIZED, &body),
            Answer::Forbidden(body) => json_response(StatusCode::FORBIDDEN, &body),
            Answer::NotFound(body) => json_response(StatusCode::NOT_FOUND, &body),
            Answer::ServiceUnavailable(text) => text_response(StatusCode::SERVICE_UNAVAILABLE, "text/plain", text),
            Answer::TooManyRequests(body) => json_response(StatusCode::TOO_MANY_REQUESTS, &body),
            Answer::InternalServerError(body) => json_response(StatusCode::INTERNAL_SERVER_ERROR, &body),
        }
    }
}

fn error_body(error: String, error_type: Option<String>, details: Map<String, Value>) -> types::Error {
    types::Error {
        details,
        error,
        error_type,
        success: false.into(),
    }
}

impl From<StoreError> for RcError {
    fn from(error: StoreError) -> Self {
        match error {
            // A record that vanished between a lookup and a write (a concurrent
            // removal), or a reference to a missing one.
            StoreError::NotFound => Self::failure("The requested record no longer exists."),
            StoreError::Conflict(what) => Self::typed("error-duplicate", &format!("Already exists: {what}")),
            other => Self::internal(other),
        }
    }
}

impl From<PasswordError> for RcError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => Self::TooManyRequests {
                error: "Too many password checks are waiting. Try again shortly. [error-too-many-requests]".into(),
                error_type: "error-too-many-requests".into(),
            },
            PasswordError::Failed(detail) => Self::internal(detail),
        }
    }
}

/// An error's answer. The variant names are those of the generated response
/// enums, so [`FromRcError`] can be implemented by a macro.
#[derive(Debug, Clone)]
pub(crate) enum Answer {
    BadRequest(types::Error),
    Unauthorized(types::UnauthorizedError),
    Forbidden(types::Error),
    NotFound(types::Error),
    ServiceUnavailable(String),
    TooManyRequests(types::Error),
    InternalServerError(types::Error),
}

/// An operation's response built from an error.
pub(crate) trait FromRcError {
    fn from_rc_error(error: RcError) -> Self;
}

/// Implement [`FromRcError`] for operations, naming the error variants each
/// documents; an error whose status an operation does not document is
/// answered as a 500 (it would be a bug in this server).
macro_rules! from_rc_error {
    ($($op:ident => [$($variant:ident),*];)*) => {$(
        impl FromRcError for ops::$op::Response {
            fn from_rc_error(error: RcError) -> Self {
                match error.answer() {
                    $(Answer::$variant(body) => Self::$variant(body),)*
                    #[allow(unreachable_patterns)]
                    other => {
                        tracing::error!(operation = stringify!($op), ?other, "undocumented error status");
                        Self::InternalServerError(error_body(
                            "Internal server error".into(),
                            Some("error-internal".into()),
                            Map::new(),
                        ))
                    }
                }
            }
        }
    )*};
}

from_rc_error! {
    login => [BadRequest, TooManyRequests, InternalServerError];
    me => [Unauthorized, InternalServerError];
    users_create => [BadRequest, Unauthorized, Forbidden, TooManyRequests, InternalServerError];
    channels_create => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    channels_info => [BadRequest, Unauthorized, InternalServerError];
    channels_history => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    chat_post_message => [BadRequest, Unauthorized, InternalServerError];
    integrations_create => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    integrations_update => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    integrations_get => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    permissions_list_all => [BadRequest, Unauthorized, InternalServerError];
    permissions_update => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    settings_get => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    settings_set => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    integrations_list => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    integrations_remove => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    integrations_history => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    execute_incoming_webhook => [BadRequest, NotFound, ServiceUnavailable, InternalServerError];
    logout => [Unauthorized, InternalServerError];
    info => [InternalServerError];
    users_info => [BadRequest, Unauthorized, InternalServerError];
    users_delete => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    teams_create => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    teams_delete => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    im_create => [BadRequest, Unauthorized, InternalServerError];
    dm_create => [BadRequest, Unauthorized, InternalServerError];
    channels_list => [BadRequest, Unauthorized, InternalServerError];
    channels_join => [BadRequest, Unauthorized, InternalServerError];
    channels_leave => [BadRequest, Unauthorized, InternalServerError];
    channels_archive => [BadRequest, Unauthorized, InternalServerError];
    chat_update => [BadRequest, Unauthorized, InternalServerError];
    chat_delete => [BadRequest, Unauthorized, InternalServerError];
    chat_react => [BadRequest, Unauthorized, InternalServerError];
    rooms_upload => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    rooms_media => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    rooms_media_confirm => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    channels_messages => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    channels_members => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    groups_create => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    groups_messages => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    groups_members => [BadRequest, Unauthorized, Forbidden, InternalServerError];
}

from_rc_error! {
    rooms_info => [BadRequest, Unauthorized, InternalServerError];
    chat_send_message => [BadRequest, Unauthorized, InternalServerError];
    channels_delete => [BadRequest, Unauthorized, InternalServerError];
    groups_delete => [BadRequest, Unauthorized, InternalServerError];
    integrations_clear_history => [BadRequest, Unauthorized, Forbidden, InternalServerError];
    integrations_replay_outgoing => [BadRequest, Unauthorized, Forbidden, InternalServerError];
}

/// Turn an operation's outcome into its answer.
pub(crate) fn respond<R: FromRcError>(result: RcResult<R>) -> R {
    result.unwrap_or_else(R::from_rc_error)
}

/// The answer to a request the generated router refused before calling the
/// implementation.
pub(crate) fn request_error(error: &RequestError) -> Response {
    match &error.kind {
        RequestErrorKind::Unauthenticated => RcError::Unauthorized.into_http(),
        RequestErrorKind::Invalid(issues) => {
            let messages: Vec<String> = issues.iter().map(ajv_message).collect();
            RcError::invalid_params(&messages).into_http()
        }
        RequestErrorKind::UnsupportedMediaType { content_type } => {
            let body = error_body(
                format!("Unsupported content type '{content_type}'"),
                Some(INVALID_PARAMS.into()),
                Map::new(),
            );
            chathooks_runtime::json_response(StatusCode::UNSUPPORTED_MEDIA_TYPE, &body)
        }
        // An upload larger than the upload limit is a file too large, as
        // Rocket.Chat's upload endpoints answer one over `FileUpload_MaxFileSize`.
        RequestErrorKind::PayloadTooLarge if UPLOAD_OPERATIONS.contains(&error.operation_id) => {
            RcError::bare("error-file-too-large").into_http()
        }
        RequestErrorKind::PayloadTooLarge => {
            let body = error_body("request entity too large".into(), None, Map::new());
            chathooks_runtime::json_response(StatusCode::PAYLOAD_TOO_LARGE, &body)
        }
    }
}

/// A validation issue worded as Rocket.Chat's validator (ajv) words it, so that
/// clients matching on the text keep working.
fn ajv_message(issue: &ValidationIssue) -> String {
    match issue.keyword.as_str() {
        "required" => match &issue.property {
            Some(property) => format!("must have required property '{property}'"),
            None => issue.message.clone(),
        },
        "additionalProperties" => "must NOT have additional properties".into(),
        "oneOf" => "must match exactly one schema in oneOf".into(),
        "enum" => "must be equal to one of the allowed values".into(),
        // jsonschema says `"x" is not of type "boolean"`; ajv says `must be boolean`.
        "type" => match expected_type(&issue.message) {
            Some(expected) => format!("must be {expected}"),
            None => issue.message.clone(),
        },
        _ => issue.message.clone(),
    }
}

fn expected_type(message: &str) -> Option<&str> {
    let (_, rest) = message.rsplit_once("is not of type ")?;
    let name = rest.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic())).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_password_pool_is_a_429_in_the_error_shape() {
        for answer in [
            axum::response::IntoResponse::into_response(ops::login::Response::from_rc_error(
                PasswordError::Busy.into(),
            )),
            axum::response::IntoResponse::into_response(ops::users_create::Response::from_rc_error(
                PasswordError::Busy.into(),
            )),
            RcError::from(PasswordError::Busy).into_http(),
        ] {
            assert_eq!(answer.status(), StatusCode::TOO_MANY_REQUESTS);
            let body = axum::body::to_bytes(answer.into_body(), usize::MAX).await.unwrap();
            let body: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["success"], false);
            assert_eq!(body["errorType"], "error-too-many-requests");
        }
    }
    use chathooks_runtime::Location;

    fn issue(keyword: &str, property: Option<&str>, message: &str) -> ValidationIssue {
        ValidationIssue {
            location: Location::Body,
            name: String::new(),
            pointer: String::new(),
            keyword: keyword.into(),
            property: property.map(Into::into),
            message: message.into(),
        }
    }

    #[test]
    fn validation_messages_read_like_ajv() {
        assert_eq!(
            ajv_message(&issue("required", Some("type"), "\"type\" is a required property")),
            "must have required property 'type'"
        );
        assert_eq!(
            ajv_message(&issue("type", None, "\"yes\" is not of type \"boolean\"")),
            "must be boolean"
        );
        assert_eq!(
            ajv_message(&issue("additionalProperties", None, "x")),
            "must NOT have additional properties"
        );
        assert_eq!(
            ajv_message(&issue("minimum", None, "-1 is less than 0")),
            "-1 is less than 0"
        );
    }

    #[test]
    fn typed_errors_carry_the_id_in_the_text() {
        let error = RcError::typed("error-invalid-urls", "Invalid URLs").in_method("addOutgoingIntegration");
        let Answer::BadRequest(body) = error.answer() else {
            panic!("a 400");
        };
        assert_eq!(body.error, "Invalid URLs [error-invalid-urls]");
        assert_eq!(body.error_type.as_deref(), Some("error-invalid-urls"));
        assert_eq!(body.details["method"], "addOutgoingIntegration");
    }
}
