//! Outgoing integrations, firing on the core's events: `sendMessage` (new
//! messages, and edits with `runOnEdits`), `fileUploaded` (new messages with
//! files), `roomCreated`, `roomJoined`, `roomLeft`, `roomArchived` and
//! `userCreated`.
//!
//! This module tells the core's delivery engine which calls an event starts
//! ([`RocketChatOutgoing::deliveries`]), what each call is
//! ([`RocketChatOutgoing::prepare`]: the job's POST, or what the
//! integration's script makes of it) and what an answer does
//! ([`RocketChatOutgoing::settle`]). The engine stores the calls with the
//! event and makes them in the background, so nothing is delayed by its
//! integrations. Each attempt is recorded in the integration's history;
//! a failed one is retried as `retryFailedCalls`, `retryCount` and
//! `retryDelay` say, by the engine's durable queue (also after a restart, and
//! by any instance on the same database). A 410 answer disables the
//! integration.

use std::collections::HashSet;
use std::sync::Arc;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use chathooks_core::delivery::{
    Attempt, Begun, BoxFuture, CallOutcome, CallRequest, NewDelivery, Outgoing, Skipped, Verdict,
};
use chathooks_core::events::Event;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::chat::{NewMessage, PostedBy, post_message};
use super::error::{RcError, RcResult};
use super::integration::{Integration, Spec};
use super::rooms::{live_channel, resolve_entry};
use super::scripts::{Scripts, error_doc, log_entries, logs_doc, truthy};
use super::time::iso;
use super::wire;
use chathooks_core::Core;
use chathooks_core::ids::new_rc_id;
use chathooks_core::store::{
    CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, DeliveryJob, Post, RC_WEBHOOK_OUTGOING, RcHistory, RcIntegration,
    RcIntegrationFilter, RcVisibility, StoreError, StoreResult, User, now_ms,
};

/// The name of this dialect's jobs in the delivery queue.
const DIALECT: &str = "rocketchat";
/// Integrations loaded per query when looking for those a message fires.
const SCAN_PAGE: u32 = 200;

/// Rocket.Chat's outgoing integrations, for the delivery engine.
pub(crate) struct RocketChatOutgoing {
    scripts: Arc<Scripts>,
}

impl RocketChatOutgoing {
    /// With the script engine the integrations' scripts run in.
    pub(crate) fn new(scripts: Arc<Scripts>) -> Self {
        Self { scripts }
    }
}

/// What a job keeps to act on the answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Context {
    /// The event, as Rocket.Chat names it (jobs stored before other events
    /// fired are all `sendMessage`).
    #[serde(default = "send_message")]
    event: String,
    /// The room of the triggering event: replies go there (unless
    /// `targetRoom`); empty for `userCreated`.
    room_id: String,
    /// The triggering message's author, or the user the event is about
    /// (`impersonateUser` replies as them).
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
                Event::PostCreated { post, channel, author } => {
                    let mut found = message_deliveries(core, SEND_MESSAGE, post, channel, author, false).await?;
                    if !post.file_ids.is_empty() {
                        found.extend(message_deliveries(core, FILE_UPLOADED, post, channel, author, false).await?);
                    }
                    Ok(found)
                }
                Event::PostEdited { post, channel, author } if !wire::is_from_integration(post) => {
                    message_deliveries(core, SEND_MESSAGE, post, channel, author, true).await
                }
                Event::ChannelCreated { channel, creator } => {
                    room_deliveries(core, "roomCreated", channel, creator).await
                }
                Event::ChannelJoined { channel, user } => room_deliveries(core, "roomJoined", channel, user).await,
                Event::ChannelLeft { channel, user } => room_deliveries(core, "roomLeft", channel, user).await,
                Event::ChannelArchived { channel, by } => room_deliveries(core, "roomArchived", channel, by).await,
                Event::UserCreated { user } => user_deliveries(core, user).await,
                _ => Ok(Vec::new()),
            }
        })
    }

    fn begin<'a>(&'a self, core: &'a Core, job: &'a DeliveryJob, attempt: i64) -> BoxFuture<'a, Begun<'a>> {
        Box::pin(async move {
            match begin(core, &self.scripts, job, attempt).await {
                Ok(begun) => begun,
                Err(error) => {
                    tracing::warn!(integration_id = %job.hook_id, ?error, "outgoing delivery not prepared");
                    Begun::Skip(Skipped::Failed)
                }
            }
        })
    }
}

