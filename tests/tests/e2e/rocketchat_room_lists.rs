//! Rocket.Chat's room listings with their counts (`channels.messages`,
//! `channels.members`, `groups.messages`, `groups.members`) and private rooms
//! made with `groups.create`, in Rocket.Chat's shapes and error texts.

use chathooks_tests::rocketchat::{RcWorld, create_user, send_raw};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn channel_messages_and_members_are_paged_with_totals() {
    let world = RcWorld::new().await;
    let room = &world.general.id;
    for i in 0..3 {
        let (status, _) = send_raw(
            world
                .alice
                .request(Method::POST, "/api/v1/chat.postMessage")
                .json(&json!({"roomId": room, "text": format!("m{i}")})),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, page) = send_raw(
        world
            .bob
            .request(Method::GET, &format!("/api/v1/channels.messages?roomId={room}&count=2")),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!((page["count"].as_u64(), page["offset"].as_u64()), (Some(2), Some(0)));
    assert_eq!(page["total"], 3);
    assert_eq!(page["messages"][0]["msg"], "m2", "newest first");

    let (status, members) = send_raw(world.bob.request(
        Method::GET,
        "/api/v1/channels.members?roomName=general&count=2&offset=1",
    ))
    .await;
    assert_eq!(status, 200, "{members}");
    // admin, alice and bob, by username.
    assert_eq!(members["total"], 3);
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);

    let (status, error) = send_raw(world.bob.request(Method::GET, "/api/v1/channels.messages?roomId=nope")).await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-room-not-found"))
    );
}

#[tokio::test]
async fn private_groups_are_their_members_only() {
    let world = RcWorld::new().await;
    let (status, created) = send_raw(
        world
            .alice
            .request(Method::POST, "/api/v1/groups.create")
            .json(&json!({"name": "Secret.Plans", "members": ["bob"]})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["group"]["t"], "p");
    assert_eq!(created["group"]["name"], "Secret.Plans");
    let id = created["group"]["_id"].as_str().unwrap().to_owned();
    let (status, _) = send_raw(
        world
            .bob
            .request(Method::POST, "/api/v1/chat.postMessage")
            .json(&json!({"roomId": id, "text": "psst"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, page) = send_raw(
        world
            .alice
            .request(Method::GET, &format!("/api/v1/groups.messages?roomId={id}")),
    )
    .await;
    assert_eq!((status, page["total"].as_i64()), (200, Some(1)), "{page}");
    assert_eq!(page["messages"][0]["msg"], "psst");
    let (status, members) = send_raw(
        world
            .bob
            .request(Method::GET, "/api/v1/groups.members?roomName=secret.plans"),
    )
    .await;
    assert_eq!((status, members["total"].as_i64()), (200, Some(2)), "{members}");

    // Someone else: the group does not exist for them.
    let carol = create_user(&world.server, &world.admin, "carol").await;
    for path in [
        format!("/api/v1/groups.messages?roomId={id}"),
        format!("/api/v1/groups.members?roomId={id}"),
    ] {
        let (status, error) = send_raw(carol.request(Method::GET, &path)).await;
        assert_eq!(
            (status, error["errorType"].as_str()),
            (400, Some("error-room-not-found")),
            "{path}"
        );
    }
    // A public room is no group, and a group is no channel.
    let (status, _) = send_raw(carol.request(Method::GET, "/api/v1/groups.messages?roomId=GENERAL")).await;
    assert_eq!(status, 400);
    let (status, _) = send_raw(carol.request(Method::GET, &format!("/api/v1/channels.messages?roomId={id}"))).await;
    assert_eq!(status, 400);
    // Names stay unique across public and private rooms.
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::POST, "/api/v1/groups.create")
            .json(&json!({"name": "general"})),
    )
    .await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-duplicate-channel-name"))
    );
}
