//! The web UI: one page at `/` that shows what arrived, as a Mattermost user
//! would see it (channels and messages with attachments, threads, reactions
//! and files), the hooks of both APIs with their URLs, the outgoing deliveries
//! with every attempt, and chaos.
//!
//! The page is plain hand-written HTML, CSS and JavaScript under `assets/`,
//! compiled into the binary (`include_str!`), so `cargo build` alone builds
//! it and it works offline: no CDN, no npm, no build step. The script reads
//! only the test API (`/_chathooks/api/v1`, `spec/testapi.yaml`) and the live
//! stream of [`live`] (`/_chathooks/events`), which tells it what to refetch.
//!
//! Every text the script inserts is escaped (it builds DOM nodes and sets
//! `textContent`); only the `html` of a message, which the server renders
//! from Markdown with raw HTML escaped, is inserted as HTML. The page is
//! served with a Content-Security-Policy that allows scripts and styles from
//! this server only.
//!
//! Assets are linked with a version computed from their bytes at compile
//! time (`?v=`), so browsers may keep them for a year; the page itself is
//! revalidated on every load.

pub mod image;
pub mod live;

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::server::Shared;

/// Where the page's assets are served.
pub const ASSETS_PREFIX: &str = "/_chathooks/ui";

/// The live stream's path.
pub const EVENTS_PATH: &str = "/_chathooks/events";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const FAVICON_SVG: &str = include_str!("assets/favicon.svg");

/// One asset: its name under [`ASSETS_PREFIX`], media type and contents.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: APP_JS,
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: APP_CSS,
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: FAVICON_SVG,
    },
];

/// FNV-1a over every asset, at compile time: changes whenever one does.
const VERSION: u64 = {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut a = 0;
    while a < ASSETS.len() {
        let bytes = ASSETS[a].body.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        a += 1;
    }
    hash
};

/// [`VERSION`] as the page writes it in asset links.
fn version() -> String {
    format!("{VERSION:016x}")
}

/// The page, with its asset links versioned.
static PAGE: LazyLock<String> = LazyLock::new(|| INDEX_HTML.replace("{{version}}", &version()));

/// Everything from this server only, images included: a message's remote
/// images (webhook icons, attachment images) come through [`image`], so
/// viewing a message never makes the browser fetch a URL its sender chose.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; script-src 'self'; \
     style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

/// The UI's routes: the page at `/`, its assets and the live stream.
pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(index))
        .route(&format!("{ASSETS_PREFIX}/{{name}}"), get(asset))
        .route(EVENTS_PATH, get(live::events))
        .route(image::IMAGE_PATH, get(image::proxy))
        .with_state(state)
}

async fn index() -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        PAGE.as_str(),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

#[derive(serde::Deserialize)]
struct AssetQuery {
    v: Option<String>,
}

async fn asset(Path(name): Path<String>, Query(query): Query<AssetQuery>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == name) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such asset\n",
        )
            .into_response();
    };
    // Links carry the current version: those may be kept for good. Any other
    // request (an old version, none) is revalidated.
    let cache = if query.v.as_deref() == Some(version().as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_links_every_asset_at_the_current_version() {
        for name in ["app.js", "app.css", "favicon.svg"] {
            let link = format!("{ASSETS_PREFIX}/{name}?v={}", version());
            assert!(PAGE.contains(&link), "index.html links {link}");
        }
        assert!(!PAGE.contains("{{"), "every placeholder is filled");
    }
}
