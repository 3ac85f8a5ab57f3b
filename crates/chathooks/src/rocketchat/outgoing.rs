//! Outgoing integrations firing on new messages (`sendMessage`).
//!
//! [`fire`] returns at once: matching integrations are found and their URLs
//! called on the server's task tracker, so a message is never delayed by its
//! integrations and a graceful shutdown lets deliveries in flight finish.
//!
//! Each call to a URL is one [`Delivery`] attempt, recorded in the
//! integration's history. A failed attempt of an integration with
//! `retryFailedCalls` schedules the next one as a pending retry in the store,
//! which the worker in [`super::retry`] makes when it is due, also after a
//! restart.

use std::collections::HashSet;
use std::sync::Arc;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::chat::{NewMessage, PostedBy, post_message};
use super::error::{RcError, RcResult};
use super::rooms::{live_channel, resolve_entry};
use super::time::iso;
use super::wire::is_from_integration;
use crate::ids::new_rc_id;
use crate::netguard;
use crate::server::Shared;
use crate::store::{
    CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, Post, RC_WEBHOOK_OUTGOING, RcHistory, RcIntegration, RcIntegrationFilter,
    RcPendingRetry, RcVisibility, Store, StoreError, User, now_ms,
};

/// Largest answer read from a URL; the rest is ignored.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// Retries when an integration has `retryFailedCalls` but no `retryCount`.
const DEFAULT_RETRY_COUNT: u64 = 4;
/// Integrations loaded per query when looking for those a message fires.
const SCAN_PAGE: u32 = 200;

/// One call of one integration's URL, with all it needs to be made again
/// later: a pending retry's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub integration_id: String,
    pub url: String,
    /// The JSON body sent (history's `httpCallData`).
    pub body: Value,
    /// The room of the triggering message: replies go there (unless `targetRoom`).
    pub room_id: String,
    /// The triggering message's author (`impersonateUser` replies as them).
    pub author_id: String,
    pub trigger_word: Option<String>,
    /// The triggering user, room and message (history's `data`).
    pub data: Value,
    /// 0 for the first call, n for the n-th retry.
    pub attempt: u32,
}

/// Fire the `sendMessage` integrations `post` triggers, in the background.
/// Messages posted by integrations and webhooks fire nothing (loop protection).
pub fn fire(state: &Shared, post: &Post, channel: &Channel, author: &User) {
    if is_from_integration(post) {
        return;
    }
    let shared = Arc::clone(state);
    let (post, channel, author) = (post.clone(), channel.clone(), author.clone());
    state.tasks.spawn(async move {
        if let Err(error) = fire_now(&shared, &post, &channel, &author).await {
            tracing::warn!(post_id = %post.id, ?error, "Rocket.Chat outgoing integrations not fired");
        }
    });
}

async fn fire_now(state: &Shared, post: &Post, channel: &Channel, author: &User) -> RcResult<()> {
    let keys = room_keys(state, channel, author).await?;
    for integration in send_message_integrations(state).await? {
        let doc = &integration.doc;
        if !watches(doc, &keys) {
            continue;
        }
        let Some(trigger_word) = triggered(doc, &post.message) else {
            continue;
        };
        let body = payload(state, doc, post, channel, author, trigger_word.as_deref());
        let data = json!({
            "user": {"_id": author.id, "username": author.username},
            "room": {"_id": channel.id, "name": channel.name, "t": super::wire::room_type(channel)},
            "message": {"_id": post.id, "msg": post.message, "ts": iso(post.create_at)},
        });
        for url in strings(doc, "urls") {
            let delivery = Delivery {
                integration_id: integration.id.clone(),
                url,
                body: body.clone(),
                room_id: channel.id.clone(),
                author_id: author.id.clone(),
                trigger_word: trigger_word.clone(),
                data: data.clone(),
                attempt: 0,
            };
            let shared = Arc::clone(state);
            state.tasks.spawn(async move {
                let id = delivery.integration_id.clone();
                if let Err(error) = deliver(&shared, delivery).await {
                    tracing::warn!(integration_id = %id, ?error, "outgoing delivery not completed");
                }
            });
        }
    }
    Ok(())
}

