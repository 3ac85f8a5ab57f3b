//! The records the store keeps: plain data, one struct per table.
//!
//! They mirror the wire models of `spec/mattermost.yaml` and `spec/rocketchat.yaml`
//! closely enough that a handler can build every response field from them, but
//! they are not the wire types: the generated crates own those, and a record may
//! hold what must never be sent (a password hash). Hence no serde derives here.
//!
//! Timestamps are milliseconds since the Unix epoch; `delete_at == 0` means live.
//! Free-form JSON (`props`, `notify_props`, Rocket.Chat documents) is a
//! [`serde_json::Value`], stored as JSON text.

use std::fmt;

use serde_json::Value;

/// Roles string of an ordinary Mattermost user.
pub const ROLES_SYSTEM_USER: &str = "system_user";
/// Roles string of a Mattermost system administrator.
pub const ROLES_SYSTEM_ADMIN: &str = "system_admin system_user";
/// Team roles of an ordinary member.
pub const ROLES_TEAM_USER: &str = "team_user";
/// Team roles of a team administrator.
pub const ROLES_TEAM_ADMIN: &str = "team_admin team_user";
/// Channel roles of an ordinary member.
pub const ROLES_CHANNEL_USER: &str = "channel_user";

/// Team type: open to anyone.
pub const TEAM_OPEN: &str = "O";
/// Team type: invite only.
pub const TEAM_INVITE: &str = "I";
/// Channel type: public.
pub const CHANNEL_OPEN: &str = "O";
/// Channel type: private.
pub const CHANNEL_PRIVATE: &str = "P";
/// Channel type: direct message between two users.
pub const CHANNEL_DIRECT: &str = "D";

/// Rocket.Chat integration type of an incoming webhook.
pub const RC_WEBHOOK_INCOMING: &str = "webhook-incoming";
/// Rocket.Chat integration type of an outgoing webhook.
pub const RC_WEBHOOK_OUTGOING: &str = "webhook-outgoing";

/// A user account (Mattermost `User`; Rocket.Chat users are the same rows).
#[derive(Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    /// Deactivation time; 0 for active users.
    pub delete_at: i64,
    /// Unique, stored lowercase.
    pub username: String,
    /// Unique when non-empty, stored lowercase.
    pub email: String,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    pub nickname: String,
    /// PHC string from [`crate::password::hash`]; empty means password login is impossible.
    pub password_hash: String,
    pub last_password_update: i64,
    /// Space-separated system roles: [`ROLES_SYSTEM_USER`] or [`ROLES_SYSTEM_ADMIN`].
    pub roles: String,
    pub locale: String,
    pub props: Value,
    pub notify_props: Value,
    pub timezone: Value,
    /// A bot account's user (Mattermost's `is_bot`): its [`Bot`] record
    /// holds the rest. Set when it is created, never changed.
    pub is_bot: bool,
}

impl User {
    /// A new active account made now: a fresh id, verified email, no names,
    /// English locale and empty props. `username` and `email` are kept as
    /// given (the store lowercases them); `password_hash` is a PHC string
    /// from [`crate::password::PasswordPool::hash`], or empty for an account
    /// that cannot log in with a password. Callers change the fields their
    /// API sets differently.
    pub fn new(username: &str, email: &str, password_hash: String, roles: &str) -> Self {
        let now = super::now_ms();
        Self {
            id: crate::ids::new_id(),
            create_at: now,
            update_at: now,
            delete_at: 0,
            username: username.to_owned(),
            email: email.to_owned(),
            email_verified: true,
            first_name: String::new(),
            last_name: String::new(),
            nickname: String::new(),
            password_hash,
            last_password_update: now,
            roles: roles.to_owned(),
            locale: "en".into(),
            props: Value::Object(serde_json::Map::new()),
            notify_props: Value::Object(serde_json::Map::new()),
            timezone: Value::Object(serde_json::Map::new()),
            is_bot: false,
        }
    }

    /// Whether the roles include `system_admin`.
    pub fn is_system_admin(&self) -> bool {
        self.roles.split_whitespace().any(|r| r == "system_admin")
    }
}

// Manual Debug so the password hash never ends up in a log line.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("create_at", &self.create_at)
            .field("update_at", &self.update_at)
            .field("delete_at", &self.delete_at)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("nickname", &self.nickname)
            .field("password_hash", &"<redacted>")
            .field("last_password_update", &self.last_password_update)
            .field("roles", &self.roles)
            .field("locale", &self.locale)
            .field("props", &self.props)
            .field("notify_props", &self.notify_props)
            .field("timezone", &self.timezone)
            .field("is_bot", &self.is_bot)
            .finish()
    }
}

/// A login session; `token` is the bearer token (Mattermost) or auth token (Rocket.Chat).
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub user_id: String,
    pub create_at: i64,
    /// Expiry time; 0 means the session never expires.
    pub expires_at: i64,
    pub last_activity_at: i64,
}

