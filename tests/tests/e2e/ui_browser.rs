//! The web UI in a real headless Chromium, driven through chromedriver
//! (WebDriver, with fantoccini): a message sent through a Mattermost incoming
//! webhook appears on a page that is already open, without a reload; its
//! attachment has its color bar and fields, and its remote image comes
//! through the server's image proxy; a failed outgoing delivery shows
//! its status and the attempt's answer. A screenshot is saved under
//! `target/test-artifacts/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
//! Without them the test is skipped with a line saying so, unless `CI` is
//! set: then it fails, as the PostgreSQL tests do.
//!
//! The harness (chromedriver, the browser session, waiting for elements) is
//! shared with [`super::ui_browser_acts`], the web UI acting as a user.
//!
//! Nothing here measures time: every wait is for something to appear, for at
//! most [`PATIENCE`], which only a broken server or browser reaches.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail, ensure};
use chathooks_tests::rocketchat::Receiver;
use chathooks_tests::{TestServer, postgres_backend};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Longest the test waits for anything.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

const INCOMING_HOOK: &str = "buildhook00000000000000000";
const OUTGOING_HOOK: &str = "deployhook0000000000000000";

/// The seed: a channel with an incoming webhook, and an outgoing webhook on
/// it whose callback is `callback` (a receiver answering 500).
fn seed(callback: &str) -> String {
    format!(
        r#"
[settings]
post_username_override = true
post_icon_override = true

[[users]]
username = "admin"
email = "admin@example.com"
password = "admin-password"
system_admin = true

[[users]]
username = "deploy-bot"

[[teams]]
name = "engineering"
display_name = "Engineering"
members = ["admin", "deploy-bot"]

[[channels]]
team = "engineering"
name = "builds"
display_name = "Builds"
members = ["admin", "deploy-bot"]

[[mattermost.incoming]]
id = "{INCOMING_HOOK}"
channel = "engineering/builds"
owner = "deploy-bot"
display_name = "CI"

[[mattermost.outgoing]]
id = "{OUTGOING_HOOK}"
token = "deploytoken000000000000000"
team = "engineering"
channel = "builds"
trigger_words = ["deploy"]
callback_urls = ["{callback}"]
content_type = "application/json"
owner = "admin"
display_name = "Deployer"
"#
    )
}

/// The first of `names` found on `PATH`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// chromedriver and the browser, or why they cannot be used.
pub(crate) fn browser_programs() -> Result<(PathBuf, PathBuf), String> {
    let driver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromedriver"]))
        .ok_or("chromedriver is not installed (Debian: apt-get install chromium chromium-driver)")?;
    let browser = std::env::var_os("CHROME")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromium", "chromium-browser", "google-chrome"]))
        .ok_or("chromium is not installed (Debian: apt-get install chromium chromium-driver)")?;
    Ok((driver, browser))
}

/// Where test artifacts go: `target/test-artifacts/`.
pub(crate) fn artifacts_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("target/test-artifacts can be created");
    dir.canonicalize().unwrap_or(dir)
}

/// Straight to the stderr file descriptor: the harness captures `eprintln!`,
/// and these lines are meant to be seen.
pub(crate) fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// A chromedriver child process on a free loopback port; killed when dropped.
pub(crate) struct Chromedriver {
    child: Child,
    url: String,
}

