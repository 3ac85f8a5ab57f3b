//! The streams a session subscribes to, and the core's events as their
//! frames.
//!
//! Rocket.Chat's streamer (`server/modules/streamer`, configured in the
//! notifications module) publishes each stream as `stream-<name>`, with the
//! event name and options as the subscription's parameters
//! (`["<event>", {"useCollection": false, "args": []}]`), and sends each event
//! as a `changed` of the stream's collection ([`ddp::changed`]). Who may
//! subscribe and who receives what follows its read and emit rules:
//!
//! - `stream-room-messages`, event `<rid>`: whoever may read the room; its new
//!   and edited messages (and a message whose reactions changed).
//!   Event `__my_messages__`: the messages of every room the user may read,
//!   with `{roomParticipant, roomType, roomName}` as second argument.
//! - `stream-notify-user`, event `<uid>/<name>`: only that user. `message`
//!   (ephemeral messages), `rooms-changed` and `subscriptions-changed`
//!   (`["inserted"|"updated"|"removed", document]`), `notification` (a new
//!   message in a direct room or mentioning the user). Other names (`otr`,
//!   `webrtc`...) are accepted and stay quiet.
//! - `stream-notify-room`, event `<rid>/<name>`: members of the room.
//!   `typing` (`[username, typing]`, from the `stream-notify-room` method),
//!   `deleteMessage` (`[{_id}]`).
//! - `stream-notify-all` and `stream-notify-logged` are accepted (the SDK
//!   subscribes to them) and stay quiet.

use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::events::Event;
use chathooks_core::store::{CHANNEL_DIRECT, Channel, Post, User};
use serde_json::{Value, json};

use super::ddp::{self, MeteorError};
use super::ejson;
use crate::auth::{can_access_room, is_member};
use crate::wire;

pub(super) const ROOM_MESSAGES: &str = "stream-room-messages";
pub(super) const NOTIFY_USER: &str = "stream-notify-user";
pub(super) const NOTIFY_ROOM: &str = "stream-notify-room";
const NOTIFY_ALL: &str = "stream-notify-all";
const NOTIFY_LOGGED: &str = "stream-notify-logged";
/// The event of `stream-room-messages` that carries every readable room's messages.
pub(super) const MY_MESSAGES: &str = "__my_messages__";

/// What one subscription listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// `stream-room-messages` of one room.
    Room(String),
    /// `stream-room-messages` `__my_messages__`.
    MyMessages,
    /// `stream-notify-user` `<uid>/<event>` (the uid is the session's user).
    User(String),
    /// `stream-notify-room` `<rid>/<event>`.
    RoomNotify { rid: String, event: String },
    /// A stream accepted for compatibility that sends nothing.
    Quiet,
}

/// A subscription of the session.
#[derive(Debug, Clone)]
pub(super) struct Subscription {
    /// The stream's name (`stream-room-messages`), for the sessions list.
    pub stream: &'static str,
    pub target: Target,
    /// The event name subscribed to, as frames name it.
    pub event_name: String,
}

/// The subscription `sub` asks for, if `caller` may have it.
pub(super) async fn subscribe(
    core: &Core,
    caller: Option<&Caller>,
    name: &str,
    params: &[Value],
) -> Result<Subscription, MeteorError> {
    let known = [ROOM_MESSAGES, NOTIFY_USER, NOTIFY_ROOM, NOTIFY_ALL, NOTIFY_LOGGED];
    if !known.contains(&name) {
        return Err(MeteorError::new(404, &format!("Subscription '{name}' not found")));
    }
    let event_name = match params.first() {
        Some(Value::String(event)) if !event.is_empty() => event.clone(),
        Some(Value::String(_)) => return Err(MeteorError::bare("invalid-event-name")),
        _ => return Err(MeteorError::match_failed()),
    };
    let not_allowed = || MeteorError::bare("not-allowed");
    let target = match name {
        ROOM_MESSAGES if event_name == MY_MESSAGES => Target::MyMessages,
        ROOM_MESSAGES => {
            let user = caller.map(|c| &c.user).ok_or_else(not_allowed)?;
            let room = live_room(core, &event_name).await?.ok_or_else(not_allowed)?;
            if !can_access_room(core, user, &room).await.unwrap_or(false) {
                return Err(not_allowed());
            }
            Target::Room(room.id)
        }
        NOTIFY_USER => {
            let user = caller.map(|c| &c.user).ok_or_else(not_allowed)?;
            let (uid, event) = event_name.split_once('/').unwrap_or((&event_name, ""));
            if event == "webrtc" {
                Target::Quiet
            } else if uid != user.id {
                return Err(not_allowed());
            } else {
                Target::User(event.to_owned())
            }
        }
        NOTIFY_ROOM => {
            let (rid, event) = event_name.split_once('/').unwrap_or((&event_name, ""));
            if event == "webrtc" {
                Target::Quiet
            } else {
                let user = caller.map(|c| &c.user).ok_or_else(not_allowed)?;
                let room = live_room(core, rid).await?.ok_or_else(not_allowed)?;
                if !is_member(core, user, &room).await.unwrap_or(false) {
                    return Err(not_allowed());
                }
                Target::RoomNotify {
                    rid: rid.to_owned(),
                    event: event.to_owned(),
                }
            }
        }
        NOTIFY_LOGGED if caller.is_none() => return Err(not_allowed()),
        _ => Target::Quiet,
    };
    let stream = known.into_iter().find(|known| *known == name).unwrap_or_default();
    Ok(Subscription {
        stream,
        target,
        event_name,
    })
}