/// Enabled outgoing integrations for `sendMessage`.
async fn send_message_integrations(state: &Shared) -> RcResult<Vec<RcIntegration>> {
    let filter = RcIntegrationFilter {
        name: None,
        integration_type: Some(RC_WEBHOOK_OUTGOING.into()),
        incoming: RcVisibility::Hidden,
        outgoing: RcVisibility::All,
    };
    let mut found = Vec::new();
    let mut offset = 0;
    loop {
        let page = state.store.list_rc_integrations(&filter, offset, SCAN_PAGE).await?;
        let full = page.len() == SCAN_PAGE as usize;
        found.extend(
            page.into_iter()
                .filter(|i| i.enabled && i.doc.get("event").and_then(Value::as_str) == Some("sendMessage")),
        );
        if !full {
            return Ok(found);
        }
        offset += SCAN_PAGE;
    }
}

fn strings(doc: &Value, key: &str) -> Vec<String> {
    doc.get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn text<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The `channel` entries (lowercased) that watch `channel`: `#name` and `#id`
/// of the room, the `all_*` value of its type, and for a direct-message room
/// `@username` of each participant other than the author.
async fn room_keys(state: &Shared, channel: &Channel, author: &User) -> RcResult<HashSet<String>> {
    let mut keys = HashSet::from([format!("#{}", channel.id).to_lowercase()]);
    match channel.channel_type.as_str() {
        CHANNEL_OPEN | CHANNEL_PRIVATE => {
            keys.insert(format!("#{}", channel.name).to_lowercase());
            let all = if channel.channel_type == CHANNEL_OPEN {
                "all_public_channels"
            } else {
                "all_private_groups"
            };
            keys.insert(all.into());
        }
        _ => {
            keys.insert("all_direct_messages".into());
            let members = state.store.list_channel_members(&channel.id, 0, 16).await?;
            let others: Vec<_> = members.iter().filter(|m| m.user_id != author.id).collect();
            let participants = if others.is_empty() {
                vec![&author.id]
            } else {
                others.iter().map(|m| &m.user_id).collect()
            };
            for id in participants {
                if let Some(user) = state.store.get_user(id).await? {
                    keys.insert(format!("@{}", user.username).to_lowercase());
                }
            }
        }
    }
    Ok(keys)
}

fn watches(doc: &Value, keys: &HashSet<String>) -> bool {
    strings(doc, "channel")
        .iter()
        .any(|entry| keys.contains(&entry.trim().to_lowercase()))
}

/// Does `message` fire the integration? `None`: no. `Some(None)`: yes, it has
/// no trigger words. `Some(Some(word))`: yes, `word` matched: the message
/// starts with it (a raw prefix), or contains it with `triggerWordAnywhere`.
pub fn triggered(doc: &Value, message: &str) -> Option<Option<String>> {
    let words: Vec<String> = strings(doc, "triggerWords")
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Some(None);
    }
    let anywhere = doc.get("triggerWordAnywhere").and_then(Value::as_bool) == Some(true);
    words
        .into_iter()
        .find(|word| {
            if anywhere {
                message.contains(word.as_str())
            } else {
                message.starts_with(word.as_str())
            }
        })
        .map(Some)
}

/// The JSON body posted to each URL (`OutgoingWebhookPayload`).
fn payload(
    state: &Shared,
    doc: &Value,
    post: &Post,
    channel: &Channel,
    author: &User,
    trigger_word: Option<&str>,
) -> Value {
    let mut body = json!({
        "token": text(doc, "token").unwrap_or_default(),
        "bot": false,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "message_id": post.id,
        "timestamp": iso(post.create_at),
        "user_id": author.id,
        "user_name": author.username,
        "text": post.message,
        "siteUrl": state.config.site_url,
    });
    if let Some(word) = trigger_word {
        body["trigger_word"] = word.into();
    }
    body
}

/// What a URL did with a delivery.
enum Outcome {
    Answered { status: u16, body: String },
    Failed { error: String, refused: bool },
}

