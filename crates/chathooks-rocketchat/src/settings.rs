//! Checking an integration's settings (the body of `integrations.create` and
//! `integrations.update`) as Rocket.Chat's `add/updateIncomingIntegration` and
//! `add/updateOutgoingIntegration` methods do: same checks, same order, same
//! error ids, and the method's name in `details.method`.
//!
//! The bodies are handled as JSON objects with the wire's field names, so one
//! code path serves the four body types of the spec, and what is checked is
//! exactly what gets stored in the integration's document.

use serde_json::{Map, Value};

use super::auth::{Kind, has_permission, is_member};
use super::error::{RcError, RcResult};
use super::rooms::{active_user, check_entry, entries};
use chathooks_core::Core;
use chathooks_core::store::User;

/// Every event Rocket.Chat's outgoing integrations know.
pub(crate) const EVENTS: &[&str] = &[
    "sendMessage",
    "messageEdited",
    "messageDeleted",
    "fileUploaded",
    "roomJoined",
    "roomLeft",
    "roomArchived",
    "roomCreated",
    "userCreated",
];

/// `channel` entries that watch every room of a type; they need
/// `manage-outgoing-integrations` itself.
pub(crate) const ALL_ROOMS: &[&str] = &["all_public_channels", "all_private_groups", "all_direct_messages"];

/// Events that happen in a room, so their integrations name rooms in `channel`.
fn uses_channel(event: &str) -> bool {
    matches!(
        event,
        "sendMessage" | "messageEdited" | "messageDeleted" | "fileUploaded" | "roomJoined" | "roomLeft"
    )
}

/// Events filtered by `triggerWords`.
fn uses_trigger_words(event: &str) -> bool {
    event == "sendMessage"
}

/// Events whose replies may go to a `targetRoom`.
fn uses_target_room(event: &str) -> bool {
    matches!(event, "sendMessage" | "fileUploaded" | "userCreated")
}

/// Editable fields copied as given, when present.
const COMMON_FIELDS: &[&str] = &[
    "name",
    "enabled",
    "scriptEnabled",
    "alias",
    "avatar",
    "emoji",
    "script",
    "scriptEngine",
];
const INCOMING_FIELDS: &[&str] = &["overrideDestinationChannelEnabled"];
const OUTGOING_FIELDS: &[&str] = &[
    "triggerWordAnywhere",
    "token",
    "runOnEdits",
    "retryFailedCalls",
    "retryCount",
    "retryDelay",
    "impersonateUser",
];

/// Who is checking what.
pub(crate) struct Check<'a> {
    pub caller: &'a User,
    /// Rocket.Chat's method name, e.g. `addIncomingIntegration`.
    pub method: &'static str,
    /// The stored document, when updating.
    pub current: Option<&'a Value>,
}

impl Check<'_> {
    fn error(&self, id: &str, message: &str) -> RcError {
        RcError::typed(id, message).in_method(self.method)
    }

    async fn may_manage_all(&self, state: &Core, kind: Kind) -> RcResult<bool> {
        has_permission(state, self.caller, kind.manage_all()).await
    }
}

/// The fields to write into the integration's document: a `Null` value means
/// "remove this field".
pub(crate) type Fields = Map<String, Value>;

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn copy(body: &Map<String, Value>, keys: &[&str], out: &mut Fields) {
    for key in keys {
        if let Some(value) = body.get(*key) {
            out.insert((*key).to_owned(), value.clone());
        }
    }
}

