//! Running a custom slash command (`POST /api/v4/commands/execute`), after
//! Mattermost's `api4/command.go` and `app/command.go`.
//!
//! The caller waits for the command's receiver: the call is made at once
//! through the core's guarded client ([`chathooks_core::commands::call`]),
//! bounded by the callback timeout, and its answer is posted (`in_channel`)
//! or shown to the caller alone (`ephemeral`, the default) before the
//! request is answered. The payload's `trigger_id` is signed for the caller
//! ([`chathooks_core::triggers`]), so the receiver can open a dialog with
//! it. The receiver may answer again later through the call's
//! `response_url` ([`execute_command_webhook`], at most 5 times in 30
//! minutes, as Mattermost allows); those answers are handled the same way.
//! Each call is recorded in the delivery history, as a finished job with
//! its one attempt.

use chathooks_core::Core;
use chathooks_core::commands::{ResponseUrlError, open_response_url, take_response_url};
use chathooks_core::delivery::{CallOutcome, CallRequest};
use chathooks_core::ids::is_valid_id;
use chathooks_core::markup::MAX_POST_RUNES;
use chathooks_core::posts::webhook::{WebhookMessage, WebhookPostError, create_webhook_posts};
use chathooks_core::posts::{
    PROP_ATTACHMENTS, PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_URL, PROP_OVERRIDE_USERNAME, new_post, show_ephemeral,
};
use chathooks_core::store::{Channel, SlashCommand, User, now_ms};
use chathooks_mattermost_server::ops::{execute_command, execute_command_webhook};
use chathooks_mattermost_types as types;
use serde_json::{Map, Value};

use super::auth::{Caller, is_team_member};
use super::commands::METHOD_GET;
use super::convert::mattermost_name;
use super::error::{ApiError, ApiResult};
use super::posts::may_post;

/// `response_type` of an answer posted for everyone.
const IN_CHANNEL: &str = "in_channel";
/// `response_type` of an answer only the caller sees (also the default).
const EPHEMERAL: &str = "ephemeral";

fn start_error() -> ApiError {
    ApiError::bad_request(
        "api.command.execute_command.start.app_error",
        "No command trigger found.",
    )
}

fn not_found(trigger: &str) -> ApiError {
    ApiError::not_found(
        "api.command.execute_command.not_found.app_error",
        format!(
            "Command with a trigger of '{trigger}' not found. To send a message beginning with \"/\", try adding an empty space at the beginning of the message."
        ),
    )
}

fn failed(trigger: &str, detail: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "api.command.execute_command.failed.app_error",
        format!("Command with a trigger of '{trigger}' failed."),
    )
    .detailed(detail)
}

fn post_failed(trigger: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "api.command.execute_command.create_post_failed.app_error",
        format!("Command '{trigger}' failed to post response. Please contact your System Administrator."),
    )
}

