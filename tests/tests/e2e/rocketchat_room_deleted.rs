//! A room deleted for good is announced to the live views of those who were
//! in it: Rocket.Chat's Realtime API tells each member `removed` on
//! `subscriptions-changed` and `rooms-changed`, and the Mattermost WebSocket
//! sends `channel_deleted`. Others hear nothing.

use chathooks_tests::rocketchat::{PATIENCE, RcSession, RcWorld, create_room, send_raw};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON text frame, `None` when closed or when nothing came within
/// `wait`.
async fn frame_within(socket: &mut Socket, wait: std::time::Duration) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(wait, socket.next()).await.ok()??.ok()?;
        match message {
            Message::Text(text) => return Some(serde_json::from_str(&text).expect("a JSON frame")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .expect("sent");
}

/// A Realtime session logged in with `session`'s token, subscribed to its
/// user's `subscriptions-changed` and `rooms-changed`.
async fn realtime(world: &RcWorld, session: &RcSession) -> Socket {
    let url = format!("{}/websocket", world.server.base.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("WebSocket opens");
    send(&mut socket, json!({"msg": "connect", "version": "1", "support": ["1"]})).await;
    send(
        &mut socket,
        json!({"msg": "method", "method": "login", "id": "login", "params": [{"resume": session.token}]}),
    )
    .await;
    for (id, event) in [("s1", "subscriptions-changed"), ("s2", "rooms-changed")] {
        send(
            &mut socket,
            json!({"msg": "sub", "id": id, "name": "stream-notify-user",
                "params": [format!("{}/{event}", session.user_id), false]}),
        )
        .await;
    }
    let mut ready = 0;
    while ready < 2 {
        let frame = frame_within(&mut socket, PATIENCE).await.expect("subscriptions ready");
        if frame["msg"] == "result" && frame["id"] == "login" {
            assert!(frame.get("error").is_none(), "{frame}");
        }
        if frame["msg"] == "ready" {
            ready += 1;
        }
        assert_ne!(frame["msg"], "nosub", "{frame}");
    }
    socket
}

/// The `removed` notices of `event` for `user_id` among the frames that come
/// before a ping's pong.
async fn removed_notices(socket: &mut Socket, user_id: &str) -> Vec<(String, Value)> {
    send(socket, json!({"msg": "ping", "id": "done"})).await;
    let mut notices = Vec::new();
    loop {
        let frame = frame_within(socket, PATIENCE).await.expect("frames until the pong");
        if frame["msg"] == "pong" {
            return notices;
        }
        let name = frame["fields"]["eventName"].as_str().unwrap_or_default().to_owned();
        if frame["msg"] == "changed" && frame["fields"]["args"][0] == "removed" {
            assert!(name.starts_with(user_id), "{frame}");
            notices.push((name, frame["fields"]["args"][1].clone()));
        }
    }
}

/// A Mattermost WebSocket authenticated with an (either API's) token.
async fn mattermost_socket(world: &RcWorld, token: &str) -> Socket {
    let url = format!("{}/api/v4/websocket", world.server.base.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("connected");
    send(
        &mut socket,
        json!({"seq": 1, "action": "authentication_challenge", "data": {"token": token}}),
    )
    .await;
    assert_eq!(
        frame_within(&mut socket, PATIENCE).await,
        Some(json!({"status": "OK", "seq_reply": 1}))
    );
    let hello = frame_within(&mut socket, PATIENCE).await.expect("hello");
    assert_eq!(hello["event"], "hello");
    socket
}

/// Every `channel_deleted` event that arrives within a short wait.
async fn channel_deleted_events(socket: &mut Socket) -> Vec<Value> {
    let mut events = Vec::new();
    while let Some(frame) = frame_within(socket, std::time::Duration::from_millis(500)).await {
        if frame["event"] == "channel_deleted" {
            events.push(frame);
        }
    }
    events
}

#[tokio::test]
async fn members_of_a_deleted_room_are_told_in_both_apis_and_no_one_else() {
    let world = RcWorld::new().await;
    let room = create_room(&world.alice, "short-lived", &["bob"]).await;
    let (status, group) = send_raw(
        world
            .alice
            .request(Method::POST, "/api/v1/groups.create")
            .json(&json!({"name": "secret-den"})),
    )
    .await;
    assert_eq!(status, 200, "{group}");
    let group_id = group["group"]["_id"].as_str().unwrap().to_owned();

    let mut bob_realtime = realtime(&world, &world.bob).await;
    let mut admin_realtime = realtime(&world, &world.admin).await;
    let mut bob_mattermost = mattermost_socket(&world, &world.bob.token).await;

    for (path, id) in [
        ("/api/v1/channels.delete", room.id.as_str()),
        ("/api/v1/groups.delete", group_id.as_str()),
    ] {
        let (status, done) = send_raw(world.alice.request(Method::POST, path).json(&json!({"roomId": id}))).await;
        assert_eq!((status, &done), (200, &json!({"success": true})), "{path}");
    }

    let notices = removed_notices(&mut bob_realtime, &world.bob.user_id).await;
    let subscription = notices
        .iter()
        .find(|(name, _)| name.ends_with("/subscriptions-changed"))
        .unwrap_or_else(|| panic!("a subscription removed: {notices:?}"));
    assert_eq!(subscription.1["rid"], room.id.as_str());
    let room_gone = notices
        .iter()
        .find(|(name, _)| name.ends_with("/rooms-changed"))
        .unwrap_or_else(|| panic!("a room removed: {notices:?}"));
    assert_eq!(room_gone.1, json!({"_id": room.id}));
    // Bob was never in the private room: nothing of it reaches him.
    assert_eq!(notices.len(), 2, "only the public room he was in: {notices:?}");
    // The administrator was in neither room.
    assert_eq!(removed_notices(&mut admin_realtime, &world.admin.user_id).await, vec![]);

    let deleted = channel_deleted_events(&mut bob_mattermost).await;
    assert_eq!(deleted.len(), 1, "the public room only: {deleted:?}");
    assert_eq!(deleted[0]["data"]["channel_id"], room.id.as_str());
    assert!(deleted[0]["data"]["delete_at"].as_i64().is_some_and(|at| at > 0));
}
