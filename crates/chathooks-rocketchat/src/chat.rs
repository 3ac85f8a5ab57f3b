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

use chathooks_rocketchat_server::ops::{chat_delete, chat_post_message, chat_react, chat_update};
use serde_json::{Map, Value, json};

use super::auth::{Permission, RoomPermission, can_access_room, has_permission, has_room_permission};
use super::error::{RcError, RcResult};
use super::rooms::{live_channel, resolve_entry};
use super::wire::{self, PROP_EDITED_BY, PROP_FILE_DESCRIPTION, PROP_INTEGRATION_ID};
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::markup::MAX_POST_RUNES;
use chathooks_core::posts::{self, new_post};
use chathooks_core::posts::{
    POST_TYPE_SLACK_ATTACHMENT, PROP_ATTACHMENTS, PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_EMOJI, PROP_OVERRIDE_ICON_URL,
    PROP_OVERRIDE_USERNAME, PROP_WEBHOOK_DISPLAY_NAME,
};
use chathooks_core::reactions;
use chathooks_core::store::{Channel, Post, User, now_ms};

/// The integration a message is posted by.
#[derive(Debug, Clone)]
pub(crate) struct PostedBy {
    pub integration_id: String,
    pub integration_name: String,
}

/// A message to post.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewMessage {
    /// The id the client chose (the Realtime API's `sendMessage`); a new one
    /// when `None`.
    pub id: Option<String>,
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
    /// Uploaded files the message carries (`rooms.upload`).
    pub file_ids: Vec<String>,
    /// The description of the first file.
    pub file_description: Option<String>,
    /// The thread to post in (Rocket.Chat's `tmid`): its first message's id.
    pub root_id: Option<String>,
}

impl NewMessage {
    /// Nothing to post: no text, no attachments and no files.
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty() && self.attachments.is_empty() && self.file_ids.is_empty()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Store `message` by `author` in `channel`, through the core's one path for
/// new posts (which starts the outgoing hooks of both APIs).
pub(crate) async fn post_message(
    state: &Core,
    channel: &Channel,
    author: &User,
    message: NewMessage,
) -> RcResult<Post> {
    check_size(&message.text)?;
    if let Some(description) = &message.file_description {
        check_size(description)?;
    }
    let mut post = new_post(&channel.id, &author.id, message.text);
    if let Some(id) = message.id {
        post.id = id;
    }
    post.file_ids = message.file_ids.clone();
    if let Some(root_id) = message.root_id {
        post.root_id = root_id;
    }
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
        post.hook_id.clone_from(&posted_by.integration_id);
        props.insert(PROP_INTEGRATION_ID.into(), posted_by.integration_id.into());
    }
    if let Some(description) = message.file_description {
        props.insert(PROP_FILE_DESCRIPTION.into(), description.into());
    }
    post.props = Value::Object(props);
    let post = posts::create_post(state, post, channel, author).await?;
    if !message.file_ids.is_empty() {
        chathooks_core::files::attach_files(state, &post.id, &message.file_ids, now_ms()).await?;
    }
    Ok(post)
}

