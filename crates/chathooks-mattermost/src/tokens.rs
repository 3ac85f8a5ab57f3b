//! Personal access tokens (`/api/v4/users/{user_id}/tokens`,
//! `/api/v4/users/tokens/...`). The tokens themselves work wherever a session
//! token does ([`chathooks_core::accounts::authenticate`]).
//!
//! Permissions as on Mattermost: `create_user_access_token` (system admins,
//! and users given the `system_user_access_token` role) for one's own tokens,
//! plus `edit_other_users` (system admins) for anyone else's.

use chathooks_core::permissions::{Permission, has_system_permission};
use chathooks_mattermost_server::ops::{
    create_user_access_token, disable_user_access_token, enable_user_access_token, get_user_access_tokens_for_user,
    revoke_user_access_token,
};
use chathooks_mattermost_types as types;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::users::{resolve_user_id, user_not_found};
use super::{paging, status_ok};
use chathooks_core::Core;
use chathooks_core::store::{AccessToken, User};

/// Longest token description Mattermost accepts.
const MAX_DESCRIPTION_CHARS: usize = 255;

/// 403 unless `caller` may manage the tokens of `owner_id`: their own,
/// anyone's with `edit_other_users`, or a bot's they may manage
/// (Mattermost's `SessionHasPermissionToUserOrBot`).
async fn may_manage_tokens_of(state: &Core, caller: &Caller, owner_id: &str) -> ApiResult<()> {
    if !has_system_permission(state, &caller.user, Permission::CreateAccessToken).await? {
        return Err(ApiError::forbidden());
    }
    if caller.user.id == owner_id || has_system_permission(state, &caller.user, Permission::EditOtherUsers).await? {
        return Ok(());
    }
    match super::bots::managed_bot(state, &caller.user, owner_id).await {
        Ok(_) => Ok(()),
        Err(_) => Err(ApiError::forbidden()),
    }
}

fn token_not_found() -> ApiError {
    ApiError::not_found(
        "app.user_access_token.get.app_error",
        "Unable to get the personal access token.",
    )
}

async fn owner(state: &Core, caller: &Caller, user_id: &str) -> ApiResult<User> {
    let id = resolve_user_id(caller, user_id)?;
    may_manage_tokens_of(state, caller, &id).await?;
    state
        .read()
        .get_user(&id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or_else(user_not_found)
}

fn sanitized(token: &AccessToken) -> types::UserAccessTokenSanitized {
    types::UserAccessTokenSanitized {
        id: token.id.clone(),
        user_id: token.user_id.clone(),
        description: token.description.clone(),
        is_active: token.is_active,
    }
}

pub(crate) async fn create_user_access_token(
    state: &Core,
    caller: Caller,
    request: create_user_access_token::Request,
) -> ApiResult<create_user_access_token::Response> {
    let description = request.body.description.trim().to_owned();
    if description.is_empty() {
        return Err(ApiError::invalid_body_param("description"));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::bad_request(
            "model.user_access_token.is_valid.description.app_error",
            "Invalid description, must be 255 or less characters.",
        ));
    }
    let user = owner(state, &caller, &request.user_id).await?;
    let token = chathooks_core::accounts::create_access_token(state, &user, &description).await?;
    Ok(create_user_access_token::Response::Created(types::UserAccessToken {
        id: token.id,
        token: token.token,
        user_id: token.user_id,
        description: token.description,
        is_active: token.is_active,
    }))
}

pub(crate) async fn get_user_access_tokens_for_user(
    state: &Core,
    caller: Caller,
    request: get_user_access_tokens_for_user::Request,
) -> ApiResult<get_user_access_tokens_for_user::Response> {
    let user = owner(state, &caller, &request.user_id).await?;
    let (page, per_page) = paging(request.page, request.per_page);
    let tokens = state.read().list_access_tokens(&user.id, page, per_page).await?;
    Ok(get_user_access_tokens_for_user::Response::Ok(
        tokens.iter().map(sanitized).collect(),
    ))
}

/// The token `token_id` names, if `caller` may manage it.
async fn managed_token(state: &Core, caller: &Caller, token_id: &str) -> ApiResult<AccessToken> {
    if !chathooks_core::ids::is_valid_id(token_id) {
        return Err(ApiError::invalid_body_param("token_id"));
    }
    let token = state
        .read()
        .get_access_token_by_id(token_id)
        .await?
        .ok_or_else(token_not_found)?;
    may_manage_tokens_of(state, caller, &token.user_id).await?;
    Ok(token)
}

pub(crate) async fn revoke_user_access_token(
    state: &Core,
    caller: Caller,
    request: revoke_user_access_token::Request,
) -> ApiResult<revoke_user_access_token::Response> {
    let token = managed_token(state, &caller, &request.body.token_id).await?;
    chathooks_core::sessions::revoke_access_token(state, &token).await?;
    Ok(revoke_user_access_token::Response::Ok(status_ok()))
}

pub(crate) async fn disable_user_access_token(
    state: &Core,
    caller: Caller,
    request: disable_user_access_token::Request,
) -> ApiResult<disable_user_access_token::Response> {
    let token = managed_token(state, &caller, &request.body.token_id).await?;
    chathooks_core::sessions::set_access_token_active(state, &token, false).await?;
    Ok(disable_user_access_token::Response::Ok(status_ok()))
}

pub(crate) async fn enable_user_access_token(
    state: &Core,
    caller: Caller,
    request: enable_user_access_token::Request,
) -> ApiResult<enable_user_access_token::Response> {
    let token = managed_token(state, &caller, &request.body.token_id).await?;
    chathooks_core::sessions::set_access_token_active(state, &token, true).await?;
    Ok(enable_user_access_token::Response::Ok(status_ok()))
}
