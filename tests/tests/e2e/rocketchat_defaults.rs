//! What a fresh Rocket.Chat has before anyone uses it: `#general` (id
//! `GENERAL`), the default room new users join, and the `rocket.cat` bot;
//! made again by the test API's reset.

use chathooks_testapi_client::Client as TestApi;
use chathooks_tests::TestServer;
use chathooks_tests::rocketchat::{admin, login, send_raw};
use reqwest::Method;
use serde_json::json;

async fn is_general_member(server: &TestServer, user_id: &str) -> bool {
    server
        .state
        .read()
        .get_channel_member("GENERAL", user_id)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn a_fresh_server_has_general_and_rocket_cat() {
    let server = TestServer::start().await;
    let admin = admin(&server).await;
    let (status, info) = send_raw(admin.request(Method::GET, "/api/v1/channels.info?roomName=general")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["channel"]["_id"], "GENERAL");
    assert_eq!(info["channel"]["t"], "c");
    let (status, cat) = send_raw(admin.request(Method::GET, "/api/v1/users.info?username=rocket.cat")).await;
    assert_eq!(
        (status, cat["user"]["username"].as_str()),
        (200, Some("rocket.cat")),
        "{cat}"
    );

    // New users join #general unless they ask not to, and post there at once.
    for (name, join) in [("carol", true), ("dave", false)] {
        let (status, created) = send_raw(admin.request(Method::POST, "/api/v1/users.create").json(&json!({
            "email": format!("{name}@example.com"), "name": name, "password": "password-1",
            "username": name, "joinDefaultChannels": join,
        })))
        .await;
        assert_eq!(status, 200, "{created}");
        let id = created["user"]["_id"].as_str().unwrap();
        assert_eq!(is_general_member(&server, id).await, join, "{name}");
    }
    let carol = login(&server, "carol", "password-1").await;
    let (status, posted) = send_raw(
        carol
            .request(Method::POST, "/api/v1/chat.postMessage")
            .json(&json!({"channel": "#general", "text": "hello"})),
    )
    .await;
    assert_eq!(
        (status, posted["message"]["rid"].as_str()),
        (200, Some("GENERAL")),
        "{posted}"
    );
    // Nobody logs in as the bot.
    let (status, _) = send_raw(
        reqwest::Client::new()
            .post(format!("{}/api/v1/login", server.base))
            .json(&json!({"user": "rocket.cat", "password": ""})),
    )
    .await;
    assert_ne!(status, 200);

    // A reset erases everything, then makes the defaults again.
    TestApi::new(&server.base).reset().send().await.expect("reset");
    let admin = chathooks_tests::rocketchat::admin(&server).await;
    let (status, info) = send_raw(admin.request(Method::GET, "/api/v1/channels.info?roomId=GENERAL")).await;
    assert_eq!(
        (status, info["channel"]["name"].as_str()),
        (200, Some("general")),
        "{info}"
    );
    let (status, _) = send_raw(admin.request(Method::GET, "/api/v1/users.info?username=rocket.cat")).await;
    assert_eq!(status, 200);
    assert!(!is_general_member(&server, carol.user_id.as_str()).await);
}