/// POST `body` to `url` through the guarded callback client.
async fn call(state: &Shared, url: &str, body: &Value) -> Outcome {
    let parsed = match Url::parse(url) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Outcome::Failed {
                error: format!("invalid URL {url}: {error}"),
                refused: true,
            };
        }
    };
    if let Err(refused) = netguard::check_url(&parsed, &state.config.allow_internal_callbacks) {
        return Outcome::Failed {
            error: refused.to_string(),
            refused: true,
        };
    }
    let response = match state.callbacks.post(parsed).json(body).send().await {
        Ok(response) => response,
        Err(error) => {
            let refused = netguard::refusal(&error).is_some();
            return Outcome::Failed {
                error: format!("request to {url} failed: {error}"),
                refused,
            };
        }
    };
    let status = response.status().as_u16();
    match read_limited(response).await {
        Ok(body) => Outcome::Answered { status, body },
        Err(error) => Outcome::Failed {
            error: format!("reading the answer of {url} failed: {error}"),
            refused: false,
        },
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Make one delivery attempt: record it, call the URL, act on the answer
/// (reply, disable on 410, schedule a retry on failure) and record the result.
pub async fn deliver(state: &Shared, delivery: Delivery) -> RcResult<()> {
    let Some(integration) = state.store.get_rc_integration(&delivery.integration_id).await? else {
        return Ok(()); // removed meanwhile
    };
    if !integration.enabled {
        tracing::info!(integration_id = %integration.id, "integration disabled; delivery dropped");
        return Ok(());
    }
    let started = now_ms();
    let id = new_rc_id();
    let mut history = RcHistory {
        doc: history_start(&id, &integration, &delivery, started),
        id,
        integration_id: integration.id.clone(),
        created_at: started,
        updated_at: started,
    };
    match state.store.add_rc_history(&history).await {
        Err(StoreError::NotFound) => return Ok(()), // removed meanwhile
        other => other?,
    }

    let mut result = Map::new();
    match call(state, &delivery.url, &delivery.body).await {
        Outcome::Answered { status, body } => {
            result.insert(
                "httpResult".into(),
                json!({"statusCode": status, "content": body}).to_string().into(),
            );
            if status == 410 {
                disable(state, &integration).await?;
                finish(
                    &mut result,
                    "disabled",
                    true,
                    "410 Gone: the integration was disabled".into(),
                );
            } else if (200..300).contains(&status) && !body.trim().is_empty() {
                finish(&mut result, "finished", false, String::new());
                if let Err(error) = reply(state, &integration, &delivery, &body).await {
                    tracing::warn!(integration_id = %integration.id, ?error, "reply not posted");
                }
            } else {
                let problem = if (200..300).contains(&status) {
                    format!("HTTP {status} with an empty body")
                } else {
                    format!("HTTP {status}")
                };
                let plan = schedule_retry(state, &integration, &delivery, false).await?;
                finish(&mut result, "failed", true, format!("{problem}; {plan}"));
            }
        }
        Outcome::Failed { error, refused } => {
            result.insert("httpError".into(), error.clone().into());
            let plan = schedule_retry(state, &integration, &delivery, refused).await?;
            finish(&mut result, "failed", true, format!("{error}; {plan}"));
        }
    }

    let finished = now_ms();
    if let Value::Object(doc) = &mut history.doc {
        doc.extend(result);
        doc.insert("_updatedAt".into(), iso(finished).into());
    }
    history.updated_at = finished;
    match state.store.update_rc_history(&history).await {
        Err(StoreError::NotFound) => Ok(()), // removed meanwhile, with its history
        other => Ok(other?),
    }
}

fn history_start(id: &str, integration: &RcIntegration, delivery: &Delivery, at: i64) -> Value {
    let mut doc = json!({
        "_id": id,
        "type": "outgoing-webhook",
        "step": "start-execute-trigger-url",
        "integration": {"_id": integration.id},
        "event": "sendMessage",
        "_createdAt": iso(at),
        "_updatedAt": iso(at),
        "data": delivery.data,
        "ranPrepareScript": false,
        "finished": false,
        "url": delivery.url,
        "httpCallData": delivery.body,
    });
    if let Some(word) = &delivery.trigger_word {
        doc["triggerWord"] = word.clone().into();
    }
    doc
}

fn finish(result: &mut Map<String, Value>, step: &str, error: bool, detail: String) {
    result.insert("step".into(), step.into());
    result.insert("finished".into(), true.into());
    result.insert("error".into(), error.into());
    if !detail.is_empty() {
        result.insert("errorStack".into(), detail.into());
    }
}

/// Rocket.Chat disables an integration whose URL answers 410 Gone.
async fn disable(state: &Shared, integration: &RcIntegration) -> RcResult<()> {
    let Some(mut current) = state.store.get_rc_integration(&integration.id).await? else {
        return Ok(());
    };
    current.enabled = false;
    current.updated_at = now_ms();
    if let Value::Object(doc) = &mut current.doc {
        doc.insert("enabled".into(), false.into());
    }
    match state.store.update_rc_integration(&current).await {
        Err(StoreError::NotFound) => Ok(()),
        other => other.map(|_| ()).map_err(RcError::from),
    }
}

/// Wait before retry `n` (counted from 0), in ms: `powers-of-ten` 10^(n+2) ms
/// (the default), `powers-of-two` 2^(n+1) s, `increments-of-two` (n+1)*2 s.
/// Saturates instead of overflowing for absurd retry counts.
pub fn retry_delay_ms(retry_delay: Option<&str>, n: u32) -> i64 {
    let n = i64::from(n);
    match retry_delay {
        Some("powers-of-two") => 2_i64
            .checked_pow(u32::try_from(n + 1).unwrap_or(u32::MAX))
            .map_or(i64::MAX, |s| s.saturating_mul(1000)),
        Some("increments-of-two") => (n + 1).saturating_mul(2000),
        _ => 10_i64
            .checked_pow(u32::try_from(n + 2).unwrap_or(u32::MAX))
            .unwrap_or(i64::MAX),
    }
}

/// Schedule the next attempt if the integration retries failed calls and has
/// retries left; says what was decided, for the history.
async fn schedule_retry(
    state: &Shared,
    integration: &RcIntegration,
    delivery: &Delivery,
    refused: bool,
) -> RcResult<String> {
    let doc = &integration.doc;
    if refused {
        return Ok("the URL is refused, so it is not retried".into());
    }
    if doc.get("retryFailedCalls").and_then(Value::as_bool) != Some(true) {
        return Ok("not retried (retryFailedCalls is off)".into());
    }
    let count = doc
        .get("retryCount")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_RETRY_COUNT);
    let done = delivery.attempt;
    if u64::from(done) >= count {
        return Ok(format!("no retries left ({done} of {count} made)"));
    }
    let delay = retry_delay_ms(text(doc, "retryDelay"), done);
    let next = Delivery {
        attempt: done + 1,
        ..delivery.clone()
    };
    let retry = RcPendingRetry {
        id: new_rc_id(),
        integration_id: integration.id.clone(),
        due_at: now_ms().saturating_add(delay),
        attempt: i64::from(next.attempt),
        payload: serde_json::to_value(&next).map_err(RcError::internal)?,
        url: next.url.clone(),
    };
    match state.store.add_retry(&retry).await {
        Err(StoreError::NotFound) => Ok("not retried (the integration was removed)".into()),
        other => {
            other?;
            Ok(format!("retry {} of {count} scheduled in {delay} ms", next.attempt))
        }
    }
}

