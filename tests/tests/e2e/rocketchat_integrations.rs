//! `integrations.*` through the generated Rocket.Chat client: documents as
//! created and updated, every validation error id, schema failures, and the
//! permission rules (admins manage all, plain users their own).

use chathooks_rocketchat_types as types;
use chathooks_tests::rocketchat::{RcSession, RcWorld, create_integration, create_room, error_of, send_raw};
use reqwest::Method;
use serde_json::{Value, json};

fn typed<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid body")
}

fn incoming(channel: &str) -> Value {
    json!({
        "type": "webhook-incoming",
        "username": "alice",
        "channel": channel,
        "scriptEnabled": false,
        "name": "build status",
        "enabled": true,
    })
}

fn outgoing(channel: &str) -> Value {
    json!({
        "type": "webhook-outgoing",
        "username": "alice",
        "channel": channel,
        "event": "sendMessage",
        "urls": ["https://example.com/hook"],
        "scriptEnabled": false,
        "name": "deploy bot",
        "enabled": true,
    })
}

fn with(mut body: Value, changes: Value) -> Value {
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            if value.is_null() {
                body.remove(key);
            } else {
                body.insert(key.clone(), value.clone());
            }
        }
    }
    body
}

/// `integrations.create` with any JSON body, answered raw.
async fn create_raw(session: &RcSession, body: Value) -> (u16, Value) {
    send_raw(session.request(Method::POST, "/api/v1/integrations.create").json(&body)).await
}

async fn get(session: &RcSession, id: &str) -> Result<types::Integration, (u16, Value)> {
    match session.client.integrations_get().integration_id(id).send().await {
        Ok(answer) => Ok(answer.into_inner().integration),
        Err(error) => Err(error_of::<types::IntegrationsGetResponse>(Err(error)).await),
    }
}

const TOKEN_ALPHABET: &str = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

#[tokio::test]
async fn create_incoming() {
    let world = RcWorld::new().await;
    let created = world
        .admin
        .client
        .integrations_create()
        .body(typed::<types::IntegrationsCreateBody>(with(
            incoming(" #general , @bob "),
            json!({"alias": "CI", "emoji": ":robot:"}),
        )))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(*created.success);
    let integration = created.integration;
    let token = integration.token.clone().unwrap_or_default();
    assert_eq!(token.len(), 48);
    assert!(token.chars().all(|c| TOKEN_ALPHABET.contains(c)), "{token}");
    assert_eq!(integration.id.len(), 17);
    assert_eq!(integration.channel, ["#general", "@bob"]);
    assert_eq!(integration.user_id, world.alice.user_id);
    assert_eq!(integration.created_by.id, world.admin.user_id);
    insta::assert_json_snapshot!("rocketchat_incoming_integration", integration, {
        "._id" => "[id]",
        ".token" => "[token]",
        ".userId" => "[user id]",
        "._createdAt" => "[date]",
        "._createdBy._id" => "[user id]",
    });
    assert_eq!(get(&world.admin, &integration.id).await.unwrap().name, "build status");
}

#[tokio::test]
async fn create_outgoing() {
    let world = RcWorld::new().await;
    let integration = create_integration(
        &world.alice,
        with(
            outgoing("#general"),
            json!({
                "triggerWords": ["!deploy", "  ", "ship"],
                "token": "s3cret",
                "retryFailedCalls": true,
                "retryCount": 2,
                "retryDelay": "powers-of-two",
                "targetRoom": "@bob",
            }),
        ),
    )
    .await;
    assert_eq!(integration.type_, types::IntegrationType::WebhookOutgoing);
    assert_eq!(integration.event, Some(types::IntegrationEvent::SendMessage));
    assert_eq!(integration.urls, ["https://example.com/hook"]);
    assert_eq!(integration.trigger_words, ["!deploy", "ship"]);
    assert_eq!(integration.token.as_deref(), Some("s3cret"));
    assert_eq!(integration.retry_count, Some(2));
    assert_eq!(integration.retry_delay, Some(types::RetryDelay::PowersOfTwo));
    assert_eq!(integration.target_room.as_deref(), Some("@bob"));
    assert_eq!(integration.trigger_word_anywhere, Some(false));
    assert_eq!(integration.script_engine, Some(types::ScriptEngine::IsolatedVm));
    assert_eq!(integration.created_by.id, world.alice.user_id);

    // Without a token there is none; events without rooms store no channel.
    let created = create_integration(
        &world.admin,
        with(
            outgoing(""),
            json!({"event": "roomCreated", "triggerWords": ["ignored"]}),
        ),
    )
    .await;
    assert_eq!(created.token, None);
    assert!(created.channel.is_empty());
    assert!(created.trigger_words.is_empty());
}

