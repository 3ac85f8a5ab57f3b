//! `rooms.info`: a room of any kind by id or name, to those who may read it
//! (the SDK's bot asks it of every message it is handed, to tell direct
//! rooms from the others).

use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::store::{CHANNEL_DIRECT, Channel};
use chathooks_rocketchat_server::ops::rooms_info;
use serde_json::{Value, json};

use crate::auth::can_access_room;
use crate::error::{RcError, RcResult};
use crate::wire;

pub(crate) async fn rooms_info(
    state: &Core,
    caller: Caller,
    request: rooms_info::Request,
) -> RcResult<rooms_info::Response> {
    let room = find_room(state, request.room_id.as_deref(), request.room_name.as_deref()).await?;
    if !can_access_room(state, &caller.user, &room).await? {
        // Rocket.Chat's `API.v1.failure('not-allowed', 'Not Allowed')`: the
        // id lands in `error` and the text in `errorType`.
        return Err(RcError::BadRequest {
            error: "not-allowed".into(),
            error_type: Some("Not Allowed".into()),
            details: serde_json::Map::new(),
        });
    }
    let room = room_document(state, &room).await?;
    Ok(rooms_info::Response::Ok(wire::typed(
        "rooms.info answer",
        json!({"room": room, "success": true}),
    )?))
}

/// The room `roomId` (any kind) or `roomName` (public or private) names, as
/// Rocket.Chat's `findRoomByIdOrName` finds it: archived rooms are refused.
async fn find_room(state: &Core, room_id: Option<&str>, room_name: Option<&str>) -> RcResult<Channel> {
    let given = |value: Option<&str>| value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let found = match (given(room_id), given(room_name)) {
        (Some(id), _) => state.read().get_channel(&id).await?,
        (None, Some(name)) => state.read().find_channel_by_name(name.trim_start_matches('#')).await?,
        (None, None) => {
            return Err(RcError::typed(
                "error-roomid-param-not-provided",
                "The parameter \"roomId\" or \"roomName\" is required",
            ));
        }
    };
    let room = found.ok_or_else(|| {
        RcError::typed(
            "error-room-not-found",
            "The required \"roomId\" or \"roomName\" param provided does not match any channel",
        )
    })?;
    if room.delete_at != 0 {
        return Err(RcError::typed(
            "error-room-archived",
            &format!("The channel, {}, is archived", room.name),
        ));
    }
    Ok(room)
}

/// The `Room` document, with a direct room's members (`usernames` and
/// `uids`, by username) as Rocket.Chat keeps them on the room.
pub(crate) async fn room_document(state: &Core, room: &Channel) -> RcResult<Value> {
    let mut document = wire::room(state, room).await?;
    if room.channel_type == CHANNEL_DIRECT {
        let mut members = Vec::new();
        // `low__high`; one id twice for a user's room with themself.
        let mut ids: Vec<&str> = chathooks_core::channels::direct_channel_members(&room.name).collect();
        ids.dedup();
        for id in ids {
            if let Some(user) = state.read().get_user(id).await? {
                members.push(user);
            }
        }
        members.sort_by(|a, b| a.username.cmp(&b.username));
        document["usernames"] = members.iter().map(|u| u.username.clone()).collect::<Vec<_>>().into();
        document["uids"] = members.iter().map(|u| u.id.clone()).collect::<Vec<_>>().into();
        // Rocket.Chat's direct rooms have no name and no owner.
        if let Value::Object(fields) = &mut document {
            fields.remove("name");
            fields.remove("fname");
            fields.remove("u");
        }
    }
    Ok(document)
}
