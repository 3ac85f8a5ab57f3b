//! Emoji reactions (`/api/v4/reactions`, `/api/v4/posts/{post_id}/reactions`,
//! `/api/v4/users/{user_id}/posts/{post_id}/reactions/{emoji_name}`).

use chathooks_core::permissions::{Permission, has_system_permission};
use chathooks_core::reactions::valid_emoji_name;
use chathooks_mattermost_server::ops::{delete_reaction, get_reactions, save_reaction};
use chathooks_mattermost_types as types;

use super::auth::{Caller, can_read_channel};
use super::error::{ApiError, ApiResult};
use super::posts::post_not_found;
use super::users::resolve_user_id;
use chathooks_core::Core;
use chathooks_core::ids::is_valid_id;
use chathooks_core::posts::live_post;
use chathooks_core::store::{Channel, Post, Reaction};

fn reaction(reaction: &Reaction) -> types::Reaction {
    types::Reaction {
        user_id: reaction.user_id.clone(),
        post_id: reaction.post_id.clone(),
        emoji_name: reaction.emoji_name.clone(),
        create_at: reaction.create_at,
        update_at: Some(reaction.create_at),
        delete_at: Some(0),
        channel_id: Some(reaction.channel_id.clone()),
    }
}

/// A live post in a channel the caller can read. `field` names the id in
/// error answers; `archived` says whether an archived channel will do.
async fn reactable_post(
    state: &Core,
    caller: &Caller,
    post_id: &str,
    in_body: bool,
    archived: bool,
) -> ApiResult<(Post, Channel)> {
    if !is_valid_id(post_id) {
        return Err(if in_body {
            ApiError::invalid_body_param("post_id")
        } else {
            ApiError::invalid_url_param("post_id")
        });
    }
    let post = live_post(state, post_id).await?.ok_or_else(post_not_found)?;
    let channel = state
        .read()
        .get_channel(&post.channel_id)
        .await?
        .ok_or_else(post_not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    if channel.delete_at != 0 && !archived {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "api.reaction.save.archived_channel.app_error",
            "You cannot react to posts in an archived channel.",
        ));
    }
    Ok((post, channel))
}

fn check_emoji(name: &str, in_body: bool) -> ApiResult<()> {
    if valid_emoji_name(name) {
        Ok(())
    } else if in_body {
        Err(ApiError::invalid_body_param("emoji_name"))
    } else {
        Err(ApiError::invalid_url_param("emoji_name"))
    }
}

pub(crate) async fn save_reaction(
    state: &Core,
    caller: Caller,
    request: save_reaction::Request,
) -> ApiResult<save_reaction::Response> {
    let body = request.body;
    if !is_valid_id(&body.user_id) {
        return Err(ApiError::invalid_body_param("user_id"));
    }
    check_emoji(&body.emoji_name, true)?;
    if body.user_id != caller.user.id {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "api.reaction.save_reaction.user_id.app_error",
            "You cannot save reaction for the other user.",
        ));
    }
    let (post, channel) = reactable_post(state, &caller, &body.post_id, true, false).await?;
    let saved = chathooks_core::reactions::add_reaction(state, &post, &channel, &caller.user, &body.emoji_name).await?;
    Ok(save_reaction::Response::Ok(reaction(&saved)))
}

pub(crate) async fn get_reactions(
    state: &Core,
    caller: Caller,
    request: get_reactions::Request,
) -> ApiResult<get_reactions::Response> {
    let (post, _) = reactable_post(state, &caller, &request.post_id, false, true).await?;
    let reactions = state.read().list_reactions(&post.id).await?;
    Ok(get_reactions::Response::Ok(reactions.iter().map(reaction).collect()))
}

pub(crate) async fn delete_reaction(
    state: &Core,
    caller: Caller,
    request: delete_reaction::Request,
) -> ApiResult<delete_reaction::Response> {
    let user_id = resolve_user_id(&caller, &request.user_id)?;
    check_emoji(&request.emoji_name, false)?;
    if user_id != caller.user.id
        && !has_system_permission(state, &caller.user, Permission::RemoveOthersReactions).await?
    {
        return Err(ApiError::forbidden());
    }
    let (post, channel) = reactable_post(state, &caller, &request.post_id, false, false).await?;
    let user = state
        .read()
        .get_user(&user_id)
        .await?
        .ok_or_else(super::users::user_not_found)?;
    chathooks_core::reactions::remove_reaction(state, &post, &channel, &user, &request.emoji_name).await?;
    Ok(delete_reaction::Response::Ok(super::status_ok()))
}
