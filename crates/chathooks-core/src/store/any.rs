//! [`AnyStore`]: the store `chathooks serve` runs on, whichever database its
//! URL names, behind the [`Cache`] of hot lookups.
//!
//! An enum of backends rather than `dyn Store` (the trait's `impl Future`
//! methods are not object safe) or generics all the way up (every handler
//! monomorphized once per backend): one match per call, and the server is
//! compiled once.

use std::sync::Arc;
use std::time::Duration;

use super::cache::Cache;
use super::*;

/// How long a cached record is trusted: the most another instance's write
/// (a logout, a deleted hook) can go unseen here.
pub const CACHE_TTL: Duration = Duration::from_secs(1);

/// Run the same expression on whichever backend `self` holds.
macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match &$self.backend {
            Backend::Sqlite($s) => $call.await,
            Backend::Postgres($s) => $call.await,
        }
    };
}

/// One of the backends.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// A backend chosen at start-up from the database URL, and its cache. Cheap
/// to clone (clones share the cache).
#[derive(Debug, Clone)]
pub struct AnyStore {
    backend: Backend,
    cache: Arc<Cache>,
}

impl AnyStore {
    /// Open and migrate the database `url` names: `postgres://...` or
    /// `postgresql://...` (an existing PostgreSQL database), otherwise SQLite
    /// (`sqlite://path`, created if needed, or `sqlite::memory:`).
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let backend = if is_postgres_url(url) {
            Backend::Postgres(PgStore::connect(url).await?)
        } else {
            Backend::Sqlite(SqliteStore::connect(url).await?)
        };
        Ok(Self::new(backend))
    }

    /// The channel to post in, for the webhook paths that look it up on every
    /// call: from the cache, so its counters (`total_msg_count`,
    /// `last_post_at`) may be up to [`CACHE_TTL`] behind; everything else is
    /// current for this process's writes. Use [`Store::get_channel`] for a
    /// channel that is shown.
    ///
    /// Why not keep cached counters in step with each post: a lookup that
    /// reads the channel while a post commits may or may not see it, so
    /// counting the post afterwards could count it twice (and did, under a
    /// stream of posts).
    pub async fn get_channel_for_posting(&self, id: &str) -> StoreResult<Option<Channel>> {
        self.cache
            .channel(id, async { dispatch!(self, s => s.get_channel(id)) })
            .await
    }

    /// `backend` behind a cache with [`CACHE_TTL`].
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            cache: Arc::new(Cache::new(CACHE_TTL)),
        }
    }

    /// The backend itself, uncached.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub(super) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// One page of incoming hooks as [`Store::list_incoming`] finds it, shared
    /// with the cache instead of copied. While the page is unchanged, the same
    /// allocation comes back, so an adapter may keep what it derives from a
    /// page (its encoded answer) for as long as `Arc::ptr_eq` holds.
    pub async fn incoming_page(
        &self,
        filter: &IncomingFilter,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Arc<[IncomingHook]>> {
        self.cache
            .incoming_page(filter, page, per_page, async {
                dispatch!(self, s => s.list_incoming(filter, page, per_page))
            })
            .await
    }

    /// Close every connection.
    pub async fn close(&self) {
        dispatch!(self, s => s.close());
    }
}

/// Whether `url` names a PostgreSQL database (the schemes libpq accepts).
pub fn is_postgres_url(url: &str) -> bool {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    matches!(scheme.as_deref(), Some("postgres" | "postgresql"))
}

