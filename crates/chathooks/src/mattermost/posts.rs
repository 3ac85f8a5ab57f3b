//! Posts: create (which may fire outgoing hooks of both APIs, through the
//! core) and list a channel's.

use std::collections::HashMap;

use chathooks_mattermost_server::ops::{create_post, get_posts_for_channel};
use chathooks_mattermost_types as types;

use super::auth::{Caller, can_read_channel, is_system_admin, is_team_member};
use super::channels::live_channel;
use super::convert;
use super::error::{ApiError, ApiResult};
use crate::Core;
use crate::ids::is_valid_id;
use crate::markup::MAX_POST_RUNES;
use crate::posts::{PROP_FROM_WEBHOOK, new_post};
use crate::store::Store;

pub async fn create_post(
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
    let member = state
        .store
        .get_channel_member(&channel.id, &caller.user.id)
        .await?
        .is_some();
    let may_post = member
        || is_system_admin(&caller.user)
        || (channel.channel_type == "O" && is_team_member(state, &caller.user, &channel.team_id).await?);
    if !may_post {
        return Err(ApiError::forbidden());
    }
    let mut post = new_post(&channel.id, &caller.user.id, body.message);
    if let Some(root_id) = body.root_id.filter(|r| !r.is_empty()) {
        let root = state
            .store
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
    post.props = serde_json::Value::Object(props);
    post.file_ids = body.file_ids;
    let post = crate::posts::create_post(state, post, &channel, &caller.user).await?;
    Ok(create_post::Response::Created(convert::post(&post)))
}

pub async fn get_posts_for_channel(
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
    let mut posts = state.store.list_channel_posts(&channel.id, page, per_page).await?;
    if let Some(since) = request.since {
        posts.retain(|p| p.update_at >= since);
    }
    let order: Vec<String> = posts.iter().map(|p| p.id.clone()).collect();
    let map: HashMap<String, types::Post> = posts.iter().map(|p| (p.id.clone(), convert::post(p))).collect();
    Ok(get_posts_for_channel::Response::Ok(types::PostList {
        order,
        posts: map,
        next_post_id: String::new(),
        prev_post_id: String::new(),
        has_next: Some(false),
    }))
}
