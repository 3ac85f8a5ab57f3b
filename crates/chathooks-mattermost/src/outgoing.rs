//! Outgoing webhooks: when a user posts in a public channel, the hooks the
//! post triggers get the post's details at their callback URLs, and what they
//! answer is posted back in the channel.
//!
//! This module tells the core's delivery engine which calls a post starts
//! ([`MattermostOutgoing::deliveries`]) and what an answer does
//! ([`MattermostOutgoing::settle`]); the engine stores the calls with the post
//! and makes them in the background, so a post is never delayed or failed by
//! its hooks. One attempt per callback URL and no retries, as in Mattermost;
//! every attempt is on record in the queue.

use chathooks_core::delivery::{
    Attempt, Begun, BoxFuture, CallOutcome, CallRequest, NewDelivery, Outgoing, RetryPolicy, Skipped, Verdict,
};
use chathooks_core::events::Event;
use chathooks_core::posts::webhook::{WebhookMessage, create_webhook_posts};
use chathooks_mattermost_types::SlackAttachment;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use chathooks_core::Core;
use chathooks_core::channels::live_channel;
use chathooks_core::store::{CHANNEL_OPEN, Channel, DeliveryJob, OutgoingHook, Post, StoreResult};

use crate::DIALECT;

/// `content_type` of hooks that want JSON; any other value means a form.
const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// `trigger_when`: the first word must equal a trigger word.
const TRIGGER_EXACT: i32 = 0;
/// `trigger_when`: the first word must start with a trigger word.
const TRIGGER_PREFIX: i32 = 1;

/// Mattermost's outgoing webhooks, for the delivery engine.
pub(crate) struct MattermostOutgoing;

/// What a job keeps to post the answer: where the triggering post was.
#[derive(Debug, Serialize, Deserialize)]
struct Context {
    post_id: String,
    root_id: String,
    channel_id: String,
}

impl Outgoing for MattermostOutgoing {
    fn dialect(&self) -> &'static str {
        DIALECT
    }

    fn deliveries<'a>(&'a self, core: &'a Core, event: &'a Event) -> BoxFuture<'a, StoreResult<Vec<NewDelivery>>> {
        Box::pin(async move {
            match event {
                Event::PostCreated { post, channel, author } => {
                    let username = crate::convert::mattermost_name(&author.username);
                    deliveries(core, post, channel, &username).await
                }
                _ => Ok(Vec::new()),
            }
        })
    }

    fn begin<'a>(&'a self, core: &'a Core, job: &'a DeliveryJob, _attempt: i64) -> BoxFuture<'a, Begun<'a>> {
        Box::pin(async move {
            let hook = match core.read().get_outgoing(&job.hook_id).await {
                Ok(Some(hook)) => Some(hook),
                Ok(None) => return Begun::Skip(Skipped::Cancelled),
                Err(error) => {
                    // Call all the same: the receiver is owed it. Only the
                    // answer cannot be posted without the hook.
                    tracing::warn!(hook_id = %job.hook_id, %error, "outgoing webhook not read before its call");
                    None
                }
            };
            Begun::Call(CallRequest::for_job(job), Box::new(Answering { core, job, hook }))
        })
    }
}

/// One attempt of an outgoing webhook, with the hook as it was when the
/// attempt began: the answer is posted as that hook.
struct Answering<'a> {
    core: &'a Core,
    job: &'a DeliveryJob,
    hook: Option<OutgoingHook>,
}

impl<'a> Attempt<'a> for Answering<'a> {
    fn settle<'b>(self: Box<Self>, outcome: &'b CallOutcome, _retries_left: bool) -> BoxFuture<'b, Verdict>
    where
        'a: 'b,
    {
        Box::pin(settle(*self, outcome))
    }
}

