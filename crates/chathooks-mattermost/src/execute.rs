//! `POST /hooks/{hook_id}`: posting through an incoming webhook.
//!
//! The second half of the work, turning a Slack-style message into posts, is
//! the core's webhook-post pipeline
//! ([`chathooks_core::posts::webhook::create_webhook_posts`], Mattermost's
//! `CreateWebhookPost`); the answers of outgoing webhook callbacks are posted
//! through it too, so both kinds of webhook posts look exactly alike.

use axum::http::StatusCode;
use chathooks_core::posts::webhook::{WebhookMessage, WebhookPostError, create_webhook_posts};
use chathooks_mattermost_server::ops::execute_incoming_webhook::{self, Body};
use chathooks_mattermost_types::IncomingWebhookPayload;

use super::error::{ApiError, ApiResult};
use chathooks_core::Core;
use chathooks_core::ids::is_valid_id;
use chathooks_core::permissions::can_read_channel;
use chathooks_core::store::{CHANNEL_OPEN, Channel, IncomingHook};

pub(crate) async fn execute_incoming_webhook(
    state: &Core,
    request: execute_incoming_webhook::Request,
) -> ApiResult<execute_incoming_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Incoming).await?;
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
    let owner = state.read().get_user(&hook.user_id).await?.ok_or_else(|| {
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
    let attachments = payload
        .attachments
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    let (name_override, icon_override) = crate::config::overrides(state).await?;
    create_webhook_posts(
        state,
        &channel,
        &owner,
        WebhookMessage {
            keep_author_name: !name_override,
            keep_author_icon: !icon_override,
            from_command: false,
            skip_slack_parsing: false,
            root_id: String::new(),
            text,
            username: payload.username.filter(|u| !u.is_empty()).unwrap_or(hook.username),
            icon_url: payload.icon_url.filter(|u| !u.is_empty()).unwrap_or(hook.icon_url),
            icon_emoji: payload.icon_emoji.unwrap_or_default(),
            display_name: hook.display_name,
            hook_id: hook.id,
            props: payload.props,
            attachments,
            post_type: payload.type_.unwrap_or_default(),
        },
    )
    .await
    .map_err(webhook_post_error)?;
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
async fn live_hook(state: &Core, hook_id: &str) -> ApiResult<IncomingHook> {
    let hook = if is_valid_id(hook_id) {
        state.read().get_incoming(hook_id).await?
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
async fn target_channel(state: &Core, hook: &IncomingHook, requested: &str) -> ApiResult<Channel> {
    let live = |channel: Option<Channel>| channel.filter(|c| c.delete_at == 0).ok_or_else(channel_missing);
    if requested.is_empty() {
        return live(state.read().get_channel_for_posting(&hook.channel_id).await?);
    }
    let Some(username) = requested.strip_prefix('@') else {
        let name = requested.strip_prefix('#').unwrap_or(requested);
        return live(state.read().get_channel_by_name(&hook.team_id, name).await?);
    };
    let user = state
        .read()
        .get_user_by_username(username)
        .await?
        .ok_or_else(|| ApiError::bad_request("web.incoming_webhook.user.app_error", "Couldn't find the user."))?;
    if hook.channel_locked {
        // A locked hook may only post to its own channel, which a direct channel
        // that does not exist yet cannot be: refuse without creating it.
        let name = chathooks_core::channels::direct_channel_name(&hook.user_id, &user.id);
        let existing = state.read().get_channel_by_name("", &name).await?;
        return existing.ok_or_else(channel_locked);
    }
    Ok(chathooks_core::channels::direct_channel(state, &hook.user_id, &user.id).await?)
}

/// Webhook-post refusals as AppErrors.
pub(crate) fn webhook_post_error(error: WebhookPostError) -> ApiError {
    match error {
        WebhookPostError::SystemType => ApiError::bad_request(
            "web.incoming_webhook.type.app_error",
            "Webhooks may not post system messages.",
        ),
        WebhookPostError::Store(error) => error.into(),
    }
}
