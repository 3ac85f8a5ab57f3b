//! `teams.create` and `teams.delete`: Rocket.Chat's teams are the core's
//! teams, each with a main room, the channel of the team named after it.
//!
//! Rooms made through `channels.create` live in the [`TEAM_NAME`] team;
//! a team made here is a team of its own (a Mattermost team too), and when
//! it is deleted its rooms that stay go back to [`TEAM_NAME`], as
//! Rocket.Chat's go back to the workspace.
//!
//! Who may: `create-team` (every account and administrators, as Rocket.Chat
//! ships it) creates; the team's owner (its team admin) or a system
//! administrator deletes (Rocket.Chat's `delete-team` in the main room).
//! Both refuse others with Rocket.Chat's `API.v1.unauthorized()`, a 403
//! `unauthorized`.

use chathooks_rocketchat_server::ops::{teams_create, teams_delete};
use serde_json::json;

use super::auth::{Permission, has_permission};
use super::error::{RcError, RcResult};
use super::rooms::{TEAM_NAME, rocketchat_team};
use super::time::iso;
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::{self, Caller, valid_rocketchat_name};
use chathooks_core::channels;
use chathooks_core::ids::new_id;
use chathooks_core::permissions::ROLE_TEAM_ADMIN;
use chathooks_core::store::{CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, StoreError, TEAM_INVITE, TEAM_OPEN, Team, User};

/// Rocket.Chat's team types.
const TEAM_TYPE_PUBLIC: i64 = 0;
const TEAM_TYPE_PRIVATE: i64 = 1;

fn unauthorized() -> RcError {
    RcError::refused("unauthorized")
}

fn creation_failed() -> RcError {
    RcError::failure("error-team-creation")
}

/// A live, not deleted account by id, else by username (Rocket.Chat's
/// `findActiveByIdsOrUsernames`, one at a time).
async fn active_by_id_or_username(state: &Core, key: &str) -> RcResult<Option<User>> {
    let key = key.trim();
    if key.is_empty() {
        return Ok(None);
    }
    let found = match state.read().get_user(key).await? {
        Some(user) => Some(user),
        None => state.read().get_user_by_username(key).await?,
    };
    Ok(found.filter(|u| u.delete_at == 0 && !accounts::is_deleted(u)))
}

pub(crate) async fn teams_create(
    state: &Core,
    caller: Caller,
    request: teams_create::Request,
) -> RcResult<teams_create::Response> {
    if !has_permission(state, &caller.user, Permission::CreateTeam).await? {
        return Err(unauthorized());
    }
    let body = body_of!(request, teams_create);
    let name = body.name.trim().to_owned();
    let private = *body.type_ == TEAM_TYPE_PRIVATE;
    // The team that holds this API's rooms exists before any other, so that
    // its name is taken like any other team's.
    rocketchat_team(state).await?;
    if state.read().get_team_by_name(&name).await?.is_some() {
        return Err(RcError::failure("team-name-already-exists"));
    }
    if state.read().find_channel_by_name(&name).await?.is_some() {
        return Err(RcError::failure("room-name-already-exists"));
    }
    if !valid_rocketchat_name(&name) {
        return Err(creation_failed());
    }
    let owner = match body.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        Some(id) => active_by_id_or_username(state, id)
            .await?
            .filter(|u| u.id == id)
            .ok_or_else(creation_failed)?,
        None => caller.user.clone(),
    };
    let mut members: Vec<User> = Vec::with_capacity(body.members.len());
    for key in &body.members {
        if let Some(user) = active_by_id_or_username(state, key).await?
            && !members.iter().any(|m| m.id == user.id)
        {
            members.push(user);
        }
    }
    let team = Team {
        allow_open_invite: !private,
        ..Team::new(
            name.clone(),
            name.clone(),
            if private { TEAM_INVITE } else { TEAM_OPEN },
        )
    };
    let now = team.create_at;
    let room = Channel {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        team_id: team.id.clone(),
        channel_type: if private { CHANNEL_PRIVATE } else { CHANNEL_OPEN }.into(),
        name: name.clone(),
        display_name: name.clone(),
        header: String::new(),
        purpose: String::new(),
        creator_id: owner.id.clone(),
        last_post_at: now,
        total_msg_count: 0,
    };
    let (team, room) = channels::create_team_with_room(state, &team, &room, &owner, &members)
        .await
        .map_err(|error| match error {
            // Taken meanwhile by another request.
            StoreError::Conflict(_) => RcError::failure("team-name-already-exists"),
            other => other.into(),
        })?;
    let answer = json!({
        "team": {
            "_id": team.id,
            "name": team.name,
            "type": if private { TEAM_TYPE_PRIVATE } else { TEAM_TYPE_PUBLIC },
            "roomId": room.id,
            "createdBy": {"_id": caller.user.id, "username": caller.user.username},
            "createdAt": iso(team.create_at),
            "_updatedAt": iso(team.update_at),
        },
        "success": true,
    });
    Ok(teams_create::Response::Ok(wire::typed("teams.create answer", answer)?))
}

