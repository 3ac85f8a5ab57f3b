//! Outgoing webhooks: when a user posts in a public channel, the hooks the
//! post triggers get the post's details at their callback URLs, and what they
//! answer is posted back in the channel.
//!
//! Delivery happens in the background ([`fire`] returns at once), on the
//! server's task tracker so that a graceful shutdown lets it finish. It never
//! delays or fails the post that triggered it: every failure is logged and
//! skipped, with no retries (as in Mattermost).

use std::sync::Arc;

use chathooks_mattermost_types::SlackAttachment;
use futures_util::future::join_all;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::execute::{PROP_FROM_WEBHOOK, WebhookMessage, create_webhook_posts};
use crate::netguard;
use crate::server::{AppState, Shared};
use crate::store::{CHANNEL_OPEN, Channel, OutgoingHook, Post, Store, StoreResult, User};

/// Largest callback answer read; a longer one is ignored (Mattermost reads 1 MiB).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// `content_type` of hooks that want JSON; any other value means a form.
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// `trigger_when`: the first word must equal a trigger word.
const TRIGGER_EXACT: i32 = 0;
/// `trigger_when`: the first word must start with a trigger word.
const TRIGGER_PREFIX: i32 = 1;

/// Fire the outgoing webhooks `post` triggers, in the background.
///
/// Only posts in public channels fire hooks, and never posts made by webhooks:
/// an answer that triggered a hook could loop forever. (Webhook code does not
/// call this at all; the check here also covers any future caller.)
pub fn fire(state: &Shared, post: &Post, channel: &Channel, author: &User) {
    if channel.channel_type != CHANNEL_OPEN || is_from_webhook(post) {
        return;
    }
    let shared = Arc::clone(state);
    let (post, channel, author) = (post.clone(), channel.clone(), author.clone());
    state.tasks.spawn(async move {
        if let Err(error) = fire_now(&shared, &post, &channel, &author).await {
            tracing::warn!(post_id = %post.id, %error, "outgoing webhooks not fired");
        }
    });
}

fn is_from_webhook(post: &Post) -> bool {
    post.props.get(PROP_FROM_WEBHOOK).and_then(Value::as_str) == Some("true")
}

/// Find the hooks `post` triggers and call all their callback URLs at once.
async fn fire_now(state: &AppState, post: &Post, channel: &Channel, author: &User) -> StoreResult<()> {
    let hooks = state.store.outgoing_for_channel(&channel.team_id, &channel.id).await?;
    let first_word = post.message.split_whitespace().next().unwrap_or_default();
    let firing: Vec<(OutgoingHook, String)> = hooks
        .into_iter()
        .filter_map(|hook| {
            let word = trigger_word(&hook, &channel.id, first_word)?;
            Some((hook, word))
        })
        .collect();
    if firing.is_empty() {
        return Ok(());
    }
    let team_domain = state
        .store
        .get_team(&channel.team_id)
        .await?
        .map(|team| team.name)
        .unwrap_or_default();
    let file_ids = post.file_ids.join(",");
    let mut deliveries = Vec::new();
    for (hook, trigger_word) in &firing {
        let payload = Payload {
            token: &hook.token,
            team_id: &hook.team_id,
            team_domain: &team_domain,
            channel_id: &post.channel_id,
            channel_name: &channel.name,
            timestamp: post.create_at,
            user_id: &post.user_id,
            user_name: &author.username,
            post_id: &post.id,
            text: &post.message,
            trigger_word,
            file_ids: &file_ids,
        };
        let (content_type, body) = match payload.encode(&hook.content_type) {
            Ok(encoded) => encoded,
            Err(error) => {
                tracing::warn!(hook_id = %hook.id, %error, "outgoing webhook payload not encoded");
                continue;
            }
        };
        for url in &hook.callback_urls {
            deliveries.push(deliver(state, hook, url, content_type, body.clone(), post));
        }
    }
    join_all(deliveries).await;
    Ok(())
}

/// The trigger word `hook` fires on for a post in `channel_id` whose message
/// starts with `first_word`: `Some("")` for a channel hook without trigger
/// words (it fires on everything), `None` if it does not fire. With
/// `trigger_when` 1 this is the trigger word that matched, not the whole first
/// word, as in Mattermost.
fn trigger_word(hook: &OutgoingHook, channel_id: &str, first_word: &str) -> Option<String> {
    let in_channel = hook.channel_id.is_empty() || hook.channel_id == channel_id;
    if !in_channel {
        return None;
    }
    if !hook.channel_id.is_empty() && hook.trigger_words.is_empty() {
        return Some(String::new());
    }
    if first_word.is_empty() {
        return None;
    }
    // An empty trigger word is invalid (creation refuses it); never let one
    // match every message.
    let mut words = hook.trigger_words.iter().filter(|w| !w.is_empty());
    let matched = match hook.trigger_when {
        TRIGGER_EXACT => words.find(|w| w.as_str() == first_word),
        TRIGGER_PREFIX => words.find(|w| first_word.starts_with(w.as_str())),
        _ => None,
    };
    matched.cloned()
}

/// What a callback receives, in Mattermost's field order.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    token: &'a str,
    team_id: &'a str,
    team_domain: &'a str,
    channel_id: &'a str,
    channel_name: &'a str,
    /// The post's `create_at`: milliseconds in JSON, seconds in a form.
    timestamp: i64,
    user_id: &'a str,
    user_name: &'a str,
    post_id: &'a str,
    text: &'a str,
    trigger_word: &'a str,
    /// Comma-separated, in both encodings (Mattermost sends a string in JSON too).
    file_ids: &'a str,
}

