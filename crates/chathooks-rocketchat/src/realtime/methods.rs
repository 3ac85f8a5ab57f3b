//! The Realtime API's methods, each through the same checks as its REST twin
//! (`apps/meteor/server/methods` and `app/lib/server/methods` in Rocket.Chat).
//!
//! Where a REST operation does the same thing, the method calls that
//! operation's function with the request it would have received, and turns
//! its answer or error into the method's ([`meteor_error`]). Logging in and
//! out change the session and live in [`super::session`]; the rest get the
//! logged-in caller.

use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::store::{CHANNEL_DIRECT, CHANNEL_OPEN, Channel, User};
use chathooks_rocketchat_server::ops;
use chathooks_rocketchat_types as types;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::ddp::{MeteorError, MethodResult};
use super::ejson;
use super::streams;
use crate::auth::{Permission, can_access_room, has_permission};
use crate::chat::{self, NewMessage};
use crate::error::RcError;
use crate::rooms;
use crate::wire;

/// The most messages `loadHistory` returns at once.
const HISTORY_MAX: u32 = 1000;
/// The most members `getUsersOfRoom` reads.
const MEMBERS_MAX: u32 = 10_000;
/// The presence states `UserPresence:setDefaultStatus` accepts.
const STATUSES: [&str; 4] = ["online", "away", "busy", "offline"];
/// Where `UserPresence:setDefaultStatus` keeps the status, in the user's props.
pub(super) const PROP_DEFAULT_STATUS: &str = "rc_default_status";

/// Whether `name` is a method this module serves (other than login and
/// logout, which the session handles).
pub(super) fn serves(name: &str) -> bool {
    matches!(
        name,
        "sendMessage"
            | "updateMessage"
            | "deleteMessage"
            | "setReaction"
            | "joinRoom"
            | "leaveRoom"
            | "getRoomIdByNameOrId"
            | "createDirectMessage"
            | "rooms/get"
            | "subscriptions/get"
            | "getUsersOfRoom"
            | "loadHistory"
            | "UserPresence:setDefaultStatus"
    )
}

/// Call method `name` as `caller`.
pub(super) async fn call(core: &Core, caller: &Caller, name: &str, params: &[Value]) -> MethodResult {
    let result = match name {
        "sendMessage" => send_message(core, caller, params).await,
        "updateMessage" => update_message(core, caller, params).await,
        "deleteMessage" => delete_message(core, caller, params).await,
        "setReaction" => set_reaction(core, caller, params).await,
        "joinRoom" => join_room(core, caller, params).await,
        "leaveRoom" => leave_room(core, caller, params).await,
        "getRoomIdByNameOrId" => room_id_by_name_or_id(core, caller, params).await,
        "createDirectMessage" => create_direct_message(core, caller, params).await,
        "rooms/get" => rooms_get(core, caller, params).await,
        "subscriptions/get" => subscriptions_get(core, caller, params).await,
        "getUsersOfRoom" => users_of_room(core, caller, params).await,
        "loadHistory" => load_history(core, caller, params).await,
        "UserPresence:setDefaultStatus" => set_default_status(core, caller, params).await,
        _ => return Err(not_found(name)),
    };
    result.map_err(|error| match error {
        Failure::Meteor(error) => error,
        Failure::Rc(error) => meteor_error(error),
    })
}

/// Meteor's answer to an unknown method.
pub(super) fn not_found(name: &str) -> MeteorError {
    MeteorError::new(404, &format!("Method '{name}' not found"))
}

/// A method's failure: its own `Meteor.Error`, or a REST twin's error.
enum Failure {
    Meteor(MeteorError),
    Rc(RcError),
}

impl From<MeteorError> for Failure {
    fn from(error: MeteorError) -> Self {
        Self::Meteor(error)
    }
}

impl From<RcError> for Failure {
    fn from(error: RcError) -> Self {
        Self::Rc(error)
    }
}

