//! Rooms: Rocket.Chat's view of the store's channels.
//!
//! Rocket.Chat has no teams. The rule that maps its rooms onto channels:
//!
//! - `channels.create` creates the channel in the team named [`TEAM_NAME`],
//!   created on first use, and adds the caller (and members) to that team, so
//!   the channel is also usable through the Mattermost API.
//! - A room *name* (`#name`, `roomName`) is looked up in every team: the oldest
//!   live public or private channel with that name wins
//!   ([`Store::find_channel_by_name`]). Failing that the text is tried as a room
//!   id, as Rocket.Chat accepts `#<roomId>` too.
//! - `@username` is the direct-message room between the acting user and that
//!   user, created on first use.

use chathooks_rocketchat_server::ops::{channels_create, channels_history, channels_info};
use serde_json::json;

use super::auth::{Permission, require};
use super::error::{RcError, RcResult};
use super::time::parse_iso;
use super::wire;
use crate::Core;
use crate::accounts::Caller;
use crate::channels::new_member;
use crate::channels::valid_name;
use crate::ids::new_id;
use crate::store::{
    CHANNEL_OPEN, Channel, ROLES_TEAM_USER, Store, StoreError, TEAM_OPEN, Team, TeamMember, User, now_ms,
};

/// Name of the team that holds the channels created through this API.
pub const TEAM_NAME: &str = "rocketchat";

/// `channels.history` page size: Rocket.Chat's default and upper limit.
const HISTORY_DEFAULT_COUNT: u32 = 20;
const HISTORY_MAX_COUNT: u32 = 100;

/// A live public or private channel by name (any team), else a live channel
/// by id.
pub async fn room_by_name_or_id(state: &Core, name: &str) -> RcResult<Option<Channel>> {
    if let Some(channel) = state.store.find_channel_by_name(name).await? {
        return Ok(Some(channel));
    }
    live_channel(state, name).await
}

/// A live channel by id.
pub async fn live_channel(state: &Core, id: &str) -> RcResult<Option<Channel>> {
    Ok(state.store.get_channel(id).await?.filter(|c| c.delete_at == 0))
}

/// An active user by username.
pub async fn active_user(state: &Core, username: &str) -> RcResult<Option<User>> {
    Ok(state
        .store
        .get_user_by_username(username.trim())
        .await?
        .filter(|u| u.delete_at == 0))
}

/// Does a `#room` / `@user` entry name something that exists? (No side
/// effects: a direct-message room is not created just to validate a setting.)
/// `Ok(None)` when it names nothing; the channel for rooms, `Some(None)` for users.
pub async fn check_entry(state: &Core, entry: &str) -> RcResult<Option<Option<Channel>>> {
    if let Some(name) = entry.strip_prefix('#') {
        Ok(room_by_name_or_id(state, name.trim()).await?.map(Some))
    } else if let Some(username) = entry.strip_prefix('@') {
        Ok(active_user(state, username).await?.map(|_| None))
    } else {
        Ok(None)
    }
}

/// The room a `#room` / `@user` entry names, for `acting` to post in (the
/// direct-message room is created if needed). `Ok(None)` when it names nothing.
pub async fn resolve_entry(state: &Core, acting: &User, entry: &str) -> RcResult<Option<Channel>> {
    if let Some(name) = entry.strip_prefix('#') {
        room_by_name_or_id(state, name.trim()).await
    } else if let Some(username) = entry.strip_prefix('@') {
        match active_user(state, username).await? {
            Some(other) => Ok(Some(
                state.store.get_or_create_direct_channel(&acting.id, &other.id).await?,
            )),
            None => Ok(None),
        }
    } else {
        Ok(None)
    }
}

