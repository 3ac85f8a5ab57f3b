//! Small builders for the answers generated response enums produce.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

pub fn json_response<T: Serialize + ?Sized>(status: impl IntoStatus, body: &T) -> Response {
    let status = status.into_status();
    // Most answers are under a kilobyte; a list grows this a few times
    // instead of a dozen from empty.
    let mut bytes = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut bytes, body) {
        Ok(()) => raw_response(status, "application/json", bytes),
        Err(error) => {
            tracing::error!(%error, "could not serialize a response body");
            empty_response(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

pub fn text_response(status: impl IntoStatus, content_type: &str, body: String) -> Response {
    let content_type = if content_type.contains('*') {
        "text/plain; charset=utf-8"
    } else {
        content_type
    };
    raw_response(status, content_type, body.into_bytes())
}

pub fn raw_response(status: impl IntoStatus, content_type: &str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status.into_status();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// A binary answer: sent as the body's own media type when it names one,
/// else as the one the spec lists.
pub fn binary_response(status: impl IntoStatus, content_type: &str, body: crate::Binary) -> Response {
    let content_type = body.content_type.as_deref().unwrap_or(content_type);
    raw_response(status, content_type, body.data)
}

pub fn empty_response(status: impl IntoStatus) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status.into_status();
    response
}

/// Set a documented response header; values that are not valid header text are dropped.
pub fn insert_header(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(HeaderName::from_static(name), value);
    }
}

/// A status code from the spec; the generator only emits valid ones.
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A status as generated code writes it: the spec's code (`201u16`), or the
/// `StatusCode` a range or `default` variant carries.
pub trait IntoStatus {
    fn into_status(self) -> StatusCode;
}

impl IntoStatus for StatusCode {
    fn into_status(self) -> StatusCode {
        self
    }
}

impl IntoStatus for u16 {
    fn into_status(self) -> StatusCode {
        status(self)
    }
}
