//! Names per dialect in one namespace: the Rocket.Chat API accepts its own
//! default rule (`[0-9a-zA-Z-_.]+`) for usernames and room names and keeps
//! their case; names are unique without regard to case across both APIs;
//! Mattermost clients see them lowercased and find them by any case.

use chathooks_tests::rocketchat::{admin, login, send_raw};
use chathooks_tests::{TestServer, World};
use reqwest::Method;
use serde_json::{Value, json};

async fn users_create(server: &TestServer, username: &str) -> (u16, Value) {
    let admin = admin(server).await;
    send_raw(admin.request(Method::POST, "/api/v1/users.create").json(&json!({
        "email": format!("{}@example.com", username.to_lowercase()),
        "name": "Test User",
        "password": "password-1",
        "username": username,
    })))
    .await
}

#[tokio::test]
async fn rocketchat_usernames_follow_rocketchats_rule_and_keep_case() {
    let world = World::new().await;
    let server = &world.server;
    for name in ["user.test.1733480000000.abc", "Bob.Smith", "42"] {
        let (status, answer) = users_create(server, name).await;
        assert_eq!(status, 200, "{name}: {answer}");
        assert_eq!(answer["user"]["username"], name);
    }
    // One namespace, unique without regard to case.
    let admin = admin(server).await;
    let (status, answer) = send_raw(admin.request(Method::POST, "/api/v1/users.create").json(&json!({
        "email": "other@example.com", "name": "x", "password": "password-1", "username": "bob.smith",
    })))
    .await;
    assert_eq!((status, answer["success"].as_bool()), (400, Some(false)), "{answer}");
    // Outside Rocket.Chat's rule.
    for name in ["with space", "a/b", "#room", &"x".repeat(65)] {
        let (status, answer) = users_create(server, name).await;
        assert_eq!(
            (status, answer["errorType"].as_str()),
            (400, Some("error-invalid-username")),
            "{name}"
        );
    }

    // Logging in and looking up ignore case; the answer keeps it.
    let session = login(server, "bob.smith", "password-1").await;
    let (status, me) = send_raw(session.request(Method::GET, "/api/v1/me")).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("Bob.Smith")), "{me}");
    let (status, info) = send_raw(admin.request(Method::GET, "/api/v1/users.info?username=BOB.SMITH")).await;
    assert_eq!(
        (status, info["user"]["username"].as_str()),
        (200, Some("Bob.Smith")),
        "{info}"
    );

    // Mattermost clients see the name lowercased and find it by any case.
    for lookup in ["bob.smith", "Bob.Smith"] {
        let response = reqwest::Client::new()
            .get(format!("{}/api/v4/users/username/{lookup}", server.base))
            .bearer_auth(&world.admin.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{lookup}");
        let user: Value = response.json().await.unwrap();
        assert_eq!(user["username"], "bob.smith");
    }
    // A name Mattermost's own rule refuses (27 characters) is still found, lowercased.
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v4/users/username/user.test.1733480000000.abc",
            server.base
        ))
        .bearer_auth(&world.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A Mattermost client cannot take the name in another case either.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/users", server.base))
        .bearer_auth(&world.admin.token)
        .json(&json!({"username": "BOB.SMITH", "email": "b2@example.com", "password": "password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn rocketchat_room_names_keep_case_and_dots() {
    let world = World::new().await;
    let admin = admin(&world.server).await;
    let create = |name: &str| {
        send_raw(
            admin
                .request(Method::POST, "/api/v1/channels.create")
                .json(&json!({"name": name})),
        )
    };
    let (status, answer) = create("Room.With.Dots").await;
    assert_eq!(
        (status, answer["channel"]["name"].as_str()),
        (200, Some("Room.With.Dots")),
        "{answer}"
    );
    let (status, answer) = create("room.with.dots").await;
    assert_eq!(
        (status, answer["errorType"].as_str()),
        (400, Some("error-duplicate-channel-name")),
        "{answer}"
    );
    let (status, answer) = create("no spaces allowed").await;
    assert_eq!(
        (status, answer["errorType"].as_str()),
        (400, Some("error-invalid-room-name"))
    );
    // channels.info by name ignores case.
    let (status, info) = send_raw(admin.request(Method::GET, "/api/v1/channels.info?roomName=ROOM.WITH.DOTS")).await;
    assert_eq!(
        (status, info["channel"]["name"].as_str()),
        (200, Some("Room.With.Dots")),
        "{info}"
    );
    // The Mattermost API shows the room's name lowercased.
    let id = info["channel"]["_id"].as_str().unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}/api/v4/channels/{id}", world.server.base))
        .bearer_auth(&world.admin.token)
        .send()
        .await
        .unwrap();
    let channel: Value = response.json().await.unwrap();
    assert_eq!(channel["name"], "room.with.dots");
}
