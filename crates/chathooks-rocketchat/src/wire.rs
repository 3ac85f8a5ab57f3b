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

use chathooks_core::Core;
use chathooks_core::posts::actions::without_action_integrations;
use chathooks_core::posts::{
    PROP_ATTACHMENTS, PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_EMOJI, PROP_OVERRIDE_ICON_URL, PROP_OVERRIDE_USERNAME,
};
use chathooks_core::store::{CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, FileInfo, Post, Reaction, User};

/// Post prop naming the Rocket.Chat integration that posted a message: the
/// message's `bot.i`.
pub(crate) const PROP_INTEGRATION_ID: &str = "rc_integration_id";
/// Post prop holding who last edited a message through this API (`{_id,
/// username}`): the message's `editedBy`.
pub(crate) const PROP_EDITED_BY: &str = "rc_edited_by";
/// Post prop holding the description of the file a message carries
/// (`rooms.upload`'s `description`), shown in the file's attachment.
pub(crate) const PROP_FILE_DESCRIPTION: &str = "rc_file_description";

/// Read a JSON document into a generated wire type. A mismatch is a bug in
/// this server (a document that does not follow the spec), hence a 500.
pub(crate) fn typed<T: DeserializeOwned>(what: &str, value: Value) -> RcResult<T> {
    serde_json::from_value(value).map_err(|error| RcError::internal(format!("{what} does not match the spec: {error}")))
}

/// A user's display name: first and last name, else nickname, else username.
pub(crate) fn display_name(user: &User) -> String {
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
pub(crate) fn roles(user: &User) -> Vec<&'static str> {
    if user.is_system_admin() {
        vec!["admin", "user"]
    } else {
        vec!["user"]
    }
}

/// The `User` document.
pub(crate) fn user(user: &User) -> Value {
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
pub(crate) fn user_ref(user: &User) -> Value {
    json!({"_id": user.id, "username": user.username, "name": display_name(user)})
}

/// A message's `editedBy`: who edited it, as Rocket.Chat records it.
pub(crate) fn edited_by(user: &User) -> Value {
    json!({"_id": user.id, "username": user.username})
}

/// Rocket.Chat's room type letter of a channel.
pub(crate) fn room_type(channel: &Channel) -> &'static str {
    match channel.channel_type.as_str() {
        CHANNEL_OPEN => "c",
        CHANNEL_PRIVATE => "p",
        _ => "d",
    }
}

