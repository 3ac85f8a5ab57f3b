//! Posts: create (which may fire outgoing hooks of both APIs, through the
//! core), read, edit, patch, delete, threads, ephemeral posts, and list a
//! channel's.

use chathooks_core::permissions::{Permission, has_system_permission};
use chathooks_mattermost_server::ops::{
    create_post, create_post_ephemeral, delete_post, get_post, get_post_thread, get_posts_for_channel, patch_post,
    update_post,
};
use chathooks_mattermost_types as types;
use serde_json::{Map, Value};

use super::auth::{Caller, can_read_channel, has_team_permission, is_system_admin, is_team_member};
use super::channels::live_channel;
use super::convert;
use super::error::{ApiError, ApiResult};
use chathooks_core::Core;
use chathooks_core::ids::is_valid_id;
use chathooks_core::markup::MAX_POST_RUNES;
use chathooks_core::posts::{
    PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_EMOJI, PROP_OVERRIDE_ICON_URL, PROP_OVERRIDE_USERNAME,
    PROP_WEBHOOK_DISPLAY_NAME, is_from_webhook, live_post, new_post,
};
use chathooks_core::store::{Channel, Post, User, now_ms};

/// Most files one post carries (Mattermost's limit).
const MAX_FILES_PER_POST: usize = 10;

pub(crate) fn post_not_found() -> ApiError {
    ApiError::not_found("app.post.get.app_error", "Unable to get the post.")
}

fn too_long() -> ApiError {
    ApiError::bad_request("model.post.is_valid.msg.app_error", "Invalid message.")
}

