//! `channels.delete` and `groups.delete`: a room erased for good, as
//! Rocket.Chat's `eraseRoom` does it.
//!
//! Who may: `delete-c` (public rooms) or `delete-p` (private ones), held by
//! system administrators and the room's owner, as Rocket.Chat ships them;
//! anyone else gets 400 `error-not-allowed`. What goes: the room with its
//! memberships, messages and files (see [`channels::delete_channel`]).

use chathooks_rocketchat_server::ops::{channels_delete, groups_delete};
use serde_json::json;

use super::auth::{RoomPermission, has_room_permission};
use super::error::{RcError, RcResult};
use super::room_lists::own_group;
use super::rooms::find_channel;
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::channels;
use chathooks_core::store::Channel;

/// Check the caller may delete `room`, then delete it.
async fn erase(state: &Core, caller: &Caller, room: &Channel) -> RcResult<()> {
    if !has_room_permission(state, &caller.user, room, RoomPermission::DeleteRoom).await? {
        return Err(RcError::typed("error-not-allowed", "Not allowed").in_method("eraseRoom"));
    }
    // A room deleted meanwhile by someone else is gone either way.
    channels::delete_channel(state, room, &caller.user).await?;
    Ok(())
}

pub(crate) async fn channels_delete(
    state: &Core,
    caller: Caller,
    request: channels_delete::Request,
) -> RcResult<channels_delete::Response> {
    let body = body_of!(request, channels_delete);
    // Archived rooms may be deleted too (`checkedArchived: false` in Rocket.Chat).
    let channel = find_channel(state, body.room_id.as_deref(), body.room_name.as_deref(), false).await?;
    erase(state, &caller, &channel).await?;
    Ok(channels_delete::Response::Ok(wire::typed(
        "channels.delete answer",
        json!({"success": true}),
    )?))
}

pub(crate) async fn groups_delete(
    state: &Core,
    caller: Caller,
    request: groups_delete::Request,
) -> RcResult<groups_delete::Response> {
    let body = body_of!(request, groups_delete);
    let group = own_group(state, &caller, body.room_id.as_deref(), body.room_name.as_deref()).await?;
    erase(state, &caller, &group).await?;
    Ok(groups_delete::Response::Ok(wire::typed(
        "groups.delete answer",
        json!({"success": true}),
    )?))
}