impl Chromedriver {
    pub(crate) fn start(program: &Path, log: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts: {e}", program.display()));
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Wait until it answers `GET /status` with `ready: true`.
    pub(crate) async fn ready(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let status = format!("{}/status", self.url);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(exit) = self.child.try_wait()? {
                bail!("chromedriver exited at start: {exit}");
            }
            if let Ok(response) = http.get(&status).send().await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return Ok(());
            }
            ensure!(
                tokio::time::Instant::now() < deadline,
                "chromedriver was not ready in {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session.
pub(crate) async fn browser(driver: &Chromedriver, chromium: &Path, profile: &Path) -> anyhow::Result<Client> {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                // Root (as in CI) has no sandbox.
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--password-store=basic",
                "--window-size=1440,900",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    Ok(ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await?)
}

/// Call `check` until it returns `Some`, every 50 ms, for at most [`PATIENCE`].
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if tokio::time::Instant::now() >= deadline {
            let why = last_error.map(|e| format!(" (last error: {e:#})")).unwrap_or_default();
            bail!("timed out after {PATIENCE:?} waiting for {what}{why}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first element matching `css`, once there is one.
pub(crate) async fn element(page: &Client, css: &str) -> anyhow::Result<Element> {
    eventually(css, || async {
        Ok(page.find_all(Locator::Css(css)).await?.into_iter().next())
    })
    .await
}

/// An element's `rgb()` color, normalized (`rgba(r, g, b, 1)` is `rgb(r, g, b)`).
fn normal_color(css: &str) -> String {
    let css = css.trim();
    if let Some(inner) = css.strip_prefix("rgba(").and_then(|s| s.strip_suffix(')')) {
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        if parts.len() == 4 && parts[3] == "1" {
            return format!("rgb({}, {}, {})", parts[0], parts[1], parts[2]);
        }
    }
    css.to_owned()
}

#[tokio::test]
async fn the_web_ui_shows_messages_live_attachments_and_failed_deliveries() {
    let (driver_program, chromium) = match browser_programs() {
        Ok(programs) => programs,
        Err(why) if chathooks_testdb::is_ci() => panic!("CI is set and the browser test needs Chromium: {why}"),
        Err(why) => {
            say(&format!("skipping the browser test: {why}"));
            return;
        }
    };
    let artifacts = artifacts_dir();
    let backend = if postgres_backend() { "postgres" } else { "sqlite" };

    let receiver = Receiver::answering(500, r#"{"error":"deploys are frozen"}"#).await;
    let dir = tempfile::tempdir().unwrap();
    let seed_path = dir.path().join("chathooks.toml");
    std::fs::write(&seed_path, seed(&receiver.url("/deploy"))).unwrap();
    let server = TestServer::start_with(|config| {
        config.seed = Some(seed_path);
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
    })
    .await;

    let mut driver = Chromedriver::start(&driver_program, &artifacts.join(format!("chromedriver-{backend}.log")));
    driver.ready().await.expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let page = browser(&driver, &chromium, profile.path())
        .await
        .expect("a Chromium session starts");

    let outcome = scenario(&server, &page, &receiver).await;
    let screenshot = artifacts.join(format!("ui_browser-{backend}.png"));
    let shot = match page.screenshot().await {
        Ok(png) => std::fs::write(&screenshot, png).map_err(anyhow::Error::from),
        Err(e) => Err(e.into()),
    };
    match &shot {
        Ok(()) => say(&format!("ui_browser: screenshot saved to {}", screenshot.display())),
        Err(e) => say(&format!("ui_browser: no screenshot: {e:#}")),
    }
    if let Err(e) = outcome {
        let _ = page.close().await;
        panic!("{e:#}");
    }
    shot.expect("the screenshot is saved");

    // An open page (its event stream) does not hold up a graceful shutdown.
    tokio::time::timeout(PATIENCE, server.shutdown())
        .await
        .expect("the server stops while a page is open");
    page.close().await.expect("the browser session ends");
}

async fn scenario(server: &TestServer, page: &Client, receiver: &Receiver) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    page.goto(&format!("{}/", server.base)).await?;

    // The seeded channel, chosen in the sidebar; live updates connected.
    element(page, r#"a.channel[data-channel-name="builds"]"#)
        .await?
        .click()
        .await?;
    element(page, r#"a.channel.active[data-channel-name="builds"]"#).await?;
    element(page, r#"#live-status[data-state="open"]"#).await?;
    element(page, "#messages .empty").await?;
    // Survives only if the page is never reloaded.
    page.execute("window.__notReloaded = true; return true;", vec![])
        .await?;

    // A message through the incoming webhook, by plain HTTP: its icon on an
    // internal address the server may not reach, its attachment's image on a
    // local server it may (127.0.0.1 is allowed here).
    let images = chathooks_tests::ImageServer::start().await;
    let answer = http
        .post(format!("{}/hooks/{INCOMING_HOOK}", server.base))
        .json(&json!({
            "text": "Build **42** passed",
            "username": "release-bot",
            "icon_url": "http://10.1.2.3/avatar.png",
            "attachments": [{
                "image_url": images.url("/pixel.gif"),
                "fallback": "Build 42 passed",
                "color": "danger",
                "pretext": "Nightly build",
                "author_name": "CI",
                "title": "Build 42",
                "title_link": "https://ci.example/builds/42",
                "text": "All tests passed",
                "fields": [
                    {"title": "Branch", "value": "main", "short": true},
                    {"title": "Duration", "value": "3 min", "short": true},
                    {"title": "Changes", "value": "Fix the flaky test", "short": false},
                ],
                "footer": "chathooks CI",
            }],
        }))
        .send()
        .await?;
    ensure!(answer.status() == 200, "the hook answers {}", answer.status());

    let post = element(page, "#messages .post[data-message-id].from-webhook").await?;
    let text = post.find(Locator::Css(".post-message")).await?.text().await?;
    ensure!(text.contains("Build 42 passed"), "the message text: {text:?}");
    let bold = post.find(Locator::Css(".post-message strong")).await?.text().await?;
    ensure!(bold == "42", "Markdown is rendered: {bold:?}");
    let author = post.find(Locator::Css(".post-author")).await?.text().await?;
    ensure!(author == "release-bot", "the override username: {author:?}");
    let badge = post.find(Locator::Css(".bot-badge")).await?.text().await?;
    ensure!(badge == "BOT", "the webhook badge: {badge:?}");
    let not_reloaded = page.execute("return window.__notReloaded === true;", vec![]).await?;
    ensure!(not_reloaded == true, "the message appeared without a reload");

    // Remote images come through the server's image proxy: the attachment's
    // loads, the icon the guard refused falls back to the initial.
    let image = post.find(Locator::Css(".attachment-image")).await?;
    let src = image.attr("src").await?.unwrap_or_default();
    ensure!(
        src.starts_with("/_chathooks/image?url=http%3A%2F%2F127.0.0.1"),
        "the attachment's image is proxied: {src}"
    );
    eventually("the proxied image to load", || async {
        let width = page
            .execute(
                "return document.querySelector('#messages .attachment-image').naturalWidth;",
                vec![],
            )
            .await?;
        Ok((width == 1).then_some(()))
    })
    .await?;
    ensure!(
        images.hits() == 1,
        "the server fetched the image once: {}",
        images.hits()
    );
    eventually("the refused icon to fall back to the initial", || async {
        Ok(post.find_all(Locator::Css(".avatar-initial")).await?.into_iter().next())
    })
    .await?;

    // The attachment: Mattermost's red for `danger` as its bar, and its fields,
    // the two short ones side by side.
    let attachment = post.find(Locator::Css(".attachment")).await?;
    let bar = normal_color(&attachment.css_value("border-left-color").await?);
    ensure!(bar == "rgb(228, 3, 3)", "the color bar: {bar}");
    let bar_width = attachment.css_value("border-left-width").await?;
    ensure!(bar_width == "4px", "the color bar's width: {bar_width}");
    let title = attachment.find(Locator::Css(".attachment-title a")).await?;
    ensure!(title.text().await? == "Build 42", "the title");
    ensure!(
        title.attr("href").await?.as_deref() == Some("https://ci.example/builds/42"),
        "the title link"
    );
    let fields = attachment.find_all(Locator::Css(".attachment-field")).await?;
    let mut seen = Vec::new();
    for field in &fields {
        let title = field
            .find(Locator::Css(".attachment-field-title"))
            .await?
            .text()
            .await?;
        let value = field
            .find(Locator::Css(".attachment-field-value"))
            .await?
            .text()
            .await?;
        let (x, y, width, _) = field.rectangle().await?;
        seen.push((title, value, x, y, width));
    }
    let names: Vec<(&str, &str)> = seen.iter().map(|(t, v, ..)| (t.as_str(), v.as_str())).collect();
    ensure!(
        names
            == [
                ("Branch", "main"),
                ("Duration", "3 min"),
                ("Changes", "Fix the flaky test")
            ],
        "the fields: {names:?}"
    );
    let (branch, duration, changes) = (&seen[0], &seen[1], &seen[2]);
    ensure!(
        branch.3 == duration.3 && branch.2 < duration.2,
        "short fields side by side: {seen:?}"
    );
    ensure!(
        changes.3 > branch.3 && changes.4 > branch.4 * 1.5,
        "a long field on its own line, full width: {seen:?}"
    );

    // A user's post triggers the outgoing webhook, whose callback answers 500.
    let admin = server.admin().await;
    let channel: Value = http
        .get(format!(
            "{}/api/v4/teams/name/engineering/channels/name/builds",
            server.base
        ))
        .bearer_auth(&admin.token)
        .send()
        .await?
        .json()
        .await?;
    let channel_id = channel["id"].as_str().ok_or_else(|| anyhow!("channel: {channel}"))?;
    let created = http
        .post(format!("{}/api/v4/posts", server.base))
        .bearer_auth(&admin.token)
        .json(&json!({"channel_id": channel_id, "message": "deploy now"}))
        .send()
        .await?;
    ensure!(created.status() == 201, "the post is created: {}", created.status());
    receiver.wait_for(1).await;

    // A Rocket.Chat bot on the Realtime API: the deliveries panel lists its session.
    let _bot = realtime_bot(server).await?;

    page.find(Locator::Css("#tab-deliveries")).await?.click().await?;
    // (A poll may have drawn it before its login: wait for the logged-in one.)
    eventually("the realtime session of admin in the deliveries panel", || async {
        let users = page
            .find_all(Locator::Css("#realtime-sessions .realtime-session .realtime-user"))
            .await?;
        let Some(user) = users.into_iter().next() else {
            return Ok(None);
        };
        Ok((user.text().await? == "admin").then_some(()))
    })
    .await?;
    let subscriptions = element(page, "#realtime-sessions .realtime-subscriptions").await?;
    ensure!(
        subscriptions.text().await? == "stream-room-messages __my_messages__",
        "the session's subscriptions"
    );
    let delivery = element(
        page,
        &format!(r#"#panel-deliveries .delivery[data-hook-id="{OUTGOING_HOOK}"][data-status="failed"]"#),
    )
    .await
    .context("the failed delivery in the deliveries panel")?;
    let status = delivery.find(Locator::Css(".delivery-status")).await?.text().await?;
    ensure!(status.eq_ignore_ascii_case("failed"), "the delivery status: {status:?}");
    ensure!(
        delivery
            .find(Locator::Css(".delivery-status"))
            .await?
            .is_displayed()
            .await?
    );
    let code = delivery
        .find(Locator::Css(".attempt-status-code"))
        .await?
        .text()
        .await?;
    ensure!(code == "500", "the attempt's status code: {code:?}");
    let url = delivery.find(Locator::Css(".delivery-url")).await?.text().await?;
    ensure!(url == receiver.url("/deploy"), "the delivery URL: {url:?}");
    // The answer's excerpt, once opened.
    delivery
        .find(Locator::Css(".attempt details summary"))
        .await?
        .click()
        .await?;
    let excerpt = delivery.find(Locator::Css(".attempt-response")).await?.text().await?;
    ensure!(
        excerpt.contains("deploys are frozen"),
        "the response excerpt: {excerpt:?}"
    );

    // The live message is still there, and the user's post joined it.
    eventually("the user's post on the page", || async {
        let texts = page.find_all(Locator::Css("#messages .post .post-message")).await?;
        for text in texts {
            if text.text().await?.contains("deploy now") {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await?;
    Ok(())
}

/// A Realtime API connection logged in as the admin, following its messages
/// (Meteor's DDP over `/websocket`, as Rocket.Chat bots connect); open while
/// the value lives.
async fn realtime_bot(
    server: &TestServer,
) -> anyhow::Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>> {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;
    let url = format!("{}/websocket", server.base.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let frames = [
        json!({"msg": "connect", "version": "1", "support": ["1"]}),
        json!({"msg": "method", "id": "1", "method": "login",
               "params": [{"user": {"username": "admin"}, "password": "admin-password"}]}),
        json!({"msg": "sub", "id": "s", "name": "stream-room-messages", "params": ["__my_messages__", false]}),
    ];
    for frame in frames {
        socket.send(Message::Text(frame.to_string().into())).await?;
    }
    // Read until the subscription is ready.
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .context("a DDP frame in time")?
            .ok_or_else(|| anyhow!("the realtime connection closed"))??;
        if let Message::Text(text) = frame {
            let frame: Value = serde_json::from_str(&text)?;
            if frame["msg"] == "ready" {
                return Ok(socket);
            }
            ensure!(frame["msg"] != "nosub" && frame["msg"] != "error", "DDP: {frame}");
        }
    }
}