async fn live_room(core: &Core, id: &str) -> Result<Option<Channel>, MeteorError> {
    crate::rooms::live_channel(core, id)
        .await
        .map_err(super::methods::meteor_error)
}

/// A typing notice from a realtime session (`stream-notify-room` written
/// with `<rid>/typing`), to the room's other sessions.
#[derive(Debug, Clone)]
pub(super) struct Typing {
    pub rid: String,
    pub username: String,
    pub typing: bool,
    /// The session that sent it, which does not get it back.
    pub from_session: String,
}

/// The frames `typing` makes for a session of `user` with `subscriptions`.
pub(super) async fn typing_frames(
    core: &Core,
    user: &User,
    subscriptions: &[Subscription],
    typing: &Typing,
) -> Vec<Value> {
    let wanted: Vec<&Subscription> = subscriptions
        .iter()
        .filter(|s| matches!(&s.target, Target::RoomNotify { rid, event } if *rid == typing.rid && event == "typing"))
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let member = match core.read().get_channel(&typing.rid).await {
        Ok(Some(room)) => is_member(core, user, &room).await.unwrap_or(false),
        _ => false,
    };
    if !member {
        return Vec::new();
    }
    wanted
        .iter()
        .map(|s| {
            ddp::changed(
                NOTIFY_ROOM,
                &s.event_name,
                vec![typing.username.clone().into(), typing.typing.into()],
            )
        })
        .collect()
}

/// The frames `event` makes for a session of `user` with `subscriptions`.
pub(super) async fn event_frames(
    core: &Core,
    user: &User,
    subscriptions: &[Subscription],
    event: &Event,
) -> Vec<Value> {
    if subscriptions.iter().all(|s| s.target == Target::Quiet) {
        return Vec::new();
    }
    let view = View {
        core,
        user,
        subscriptions,
    };
    match view.frames(event).await {
        Ok(frames) => frames,
        Err(error) => {
            tracing::warn!(?error, event = event.name(), "realtime event not sent");
            Vec::new()
        }
    }
}

struct View<'a> {
    core: &'a Core,
    user: &'a User,
    subscriptions: &'a [Subscription],
}

type ViewResult<T> = Result<T, crate::error::RcError>;

