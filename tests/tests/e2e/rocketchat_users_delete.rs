//! `users.delete`: only an administrator deletes an account, and what the
//! account leaves behind is decided once in the core: its credentials stop
//! at once, its messages and direct rooms go, its integrations are disabled,
//! and the Mattermost API still shows the record, as deleted.

use chathooks_tests::rocketchat::{RcSession, RcWorld, create_integration, create_user, post, send_raw};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(session: &RcSession, path: &str, body: Value) -> (u16, Value) {
    send_raw(session.request(Method::POST, path).json(&body)).await
}

async fn get(session: &RcSession, path: &str) -> (u16, Value) {
    send_raw(session.request(Method::GET, path)).await
}

#[tokio::test]
async fn an_administrator_deletes_an_account_and_what_it_leaves_behind() {
    let world = RcWorld::new().await;
    let alice_id = world.alice.user_id.clone();
    post(&world.alice, "#general", "alice was here").await;
    post(&world.bob, "#general", "bob stays").await;
    let (status, direct) = call(&world.alice, "/api/v1/im.create", json!({"username": "bob"})).await;
    assert_eq!(status, 200, "{direct}");
    let direct_id = direct["room"]["_id"].as_str().unwrap().to_owned();
    let integration = create_integration(
        &world.alice,
        json!({"type": "webhook-incoming", "name": "alice's", "enabled": true, "username": "alice",
            "channel": "#general", "scriptEnabled": false}),
    )
    .await;

    // A second user without `delete-user` may not, not even with the id.
    let (status, refused) = call(&world.bob, "/api/v1/users.delete", json!({"userId": alice_id})).await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["success"], false);
    let (status, _) = get(&world.alice, "/api/v1/me").await;
    assert_eq!(status, 200, "nothing happened to alice");

    let (status, done) = call(&world.admin, "/api/v1/users.delete", json!({"username": "alice"})).await;
    assert_eq!((status, &done), (200, &json!({"success": true})));

    // Her session stopped at once.
    let (status, _) = get(&world.alice, "/api/v1/me").await;
    assert_eq!(status, 401);
    // The Rocket.Chat API finds no such user, by id or by name.
    let (status, info) = get(&world.admin, &format!("/api/v1/users.info?userId={alice_id}")).await;
    assert_eq!(
        (status, info["error"].as_str()),
        (400, Some("User not found.")),
        "{info}"
    );
    let (status, info) = get(&world.admin, "/api/v1/users.info?username=alice").await;
    assert_eq!(
        (status, info["error"].as_str()),
        (400, Some("User not found.")),
        "{info}"
    );
    let (status, again) = call(&world.admin, "/api/v1/users.delete", json!({"userId": alice_id})).await;
    assert_eq!((status, again["errorType"].as_str()), (400, Some("error-invalid-user")));
    // The Mattermost API shows the record, deleted.
    let (status, record) = send_raw(
        world
            .admin
            .http
            .get(format!("{}/api/v4/users/{alice_id}", world.admin.base))
            .bearer_auth(&world.admin.token),
    )
    .await;
    assert_eq!(status, 200, "{record}");
    assert!(record["delete_at"].as_i64().is_some_and(|at| at > 0), "{record}");
    assert_ne!(record["username"], "alice");

    // Her messages went; bob's stayed.
    let (status, messages) = get(&world.bob, "/api/v1/channels.messages?roomId=GENERAL").await;
    assert_eq!(status, 200, "{messages}");
    let texts: Vec<&str> = messages["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["msg"].as_str())
        .collect();
    assert!(
        texts.contains(&"bob stays") && !texts.contains(&"alice was here"),
        "{texts:?}"
    );
    // Her direct room with bob went.
    let (status, _) = get(&world.bob, &format!("/api/v1/rooms.info?roomId={direct_id}")).await;
    assert_ne!(status, 200, "the direct room is gone");
    // Her integration stays, disabled.
    let (status, found) = get(
        &world.admin,
        &format!("/api/v1/integrations.get?integrationId={}", integration.id),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["integration"]["enabled"], false, "{found}");

    // The name is free again.
    let again = create_user(&world.server, &world.admin, "alice").await;
    assert_ne!(again.user_id, alice_id);
}

#[tokio::test]
async fn rocket_cat_unknown_users_and_empty_bodies_are_refused() {
    let world = RcWorld::new().await;
    let (status, cat) = call(&world.admin, "/api/v1/users.delete", json!({"username": "rocket.cat"})).await;
    assert_eq!(
        (status, cat["errorType"].as_str()),
        (400, Some("error-action-not-allowed")),
        "{cat}"
    );
    let (status, nobody) = call(&world.admin, "/api/v1/users.delete", json!({"userId": "nobody"})).await;
    assert_eq!(
        (status, nobody["errorType"].as_str()),
        (400, Some("error-invalid-user"))
    );
    let (status, empty) = call(&world.admin, "/api/v1/users.delete", json!({})).await;
    assert_eq!((status, empty["success"].as_bool()), (400, Some(false)), "{empty}");
}

/// Granting `delete-user` to every user lets bob delete an account, and
/// grants him nothing else: the server's settings stay the
/// administrators' (the permission is its own, not `manage_system`).
#[tokio::test]
async fn granting_delete_user_grants_only_that() {
    let world = RcWorld::new().await;
    let (status, body) = call(
        &world.admin,
        "/api/v1/permissions.update",
        json!({"permissions": [{"_id": "delete-user", "roles": ["admin", "user"]}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, settings) = call(
        &world.bob,
        "/api/v1/settings/Message_AllowEditing",
        json!({"value": false}),
    )
    .await;
    assert_eq!(status, 403, "settings are still the administrators': {settings}");
    let (status, deleted) = call(
        &world.bob,
        "/api/v1/users.delete",
        json!({"userId": world.alice.user_id}),
    )
    .await;
    assert_eq!(status, 200, "{deleted}");
    let (status, _) = get(&world.alice, "/api/v1/me").await;
    assert_eq!(status, 401, "alice's session ended with her account");
}
