//! Integration scripts, end to end: incoming scripts turning third-party JSON
//! into messages (and refusing what they do not know), scripts that throw,
//! loop, allocate without bound or do not compile, `Store` across calls and
//! updates, outgoing scripts rewriting the call and reading the answer, and
//! `--disable-scripts`.
//!
//! Nothing here measures time, except that a runaway script must be stopped
//! within a generous bound (the limit is 3 s of CPU time).

use std::time::{Duration, Instant};

use chathooks::server::Config;
use chathooks_rocketchat_types as types;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{
    RcSession, RcWorld, Receiver, create_integration, deliveries, eventually, history, post, send_raw,
};
use serde_json::{Value, json};

/// A runaway script is stopped well within this (3 s of CPU, plus a slow machine).
const GENEROUS: Duration = Duration::from_secs(30);

fn incoming(name: &str, script: &str) -> Value {
    json!({
        "type": "webhook-incoming",
        "username": "alice",
        "channel": "#general",
        "scriptEnabled": true,
        "script": script,
        "name": name,
        "enabled": true,
    })
}

fn hook_url(world: &RcWorld, integration: &types::Integration) -> String {
    format!(
        "{}/hooks/{}/{}",
        world.server.base,
        integration.id,
        integration.token.clone().unwrap_or_default()
    )
}

/// POST `body` to a hook; a hung script fails the test instead of hanging it.
async fn call_hook(url: &str, body: Value) -> (u16, Value) {
    send_raw(client().post(url).json(&body)).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(GENEROUS)
        .build()
        .expect("HTTP client builds")
}

