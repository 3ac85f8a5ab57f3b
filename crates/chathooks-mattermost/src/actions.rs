//! Interactive messages: a click on a button or menu of a post's attachment
//! (`POST /api/v4/posts/{post_id}/actions/{action_id}`), after Mattermost's
//! `api4/integration_action.go` and `app/integration_action.go`.
//!
//! The user waits for the integration, as for a slash command: the call is
//! made at once through the core's guarded client
//! ([`chathooks_core::posts::actions::call`]) and its answer applied before
//! the request is answered. The dialect-neutral rules (ids, what an update
//! keeps, the ephemeral answer) are the core's
//! ([`chathooks_core::posts::actions`]).

use chathooks_core::Core;
use chathooks_core::delivery::CallOutcome;
use chathooks_core::ids::is_valid_id;
use chathooks_core::markup::MAX_POST_RUNES;
use chathooks_core::posts::action_cookies::{self, ActionCookie};
use chathooks_core::posts::actions::{
    ActionUpdate, PostAction, apply_update, ephemeral_answer, find_action, updated_post,
};
use chathooks_core::posts::show_ephemeral;
use chathooks_core::store::{Channel, Post};
use chathooks_mattermost_server::ops::do_post_action;
use chathooks_mattermost_types as types;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::auth::{Caller, can_read_channel, is_system_admin};
use super::convert::mattermost_name;
use super::error::{ApiError, ApiResult};
use super::posts::post_not_found;

/// Mattermost's answer to every failed call of an integration, a click's
/// and a dialog submission's alike (and to a cookie it cannot read),
/// always 400.
pub(crate) fn integration_error(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request(
        "api.post.do_action.action_integration.app_error",
        "Action integration error.",
    )
    .detailed(detail)
}

fn action_not_found(action_id: &str) -> ApiError {
    ApiError::not_found("api.post.do_action.action_id.app_error", "Invalid action id.")
        .detailed(format!("action_id={action_id}"))
}

/// What an integration answers (Mattermost's `PostActionIntegrationResponse`).
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    update: Option<Update>,
    #[serde(default)]
    ephemeral_text: Option<String>,
    #[serde(default)]
    skip_slack_parsing: Option<bool>,
    #[serde(default)]
    goto_location: Option<String>,
}

/// The fields of an `update` post the server uses; the rest (ids, times,
/// pin state) is the original post's.
#[derive(Debug, Default, Deserialize)]
struct Update {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    props: Option<Map<String, Value>>,
}

pub(crate) async fn do_post_action(
    state: &Core,
    caller: Caller,
    request: do_post_action::Request,
) -> ApiResult<do_post_action::Response> {
    if !is_valid_id(&request.post_id) {
        return Err(ApiError::invalid_url_param("post_id"));
    }
    let body = request.body.unwrap_or_default();
    let cookie = open_cookie(state, &caller, body.cookie.as_deref()).await?;
    let clicked = clicked(state, &caller, &request.post_id, &request.action_id, cookie).await?;
    let Clicked {
        post,
        channel,
        action,
        ephemeral,
    } = clicked;
    // Signed for the clicker, so the integration can open a dialog with it;
    // the answer carries its client id, as Mattermost's does.
    let issued = chathooks_core::triggers::issue(state, &caller.user.id)
        .await
        .map_err(ApiError::internal)?;
    let (client_trigger_id, trigger_id) = (issued.client_id, issued.trigger_id);
    let payload = payload(
        state,
        &caller,
        &post,
        &channel,
        &action,
        &trigger_id,
        body.selected_option.as_deref().unwrap_or_default(),
    )
    .await?;
    let outcome = chathooks_core::posts::actions::call(
        state,
        crate::DIALECT,
        (&post, &action, &caller.user.id),
        &payload,
        |outcome| read_answer(outcome).is_ok(),
    )
    .await;
    let answer = read_answer(&outcome)?;
    if let Some(update) = answer.update {
        if ephemeral {
            update_ephemeral(state, &post, &channel, &caller.user.id, update);
        } else {
            update_post(state, &post, &channel, update).await?;
        }
    }
    if let Some(text) = answer.ephemeral_text.filter(|text| !text.is_empty()) {
        let shown = ephemeral_answer(
            &post,
            &caller.user.id,
            &text,
            answer.skip_slack_parsing.unwrap_or(false),
        );
        show_ephemeral(state, shown, &channel, &caller.user.id);
    }
    Ok(do_post_action::Response::Ok(types::PostActionApiResponse {
        status: "OK".into(),
        trigger_id: client_trigger_id,
        goto_location: answer.goto_location.filter(|location| !location.is_empty()),
    }))
}

/// What was clicked: the post (a stand-in made from the cookie when it is
/// an ephemeral post, which is never stored), its channel, the action.
struct Clicked {
    post: Post,
    channel: Channel,
    action: PostAction,
    ephemeral: bool,
}

/// The cookie a click sent, opened, and checked to name a channel the caller
/// may read (Mattermost checks this before it looks for the post). A cookie
/// this server did not seal, or one changed since, is refused as
/// Mattermost refuses one it cannot decrypt.
async fn open_cookie(state: &Core, caller: &Caller, sealed: Option<&str>) -> ApiResult<Option<ActionCookie>> {
    let Some(sealed) = sealed.filter(|sealed| !sealed.is_empty()) else {
        return Ok(None);
    };
    let keys = action_cookies::keys(state).await.map_err(ApiError::internal)?;
    let cookie = keys
        .open(sealed)
        .map_err(|error| integration_error(format!("err={error}")))?;
    let readable = match state.read().get_channel(&cookie.channel_id).await? {
        Some(channel) => can_read_channel(state, &caller.user, &channel).await?,
        None => false,
    };
    if !readable {
        return Err(ApiError::forbidden());
    }
    Ok(Some(cookie))
}

