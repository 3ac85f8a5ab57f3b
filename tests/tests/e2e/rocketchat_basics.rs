//! The Rocket.Chat API's users, sessions, rooms and messages, through the
//! generated Rocket.Chat client against the running server; sharing of users,
//! sessions, channels and posts with the Mattermost API on the same port; and
//! how refused requests are answered.

use chathooks_mattermost_types as mm;
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

#[tokio::test]
async fn login_and_me() {
    let server = TestServer::start().await;
    let anonymous = chathooks_rocketchat_client::Client::new(&server.base);
    for body in [
        json!({"user": "admin", "password": ADMIN_PASSWORD}),
        json!({"username": "admin", "password": ADMIN_PASSWORD}),
        json!({"user": "ADMIN@chathooks.localhost", "password": ADMIN_PASSWORD}),
    ] {
        let answer = anonymous
            .login()
            .body(typed::<types::LoginBody>(body))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.status, types::LoginResponseStatus::Success);
        assert_eq!(answer.data.me.username, "admin");
        assert_eq!(answer.data.me.id, answer.data.user_id);
        assert_eq!(answer.data.auth_token.len(), 48);
    }

    let admin = admin(&server).await;
    let me = admin.client.me().send().await.unwrap().into_inner();
    assert_eq!(me.username, ADMIN);
    assert_eq!(me.roles, ["admin", "user"]);
    assert_eq!(me.active, Some(true));
    assert!(*me.success);
}

/// Ten wrong passwords in a row lock the account (the count Mattermost's
/// `MaximumLoginAttempts` keeps, shared by both APIs): the eleventh attempt and
/// then the right password are refused with Rocket.Chat's lockout error.
#[tokio::test]
async fn ten_wrong_passwords_lock_the_account() {
    let server = TestServer::start().await;
    let attempt = |password: &str| {
        send_raw(
            reqwest::Client::new()
                .post(format!("{}/api/v1/login", server.base))
                .json(&json!({"user": ADMIN, "password": password})),
        )
    };
    for _ in 0..10 {
        let (status, body) = attempt("wrong").await;
        assert_eq!((status, body["error"].as_str()), (401, Some("Unauthorized")));
    }
    let locked = json!({
        "status": "error",
        "error": "error-login-blocked-for-user",
        "message": "Login has been temporarily blocked For User",
    });
    assert_eq!(attempt("wrong").await, (401, locked.clone()));
    assert_eq!(attempt(ADMIN_PASSWORD).await, (401, locked));
}

/// The failure count is per account and in the database: failures through
/// the Mattermost API count here, and a success clears them.
#[tokio::test]
async fn a_successful_login_clears_the_failures_of_both_apis() {
    let server = TestServer::start().await;
    let rc_attempt = |password: &str| {
        send_raw(
            reqwest::Client::new()
                .post(format!("{}/api/v1/login", server.base))
                .json(&json!({"user": ADMIN, "password": password})),
        )
    };
    let mm_attempt = |password: &str| {
        send_raw(
            reqwest::Client::new()
                .post(format!("{}/api/v4/users/login", server.base))
                .json(&json!({"login_id": ADMIN, "password": password})),
        )
    };
    for _ in 0..2 {
        for _ in 0..5 {
            assert_eq!(mm_attempt("wrong").await.0, 401);
        }
        for _ in 0..4 {
            assert_eq!(rc_attempt("wrong").await.0, 401);
        }
        assert_eq!(rc_attempt(ADMIN_PASSWORD).await.0, 200, "nine failures do not lock");
    }
    for _ in 0..5 {
        assert_eq!(mm_attempt("wrong").await.0, 401);
    }
    for _ in 0..5 {
        assert_eq!(rc_attempt("wrong").await.0, 401);
    }
    let (status, body) = rc_attempt(ADMIN_PASSWORD).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("error-login-blocked-for-user"))
    );
}

