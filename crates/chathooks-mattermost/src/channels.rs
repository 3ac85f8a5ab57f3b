//! Channels and channel membership.

use chathooks_mattermost_server::ops::{
    add_channel_member, create_channel, create_direct_channel, get_channel, get_channel_by_name,
    get_channel_by_name_for_team_name, get_channel_members,
};
use chathooks_mattermost_types as types;

use super::auth::{Caller, can_read_channel, is_system_admin, is_team_member};
use super::convert;
use super::error::{ApiError, ApiResult};
use super::users::user_not_found;
use chathooks_core::Core;
use chathooks_core::channels::valid_name;
use chathooks_core::ids::{is_valid_id, new_id};
use chathooks_core::store::{Channel, ROLES_CHANNEL_USER, StoreError, now_ms};

pub(crate) fn channel_not_found() -> ApiError {
    ApiError::not_found(
        "app.channel.get.existing.app_error",
        "Unable to find the existing channel.",
    )
}

/// A live channel by id, or 404.
pub(crate) async fn live_channel(state: &Core, id: &str) -> ApiResult<Channel> {
    state
        .read()
        .get_channel(id)
        .await?
        .filter(|c| c.delete_at == 0)
        .ok_or_else(channel_not_found)
}

pub(crate) async fn create_channel(
    state: &Core,
    caller: Caller,
    request: create_channel::Request,
) -> ApiResult<create_channel::Response> {
    let body = request.body;
    if !is_valid_id(&body.team_id) {
        return Err(ApiError::invalid_body_param("team_id"));
    }
    if !valid_name(&body.name) {
        return Err(ApiError::bad_request(
            "model.channel.is_valid.name.app_error",
            "Invalid channel name.",
        ));
    }
    if body.display_name.trim().is_empty() || body.display_name.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "model.channel.is_valid.display_name.app_error",
            "Invalid display name.",
        ));
    }
    let team = state
        .read()
        .get_team(&body.team_id)
        .await?
        .filter(|t| t.delete_at == 0)
        .ok_or_else(|| ApiError::not_found("app.team.get.find.app_error", "We couldn't find the existing team."))?;
    if !is_team_member(state, &caller.user, &team.id).await? {
        return Err(ApiError::forbidden());
    }
    let now = now_ms();
    let channel = Channel {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        team_id: team.id,
        channel_type: match body.type_ {
            types::CreateChannelBodyType::P => "P".into(),
            types::CreateChannelBodyType::O => "O".into(),
        },
        name: body.name,
        display_name: body.display_name,
        header: body.header.unwrap_or_default(),
        purpose: body.purpose.unwrap_or_default(),
        creator_id: caller.user.id.clone(),
        last_post_at: now,
        total_msg_count: 0,
    };
    let channel = chathooks_core::channels::create_channel(state, &channel, &caller.user)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::bad_request(
                "store.sql_channel.save_channel.exists.app_error",
                "A channel with that name already exists on the same team.",
            ),
            other => other.into(),
        })?;
    Ok(create_channel::Response::Created(convert::channel(&channel)))
}