impl From<chathooks_core::store::StoreError> for Failure {
    fn from(error: chathooks_core::store::StoreError) -> Self {
        Self::Rc(error.into())
    }
}

type Outcome = Result<Option<Value>, Failure>;

/// A REST error as the `Meteor.Error` Rocket.Chat's method would throw: a
/// typed error keeps its id and reason (the REST text is `"<reason> [<id>]"`),
/// a missing permission is `error-not-allowed`.
pub(super) fn meteor_error(error: RcError) -> MeteorError {
    match error {
        RcError::BadRequest {
            error,
            error_type: Some(id),
            details,
        } => {
            let reason = error
                .strip_suffix(&format!(" [{id}]"))
                .map(str::to_owned)
                .or_else(|| (error != format!("[{id}]")).then(|| error.clone()));
            MeteorError {
                error: id.into(),
                reason,
                details: (!details.is_empty()).then(|| Box::new(Value::Object(details))),
            }
        }
        RcError::BadRequest { error, .. } => MeteorError::new(400, &error),
        RcError::Unauthorized => MeteorError::new("error-invalid-user", "Invalid user"),
        RcError::Forbidden => MeteorError::new("error-not-allowed", "Not allowed"),
        RcError::Refused(reason) => MeteorError::new("error-not-allowed", &reason),
        RcError::NotFound(reason) => MeteorError::new(404, &reason),
        RcError::ServiceUnavailable => MeteorError::new(503, "Service Unavailable"),
        RcError::TooManyRequests { error, error_type } => MeteorError::new(error_type.as_str(), &error),
        RcError::Internal(_) => MeteorError::new(500, "Internal server error"),
    }
}

/// Parameter `index` as a string (`check(x, String)`).
fn string(params: &[Value], index: usize) -> Result<String, MeteorError> {
    params
        .get(index)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(MeteorError::match_failed)
}

/// Parameter `index` as an object.
fn object(params: &[Value], index: usize) -> Result<&serde_json::Map<String, Value>, MeteorError> {
    params
        .get(index)
        .and_then(Value::as_object)
        .ok_or_else(MeteorError::match_failed)
}

/// A REST body from JSON (a shape the REST schema refuses is a failed check).
fn body<T: DeserializeOwned>(value: Value) -> Result<T, MeteorError> {
    serde_json::from_value(value).map_err(|_| MeteorError::match_failed())
}

/// A live room the caller may read, or Rocket.Chat's `error-not-allowed`.
async fn readable_room(core: &Core, user: &User, rid: &str, method: &str) -> Result<Channel, Failure> {
    let not_allowed = || MeteorError::new("error-not-allowed", "Not allowed").in_method(method);
    let room = rooms::live_channel(core, rid).await?.ok_or_else(not_allowed)?;
    if !can_access_room(core, user, &room).await? {
        return Err(not_allowed().into());
    }
    Ok(room)
}

/// `sendMessage({_id?, rid, msg, tmid?, alias?, emoji?, avatar?, attachments?})`:
/// the message as stored.
async fn send_message(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let post = post_message_object(core, caller, object(params, 0)?).await?;
    Ok(Some(ejson::dates(wire::message(&post, Some(&caller.user)))))
}

/// `chat.sendMessage`: the `sendMessage` method over REST (Rocket.Chat's
/// route calls the method), its `Meteor.Error`s as REST errors.
pub(crate) async fn send_message_rest(
    core: &Core,
    caller: &Caller,
    message: &serde_json::Map<String, Value>,
) -> Result<chathooks_core::store::Post, RcError> {
    post_message_object(core, caller, message)
        .await
        .map_err(|failure| match failure {
            Failure::Rc(error) => error,
            Failure::Meteor(error) => rest_error(error),
        })
}