/// One attempt of an outgoing integration: the integration and the job's
/// context as they were read when it began, and what the script's
/// `prepare_outgoing_request` left for `process_outgoing_response`.
struct Calling<'a> {
    core: &'a Core,
    scripts: &'a Scripts,
    job: &'a DeliveryJob,
    /// 1 for the first attempt.
    number: i64,
    integration: Integration,
    context: Context,
    prepared: PrepareNotes,
}

/// What the prepare step of a script leaves for the rest of the attempt.
#[derive(Default)]
struct PrepareNotes {
    /// `prepare_outgoing_request` ran and returned a request.
    ran: bool,
    /// What it logged (the response step's logs follow them).
    logs: Vec<Value>,
    /// The request it returned, handed to `process_outgoing_response`.
    request: Option<Value>,
}

impl<'a> Attempt<'a> for Calling<'a> {
    fn settle<'b>(self: Box<Self>, outcome: &'b CallOutcome, retries_left: bool) -> BoxFuture<'b, Verdict>
    where
        'a: 'b,
    {
        Box::pin(async move {
            let integration_id = self.integration.id.clone();
            match settle(*self, retries_left, outcome).await {
                Ok(verdict) => verdict,
                Err(error) => {
                    tracing::warn!(%integration_id, ?error, "outgoing delivery not settled");
                    Verdict::GiveUp
                }
            }
        })
    }
}

const SEND_MESSAGE: &str = "sendMessage";
const FILE_UPLOADED: &str = "fileUploaded";

fn send_message() -> String {
    SEND_MESSAGE.into()
}

/// The calls a message starts for `event` (`sendMessage` or `fileUploaded`):
/// one per URL of every enabled integration of that event that watches its
/// room and whose trigger words it matches; for an edit, only those with
/// `runOnEdits`.
async fn message_deliveries(
    core: &Core,
    event: &str,
    post: &Post,
    channel: &Channel,
    author: &User,
    edited: bool,
) -> StoreResult<Vec<NewDelivery>> {
    let integrations = event_integrations(core, event).await?;
    if integrations.is_empty() {
        return Ok(Vec::new());
    }
    let keys = room_keys(core, channel, author).await?;
    let mut deliveries = Vec::new();
    for integration in integrations {
        let spec = &integration.spec;
        if edited && !spec.run_on_edits {
            continue;
        }
        if !watches(spec, &keys) {
            continue;
        }
        let Trigger::Fires(trigger_word) = triggered(spec, &post.message) else {
            continue;
        };
        let mut body = payload(core, spec, post, channel, author, trigger_word.as_deref());
        if edited {
            body["isEdited"] = true.into();
        }
        if event == FILE_UPLOADED {
            body["user"] = wire::user(author);
            body["room"] = room_doc(core, channel).await?;
            // The files by id: the post is not stored yet (its jobs are
            // stored with it), so they are not attached to it yet either.
            let mut files = Vec::with_capacity(post.file_ids.len());
            for id in &post.file_ids {
                files.extend(core.read().get_file_info(id).await?);
            }
            let message = wire::message(post, Some(author));
            body["message"] = wire::with_extras(message, post, &files, &[], &Default::default());
        }
        let context = Context {
            event: event.to_owned(),
            room_id: channel.id.clone(),
            author_id: author.id.clone(),
            trigger_word,
            data: json!({
                "user": {"_id": author.id, "username": author.username},
                "room": {"_id": channel.id, "name": channel.name, "t": wire::room_type(channel)},
                "message": {"_id": post.id, "msg": post.message, "ts": iso(post.create_at)},
            }),
        };
        deliveries.extend(to_urls(&integration, &body, &context));
    }
    Ok(deliveries)
}