impl Store for AnyStore {
    async fn create_user(&self, user: &User) -> StoreResult<User> {
        dispatch!(self, s => s.create_user(user))
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.cache
            .user(id, async { dispatch!(self, s => s.get_user(id)) })
            .await
    }

    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        dispatch!(self, s => s.get_user_by_username(username))
    }

    async fn get_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        dispatch!(self, s => s.get_user_by_login(login))
    }

    async fn update_user(&self, user: &User) -> StoreResult<User> {
        let updated = dispatch!(self, s => s.update_user(user));
        self.cache.forget_user(&user.id);
        updated
    }

    async fn count_users(&self) -> StoreResult<i64> {
        dispatch!(self, s => s.count_users())
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        dispatch!(self, s => s.create_session(session))
    }

    async fn get_session(&self, token: &str) -> StoreResult<Option<Session>> {
        self.cache
            .session(token, async { dispatch!(self, s => s.get_session(token)) })
            .await
    }

    async fn touch_session(&self, token: &str, at: i64) -> StoreResult<()> {
        let touched = dispatch!(self, s => s.touch_session(token, at));
        self.cache.forget_session(token);
        touched
    }

    async fn delete_session(&self, token: &str) -> StoreResult<bool> {
        let deleted = dispatch!(self, s => s.delete_session(token));
        self.cache.forget_session(token);
        deleted
    }

    async fn create_team(&self, team: &Team) -> StoreResult<Team> {
        dispatch!(self, s => s.create_team(team))
    }

    async fn get_team(&self, id: &str) -> StoreResult<Option<Team>> {
        dispatch!(self, s => s.get_team(id))
    }

    async fn get_team_by_name(&self, name: &str) -> StoreResult<Option<Team>> {
        dispatch!(self, s => s.get_team_by_name(name))
    }

    async fn add_team_member(&self, member: &TeamMember) -> StoreResult<TeamMember> {
        let added = dispatch!(self, s => s.add_team_member(member));
        self.cache.forget_team_member(&member.team_id, &member.user_id);
        added
    }

    async fn get_team_member(&self, team_id: &str, user_id: &str) -> StoreResult<Option<TeamMember>> {
        self.cache
            .team_member(team_id, user_id, async {
                dispatch!(self, s => s.get_team_member(team_id, user_id))
            })
            .await
    }

    async fn list_team_members(&self, team_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<TeamMember>> {
        dispatch!(self, s => s.list_team_members(team_id, page, per_page))
    }

    async fn create_channel(&self, channel: &Channel) -> StoreResult<Channel> {
        dispatch!(self, s => s.create_channel(channel))
    }

    /// From the database, so its counters are exact; see
    /// [`AnyStore::get_channel_for_posting`] for the cached lookup.
    async fn get_channel(&self, id: &str) -> StoreResult<Option<Channel>> {
        dispatch!(self, s => s.get_channel(id))
    }

    async fn get_channel_by_name(&self, team_id: &str, name: &str) -> StoreResult<Option<Channel>> {
        dispatch!(self, s => s.get_channel_by_name(team_id, name))
    }

    async fn list_team_channels(&self, team_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Channel>> {
        dispatch!(self, s => s.list_team_channels(team_id, page, per_page))
    }

    async fn add_channel_member(&self, member: &ChannelMember) -> StoreResult<ChannelMember> {
        dispatch!(self, s => s.add_channel_member(member))
    }

    async fn get_channel_member(&self, channel_id: &str, user_id: &str) -> StoreResult<Option<ChannelMember>> {
        dispatch!(self, s => s.get_channel_member(channel_id, user_id))
    }

    async fn list_channel_members(
        &self,
        channel_id: &str,
        page: u32,
        per_page: u32,
    ) -> StoreResult<Vec<ChannelMember>> {
        dispatch!(self, s => s.list_channel_members(channel_id, page, per_page))
    }

    async fn count_channel_members(&self, channel_id: &str) -> StoreResult<i64> {
        dispatch!(self, s => s.count_channel_members(channel_id))
    }

    async fn get_or_create_direct_channel(&self, user_a: &str, user_b: &str) -> StoreResult<Channel> {
        dispatch!(self, s => s.get_or_create_direct_channel(user_a, user_b))
    }

    async fn create_post(&self, post: &Post) -> StoreResult<Post> {
        let created = dispatch!(self, s => s.create_post(post));
        if created.is_err() {
            // Perhaps the channel is gone: look it up afresh next time.
            self.cache.forget_channel(&post.channel_id);
        }
        created
    }

    async fn get_post(&self, id: &str) -> StoreResult<Option<Post>> {
        dispatch!(self, s => s.get_post(id))
    }

    async fn list_channel_posts(&self, channel_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Post>> {
        dispatch!(self, s => s.list_channel_posts(channel_id, page, per_page))
    }

    async fn create_incoming(&self, hook: &IncomingHook) -> StoreResult<IncomingHook> {
        let created = dispatch!(self, s => s.create_incoming(hook));
        self.cache.forget_incoming(&hook.id);
        created
    }

    async fn get_incoming(&self, id: &str) -> StoreResult<Option<IncomingHook>> {
        self.cache
            .incoming(id, async { dispatch!(self, s => s.get_incoming(id)) })
            .await
    }

    async fn update_incoming(&self, hook: &IncomingHook) -> StoreResult<IncomingHook> {
        let updated = dispatch!(self, s => s.update_incoming(hook));
        self.cache.forget_incoming(&hook.id);
        updated
    }

    async fn delete_incoming(&self, id: &str, at: i64) -> StoreResult<()> {
        let deleted = dispatch!(self, s => s.delete_incoming(id, at));
        self.cache.forget_incoming(id);
        deleted
    }

    async fn list_incoming(&self, filter: &IncomingFilter, page: u32, per_page: u32) -> StoreResult<Vec<IncomingHook>> {
        Ok(self.incoming_page(filter, page, per_page).await?.to_vec())
    }

    async fn count_incoming(&self, filter: &IncomingFilter) -> StoreResult<i64> {
        dispatch!(self, s => s.count_incoming(filter))
    }

    async fn create_outgoing(&self, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
        dispatch!(self, s => s.create_outgoing(hook))
    }

    async fn get_outgoing(&self, id: &str) -> StoreResult<Option<OutgoingHook>> {
        dispatch!(self, s => s.get_outgoing(id))
    }

    async fn update_outgoing(&self, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
        dispatch!(self, s => s.update_outgoing(hook))
    }

    async fn regen_outgoing_token(&self, id: &str, token: &str, at: i64) -> StoreResult<OutgoingHook> {
        dispatch!(self, s => s.regen_outgoing_token(id, token, at))
    }

    async fn delete_outgoing(&self, id: &str, at: i64) -> StoreResult<()> {
        dispatch!(self, s => s.delete_outgoing(id, at))
    }

    async fn list_outgoing(&self, filter: &OutgoingFilter, page: u32, per_page: u32) -> StoreResult<Vec<OutgoingHook>> {
        dispatch!(self, s => s.list_outgoing(filter, page, per_page))
    }

    async fn count_outgoing(&self, filter: &OutgoingFilter) -> StoreResult<i64> {
        dispatch!(self, s => s.count_outgoing(filter))
    }

    async fn outgoing_for_channel(&self, team_id: &str, channel_id: &str) -> StoreResult<Vec<OutgoingHook>> {
        dispatch!(self, s => s.outgoing_for_channel(team_id, channel_id))
    }

    async fn create_command(&self, command: &SlashCommand) -> StoreResult<SlashCommand> {
        dispatch!(self, s => s.create_command(command))
    }

    async fn get_command(&self, id: &str) -> StoreResult<Option<SlashCommand>> {
        dispatch!(self, s => s.get_command(id))
    }

    async fn update_command(&self, command: &SlashCommand) -> StoreResult<SlashCommand> {
        dispatch!(self, s => s.update_command(command))
    }

    async fn delete_command(&self, id: &str, at: i64) -> StoreResult<()> {
        dispatch!(self, s => s.delete_command(id, at))
    }

    async fn list_team_commands(&self, team_id: &str) -> StoreResult<Vec<SlashCommand>> {
        dispatch!(self, s => s.list_team_commands(team_id))
    }

    async fn create_command_webhook(&self, hook: &CommandWebhook) -> StoreResult<()> {
        dispatch!(self, s => s.create_command_webhook(hook))
    }

    async fn get_command_webhook(&self, id: &str, made_after: i64) -> StoreResult<Option<CommandWebhook>> {
        dispatch!(self, s => s.get_command_webhook(id, made_after))
    }

    async fn use_command_webhook(&self, id: &str, limit: i32) -> StoreResult<bool> {
        dispatch!(self, s => s.use_command_webhook(id, limit))
    }

    async fn delete_command_webhooks_before(&self, made_before: i64) -> StoreResult<u64> {
        dispatch!(self, s => s.delete_command_webhooks_before(made_before))
    }

    async fn create_bot(&self, user: &User, bot: &Bot) -> StoreResult<Bot> {
        dispatch!(self, s => s.create_bot(user, bot))
    }

    async fn convert_user_to_bot(&self, user: &User, bot: &Bot) -> StoreResult<Bot> {
        let converted = dispatch!(self, s => s.convert_user_to_bot(user, bot));
        self.cache.forget_user(&user.id);
        converted
    }

    async fn convert_bot_to_user(&self, user: &User) -> StoreResult<User> {
        let converted = dispatch!(self, s => s.convert_bot_to_user(user));
        self.cache.forget_user(&user.id);
        converted
    }

    async fn get_bot(&self, user_id: &str, include_deleted: bool) -> StoreResult<Option<Bot>> {
        dispatch!(self, s => s.get_bot(user_id, include_deleted))
    }

    async fn update_bot(&self, user: &User, bot: &Bot) -> StoreResult<Bot> {
        let updated = dispatch!(self, s => s.update_bot(user, bot));
        self.cache.forget_user(&user.id);
        updated
    }

    async fn list_bots(&self, filter: &BotFilter, page: u32, per_page: u32) -> StoreResult<Vec<Bot>> {
        dispatch!(self, s => s.list_bots(filter, page, per_page))
    }

    async fn create_rc_integration(&self, integration: &RcIntegration) -> StoreResult<RcIntegration> {
        dispatch!(self, s => s.create_rc_integration(integration))
    }

    async fn get_rc_integration(&self, id: &str) -> StoreResult<Option<RcIntegration>> {
        dispatch!(self, s => s.get_rc_integration(id))
    }

    async fn get_rc_integration_by_token(&self, token: &str) -> StoreResult<Option<RcIntegration>> {
        dispatch!(self, s => s.get_rc_integration_by_token(token))
    }

    async fn get_rc_outgoing_by_url(&self, url: &str) -> StoreResult<Option<RcIntegration>> {
        dispatch!(self, s => s.get_rc_outgoing_by_url(url))
    }

    async fn update_rc_integration(&self, integration: &RcIntegration) -> StoreResult<RcIntegration> {
        dispatch!(self, s => s.update_rc_integration(integration))
    }

    async fn delete_rc_integration(&self, id: &str) -> StoreResult<RcIntegration> {
        dispatch!(self, s => s.delete_rc_integration(id))
    }

    async fn list_rc_integrations(
        &self,
        filter: &RcIntegrationFilter,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<RcIntegration>> {
        dispatch!(self, s => s.list_rc_integrations(filter, offset, count))
    }

    async fn count_rc_integrations(&self, filter: &RcIntegrationFilter) -> StoreResult<i64> {
        dispatch!(self, s => s.count_rc_integrations(filter))
    }

    async fn add_rc_history(&self, entry: &RcHistory) -> StoreResult<()> {
        dispatch!(self, s => s.add_rc_history(entry))
    }

    async fn update_rc_history(&self, entry: &RcHistory) -> StoreResult<()> {
        dispatch!(self, s => s.update_rc_history(entry))
    }

    async fn list_rc_history(&self, integration_id: &str, offset: u32, count: u32) -> StoreResult<Vec<RcHistory>> {
        dispatch!(self, s => s.list_rc_history(integration_id, offset, count))
    }

    async fn count_rc_history(&self, integration_id: &str) -> StoreResult<i64> {
        dispatch!(self, s => s.count_rc_history(integration_id))
    }

    async fn get_rc_script_store(&self, integration_id: &str) -> StoreResult<Vec<(String, String)>> {
        dispatch!(self, s => s.get_rc_script_store(integration_id))
    }

    async fn set_rc_script_values(&self, integration_id: &str, values: &[(String, String)]) -> StoreResult<()> {
        dispatch!(self, s => s.set_rc_script_values(integration_id, values))
    }

    async fn find_channel_by_name(&self, name: &str) -> StoreResult<Option<Channel>> {
        dispatch!(self, s => s.find_channel_by_name(name))
    }

    async fn list_channel_posts_between(
        &self,
        channel_id: &str,
        oldest: i64,
        latest: i64,
        offset: u32,
        count: u32,
    ) -> StoreResult<Vec<Post>> {
        dispatch!(self, s => s.list_channel_posts_between(channel_id, oldest, latest, offset, count))
    }

    async fn list_roles(&self) -> StoreResult<Vec<StoredRole>> {
        dispatch!(self, s => s.list_roles())
    }

    async fn put_role(&self, role: &StoredRole) -> StoreResult<()> {
        dispatch!(self, s => s.put_role(role))
    }

    async fn list_settings(&self) -> StoreResult<Vec<StoredSetting>> {
        dispatch!(self, s => s.list_settings())
    }

    async fn put_setting(&self, setting: &StoredSetting) -> StoreResult<()> {
        dispatch!(self, s => s.put_setting(setting))
    }

    async fn insert_setting_if_absent(&self, setting: &StoredSetting) -> StoreResult<bool> {
        dispatch!(self, s => s.insert_setting_if_absent(setting))
    }
}

impl ContentStore for AnyStore {
    async fn update_post(&self, post: &Post) -> StoreResult<Post> {
        dispatch!(self, s => s.update_post(post))
    }

    async fn delete_post(&self, id: &str, at: i64) -> StoreResult<Vec<Post>> {
        dispatch!(self, s => s.delete_post(id, at))
    }

    async fn list_thread(&self, root_id: &str) -> StoreResult<Vec<Post>> {
        dispatch!(self, s => s.list_thread(root_id))
    }

    async fn save_reaction(&self, reaction: &Reaction) -> StoreResult<Reaction> {
        dispatch!(self, s => s.save_reaction(reaction))
    }

    async fn delete_reaction(&self, post_id: &str, user_id: &str, emoji_name: &str) -> StoreResult<Option<Reaction>> {
        dispatch!(self, s => s.delete_reaction(post_id, user_id, emoji_name))
    }

    async fn list_reactions(&self, post_id: &str) -> StoreResult<Vec<Reaction>> {
        dispatch!(self, s => s.list_reactions(post_id))
    }

    async fn create_file(&self, info: &FileInfo, data: &[u8]) -> StoreResult<FileInfo> {
        dispatch!(self, s => s.create_file(info, data))
    }

    async fn get_file_info(&self, id: &str) -> StoreResult<Option<FileInfo>> {
        dispatch!(self, s => s.get_file_info(id))
    }

    async fn get_file_data(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        dispatch!(self, s => s.get_file_data(id))
    }

    async fn attach_files(&self, post_id: &str, ids: &[String], at: i64) -> StoreResult<()> {
        dispatch!(self, s => s.attach_files(post_id, ids, at))
    }

    async fn list_post_files(&self, post_id: &str) -> StoreResult<Vec<FileInfo>> {
        dispatch!(self, s => s.list_post_files(post_id))
    }
}

impl DirectoryStore for AnyStore {
    async fn create_access_token(&self, token: &AccessToken) -> StoreResult<AccessToken> {
        dispatch!(self, s => s.create_access_token(token))
    }

    async fn get_access_token(&self, token: &str) -> StoreResult<Option<AccessToken>> {
        dispatch!(self, s => s.get_access_token(token))
    }

    async fn get_access_token_by_id(&self, id: &str) -> StoreResult<Option<AccessToken>> {
        dispatch!(self, s => s.get_access_token_by_id(id))
    }

    async fn list_access_tokens(&self, user_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<AccessToken>> {
        dispatch!(self, s => s.list_access_tokens(user_id, page, per_page))
    }

    async fn set_access_token_active(&self, id: &str, active: bool) -> StoreResult<()> {
        dispatch!(self, s => s.set_access_token_active(id, active))
    }

    async fn delete_access_token(&self, id: &str) -> StoreResult<()> {
        dispatch!(self, s => s.delete_access_token(id))
    }

    async fn take_login_attempt(&self, user_id: &str, max: u32) -> StoreResult<bool> {
        dispatch!(self, s => s.take_login_attempt(user_id, max))
    }

    async fn return_login_attempt(&self, user_id: &str) -> StoreResult<()> {
        dispatch!(self, s => s.return_login_attempt(user_id))
    }

    async fn clear_login_failures(&self, user_id: &str) -> StoreResult<()> {
        dispatch!(self, s => s.clear_login_failures(user_id))
    }

    async fn count_login_failures(&self, user_id: &str) -> StoreResult<i64> {
        dispatch!(self, s => s.count_login_failures(user_id))
    }

    async fn update_team(&self, team: &Team) -> StoreResult<Team> {
        dispatch!(self, s => s.update_team(team))
    }

    async fn list_teams(&self, page: u32, per_page: u32) -> StoreResult<Vec<Team>> {
        dispatch!(self, s => s.list_teams(page, per_page))
    }

    async fn list_user_teams(&self, user_id: &str) -> StoreResult<Vec<Team>> {
        dispatch!(self, s => s.list_user_teams(user_id))
    }

    async fn list_user_direct_channels(&self, user_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Channel>> {
        dispatch!(self, s => s.list_user_direct_channels(user_id, page, per_page))
    }

    async fn list_public_channels(&self, offset: u32, count: u32) -> StoreResult<Vec<Channel>> {
        dispatch!(self, s => s.list_public_channels(offset, count))
    }

    async fn count_public_channels(&self) -> StoreResult<i64> {
        dispatch!(self, s => s.count_public_channels())
    }

    async fn remove_channel_member(&self, channel_id: &str, user_id: &str) -> StoreResult<bool> {
        dispatch!(self, s => s.remove_channel_member(channel_id, user_id))
    }

    async fn archive_channel(&self, id: &str, at: i64) -> StoreResult<Channel> {
        let archived = dispatch!(self, s => s.archive_channel(id, at));
        self.cache.forget_channel(id);
        archived
    }

    async fn delete_channel(&self, id: &str) -> StoreResult<bool> {
        let deleted = dispatch!(self, s => s.delete_channel(id));
        // The room's memberships and incoming hooks went with it; rare
        // enough to forget everything rather than each of them.
        self.cache.clear();
        deleted
    }

    async fn delete_team(&self, id: &str, heir: &str) -> StoreResult<bool> {
        let deleted = dispatch!(self, s => s.delete_team(id, heir));
        // Channels, memberships and hooks of the team changed: rare enough
        // to forget everything.
        self.cache.clear();
        deleted
    }

    async fn erase_user_traces(&self, user_id: &str) -> StoreResult<()> {
        let erased = dispatch!(self, s => s.erase_user_traces(user_id));
        // Sessions, memberships and channel counts cached for many keys:
        // rare enough to forget everything.
        self.cache.clear();
        erased
    }

    async fn clear_rc_history(&self, integration_id: &str) -> StoreResult<u64> {
        // History is not cached.
        dispatch!(self, s => s.clear_rc_history(integration_id))
    }

    async fn get_rc_history(&self, integration_id: &str, id: &str) -> StoreResult<Option<RcHistory>> {
        dispatch!(self, s => s.get_rc_history(integration_id, id))
    }
}

impl InspectStore for AnyStore {
    async fn search_posts(&self, search: &PostSearch, end: SearchEnd, limit: u32) -> StoreResult<Vec<Post>> {
        dispatch!(self, s => s.search_posts(search, end, limit))
    }

    async fn list_all_channels(&self) -> StoreResult<Vec<Channel>> {
        dispatch!(self, s => s.list_all_channels())
    }

    async fn list_active_users(&self, limit: u32) -> StoreResult<Vec<User>> {
        dispatch!(self, s => s.list_active_users(limit))
    }

    async fn wipe(&self) -> StoreResult<()> {
        let wiped = dispatch!(self, s => s.wipe());
        // Also after a failure: part of it may have been done.
        self.cache.clear();
        wiped
    }

    async fn prune_posts(&self, before: i64, keep: Option<u64>) -> StoreResult<u64> {
        // Posts are not cached, so nothing to forget.
        dispatch!(self, s => s.prune_posts(before, keep))
    }
}
