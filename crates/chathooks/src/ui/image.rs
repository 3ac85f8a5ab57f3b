//! `GET /_chathooks/image?url=...`: the web UI's remote images (webhook
//! icons, attachment images and thumbnails), fetched by the server through
//! the internal-address guard outgoing webhooks use.
//!
//! A message chooses these URLs, and whoever can post through a hook
//! chooses the message. Loaded by the viewer's browser, they would reach
//! whatever that browser can (its intranet, a router's admin page, this
//! server on loopback) and tell the sender who looked, when and from where.
//! Through here, the browser only ever asks this server (the page's CSP
//! allows images from nowhere else), and this server refuses internal
//! addresses, after DNS resolution and at every redirect, unless
//! `--allow-internal-callbacks` lists them. Mattermost does the same with
//! its image proxy.
//!
//! What a fetch may cost is bounded: [`MAX_IMAGE_BYTES`] per image,
//! [`FETCH_TIMEOUT`] per fetch, [`MAX_REDIRECTS`], [`CONCURRENT_FETCHES`] at
//! once. Only `image/*` answers are passed on, with `nosniff` and a
//! sandboxing CSP (an SVG opened on its own runs nothing).

use std::sync::LazyLock;
use std::time::Duration;

use crate::netguard;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use url::Url;

use crate::server::Shared;

/// The proxy's path.
pub const IMAGE_PATH: &str = "/_chathooks/image";
/// The largest image passed on.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// The longest one fetch may take, redirects and waiting for a turn included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Redirects followed (each checked like the first URL).
pub const MAX_REDIRECTS: usize = 3;
/// Fetches at once; later ones wait for a turn (within [`FETCH_TIMEOUT`]).
pub const CONCURRENT_FETCHES: usize = 8;

static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(CONCURRENT_FETCHES));

/// Sent with every image: opened on its own, it runs and loads nothing.
const IMAGE_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'";

#[derive(serde::Deserialize)]
pub struct ImageQuery {
    url: Option<String>,
}

/// Why an image is not passed on.
#[derive(Debug)]
enum Refusal {
    BadUrl(String),
    Internal(String),
    Upstream(String),
    NotAnImage(String),
    TooLarge,
    Timeout,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, error, message) = match self {
            Self::BadUrl(why) => (StatusCode::BAD_REQUEST, "invalid-url", why),
            Self::Internal(why) => (StatusCode::FORBIDDEN, "internal-address", why),
            Self::Upstream(why) => (StatusCode::BAD_GATEWAY, "fetch-failed", why),
            Self::NotAnImage(found) => (
                StatusCode::BAD_GATEWAY,
                "not-an-image",
                format!("the answer is {found}, not an image"),
            ),
            Self::TooLarge => (
                StatusCode::BAD_GATEWAY,
                "too-large",
                format!("the image is over {MAX_IMAGE_BYTES} bytes"),
            ),
            Self::Timeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!("no image within {} s", FETCH_TIMEOUT.as_secs()),
            ),
        };
        let body = serde_json::json!({"error": error, "message": message});
        let mut response = chathooks_runtime::json_response(status, &body);
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// `GET /_chathooks/image?url=`.
pub async fn proxy(State(state): State<Shared>, Query(query): Query<ImageQuery>) -> Response {
    let Some(url) = query.url.filter(|url| !url.is_empty()) else {
        return Refusal::BadUrl("the `url` parameter is missing".into()).into_response();
    };
    let url = match Url::parse(&url) {
        Ok(url) => url,
        Err(error) => return Refusal::BadUrl(format!("not a URL: {error}")).into_response(),
    };
    match tokio::time::timeout(FETCH_TIMEOUT, fetch(&state, url)).await {
        Ok(Ok((content_type, bytes))) => image_response(content_type, bytes),
        Ok(Err(refusal)) => refusal.into_response(),
        Err(_) => Refusal::Timeout.into_response(),
    }
}

/// Fetch `url` through the guard, following a few redirects.
async fn fetch(state: &Shared, mut url: Url) -> Result<(HeaderValue, Vec<u8>), Refusal> {
    let _turn = TURNS
        .acquire()
        .await
        .map_err(|_| Refusal::Upstream("the server is stopping".into()))?;
    let allow = &state.config.allow_internal_callbacks;
    let client = &state.core.deliveries.client;
    for _ in 0..=MAX_REDIRECTS {
        netguard::check_url(&url, allow).map_err(|refused| match refused {
            netguard::Refused::InternalAddress(_) | netguard::Refused::InternalHost { .. } => {
                Refusal::Internal(refused.to_string())
            }
            other => Refusal::BadUrl(other.to_string()),
        })?;
        let response = client
            .get(url.clone())
            .header(header::ACCEPT, "image/*")
            .send()
            .await
            .map_err(|error| match netguard::refusal(&error) {
                Some(refused @ (netguard::Refused::InternalAddress(_) | netguard::Refused::InternalHost { .. })) => {
                    Refusal::Internal(refused.to_string())
                }
                Some(refused) => Refusal::Upstream(refused.to_string()),
                None => Refusal::Upstream(format!("{}: {error}", url.host_str().unwrap_or_default())),
            })?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| Refusal::Upstream(format!("a {status} without a Location")))?;
            url = url
                .join(location)
                .map_err(|error| Refusal::Upstream(format!("a redirect to a bad URL: {error}")))?;
            continue;
        }
        if !status.is_success() {
            return Err(Refusal::Upstream(format!("the image's server answered {status}")));
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("none"));
        let is_image = content_type
            .to_str()
            .is_ok_and(|value| value.trim().to_ascii_lowercase().starts_with("image/"));
        if !is_image {
            return Err(Refusal::NotAnImage(
                content_type.to_str().unwrap_or("an unreadable type").to_owned(),
            ));
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_IMAGE_BYTES as u64)
        {
            return Err(Refusal::TooLarge);
        }
        // Read whole, refused past the cap whatever the length said.
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| Refusal::Upstream(format!("the image was cut short: {error}")))?
        {
            if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                return Err(Refusal::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((content_type, bytes));
    }
    Err(Refusal::Upstream(format!("more than {MAX_REDIRECTS} redirects")))
}

fn image_response(content_type: HeaderValue, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(IMAGE_CSP));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    response
}
