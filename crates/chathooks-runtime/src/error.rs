//! What can go wrong before an operation's implementation is called.

use std::fmt;

use axum::http::StatusCode;
use axum::response::Response;

/// Where in the request a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
    Body,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::Body => "body",
        }
    }
}

/// One violation of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    pub location: Location,
    /// Parameter name (empty for the body).
    pub name: String,
    /// JSON pointer inside the value, e.g. `/attachments/0/title`.
    pub pointer: String,
    /// The JSON Schema keyword that failed: `required`, `type`, `maxLength`, ...
    pub keyword: String,
    /// For `required`: the missing property.
    pub property: Option<String>,
    /// A readable English sentence.
    pub message: String,
}

impl ValidationIssue {
    pub(crate) fn missing(location: Location, name: &str) -> Self {
        Self {
            location,
            name: name.to_owned(),
            pointer: String::new(),
            keyword: "required".to_owned(),
            property: Some(name.to_owned()),
            message: format!("missing required {} parameter '{name}'", location.as_str()),
        }
    }

    pub(crate) fn missing_body() -> Self {
        Self {
            location: Location::Body,
            name: String::new(),
            pointer: String::new(),
            keyword: "required".to_owned(),
            property: None,
            message: "a request body is required".to_owned(),
        }
    }

    pub(crate) fn malformed(location: Location, message: String) -> Self {
        Self {
            location,
            name: String::new(),
            pointer: String::new(),
            keyword: "syntax".to_owned(),
            property: None,
            message,
        }
    }
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.location, self.name.is_empty()) {
            (Location::Body, _) | (_, true) => write!(f, "{}", self.location.as_str())?,
            (location, false) => write!(f, "{} parameter '{}'", location.as_str(), self.name)?,
        }
        if !self.pointer.is_empty() {
            write!(f, " at {}", self.pointer)?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestErrorKind {
    /// The request does not match the spec (answer 400).
    Invalid(Vec<ValidationIssue>),
    /// No credentials the operation accepts were presented (answer 401).
    Unauthenticated,
    /// The body's media type is not one the operation lists (answer 415).
    UnsupportedMediaType { content_type: String },
    /// The body exceeded the configured limit (answer 413).
    PayloadTooLarge,
}

/// A request refused before the implementation was called. The generated
/// router hands it to the implementation's error hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub operation_id: &'static str,
    pub kind: RequestErrorKind,
}

impl RequestError {
    pub fn invalid(operation_id: &'static str, issues: Vec<ValidationIssue>) -> Self {
        Self {
            operation_id,
            kind: RequestErrorKind::Invalid(issues),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self.kind {
            RequestErrorKind::Invalid(_) => StatusCode::BAD_REQUEST,
            RequestErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
            RequestErrorKind::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RequestErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    /// The validation issues, if this is a validation failure.
    pub fn issues(&self) -> &[ValidationIssue] {
        match &self.kind {
            RequestErrorKind::Invalid(issues) => issues,
            _ => &[],
        }
    }

    /// The answer used when the implementation does not override the hook:
    /// `{"error": "...", "operation": "...", "issues": [...]}`.
    pub fn default_response(&self) -> Response {
        let issues: Vec<_> = self.issues().iter().map(ToString::to_string).collect();
        let body = serde_json::json!({
            "error": self.to_string(),
            "operation": self.operation_id,
            "issues": issues,
        });
        crate::json_response(self.status(), &body)
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            RequestErrorKind::Invalid(issues) => {
                write!(f, "invalid request")?;
                for (i, issue) in issues.iter().enumerate() {
                    write!(f, "{} {issue}", if i == 0 { ":" } else { ";" })?;
                }
                Ok(())
            }
            RequestErrorKind::Unauthenticated => write!(f, "authentication required"),
            RequestErrorKind::UnsupportedMediaType { content_type } => {
                write!(f, "unsupported content type '{content_type}'")
            }
            RequestErrorKind::PayloadTooLarge => write!(f, "request body too large"),
        }
    }
}

impl std::error::Error for RequestError {}