pub(crate) async fn execute_command(
    state: &Core,
    caller: Caller,
    request: execute_command::Request,
) -> ApiResult<execute_command::Response> {
    let body = request.body;
    if body.command.len() <= 1 || !body.command.starts_with('/') || !is_valid_id(&body.channel_id) {
        return Err(start_error());
    }
    // A channel that does not exist is one the caller may not post in.
    let channel = state
        .read()
        .get_channel(&body.channel_id)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    if !may_post(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    if channel.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.command.execute_command.deleted.error",
            "Can't run command in deleted channel.",
        ));
    }
    let team_id = if channel.channel_type == "D" || channel.channel_type == "G" {
        let team_id = body.team_id.unwrap_or_default();
        if !is_team_member(state, &caller.user, &team_id).await? {
            return Err(ApiError::forbidden());
        }
        team_id
    } else {
        channel.team_id.clone()
    };
    let (trigger, text) = split_command(&body.command);
    let root_id = body.root_id.unwrap_or_default();
    // Built-ins run whatever `EnableCommands` says, as on Mattermost.
    if let Some(answer) = built_in(&trigger, text) {
        post_built_in(state, &caller.user, &channel, &root_id, &trigger, &answer).await?;
        return Ok(execute_command::Response::Ok(answer));
    }
    // With commands off (`EnableCommands`), no custom command is found.
    if !chathooks_core::config::is_on(state, chathooks_core::config::Switch::Commands).await? {
        return Err(not_found(&trigger));
    }
    let command = state
        .read()
        .list_team_commands(&team_id)
        .await?
        .into_iter()
        .find(|c| c.trigger == trigger)
        .ok_or_else(|| not_found(&trigger))?;
    let team_domain = state
        .read()
        .get_team(&team_id)
        .await?
        .map(|team| team.name)
        .unwrap_or_default();
    let response_url = open_response_url(state, &command, &caller.user.id, &channel.id, &root_id).await?;
    // Signed for the caller, so the receiver can open a dialog with it; the
    // answer carries its client id, as Mattermost's does.
    let issued = chathooks_core::triggers::issue(state, &caller.user.id)
        .await
        .map_err(ApiError::internal)?;
    let payload = Payload {
        channel_id: &channel.id,
        channel_name: &mattermost_name(&channel.name),
        command: &format!("/{trigger}"),
        response_url: &format!(
            "{}/hooks/commands/{}",
            state.site_url.trim_end_matches('/'),
            response_url.id
        ),
        team_domain: &team_domain,
        team_id: &command.team_id,
        text,
        token: &command.token,
        trigger_id: &issued.trigger_id,
        user_id: &caller.user.id,
        user_name: &mattermost_name(&caller.user.username),
        root_id: &root_id,
    };
    let request = request_for(&command, &payload);
    let outcome = chathooks_core::commands::call(
        state,
        crate::DIALECT,
        &command,
        (&caller.user.id, &channel.id),
        &request,
        |outcome| read_answer(&trigger, outcome).is_ok(),
    )
    .await;
    let mut answer = read_answer(&trigger, &outcome)?;
    answer.trigger_id = Some(issued.client_id);
    handle_all(state, &caller.user, &channel, &root_id, &command, &answer).await?;
    Ok(execute_command::Response::Ok(answer))
}

/// Handle an answer and its `extra_responses`, each on its own: one that
/// cannot be posted does not stop the others, and the whole answers
/// Mattermost's `create_post_failed` error.
async fn handle_all(
    state: &Core,
    user: &User,
    channel: &Channel,
    root_id: &str,
    command: &SlashCommand,
    answer: &types::CommandResponse,
) -> ApiResult<()> {
    let mut posting_failed = false;
    for each in std::iter::once(answer).chain(answer.extra_responses.iter().flatten()) {
        if let Err(error) = handle(state, user, channel, root_id, command, each).await {
            tracing::debug!(command_id = %command.id, error = %error.body().message, "slash command answer not posted");
            posting_failed = true;
        }
    }
    if posting_failed {
        return Err(post_failed(&command.trigger));
    }
    Ok(())
}

/// `POST /hooks/commands/{id}`: a later answer through a call's
/// `response_url`, handled as the call's own answer would have been, for
/// the user who ran the command where they ran it.
pub(crate) async fn execute_command_webhook(
    state: &Core,
    request: execute_command_webhook::Request,
) -> ApiResult<execute_command_webhook::Response> {
    let answer = match request.body {
        execute_command_webhook::Body::Json(answer) => answer,
        execute_command_webhook::Body::Binary(text) => types::CommandResponse {
            text: Some(String::from_utf8_lossy(&text.data).into_owned()),
            ..Default::default()
        },
    };
    let (hook, command) = take_response_url(state, &request.hook_id)
        .await
        .map_err(|error| match error {
            ResponseUrlError::Missing => ApiError::not_found(
                "app.command_webhook.get.missing",
                "Unable to get the webhook: the response_url is unknown or has expired.",
            ),
            ResponseUrlError::CommandGone => {
                ApiError::bad_request("web.command_webhook.command.app_error", "Couldn't find the command.")
            }
            ResponseUrlError::UsedUp => ApiError::bad_request(
                "app.command_webhook.try_use.invalid",
                "Invalid webhook: this response_url has taken all its answers.",
            ),
            ResponseUrlError::Store(error) => error.into(),
        })?;
    let gone = || {
        ApiError::not_found(
            "app.command_webhook.get.missing",
            "The command's user or channel is gone.",
        )
    };
    let user = state.read().get_user(&hook.user_id).await?.ok_or_else(gone)?;
    let channel = state.read().get_channel(&hook.channel_id).await?.ok_or_else(gone)?;
    handle_all(state, &user, &channel, &hook.root_id, &command, &answer).await?;
    Ok(execute_command_webhook::Response::Ok("ok".to_owned()))
}

