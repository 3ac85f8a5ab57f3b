//! The webhook-post pipeline (Mattermost's `CreateWebhookPost`): what turns a
//! Slack-style message from a webhook, or from an outgoing hook's answer, into
//! posts. Slack markup is converted, the override and webhook props set, and
//! text longer than [`MAX_POST_RUNES`] split over consecutive posts
//! (attachments go on the last one).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::*;
use crate::ids::is_valid_id;
use crate::markup::{
    MAX_POST_RUNES, expand_announcements, replace_user_mentions, slack_links_to_markdown, slack_user_mentions,
    split_runes,
};
use crate::store::{Store, StoreError};

/// Name shown for a webhook post when neither the request nor the hook gives one.
pub const DEFAULT_WEBHOOK_USERNAME: &str = "webhook";

/// Request props a webhook may not set itself: they would let it pass for
/// something else (`from_webhook` is set here; the overrides come from the
/// dedicated fields; `attachments` from the attachments, converted).
const RESERVED_PROPS: [&str; 4] = [
    PROP_FROM_WEBHOOK,
    PROP_OVERRIDE_USERNAME,
    PROP_OVERRIDE_ICON_URL,
    PROP_ATTACHMENTS,
];

/// A message to post as a webhook.
#[derive(Debug, Clone, Default)]
pub struct WebhookMessage {
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
    /// Slack attachments (JSON objects), with Slack markup, converted here.
    pub attachments: Vec<Value>,
    /// Requested post type; `slack_attachment` when there are attachments.
    pub post_type: String,
    /// The hook the message came through (recorded as the posts' `hook_id`).
    pub hook_id: String,
    /// Post under the author's own name: no `override_username` (Mattermost
    /// with `EnablePostUsernameOverride` off).
    pub keep_author_name: bool,
    /// Post with the author's own picture: no `override_icon_url` or
    /// `override_icon_emoji` (Mattermost with `EnablePostIconOverride` off).
    pub keep_author_icon: bool,
    /// A slash command's answer (Mattermost's `HandleCommandResponsePost`):
    /// no `webhook_display_name`, and `override_username` only when a name
    /// is given (no [`DEFAULT_WEBHOOK_USERNAME`]).
    pub from_command: bool,
    /// Keep Slack markup as sent (a command answer's `skip_slack_parsing`).
    pub skip_slack_parsing: bool,
}

/// Why a webhook message was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookPostError {
    /// System messages (joins, header changes...) are made by the server only.
    #[error("webhooks may not post system messages")]
    SystemType,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Post `message` in `channel` as a webhook whose posts are authored by
