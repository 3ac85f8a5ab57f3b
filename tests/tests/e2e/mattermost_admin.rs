//! Mattermost's roles, configuration switches and owner checks: the default
//! roles hold what Mattermost ships them with, an administrator changes them
//! through `/api/v4/roles` and `/api/v4/config`, and the hook endpoints then
//! answer as Mattermost does. Raw HTTP, to see statuses and error ids.

use chathooks_tests::{ADMIN, ADMIN_PASSWORD, Session, TestServer, World, create_user};
use reqwest::Method;
use serde_json::{Value, json};

/// One request as `session`, answered as (status, JSON body).
async fn call(server: &TestServer, session: &Session, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(&session.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn id_of(body: &Value) -> &str {
    body["id"].as_str().unwrap_or_default()
}

/// A server with a team, its admin, and `alice`, a plain member, with no
/// permission granted beyond the defaults.
async fn fresh_team() -> (TestServer, Session, Session, String, String) {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let (_, team) = call(
        &server,
        &admin,
        Method::POST,
        "/api/v4/teams",
        Some(json!({"name": "ops", "display_name": "Ops", "type": "O"})),
    )
    .await;
    let team_id = team["id"].as_str().unwrap().to_owned();
    let alice = create_user(&server, &admin, "alice").await;
    call(
        &server,
        &admin,
        Method::POST,
        &format!("/api/v4/teams/{team_id}/members"),
        Some(json!({"team_id": team_id, "user_id": alice.user.id})),
    )
    .await;
    let (_, channel) = call(
        &server,
        &admin,
        Method::POST,
        "/api/v4/channels",
        Some(json!({"team_id": team_id, "name": "builds", "display_name": "Builds", "type": "O"})),
    )
    .await;
    let channel_id = channel["id"].as_str().unwrap().to_owned();
    (server, admin, alice, team_id, channel_id)
}

#[tokio::test]
async fn default_roles_hold_no_webhook_permission_for_members() {
    let (server, admin, alice, team_id, channel_id) = fresh_team().await;
    let (status, role) = call(&server, &alice, Method::GET, "/api/v4/roles/name/team_user", None).await;
    assert_eq!(status, 200);
    let held: Vec<&str> = role["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(!held.iter().any(|p| p.contains("webhook")), "team_user holds {held:?}");
    let (_, role) = call(&server, &alice, Method::GET, "/api/v4/roles/name/team_admin", None).await;
    let held: Vec<&str> = role["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(held.contains(&"manage_own_incoming_webhooks") && held.contains(&"manage_others_outgoing_webhooks"));

    // A plain member is refused on create and on both lists.
    let (status, error) = call(
        &server,
        &alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(json!({"channel_id": channel_id})),
    )
    .await;
    assert_eq!((status, id_of(&error)), (403, "api.context.permissions.app_error"));
    let (status, _) = call(&server, &alice, Method::GET, "/api/v4/hooks/incoming", None).await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &server,
        &alice,
        Method::GET,
        &format!("/api/v4/hooks/outgoing?team_id={team_id}"),
        None,
    )
    .await;
    assert_eq!(status, 403);
    // The admin may.
    let (status, _) = call(
        &server,
        &admin,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(json!({"channel_id": channel_id})),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_permission_granted_then_taken_away_through_the_roles_api() {
    let (server, admin, alice, _team_id, channel_id) = fresh_team().await;
    let (_, role) = call(&server, &admin, Method::GET, "/api/v4/roles/name/team_user", None).await;
    let role_id = role["id"].as_str().unwrap().to_owned();
    let mut held: Vec<Value> = role["permissions"].as_array().unwrap().clone();
    held.push(json!("manage_own_incoming_webhooks"));

    // Only a system admin may patch.
    let (status, error) = call(
        &server,
        &alice,
        Method::PUT,
        &format!("/api/v4/roles/{role_id}/patch"),
        Some(json!({"permissions": held})),
    )
    .await;
    assert_eq!((status, id_of(&error)), (403, "api.context.permissions.app_error"));

    let (status, patched) = call(
        &server,
        &admin,
        Method::PUT,
        &format!("/api/v4/roles/{role_id}/patch"),
        Some(json!({"permissions": held})),
    )
    .await;
    assert_eq!(status, 200, "{patched}");
    let create = json!({"channel_id": channel_id});
    let (status, hook) = call(
        &server,
        &alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(create.clone()),
    )
    .await;
    assert_eq!(status, 201, "{hook}");

    // Taken away: refused at once, as Mattermost refuses it.
    let (status, _) = call(
        &server,
        &admin,
        Method::PUT,
        &format!("/api/v4/roles/{role_id}/patch"),
        Some(json!({"permissions": ["view_team"]})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, error) = call(&server, &alice, Method::POST, "/api/v4/hooks/incoming", Some(create)).await;
    assert_eq!((status, id_of(&error)), (403, "api.context.permissions.app_error"));
    let (status, _) = call(
        &server,
        &alice,
        Method::GET,
        &format!("/api/v4/hooks/incoming/{}", id_of(&hook)),
        None,
    )
    .await;
    assert_eq!(status, 403);

    // Unknown roles: 404.
    let (status, _) = call(&server, &admin, Method::GET, "/api/v4/roles/name/no_such_role", None).await;
    assert_eq!(status, 404);
    let (status, roles) = call(
        &server,
        &admin,
        Method::POST,
        "/api/v4/roles/names",
        Some(json!(["team_user", "no_such_role", "system_admin"])),
    )
    .await;
    assert_eq!((status, roles.as_array().map(Vec::len)), (200, Some(2)));
}

#[tokio::test]
async fn team_admins_manage_hooks_after_the_member_roles_change() {
    let (server, admin, alice, team_id, channel_id) = fresh_team().await;
    let path = format!("/api/v4/teams/{team_id}/members/{}/roles", alice.user.id);
    let (status, _) = call(
        &server,
        &alice,
        Method::PUT,
        &path,
        Some(json!({"roles": "team_user team_admin"})),
    )
    .await;
    assert_eq!(status, 403, "a member may not promote themselves");
    let (status, _) = call(
        &server,
        &admin,
        Method::PUT,
        &path,
        Some(json!({"roles": "team_user team_pope"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &server,
        &admin,
        Method::PUT,
        &path,
        Some(json!({"roles": "team_user team_admin"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &server,
        &alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(json!({"channel_id": channel_id})),
    )
    .await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn disabled_webhooks_answer_501_and_the_switch_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = chathooks_tests::persistent_database(dir.path());
    let server = TestServer::start_with(|config| config.database = database.clone()).await;
    let world = World::build(server).await;
    let server = &world.server;
    let (status, hook) = call(
        server,
        &world.admin,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(json!({"channel_id": world.open_channel.id})),
    )
    .await;
    assert_eq!(status, 201);
    let hook_id = id_of(&hook).to_owned();

    let (status, error) = call(server, &world.member, Method::GET, "/api/v4/config", None).await;
    assert_eq!((status, id_of(&error)), (403, "api.context.permissions.app_error"));
    let (status, config) = call(
        server,
        &world.admin,
        Method::PUT,
        "/api/v4/config/patch",
        Some(json!({"ServiceSettings": {"EnableIncomingWebhooks": false}, "TeamSettings": {"SiteName": "Stand-in"}})),
    )
    .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["ServiceSettings"]["EnableIncomingWebhooks"], json!(false));

    let post = reqwest::Client::new()
        .post(format!("{}/hooks/{hook_id}", server.base))
        .json(&json!({"text": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 501);
    let error: Value = post.json().await.unwrap();
    assert_eq!(id_of(&error), "api.incoming_webhook.disabled.app_error");
    let (status, error) = call(server, &world.admin, Method::GET, "/api/v4/hooks/incoming", None).await;
    assert_eq!(
        (status, id_of(&error)),
        (501, "api.incoming_webhook.disabled.app_error")
    );

    // Restart on the same database: still off, the rest kept as given.
    let World { server, .. } = world;
    server.shutdown().await;
    let server = TestServer::start_with(|config| config.database = database.clone()).await;
    let admin = server.login(ADMIN, ADMIN_PASSWORD).await;
    let (_, config) = call(&server, &admin, Method::GET, "/api/v4/config", None).await;
    assert_eq!(config["ServiceSettings"]["EnableIncomingWebhooks"], json!(false));
    assert_eq!(config["TeamSettings"]["SiteName"], json!("Stand-in"));
    let (status, _) = call(&server, &admin, Method::GET, "/api/v4/hooks/incoming", None).await;
    assert_eq!(status, 501);
    server.shutdown().await;
}

#[tokio::test]
async fn with_overrides_off_hooks_post_as_their_owner_and_updates_clear_them() {
    let world = World::new().await;
    let server = &world.server;
    let admin = &world.admin;
    // Off on a fresh server, as Mattermost ships them; bot creation too.
    let (status, config) = call(server, admin, Method::GET, "/api/v4/config", None).await;
    assert_eq!(status, 200);
    let service = &config["ServiceSettings"];
    assert_eq!(
        (
            &service["EnablePostUsernameOverride"],
            &service["EnablePostIconOverride"],
            &service["EnableBotAccountCreation"],
            &service["EnableCommands"],
        ),
        (&json!(false), &json!(false), &json!(false), &json!(true))
    );
    let (status, hook) = call(
        server,
        admin,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(json!({"channel_id": world.open_channel.id, "username": "ci", "icon_url": "https://example.com/i.png"})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        (hook["username"].as_str(), hook["icon_url"].as_str()),
        (Some(""), Some(""))
    );
    let mut update = hook.clone();
    update["username"] = json!("ci");
    let (status, updated) = call(
        server,
        admin,
        Method::PUT,
        &format!("/api/v4/hooks/incoming/{}", id_of(&hook)),
        Some(update),
    )
    .await;
    assert_eq!(status, 201, "{updated}");
    assert_eq!(updated["username"], json!(""));

    reqwest::Client::new()
        .post(format!("{}/hooks/{}", server.base, id_of(&hook)))
        .json(&json!({"text": "as myself", "username": "mallory-bot"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let (_, posts) = call(
        server,
        admin,
        Method::GET,
        &format!("/api/v4/channels/{}/posts", world.open_channel.id),
        None,
    )
    .await;
    let post = posts["posts"]
        .as_object()
        .unwrap()
        .values()
        .find(|p| p["message"] == json!("as myself"))
        .expect("the hook's post");
    assert!(post["props"].get("override_username").is_none(), "{post}");
}

#[tokio::test]
async fn owners_named_by_a_team_admin_are_checked() {
    let world = World::new().await;
    let server = &world.server;
    // alice becomes a team admin (she may then name other owners).
    let path = format!("/api/v4/teams/{}/members/{}/roles", world.team.id, world.member.user.id);
    let (status, _) = call(
        server,
        &world.admin,
        Method::PUT,
        &path,
        Some(json!({"roles": "team_user team_admin"})),
    )
    .await;
    assert_eq!(status, 200);
    let alice = &world.member;
    let create = |owner: &str, channel: &str| json!({"channel_id": channel, "user_id": owner});

    // Someone outside the team: 400 user_id.
    let (status, error) = call(
        server,
        alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(create(&world.outsider.user.id, &world.open_channel.id)),
    )
    .await;
    assert_eq!(
        (status, id_of(&error)),
        (400, "api.context.invalid_param.app_error"),
        "{error}"
    );
    // Someone with more privileges (the system admin): 403.
    let (status, _) = call(
        server,
        alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(create(&world.admin.user.id, &world.open_channel.id)),
    )
    .await;
    assert_eq!(status, 403);
    // A team member who cannot read the private channel: 403.
    let carol = create_user(server, &world.admin, "carol").await;
    call(
        server,
        &world.admin,
        Method::POST,
        &format!("/api/v4/teams/{}/members", world.team.id),
        Some(json!({"team_id": world.team.id, "user_id": carol.user.id})),
    )
    .await;
    let (status, _) = call(
        server,
        alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(create(&carol.user.id, &world.private_channel.id)),
    )
    .await;
    assert_eq!(status, 403);
    // bob, a member of both channels: accepted.
    let (status, hook) = call(
        server,
        alice,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(create(&world.other_member.user.id, &world.private_channel.id)),
    )
    .await;
    assert_eq!(
        (status, hook["user_id"].as_str()),
        (201, Some(world.other_member.user.id.as_str()))
    );
}
