//! `GET /api/v4/websocket` with a real WebSocket client: authentication,
//! `hello`, and post and reaction events only for those who may read them.

use std::time::Duration;

use chathooks_mattermost_types as types;
use chathooks_tests::{Session, World};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const PATIENCE: Duration = Duration::from_secs(10);

fn url(world: &World) -> String {
    format!("{}/api/v4/websocket", world.server.base.replacen("http://", "ws://", 1))
}

/// The next JSON text message, or `None` when the socket closed.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")?
            .ok()?;
        match message {
            Message::Text(text) => return Some(serde_json::from_str(&text).expect("JSON message")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Connect and authenticate with the challenge, as mattermostdriver does.
async fn connect(world: &World, session: &Session) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(url(world)).await.expect("connected");
    let challenge = json!({"seq": 1, "action": "authentication_challenge", "data": {"token": session.token}});
    socket.send(Message::Text(challenge.to_string().into())).await.unwrap();
    assert_eq!(next(&mut socket).await, Some(json!({"status": "OK", "seq_reply": 1})));
    let hello = next(&mut socket).await.expect("hello");
    assert_eq!(
        (hello["event"].as_str(), hello["seq"].as_i64()),
        (Some("hello"), Some(0))
    );
    assert_eq!(hello["broadcast"]["user_id"], session.user.id.as_str());
    socket
}

async fn post(session: &Session, channel_id: &str, message: &str) -> types::Post {
    session
        .client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: channel_id.into(),
            message: message.into(),
            root_id: None,
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap()
        .into_inner()
}

/// The post carried by an event, parsed from its JSON string.
fn carried_post(event: &Value) -> Value {
    serde_json::from_str(event["data"]["post"].as_str().expect("post as a JSON string")).unwrap()
}

#[tokio::test]
async fn posted_events_reach_readers_only_in_order() {
    let world = World::new().await;
    let mut member = connect(&world, &world.member).await;
    // The outsider authenticates with the upgrade request's header instead.
    let mut request = url(&world).into_client_request().unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", world.outsider.token).parse().unwrap(),
    );
    let (mut outsider, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let hello = next(&mut outsider).await.expect("hello without a challenge");
    assert_eq!(
        (hello["event"].as_str(), hello["seq"].as_i64()),
        (Some("hello"), Some(0))
    );

    let private = post(&world.other_member, &world.private_channel.id, "team secret").await;
    let direct = world
        .admin
        .client
        .create_direct_channel()
        .body(vec![world.admin.user.id.clone(), world.outsider.user.id.clone()])
        .send()
        .await
        .unwrap()
        .into_inner();
    let dm = post(&world.admin, &direct.id, "psst").await;

    let event = next(&mut member).await.unwrap();
    assert_eq!(
        (event["event"].as_str(), event["seq"].as_i64()),
        (Some("posted"), Some(1))
    );
    assert_eq!(carried_post(&event)["id"], private.id.as_str());
    assert_eq!(carried_post(&event)["message"], "team secret");
    let data = &event["data"];
    assert_eq!(
        (
            data["channel_name"].as_str(),
            data["channel_type"].as_str(),
            data["sender_name"].as_str()
        ),
        (Some("secret"), Some("P"), Some("@bob"))
    );
    assert_eq!(data["team_id"], world.team.id.as_str());
    assert_eq!(event["broadcast"]["channel_id"], world.private_channel.id.as_str());

    // The outsider's first event is the DM: the private post was not sent to them.
    let event = next(&mut outsider).await.unwrap();
    assert_eq!(
        (event["event"].as_str(), event["seq"].as_i64()),
        (Some("posted"), Some(1))
    );
    assert_eq!(carried_post(&event)["id"], dm.id.as_str());
    assert_eq!(event["data"]["channel_display_name"], "@admin");
    assert_eq!(event["data"]["channel_type"], "D");
}

#[tokio::test]
async fn edits_deletions_and_reactions_are_events() {
    let world = World::new().await;
    let mut socket = connect(&world, &world.member).await;
    let target = post(&world.member, &world.open_channel.id, "first").await;
    assert_eq!(next(&mut socket).await.unwrap()["event"], "posted");

    world
        .member
        .client
        .patch_post()
        .post_id(&target.id)
        .body(types::PatchPostBody {
            message: Some("second".into()),
            is_pinned: None,
            props: None,
            file_ids: None,
        })
        .send()
        .await
        .unwrap();
    let edited = next(&mut socket).await.unwrap();
    assert_eq!(edited["event"], "post_edited");
    assert_eq!(carried_post(&edited)["message"], "second");

    world
        .other_member
        .client
        .save_reaction()
        .body(types::SaveReactionBody {
            user_id: world.other_member.user.id.clone(),
            post_id: target.id.clone(),
            emoji_name: "tada".into(),
            create_at: None,
        })
        .send()
        .await
        .unwrap();
    let added = next(&mut socket).await.unwrap();
    assert_eq!(added["event"], "reaction_added");
    let reaction: Value = serde_json::from_str(added["data"]["reaction"].as_str().unwrap()).unwrap();
    assert_eq!(
        (reaction["emoji_name"].as_str(), reaction["user_id"].as_str()),
        (Some("tada"), Some(world.other_member.user.id.as_str()))
    );
    world
        .other_member
        .client
        .delete_reaction()
        .user_id("me")
        .post_id(&target.id)
        .emoji_name("tada")
        .send()
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["event"], "reaction_removed");

    world
        .member
        .client
        .delete_post()
        .post_id(&target.id)
        .send()
        .await
        .unwrap();
    let deleted = next(&mut socket).await.unwrap();
    assert_eq!(deleted["event"], "post_deleted");
    assert_eq!(carried_post(&deleted)["id"], target.id.as_str());
    assert_eq!(deleted["data"]["delete_by"], world.member.user.id.as_str());
    assert_eq!(deleted["seq"], 5, "numbered on from hello");

    // Ephemeral posts go to their one user.
    world
        .admin
        .client
        .create_post_ephemeral()
        .body(types::CreatePostEphemeralBody {
            user_id: world.member.user.id.clone(),
            post: types::CreatePostEphemeralBodyPost {
                channel_id: world.open_channel.id.clone(),
                message: "just you".into(),
                props: Default::default(),
            },
        })
        .send()
        .await
        .unwrap();
    let ephemeral = next(&mut socket).await.unwrap();
    assert_eq!(ephemeral["event"], "ephemeral_message");
    assert_eq!(carried_post(&ephemeral)["message"], "just you");
}

