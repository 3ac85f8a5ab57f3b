//! Rooms: Rocket.Chat's view of the store's channels.
//!
//! The rule that maps Rocket.Chat's rooms onto channels (the rooms of its
//! teams live in their own core team instead, see [`super::teams`]):
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

use chathooks_rocketchat_server::ops::{
    channels_archive, channels_create, channels_history, channels_info, channels_join, channels_leave, channels_list,
    dm_create, im_create,
};
use chathooks_rocketchat_types as types;
use serde_json::json;

use super::auth::{Permission, RoomPermission, has_room_permission, is_owner, require};
use super::error::{RcError, RcResult};
use super::time::parse_iso;
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::accounts::valid_rocketchat_name;
use chathooks_core::channels;
use chathooks_core::ids::new_id;
use chathooks_core::store::{
    CHANNEL_OPEN, Channel, ROLES_CHANNEL_USER, ROLES_TEAM_USER, StoreError, TEAM_OPEN, Team, TeamMember, User, now_ms,
};

/// Name of the team that holds the channels created through this API.
pub(crate) const TEAM_NAME: &str = "rocketchat";

/// `channels.history` page size: Rocket.Chat's default and upper limit.
const HISTORY_DEFAULT_COUNT: u32 = 20;
const HISTORY_MAX_COUNT: u32 = 100;
/// Other lists' page size: Rocket.Chat's `API_Default_Count` and
/// `API_Upper_Count_Limit`.
const LIST_DEFAULT_COUNT: u32 = 50;
const LIST_MAX_COUNT: u32 = 100;

/// A live public or private channel by name (any team), else a live channel
/// by id.
pub(crate) async fn room_by_name_or_id(state: &Core, name: &str) -> RcResult<Option<Channel>> {
    if let Some(channel) = state.read().find_channel_by_name(name).await? {
        return Ok(Some(channel));
    }
    live_channel(state, name).await
}

/// A live channel by id.
pub(crate) async fn live_channel(state: &Core, id: &str) -> RcResult<Option<Channel>> {
    Ok(state.read().get_channel(id).await?.filter(|c| c.delete_at == 0))
}

/// An active user by username.
pub(crate) async fn active_user(state: &Core, username: &str) -> RcResult<Option<User>> {
    Ok(state
        .read()
        .get_user_by_username(username.trim())
        .await?
        .filter(|u| u.delete_at == 0))
}

