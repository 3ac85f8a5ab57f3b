//! The Rocket.Chat calls bots and clients make beyond posting: logging out,
//! the server's version, users and direct rooms, public channels by name,
//! listing, joining, leaving and archiving them, editing, deleting and
//! reacting to messages, and uploading files. Through the generated client
//! where it can express the call, and raw HTTP where it cannot (multipart
//! uploads, form bodies, malformed input). Form bodies in general:
//! `rocketchat_forms.rs`.

use chathooks_rocketchat_types as types;
use chathooks_tests::rocketchat::{
    RcSession, RcWorld, admin, create_room, create_user, error_of, history, login, post, send_raw,
};
use chathooks_tests::{ADMIN, ADMIN_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

/// The status and `errorType` of a failed client call.
async fn error_type_of<T: std::fmt::Debug>(
    result: Result<
        chathooks_rocketchat_client::ResponseValue<T>,
        chathooks_rocketchat_client::Error<chathooks_rocketchat_client::ByteStream>,
    >,
) -> (u16, Option<String>, Value) {
    let (status, body) = error_of(result).await;
    let error_type = body["errorType"].as_str().map(str::to_owned);
    (status, error_type, body)
}

/// A form-encoded POST with the session's headers.
fn form(session: &RcSession, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    session.request(Method::POST, path).form(fields)
}

/// One part of a multipart body: its name, for a file its file name and
/// Content-Type, and its bytes.
type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

/// A multipart body built by hand.
fn multipart(parts: &[Part<'_>]) -> (String, Vec<u8>) {
    let boundary = "chathooks-test-boundary-7c1d";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((filename, content_type)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `POST /api/v1/rooms.upload/{rid}` with a hand-built multipart body.
async fn upload(session: &RcSession, rid: &str, parts: &[Part<'_>]) -> (u16, Value) {
    let (content_type, body) = multipart(parts);
    send_raw(
        session
            .request(Method::POST, &format!("/api/v1/rooms.upload/{rid}"))
            .header("Content-Type", content_type)
            .body(body),
    )
    .await
}

/// The header of a 3x2 PNG: enough for its type and size.
fn png_3x2() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(3u32.to_be_bytes());
    png.extend(2u32.to_be_bytes());
    png.extend([8, 6, 0, 0, 0]);
    png
}

async fn update(session: &RcSession, room_id: &str, msg_id: &str, text: &str) -> Result<types::Message, (u16, Value)> {
    let result = session
        .client
        .chat_update()
        .body(typed::<types::ChatUpdateBody>(
            json!({"roomId": room_id, "msgId": msg_id, "text": text}),
        ))
        .send()
        .await;
    match result {
        Ok(answer) => Ok(answer.into_inner().message),
        Err(error) => Err(error_of::<types::ChatUpdateResponse>(Err(error)).await),
    }
}

async fn react(session: &RcSession, body: Value) -> Result<(), (u16, Value)> {
    let result = session
        .client
        .chat_react()
        .body(typed::<types::ChatReactBody>(body))
        .send()
        .await;
    match result {
        Ok(answer) => {
            assert!(*answer.into_inner().success);
            Ok(())
        }
        Err(error) => Err(error_of::<types::SuccessResponse>(Err(error)).await),
    }
}

/// One message of a public room's history, as JSON.
async fn message_in_history(session: &RcSession, room_id: &str, msg_id: &str) -> Option<Value> {
    history(session, room_id)
        .await
        .into_iter()
        .find(|m| m.id == msg_id)
        .map(|m| serde_json::to_value(m).expect("a message serializes"))
}

type Sent<T> = Result<
    chathooks_rocketchat_client::ResponseValue<T>,
    chathooks_rocketchat_client::Error<chathooks_rocketchat_client::ByteStream>,
>;

async fn leave(session: &RcSession, room_name: &str) -> Sent<types::ChannelResponse> {
    session
        .client
        .channels_leave()
        .body(typed::<types::ChannelsLeaveBody>(json!({"roomName": room_name})))
        .send()
        .await
}

async fn archive(session: &RcSession, body: Value) -> Sent<types::SuccessResponse> {
    session
        .client
        .channels_archive()
        .body(typed::<types::ChannelsArchiveBody>(body))
        .send()
        .await
}

async fn delete(session: &RcSession, room_id: &str, msg_id: &str, as_user: bool) -> Sent<types::ChatDeleteResponse> {
    session
        .client
        .chat_delete()
        .body(typed::<types::ChatDeleteBody>(
            json!({"roomId": room_id, "msgId": msg_id, "asUser": as_user}),
        ))
        .send()
        .await
}

#[tokio::test]
async fn logout_ends_only_that_session() {
    let server = TestServer::start().await;
    let first = login(&server, ADMIN, ADMIN_PASSWORD).await;
    let second = login(&server, ADMIN, ADMIN_PASSWORD).await;
    let answer = first.client.logout().send().await.unwrap().into_inner();
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"status": "success", "data": {"message": "You've been logged out!"}})
    );
    let not_logged_in = json!({"success": false, "status": "error", "message": "You must be logged in to do this."});
    assert_eq!(
        error_of(first.client.me().send().await).await,
        (401, not_logged_in.clone())
    );
    assert_eq!(second.client.me().send().await.unwrap().into_inner().id, second.user_id);
    // Logging out twice is logging out without a session.
    assert_eq!(
        error_of(first.client.logout().send().await).await,
        (401, not_logged_in.clone())
    );
    // A body, as clients send `{}`, is ignored.
    let (status, body) = send_raw(second.request(Method::POST, "/api/v1/logout").json(&json!({}))).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("success")));
    assert_eq!(error_of(second.client.me().send().await).await.0, 401);
    // The Mattermost API sees the same sessions.
    let third = login(&server, ADMIN, ADMIN_PASSWORD).await;
    let mm = server.client_with_token(&third.token);
    assert!(mm.get_me().send().await.is_ok());
    third.client.logout().send().await.unwrap();
    assert!(mm.get_me().send().await.is_err());
    // A personal access token is no session: logging out with it leaves it valid.
    let user = server.state.read().get_user(&third.user_id).await.unwrap().unwrap();
    let access = chathooks::accounts::create_access_token(&server.state, &user, "bot")
        .await
        .unwrap();
    let bot = RcSession::new(&server.base, &access.token, &user.id, ADMIN);
    assert_eq!(
        bot.client.logout().send().await.unwrap().into_inner().data.message,
        "You've been logged out!"
    );
    assert_eq!(bot.client.me().send().await.unwrap().into_inner().id, user.id);
}

