//! Persistence for the server, behind the [`Store`] trait.
//!
//! Handlers talk to `impl Store` only (the server to [`AnyStore`], which picks a
//! backend from the database URL): [`SqliteStore`] and [`PgStore`]. Every query
//! is written once and expanded for each backend (`impl_backend!` in
//! `queries.rs`, with the trait modules' macros), over the same SQL text where
//! the dialects agree (`sql.rs`) and the same row mapping and binding
//! (`rows.rs`); the store tests run every scenario on both.
//!
//! Conventions every backend follows:
//!
//! - **Lookups** (`get_*`) return `Ok(None)` when nothing matches: what absence
//!   means differs by endpoint (404, 400 or 401), so the caller decides.
//! - **Mutations** of a record that does not exist return [`StoreError::NotFound`];
//!   so do inserts and updates that reference a missing row (a foreign key
//!   violation, e.g. a post in a channel that does not exist).
//! - **Unique violations** (username taken, channel name used in the team...)
//!   return [`StoreError::Conflict`] with the constraint that failed.
//! - **Users, teams, channels** are returned whatever their `delete_at`; callers
//!   check it (Mattermost shows archived channels and deactivated users).
//!   **Webhooks** are different: `get_incoming`/`get_outgoing`, updates, deletes and
//!   lists only see live hooks (`delete_at == 0`), because every API treats a
//!   deleted hook exactly like a missing one.
//! - **Paging** happens in SQL: `page`/`per_page` (Mattermost) or `offset`/`count`
//!   (Rocket.Chat), never by loading everything.
//! - Records are written as given: ids and timestamps are chosen by the caller
//!   (see [`crate::ids`] and [`now_ms`]), so handlers control exactly what is sent
//!   back, and tests are deterministic. Usernames and emails are lowercased.
//! - A write that returned `Ok` survives the process being killed (SQLite: WAL +
//!   `synchronous = NORMAL`, writes through one connection; PostgreSQL: the
//!   commit is in the server's WAL before it is answered).

// Column-list macros are textually scoped: `sql` and `rows` come before their uses.
#[macro_use]
mod sql;
#[macro_use]
mod rows;
mod any;
mod cache;
#[macro_use]
mod content;
#[macro_use]
mod delivery;
#[macro_use]
mod directory;
mod group_commit;
#[macro_use]
mod inspect;
#[macro_use]
mod queries;
mod postgres;
mod records;
mod sqlite;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

pub use any::{AnyStore, Backend, CACHE_TTL, is_postgres_url};
pub use content::ContentStore;
pub use delivery::*;
pub use directory::DirectoryStore;
pub use inspect::{InspectStore, PostSearch, SearchEnd};
pub use postgres::PgStore;
pub use records::*;
pub use sqlite::SqliteStore;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record to change does not exist (or, for webhooks, is deleted), or a
    /// new record references one that does not exist.
    #[error("record not found")]
    NotFound,
    /// A uniqueness rule was violated; the message names the constraint.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Any other database failure (I/O, corruption, a bug in a query...).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date when opening the database.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// The current time in milliseconds since the Unix epoch (the unit of every
/// timestamp in the store). A clock set before 1970 reads as 0.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Filter for listing and counting incoming webhooks. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IncomingFilter {
    pub team_id: Option<String>,
    /// Only hooks owned by this user (callers without `manage_others_*`).
    pub user_id: Option<String>,
}

/// Filter for listing and counting outgoing webhooks. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutgoingFilter {
    pub team_id: Option<String>,
    pub channel_id: Option<String>,
    /// Only hooks created by this user (callers without `manage_others_*`).
    pub creator_id: Option<String>,
}

/// Which integrations of one type a Rocket.Chat caller may see, from their
/// `manage-*-integrations` / `manage-own-*-integrations` permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RcVisibility {
    /// All of them (`manage-*-integrations`).
    #[default]
    All,
    /// Only those created by this user id (`manage-own-*-integrations`).
    CreatedBy(String),
    /// None.
    Hidden,
}

