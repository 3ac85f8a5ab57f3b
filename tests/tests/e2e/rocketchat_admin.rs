//! Rocket.Chat's default integration permissions, `permissions.*` and
//! `settings/{_id}`, and a second, hostile user: the integration
//! permissions are the admins' unless granted, a user may not post as
//! someone else, and every room an integration reaches is checked against
//! the poster's access, when it is created and when it runs.

use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{RcSession, admin, create_room, create_user, send_raw};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(session: &RcSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = session.request(method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    send_raw(request).await
}

fn incoming(username: &str, channel: &str) -> Value {
    json!({
        "type": "webhook-incoming",
        "name": "status",
        "enabled": true,
        "scriptEnabled": false,
        "username": username,
        "channel": channel,
    })
}

/// Give Rocket.Chat's `user` role the two own-integration permissions,
/// through `permissions.update` as an administrator would.
async fn grant_own(admin: &RcSession) {
    let (status, body) = call(
        admin,
        Method::POST,
        "/api/v1/permissions.update",
        Some(json!({"permissions": [
            {"_id": "manage-own-incoming-integrations", "roles": ["admin", "user"]},
            {"_id": "manage-own-outgoing-integrations", "roles": ["admin", "user"]},
        ]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn integration_permissions_are_the_admins_by_default() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let bob = create_user(&server, &admin, "bob").await;
    let (status, listed) = call(&bob, Method::GET, "/api/v1/permissions.listAll", None).await;
    assert_eq!(status, 200);
    for id in [
        "manage-incoming-integrations",
        "manage-own-incoming-integrations",
        "manage-outgoing-integrations",
        "manage-own-outgoing-integrations",
    ] {
        let found = listed["update"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["_id"] == json!(id))
            .unwrap();
        assert_eq!(found["roles"], json!(["admin"]), "{id}");
    }
    create_room(&admin, "town", &["bob"]).await;
    let (status, body) = call(
        &bob,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("bob", "#town")),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = call(&bob, Method::GET, "/api/v1/integrations.list", None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn permissions_update_grants_and_takes_away_at_once() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let bob = create_user(&server, &admin, "bob").await;
    create_room(&admin, "town", &["bob"]).await;

    // Only admins may change permissions; unknown ids and roles are refused.
    let (status, body) = call(
        &bob,
        Method::POST,
        "/api/v1/permissions.update",
        Some(json!({"permissions": [{"_id": "manage-own-incoming-integrations", "roles": ["user"]}]})),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = call(
        &admin,
        Method::POST,
        "/api/v1/permissions.update",
        Some(json!({"permissions": [{"_id": "no-such-permission", "roles": ["user"]}]})),
    )
    .await;
    assert_eq!((status, &body["errorType"]), (400, &json!("error-invalid-permission")));
    let (status, body) = call(
        &admin,
        Method::POST,
        "/api/v1/permissions.update",
        Some(json!({"permissions": [{"_id": "manage-own-incoming-integrations", "roles": ["pope"]}]})),
    )
    .await;
    assert_eq!((status, &body["errorType"]), (400, &json!("error-invalid-role")));

    let before = chrono_now_iso();
    grant_own(&admin).await;
    let (status, body) = call(
        &bob,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("bob", "#town")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, changed) = call(
        &bob,
        Method::GET,
        &format!("/api/v1/permissions.listAll?updatedSince={before}"),
        None,
    )
    .await;
    let ids: Vec<&str> = changed["update"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["_id"].as_str())
        .collect();
    assert!(ids.contains(&"manage-own-incoming-integrations"), "{changed}");
    assert!(!ids.contains(&"create-user"), "{changed}");
    let (status, _) = call(
        &bob,
        Method::GET,
        "/api/v1/permissions.listAll?updatedSince=yesterday",
        None,
    )
    .await;
    assert_eq!(status, 400);

    // Taken away: refused at once.
    let (status, _) = call(
        &admin,
        Method::POST,
        "/api/v1/permissions.update",
        Some(json!({"permissions": [{"_id": "manage-own-incoming-integrations", "roles": ["admin"]}]})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &bob,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("bob", "#town")),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}

/// Now, with `updatedSince` one second in the past (the server's clock).
fn chrono_now_iso() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 1;
    // Days since the epoch to a civil date (Howard Hinnant's algorithm).
    let days = (now / 86_400) as i64;
    let secs = now % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[tokio::test]
async fn a_user_with_own_permissions_cannot_reach_others_rooms() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let alice = create_user(&server, &admin, "alice").await;
    let bob = create_user(&server, &admin, "bob").await;
    grant_own(&admin).await;
    create_room(&admin, "town", &["alice", "bob"]).await;
    // A private room bob is not in.
    let (status, body) = call(
        &alice,
        Method::POST,
        "/api/v1/groups.create",
        Some(json!({"name": "secret"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Posting as someone else (the admin included): refused.
    let (status, body) = call(
        &bob,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("admin", "#town")),
    )
    .await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-invalid-user")),
        "{body}"
    );
    // Another user's direct messages: refused, for both kinds.
    let (status, body) = call(
        &bob,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("bob", "@alice")),
    )
    .await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-invalid-channel")),
        "{body}"
    );
    let outgoing = json!({
        "type": "webhook-outgoing", "name": "spy", "enabled": true, "scriptEnabled": false,
        "username": "bob", "channel": "@alice", "event": "sendMessage", "urls": ["https://example.com/x"],
    });
    let (status, body) = call(&bob, Method::POST, "/api/v1/integrations.create", Some(outgoing)).await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-invalid-channel")),
        "{body}"
    );

    // bob's own integration in #town, with destination overrides allowed.
    let mut own = incoming("bob", "#town");
    own["overrideDestinationChannelEnabled"] = json!(true);
    let (status, created) = call(&bob, Method::POST, "/api/v1/integrations.create", Some(own)).await;
    assert_eq!(status, 200, "{created}");
    let integration = &created["integration"];
    let hook = format!(
        "{}/hooks/{}/{}",
        server.base,
        integration["_id"].as_str().unwrap(),
        integration["token"].as_str().unwrap()
    );
    let run = |body: Value| {
        let hook = hook.clone();
        async move { send_raw(reqwest::Client::new().post(hook).json(&body)).await }
    };
    assert_eq!(run(json!({"text": "hi town"})).await.0, 200);
    // The payload may not send it where bob cannot post.
    let (status, body) = run(json!({"text": "hi alice", "channel": "@alice"})).await;
    assert_eq!(status, 200, "a direct message between bob and alice is bob's: {body}");
    let (status, body) = run(json!({"text": "leak", "channel": "#secret"})).await;
    assert_eq!((status, &body["error"]), (400, &json!("error-not-allowed")), "{body}");
    // alice's direct messages with the admin, by room id: not bob's to post in.
    let (status, dm) = call(
        &alice,
        Method::POST,
        "/api/v1/im.create",
        Some(json!({"username": "admin"})),
    )
    .await;
    assert_eq!(status, 200, "{dm}");
    let room_id = dm["room"]["_id"]
        .as_str()
        .or(dm["room"]["rid"].as_str())
        .unwrap()
        .to_owned();
    let (status, body) = run(json!({"text": "leak", "roomId": room_id})).await;
    assert_eq!((status, &body["error"]), (400, &json!("error-not-allowed")), "{body}");
}

#[tokio::test]
async fn settings_are_admin_only_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = chathooks_tests::persistent_database(dir.path());
    let server = TestServer::start_with(|config| config.database = database.clone()).await;
    let admin_session = admin(&server).await;
    let bob = create_user(&server, &admin_session, "bob").await;
    let path = "/api/v1/settings/Message_AllowEditing";
    let (status, _) = call(&bob, Method::POST, path, Some(json!({"value": false}))).await;
    assert_eq!(status, 403);
    let (status, _) = call(&admin_session, Method::GET, path, None).await;
    assert_eq!(status, 400, "never set");
    let (status, _) = call(&admin_session, Method::POST, path, Some(json!({"value": false}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(&bob, Method::GET, path, None).await;
    assert_eq!(status, 403);
    server.shutdown().await;

    let server = TestServer::start_with(|config| config.database = database.clone()).await;
    let admin_session = admin(&server).await;
    let (status, body) = call(&admin_session, Method::GET, path, None).await;
    assert_eq!((status, &body["value"]), (200, &json!(false)), "{body}");
    server.shutdown().await;
}

/// An integration whose user is not in its public room posts there and
/// joins it, as Rocket.Chat's webhook path does; into a private room it is
/// not in, it neither posts nor joins (Rocket.Chat's own suite asserts
/// both, "Additional Tests for Message Delivery Permissions").
#[tokio::test]
async fn a_poster_joins_a_public_room_to_post_but_never_a_private_one() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    // bob exists, in no room yet.
    let _bob = create_user(&server, &admin, "bob").await;
    let town = create_room(&admin, "town", &[]).await;
    let (status, created) = call(
        &admin,
        Method::POST,
        "/api/v1/groups.create",
        Some(json!({"name": "vault"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let vault_id = created["group"]["_id"].as_str().unwrap().to_owned();
    let hook_of = |integration: &Value| {
        format!(
            "{}/hooks/{}/{}",
            server.base,
            integration["_id"].as_str().unwrap(),
            integration["token"].as_str().unwrap()
        )
    };
    let members = |room_id: String, path: &'static str| {
        let admin = &admin;
        async move {
            let (status, body) =
                send_raw(admin.request(Method::GET, path).query(&[("roomId", room_id.as_str())])).await;
            assert_eq!(status, 200, "{body}");
            body["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["username"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };

    let (status, public) = call(
        &admin,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("bob", "#town")),
    )
    .await;
    assert_eq!(status, 200, "{public}");
    assert!(
        !members(town.id.clone(), "/api/v1/channels.members")
            .await
            .contains(&"bob".to_owned())
    );
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(hook_of(&public["integration"]))
            .json(&json!({"text": "hello town"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        members(town.id.clone(), "/api/v1/channels.members")
            .await
            .contains(&"bob".to_owned()),
        "bob joined #town to post"
    );

    let (status, private) = call(
        &admin,
        Method::POST,
        "/api/v1/integrations.create",
        Some(incoming("bob", "#vault")),
    )
    .await;
    assert_eq!(status, 200, "{private}");
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(hook_of(&private["integration"]))
            .json(&json!({"text": "let me in"})),
    )
    .await;
    assert_eq!((status, &body["error"]), (400, &json!("error-not-allowed")), "{body}");
    assert!(
        !members(vault_id.clone(), "/api/v1/groups.members")
            .await
            .contains(&"bob".to_owned()),
        "bob stays out of the private room"
    );
}
