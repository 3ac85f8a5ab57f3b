//! `POST /hooks/{hook_id}`: posting through an incoming webhook.
//!
//! The second half of the work, turning a Slack-style message into posts, is
//! [`create_webhook_posts`] (Mattermost's `CreateWebhookPost`); the answers of
//! outgoing webhook callbacks are posted through it too, so both kinds of
//! webhook posts look exactly alike.

use std::collections::{HashMap, HashSet};

use axum::http::StatusCode;
use chathooks_mattermost_server::ops::execute_incoming_webhook::{self, Body};
use chathooks_mattermost_types::{IncomingWebhookPayload, SlackAttachment};
use serde_json::{Map, Value};

use super::auth::can_read_channel;
use super::error::{ApiError, ApiResult};
use super::posts::new_post;
use crate::ids::is_valid_id;
use crate::markup::{
    MAX_POST_RUNES, expand_announcements, replace_user_mentions, slack_links_to_markdown, slack_user_mentions,
    split_runes,
};
use crate::server::{AppState, Shared};
use crate::store::{CHANNEL_OPEN, Channel, IncomingHook, Post, Store, now_ms};

/// Marks a post as made by a webhook: clients show it as such, and outgoing
/// webhooks never fire for it (loop protection).
pub const PROP_FROM_WEBHOOK: &str = "from_webhook";
pub const PROP_WEBHOOK_DISPLAY_NAME: &str = "webhook_display_name";
pub const PROP_OVERRIDE_USERNAME: &str = "override_username";
pub const PROP_OVERRIDE_ICON_URL: &str = "override_icon_url";
pub const PROP_OVERRIDE_ICON_EMOJI: &str = "override_icon_emoji";
pub const PROP_ATTACHMENTS: &str = "attachments";
/// Post type of a post carrying Slack attachments.
pub const POST_TYPE_SLACK_ATTACHMENT: &str = "slack_attachment";
/// Name shown for a webhook post when neither the request nor the hook gives one.
pub const DEFAULT_WEBHOOK_USERNAME: &str = "webhook";

/// Request props a webhook may not set itself: they would let it pass for
/// something else (`from_webhook` is set by us; the overrides come from the
/// dedicated fields, subject to the hook's defaults). `attachments` comes from
/// the typed `attachments` field only, so it is always converted and valid.
/// Mattermost's `CreateWebhookPost` skips the same keys.
const RESERVED_PROPS: [&str; 4] = [
    PROP_FROM_WEBHOOK,
    PROP_OVERRIDE_USERNAME,
    PROP_OVERRIDE_ICON_URL,
    PROP_ATTACHMENTS,
];

pub async fn execute_incoming_webhook(
    state: &Shared,
    request: execute_incoming_webhook::Request,
) -> ApiResult<execute_incoming_webhook::Response> {
    let payload = payload_of(request.body)?;
    let text = payload.text.unwrap_or_default();
    if text.is_empty() && payload.attachments.is_empty() {
        return Err(ApiError::bad_request(
            "web.incoming_webhook.text.app_error",
            "No text specified.",
        ));
    }
    let hook = live_hook(state, &request.hook_id).await?;
    let channel = target_channel(state, &hook, payload.channel.as_deref().unwrap_or_default()).await?;
    if hook.channel_locked && channel.id != hook.channel_id {
        return Err(channel_locked());
    }
    let owner = state.store.get_user(&hook.user_id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "web.incoming_webhook.user.app_error",
            "Couldn't find the user who owns the webhook.",
        )
    })?;
    // The hook posts as its owner, so it may only post where the owner may read:
    // otherwise a hook would outlive its owner's access to a private channel.
    if channel.channel_type != CHANNEL_OPEN && !can_read_channel(state, &owner, &channel).await? {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "web.incoming_webhook.permissions.app_error",
            "Inappropriate channel permissions.",
        ));
    }
    create_webhook_posts(
        state,
        WebhookMessage {
            user_id: hook.user_id,
            channel_id: channel.id,
            root_id: String::new(),
            text,
            username: payload.username.filter(|u| !u.is_empty()).unwrap_or(hook.username),
            icon_url: payload.icon_url.filter(|u| !u.is_empty()).unwrap_or(hook.icon_url),
            icon_emoji: payload.icon_emoji.unwrap_or_default(),
            display_name: hook.display_name,
            props: payload.props,
            attachments: payload.attachments,
            post_type: payload.type_.unwrap_or_default(),
        },
    )
    .await?;
    Ok(execute_incoming_webhook::Response::Ok("ok".to_owned()))
}