/// A `Meteor.Error` thrown inside a REST route, as Rocket.Chat answers it:
/// `"<reason> [<id>]"` with the id as `errorType` (a numeric id, as
/// `check()` throws, has no `errorType`).
fn rest_error(error: MeteorError) -> RcError {
    let details = match error.details.map(|d| *d) {
        Some(Value::Object(details)) => details,
        _ => serde_json::Map::new(),
    };
    match (error.error, error.reason) {
        (Value::String(id), Some(reason)) => RcError::BadRequest {
            error: format!("{reason} [{id}]"),
            error_type: Some(id),
            details,
        },
        (Value::String(id), None) => RcError::bare(&id),
        (_, reason) => RcError::failure(reason.unwrap_or_else(|| "Bad request".into())),
    }
}

/// Check and store a message object as `caller`.
async fn post_message_object(
    core: &Core,
    caller: &Caller,
    message: &serde_json::Map<String, Value>,
) -> Result<chathooks_core::store::Post, Failure> {
    let text = |key: &str| message.get(key).and_then(Value::as_str).map(str::to_owned);
    let Some(rid) = text("rid") else {
        return Err(MeteorError::match_failed().into());
    };
    if let Some(id) = message.get("_id")
        && !id.as_str().is_some_and(valid_message_id)
    {
        return Err(MeteorError::match_failed().into());
    }
    let room = readable_room(core, &caller.user, &rid, "sendMessage").await?;
    let impersonates = ["alias", "emoji", "avatar"]
        .iter()
        .any(|key| text(key).is_some_and(|v| !v.is_empty()));
    if impersonates && !has_permission(core, &caller.user, Permission::MessageImpersonate).await? {
        return Err(MeteorError::new("error-action-not-allowed", "Not allowed")
            .in_method("sendMessage")
            .into());
    }
    let root_id = match text("tmid").filter(|t| !t.is_empty()) {
        Some(tmid) => {
            let root = chathooks_core::posts::live_post(core, &tmid).await?;
            match root {
                Some(root) if root.channel_id == room.id => {
                    Some(if root.root_id.is_empty() { root.id } else { root.root_id })
                }
                _ => {
                    return Err(MeteorError::new("error-invalid-message", "Invalid message")
                        .in_method("sendMessage")
                        .into());
                }
            }
        }
        None => None,
    };
    let attachments = match message.get("attachments") {
        Some(Value::Array(items)) => items.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(MeteorError::match_failed().into()),
    };
    let new = NewMessage {
        id: text("_id"),
        text: text("msg").unwrap_or_default(),
        alias: text("alias"),
        avatar: text("avatar"),
        emoji: text("emoji"),
        attachments,
        root_id,
        ..NewMessage::default()
    };
    if new.is_empty() {
        return Err(MeteorError::new("error-invalid-params", "The 'msg' param is required")
            .in_method("sendMessage")
            .into());
    }
    Ok(chat::post_message(core, &room, &caller.user, new).await?)
}

/// Ids a client may give its message: Meteor's and this server's alphabets,
/// of a sensible length.
fn valid_message_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `updateMessage({_id, rid, msg})`, as `chat.update`.
async fn update_message(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let message = object(params, 0)?;
    let text = |key: &str| message.get(key).and_then(Value::as_str).map(str::to_owned);
    let (Some(id), Some(msg)) = (text("_id"), text("msg")) else {
        return Err(MeteorError::match_failed().into());
    };
    let rid = match text("rid") {
        Some(rid) => rid,
        None => original_room(core, &id, "updateMessage").await?,
    };
    let request = ops::chat_update::Request {
        body: ops::chat_update::Body::Json(body(json!({"roomId": rid, "msgId": id, "text": msg}))?),
    };
    chat::chat_update(core, caller.clone(), request).await?;
    Ok(None)
}

/// The room of message `id`, or Rocket.Chat's refusal when there is none.
async fn original_room(core: &Core, id: &str, method: &str) -> Result<String, Failure> {
    match chathooks_core::posts::live_post(core, id).await? {
        Some(post) => Ok(post.channel_id),
        None => Err(MeteorError::new("error-action-not-allowed", "Not allowed")
            .in_method(method)
            .into()),
    }
}