/// The calls a room event starts: every enabled integration of the event
/// that watches the room (an empty `channel` watches every public room).
async fn room_deliveries(core: &Core, event: &str, channel: &Channel, user: &User) -> StoreResult<Vec<NewDelivery>> {
    let integrations = event_integrations(core, event).await?;
    if integrations.is_empty() {
        return Ok(Vec::new());
    }
    let keys = room_keys(core, channel, user).await?;
    let room = room_doc(core, channel).await?;
    let mut deliveries = Vec::new();
    for integration in integrations {
        if !watches(&integration.spec, &keys) {
            continue;
        }
        let mut body = json!({
            "token": integration.spec.token.as_deref().unwrap_or_default(),
            "bot": false,
            "channel_id": channel.id,
            "channel_name": channel.name,
            "room": room,
        });
        if event == "roomCreated" {
            body["owner"] = wire::user(user);
            body["timestamp"] = iso(channel.create_at).into();
        } else {
            body["user_id"] = user.id.clone().into();
            body["user_name"] = user.username.clone().into();
            body["user"] = wire::user(user);
            body["timestamp"] = iso(now_ms()).into();
        }
        let context = Context {
            event: event.to_owned(),
            room_id: channel.id.clone(),
            author_id: user.id.clone(),
            trigger_word: None,
            data: json!({
                "user": {"_id": user.id, "username": user.username},
                "room": {"_id": channel.id, "name": channel.name, "t": wire::room_type(channel)},
            }),
        };
        deliveries.extend(to_urls(&integration, &body, &context));
    }
    Ok(deliveries)
}

/// The calls a new account starts: every enabled `userCreated` integration
/// (whose answers go to its `targetRoom`).
async fn user_deliveries(core: &Core, user: &User) -> StoreResult<Vec<NewDelivery>> {
    let integrations = event_integrations(core, "userCreated").await?;
    let mut deliveries = Vec::new();
    for integration in integrations {
        let body = json!({
            "token": integration.spec.token.as_deref().unwrap_or_default(),
            "bot": false,
            "user_id": user.id,
            "user_name": user.username,
            "user": wire::user(user),
            "timestamp": iso(user.create_at),
        });
        let context = Context {
            event: "userCreated".into(),
            room_id: String::new(),
            author_id: user.id.clone(),
            trigger_word: None,
            data: json!({"user": {"_id": user.id, "username": user.username}}),
        };
        deliveries.extend(to_urls(&integration, &body, &context));
    }
    Ok(deliveries)
}

/// A room document for a payload; a room that cannot be described is `{}`
/// (the event goes on).
async fn room_doc(core: &Core, channel: &Channel) -> StoreResult<Value> {
    match wire::room(core, channel).await {
        Ok(room) => Ok(room),
        Err(RcError::Internal(detail)) => Err(StoreError::Conflict(detail)),
        Err(_) => Ok(json!({})),
    }
}

/// One call per URL of the integration.
fn to_urls(integration: &Integration, body: &Value, context: &Context) -> Vec<NewDelivery> {
    let body = body.to_string();
    let context = serde_json::to_value(context).unwrap_or_default();
    integration
        .spec
        .urls
        .iter()
        .map(|url| NewDelivery {
            hook_id: integration.id.clone(),
            url: url.clone(),
            content_type: "application/json".into(),
            body: body.clone(),
            context: context.clone(),
            retry: integration.spec.retry,
        })
        .collect()
}

