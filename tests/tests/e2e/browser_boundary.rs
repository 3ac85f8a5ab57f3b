//! The browser boundary, from the outside: what a page of another site, open
//! in the developer's browser, can no longer make the server do. Each
//! request is what a browser would send (foreign `Host` after DNS
//! rebinding, a foreign `Origin`, a `text/plain` form body, a cookie).

use chathooks_tests::{TestServer, World};
use reqwest::Method;
use serde_json::{Value, json};

/// A request to `path` as raw as a browser's.
fn request(server: &TestServer, method: Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new().request(method, format!("{}{path}", server.base))
}

async fn status_and_text(request: reqwest::RequestBuilder) -> (u16, String) {
    let response = request.send().await.expect("an answer");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// The number of posts the test API lists.
async fn post_count(server: &TestServer) -> usize {
    let body: Value = request(server, Method::GET, "/_chathooks/api/v1/messages")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["messages"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn foreign_host_names_are_not_served_on_any_path() {
    let server = TestServer::start().await;
    for path in [
        "/",
        "/_chathooks/api/v1/messages",
        "/_chathooks/api/v1/hooks",
        "/_chathooks/events",
        "/api/v4/system/ping",
        "/metrics",
    ] {
        let (status, text) =
            status_and_text(request(&server, Method::GET, path).header("Host", "rebound.evil.example:8065")).await;
        assert_eq!(status, 421, "{path}: {text}");
        assert!(
            text.contains("rebound.evil.example") && text.contains("--allowed-hosts"),
            "{text}"
        );
    }
    let port = server.addr.port();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "[::1]".to_owned(),
    ] {
        let (status, _) =
            status_and_text(request(&server, Method::GET, "/api/v4/system/ping").header("Host", &host)).await;
        assert_eq!(status, 200, "{host}");
    }
}

#[tokio::test]
async fn named_hosts_and_the_site_url_host_are_served() {
    let server = TestServer::start_with(|config| {
        config.site_url = "https://public.example.org".into();
        config.allowed_hosts = chathooks::browser::AllowedHosts::parse("chat.example.com").unwrap();
    })
    .await;
    for (host, expected) in [
        ("chat.example.com", 200),
        ("public.example.org:443", 200),
        ("other.example.com", 421),
    ] {
        let (status, _) =
            status_and_text(request(&server, Method::GET, "/api/v4/system/ping").header("Host", host)).await;
        assert_eq!(status, expected, "{host}");
    }
    let any = TestServer::start_with(|config| {
        config.allowed_hosts = chathooks::browser::AllowedHosts::parse("*").unwrap();
    })
    .await;
    let (status, _) =
        status_and_text(request(&any, Method::GET, "/api/v4/system/ping").header("Host", "anything.example")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cross_site_requests_cannot_change_the_test_api() {
    let world = World::new().await;
    let server = &world.server;
    let before = post_count(server).await;
    world
        .admin
        .client
        .create_post()
        .body(chathooks_mattermost_types::CreatePostBody {
            channel_id: world.open_channel.id.clone(),
            message: "kept".into(),
            root_id: None,
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(post_count(server).await, before + 1);

    // What a foreign page's form or fetch sends: refused, nothing erased.
    let (status, text) = status_and_text(
        request(server, Method::POST, "/_chathooks/api/v1/reset")
            .header("Origin", "https://evil.example")
            .header("Content-Type", "text/plain")
            .body("x"),
    )
    .await;
    assert_eq!(status, 403, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["error"], "cross-origin");
    let (status, _) = status_and_text(
        request(server, Method::PUT, "/_chathooks/api/v1/chaos")
            .header("Origin", "null")
            .json(&json!({"rules": []})),
    )
    .await;
    assert_eq!(status, 403, "an opaque origin is foreign");
    // Without Origin (not a browser) a body must still be JSON.
    let (status, text) = status_and_text(
        request(server, Method::POST, "/_chathooks/api/v1/reset")
            .header("Content-Type", "text/plain")
            .body("x"),
    )
    .await;
    assert_eq!(status, 415, "{text}");
    assert_eq!(post_count(server).await, before + 1, "nothing was erased");

    // The UI's own requests (same origin) and curl's (no Origin) work.
    let same_origin = format!("http://{}", server.addr);
    let (status, text) = status_and_text(
        request(server, Method::PUT, "/_chathooks/api/v1/chaos")
            .header("Origin", &same_origin)
            .json(&json!({"rules": []})),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let (status, _) =
        status_and_text(request(server, Method::POST, "/_chathooks/api/v1/reset").header("Origin", &same_origin)).await;
    assert_eq!(status, 200);
    let (status, _) = status_and_text(request(server, Method::POST, "/_chathooks/api/v1/reset")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_live_stream_refuses_foreign_pages() {
    let server = TestServer::start().await;
    // The status only: a stream served by mistake would never end.
    let response = request(&server, Method::GET, "/_chathooks/events")
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = request(&server, Method::GET, "/_chathooks/events")
        .header("Origin", format!("http://{}", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = request(&server, Method::GET, "/_chathooks/events")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cookie_authentication_needs_the_csrf_header_to_change_state() {
    let world = World::new().await;
    let cookie = format!("MMAUTHTOKEN={}", world.member.token);
    let body = json!({"channel_id": world.open_channel.id, "message": "from a cookie"}).to_string();
    let post = || {
        request(&world.server, Method::POST, "/api/v4/posts")
            .header("Cookie", &cookie)
            .header("Content-Type", "text/plain")
            .body(body.clone())
    };
    // A cross-site form: the cookie alone.
    let (status, text) = status_and_text(post()).await;
    assert_eq!(status, 401, "{text}");
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["id"], "api.context.session_expired.app_error");
    // What the Mattermost web app (Client4) sends.
    let (status, text) = status_and_text(post().header("X-Requested-With", "XMLHttpRequest")).await;
    assert_eq!(status, 201, "{text}");
    // Reading with the cookie needs nothing more.
    let (status, _) =
        status_and_text(request(&world.server, Method::GET, "/api/v4/users/me").header("Cookie", &cookie)).await;
    assert_eq!(status, 200);
    // A dead cookie is no session: the operation answers as for any bad token.
    let (status, text) = status_and_text(
        request(&world.server, Method::POST, "/api/v4/posts")
            .header("Cookie", "MMAUTHTOKEN=stale")
            .body(body.clone()),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    // Bearer tokens (SDKs, bots) are not concerned.
    let (status, _) = status_and_text(
        request(&world.server, Method::POST, "/api/v4/posts")
            .bearer_auth(&world.member.token)
            .header("Content-Type", "application/json")
            .body(body),
    )
    .await;
    assert_eq!(status, 201);
}
