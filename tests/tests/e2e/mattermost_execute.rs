//! Executing incoming webhooks (`POST /hooks/{id}`) against the running
//! server: the three body formats, every refusal, channel overrides, the
//! props of webhook posts, Slack markup, attachments and splitting.
//!
//! Hooks are inserted through the store so these tests do not depend on the
//! hook management endpoints.

use chathooks::ids::new_id;
use chathooks::markup::MAX_POST_RUNES;
use chathooks::store::{IncomingHook, now_ms};
use chathooks_mattermost_types as types;
use chathooks_tests::{World, create_channel};
use serde_json::{Value, json};

/// A live incoming hook owned by alice on `channel_id`, as `adjust` leaves it.
async fn incoming_hook(world: &World, channel_id: &str, adjust: impl FnOnce(&mut IncomingHook)) -> IncomingHook {
    let now = now_ms();
    let mut hook = IncomingHook {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        user_id: world.member.user.id.clone(),
        channel_id: channel_id.to_owned(),
        team_id: world.team.id.clone(),
        display_name: "CI".into(),
        description: String::new(),
        username: String::new(),
        icon_url: String::new(),
        channel_locked: false,
    };
    adjust(&mut hook);
    chathooks::hooks::create_incoming(&world.server.state.core, &hook)
        .await
        .expect("hook stored")
}

fn hook_url(world: &World, hook_id: &str) -> String {
    format!("{}/hooks/{hook_id}", world.server.base)
}

/// POST a JSON payload; the status and body text.
async fn post_json(world: &World, hook_id: &str, payload: Value) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(hook_url(world, hook_id))
        .json(&payload)
        .send()
        .await
        .expect("request sent");
    (response.status().as_u16(), response.text().await.expect("body read"))
}

/// The AppError id of an error answer, with its status.
async fn refusal(world: &World, hook_id: &str, payload: Value) -> (u16, String) {
    let (status, body) = post_json(world, hook_id, payload).await;
    let error: types::AppError = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(i64::from(status), error.status_code);
    (status, error.id)
}

/// The posts of a channel, oldest first (read as the admin, who reads everything).
async fn channel_posts(world: &World, channel_id: &str) -> Vec<types::Post> {
    let list = world
        .admin
        .client
        .get_posts_for_channel()
        .channel_id(channel_id)
        .send()
        .await
        .expect("posts listed")
        .into_inner();
    list.order.iter().rev().map(|id| list.posts[id].clone()).collect()
}

async fn only_post(world: &World, channel_id: &str) -> types::Post {
    let posts = channel_posts(world, channel_id).await;
    assert_eq!(posts.len(), 1, "{posts:#?}");
    posts.into_iter().next().expect("one post")
}