impl Session {
    /// Whether the session has expired at time `now` (ms).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at != 0 && self.expires_at <= now
    }
}

// Manual Debug so the token never ends up in a log line.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("create_at", &self.create_at)
            .field("expires_at", &self.expires_at)
            .field("last_activity_at", &self.last_activity_at)
            .finish()
    }
}

/// A Mattermost team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    /// Unique URL name (case-insensitive).
    pub name: String,
    pub display_name: String,
    /// [`TEAM_OPEN`] or [`TEAM_INVITE`].
    pub team_type: String,
    pub description: String,
    pub email: String,
    pub allow_open_invite: bool,
    pub allowed_domains: String,
    pub invite_id: String,
}

impl Team {
    /// A new live team made now: fresh id and invite id, no description,
    /// email or allowed domains, open invites off (as Mattermost creates
    /// them). `team_type` is [`TEAM_OPEN`] or [`TEAM_INVITE`].
    pub fn new(name: impl Into<String>, display_name: impl Into<String>, team_type: &str) -> Self {
        let now = super::now_ms();
        Self {
            id: crate::ids::new_id(),
            create_at: now,
            update_at: now,
            delete_at: 0,
            name: name.into(),
            display_name: display_name.into(),
            team_type: team_type.into(),
            description: String::new(),
            email: String::new(),
            allow_open_invite: false,
            allowed_domains: String::new(),
            invite_id: crate::ids::new_id(),
        }
    }
}

/// Membership of a user in a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub team_id: String,
    pub user_id: String,
    /// [`ROLES_TEAM_USER`] or [`ROLES_TEAM_ADMIN`].
    pub roles: String,
    /// When the membership ended; 0 while it lasts.
    pub delete_at: i64,
}

impl TeamMember {
    /// Whether the roles include `team_admin`.
    pub fn is_team_admin(&self) -> bool {
        self.roles.split_whitespace().any(|r| r == "team_admin")
    }
}

/// A channel (Mattermost); Rocket.Chat rooms map onto the same rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    /// Empty for direct-message channels.
    pub team_id: String,
    /// [`CHANNEL_OPEN`], [`CHANNEL_PRIVATE`] or [`CHANNEL_DIRECT`] (also `G`).
    pub channel_type: String,
    /// URL name, unique within the team (case-insensitive).
    pub name: String,
    pub display_name: String,
    pub header: String,
    pub purpose: String,
    pub creator_id: String,
    /// Maintained by [`super::Store::create_post`].
    pub last_post_at: i64,
    /// Maintained by [`super::Store::create_post`].
    pub total_msg_count: i64,
}

/// Membership of a user in a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelMember {
    pub channel_id: String,
    pub user_id: String,
    pub roles: String,
    pub last_viewed_at: i64,
    pub msg_count: i64,
    pub mention_count: i64,
    pub notify_props: Value,
    pub last_update_at: i64,
}

/// A post (message) in a channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub edit_at: i64,
    pub delete_at: i64,
    pub user_id: String,
    pub channel_id: String,
    /// Root post of the thread; empty for a root post.
    pub root_id: String,
    pub original_id: String,
    pub message: String,
    /// Wire field `type`: empty, `slack_attachment`, `system_*`...
    pub post_type: String,
    pub props: Value,
    pub hashtags: String,
    pub file_ids: Vec<String>,
    pub pending_post_id: String,
    pub is_pinned: bool,
    /// The incoming webhook, integration or outgoing hook that made the post;
    /// empty for a post made by a user. Not part of either API's wire model.
    pub hook_id: String,
}

/// A Mattermost incoming webhook (wire model `IncomingWebhook`, field for field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingHook {
    pub id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub user_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub display_name: String,
    pub description: String,
    pub username: String,
    pub icon_url: String,
    pub channel_locked: bool,
}

/// A Mattermost outgoing webhook (wire model `OutgoingWebhook`, field for field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingHook {
    pub id: String,
    pub token: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub creator_id: String,
    /// Empty string for a team-wide hook.
    pub channel_id: String,
    pub team_id: String,
    pub trigger_words: Vec<String>,
    /// 0: first word equals a trigger word; 1: first word starts with one.
    pub trigger_when: i32,
    pub callback_urls: Vec<String>,
    pub display_name: String,
    pub description: String,
    pub content_type: String,
    pub username: String,
    pub icon_url: String,
}

/// The `response_url` of one slash command call (Mattermost's
/// `CommandWebhook`): the answers posted to it land as the call's own answer
/// would have, as `user_id` in `channel_id`, while it is young enough and
/// has answers left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandWebhook {
    pub id: String,
    pub create_at: i64,
    pub command_id: String,
    pub user_id: String,
    pub channel_id: String,
    pub root_id: String,
    /// Answers taken so far.
    pub use_count: i32,
}