/// Every error id of Rocket.Chat's checks, with the failing method in
/// `details.method`.
#[tokio::test]
async fn validation_error_ids() {
    let world = RcWorld::new().await;
    let cases = [
        (incoming(""), "error-invalid-channel"),
        (incoming(" , "), "error-invalid-channel"),
        (incoming("general"), "error-invalid-channel-start-with-chars"),
        (
            with(incoming("#general"), json!({"username": " "})),
            "error-invalid-username",
        ),
        (
            with(incoming("#general"), json!({"username": "nobody"})),
            "error-invalid-user",
        ),
        (incoming("#missing"), "error-invalid-room"),
        (incoming("@nobody"), "error-invalid-room"),
        (
            with(outgoing("#general"), json!({"event": "sendSmoke"})),
            "error-invalid-event-type",
        ),
        (
            with(outgoing("#general"), json!({"username": ""})),
            "error-invalid-username",
        ),
        (
            with(outgoing("#general"), json!({"username": "nobody"})),
            "error-invalid-user",
        ),
        (outgoing(""), "error-invalid-channel"),
        (with(outgoing("#general"), json!({"urls": []})), "error-invalid-urls"),
        (
            with(outgoing("#general"), json!({"urls": ["  "]})),
            "error-invalid-urls",
        ),
        (with(outgoing("#general"), json!({"urls": null})), "error-invalid-urls"),
        (
            with(outgoing("#general"), json!({"urls": ["not a url"]})),
            "error-invalid-urls",
        ),
        (outgoing("general"), "error-invalid-channel-start-with-chars"),
        (outgoing("#missing"), "error-invalid-room"),
        (
            with(outgoing("#general"), json!({"targetRoom": "general"})),
            "error-invalid-targetRoom",
        ),
        (
            with(outgoing("#general"), json!({"targetRoom": "#missing"})),
            "error-invalid-targetRoom",
        ),
        (
            with(outgoing(""), json!({"event": "userCreated"})),
            "error-invalid-targetRoom",
        ),
    ];
    for (body, error_type) in cases {
        let (status, error) = create_raw(&world.admin, body.clone()).await;
        assert_eq!(
            (status, error["errorType"].as_str()),
            (400, Some(error_type)),
            "{body} -> {error}"
        );
        let method = if body["type"] == "webhook-incoming" {
            "addIncomingIntegration"
        } else {
            "addOutgoingIntegration"
        };
        assert_eq!(error["details"]["method"], method, "{body}");
        assert!(
            error["error"]
                .as_str()
                .unwrap_or_default()
                .ends_with(&format!("[{error_type}]"))
        );
    }
    // `userCreated` with a target room is fine.
    let (status, _) = create_raw(
        &world.admin,
        with(outgoing(""), json!({"event": "userCreated", "targetRoom": "#general"})),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn schema_failures_are_invalid_params() {
    let world = RcWorld::new().await;
    let cases = [
        (
            with(incoming("#general"), json!({"type": null})),
            "must match exactly one schema in oneOf",
        ),
        (
            with(incoming("#general"), json!({"color": "red"})),
            "must match exactly one schema in oneOf",
        ),
        (
            with(outgoing("#general"), json!({"triggerWords": "!deploy"})),
            "must match exactly one schema in oneOf",
        ),
        (
            with(incoming("#general"), json!({"enabled": "yes"})),
            "must match exactly one schema in oneOf",
        ),
    ];
    for (body, message) in cases {
        let (status, error) = create_raw(&world.admin, body).await;
        assert_eq!(status, 400);
        assert_eq!(error["errorType"], "invalid-params");
        assert_eq!(error["error"], format!("{message} [invalid-params]"));
    }
    let (status, error) = send_raw(
        world
            .admin
            .request(Method::PUT, "/api/v1/integrations.update")
            .json(&json!({"type": "webhook-incoming"})),
    )
    .await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("invalid-params")));

    // A type Rocket.Chat does not know gets its own plain failure, whatever
    // else the body holds.
    for body in [
        with(incoming("#general"), json!({"type": "webhook-sideways"})),
        json!({"type": ""}),
    ] {
        let (status, error) = create_raw(&world.admin, body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            error,
            json!({"success": false, "error": "Invalid integration type."}),
            "{body}"
        );
    }
}

