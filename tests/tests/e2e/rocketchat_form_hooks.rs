//! Incoming webhooks sent as forms without a `payload` field (what
//! Slack-style senders post): the fields are the message, and a script gets
//! them as its request's content, as Rocket.Chat hands them over.

use chathooks_rocketchat_types as types;
use chathooks_tests::rocketchat::{RcWorld, create_integration, history, send_raw};
use serde_json::json;

fn hook_url(world: &RcWorld, integration: &types::Integration) -> String {
    format!(
        "{}/hooks/{}/{}",
        world.server.base,
        integration.id,
        integration.token.clone().unwrap_or_default()
    )
}

#[tokio::test]
async fn form_fields_without_payload_are_the_message() {
    let world = RcWorld::new().await;
    let integration = create_integration(
        &world.alice,
        json!({
            "type": "webhook-incoming", "username": "alice", "channel": "#general",
            "scriptEnabled": false, "name": "plain form", "enabled": true,
        }),
    )
    .await;
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(hook_url(&world, &integration))
            .form(&[("text", "posted as a form"), ("alias", "Former")]),
    )
    .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    let latest = &history(&world.bob, &world.general.id).await[0];
    assert_eq!(latest.msg, "posted as a form");
    assert_eq!(latest.alias.as_deref(), Some("Former"));
}

#[tokio::test]
async fn a_script_reads_form_fields_without_payload() {
    let world = RcWorld::new().await;
    let script = r#"
        class Script {
            process_incoming_request({ request }) {
                return { content: { text: `${request.content.event} by ${request.content.who}` } };
            }
        }
    "#;
    let integration = create_integration(
        &world.alice,
        json!({
            "type": "webhook-incoming", "username": "alice", "channel": "#general",
            "scriptEnabled": true, "script": script, "name": "form script", "enabled": true,
        }),
    )
    .await;
    let (status, body) = send_raw(
        reqwest::Client::new()
            .post(hook_url(&world, &integration))
            .form(&[("event", "push"), ("who", "carol")]),
    )
    .await;
    assert_eq!((status, body), (200, json!({"success": true})));
    assert_eq!(history(&world.bob, &world.general.id).await[0].msg, "push by carol");
}