/// The integration as stored, through `integrations.get`.
async fn stored(session: &RcSession, id: &str) -> Value {
    let (status, body) = send_raw(session.request(
        reqwest::Method::GET,
        &format!("/api/v1/integrations.get?integrationId={id}"),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    body["integration"].clone()
}

/// A Git host's push hook, as such scripts are written: the event comes in a
/// query parameter (or a header), pushes become a text and one attachment
/// per commit, and other events are refused.
const GIT_PUSH: &str = r#"
const short = (id) => id.substring(0, 7);

class Script {
  process_incoming_request({ request }) {
    const event = request.url.query.event || request.headers['x-git-event'];
    console.log('event', event);
    if (event === 'push') {
      const push = request.content;
      const branch = push.ref.replace('refs/heads/', '');
      return {
        content: {
          text: `${push.pusher.name} pushed ${push.commits.length} commit(s) to ${push.repository.full_name}:${branch}`,
          alias: 'Git',
          emoji: ':git:',
          attachments: push.commits.map((commit) => ({
            title: short(commit.id),
            title_link: commit.url,
            text: commit.message,
            color: '#24292e',
          })),
        },
      };
    }
    if (event === 'ping') {
      return { response: { pong: true, zen: request.content.zen } };
    }
    return { error: { error: `unsupported event ${event}`, errorType: 'unsupported-event' } };
  }
}
"#;

fn push_payload() -> Value {
    json!({
        "ref": "refs/heads/main",
        "repository": {"full_name": "acme/rocket", "html_url": "https://git.example/acme/rocket"},
        "pusher": {"name": "carol", "email": "carol@example.com"},
        "commits": [
            {"id": "0123456789abcdef", "message": "Fix the launch", "url": "https://git.example/c/0123456"},
            {"id": "fedcba9876543210", "message": "Add a test", "url": "https://git.example/c/fedcba9"},
        ],
    })
}

#[tokio::test]
async fn a_git_push_script_posts_text_and_attachments_and_refuses_unknown_events() {
    let world = RcWorld::new().await;
    let integration = create_integration(&world.admin, incoming("git", GIT_PUSH)).await;
    let url = hook_url(&world, &integration);

    let (status, body) = call_hook(&format!("{url}?event=push"), push_payload()).await;
    assert_eq!((status, &body), (200, &json!({"success": true})));
    let messages = history(&world.bob, &world.general.id).await;
    let message = &messages[0];
    assert_eq!(message.msg, "carol pushed 2 commit(s) to acme/rocket:main");
    assert_eq!(message.alias.as_deref(), Some("Git"));
    assert_eq!(message.emoji.as_deref(), Some(":git:"));
    assert_eq!(
        message.u.username.as_deref(),
        Some("alice"),
        "posted as the integration's user"
    );
    let titles: Vec<_> = message
        .attachments
        .iter()
        .map(|a| a.title.clone().unwrap_or_default())
        .collect();
    assert_eq!(titles, ["0123456", "fedcba9"]);
    assert_eq!(message.attachments[1].text.as_deref(), Some("Add a test"));

    // The event may come in a header instead; `response` is the answer.
    let (status, body) = send_raw(
        client()
            .post(&url)
            .header("X-Git-Event", "ping")
            .json(&json!({"zen": "Keep it simple."})),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"success": true, "pong": true, "zen": "Keep it simple."}))
    );

    let (status, body) = call_hook(&format!("{url}?event=issue"), json!({"action": "opened"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "unsupported event issue");
    assert_eq!(body["errorType"], "unsupported-event");
    assert_eq!(
        history(&world.bob, &world.general.id).await.len(),
        messages.len(),
        "nothing more posted"
    );

    // Each run is in the history, with what the script logged.
    let runs = deliveries(&world.admin, &integration.id).await;
    assert_eq!(runs.len(), 3);
    assert!(
        runs.iter()
            .all(|r| r.type_ == types::IntegrationHistoryType::IncomingWebhook)
    );
    let logged: Vec<_> = runs.iter().map(|r| r.script_logs[0].text.clone()).collect();
    assert_eq!(logged, ["event issue", "event ping", "event push"], "newest first");
}

#[tokio::test]
async fn the_request_a_script_sees() {
    let world = RcWorld::new().await;
    let echo = r#"class Script {
        process_incoming_request({ request }) { return { response: { request } }; }
    }"#;
    let integration = create_integration(&world.admin, incoming("echo", echo)).await;
    let url = hook_url(&world, &integration);
    let (status, body) = send_raw(
        client()
            .post(format!("{url}?a=1&b=x&b=y"))
            .header("X-Custom-Header", "Value")
            .header("Content-Type", "application/json")
            .body(r#"{"n": 1, "nested": {"ok": true}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let request = &body["request"];
    let path = format!(
        "/hooks/{}/{}",
        integration.id,
        integration.token.clone().unwrap_or_default()
    );
    assert_eq!(request["url"]["pathname"], path.as_str());
    assert_eq!(request["url"]["search"], "?a=1&b=x&b=y");
    assert_eq!(request["url"]["query"], json!({"a": "1", "b": ["x", "y"]}));
    assert_eq!(request["url"]["path"], format!("{path}?a=1&b=x&b=y").as_str());
    assert_eq!(request["url_raw"], format!("{path}?a=1&b=x&b=y").as_str());
    assert_eq!(request["url_params"]["integrationId"], integration.id.as_str());
    assert_eq!(request["content"], json!({"n": 1, "nested": {"ok": true}}));
    assert_eq!(request["content_raw"], r#"{"n": 1, "nested": {"ok": true}}"#);
    assert_eq!(request["headers"]["x-custom-header"], "Value", "names lower-case");
    assert_eq!(request["user"]["username"], "alice");
    assert_eq!(request["user"]["_id"], world.alice.user_id.as_str());

    // A form's lone `payload` field is its JSON.
    let (status, body) = send_raw(client().post(&url).form(&[("payload", r#"{"text": "from a form"}"#)])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["request"]["content"], json!({"text": "from a form"}));
}

#[tokio::test]
async fn failing_scripts_answer_400_within_the_limit_and_the_server_goes_on() {
    let world = RcWorld::new().await;
    let throws = r#"class Script {
        process_incoming_request({ request }) {
            console.error('giving up on', request.content.n);
            throw new Error('cannot handle this payload');
        }
    }"#;
    let loops = "class Script { process_incoming_request() { for (;;) {} } }";
    let allocates = r#"class Script { process_incoming_request() {
        const hoard = [];
        for (;;) { hoard.push('x'.repeat(1024) + hoard.length); }
    } }"#;
    let broken = "class Script { process_incoming_request({ request ) { return {}; } }";
    let cases = [
        (
            "throws",
            throws,
            "Error: cannot handle this payload",
            "error-running-script",
        ),
        (
            "loops",
            loops,
            "the script ran longer than 3000 ms",
            "error-running-script",
        ),
        (
            "allocates",
            allocates,
            "the script used more than 8388608 bytes",
            "error-running-script",
        ),
        ("broken", broken, "SyntaxError", "error-compiling-script"),
    ];
    let plain = create_integration(
        &world.admin,
        json!({"type": "webhook-incoming", "username": "alice", "channel": "#general",
               "scriptEnabled": false, "name": "plain", "enabled": true}),
    )
    .await;
    for (name, script, error, error_type) in cases {
        let integration = create_integration(&world.admin, incoming(name, script)).await;
        let started = Instant::now();
        let (status, body) = call_hook(&hook_url(&world, &integration), json!({"n": 7})).await;
        assert!(
            started.elapsed() < GENEROUS,
            "{name}: answered in {:?}",
            started.elapsed()
        );
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["success"], false, "{name}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.starts_with(error)),
            "{name}: {body}"
        );
        assert_eq!(body["errorType"], error_type, "{name}");
        let runs = deliveries(&world.admin, &integration.id).await;
        assert_eq!(runs.len(), 1, "{name}: recorded");
        assert_eq!((runs[0].step.as_str(), runs[0].error), ("failed", Some(true)), "{name}");
        assert!(runs[0].script_error.is_some(), "{name}");
        // And the server still serves: a plain integration posts.
        let (status, _) = call_hook(&hook_url(&world, &plain), json!({"text": format!("after {name}")})).await;
        assert_eq!(status, 200, "after {name}");
        assert_eq!(
            history(&world.bob, &world.general.id).await[0].msg,
            format!("after {name}")
        );
    }
    let thrower = deliveries(&world.admin, &stored_id(&world, "throws").await).await;
    assert_eq!(
        thrower[0].script_logs[0].text, "giving up on 7",
        "logged before throwing"
    );
    assert_eq!(thrower[0].script_logs[0].level, types::ScriptLogLineLevel::Error);
}

async fn stored_id(world: &RcWorld, name: &str) -> String {
    let (_, body) = send_raw(
        world
            .admin
            .request(reqwest::Method::GET, &format!("/api/v1/integrations.list?name={name}")),
    )
    .await;
    body["integrations"][0]["_id"].as_str().expect("found").to_owned()
}

#[tokio::test]
async fn compile_errors_are_stored_when_saved_and_cleared_by_a_fix() {
    let world = RcWorld::new().await;
    let integration = create_integration(&world.admin, incoming("broken", "class Script {")).await;
    let error = integration.script_error.clone().expect("the compile error is stored");
    assert_eq!(error.name, "SyntaxError");
    assert_eq!(
        stored(&world.admin, &integration.id).await["scriptError"]["name"],
        "SyntaxError"
    );

    let fixed = "class Script { process_incoming_request() { return { content: { text: 'fixed' } }; } }";
    let (status, body) = send_raw(
        world
            .admin
            .request(reqwest::Method::PUT, "/api/v1/integrations.update")
            .json(&json!({
                "type": "webhook-incoming", "integrationId": integration.id, "username": "alice",
                "channel": "#general", "scriptEnabled": true, "script": fixed, "name": "broken", "enabled": true,
            })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["integration"].get("scriptError"), None, "cleared");
    let (status, _) = call_hook(&hook_url(&world, &integration), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(history(&world.bob, &world.general.id).await[0].msg, "fixed");
}

#[tokio::test]
async fn store_persists_across_calls_and_updates_while_the_instance_is_renewed() {
    let world = RcWorld::new().await;
    let counter = |label: &str| {
        format!(
            r#"class Script {{
                constructor() {{ this.calls = 0; }}
                process_incoming_request() {{
                    this.calls += 1;
                    const total = (Store.get('total') || 0) + 1;
                    Store.set('total', total);
                    return {{ response: {{ label: '{label}', total, calls: this.calls }} }};
                }}
            }}"#
        )
    };
    let integration = create_integration(&world.admin, incoming("counter", &counter("first"))).await;
    let url = hook_url(&world, &integration);
    for n in 1..=3 {
        let (status, body) = call_hook(&url, json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(
            (body["total"].clone(), body["calls"].clone()),
            (json!(n), json!(n)),
            "{body}"
        );
    }
    // An update renews the instance (calls starts again); the store stays.
    let (status, _) = send_raw(
        world
            .admin
            .request(reqwest::Method::PUT, "/api/v1/integrations.update")
            .json(&json!({
                "type": "webhook-incoming", "integrationId": integration.id, "username": "alice",
                "channel": "#general", "scriptEnabled": true, "script": counter("second"),
                "name": "counter", "enabled": true,
            })),
    )
    .await;
    assert_eq!(status, 200);
    let (_, body) = call_hook(&url, json!({})).await;
    assert_eq!(body["label"], "second");
    assert_eq!(
        (body["total"].clone(), body["calls"].clone()),
        (json!(4), json!(1)),
        "{body}"
    );
    // Another integration has its own store.
    let other = create_integration(&world.admin, incoming("other", &counter("other"))).await;
    let (_, body) = call_hook(&hook_url(&world, &other), json!({})).await;
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn disabled_scripts_are_not_run() {
    let server = TestServer::start_with(|config: &mut Config| config.disable_scripts = true).await;
    let world = RcWorld::build(server).await;
    let script = "class Script { process_incoming_request() { throw new Error('never runs'); } }";
    let integration = create_integration(&world.admin, incoming("off", script)).await;
    assert!(integration.script_error.is_none());
    let (status, body) = call_hook(&hook_url(&world, &integration), json!({"text": "as is"})).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    assert_eq!(history(&world.bob, &world.general.id).await[0].msg, "as is");
}

fn allow_loopback(config: &mut Config) {
    config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
}

fn outgoing(url: &str, script: &str) -> Value {
    json!({
        "type": "webhook-outgoing",
        "username": "alice",
        "channel": "#general",
        "event": "sendMessage",
        "urls": [url],
        "scriptEnabled": true,
        "script": script,
        "name": "scripted",
        "enabled": true,
        "token": "secret-token",
    })
}

#[tokio::test]
async fn an_outgoing_script_rewrites_the_call_and_posts_from_the_answer() {
    let world = RcWorld::build(TestServer::start_with(allow_loopback).await).await;
    let receiver = Receiver::answering(200, r#"{"reply": "hello from the service"}"#).await;
    let script = r#"class Script {
        prepare_outgoing_request({ request }) {
            console.log('preparing', request.data.text);
            return {
                url: request.url + '/rewritten',
                method: 'PUT',
                params: { source: 'chat' },
                headers: { 'X-Service-Key': 'k-123' },
                auth: 'bot:s3cret',
                data: { said: request.data.text, by: request.data.user_name, token: request.data.token },
            };
        }
        process_outgoing_response({ request, response }) {
            console.log('answered', response.status_code);
            return { content: {
                text: `${response.content.reply} (${response.status_code}, ${request.method}, ${response.headers['content-type']})`,
            } };
        }
    }"#;
    let integration = create_integration(&world.alice, outgoing(&receiver.url("/service"), script)).await;
    post(&world.bob, "#general", "ping").await;

    let received = receiver.wait_for(1).await;
    let call = &received[0];
    assert_eq!(
        (call.method.as_str(), call.path.as_str()),
        ("PUT", "/service/rewritten")
    );
    assert_eq!(call.query.as_deref(), Some("source=chat"));
    assert_eq!(call.headers.get("x-service-key").map(String::as_str), Some("k-123"));
    assert_eq!(
        call.headers.get("authorization").map(String::as_str),
        Some("Basic Ym90OnMzY3JldA==")
    );
    assert_eq!(call.body, json!({"said": "ping", "by": "bob", "token": "secret-token"}));

    let reply = eventually("the script's message", || async {
        history(&world.bob, &world.general.id)
            .await
            .into_iter()
            .find(|m| m.msg.starts_with("hello from the service"))
    })
    .await;
    assert_eq!(reply.msg, "hello from the service (200, PUT, application/json)");
    assert_eq!(reply.u.username.as_deref(), Some("alice"));

    let entries = eventually("the finished delivery", || async {
        let entries = deliveries(&world.alice, &integration.id).await;
        entries.first().is_some_and(|e| e.finished).then_some(entries)
    })
    .await;
    let entry = &entries[0];
    assert_eq!(entry.step, "finished");
    assert!(entry.ran_prepare_script);
    assert_eq!(entry.ran_process_response_script, Some(true));
    assert_eq!(
        entry.url.as_deref(),
        Some(format!("{}/service/rewritten?source=chat", receiver.base).as_str())
    );
    let logs: Vec<_> = entry.script_logs.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(logs, ["preparing ping", "answered 200"]);

    // The script's reply fired nothing (loop protection): one call in all.
    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn an_outgoing_script_can_cancel_the_call_or_post_instead() {
    let world = RcWorld::build(TestServer::start_with(allow_loopback).await).await;
    let receiver = Receiver::answering(200, r#"{"text": "should never be posted"}"#).await;
    let script = r#"class Script {
        prepare_outgoing_request({ request }) {
            if (request.data.text.startsWith('quiet')) return;
            if (request.data.text.startsWith('local')) {
                return { message: { text: `handled locally: ${request.data.text}` } };
            }
            return { ...request, url: undefined };
        }
    }"#;
    let integration = create_integration(&world.alice, outgoing(&receiver.url("/never"), script)).await;
    post(&world.bob, "#general", "quiet please").await;
    post(&world.bob, "#general", "local answer").await;
    post(&world.bob, "#general", "no url").await;
    let posted = eventually("the script's message", || async {
        history(&world.bob, &world.general.id)
            .await
            .into_iter()
            .find(|m| m.msg.starts_with("handled locally"))
    })
    .await;
    assert_eq!(posted.msg, "handled locally: local answer");
    let entries = eventually("three cancelled deliveries", || async {
        let entries = deliveries(&world.alice, &integration.id).await;
        (entries.len() == 3).then_some(entries)
    })
    .await;
    let mut steps: Vec<_> = entries.iter().map(|e| e.step.clone()).collect();
    steps.sort();
    assert_eq!(
        steps,
        [
            "after-prepare-no-opts",
            "after-prepare-no-url_or_method",
            "after-prepare-no-url_or_method"
        ]
    );
    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert!(receiver.received().is_empty(), "no call was made");
}