/// Plain users hold the own-* permissions: they manage what they created
/// and nothing else; admins manage everything.
#[tokio::test]
async fn plain_users_manage_their_own_integrations() {
    let world = RcWorld::new().await;
    let mine = create_integration(&world.alice, incoming("#general")).await;
    let theirs = create_integration(&world.bob, with(outgoing("#general"), json!({"username": "bob"}))).await;

    // Room rules for own-* holders: only rooms they are in; no all_* values.
    create_room(&world.admin, "staff", &[]).await;
    let (status, error) = create_raw(&world.alice, incoming("#staff")).await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-invalid-channel"))
    );
    let (status, error) = create_raw(&world.alice, outgoing("all_public_channels")).await;
    assert_eq!(
        (status, error["errorType"].as_str()),
        (400, Some("error-invalid-channel"))
    );
    let (status, _) = create_raw(&world.admin, outgoing("all_public_channels, #staff")).await;
    assert_eq!(status, 200);

    // Reading someone else's integration.
    assert!(get(&world.alice, &mine.id).await.is_ok());
    assert_eq!(
        get(&world.alice, &theirs.id).await.unwrap_err(),
        (400, json!({"success": false, "error": "not-authorized"}))
    );
    assert!(get(&world.admin, &theirs.id).await.is_ok());
    assert_eq!(
        get(&world.alice, "missing").await.unwrap_err(),
        (
            400,
            json!({"success": false, "error": "The integration does not exists."})
        )
    );

    // Changing it.
    let update = with(
        with(outgoing("#general"), json!({"username": "bob", "name": "hijacked"})),
        json!({"integrationId": theirs.id}),
    );
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::PUT, "/api/v1/integrations.update")
            .json(&update),
    )
    .await;
    assert_eq!(
        (status, error),
        (400, json!({"success": false, "error": "No integration found."}))
    );
    let (status, updated) = send_raw(
        world
            .admin
            .request(Method::PUT, "/api/v1/integrations.update")
            .json(&update),
    )
    .await;
    assert_eq!(
        (status, updated["integration"]["name"].as_str()),
        (200, Some("hijacked"))
    );

    // Removing it.
    let remove = json!({"type": "webhook-outgoing", "integrationId": theirs.id});
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::POST, "/api/v1/integrations.remove")
            .json(&remove),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["errorType"], "not_authorized");
    assert_eq!(error["error"], "Unauthorized [not_authorized]");
    assert_eq!(error["details"]["method"], "deleteOutgoingIntegration");

    // Listing shows what each may manage.
    let names = |list: types::IntegrationsListResponse| -> Vec<String> {
        list.integrations.into_iter().map(|i| i.id).collect()
    };
    let alice_list = world
        .alice
        .client
        .integrations_list()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(alice_list.total, 1);
    assert_eq!(names(alice_list), std::slice::from_ref(&mine.id));
    let admin_list = world
        .admin
        .client
        .integrations_list()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(admin_list.total, 3);

    // History of someone else's integration is empty.
    let history = world
        .alice
        .client
        .integrations_history()
        .id(&theirs.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((history.total, history.items), (0, 0));
}