/// A Mattermost custom slash command (wire model `Command`, field for field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashCommand {
    pub id: String,
    /// Sent with every call so the receiver can tell it is us.
    pub token: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub creator_id: String,
    pub team_id: String,
    /// The word after `/`, lowercased; unique among the team's live commands.
    pub trigger: String,
    /// `P` (form-encoded POST) or `G` (GET with the payload in the query).
    pub method: String,
    pub username: String,
    pub icon_url: String,
    pub auto_complete: bool,
    pub auto_complete_desc: String,
    pub auto_complete_hint: String,
    pub display_name: String,
    pub description: String,
    pub url: String,
}

/// A Mattermost bot account (wire model `Bot`): the `bots` record with its
/// user's username and first name (`display_name`), as Mattermost's store
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bot {
    /// The bot's user; the record's key.
    pub user_id: String,
    /// The user's; changed through the user.
    pub username: String,
    /// The user's first name; changed through the user.
    pub display_name: String,
    pub description: String,
    /// Who created it (or was given it); not checked against the users, as
    /// a bot outlives its owner.
    pub owner_id: String,
    pub create_at: i64,
    pub update_at: i64,
    /// When it was disabled (its user deactivated with it); 0 when enabled.
    pub delete_at: i64,
}

/// Which bots [`Store::list_bots`](super::Store::list_bots) lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BotFilter {
    /// Only this owner's; `None` for every owner.
    pub owner_id: Option<String>,
    /// Disabled bots too.
    pub include_deleted: bool,
    /// Only bots whose owner is deactivated or gone.
    pub only_orphaned: bool,
}

/// A Rocket.Chat integration.
///
/// `doc` is the full document as Rocket.Chat returns it (`_id`, `type`, `channel`,
/// `_createdAt`, `_createdBy`, ...) and is what handlers serve. The other fields
/// are copies of the values the store filters and looks up by; whoever writes the
/// record keeps them equal to the document's.
#[derive(Debug, Clone, PartialEq)]
pub struct RcIntegration {
    /// `_id`.
    pub id: String,
    /// [`RC_WEBHOOK_INCOMING`] or [`RC_WEBHOOK_OUTGOING`].
    pub integration_type: String,
    pub name: String,
    pub enabled: bool,
    /// Id of the user who created it (`_createdBy._id`).
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// Incoming: the generated secret; outgoing: the client's token or empty.
    pub token: String,
    pub doc: Value,
}

/// One entry of an outgoing integration's delivery history.
#[derive(Debug, Clone, PartialEq)]
pub struct RcHistory {
    pub id: String,
    pub integration_id: String,
    pub created_at: i64,
    /// History is listed newest-updated first, as Rocket.Chat does.
    pub updated_at: i64,
    /// The `IntegrationHistory` document as Rocket.Chat returns it.
    pub doc: Value,
}

/// A personal access token (Mattermost `UserAccessToken`): a bearer token that
/// works like a session token of `user_id`, without expiry, until revoked.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: String,
    pub token: String,
    pub user_id: String,
    pub description: String,
    /// A deactivated token authenticates nothing but can be reactivated.
    pub is_active: bool,
    pub create_at: i64,
}

// Manual Debug so the token never ends up in a log line.
impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("user_id", &self.user_id)
            .field("description", &self.description)
            .field("is_active", &self.is_active)
            .field("create_at", &self.create_at)
            .finish()
    }
}

/// An emoji reaction of a user to a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub post_id: String,
    pub user_id: String,
    /// Without colons (`thumbsup`).
    pub emoji_name: String,
    /// The post's channel, copied so events need no lookup.
    pub channel_id: String,
    pub create_at: i64,
}

/// What is known of an uploaded file (Mattermost `FileInfo`); the contents
/// are read separately ([`super::ContentStore::get_file_data`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub id: String,
    pub user_id: String,
    pub channel_id: String,
    /// The post carrying the file; empty until one does.
    pub post_id: String,
    pub create_at: i64,
    pub update_at: i64,
    pub delete_at: i64,
    pub name: String,
    /// Lowercase, without the dot (`png`); empty when the name has none.
    pub extension: String,
    /// In bytes.
    pub size: i64,
    pub mime_type: String,
    /// Pixels, for images whose size is known; 0 otherwise.
    pub width: i64,
    pub height: i64,
}

/// A role whose permissions differ from its default (see
/// [`crate::permissions`]): the core's permission ids it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRole {
    pub name: String,
    pub permissions: Vec<String>,
    pub update_at: i64,
}

/// An admin switch that was set (see [`crate::config`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSetting {
    pub key: String,
    pub value: Value,
    pub update_at: i64,
}
