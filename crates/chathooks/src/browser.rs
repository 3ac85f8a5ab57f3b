//! The browser boundary: what a web page open in the developer's browser,
//! from any site, must not be able to make this server do.
//!
//! Three rules, applied by [`crate::front`] before anything else answers:
//!
//! - **Host names** ([`AllowedHosts`]): only requests naming this server are
//!   served, on every path. This is what defeats DNS rebinding, where a
//!   foreign site points its own name at 127.0.0.1 and its pages then read
//!   this server as their own origin: their requests still say `Host:
//!   evil.example`. Allowed: loopback names (`localhost`, `*.localhost`),
//!   any IP address (a rebinding attack always uses a name: a page loaded
//!   from an address *is* that address's origin), the `--site-url` host and
//!   the `--allowed-hosts` names (`*` for any, behind a proxy that checks
//!   names itself). Others are answered 421 Misdirected Request: the
//!   request reached a server that does not answer for that name, which is
//!   what 421 means (RFC 9110 §15.5.20). 403 would read as "your credentials
//!   lack a permission", which the chat APIs answer for other reasons, and
//!   would send an operator looking at the wrong thing.
//! - **State changes** of the test API and the UI (any method but GET, HEAD
//!   and OPTIONS) need an `Origin` of this server, or none (curl, SDKs and
//!   test suites send none; browsers always send one with such requests),
//!   and a body, if any, sent as `application/json`: a cross-site HTML form
//!   can send only `text/plain`, `multipart/form-data` or
//!   `application/x-www-form-urlencoded` without the preflight this server
//!   never grants.
//! - **Live streams** (each dialect's WebSocket, the UI's Server-Sent
//!   Events) need an `Origin` of this server or none, as Mattermost checks
//!   its WebSocket (the same-origin rule of its upgrader): neither is
//!   covered by the browser's same-origin policy.
//!
//! An `Origin` is this server's when its host and port are the request's
//! `Host`, or its host is one the operator named (`--site-url`,
//! `--allowed-hosts`: the public names a proxy may serve this server by).
//! Cookie authentication on the Mattermost API is the dialect's own rule
//! (Mattermost's `X-Requested-With`), next to its credentials.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::server::AppState;

/// The host names requests may name (`--allowed-hosts`, plus the
/// `--site-url` host); loopback names and IP addresses are always allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    /// `*`: any name.
    any: bool,
    /// Lowercase names, without port (a name is allowed on any port).
    names: Vec<String>,
}

impl AllowedHosts {
    /// From `--allowed-hosts`: comma-separated names (a port, if given, is
    /// ignored), or `*`.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut hosts = Self::default();
        for entry in list.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
            if entry == "*" {
                hosts.any = true;
                continue;
            }
            let Some(name) = host_of(entry).filter(|name| valid_name(name)) else {
                return Err(format!(
                    "`{entry}` is not a host name (give names such as `chat.example.com`, or `*`)"
                ));
            };
            hosts.add(name);
        }
        Ok(hosts)
    }

    /// Also allow the host of `site_url` (the public base URL).
    pub fn with_site_url(mut self, site_url: &str) -> Self {
        if let Ok(url) = url::Url::parse(site_url)
            && let Some(host) = url.host_str()
        {
            self.add(host.trim_start_matches('[').trim_end_matches(']'));
        }
        self
    }

    fn add(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        if !self.names.contains(&name) {
            self.names.push(name);
        }
    }

    /// Whether a `Host` (`name[:port]`) may be served.
    pub fn admits(&self, authority: &str) -> bool {
        if self.any {
            return true;
        }
        let Some(host) = host_of(authority) else {
            return false;
        };
        is_loopback_name(host) || host.parse::<IpAddr>().is_ok() || self.names_host(host)
    }

    /// Whether `host` is one of the names the operator gave.
    fn names_host(&self, host: &str) -> bool {
        self.names.iter().any(|name| name.eq_ignore_ascii_case(host))
    }
}

/// The host part of `name[:port]` or `[v6]:port`, without brackets.
fn host_of(authority: &str) -> Option<&str> {
    let authority = authority.trim();
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return (after.is_empty() || after.strip_prefix(':').is_some_and(is_port)).then_some(host);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if is_port(port) => Some(host),
        Some(_) => None,
        None => Some(authority),
    }
    .filter(|host| !host.is_empty())
}

fn is_port(port: &str) -> bool {
    !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit())
}

fn valid_name(name: &str) -> bool {
    name.parse::<IpAddr>().is_ok()
        || name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// `localhost` and its subdomains, which browsers resolve to loopback
/// themselves (RFC 6761), so a foreign site cannot rebind them.
fn is_loopback_name(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

/// The name a request is addressed to: its `Host`, or the authority of an
/// absolute URI (HTTP/2).
fn authority_of(request: &Request) -> Option<&str> {
    match request.headers().get(header::HOST) {
        Some(host) => host.to_str().ok(),
        None => request.uri().authority().map(|authority| authority.as_str()),
    }
}

/// The answer to a request the browser boundary refuses; `None` lets it on.
pub fn refusal(state: &AppState, request: &Request) -> Option<Response> {
    let hosts = &state.config.allowed_hosts;
    // A request without any name (HTTP/1.0) is not a browser's.
    if let Some(authority) = authority_of(request)
        && !hosts.admits(authority)
    {
        return Some(plain(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "chathooks does not answer for the host name `{authority}`. Loopback names, IP addresses and the --site-url host are served; add this name with --allowed-hosts (CHATHOOKS_ALLOWED_HOSTS), or `*` behind a proxy that checks names.\n"
            ),
        ));
    }
    let path = request.uri().path();
    if is_live_stream(state, path) && !origin_is_ours(hosts, request) {
        return Some(plain(
            StatusCode::FORBIDDEN,
            "chathooks: this stream is not served to pages of another origin (its Origin header names another site)\n"
                .to_owned(),
        ));
    }
    if crate::access::is_protected(path) && changes_state(request.method()) {
        if !origin_is_ours(hosts, request) {
            return Some(test_api_error(
                StatusCode::FORBIDDEN,
                "cross-origin",
                "requests that change state are not accepted from pages of another origin (Origin header)",
            ));
        }
        if !json_or_no_body(request.headers()) {
            return Some(test_api_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "a request body must be sent as Content-Type: application/json",
            ));
        }
    }
    None
}

