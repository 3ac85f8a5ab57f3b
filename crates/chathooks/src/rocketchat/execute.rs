//! `POST /hooks/{hook_id}/{token}`: running an incoming integration.
//!
//! The id and token in the path are the only credential, so the token is
//! compared in constant time and a wrong one answers exactly like an unknown
//! id (404), revealing nothing about which part was wrong.

use chathooks_rocketchat_server::ops::execute_incoming_webhook::{self, Body};
use chathooks_rocketchat_types as types;
use serde_json::{Value, json};

use super::chat::{NewMessage, PostedBy, post_message};
use super::error::{RcError, RcResult};
use super::rooms::{entries, live_channel, resolve_entry};
use super::wire::typed;
use crate::Core;
use crate::password::constant_time_eq;
use crate::store::{Channel, RC_WEBHOOK_INCOMING, RcIntegration, Store, User};

fn not_found() -> RcError {
    RcError::NotFound("Invalid integration id or token provided.".into())
}

fn text<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The first non-empty of two alternative payload fields.
fn either(first: Option<String>, second: Option<String>) -> Option<String> {
    first.filter(|s| !s.is_empty()).or(second.filter(|s| !s.is_empty()))
}

/// The incoming integration with this id and token.
async fn find(state: &Core, id: &str, token: &str) -> RcResult<RcIntegration> {
    let integration = state
        .store
        .get_rc_integration(id)
        .await?
        .filter(|i| i.integration_type == RC_WEBHOOK_INCOMING)
        .ok_or_else(not_found)?;
    if integration.token.is_empty() || !constant_time_eq(integration.token.as_bytes(), token.as_bytes()) {
        return Err(not_found());
    }
    Ok(integration)
}

/// The payload, from JSON or from a form's `payload` field.
fn payload(body: Option<Body>) -> RcResult<types::IncomingWebhookMessage> {
    match body {
        None => Ok(types::IncomingWebhookMessage::default()),
        Some(Body::Json(message)) => Ok(message),
        Some(Body::Form(form)) => serde_json::from_str(&form.payload).map_err(|error| {
            RcError::typed(
                "invalid-params",
                &format!("the payload field is not valid JSON: {error}"),
            )
        }),
    }
}

/// The rooms to post in: the payload's `roomId` or `channel` (already
/// allowed by the caller), else the integration's channels.
async fn destinations(
    state: &Core,
    integration: &RcIntegration,
    poster: &User,
    override_channel: Option<&str>,
    override_room: Option<&str>,
) -> RcResult<Vec<Channel>> {
    let invalid = || RcError::failure("invalid-channel");
    if let Some(room_id) = override_room {
        return Ok(vec![live_channel(state, room_id).await?.ok_or_else(invalid)?]);
    }
    let list: Vec<String> = match override_channel {
        Some(channel) => entries(channel),
        None => integration
            .doc
            .get("channel")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
    };
    let mut rooms = Vec::with_capacity(list.len());
    for entry in list {
        // A bare name in an overriding `channel` means a room, as in Rocket.Chat.
        let entry = if entry.starts_with(['#', '@']) {
            entry
        } else {
            format!("#{entry}")
        };
        rooms.push(resolve_entry(state, poster, &entry).await?.ok_or_else(invalid)?);
    }
    if rooms.is_empty() {
        return Err(invalid());
    }
    Ok(rooms)
}

fn trimmed(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub async fn execute_incoming_webhook(
    state: &Core,
    request: execute_incoming_webhook::Request,
) -> RcResult<execute_incoming_webhook::Response> {
    let integration = find(state, &request.hook_id, &request.token).await?;
    if !integration.enabled {
        return Err(RcError::ServiceUnavailable);
    }
    let message = payload(request.body)?;
    let doc = &integration.doc;
    let override_channel = trimmed(message.channel.as_ref());
    let override_room = trimmed(message.room_id.as_ref());
    let may_override = doc.get("overrideDestinationChannelEnabled").and_then(Value::as_bool) == Some(true);
    if (override_channel.is_some() || override_room.is_some()) && !may_override {
        return Err(RcError::failure(
            "overriding destination channel is disabled for this integration",
        ));
    }
    let attachments = message
        .attachments
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(RcError::internal)?;
    let new_message = NewMessage {
        text: either(message.text, message.msg).unwrap_or_default(),
        alias: either(message.username, message.alias).or_else(|| text(doc, "alias").map(str::to_owned)),
        avatar: either(message.icon_url, message.avatar).or_else(|| text(doc, "avatar").map(str::to_owned)),
        emoji: either(message.icon_emoji, message.emoji).or_else(|| text(doc, "emoji").map(str::to_owned)),
        attachments,
        posted_by: Some(PostedBy {
            integration_id: integration.id.clone(),
            integration_name: integration.name.clone(),
        }),
        ..NewMessage::default()
    };
    if !new_message.is_empty() {
        let poster = match text(doc, "userId") {
            Some(id) => state.store.get_user(id).await?.filter(|u| u.delete_at == 0),
            None => None,
        }
        .ok_or_else(|| RcError::typed("error-invalid-user", "The integration's user does not exist"))?;
        let rooms = destinations(
            state,
            &integration,
            &poster,
            override_channel.as_deref(),
            override_room.as_deref(),
        )
        .await?;
        for room in &rooms {
            post_message(state, room, &poster, new_message.clone()).await?;
        }
    }
    Ok(execute_incoming_webhook::Response::Ok(typed(
        "hook answer",
        json!({"success": true}),
    )?))
}