/// Queue again the call a history entry recorded (`integrations.replayOutgoing`):
/// the same URL, body and triggering event, under the integration's retry
/// policy, so its script, answer and history are handled as for a new call.
/// `Ok(false)` when the entry holds no call to replay (Rocket.Chat's
/// `history-data-must-be-defined`).
pub(crate) async fn replay(core: &Core, integration: RcIntegration, history: &RcHistory) -> StoreResult<bool> {
    let doc = &history.doc;
    let (Some(url), Some(data)) = (text(doc, "url"), doc.get("data").filter(|d| d.is_object())) else {
        return Ok(false);
    };
    let id_in = |key: &str| data[key]["_id"].as_str().unwrap_or_default().to_owned();
    let context = Context {
        event: text(doc, "event").unwrap_or(SEND_MESSAGE).to_owned(),
        room_id: id_in("room"),
        author_id: id_in("user"),
        trigger_word: text(doc, "triggerWord").map(str::to_owned),
        data: data.clone(),
    };
    let integration = Integration::from(integration);
    let body = doc.get("httpCallData").cloned().unwrap_or(Value::Null);
    let delivery = NewDelivery {
        hook_id: integration.id.clone(),
        url: url.to_owned(),
        content_type: "application/json".into(),
        body: body.to_string(),
        context: serde_json::to_value(&context).unwrap_or_default(),
        retry: integration.spec.retry,
    };
    chathooks_core::delivery::enqueue_call(core, DIALECT, "replay", delivery).await?;
    Ok(true)
}

/// Enabled outgoing integrations for `event`.
async fn event_integrations(state: &Core, event: &str) -> StoreResult<Vec<Integration>> {
    let filter = RcIntegrationFilter {
        name: None,
        integration_type: Some(RC_WEBHOOK_OUTGOING.into()),
        incoming: RcVisibility::Hidden,
        outgoing: RcVisibility::All,
    };
    let mut found = Vec::new();
    let mut offset = 0;
    loop {
        let page = state.read().list_rc_integrations(&filter, offset, SCAN_PAGE).await?;
        let full = page.len() == SCAN_PAGE as usize;
        found.extend(
            page.into_iter()
                .filter(|i| i.enabled)
                .map(Integration::from)
                .filter(|i| i.spec.event.as_deref() == Some(event)),
        );
        if !full {
            return Ok(found);
        }
        offset += SCAN_PAGE;
    }
}

/// A non-empty text field of a URL's or a script's answer.
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
            let members = state.read().list_channel_members(&channel.id, 0, 16).await?;
            let others: Vec<_> = members.iter().filter(|m| m.user_id != author.id).collect();
            let participants = if others.is_empty() {
                vec![&author.id]
            } else {
                others.iter().map(|m| &m.user_id).collect()
            };
            for id in participants {
                if let Some(user) = state.read().get_user(id).await? {
                    keys.insert(format!("@{}", user.username).to_lowercase());
                }
            }
        }
    }
    Ok(keys)
}

/// Does the integration's `channel` name one of the room's keys? An empty
/// `channel` means `all_public_channels`, as on Rocket.Chat.
fn watches(spec: &Spec, keys: &HashSet<String>) -> bool {
    let mut entries = spec
        .channels
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
        .peekable();
    if entries.peek().is_none() {
        return keys.contains("all_public_channels");
    }
    entries.any(|entry| keys.contains(&entry.to_lowercase()))
}

/// Whether a message fires an outgoing integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// No trigger word matched.
    Quiet,
    /// It fires, with the word that matched (`None`: the integration has no
    /// trigger words, so every message fires it).
    Fires(Option<String>),
}

/// Does `message` fire the integration? A word matches when the message
/// starts with it (a raw prefix), or contains it with `triggerWordAnywhere`.
pub(crate) fn triggered(spec: &Spec, message: &str) -> Trigger {
    if spec.trigger_words.is_empty() {
        return Trigger::Fires(None);
    }
    let anywhere = spec.trigger_word_anywhere;
    spec.trigger_words
        .iter()
        .find(|word| {
            if anywhere {
                message.contains(word.as_str())
            } else {
                message.starts_with(word.as_str())
            }
        })
        .map_or(Trigger::Quiet, |word| Trigger::Fires(Some(word.clone())))
}