#[tokio::test]
async fn update_replaces_settings_and_keeps_identity() {
    let world = RcWorld::new().await;
    create_room(&world.admin, "random", &["alice"]).await;
    let created = create_integration(&world.alice, with(incoming("#general"), json!({"alias": "CI"}))).await;
    let updated = world
        .alice
        .client
        .integrations_update()
        .body(typed::<types::IntegrationsUpdateBody>(json!({
            "type": "webhook-incoming",
            "integrationId": created.id,
            "channel": "#random",
            "scriptEnabled": false,
            "name": "renamed",
            "enabled": false,
            "emoji": ":tada:",
        })))
        .send()
        .await
        .unwrap()
        .into_inner()
        .integration;
    assert_eq!(updated.id, created.id);
    assert_eq!(updated.token, created.token);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(updated.username, "alice", "kept when left out");
    assert_eq!(
        updated.alias.as_deref(),
        Some("CI"),
        "optional fields left out are kept"
    );
    assert_eq!(updated.emoji.as_deref(), Some(":tada:"));
    assert_eq!(updated.channel, ["#random"]);
    assert_eq!((updated.name.as_str(), updated.enabled), ("renamed", false));
    assert_eq!(updated.updated_by.map(|u| u.id), Some(world.alice.user_id.clone()));
    assert!(updated.updated_at.is_some());
    assert_eq!(get(&world.alice, &created.id).await.unwrap().name, "renamed");

    // Outgoing: found by target_url; token replaced; trigger words replaced.
    let hook = create_integration(
        &world.alice,
        with(
            outgoing("#general"),
            json!({"token": "one", "triggerWords": ["a"], "urls": ["https://example.com/x"]}),
        ),
    )
    .await;
    let updated = world
        .alice
        .client
        .integrations_update()
        .body(typed::<types::IntegrationsUpdateBody>(with(
            outgoing("#random"),
            json!({"target_url": "https://example.com/x", "token": "two", "urls": ["https://example.com/y"]}),
        )))
        .send()
        .await
        .unwrap()
        .into_inner()
        .integration;
    assert_eq!(updated.id, hook.id);
    assert_eq!(updated.token.as_deref(), Some("two"));
    assert_eq!(updated.urls, ["https://example.com/y"]);
    assert!(updated.trigger_words.is_empty());

    let cases = [
        json!({"type": "webhook-incoming", "integrationId": "missing", "channel": "#general", "scriptEnabled": false, "name": "x", "enabled": true}),
        // The id of an integration of the other type.
        json!({"type": "webhook-incoming", "integrationId": hook.id, "channel": "#general", "scriptEnabled": false, "name": "x", "enabled": true}),
        with(outgoing("#general"), json!({})),
    ];
    for body in cases {
        let (status, error) = send_raw(
            world
                .alice
                .request(Method::PUT, "/api/v1/integrations.update")
                .json(&body),
        )
        .await;
        assert_eq!(
            (status, error),
            (400, json!({"success": false, "error": "No integration found."}))
        );
    }
    // The same checks as create, named after the update methods.
    let (status, error) = send_raw(
        world
            .alice
            .request(Method::PUT, "/api/v1/integrations.update")
            .json(&with(
                outgoing("#general"),
                json!({"integrationId": hook.id, "urls": [" "]}),
            )),
    )
    .await;
    assert_eq!((status, error["errorType"].as_str()), (400, Some("error-invalid-urls")));
    assert_eq!(error["details"]["method"], "updateOutgoingIntegration");
}

