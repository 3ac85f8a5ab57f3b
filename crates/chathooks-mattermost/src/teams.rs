//! Teams and team membership.

use chathooks_mattermost_server::ops::{
    add_team_member, create_team, get_all_teams, get_team, get_team_by_name, get_teams_for_user, remove_team_member,
    update_team,
};
use chathooks_mattermost_types as types;

use super::auth::{Caller, Permission, has_team_permission, is_team_member};
use super::convert;
use super::error::{ApiError, ApiResult};
use super::users::{resolve_user_id, user_not_found};
use chathooks_core::Core;
use chathooks_core::channels::valid_name;
use chathooks_core::ids::is_valid_id;
use chathooks_core::store::{
    ROLES_TEAM_ADMIN, ROLES_TEAM_USER, StoreError, TEAM_INVITE, TEAM_OPEN, Team, TeamMember, now_ms,
};

pub(crate) fn team_not_found() -> ApiError {
    ApiError::not_found("app.team.get.find.app_error", "We couldn't find the existing team.")
}

pub(crate) async fn create_team(
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
    let team_type = match body.type_ {
        types::CreateTeamBodyType::I => TEAM_INVITE,
        types::CreateTeamBodyType::O => TEAM_OPEN,
    };
    let team = Team {
        description: body.description.unwrap_or_default(),
        email: caller.user.email.clone(),
        ..Team::new(body.name, body.display_name, team_type)
    };
    let team = chathooks_core::channels::create_team(state, &team)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::bad_request(
                "app.team.save.existing.app_error",
                "A team with that name already exists.",
            ),
            other => other.into(),
        })?;
    // The creator administers the team.
    chathooks_core::channels::add_team_member(
        state,
        &TeamMember {
            team_id: team.id.clone(),
            user_id: caller.user.id.clone(),
            roles: ROLES_TEAM_ADMIN.into(),
            delete_at: 0,
        },
    )
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

pub(crate) async fn get_team(
    state: &Core,
    caller: Caller,
    request: get_team::Request,
) -> ApiResult<get_team::Response> {
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    let team = state.read().get_team(&request.team_id).await?;
    Ok(get_team::Response::Ok(convert::team(
        &visible_team(state, &caller, team).await?,
    )))
}

pub(crate) async fn get_team_by_name(
    state: &Core,
    caller: Caller,
    request: get_team_by_name::Request,
) -> ApiResult<get_team_by_name::Response> {
    let team = state.read().get_team_by_name(&request.name).await?;
    Ok(get_team_by_name::Response::Ok(convert::team(
        &visible_team(state, &caller, team).await?,
    )))
}

/// Teams the caller may see: every team for system admins; for others the
/// teams they belong to and the open ones. Paged after filtering (a
/// stand-in holds few teams, so they are filtered in memory).
pub(crate) async fn get_all_teams(
    state: &Core,
    caller: Caller,
    request: get_all_teams::Request,
) -> ApiResult<get_all_teams::Response> {
    let (page, per_page) = super::paging(request.page, request.per_page);
    let mut visible = Vec::new();
    let mine: Vec<String> = state
        .read()
        .list_user_teams(&caller.user.id)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    for batch in 0.. {
        let teams = state.read().list_teams(batch, 200).await?;
        let done = teams.len() < 200;
        visible.extend(
            teams.into_iter().filter(|t| {
                caller.is_system_admin() || t.allow_open_invite || t.team_type == "O" || mine.contains(&t.id)
            }),
        );
        if done {
            break;
        }
    }
    let start = (page as usize).saturating_mul(per_page as usize);
    let teams = visible
        .iter()
        .skip(start)
        .take(per_page as usize)
        .map(convert::team)
        .collect();
    Ok(get_all_teams::Response::Ok(teams))
}

/// The teams a user belongs to: one's own, or anyone's for system admins.
pub(crate) async fn get_teams_for_user(
    state: &Core,
    caller: Caller,
    request: get_teams_for_user::Request,
) -> ApiResult<get_teams_for_user::Response> {
    let id = resolve_user_id(&caller, &request.user_id)?;
    if id != caller.user.id && !caller.is_system_admin() {
        return Err(ApiError::forbidden());
    }
    let teams = state.read().list_user_teams(&id).await?;
    Ok(get_teams_for_user::Response::Ok(
        teams.iter().map(convert::team).collect(),
    ))
}