#[tokio::test]
async fn refused_logins_and_sessions_have_rocketchat_shapes() {
    let server = TestServer::start().await;
    let anonymous = chathooks_rocketchat_client::Client::new(&server.base);
    let wrong = anonymous
        .login()
        .body(typed::<types::LoginBody>(json!({"user": "admin", "password": "wrong"})))
        .send()
        .await;
    assert_eq!(
        error_of(wrong).await,
        (
            401,
            json!({"status": "error", "error": "Unauthorized", "message": "Unauthorized"})
        )
    );
    let nobody = anonymous
        .login()
        .body(typed::<types::LoginBody>(json!({"user": "nobody", "password": "x"})))
        .send()
        .await;
    assert_eq!(error_of(nobody).await.0, 401);
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(format!("{}/api/v1/login", server.base))
            .json(&json!({"user": "admin"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({
                "success": false,
                "error": "must have required property 'password' [invalid-params]",
                "errorType": "invalid-params",
            })
        )
    );
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(format!("{}/api/v1/login", server.base))
            .json(&json!({"password": "x"})),
    )
    .await;
    assert_eq!((status, body["errorType"].as_str()), (400, Some("invalid-params")));

    let not_logged_in = json!({"success": false, "status": "error", "message": "You must be logged in to do this."});
    assert_eq!(
        error_of(anonymous.me().send().await).await,
        (401, not_logged_in.clone())
    );
    let admin = admin(&server).await;
    // Only one of the two headers.
    let (status, body) = send_raw(
        reqwest::Client::new()
            .get(format!("{}/api/v1/me", server.base))
            .header("X-Auth-Token", &admin.token),
    )
    .await;
    assert_eq!((status, body), (401, not_logged_in.clone()));
    let bad_token = RcSession::new(&server.base, "not-a-token", &admin.user_id, ADMIN);
    assert_eq!(
        error_of(bad_token.client.me().send().await).await,
        (401, not_logged_in.clone())
    );
    // A real token with someone else's id.
    let alice = create_user(&server, &admin, "alice").await;
    let mixed = RcSession::new(&server.base, &admin.token, &alice.user_id, ADMIN);
    assert_eq!(error_of(mixed.client.me().send().await).await, (401, not_logged_in));
}

/// One session table: a Mattermost token works as `X-Auth-Token`, and a
/// Rocket.Chat token as a Mattermost bearer token.
#[tokio::test]
async fn sessions_are_shared_with_the_mattermost_api() {
    let server = TestServer::start().await;
    let mm_session = server.admin().await;
    let from_mm = RcSession::new(&server.base, &mm_session.token, &mm_session.user.id, ADMIN);
    let me = from_mm.client.me().send().await.unwrap().into_inner();
    assert_eq!(me.id, mm_session.user.id);

    let rc_session = login(&server, ADMIN, ADMIN_PASSWORD).await;
    let mm_me = server
        .client_with_token(&rc_session.token)
        .get_me()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mm_me.id, rc_session.user_id);
    assert_eq!(mm_me.username, "admin");
}

