//! The test API (`/_chathooks/api/v1`, `spec/testapi.yaml`): what arrived,
//! waiting for a message, hooks and deliveries, reset, chaos, and acting
//! as a user (posts, commands, clicks, dialogs). It is
//! chathooks' own API, not a chat dialect: it reads the core across both
//! dialects' records, so it may name both (the dialects never name it).

mod acts;
mod catalog;
mod chaos_rules;
mod deliveries;
mod dialogs;
mod exchange;
mod messages;
pub mod render;
mod reset;

use axum::http::StatusCode;
use chathooks_runtime::{RequestError, RequestErrorKind};
use chathooks_testapi_server::{Api, Credentials, ErrorResponse, ops};
use chathooks_testapi_types as types;

use crate::server::Shared;
use crate::store::StoreError;

/// The generated router over this implementation. Access (`--ui-auth`) is
/// checked by a middleware in front of it, with the web UI's.
pub fn router(state: Shared) -> axum::Router {
    chathooks_testapi_server::router(std::sync::Arc::new(TestApi { state }))
}

pub struct TestApi {
    state: Shared,
}

/// A refusal or failure, on its way to `{error, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestError {
    pub status: StatusCode,
    pub error: &'static str,
    pub message: String,
}

pub type TestResult<T> = Result<T, TestError>;

impl TestError {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
        }
    }

    pub fn bad_request(error: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, message)
    }

    fn body(&self) -> types::Error {
        types::Error {
            error: self.error.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl From<StoreError> for TestError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "test API: store failure");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "internal",
            message: format!("the database failed: {error}"),
        }
    }
}

impl From<anyhow::Error> for TestError {
    fn from(error: anyhow::Error) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "internal",
            message: format!("{error:#}"),
        }
    }
}

/// The operation's answer: its success, or the error as `{error, message}`.
fn respond<R: ErrorResponse<types::Error>>(result: TestResult<R>) -> R {
    result.unwrap_or_else(|error| R::error(error.status, error.body()))
}

impl Api for TestApi {
    async fn list_messages(
        &self,
        _credentials: Option<Credentials>,
        request: ops::list_messages::Request,
    ) -> ops::list_messages::Response {
        respond(messages::list(&self.state, request).await)
    }

    async fn wait_for_message(
        &self,
        _credentials: Option<Credentials>,
        request: ops::wait_for_message::Request,
    ) -> ops::wait_for_message::Response {
        respond(messages::wait(&self.state, request).await)
    }

    async fn list_channels(
        &self,
        _credentials: Option<Credentials>,
        _request: ops::list_channels::Request,
    ) -> ops::list_channels::Response {
        respond(catalog::channels(&self.state).await)
    }

    async fn list_users(
        &self,
        _credentials: Option<Credentials>,
        request: ops::list_users::Request,
    ) -> ops::list_users::Response {
        respond(catalog::users(&self.state, request).await)
    }

    async fn list_hooks(
        &self,
        _credentials: Option<Credentials>,
        _request: ops::list_hooks::Request,
    ) -> ops::list_hooks::Response {
        respond(catalog::hooks(&self.state).await)
    }

    async fn list_deliveries(
        &self,
        _credentials: Option<Credentials>,
        request: ops::list_deliveries::Request,
    ) -> ops::list_deliveries::Response {
        respond(deliveries::list(&self.state, request).await)
    }

    async fn list_realtime_sessions(
        &self,
        _credentials: Option<Credentials>,
        _request: ops::list_realtime_sessions::Request,
    ) -> ops::list_realtime_sessions::Response {
        catalog::realtime_sessions(&self.state)
    }

    async fn reset(&self, _credentials: Option<Credentials>, _request: ops::reset::Request) -> ops::reset::Response {
        respond(reset::reset(&self.state).await)
    }

    async fn get_chaos(
        &self,
        _credentials: Option<Credentials>,
        _request: ops::get_chaos::Request,
    ) -> ops::get_chaos::Response {
        ops::get_chaos::Response::Ok(chaos_rules::state(&self.state))
    }

    async fn set_chaos(
        &self,
        _credentials: Option<Credentials>,
        request: ops::set_chaos::Request,
    ) -> ops::set_chaos::Response {
        respond(chaos_rules::set(&self.state, request.body))
    }

    async fn act_post(
        &self,
        _credentials: Option<Credentials>,
        request: ops::act_post::Request,
    ) -> ops::act_post::Response {
        respond(acts::post(&self.state, request).await)
    }

    async fn act_command(
        &self,
        _credentials: Option<Credentials>,
        request: ops::act_command::Request,
    ) -> ops::act_command::Response {
        respond(acts::command(&self.state, request).await)
    }

    async fn act_action(
        &self,
        _credentials: Option<Credentials>,
        request: ops::act_action::Request,
    ) -> ops::act_action::Response {
        respond(acts::action(&self.state, request).await)
    }

    async fn list_dialogs(
        &self,
        _credentials: Option<Credentials>,
        request: ops::list_dialogs::Request,
    ) -> ops::list_dialogs::Response {
        respond(dialogs::list(&self.state, request).await)
    }

    async fn submit_dialog(
        &self,
        _credentials: Option<Credentials>,
        request: ops::submit_dialog::Request,
    ) -> ops::submit_dialog::Response {
        respond(dialogs::submit(&self.state, request).await)
    }

    async fn cancel_dialog(
        &self,
        _credentials: Option<Credentials>,
        request: ops::cancel_dialog::Request,
    ) -> ops::cancel_dialog::Response {
        respond(dialogs::cancel(&self.state, request).await)
    }

    /// Refused input answers 400 `invalid-params` with what was wrong (the
    /// access middleware has already dealt with credentials).
    fn request_error(&self, error: RequestError) -> axum::response::Response {
        let (status, code) = match &error.kind {
            RequestErrorKind::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too-large"),
            RequestErrorKind::UnsupportedMediaType { .. } => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
            }
            _ => (StatusCode::BAD_REQUEST, "invalid-params"),
        };
        let body = types::Error {
            error: code.to_owned(),
            message: error.to_string(),
        };
        chathooks_runtime::json_response(status, &body)
    }
}
