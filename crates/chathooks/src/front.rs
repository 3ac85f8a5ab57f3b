//! The front of the server: what every request goes through before it is
//! routed, as one service ([`Front`]).
//!
//! In order: the request is timed for `/metrics`; a small body is read
//! whole; the request gets its id; the browser boundary refuses foreign
//! host names and foreign pages' requests ([`crate::browser`]); the UI and
//! the test API ask for
//! `--ui-auth` credentials; an unclean path is redirected to its clean form;
//! the body is limited; chaos delays or fails incoming webhook executions;
//! then the router answers.
//!
//! These were seven `axum::middleware::from_fn` layers. Each boxed its
//! future, boxed the service beneath it and cloned the whole stack beneath it
//! per request: together 12 of the 53 µs of CPU a webhook post took (a
//! standalone server under `wrk -t1 -c32`). Here they are steps of one
//! `async` function, in one boxed future.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::future::BoxFuture;
use tower::{Layer, Service, ServiceExt};

use crate::server::{AppState, Shared};

/// Every request's way in, in front of `S` (the router).
#[derive(Clone)]
pub struct Front<S> {
    state: Shared,
    inner: S,
}

/// `routes` behind the front. axum's own body limit is off: the limits are
/// [`limit_body`]'s, per path (axum's would cap uploads too).
pub fn around(
    state: Shared,
    routes: axum::Router,
) -> Front<impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + Sync + 'static>
{
    Front {
        state,
        inner: DefaultBodyLimit::disable().layer(routes),
    }
}

impl<S> Service<Request> for Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    /// Always ready: the router beneath is, and it is called through
    /// `oneshot`, which waits for it anyway.
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let front = self.clone();
        Box::pin(async move { Ok(front.serve(request).await) })
    }
}

impl<S> Front<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send,
{
    /// Time the request and count it for `/metrics`, around everything else.
    async fn serve(self, request: Request) -> Response {
        let started = Instant::now();
        // Cheap clones (shared bytes), so the path outlives the request.
        let method = request.method().clone();
        let uri = request.uri().clone();
        let state = self.state.clone();
        let hook = crate::chaos::execution_of(&state, &method, uri.path());
        let response = self.identified(request, hook).await;
        let api = crate::metrics::api_of(&state.dialects, uri.path());
        crate::metrics::observe(&state, api, hook, response.status(), started.elapsed()).await;
        response
    }

    /// Read a small body, then give the request its id: echoed as
    /// `X-Request-Id` and carried by errors.
    async fn identified(self, request: Request, hook: Option<crate::chaos::Execution<'_>>) -> Response {
        let request = match read_small_body(request).await {
            Ok(request) => request,
            Err(refused) => return refused,
        };
        let id = crate::ids::new_id();
        let mut response = chathooks_dialect::request_id::scope(id.clone(), self.checked(request, hook)).await;
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert("x-request-id", value);
        }
        response
    }

    /// The browser boundary, credentials, clean paths, body limits and
    /// chaos, then the router.
    async fn checked(self, request: Request, hook: Option<crate::chaos::Execution<'_>>) -> Response {
        if let Some(refusal) = crate::browser::refusal(&self.state, &request) {
            return refusal;
        }
        if let Some(refusal) = crate::access::refusal(&self.state, &request) {
            return refusal;
        }
        if let Some(redirect) = redirect_to_clean_path(&request) {
            return redirect;
        }
        let request = limit_body(&self.state, request);
        if let Some(answer) = crate::chaos::answer(&self.state, hook).await {
            return answer;
        }
        match self.inner.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Bodies up to this size are read whole before anything answers.
const READ_FIRST_BYTES: u64 = 64 * 1024;

/// Read a small request body whole before the request goes on, so that
/// every answer, even one made without looking at the body (a redirect, a
/// refusal, an unknown route, a chaos failure, a 405), leaves the connection
/// reusable: why hyper would otherwise close it is on
/// [`chathooks_runtime::drain`]. mattermostdriver's redirected
/// `GET .../posts/{id}//reactions` (sent with `{}`) failed this way now and
/// then. Larger bodies (uploads) stream on as sent; the generated servers
/// drain what their operation does not read.
async fn read_small_body(request: Request) -> Result<Request, Response> {
    let small = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|length| length > 0 && length <= READ_FIRST_BYTES);
    if !small {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, READ_FIRST_BYTES as usize).await {
        Ok(bytes) => Ok(Request::from_parts(parts, axum::body::Body::from(bytes))),
        // The client went away or sent more than it announced: nothing to answer.
        Err(error) => {
            tracing::debug!(%error, "request body could not be read");
            Err(chathooks_runtime::empty_response(StatusCode::BAD_REQUEST))
        }
    }
}

/// Room a multipart upload needs beyond its files (boundaries, part headers,
/// the other fields).
const UPLOAD_OVERHEAD_BYTES: usize = 64 * 1024;

/// Limit every request body: uploads to the file limit, the rest to the body
/// limit. Reading past it fails, which the APIs answer with their 413.
fn limit_body(state: &AppState, request: Request) -> Request {
    let limit = if state.dialects.is_upload(request.uri().path()) {
        state.config.max_file_bytes.saturating_add(UPLOAD_OVERHEAD_BYTES)
    } else {
        state.config.max_body_bytes
    };
    request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)))
}

/// `path` with empty and `.` segments removed and `..` applied, as the real
/// Mattermost router cleans paths; `None` when it is clean already.
fn cleaned_path(path: &str) -> Option<String> {
    if !path.contains("//")
        && !path.contains("/./")
        && !path.contains("/../")
        && !path.ends_with("/.")
        && !path.ends_with("/..")
    {
        return None;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    let mut clean = format!("/{}", segments.join("/"));
    if path.ends_with('/') && clean.len() > 1 {
        clean.push('/');
    }
    Some(clean)
}

/// The redirect (301) for a request to an unclean path
/// (`/posts/x//reactions`) to its clean form, as Mattermost's router answers;
/// some clients build such paths and rely on the redirect.
fn redirect_to_clean_path(request: &Request) -> Option<Response> {
    let clean = cleaned_path(request.uri().path())?;
    let location = match request.uri().query() {
        Some(query) => format!("{clean}?{query}"),
        None => clean,
    };
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Some(response)
}
#[cfg(test)]
mod tests {
    use super::cleaned_path;

    #[test]
    fn paths_are_cleaned_like_mattermosts_router() {
        assert_eq!(cleaned_path("/api/v4/posts/x/reactions"), None);
        assert_eq!(
            cleaned_path("/api/v4/posts/x//reactions").as_deref(),
            Some("/api/v4/posts/x/reactions")
        );
        assert_eq!(
            cleaned_path("/api/v4/./users/../teams").as_deref(),
            Some("/api/v4/teams")
        );
        assert_eq!(cleaned_path("//").as_deref(), Some("/"));
        assert_eq!(cleaned_path("/a//b/").as_deref(), Some("/a/b/"));
        assert_eq!(cleaned_path("/../..").as_deref(), Some("/"));
    }
}