/// Post the URL's answer back, if it holds `text` or `attachments`: in the
/// triggering room (or `targetRoom`), as the integration's user (or, with
/// `impersonateUser`, the author), with the answer's or the integration's
/// alias, avatar and emoji.
async fn reply(state: &Shared, integration: &RcIntegration, delivery: &Delivery, body: &str) -> RcResult<()> {
    let Ok(answer) = serde_json::from_str::<Value>(body) else {
        return Ok(()); // not JSON: nothing to post
    };
    let message_text = text(&answer, "text").unwrap_or_default().to_owned();
    let attachments = answer
        .get("attachments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if message_text.is_empty() && attachments.is_empty() {
        return Ok(());
    }
    let doc = &integration.doc;
    let impersonate = doc.get("impersonateUser").and_then(Value::as_bool) == Some(true);
    let poster_id = if impersonate {
        delivery.author_id.as_str()
    } else {
        text(doc, "userId").unwrap_or_default()
    };
    let poster = state
        .store
        .get_user(poster_id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or_else(|| RcError::failure(format!("the user {poster_id} to reply as does not exist")))?;
    let room = match text(doc, "targetRoom") {
        Some(target) => resolve_entry(state, &poster, target).await?,
        None => live_channel(state, &delivery.room_id).await?,
    }
    .ok_or_else(|| RcError::failure("the room to reply in no longer exists"))?;
    let pick = |keys: [&str; 2], fallback: &str| {
        keys.iter()
            .find_map(|key| text(&answer, key))
            .or_else(|| text(doc, fallback))
            .map(str::to_owned)
    };
    let message = NewMessage {
        text: message_text,
        alias: pick(["username", "alias"], "alias"),
        avatar: pick(["icon_url", "avatar"], "avatar"),
        emoji: pick(["icon_emoji", "emoji"], "emoji"),
        attachments,
        posted_by: Some(PostedBy {
            integration_id: integration.id.clone(),
            integration_name: integration.name.clone(),
        }),
    };
    post_message(state, &room, &poster, message).await?;
    Ok(())
}

/// Make a pending retry (the worker calls this when it is due), then drop it.
/// A retry that cannot be read or made is dropped with a warning: keeping it
/// would make it fail again on every poll.
pub async fn run_retry(state: &Shared, retry: RcPendingRetry) {
    match serde_json::from_value::<Delivery>(retry.payload.clone()) {
        Ok(delivery) => {
            if let Err(error) = deliver(state, delivery).await {
                tracing::warn!(retry_id = %retry.id, ?error, "retry not completed");
            }
        }
        Err(error) => tracing::warn!(retry_id = %retry.id, %error, "unreadable pending retry dropped"),
    }
    if let Err(error) = state.store.delete_retry(&retry.id).await {
        tracing::warn!(retry_id = %retry.id, %error, "pending retry not removed; it will run again");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays() {
        let ten: Vec<i64> = (0..4).map(|n| retry_delay_ms(None, n)).collect();
        assert_eq!(ten, [100, 1_000, 10_000, 100_000]);
        assert_eq!(retry_delay_ms(Some("powers-of-ten"), 0), 100);
        let two: Vec<i64> = (0..3).map(|n| retry_delay_ms(Some("powers-of-two"), n)).collect();
        assert_eq!(two, [2_000, 4_000, 8_000]);
        let inc: Vec<i64> = (0..3).map(|n| retry_delay_ms(Some("increments-of-two"), n)).collect();
        assert_eq!(inc, [2_000, 4_000, 6_000]);
        assert_eq!(retry_delay_ms(None, 1_000), i64::MAX);
        assert_eq!(retry_delay_ms(Some("powers-of-two"), 1_000), i64::MAX);
    }

    #[test]
    fn trigger_words() {
        let every = json!({});
        assert_eq!(triggered(&every, "anything"), Some(None));
        let prefix = json!({"triggerWords": ["!deploy", "ci"]});
        assert_eq!(triggered(&prefix, "!deploy now"), Some(Some("!deploy".into())));
        assert_eq!(triggered(&prefix, "circle"), Some(Some("ci".into())), "a raw prefix");
        assert_eq!(triggered(&prefix, "please !deploy"), None);
        let anywhere = json!({"triggerWords": ["!deploy"], "triggerWordAnywhere": true});
        assert_eq!(triggered(&anywhere, "please !deploy"), Some(Some("!deploy".into())));
        assert_eq!(triggered(&anywhere, "nothing"), None);
    }
}
