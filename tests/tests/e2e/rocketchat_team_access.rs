//! A second, hostile user on the Rocket.Chat API: team membership holds there
//! as it does on the Mattermost API. A user outside a team neither reads nor
//! posts in its channels, and does not enter a room of an invite-only team.

use chathooks_mattermost_types as mm;
use chathooks_tests::rocketchat::{login, send_raw};
use chathooks_tests::{World, create_channel};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn outsiders_neither_read_nor_post_in_a_teams_channels() {
    let world = World::new().await;
    let room = &world.open_channel.id;
    let mallory = login(&world.server, "mallory", "mallory-password").await;
    let alice = login(&world.server, "alice", "alice-password").await;

    // The Mattermost API refuses the outsider...
    let response = reqwest::Client::new()
        .get(format!("{}/api/v4/channels/{room}/posts", world.server.base))
        .bearer_auth(&world.outsider.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // ...and so does the Rocket.Chat API, in Rocket.Chat's words.
    let (status, answer) =
        send_raw(mallory.request(Method::GET, &format!("/api/v1/channels.history?roomId={room}"))).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer, json!({"success": false, "error": "unauthorized"}));
    let (status, answer) = send_raw(
        mallory
            .request(Method::POST, "/api/v1/chat.postMessage")
            .json(&json!({"roomId": room, "text": "let me in"})),
    )
    .await;
    assert_eq!(
        (status, answer["errorType"].as_str()),
        (400, Some("error-not-allowed")),
        "{answer}"
    );
    let (status, answer) = send_raw(
        mallory
            .request(Method::POST, "/api/v1/chat.postMessage")
            .json(&json!({"channel": "#town-square", "text": "by name"})),
    )
    .await;
    assert_eq!(
        (status, answer["errorType"].as_str()),
        (400, Some("error-not-allowed")),
        "{answer}"
    );
    // A member reads and posts.
    let (status, _) = send_raw(
        alice
            .request(Method::POST, "/api/v1/chat.postMessage")
            .json(&json!({"roomId": room, "text": "hello team"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) =
        send_raw(alice.request(Method::GET, &format!("/api/v1/channels.history?roomId={room}"))).await;
    assert_eq!(
        (status, answer["messages"][0]["msg"].as_str()),
        (200, Some("hello team"))
    );
}

#[tokio::test]
async fn nobody_joins_a_room_of_an_invite_only_team_from_outside() {
    let world = World::new().await;
    let team = world
        .admin
        .client
        .create_team()
        .body(mm::CreateTeamBody {
            name: "board".into(),
            display_name: "Board".into(),
            type_: mm::CreateTeamBodyType::I,
            description: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let hidden = create_channel(&world.admin, &team.id, "minutes", mm::CreateChannelBodyType::O).await;
    let mallory = login(&world.server, "mallory", "mallory-password").await;
    for body in [json!({"roomId": hidden.id}), json!({"roomName": "minutes"})] {
        let (status, answer) = send_raw(mallory.request(Method::POST, "/api/v1/channels.join").json(&body)).await;
        assert_eq!(
            (status, answer["errorType"].as_str()),
            (400, Some("error-not-allowed")),
            "{answer}"
        );
    }
    let member = world
        .server
        .state
        .read()
        .get_team_member(&team.id, &world.outsider.user.id)
        .await
        .unwrap();
    assert!(member.is_none(), "the refused join made no team membership");
    let (status, _) =
        send_raw(mallory.request(Method::GET, &format!("/api/v1/channels.history?roomId={}", hidden.id))).await;
    assert_eq!(status, 403);

    // A member of the team joins.
    world
        .admin
        .client
        .add_team_member()
        .team_id(&team.id)
        .body(mm::AddTeamMemberBody {
            team_id: team.id.clone(),
            user_id: world.member.user.id.clone(),
        })
        .send()
        .await
        .unwrap();
    let alice = login(&world.server, "alice", "alice-password").await;
    let (status, answer) = send_raw(
        alice
            .request(Method::POST, "/api/v1/channels.join")
            .json(&json!({"roomId": hidden.id})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
}
