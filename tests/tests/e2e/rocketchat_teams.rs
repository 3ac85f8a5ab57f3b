//! `teams.create` and `teams.delete`: a team is a core team with a main room
//! of its name; deleting it erases that room and the rooms named in
//! `roomsToRemove`, and its other rooms stay, in the `rocketchat` team.

use chathooks_tests::rocketchat::{RcSession, RcWorld, post, send_raw};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(session: &RcSession, path: &str, body: Value) -> (u16, Value) {
    send_raw(session.request(Method::POST, path).json(&body)).await
}

async fn get(session: &RcSession, path: &str) -> (u16, Value) {
    send_raw(session.request(Method::GET, path)).await
}

/// A Mattermost API call with the session's token.
async fn mattermost(session: &RcSession, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = session
        .http
        .request(method, format!("{}{path}", session.base))
        .bearer_auth(&session.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    send_raw(request).await
}

async fn create_team(session: &RcSession, body: Value) -> (u16, Value) {
    call(session, "/api/v1/teams.create", body).await
}

#[tokio::test]
async fn a_team_lives_with_its_main_room_and_goes_with_the_rooms_it_is_asked_to_take() {
    let world = RcWorld::new().await;
    let carol = chathooks_tests::rocketchat::create_user(&world.server, &world.admin, "carol").await;

    let (status, created) = create_team(&world.alice, json!({"name": "ops", "type": 0, "members": ["bob"]})).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["success"], true);
    let team = &created["team"];
    assert_eq!((team["name"].as_str(), team["type"].as_i64()), (Some("ops"), Some(0)));
    assert_eq!(team["createdBy"]["username"], "alice", "{team}");
    let team_id = team["_id"].as_str().unwrap().to_owned();
    let main_id = team["roomId"].as_str().unwrap().to_owned();

    // The main room is a public room named after the team, listed, and its
    // members post in it.
    let (status, info) = get(&world.bob, "/api/v1/channels.info?roomName=ops").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["channel"]["_id"], main_id.as_str());
    let (_, listed) = get(&carol, "/api/v1/channels.list?count=100").await;
    assert!(
        listed["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["_id"] == main_id.as_str()),
        "{listed}"
    );
    post(&world.bob, "#ops", "bob in ops").await;
    post(&world.alice, "#ops", "alice in ops").await;

    // The same name again is refused, for a team as for a room.
    let (status, again) = create_team(&world.bob, json!({"name": "ops", "type": 1})).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("team-name-already-exists")),
        "{again}"
    );
    let (status, taken) = create_team(&world.bob, json!({"name": "general", "type": 0})).await;
    assert_eq!(
        (status, taken["error"].as_str()),
        (400, Some("room-name-already-exists")),
        "{taken}"
    );

    // Two more rooms of the team, made through the Mattermost API (it sees
    // the team as a team): one to go with it, one to stay.
    let mut rooms = Vec::new();
    for name in ["ops-scratch", "ops-keep"] {
        let (status, channel) = mattermost(
            &world.alice,
            Method::POST,
            "/api/v4/channels",
            Some(json!({"team_id": team_id, "name": name, "display_name": name, "type": "O"})),
        )
        .await;
        assert_eq!(status, 201, "{channel}");
        rooms.push(channel["id"].as_str().unwrap().to_owned());
    }
    let (scratch_id, keep_id) = (rooms[0].clone(), rooms[1].clone());
    post(&world.alice, "#ops-keep", "kept").await;
    // An outgoing webhook and a slash command of the team: they belong to it.
    let (status, hook) = mattermost(
        &world.alice,
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(
            json!({"team_id": team_id, "channel_id": keep_id, "trigger_words": ["go"],
            "callback_urls": ["http://example.com/hook"], "display_name": "ops hook"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let (status, command) = mattermost(
        &world.alice,
        Method::POST,
        "/api/v4/commands",
        Some(json!({"team_id": team_id, "trigger": "opsy", "method": "P", "url": "http://example.com/cmd"})),
    )
    .await;
    assert_eq!(status, 201, "{command}");

    // Neither a member nor an outsider who is not its owner may delete it.
    for hostile in [&world.bob, &carol] {
        let (status, refused) = call(hostile, "/api/v1/teams.delete", json!({"teamId": team_id})).await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (403, Some("unauthorized")),
            "{refused}"
        );
    }
    let (status, _) = get(&world.bob, &format!("/api/v1/rooms.info?roomId={main_id}")).await;
    assert_eq!(status, 200, "nothing happened to the team");

    let (status, unknown) = call(&world.alice, "/api/v1/teams.delete", json!({"teamName": "nope"})).await;
    assert_eq!(
        (status, unknown["error"].as_str()),
        (400, Some("team-does-not-exist")),
        "{unknown}"
    );

    let (status, done) = call(
        &world.alice,
        "/api/v1/teams.delete",
        json!({"teamName": "ops", "roomsToRemove": [scratch_id, world.general.id]}),
    )
    .await;
    assert_eq!((status, &done), (200, &json!({"success": true})));

    // The main room and the room asked for are gone; #general, named but of
    // another team, is not.
    for gone in [&main_id, &scratch_id] {
        let (status, _) = get(&world.admin, &format!("/api/v1/rooms.info?roomId={gone}")).await;
        assert_ne!(status, 200, "room {gone} is gone");
    }
    let (status, _) = get(&world.admin, "/api/v1/rooms.info?roomId=GENERAL").await;
    assert_eq!(status, 200);
    // The team is gone for the Mattermost API.
    let (status, _) = mattermost(&world.admin, Method::GET, &format!("/api/v4/teams/{team_id}"), None).await;
    assert_eq!(status, 404);
    // Its outgoing webhook and slash command went with it.
    for path in [
        format!("/api/v4/hooks/outgoing/{}", hook["id"].as_str().unwrap()),
        format!("/api/v4/commands/{}", command["id"].as_str().unwrap()),
    ] {
        let (status, body) = mattermost(&world.admin, Method::GET, &path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    // The other room stays, with its messages, in the rocketchat team, and
    // its members still reach it through both APIs.
    let (status, kept) = get(&world.alice, &format!("/api/v1/rooms.info?roomId={keep_id}")).await;
    assert_eq!(status, 200, "{kept}");
    let (status, channel) = mattermost(&world.alice, Method::GET, &format!("/api/v4/channels/{keep_id}"), None).await;
    assert_eq!(status, 200, "{channel}");
    let (status, rocketchat) = mattermost(&world.admin, Method::GET, "/api/v4/teams/name/rocketchat", None).await;
    assert_eq!(status, 200, "{rocketchat}");
    assert_eq!(channel["team_id"], rocketchat["id"], "{channel}");
    post(&world.alice, "#ops-keep", "still here").await;
    // The name is free again.
    let (status, reborn) = create_team(&world.bob, json!({"name": "ops", "type": 0})).await;
    assert_eq!(status, 200, "{reborn}");
}

#[tokio::test]
async fn a_private_teams_room_is_for_its_members_and_an_administrator_may_delete_it() {
    let world = RcWorld::new().await;
    let (status, created) = create_team(&world.alice, json!({"name": "secret", "type": 1})).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["team"]["type"], 1);
    let team_id = created["team"]["_id"].as_str().unwrap().to_owned();
    let main_id = created["team"]["roomId"].as_str().unwrap().to_owned();

    let (status, own) = get(&world.alice, &format!("/api/v1/rooms.info?roomId={main_id}")).await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["room"]["t"], "p", "{own}");
    let (status, hidden) = get(&world.bob, &format!("/api/v1/rooms.info?roomId={main_id}")).await;
    assert_ne!(status, 200, "an outsider does not see the room: {hidden}");
    let (_, listed) = get(&world.bob, "/api/v1/channels.list?count=100").await;
    assert!(
        !listed["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["_id"] == main_id.as_str()),
        "{listed}"
    );
    let (status, _) = mattermost(&world.bob, Method::GET, &format!("/api/v4/channels/{main_id}"), None).await;
    assert!(
        status == 403 || status == 404,
        "an outsider does not see it through Mattermost either: {status}"
    );

    let (status, done) = call(&world.admin, "/api/v1/teams.delete", json!({"teamId": team_id})).await;
    assert_eq!((status, &done), (200, &json!({"success": true})));
    let (status, _) = mattermost(&world.admin, Method::GET, &format!("/api/v4/teams/{team_id}"), None).await;
    assert_eq!(status, 404);
}

/// `create-team` is a permission of its own: taken from users, it refuses
/// them teams and nothing else.
#[tokio::test]
async fn create_team_is_its_own_permission() {
    let world = RcWorld::new().await;
    let (status, body) = call(
        &world.admin,
        "/api/v1/permissions.update",
        json!({"permissions": [{"_id": "create-team", "roles": ["admin"]}]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, refused) = create_team(&world.bob, json!({"name": "bobs", "type": 0})).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (403, Some("unauthorized")),
        "{refused}"
    );
    let (status, room) = call(&world.bob, "/api/v1/channels.create", json!({"name": "bobs-room"})).await;
    assert_eq!(status, 200, "bob still creates rooms: {room}");
    let (status, created) = create_team(&world.admin, json!({"name": "admins", "type": 0})).await;
    assert_eq!(status, 200, "{created}");
}