/// The calls `post` starts: one per callback URL of every hook it triggers.
/// Only posts in public channels fire hooks (the core already skips posts
/// made by webhooks).
async fn deliveries(core: &Core, post: &Post, channel: &Channel, username: &str) -> StoreResult<Vec<NewDelivery>> {
    use chathooks_core::config::{Switch, is_on};
    if channel.channel_type != CHANNEL_OPEN || !is_on(core, Switch::OutgoingHooks).await? {
        return Ok(Vec::new());
    }
    let hooks = core.read().outgoing_for_channel(&channel.team_id, &channel.id).await?;
    let first_word = post.message.split_whitespace().next().unwrap_or_default();
    let firing: Vec<(OutgoingHook, String)> = hooks
        .into_iter()
        .filter_map(|hook| {
            let word = trigger_word(&hook, &channel.id, first_word)?;
            Some((hook, word))
        })
        .collect();
    if firing.is_empty() {
        return Ok(Vec::new());
    }
    let team_domain = core
        .read()
        .get_team(&channel.team_id)
        .await?
        .map(|team| team.name)
        .unwrap_or_default();
    let file_ids = post.file_ids.join(",");
    let context = json!(Context {
        post_id: post.id.clone(),
        root_id: post.root_id.clone(),
        channel_id: post.channel_id.clone(),
    });
    let mut deliveries = Vec::new();
    let channel_name = crate::convert::mattermost_name(&channel.name);
    for (hook, trigger_word) in &firing {
        let payload = Payload {
            token: &hook.token,
            team_id: &hook.team_id,
            team_domain: &team_domain,
            channel_id: &post.channel_id,
            channel_name: &channel_name,
            timestamp: post.create_at,
            user_id: &post.user_id,
            user_name: username,
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
            deliveries.push(NewDelivery {
                hook_id: hook.id.clone(),
                url: url.clone(),
                content_type: content_type.to_owned(),
                body: body.clone(),
                context: context.clone(),
                retry: RetryPolicy::ONCE,
            });
        }
    }
    Ok(deliveries)
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

/// Post the callback's answer, if it gave one. The status is ignored
/// (Mattermost posts an answer even from an error status); failures are
/// logged, since nobody is waiting for the outcome.
async fn settle(attempt: Answering<'_>, outcome: &CallOutcome) -> Verdict {
    let Answering { core, job, hook } = attempt;
    if let Some(error) = &outcome.error {
        let what = if outcome.refused { "refused" } else { "failed" };
        tracing::warn!(hook_id = %job.hook_id, url = %job.url, %error, "outgoing webhook callback {what}");
        return Verdict::GiveUp;
    }
    let verdict = if outcome.is_success() {
        Verdict::Delivered
    } else {
        Verdict::GiveUp
    };
    if outcome.truncated {
        tracing::warn!(hook_id = %job.hook_id, url = %job.url, "outgoing webhook answer over 1 MiB ignored");
        return verdict;
    }
    if outcome.body.iter().all(u8::is_ascii_whitespace) {
        return verdict;
    }
    let answer: Answer = match serde_json::from_slice(&outcome.body) {
        Ok(answer) => answer,
        Err(error) => {
            // Plenty of receivers answer "ok" or HTML: not worth a warning.
            tracing::debug!(%error, "outgoing webhook answer is not a JSON object; nothing to post");
            return verdict;
        }
    };
    if let Err(error) = post_answer(core, job, hook.as_ref(), answer).await {
        tracing::warn!(hook_id = %job.hook_id, url = %job.url, %error, "outgoing webhook answer not posted");
    }
    verdict
}

/// Why an answer was not posted.
#[derive(Debug, thiserror::Error)]
enum AnswerError {
    #[error("the job's context is unreadable: {0}")]
    Context(#[from] serde_json::Error),
    #[error("the hook, its creator or the channel is gone")]
    Gone,
    #[error(transparent)]
    Store(#[from] chathooks_core::store::StoreError),
    #[error(transparent)]
    Post(#[from] chathooks_core::posts::webhook::WebhookPostError),
}

/// Post a callback's answer in the channel of the triggering post, as the
/// hook's creator, if it has text or attachments. Username and icon fall back
/// to the hook's.
async fn post_answer(
    core: &Core,
    job: &DeliveryJob,
    hook: Option<&OutgoingHook>,
    answer: Answer,
) -> Result<(), AnswerError> {
    let text = answer.text.unwrap_or_default();
    let attachments = answer.attachments.unwrap_or_default();
    if text.is_empty() && attachments.is_empty() {
        return Ok(());
    }
    let context: Context = serde_json::from_value(job.context.clone())?;
    let hook = hook.ok_or(AnswerError::Gone)?;
    let creator = core.read().get_user(&hook.creator_id).await?.ok_or(AnswerError::Gone)?;
    let channel = live_channel(core, &context.channel_id)
        .await?
        .ok_or(AnswerError::Gone)?;
    let root_id = if answer.response_type.as_deref() == Some("comment") {
        if context.root_id.is_empty() {
            context.post_id
        } else {
            context.root_id
        }
    } else {
        String::new()
    };
    let non_empty =
        |value: Option<String>, fallback: &str| value.filter(|v| !v.is_empty()).unwrap_or_else(|| fallback.to_owned());
    let attachments = attachments
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()?;
    use chathooks_core::config::{Switch, is_on};
    let keep_author_name = !is_on(core, Switch::PostUsernameOverride).await?;
    let keep_author_icon = !is_on(core, Switch::PostIconOverride).await?;
    create_webhook_posts(
        core,
        &channel,
        &creator,
        WebhookMessage {
            keep_author_name,
            keep_author_icon,
            from_command: false,
            skip_slack_parsing: false,
            root_id,
            text,
            username: non_empty(answer.username, &hook.username),
            icon_url: non_empty(answer.icon_url, &hook.icon_url),
            icon_emoji: String::new(),
            display_name: hook.display_name.clone(),
            props: answer.props.unwrap_or_default(),
            attachments,
            post_type: answer.post_type.unwrap_or_default(),
            hook_id: hook.id.clone(),
        },
    )
    .await?;
    Ok(())
}