/// Does a `#room` / `@user` entry name something that exists? (No side
/// effects: a direct-message room is not created just to validate a setting.)
/// `Ok(None)` when it names nothing; the channel for rooms, `Some(None)` for users.
pub(crate) async fn check_entry(state: &Core, entry: &str) -> RcResult<Option<Option<Channel>>> {
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
pub(crate) async fn resolve_entry(state: &Core, acting: &User, entry: &str) -> RcResult<Option<Channel>> {
    if let Some(name) = entry.strip_prefix('#') {
        room_by_name_or_id(state, name.trim()).await
    } else if let Some(username) = entry.strip_prefix('@') {
        match active_user(state, username).await? {
            Some(other) => Ok(Some(channels::direct_channel(state, &acting.id, &other.id).await?)),
            None => Ok(None),
        }
    } else {
        Ok(None)
    }
}

/// The entries of a comma-separated `channel` setting, trimmed, blanks dropped.
pub(crate) fn entries(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The [`TEAM_NAME`] team, created if it does not exist yet.
pub(crate) async fn rocketchat_team(state: &Core) -> RcResult<Team> {
    if let Some(team) = state.read().get_team_by_name(TEAM_NAME).await? {
        return Ok(team);
    }
    let team = Team {
        description: "Channels created through the Rocket.Chat API.".into(),
        allow_open_invite: true,
        ..Team::new(TEAM_NAME, "Rocket.Chat", TEAM_OPEN)
    };
    match channels::create_team(state, &team).await {
        Ok(team) => Ok(team),
        // Created concurrently by another request: use that one.
        Err(StoreError::Conflict(_)) => state
            .read()
            .get_team_by_name(TEAM_NAME)
            .await?
            .ok_or_else(|| RcError::internal("the rocketchat team vanished right after a name conflict")),
        Err(other) => Err(other.into()),
    }
}

/// Make `user` a member of `team` unless they are one (an existing membership,
/// maybe with more roles, is left alone).
pub(crate) async fn ensure_team_member(state: &Core, team: &Team, user: &User) -> RcResult<()> {
    let member = state.read().get_team_member(&team.id, &user.id).await?;
    if member.is_none_or(|m| m.delete_at != 0) {
        channels::add_team_member(
            state,
            &TeamMember {
                team_id: team.id.clone(),
                user_id: user.id.clone(),
                roles: ROLES_TEAM_USER.into(),
                delete_at: 0,
            },
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn channels_create(
    state: &Core,
    caller: Caller,
    request: channels_create::Request,
) -> RcResult<channels_create::Response> {
    require(state, &caller.user, Permission::CreateC).await?;
    let body = body_of!(request, channels_create);
    let channel = create_room(state, &caller.user, &body.name, &body.members, CHANNEL_OPEN).await?;
    let room = wire::room(state, &channel).await?;
    Ok(channels_create::Response::Ok(wire::typed(
        "channels.create answer",
        json!({"channel": room, "success": true}),
    )?))
}

/// A new room of `channel_type` (public or private) named `name`, with
/// `creator` as owner and `members` (usernames), in the [`TEAM_NAME`] team:
/// what `channels.create` and `groups.create` share.
pub(crate) async fn create_room(
    state: &Core,
    creator: &User,
    name: &str,
    member_names: &[String],
    channel_type: &str,
) -> RcResult<Channel> {
    let name = name.trim();
    if !valid_rocketchat_name(name) {
        return Err(RcError::typed(
            "error-invalid-room-name",
            &format!("{name} is not a valid room name"),
        ));
    }
    if state.read().find_channel_by_name(name).await?.is_some() {
        return Err(RcError::typed(
            "error-duplicate-channel-name",
            &format!("A channel with name '{name}' exists"),
        ));
    }
    let mut members = Vec::with_capacity(member_names.len());
    for username in member_names {
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
        channel_type: channel_type.into(),
        name: name.to_owned(),
        display_name: name.to_owned(),
        header: String::new(),
        purpose: String::new(),
        creator_id: creator.id.clone(),
        last_post_at: now,
        total_msg_count: 0,
    };
    // Members of the room are members of its team; Rocket.Chat fires
    // roomCreated, not roomJoined, for the members a room is created with.
    ensure_team_member(state, &team, creator).await?;
    for member in members.iter().filter(|m| m.id != creator.id) {
        ensure_team_member(state, &team, member).await?;
    }
    channels::create_channel_with_members(state, &channel, creator, &members)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => RcError::typed(
                "error-duplicate-channel-name",
                &format!("A channel with name '{name}' exists"),
            ),
            other => other.into(),
        })
}

fn room_not_found() -> RcError {
    RcError::typed(
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    )
}

/// The public room `roomId` or `roomName` names (`roomId` wins), as
/// Rocket.Chat's `findChannelByIdOrName` finds it: by id archived rooms are
/// found too, and `check_archived` refuses them with `error-room-archived`.
/// By name only live channels are found (the lookup across teams sees those).
pub(crate) async fn find_channel(
    state: &Core,
    room_id: Option<&str>,
    room_name: Option<&str>,
    check_archived: bool,
) -> RcResult<Channel> {
    let given = |value: Option<&str>| value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let found = match (given(room_id), given(room_name)) {
        (Some(id), _) => state.read().get_channel(&id).await?,
        (None, Some(name)) => state.read().find_channel_by_name(name.trim_start_matches('#')).await?,
        (None, None) => None,
    };
    let channel = found
        .filter(|c| c.channel_type == CHANNEL_OPEN)
        .ok_or_else(room_not_found)?;
    if check_archived && channel.delete_at != 0 {
        return Err(RcError::typed(
            "error-room-archived",
            &format!("The channel, {}, is archived", channel.name),
        ));
    }
    Ok(channel)
}

pub(crate) async fn channels_info(
    state: &Core,
    _caller: Caller,
    request: channels_info::Request,
) -> RcResult<channels_info::Response> {
    let channel = find_channel(state, request.room_id.as_deref(), request.room_name.as_deref(), false).await?;
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
pub(crate) fn paging(offset: Option<i64>, count: Option<i64>, default: u32, max: u32) -> (u32, u32) {
    let offset = u32::try_from(offset.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
    let count = match count {
        Some(count) if count > 0 => u32::try_from(count).unwrap_or(max).min(max),
        _ => default,
    };
    (offset, count)
}

pub(crate) async fn channels_history(
    state: &Core,
    caller: Caller,
    request: channels_history::Request,
) -> RcResult<channels_history::Response> {
    let latest = bound("latest", request.latest.as_deref())?.unwrap_or(i64::MAX);
    let oldest = bound("oldest", request.oldest.as_deref())?.unwrap_or(i64::MIN);
    let channel = find_channel(state, request.room_id.as_deref(), request.room_name.as_deref(), false).await?;
    // Rocket.Chat's `getChannelHistory` refuses a room the caller cannot
    // access (a room of a team they are not in) with `API.v1.forbidden()`.
    if !super::auth::can_access_room(state, &caller.user, &channel).await? {
        return Err(RcError::Refused("unauthorized".into()));
    }
    let (offset, count) = paging(request.offset, request.count, HISTORY_DEFAULT_COUNT, HISTORY_MAX_COUNT);
    let posts = state
        .read()
        .list_channel_posts_between(&channel.id, oldest, latest, offset, count)
        .await?;
    let messages = wire::messages(state, &posts).await?;
    Ok(channels_history::Response::Ok(wire::typed(
        "channels.history answer",
        json!({"messages": messages, "success": true}),
    )?))
}

pub(crate) async fn channels_list(
    state: &Core,
    _caller: Caller,
    request: channels_list::Request,
) -> RcResult<channels_list::Response> {
    let (offset, count) = paging(request.offset, request.count, LIST_DEFAULT_COUNT, LIST_MAX_COUNT);
    let channels = state.read().list_public_channels(offset, count).await?;
    let total = state.read().count_public_channels().await?;
    let mut rooms = Vec::with_capacity(channels.len());
    for channel in &channels {
        rooms.push(wire::room(state, channel).await?);
    }
    Ok(channels_list::Response::Ok(wire::typed(
        "channels.list answer",
        json!({"channels": rooms, "count": channels.len(), "offset": offset, "total": total, "success": true}),
    )?))
}

/// The answer carrying a room, read again after a change.
async fn channel_answer<T: serde::de::DeserializeOwned>(state: &Core, what: &str, channel: &Channel) -> RcResult<T> {
    let current = state
        .read()
        .get_channel(&channel.id)
        .await?
        .unwrap_or_else(|| channel.clone());
    let room = wire::room(state, &current).await?;
    wire::typed(what, json!({"channel": room, "success": true}))
}

pub(crate) async fn channels_join(
    state: &Core,
    caller: Caller,
    request: channels_join::Request,
) -> RcResult<channels_join::Response> {
    let body = body_of!(request, channels_join);
    let channel = find_channel(state, body.room_id.as_deref(), body.room_name.as_deref(), true).await?;
    if let Some(team) = state.read().get_team(&channel.team_id).await? {
        // A room of an invite-only team is for the team's members: Rocket.Chat's
        // `Room.join` refuses a room the user cannot access.
        let may_enter = team.team_type == TEAM_OPEN
            || chathooks_core::permissions::is_team_member(state, &caller.user, &team.id).await?;
        if !may_enter {
            return Err(RcError::typed("error-not-allowed", "Not allowed"));
        }
        ensure_team_member(state, &team, &caller.user).await?;
    }
    if state
        .read()
        .get_channel_member(&channel.id, &caller.user.id)
        .await?
        .is_none()
    {
        channels::join_channel(state, &channel, &caller.user, ROLES_CHANNEL_USER).await?;
    }
    Ok(channels_join::Response::Ok(
        channel_answer(state, "channels.join answer", &channel).await?,
    ))
}

/// How many owners `channel` has.
async fn count_owners(state: &Core, channel: &Channel) -> RcResult<usize> {
    const PAGE: u32 = 200;
    let mut owners = 0;
    for page in 0.. {
        let members = state.read().list_channel_members(&channel.id, page, PAGE).await?;
        owners += members
            .iter()
            .filter(|m| m.roles.split_whitespace().any(|r| r == super::auth::ROLE_CHANNEL_ADMIN))
            .count();
        if members.len() < PAGE as usize {
            break;
        }
    }
    Ok(owners)
}

pub(crate) async fn channels_leave(
    state: &Core,
    caller: Caller,
    request: channels_leave::Request,
) -> RcResult<channels_leave::Response> {
    let body = body_of!(request, channels_leave);
    let channel = find_channel(state, body.room_id.as_deref(), body.room_name.as_deref(), true).await?;
    if state
        .read()
        .get_channel_member(&channel.id, &caller.user.id)
        .await?
        .is_none()
    {
        return Err(RcError::typed("error-user-not-in-room", "You are not in this room").in_method("leaveRoom"));
    }
    if is_owner(state, &caller.user, &channel).await? && count_owners(state, &channel).await? <= 1 {
        return Err(RcError::typed(
            "error-you-are-last-owner",
            "You are the last owner. Please set new owner before leaving the room.",
        )
        .in_method("leaveRoom"));
    }
    channels::leave_channel(state, &channel, &caller.user).await?;
    Ok(channels_leave::Response::Ok(
        channel_answer(state, "channels.leave answer", &channel).await?,
    ))
}

pub(crate) async fn channels_archive(
    state: &Core,
    caller: Caller,
    request: channels_archive::Request,
) -> RcResult<channels_archive::Response> {
    let body = body_of!(request, channels_archive);
    let channel = find_channel(state, body.room_id.as_deref(), body.room_name.as_deref(), true).await?;
    if !has_room_permission(state, &caller.user, &channel, RoomPermission::ArchiveRoom).await? {
        return Err(RcError::typed("error-not-authorized", "Not authorized").in_method("archiveRoom"));
    }
    channels::archive_channel(state, &channel, &caller.user)
        .await
        .map_err(|error| match error {
            // Archived concurrently by someone else.
            StoreError::NotFound => RcError::typed(
                "error-room-archived",
                &format!("The channel, {}, is archived", channel.name),
            ),
            other => other.into(),
        })?;
    Ok(channels_archive::Response::Ok(wire::typed(
        "channels.archive answer",
        json!({"success": true}),
    )?))
}

/// `im.create` / `dm.create`: the direct room between the caller and one
/// other user (or themself).
async fn direct_room(state: &Core, caller: &User, body: types::ImCreateBody) -> RcResult<types::DirectRoomResponse> {
    let mut names: Vec<String> = match (body.username, body.usernames) {
        (Some(username), _) if !username.trim().is_empty() => vec![username.trim().to_owned()],
        (_, Some(list)) => entries(&list),
        _ => Vec::new(),
    };
    if names.is_empty() {
        return Err(RcError::invalid_params(&[
            "must have required property 'username'".into()
        ]));
    }
    names.dedup();
    if names.len() > 1 {
        names.retain(|name| !name.eq_ignore_ascii_case(&caller.username));
    }
    if names.len() > 1 {
        return Err(RcError::typed(
            "error-not-allowed",
            "Direct messages with more than two participants are not supported by this server",
        )
        .in_method("createDirectMessage"));
    }
    let other = active_user(state, &names[0])
        .await?
        .ok_or_else(|| RcError::typed("error-invalid-user", "Invalid user").in_method("createDirectMessage"))?;
    let channel = channels::direct_channel(state, &caller.id, &other.id).await?;
    let mut members = vec![caller.clone()];
    if other.id != caller.id {
        members.push(other);
    }
    members.sort_by(|a, b| a.username.cmp(&b.username));
    let room = json!({
        "_id": channel.id,
        "rid": channel.id,
        "t": "d",
        "usernames": members.iter().map(|u| u.username.clone()).collect::<Vec<_>>(),
        "uids": members.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        "msgs": channel.total_msg_count,
        "usersCount": members.len(),
        "ts": super::time::iso(channel.create_at),
        "_updatedAt": super::time::iso(channel.update_at.max(channel.last_post_at)),
    });
    wire::typed("im.create answer", json!({"room": room, "success": true}))
}

pub(crate) async fn im_create(
    state: &Core,
    caller: Caller,
    request: im_create::Request,
) -> RcResult<im_create::Response> {
    let body = body_of!(request, im_create);
    Ok(im_create::Response::Ok(direct_room(state, &caller.user, body).await?))
}

pub(crate) async fn dm_create(
    state: &Core,
    caller: Caller,
    request: dm_create::Request,
) -> RcResult<dm_create::Response> {
    let body = body_of!(request, dm_create);
    Ok(dm_create::Response::Ok(direct_room(state, &caller.user, body).await?))
}