#[tokio::test]
async fn users_create() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let created = admin
        .client
        .users_create()
        .body(typed::<types::UsersCreateBody>(json!({
            "email": "Bot@Example.com",
            "name": "Webhook Bot",
            "password": "secret-pw",
            "username": "webhook.bot",
            "roles": ["admin"],
            "verified": true,
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.user.username, "webhook.bot");
    assert_eq!(created.user.name.as_deref(), Some("Webhook Bot"));
    assert_eq!(created.user.roles, ["admin", "user"]);
    assert_eq!(created.user.emails[0].address, "bot@example.com");
    assert_eq!(created.user.emails[0].verified, Some(true));
    // The account works through both APIs.
    let bot = login(&server, "webhook.bot", "secret-pw").await;
    assert_eq!(bot.user_id, created.user.id);
    let mm_bot = server.login("webhook.bot", "secret-pw").await;
    assert_eq!(mm_bot.user.roles, "system_admin system_user");

    let alice = create_user(&server, &admin, "alice").await;
    let refused = alice
        .client
        .users_create()
        .body(typed::<types::UsersCreateBody>(json!({
            "email": "x@example.com", "name": "X", "password": "secret-pw", "username": "xavier",
        })))
        .send()
        .await;
    assert_eq!(
        error_of(refused).await,
        (
            403,
            json!({
                "success": false,
                "error": "User does not have the permissions required for this action [error-unauthorized]",
            })
        )
    );

    let cases = [
        (
            json!({"email": "a2@example.com", "name": "A", "password": "secret-pw", "username": "alice"}),
            "error-field-unavailable",
        ),
        (
            json!({"email": "alice@example.com", "name": "A", "password": "secret-pw", "username": "alice2"}),
            "error-field-unavailable",
        ),
        (
            json!({"email": "z@example.com", "name": "Z", "password": "secret-pw", "username": "Not Valid"}),
            "error-invalid-username",
        ),
        (
            json!({"email": "nope", "name": "Z", "password": "secret-pw", "username": "zed"}),
            "error-invalid-email",
        ),
        (
            json!({"email": "z@example.com", "name": "Z", "password": "abc", "username": "zed"}),
            "error-invalid-password",
        ),
    ];
    for (body, error_type) in cases {
        let result = admin
            .client
            .users_create()
            .body(typed::<types::UsersCreateBody>(body))
            .send()
            .await;
        let (status, error) = error_of(result).await;
        assert_eq!(
            (status, error["errorType"].as_str()),
            (400, Some(error_type)),
            "{error}"
        );
        assert_eq!(error["success"], false);
    }
    let (status, error) = send_raw(
        admin
            .request(Method::POST, "/api/v1/users.create")
            .json(&json!({"name": "Z", "password": "secret-pw", "username": "zed"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "must have required property 'email' [invalid-params]");
}

#[tokio::test]
async fn rooms_are_channels_of_a_rocketchat_team() {
    let world = RcWorld::new().await;
    // A plain user may create public rooms.
    let room = create_room(&world.alice, "random", &["bob"]).await;
    assert_eq!(room.t, types::RoomT::C);
    assert_eq!(room.name.as_deref(), Some("random"));
    assert_eq!(room.users_count, Some(2));
    assert_eq!(
        room.u.as_ref().map(|u| u.id.as_str()),
        Some(world.alice.user_id.as_str())
    );

    let info = world
        .bob
        .client
        .channels_info()
        .room_name("random")
        .send()
        .await
        .unwrap()
        .into_inner()
        .channel;
    assert_eq!(info.id, room.id);
    let by_id = world
        .bob
        .client
        .channels_info()
        .room_id(&room.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_id.channel.name.as_deref(), Some("random"));

    // The Mattermost API sees the same channel, in the `rocketchat` team.
    let mm_admin = world.server.admin().await;
    let team = mm_admin
        .client
        .get_team_by_name()
        .name("rocketchat")
        .send()
        .await
        .unwrap()
        .into_inner();
    let channel = mm_admin
        .client
        .get_channel_by_name()
        .team_id(&team.id)
        .channel_name("random")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(channel.id, room.id);

    let cases = [
        (json!({"name": "random"}), "error-duplicate-channel-name"),
        (json!({"name": "Has Spaces"}), "error-invalid-room-name"),
        (json!({"name": "fresh", "members": ["nobody"]}), "error-invalid-user"),
    ];
    for (body, error_type) in cases {
        let result = world
            .alice
            .client
            .channels_create()
            .body(typed::<types::ChannelsCreateBody>(body))
            .send()
            .await;
        let (status, error) = error_of(result).await;
        assert_eq!(
            (status, error["errorType"].as_str()),
            (400, Some(error_type)),
            "{error}"
        );
    }
    for result in [
        world.bob.client.channels_info().room_name("missing").send().await,
        world.bob.client.channels_info().send().await,
    ] {
        let (status, error) = error_of(result).await;
        assert_eq!(
            (status, error["errorType"].as_str()),
            (400, Some("error-room-not-found"))
        );
    }
}

/// A Mattermost private channel, for access checks.
async fn mm_private_channel(server: &TestServer, name: &str) -> mm::Channel {
    let mm_admin = server.admin().await;
    let team = mm_admin
        .client
        .create_team()
        .body(mm::CreateTeamBody {
            name: "core".into(),
            display_name: "Core".into(),
            type_: mm::CreateTeamBodyType::O,
            description: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    chathooks_tests::create_channel(&mm_admin, &team.id, name, mm::CreateChannelBodyType::P).await
}

#[tokio::test]
async fn chat_post_message() {
    let world = RcWorld::new().await;
    let by_name = post(&world.alice, "#general", "hello by name").await;
    assert_eq!(by_name.rid, world.general.id);
    assert_eq!(by_name.u.username.as_deref(), Some("alice"));
    assert!(by_name.bot.is_empty());
    let answer = world
        .bob
        .client
        .chat_post_message()
        .body(typed::<types::ChatPostMessageBody>(
            json!({"roomId": world.general.id, "text": "by id"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.channel, world.general.id);
    assert_eq!(answer.message.msg, "by id");
    assert!(answer.ts > 0);

    // `@user`: the direct-message room of the two, the same both ways.
    let direct = post(&world.alice, "@bob", "psst").await;
    let back = post(&world.bob, "@alice", "hi").await;
    assert_eq!(direct.rid, back.rid);
    assert_ne!(direct.rid, world.general.id);

    // Only holders of message-impersonate may set an alias.
    let with_alias = json!({"channel": "#general", "text": "x", "alias": "Someone"});
    let refused = world
        .alice
        .client
        .chat_post_message()
        .body(typed::<types::ChatPostMessageBody>(with_alias.clone()))
        .send()
        .await;
    let (status, error) = error_of(refused).await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
    // Rocket.Chat gives message-impersonate to bots, not admins: grant it.
    let (status, _) = send_raw(
        world
            .admin
            .request(Method::POST, "/api/v1/permissions.update")
            .json(&json!({"permissions": [{"_id": "message-impersonate", "roles": ["admin", "bot"]}]})),
    )
    .await;
    assert_eq!(status, 200);
    let aliased = world
        .admin
        .client
        .chat_post_message()
        .body(typed::<types::ChatPostMessageBody>(with_alias))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(aliased.message.alias.as_deref(), Some("Someone"));

    let secret = mm_private_channel(&world.server, "secret").await;
    let cases = [
        (json!({"channel": "#missing", "text": "x"}), "error-invalid-channel"),
        (json!({"channel": "@nobody", "text": "x"}), "error-invalid-channel"),
        (json!({"text": "x"}), "error-invalid-channel"),
        (json!({"channel": "#general"}), "error-invalid-params"),
        (json!({"roomId": secret.id, "text": "x"}), "error-not-allowed"),
    ];
    for (body, error_type) in cases {
        let result = world
            .alice
            .client
            .chat_post_message()
            .body(typed::<types::ChatPostMessageBody>(body))
            .send()
            .await;
        let (status, error) = error_of(result).await;
        assert_eq!(
            (status, error["errorType"].as_str()),
            (400, Some(error_type)),
            "{error}"
        );
    }
    // Admins may post anywhere.
    let admin_post = world
        .admin
        .client
        .chat_post_message()
        .body(typed::<types::ChatPostMessageBody>(
            json!({"roomId": secret.id, "text": "x"}),
        ))
        .send()
        .await;
    assert!(admin_post.is_ok());
}

#[tokio::test]
async fn channels_history_and_posts_shared_with_mattermost() {
    let world = RcWorld::new().await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(post(&world.alice, "#general", &format!("message {i}")).await);
    }
    // A post made through the Mattermost API is a message too.
    let mm_alice = world.server.login("alice", "alice-password").await;
    mm_alice
        .client
        .create_post()
        .body(mm::CreatePostBody {
            channel_id: world.general.id.clone(),
            message: "from mattermost".into(),
            file_ids: Vec::new(),
            props: Default::default(),
            root_id: None,
        })
        .send()
        .await
        .unwrap();
    let messages = history(&world.bob, &world.general.id).await;
    let texts: Vec<&str> = messages.iter().map(|m| m.msg.as_str()).collect();
    assert_eq!(
        texts,
        [
            "from mattermost",
            "message 4",
            "message 3",
            "message 2",
            "message 1",
            "message 0"
        ]
    );
    // And the Mattermost API sees the Rocket.Chat messages.
    let posts = mm_alice
        .client
        .get_posts_for_channel()
        .channel_id(&world.general.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(posts.posts.contains_key(&sent[0].id));

    let page = world
        .bob
        .client
        .channels_history()
        .room_id(&world.general.id)
        .offset(1)
        .count(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    let texts: Vec<&str> = page.messages.iter().map(|m| m.msg.as_str()).collect();
    assert_eq!(texts, ["message 4", "message 3"]);
    // A window in time, bounded by the messages' own timestamps.
    let window = world
        .bob
        .client
        .channels_history()
        .room_id(&world.general.id)
        .oldest(sent[1].ts)
        .latest(sent[3].ts)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(window.messages.iter().all(|m| m.ts >= sent[1].ts && m.ts <= sent[3].ts));
    assert!(window.messages.iter().any(|m| m.id == sent[2].id));

    let (status, error) = send_raw(world.bob.request(
        Method::GET,
        &format!("/api/v1/channels.history?roomId={}&latest=yesterday", world.general.id),
    ))
    .await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("invalid-params")));
    let missing = world.bob.client.channels_history().room_id("nope").send().await;
    let (status, error) = error_of(missing).await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-room-not-found"))
    );
}

/// Both APIs on one port: `/hooks/{hook_id}` is Mattermost's,
/// `/hooks/{hook_id}/{token}` Rocket.Chat's, and each answers in its own format.
#[tokio::test]
async fn hook_paths_of_both_apis_coexist() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let (status, mattermost) = send_raw(
        http.post(format!("{}/hooks/{}", server.base, "a".repeat(26)))
            .json(&json!({"text": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(mattermost["id"], "web.incoming_webhook.invalid.app_error");
    let (status, rocketchat) = send_raw(
        http.post(format!("{}/hooks/{}/{}", server.base, "a".repeat(17), "b".repeat(48)))
            .json(&json!({"text": "x"})),
    )
    .await;
    assert_eq!(
        (status, rocketchat),
        (
            404,
            json!({"success": false, "error": "Invalid integration id or token provided."})
        )
    );
    // An unknown path answers in the shape of the API its prefix names.
    let (status, unknown) = send_raw(http.get(format!("{}/api/v1/nothing.here", server.base))).await;
    assert_eq!(
        (status, unknown),
        (
            404,
            json!({"status": "error", "message": "API endpoint does not exist"})
        )
    );
    let (status, unknown) = send_raw(http.get(format!("{}/hooks/a/b/c", server.base))).await;
    assert_eq!(status, 404);
    assert_eq!(unknown["id"], "api.context.404.app_error");
}

#[tokio::test]
async fn refused_requests_are_invalid_params() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 4096).await;
    let admin = admin(&server).await;
    let (status, error) = send_raw(
        admin
            .request(Method::POST, "/api/v1/integrations.remove")
            .json(&json!({"integrationId": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    insta::assert_json_snapshot!("rocketchat_invalid_params", error);

    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            admin.request(Method::GET, "/api/v1/integrations.get"),
            400,
            "must have required property 'integrationId' [invalid-params]",
        ),
        (
            admin
                .request(Method::POST, "/api/v1/integrations.remove")
                .json(&json!({"type": "webhook-incoming", "extra": 1})),
            400,
            "must NOT have additional properties [invalid-params]",
        ),
        (
            admin
                .request(Method::POST, "/api/v1/integrations.remove")
                .json(&json!({"type": "webhook-sideways"})),
            400,
            "must be equal to one of the allowed values [invalid-params]",
        ),
        (
            admin
                .request(Method::POST, "/api/v1/channels.create")
                .json(&json!({"name": "x", "readOnly": "yes"})),
            400,
            "must be boolean [invalid-params]",
        ),
    ];
    for (request, expected_status, expected_error) in cases {
        let (status, error) = send_raw(request).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (expected_status, Some(expected_error))
        );
        assert_eq!(error["errorType"], "invalid-params");
        assert_eq!(error["success"], false);
    }
    let (status, error) = send_raw(
        admin
            .request(Method::POST, "/api/v1/channels.create")
            .header("Content-Type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("invalid-params")));
    let (status, error) = send_raw(
        admin
            .request(Method::POST, "/api/v1/channels.create")
            .header("Content-Type", "application/xml")
            .body("<x/>"),
    )
    .await;
    assert_eq!((status, error["success"].as_bool()), (415, Some(false)));
    let (status, _) = send_raw(
        admin
            .request(Method::POST, "/api/v1/channels.create")
            .json(&json!({"name": "x".repeat(10_000)})),
    )
    .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn unknown_routes_answer_in_each_apis_shape() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    for path in ["/api/v1/nothing.here", "/api/v1"] {
        let response = http.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({"status": "error", "message": "API endpoint does not exist"}),
            "{path}"
        );
    }
    // A prefix that only looks alike is Mattermost's.
    let response = http.get(format!("{}/api/v10/x", server.base)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], "api.context.404.app_error");
}