/// The payload, whichever way it was sent. The router has already parsed JSON
/// bodies (answering unparseable ones with `web.incoming_webhook.parse.app_error`);
/// a form carries the same JSON document as a string, parsed here with the same
/// answer; multipart fields are the simple payload fields themselves.
fn payload_of(body: Body) -> ApiResult<IncomingWebhookPayload> {
    match body {
        Body::Json(payload) => Ok(payload),
        Body::Form(form) => serde_json::from_str(&form.payload).map_err(|error| {
            ApiError::bad_request(
                "web.incoming_webhook.parse.app_error",
                "Unable to parse the incoming data.",
            )
            .detailed(error.to_string())
        }),
        Body::Multipart(fields) => Ok(IncomingWebhookPayload {
            text: fields.text,
            username: fields.username,
            icon_url: fields.icon_url,
            icon_emoji: fields.icon_emoji,
            channel: fields.channel,
            type_: fields.type_,
            ..IncomingWebhookPayload::default()
        }),
    }
}

/// The live hook with this id. A malformed id is answered like an unknown
/// one: the id is the only credential, so how it is wrong is nobody's business.
async fn live_hook(state: &AppState, hook_id: &str) -> ApiResult<IncomingHook> {
    let hook = if is_valid_id(hook_id) {
        state.store.get_incoming(hook_id).await?
    } else {
        None
    };
    hook.ok_or_else(|| ApiError::bad_request("web.incoming_webhook.invalid.app_error", "Invalid webhook."))
}

fn channel_locked() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "web.incoming_webhook.channel_locked.app_error",
        "This webhook is not permitted to post to the requested channel.",
    )
}

fn channel_missing() -> ApiError {
    ApiError::not_found("web.incoming_webhook.channel.app_error", "Couldn't find the channel.")
}

/// The channel to post in: the hook's own, or the one `requested` names
/// (`name` or `#name` in the hook's team, `@username` for the direct channel
/// between the hook's owner and that user).
async fn target_channel(state: &AppState, hook: &IncomingHook, requested: &str) -> ApiResult<Channel> {
    let live = |channel: Option<Channel>| channel.filter(|c| c.delete_at == 0).ok_or_else(channel_missing);
    if requested.is_empty() {
        return live(state.store.get_channel(&hook.channel_id).await?);
    }
    let Some(username) = requested.strip_prefix('@') else {
        let name = requested.strip_prefix('#').unwrap_or(requested);
        return live(state.store.get_channel_by_name(&hook.team_id, name).await?);
    };
    let user = state
        .store
        .get_user_by_username(username)
        .await?
        .ok_or_else(|| ApiError::bad_request("web.incoming_webhook.user.app_error", "Couldn't find the user."))?;
    if hook.channel_locked {
        // A locked hook may only post to its own channel, which a direct channel
        // that does not exist yet cannot be: refuse without creating it.
        let (low, high) = if hook.user_id <= user.id {
            (&hook.user_id, &user.id)
        } else {
            (&user.id, &hook.user_id)
        };
        let existing = state.store.get_channel_by_name("", &format!("{low}__{high}")).await?;
        return existing.ok_or_else(channel_locked);
    }
    Ok(state
        .store
        .get_or_create_direct_channel(&hook.user_id, &user.id)
        .await?)
}

/// A message to post as a webhook: the arguments of Mattermost's `CreateWebhookPost`.
#[derive(Debug, Clone, Default)]
pub struct WebhookMessage {
    /// Author: the hook's owner (incoming) or creator (outgoing).
    pub user_id: String,
    pub channel_id: String,
    /// Thread to reply in; empty for a root post.
    pub root_id: String,
    /// Message text with Slack markup, converted here.
    pub text: String,
    /// Name to show; empty falls back to [`DEFAULT_WEBHOOK_USERNAME`].
    pub username: String,
    /// Profile picture URL to show; empty for none.
    pub icon_url: String,
    /// Emoji to show as the profile picture; empty for none.
    pub icon_emoji: String,
    /// The hook's display name.
    pub display_name: String,
    /// Extra props from the sender; [`RESERVED_PROPS`] are ignored.
    pub props: Map<String, Value>,
    /// Slack attachments, with Slack markup, converted here.
    pub attachments: Vec<SlackAttachment>,
    /// Requested post type; `slack_attachment` when there are attachments.
    pub post_type: String,
}