/// `deleteMessage({_id})`, as `chat.delete`.
async fn delete_message(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let message = object(params, 0)?;
    let Some(id) = message.get("_id").and_then(Value::as_str) else {
        return Err(MeteorError::match_failed().into());
    };
    let rid = original_room(core, id, "deleteMessage").await?;
    let request = ops::chat_delete::Request {
        body: ops::chat_delete::Body::Json(body(json!({"roomId": rid, "msgId": id}))?),
    };
    chat::chat_delete(core, caller.clone(), request).await?;
    Ok(None)
}

/// `setReaction(reaction, messageId, shouldReact?)`, as `chat.react`.
async fn set_reaction(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let reaction = string(params, 0)?;
    let message_id = string(params, 1)?;
    let should_react = match params.get(2) {
        None | Some(Value::Null) => None,
        Some(Value::Bool(value)) => Some(*value),
        Some(_) => return Err(MeteorError::match_failed().into()),
    };
    let request = ops::chat_react::Request {
        body: ops::chat_react::Body::Json(body(json!({
            "messageId": message_id,
            "emoji": reaction,
            "shouldReact": should_react,
        }))?),
    };
    chat::chat_react(core, caller.clone(), request).await?;
    Ok(None)
}

/// `joinRoom(rid)`, as `channels.join`: public rooms only.
async fn join_room(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let rid = string(params, 0)?;
    if let Some(room) = core.read().get_channel(&rid).await?
        && room.channel_type != CHANNEL_OPEN
    {
        return Err(MeteorError::new("error-not-allowed", "Not allowed")
            .in_method("joinRoom")
            .into());
    }
    let request = ops::channels_join::Request {
        body: ops::channels_join::Body::Json(body(json!({"roomId": rid}))?),
    };
    rooms::channels_join(core, caller.clone(), request)
        .await
        .map_err(|error| invalid_room(error, "joinRoom"))?;
    Ok(Some(true.into()))
}

/// A REST "no such room" is the method's `error-invalid-room`.
fn invalid_room(error: RcError, method: &str) -> Failure {
    match &error {
        RcError::BadRequest {
            error_type: Some(id), ..
        } if id == "error-room-not-found" => MeteorError::new("error-invalid-room", "Invalid room")
            .in_method(method)
            .into(),
        _ => error.into(),
    }
}

/// `leaveRoom(rid)`, as `channels.leave`.
async fn leave_room(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let rid = string(params, 0)?;
    let request = ops::channels_leave::Request {
        body: ops::channels_leave::Body::Json(body(json!({"roomId": rid}))?),
    };
    rooms::channels_leave(core, caller.clone(), request)
        .await
        .map_err(|error| invalid_room(error, "leaveRoom"))?;
    Ok(None)
}

/// `getRoomIdByNameOrId(nameOrId)`: the id of a room the caller may read.
async fn room_id_by_name_or_id(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let name = string(params, 0)?;
    let not_allowed = || MeteorError::new("error-not-allowed", "Not allowed").in_method("getRoomIdByNameOrId");
    let room = match rooms::live_channel(core, &name).await? {
        Some(room) => room,
        None => rooms::room_by_name_or_id(core, &name).await?.ok_or_else(not_allowed)?,
    };
    if !can_access_room(core, &caller.user, &room).await? {
        return Err(not_allowed().into());
    }
    Ok(Some(room.id.into()))
}

/// `createDirectMessage(username)`, as `im.create`: the room, its id as `rid`.
async fn create_direct_message(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let usernames: Vec<String> = params
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()
        .ok_or_else(MeteorError::match_failed)?;
    let [username] = usernames.as_slice() else {
        // Group direct messages are not modelled: one other user at a time.
        return Err(MeteorError::new("error-invalid-user", "Invalid user")
            .in_method("createDirectMessage")
            .into());
    };
    let request = ops::im_create::Request {
        body: ops::im_create::Body::Json(body::<types::ImCreateBody>(json!({"username": username}))?),
    };
    let ops::im_create::Response::Ok(answer) = rooms::im_create(core, caller.clone(), request).await? else {
        return Err(MeteorError::new(500, "Internal server error").into());
    };
    // Rocket.Chat answers the room without its `_id`, as `rid`.
    let mut room = serde_json::to_value(answer.room).map_err(RcError::internal)?;
    if let Value::Object(fields) = &mut room
        && let Some(id) = fields.remove("_id")
    {
        fields.insert("rid".into(), id);
        fields.insert("t".into(), "d".into());
    }
    Ok(Some(ejson::dates(room)))
}

