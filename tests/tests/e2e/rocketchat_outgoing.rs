//! Outgoing integrations against real HTTP receivers on loopback: the payload,
//! trigger words and room matching, answers posted back, loop protection,
//! retries (including across a restart), 410 disabling, the delivery history,
//! and the internal-address guard.
//!
//! Nothing here measures time. "Did not fire" is proven by shutting the server
//! down (which waits for every delivery in flight) and then counting what the
//! receiver got. Timeouts only keep a broken server from hanging the tests.

use chathooks::reader::Reader;
use chathooks::server::Config;
use chathooks::store::{AnyStore, DeliveryFilter, DeliveryJob, JobStatus};
use chathooks_rocketchat_types as types;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{
    RcSession, RcWorld, Receiver, create_integration, create_room, deliveries, eventually, history, login, post,
    send_raw,
};
use serde_json::{Value, json};

fn allow_loopback(config: &mut Config) {
    config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
}

async fn world() -> RcWorld {
    RcWorld::build(TestServer::start_with(allow_loopback).await).await
}

/// An outgoing integration of alice's on `channel`, calling `url`.
fn outgoing(channel: &str, url: &str, extra: Value) -> Value {
    let mut body = json!({
        "type": "webhook-outgoing",
        "username": "alice",
        "channel": channel,
        "event": "sendMessage",
        "urls": [url],
        "scriptEnabled": false,
        "name": "watcher",
        "enabled": true,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// The delivery history once it holds `n` finished attempts, newest first.
async fn finished_deliveries(session: &RcSession, integration_id: &str, n: usize) -> Vec<types::IntegrationHistory> {
    eventually(&format!("{n} finished deliveries"), || async {
        let entries = deliveries(session, integration_id).await;
        (entries.len() >= n && entries.iter().all(|e| e.finished)).then_some(entries)
    })
    .await
}

#[tokio::test]
async fn messages_are_delivered_and_answers_posted_back() {
    let world = world().await;
    let receiver = Receiver::answering(
        200,
        r#"{"text": "pong", "username": "Ponger", "attachments": [{"text": "details"}]}"#,
    )
    .await;
    // No trigger words: every message fires, so a reply that fired it again would loop.
    let integration = create_integration(
        &world.alice,
        outgoing(
            "#general",
            &receiver.url("/hook"),
            json!({"token": "tok", "emoji": ":robot:"}),
        ),
    )
    .await;
    let message = post(&world.bob, "#general", "ping").await;

    let received = receiver.wait_for(1).await;
    assert_eq!(received[0].path, "/hook");
    assert!(received[0].content_type.starts_with("application/json"));
    let body = &received[0].body;
    assert_eq!(body["token"], "tok");
    assert_eq!(body["bot"], false);
    assert_eq!(body.get("trigger_word"), None);
    assert_eq!(body["channel_id"], world.general.id.as_str());
    assert_eq!(body["channel_name"], "general");
    assert_eq!(body["message_id"], message.id.as_str());
    let timestamp: types::Message = serde_json::from_value(json!({
        "_id": "x", "rid": "x", "msg": "x", "u": {"_id": "x"}, "ts": body["timestamp"],
    }))
    .expect("the timestamp is an ISO 8601 date-time");
    assert_eq!(timestamp.ts, message.ts);
    assert_eq!(body["user_id"], world.bob.user_id.as_str());
    assert_eq!(body["user_name"], "bob");
    assert_eq!(body["text"], "ping");
    assert_eq!(body["siteUrl"], "http://localhost:8065");

    let reply = eventually("the reply", || async {
        history(&world.bob, &world.general.id)
            .await
            .into_iter()
            .find(|m| m.msg == "pong")
    })
    .await;
    assert_eq!(reply.u.id, world.alice.user_id);
    assert_eq!(reply.alias.as_deref(), Some("Ponger"));
    assert_eq!(reply.emoji.as_deref(), Some(":robot:"));
    assert_eq!(reply.bot.get("i"), Some(&json!(integration.id)));
    assert_eq!(reply.attachments[0].text.as_deref(), Some("details"));

    let entries = finished_deliveries(&world.alice, &integration.id, 1).await;
    let entry = &entries[0];
    assert_eq!(
        (entry.step.as_str(), entry.error, entry.event.as_str()),
        ("finished", Some(false), "sendMessage")
    );
    assert_eq!(entry.type_, types::IntegrationHistoryType::OutgoingWebhook);
    assert_eq!(entry.integration.id, integration.id);
    assert_eq!(entry.url.as_deref(), Some(receiver.url("/hook").as_str()));
    assert_eq!(entry.http_call_data.get("message_id"), Some(&json!(message.id)));
    assert_eq!(entry.data["message"]["_id"], message.id.as_str());
    assert!(entry.http_result.as_deref().is_some_and(|r| r.contains("pong")));

    // Loop protection: the reply fired nothing.
    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn trigger_words_and_rooms_decide_what_fires() {
    let world = world().await;
    create_room(&world.admin, "random", &["alice", "bob"]).await;
    let prefix = Receiver::answering(200, "{}").await;
    let anywhere = Receiver::answering(200, "{}").await;
    let every = Receiver::answering(200, "{}").await;
    let random = Receiver::answering(200, "{}").await;
    let public = Receiver::answering(200, "{}").await;
    let direct = Receiver::answering(200, "{}").await;
    let disabled = Receiver::answering(200, "{}").await;
    create_integration(
        &world.alice,
        outgoing("#general", &prefix.url("/"), json!({"triggerWords": ["!deploy"]})),
    )
    .await;
    create_integration(
        &world.alice,
        outgoing(
            "#general",
            &anywhere.url("/"),
            json!({"triggerWords": ["urgent"], "triggerWordAnywhere": true}),
        ),
    )
    .await;
    create_integration(&world.alice, outgoing("#GENERAL", &every.url("/"), json!({}))).await;
    create_integration(&world.alice, outgoing("#random", &random.url("/"), json!({}))).await;
    create_integration(
        &world.admin,
        outgoing("all_public_channels", &public.url("/"), json!({})),
    )
    .await;
    // Naming a user takes both outgoing-integration permissions: the admin's.
    create_integration(&world.admin, outgoing("@bob", &direct.url("/"), json!({}))).await;
    create_integration(
        &world.alice,
        outgoing("#general", &disabled.url("/"), json!({"enabled": false})),
    )
    .await;

    for text in ["hello", "!deploy now", "this is urgent", "deploy!"] {
        post(&world.bob, "#general", text).await;
    }
    post(&world.bob, "#random", "over here").await;
    post(&world.alice, "@bob", "direct").await;
    post(&world.bob, "@alice", "direct back").await;

    let RcWorld { server, .. } = world;
    server.shutdown().await;
    let texts = |receiver: &Receiver| -> Vec<String> {
        let mut texts: Vec<String> = receiver
            .received()
            .iter()
            .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        texts.sort();
        texts
    };
    assert_eq!(texts(&prefix), ["!deploy now"]);
    assert_eq!(prefix.received()[0].body["trigger_word"], "!deploy");
    assert_eq!(texts(&anywhere), ["this is urgent"]);
    assert_eq!(anywhere.received()[0].body["trigger_word"], "urgent");
    assert_eq!(texts(&every), ["!deploy now", "deploy!", "hello", "this is urgent"]);
    assert_eq!(texts(&random), ["over here"]);
    assert_eq!(
        texts(&public),
        ["!deploy now", "deploy!", "hello", "over here", "this is urgent"]
    );
    // `@bob` watches the direct messages bob gets.
    assert_eq!(texts(&direct), ["direct"]);
    assert!(disabled.received().is_empty());
}

#[tokio::test]
async fn failed_calls_are_retried_until_they_succeed() {
    let world = world().await;
    let receiver = Receiver::scripted(&[(500, "oops"), (502, "")], (200, r#"{"text": "finally"}"#)).await;
    let integration = create_integration(
        &world.alice,
        outgoing(
            "#general",
            &receiver.url("/flaky"),
            json!({"retryFailedCalls": true, "retryCount": 3, "retryDelay": "powers-of-ten"}),
        ),
    )
    .await;
    let message = post(&world.bob, "#general", "deploy").await;
    let received = receiver.wait_for(3).await;
    assert!(
        received.iter().all(|r| r.body["message_id"] == message.id.as_str()),
        "the same call, retried"
    );

    let entries = finished_deliveries(&world.alice, &integration.id, 3).await;
    let steps: Vec<&str> = entries.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(steps, ["finished", "failed", "failed"], "newest first");
    let stacks: Vec<String> = entries
        .iter()
        .map(|e| {
            e.error_stack
                .as_ref()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(stacks[2], "HTTP 500; retry 1 of 3 scheduled in 100 ms");
    assert_eq!(stacks[1], "HTTP 502; retry 2 of 3 scheduled in 1000 ms");
    assert_eq!(entries[2].error, Some(true));
    assert_eq!(entries[0].error, Some(false));
    eventually("the reply", || async {
        history(&world.bob, &world.general.id)
            .await
            .into_iter()
            .find(|m| m.msg == "finally")
    })
    .await;
}

#[tokio::test]
async fn retries_stop_when_exhausted_or_not_wanted() {
    let world = world().await;
    let failing = Receiver::answering(500, "down").await;
    let empty = Receiver::answering(200, "").await;
    let once = create_integration(&world.alice, outgoing("#general", &failing.url("/"), json!({}))).await;
    let twice = create_integration(
        &world.alice,
        outgoing(
            "#general",
            &empty.url("/"),
            json!({"retryFailedCalls": true, "retryCount": 1}),
        ),
    )
    .await;
    post(&world.bob, "#general", "hello").await;

    let entries = finished_deliveries(&world.alice, &once.id, 1).await;
    assert_eq!(entries[0].step, "failed");
    assert_eq!(
        entries[0].error_stack,
        Some(json!("HTTP 500; not retried (retryFailedCalls is off)"))
    );
    let entries = finished_deliveries(&world.alice, &twice.id, 2).await;
    assert_eq!(
        entries[0].error_stack,
        Some(json!("HTTP 200 with an empty body; no retries left (1 of 1 made)"))
    );
    assert_eq!(
        entries[1].error_stack,
        Some(json!("HTTP 200 with an empty body; retry 1 of 1 scheduled in 100 ms"))
    );

    let RcWorld { server, .. } = world;
    let state = server.state.clone();
    server.shutdown().await;
    assert_eq!(failing.received().len(), 1);
    assert_eq!(empty.received().len(), 2);
    assert!(pending_jobs(state.core.read()).await.is_empty());
}

#[tokio::test]
async fn gone_disables_the_integration() {
    let world = world().await;
    let receiver = Receiver::answering(410, "").await;
    let integration = create_integration(
        &world.alice,
        outgoing("#general", &receiver.url("/"), json!({"retryFailedCalls": true})),
    )
    .await;
    post(&world.bob, "#general", "first").await;
    let entries = finished_deliveries(&world.alice, &integration.id, 1).await;
    assert_eq!((entries[0].step.as_str(), entries[0].error), ("disabled", Some(true)));
    let current = world
        .alice
        .client
        .integrations_get()
        .integration_id(&integration.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .integration;
    assert!(!current.enabled);

    post(&world.bob, "#general", "second").await;
    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(receiver.received().len(), 1, "no retry, and nothing once disabled");
}

/// Without an allow list, loopback URLs are refused, recorded, and not retried.
#[tokio::test]
async fn internal_urls_are_refused() {
    let world = RcWorld::new().await;
    let receiver = Receiver::answering(200, "{}").await;
    let integration = create_integration(
        &world.alice,
        outgoing("#general", &receiver.url("/"), json!({"retryFailedCalls": true})),
    )
    .await;
    post(&world.bob, "#general", "hello").await;
    let entries = finished_deliveries(&world.alice, &integration.id, 1).await;
    assert_eq!(entries[0].step, "failed");
    let error = entries[0]
        .http_error
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(error.contains("internal"), "{error}");
    let stack = entries[0]
        .error_stack
        .as_ref()
        .and_then(Value::as_str)
        .unwrap_or_default();
    assert!(stack.ends_with("the URL is refused, so it is not retried"), "{stack}");

    let RcWorld { server, .. } = world;
    let state = server.state.clone();
    server.shutdown().await;
    assert!(receiver.received().is_empty());
    assert!(pending_jobs(state.core.read()).await.is_empty());
}

/// Jobs of the delivery queue waiting for an attempt.
async fn pending_jobs(store: Reader<'_>) -> Vec<DeliveryJob> {
    let filter = DeliveryFilter {
        hook_id: None,
        status: Some(JobStatus::Pending),
    };
    store
        .list_deliveries(&filter, 0, 100)
        .await
        .expect("the queue is readable")
}

/// Retries are kept in the database: one pending when the server stops is
/// made by the next server on the same database.
#[tokio::test]
async fn pending_retries_survive_a_restart() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // A SQLite file, or a PostgreSQL database with CHATHOOKS_TEST_BACKEND=postgres.
    let database = chathooks_tests::persistent_database(dir.path());
    let configure = |config: &mut Config| {
        allow_loopback(config);
        config.database = database.clone();
    };
    let receiver = Receiver::scripted(&[(500, ""), (500, "")], (200, r#"{"text": "made it"}"#)).await;

    let world = RcWorld::build(TestServer::start_with(configure).await).await;
    let integration = create_integration(
        &world.alice,
        outgoing(
            "#general",
            &receiver.url("/"),
            json!({"retryFailedCalls": true, "retryCount": 3}),
        ),
    )
    .await;
    post(&world.bob, "#general", "survive this").await;
    // The first call and the first retry (100 ms later) failed; the second
    // retry is due one second after that.
    finished_deliveries(&world.alice, &integration.id, 2).await;
    let RcWorld { server, general, .. } = world;
    server.shutdown().await;
    assert_eq!(receiver.received().len(), 2);

    let store = AnyStore::connect(&database).await.expect("the database opens");
    let pending = pending_jobs((&store).into()).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].attempts, 2, "two attempts made, the third one due");
    store.close().await;

    let second = TestServer::start_with(configure).await;
    let received = receiver.wait_for(3).await;
    assert_eq!(received[2].body["text"], "survive this");
    let alice = login(&second, "alice", "alice-password").await;
    let entries = finished_deliveries(&alice, &integration.id, 3).await;
    let steps: Vec<&str> = entries.iter().map(|e| e.step.as_str()).collect();
    assert_eq!(steps, ["finished", "failed", "failed"]);
    eventually("the reply", || async {
        history(&alice, &general.id)
            .await
            .into_iter()
            .find(|m| m.msg == "made it")
    })
    .await;
    let state = second.state.clone();
    second.shutdown().await;
    assert!(pending_jobs(state.core.read()).await.is_empty());
}

/// Messages are posts: one posted through this API fires the Mattermost
/// outgoing webhooks of its channel too, while one posted by an incoming
/// integration fires neither API's hooks (loop protection across both).
#[tokio::test]
async fn messages_fire_mattermost_webhooks_too() {
    let world = world().await;
    let mattermost = Receiver::answering(200, "{}").await;
    let rocketchat = Receiver::answering(200, "{}").await;
    let mm_admin = world.server.admin().await;
    let team = mm_admin
        .client
        .get_team_by_name()
        .name("rocketchat")
        .send()
        .await
        .unwrap()
        .into_inner();
    let hook: chathooks_mattermost_types::CreateOutgoingWebhookBody = serde_json::from_value(json!({
        "team_id": team.id,
        "channel_id": world.general.id,
        "callback_urls": [mattermost.url("/mm")],
        "content_type": "application/json",
        "display_name": "mm watcher",
    }))
    .expect("a valid body");
    mm_admin
        .client
        .create_outgoing_webhook()
        .body(hook)
        .send()
        .await
        .unwrap();
    create_integration(&world.alice, outgoing("#general", &rocketchat.url("/rc"), json!({}))).await;
    let incoming = create_integration(
        &world.alice,
        json!({
            "type": "webhook-incoming", "username": "alice", "channel": "#general",
            "scriptEnabled": false, "name": "ci", "enabled": true,
        }),
    )
    .await;

    post(&world.bob, "#general", "seen by both").await;
    let (status, _) = send_raw(
        reqwest::Client::new()
            .post(format!(
                "{}/hooks/{}/{}",
                world.server.base,
                incoming.id,
                incoming.token.unwrap_or_default()
            ))
            .json(&json!({"text": "from an integration"})),
    )
    .await;
    assert_eq!(status, 200);

    let RcWorld { server, .. } = world;
    server.shutdown().await;
    let texts = |receiver: &Receiver| -> Vec<String> {
        receiver
            .received()
            .iter()
            .map(|r| r.body["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(texts(&mattermost), ["seen by both"]);
    assert_eq!(
        mattermost.received()[0].body["post_id"].as_str().map(str::len),
        Some(26)
    );
    assert_eq!(texts(&rocketchat), ["seen by both"]);
}

/// A hostile second user: bob's outgoing integration on #general names
/// alice's private room as its `targetRoom`. The room exists, so creating
/// the integration succeeds, as on Rocket.Chat, but its answers are posted
/// as bob, and bob may not post there: the call is made, its answer goes
/// nowhere, and alice's room stays as it was.
#[tokio::test]
async fn answers_never_reach_a_room_their_poster_cannot_post_in() {
    let world = world().await;
    let receiver = Receiver::answering(200, r#"{"text": "leaked"}"#).await;
    let (status, created) = send_raw(
        world
            .alice
            .request(reqwest::Method::POST, "/api/v1/groups.create")
            .json(&json!({"name": "secret"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let secret_id = created["group"]["_id"].as_str().expect("the room's id").to_owned();
    let integration = create_integration(
        &world.bob,
        json!({
            "type": "webhook-outgoing", "name": "spy", "enabled": true, "scriptEnabled": false,
            "username": "bob", "channel": "#general", "event": "sendMessage",
            "urls": [receiver.url("/spy")], "targetRoom": "#secret",
        }),
    )
    .await;
    post(&world.alice, "#general", "ping").await;
    receiver.wait_for(1).await;
    let entries = finished_deliveries(&world.bob, &integration.id, 1).await;
    assert_eq!(entries[0].step, "finished", "the call itself succeeded");

    let (status, listed) = send_raw(
        world
            .alice
            .request(reqwest::Method::GET, "/api/v1/groups.messages")
            .query(&[("roomId", secret_id.as_str())]),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let texts: Vec<&str> = listed["messages"]
        .as_array()
        .expect("a message list")
        .iter()
        .filter_map(|m| m["msg"].as_str())
        .collect();
    assert!(
        !texts.contains(&"leaked"),
        "bob's answer reached alice's room: {texts:?}"
    );
    assert!(
        history(&world.bob, &world.general.id)
            .await
            .iter()
            .all(|m| m.msg != "leaked"),
        "nor anywhere else"
    );
}
