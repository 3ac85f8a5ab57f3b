//! Rooms deleted for good (`channels.delete`, `groups.delete`) and an
//! integration's history cleared (`integrations.clearHistory`): who may, the
//! answers in Rocket.Chat's shapes, and that nothing is left pointing at
//! what went.

use std::time::Duration;

use chathooks::server::Config;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{
    RcSession, RcWorld, Receiver, create_integration, create_room, deliveries, eventually, post, send_raw,
};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(session: &RcSession, path: &str, body: Value) -> (u16, Value) {
    send_raw(session.request(Method::POST, path).json(&body)).await
}

#[tokio::test]
async fn a_public_room_is_deleted_by_its_owner_with_what_names_it() {
    let world = RcWorld::new().await;
    let room = create_room(&world.alice, "doomed", &["bob"]).await;
    post(&world.bob, "#doomed", "last words").await;
    // A Mattermost API hook for the room: it must not keep the room alive.
    let (status, hook) = send_raw(
        world
            .admin
            .http
            .post(format!("{}/api/v4/hooks/incoming", world.admin.base))
            .bearer_auth(&world.admin.token)
            .json(&json!({"channel_id": room.id})),
    )
    .await;
    assert_eq!(status, 201, "{hook}");

    let (status, refused) = call(&world.bob, "/api/v1/channels.delete", json!({"roomId": room.id})).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["errorType"], "error-not-allowed");
    assert_eq!(refused["error"], "Not allowed [error-not-allowed]");

    let (status, done) = call(&world.alice, "/api/v1/channels.delete", json!({"roomName": "doomed"})).await;
    assert_eq!((status, &done), (200, &json!({"success": true})));

    let (status, gone) = send_raw(
        world
            .bob
            .request(Method::GET, &format!("/api/v1/channels.info?roomId={}", room.id)),
    )
    .await;
    assert_eq!(
        (status, gone["errorType"].as_str()),
        (400, Some("error-room-not-found"))
    );
    let (status, again) = call(&world.alice, "/api/v1/channels.delete", json!({"roomId": room.id})).await;
    assert_eq!(
        (status, again["errorType"].as_str()),
        (400, Some("error-room-not-found"))
    );
    let (status, _) = send_raw(
        world
            .admin
            .http
            .get(format!(
                "{}/api/v4/hooks/incoming/{}",
                world.admin.base,
                hook["id"].as_str().unwrap()
            ))
            .bearer_auth(&world.admin.token),
    )
    .await;
    assert_eq!(status, 404, "the room's hook went with it");
    // The name is free again.
    create_room(&world.alice, "doomed", &[]).await;
}

#[tokio::test]
async fn a_private_room_is_deleted_by_its_owner_and_hidden_from_others() {
    let world = RcWorld::new().await;
    let (status, created) = call(
        &world.alice,
        "/api/v1/groups.create",
        json!({"name": "hideout", "members": ["bob"]}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["group"]["_id"].as_str().unwrap().to_owned();

    let (status, refused) = call(&world.bob, "/api/v1/groups.delete", json!({"roomId": id})).await;
    assert_eq!(
        (status, refused["errorType"].as_str()),
        (400, Some("error-not-allowed"))
    );
    // A public room is no group.
    let (status, public) = call(&world.alice, "/api/v1/groups.delete", json!({"roomId": "GENERAL"})).await;
    assert_eq!(
        (status, public["errorType"].as_str()),
        (400, Some("error-room-not-found"))
    );

    let (status, done) = call(&world.alice, "/api/v1/groups.delete", json!({"roomName": "hideout"})).await;
    assert_eq!((status, &done), (200, &json!({"success": true})));
    let (status, gone) = send_raw(
        world
            .alice
            .request(Method::GET, &format!("/api/v1/groups.messages?roomId={id}")),
    )
    .await;
    assert_eq!(
        (status, gone["errorType"].as_str()),
        (400, Some("error-room-not-found"))
    );
}

#[tokio::test]
async fn history_is_cleared_by_whoever_may_manage_the_integration() {
    let allow_loopback =
        |config: &mut Config| config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
    let world = RcWorld::build(TestServer::start_with(allow_loopback).await).await;
    let receiver = Receiver::answering(200, "{}").await;
    let integration = create_integration(
        &world.alice,
        json!({
            "type": "webhook-outgoing", "username": "alice", "channel": "#general",
            "event": "sendMessage", "urls": [receiver.url("/hook")], "scriptEnabled": false,
            "name": "watcher", "enabled": true, "triggerWords": ["ping"],
        }),
    )
    .await;
    post(&world.bob, "#general", "ping").await;
    receiver.wait_for(1).await;
    eventually("a finished delivery", || async {
        let entries = deliveries(&world.alice, &integration.id).await;
        entries.iter().any(|e| e.finished).then_some(())
    })
    .await;

    // bob may manage only his own.
    let (status, refused) = call(
        &world.bob,
        "/api/v1/integrations.clearHistory",
        json!({"integrationId": integration.id}),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "Invalid integration [error-invalid-integration]");
    let (status, missing) = call(&world.alice, "/api/v1/integrations.clearHistory", json!({})).await;
    assert_eq!((status, missing["errorType"].as_str()), (400, Some("invalid-params")));

    let (status, done) = call(
        &world.alice,
        "/api/v1/integrations.clearHistory",
        json!({"integrationId": integration.id}),
    )
    .await;
    assert_eq!((status, &done), (200, &json!({"success": true})));
    assert!(deliveries(&world.alice, &integration.id).await.is_empty());
    // The integration itself stays and keeps recording.
    post(&world.bob, "#general", "ping again").await;
    tokio::time::timeout(Duration::from_secs(30), receiver.wait_for(2))
        .await
        .expect("the integration still fires");
}
