//! Who may use the web UI and the test API (`--ui-auth`).
//!
//! Both show everything the server holds and can erase it, so on anything
//! but loopback they need credentials: HTTP Basic, checked against the
//! `user:password` pairs given. Starting on a non-loopback address without
//! them is refused unless `--ui-insecure` says it is meant. The chat APIs
//! keep their own authentication; `/metrics`, `/healthz` and `/readyz` stay
//! open (for scrapers and orchestrators).

use std::net::SocketAddr;

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine;

use crate::password::constant_time_eq;
use crate::server::AppState;

/// The accepted `user:password` pairs; empty means no credentials needed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UiAuth {
    pairs: Vec<(String, String)>,
}

impl UiAuth {
    /// From `user:password` entries (each `--ui-auth`, or a line of a file).
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() || entry.starts_with('#') {
                continue;
            }
            match entry.split_once(':') {
                Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                    pairs.push((user.to_owned(), password.to_owned()));
                }
                _ => return Err(format!("`{entry}` is not `user:password`")),
            }
        }
        Ok(Self { pairs })
    }

    pub fn is_enabled(&self) -> bool {
        !self.pairs.is_empty()
    }

    /// Whether an `Authorization` header value carries accepted credentials.
    fn admits(&self, authorization: Option<&HeaderValue>) -> bool {
        let Some(encoded) = authorization
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
            .map(|(_, encoded)| encoded.trim())
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return false;
        };
        let Some((user, password)) = std::str::from_utf8(&decoded).ok().and_then(|s| s.split_once(':')) else {
            return false;
        };
        // Every pair is compared, so the time taken does not tell which matched.
        self.pairs.iter().fold(false, |found, (u, p)| {
            let matches =
                constant_time_eq(u.as_bytes(), user.as_bytes()) & constant_time_eq(p.as_bytes(), password.as_bytes());
            found | matches
        })
    }
}

/// Refuse to serve the UI and the test API openly on a non-loopback
/// address, unless told to (`insecure`).
pub fn check_exposure(listen: SocketAddr, auth: &UiAuth, insecure: bool) -> Result<(), String> {
    if listen.ip().is_loopback() || auth.is_enabled() || insecure {
        return Ok(());
    }
    Err(format!(
        "{listen} is not a loopback address, so the web UI and the test API (which can read and erase everything) need credentials: give --ui-auth user:password (or --ui-auth-file), or --ui-insecure to serve them openly"
    ))
}

/// Whether `path` is the web UI's, the test API's or `/metrics` (which
/// tells which hooks run, by name, and how often).
pub fn is_protected(path: &str) -> bool {
    path == "/" || path == "/metrics" || path.starts_with("/_chathooks/")
}

/// The answer to a request for the UI or the test API without the Basic
/// credentials `--ui-auth` asks for; `None` lets the request through.
pub fn refusal(state: &AppState, request: &Request) -> Option<Response> {
    let auth = &state.config.ui_auth;
    if !auth.is_enabled()
        || !is_protected(request.uri().path())
        || auth.admits(request.headers().get(header::AUTHORIZATION))
    {
        return None;
    }
    let body = serde_json::json!({"error": "unauthorized", "message": "credentials needed (--ui-auth)"});
    let mut response = chathooks_runtime::json_response(StatusCode::UNAUTHORIZED, &body);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"chathooks\", charset=\"UTF-8\""),
    );
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(credentials: &str) -> HeaderValue {
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        HeaderValue::from_str(&format!("Basic {encoded}")).unwrap()
    }

    #[test]
    fn only_listed_pairs_are_admitted() {
        let auth = UiAuth::parse(["ops:s3cret", "# a comment", "", "ci:other:colon"]).unwrap();
        assert!(auth.admits(Some(&basic("ops:s3cret"))));
        assert!(
            auth.admits(Some(&basic("ci:other:colon"))),
            "the password may hold colons"
        );
        assert!(!auth.admits(Some(&basic("ops:wrong"))));
        assert!(!auth.admits(Some(&basic("ci:other"))));
        assert!(!auth.admits(None));
        assert!(!auth.admits(Some(&HeaderValue::from_static("Bearer ops:s3cret"))));
        assert!(!auth.admits(Some(&HeaderValue::from_static("Basic !!!"))));
        assert_eq!(
            UiAuth::parse(["nocolon"]).unwrap_err(),
            "`nocolon` is not `user:password`"
        );
        assert_eq!(UiAuth::parse([":x"]).unwrap_err(), "`:x` is not `user:password`");
    }

    #[test]
    fn non_loopback_needs_credentials_or_insecure() {
        let open = UiAuth::default();
        let auth = UiAuth::parse(["a:b"]).unwrap();
        let loopback: SocketAddr = "127.0.0.1:8065".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8065".parse().unwrap();
        assert!(check_exposure(loopback, &open, false).is_ok());
        assert!(check_exposure("[::1]:8065".parse().unwrap(), &open, false).is_ok());
        let refused = check_exposure(any, &open, false).unwrap_err();
        assert!(
            refused.contains("--ui-auth") && refused.contains("--ui-insecure"),
            "{refused}"
        );
        assert!(check_exposure(any, &auth, false).is_ok());
        assert!(check_exposure(any, &open, true).is_ok());
    }
}