/// The entries of a comma-separated `channel` setting, trimmed, blanks dropped.
pub fn entries(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The [`TEAM_NAME`] team, created if it does not exist yet.
async fn rocketchat_team(state: &Core) -> RcResult<Team> {
    if let Some(team) = state.store.get_team_by_name(TEAM_NAME).await? {
        return Ok(team);
    }
    let now = now_ms();
    let team = Team {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        name: TEAM_NAME.into(),
        display_name: "Rocket.Chat".into(),
        team_type: TEAM_OPEN.into(),
        description: "Channels created through the Rocket.Chat API.".into(),
        email: String::new(),
        allow_open_invite: true,
        allowed_domains: String::new(),
        invite_id: new_id(),
    };
    match state.store.create_team(&team).await {
        Ok(team) => Ok(team),
        // Created concurrently by another request: use that one.
        Err(StoreError::Conflict(_)) => state
            .store
            .get_team_by_name(TEAM_NAME)
            .await?
            .ok_or_else(|| RcError::internal("the rocketchat team vanished right after a name conflict")),
        Err(other) => Err(other.into()),
    }
}

/// Make `user` a member of `team` unless they are one (an existing membership,
/// maybe with more roles, is left alone).
async fn ensure_team_member(state: &Core, team: &Team, user: &User) -> RcResult<()> {
    let member = state.store.get_team_member(&team.id, &user.id).await?;
    if member.is_none_or(|m| m.delete_at != 0) {
        state
            .store
            .add_team_member(&TeamMember {
                team_id: team.id.clone(),
                user_id: user.id.clone(),
                roles: ROLES_TEAM_USER.into(),
                delete_at: 0,
            })
            .await?;
    }
    Ok(())
}

pub async fn channels_create(
    state: &Core,
    caller: Caller,
    request: channels_create::Request,
) -> RcResult<channels_create::Response> {
    require(&caller.user, Permission::CreateC)?;
    let body = body_of!(request, channels_create);
    let name = body.name.trim();
    if !valid_name(name) {
        return Err(RcError::typed(
            "error-invalid-room-name",
            &format!("{name} is not a valid room name"),
        ));
    }
    if state.store.find_channel_by_name(name).await?.is_some() {
        return Err(RcError::typed(
            "error-duplicate-channel-name",
            &format!("A channel with name '{name}' exists"),
        ));
    }
    let mut members = Vec::with_capacity(body.members.len());
    for username in &body.members {
        let user = active_user(state, username)
            .await?
            .ok_or_else(|| RcError::typed("error-invalid-user", &format!("Invalid user {username}")))?;
        members.push(user);
    }
    let team = rocketchat_team(state).await?;
    let now = now_ms();
    let channel = Channel {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        team_id: team.id.clone(),
        channel_type: CHANNEL_OPEN.into(),
        name: name.to_owned(),
        display_name: name.to_owned(),
        header: String::new(),
        purpose: String::new(),
        creator_id: caller.user.id.clone(),
        last_post_at: now,
        total_msg_count: 0,
    };
    let channel = state
        .store
        .create_channel(&channel)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => RcError::typed(
                "error-duplicate-channel-name",
                &format!("A channel with name '{name}' exists"),
            ),
            other => other.into(),
        })?;
    ensure_team_member(state, &team, &caller.user).await?;
    state
        .store
        .add_channel_member(&new_member(&channel.id, &caller.user.id, "channel_user channel_admin"))
        .await?;
    for member in members.iter().filter(|m| m.id != caller.user.id) {
        ensure_team_member(state, &team, member).await?;
        state
            .store
            .add_channel_member(&new_member(&channel.id, &member.id, "channel_user"))
            .await?;
    }
    let room = wire::room(state, &channel).await?;
    Ok(channels_create::Response::Ok(wire::typed(
        "channels.create answer",
        json!({"channel": room, "success": true}),
    )?))
}

fn room_not_found() -> RcError {
    RcError::typed(
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    )
}

/// A live *public* channel by id (the `channels.*` endpoints only see those).
async fn public_room(state: &Core, id: &str) -> RcResult<Channel> {
    live_channel(state, id)
        .await?
        .filter(|c| c.channel_type == CHANNEL_OPEN)
        .ok_or_else(room_not_found)
}

pub async fn channels_info(
    state: &Core,
    _caller: Caller,
    request: channels_info::Request,
) -> RcResult<channels_info::Response> {
    let channel = match (request.room_id, request.room_name) {
        (Some(id), _) => public_room(state, &id).await?,
        (None, Some(name)) => state
            .store
            .find_channel_by_name(name.trim().trim_start_matches('#'))
            .await?
            .filter(|c| c.channel_type == CHANNEL_OPEN)
            .ok_or_else(room_not_found)?,
        (None, None) => return Err(room_not_found()),
    };
    let room = wire::room(state, &channel).await?;
    Ok(channels_info::Response::Ok(wire::typed(
        "channels.info answer",
        json!({"channel": room, "success": true}),
    )?))
}

/// Parse an optional `latest`/`oldest` bound.
fn bound(name: &str, value: Option<&str>) -> RcResult<Option<i64>> {
    match value {
        None => Ok(None),
        Some(text) => parse_iso(text)
            .map(Some)
            .ok_or_else(|| RcError::invalid_params(&[format!("{name} must be an ISO 8601 date-time")])),
    }
}

/// `offset`/`count` paging: negative offsets are 0; a count of 0 (or none) is
/// the default, larger ones are capped.
pub fn paging(offset: Option<i64>, count: Option<i64>, default: u32, max: u32) -> (u32, u32) {
    let offset = u32::try_from(offset.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
    let count = match count {
        Some(count) if count > 0 => u32::try_from(count).unwrap_or(max).min(max),
        _ => default,
    };
    (offset, count)
}

pub async fn channels_history(
    state: &Core,
    _caller: Caller,
    request: channels_history::Request,
) -> RcResult<channels_history::Response> {
    let latest = bound("latest", request.latest.as_deref())?.unwrap_or(i64::MAX);
    let oldest = bound("oldest", request.oldest.as_deref())?.unwrap_or(i64::MIN);
    let channel = public_room(state, &request.room_id).await?;
    let (offset, count) = paging(request.offset, request.count, HISTORY_DEFAULT_COUNT, HISTORY_MAX_COUNT);
    let posts = state
        .store
        .list_channel_posts_between(&channel.id, oldest, latest, offset, count)
        .await?;
    let messages = wire::messages(state, &posts).await?;
    Ok(channels_history::Response::Ok(wire::typed(
        "channels.history answer",
        json!({"messages": messages, "success": true}),
    )?))
}
