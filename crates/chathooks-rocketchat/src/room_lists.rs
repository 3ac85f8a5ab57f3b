//! Rocket.Chat's paged listings of a room (`channels.messages`,
//! `channels.members`, `groups.messages`, `groups.members`) and private-room
//! creation (`groups.create`).
//!
//! Public rooms are read by whoever may read them under the core's rule (403
//! `unauthorized` otherwise, Rocket.Chat's `API.v1.forbidden()`); private
//! rooms exist, for these endpoints, only to their members (400
//! `error-room-not-found`, as Rocket.Chat's `findPrivateGroupByIdOrName`).

use chathooks_rocketchat_server::ops::{
    channels_members, channels_messages, groups_create, groups_members, groups_messages,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::auth::{can_access_room, is_member};
use super::error::{RcError, RcResult};
use super::rooms::{create_room, find_channel, paging};
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::store::{CHANNEL_PRIVATE, Channel};

/// Rocket.Chat's `API_Default_Count` and `API_Upper_Count_Limit`.
const DEFAULT_COUNT: u32 = 50;
const MAX_COUNT: u32 = 100;
/// Members read per store page when counting or skipping.
const MEMBER_PAGE: u32 = 200;

fn group_not_found() -> RcError {
    RcError::typed(
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any group",
    )
}

/// A public room the caller may read (403 `unauthorized` otherwise).
async fn readable_channel(state: &Core, caller: &Caller, id: Option<&str>, name: Option<&str>) -> RcResult<Channel> {
    let channel = find_channel(state, id, name, false).await?;
    if !can_access_room(state, &caller.user, &channel).await? {
        return Err(RcError::Refused("unauthorized".into()));
    }
    Ok(channel)
}

/// A private room of the caller's, by id or name (400 otherwise).
pub(crate) async fn own_group(
    state: &Core,
    caller: &Caller,
    id: Option<&str>,
    name: Option<&str>,
) -> RcResult<Channel> {
    let given = |value: Option<&str>| value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let found = match (given(id), given(name)) {
        (Some(id), _) => state.read().get_channel(&id).await?,
        (None, Some(name)) => state.read().find_channel_by_name(name.trim_start_matches('#')).await?,
        (None, None) => None,
    };
    let group = found
        .filter(|c| c.channel_type == CHANNEL_PRIVATE)
        .ok_or_else(group_not_found)?;
    if !caller.user.is_system_admin() && !is_member(state, &caller.user, &group).await? {
        return Err(group_not_found());
    }
    Ok(group)
}

/// `{messages, count, offset, total, success}`, newest first.
async fn messages_answer<T: DeserializeOwned>(
    state: &Core,
    what: &str,
    channel: &Channel,
    offset: Option<i64>,
    count: Option<i64>,
) -> RcResult<T> {
    let (offset, count) = paging(offset, count, DEFAULT_COUNT, MAX_COUNT);
    let posts = state
        .read()
        .list_channel_posts_between(&channel.id, i64::MIN, i64::MAX, offset, count)
        .await?;
    let messages = wire::messages(state, &posts).await?;
    wire::typed(
        what,
        json!({
            "messages": messages,
            "count": messages.len(),
            "offset": offset,
            "total": channel.total_msg_count,
            "success": true,
        }),
    )
}

/// `{members, count, offset, total, success}`: the room's members ordered by
/// username, as Rocket.Chat sorts them.
async fn members_answer<T: DeserializeOwned>(
    state: &Core,
    what: &str,
    channel: &Channel,
    offset: Option<i64>,
    count: Option<i64>,
) -> RcResult<T> {
    let (offset, count) = paging(offset, count, DEFAULT_COUNT, MAX_COUNT);
    let mut users = Vec::new();
    for page in 0.. {
        let batch = state
            .read()
            .list_channel_members(&channel.id, page, MEMBER_PAGE)
            .await?;
        for member in &batch {
            if let Some(user) = state.read().get_user(&member.user_id).await? {
                users.push(user);
            }
        }
        if batch.len() < MEMBER_PAGE as usize {
            break;
        }
    }
    users.sort_by_key(|u| u.username.to_lowercase());
    let total = users.len();
    let page: Vec<Value> = users
        .iter()
        .skip(offset as usize)
        .take(count as usize)
        .map(wire::user)
        .collect();
    wire::typed(
        what,
        json!({"members": page, "count": page.len(), "offset": offset, "total": total, "success": true}),
    )
}

pub(crate) async fn channels_messages(
    state: &Core,
    caller: Caller,
    request: channels_messages::Request,
) -> RcResult<channels_messages::Response> {
    let channel = readable_channel(state, &caller, request.room_id.as_deref(), request.room_name.as_deref()).await?;
    Ok(channels_messages::Response::Ok(
        messages_answer(
            state,
            "channels.messages answer",
            &channel,
            request.offset,
            request.count,
        )
        .await?,
    ))
}

pub(crate) async fn channels_members(
    state: &Core,
    caller: Caller,
    request: channels_members::Request,
) -> RcResult<channels_members::Response> {
    let channel = readable_channel(state, &caller, request.room_id.as_deref(), request.room_name.as_deref()).await?;
    Ok(channels_members::Response::Ok(
        members_answer(
            state,
            "channels.members answer",
            &channel,
            request.offset,
            request.count,
        )
        .await?,
    ))
}

pub(crate) async fn groups_messages(
    state: &Core,
    caller: Caller,
    request: groups_messages::Request,
) -> RcResult<groups_messages::Response> {
    let group = own_group(state, &caller, request.room_id.as_deref(), request.room_name.as_deref()).await?;
    Ok(groups_messages::Response::Ok(
        messages_answer(state, "groups.messages answer", &group, request.offset, request.count).await?,
    ))
}

pub(crate) async fn groups_members(
    state: &Core,
    caller: Caller,
    request: groups_members::Request,
) -> RcResult<groups_members::Response> {
    let group = own_group(state, &caller, request.room_id.as_deref(), request.room_name.as_deref()).await?;
    Ok(groups_members::Response::Ok(
        members_answer(state, "groups.members answer", &group, request.offset, request.count).await?,
    ))
}

/// `groups.create`: every user holds Rocket.Chat's `create-p` by default.
pub(crate) async fn groups_create(
    state: &Core,
    caller: Caller,
    request: groups_create::Request,
) -> RcResult<groups_create::Response> {
    let body = body_of!(request, groups_create);
    let group = create_room(state, &caller.user, &body.name, &body.members, CHANNEL_PRIVATE).await?;
    let room = wire::room(state, &group).await?;
    Ok(groups_create::Response::Ok(wire::typed(
        "groups.create answer",
        json!({"group": room, "success": true}),
    )?))
}