/// The rooms `user` is a member of: those of each team, then the direct
/// rooms (which belong to no team), oldest first.
async fn member_rooms(core: &Core, user: &User) -> Result<Vec<Channel>, Failure> {
    const PAGE: u32 = 200;
    let mut rooms = Vec::new();
    for team in core.read().list_user_teams(&user.id).await? {
        for page in 0.. {
            let channels = core.read().list_team_channels(&team.id, page, PAGE).await?;
            for channel in &channels {
                if channel.delete_at == 0
                    && channel.channel_type != CHANNEL_DIRECT
                    && core.read().get_channel_member(&channel.id, &user.id).await?.is_some()
                {
                    rooms.push(channel.clone());
                }
            }
            if channels.len() < PAGE as usize {
                break;
            }
        }
    }
    for page in 0.. {
        let direct = core.read().list_user_direct_channels(&user.id, page, PAGE).await?;
        let last = direct.len() < PAGE as usize;
        rooms.extend(direct);
        if last {
            break;
        }
    }
    Ok(rooms)
}

/// `rooms/get(updatedSince?)` and `subscriptions/get(updatedSince?)`: every
/// document, or `{update, remove}` with those changed since the date.
async fn documents_since<F, Fut>(core: &Core, caller: &Caller, params: &[Value], document: F) -> Outcome
where
    F: Fn(Channel) -> Fut,
    Fut: Future<Output = Result<Value, Failure>>,
{
    let since = match params.first() {
        None | Some(Value::Null) => None,
        Some(value) => Some(ejson::read_date(value).ok_or_else(MeteorError::match_failed)?),
    };
    let mut documents = Vec::new();
    for room in member_rooms(core, &caller.user).await? {
        if since.is_none_or(|since| room.update_at.max(room.last_post_at) > since) {
            documents.push(document(room).await?);
        }
    }
    Ok(Some(match since {
        None => Value::Array(documents),
        Some(_) => json!({"update": documents, "remove": []}),
    }))
}

async fn rooms_get(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    documents_since(core, caller, params, |room| async move {
        Ok(ejson::dates(crate::rooms_info::room_document(core, &room).await?))
    })
    .await
}

async fn subscriptions_get(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    documents_since(core, caller, params, |room| async move {
        Ok(streams::subscription(core, &room, &caller.user).await?)
    })
    .await
}

/// `getUsersOfRoom(rid, showAll, {limit, skip}, filter)`: `{total, records}`.
async fn users_of_room(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let rid = string(params, 0)?;
    let show_all = params.get(1).and_then(Value::as_bool).unwrap_or(false);
    let options = params.get(2).and_then(Value::as_object);
    let number = |key: &str| options.and_then(|o| o.get(key)).and_then(Value::as_u64);
    let limit = number("limit").map_or(usize::MAX, |n| n as usize);
    let skip = number("skip").unwrap_or(0) as usize;
    let filter = params.get(3).and_then(Value::as_str).unwrap_or_default().to_lowercase();
    let not_allowed = || MeteorError::new("error-not-allowed", "Not allowed").in_method("getUsersOfRoom");
    let room = rooms::live_channel(core, &rid).await?.ok_or_else(not_allowed)?;
    if !can_access_room(core, &caller.user, &room).await? {
        return Err(MeteorError::new("not-authorized", "Not Authorized")
            .in_method("getUsersOfRoom")
            .into());
    }
    let mut users = Vec::new();
    let per_page = 200;
    for page in 0..MEMBERS_MAX / per_page {
        let members = core.read().list_channel_members(&room.id, page, per_page).await?;
        for member in &members {
            if let Some(user) = core.read().get_user(&member.user_id).await? {
                users.push(user);
            }
        }
        if members.len() < per_page as usize {
            break;
        }
    }
    let total = users.iter().filter(|u| u.delete_at == 0).count();
    let records: Vec<Value> = users
        .iter()
        .filter(|u| show_all || u.delete_at == 0)
        .filter(|u| {
            filter.is_empty()
                || u.username.to_lowercase().contains(&filter)
                || wire::display_name(u).to_lowercase().contains(&filter)
        })
        .skip(skip)
        .take(limit)
        .map(|u| {
            json!({
                "_id": u.id,
                "username": u.username,
                "name": wire::display_name(u),
                "status": if u.delete_at == 0 { "online" } else { "offline" },
                "_updatedAt": ejson::date(u.update_at),
            })
        })
        .collect();
    Ok(Some(json!({"total": total, "records": records})))
}