/// The JSON body posted to each URL (`OutgoingWebhookPayload`).
fn payload(
    state: &Core,
    spec: &Spec,
    post: &Post,
    channel: &Channel,
    author: &User,
    trigger_word: Option<&str>,
) -> Value {
    let mut body = json!({
        "token": spec.token.as_deref().unwrap_or_default(),
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

/// Begin attempt `number` of a claimed job: read its integration (one
/// removed or disabled since cancels the job) and context once, then let
/// the script prepare the call.
async fn begin<'a>(core: &'a Core, scripts: &'a Scripts, job: &'a DeliveryJob, number: i64) -> RcResult<Begun<'a>> {
    let integration = match core.read().get_rc_integration(&job.hook_id).await? {
        Some(integration) if integration.enabled => Integration::from(integration),
        // Removed or disabled since the job was stored.
        _ => return Ok(Begun::Skip(Skipped::Cancelled)),
    };
    let context: Context = serde_json::from_value(job.context.clone()).map_err(RcError::internal)?;
    let mut attempt = Calling {
        core,
        scripts,
        job,
        number,
        integration,
        context,
        prepared: PrepareNotes::default(),
    };
    Ok(match prepare(&mut attempt).await? {
        Ok(request) => Begun::Call(request, Box::new(attempt)),
        Err(skipped) => Begun::Skip(skipped),
    })
}

/// What an integration's script does with a claimed job before its call:
/// `prepare_outgoing_request` may rewrite the request, post a message
/// instead, or cancel the call. Without a script (or that method) the job's
/// own POST is made.
async fn prepare(attempt: &mut Calling<'_>) -> RcResult<Result<CallRequest, Skipped>> {
    let Calling {
        core,
        scripts,
        job,
        ref integration,
        ref context,
        ..
    } = *attempt;
    let default = CallRequest::for_job(job);
    if scripts.source_of(integration).is_none() {
        return Ok(Ok(default));
    }
    let request = json!({
        "params": {},
        "method": "POST",
        "url": job.url,
        "data": serde_json::from_str::<Value>(&job.body).unwrap_or(Value::Null),
        "auth": null,
        "headers": {},
    });
    let outcome = scripts
        .call(
            core,
            integration,
            "prepare_outgoing_request",
            json!({"request": request}),
        )
        .await;
    let mut result = Map::new();
    result.insert("ranPrepareScript".into(), true.into());
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(failure) => {
            result.insert("scriptLogs".into(), logs_doc(&failure.logs));
            result.insert("scriptError".into(), error_doc(&failure));
            finish(
                &mut result,
                "failed",
                true,
                format!("prepare_outgoing_request failed: {failure}"),
            );
            record_history(core, integration, &job.url, &job.body, context, result).await?;
            return Ok(Err(Skipped::Failed));
        }
    };
    if outcome.missing_method {
        attempt.prepared.logs = log_entries(&outcome.logs);
        return Ok(Ok(default));
    }
    result.insert("scriptLogs".into(), logs_doc(&outcome.logs));
    let Some(prepared) = outcome.value.filter(truthy) else {
        finish(&mut result, "after-prepare-no-opts", false, String::new());
        record_history(core, integration, &job.url, &job.body, context, result).await?;
        return Ok(Err(Skipped::Cancelled));
    };
    let mut posted = false;
    if let Some(message) = prepared.get("message").filter(|m| truthy(m)) {
        match reply(core, integration, context, message).await {
            Ok(sent) => posted = sent,
            Err(error) => tracing::warn!(integration_id = %integration.id, ?error, "script message not posted"),
        }
        result.insert("prepareSentMessage".into(), posted.into());
    }
    let url = prepared.get("url").and_then(Value::as_str).filter(|u| !u.is_empty());
    let method = prepared.get("method").and_then(Value::as_str).filter(|m| !m.is_empty());
    let (Some(url), Some(method)) = (url, method) else {
        finish(&mut result, "after-prepare-no-url_or_method", false, String::new());
        record_history(core, integration, &job.url, &job.body, context, result).await?;
        return Ok(Err(if posted { Skipped::Done } else { Skipped::Cancelled }));
    };
    let mut headers: Vec<(String, String)> = match prepared.get("headers") {
        Some(Value::Object(fields)) => fields
            .iter()
            .map(|(name, value)| {
                let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
                (name.clone(), value)
            })
            .collect(),
        _ => Vec::new(),
    };
    if let Some(auth) = prepared.get("auth").and_then(Value::as_str).filter(|a| !a.is_empty()) {
        headers.push((
            "Authorization".into(),
            format!("Basic {}", BASE64_STANDARD.encode(auth)),
        ));
    }
    let body = match prepared.get("data") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(data) => data.to_string(),
    };
    let call = CallRequest {
        method: method.to_owned(),
        url: with_params(url, prepared.get("params")),
        headers,
        content_type: "application/json".into(),
        body,
    };
    attempt.prepared = PrepareNotes {
        ran: true,
        logs: log_entries(&outcome.logs),
        request: Some(prepared),
    };
    Ok(Ok(call))
}