pub(crate) async fn get_channel(
    state: &Core,
    caller: Caller,
    request: get_channel::Request,
) -> ApiResult<get_channel::Response> {
    if !is_valid_id(&request.channel_id) {
        return Err(ApiError::invalid_url_param("channel_id"));
    }
    let channel = state
        .read()
        .get_channel(&request.channel_id)
        .await?
        .ok_or_else(channel_not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    Ok(get_channel::Response::Ok(convert::channel(&channel)))
}

pub(crate) async fn get_channel_by_name(
    state: &Core,
    caller: Caller,
    request: get_channel_by_name::Request,
) -> ApiResult<get_channel_by_name::Response> {
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    let channel = state
        .read()
        .get_channel_by_name(&request.team_id, &request.channel_name)
        .await?
        .filter(|c| c.delete_at == 0)
        .ok_or_else(channel_not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    Ok(get_channel_by_name::Response::Ok(convert::channel(&channel)))
}

/// Public channels: any team member may join or add team members. Private
/// channels: only existing members (or system admins) add people.
pub(crate) async fn add_channel_member(
    state: &Core,
    caller: Caller,
    request: add_channel_member::Request,
) -> ApiResult<add_channel_member::Response> {
    if !is_valid_id(&request.channel_id) {
        return Err(ApiError::invalid_url_param("channel_id"));
    }
    if !is_valid_id(&request.body.user_id) {
        return Err(ApiError::invalid_body_param("user_id"));
    }
    let channel = live_channel(state, &request.channel_id).await?;
    if channel.channel_type == "D" {
        return Err(ApiError::bad_request(
            "api.channel.add_user.to.channel.failed.deleted.app_error",
            "Members cannot be added to a direct message channel.",
        ));
    }
    let allowed = is_system_admin(&caller.user)
        || match channel.channel_type.as_str() {
            "O" => is_team_member(state, &caller.user, &channel.team_id).await?,
            _ => state
                .read()
                .get_channel_member(&channel.id, &caller.user.id)
                .await?
                .is_some(),
        };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let user = state
        .read()
        .get_user(&request.body.user_id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or_else(|| ApiError::not_found("app.user.missing_account.const", "Unable to find the user."))?;
    let in_team = state
        .read()
        .get_team_member(&channel.team_id, &user.id)
        .await?
        .is_some_and(|m| m.delete_at == 0);
    if !in_team {
        return Err(ApiError::bad_request(
            "api.channel.add_user.to.channel.failed.app_error",
            "Failed to add user to channel: the user is not a member of the team.",
        ));
    }
    let member = chathooks_core::channels::join_channel(state, &channel, &user, ROLES_CHANNEL_USER).await?;
    Ok(add_channel_member::Response::Created(convert::channel_member(&member)))
}

/// `team/channel` by names, as bots resolve it.
pub(crate) async fn get_channel_by_name_for_team_name(
    state: &Core,
    caller: Caller,
    request: get_channel_by_name_for_team_name::Request,
) -> ApiResult<get_channel_by_name_for_team_name::Response> {
    let team = state
        .read()
        .get_team_by_name(&request.name)
        .await?
        .filter(|t| t.delete_at == 0)
        .ok_or_else(|| {
            ApiError::not_found(
                "app.team.get_by_name.missing.app_error",
                "Unable to find the existing team.",
            )
        })?;
    let channel = state
        .read()
        .get_channel_by_name(&team.id, &request.channel_name)
        .await?
        .filter(|c| c.delete_at == 0)
        .ok_or_else(|| ApiError::not_found("app.channel.get_by_name.missing.app_error", "Channel does not exist."))?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    Ok(get_channel_by_name_for_team_name::Response::Ok(convert::channel(
        &channel,
    )))
}

pub(crate) async fn get_channel_members(
    state: &Core,
    caller: Caller,
    request: get_channel_members::Request,
) -> ApiResult<get_channel_members::Response> {
    if !is_valid_id(&request.channel_id) {
        return Err(ApiError::invalid_url_param("channel_id"));
    }
    let channel = state
        .read()
        .get_channel(&request.channel_id)
        .await?
        .ok_or_else(channel_not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    let (page, per_page) = super::paging(request.page, request.per_page);
    let members = state.read().list_channel_members(&channel.id, page, per_page).await?;
    Ok(get_channel_members::Response::Ok(
        members.iter().map(convert::channel_member).collect(),
    ))
}

/// The direct channel of the two users in the body; the caller must be one
/// of them (system admins may open anyone's).
pub(crate) async fn create_direct_channel(
    state: &Core,
    caller: Caller,
    request: create_direct_channel::Request,
) -> ApiResult<create_direct_channel::Response> {
    let [a, b] = request.body.as_slice() else {
        return Err(ApiError::invalid_body_param("user_ids"));
    };
    if !is_valid_id(a) || !is_valid_id(b) {
        return Err(ApiError::invalid_body_param("user_ids"));
    }
    if caller.user.id != *a && caller.user.id != *b && !is_system_admin(&caller.user) {
        return Err(ApiError::forbidden());
    }
    for id in [a, b] {
        let exists = state.read().get_user(id).await?.is_some_and(|u| u.delete_at == 0);
        if !exists {
            return Err(ApiError::invalid_body_param("user_ids").detailed(user_not_found().message));
        }
    }
    let channel = chathooks_core::channels::direct_channel(state, a, b).await?;
    Ok(create_direct_channel::Response::Created(convert::channel(&channel)))
}
