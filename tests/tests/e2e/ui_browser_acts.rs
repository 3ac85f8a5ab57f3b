//! The web UI acting as a user, in a real headless Chromium (the harness of
//! [`super::ui_browser`]): a user is picked in the composer; a slash command
//! typed there answers with a post whose button and menu are clicked as that
//! user; the button's ephemeral answer is shown to that user only; the menu
//! opens a dialog, whose required field is checked before sending, whose
//! integration's errors show next to the field and above the form, and whose
//! fixed submission goes through; then another user posts in a Rocket.Chat
//! room, which fires its outgoing integration. A refused command's status and
//! reason show in the composer. Screenshots (the refused dialog, the end)
//! are saved under `target/test-artifacts/`.
//!
//! A real HTTP receiver on loopback plays the integration; it opens its dialog
//! with the trigger id it got, through the Mattermost API, as a real
//! integration does.

use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context as _, anyhow, ensure};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use chathooks_tests::{TestServer, postgres_backend};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::ui_browser::{Chromedriver, PATIENCE, artifacts_dir, browser, browser_programs, element, eventually, say};

const INCOMING_HOOK: &str = "buildhook00000000000000000";
const RC_OUTGOING: &str = "EchoIntegration01";

/// WebDriver's keys: Enter, Shift, and the release of held modifiers.
const ENTER: &str = "\u{E007}";
const SHIFT: &str = "\u{E008}";
const RELEASE: &str = "\u{E000}";

fn seed(receiver: &str) -> String {
    format!(
        r##"
[[users]]
username = "admin"
email = "admin@example.com"
password = "admin-password"
system_admin = true

[[users]]
username = "alice"
email = "alice@example.com"
password = "alice-password"

[[users]]
username = "deploy-bot"

[[teams]]
name = "engineering"
display_name = "Engineering"
members = ["admin", "alice", "deploy-bot"]

[[channels]]
team = "engineering"
name = "builds"
display_name = "Builds"
members = ["admin", "alice", "deploy-bot"]

[[mattermost.incoming]]
id = "{INCOMING_HOOK}"
channel = "engineering/builds"
owner = "deploy-bot"
display_name = "Deployer"

[[rocketchat.outgoing]]
id = "{RC_OUTGOING}"
name = "Echo"
channel = ["all_public_channels"]
trigger_words = ["hello"]
urls = ["{receiver}/rc"]
username = "admin"
"##
    )
}

/// What the receiver knows: its own base, the chat server's (set once it
/// runs), and every call it got (path, body).
#[derive(Clone)]
struct Integration {
    base: String,
    server: Arc<OnceLock<String>>,
    calls: Arc<Mutex<Vec<(String, String)>>>,
}

impl Integration {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let integration = Self {
            base: format!("http://{}", listener.local_addr().expect("receiver address")),
            server: Arc::default(),
            calls: Arc::default(),
        };
        let app = axum::Router::new().fallback(answer).with_state(integration.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        integration
    }