#[tokio::test]
async fn bad_tokens_are_refused_and_actions_answered() {
    let world = World::new().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(url(&world)).await.unwrap();
    // Before authentication, actions are refused without closing.
    socket
        .send(Message::Text(
            json!({"seq": 1, "action": "user_typing"}).to_string().into(),
        ))
        .await
        .unwrap();
    let refused = next(&mut socket).await.unwrap();
    assert_eq!(
        (refused["status"].as_str(), refused["seq_reply"].as_i64()),
        (Some("FAIL"), Some(1))
    );
    socket
        .send(Message::Text(
            json!({"seq": 2, "action": "authentication_challenge", "data": {"token": "nope"}})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let failed = next(&mut socket).await.unwrap();
    assert_eq!(
        (failed["status"].as_str(), failed["seq_reply"].as_i64()),
        (Some("FAIL"), Some(2))
    );
    assert_eq!(next(&mut socket).await, None, "closed after a failed challenge");

    let mut socket = connect(&world, &world.member).await;
    socket
        .send(Message::Text(json!({"seq": 2, "action": "ping"}).to_string().into()))
        .await
        .unwrap();
    let pong = next(&mut socket).await.unwrap();
    assert_eq!(
        (pong["status"].as_str(), pong["data"]["text"].as_str()),
        (Some("OK"), Some("pong"))
    );
    socket.send(Message::Text("not json".into())).await.unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["status"], "FAIL");
}

#[tokio::test]
async fn open_sockets_do_not_hold_up_shutdown() {
    let world = World::new().await;
    let mut socket = connect(&world, &world.member).await;
    tokio::time::timeout(PATIENCE, world.server.shutdown())
        .await
        .expect("shutdown with a WebSocket open");
    assert_eq!(next(&mut socket).await, None);
}

/// Connect with the token in the upgrade request's `Authorization` header,
/// and wait for `hello`.
async fn connect_with_token(world: &World, token: &str) -> Socket {
    let mut request = url(world).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("connected");
    assert_eq!(next(&mut socket).await.expect("hello")["event"], "hello");
    socket
}

/// A raw request to the REST API with a bearer token.
async fn rest(world: &World, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> u16 {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/api/v4{path}", world.server.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn logging_out_closes_the_sockets_of_that_session_only() {
    let world = World::new().await;
    let mut logged_out = connect(&world, &world.member).await;
    // Another session of the same user, which stays.
    let second = world.server.login("alice", "alice-password").await;
    let mut stays = connect_with_token(&world, &second.token).await;
    assert_eq!(
        rest(
            &world,
            &world.member.token,
            reqwest::Method::POST,
            "/users/logout",
            None
        )
        .await,
        200
    );
    assert_eq!(
        rest(&world, &world.member.token, reqwest::Method::GET, "/users/me", None).await,
        401
    );
    assert_eq!(
        next(&mut logged_out).await,
        None,
        "the logged-out session's socket is closed"
    );
    post(&world.other_member, &world.open_channel.id, "after the logout").await;
    let event = next(&mut stays).await.expect("the other session still streams");
    assert_eq!(event["event"], "posted");
}

#[tokio::test]
async fn revoking_or_disabling_a_personal_access_token_closes_its_sockets() {
    let world = World::new().await;
    for action in ["revoke", "disable"] {
        let created: Value = reqwest::Client::new()
            .post(format!(
                "{}/api/v4/users/{}/tokens",
                world.server.base, world.admin.user.id
            ))
            .bearer_auth(&world.admin.token)
            .json(&json!({"description": action}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().expect("the token's secret");
        let mut socket = connect_with_token(&world, token).await;
        let body = json!({"token_id": created["id"]});
        let path = format!("/users/tokens/{action}");
        assert_eq!(
            rest(&world, &world.admin.token, reqwest::Method::POST, &path, Some(body)).await,
            200
        );
        assert_eq!(next(&mut socket).await, None, "closed on {action}");
    }
}

#[tokio::test]
async fn deactivating_a_user_closes_its_sockets() {
    let world = World::new().await;
    let mut socket = connect(&world, &world.member).await;
    let core = &world.server.state.core;
    let user = core.read().get_user(&world.member.user.id).await.unwrap().unwrap();
    chathooks::sessions::deactivate_user(core, &user).await.unwrap();
    assert_eq!(next(&mut socket).await, None);
}

#[tokio::test]
async fn unauthenticated_sockets_are_closed_after_the_deadline() {
    let server = chathooks_tests::TestServer::start_with(|config| {
        config.websocket.auth_timeout = Duration::from_secs(1);
    })
    .await;
    let world = World::build(server).await;
    let (mut silent, _) = tokio_tungstenite::connect_async(url(&world)).await.unwrap();
    // Bounded: closed by the deadline, long before PATIENCE runs out.
    assert_eq!(next(&mut silent).await, None, "closed without authenticating");
    // An authenticated socket outlives the deadline.
    let mut socket = connect(&world, &world.member).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    post(&world.other_member, &world.open_channel.id, "still there").await;
    assert_eq!(next(&mut socket).await.expect("still open")["event"], "posted");
}

#[tokio::test]
async fn messages_past_the_size_limit_close_the_socket_unread() {
    let world = World::new().await;
    let (mut socket, _) = tokio_tungstenite::connect_async(url(&world)).await.unwrap();
    // 8 KiB by default (Mattermost's read limit): one byte more.
    let big = json!({"seq": 1, "action": "user_typing", "data": {"pad": "x".repeat(8 * 1024)}}).to_string();
    let _ = socket.send(Message::Text(big.into())).await;
    let closed = tokio::time::timeout(PATIENCE, async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an oversized message closes the socket");
}

#[tokio::test]
async fn upgrades_from_other_origins_are_refused() {
    let world = World::new().await;
    let upgrade = |origin: Option<&str>| {
        let mut request = url(&world).into_client_request().unwrap();
        if let Some(origin) = origin {
            request.headers_mut().insert("Origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    match upgrade(Some("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("a foreign origin was upgraded: {:?}", other.map(|(_, r)| r.status())),
    }
    let same = format!("http://{}", world.server.addr);
    assert!(upgrade(Some(&same)).await.is_ok(), "same origin");
    assert!(upgrade(None).await.is_ok(), "no origin (not a browser)");
}
