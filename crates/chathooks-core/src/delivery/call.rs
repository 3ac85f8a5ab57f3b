//! Making one call: a request (a job's POST, or what the dialect prepared
//! from it) through the guarded client, its answer read up to a limit,
//! everything about it kept for the attempt's record.

use std::time::Instant;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

/// The request a call makes.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRequest {
    pub method: String,
    pub url: String,
    /// Extra headers (a `Content-Type` here replaces the job's).
    pub headers: Vec<(String, String)>,
    pub content_type: String,
    pub body: String,
}

impl CallRequest {
    /// A job's own call: a POST of its body.
    pub fn post(url: &str, content_type: &str, body: &str) -> Self {
        Self {
            method: "POST".into(),
            url: url.to_owned(),
            headers: Vec::new(),
            content_type: content_type.to_owned(),
            body: body.to_owned(),
        }
    }

    /// The call `job` makes unless its dialect rewrites it.
    pub fn for_job(job: &DeliveryJob) -> Self {
        Self::post(&job.url, &job.content_type, &job.body)
    }
}

use crate::netguard::{self, AllowList};
use crate::store::DeliveryJob;

/// Largest answer read; the rest is dropped and the answer marked truncated
/// (Mattermost and Rocket.Chat both read 1 MiB).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What came of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOutcome {
    /// What was sent.
    pub request: CallRequest,
    /// The answer's status; `None` when no answer came.
    pub status: Option<u16>,
    /// The answer's headers (names lower-case), in order.
    pub headers: Vec<(String, String)>,
    /// The answer's body, at most [`MAX_ANSWER_BYTES`].
    pub body: Vec<u8>,
    /// The answer was longer than [`MAX_ANSWER_BYTES`].
    pub truncated: bool,
    /// Why there is no (complete) answer.
    pub error: Option<String>,
    /// The URL points at an internal address (or is invalid): never worth retrying.
    pub refused: bool,
    pub duration_ms: i64,
}

impl CallOutcome {
    /// Answered with a 2xx status and read completely.
    pub fn is_success(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn failed(request: &CallRequest, error: String, refused: bool, started: Instant) -> Self {
        Self {
            request: request.clone(),
            status: None,
            headers: Vec::new(),
            body: Vec::new(),
            truncated: false,
            error: Some(error),
            refused,
            duration_ms: elapsed_ms(started),
        }
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// Make `request`. The client refuses internal addresses that names resolve
/// to; IP literals are checked here, since reqwest does not resolve them.
pub(crate) async fn send(client: &reqwest::Client, allow: &AllowList, request: &CallRequest) -> CallOutcome {
    let started = Instant::now();
    let url = request.url.as_str();
    let failed = |error: String, refused: bool| CallOutcome::failed(request, error, refused, started);
    let parsed = match Url::parse(url) {
        Ok(parsed) => parsed,
        Err(error) => return failed(format!("invalid URL {url}: {error}"), true),
    };
    if let Err(refused) = netguard::check_url(&parsed, allow) {
        return failed(format!("refused: {refused}"), true);
    }
    let Ok(method) = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes()) else {
        return failed(format!("invalid method {}", request.method), true);
    };
    let mut headers = HeaderMap::new();
    // No content type for a call without a body (a slash command's GET).
    if !(request.content_type.is_empty() && request.body.is_empty()) {
        let content_type = HeaderValue::from_str(&request.content_type);
        headers.insert(
            CONTENT_TYPE,
            content_type.unwrap_or(HeaderValue::from_static("application/json")),
        );
    }
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    // Later headers replace earlier ones of the same name, the job's own included.
    for (name, value) in &request.headers {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) => {
                headers.insert(name, value);
            }
            _ => return failed(format!("invalid header {name}: {value}"), true),
        }
    }
    let builder = client.request(method, parsed).headers(headers);
    let sent = builder.body(request.body.clone()).send().await;
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => {
            return match netguard::refusal(&error) {
                Some(refused) => failed(format!("refused: {refused}"), true),
                None => failed(format!("request to {url} failed: {}", describe(error)), false),
            };
        }
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut raw = Vec::new();
    let mut truncated = false;
    let mut error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_ANSWER_BYTES.saturating_sub(raw.len());
                if chunk.len() > room {
                    raw.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                raw.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                error = Some(format!("reading the answer of {url} failed: {}", describe(e)));
                break;
            }
        }
    }
    CallOutcome {
        request: request.clone(),
        status: Some(status),
        headers,
        body: raw,
        truncated,
        error,
        refused: false,
        duration_ms: elapsed_ms(started),
    }
}

/// A transport error in words the reader of a delivery record can act on:
/// reqwest's own message ("error sending request for url ...") names no
/// cause, so a timeout says so and anything else gets its chain of causes
/// (connection refused, DNS failure, TLS...).
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out: no answer within the callback timeout".to_owned();
    }
    let mut causes = String::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        causes.push_str(": ");
        causes.push_str(&cause.to_string());
        source = cause.source();
    }
    // The caller names the URL already.
    format!("{}{causes}", error.without_url())
}