/// `url` with the script's `params` added to its query.
fn with_params(url: &str, params: Option<&Value>) -> String {
    let Some(Value::Object(params)) = params else {
        return url.to_owned();
    };
    if params.is_empty() {
        return url.to_owned();
    }
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    {
        let mut query = parsed.query_pairs_mut();
        for (name, value) in params {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            query.append_pair(name, &value);
        }
    }
    parsed.into()
}

/// What `process_outgoing_response` decided, when it decided.
enum ScriptVerdict {
    /// It returned `{content}` (posted) or `false` (nothing posted): done.
    Handled(&'static str),
    /// It failed.
    Failed(chathooks_script::Failure),
}

/// Run `process_outgoing_response` on the answer, if the integration has a
/// script; `None` when the default handling applies.
async fn process_response(
    attempt: &Calling<'_>,
    prepared: PrepareNotes,
    outcome: &CallOutcome,
    result: &mut Map<String, Value>,
) -> Option<ScriptVerdict> {
    let Calling {
        core,
        scripts,
        ref integration,
        ref context,
        ..
    } = *attempt;
    scripts.source_of(integration)?;
    if outcome.refused {
        return None;
    }
    let mut logs = prepared.logs;
    let content_raw = outcome.text();
    let headers: Map<String, Value> = outcome
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect();
    let request = prepared.request.unwrap_or_else(|| {
        json!({
            "params": {},
            "method": outcome.request.method,
            "url": outcome.request.url,
            "data": serde_json::from_str::<Value>(&outcome.request.body).unwrap_or(Value::Null),
            "auth": null,
            "headers": {},
        })
    });
    let response = json!({
        "error": outcome.error,
        "status_code": outcome.status,
        "content": serde_json::from_str::<Value>(&content_raw).unwrap_or(Value::Null),
        "content_raw": content_raw,
        "headers": headers,
    });
    let called = scripts
        .call(
            core,
            integration,
            "process_outgoing_response",
            json!({"request": request, "response": response}),
        )
        .await;
    let verdict = match called {
        Err(failure) => {
            logs.extend(logs_doc(&failure.logs).as_array().cloned().unwrap_or_default());
            Some(ScriptVerdict::Failed(failure))
        }
        Ok(called) => {
            logs.extend(logs_doc(&called.logs).as_array().cloned().unwrap_or_default());
            if called.missing_method {
                None
            } else {
                result.insert("ranProcessResponseScript".into(), true.into());
                match called.value {
                    Some(Value::Bool(false)) => Some(ScriptVerdict::Handled("after-process-false-result")),
                    Some(value) => match value.get("content").filter(|c| truthy(c)) {
                        Some(content) => {
                            let posted = match reply(core, integration, context, content).await {
                                Ok(posted) => posted,
                                Err(error) => {
                                    tracing::warn!(integration_id = %integration.id, ?error, "script content not posted");
                                    false
                                }
                            };
                            result.insert("processSentMessage".into(), posted.into());
                            Some(ScriptVerdict::Handled("finished"))
                        }
                        None => None,
                    },
                    None => None,
                }
            }
        }
    };
    result.insert("scriptLogs".into(), Value::Array(logs));
    verdict
}

/// Judge an attempt and act on it: let the script handle the answer, or
/// reply with it, disable the integration on 410, and record the attempt in
/// the integration's history, saying what happens next.
async fn settle(mut attempt: Calling<'_>, retries_left: bool, outcome: &CallOutcome) -> RcResult<Verdict> {
    let prepared = std::mem::take(&mut attempt.prepared);
    let mut result = Map::new();
    if prepared.ran {
        result.insert("ranPrepareScript".into(), true.into());
    }
    if let Some(status) = outcome.status {
        result.insert(
            "httpResult".into(),
            json!({"statusCode": status, "content": outcome.text()})
                .to_string()
                .into(),
        );
    }
    let scripted = process_response(&attempt, prepared, outcome, &mut result).await;
    let verdict = match scripted {
        Some(ScriptVerdict::Handled(step)) => {
            finish(&mut result, step, false, String::new());
            Verdict::Delivered
        }
        Some(ScriptVerdict::Failed(failure)) => {
            result.insert("scriptError".into(), error_doc(&failure));
            finish(
                &mut result,
                "failed",
                true,
                format!("process_outgoing_response failed: {failure}"),
            );
            Verdict::GiveUp
        }
        None => default_settle(&attempt, retries_left, outcome, &mut result).await?,
    };
    let request = &outcome.request;
    let Calling {
        core,
        ref integration,
        ref context,
        ..
    } = attempt;
    record_history(core, integration, &request.url, &request.body, context, result).await?;
    Ok(verdict)
}

/// Rocket.Chat's handling of an answer without a script (or one the script
/// left alone).
async fn default_settle(
    attempt: &Calling<'_>,
    retries_left: bool,
    outcome: &CallOutcome,
    result: &mut Map<String, Value>,
) -> RcResult<Verdict> {
    let Calling {
        core,
        job,
        number,
        ref integration,
        ref context,
        ..
    } = *attempt;
    if let (Some(error), true) = (&outcome.error, outcome.status.is_none()) {
        result.insert("httpError".into(), error.clone().into());
        let (verdict, plan) = retry_plan(integration, job, number, retries_left, outcome.refused);
        finish(result, "failed", true, format!("{error}; {plan}"));
        return Ok(verdict);
    }
    let status = outcome.status.unwrap_or_default();
    let body = outcome.text();
    if status == 410 {
        disable(core, integration).await?;
        finish(
            result,
            "disabled",
            true,
            "410 Gone: the integration was disabled".into(),
        );
        return Ok(Verdict::GiveUp);
    }
    if outcome.is_success() && !body.trim().is_empty() {
        finish(result, "finished", false, String::new());
        if let Ok(answer) = serde_json::from_str::<Value>(&body)
            && let Err(error) = reply(core, integration, context, &answer).await
        {
            tracing::warn!(integration_id = %integration.id, ?error, "reply not posted");
        }
        return Ok(Verdict::Delivered);
    }
    let problem = match &outcome.error {
        Some(error) => error.clone(),
        None if (200..300).contains(&status) => format!("HTTP {status} with an empty body"),
        None => format!("HTTP {status}"),
    };
    let (verdict, plan) = retry_plan(integration, job, number, retries_left, false);
    finish(result, "failed", true, format!("{problem}; {plan}"));
    Ok(verdict)
}

/// Whether a failed attempt is retried, and the history's words for it.
fn retry_plan(
    integration: &Integration,
    job: &DeliveryJob,
    attempt: i64,
    retries_left: bool,
    refused: bool,
) -> (Verdict, String) {
    if refused {
        return (Verdict::GiveUp, "the URL is refused, so it is not retried".into());
    }
    if !integration.spec.retries_failed_calls {
        return (Verdict::GiveUp, "not retried (retryFailedCalls is off)".into());
    }
    let count = job.max_attempts - 1;
    let made = attempt - 1;
    if !retries_left {
        return (Verdict::Retry, format!("no retries left ({made} of {count} made)"));
    }
    let delay = job.retry_schedule.delay_ms(u32::try_from(made).unwrap_or(u32::MAX));
    (
        Verdict::Retry,
        format!("retry {attempt} of {count} scheduled in {delay} ms"),
    )
}

/// One history entry per attempt, as Rocket.Chat's `IntegrationHistory`.
async fn record_history(
    core: &Core,
    integration: &RcIntegration,
    url: &str,
    body: &str,
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
        "event": context.event,
        "_createdAt": iso(now),
        "_updatedAt": iso(now),
        "data": context.data,
        "ranPrepareScript": false,
        "finished": false,
        "url": url,
        "httpCallData": serde_json::from_str::<Value>(body).unwrap_or(Value::Null),
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
    match chathooks_core::integrations::add_history(core, &entry).await {
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
    let Some(mut current) = state.read().get_rc_integration(&integration.id).await? else {
        return Ok(());
    };
    current.enabled = false;
    current.updated_at = now_ms();
    if let Value::Object(doc) = &mut current.doc {
        doc.insert("enabled".into(), false.into());
    }
    match chathooks_core::integrations::update_integration(state, &current).await {
        Err(StoreError::NotFound) => Ok(()),
        other => other.map(|_| ()).map_err(RcError::from),
    }
}

/// Post a message back (the URL's answer, or what a script returned), if it
/// holds `text` or `attachments`: in the triggering room (or `targetRoom`),
/// as the integration's user (or, with `impersonateUser`, the author), with
/// the message's or the integration's alias, avatar and emoji. `Ok(false)`:
/// nothing to post.
async fn reply(state: &Core, integration: &Integration, context: &Context, answer: &Value) -> RcResult<bool> {
    let answer = answer.clone();
    let message_text = text(&answer, "text")
        .or_else(|| text(&answer, "msg"))
        .unwrap_or_default()
        .to_owned();
    let attachments = answer
        .get("attachments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if message_text.is_empty() && attachments.is_empty() {
        return Ok(false);
    }
    let spec = &integration.spec;
    let poster_id = if spec.impersonate_user {
        context.author_id.as_str()
    } else {
        spec.user_id.as_deref().unwrap_or_default()
    };
    let poster = state
        .read()
        .get_user(poster_id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or_else(|| RcError::failure(format!("the user {poster_id} to reply as does not exist")))?;
    let room = match spec.target_room.as_deref() {
        Some(target) => resolve_entry(state, &poster, target).await?,
        None => live_channel(state, &context.room_id).await?,
    }
    .ok_or_else(|| RcError::failure("the room to reply in no longer exists"))?;
    super::auth::require_may_post(state, &poster, &room).await?;
    super::auth::join_public_room_to_post(state, &poster, &room).await?;
    let pick = |keys: [&str; 2], fallback: &Option<String>| {
        keys.iter()
            .find_map(|key| text(&answer, key))
            .map(str::to_owned)
            .or_else(|| fallback.clone())
    };
    let message = NewMessage {
        text: message_text,
        alias: pick(["username", "alias"], &spec.alias),
        avatar: pick(["icon_url", "avatar"], &spec.avatar),
        emoji: pick(["icon_emoji", "emoji"], &spec.emoji),
        attachments,
        posted_by: Some(PostedBy {
            integration_id: integration.id.clone(),
            integration_name: integration.name.clone(),
        }),
        ..NewMessage::default()
    };
    post_message(state, &room, &poster, message).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_words() {
        let every = Spec::of(&json!({}));
        assert_eq!(triggered(&every, "anything"), Trigger::Fires(None));
        let prefix = Spec::of(&json!({"triggerWords": ["!deploy", "ci"]}));
        assert_eq!(
            triggered(&prefix, "!deploy now"),
            Trigger::Fires(Some("!deploy".into()))
        );
        assert_eq!(
            triggered(&prefix, "circle"),
            Trigger::Fires(Some("ci".into())),
            "a raw prefix"
        );
        assert_eq!(triggered(&prefix, "please !deploy"), Trigger::Quiet);
        let anywhere = Spec::of(&json!({"triggerWords": ["!deploy"], "triggerWordAnywhere": true}));
        assert_eq!(
            triggered(&anywhere, "please !deploy"),
            Trigger::Fires(Some("!deploy".into()))
        );
        assert_eq!(triggered(&anywhere, "nothing"), Trigger::Quiet);
    }
}