/// Post `message` as a webhook: convert Slack markup, set the webhook props and
/// split text longer than [`MAX_POST_RUNES`] over consecutive posts (attachments
/// go on the last one, as in Mattermost). Returns the posts in order.
///
/// Never fires outgoing webhooks: a webhook answering a webhook would loop.
pub async fn create_webhook_posts(state: &AppState, message: WebhookMessage) -> ApiResult<Vec<Post>> {
    let post_type = if message.attachments.is_empty() {
        message.post_type
    } else {
        POST_TYPE_SLACK_ATTACHMENT.to_owned()
    };
    // System messages (joins, header changes...) are made by the server only.
    if post_type.starts_with("system_") {
        return Err(ApiError::bad_request(
            "web.incoming_webhook.type.app_error",
            "Webhooks may not post system messages.",
        ));
    }
    let mut attachments = message.attachments;
    stringify_field_values(&mut attachments);
    let usernames = mentioned_usernames(state, &message.text, &attachments).await?;
    let text = to_markdown(&message.text, &usernames);
    convert_attachments(&mut attachments, &usernames);

    let mut props = message.props;
    props.retain(|key, _| !RESERVED_PROPS.contains(&key.as_str()));
    props.insert(PROP_FROM_WEBHOOK.into(), "true".into());
    props.insert(PROP_WEBHOOK_DISPLAY_NAME.into(), message.display_name.into());
    let username = if message.username.is_empty() {
        DEFAULT_WEBHOOK_USERNAME.to_owned()
    } else {
        message.username
    };
    props.insert(PROP_OVERRIDE_USERNAME.into(), username.into());
    if !message.icon_url.is_empty() {
        props.insert(PROP_OVERRIDE_ICON_URL.into(), message.icon_url.into());
    }
    if !message.icon_emoji.is_empty() {
        props.insert(PROP_OVERRIDE_ICON_EMOJI.into(), message.icon_emoji.into());
    }
    let attachments = if attachments.is_empty() {
        None
    } else {
        Some(serde_json::to_value(&attachments).map_err(ApiError::internal)?)
    };

    let chunks = split_runes(&text, MAX_POST_RUNES);
    let last = chunks.len().saturating_sub(1);
    let mut posts = Vec::with_capacity(chunks.len());
    let mut previous_at = 0;
    for (index, chunk) in chunks.into_iter().enumerate() {
        let mut post = new_post(&message.channel_id, &message.user_id, chunk);
        // Channel lists sort by create_at: strictly increasing times keep the
        // parts of a split message in order even within one millisecond.
        let at = now_ms().max(previous_at + 1);
        previous_at = at;
        post.create_at = at;
        post.update_at = at;
        post.root_id.clone_from(&message.root_id);
        post.post_type.clone_from(&post_type);
        let mut post_props = props.clone();
        if let Some(attachments) = attachments.as_ref().filter(|_| index == last) {
            post_props.insert(PROP_ATTACHMENTS.into(), attachments.clone());
        }
        post.props = Value::Object(post_props);
        posts.push(state.store.create_post(&post).await?);
    }
    Ok(posts)
}

/// Usernames of the users mentioned as `<@USERID>` anywhere in the message, by
/// id. Only well-formed ids are looked up, each once, so a message full of
/// Slack ids (which never match ours) costs no queries.
async fn mentioned_usernames(
    state: &AppState,
    text: &str,
    attachments: &[SlackAttachment],
) -> ApiResult<HashMap<String, String>> {
    let mut texts: Vec<&str> = vec![text];
    for attachment in attachments {
        texts.extend(
            [&attachment.pretext, &attachment.text, &attachment.title]
                .into_iter()
                .filter_map(|t| t.as_deref()),
        );
        texts.extend(attachment.fields.iter().filter_map(|f| f.value.as_ref()?.as_str()));
    }
    let ids: HashSet<&str> = texts
        .into_iter()
        .flat_map(slack_user_mentions)
        .filter(|id| is_valid_id(id))
        .collect();
    let mut usernames = HashMap::new();
    for id in ids {
        if let Some(user) = state.store.get_user(id).await? {
            usernames.insert(id.to_owned(), user.username);
        }
    }
    Ok(usernames)
}

/// Mattermost's `ProcessSlackText`: announcements and user mentions.
fn process_slack_text(text: &str, usernames: &HashMap<String, String>) -> String {
    replace_user_mentions(&expand_announcements(text), |id| usernames.get(id).cloned())
}

/// Full conversion: [`process_slack_text`], then `<url|text>` links, in
/// Mattermost's order (a link label may contain a mention).
fn to_markdown(text: &str, usernames: &HashMap<String, String>) -> String {
    slack_links_to_markdown(&process_slack_text(text, usernames))
}

/// Field values that are not strings become text (`5` -> `"5"`), as Mattermost's
/// `StringifySlackFieldValue` does: clients render them as text. `null` stays.
fn stringify_field_values(attachments: &mut [SlackAttachment]) {
    for field in attachments.iter_mut().flat_map(|a| a.fields.iter_mut()) {
        if let Some(value) = field.value.take() {
            field.value = Some(match value {
                Value::Null | Value::String(_) => value,
                other => Value::String(other.to_string()),
            });
        }
    }
}

/// Convert the attachments as Mattermost does: pretext, text and field values
/// fully; titles without links (Mattermost leaves `<url|text>` in titles).
fn convert_attachments(attachments: &mut [SlackAttachment], usernames: &HashMap<String, String>) {
    for attachment in attachments {
        for text in [&mut attachment.pretext, &mut attachment.text].into_iter().flatten() {
            *text = to_markdown(text, usernames);
        }
        if let Some(title) = &mut attachment.title {
            *title = process_slack_text(title, usernames);
        }
        for field in &mut attachment.fields {
            if let Some(Value::String(value)) = &mut field.value {
                *value = to_markdown(value, usernames);
            }
        }
    }
}
