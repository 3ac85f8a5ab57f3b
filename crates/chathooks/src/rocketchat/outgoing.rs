//! Outgoing integrations firing on new messages (`sendMessage`).
//!
//! This module tells the core's delivery engine which calls a message starts
//! ([`RocketChatOutgoing::deliveries`]) and what an answer does
//! ([`RocketChatOutgoing::settle`]). The engine stores the calls with the
//! message and makes them in the background, so a message is never delayed by
//! its integrations. Each attempt is recorded in the integration's history;
//! a failed one is retried as `retryFailedCalls`, `retryCount` and
//! `retryDelay` say, by the engine's durable queue (also after a restart, and
//! by any instance on the same database). A 410 answer disables the
//! integration.

use std::collections::HashSet;

use chathooks_core::delivery::{BoxFuture, CallOutcome, NewDelivery, Outgoing, RetryPolicy, Schedule, Verdict};
use chathooks_core::events::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::chat::{NewMessage, PostedBy, post_message};
use super::error::{RcError, RcResult};
use super::rooms::{live_channel, resolve_entry};
use super::time::iso;
use crate::Core;
use crate::ids::new_rc_id;
use crate::store::{
    CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, DeliveryJob, Post, RC_WEBHOOK_OUTGOING, RcHistory, RcIntegration,
    RcIntegrationFilter, RcVisibility, Store, StoreError, StoreResult, User, now_ms,
};

/// The name of this dialect's jobs in the delivery queue.
const DIALECT: &str = "rocketchat";
/// Retries when an integration has `retryFailedCalls` but no `retryCount`.
const DEFAULT_RETRY_COUNT: u32 = 4;
/// Integrations loaded per query when looking for those a message fires.
const SCAN_PAGE: u32 = 200;

/// Rocket.Chat's outgoing integrations, for the delivery engine.
pub struct RocketChatOutgoing;

/// What a job keeps to act on the answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Context {
    /// The room of the triggering message: replies go there (unless `targetRoom`).
    room_id: String,
    /// The triggering message's author (`impersonateUser` replies as them).
    author_id: String,
    trigger_word: Option<String>,
    /// The triggering user, room and message (history's `data`).
    data: Value,
}

impl Outgoing for RocketChatOutgoing {
    fn dialect(&self) -> &'static str {
        DIALECT
    }

    fn deliveries<'a>(&'a self, core: &'a Core, event: &'a Event) -> BoxFuture<'a, StoreResult<Vec<NewDelivery>>> {
        Box::pin(async move {
            match event {
                Event::PostCreated { post, channel, author } => deliveries(core, post, channel, author).await,
                _ => Ok(Vec::new()),
            }
        })
    }

    fn still_wanted<'a>(&'a self, core: &'a Core, job: &'a DeliveryJob) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            match core.store.get_rc_integration(&job.hook_id).await {
                Ok(Some(integration)) => integration.enabled,
                Ok(None) => false,
                // Let the attempt go ahead: settling reads the store again.
                Err(_) => true,
            }
        })
    }

    fn settle<'a>(
        &'a self,
        core: &'a Core,
        job: &'a DeliveryJob,
        attempt: i64,
        retries_left: bool,
        outcome: &'a CallOutcome,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            match settle(core, job, attempt, retries_left, outcome).await {
                Ok(verdict) => verdict,
                Err(error) => {
                    tracing::warn!(integration_id = %job.hook_id, ?error, "outgoing delivery not settled");
                    Verdict::GiveUp
                }
            }
        })
    }
}

