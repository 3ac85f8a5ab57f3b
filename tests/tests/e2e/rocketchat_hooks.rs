//! Running incoming integrations at `POST /hooks/{hook_id}/{token}`: JSON and
//! form payloads, the token check, disabled integrations, destination
//! overrides, and what the posted messages look like.

use chathooks_rocketchat_types as types;
use chathooks_tests::rocketchat::{RcWorld, create_integration, create_room, error_of, history, send_raw};
use serde_json::{Value, json};

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

fn incoming(channel: &str, extra: Value) -> Value {
    let mut body = json!({
        "type": "webhook-incoming",
        "username": "alice",
        "channel": channel,
        "scriptEnabled": false,
        "name": "ci",
        "enabled": true,
        "alias": "CI bot",
        "avatar": "https://example.com/ci.png",
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// The hook's URL.
fn hook_url(world: &RcWorld, integration: &types::Integration) -> String {
    format!(
        "{}/hooks/{}/{}",
        world.server.base,
        integration.id,
        integration.token.clone().unwrap_or_default()
    )
}

#[tokio::test]
async fn json_payloads_post_as_the_integration() {
    let world = RcWorld::new().await;
    let integration = create_integration(&world.alice, incoming("#general", json!({"emoji": ":robot:"}))).await;
    let anonymous = chathooks_rocketchat_client::Client::new(&world.server.base);
    let answer = anonymous
        .execute_incoming_webhook()
        .hook_id(&integration.id)
        .token(integration.token.clone().unwrap_or_default())
        .body(typed::<types::IncomingWebhookMessage>(json!({
            "text": "Build 42 passed",
            "attachments": [{"title": "Build 42", "title_link": "https://ci.example.com/42", "color": "#2eb886"}],
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.get("success"), Some(&json!(true)));

    let messages = history(&world.bob, &world.general.id).await;
    let message = &messages[0];
    assert_eq!(message.msg, "Build 42 passed");
    assert_eq!(message.u.id, world.alice.user_id);
    assert_eq!(message.alias.as_deref(), Some("CI bot"));
    assert_eq!(message.avatar.as_deref(), Some("https://example.com/ci.png"));
    assert_eq!(message.emoji.as_deref(), Some(":robot:"));
    assert_eq!(message.bot.get("i"), Some(&json!(integration.id)));
    assert_eq!(message.attachments[0].title.as_deref(), Some("Build 42"));
    assert_eq!(message.attachments[0].color.as_deref(), Some("#2eb886"));

    // Payload names win over the integration's; `msg` and the Slack-style names work.
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(hook_url(&world, &integration))
            .json(&json!({
                "msg": "via msg",
                "username": "Deployer",
                "icon_emoji": ":rocket:",
                "icon_url": "https://example.com/d.png",
            })),
    )
    .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let latest = &history(&world.bob, &world.general.id).await[0];
    assert_eq!(latest.msg, "via msg");
    assert_eq!(latest.alias.as_deref(), Some("Deployer"));
    assert_eq!(latest.emoji.as_deref(), Some(":rocket:"));
    assert_eq!(latest.avatar.as_deref(), Some("https://example.com/d.png"));
}

#[tokio::test]
async fn form_payloads_and_empty_payloads() {
    let world = RcWorld::new().await;
    let integration = create_integration(&world.alice, incoming("#general", json!({}))).await;
    let url = hook_url(&world, &integration);
    let http = reqwest::Client::new();
    let (status, body) = send_raw(http.post(&url).form(&[("payload", r#"{"text": "from a form"}"#)])).await;
    assert_eq!((status, body), (200, json!({"success": true})));
    assert_eq!(history(&world.bob, &world.general.id).await[0].msg, "from a form");

    let (status, body) = send_raw(http.post(&url).form(&[("payload", "{not json")])).await;
    assert_eq!(status, 400);
    assert_eq!(body["success"], false);

    // Nothing to post: accepted, nothing posted.
    let before = history(&world.bob, &world.general.id).await.len();
    for request in [
        http.post(&url),
        http.post(&url).json(&json!({})),
        http.post(&url).json(&json!({"text": ""})),
    ] {
        let (status, body) = send_raw(request).await;
        assert_eq!((status, body), (200, json!({"success": true})));
    }
    assert_eq!(history(&world.bob, &world.general.id).await.len(), before);
}

#[tokio::test]
async fn wrong_tokens_unknown_hooks_and_disabled_integrations() {
    let world = RcWorld::new().await;
    let integration = create_integration(&world.alice, incoming("#general", json!({}))).await;
    let token = integration.token.clone().unwrap_or_default();
    let outgoing = create_integration(
        &world.alice,
        json!({
            "type": "webhook-outgoing", "username": "alice", "channel": "#general", "event": "sendMessage",
            "urls": ["https://example.com"], "scriptEnabled": false, "name": "out", "enabled": true,
            "token": "outgoing-token",
        }),
    )
    .await;
    let anonymous = chathooks_rocketchat_client::Client::new(&world.server.base);
    let not_found = json!({"success": false, "error": "Invalid integration id or token provided."});
    let mut wrong = token.clone();
    wrong.replace_range(47.., if token.ends_with('x') { "y" } else { "x" });
    for (id, token) in [
        (integration.id.as_str(), wrong.as_str()),
        (integration.id.as_str(), &token[..47]),
        ("missing", token.as_str()),
        (outgoing.id.as_str(), "outgoing-token"),
    ] {
        let result = anonymous
            .execute_incoming_webhook()
            .hook_id(id)
            .token(token)
            .body(typed::<types::IncomingWebhookMessage>(json!({"text": "x"})))
            .send()
            .await;
        assert_eq!(error_of(result).await, (404, not_found.clone()), "{id}/{token}");
    }

    world
        .alice
        .client
        .integrations_update()
        .body(typed::<types::IntegrationsUpdateBody>(json!({
            "type": "webhook-incoming", "integrationId": integration.id, "channel": "#general",
            "scriptEnabled": false, "name": "ci", "enabled": false,
        })))
        .send()
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(hook_url(&world, &integration))
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
    );
    assert_eq!(response.text().await.unwrap(), "Service Unavailable");
}

#[tokio::test]
async fn destination_overrides() {
    let world = RcWorld::new().await;
    let random = create_room(&world.admin, "random", &["alice"]).await;
    let locked = create_integration(&world.alice, incoming("#general", json!({}))).await;
    let open = create_integration(
        &world.alice,
        incoming("#general", json!({"overrideDestinationChannelEnabled": true})),
    )
    .await;
    let http = reqwest::Client::new();

    for payload in [
        json!({"text": "x", "channel": "#random"}),
        json!({"text": "x", "roomId": random.id}),
    ] {
        let (status, body) = send_raw(http.post(hook_url(&world, &locked)).json(&payload)).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"success": false, "error": "overriding destination channel is disabled for this integration"})
            )
        );
    }
    assert!(history(&world.bob, &random.id).await.is_empty());

    let (status, _) = send_raw(
        http.post(hook_url(&world, &open))
            .json(&json!({"text": "by name", "channel": "#random"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = send_raw(
        http.post(hook_url(&world, &open))
            .json(&json!({"text": "by id", "roomId": random.id})),
    )
    .await;
    assert_eq!(status, 200);
    let texts: Vec<String> = history(&world.bob, &random.id)
        .await
        .into_iter()
        .map(|m| m.msg)
        .collect();
    assert_eq!(texts, ["by id", "by name"]);

    // An array of destinations, as processWebhookMessage takes: each gets the message.
    let general = world
        .server
        .state
        .core
        .read()
        .get_channel("GENERAL")
        .await
        .unwrap()
        .unwrap();
    let before = history(&world.bob, &general.id).await.len();
    let (status, body) = send_raw(
        http.post(hook_url(&world, &open))
            .json(&json!({"text": "to both", "channel": ["#random", "general"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(history(&world.bob, &random.id).await[0].msg, "to both");
    let in_general = history(&world.bob, &general.id).await;
    assert_eq!((in_general.len(), in_general[0].msg.as_str()), (before + 1, "to both"));

    let (status, body) = send_raw(
        http.post(hook_url(&world, &open))
            .json(&json!({"text": "x", "channel": "#nowhere"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"success": false, "error": "invalid-channel"}))
    );

    // `@user` destinations post in the direct-message room with the integration's user.
    // Naming a user takes both incoming-integration permissions (Rocket.Chat's
    // hasAllPermission): the admin creates it, posting as alice.
    let direct = create_integration(&world.admin, incoming("@bob", json!({}))).await;
    let (status, _) = send_raw(
        http.post(hook_url(&world, &direct))
            .json(&json!({"text": "just for bob"})),
    )
    .await;
    assert_eq!(status, 200);
    let core = &world.server.state.core;
    let store = core.read();
    let room = chathooks::channels::direct_channel(core, &world.alice.user_id, &world.bob.user_id)
        .await
        .unwrap();
    let posts = store.list_channel_posts(&room.id, 0, 10).await.unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].message, "just for bob");
}
