//! Making one call: a POST through the guarded client, its answer read up to a
//! limit, everything about it kept for the attempt's record.

use std::time::Instant;

use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use crate::netguard::{self, AllowList};

/// Largest answer read; the rest is dropped and the answer marked truncated
/// (Mattermost and Rocket.Chat both read 1 MiB).
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What came of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// The answer's status; `None` when no answer came.
    pub status: Option<u16>,
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

    fn failed(error: String, refused: bool, started: Instant) -> Self {
        Self {
            status: None,
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

/// POST `body` as `content_type` to `url`. The client refuses internal
/// addresses that names resolve to; IP literals are checked here, since
/// reqwest does not resolve them.
pub async fn post(
    client: &reqwest::Client,
    allow: &AllowList,
    url: &str,
    content_type: &str,
    body: &str,
) -> CallOutcome {
    let started = Instant::now();
    let parsed = match Url::parse(url) {
        Ok(parsed) => parsed,
        Err(error) => return CallOutcome::failed(format!("invalid URL {url}: {error}"), true, started),
    };
    if let Err(refused) = netguard::check_url(&parsed, allow) {
        return CallOutcome::failed(format!("refused: {refused}"), true, started);
    }
    let sent = client
        .post(parsed)
        .header(CONTENT_TYPE, content_type)
        .header(ACCEPT, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(error) => {
            return match netguard::refusal(&error) {
                Some(refused) => CallOutcome::failed(format!("refused: {refused}"), true, started),
                None => CallOutcome::failed(format!("request to {url} failed: {error}"), false, started),
            };
        }
    };
    let status = response.status().as_u16();
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
                error = Some(format!("reading the answer of {url} failed: {e}"));
                break;
            }
        }
    }
    CallOutcome {
        status: Some(status),
        body: raw,
        truncated,
        error,
        refused: false,
        duration_ms: elapsed_ms(started),
    }
}