/// The trigger (lowercased, without its `/`) and the rest of the line.
/// The answer of a built-in command Mattermost's server runs itself
/// (`app/slashcommands`), for the ones chathooks runs: `/me` (`command_me.go`,
/// the text in italics as a post of type `me`) and `/shrug`
/// (`command_shrug.go`, the text followed by a shrug escaped for Markdown).
/// `None` for every other trigger.
fn built_in(trigger: &str, text: &str) -> Option<types::CommandResponse> {
    let (message, post_type) = match trigger {
        "me" => (format!("*{text}*"), Some(POST_TYPE_ME.to_owned())),
        "shrug" if text.is_empty() => (SHRUG.to_owned(), None),
        "shrug" => (format!("{text} {SHRUG}"), None),
        _ => return None,
    };
    Some(types::CommandResponse {
        response_type: Some(IN_CHANNEL.into()),
        text: Some(message),
        type_: post_type,
        ..Default::default()
    })
}

/// Post a built-in's answer as the caller's own post (Mattermost's
/// `HandleCommandResponsePost` with `builtIn`: not marked as a webhook's, so
/// it is an ordinary post, outgoing webhooks included).
async fn post_built_in(
    state: &Core,
    user: &User,
    channel: &Channel,
    root_id: &str,
    trigger: &str,
    answer: &types::CommandResponse,
) -> ApiResult<()> {
    let message = answer.text.clone().unwrap_or_default();
    if message.chars().count() > MAX_POST_RUNES {
        return Err(post_failed(trigger));
    }
    let mut post = new_post(&channel.id, &user.id, message);
    post.post_type = answer.type_.clone().unwrap_or_default();
    post.root_id = root_id.to_owned();
    chathooks_core::posts::create_post(state, post, channel, user).await?;
    Ok(())
}

/// Mattermost's `model.PostTypeMe`.
const POST_TYPE_ME: &str = "me";
/// `/shrug`'s shrug, its backslash, underscores and parenthesis escaped for
/// Markdown as Mattermost's is.
const SHRUG: &str = r"¯\\\_(ツ)\_/¯";

fn split_command(line: &str) -> (String, &str) {
    let line = &line[1..];
    let (trigger, text) = line.split_once(' ').unwrap_or((line, ""));
    (trigger.to_lowercase(), text)
}

/// What the receiver gets, Mattermost's fields. Sent form-encoded with the
/// keys sorted, as Go's `url.Values.Encode` does.
struct Payload<'a> {
    channel_id: &'a str,
    channel_name: &'a str,
    command: &'a str,
    response_url: &'a str,
    team_domain: &'a str,
    team_id: &'a str,
    text: &'a str,
    token: &'a str,
    trigger_id: &'a str,
    user_id: &'a str,
    user_name: &'a str,
    root_id: &'a str,
}

impl Payload<'_> {
    fn encode(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("channel_id", self.channel_id)
            .append_pair("channel_name", self.channel_name)
            .append_pair("command", self.command)
            .append_pair("response_url", self.response_url)
            .append_pair("root_id", self.root_id)
            .append_pair("team_domain", self.team_domain)
            .append_pair("team_id", self.team_id)
            .append_pair("text", self.text)
            .append_pair("token", self.token)
            .append_pair("trigger_id", self.trigger_id)
            .append_pair("user_id", self.user_id)
            .append_pair("user_name", self.user_name);
        form.finish()
    }
}

/// `P`: a form POST; `G`: a GET with the payload after the URL's own query.
/// The token also goes in `Authorization`.
fn request_for(command: &SlashCommand, payload: &Payload<'_>) -> CallRequest {
    let encoded = payload.encode();
    let headers = vec![("Authorization".to_owned(), format!("Token {}", command.token))];
    if command.method == METHOD_GET {
        let separator = if command.url.contains('?') { '&' } else { '?' };
        CallRequest {
            method: "GET".into(),
            url: format!("{}{separator}{encoded}", command.url),
            headers,
            content_type: String::new(),
            body: String::new(),
        }
    } else {
        CallRequest {
            method: "POST".into(),
            url: command.url.clone(),
            headers,
            content_type: "application/x-www-form-urlencoded".into(),
            body: encoded,
        }
    }
}