/// The calls a message starts: one per URL of every enabled `sendMessage`
/// integration that watches its room and whose trigger words it matches.
async fn deliveries(core: &Core, post: &Post, channel: &Channel, author: &User) -> StoreResult<Vec<NewDelivery>> {
    let integrations = send_message_integrations(core).await?;
    if integrations.is_empty() {
        return Ok(Vec::new());
    }
    let keys = room_keys(core, channel, author).await?;
    let mut deliveries = Vec::new();
    for integration in integrations {
        let doc = &integration.doc;
        if !watches(doc, &keys) {
            continue;
        }
        let Some(trigger_word) = triggered(doc, &post.message) else {
            continue;
        };
        let body = payload(core, doc, post, channel, author, trigger_word.as_deref()).to_string();
        let context = Context {
            room_id: channel.id.clone(),
            author_id: author.id.clone(),
            trigger_word,
            data: json!({
                "user": {"_id": author.id, "username": author.username},
                "room": {"_id": channel.id, "name": channel.name, "t": super::wire::room_type(channel)},
                "message": {"_id": post.id, "msg": post.message, "ts": iso(post.create_at)},
            }),
        };
        let context = serde_json::to_value(&context).unwrap_or_default();
        for url in strings(doc, "urls") {
            deliveries.push(NewDelivery {
                hook_id: integration.id.clone(),
                url,
                content_type: "application/json".into(),
                body: body.clone(),
                context: context.clone(),
                retry: retry_policy(doc),
            });
        }
    }
    Ok(deliveries)
}

/// `retryFailedCalls`, `retryCount` and `retryDelay` as the engine's policy.
fn retry_policy(doc: &Value) -> RetryPolicy {
    if doc.get("retryFailedCalls").and_then(Value::as_bool) != Some(true) {
        return RetryPolicy::ONCE;
    }
    RetryPolicy {
        retries: doc
            .get("retryCount")
            .and_then(Value::as_u64)
            .map_or(DEFAULT_RETRY_COUNT, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        schedule: Schedule::parse(text(doc, "retryDelay").unwrap_or_default()),
    }
}

/// Enabled outgoing integrations for `sendMessage`.
async fn send_message_integrations(state: &Core) -> StoreResult<Vec<RcIntegration>> {
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
async fn room_keys(state: &Core, channel: &Channel, author: &User) -> StoreResult<HashSet<String>> {
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
    state: &Core,
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
        "siteUrl": state.site_url,
    });
    if let Some(word) = trigger_word {
        body["trigger_word"] = word.into();
    }
    body
}

/// Judge an attempt and act on it: reply with the answer, disable the
/// integration on 410, and record the attempt in the integration's history,
/// saying what happens next.
async fn settle(
    core: &Core,
    job: &DeliveryJob,
    attempt: i64,
    retries_left: bool,
    outcome: &CallOutcome,
) -> RcResult<Verdict> {
    let Some(integration) = core.store.get_rc_integration(&job.hook_id).await? else {
        return Ok(Verdict::GiveUp); // removed meanwhile, with its history
    };
    let context: Context = serde_json::from_value(job.context.clone()).map_err(RcError::internal)?;
    let mut result = Map::new();
    let verdict = if let (Some(error), true) = (&outcome.error, outcome.status.is_none()) {
        result.insert("httpError".into(), error.clone().into());
        let (verdict, plan) = retry_plan(&integration, job, attempt, retries_left, outcome.refused);
        finish(&mut result, "failed", true, format!("{error}; {plan}"));
        verdict
    } else {
        let status = outcome.status.unwrap_or_default();
        let body = outcome.text();
        result.insert(
            "httpResult".into(),
            json!({"statusCode": status, "content": body}).to_string().into(),
        );
        if status == 410 {
            disable(core, &integration).await?;
            finish(
                &mut result,
                "disabled",
                true,
                "410 Gone: the integration was disabled".into(),
            );
            Verdict::GiveUp
        } else if outcome.is_success() && !body.trim().is_empty() {
            finish(&mut result, "finished", false, String::new());
            if let Err(error) = reply(core, &integration, &context, &body).await {
                tracing::warn!(integration_id = %integration.id, ?error, "reply not posted");
            }
            Verdict::Delivered
        } else {
            let problem = match &outcome.error {
                Some(error) => error.clone(),
                None if (200..300).contains(&status) => format!("HTTP {status} with an empty body"),
                None => format!("HTTP {status}"),
            };
            let (verdict, plan) = retry_plan(&integration, job, attempt, retries_left, false);
            finish(&mut result, "failed", true, format!("{problem}; {plan}"));
            verdict
        }
    };
    record_history(core, &integration, job, &context, result).await?;
    Ok(verdict)
}