#[tokio::test]
async fn json_payload_is_posted_as_the_owner_with_webhook_props() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    let response = reqwest::Client::new()
        .post(hook_url(&world, &hook.id))
        .json(&json!({
            "text": "Build **42** passed",
            "props": {"card": "details", "from_webhook": "false", "override_username": "root"},
            "priority": {"priority": "important"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(response.text().await.unwrap(), "ok");

    let post = only_post(&world, &world.open_channel.id).await;
    assert_eq!(post.user_id, world.member.user.id);
    assert_eq!(post.message, "Build **42** passed");
    assert_eq!(post.type_, "");
    assert_eq!(post.root_id, "");
    // Request props are kept, but cannot unmark the post as a webhook's or pick
    // the name: that is what `username` (and the hook) are for.
    assert_eq!(post.props["from_webhook"], "true");
    assert_eq!(post.props["override_username"], "webhook");
    assert_eq!(post.props["webhook_display_name"], "CI");
    assert_eq!(post.props["card"], "details");
    assert!(!post.props.contains_key("override_icon_url"));
    insta::assert_json_snapshot!("webhook_post", post, {
        ".id" => "[id]",
        ".user_id" => "[user_id]",
        ".channel_id" => "[channel_id]",
        ".create_at" => "[ms]",
        ".update_at" => "[ms]",
    });
}

#[tokio::test]
async fn form_multipart_and_bare_bodies_are_accepted() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    let http = reqwest::Client::new();
    let url = hook_url(&world, &hook.id);

    // Slack's classic form: the JSON document in the `payload` field.
    let payload = json!({"text": "from a form", "username": "form-bot"}).to_string();
    let response = http.post(&url).form(&[("payload", payload)]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");

    // Multipart form fields map onto the payload fields.
    let boundary = "chathooks-test-boundary";
    let mut body = String::new();
    for (name, value) in [
        ("text", "from multipart"),
        ("username", "multi-bot"),
        ("icon_emoji", "tada"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let response = http
        .post(&url)
        .header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");

    // JSON without a Content-Type, as curl -d sends from some scripts.
    let response = http
        .post(&url)
        .body(json!({"text": "no content type"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let posts = channel_posts(&world, &world.open_channel.id).await;
    let seen: Vec<(&str, &Value)> = posts
        .iter()
        .map(|p| (p.message.as_str(), &p.props["override_username"]))
        .collect();
    assert_eq!(
        seen,
        [
            ("from a form", &json!("form-bot")),
            ("from multipart", &json!("multi-bot")),
            ("no content type", &json!("webhook")),
        ]
    );
    assert_eq!(posts[1].props["override_icon_emoji"], "tada");
}

#[tokio::test]
async fn the_generated_client_executes_hooks() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    let response = world
        .server
        .anonymous()
        .execute_incoming_webhook()
        .hook_id(&hook.id)
        .body(types::IncomingWebhookPayload {
            text: Some("via the client".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("executed");
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert_eq!(
        only_post(&world, &world.open_channel.id).await.message,
        "via the client"
    );

    let refused = world
        .server
        .anonymous()
        .execute_incoming_webhook()
        .hook_id(new_id())
        .body(types::IncomingWebhookPayload {
            text: Some("x".into()),
            ..Default::default()
        })
        .send()
        .await;
    match refused {
        Err(chathooks_mattermost_client::Error::ErrorResponse(answer)) => {
            assert_eq!(answer.status(), 400);
            assert_eq!(answer.into_inner().id, "web.incoming_webhook.invalid.app_error");
        }
        Err(other) => panic!("expected an AppError, got {other}"),
        Ok(answer) => panic!("expected a refusal, got {}", answer.status()),
    }
}

#[tokio::test]
async fn every_refusal_has_its_id_in_the_documented_order() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    let locked = incoming_hook(&world, &world.open_channel.id, |h| h.channel_locked = true).await;
    let deleted = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    chathooks::hooks::delete_incoming(&world.server.state.core, &deleted.id, now_ms())
        .await
        .unwrap();
    let unknown = "a".repeat(26);
    let (hook_id, locked_id, deleted_id) = (hook.id.as_str(), locked.id.as_str(), deleted.id.as_str());

    let cases = [
        // No text is checked before the hook: even an unknown hook says so.
        (hook_id, json!({}), 400, "web.incoming_webhook.text.app_error"),
        (hook_id, json!({"text": ""}), 400, "web.incoming_webhook.text.app_error"),
        (
            hook_id,
            json!({"text": "", "attachments": []}),
            400,
            "web.incoming_webhook.text.app_error",
        ),
        ("not-an-id", json!({}), 400, "web.incoming_webhook.text.app_error"),
        (
            "not-an-id",
            json!({"text": "x"}),
            400,
            "web.incoming_webhook.invalid.app_error",
        ),
        (
            unknown.as_str(),
            json!({"text": "x"}),
            400,
            "web.incoming_webhook.invalid.app_error",
        ),
        (
            deleted_id,
            json!({"text": "x"}),
            400,
            "web.incoming_webhook.invalid.app_error",
        ),
        (
            hook_id,
            json!({"text": "x", "channel": "nowhere"}),
            404,
            "web.incoming_webhook.channel.app_error",
        ),
        (
            hook_id,
            json!({"text": "x", "channel": "#nowhere"}),
            404,
            "web.incoming_webhook.channel.app_error",
        ),
        (
            hook_id,
            json!({"text": "x", "channel": "@nobody"}),
            400,
            "web.incoming_webhook.user.app_error",
        ),
        (
            locked_id,
            json!({"text": "x", "channel": "secret"}),
            403,
            "web.incoming_webhook.channel_locked.app_error",
        ),
        (
            hook_id,
            json!({"text": "x", "type": "system_join_channel"}),
            400,
            "web.incoming_webhook.type.app_error",
        ),
        // Unknown channel is checked before the type.
        (
            hook_id,
            json!({"text": "x", "channel": "nowhere", "type": "system_x"}),
            404,
            "web.incoming_webhook.channel.app_error",
        ),
        (hook_id, json!({"text": 5}), 400, "web.incoming_webhook.parse.app_error"),
    ];
    for (hook_id, payload, status, id) in cases {
        let got = refusal(&world, hook_id, payload.clone()).await;
        assert_eq!(got, (status, id.to_owned()), "{hook_id} {payload}");
    }

    let http = reqwest::Client::new();
    let url = hook_url(&world, &hook.id);
    let unparseable = [
        http.post(&url)
            .header("Content-Type", "application/json")
            .body("{not json"),
        http.post(&url).form(&[("payload", "{not json")]),
        http.post(&url)
            .form(&[("payload", r#"{"text": "x", "props": "not an object"}"#)]),
    ];
    for request in unparseable {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400);
        let error: types::AppError = response.json().await.unwrap();
        assert_eq!(error.id, "web.incoming_webhook.parse.app_error");
    }

    // Nothing was posted by any of these.
    assert!(channel_posts(&world, &world.open_channel.id).await.is_empty());
    assert!(channel_posts(&world, &world.private_channel.id).await.is_empty());
}

#[tokio::test]
async fn channel_overrides_by_name_hash_name_and_username() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    let other = create_channel(
        &world.admin,
        &world.team.id,
        "releases",
        types::CreateChannelBodyType::O,
    )
    .await;

    assert_eq!(
        post_json(&world, &hook.id, json!({"text": "by name", "channel": "releases"})).await,
        (200, "ok".into())
    );
    assert_eq!(
        post_json(&world, &hook.id, json!({"text": "by #name", "channel": "#secret"})).await,
        (200, "ok".into())
    );
    assert_eq!(
        post_json(&world, &hook.id, json!({"text": "direct", "channel": "@bob"})).await,
        (200, "ok".into())
    );
    assert_eq!(only_post(&world, &other.id).await.message, "by name");
    assert_eq!(only_post(&world, &world.private_channel.id).await.message, "by #name");
    assert!(channel_posts(&world, &world.open_channel.id).await.is_empty());

    // The direct channel between the hook's owner (alice) and bob, readable by bob.
    let direct = chathooks::channels::direct_channel(
        &world.server.state.core,
        &world.member.user.id,
        &world.other_member.user.id,
    )
    .await
    .unwrap();
    let list = world
        .other_member
        .client
        .get_posts_for_channel()
        .channel_id(&direct.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let post = &list.posts[&list.order[0]];
    assert_eq!(
        (post.message.as_str(), post.user_id.as_str()),
        ("direct", world.member.user.id.as_str())
    );
}

#[tokio::test]
async fn locked_hooks_post_only_to_their_channel_and_owners_need_access() {
    let world = World::with_overrides_and_bots().await;
    let locked = incoming_hook(&world, &world.open_channel.id, |h| h.channel_locked = true).await;
    // Naming its own channel is fine.
    assert_eq!(
        post_json(&world, &locked.id, json!({"text": "home", "channel": "#town-square"})).await,
        (200, "ok".into())
    );
    assert_eq!(
        refusal(&world, &locked.id, json!({"text": "x", "channel": "@bob"})).await,
        (403, "web.incoming_webhook.channel_locked.app_error".into())
    );
    // Refusing a direct message did not create the direct channel on the way.
    let (low, high) = {
        let (a, b) = (&world.member.user.id, &world.other_member.user.id);
        if a <= b { (a, b) } else { (b, a) }
    };
    let direct = world
        .server
        .state
        .read()
        .get_channel_by_name("", &format!("{low}__{high}"))
        .await
        .unwrap();
    assert!(direct.is_none());

    // A private channel the owner is not in: the hook cannot post there either.
    let hidden = create_channel(&world.admin, &world.team.id, "hidden", types::CreateChannelBodyType::P).await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    assert_eq!(
        refusal(&world, &hook.id, json!({"text": "x", "channel": "hidden"})).await,
        (403, "web.incoming_webhook.permissions.app_error".into())
    );
    assert!(channel_posts(&world, &hidden.id).await.is_empty());
    assert_eq!(only_post(&world, &world.open_channel.id).await.message, "home");
}

#[tokio::test]
async fn username_and_icon_come_from_the_request_else_the_hook() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |h| {
        h.username = "hook-name".into();
        h.icon_url = "https://example.com/hook.png".into();
        h.display_name = "Deploys".into();
    })
    .await;
    for payload in [
        json!({"text": "defaults"}),
        json!({"text": "overridden", "username": "request-name", "icon_url": "https://example.com/req.png",
               "icon_emoji": "rocket"}),
    ] {
        assert_eq!(post_json(&world, &hook.id, payload).await, (200, "ok".into()));
    }
    let posts = channel_posts(&world, &world.open_channel.id).await;
    let props: Vec<Value> = posts.iter().map(|p| Value::Object(p.props.clone())).collect();
    assert_eq!(
        props,
        [
            json!({"from_webhook": "true", "webhook_display_name": "Deploys", "override_username": "hook-name",
                   "override_icon_url": "https://example.com/hook.png"}),
            json!({"from_webhook": "true", "webhook_display_name": "Deploys", "override_username": "request-name",
                   "override_icon_url": "https://example.com/req.png", "override_icon_emoji": "rocket"}),
        ]
    );
}

#[tokio::test]
async fn slack_markup_and_attachments_are_converted() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    let alice = &world.member.user.id;
    let payload = json!({
        "text": format!("<!channel> deploy <https://ci.example.com/1|#1> by <@{alice}>, not <@U0SLACK> <!everyone>"),
        "type": "custom_type",
        "attachments": [{
            "fallback": "Deploy <https://x|x>",
            "color": "#36a64f",
            "pretext": "<!here> <https://ci.example.com|CI>",
            "title": format!("<https://ci.example.com/1|Build> for <@{alice}>"),
            "title_link": "https://ci.example.com/1",
            "text": "see <https://logs.example.com|logs>",
            "fields": [
                {"title": "Env", "value": "<https://prod.example.com|prod>", "short": true},
                {"title": "Count", "value": 5, "short": "false"},
                {"title": "Empty", "value": null},
            ],
            "ts": 1_700_000_000,
        }],
    });
    assert_eq!(post_json(&world, &hook.id, payload).await, (200, "ok".into()));
    let post = only_post(&world, &world.open_channel.id).await;
    assert_eq!(
        post.message,
        "@channel deploy [#1](https://ci.example.com/1) by @alice, not <@U0SLACK> <!everyone>"
    );
    assert_eq!(post.type_, "slack_attachment");
    assert_eq!(
        post.props["attachments"],
        json!([{
            "fallback": "Deploy <https://x|x>",
            "color": "#36a64f",
            "pretext": "@here [CI](https://ci.example.com)",
            "title": "<https://ci.example.com/1|Build> for @alice",
            "title_link": "https://ci.example.com/1",
            "text": "see [logs](https://logs.example.com)",
            "fields": [
                {"title": "Env", "value": "[prod](https://prod.example.com)", "short": true},
                {"title": "Count", "value": "5", "short": "false"},
                // `null` means absent, as in Mattermost.
                {"title": "Empty"},
            ],
            "ts": 1_700_000_000,
        }])
    );

    // Attachments alone are enough; props cannot smuggle in raw attachments.
    let payload = json!({"attachments": [{"text": "only"}], "props": {"attachments": "raw"}});
    assert_eq!(post_json(&world, &hook.id, payload).await, (200, "ok".into()));
    let posts = channel_posts(&world, &world.open_channel.id).await;
    assert_eq!(posts[1].message, "");
    assert_eq!(posts[1].props["attachments"], json!([{"text": "only"}]));
}

#[tokio::test]
async fn long_text_is_split_into_consecutive_posts() {
    let world = World::with_overrides_and_bots().await;
    let hook = incoming_hook(&world, &world.open_channel.id, |_| {}).await;
    // Multibyte characters: the limit counts characters (runes), not bytes.
    let text: String = [
        "a".repeat(MAX_POST_RUNES - 1),
        "é".into(),
        "b".repeat(MAX_POST_RUNES),
        "c".repeat(10),
    ]
    .concat();
    let payload = json!({"text": text, "attachments": [{"text": "at the end"}], "props": {"k": "v"}});
    assert_eq!(post_json(&world, &hook.id, payload).await, (200, "ok".into()));

    let posts = channel_posts(&world, &world.open_channel.id).await;
    let lengths: Vec<usize> = posts.iter().map(|p| p.message.chars().count()).collect();
    assert_eq!(lengths, [MAX_POST_RUNES, MAX_POST_RUNES, 10]);
    assert!(posts[0].message.ends_with('é'));
    assert_eq!(posts.iter().map(|p| p.message.as_str()).collect::<String>(), text);
    for post in &posts {
        assert_eq!(post.props["from_webhook"], "true");
        assert_eq!(post.props["k"], "v");
        assert_eq!(post.type_, "slack_attachment");
    }
    // The attachments go with the last part, as in Mattermost.
    let with_attachments: Vec<bool> = posts.iter().map(|p| p.props.contains_key("attachments")).collect();
    assert_eq!(with_attachments, [false, false, true]);
}