/// The receiver's answer, or Mattermost's error for a call that failed: no
/// answer (down, refused, timed out), a status other than 200, a body that
/// is not the JSON it claims to be. A body that is not JSON is the text of
/// an ephemeral answer.
fn read_answer(trigger: &str, outcome: &CallOutcome) -> ApiResult<types::CommandResponse> {
    let Some(status) = outcome.status else {
        return Err(failed(trigger, outcome.error.as_deref().unwrap_or_default()));
    };
    if let Some(error) = &outcome.error {
        return Err(failed(trigger, error));
    }
    if status != 200 {
        let reason = axum::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or_default();
        return Err(ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "api.command.execute_command.failed_resp.app_error",
            format!("Command with a trigger of '{trigger}' returned response {status} {reason}."),
        )
        .detailed(outcome.text()));
    }
    let content_type = outcome
        .headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.split(';').next().unwrap_or_default().trim().to_owned())
        .unwrap_or_default();
    if content_type == "application/json" {
        serde_json::from_slice(&outcome.body).map_err(|e| failed(trigger, &e.to_string()))
    } else {
        Ok(types::CommandResponse {
            text: Some(outcome.text()),
            ..Default::default()
        })
    }
}

/// Post one answer (`in_channel`) or show it to the caller (`ephemeral`),
/// as Mattermost's `HandleCommandResponsePost`.
async fn handle(
    state: &Core,
    user: &User,
    channel: &Channel,
    root_id: &str,
    command: &SlashCommand,
    answer: &types::CommandResponse,
) -> ApiResult<()> {
    let mut target = channel.clone();
    if let Some(channel_id) = answer.channel_id.as_deref().filter(|id| !id.is_empty()) {
        let member = state.read().get_channel_member(channel_id, &user.id).await?;
        let other = match member {
            Some(_) => state.read().get_channel(channel_id).await?,
            None => None,
        };
        target = other.ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "api.command.command_post.forbidden.app_error",
                "Specified user is not a member of specified channel.",
            )
        })?;
    }
    let (name_override, icon_override) = crate::config::overrides(state).await?;
    let username = non_empty(&command.username, answer.username.as_deref());
    let icon_url = non_empty(&command.icon_url, answer.icon_url.as_deref());
    let attachments = answer
        .attachments
        .iter()
        .flatten()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    let text = answer.text.clone().unwrap_or_default();
    let response_type = answer.response_type.as_deref().unwrap_or(EPHEMERAL);
    if response_type == IN_CHANNEL {
        create_webhook_posts(
            state,
            &target,
            user,
            WebhookMessage {
                root_id: root_id.to_owned(),
                text,
                username: if name_override { username } else { String::new() },
                icon_url: if icon_override { icon_url } else { String::new() },
                icon_emoji: String::new(),
                display_name: String::new(),
                props: answer.props.clone(),
                attachments,
                post_type: answer.type_.clone().unwrap_or_default(),
                hook_id: String::new(),
                keep_author_name: !name_override,
                keep_author_icon: !icon_override,
                from_command: true,
                skip_slack_parsing: answer.skip_slack_parsing.unwrap_or(false),
            },
        )
        .await
        .map_err(|error| match error {
            WebhookPostError::SystemType => ApiError::bad_request(
                "api.context.invalid_param.app_error",
                "Invalid type: a command may not post system messages.",
            ),
            WebhookPostError::Store(error) => error.into(),
        })?;
        return Ok(());
    }
    // Anything else is for the caller only, and only when there is something
    // to show (Mattermost's `CreateCommandPost`).
    if text.is_empty() && answer.attachments.is_none() {
        return Ok(());
    }
    let mut props: Map<String, Value> = answer.props.clone();
    props.insert(PROP_FROM_WEBHOOK.into(), "true".into());
    if name_override && !username.is_empty() {
        props.insert(PROP_OVERRIDE_USERNAME.into(), username.into());
    }
    if icon_override && !icon_url.is_empty() {
        props.insert(PROP_OVERRIDE_ICON_URL.into(), icon_url.into());
    }
    if !attachments.is_empty() {
        props.insert(PROP_ATTACHMENTS.into(), Value::Array(attachments));
    }
    let mut post = new_post(&target.id, &user.id, text);
    post.root_id = root_id.to_owned();
    post.post_type = "system_ephemeral".into();
    post.props = Value::Object(props);
    post.create_at = now_ms();
    show_ephemeral(state, post, &target, &user.id);
    Ok(())
}

/// The command's own value when set, else the answer's.
fn non_empty(own: &str, answer: Option<&str>) -> String {
    if own.is_empty() {
        answer.unwrap_or_default().to_owned()
    } else {
        own.to_owned()
    }
}
