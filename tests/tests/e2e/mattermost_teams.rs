//! Team management as Mattermost's API has it: updating a team (`manage_team`:
//! team admins and system admins) and leaving or removing members
//! (`remove_user_from_team` for others; anyone may leave), with the team's
//! channels left too.

use chathooks_tests::{Session, World, create_user};
use reqwest::Method;
use serde_json::{Value, json};

const PERMISSIONS: &str = "api.context.permissions.app_error";

async fn send(world: &World, who: &Session, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", world.server.base))
        .bearer_auth(&who.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request sent");
    (
        response.status().as_u16(),
        response.json().await.expect("a JSON answer"),
    )
}

/// A new user, who will administer the team they create.
async fn team_admin(world: &World) -> Session {
    create_user(&world.server, &world.admin, "teamlead").await
}

#[tokio::test]
async fn updating_a_team_needs_manage_team() {
    let world = World::new().await;
    let lead = team_admin(&world).await;
    // The creator of a team administers it.
    let (status, team) = send(
        &world,
        &lead,
        Method::POST,
        "/api/v4/teams",
        Some(json!({"name": "platform", "display_name": "Platform", "type": "O"})),
    )
    .await;
    assert_eq!(status, 201, "{team}");
    let team_id = team["id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        &world,
        &world.admin,
        Method::POST,
        &format!("/api/v4/teams/{team_id}/members"),
        Some(json!({"team_id": team_id, "user_id": world.member.user.id})),
    )
    .await;
    assert_eq!(status, 201);
    let path = format!("/api/v4/teams/{team_id}");

    // The whole Team, as Mattermost's clients send it: name and type are kept.
    let mut body = team.clone();
    body["display_name"] = json!("Platform Team");
    body["description"] = json!("Runs the platform");
    body["name"] = json!("renamed");
    body["type"] = json!("I");
    let (status, updated) = send(&world, &lead, Method::PUT, &path, Some(body.clone())).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["display_name"], "Platform Team");
    assert_eq!(updated["description"], "Runs the platform");
    assert_eq!(updated["name"], "platform");
    assert_eq!(updated["type"], "O");
    let (_, read_back) = send(&world, &lead, Method::GET, &path, None).await;
    assert_eq!(read_back["display_name"], "Platform Team");

    // A plain member and an outsider may not; a system admin may.
    for who in [&world.member, &world.outsider] {
        let (status, error) = send(&world, who, Method::PUT, &path, Some(body.clone())).await;
        assert_eq!((status, error["id"].as_str()), (403, Some(PERMISSIONS)));
    }
    body["display_name"] = json!("By the admin");
    let (status, _) = send(&world, &world.admin, Method::PUT, &path, Some(body.clone())).await;
    assert_eq!(status, 200);

    // The body's id must be the path's; the display name must be valid.
    let (status, error) = send(
        &world,
        &lead,
        Method::PUT,
        &path,
        Some(json!({"id": world.team.id, "display_name": "x"})),
    )
    .await;
    assert_eq!(
        (status, error["id"].as_str()),
        (400, Some("api.context.invalid_param.app_error"))
    );
    let (status, error) = send(
        &world,
        &lead,
        Method::PUT,
        &path,
        Some(json!({"id": team_id, "display_name": "x".repeat(65)})),
    )
    .await;
    assert_eq!(
        (status, error["id"].as_str()),
        (400, Some("model.team.is_valid.name.app_error"))
    );
}

#[tokio::test]
async fn members_leave_and_team_admins_remove() {
    let world = World::new().await;
    let team = &world.team.id;
    let member_path = |user: &Session| format!("/api/v4/teams/{team}/members/{}", user.user.id);

    // A plain member may not remove another member.
    let (status, error) = send(
        &world,
        &world.member,
        Method::DELETE,
        &member_path(&world.other_member),
        None,
    )
    .await;
    assert_eq!((status, error["id"].as_str()), (403, Some(PERMISSIONS)));
    // Nor may an outsider, whatever the target.
    let (status, _) = send(
        &world,
        &world.outsider,
        Method::DELETE,
        &member_path(&world.member),
        None,
    )
    .await;
    assert_eq!(status, 403);

    // A member leaves: the team and its channels, private ones included.
    let (status, answer) = send(&world, &world.member, Method::DELETE, &member_path(&world.member), None).await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("OK")), "{answer}");
    let read = world.server.state.read();
    let membership = read
        .get_team_member(team, &world.member.user.id)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(membership.delete_at, 0);
    for channel in [&world.open_channel.id, &world.private_channel.id] {
        let member = read.get_channel_member(channel, &world.member.user.id).await.unwrap();
        assert!(member.is_none(), "still in {channel}");
    }
    // Out of the team, the member reads its channels no more.
    let (status, _) = send(
        &world,
        &world.member,
        Method::GET,
        &format!("/api/v4/channels/{}", world.open_channel.id),
        None,
    )
    .await;
    assert_eq!(status, 403);
    // Leaving twice: no such member.
    let (status, error) = send(&world, &world.member, Method::DELETE, &member_path(&world.member), None).await;
    assert_eq!(
        (status, error["id"].as_str()),
        (404, Some("app.team.get_member.missing.app_error"))
    );

    // A system admin removes another member.
    let (status, _) = send(
        &world,
        &world.admin,
        Method::DELETE,
        &member_path(&world.other_member),
        None,
    )
    .await;
    assert_eq!(status, 200);
    // Malformed and unknown ids.
    let (status, _) = send(
        &world,
        &world.admin,
        Method::DELETE,
        &format!("/api/v4/teams/nope/members/{}", world.member.user.id),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, error) = send(
        &world,
        &world.admin,
        Method::DELETE,
        &format!("/api/v4/teams/{team}/members/aaaaaaaaaaaaaaaaaaaaaaaaaa"),
        None,
    )
    .await;
    assert_eq!(
        (status, error["id"].as_str()),
        (404, Some("app.user.missing_account.const"))
    );
}