/// A live post and its channel, if the caller may read them.
async fn readable_post(state: &Core, caller: &Caller, post_id: &str) -> ApiResult<(Post, Channel)> {
    if !is_valid_id(post_id) {
        return Err(ApiError::invalid_url_param("post_id"));
    }
    let post = live_post(state, post_id).await?.ok_or_else(post_not_found)?;
    let channel = state
        .read()
        .get_channel(&post.channel_id)
        .await?
        .ok_or_else(post_not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    Ok((post, channel))
}

/// A post the caller may change: their own (in a channel they can read),
/// or anyone's with `others` in the channel's team. Archived channels
/// refuse changes.
async fn changeable_post(
    state: &Core,
    caller: &Caller,
    post_id: &str,
    others: Permission,
) -> ApiResult<(Post, Channel, User)> {
    let (post, channel) = readable_post(state, caller, post_id).await?;
    if post.user_id != caller.user.id && !has_team_permission(state, &caller.user, &channel.team_id, others).await? {
        return Err(ApiError::forbidden());
    }
    if channel.delete_at != 0 {
        return Err(ApiError::bad_request(
            "api.post.update_post.can_not_update_post_in_deleted.error",
            "Can not update a post in a deleted channel.",
        ));
    }
    let author = state
        .read()
        .get_user(&post.user_id)
        .await?
        .ok_or_else(super::users::user_not_found)?;
    Ok((post, channel, author))
}

/// The props a client may set: a webhook post keeps what marks it as one;
/// no other post may claim to be one.
fn client_props(old: &Post, mut props: Map<String, Value>) -> Value {
    props.remove(PROP_FROM_WEBHOOK);
    if is_from_webhook(old) {
        for key in [
            PROP_FROM_WEBHOOK,
            PROP_WEBHOOK_DISPLAY_NAME,
            PROP_OVERRIDE_USERNAME,
            PROP_OVERRIDE_ICON_URL,
            PROP_OVERRIDE_ICON_EMOJI,
        ] {
            if let Some(value) = old.props.get(key) {
                props.insert(key.to_owned(), value.clone());
            }
        }
    }
    Value::Object(props)
}

/// The files of `ids` that `user` uploaded into `channel` and no post
/// carries yet; other ids are dropped, as Mattermost does.
async fn own_unattached_files(
    state: &Core,
    user: &User,
    channel: &Channel,
    ids: Vec<String>,
) -> ApiResult<Vec<String>> {
    let mut kept = Vec::new();
    for id in ids.into_iter().take(MAX_FILES_PER_POST) {
        if kept.contains(&id) || !is_valid_id(&id) {
            continue;
        }
        let usable = state
            .read()
            .get_file_info(&id)
            .await?
            .is_some_and(|f| f.user_id == user.id && f.channel_id == channel.id && f.post_id.is_empty());
        if usable {
            kept.push(id);
        }
    }
    Ok(kept)
}

/// Posting (and uploading) needs membership of the channel; a public
/// channel's team members and system admins may too.
pub(crate) async fn may_post(state: &Core, user: &User, channel: &Channel) -> ApiResult<bool> {
    Ok(is_system_admin(user)
        || state.read().get_channel_member(&channel.id, &user.id).await?.is_some()
        || (channel.channel_type == "O" && is_team_member(state, user, &channel.team_id).await?))
}

pub(crate) async fn create_post(
    state: &Core,
    caller: Caller,
    request: create_post::Request,
) -> ApiResult<create_post::Response> {
    let body = request.body;
    if !is_valid_id(&body.channel_id) {
        return Err(ApiError::invalid_body_param("channel_id"));
    }
    if body.message.chars().count() > MAX_POST_RUNES {
        return Err(ApiError::bad_request(
            "model.post.is_valid.msg.app_error",
            "Invalid message.",
        ));
    }
    let channel = live_channel(state, &body.channel_id).await?;
    if !may_post(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    let mut post = new_post(&channel.id, &caller.user.id, body.message);
    if let Some(root_id) = body.root_id.filter(|r| !r.is_empty()) {
        let root = state
            .read()
            .get_post(&root_id)
            .await?
            .filter(|p| p.delete_at == 0 && p.channel_id == channel.id);
        if root.is_none() {
            return Err(ApiError::bad_request(
                "api.post.create_post.root_id.app_error",
                "Invalid RootId parameter.",
            ));
        }
        post.root_id = root_id;
    }
    // Clients may not pose as webhooks: that would also dodge loop protection.
    let mut props = body.props;
    props.remove(PROP_FROM_WEBHOOK);
    post.props = Value::Object(props);
    post.file_ids = own_unattached_files(state, &caller.user, &channel, body.file_ids).await?;
    let post = chathooks_core::posts::create_post(state, post, &channel, &caller.user).await?;
    chathooks_core::files::attach_files(state, &post.id, &post.file_ids, post.create_at).await?;
    Ok(create_post::Response::Created(convert::post(&post)))
}

pub(crate) async fn get_posts_for_channel(
    state: &Core,
    caller: Caller,
    request: get_posts_for_channel::Request,
) -> ApiResult<get_posts_for_channel::Response> {
    if !is_valid_id(&request.channel_id) {
        return Err(ApiError::invalid_url_param("channel_id"));
    }
    let channel = live_channel(state, &request.channel_id).await?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    let (page, per_page) = super::paging(request.page, request.per_page);
    let mut posts = state.read().list_channel_posts(&channel.id, page, per_page).await?;
    if let Some(since) = request.since {
        posts.retain(|p| p.update_at >= since);
    }
    Ok(get_posts_for_channel::Response::Ok(post_list(&posts)))
}

pub(crate) async fn get_post(
    state: &Core,
    caller: Caller,
    request: get_post::Request,
) -> ApiResult<get_post::Response> {
    let (post, _) = readable_post(state, &caller, &request.post_id).await?;
    Ok(get_post::Response::Ok(convert::post(&post)))
}

pub(crate) async fn update_post(
    state: &Core,
    caller: Caller,
    request: update_post::Request,
) -> ApiResult<update_post::Response> {
    let body = request.body;
    if body.id.as_deref().is_some_and(|id| id != request.post_id) {
        return Err(ApiError::invalid_body_param("id"));
    }
    let change = Change {
        message: Some(body.message),
        props: body.props,
        is_pinned: body.is_pinned,
        file_ids: body.file_ids,
    };
    let edited = edit(state, &caller, &request.post_id, change).await?;
    Ok(update_post::Response::Ok(convert::post(&edited)))
}

pub(crate) async fn patch_post(
    state: &Core,
    caller: Caller,
    request: patch_post::Request,
) -> ApiResult<patch_post::Response> {
    let body = request.body;
    let change = Change {
        message: body.message,
        props: body.props,
        is_pinned: body.is_pinned,
        file_ids: body.file_ids,
    };
    let edited = edit(state, &caller, &request.post_id, change).await?;
    Ok(patch_post::Response::Ok(convert::post(&edited)))
}

/// What an update or a patch changes; `None` leaves a field as it is.
struct Change {
    message: Option<String>,
    props: Option<Map<String, Value>>,
    is_pinned: Option<bool>,
    file_ids: Option<Vec<String>>,
}

/// Apply `change` to the post `post_id` on behalf of `caller`, as an edit.
async fn edit(state: &Core, caller: &Caller, post_id: &str, change: Change) -> ApiResult<Post> {
    let (mut post, channel, author) = changeable_post(state, caller, post_id, Permission::EditOthersPosts).await?;
    if let Some(message) = change.message {
        if message.chars().count() > MAX_POST_RUNES {
            return Err(too_long());
        }
        post.message = message;
    }
    if let Some(props) = change.props {
        post.props = client_props(&post, props);
    }
    if let Some(pinned) = change.is_pinned {
        post.is_pinned = pinned;
    }
    if let Some(file_ids) = change.file_ids {
        post.file_ids = keep_or_add_files(state, caller, &channel, &post, file_ids).await?;
    }
    let edited = chathooks_core::posts::edit_post(state, post, &channel, &author).await?;
    chathooks_core::files::attach_files(state, &edited.id, &edited.file_ids, edited.update_at).await?;
    Ok(edited)
}

/// A post's new file list: the files it carries already, plus the caller's
/// unattached uploads in its channel.
async fn keep_or_add_files(
    state: &Core,
    caller: &Caller,
    channel: &Channel,
    post: &Post,
    wanted: Vec<String>,
) -> ApiResult<Vec<String>> {
    let (kept, new): (Vec<String>, Vec<String>) = wanted.into_iter().partition(|id| post.file_ids.contains(id));
    let mut files = kept;
    for id in own_unattached_files(state, &caller.user, channel, new).await? {
        if files.len() < MAX_FILES_PER_POST && !files.contains(&id) {
            files.push(id);
        }
    }
    Ok(files)
}

pub(crate) async fn delete_post(
    state: &Core,
    caller: Caller,
    request: delete_post::Request,
) -> ApiResult<delete_post::Response> {
    let (post, channel, _) = changeable_post(state, &caller, &request.post_id, Permission::DeleteOthersPosts).await?;
    chathooks_core::posts::delete_post(state, &post, &channel, &caller.user).await?;
    Ok(delete_post::Response::Ok(super::status_ok()))
}

pub(crate) async fn get_post_thread(
    state: &Core,
    caller: Caller,
    request: get_post_thread::Request,
) -> ApiResult<get_post_thread::Response> {
    let (post, _) = readable_post(state, &caller, &request.post_id).await?;
    let mut thread = chathooks_core::posts::thread_of(state, &post).await?;
    thread.reverse();
    Ok(get_post_thread::Response::Ok(post_list(&thread)))
}

/// Posts in display order (as given), keyed by id.
pub(crate) fn post_list(posts: &[Post]) -> types::PostList {
    types::PostList {
        order: posts.iter().map(|p| p.id.clone()).collect(),
        posts: posts.iter().map(|p| (p.id.clone(), convert::post(p))).collect(),
        next_post_id: String::new(),
        prev_post_id: String::new(),
        has_next: Some(false),
    }
}

pub(crate) async fn create_post_ephemeral(
    state: &Core,
    caller: Caller,
    request: create_post_ephemeral::Request,
) -> ApiResult<create_post_ephemeral::Response> {
    if !has_system_permission(state, &caller.user, Permission::CreateEphemeralPost).await? {
        return Err(ApiError::forbidden());
    }
    let body = request.body;
    if !is_valid_id(&body.user_id) {
        return Err(ApiError::invalid_body_param("user_id"));
    }
    if !is_valid_id(&body.post.channel_id) {
        return Err(ApiError::invalid_body_param("channel_id"));
    }
    if body.post.message.chars().count() > MAX_POST_RUNES {
        return Err(too_long());
    }
    state
        .read()
        .get_user(&body.user_id)
        .await?
        .ok_or_else(super::users::user_not_found)?;
    let channel = live_channel(state, &body.post.channel_id).await?;
    let mut post = new_post(&channel.id, &caller.user.id, body.post.message);
    post.post_type = "system_ephemeral".into();
    post.props = Value::Object(body.post.props);
    post.create_at = now_ms();
    chathooks_core::posts::show_ephemeral(state, post.clone(), &channel, &body.user_id);
    Ok(create_post_ephemeral::Response::Created(convert::post(&post)))
}