/// Filter for listing and counting Rocket.Chat integrations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RcIntegrationFilter {
    /// Case-insensitive substring of the name (Rocket.Chat's `name` query parameter).
    pub name: Option<String>,
    /// Exact type ([`RC_WEBHOOK_INCOMING`] / [`RC_WEBHOOK_OUTGOING`]).
    pub integration_type: Option<String>,
    /// Visibility of incoming integrations.
    pub incoming: RcVisibility,
    /// Visibility of outgoing integrations.
    pub outgoing: RcVisibility,
}

/// Storage operations of the server.
///
/// Methods return `impl Future + Send` (rather than being `async fn`) so handlers
/// can hold the futures across `.await` in a multi-threaded runtime; an
/// implementation may still write them as `async fn`.
pub trait Store: Send + Sync + 'static {
    // ----- users -----

    /// Insert a user (username and email lowercased). Conflict if the username or
    /// a non-empty email is taken.
    fn create_user(&self, user: &User) -> impl Future<Output = StoreResult<User>> + Send;
    /// The user with this id.
    fn get_user(&self, id: &str) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// The user with this username (case-insensitive).
    fn get_user_by_username(&self, username: &str) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// The user whose username or email equals `login` (case-insensitive), as
    /// Mattermost's `login_id` and Rocket.Chat's `user` accept either.
    fn get_user_by_login(&self, login: &str) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// Replace every field but `id` and `create_at`. NotFound if absent; Conflict
    /// if the new username or email is taken.
    fn update_user(&self, user: &User) -> impl Future<Output = StoreResult<User>> + Send;
    /// Number of users, deactivated ones included (e.g. "is this a fresh server").
    fn count_users(&self) -> impl Future<Output = StoreResult<i64>> + Send;

    // ----- sessions -----

    /// Insert a session. Conflict if the token exists; NotFound if the user does not.
    fn create_session(&self, session: &Session) -> impl Future<Output = StoreResult<()>> + Send;
    /// The session with this token, or `None` if there is none or it has expired.
    fn get_session(&self, token: &str) -> impl Future<Output = StoreResult<Option<Session>>> + Send;
    /// Record activity on a session. NotFound if absent.
    fn touch_session(&self, token: &str, at: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// Delete a session (logout); `Ok(false)` if there was none.
    fn delete_session(&self, token: &str) -> impl Future<Output = StoreResult<bool>> + Send;

    // ----- teams -----

    /// Insert a team. Conflict if the name is taken.
    fn create_team(&self, team: &Team) -> impl Future<Output = StoreResult<Team>> + Send;
    fn get_team(&self, id: &str) -> impl Future<Output = StoreResult<Option<Team>>> + Send;
    /// The team with this URL name (case-insensitive).
    fn get_team_by_name(&self, name: &str) -> impl Future<Output = StoreResult<Option<Team>>> + Send;
    /// Add or re-add a member: an existing membership takes the given roles and
    /// `delete_at`. NotFound if the team or user does not exist.
    fn add_team_member(&self, member: &TeamMember) -> impl Future<Output = StoreResult<TeamMember>> + Send;
    /// The membership, whatever its `delete_at`.
    fn get_team_member(
        &self,
        team_id: &str,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Option<TeamMember>>> + Send;
    /// Current members (`delete_at == 0`), ordered by user id.
    fn list_team_members(
        &self,
        team_id: &str,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<TeamMember>>> + Send;

    // ----- channels -----

    /// Insert a channel. Conflict if the name is used in the team.
    fn create_channel(&self, channel: &Channel) -> impl Future<Output = StoreResult<Channel>> + Send;
    fn get_channel(&self, id: &str) -> impl Future<Output = StoreResult<Option<Channel>>> + Send;
    /// The channel with this name in this team (case-insensitive name; team `""`
    /// for direct-message channels).
    fn get_channel_by_name(
        &self,
        team_id: &str,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<Channel>>> + Send;
    /// Live channels of a team, ordered by name.
    fn list_team_channels(
        &self,
        team_id: &str,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<Channel>>> + Send;
    /// Add a member; if already a member, the existing membership is returned
    /// unchanged. NotFound if the channel or user does not exist.
    fn add_channel_member(&self, member: &ChannelMember) -> impl Future<Output = StoreResult<ChannelMember>> + Send;
    fn get_channel_member(
        &self,
        channel_id: &str,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Option<ChannelMember>>> + Send;
    /// Members of a channel, ordered by user id.
    fn list_channel_members(
        &self,
        channel_id: &str,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<ChannelMember>>> + Send;
    /// Number of members of a channel.
    fn count_channel_members(&self, channel_id: &str) -> impl Future<Output = StoreResult<i64>> + Send;
    /// The direct-message channel of two users (type `D`, team `""`, name
    /// `<lower id>__<higher id>`), created with both memberships if it does not
    /// exist yet. `user_a == user_b` gives the user's channel with themself.
    /// NotFound if a user does not exist.
    fn get_or_create_direct_channel(
        &self,
        user_a: &str,
        user_b: &str,
    ) -> impl Future<Output = StoreResult<Channel>> + Send;

    // ----- posts -----

    /// Insert a post and, in the same transaction, set the channel's
    /// `last_post_at` (if later) and increment its `total_msg_count`.
    /// NotFound if the channel or user does not exist.
    fn create_post(&self, post: &Post) -> impl Future<Output = StoreResult<Post>> + Send;
    /// The post with this id, deleted or not.
    fn get_post(&self, id: &str) -> impl Future<Output = StoreResult<Option<Post>>> + Send;
    /// Live posts of a channel, newest first (by `create_at`, then id).
    fn list_channel_posts(
        &self,
        channel_id: &str,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<Post>>> + Send;

    // ----- Mattermost incoming webhooks (live hooks only, see module docs) -----

    /// Insert a hook. Conflict if the id exists; NotFound if the user or channel does not.
    fn create_incoming(&self, hook: &IncomingHook) -> impl Future<Output = StoreResult<IncomingHook>> + Send;
    /// The live hook with this id.
    fn get_incoming(&self, id: &str) -> impl Future<Output = StoreResult<Option<IncomingHook>>> + Send;
    /// Overwrite every field but `id`, `create_at` and `delete_at`; the caller
    /// decides which fields it keeps. NotFound if absent or deleted.
    fn update_incoming(&self, hook: &IncomingHook) -> impl Future<Output = StoreResult<IncomingHook>> + Send;
    /// Soft delete (set `delete_at = at`). NotFound if absent or already deleted.
    fn delete_incoming(&self, id: &str, at: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// Live hooks matching `filter`, by `create_at` then id.
    fn list_incoming(
        &self,
        filter: &IncomingFilter,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<IncomingHook>>> + Send;
    /// Number of live hooks matching `filter` (for `include_total_count`).
    fn count_incoming(&self, filter: &IncomingFilter) -> impl Future<Output = StoreResult<i64>> + Send;

    // ----- Mattermost outgoing webhooks (live hooks only) -----

    /// Insert a hook. Conflict if the id exists; NotFound if the creator or team does not.
    fn create_outgoing(&self, hook: &OutgoingHook) -> impl Future<Output = StoreResult<OutgoingHook>> + Send;
    /// The live hook with this id.
    fn get_outgoing(&self, id: &str) -> impl Future<Output = StoreResult<Option<OutgoingHook>>> + Send;
    /// Overwrite every field but `id`, `token`, `create_at` and `delete_at`.
    /// NotFound if absent or deleted.
    fn update_outgoing(&self, hook: &OutgoingHook) -> impl Future<Output = StoreResult<OutgoingHook>> + Send;
    /// Replace the token (and `update_at`); returns the updated hook.
    fn regen_outgoing_token(
        &self,
        id: &str,
        token: &str,
        at: i64,
    ) -> impl Future<Output = StoreResult<OutgoingHook>> + Send;
    /// Soft delete (set `delete_at = at`). NotFound if absent or already deleted.
    fn delete_outgoing(&self, id: &str, at: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// Live hooks matching `filter`, by `create_at` then id.
    fn list_outgoing(
        &self,
        filter: &OutgoingFilter,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<OutgoingHook>>> + Send;
    /// Number of live hooks matching `filter`.
    fn count_outgoing(&self, filter: &OutgoingFilter) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Live hooks of `team_id` that watch `channel_id` or the whole team
    /// (empty `channel_id`): the candidates to fire for a post in that channel.
    fn outgoing_for_channel(
        &self,
        team_id: &str,
        channel_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<OutgoingHook>>> + Send;

    // ----- Mattermost slash commands (live commands only) -----

    /// Insert a command. Conflict if the id, or a live command of the team
    /// with the same trigger, exists; NotFound if the creator or team does not.
    fn create_command(&self, command: &SlashCommand) -> impl Future<Output = StoreResult<SlashCommand>> + Send;
    /// The live command with this id.
    fn get_command(&self, id: &str) -> impl Future<Output = StoreResult<Option<SlashCommand>>> + Send;
    /// Overwrite every field but `id`, `create_at`, `delete_at`, `creator_id`
    /// and `team_id`. NotFound if absent or deleted; Conflict on a taken trigger.
    fn update_command(&self, command: &SlashCommand) -> impl Future<Output = StoreResult<SlashCommand>> + Send;
    /// Soft delete (set `delete_at = at`). NotFound if absent or already deleted.
    fn delete_command(&self, id: &str, at: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// The team's live commands, by `create_at` then id.
    fn list_team_commands(&self, team_id: &str) -> impl Future<Output = StoreResult<Vec<SlashCommand>>> + Send;
    /// Insert a command call's `response_url` record. Conflict if the id exists.
    fn create_command_webhook(&self, hook: &CommandWebhook) -> impl Future<Output = StoreResult<()>> + Send;
    /// The record with this id made after `made_after` (older ones have expired).
    fn get_command_webhook(
        &self,
        id: &str,
        made_after: i64,
    ) -> impl Future<Output = StoreResult<Option<CommandWebhook>>> + Send;
    /// Count one more answer, unless `limit` were taken already: false then.
    fn use_command_webhook(&self, id: &str, limit: i32) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Forget the records made at or before `made_before`; how many.
    fn delete_command_webhooks_before(&self, made_before: i64) -> impl Future<Output = StoreResult<u64>> + Send;

    // ----- Mattermost bot accounts -----

    /// Store a bot: its user (`user.is_bot` set by the caller) and its record,
    /// in one transaction. Conflict if the username (or email, or id) is taken.
    fn create_bot(&self, user: &User, bot: &Bot) -> impl Future<Output = StoreResult<Bot>> + Send;
    /// Turn an existing user into a bot: mark the user a bot (its
    /// `update_at` too), store the bot's record and end the user's login
    /// sessions, in one transaction.
    /// NotFound if the user is absent; Conflict if it is a bot already.
    fn convert_user_to_bot(&self, user: &User, bot: &Bot) -> impl Future<Output = StoreResult<Bot>> + Send;
    /// Turn a bot back into a person: delete the bot's record and store
    /// `user` (the bot's user as changed by the caller) with `is_bot` false,
    /// in one transaction. NotFound if `user.id` is no bot; Conflict if the
    /// new username or email is taken.
    fn convert_bot_to_user(&self, user: &User) -> impl Future<Output = StoreResult<User>> + Send;
    /// The bot whose user is `user_id`; a disabled one only with `include_deleted`.
    fn get_bot(&self, user_id: &str, include_deleted: bool) -> impl Future<Output = StoreResult<Option<Bot>>> + Send;
    /// Overwrite a bot's user (as [`Store::update_user`]) and its record's
    /// description, owner, `update_at` and `delete_at`, in one transaction.
    /// NotFound if either is absent; Conflict on a taken username.
    fn update_bot(&self, user: &User, bot: &Bot) -> impl Future<Output = StoreResult<Bot>> + Send;
    /// A page of bots, by `create_at` then user id.
    fn list_bots(
        &self,
        filter: &BotFilter,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<Bot>>> + Send;

    // ----- Rocket.Chat integrations -----

    /// Insert an integration. Conflict if the id exists; NotFound if the creator does not.
    fn create_rc_integration(
        &self,
        integration: &RcIntegration,
    ) -> impl Future<Output = StoreResult<RcIntegration>> + Send;
    fn get_rc_integration(&self, id: &str) -> impl Future<Output = StoreResult<Option<RcIntegration>>> + Send;
    /// The oldest integration with this (non-empty) token. Incoming tokens are
    /// random and unique in practice; outgoing tokens are client-chosen and may repeat.
    fn get_rc_integration_by_token(
        &self,
        token: &str,
    ) -> impl Future<Output = StoreResult<Option<RcIntegration>>> + Send;
    /// The oldest outgoing integration whose document lists `url` in `urls`
    /// (`integrations.update`/`remove` by `target_url`).
    fn get_rc_outgoing_by_url(&self, url: &str) -> impl Future<Output = StoreResult<Option<RcIntegration>>> + Send;
    /// Overwrite every field but `id`, `created_by` and `created_at`. NotFound if absent.
    fn update_rc_integration(
        &self,
        integration: &RcIntegration,
    ) -> impl Future<Output = StoreResult<RcIntegration>> + Send;
    /// Delete an integration with its history and pending retries, returning what
    /// was removed (`integrations.remove` answers with it). NotFound if absent.
    fn delete_rc_integration(&self, id: &str) -> impl Future<Output = StoreResult<RcIntegration>> + Send;
    /// Integrations matching `filter`, oldest first.
    fn list_rc_integrations(
        &self,
        filter: &RcIntegrationFilter,
        offset: u32,
        count: u32,
    ) -> impl Future<Output = StoreResult<Vec<RcIntegration>>> + Send;
    /// Number of integrations matching `filter` (the `total` of a list answer).
    fn count_rc_integrations(&self, filter: &RcIntegrationFilter) -> impl Future<Output = StoreResult<i64>> + Send;

    // ----- Rocket.Chat delivery history -----

    /// Insert a history entry. NotFound if the integration does not exist.
    fn add_rc_history(&self, entry: &RcHistory) -> impl Future<Output = StoreResult<()>> + Send;
    /// Overwrite `updated_at` and `doc` of an entry (a delivery progressing).
    /// NotFound if absent.
    fn update_rc_history(&self, entry: &RcHistory) -> impl Future<Output = StoreResult<()>> + Send;
    /// History of an integration, most recently updated first.
    fn list_rc_history(
        &self,
        integration_id: &str,
        offset: u32,
        count: u32,
    ) -> impl Future<Output = StoreResult<Vec<RcHistory>>> + Send;
    fn count_rc_history(&self, integration_id: &str) -> impl Future<Output = StoreResult<i64>> + Send;

    // ----- Rocket.Chat script store -----

    /// What an integration's script keeps with `Store.set`: `(key, JSON)`.
    fn get_rc_script_store(
        &self,
        integration_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<(String, String)>>> + Send;
    /// Insert or overwrite values of an integration's script store, in order.
    /// NotFound if the integration does not exist.
    fn set_rc_script_values(
        &self,
        integration_id: &str,
        values: &[(String, String)],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    // ----- Rocket.Chat rooms and messages -----

    /// The oldest (by `create_at`, then id) live public or private channel named
    /// `name` (case-insensitive) in any team. Rocket.Chat has no teams, so its room
    /// names are looked up across all of them.
    fn find_channel_by_name(&self, name: &str) -> impl Future<Output = StoreResult<Option<Channel>>> + Send;
    /// Live posts of a channel with `oldest <= create_at <= latest`, newest first
    /// (by `create_at`, then id), skipping `offset` and returning at most `count`
    /// (Rocket.Chat's `channels.history` window).
    fn list_channel_posts_between(
        &self,
        channel_id: &str,
        oldest: i64,
        latest: i64,
        offset: u32,
        count: u32,
    ) -> impl Future<Output = StoreResult<Vec<Post>>> + Send;

    // ----- changed roles and admin switches -----

    /// Every role whose permissions were changed from its default, by name.
    fn list_roles(&self) -> impl Future<Output = StoreResult<Vec<StoredRole>>> + Send;
    /// Store a role's permissions (insert or replace).
    fn put_role(&self, role: &StoredRole) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every admin switch that was set, by key.
    fn list_settings(&self) -> impl Future<Output = StoreResult<Vec<StoredSetting>>> + Send;
    /// Store a switch's value (insert or replace).
    fn put_setting(&self, setting: &StoredSetting) -> impl Future<Output = StoreResult<()>> + Send;
    /// Store a setting only if its key has none yet, so that instances
    /// racing to create one value (a shared secret) all end up with the
    /// first one written. Whether this call wrote it.
    fn insert_setting_if_absent(&self, setting: &StoredSetting) -> impl Future<Output = StoreResult<bool>> + Send;
}
