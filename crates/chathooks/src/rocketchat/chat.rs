//! Posting messages: `chat.postMessage`, and the one path every Rocket.Chat
//! message takes into the store (incoming integrations and outgoing
//! integrations' replies use it too).
//!
//! A message is a post. Rocket.Chat's message fields are kept in the post's
//! props under the Mattermost API's names (`override_username` for `alias`,
//! `override_icon_url` for `avatar`, `override_icon_emoji` for `emoji`,
//! `attachments`), so both APIs show the same message the same way, and
//! integration messages carry Mattermost's `from_webhook` mark, which both
//! APIs' outgoing hooks skip (loop protection).

use chathooks_rocketchat_server::ops::chat_post_message;
use serde_json::{Map, Value, json};

use super::auth::{Permission, can_access_room, has_permission};
use super::error::{RcError, RcResult};
use super::rooms::{live_channel, resolve_entry};
use super::wire::{self, PROP_INTEGRATION_ID};
use crate::Core;
use crate::accounts::Caller;
use crate::markup::MAX_POST_RUNES;
use crate::posts::new_post;
use crate::posts::{
    POST_TYPE_SLACK_ATTACHMENT, PROP_ATTACHMENTS, PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_EMOJI, PROP_OVERRIDE_ICON_URL,
    PROP_OVERRIDE_USERNAME, PROP_WEBHOOK_DISPLAY_NAME,
};
use crate::store::{Channel, Post, User};

/// The integration a message is posted by.
#[derive(Debug, Clone)]
pub struct PostedBy {
    pub integration_id: String,
    pub integration_name: String,
}

/// A message to post.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub text: String,
    /// Display name instead of the author's username.
    pub alias: Option<String>,
    /// Avatar image URL.
    pub avatar: Option<String>,
    /// Avatar emoji.
    pub emoji: Option<String>,
    /// Slack-style attachments, as sent.
    pub attachments: Vec<Value>,
    /// Set for messages posted by integrations.
    pub posted_by: Option<PostedBy>,
}

impl NewMessage {
    /// Nothing to post: no text and no attachments.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.attachments.is_empty()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Store `message` by `author` in `channel`, through the core's one path for
/// new posts (which starts the outgoing hooks of both APIs).
pub async fn post_message(state: &Core, channel: &Channel, author: &User, message: NewMessage) -> RcResult<Post> {
    if message.text.chars().count() > MAX_POST_RUNES {
        return Err(RcError::typed(
            "error-message-size-exceeded",
            &format!("Message size exceeds the maximum of {MAX_POST_RUNES} characters"),
        ));
    }
    let mut post = new_post(&channel.id, &author.id, message.text);
    let mut props = Map::new();
    for (key, value) in [
        (PROP_OVERRIDE_USERNAME, message.alias),
        (PROP_OVERRIDE_ICON_URL, message.avatar),
        (PROP_OVERRIDE_ICON_EMOJI, message.emoji),
    ] {
        if let Some(value) = non_empty(value) {
            props.insert(key.into(), value.into());
        }
    }
    if !message.attachments.is_empty() {
        props.insert(PROP_ATTACHMENTS.into(), Value::Array(message.attachments));
        post.post_type = POST_TYPE_SLACK_ATTACHMENT.into();
    }
    if let Some(posted_by) = message.posted_by {
        props.insert(PROP_FROM_WEBHOOK.into(), "true".into());
        props.insert(PROP_WEBHOOK_DISPLAY_NAME.into(), posted_by.integration_name.into());
        props.insert(PROP_INTEGRATION_ID.into(), posted_by.integration_id.into());
    }
    post.props = Value::Object(props);
    Ok(crate::posts::create_post(state, post, channel, author).await?)
}

/// The room `chat.postMessage` names: `roomId`, else `channel` as `#room`,
/// `@username` or a bare room id.
async fn destination(state: &Core, author: &User, room_id: Option<&str>, channel: Option<&str>) -> RcResult<Channel> {
    let invalid = || RcError::typed("error-invalid-channel", "Invalid channel");
    let found = match (room_id.map(str::trim), channel.map(str::trim)) {
        (Some(id), _) if !id.is_empty() => live_channel(state, id).await?,
        (_, Some(entry)) if entry.starts_with(['#', '@']) => resolve_entry(state, author, entry).await?,
        (_, Some(id)) if !id.is_empty() => live_channel(state, id).await?,
        _ => None,
    };
    found.ok_or_else(invalid)
}

pub async fn chat_post_message(
    state: &Core,
    caller: Caller,
    request: chat_post_message::Request,
) -> RcResult<chat_post_message::Response> {
    let body = body_of!(request, chat_post_message);
    let impersonates = [&body.alias, &body.emoji, &body.avatar]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    if impersonates && !has_permission(&caller.user, Permission::MessageImpersonate) {
        return Err(RcError::typed(
            "error-action-not-allowed",
            "Not enough permission to set alias, emoji or avatar",
        ));
    }
    let channel = destination(state, &caller.user, body.room_id.as_deref(), body.channel.as_deref()).await?;
    if !can_access_room(state, &caller.user, &channel).await? {
        return Err(RcError::typed("error-not-allowed", "Not allowed"));
    }
    let attachments = body
        .attachments
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(RcError::internal)?;
    let message = NewMessage {
        text: body.text.unwrap_or_default(),
        alias: body.alias,
        avatar: body.avatar,
        emoji: body.emoji,
        attachments,
        posted_by: None,
    };
    if message.is_empty() {
        return Err(RcError::typed(
            "error-invalid-params",
            "The 'text' or 'attachments' param is required",
        ));
    }
    let post = post_message(state, &channel, &caller.user, message).await?;
    let given = body.channel.or(body.room_id).unwrap_or_else(|| channel.id.clone());
    Ok(chat_post_message::Response::Ok(wire::typed(
        "chat.postMessage answer",
        json!({
            "ts": post.create_at,
            "channel": given,
            "message": wire::message(&post, Some(&caller.user)),
            "success": true,
        }),
    )?))
}