#[tokio::test]
async fn get_list_and_remove() {
    let world = RcWorld::new().await;
    let mut ids = Vec::new();
    for name in ["Alpha", "beta", "alphabet"] {
        ids.push(
            create_integration(&world.alice, with(incoming("#general"), json!({"name": name})))
                .await
                .id,
        );
    }
    let hook = create_integration(&world.alice, outgoing("#general")).await;

    let by_creator = world
        .alice
        .client
        .integrations_get()
        .integration_id(&ids[0])
        .created_by(&world.bob.user_id)
        .send()
        .await;
    assert_eq!(
        error_of(by_creator).await,
        (
            400,
            json!({"success": false, "error": "The integration does not exists."})
        )
    );

    let list = world
        .alice
        .client
        .integrations_list()
        .name("ALPHA")
        .send()
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = list.integrations.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["Alpha", "alphabet"], "oldest first");
    assert_eq!((list.total, list.items, list.count, list.offset), (2, 2, 2, 0));
    let page = world
        .alice
        .client
        .integrations_list()
        .offset(1)
        .count(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.total, page.items, page.offset), (4, 2, 1));
    let outgoing_only = world
        .alice
        .client
        .integrations_list()
        .type_(types::IntegrationType::WebhookOutgoing)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outgoing_only.integrations.len(), 1);
    assert_eq!(outgoing_only.integrations[0].id, hook.id);

    let removed = world
        .alice
        .client
        .integrations_remove()
        .body(typed::<types::IntegrationsRemoveBody>(
            json!({"type": "webhook-incoming", "integrationId": ids[1]}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed.integration.name, "beta");
    assert_eq!(get(&world.alice, &ids[1]).await.unwrap_err().0, 400);

    let failures = [
        (
            json!({"type": "webhook-incoming", "integrationId": ids[1]}),
            "No integration found.",
        ),
        (
            json!({"type": "webhook-outgoing", "integrationId": ids[0]}),
            "No integration found.",
        ),
        (
            json!({"type": "webhook-outgoing"}),
            "An integrationId or target_url needs to be provided.",
        ),
        (
            json!({"type": "webhook-incoming"}),
            "Match error: Missing key 'integrationId'",
        ),
        (
            json!({"type": "webhook-outgoing", "target_url": "https://example.com/other"}),
            "No integration found.",
        ),
    ];
    for (body, message) in failures {
        let (status, error) = send_raw(
            world
                .alice
                .request(Method::POST, "/api/v1/integrations.remove")
                .json(&body),
        )
        .await;
        assert_eq!(
            (status, error),
            (400, json!({"success": false, "error": message})),
            "{body}"
        );
    }
    let by_url = world
        .alice
        .client
        .integrations_remove()
        .body(typed::<types::IntegrationsRemoveBody>(
            json!({"type": "webhook-outgoing", "target_url": "https://example.com/hook"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_url.integration.id, hook.id);
    let left = world
        .alice
        .client
        .integrations_list()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(left.total, 2);
}

#[tokio::test]
async fn history_arguments() {
    let world = RcWorld::new().await;
    let (status, error) = send_raw(world.alice.request(Method::GET, "/api/v1/integrations.history?id=%20")).await;
    assert_eq!(
        (status, error),
        (400, json!({"success": false, "error": "Invalid integration id."}))
    );
    let (status, error) = send_raw(world.alice.request(Method::GET, "/api/v1/integrations.history")).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "must have required property 'id' [invalid-params]");
    let unknown = world
        .alice
        .client
        .integrations_history()
        .id("missing")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.history.is_empty());
    // No session at all.
    let (status, error) =
        send_raw(reqwest::Client::new().get(format!("{}/api/v1/integrations.list", world.server.base))).await;
    assert_eq!(
        (status, error["message"].as_str()),
        (401, Some("You must be logged in to do this."))
    );
}