/// Joining an open team yourself is allowed; adding others needs
/// `add_user_to_team` (team admins, system admins).
pub(crate) async fn add_team_member(
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
        .read()
        .get_team(&request.team_id)
        .await?
        .filter(|t| t.delete_at == 0)
        .ok_or_else(team_not_found)?;
    let joining_open_team = body.user_id == caller.user.id && team.team_type == "O";
    if !joining_open_team && !has_team_permission(state, &caller.user, &team.id, Permission::AddUserToTeam).await? {
        return Err(ApiError::forbidden());
    }
    let user = state
        .read()
        .get_user(&body.user_id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or_else(|| ApiError::not_found("app.user.missing_account.const", "Unable to find the user."))?;
    let existing = state.read().get_team_member(&team.id, &user.id).await?;
    let roles = existing
        .filter(|m| m.delete_at == 0)
        .map(|m| m.roles)
        .unwrap_or_else(|| ROLES_TEAM_USER.into());
    let member = chathooks_core::channels::add_team_member(
        state,
        &TeamMember {
            team_id: team.id,
            user_id: user.id,
            roles,
            delete_at: 0,
        },
    )
    .await?;
    Ok(add_team_member::Response::Created(convert::team_member(&member)))
}

/// The live team a path names: 400 for a malformed id, 404 when missing or deleted.
async fn path_team(state: &Core, team_id: &str) -> ApiResult<Team> {
    if !is_valid_id(team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    state
        .read()
        .get_team(team_id)
        .await?
        .filter(|t| t.delete_at == 0)
        .ok_or_else(team_not_found)
}

/// `PUT /api/v4/teams/{team_id}`: as Mattermost's `app.UpdateTeam`, only the
/// display name, description, open invite and allowed domains change; the
/// URL name and type stay whatever the body says. Needs `manage_team`.
pub(crate) async fn update_team(
    state: &Core,
    caller: Caller,
    request: update_team::Request,
) -> ApiResult<update_team::Response> {
    let body = request.body;
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    if body.id != request.team_id {
        return Err(ApiError::bad_request(
            "api.context.invalid_param.app_error",
            "Invalid team_id parameter.",
        ));
    }
    if !has_team_permission(state, &caller.user, &request.team_id, Permission::ManageTeam).await? {
        return Err(ApiError::forbidden());
    }
    let team = path_team(state, &request.team_id).await?;
    if body.display_name.trim().is_empty() || body.display_name.chars().count() > 64 {
        return Err(ApiError::bad_request(
            "model.team.is_valid.name.app_error",
            "Invalid name.",
        ));
    }
    let updated = Team {
        update_at: now_ms(),
        display_name: body.display_name,
        description: body.description.unwrap_or_default(),
        allow_open_invite: body.allow_open_invite.unwrap_or(false),
        allowed_domains: body.allowed_domains.unwrap_or_default(),
        ..team
    };
    let stored = chathooks_core::channels::update_team(state, &updated)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => team_not_found(),
            other => other.into(),
        })?;
    Ok(update_team::Response::Ok(convert::team(&stored)))
}

/// `DELETE /api/v4/teams/{team_id}/members/{user_id}`: leave a team, or (with
/// `remove_user_from_team`) remove someone from it; the user also leaves the
/// team's channels. As Mattermost checks the permission before loading
/// anything, a caller without it learns nothing about the team or the user.
pub(crate) async fn remove_team_member(
    state: &Core,
    caller: Caller,
    request: remove_team_member::Request,
) -> ApiResult<remove_team_member::Response> {
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    let user_id = resolve_user_id(&caller, &request.user_id)?;
    if user_id != caller.user.id
        && !has_team_permission(state, &caller.user, &request.team_id, Permission::RemoveUserFromTeam).await?
    {
        return Err(ApiError::forbidden());
    }
    let team = path_team(state, &request.team_id).await?;
    let user = state.read().get_user(&user_id).await?.ok_or_else(user_not_found)?;
    if !chathooks_core::channels::remove_team_member(state, &team, &user).await? {
        return Err(ApiError::not_found(
            "app.team.get_member.missing.app_error",
            "No team member found for that user ID and team ID.",
        ));
    }
    Ok(remove_team_member::Response::Ok(super::status_ok()))
}
