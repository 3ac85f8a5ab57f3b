//! Stored records as Rocket.Chat documents.
//!
//! Documents are built as JSON (the way Rocket.Chat stores them, and the way
//! integrations are kept in the store) and then read into the generated wire
//! types, which checks them against the spec's shapes on the way out.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::error::{RcError, RcResult};
use super::time::iso;

use crate::Core;
use crate::posts::{
    PROP_ATTACHMENTS, PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_EMOJI, PROP_OVERRIDE_ICON_URL, PROP_OVERRIDE_USERNAME,
};
use crate::store::{CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, Post, Store, User};

/// Post prop naming the Rocket.Chat integration that posted a message: the
/// message's `bot.i`.
pub const PROP_INTEGRATION_ID: &str = "rc_integration_id";

/// Read a JSON document into a generated wire type. A mismatch is a bug in
/// this server (a document that does not follow the spec), hence a 500.
pub fn typed<T: DeserializeOwned>(what: &str, value: Value) -> RcResult<T> {
    serde_json::from_value(value).map_err(|error| RcError::internal(format!("{what} does not match the spec: {error}")))
}

/// A user's display name: first and last name, else nickname, else username.
pub fn display_name(user: &User) -> String {
    let full = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
    if !full.is_empty() {
        full
    } else if !user.nickname.is_empty() {
        user.nickname.clone()
    } else {
        user.username.clone()
    }
}

/// Rocket.Chat's roles of a user: `admin` for system administrators.
pub fn roles(user: &User) -> Vec<&'static str> {
    if user.is_system_admin() {
        vec!["admin", "user"]
    } else {
        vec!["user"]
    }
}

/// The `User` document.
pub fn user(user: &User) -> Value {
    json!({
        "_id": user.id,
        "username": user.username,
        "name": display_name(user),
        "emails": [{"address": user.email, "verified": user.email_verified}],
        "status": if user.delete_at == 0 { "online" } else { "offline" },
        "active": user.delete_at == 0,
        "roles": roles(user),
        "type": "user",
        "utcOffset": 0,
    })
}

/// The `UserRef` of a user (`_createdBy`, a message's `u`...).
pub fn user_ref(user: &User) -> Value {
    json!({"_id": user.id, "username": user.username, "name": display_name(user)})
}

/// Rocket.Chat's room type letter of a channel.
pub fn room_type(channel: &Channel) -> &'static str {
    match channel.channel_type.as_str() {
        CHANNEL_OPEN => "c",
        CHANNEL_PRIVATE => "p",
        _ => "d",
    }
}

/// The `Room` document of a channel.
pub async fn room(state: &Core, channel: &Channel) -> RcResult<Value> {
    let members = state.store.count_channel_members(&channel.id).await?;
    let mut room = json!({
        "_id": channel.id,
        "name": channel.name,
        "fname": if channel.display_name.is_empty() { &channel.name } else { &channel.display_name },
        "t": room_type(channel),
        "msgs": channel.total_msg_count,
        "usersCount": members,
        "ts": iso(channel.create_at),
        "ro": false,
        "default": false,
        "sysMes": true,
        "_updatedAt": iso(channel.update_at.max(channel.last_post_at)),
    });
    if let Some(creator) = state.store.get_user(&channel.creator_id).await? {
        room["u"] = json!({"_id": creator.id, "username": creator.username});
    }
    Ok(room)
}

fn prop<'a>(post: &'a Post, key: &str) -> Option<&'a str> {
    post.props.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// Whether an integration or webhook posted `post`: such messages never fire
/// outgoing integrations (a reply answering a reply would loop). The mark is
/// the Mattermost API's, so loop protection holds across both APIs.
pub fn is_from_integration(post: &Post) -> bool {
    prop(post, PROP_FROM_WEBHOOK) == Some("true")
}

/// The `Message` document of a post. `author` is the post's user (a message
/// by a deleted account shows its id only).
pub fn message(post: &Post, author: Option<&User>) -> Value {
    let mut message = Map::new();
    message.insert("_id".into(), post.id.clone().into());
    message.insert("rid".into(), post.channel_id.clone().into());
    message.insert("msg".into(), post.message.clone().into());
    message.insert("ts".into(), iso(post.create_at).into());
    message.insert(
        "u".into(),
        match author {
            Some(author) => user_ref(author),
            None => json!({"_id": post.user_id}),
        },
    );
    message.insert("_updatedAt".into(), iso(post.update_at).into());
    message.insert("groupable".into(), false.into());
    for (field, key) in [
        ("alias", PROP_OVERRIDE_USERNAME),
        ("avatar", PROP_OVERRIDE_ICON_URL),
        ("emoji", PROP_OVERRIDE_ICON_EMOJI),
    ] {
        if let Some(value) = prop(post, key) {
            message.insert(field.into(), value.into());
        }
    }
    if let Some(attachments) = post.props.get(PROP_ATTACHMENTS).filter(|a| a.is_array()) {
        message.insert("attachments".into(), attachments.clone());
    }
    if is_from_integration(post) {
        let id = prop(post, PROP_INTEGRATION_ID).unwrap_or_default();
        message.insert("bot".into(), json!({"i": id}));
    }
    if !post.root_id.is_empty() {
        message.insert("tmid".into(), post.root_id.clone().into());
    }
    Value::Object(message)
}

/// `Message` documents of several posts, looking each author up once.
pub async fn messages(state: &Core, posts: &[Post]) -> RcResult<Vec<Value>> {
    let mut authors: HashMap<String, Option<User>> = HashMap::new();
    let mut out = Vec::with_capacity(posts.len());
    for post in posts {
        if !authors.contains_key(&post.user_id) {
            let author = state.store.get_user(&post.user_id).await?;
            authors.insert(post.user_id.clone(), author);
        }
        let author = authors.get(&post.user_id).and_then(Option::as_ref);
        out.push(message(post, author));
    }
    Ok(out)
}