/// The `Room` document of a channel.
pub(crate) async fn room(state: &Core, channel: &Channel) -> RcResult<Value> {
    let members = state.read().count_channel_members(&channel.id).await?;
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
    if channel.delete_at != 0 {
        room["archived"] = true.into();
    }
    if let Some(creator) = state.read().get_user(&channel.creator_id).await? {
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
pub(crate) fn is_from_integration(post: &Post) -> bool {
    prop(post, PROP_FROM_WEBHOOK) == Some("true")
}

/// The `Message` document of a post. `author` is the post's user (a message
/// by a deleted account shows its id only).
pub(crate) fn message(post: &Post, author: Option<&User>) -> Value {
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
    // Actions' integrations (Mattermost interactive messages) stay on the server.
    let props = without_action_integrations(&post.props);
    if let Some(attachments) = props.get(PROP_ATTACHMENTS).filter(|a| a.is_array()) {
        message.insert("attachments".into(), attachments.clone());
    }
    if is_from_integration(post) {
        let id = prop(post, PROP_INTEGRATION_ID).unwrap_or_default();
        message.insert("bot".into(), json!({"i": id}));
    }
    if !post.root_id.is_empty() {
        message.insert("tmid".into(), post.root_id.clone().into());
    }
    if post.edit_at != 0 {
        message.insert("editedAt".into(), iso(post.edit_at).into());
        if let Some(by) = post.props.get(PROP_EDITED_BY).filter(|by| by.get("_id").is_some()) {
            message.insert("editedBy".into(), by.clone());
        }
    }
    Value::Object(message)
}

/// What a message shows besides its post: the files it carries and who
/// reacted how. `usernames` resolves reacting users' ids.
pub(crate) fn with_extras(
    mut message: Value,
    post: &Post,
    files: &[FileInfo],
    reactions: &[Reaction],
    usernames: &HashMap<String, String>,
) -> Value {
    if !files.is_empty() {
        let refs: Vec<Value> = files.iter().map(file_ref).collect();
        message["file"] = refs[0].clone();
        message["files"] = Value::Array(refs);
        let description = prop(post, PROP_FILE_DESCRIPTION);
        let mut attachments = match message.get("attachments") {
            Some(Value::Array(existing)) => existing.clone(),
            _ => Vec::new(),
        };
        for (index, file) in files.iter().enumerate() {
            attachments.push(file_attachment(file, if index == 0 { description } else { None }));
        }
        message["attachments"] = Value::Array(attachments);
    }
    if !reactions.is_empty() {
        let mut by_emoji = Map::new();
        for reaction in reactions {
            let Some(username) = usernames.get(&reaction.user_id) else {
                continue;
            };
            let entry = by_emoji
                .entry(format!(":{}:", reaction.emoji_name))
                .or_insert_with(|| json!({"usernames": []}));
            if let Some(Value::Array(names)) = entry.get_mut("usernames") {
                names.push(username.clone().into());
            }
        }
        message["reactions"] = Value::Object(by_emoji);
    }
    message
}

/// A file as a message lists it (`file`, `files`).
pub(crate) fn file_ref(file: &FileInfo) -> Value {
    json!({
        "_id": file.id,
        "name": file.name,
        "type": file.mime_type,
        "size": file.size,
        "format": file.extension.to_uppercase(),
    })
}

/// Where Rocket.Chat serves an upload: `/file-upload/{id}/{name}` (the name
/// URL-encoded as `encodeURI` does).
pub(crate) fn file_url(file: &FileInfo) -> String {
    const KEEP: &str = "-_.!~*'();/?:@&=+$,#";
    let mut name = String::new();
    for byte in file.name.bytes() {
        if byte.is_ascii_alphanumeric() || KEEP.as_bytes().contains(&byte) {
            name.push(char::from(byte));
        } else {
            name.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("/file-upload/{}/{name}", file.id)
}

/// The attachment Rocket.Chat's `sendFileMessage` gives a file (images also
/// show as one).
fn file_attachment(file: &FileInfo, description: Option<&str>) -> Value {
    let url = file_url(file);
    let mut attachment = json!({
        "title": file.name,
        "type": "file",
        "title_link": url,
        "title_link_download": true,
        "format": file.extension.to_uppercase(),
        "size": file.size,
    });
    if let Some(description) = description {
        attachment["description"] = description.into();
    }
    if file.mime_type.starts_with("image/") {
        attachment["image_url"] = url.into();
        attachment["image_type"] = file.mime_type.clone().into();
        attachment["image_size"] = file.size.into();
        if file.width > 0 && file.height > 0 {
            attachment["image_dimensions"] = json!({"width": file.width, "height": file.height});
        }
    }
    attachment
}

/// The whole `Message` document of one post: [`message`] with its files
/// and reactions.
pub(crate) async fn full_message(state: &Core, post: &Post, author: Option<&User>) -> RcResult<Value> {
    let mut authors = HashMap::new();
    if let Some(author) = author {
        authors.insert(author.id.clone(), Some(author.clone()));
    }
    let mut documents = documents(state, std::slice::from_ref(post), &mut authors).await?;
    Ok(documents.pop().unwrap_or(Value::Null))
}

/// `Message` documents of several posts, looking each author up once.
pub(crate) async fn messages(state: &Core, posts: &[Post]) -> RcResult<Vec<Value>> {
    documents(state, posts, &mut HashMap::new()).await
}

async fn documents(state: &Core, posts: &[Post], users: &mut HashMap<String, Option<User>>) -> RcResult<Vec<Value>> {
    let mut out = Vec::with_capacity(posts.len());
    for post in posts {
        let files = if post.file_ids.is_empty() {
            Vec::new()
        } else {
            state.read().list_post_files(&post.id).await?
        };
        let reactions = state.read().list_reactions(&post.id).await?;
        let mut usernames = HashMap::new();
        for id in reactions.iter().map(|r| &r.user_id).chain([&post.user_id]) {
            if !users.contains_key(id) {
                let user = state.read().get_user(id).await?;
                users.insert(id.clone(), user);
            }
            if let Some(Some(user)) = users.get(id) {
                usernames.insert(id.clone(), user.username.clone());
            }
        }
        let author = users.get(&post.user_id).and_then(Option::as_ref);
        out.push(with_extras(message(post, author), post, &files, &reactions, &usernames));
    }
    Ok(out)
}