/// `author` (the hook's owner or creator). Returns the posts in order. Such
/// posts never fire outgoing hooks (they carry [`PROP_FROM_WEBHOOK`]).
pub async fn create_webhook_posts(
    core: &Core,
    channel: &Channel,
    author: &User,
    message: WebhookMessage,
) -> Result<Vec<Post>, WebhookPostError> {
    let post_type = if message.attachments.is_empty() {
        message.post_type
    } else {
        POST_TYPE_SLACK_ATTACHMENT.to_owned()
    };
    if post_type.starts_with("system_") {
        return Err(WebhookPostError::SystemType);
    }
    let mut attachments = message.attachments;
    stringify_field_values(&mut attachments);
    let text = if message.skip_slack_parsing {
        message.text
    } else {
        let usernames = mentioned_usernames(core, &message.text, &attachments).await?;
        convert_attachments(&mut attachments, &usernames);
        to_markdown(&message.text, &usernames)
    };

    let mut props = message.props;
    props.retain(|key, _| !RESERVED_PROPS.contains(&key.as_str()));
    props.insert(PROP_FROM_WEBHOOK.into(), "true".into());
    if !message.from_command {
        props.insert(PROP_WEBHOOK_DISPLAY_NAME.into(), message.display_name.into());
    }
    let keep_author_name = message.keep_author_name || (message.from_command && message.username.is_empty());
    if !keep_author_name {
        let username = if message.username.is_empty() {
            DEFAULT_WEBHOOK_USERNAME.to_owned()
        } else {
            message.username
        };
        props.insert(PROP_OVERRIDE_USERNAME.into(), username.into());
    }
    if !message.keep_author_icon && !message.icon_url.is_empty() {
        props.insert(PROP_OVERRIDE_ICON_URL.into(), message.icon_url.into());
    }
    if !message.keep_author_icon && !message.icon_emoji.is_empty() {
        props.insert(PROP_OVERRIDE_ICON_EMOJI.into(), message.icon_emoji.into());
    }
    let attachments = (!attachments.is_empty()).then(|| Value::Array(attachments));

    let chunks = split_runes(&text, MAX_POST_RUNES);
    let last = chunks.len().saturating_sub(1);
    let mut posts = Vec::with_capacity(chunks.len());
    for (index, chunk) in chunks.into_iter().enumerate() {
        // new_post stamps each part a millisecond after the one before, so
        // the parts of a split message list in order.
        let mut post = new_post(&channel.id, &author.id, chunk);
        post.root_id.clone_from(&message.root_id);
        post.post_type.clone_from(&post_type);
        post.hook_id.clone_from(&message.hook_id);
        let mut post_props = props.clone();
        if let Some(attachments) = attachments.as_ref().filter(|_| index == last) {
            post_props.insert(PROP_ATTACHMENTS.into(), attachments.clone());
        }
        post.props = Value::Object(post_props);
        posts.push(create_post(core, post, channel, author).await?);
    }
    Ok(posts)
}

fn str_field<'a>(attachment: &'a Value, key: &str) -> Option<&'a str> {
    attachment.get(key).and_then(Value::as_str)
}

fn fields_mut(attachment: &mut Value) -> impl Iterator<Item = &mut Value> {
    attachment
        .get_mut("fields")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|field| field.get_mut("value"))
}

/// Usernames of the users mentioned as `<@USERID>` anywhere in the message, by
/// id. Only well-formed ids are looked up, each once, so a message full of
/// Slack ids (which never match ours) costs no queries.
async fn mentioned_usernames(core: &Core, text: &str, attachments: &[Value]) -> StoreResult<HashMap<String, String>> {
    let mut texts: Vec<&str> = vec![text];
    for attachment in attachments {
        texts.extend(
            ["pretext", "text", "title"]
                .into_iter()
                .filter_map(|k| str_field(attachment, k)),
        );
        if let Some(fields) = attachment.get("fields").and_then(Value::as_array) {
            texts.extend(fields.iter().filter_map(|f| f.get("value")?.as_str()));
        }
    }
    let ids: HashSet<&str> = texts
        .into_iter()
        .flat_map(slack_user_mentions)
        .filter(|id| is_valid_id(id))
        .collect();
    let mut usernames = HashMap::new();
    for id in ids {
        if let Some(user) = core.store.get_user(id).await? {
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
fn stringify_field_values(attachments: &mut [Value]) {
    for value in attachments.iter_mut().flat_map(fields_mut) {
        if !matches!(value, Value::Null | Value::String(_)) {
            *value = Value::String(value.to_string());
        }
    }
}

/// Convert the attachments as Mattermost does: pretext, text and field values
/// fully; titles without links (Mattermost leaves `<url|text>` in titles).
fn convert_attachments(attachments: &mut [Value], usernames: &HashMap<String, String>) {
    for attachment in attachments {
        for key in ["pretext", "text"] {
            if let Some(Value::String(text)) = attachment.get_mut(key) {
                *text = to_markdown(text, usernames);
            }
        }
        if let Some(Value::String(title)) = attachment.get_mut("title") {
            *title = process_slack_text(title, usernames);
        }
        for value in fields_mut(attachment) {
            if let Value::String(text) = value {
                *text = to_markdown(text, usernames);
            }
        }
    }
}
