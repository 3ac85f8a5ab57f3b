//! The test API (`/_chathooks/api/v1`, spec/testapi.yaml) through its
//! generated client, against a seeded server: listing and waiting for
//! messages, deliveries, reset, chaos, access, metrics, health and retention.

use std::path::PathBuf;
use std::time::Duration;

use chathooks::access::UiAuth;
use chathooks::netguard::AllowList;
use chathooks_testapi_client::Client;
use chathooks_testapi_types as types;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::Receiver;
use serde_json::{Value, json};

const MM_HOOK: &str = "buildhook00000000000000000";
const RC_HOOK: &str = "BuildHook00000001";
const RC_TOKEN: &str = "buildtoken0000000000000000000000000000000000000";
const BOT_TOKEN: &str = "ci-bot-token-0123456789ab";

/// A seed with a hook of each API into engineering/builds, and a Mattermost
/// outgoing hook on `deploy` calling `callback`.
fn seed(callback: &str, extra: &str) -> String {
    format!(
        r##"
[settings]
post_username_override = true
post_icon_override = true

[[users]]
username = "admin"
password = "admin-password"
system_admin = true

[[users]]
username = "deploy-bot"
tokens = ["{BOT_TOKEN}"]

[[teams]]
name = "engineering"
members = ["admin", "deploy-bot"]

[[channels]]
team = "engineering"
name = "builds"
members = ["admin", "deploy-bot"]

[[mattermost.incoming]]
id = "{MM_HOOK}"
channel = "engineering/builds"
owner = "deploy-bot"
display_name = "CI"
username = "ci"

[[mattermost.outgoing]]
id = "deployhook0000000000000000"
token = "deploytoken000000000000000"
team = "engineering"
channel = "builds"
trigger_words = ["deploy"]
callback_urls = ["{callback}"]
owner = "admin"

[[rocketchat.incoming]]
id = "{RC_HOOK}"
token = "{RC_TOKEN}"
name = "CI"
channel = "#builds"
username = "admin"
{extra}
"##
    )
}

