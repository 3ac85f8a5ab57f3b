//! The web UI over plain HTTP (no browser needed): the page and its assets
//! with their types and caching, the live stream's events, that an open
//! stream does not hold up shutdown, and that `--ui-auth` covers all of it.

use std::time::Duration;

use base64::Engine as _;
use chathooks_tests::TestServer;
use serde_json::json;

/// Longest the test waits for anything.
const PATIENCE: Duration = Duration::from_secs(10);

const HOOK: &str = "buildhook00000000000000000";

const SEED: &str = r#"
[[users]]
username = "admin"
email = "admin@example.com"
password = "admin-password"
system_admin = true

[[teams]]
name = "engineering"
display_name = "Engineering"
members = ["admin"]

[[channels]]
team = "engineering"
name = "builds"
display_name = "Builds"
members = ["admin"]

[[mattermost.incoming]]
id = "buildhook00000000000000000"
channel = "engineering/builds"
owner = "admin"
"#;

fn header<'r>(response: &'r reqwest::Response, name: &str) -> &'r str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_their_types_and_caching() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();

    let page = http.get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&page, "cache-control"), "no-cache");
    assert!(header(&page, "content-security-policy").contains("script-src 'self'"));
    let html = page.text().await.unwrap();
    let script = html
        .split('"')
        .find(|part| part.starts_with("/_chathooks/ui/app.js?v="))
        .expect("the page links its script with a version");

    let versioned = http.get(format!("{}{script}", server.base)).send().await.unwrap();
    assert_eq!(versioned.status(), 200);
    assert_eq!(header(&versioned, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(
        header(&versioned, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(versioned.text().await.unwrap().contains("/_chathooks/api/v1"));

    for (asset, content_type) in [("app.css", "text/css; charset=utf-8"), ("favicon.svg", "image/svg+xml")] {
        let response = http
            .get(format!("{}/_chathooks/ui/{asset}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        assert_eq!(header(&response, "content-type"), content_type, "{asset}");
        assert_eq!(
            header(&response, "cache-control"),
            "no-cache",
            "{asset} without the current version is revalidated"
        );
    }
    let missing = http
        .get(format!("{}/_chathooks/ui/nothing.js", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    server.shutdown().await;
}

/// The next SSE event of `stream` (name and data), skipping comments.
async fn next_event(stream: &mut reqwest::Response, buffer: &mut String) -> (String, String) {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = value.to_owned();
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data = value.to_owned();
                }
            }
            if name.is_empty() && data.is_empty() {
                continue; // a keep-alive comment
            }
            return (name, data);
        }
        let chunk = tokio::time::timeout(PATIENCE, stream.chunk())
            .await
            .expect("an event in time")
            .expect("the stream is readable")
            .expect("the stream goes on");
        buffer.push_str(std::str::from_utf8(&chunk).expect("SSE is text"));
    }
}

#[tokio::test]
async fn the_live_stream_names_each_new_post_and_ends_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("chathooks.toml");
    std::fs::write(&seed, SEED).unwrap();
    let server = TestServer::start_with(|config| config.seed = Some(seed)).await;
    let http = reqwest::Client::new();

    let mut stream = http
        .get(format!("{}/_chathooks/events", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(header(&stream, "content-type"), "text/event-stream");
    let mut buffer = String::new();
    assert_eq!(next_event(&mut stream, &mut buffer).await.0, "hello");

    let answer = http
        .post(format!("{}/hooks/{HOOK}", server.base))
        .json(&json!({"text": "build 42 passed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let (name, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!(name, "post");
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["kind"], "post_created");
    let messages: serde_json::Value = http
        .get(format!("{}/_chathooks/api/v1/messages", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = &messages["messages"][0];
    assert_eq!(message["message"], "build 42 passed");
    assert_eq!(data["id"], message["id"], "the event names the post");
    assert_eq!(data["channel_id"], message["channel_id"]);

    // Shutdown does not wait for the open stream: the stream ends instead.
    tokio::time::timeout(PATIENCE, server.shutdown())
        .await
        .expect("the server stops while a stream is open");
    let rest = tokio::time::timeout(PATIENCE, async { while let Ok(Some(_)) = stream.chunk().await {} }).await;
    assert!(rest.is_ok(), "the stream ended");
}

#[tokio::test]
async fn ui_auth_covers_the_page_its_assets_and_the_stream() {
    let server = TestServer::start_with(|config| {
        config.ui_auth = chathooks::access::UiAuth::parse(["ops:s3cret"]).expect("valid credentials");
    })
    .await;
    let http = reqwest::Client::new();
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ops:s3cret")
    );
    for path in ["/", "/_chathooks/ui/app.js", "/_chathooks/events"] {
        let url = format!("{}{path}", server.base);
        let refused = http.get(&url).send().await.unwrap();
        assert_eq!(refused.status(), 401, "{path} without credentials");
        assert!(header(&refused, "www-authenticate").starts_with("Basic"), "{path}");
        let admitted = http.get(&url).header("authorization", &good).send().await.unwrap();
        assert_eq!(admitted.status(), 200, "{path} with credentials");
    }
    server.shutdown().await;
}

/// The page loads images from this server only; remote ones come through
/// `/_chathooks/image`, which fetches them through the internal-address
/// guard (as outgoing webhooks are) and passes on images only, within limits.
#[tokio::test]
async fn remote_images_come_through_the_guarded_image_proxy() {
    let images = chathooks_tests::ImageServer::start().await;
    let http = reqwest::Client::new();
    let proxied = |server: &TestServer, url: &str| {
        let request = http
            .get(format!("{}/_chathooks/image", server.base))
            .query(&[("url", url)]);
        async move { request.send().await.unwrap() }
    };

    // By default, loopback and every other internal address are refused,
    // by IP and by name, and nothing reaches them.
    let guarded = TestServer::start().await;
    let page = http.get(format!("{}/", guarded.base)).send().await.unwrap();
    let csp = header(&page, "content-security-policy").to_owned();
    assert!(
        csp.contains("img-src 'self' data:;"),
        "images from this server only: {csp}"
    );
    assert!(!csp.contains("img-src *"), "{csp}");
    let localhost = images.url("/pixel.gif").replace("127.0.0.1", "localhost");
    for url in [images.url("/pixel.gif"), localhost, "http://10.1.2.3/x.png".into()] {
        let refused = proxied(&guarded, &url).await;
        assert_eq!(refused.status(), 403, "{url}");
        let body: serde_json::Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "internal-address", "{url}: {body}");
    }
    assert_eq!(images.hits(), 0, "the guard refused before connecting");
    for url in ["", "not a url", "javascript:alert(1)", "file:///etc/passwd"] {
        assert_eq!(proxied(&guarded, url).await.status(), 400, "{url:?}");
    }

    // Allowed (as a developer's local image server would be), images pass.
    let allowed = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().unwrap();
    })
    .await;
    for path in ["/pixel.gif", "/moved"] {
        let image = proxied(&allowed, &images.url(path)).await;
        assert_eq!(image.status(), 200, "{path}");
        assert_eq!(header(&image, "content-type"), "image/gif");
        assert_eq!(header(&image, "x-content-type-options"), "nosniff");
        assert!(header(&image, "content-security-policy").starts_with("sandbox"));
        assert_eq!(image.bytes().await.unwrap().as_ref(), chathooks_tests::PIXEL_GIF);
    }
    let page = proxied(&allowed, &images.url("/page.html")).await;
    assert_eq!(page.status(), 502, "only images are passed on");
    let huge = proxied(&allowed, &images.url("/huge.png")).await;
    assert_eq!(huge.status(), 502);
    let body: serde_json::Value = huge.json().await.unwrap();
    assert_eq!(body["error"], "too-large", "{body}");
}