/// Rocket.Chat's `Message_MaxAllowedSize` (here: the post size both APIs share).
pub(crate) fn check_size(text: &str) -> RcResult<()> {
    if text.chars().count() > MAX_POST_RUNES {
        return Err(RcError::typed(
            "error-message-size-exceeded",
            &format!("Message size exceeds the maximum of {MAX_POST_RUNES} characters"),
        ));
    }
    Ok(())
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

pub(crate) async fn chat_post_message(
    state: &Core,
    caller: Caller,
    request: chat_post_message::Request,
) -> RcResult<chat_post_message::Response> {
    let body = body_of!(request, chat_post_message);
    let impersonates = [&body.alias, &body.emoji, &body.avatar]
        .iter()
        .any(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
    if impersonates && !has_permission(state, &caller.user, Permission::MessageImpersonate).await? {
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
        ..NewMessage::default()
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

/// The live message `id`, which must be in room `room_id` (`chat.update`,
/// `chat.delete`), with its room.
async fn message_in_room(state: &Core, id: &str, room_id: &str) -> RcResult<(Post, Channel)> {
    let post = posts::live_post(state, id)
        .await?
        .ok_or_else(|| RcError::failure(format!("No message found with the id of \"{id}\".")))?;
    if post.channel_id != room_id {
        return Err(RcError::failure(
            "The room id provided does not match where the message is from.",
        ));
    }
    let channel = state
        .read()
        .get_channel(&post.channel_id)
        .await?
        .ok_or_else(|| RcError::failure(format!("No message found with the id of \"{id}\".")))?;
    Ok((post, channel))
}

/// The author of `post`: `caller` when it is theirs, else looked up.
async fn author_of(state: &Core, post: &Post, caller: &User) -> RcResult<Option<User>> {
    if post.user_id == caller.id {
        return Ok(Some(caller.clone()));
    }
    Ok(state.read().get_user(&post.user_id).await?)
}

pub(crate) async fn chat_update(
    state: &Core,
    caller: Caller,
    request: chat_update::Request,
) -> RcResult<chat_update::Response> {
    let body = body_of!(request, chat_update);
    let (mut post, channel) = message_in_room(state, &body.msg_id, &body.room_id).await?;
    let own = post.user_id == caller.user.id;
    if !own && !has_room_permission(state, &caller.user, &channel, RoomPermission::EditMessage).await? {
        return Err(
            RcError::typed("error-action-not-allowed", "Message editing not allowed").in_method("updateMessage"),
        );
    }
    if channel.delete_at != 0 {
        return Err(RcError::typed(
            "error-room-archived",
            &format!("The channel, {}, is archived", channel.name),
        ));
    }
    if !can_access_room(state, &caller.user, &channel).await? {
        return Err(RcError::typed("error-not-allowed", "Not allowed").in_method("updateMessage"));
    }
    check_size(&body.text)?;
    let author = author_of(state, &post, &caller.user).await?;
    // A file message's text is its file's description, when it has one.
    let description = post
        .props
        .get(PROP_FILE_DESCRIPTION)
        .and_then(Value::as_str)
        .map(str::to_owned);
    let describes_file = description.is_some();
    let current = description.unwrap_or_else(|| post.message.clone());
    if current != body.text {
        let mut props = match std::mem::take(&mut post.props) {
            Value::Object(props) => props,
            _ => Map::new(),
        };
        if describes_file {
            props.insert(PROP_FILE_DESCRIPTION.into(), body.text.clone().into());
        } else {
            post.message = body.text.clone();
        }
        props.insert(PROP_EDITED_BY.into(), wire::edited_by(&caller.user));
        post.props = Value::Object(props);
        // The event names the post's author; an account that vanished is
        // stood in for by the editor.
        let event_author = author.as_ref().unwrap_or(&caller.user);
        post = posts::edit_post(state, post, &channel, event_author).await?;
    }
    let message = wire::full_message(state, &post, author.as_ref()).await?;
    Ok(chat_update::Response::Ok(wire::typed(
        "chat.update answer",
        json!({"message": message, "success": true}),
    )?))
}

pub(crate) async fn chat_delete(
    state: &Core,
    caller: Caller,
    request: chat_delete::Request,
) -> RcResult<chat_delete::Response> {
    let body = body_of!(request, chat_delete);
    let (post, channel) = message_in_room(state, &body.msg_id, &body.room_id).await?;
    let own = post.user_id == caller.user.id;
    if body.as_user
        && !own
        && !has_room_permission(state, &caller.user, &channel, RoomPermission::ForceDeleteMessage).await?
    {
        return Err(RcError::failure(
            "Unauthorized. You must have the permission \"force-delete-message\" to delete other's message as them.",
        ));
    }
    let author = author_of(state, &post, &caller.user).await?;
    let acting = if body.as_user {
        author.clone().ok_or_else(|| RcError::failure("User not found"))?
    } else {
        caller.user.clone()
    };
    // Rocket.Chat's canDeleteMessage: `force-delete-message`, or one's own
    // message (`Message_AllowDeleting`), or `delete-message` for others'.
    let allowed = acting.id == post.user_id
        || has_room_permission(state, &acting, &channel, RoomPermission::ForceDeleteMessage).await?
        || has_room_permission(state, &acting, &channel, RoomPermission::DeleteMessage).await?;
    if !allowed {
        return Err(RcError::typed("error-action-not-allowed", "Not allowed"));
    }
    posts::delete_post(state, &post, &channel, &acting).await?;
    let u = match &author {
        Some(author) => wire::user_ref(author),
        None => json!({"_id": post.user_id}),
    };
    Ok(chat_delete::Response::Ok(wire::typed(
        "chat.delete answer",
        json!({
            "_id": post.id,
            "ts": now_ms().to_string(),
            "message": {"_id": post.id, "rid": post.channel_id, "u": u},
            "success": true,
        }),
    )?))
}

pub(crate) async fn chat_react(
    state: &Core,
    caller: Caller,
    request: chat_react::Request,
) -> RcResult<chat_react::Response> {
    let body = body_of!(request, chat_react);
    let Some(post) = posts::live_post(state, &body.message_id).await? else {
        return Err(RcError::typed(
            "error-message-not-found",
            "The provided \"messageId\" does not match any existing message.",
        ));
    };
    let Some(emoji) = body.emoji.or(body.reaction).filter(|e| !e.is_empty()) else {
        return Err(RcError::typed(
            "error-emoji-param-not-provided",
            "The required \"emoji\" param is missing.",
        ));
    };
    let name = emoji.replace(':', "");
    if !reactions::valid_emoji_name(&name) {
        return Err(RcError::typed("error-not-allowed", "Invalid emoji provided.").in_method("setReaction"));
    }
    let channel = live_channel(state, &post.channel_id)
        .await?
        .ok_or_else(|| RcError::typed("error-not-allowed", "Not allowed").in_method("setReaction"))?;
    if !can_access_room(state, &caller.user, &channel).await? {
        return Err(RcError::typed("not-authorized", "Not Authorized").in_method("setReaction"));
    }
    let reacted = state
        .read()
        .list_reactions(&post.id)
        .await?
        .iter()
        .any(|r| r.user_id == caller.user.id && r.emoji_name == name);
    // Without `shouldReact`, toggle.
    let wanted = body.should_react.unwrap_or(!reacted);
    if wanted && !reacted {
        reactions::add_reaction(state, &post, &channel, &caller.user, &name).await?;
    } else if !wanted && reacted {
        reactions::remove_reaction(state, &post, &channel, &caller.user, &name).await?;
    }
    Ok(chat_react::Response::Ok(wire::typed(
        "chat.react answer",
        json!({"success": true}),
    )?))
}