impl View<'_> {
    fn wants_user_event(&self, name: &str) -> Vec<&Subscription> {
        self.subscriptions
            .iter()
            .filter(|s| matches!(&s.target, Target::User(event) if event == name))
            .collect()
    }

    fn user_frames(&self, name: &str, args: &[Value]) -> Vec<Value> {
        self.wants_user_event(name)
            .into_iter()
            .map(|s| ddp::changed(NOTIFY_USER, &s.event_name, args.to_vec()))
            .collect()
    }

    async fn frames(&self, event: &Event) -> ViewResult<Vec<Value>> {
        let mut frames = Vec::new();
        match event {
            Event::PostCreated { post, channel, author } => {
                self.message_frames(post, channel, Some(author), &mut frames).await?;
                if author.id != self.user.id && is_member(self.core, self.user, channel).await? {
                    self.notification(post, channel, author, &mut frames).await?;
                    if !self.wants_user_event("rooms-changed").is_empty() {
                        let mut room = wire::room(self.core, channel).await?;
                        room["lastMessage"] = wire::message(post, Some(author));
                        frames.extend(self.user_frames("rooms-changed", &["updated".into(), ejson::dates(room)]));
                    }
                }
            }
            Event::PostEdited { post, channel, author } => {
                self.message_frames(post, channel, Some(author), &mut frames).await?;
            }
            Event::ReactionAdded { post, channel, .. } | Event::ReactionRemoved { post, channel, .. } => {
                let author = self.core.read().get_user(&post.user_id).await?;
                self.message_frames(post, channel, author.as_ref(), &mut frames).await?;
            }
            Event::PostDeleted { post, channel, .. } => {
                let wanted: Vec<&Subscription> = self
                    .subscriptions
                    .iter()
                    .filter(|s| {
                        matches!(&s.target, Target::RoomNotify { rid, event } if *rid == channel.id && event == "deleteMessage")
                    })
                    .collect();
                if !wanted.is_empty() && is_member(self.core, self.user, channel).await? {
                    for s in wanted {
                        frames.push(ddp::changed(NOTIFY_ROOM, &s.event_name, vec![json!({"_id": post.id})]));
                    }
                }
            }
            Event::EphemeralPost { post, channel, user_id } if *user_id == self.user.id => {
                let mut message = wire::message(post, None);
                message["rid"] = channel.id.clone().into();
                message["groupable"] = false.into();
                frames.extend(self.user_frames("message", &[ejson::dates(message)]));
            }
            Event::ChannelJoined { channel, user } if user.id == self.user.id => {
                self.membership_frames("inserted", channel, &mut frames).await?;
            }
            Event::ChannelCreated { channel, .. } if is_member(self.core, self.user, channel).await? => {
                self.membership_frames("inserted", channel, &mut frames).await?;
            }
            Event::ChannelLeft { channel, user } if user.id == self.user.id => {
                let subscription = json!({"_id": subscription_id(channel, self.user), "rid": channel.id});
                frames.extend(self.user_frames("subscriptions-changed", &["removed".into(), subscription]));
                frames.extend(self.user_frames("rooms-changed", &["removed".into(), json!({"_id": channel.id})]));
            }
            // The memberships went with the room, so the event names who
            // had one; each of them loses the subscription and the room.
            Event::ChannelDeleted {
                channel, member_ids, ..
            } if member_ids.contains(&self.user.id) => {
                let subscription = json!({"_id": subscription_id(channel, self.user), "rid": channel.id});
                frames.extend(self.user_frames("subscriptions-changed", &["removed".into(), subscription]));
                frames.extend(self.user_frames("rooms-changed", &["removed".into(), json!({"_id": channel.id})]));
            }
            Event::ChannelArchived { channel, .. } if is_member(self.core, self.user, channel).await? => {
                let room = ejson::dates(wire::room(self.core, channel).await?);
                frames.extend(self.user_frames("rooms-changed", &["updated".into(), room]));
            }
            _ => {}
        }
        Ok(frames)
    }

    /// `stream-room-messages` frames of a new or changed message.
    async fn message_frames(
        &self,
        post: &Post,
        channel: &Channel,
        author: Option<&User>,
        frames: &mut Vec<Value>,
    ) -> ViewResult<()> {
        let wanted: Vec<&Subscription> = self
            .subscriptions
            .iter()
            .filter(|s| match &s.target {
                Target::Room(rid) => *rid == channel.id,
                Target::MyMessages => true,
                _ => false,
            })
            .collect();
        if wanted.is_empty() || !can_access_room(self.core, self.user, channel).await? {
            return Ok(());
        }
        let message = ejson::dates(wire::full_message(self.core, post, author).await?);
        for s in wanted {
            let mut args = vec![message.clone()];
            if s.target == Target::MyMessages {
                let mut meta = json!({
                    "roomParticipant": is_member(self.core, self.user, channel).await?,
                    "roomType": wire::room_type(channel),
                });
                if channel.channel_type != CHANNEL_DIRECT {
                    meta["roomName"] = channel.name.clone().into();
                }
                args.push(meta);
            }
            frames.push(ddp::changed(ROOM_MESSAGES, &s.event_name, args));
        }
        Ok(())
    }

    /// `notification`: a new message in a direct room of the user, or one
    /// mentioning them (`@username`, `@all`, `@here`).
    async fn notification(
        &self,
        post: &Post,
        channel: &Channel,
        author: &User,
        frames: &mut Vec<Value>,
    ) -> ViewResult<()> {
        if self.wants_user_event("notification").is_empty() {
            return Ok(());
        }
        let direct = channel.channel_type == CHANNEL_DIRECT;
        if !direct && !mentions(&post.message, &self.user.username) {
            return Ok(());
        }
        // As Rocket.Chat's room directives word it (`getNotificationDetails`):
        // a direct message is titled by its sender, a room's by `#name` with
        // the sender before the text.
        let (title, text, name) = if direct {
            (author.username.clone(), post.message.clone(), author.username.clone())
        } else {
            (
                format!("#{}", channel.name),
                format!("{}: {}", author.username, post.message),
                channel.name.clone(),
            )
        };
        let payload = json!({
            "_id": post.id,
            "rid": channel.id,
            "tmid": post.root_id,
            "sender": wire::user_ref(author),
            "type": wire::room_type(channel),
            "message": {"msg": post.message},
            "name": name,
        });
        let notification = json!({"title": title, "text": text, "payload": payload});
        frames.extend(self.user_frames("notification", &[notification]));
        Ok(())
    }

    /// `subscriptions-changed` and `rooms-changed` when the user joined a room.
    async fn membership_frames(&self, action: &str, channel: &Channel, frames: &mut Vec<Value>) -> ViewResult<()> {
        if !self.wants_user_event("subscriptions-changed").is_empty() {
            let subscription = subscription(self.core, channel, self.user).await?;
            frames.extend(self.user_frames("subscriptions-changed", &[action.into(), subscription]));
        }
        if !self.wants_user_event("rooms-changed").is_empty() {
            let room = ejson::dates(wire::room(self.core, channel).await?);
            frames.extend(self.user_frames("rooms-changed", &[action.into(), room]));
        }
        Ok(())
    }
}