/// The clicked post and action. A stored post wins over a cookie (as in
/// Mattermost, which reads the cookie only when the post is not found);
/// without either the click fails as for any missing post.
async fn clicked(
    state: &Core,
    caller: &Caller,
    post_id: &str,
    action_id: &str,
    cookie: Option<ActionCookie>,
) -> ApiResult<Clicked> {
    let stored = state.read().get_post(post_id).await?;
    let Some(cookie) = cookie.filter(|_| stored.is_none()) else {
        let (post, channel) = clickable_post(state, caller, post_id).await?;
        let action = find_action(&post, action_id).ok_or_else(|| action_not_found(action_id))?;
        return Ok(Clicked {
            post,
            channel,
            action,
            ephemeral: false,
        });
    };
    let action = cookie
        .action(action_id)
        .ok_or_else(|| integration_error("no Integration in action cookie"))?;
    if cookie.post_id != post_id {
        return Err(integration_error("postId doesn't match"));
    }
    let channel = state.read().get_channel(&cookie.channel_id).await?.ok_or_else(|| {
        ApiError::not_found(
            "app.channel.get.existing.app_error",
            "Unable to find the existing channel.",
        )
    })?;
    Ok(Clicked {
        post: cookie.post(),
        channel,
        action,
        ephemeral: true,
    })
}

/// Apply an `update` answer to a clicked ephemeral post: it is shown again
/// to the clicker, changed, with the cookie's retained props (Mattermost's
/// `UpdateEphemeralPost`); nothing is stored.
fn update_ephemeral(state: &Core, post: &Post, channel: &Channel, user_id: &str, update: Update) {
    let mut updated = updated_post(
        post,
        ActionUpdate {
            message: update.message.unwrap_or_default(),
            props: update.props,
        },
    );
    updated.user_id = user_id.to_owned();
    show_ephemeral(state, updated, channel, user_id);
}

/// The live post `post_id` and its channel, if the caller may read it. A
/// post that does not exist fails the permission check (403), except for
/// system admins, who may read every channel and so learn it is missing
/// (404), as Mattermost's `SessionHasPermissionToChannelByPost` does.
async fn clickable_post(state: &Core, caller: &Caller, post_id: &str) -> ApiResult<(Post, Channel)> {
    let missing = || {
        if is_system_admin(&caller.user) {
            post_not_found()
        } else {
            ApiError::forbidden()
        }
    };
    let post = state.read().get_post(post_id).await?.ok_or_else(missing)?;
    let channel = state.read().get_channel(&post.channel_id).await?.ok_or_else(missing)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    if post.delete_at != 0 {
        return Err(post_not_found());
    }
    Ok((post, channel))
}

/// Mattermost's `PostActionIntegrationRequest`. A picked option joins the
/// context as `selected_option`, and only then is `data_source` sent.
async fn payload(
    state: &Core,
    caller: &Caller,
    post: &Post,
    channel: &Channel,
    action: &PostAction,
    trigger_id: &str,
    selected_option: &str,
) -> ApiResult<Value> {
    let team_domain = if channel.team_id.is_empty() {
        String::new()
    } else {
        state
            .read()
            .get_team(&channel.team_id)
            .await?
            .map(|team| team.name)
            .unwrap_or_default()
    };
    let mut context = action.context.clone();
    let mut data_source = "";
    if !selected_option.is_empty() {
        context.insert("selected_option".into(), selected_option.into());
        data_source = &action.data_source;
    }
    let mut payload = json!({
        "user_id": caller.user.id,
        "user_name": mattermost_name(&caller.user.username),
        "channel_id": channel.id,
        "channel_name": mattermost_name(&channel.name),
        "team_id": channel.team_id,
        "team_domain": team_domain,
        "post_id": post.id,
        "trigger_id": trigger_id,
        "type": action.action_type,
        "data_source": data_source,
    });
    if !context.is_empty() {
        payload["context"] = Value::Object(context);
    }
    Ok(payload)
}

/// The integration's answer, or Mattermost's 400 for a call that failed: no
/// answer (down, refused, timed out), a status other than 200, a body that
/// is not a JSON answer. An empty body is an empty answer.
fn read_answer(outcome: &CallOutcome) -> ApiResult<Answer> {
    let Some(status) = outcome.status else {
        return Err(integration_error(outcome.error.clone().unwrap_or_default()));
    };
    if status != 200 {
        return Err(integration_error(format!("status={status}")));
    }
    if let Some(error) = &outcome.error {
        return Err(integration_error(error.clone()));
    }
    if outcome.body.is_empty() {
        return Ok(Answer::default());
    }
    serde_json::from_slice(&outcome.body).map_err(|error| integration_error(error.to_string()))
}

/// Apply an `update` answer to `post`, as Mattermost's `UpdatePost` does for
/// it: refused in an archived channel or past the message limit.
async fn update_post(state: &Core, post: &Post, channel: &Channel, update: Update) -> ApiResult<()> {
    if channel.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.update_post.can_not_update_post_in_deleted.error",
            "Can not update a post in a deleted channel.",
        ));
    }
    let message = update.message.unwrap_or_default();
    if message.chars().count() > MAX_POST_RUNES {
        return Err(ApiError::bad_request(
            "model.post.is_valid.msg.app_error",
            "Invalid message.",
        ));
    }
    let author = state
        .read()
        .get_user(&post.user_id)
        .await?
        .ok_or_else(super::users::user_not_found)?;
    let update = ActionUpdate {
        message,
        props: update.props,
    };
    apply_update(state, post, update, channel, &author)
        .await
        .map_err(|error| match error {
            chathooks_core::store::StoreError::NotFound => post_not_found(),
            other => other.into(),
        })?;
    Ok(())
}