    fn calls_to(&self, path: &str) -> Vec<String> {
        let calls = self.calls.lock().expect("calls");
        calls
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

fn form_field(body: &str, name: &str) -> String {
    reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
        .expect("form body parses as a query")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn deploy_dialog(target: &str) -> Value {
    json!({
        "callback_id": "deploy",
        "title": format!("Deploy to {target}"),
        "introduction_text": "Which service, and how",
        "state": target,
        "submit_label": "Deploy",
        "elements": [
            {"display_name": "Service", "name": "service", "type": "text", "placeholder": "api",
             "help_text": "The service to deploy", "min_length": 2, "max_length": 20},
            {"display_name": "Notes", "name": "notes", "type": "textarea", "optional": true},
            {"display_name": "Region", "name": "region", "type": "select", "default": "eu",
             "options": [{"text": "Europe", "value": "eu"}, {"text": "America", "value": "us"}]},
            {"display_name": "Notify", "name": "notify", "type": "bool", "optional": true,
             "placeholder": "Tell the channel", "default": "true"},
            {"display_name": "Speed", "name": "speed", "type": "radio", "default": "careful",
             "options": [{"text": "Careful", "value": "careful"}, {"text": "Fast", "value": "fast"}]},
        ],
    })
}

/// The menu that picks a target (it opens the dialog).
fn target_menu(base: &str) -> Value {
    json!({"id": "target", "type": "select", "name": "Pick a target",
           "options": [{"text": "Staging", "value": "staging"}, {"text": "Production", "value": "production"}],
           "integration": {"url": format!("{base}/target")}})
}

async fn answer(State(it): State<Integration>, uri: Uri, body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = String::from_utf8_lossy(&body).into_owned();
    let path = uri.path().to_owned();
    it.calls.lock().expect("calls").push((path.clone(), body.clone()));
    let server = it.server.get().cloned().unwrap_or_default();
    let answer = match path.as_str() {
        "/deploy" => json!({
            "response_type": "in_channel",
            "text": format!("Deploy **{}**?", form_field(&body, "text")),
            "attachments": [{"text": "Waiting for approval", "actions": [
                {"id": "approve", "type": "button", "name": "Approve", "style": "primary",
                 "integration": {"url": format!("{}/approve", it.base)}},
                target_menu(&it.base),
            ]}],
        }),
        "/approve" => {
            let clicked: Value = serde_json::from_str(&body).unwrap_or_default();
            json!({
                "update": {
                    "message": format!("Deploy approved by {}", clicked["user_name"].as_str().unwrap_or("?")),
                    "props": {"attachments": [{"text": "Now pick a target", "actions": [target_menu(&it.base)]}]},
                },
                "ephemeral_text": "You approved the deploy",
            })
        }
        "/target" => {
            let picked: Value = serde_json::from_str(&body).unwrap_or_default();
            let target = picked["context"]["selected_option"].as_str().unwrap_or("nowhere");
            let opened = reqwest::Client::new()
                .post(format!("{server}/api/v4/actions/dialogs/open"))
                .json(&json!({
                    "trigger_id": picked["trigger_id"],
                    "url": format!("{}/submit", it.base),
                    "dialog": deploy_dialog(target),
                }))
                .send()
                .await;
            match opened {
                Ok(response) if response.status() == 200 => json!({}),
                other => json!({"ephemeral_text": format!("could not open the dialog: {other:?}")}),
            }
        }
        "/submit" => {
            let sent: Value = serde_json::from_str(&body).unwrap_or_default();
            let values = &sent["submission"];
            if values["service"] == "nope" {
                json!({"error": "Deploy refused", "errors": {"service": "no such service"}})
            } else {
                let text = format!(
                    "Deploying {} to {} ({}, {}, notify {})",
                    values["service"].as_str().unwrap_or("?"),
                    sent["state"].as_str().unwrap_or("?"),
                    values["region"].as_str().unwrap_or("?"),
                    values["speed"].as_str().unwrap_or("?"),
                    values["notify"],
                );
                let _ = reqwest::Client::new()
                    .post(format!("{server}/hooks/{INCOMING_HOOK}"))
                    .json(&json!({ "text": text }))
                    .send()
                    .await;
                json!({})
            }
        }
        _ => json!({}),
    };
    ([("content-type", "application/json")], answer.to_string()).into_response()
}

#[tokio::test]
async fn the_web_ui_acts_as_a_user_commands_buttons_dialogs_and_rooms() {
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

    let integration = Integration::start().await;
    let dir = tempfile::tempdir().unwrap();
    let seed_path = dir.path().join("chathooks.toml");
    std::fs::write(&seed_path, seed(&integration.base)).unwrap();
    let server = TestServer::start_with(|config| {
        config.seed = Some(seed_path);
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
    })
    .await;
    integration.server.set(server.base.clone()).expect("set once");
    slash_command(&server, &integration)
        .await
        .expect("the slash command is made");

    let mut driver = Chromedriver::start(
        &driver_program,
        &artifacts.join(format!("chromedriver-acts-{backend}.log")),
    );
    driver.ready().await.expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let page = browser(&driver, &chromium, profile.path())
        .await
        .expect("a Chromium session starts");

    let outcome = scenario(&server, &page, &integration).await;
    let screenshot = artifacts.join(format!("ui_browser_acts-{backend}.png"));
    let shot = match page.screenshot().await {
        Ok(png) => std::fs::write(&screenshot, png).map_err(anyhow::Error::from),
        Err(e) => Err(e.into()),
    };
    match &shot {
        Ok(()) => say(&format!(
            "ui_browser_acts: screenshot saved to {}",
            screenshot.display()
        )),
        Err(e) => say(&format!("ui_browser_acts: no screenshot: {e:#}")),
    }
    if let Err(e) = outcome {
        let _ = page.close().await;
        panic!("{e:#}");
    }
    shot.expect("the screenshot is saved");
    page.close().await.expect("the browser session ends");
    tokio::time::timeout(PATIENCE, server.shutdown())
        .await
        .expect("the server stops");
}

/// `/deploy` in the team `engineering`, calling the integration.
async fn slash_command(server: &TestServer, integration: &Integration) -> anyhow::Result<()> {
    let admin = server.admin().await;
    let http = reqwest::Client::new();
    let team: Value = http
        .get(format!("{}/api/v4/teams/name/engineering", server.base))
        .bearer_auth(&admin.token)
        .send()
        .await?
        .json()
        .await?;
    let created = http
        .post(format!("{}/api/v4/commands", server.base))
        .bearer_auth(&admin.token)
        .json(&json!({"team_id": team["id"], "trigger": "deploy", "method": "P",
                      "url": format!("{}/deploy", integration.base)}))
        .send()
        .await?;
    ensure!(created.status() == 201, "the command: {}", created.text().await?);
    Ok(())
}

/// The text of the first element matching `css`, once it contains `wanted`.
async fn text_with(page: &Client, css: &str, wanted: &str) -> anyhow::Result<String> {
    eventually(&format!("{css} containing {wanted:?}"), || async {
        for found in page.find_all(Locator::Css(css)).await? {
            let text = found.text().await?;
            if text.contains(wanted) {
                return Ok(Some(text));
            }
        }
        Ok(None)
    })
    .await
}

/// Pick `value` in the select `css` as a person does: by clicking its option.
async fn pick(page: &Client, css: &str, value: &str) -> anyhow::Result<()> {
    element(page, &format!(r#"{css} option[value="{value}"]"#))
        .await?
        .click()
        .await?;
    Ok(())
}

async fn count(page: &Client, css: &str) -> anyhow::Result<usize> {
    Ok(page.find_all(Locator::Css(css)).await?.len())
}

async fn scenario(server: &TestServer, page: &Client, integration: &Integration) -> anyhow::Result<()> {
    let backend = if postgres_backend() { "postgres" } else { "sqlite" };
    page.goto(&format!("{}/", server.base)).await?;
    element(page, r#"a.channel[data-channel-name="builds"]"#)
        .await?
        .click()
        .await?;
    element(page, r#"a.channel.active[data-channel-name="builds"]"#).await?;
    element(page, r#"#live-status[data-state="open"]"#).await?;

    // The composer: alice, in the channel shown.
    pick(page, "#composer-user", "alice").await?;
    let channel = element(page, "#composer-channel").await?;
    let shown = page
        .execute(
            "return document.querySelector('a.channel.active').dataset.channelId;",
            vec![],
        )
        .await?;
    ensure!(
        channel.prop("value").await?.as_deref() == shown.as_str(),
        "the composer's channel is the one shown"
    );
    let text = element(page, "#composer-text").await?;

    // A command the API refuses: its status and reason in the composer.
    text.send_keys(&format!("/nosuch{ENTER}")).await?;
    let error = text_with(page, "#composer-error", "not found").await?;
    ensure!(
        error.contains("404") && error.contains("refused"),
        "the refusal: {error:?}"
    );

    // Shift+Enter is a new line, Enter sends: a plain message as alice.
    text.clear().await?;
    text.send_keys(&format!("Morning all{SHIFT}{ENTER}{RELEASE}second line"))
        .await?;
    ensure!(
        text.prop("value").await?.as_deref() == Some("Morning all\nsecond line"),
        "Shift+Enter adds a line and sends nothing"
    );
    ensure!(count(page, "#messages .post").await? == 0, "nothing was sent yet");
    text.send_keys(ENTER).await?;
    let posted = element(page, r#"#messages .post[data-author="alice"]"#).await?;
    let body = posted.find(Locator::Css(".post-message")).await?.text().await?;
    ensure!(
        body.contains("Morning all\nsecond line"),
        "the post keeps its line break: {body:?}"
    );
    ensure!(
        text.prop("value").await?.as_deref() == Some(""),
        "the composer is emptied"
    );
    ensure!(
        !element(page, "#composer-error").await?.is_displayed().await?,
        "a success clears the last error"
    );

    // A slash command: its answer is a post with a button and a menu.
    text.send_keys(&format!("/deploy api{ENTER}")).await?;
    text_with(page, "#messages .post .post-message", "Deploy api?").await?;
    ensure!(
        form_field(&integration.calls_to("/deploy")[0], "user_name") == "alice",
        "the command ran as alice"
    );

    // The button, clicked as alice: the post is updated, and the ephemeral
    // answer is shown to her only.
    element(page, r#"#messages .action-button[data-action-id="approve"]"#)
        .await?
        .click()
        .await?;
    text_with(page, "#messages .post .post-message", "Deploy approved by alice").await?;
    let whisper = text_with(page, "#messages .post.ephemeral", "You approved the deploy").await?;
    ensure!(
        whisper.contains("(Only visible to you)"),
        "the ephemeral mark: {whisper:?}"
    );
    pick(page, "#composer-user", "admin").await?;
    eventually("the ephemeral message hidden from admin", || async {
        Ok((count(page, "#messages .post.ephemeral").await? == 0).then_some(()))
    })
    .await?;
    pick(page, "#composer-user", "alice").await?;
    element(page, "#messages .post.ephemeral").await?;

    // The menu (still there after the update), picked as alice: it opens a dialog.
    pick(
        page,
        r#"#messages select.action-select[data-action-id="target"]"#,
        "production",
    )
    .await?;
    let dialog = element(page, r#"#dialog-modal form.dialog[data-callback-id="deploy"]"#).await?;
    ensure!(
        dialog.find(Locator::Css("#dialog-title")).await?.text().await? == "Deploy to production",
        "the dialog's title"
    );
    let picked: Value = serde_json::from_str(&integration.calls_to("/target")[0])?;
    ensure!(
        picked["user_name"] == "alice" && picked["context"]["selected_option"] == "production",
        "the menu's call: {picked}"
    );
    // Its elements, with their hints.
    let field = |name: &str| format!(r#"#dialog-modal .dialog-field[data-element="{name}"]"#);
    let service = element(page, &format!("{} input", field("service"))).await?;
    ensure!(
        service.attr("placeholder").await?.as_deref() == Some("api"),
        "the placeholder"
    );
    ensure!(
        service.attr("maxlength").await?.as_deref() == Some("20"),
        "the max length"
    );
    text_with(
        page,
        &format!("{} .dialog-help", field("service")),
        "The service to deploy",
    )
    .await?;
    text_with(
        page,
        &format!("{} .dialog-limits", field("service")),
        "at least 2, at most 20",
    )
    .await?;
    element(page, &format!("{} .field-required", field("service"))).await?;
    element(page, &format!("{} .field-optional", field("notes"))).await?;
    element(page, &format!("{} textarea", field("notes"))).await?;
    let region = element(page, &format!("{} select", field("region"))).await?;
    ensure!(
        region.prop("value").await?.as_deref() == Some("eu"),
        "the select's default"
    );
    let notify = element(page, &format!("{} input[type=checkbox]", field("notify"))).await?;
    ensure!(
        notify.prop("checked").await?.as_deref() == Some("true"),
        "the bool's default"
    );
    let careful = element(
        page,
        &format!(r#"{} input[type=radio][value="careful"]"#, field("speed")),
    )
    .await?;
    ensure!(
        careful.prop("checked").await?.as_deref() == Some("true"),
        "the radio's default"
    );

    // Required, checked before anything is sent.
    element(page, "#dialog-submit").await?.click().await?;
    text_with(
        page,
        &format!("{} .dialog-field-error", field("service")),
        "This field is required.",
    )
    .await?;
    ensure!(integration.calls_to("/submit").is_empty(), "nothing was sent");

    // The integration's errors: next to the field, and above the form.
    let service = element(page, &format!("{} input", field("service"))).await?;
    service.send_keys("nope").await?;
    pick(page, &format!("{} select", field("region")), "us").await?;
    element(page, "#dialog-submit").await?.click().await?;
    text_with(
        page,
        &format!("{} .dialog-field-error", field("service")),
        "no such service",
    )
    .await?;
    text_with(page, "#dialog-modal .dialog-error", "Deploy refused").await?;
    let service = element(page, &format!("{} input", field("service"))).await?;
    ensure!(
        service.prop("value").await?.as_deref() == Some("nope"),
        "what was typed stays"
    );
    // How the refused dialog looks, for a person to check.
    let shot = artifacts_dir().join(format!("ui_browser_acts-dialog-{backend}.png"));
    std::fs::write(&shot, page.screenshot().await?)?;

    // Fixed and sent again: the dialog closes, and the integration's post shows.
    service.clear().await?;
    service.send_keys("api").await?;
    element(page, &format!(r#"{} input[type=radio][value="fast"]"#, field("speed")))
        .await?
        .click()
        .await?;
    element(page, "#dialog-submit").await?.click().await?;
    text_with(
        page,
        "#messages .post .post-message",
        "Deploying api to production (us, fast, notify true)",
    )
    .await?;
    eventually("the dialog closed", || async {
        Ok((count(page, "#dialog-modal form").await? == 0).then_some(()))
    })
    .await?;
    let sent: Value = serde_json::from_str(integration.calls_to("/submit").last().context("a submission")?)?;
    ensure!(
        sent["submission"]["notes"] == "" && sent["user_id"].is_string(),
        "{sent}"
    );

    // Another user, in a Rocket.Chat room: the post shows, and the room's
    // outgoing integration is called.
    pick(page, "#composer-user", "admin").await?;
    pick(page, "#composer-channel", "GENERAL").await?;
    element(page, r#"a.channel.active[data-channel-name="general"]"#).await?;
    let text = element(page, "#composer-text").await?;
    text.send_keys(&format!("hello rocket{ENTER}")).await?;
    text_with(
        page,
        r#"#messages .post[data-author="admin"] .post-message"#,
        "hello rocket",
    )
    .await?;
    let echoed = eventually("the room's outgoing integration called", || async {
        Ok(integration.calls_to("/rc").into_iter().next())
    })
    .await?;
    let echoed: Value = serde_json::from_str(&echoed).map_err(|e| anyhow!("{e}: {echoed}"))?;
    ensure!(
        echoed["text"] == "hello rocket" && echoed["user_name"] == "admin",
        "the outgoing call: {echoed}"
    );
    Ok(())
}