/// Does `text` mention `username` (or everyone)?
fn mentions(text: &str, username: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '!' | '?'))
        .filter_map(|word| word.strip_prefix('@'))
        .map(|name| name.trim_end_matches('.'))
        .any(|name| name == username || name == "all" || name == "here")
}

/// The id of `user`'s subscription to `channel` (Rocket.Chat's subscription
/// documents have ids of their own; here the pair names it).
pub(super) fn subscription_id(channel: &Channel, user: &User) -> String {
    format!("{}{}", channel.id, user.id)
}

/// `user`'s subscription document for `channel`, as `subscriptions/get` and
/// `subscriptions-changed` carry it.
pub(super) async fn subscription(core: &Core, channel: &Channel, user: &User) -> ViewResult<Value> {
    let member = core.read().get_channel_member(&channel.id, &user.id).await?;
    let roles: Vec<&str> = member
        .as_ref()
        .map(|m| {
            m.roles
                .split_whitespace()
                .filter(|r| *r == crate::auth::ROLE_CHANNEL_ADMIN)
                .map(|_| "owner")
                .collect()
        })
        .unwrap_or_default();
    let (name, fname) = if channel.channel_type == CHANNEL_DIRECT {
        let other = chathooks_core::channels::direct_channel_peer(&channel.name, &user.id);
        // The other member's username, and their full name as `fname`.
        match core.read().get_user(other).await? {
            Some(other) => (other.username.clone(), wire::display_name(&other)),
            None => (other.to_owned(), other.to_owned()),
        }
    } else {
        let fname = if channel.display_name.is_empty() {
            channel.name.clone()
        } else {
            channel.display_name.clone()
        };
        (channel.name.clone(), fname)
    };
    Ok(json!({
        "_id": subscription_id(channel, user),
        "rid": channel.id,
        "u": {"_id": user.id, "username": user.username},
        "name": name,
        "fname": fname,
        "t": wire::room_type(channel),
        "ts": ejson::date(channel.create_at),
        "ls": ejson::date(channel.last_post_at),
        "_updatedAt": ejson::date(channel.update_at.max(channel.last_post_at)),
        "open": true,
        "alert": false,
        "unread": 0,
        "userMentions": 0,
        "groupMentions": 0,
        "roles": roles,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_whole_names() {
        assert!(mentions("hi @bot", "bot"));
        assert!(mentions("@bot: ping", "bot"));
        assert!(mentions("ping @here.", "bot"));
        assert!(!mentions("hi @bots", "bot"));
        assert!(!mentions("mail bot@example.com", "bot"));
    }
}
