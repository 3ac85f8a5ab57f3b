//! Teams and team membership.

use chathooks_mattermost_server::ops::{add_team_member, create_team, get_team, get_team_by_name};
use chathooks_mattermost_types as types;

use super::auth::{Caller, Permission, has_team_permission, is_team_member};
use super::convert;
use super::error::{ApiError, ApiResult};
use crate::Core;
use crate::channels::valid_name;
use crate::ids::{is_valid_id, new_id};
use crate::store::{ROLES_TEAM_ADMIN, ROLES_TEAM_USER, Store, StoreError, Team, TeamMember, now_ms};

fn team_not_found() -> ApiError {
    ApiError::not_found("app.team.get.find.app_error", "We couldn't find the existing team.")
}

pub async fn create_team(
    state: &Core,
    caller: Caller,
    request: create_team::Request,
) -> ApiResult<create_team::Response> {
    let body = request.body;
    if !valid_name(&body.name) {
        return Err(ApiError::bad_request(
            "model.team.is_valid.url.app_error",
            "Invalid URL Identifier",
        ));
    }
    if body.display_name.trim().is_empty() || body.display_name.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "model.team.is_valid.name.app_error",
            "Invalid name.",
        ));
    }
    let now = now_ms();
    let team = Team {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        name: body.name,
        display_name: body.display_name,
        team_type: match body.type_ {
            types::CreateTeamBodyType::I => "I".into(),
            types::CreateTeamBodyType::O => "O".into(),
        },
        description: body.description.unwrap_or_default(),
        email: caller.user.email.clone(),
        allow_open_invite: false,
        allowed_domains: String::new(),
        invite_id: new_id(),
    };
    let team = state.store.create_team(&team).await.map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::bad_request(
            "app.team.save.existing.app_error",
            "A team with that name already exists.",
        ),
        other => other.into(),
    })?;
    // The creator administers the team.
    state
        .store
        .add_team_member(&TeamMember {
            team_id: team.id.clone(),
            user_id: caller.user.id.clone(),
            roles: ROLES_TEAM_ADMIN.into(),
            delete_at: 0,
        })
        .await?;
    Ok(create_team::Response::Created(convert::team(&team)))
}

async fn visible_team(state: &Core, caller: &Caller, team: Option<Team>) -> ApiResult<Team> {
    let team = team.filter(|t| t.delete_at == 0).ok_or_else(team_not_found)?;
    if team.team_type == "O" || is_team_member(state, &caller.user, &team.id).await? {
        Ok(team)
    } else {
        Err(ApiError::forbidden())
    }
}

pub async fn get_team(state: &Core, caller: Caller, request: get_team::Request) -> ApiResult<get_team::Response> {
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    let team = state.store.get_team(&request.team_id).await?;
    Ok(get_team::Response::Ok(convert::team(
        &visible_team(state, &caller, team).await?,
    )))
}

pub async fn get_team_by_name(
    state: &Core,
    caller: Caller,
    request: get_team_by_name::Request,
) -> ApiResult<get_team_by_name::Response> {
    let team = state.store.get_team_by_name(&request.name).await?;
    Ok(get_team_by_name::Response::Ok(convert::team(
        &visible_team(state, &caller, team).await?,
    )))
}

/// Joining an open team yourself is allowed; adding others needs
/// `add_user_to_team` (team admins, system admins).
pub async fn add_team_member(
    state: &Core,
    caller: Caller,
    request: add_team_member::Request,
) -> ApiResult<add_team_member::Response> {
    let body = request.body;
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    if body.team_id != request.team_id {
        return Err(ApiError::invalid_body_param("team_id"));
    }
    if !is_valid_id(&body.user_id) {
        return Err(ApiError::invalid_body_param("user_id"));
    }
    let team = state
        .store
        .get_team(&request.team_id)
        .await?
        .filter(|t| t.delete_at == 0)
        .ok_or_else(team_not_found)?;
    let joining_open_team = body.user_id == caller.user.id && team.team_type == "O";
    if !joining_open_team && !has_team_permission(state, &caller.user, &team.id, Permission::AddUserToTeam).await? {
        return Err(ApiError::forbidden());
    }
    let user = state
        .store
        .get_user(&body.user_id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or_else(|| ApiError::not_found("app.user.missing_account.const", "Unable to find the user."))?;
    let existing = state.store.get_team_member(&team.id, &user.id).await?;
    let roles = existing
        .filter(|m| m.delete_at == 0)
        .map(|m| m.roles)
        .unwrap_or_else(|| ROLES_TEAM_USER.into());
    let member = state
        .store
        .add_team_member(&TeamMember {
            team_id: team.id,
            user_id: user.id,
            roles,
            delete_at: 0,
        })
        .await?;
    Ok(add_team_member::Response::Created(convert::team_member(&member)))
}