/// `loadHistory(rid, end?, limit = 20, ls?)`: `{messages, unreadNotLoaded}`,
/// newest first, before `end`; `false` for a room the caller may not read.
async fn load_history(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let rid = string(params, 0)?;
    let end = match params.get(1) {
        None | Some(Value::Null) => None,
        Some(value) => Some(ejson::read_date(value).ok_or_else(MeteorError::match_failed)?),
    };
    let limit = match params.get(2) {
        None | Some(Value::Null) => 20,
        Some(value) => value
            .as_u64()
            .ok_or_else(MeteorError::match_failed)?
            .min(HISTORY_MAX.into()) as u32,
    };
    let Some(room) = rooms::live_channel(core, &rid).await? else {
        return Ok(Some(false.into()));
    };
    if !can_access_room(core, &caller.user, &room).await? {
        return Ok(Some(false.into()));
    }
    let latest = end.map_or(i64::MAX, |end| end - 1);
    let posts = core
        .read()
        .list_channel_posts_between(&room.id, i64::MIN, latest, 0, limit)
        .await?;
    let messages: Vec<Value> = wire::messages(core, &posts)
        .await?
        .into_iter()
        .map(ejson::dates)
        .collect();
    Ok(Some(json!({"messages": messages, "unreadNotLoaded": 0})))
}

/// `UserPresence:setDefaultStatus(status)`: kept in the user's props; `true`.
async fn set_default_status(core: &Core, caller: &Caller, params: &[Value]) -> Outcome {
    let status = string(params, 0)?;
    if !STATUSES.contains(&status.as_str()) {
        return Err(MeteorError::match_failed().into());
    }
    let stored =
        chathooks_core::accounts::set_user_prop(core, &caller.user.id, PROP_DEFAULT_STATUS, status.into()).await?;
    if stored.is_none() {
        return Err(MeteorError::invalid_user("UserPresence:setDefaultStatus").into());
    }
    Ok(Some(true.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_errors_become_the_methods_meteor_errors() {
        let typed = meteor_error(RcError::typed("error-not-allowed", "Not allowed").in_method("setReaction"));
        assert_eq!(typed.error, "error-not-allowed");
        assert_eq!(typed.reason.as_deref(), Some("Not allowed"));
        assert_eq!(typed.details.as_deref(), Some(&json!({"method": "setReaction"})));
        let bare = meteor_error(RcError::bare("error-file-too-large"));
        assert_eq!(bare.reason, None);
        assert_eq!(meteor_error(RcError::failure("No message")).error, 400);
        assert_eq!(meteor_error(RcError::Forbidden).error, "error-not-allowed");
    }

    #[test]
    fn message_ids_are_checked() {
        assert!(valid_message_id("aB3_-x"));
        assert!(!valid_message_id(""));
        assert!(!valid_message_id("a b"));
        assert!(!valid_message_id(&"a".repeat(65)));
    }
}
