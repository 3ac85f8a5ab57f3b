//! Files uploaded into a room, and the messages that carry them:
//! `rooms.upload/{rid}` in one step, `rooms.media/{rid}` then
//! `rooms.mediaConfirm/{rid}/{fileId}` in two.
//!
//! The file goes through the core's `files::upload` (stored in the database,
//! shared with the Mattermost API, which lists it in the post's `file_ids`);
//! the message is posted through [`post_message`] like any other, so it
//! fires outgoing integrations. Its `file`, `files` and file attachment are
//! rendered by [`wire`] from the stored file, as Rocket.Chat's
//! `sendFileMessage` builds them.

use chathooks_rocketchat_server::ops::{rooms_media, rooms_media_confirm, rooms_upload};
use chathooks_runtime::UploadedFile;
use serde_json::json;

use super::auth::can_access_room;
use super::chat::{NewMessage, check_size, post_message};
use super::error::{RcError, RcResult};
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::files;
use chathooks_core::posts;
use chathooks_core::store::{Channel, FileInfo, User};

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

/// The room `rid` for `user` to upload into: Rocket.Chat answers
/// `API.v1.unauthorized()` (a 403) for a room the caller cannot access,
/// unknown rooms included, and archived rooms take no files.
async fn upload_room(state: &Core, user: &User, rid: &str) -> RcResult<Channel> {
    let channel = match state.read().get_channel(rid).await? {
        Some(channel) if can_access_room(state, user, &channel).await? => channel,
        _ => return Err(RcError::refused("unauthorized")),
    };
    if channel.delete_at != 0 {
        return Err(RcError::typed(
            "error-room-archived",
            &format!("The channel, {}, is archived", channel.name),
        ));
    }
    Ok(channel)
}

/// What the message carrying a file says (the multipart fields of
/// `rooms.upload`, the body of `rooms.mediaConfirm`).
struct FileMessage {
    msg: Option<String>,
    description: Option<String>,
    tmid: Option<String>,
}

impl FileMessage {
    /// Check the fields before anything is stored; the thread root `tmid` names.
    async fn checked(&self, state: &Core, channel: &Channel) -> RcResult<Option<String>> {
        check_size(self.msg.as_deref().unwrap_or_default())?;
        if let Some(description) = &self.description {
            check_size(description)?;
        }
        match self.tmid.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(tmid) => Ok(Some(thread_root(state, channel, tmid).await?)),
            None => Ok(None),
        }
    }
}

/// Post the message carrying `file` (Rocket.Chat's `sendFileMessage`) and
/// answer it as the upload endpoints do.
async fn send_file_message<T: serde::de::DeserializeOwned>(
    state: &Core,
    user: &User,
    channel: &Channel,
    file: FileInfo,
    fields: FileMessage,
    root_id: Option<String>,
) -> RcResult<T> {
    let message = NewMessage {
        text: fields.msg.unwrap_or_default(),
        file_ids: vec![file.id],
        file_description: fields.description,
        root_id,
        ..NewMessage::default()
    };
    let post = post_message(state, channel, user, message).await?;
    let document = wire::full_message(state, &post, Some(user)).await?;
    wire::typed("upload answer", json!({"message": document, "success": true}))
}

/// Store the file part of a multipart body for `user` in `channel`.
async fn store_file(state: &Core, user: &User, channel: &Channel, file: UploadedFile) -> RcResult<FileInfo> {
    Ok(files::upload(
        state,
        user,
        channel,
        &file.filename,
        file.content_type.as_deref(),
        &file.data,
    )
    .await?)
}

pub(crate) async fn rooms_upload(
    state: &Core,
    caller: Caller,
    request: rooms_upload::Request,
) -> RcResult<rooms_upload::Response> {
    let channel = upload_room(state, &caller.user, &request.rid).await?;
    let file = the_file(request.files)?;
    let fields = FileMessage {
        msg: request.body.msg,
        description: request.body.description,
        tmid: request.body.tmid,
    };
    let root_id = fields.checked(state, &channel).await?;
    let info = store_file(state, &caller.user, &channel, file).await?;
    Ok(rooms_upload::Response::Ok(
        send_file_message(state, &caller.user, &channel, info, fields, root_id).await?,
    ))
}

pub(crate) async fn rooms_media(
    state: &Core,
    caller: Caller,
    request: rooms_media::Request,
) -> RcResult<rooms_media::Response> {
    let channel = upload_room(state, &caller.user, &request.rid).await?;
    let file = the_file(request.files)?;
    let info = store_file(state, &caller.user, &channel, file).await?;
    Ok(rooms_media::Response::Ok(wire::typed(
        "rooms.media answer",
        json!({"file": {"_id": info.id, "url": wire::file_url(&info)}, "success": true}),
    )?))
}

pub(crate) async fn rooms_media_confirm(
    state: &Core,
    caller: Caller,
    request: rooms_media_confirm::Request,
) -> RcResult<rooms_media_confirm::Response> {
    let channel = upload_room(state, &caller.user, &request.rid).await?;
    // Rocket.Chat's findOneByIdAndUserIdAndRoomId; a file is posted once.
    let info = state
        .read()
        .get_file_info(&request.file_id)
        .await?
        .filter(|f| f.user_id == caller.user.id && f.channel_id == channel.id && f.post_id.is_empty())
        .ok_or_else(|| RcError::bare("invalid-file"))?;
    let fields = match request.body {
        Some(rooms_media_confirm::Body::Json(body) | rooms_media_confirm::Body::Form(body)) => FileMessage {
            msg: body.msg,
            description: body.description,
            tmid: body.tmid,
        },
        None => FileMessage {
            msg: None,
            description: None,
            tmid: None,
        },
    };
    let root_id = fields.checked(state, &channel).await?;
    Ok(rooms_media_confirm::Response::Ok(
        send_file_message(state, &caller.user, &channel, info, fields, root_id).await?,
    ))
}
