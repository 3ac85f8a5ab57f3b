//! Every outgoing event, end to end: each fires once, through the durable
//! queue, to a real receiver on loopback, with its payload's fields.
//!
//! "Fired once" is proven by shutting the server down (which waits for every
//! delivery in flight) and then counting what each receiver got.

use chathooks::server::Config;
use chathooks_rocketchat_types as types;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{
    RcSession, RcWorld, Receiver, create_integration, create_room, create_user, eventually, history, post, send_raw,
};
use serde_json::{Value, json};

fn allow_loopback(config: &mut Config) {
    config.allow_internal_callbacks = "127.0.0.1".parse().expect("a valid allow list");
}

async fn world() -> RcWorld {
    RcWorld::build(TestServer::start_with(allow_loopback).await).await
}

/// An outgoing integration of the admin's for `event`, calling `url`.
async fn on(session: &RcSession, event: &str, url: &str, extra: Value) -> types::Integration {
    let mut body = json!({
        "type": "webhook-outgoing",
        "username": "admin",
        "event": event,
        "urls": [url],
        "scriptEnabled": false,
        "name": event,
        "enabled": true,
        "token": format!("{event}-token"),
        "channel": "",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    create_integration(session, body).await
}

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

/// Every payload starts with the integration's token and `bot: false`.
fn assert_starts(body: &Value, event: &str) {
    assert_eq!(body["token"], format!("{event}-token").as_str(), "{body}");
    assert_eq!(body["bot"], false, "{body}");
}

#[tokio::test]
async fn room_events_fire_once_with_their_fields() {
    let world = world().await;
    let created = Receiver::answering(200, "{}").await;
    let joined = Receiver::answering(200, "{}").await;
    let left = Receiver::answering(200, "{}").await;
    let archived = Receiver::answering(200, "{}").await;
    // roomCreated and roomArchived name no channel: every public room.
    on(&world.admin, "roomCreated", &created.url("/created"), json!({})).await;
    on(&world.admin, "roomArchived", &archived.url("/archived"), json!({})).await;

    let room = create_room(&world.admin, "launches", &[]).await;
    let body = &created.wait_for(1).await[0].body;
    assert_starts(body, "roomCreated");
    assert_eq!(body["channel_id"], room.id.as_str());
    assert_eq!(body["channel_name"], "launches");
    assert_eq!(body["owner"]["username"], "admin");
    assert_eq!(body["room"]["_id"], room.id.as_str());
    assert_eq!(body["room"]["t"], "c");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{body}");

    // Joining and leaving fire for the rooms named in `channel` only.
    on(
        &world.admin,
        "roomJoined",
        &joined.url("/joined"),
        json!({"channel": "#launches"}),
    )
    .await;
    on(
        &world.admin,
        "roomLeft",
        &left.url("/left"),
        json!({"channel": "#launches"}),
    )
    .await;
    for name in ["launches", "general"] {
        world
            .bob
            .client
            .channels_join()
            .body(typed::<types::ChannelsJoinBody>(json!({"roomName": name})))
            .send()
            .await
            .unwrap_or_else(|e| panic!("join {name}: {e}"));
    }
    let body = &joined.wait_for(1).await[0].body;
    assert_starts(body, "roomJoined");
    assert_eq!(
        (body["channel_id"].as_str(), body["channel_name"].as_str()),
        (Some(room.id.as_str()), Some("launches"))
    );
    assert_eq!(
        (body["user_id"].as_str(), body["user_name"].as_str()),
        (Some(world.bob.user_id.as_str()), Some("bob"))
    );
    assert_eq!(body["user"]["username"], "bob");
    assert_eq!(body["user"].get("services"), None);
    assert_eq!(body["room"]["name"], "launches");
    assert!(body["timestamp"].is_string());

    world
        .bob
        .client
        .channels_leave()
        .body(typed::<types::ChannelsLeaveBody>(json!({"roomName": "launches"})))
        .send()
        .await
        .expect("left");
    let body = &left.wait_for(1).await[0].body;
    assert_starts(body, "roomLeft");
    assert_eq!(
        (body["user_name"].as_str(), body["channel_name"].as_str()),
        (Some("bob"), Some("launches"))
    );
    assert_eq!(body["room"]["_id"], room.id.as_str());

    world
        .admin
        .client
        .channels_archive()
        .body(typed::<types::ChannelsArchiveBody>(json!({"roomId": room.id})))
        .send()
        .await
        .expect("archived");
    let body = &archived.wait_for(1).await[0].body;
    assert_starts(body, "roomArchived");
    assert_eq!(
        (body["user_name"].as_str(), body["channel_id"].as_str()),
        (Some("admin"), Some(room.id.as_str()))
    );
    assert_eq!(body["user"]["_id"], world.admin.user_id.as_str());
    assert_eq!(body["room"]["archived"], true);

    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(created.received().len(), 1, "roomCreated once");
    assert_eq!(joined.received().len(), 1, "roomJoined once (not for #general)");
    assert_eq!(left.received().len(), 1, "roomLeft once");
    assert_eq!(archived.received().len(), 1, "roomArchived once");
}

#[tokio::test]
async fn user_created_fires_for_the_target_room() {
    let world = world().await;
    let receiver = Receiver::answering(200, r#"{"text": "Welcome aboard!"}"#).await;
    on(
        &world.admin,
        "userCreated",
        &receiver.url("/users"),
        json!({"targetRoom": "#general"}),
    )
    .await;
    let carol = create_user(&world.server, &world.admin, "carol").await;
    let body = &receiver.wait_for(1).await[0].body;
    assert_starts(body, "userCreated");
    assert_eq!(
        (body["user_id"].as_str(), body["user_name"].as_str()),
        (Some(carol.user_id.as_str()), Some("carol"))
    );
    assert_eq!(body["user"]["username"], "carol");
    assert!(body["timestamp"].is_string());
    assert_eq!(body.get("channel_id"), None);
    // The answer goes to the target room.
    let welcome = eventually("the welcome in #general", || async {
        history(&world.bob, &world.general.id)
            .await
            .into_iter()
            .find(|m| m.msg == "Welcome aboard!")
    })
    .await;
    assert_eq!(welcome.u.username.as_deref(), Some("admin"));
    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn edits_fire_with_run_on_edits_only() {
    let world = world().await;
    let on_edits = Receiver::answering(200, "{}").await;
    let plain = Receiver::answering(200, "{}").await;
    on(
        &world.admin,
        "sendMessage",
        &on_edits.url("/edits"),
        json!({"channel": "#general", "runOnEdits": true}),
    )
    .await;
    let plain_hook = on(
        &world.admin,
        "sendMessage",
        &plain.url("/plain"),
        json!({"channel": "#general"}),
    )
    .await;
    let message = post(&world.bob, "#general", "first version").await;
    on_edits.wait_for(1).await;
    plain.wait_for(1).await;
    world
        .bob
        .client
        .chat_update()
        .body(typed::<types::ChatUpdateBody>(
            json!({"roomId": world.general.id, "msgId": message.id, "text": "second version"}),
        ))
        .send()
        .await
        .expect("edited");
    let received = on_edits.wait_for(2).await;
    assert_eq!(received[0].body.get("isEdited"), None, "the new message");
    let body = &received[1].body;
    assert_starts(body, "sendMessage");
    assert_eq!(body["isEdited"], true);
    assert_eq!(body["text"], "second version");
    assert_eq!(body["message_id"], message.id.as_str());
    assert_eq!(body["user_name"], "bob");
    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(on_edits.received().len(), 2);
    assert_eq!(
        plain.received().len(),
        1,
        "no runOnEdits: the edit fired nothing ({})",
        plain_hook.id
    );
}

#[tokio::test]
async fn file_uploads_fire_with_user_room_and_message() {
    let world = world().await;
    let uploads = Receiver::answering(200, "{}").await;
    let messages = Receiver::answering(200, "{}").await;
    on(
        &world.admin,
        "fileUploaded",
        &uploads.url("/files"),
        json!({"channel": "#general"}),
    )
    .await;
    on(
        &world.admin,
        "sendMessage",
        &messages.url("/messages"),
        json!({"channel": "#general"}),
    )
    .await;

    let boundary = "chathooks-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.txt\"\r\n\
         Content-Type: text/plain\r\n\r\nall green\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"msg\"\r\n\r\nthe report\r\n--{boundary}--\r\n"
    );
    let (status, answer) = send_raw(
        world
            .bob
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/rooms.upload/{}", world.general.id),
            )
            .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
            .body(body),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let message_id = answer["message"]["_id"].as_str().expect("a message").to_owned();

    let body = &uploads.wait_for(1).await[0].body;
    assert_starts(body, "fileUploaded");
    assert_eq!(body["channel_id"], world.general.id.as_str());
    assert_eq!(body["message_id"], message_id.as_str());
    assert_eq!(body["text"], "the report");
    assert_eq!(body["user_name"], "bob");
    assert_eq!(body["user"]["username"], "bob");
    assert_eq!(body["room"]["_id"], world.general.id.as_str());
    assert_eq!(body["message"]["_id"], message_id.as_str());
    assert_eq!(body["message"]["file"]["name"], "report.txt", "{body}");
    // The message with the file is also a message.
    let sent = &messages.wait_for(1).await[0].body;
    assert_eq!(sent["message_id"], message_id.as_str());

    let RcWorld { server, .. } = world;
    server.shutdown().await;
    assert_eq!(uploads.received().len(), 1);
    assert_eq!(messages.received().len(), 1);
}