struct Fixture {
    server: TestServer,
    api: Client,
    http: reqwest::Client,
    receiver: Receiver,
    _dir: tempfile::TempDir,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with("", |_| {}).await
    }

    async fn start_with(extra: &str, configure: impl FnOnce(&mut chathooks::server::Config)) -> Self {
        let receiver = Receiver::answering(500, r#"{"error":"receiver down"}"#).await;
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("chathooks.toml");
        std::fs::write(&path, seed(&receiver.url("/deploy"), extra)).unwrap();
        let server = TestServer::start_with(|config| {
            config.seed = Some(path);
            config.admin = None;
            config.allow_internal_callbacks = AllowList::parse("127.0.0.1").unwrap();
            configure(config);
        })
        .await;
        Self {
            api: Client::new(&server.base),
            http: reqwest::Client::new(),
            server,
            receiver,
            _dir: dir,
        }
    }

    async fn mattermost_hook(&self, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let response = self
            .http
            .post(format!("{}/hooks/{MM_HOOK}", self.server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    async fn rocketchat_hook(&self, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
        let response = self
            .http
            .post(format!("{}/hooks/{RC_HOOK}/{RC_TOKEN}", self.server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// Post `message` in engineering/builds as the bot, through the
    /// Mattermost API (which fires the outgoing hook on `deploy`).
    async fn post_as_bot(&self, message: &str) -> (u16, Value) {
        let channel: Value = self
            .http
            .get(format!(
                "{}/api/v4/teams/name/engineering/channels/name/builds",
                self.server.base
            ))
            .bearer_auth(BOT_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let response = self
            .http
            .post(format!("{}/api/v4/posts", self.server.base))
            .bearer_auth(BOT_TOKEN)
            .json(&json!({"channel_id": channel["id"], "message": message}))
            .send()
            .await
            .unwrap();
        let (status, _, post) = answer(response).await;
        (status, post)
    }

    async fn messages(&self) -> Vec<types::Message> {
        self.api.list_messages().send().await.unwrap().into_inner().messages
    }
}

async fn answer(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn messages_of_both_apis_are_listed_with_filters() {
    let f = Fixture::start().await;
    let (status, _, _) = f
        .mattermost_hook(json!({
            "text": "build **42** passed",
            "attachments": [{"color": "#36a64f", "title": "Build 42", "fields": [{"title": "branch", "value": "main", "short": true}]}],
        }))
        .await;
    assert_eq!(status, 200);
    let (status, _, body) = f
        .rocketchat_hook(json!({"text": "deploy 7 started", "alias": "deployer"}))
        .await;
    assert_eq!(status, 200, "{body}");

    let all = f.messages().await;
    assert_eq!(all.len(), 2, "{all:#?}");
    let mm = &all[0];
    assert_eq!(
        (mm.team_name.as_str(), mm.channel_name.as_str()),
        ("engineering", "builds")
    );
    assert_eq!(mm.hook_id, MM_HOOK);
    assert!(mm.from_webhook);
    assert_eq!(mm.display_name, "ci", "the override username is what is shown");
    assert_eq!(mm.username, "deploy-bot", "the author is the hook's owner");
    assert_eq!(mm.html, "<p>build <strong>42</strong> passed</p>\n");
    assert_eq!(mm.attachments[0]["color"], "#36a64f");
    assert_eq!(mm.attachments[0]["fields"][0]["title"], "branch");
    let rc = &all[1];
    assert_eq!(rc.hook_id, RC_HOOK);
    assert_eq!(rc.display_name, "deployer");
    assert!(rc.create_at >= mm.create_at, "oldest first");

    let by_hook = f
        .api
        .list_messages()
        .hook(RC_HOOK)
        .send()
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(
        by_hook.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [rc.id.as_str()]
    );
    let by_text = f
        .api
        .list_messages()
        .text("**42**")
        .send()
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(by_text.len(), 1);
    assert_eq!(by_text[0].id, mm.id);
    let by_channel = f
        .api
        .list_messages()
        .channel("engineering/builds")
        .author("admin")
        .send()
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(
        by_channel.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [rc.id.as_str()]
    );
    let since = f
        .api
        .list_messages()
        .since(rc.create_at)
        .send()
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert!(since.is_empty(), "strictly after: {since:#?}");
    let newest = f
        .api
        .list_messages()
        .limit(std::num::NonZeroU64::new(1).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(
        newest.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [rc.id.as_str()]
    );

    // An unknown channel is an error in the test API's shape, not an empty list.
    let refused = f
        .api
        .list_messages()
        .channel("engineering/nowhere")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    let (status, _, body) = answer(
        f.http
            .get(format!("{}/_chathooks/api/v1/messages?limit=0", f.server.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid-params")),
        "{body}"
    );

    let channels = f.api.list_channels().send().await.unwrap().into_inner().channels;
    let builds = channels.iter().find(|c| c.name == "builds").expect("builds is listed");
    assert_eq!(builds.total_msg_count, 2);
    let hooks = f.api.list_hooks().send().await.unwrap().into_inner().hooks;
    let urls: Vec<&str> = hooks.iter().map(|h| h.url.as_str()).collect();
    assert!(
        urls.iter().any(|u| u.ends_with(&format!("/hooks/{MM_HOOK}"))),
        "{urls:?}"
    );
    assert!(
        urls.iter()
            .any(|u| u.ends_with(&format!("/hooks/{RC_HOOK}/{RC_TOKEN}"))),
        "{urls:?}"
    );
    assert!(urls.contains(&f.receiver.url("/deploy").as_str()), "{urls:?}");
}

#[tokio::test]
async fn wait_returns_as_soon_as_a_message_arrives_and_times_out_cleanly() {
    let f = Fixture::start().await;
    // Nothing matching arrives: the wait ends with timed_out, not an error.
    let waited = f
        .api
        .wait_for_message()
        .hook(MM_HOOK)
        .timeout_ms(300)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(waited.timed_out);
    assert!(waited.message.is_none());

    // A wait in flight is answered by a matching message posted meanwhile,
    // long before its timeout; a message that does not match does not end it.
    let api = f.api.clone();
    let waiting = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let result = api
            .wait_for_message()
            .text("release")
            .timeout_ms(60_000)
            .send()
            .await
            .unwrap()
            .into_inner();
        (result, started.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    f.mattermost_hook(json!({"text": "unrelated"})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !waiting.is_finished(),
        "a message that does not match leaves the wait waiting"
    );
    f.rocketchat_hook(json!({"text": "release 1.2 is out"})).await;
    let (result, took) = waiting.await.unwrap();
    assert!(!result.timed_out);
    assert_eq!(result.message.unwrap().message, "release 1.2 is out");
    assert!(
        took < Duration::from_secs(30),
        "answered on arrival, not at the timeout: {took:?}"
    );

    // `since` in the past: a message that already arrived is answered at once.
    let earlier = f
        .api
        .wait_for_message()
        .since(0)
        .hook(MM_HOOK)
        .timeout_ms(0)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(earlier.message.map(|m| m.message), Some("unrelated".to_owned()));
}

#[tokio::test]
async fn failed_deliveries_are_listed_with_their_attempts() {
    let f = Fixture::start().await;
    let (status, post) = f.post_as_bot("deploy now").await;
    assert_eq!(status, 201, "{post}");
    f.receiver.wait_for(1).await;
    let delivery = chathooks_tests::rocketchat::eventually("the failed delivery", || async {
        let deliveries = f.api.list_deliveries().send().await.unwrap().into_inner().deliveries;
        deliveries
            .into_iter()
            .find(|d| d.status == types::DeliveryStatus::Failed)
    })
    .await;
    assert_eq!(delivery.api, "mattermost");
    assert_eq!(delivery.hook_id, "deployhook0000000000000000");
    assert_eq!(delivery.url, f.receiver.url("/deploy"));
    assert_eq!(delivery.attempt_log.len(), 1, "Mattermost makes one attempt");
    let attempt = &delivery.attempt_log[0];
    assert_eq!(attempt.status_code, Some(500));
    assert!(attempt.response_excerpt.contains("receiver down"), "{attempt:?}");
    assert!(attempt.request_body.contains("trigger_word=deploy"), "{attempt:?}");
    assert_eq!(delivery.next_attempt_at, None);
    let filtered = f
        .api
        .list_deliveries()
        .status(types::DeliveryStatus::Delivered)
        .send()
        .await
        .unwrap()
        .into_inner()
        .deliveries;
    assert!(filtered.is_empty());
}

#[tokio::test]
async fn reset_goes_back_to_the_seeded_state() {
    let f = Fixture::start().await;
    f.mattermost_hook(json!({"text": "before the reset"})).await;
    assert_eq!(f.messages().await.len(), 1);
    f.api
        .set_chaos()
        .body(types::Chaos {
            rules: vec![types::ChaosRule {
                hook: "*".parse().unwrap(),
                probability: 0,
                status: 503,
                retry_after: None,
                latency_ms: 0,
            }],
        })
        .send()
        .await
        .unwrap();

    let result = f.api.reset().send().await.unwrap().into_inner();
    assert!(result.created > 0, "{result:?}");
    assert!(f.messages().await.is_empty(), "posts are gone");
    assert!(
        f.api.get_chaos().send().await.unwrap().into_inner().rules.is_empty(),
        "chaos is the seed's (none)"
    );
    // The seeded hooks, users and tokens work again at their fixed ids.
    let (status, _, _) = f.mattermost_hook(json!({"text": "after the reset"})).await;
    assert_eq!(status, 200);
    let (status, _, body) = f.rocketchat_hook(json!({"text": "rc after the reset"})).await;
    assert_eq!(status, 200, "{body}");
    let texts: Vec<String> = f.messages().await.into_iter().map(|m| m.message).collect();
    assert_eq!(texts, ["after the reset", "rc after the reset"]);
    let me = reqwest::Client::new()
        .get(format!("{}/api/v4/users/me", f.server.base))
        .bearer_auth(BOT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the seeded token works again");
}

#[tokio::test]
async fn chaos_fails_executions_in_each_apis_error_format() {
    let extra = format!("[[chaos]]\nhook = \"{MM_HOOK}\"\nprobability = 100\nstatus = 429\nretry_after = 7\n");
    let f = Fixture::start_with(&extra, |_| {}).await;
    // From the seed file: every Mattermost execution fails with 429 and Retry-After.
    for _ in 0..3 {
        let (status, headers, body) = f.mattermost_hook(json!({"text": "never posted"})).await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(headers.get("retry-after").unwrap(), "7");
        assert_eq!(body["id"], "chathooks.chaos.app_error", "a Mattermost AppError: {body}");
        assert_eq!(body["status_code"], 429);
    }
    // The rule names one hook: Rocket.Chat's passes.
    let (status, _, _) = f.rocketchat_hook(json!({"text": "rc passes"})).await;
    assert_eq!(status, 200);
    assert_eq!(f.messages().await.len(), 1, "failed executions posted nothing");

    // Through the test API: every hook at 100 fails, in Rocket.Chat's shape too.
    let all = |probability: i64| types::Chaos {
        rules: vec![types::ChaosRule {
            hook: "*".parse().unwrap(),
            probability,
            status: 503,
            retry_after: None,
            latency_ms: 0,
        }],
    };
    let state = f.api.set_chaos().body(all(100)).send().await.unwrap().into_inner();
    assert_eq!(state.rules.len(), 1);
    let (status, headers, body) = f.rocketchat_hook(json!({"text": "rc fails"})).await;
    assert_eq!(status, 503);
    assert!(headers.get("retry-after").is_none());
    assert_eq!(body["success"], false, "{body}");
    assert!(body["error"].as_str().unwrap().contains("chaos"), "{body}");
    let (status, _, _) = f.mattermost_hook(json!({"text": "mm fails"})).await;
    assert_eq!(status, 503);

    // At 0 every execution passes.
    f.api.set_chaos().body(all(0)).send().await.unwrap();
    for n in 0..5 {
        let (status, _, _) = f.mattermost_hook(json!({"text": format!("pass {n}")})).await;
        assert_eq!(status, 200);
    }
    assert_eq!(f.messages().await.len(), 6);

    let answers = f.api.get_chaos().send().await.unwrap().into_inner().answers;
    assert_eq!(answers.len(), 5, "3 from the seed rule, 2 from the API's: {answers:?}");
    assert_eq!(
        (answers[0].hook_id.as_str(), answers[0].status),
        (MM_HOOK, 503),
        "newest first"
    );
    assert_eq!(answers[1].api, "rocketchat");

    // Rules out of range are refused by the schema.
    let (status, _, body) = answer(
        f.http
            .put(format!("{}/_chathooks/api/v1/chaos", f.server.base))
            .json(&json!({"rules": [{"hook": "*", "probability": 101}]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid-params")),
        "{body}"
    );
}

#[tokio::test]
async fn chaos_latency_delays_executions() {
    let extra = "[[chaos]]\nhook = \"*\"\nprobability = 0\nlatency_ms = 400\n";
    let f = Fixture::start_with(extra, |_| {}).await;
    let started = std::time::Instant::now();
    let (status, _, _) = f.mattermost_hook(json!({"text": "slow"})).await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

/// The value of the metric line that starts with `prefix`.
fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_count_a_known_sequence_of_requests() {
    let extra = format!("[[chaos]]\nhook = \"{RC_HOOK}\"\nprobability = 100\n");
    let f = Fixture::start_with(&extra, |_| {}).await;
    for _ in 0..2 {
        assert_eq!(f.mattermost_hook(json!({"text": "counted"})).await.0, 200);
    }
    assert_eq!(
        f.mattermost_hook(json!({})).await.0,
        400,
        "no text: not a received message"
    );
    assert_eq!(f.rocketchat_hook(json!({"text": "chaos"})).await.0, 503);
    // An outgoing delivery that fails.
    f.post_as_bot("deploy please").await;
    let text = chathooks_tests::rocketchat::eventually("the delivery counted", || async {
        let response = reqwest::get(format!("{}/metrics", f.server.base)).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/openmetrics-text"),
            "{:?}",
            response.headers()
        );
        let text = response.text().await.unwrap();
        metric(&text, "chathooks_deliveries_total{").is_some().then_some(text)
    })
    .await;
    let mm_hash = chathooks::metrics::hook_hash("mattermost", MM_HOOK);
    let rc_hash = chathooks::metrics::hook_hash("rocketchat", RC_HOOK);
    assert_eq!(
        metric(
            &text,
            &format!("chathooks_messages_received_total{{api=\"mattermost\",hook=\"{mm_hash}\",name=\"CI\"}}")
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "chathooks_messages_received_total{api=\"rocketchat\""),
        None,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            &format!("chathooks_chaos_answers_total{{api=\"rocketchat\",hook=\"{rc_hash}\",name=\"CI\"}}")
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "chathooks_deliveries_total{api=\"mattermost\",outcome=\"failed\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "chathooks_http_request_duration_seconds_count{api=\"mattermost\",status=\"200\"}"
        ),
        Some(3.0),
        "two successful executions, and the channel lookup: {text}"
    );
    let mm_400 = metric(
        &text,
        "chathooks_http_request_duration_seconds_count{api=\"mattermost\",status=\"400\"}",
    );
    assert_eq!(mm_400, Some(1.0), "{text}");
    let rc_503 = metric(
        &text,
        "chathooks_http_request_duration_seconds_count{api=\"rocketchat\",status=\"503\"}",
    );
    assert_eq!(rc_503, Some(1.0), "{text}");
    for secret in [MM_HOOK, RC_HOOK, RC_TOKEN] {
        assert!(!text.contains(secret), "/metrics names {secret}: {text}");
    }
}

/// The lines of the metric family `name` (its samples, any labels).
fn samples<'t>(text: &'t str, name: &str) -> Vec<&'t str> {
    let prefix = format!("{name}{{");
    text.lines().filter(|line| line.starts_with(&prefix)).collect()
}

#[tokio::test]
async fn metrics_label_hooks_by_name_and_hash_and_unknown_hooks_add_no_series() {
    // Every execution fails: random paths are answered by chaos before
    // anything looks the hook up.
    let f = Fixture::start_with("[[chaos]]\nhook = \"*\"\nprobability = 100\n", |_| {}).await;
    for n in 0..40 {
        let mattermost = f
            .http
            .post(format!("{}/hooks/random{n:021}", f.server.base))
            .json(&json!({"text": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(mattermost.status(), 503);
        let rocketchat = f
            .http
            .post(format!("{}/hooks/random{n}/token{n}", f.server.base))
            .json(&json!({"text": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(rocketchat.status(), 503);
    }
    assert_eq!(f.mattermost_hook(json!({"text": "chaos"})).await.0, 503);
    assert_eq!(f.rocketchat_hook(json!({"text": "chaos"})).await.0, 503);
    let text = reqwest::get(format!("{}/metrics", f.server.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let chaos = samples(&text, "chathooks_chaos_answers_total");
    assert_eq!(
        chaos.len(),
        4,
        "one series per known hook, one per API for the rest: {text}"
    );
    assert_eq!(
        metric(
            &text,
            "chathooks_chaos_answers_total{api=\"mattermost\",hook=\"unknown\",name=\"\"}"
        ),
        Some(40.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "chathooks_chaos_answers_total{api=\"rocketchat\",hook=\"unknown\",name=\"\"}"
        ),
        Some(40.0),
        "{text}"
    );
    let mm_hash = chathooks::metrics::hook_hash("mattermost", MM_HOOK);
    assert_eq!(
        metric(
            &text,
            &format!("chathooks_chaos_answers_total{{api=\"mattermost\",hook=\"{mm_hash}\",name=\"CI\"}}")
        ),
        Some(1.0),
        "{text}"
    );
    for secret in [MM_HOOK, RC_HOOK, RC_TOKEN, "random0"] {
        assert!(!text.contains(secret), "/metrics names {secret}: {text}");
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let f = Fixture::start().await;
    for path in ["/healthz", "/readyz"] {
        let response = reqwest::get(format!("{}{path}", f.server.base)).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn ui_auth_guards_the_test_api_and_metrics_and_nothing_else() {
    let f = Fixture::start_with("", |config| {
        config.ui_auth = UiAuth::parse(["ops:s3cret-password"]).unwrap();
    })
    .await;
    let refused = f.api.list_messages().send().await.unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(401));
    let response = f
        .http
        .get(format!("{}/_chathooks/api/v1/hooks", f.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let wrong = f
        .http
        .get(format!("{}/_chathooks/api/v1/hooks", f.server.base))
        .basic_auth("ops", Some("guess"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let mut headers = reqwest::header::HeaderMap::new();
    let mut value =
        reqwest::header::HeaderValue::from_str(&format!("Basic {}", base64_of("ops:s3cret-password"))).unwrap();
    value.set_sensitive(true);
    headers.insert(reqwest::header::AUTHORIZATION, value);
    let authorized = Client::new_with_client(
        &f.server.base,
        reqwest::Client::builder().default_headers(headers).build().unwrap(),
    );
    assert!(
        authorized
            .list_messages()
            .send()
            .await
            .unwrap()
            .into_inner()
            .messages
            .is_empty()
    );
    // /metrics tells which hooks run and how often: the UI's credentials.
    let metrics = format!("{}/metrics", f.server.base);
    assert_eq!(f.http.get(&metrics).send().await.unwrap().status(), 401);
    let scraped = f
        .http
        .get(&metrics)
        .basic_auth("ops", Some("s3cret-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    // The chat APIs keep their own authentication; hooks need none.
    assert_eq!(f.mattermost_hook(json!({"text": "still open"})).await.0, 200);
    assert_eq!(
        reqwest::get(format!("{}/healthz", f.server.base))
            .await
            .unwrap()
            .status(),
        200
    );
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn a_non_loopback_listener_needs_ui_credentials() {
    let mut config = chathooks::server::Config::ephemeral();
    config.listen = "0.0.0.0:0".parse().unwrap();
    let refused = match chathooks::server::open(config.clone()).await {
        Ok(_) => panic!("an open UI on 0.0.0.0 must be refused"),
        Err(error) => error.to_string(),
    };
    assert!(
        refused.contains("--ui-auth") && refused.contains("--ui-insecure"),
        "{refused}"
    );
    config.ui_insecure = true;
    assert!(chathooks::server::open(config).await.is_ok());
}

#[tokio::test]
async fn retention_keeps_the_newest_posts() {
    let f = Fixture::start_with("", |config| {
        config.retention.max_posts = Some(2);
    })
    .await;
    for n in 0..4 {
        f.mattermost_hook(json!({"text": format!("post {n}")})).await;
    }
    let left = chathooks_tests::rocketchat::eventually("retention to prune", || async {
        let messages = f.messages().await;
        (messages.len() == 2).then_some(messages)
    })
    .await;
    let texts: Vec<&str> = left.iter().map(|m| m.message.as_str()).collect();
    assert_eq!(texts, ["post 2", "post 3"]);
}
