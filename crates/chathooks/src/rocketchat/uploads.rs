//! `rooms.upload/{rid}`: a file uploaded into a room, and the message that
//! carries it.
//!
//! The file goes through the core's `files::upload` (stored in the database,
//! shared with the Mattermost API, which lists it in the post's `file_ids`);
//! the message is posted through [`post_message`] like any other, so it
//! fires outgoing integrations. Its `file`, `files` and file attachment are
//! rendered by [`wire`] from the stored file, as Rocket.Chat's
//! `sendFileMessage` builds them.

use chathooks_rocketchat_server::ops::rooms_upload;
use chathooks_runtime::UploadedFile;
use serde_json::json;

use super::auth::can_access_room;
use super::chat::{NewMessage, check_size, post_message};
use super::error::{RcError, RcResult};
use super::wire;
use crate::Core;
use crate::accounts::Caller;
use crate::posts;
use crate::store::{Channel, Store};
use chathooks_core::files;

/// The multipart part that holds the file.
const FILE_FIELD: &str = "file";

/// The one file part named `file`: a file in another part is
/// `invalid-field`, as Rocket.Chat's `getUploadFormData` answers, and so is
/// a body without one.
fn the_file(files: Vec<UploadedFile>) -> RcResult<UploadedFile> {
    if files.iter().any(|f| f.field != FILE_FIELD) {
        return Err(RcError::bare("invalid-field"));
    }
    let mut files = files.into_iter();
    let file = files.next().ok_or_else(|| RcError::bare("invalid-field"))?;
    if files.next().is_some() {
        return Err(RcError::failure("Just 1 file is allowed"));
    }
    Ok(file)
}

/// The thread root a `tmid` names in `channel` (a reply's `tmid` is its
/// thread's root).
async fn thread_root(state: &Core, channel: &Channel, tmid: &str) -> RcResult<String> {
    let invalid = || RcError::typed("error-invalid-message", "Invalid message");
    let post = posts::live_post(state, tmid).await?.ok_or_else(invalid)?;
    if post.channel_id != channel.id {
        return Err(invalid());
    }
    Ok(if post.root_id.is_empty() { post.id } else { post.root_id })
}

pub async fn rooms_upload(
    state: &Core,
    caller: Caller,
    request: rooms_upload::Request,
) -> RcResult<rooms_upload::Response> {
    // Rocket.Chat answers `API.v1.unauthorized()` (a 403) for a room the
    // caller cannot access, unknown rooms included.
    let channel = match state.store.get_channel(&request.rid).await? {
        Some(channel) if can_access_room(state, &caller.user, &channel).await? => channel,
        _ => return Err(RcError::refused("unauthorized")),
    };
    let file = the_file(request.files)?;
    let body = request.body;
    if channel.delete_at != 0 {
        return Err(RcError::typed(
            "error-room-archived",
            &format!("The channel, {}, is archived", channel.name),
        ));
    }
    let text = body.msg.unwrap_or_default();
    check_size(&text)?;
    if let Some(description) = &body.description {
        check_size(description)?;
    }
    let root_id = match body.tmid.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(tmid) => Some(thread_root(state, &channel, tmid).await?),
        None => None,
    };
    let info = files::upload(
        state,
        &caller.user,
        &channel,
        &file.filename,
        file.content_type.as_deref(),
        &file.data,
    )
    .await?;
    let message = NewMessage {
        text,
        file_ids: vec![info.id],
        file_description: body.description,
        root_id,
        ..NewMessage::default()
    };
    let post = post_message(state, &channel, &caller.user, message).await?;
    let document = wire::full_message(state, &post, Some(&caller.user)).await?;
    Ok(rooms_upload::Response::Ok(wire::typed(
        "rooms.upload answer",
        json!({"message": document, "success": true}),
    )?))
}