/// Whether a failed attempt is retried, and the history's words for it.
fn retry_plan(
    integration: &RcIntegration,
    job: &DeliveryJob,
    attempt: i64,
    retries_left: bool,
    refused: bool,
) -> (Verdict, String) {
    if refused {
        return (Verdict::GiveUp, "the URL is refused, so it is not retried".into());
    }
    if integration.doc.get("retryFailedCalls").and_then(Value::as_bool) != Some(true) {
        return (Verdict::GiveUp, "not retried (retryFailedCalls is off)".into());
    }
    let count = job.max_attempts - 1;
    let made = attempt - 1;
    if !retries_left {
        return (Verdict::Retry, format!("no retries left ({made} of {count} made)"));
    }
    let delay = Schedule::parse(&job.retry_schedule).delay_ms(u32::try_from(made).unwrap_or(u32::MAX));
    (
        Verdict::Retry,
        format!("retry {attempt} of {count} scheduled in {delay} ms"),
    )
}

/// One history entry per attempt, as Rocket.Chat's `IntegrationHistory`.
async fn record_history(
    core: &Core,
    integration: &RcIntegration,
    job: &DeliveryJob,
    context: &Context,
    result: Map<String, Value>,
) -> RcResult<()> {
    let now = now_ms();
    let id = new_rc_id();
    let mut doc = json!({
        "_id": id,
        "type": "outgoing-webhook",
        "step": "start-execute-trigger-url",
        "integration": {"_id": integration.id},
        "event": "sendMessage",
        "_createdAt": iso(now),
        "_updatedAt": iso(now),
        "data": context.data,
        "ranPrepareScript": false,
        "finished": false,
        "url": job.url,
        "httpCallData": serde_json::from_str::<Value>(&job.body).unwrap_or(Value::Null),
    });
    if let Some(word) = &context.trigger_word {
        doc["triggerWord"] = word.clone().into();
    }
    if let Value::Object(doc) = &mut doc {
        doc.extend(result);
    }
    let entry = RcHistory {
        id,
        integration_id: integration.id.clone(),
        created_at: now,
        updated_at: now,
        doc,
    };
    match core.store.add_rc_history(&entry).await {
        Err(StoreError::NotFound) => Ok(()), // removed meanwhile
        other => Ok(other?),
    }
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
async fn disable(state: &Core, integration: &RcIntegration) -> RcResult<()> {
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

/// Post the URL's answer back, if it holds `text` or `attachments`: in the
/// triggering room (or `targetRoom`), as the integration's user (or, with
/// `impersonateUser`, the author), with the answer's or the integration's
/// alias, avatar and emoji.
async fn reply(state: &Core, integration: &RcIntegration, context: &Context, body: &str) -> RcResult<()> {
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
        context.author_id.as_str()
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
        None => live_channel(state, &context.room_id).await?,
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
        ..NewMessage::default()
    };
    post_message(state, &room, &poster, message).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_policies() {
        assert_eq!(retry_policy(&json!({"retryCount": 3})), RetryPolicy::ONCE);
        assert_eq!(
            retry_policy(&json!({"retryFailedCalls": true})),
            RetryPolicy {
                retries: 4,
                schedule: Schedule::PowersOfTen
            }
        );
        assert_eq!(
            retry_policy(&json!({"retryFailedCalls": true, "retryCount": 2, "retryDelay": "powers-of-two"})),
            RetryPolicy {
                retries: 2,
                schedule: Schedule::PowersOfTwo
            }
        );
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