pub(crate) async fn teams_delete(
    state: &Core,
    caller: Caller,
    request: teams_delete::Request,
) -> RcResult<teams_delete::Response> {
    let body = body_of!(request, teams_delete);
    let given = |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let found = match (given(body.team_id), given(body.team_name)) {
        (Some(id), _) => state.read().get_team(&id).await?,
        (None, Some(name)) => state.read().get_team_by_name(&name).await?,
        (None, None) => None,
    };
    // The team of this API's rooms is no Rocket.Chat team: nothing to
    // delete there.
    let team = found
        .filter(|t| t.delete_at == 0 && !t.name.eq_ignore_ascii_case(TEAM_NAME))
        .ok_or_else(|| RcError::failure("team-does-not-exist"))?;
    if !may_delete(state, &caller.user, &team).await? {
        return Err(unauthorized());
    }
    // The rooms of the team listed, then its main room (Rocket.Chat's
    // `getMatchingTeamRooms` ignores rooms of other teams), each erased as
    // `eraseRoom` does, so each is a `ChannelDeleted` event.
    let mut doomed: Vec<Channel> = Vec::new();
    for id in &body.rooms_to_remove {
        if let Some(room) = state.read().get_channel(id.trim()).await?
            && room.team_id == team.id
            && !doomed.iter().any(|d| d.id == room.id)
        {
            doomed.push(room);
        }
    }
    if let Some(main) = state.read().get_channel_by_name(&team.id, &team.name).await?
        && !doomed.iter().any(|d| d.id == main.id)
    {
        doomed.push(main);
    }
    let heir = rocketchat_team(state).await?;
    // The rooms that stay move to `heir`, where their names must be free:
    // refused before anything is deleted (the store refuses it again, in
    // its transaction, should one appear meanwhile).
    const PAGE: u32 = 200;
    for page in 0.. {
        let batch = state.read().list_team_channels(&team.id, page, PAGE).await?;
        for room in batch.iter().filter(|r| !doomed.iter().any(|d| d.id == r.id)) {
            if state.read().get_channel_by_name(&heir.id, &room.name).await?.is_some() {
                return Err(name_clash());
            }
        }
        if batch.len() < PAGE as usize {
            break;
        }
    }
    for room in &doomed {
        channels::delete_channel(state, room, &caller.user).await?;
    }
    channels::delete_team(state, &team, &heir)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => name_clash(),
            other => other.into(),
        })?;
    Ok(teams_delete::Response::Ok(wire::typed(
        "teams.delete answer",
        json!({"success": true}),
    )?))
}

/// A room that would leave the team has the name of one in [`TEAM_NAME`]
/// (possible only for channels made through the Mattermost API).
fn name_clash() -> RcError {
    RcError::typed(
        "error-duplicate-channel-name",
        "A room of the team has the name of a room outside it",
    )
}

/// The team's owner (a team admin while a member) or a system administrator.
async fn may_delete(state: &Core, user: &User, team: &Team) -> RcResult<bool> {
    if user.is_system_admin() {
        return Ok(true);
    }
    Ok(state
        .read()
        .get_team_member(&team.id, &user.id)
        .await?
        .is_some_and(|m| m.delete_at == 0 && m.roles.split_whitespace().any(|r| r == ROLE_TEAM_ADMIN)))
}