#[tokio::test]
async fn info_needs_no_session() {
    let server = TestServer::start().await;
    let answer = chathooks_rocketchat_client::Client::new(&server.base)
        .info()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"version": "6.13", "success": true})
    );
}

#[tokio::test]
async fn users_info_by_id_or_username() {
    let world = RcWorld::new().await;
    let by_name = world
        .alice
        .client
        .users_info()
        .username("BOB")
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(by_name.id, world.bob.user_id);
    // Someone else's addresses are for administrators only.
    assert!(by_name.emails.is_empty());
    let by_admin = world
        .admin
        .client
        .users_info()
        .user_id(&world.bob.user_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!(by_admin.username, "bob");
    assert_eq!(by_admin.emails[0].address, "bob@example.com");
    let myself = world
        .bob
        .client
        .users_info()
        .user_id(&world.bob.user_id)
        .username("alice")
        .send()
        .await
        .unwrap()
        .into_inner()
        .user;
    assert_eq!((myself.username.as_str(), myself.emails.len()), ("bob", 1));

    let (status, error) = error_of(world.alice.client.users_info().username("nobody").send().await).await;
    assert_eq!(
        (status, error),
        (400, json!({"success": false, "error": "User not found."}))
    );
    let (status, error_type, _) = error_type_of(world.alice.client.users_info().send().await).await;
    assert_eq!((status, error_type.as_deref()), (400, Some("invalid-params")));
    let anonymous = chathooks_rocketchat_client::Client::new(&world.server.base);
    assert_eq!(
        error_of(anonymous.users_info().username("bob").send().await).await.0,
        401
    );
}

#[tokio::test]
async fn im_create_opens_one_direct_room_per_pair() {
    let world = RcWorld::new().await;
    let room = world
        .alice
        .client
        .im_create()
        .body(typed::<types::ImCreateBody>(json!({"username": "bob"})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .room;
    assert_eq!(room.t.to_string(), "d");
    assert_eq!(room.rid, room.id);
    assert_eq!(room.usernames, ["alice", "bob"]);
    assert_eq!(room.uids.len(), 2);
    // The same room from the other side, and under the newer name.
    let again = world
        .bob
        .client
        .dm_create()
        .body(typed::<types::ImCreateBody>(json!({"usernames": "alice"})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .room;
    assert_eq!(again.id, room.id);
    // The room is usable: a message posted there is the pair's.
    let posted = world
        .alice
        .client
        .chat_post_message()
        .body(typed::<types::ChatPostMessageBody>(
            json!({"roomId": room.id, "text": "psst"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(posted.message.rid, room.id);
    // A room with oneself.
    let own = world
        .alice
        .client
        .im_create()
        .body(typed::<types::ImCreateBody>(json!({"username": "alice"})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .room;
    assert_eq!(own.usernames, ["alice"]);
    assert_ne!(own.id, room.id);

    let cases = [
        (json!({"username": "nobody"}), "error-invalid-user"),
        (json!({"usernames": "bob, admin"}), "error-not-allowed"),
        (json!({}), "invalid-params"),
        (json!({"username": " "}), "invalid-params"),
    ];
    for (body, expected) in cases {
        let result = world
            .alice
            .client
            .im_create()
            .body(typed::<types::ImCreateBody>(body.clone()))
            .send()
            .await;
        let (status, error_type, error) = error_type_of(result).await;
        assert_eq!(
            (status, error_type.as_deref()),
            (400, Some(expected)),
            "{body}: {error}"
        );
    }
}

#[tokio::test]
async fn channels_by_name_listed_joined_left_and_archived() {
    let world = RcWorld::new().await;
    let carol = create_user(&world.server, &world.admin, "carol").await;
    post(&world.alice, "#general", "hello general").await;

    // `roomName` as well as `roomId`.
    let by_name = carol
        .client
        .channels_history()
        .room_name("general")
        .send()
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(
        by_name.iter().map(|m| m.msg.as_str()).collect::<Vec<_>>(),
        ["hello general"]
    );
    for result in [
        carol.client.channels_history().send().await,
        carol.client.channels_history().room_name("nowhere").send().await,
        carol.client.channels_history().room_id("nothing").send().await,
    ] {
        let (status, error_type, _) = error_type_of(result).await;
        assert_eq!((status, error_type.as_deref()), (400, Some("error-room-not-found")));
    }

    // Listing pages through every public room.
    for name in ["second", "third"] {
        create_room(&world.bob, name, &[]).await;
    }
    let page = carol
        .client
        .channels_list()
        .offset(1)
        .count(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.offset, page.count, page.total), (1, 1, 3));
    assert_eq!(page.channels[0].name.as_deref(), Some("second"));
    let all = carol.client.channels_list().send().await.unwrap().into_inner();
    assert_eq!(
        all.channels
            .iter()
            .filter_map(|c| c.name.as_deref())
            .collect::<Vec<_>>(),
        ["general", "second", "third"]
    );

    // Joining (twice is once), leaving (twice is an error).
    let joined = carol
        .client
        .channels_join()
        .body(typed::<types::ChannelsJoinBody>(
            json!({"roomName": "general", "joinCode": "ignored"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner()
        .channel;
    assert_eq!(
        (joined.id.as_str(), joined.users_count),
        (world.general.id.as_str(), Some(4))
    );
    let again = carol
        .client
        .channels_join()
        .body(typed::<types::ChannelsJoinBody>(json!({"roomId": world.general.id})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .channel;
    assert_eq!(again.users_count, Some(4));
    // The join is the Mattermost API's membership too, in the room's team.
    let mm_carol = world.server.login("carol", "carol-password").await;
    let channel = mm_carol
        .client
        .get_channel()
        .channel_id(&world.general.id)
        .send()
        .await
        .expect("carol reads the channel she joined through the Mattermost API")
        .into_inner();
    let store = world.server.state.core.read();
    assert!(
        store
            .get_channel_member(&channel.id, &carol.user_id)
            .await
            .unwrap()
            .is_some()
    );
    let team_member = store.get_team_member(&channel.team_id, &carol.user_id).await.unwrap();
    assert_eq!(team_member.map(|m| m.delete_at), Some(0));
    let left = carol
        .client
        .channels_leave()
        .body(typed::<types::ChannelsLeaveBody>(json!({"roomId": world.general.id})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .channel;
    assert_eq!(left.users_count, Some(3));
    let (status, error_type, _) = error_type_of(leave(&carol, "general").await).await;
    assert_eq!((status, error_type.as_deref()), (400, Some("error-user-not-in-room")));
    // Bob created `second`: its only owner may not leave it. (`#general` is the
    // fresh server's, made by rocket.cat, and has no owner to keep.)
    let (status, error_type, error) = error_type_of(leave(&world.bob, "second").await).await;
    assert_eq!((status, error_type.as_deref()), (400, Some("error-you-are-last-owner")));
    assert_eq!(
        error["error"],
        "You are the last owner. Please set new owner before leaving the room. [error-you-are-last-owner]"
    );

    // Archiving needs `archive-room`: the room's owner or an administrator.
    let (status, error_type, error) = error_type_of(archive(&carol, json!({"roomName": "second"})).await).await;
    assert_eq!(
        (status, error_type.as_deref()),
        (400, Some("error-not-authorized")),
        "{error}"
    );
    assert!(
        *archive(&world.bob, json!({"roomName": "second"}))
            .await
            .unwrap()
            .into_inner()
            .success
    );
    assert!(
        *archive(&world.admin, json!({"roomName": "third"}))
            .await
            .unwrap()
            .into_inner()
            .success
    );
    let second_id = all.channels[1].id.clone();
    let (status, error_type, _) = error_type_of(archive(&world.bob, json!({"roomId": second_id})).await).await;
    assert_eq!((status, error_type.as_deref()), (400, Some("error-room-archived")));
    let info = carol
        .client
        .channels_info()
        .room_id(&second_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .channel;
    assert_eq!(info.archived, Some(true));
    let (status, error_type, _) = error_type_of(
        carol
            .client
            .channels_join()
            .body(typed::<types::ChannelsJoinBody>(json!({"roomId": second_id})))
            .send()
            .await,
    )
    .await;
    assert_eq!((status, error_type.as_deref()), (400, Some("error-room-archived")));
    // Archived rooms stay listed and readable.
    let all = carol.client.channels_list().send().await.unwrap().into_inner();
    assert_eq!(all.total, 3);
    assert_eq!(all.channels[1].archived, Some(true));
    assert_eq!(all.channels[0].archived, None);
    assert!(carol.client.channels_history().room_id(&second_id).send().await.is_ok());
    // Neither name nor id: not found.
    let (status, error_type, _) = error_type_of(archive(&world.admin, json!({})).await).await;
    assert_eq!((status, error_type.as_deref()), (400, Some("error-room-not-found")));
}

#[tokio::test]
async fn chat_update_follows_rocketchats_edit_rules() {
    let world = RcWorld::new().await;
    let room = &world.general;
    let message = post(&world.alice, "#general", "first draft").await;

    let edited = update(&world.alice, &room.id, &message.id, "second draft")
        .await
        .unwrap();
    assert_eq!(edited.msg, "second draft");
    assert!(edited.edited_at.is_some());
    assert_eq!(
        edited.edited_by.as_ref().map(|u| u.id.as_str()),
        Some(world.alice.user_id.as_str())
    );
    let stored = message_in_history(&world.bob, &room.id, &message.id).await.unwrap();
    assert_eq!(stored["msg"], "second draft");
    assert_eq!(stored["editedBy"]["username"], "alice");

    // Someone else's message needs `edit-message`.
    let (status, error) = update(&world.bob, &room.id, &message.id, "bob was here")
        .await
        .unwrap_err();
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
    assert_eq!(error["error"], "Message editing not allowed [error-action-not-allowed]");
    // The admin holds it everywhere; the room's owner in the room.
    let by_admin = update(&world.admin, &room.id, &message.id, "moderated").await.unwrap();
    assert_eq!(by_admin.edited_by.map(|u| u.username), Some(Some("admin".into())));
    let bobs_room = create_room(&world.bob, "bobs-room", &["alice"]).await;
    let alices = post(&world.alice, "#bobs-room", "in bob's room").await;
    assert_eq!(
        update(&world.bob, &bobs_room.id, &alices.id, "owner's edit")
            .await
            .unwrap()
            .msg,
        "owner's edit"
    );

    let (status, error) = update(&world.alice, &room.id, "no-such-message", "x")
        .await
        .unwrap_err();
    assert_eq!(
        (status, error),
        (
            400,
            json!({"success": false, "error": "No message found with the id of \"no-such-message\"."})
        )
    );
    let (status, error) = update(&world.alice, &bobs_room.id, &message.id, "x").await.unwrap_err();
    assert_eq!(
        (status, error["error"].as_str()),
        (
            400,
            Some("The room id provided does not match where the message is from.")
        )
    );
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::POST, "/api/v1/chat.update")
            .json(&json!({"roomId": room.id, "msgId": message.id})),
    )
    .await;
    assert_eq!(
        (status, error["error"].as_str()),
        (400, Some("must have required property 'text' [invalid-params]"))
    );
    let (status, error) = update(&world.alice, &room.id, &message.id, &"x".repeat(20_000))
        .await
        .unwrap_err();
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-message-size-exceeded"))
    );
    // As a form, as rocketchat_API sends it with files.
    let (status, answer) = send_raw(form(
        &world.admin,
        "/api/v1/chat.update",
        &[("roomId", &room.id), ("msgId", &message.id), ("text", "via form")],
    ))
    .await;
    assert_eq!((status, answer["message"]["msg"].as_str()), (200, Some("via form")));
}

#[tokio::test]
async fn chat_delete_follows_rocketchats_delete_rules() {
    let world = RcWorld::new().await;
    let room = &world.general;
    let alices = post(&world.alice, "#general", "to be deleted").await;
    let (status, error) = error_of(delete(&world.bob, &room.id, &alices.id, false).await).await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
    let (status, error) = error_of(delete(&world.bob, &room.id, &alices.id, true).await).await;
    assert_eq!(
        (status, error["error"].as_str()),
        (
            400,
            Some(
                "Unauthorized. You must have the permission \"force-delete-message\" to delete other's message as them."
            )
        )
    );
    let before = reqwest_now_ms();
    let answer = delete(&world.alice, &room.id, &alices.id, false)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.id, alices.id);
    assert_eq!(answer.message.rid, room.id);
    assert_eq!(answer.message.u.username.as_deref(), Some("alice"));
    let ts: i64 = answer.ts.parse().expect("ts is milliseconds as a string");
    assert!(ts >= before, "{ts} < {before}");
    assert!(message_in_history(&world.bob, &room.id, &alices.id).await.is_none());
    let (status, error) = error_of(delete(&world.alice, &room.id, &alices.id, false).await).await;
    assert_eq!(
        (status, error["error"].as_str().map(str::to_owned)),
        (400, Some(format!("No message found with the id of \"{}\".", alices.id)))
    );
    // Administrators delete anything, also as the author.
    let bobs = post(&world.bob, "#general", "bob's").await;
    delete(&world.admin, &room.id, &bobs.id, true).await.unwrap();
    let bobs = post(&world.bob, "#general", "bob's again").await;
    delete(&world.admin, &room.id, &bobs.id, false).await.unwrap();
    // The Mattermost API sees the deletion.
    let stored = world.server.state.read().get_post(&bobs.id).await.unwrap().unwrap();
    assert_ne!(stored.delete_at, 0);
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::POST, "/api/v1/chat.delete")
            .json(&json!({"msgId": "x"})),
    )
    .await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("invalid-params")));
}

fn reqwest_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn chat_react_adds_takes_back_and_toggles() {
    let world = RcWorld::new().await;
    let room = &world.general;
    let message = post(&world.admin, "#general", "react to me").await;
    let reactions = |value: Option<Value>| value.unwrap()["reactions"].clone();

    react(&world.alice, json!({"messageId": message.id, "emoji": ":smile:"}))
        .await
        .unwrap();
    react(
        &world.bob,
        json!({"messageId": message.id, "emoji": "smile", "shouldReact": true}),
    )
    .await
    .unwrap();
    react(&world.bob, json!({"messageId": message.id, "reaction": "+1"}))
        .await
        .unwrap();
    assert_eq!(
        reactions(message_in_history(&world.alice, &room.id, &message.id).await),
        json!({":smile:": {"usernames": ["alice", "bob"]}, ":+1:": {"usernames": ["bob"]}})
    );
    // Asking for what is the case already changes nothing.
    react(
        &world.alice,
        json!({"messageId": message.id, "emoji": "smile", "shouldReact": true}),
    )
    .await
    .unwrap();
    react(
        &world.alice,
        json!({"messageId": message.id, "emoji": "tada", "shouldReact": false}),
    )
    .await
    .unwrap();
    // Without `shouldReact`, a toggle.
    react(&world.alice, json!({"messageId": message.id, "emoji": ":smile:"}))
        .await
        .unwrap();
    react(
        &world.bob,
        json!({"messageId": message.id, "emoji": "+1", "shouldReact": false}),
    )
    .await
    .unwrap();
    assert_eq!(
        reactions(message_in_history(&world.alice, &room.id, &message.id).await),
        json!({":smile:": {"usernames": ["bob"]}})
    );
    // The reactions are the Mattermost API's.
    let stored = world.server.state.read().list_reactions(&message.id).await.unwrap();
    assert_eq!(
        stored.iter().map(|r| r.emoji_name.as_str()).collect::<Vec<_>>(),
        ["smile"]
    );

    let (status, error) = react(&world.alice, json!({"messageId": "nothing", "emoji": "smile"}))
        .await
        .unwrap_err();
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-message-not-found"))
    );
    let (status, error) = react(&world.alice, json!({"messageId": message.id})).await.unwrap_err();
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-emoji-param-not-provided"))
    );
    let (status, error) = react(
        &world.alice,
        json!({"messageId": message.id, "emoji": ":not an emoji!:"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        (status, error),
        (
            400,
            json!({
                "success": false,
                "error": "Invalid emoji provided. [error-not-allowed]",
                "errorType": "error-not-allowed",
                "details": {"method": "setReaction"},
            })
        )
    );
    // A direct room is only its members'.
    let direct = world
        .alice
        .client
        .im_create()
        .body(typed::<types::ImCreateBody>(json!({"username": "bob"})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .room;
    let private = world
        .alice
        .client
        .chat_post_message()
        .body(typed::<types::ChatPostMessageBody>(
            json!({"roomId": direct.id, "text": "just us"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner()
        .message;
    let carol = create_user(&world.server, &world.admin, "carol").await;
    let (status, error) = react(&carol, json!({"messageId": private.id, "emoji": "eyes"}))
        .await
        .unwrap_err();
    assert_eq!((status, error["errorType"].as_str()), (400, Some("not-authorized")));
    react(&world.bob, json!({"messageId": private.id, "emoji": "eyes"}))
        .await
        .unwrap();
}

#[tokio::test]
async fn rooms_upload_posts_a_message_carrying_the_file() {
    let world = RcWorld::new().await;
    let room = &world.general;
    let png = png_3x2();
    let (status, answer) = upload(
        &world.alice,
        &room.id,
        &[
            ("msg", None, b"here is the chart"),
            ("description", None, b"CPU, last hour"),
            ("file", Some(("chart one.png", "application/octet-stream")), &png),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true);
    let message = &answer["message"];
    assert_eq!(message["msg"], "here is the chart");
    assert_eq!(message["rid"], room.id);
    assert_eq!(message["u"]["username"], "alice");
    let file_id = message["file"]["_id"].as_str().expect("a file id").to_owned();
    assert_eq!(
        message["file"],
        json!({"_id": file_id, "name": "chart one.png", "type": "image/png", "size": png.len(), "format": "PNG"})
    );
    assert_eq!(message["files"], json!([message["file"]]));
    let url = format!("/file-upload/{file_id}/chart%20one.png");
    assert_eq!(
        message["attachments"],
        json!([{
            "title": "chart one.png",
            "type": "file",
            "title_link": url,
            "title_link_download": true,
            "format": "PNG",
            "size": png.len(),
            "description": "CPU, last hour",
            "image_url": url,
            "image_type": "image/png",
            "image_size": png.len(),
            "image_dimensions": {"width": 3, "height": 2},
        }])
    );
    // Stored in the database, carried by the post the Mattermost API sees.
    let store = world.server.state.core.read();
    assert_eq!(store.get_file_data(&file_id).await.unwrap(), Some(png.clone()));
    let post_id = message["_id"].as_str().unwrap();
    let stored = store.get_post(post_id).await.unwrap().unwrap();
    assert_eq!(stored.file_ids, std::slice::from_ref(&file_id));
    let info = store.get_file_info(&file_id).await.unwrap().unwrap();
    assert_eq!(info.post_id, post_id);
    assert_eq!(
        message_in_history(&world.bob, &room.id, post_id).await.unwrap()["file"]["_id"],
        file_id
    );
    // Editing a file message edits its description.
    let edited = update(&world.alice, &room.id, post_id, "CPU, last two hours")
        .await
        .unwrap();
    let edited = serde_json::to_value(edited).unwrap();
    assert_eq!(edited["attachments"][0]["description"], "CPU, last two hours");
    assert_eq!(edited["msg"], "here is the chart");

    // A plain file in a thread, its type from the part when the name says nothing.
    let (status, reply) = upload(
        &world.bob,
        &room.id,
        &[
            ("tmid", None, post_id.as_bytes()),
            ("file", Some(("notes", "text/x-custom")), b"some notes"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["message"]["tmid"], post_id);
    assert_eq!(reply["message"]["msg"], "");
    assert_eq!(reply["message"]["file"]["type"], "text/x-custom");
    assert!(reply["message"]["attachments"][0].get("image_url").is_none());

    // Refusals.
    let (status, error) = upload(
        &world.alice,
        "no-such-room",
        &[("file", Some(("a.txt", "text/plain")), b"a")],
    )
    .await;
    assert_eq!(
        (status, error),
        (403, json!({"success": false, "error": "unauthorized"}))
    );
    let direct = world
        .bob
        .client
        .im_create()
        .body(typed::<types::ImCreateBody>(json!({"username": "admin"})))
        .send()
        .await
        .unwrap()
        .into_inner()
        .room;
    let (status, _) = upload(
        &world.alice,
        &direct.id,
        &[("file", Some(("a.txt", "text/plain")), b"a")],
    )
    .await;
    assert_eq!(status, 403);
    let (status, ok) = upload(&world.bob, &direct.id, &[("file", Some(("a.txt", "text/plain")), b"a")]).await;
    assert_eq!(status, 200, "{ok}");
    for parts in [
        vec![("msg", None, &b"no file"[..])],
        vec![("file", None, &b"a field, not a file"[..])],
        vec![("attachment", Some(("a.txt", "text/plain")), &b"a"[..])],
    ] {
        let (status, error) = upload(&world.alice, &room.id, &parts).await;
        assert_eq!(
            (status, error),
            (
                400,
                json!({"success": false, "error": "[invalid-field]", "errorType": "invalid-field"})
            )
        );
    }
    let (status, error) = upload(
        &world.alice,
        &room.id,
        &[
            ("tmid", None, b"nothing"),
            ("file", Some(("a.txt", "text/plain")), b"a"),
        ],
    )
    .await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-invalid-message"))
    );
    let long = "x".repeat(20_000);
    let (status, error) = upload(
        &world.alice,
        &room.id,
        &[
            ("description", None, long.as_bytes()),
            ("file", Some(("a.txt", "text/plain")), b"a"),
        ],
    )
    .await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-message-size-exceeded"))
    );
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::POST, &format!("/api/v1/rooms.upload/{}", room.id))
            .header("Content-Type", "multipart/form-data; boundary=x")
            .body("not multipart at all"),
    )
    .await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("invalid-params")),
        "{error}"
    );
    let anonymous = RcSession::new(&world.server.base, "nope", &world.alice.user_id, "alice");
    let (status, _) = upload(&anonymous, &room.id, &[("file", Some(("a.txt", "text/plain")), b"a")]).await;
    assert_eq!(status, 401);
    // An archived room takes no uploads.
    let archived = create_room(&world.alice, "old-room", &[]).await;
    world
        .alice
        .client
        .channels_archive()
        .body(typed::<types::ChannelsArchiveBody>(json!({"roomId": archived.id})))
        .send()
        .await
        .unwrap();
    let (status, error) = upload(
        &world.alice,
        &archived.id,
        &[("file", Some(("a.txt", "text/plain")), b"a")],
    )
    .await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-room-archived"))
    );
}

#[tokio::test]
async fn an_upload_over_the_file_limit_is_a_file_too_large() {
    // Uploads have their own limit, above the body limit.
    let server = TestServer::start_with(|config| {
        config.max_file_bytes = 64 * 1024;
        config.max_body_bytes = 1024;
    })
    .await;
    let admin = admin(&server).await;
    let room = create_room(&admin, "uploads", &[]).await;
    let big = vec![b'x'; 128 * 1024];
    let (status, error) = upload(
        &admin,
        &room.id,
        &[("file", Some(("big.bin", "application/octet-stream")), &big)],
    )
    .await;
    assert_eq!(
        (status, error),
        (
            400,
            json!({"success": false, "error": "[error-file-too-large]", "errorType": "error-file-too-large"})
        )
    );
    // Just under the limit is fine, and the server is still there.
    let small = vec![b'y'; 32 * 1024];
    let (status, answer) = upload(
        &admin,
        &room.id,
        &[("file", Some(("small.bin", "application/octet-stream")), &small)],
    )
    .await;
    assert_eq!(
        (status, answer["message"]["file"]["size"].as_u64()),
        (200, Some(32 * 1024))
    );
}

#[tokio::test]
async fn rooms_media_then_confirm_posts_the_file_once() {
    let world = RcWorld::new().await;
    let room = &world.general;
    let (content_type, body) = multipart(&[("file", Some(("report.txt", "text/plain")), b"all good")]);
    let (status, stored) = send_raw(
        world
            .alice
            .request(Method::POST, &format!("/api/v1/rooms.media/{}", room.id))
            .header("Content-Type", content_type)
            .body(body),
    )
    .await;
    assert_eq!(status, 200, "{stored}");
    let file_id = stored["file"]["_id"].as_str().expect("a file id").to_owned();
    assert_eq!(
        stored,
        json!({"file": {"_id": file_id, "url": format!("/file-upload/{file_id}/report.txt")}, "success": true})
    );
    // Nothing is posted until the upload is confirmed.
    assert!(history(&world.bob, &room.id).await.is_empty());

    let confirm = |session: &RcSession, rid: &str, file_id: &str| {
        session.request(Method::POST, &format!("/api/v1/rooms.mediaConfirm/{rid}/{file_id}"))
    };
    // Someone else's upload, or one of another room, is not there to confirm.
    let (status, error) = send_raw(confirm(&world.bob, &room.id, &file_id).json(&json!({}))).await;
    assert_eq!(
        (status, error),
        (
            400,
            json!({"success": false, "error": "[invalid-file]", "errorType": "invalid-file"})
        )
    );
    let other = create_room(&world.alice, "other-room", &[]).await;
    let (status, _) = send_raw(confirm(&world.alice, &other.id, &file_id).json(&json!({}))).await;
    assert_eq!(status, 400);
    let (status, _) = send_raw(confirm(&world.alice, "no-such-room", &file_id).json(&json!({}))).await;
    assert_eq!(status, 403);

    let (status, answer) = send_raw(
        confirm(&world.alice, &room.id, &file_id).form(&[("msg", "the report"), ("description", "Tuesday's")]),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let message = &answer["message"];
    assert_eq!(message["msg"], "the report");
    assert_eq!(message["file"]["_id"], file_id);
    assert_eq!(message["attachments"][0]["description"], "Tuesday's");
    assert_eq!(
        history(&world.bob, &room.id)
            .await
            .iter()
            .map(|m| m.id.as_str())
            .collect::<Vec<_>>(),
        [message["_id"].as_str().unwrap()]
    );
    // A file is posted once.
    let (status, error) = send_raw(confirm(&world.alice, &room.id, &file_id)).await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("invalid-file")));

    // Without a body the message has no text.
    let (content_type, body) = multipart(&[("file", Some(("b.txt", "text/plain")), b"b")]);
    let (_, stored) = send_raw(
        world
            .bob
            .request(Method::POST, &format!("/api/v1/rooms.media/{}", room.id))
            .header("Content-Type", content_type)
            .body(body),
    )
    .await;
    let (status, answer) = send_raw(confirm(&world.bob, &room.id, stored["file"]["_id"].as_str().unwrap())).await;
    assert_eq!((status, answer["message"]["msg"].as_str()), (200, Some("")), "{answer}");
    // The upload's own refusals.
    let (content_type, body) = multipart(&[("msg", None, b"no file")]);
    let (status, error) = send_raw(
        world
            .bob
            .request(Method::POST, &format!("/api/v1/rooms.media/{}", room.id))
            .header("Content-Type", content_type)
            .body(body),
    )
    .await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("invalid-field")));
}

/// Every new call but `/api/info` needs a session, and says so in
/// Rocket.Chat's 401 shape, whatever the body.
#[tokio::test]
async fn every_call_but_info_needs_a_session() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let not_logged_in = json!({"success": false, "status": "error", "message": "You must be logged in to do this."});
    let calls = [
        (Method::POST, "/api/v1/logout"),
        (Method::GET, "/api/v1/users.info?username=admin"),
        (Method::POST, "/api/v1/im.create"),
        (Method::POST, "/api/v1/dm.create"),
        (Method::GET, "/api/v1/channels.list"),
        (Method::POST, "/api/v1/channels.join"),
        (Method::POST, "/api/v1/channels.leave"),
        (Method::POST, "/api/v1/channels.archive"),
        (Method::POST, "/api/v1/chat.update"),
        (Method::POST, "/api/v1/chat.delete"),
        (Method::POST, "/api/v1/chat.react"),
        (Method::POST, "/api/v1/rooms.upload/x"),
        (Method::POST, "/api/v1/rooms.media/x"),
        (Method::POST, "/api/v1/rooms.mediaConfirm/x/y"),
    ];
    for (method, path) in calls {
        let (status, body) = send_raw(
            http.request(method.clone(), format!("{}{path}", server.base))
                .json(&json!({"roomId": "x"})),
        )
        .await;
        assert_eq!((status, body), (401, not_logged_in.clone()), "{method} {path}");
    }
    let (status, _) = send_raw(http.get(format!("{}/api/info", server.base))).await;
    assert_eq!(status, 200);
}

/// The generated client's own multipart method (progenitor has none).
#[tokio::test]
async fn the_generated_client_uploads_a_file() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let room = create_room(&admin, "generated", &[]).await;
    let part = reqwest::multipart::Part::bytes(b"from the generated client".to_vec()).file_name("generated.txt");
    let answer = admin
        .client
        .rooms_upload(
            room.id.clone(),
            chathooks_rocketchat_client::multipart::RoomsUpload {
                file: Some(part),
                msg: Some("uploaded".into()),
                description: None,
                tmid: None,
            },
        )
        .await
        .expect("uploaded")
        .into_inner();
    assert!(*answer.success);
    assert_eq!(
        (answer.message.msg.as_str(), answer.message.rid.as_str()),
        ("uploaded", room.id.as_str())
    );
    let body = serde_json::to_value(&answer.message).unwrap();
    assert_eq!(body["file"]["name"], "generated.txt", "{body}");
    let file_id = body["file"]["_id"].as_str().unwrap();
    let stored = server.state.core.read().get_file_data(file_id).await.unwrap();
    assert_eq!(stored.as_deref(), Some(&b"from the generated client"[..]));
}