impl Payload<'_> {
    /// The body and its content type for a hook of `content_type`.
    fn encode(&self, content_type: &str) -> serde_json::Result<(&'static str, String)> {
        if content_type == JSON {
            return Ok((JSON, serde_json::to_string(self)?));
        }
        // Keys in sorted order, as Go's url.Values.Encode writes them, so a
        // receiver that checks signatures over the raw body sees the same bytes.
        let seconds = (self.timestamp / 1000).to_string();
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("channel_id", self.channel_id)
            .append_pair("channel_name", self.channel_name)
            .append_pair("file_ids", self.file_ids)
            .append_pair("post_id", self.post_id)
            .append_pair("team_domain", self.team_domain)
            .append_pair("team_id", self.team_id)
            .append_pair("text", self.text)
            .append_pair("timestamp", &seconds)
            .append_pair("token", self.token)
            .append_pair("trigger_word", self.trigger_word)
            .append_pair("user_id", self.user_id)
            .append_pair("user_name", self.user_name)
            .finish();
        Ok((FORM, form))
    }
}

/// What a callback may answer (Mattermost's `OutgoingWebhookResponse`).
/// Every field is optional; `null` counts as absent.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    text: Option<String>,
    username: Option<String>,
    icon_url: Option<String>,
    props: Option<Map<String, Value>>,
    attachments: Option<Vec<SlackAttachment>>,
    #[serde(rename = "type")]
    post_type: Option<String>,
    /// `comment` makes the answer a reply to the triggering post.
    response_type: Option<String>,
}

/// Why a callback produced nothing to post.
#[derive(Debug, thiserror::Error)]
enum CallError {
    #[error("invalid callback URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("refused: {0}")]
    Refused(String),
    #[error("request failed: {0}")]
    Http(reqwest::Error),
    #[error("answer larger than {MAX_ANSWER_BYTES} bytes ignored")]
    TooLarge,
}

/// Call one callback URL and post its answer, if it gave one. Failures are
/// logged: nobody is waiting for the outcome.
async fn deliver(
    state: &AppState,
    hook: &OutgoingHook,
    url: &str,
    content_type: &'static str,
    body: String,
    post: &Post,
) {
    let answer = match call(state, url, content_type, body).await {
        Ok(Some(answer)) => answer,
        Ok(None) => return,
        Err(error @ CallError::Refused(_)) => {
            tracing::warn!(hook_id = %hook.id, url, %error, "outgoing webhook callback refused");
            return;
        }
        Err(error) => {
            tracing::warn!(hook_id = %hook.id, url, %error, "outgoing webhook callback failed");
            return;
        }
    };
    if let Err(error) = post_answer(state, hook, post, answer).await {
        tracing::warn!(
            hook_id = %hook.id,
            url,
            error_id = %error.id,
            detail = %error.detailed,
            "outgoing webhook answer not posted"
        );
    }
}

/// POST the payload; the answer if it is a JSON object. The status is ignored
/// (Mattermost posts an answer even from an error status).
async fn call(
    state: &AppState,
    url: &str,
    content_type: &'static str,
    body: String,
) -> Result<Option<Answer>, CallError> {
    let url = Url::parse(url)?;
    // The guarded client vets the addresses names resolve to, but reqwest does
    // not resolve IP literals: check those here.
    netguard::check_url(&url, &state.config.allow_internal_callbacks)
        .map_err(|refused| CallError::Refused(refused.to_string()))?;
    let sent = state
        .callbacks
        .post(url)
        .header(CONTENT_TYPE, content_type)
        .header(ACCEPT, JSON)
        .body(body)
        .send()
        .await;
    let mut response = sent.map_err(|error| match netguard::refusal(&error) {
        Some(refused) => CallError::Refused(refused.to_string()),
        None => CallError::Http(error),
    })?;
    let mut raw = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(CallError::Http)? {
        if raw.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(CallError::TooLarge);
        }
        raw.extend_from_slice(&chunk);
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    match serde_json::from_slice(&raw) {
        Ok(answer) => Ok(Some(answer)),
        Err(error) => {
            // Plenty of receivers answer "ok" or HTML: not worth a warning.
            tracing::debug!(%error, "outgoing webhook answer is not a JSON object; nothing to post");
            Ok(None)
        }
    }
}

/// Post a callback's answer in the channel of the triggering post, as the
/// hook's creator, if it has text or attachments. Username and icon fall back
/// to the hook's.
async fn post_answer(
    state: &AppState,
    hook: &OutgoingHook,
    post: &Post,
    answer: Answer,
) -> super::error::ApiResult<()> {
    let text = answer.text.unwrap_or_default();
    let attachments = answer.attachments.unwrap_or_default();
    if text.is_empty() && attachments.is_empty() {
        return Ok(());
    }
    let root_id = if answer.response_type.as_deref() == Some("comment") {
        if post.root_id.is_empty() {
            post.id.clone()
        } else {
            post.root_id.clone()
        }
    } else {
        String::new()
    };
    let non_empty =
        |value: Option<String>, fallback: &str| value.filter(|v| !v.is_empty()).unwrap_or_else(|| fallback.to_owned());
    create_webhook_posts(
        state,
        WebhookMessage {
            user_id: hook.creator_id.clone(),
            channel_id: post.channel_id.clone(),
            root_id,
            text,
            username: non_empty(answer.username, &hook.username),
            icon_url: non_empty(answer.icon_url, &hook.icon_url),
            icon_emoji: String::new(),
            display_name: hook.display_name.clone(),
            props: answer.props.unwrap_or_default(),
            attachments,
            post_type: answer.post_type.unwrap_or_default(),
        },
    )
    .await?;
    Ok(())
}
