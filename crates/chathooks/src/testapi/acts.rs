//! Acting as a user who has no token (`/act/...`): posting, running a
//! slash command, clicking a message button. Each act is checked as the
//! chat APIs check it, made through the same code, and answered with what
//! it made happen ([`Watch`]).
//!
//! Posting is the core's own ([`crate::posts::create_post`]); commands and
//! buttons are a dialect's code, reached through its
//! [`chathooks_dialect::HumanSide`], so this server names no dialect here.

use std::sync::Arc;

use axum::http::StatusCode;
use chathooks_dialect::{ActRefusal, HumanSide};
use chathooks_testapi_server::ops::{act_action, act_command, act_post};
use serde_json::{Map, Value};

use super::exchange::Watch;
use super::messages::find_channel;
use super::{TestError, TestResult};
use crate::markup::MAX_POST_RUNES;
use crate::permissions::can_read_channel;
use crate::posts::new_post;
use crate::server::AppState;
use crate::store::User;

/// The live user with this username or id.
pub(super) async fn find_user(state: &AppState, given: &str) -> TestResult<User> {
    let by_name = state.core.read().get_user_by_username(given).await?;
    let user = match by_name {
        Some(user) => Some(user),
        None => state.core.read().get_user(given).await?,
    };
    let user = user.ok_or_else(|| {
        TestError::new(
            StatusCode::NOT_FOUND,
            "unknown-user",
            format!("no user has the username or id `{given}`"),
        )
    })?;
    if user.delete_at != 0 {
        return Err(TestError::new(
            StatusCode::FORBIDDEN,
            "deactivated-user",
            format!("`{}` is deactivated and can do nothing", user.username),
        ));
    }
    Ok(user)
}

/// The dialect that acts out commands and clicks.
fn human(state: &AppState) -> TestResult<Arc<dyn HumanSide>> {
    state.dialects.iter().find_map(|d| d.human()).ok_or_else(|| {
        TestError::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            "no chat API of this server runs commands or actions for a user",
        )
    })
}

/// The API's refusal, in the test API's format: its status (a server error
/// of the API, such as a command whose receiver failed, answers 502) and
/// its reason, with its error id.
fn refused(refusal: ActRefusal) -> TestError {
    let message = format!("{} [{}]", refusal.message, refusal.id);
    match StatusCode::from_u16(refusal.status) {
        Ok(status) if status.is_client_error() => TestError::new(status, "refused", message),
        _ => TestError::new(StatusCode::BAD_GATEWAY, "act-failed", message),
    }
}

fn object(answer: Value) -> Map<String, Value> {
    match answer {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

pub(super) async fn post(state: &AppState, request: act_post::Request) -> TestResult<act_post::Response> {
    let body = request.body;
    let user = find_user(state, &body.user).await?;
    let channel = find_channel(state, &body.channel).await?;
    if !can_read_channel(&state.core, &user, &channel).await? {
        return Err(TestError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("`{}` may not post in `{}`", user.username, body.channel),
        ));
    }
    if channel.delete_at != 0 {
        return Err(TestError::bad_request(
            "archived-channel",
            format!("`{}` is archived", body.channel),
        ));
    }
    if body.message.chars().count() > MAX_POST_RUNES {
        return Err(TestError::bad_request(
            "too-long",
            format!("a message has at most {MAX_POST_RUNES} characters"),
        ));
    }
    let mut post = new_post(&channel.id, &user.id, body.message);
    if let Some(root_id) = body.root_id.filter(|r| !r.is_empty()) {
        let root = state
            .core
            .read()
            .get_post(&root_id)
            .await?
            .filter(|p| p.delete_at == 0 && p.channel_id == channel.id);
        if root.is_none() {
            return Err(TestError::bad_request(
                "unknown-root",
                format!("no live post `{root_id}` in that channel to reply to"),
            ));
        }
        post.root_id = root_id;
    }
    let watch = Watch::start(state);
    crate::posts::create_post(&state.core, post, &channel, &user).await?;
    Ok(act_post::Response::Ok(watch.exchange(state, Map::new()).await?))
}

pub(super) async fn command(state: &AppState, request: act_command::Request) -> TestResult<act_command::Response> {
    let body = request.body;
    let human = human(state)?;
    let user = find_user(state, &body.user).await?;
    let channel = find_channel(state, &body.channel).await?;
    let watch = Watch::start(state);
    let answer = human
        .run_command(&state.core, &user, &channel.id, &body.command)
        .await
        .map_err(refused)?;
    Ok(act_command::Response::Ok(watch.exchange(state, object(answer)).await?))
}

pub(super) async fn action(state: &AppState, request: act_action::Request) -> TestResult<act_action::Response> {
    let body = request.body;
    let human = human(state)?;
    let user = find_user(state, &body.user).await?;
    let watch = Watch::start(state);
    let answer = human
        .click(
            &state.core,
            &user,
            &body.post_id,
            &body.action_id,
            body.selected_option.as_deref(),
        )
        .await
        .map_err(refused)?;
    Ok(act_action::Response::Ok(watch.exchange(state, object(answer)).await?))
}

/// A dialog's channel and team from the `team/channel` or id given, if the
/// user may read it.
pub(super) async fn channel_and_team(
    state: &AppState,
    user: &User,
    given: Option<&str>,
) -> TestResult<(String, String)> {
    let Some(given) = given.filter(|g| !g.is_empty()) else {
        return Ok(Default::default());
    };
    let channel = find_channel(state, given).await?;
    if !can_read_channel(&state.core, user, &channel).await? {
        return Err(TestError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("`{}` may not read `{given}`", user.username),
        ));
    }
    Ok((channel.id, channel.team_id))
}
