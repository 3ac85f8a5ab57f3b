//! `integrations.replayOutgoing`: a recorded outgoing call made again
//! through the delivery queue, with who may and Rocket.Chat's error ids.

use chathooks::server::Config;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{RcWorld, Receiver, create_integration, deliveries, eventually, post, send_raw};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_recorded_call_is_made_again_with_the_same_body() {
    let allow_loopback =
        |config: &mut Config| config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
    let world = RcWorld::build(TestServer::start_with(allow_loopback).await).await;
    let receiver = Receiver::answering(200, "{}").await;
    let integration = create_integration(
        &world.alice,
        json!({
            "type": "webhook-outgoing", "username": "alice", "channel": "#general",
            "event": "sendMessage", "urls": [receiver.url("/hook")], "scriptEnabled": false,
            "name": "watcher", "enabled": true, "triggerWords": ["ping"], "token": "tok",
        }),
    )
    .await;
    let message = post(&world.bob, "#general", "ping").await;
    let first = receiver.wait_for(1).await;
    let entry = eventually("a finished delivery", || async {
        deliveries(&world.alice, &integration.id)
            .await
            .into_iter()
            .find(|e| e.finished)
    })
    .await;
    let replay = |session: &chathooks_tests::rocketchat::RcSession, body: serde_json::Value| {
        send_raw(
            session
                .request(Method::POST, "/api/v1/integrations.replayOutgoing")
                .json(&body),
        )
    };

    let (status, refused) = replay(
        &world.bob,
        json!({"integrationId": integration.id, "historyId": entry.id}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["errorType"], "error-invalid-integration");
    let (status, unknown) = replay(
        &world.alice,
        json!({"integrationId": integration.id, "historyId": "nope"}),
    )
    .await;
    assert_eq!(status, 400, "{unknown}");
    assert_eq!(
        unknown["error"],
        "Invalid Integration History [error-invalid-integration-history]"
    );
    assert_eq!(receiver.received().len(), 1, "nothing replayed yet");

    let (status, done) = replay(
        &world.alice,
        json!({"integrationId": integration.id, "historyId": entry.id}),
    )
    .await;
    assert_eq!((status, &done), (200, &json!({"success": true})));
    let calls = receiver.wait_for(2).await;
    assert_eq!(calls[1].path, "/hook");
    assert_eq!(calls[1].body, first[0].body, "the recorded body, again");
    assert_eq!(calls[1].body["message_id"], message.id.as_str());
    eventually("the replay's own history entry", || async {
        let entries = deliveries(&world.alice, &integration.id).await;
        (entries.len() == 2 && entries.iter().all(|e| e.finished)).then_some(())
    })
    .await;
}