/// Whether `path` is a live stream: a dialect's WebSocket or the UI's events.
fn is_live_stream(state: &AppState, path: &str) -> bool {
    path == crate::ui::EVENTS_PATH || state.dialects.iter().any(|d| d.websocket_path() == Some(path))
}

/// Methods that may change state (not GET, HEAD or OPTIONS).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// No `Origin` (not a browser, or a same-origin GET), or one of this server:
/// the request's own host and port, or a host the operator named.
fn origin_is_ours(hosts: &AllowedHosts, request: &Request) -> bool {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return true;
    };
    // `null` (sandboxed frames, file: pages) and anything unreadable are foreign.
    let Some(origin) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        return false;
    };
    let Some(origin_host) = origin
        .host_str()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
    else {
        return false;
    };
    if hosts.names_host(origin_host) {
        return true;
    }
    let Some(authority) = authority_of(request) else {
        return false;
    };
    let Some(host) = host_of(authority) else {
        return false;
    };
    let port = authority
        .rsplit_once(':')
        .filter(|(before, port)| is_port(port) && (!before.starts_with('[') || before.ends_with(']')))
        .and_then(|(_, port)| port.parse::<u16>().ok())
        .or_else(|| origin.port_or_known_default());
    host.eq_ignore_ascii_case(origin_host) && port == origin.port_or_known_default()
}

/// A body, if the request has one, is JSON (`application/json`, or a
/// `+json` type).
fn json_or_no_body(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_TYPE) {
        Some(value) => value.to_str().is_ok_and(|value| {
            let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
        }),
        None => {
            let length = headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            length.unwrap_or(0) == 0 && !headers.contains_key(header::TRANSFER_ENCODING)
        }
    }
}

fn plain(status: StatusCode, message: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], message).into_response()
}

/// An error in the test API's own shape (`{error, message}`).
fn test_api_error(status: StatusCode, code: &str, message: &str) -> Response {
    chathooks_runtime::json_response(status, &serde_json::json!({"error": code, "message": message}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_addresses_and_named_hosts_are_served() {
        let hosts = AllowedHosts::parse("chat.example.com, ci-runner:8065")
            .unwrap()
            .with_site_url("https://public.example.org/base");
        for ok in [
            "localhost",
            "localhost:8065",
            "LOCALHOST:1",
            "app.localhost:3000",
            "127.0.0.1:8065",
            "127.1.2.3",
            "[::1]:8065",
            "[::1]",
            "10.0.0.5:8065",
            "chat.example.com",
            "Chat.Example.com:443",
            "ci-runner:9",
            "public.example.org",
        ] {
            assert!(hosts.admits(ok), "{ok} should be served");
        }
        for refused in [
            "evil.example",
            "evil.example:8065",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "",
            "[::1",
            "host:port",
        ] {
            assert!(!hosts.admits(refused), "{refused} should be refused");
        }
        assert!(AllowedHosts::parse("*").unwrap().admits("anything.example"));
        assert!(AllowedHosts::parse("bad name").is_err());
        assert!(AllowedHosts::parse("").unwrap().names.is_empty());
    }

    fn request(host: &str, origin: Option<&str>) -> Request {
        let mut builder = Request::builder()
            .uri("/_chathooks/api/v1/reset")
            .header(header::HOST, host);
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn origins_of_this_server_only() {
        let hosts = AllowedHosts::parse("public.example.org").unwrap();
        let ours = |host: &str, origin: Option<&str>| origin_is_ours(&hosts, &request(host, origin));
        assert!(ours("127.0.0.1:8065", None));
        assert!(ours("127.0.0.1:8065", Some("http://127.0.0.1:8065")));
        assert!(ours("localhost", Some("http://localhost")));
        assert!(ours("[::1]:8065", Some("http://[::1]:8065")));
        assert!(ours("127.0.0.1:8065", Some("https://public.example.org")));
        assert!(
            !ours("127.0.0.1:8065", Some("http://127.0.0.1:3000")),
            "another port is another origin"
        );
        assert!(!ours("127.0.0.1:8065", Some("http://localhost:8065")));
        assert!(!ours("127.0.0.1:8065", Some("https://evil.example")));
        assert!(!ours("127.0.0.1:8065", Some("null")));
    }

    #[test]
    fn bodies_must_be_json() {
        let headers = |pairs: &[(header::HeaderName, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(name.clone(), value.parse().unwrap());
            }
            map
        };
        assert!(json_or_no_body(&headers(&[])));
        assert!(json_or_no_body(&headers(&[(header::CONTENT_LENGTH, "0")])));
        assert!(json_or_no_body(&headers(&[(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8"
        )])));
        assert!(json_or_no_body(&headers(&[(
            header::CONTENT_TYPE,
            "application/merge-patch+json"
        )])));
        assert!(!json_or_no_body(&headers(&[(header::CONTENT_TYPE, "text/plain")])));
        assert!(!json_or_no_body(&headers(&[(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded"
        )])));
        assert!(!json_or_no_body(&headers(&[(header::CONTENT_LENGTH, "2")])));
    }
}
