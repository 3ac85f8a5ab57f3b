//! One stream of "something happened", for whoever wants to know: the
//! dialects' outgoing triggers (see [`crate::delivery::Outgoing`]) and, later,
//! live views such as a web UI or a WebSocket.
//!
//! Events are published after the write they describe has committed. The bus
//! is per process: several instances on one database each see their own
//! writes' events (deliveries, which must not be lost, go through the durable
//! queue instead).

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::store::{Channel, DeliveryJob, FileInfo, Post, Reaction, User};

/// Something that happened in the domain.
// Events travel behind an `Arc`, built once each: boxing the big variant
// would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A post was stored. `author` is the post's user.
    PostCreated { post: Post, channel: Channel, author: User },
    /// A post's message, props or files changed; `post` is the new version.
    PostEdited { post: Post, channel: Channel, author: User },
    /// `by` deleted a post (one event per post: a root's replies go with it).
    PostDeleted { post: Post, channel: Channel, by: User },
    /// `user` reacted to `post`.
    ReactionAdded {
        reaction: Reaction,
        post: Post,
        channel: Channel,
        user: User,
    },
    /// A reaction was taken back.
    ReactionRemoved {
        reaction: Reaction,
        post: Post,
        channel: Channel,
        user: User,
    },
    /// A channel was created by `creator`.
    ChannelCreated { channel: Channel, creator: User },
    /// `user` became a member of `channel`.
    ChannelJoined { channel: Channel, user: User },
    /// `user` stopped being a member of `channel`.
    ChannelLeft { channel: Channel, user: User },
    /// `by` archived `channel` (which now has its `delete_at`).
    ChannelArchived { channel: Channel, by: User },
    /// `by` deleted `channel` for good ([`crate::channels::delete_channel`]):
    /// its memberships went with it, so `member_ids` says who belonged to it
    /// when it went, for the live views that tell them (Rocket.Chat's
    /// `rooms-changed`/`subscriptions-changed` `removed`, Mattermost's
    /// `channel_deleted`).
    ChannelDeleted {
        channel: Channel,
        by: User,
        member_ids: Vec<String>,
    },
    /// An account was created.
    UserCreated { user: User },
    /// A post shown to `user_id` only, now, and never stored.
    EphemeralPost {
        post: Post,
        channel: Channel,
        user_id: String,
    },
    /// `user` uploaded a file into `channel` (no post carries it yet).
    FileUploaded {
        file: FileInfo,
        channel: Channel,
        user: User,
    },
    /// An outgoing delivery was attempted (or dropped) and `job` is its new
    /// state: `pending` again when it will be retried.
    DeliveryFinished { job: DeliveryJob },
    /// Credentials of `user_id` stopped working: the session or personal
    /// access token `token` (logged out, revoked, disabled), or with `None`
    /// every one of them (the user was deactivated). Live connections they
    /// authenticated (the Mattermost WebSocket) end on it, as REST requests
    /// with them are refused. See [`crate::sessions`].
    AccessRevoked { user_id: String, token: Option<String> },
    /// An integration opened a dialog for `dialog.user_id`
    /// ([`crate::dialogs::open`]); only that user's live connections show it.
    DialogOpened { dialog: crate::dialogs::OpenDialog },
}

impl Event {
    /// The name deliveries record as their trigger.
    pub fn name(&self) -> &'static str {
        match self {
            Event::PostCreated { .. } => "post_created",
            Event::PostEdited { .. } => "post_edited",
            Event::PostDeleted { .. } => "post_deleted",
            Event::ReactionAdded { .. } => "reaction_added",
            Event::ReactionRemoved { .. } => "reaction_removed",
            Event::ChannelCreated { .. } => "channel_created",
            Event::ChannelJoined { .. } => "channel_joined",
            Event::ChannelLeft { .. } => "channel_left",
            Event::ChannelArchived { .. } => "channel_archived",
            Event::ChannelDeleted { .. } => "channel_deleted",
            Event::UserCreated { .. } => "user_created",
            Event::FileUploaded { .. } => "file_uploaded",
            Event::EphemeralPost { .. } => "ephemeral_post",
            Event::DeliveryFinished { .. } => "delivery_finished",
            Event::AccessRevoked { .. } => "access_revoked",
            Event::DialogOpened { .. } => "dialog_opened",
        }
    }
}

/// Events buffered per subscriber before a slow one starts missing them.
const CAPACITY: usize = 1024;

/// The broadcast bus. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl EventBus {
    /// Tell every subscriber. Nobody listening is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.sender.send(Arc::new(event));
    }

    /// Receive every event published from now on. A subscriber that falls more
    /// than [`CAPACITY`] events behind gets `RecvError::Lagged` and goes on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_see_what_is_published_after_they_subscribe() {
        let bus = EventBus::default();
        bus.publish(Event::UserCreated {
            user: test_user("early"),
        });
        let mut receiver = bus.subscribe();
        bus.publish(Event::UserCreated {
            user: test_user("late"),
        });
        let event = receiver.recv().await.unwrap();
        let Event::UserCreated { user } = event.as_ref() else {
            panic!("unexpected {event:?}");
        };
        assert_eq!(user.username, "late");
        assert_eq!(event.name(), "user_created");
    }

    fn test_user(username: &str) -> User {
        User {
            id: username.to_owned(),
            create_at: 0,
            update_at: 0,
            delete_at: 0,
            username: username.to_owned(),
            email: String::new(),
            email_verified: false,
            first_name: String::new(),
            last_name: String::new(),
            nickname: String::new(),
            password_hash: String::new(),
            last_password_update: 0,
            roles: String::new(),
            locale: String::new(),
            props: serde_json::json!({}),
            notify_props: serde_json::json!({}),
            timezone: serde_json::json!({}),
            is_bot: false,
        }
    }
}