/// A list of strings, trimmed, blanks dropped.
fn string_list(body: &Map<String, Value>, key: &str) -> Vec<String> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The post-as user: `username` from the body, else (updates of incoming
/// integrations) the current one.
async fn post_as(state: &Core, check: &Check<'_>, body: &Map<String, Value>) -> RcResult<User> {
    let current = check
        .current
        .and_then(|doc| doc.get("username"))
        .and_then(Value::as_str);
    let username = text(body, "username").or(current).unwrap_or_default().trim();
    if username.is_empty() {
        return Err(check.error("error-invalid-username", "Invalid username"));
    }
    active_user(state, username)
        .await?
        .ok_or_else(|| check.error("error-invalid-user", "Invalid user"))
}

/// Check one `#room` / `@user` entry: it must exist, and unless the caller
/// holds both `manage-*-integrations` and `manage-own-*-integrations`
/// (Rocket.Chat's `hasAllPermission`), they must be subscribed to it. For
/// `@user` Rocket.Chat looks for a subscription to a room whose id is the
/// user's id, which never exists: such callers may not name users at all
/// (an integration on `@alice` would read, or post into, her direct messages).
async fn check_room_entry(state: &Core, check: &Check<'_>, kind: Kind, entry: &str) -> RcResult<()> {
    if !entry.starts_with(['#', '@']) {
        return Err(check.error(
            "error-invalid-channel-start-with-chars",
            "Invalid channel. Start with @ or #",
        ));
    }
    let privileged =
        check.may_manage_all(state, kind).await? && has_permission(state, check.caller, kind.manage_own()).await?;
    match check_entry(state, entry).await? {
        None => Err(check.error("error-invalid-room", "Invalid room")),
        Some(_) if privileged => Ok(()),
        Some(Some(room)) if is_member(state, check.caller, &room).await? => Ok(()),
        Some(_) => Err(check.error("error-invalid-channel", "Invalid Channel")),
    }
}

/// An incoming integration posts as `user`. Rocket.Chat lets anyone who may
/// create one name any user; this server allows it only to holders of
/// `manage-incoming-integrations` (administrators by default): others post
/// as themselves, or they could post as an administrator into rooms they
/// cannot reach.
fn require_self_unless_manager(check: &Check<'_>, user: &User, manages_all: bool) -> RcResult<()> {
    if manages_all || user.id == check.caller.id {
        Ok(())
    } else {
        Err(check.error("error-invalid-user", "Invalid user"))
    }
}

fn base_fields(integration_type: &str, user: &User, channels: Vec<String>) -> Fields {
    let mut out = Fields::new();
    out.insert("type".into(), integration_type.into());
    out.insert("username".into(), user.username.clone().into());
    out.insert("userId".into(), user.id.clone().into());
    out.insert("channel".into(), channels.into());
    out
}

/// Check the settings of an incoming integration.
pub(crate) async fn incoming(state: &Core, check: &Check<'_>, body: &Map<String, Value>) -> RcResult<Fields> {
    let channels = entries(text(body, "channel").unwrap_or_default());
    if channels.is_empty() {
        return Err(check.error("error-invalid-channel", "Invalid Channel"));
    }
    if channels.iter().any(|entry| !entry.starts_with(['#', '@'])) {
        return Err(check.error(
            "error-invalid-channel-start-with-chars",
            "Invalid channel. Start with @ or #",
        ));
    }
    let user = post_as(state, check, body).await?;
    let manages_all = check.may_manage_all(state, Kind::Incoming).await?;
    if text(body, "username").is_some() || check.current.is_none() {
        require_self_unless_manager(check, &user, manages_all)?;
    }
    for entry in &channels {
        check_room_entry(state, check, Kind::Incoming, entry).await?;
    }
    let mut out = base_fields(chathooks_core::store::RC_WEBHOOK_INCOMING, &user, channels);
    copy(body, COMMON_FIELDS, &mut out);
    copy(body, INCOMING_FIELDS, &mut out);
    Ok(out)
}

/// Check the settings of an outgoing integration.
pub(crate) async fn outgoing(state: &Core, check: &Check<'_>, body: &Map<String, Value>) -> RcResult<Fields> {
    let event = text(body, "event").unwrap_or_default().trim();
    if !EVENTS.contains(&event) {
        return Err(check.error("error-invalid-event-type", "Invalid event type"));
    }
    if text(body, "username").is_none_or(|u| u.trim().is_empty()) {
        return Err(check.error("error-invalid-username", "Invalid username"));
    }
    let channels = if uses_channel(event) {
        let channels = entries(text(body, "channel").unwrap_or_default());
        if channels.is_empty() {
            return Err(check.error("error-invalid-channel", "Invalid Channel"));
        }
        channels
    } else {
        Vec::new()
    };
    let urls = string_list(body, "urls");
    if urls.is_empty() || !urls.iter().all(|u| valid_url(u)) {
        return Err(check.error("error-invalid-urls", "Invalid URLs"));
    }
    for entry in &channels {
        if ALL_ROOMS.contains(&entry.as_str()) {
            if !check.may_manage_all(state, Kind::Outgoing).await? {
                return Err(check.error("error-invalid-channel", "Invalid Channel"));
            }
            continue;
        }
        check_room_entry(state, check, Kind::Outgoing, entry).await?;
    }
    let target_room = target_room(state, check, event, body).await?;
    let user = post_as(state, check, body).await?;

    let mut out = base_fields(chathooks_core::store::RC_WEBHOOK_OUTGOING, &user, channels);
    out.insert("event".into(), event.into());
    out.insert("urls".into(), urls.into());
    let trigger_words = if uses_trigger_words(event) {
        string_list(body, "triggerWords")
    } else {
        Vec::new()
    };
    out.insert(
        "triggerWords".into(),
        if trigger_words.is_empty() {
            Value::Null
        } else {
            trigger_words.into()
        },
    );
    if let Some(target_room) = target_room {
        out.insert("targetRoom".into(), target_room);
    }
    copy(body, COMMON_FIELDS, &mut out);
    copy(body, OUTGOING_FIELDS, &mut out);
    Ok(out)
}

/// The `targetRoom` field to write: checked when given, required by
/// `userCreated`, dropped for events that do not use it. `None`: leave it as is.
async fn target_room(
    state: &Core,
    check: &Check<'_>,
    event: &str,
    body: &Map<String, Value>,
) -> RcResult<Option<Value>> {
    if !uses_target_room(event) {
        return Ok(Some(Value::Null));
    }
    let invalid = || check.error("error-invalid-targetRoom", "Invalid Target Room");
    let given = text(body, "targetRoom").map(str::trim);
    let current = check
        .current
        .and_then(|doc| doc.get("targetRoom"))
        .and_then(Value::as_str);
    if event == "userCreated" && given.or(current).is_none_or(str::is_empty) {
        return Err(invalid());
    }
    match given {
        None => Ok(None),
        Some("") => Ok(Some(Value::Null)),
        Some(room) => {
            if !room.starts_with(['#', '@']) || check_entry(state, room).await?.is_none() {
                return Err(invalid());
            }
            Ok(Some(room.into()))
        }
    }
}

/// An absolute http(s) URL with a host.
fn valid_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(valid_url("https://example.com/hook"));
        assert!(valid_url("http://127.0.0.1:8080"));
        assert!(!valid_url("example.com/hook"));
        assert!(!valid_url("ftp://example.com"));
        assert!(!valid_url("http://"));
    }

    #[test]
    fn event_uses() {
        assert!(uses_channel("sendMessage") && uses_trigger_words("sendMessage") && uses_target_room("sendMessage"));
        assert!(!uses_channel("roomCreated") && !uses_channel("userCreated") && !uses_channel("roomArchived"));
        assert!(uses_target_room("userCreated") && !uses_trigger_words("roomJoined"));
        assert!(EVENTS.iter().all(|e| !e.is_empty()));
    }
}
