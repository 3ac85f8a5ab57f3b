//! [`Reader`]: the read-only view of the store that the dialects and the
//! server get. Every change goes through a core service (accounts, channels,
//! posts, hooks, integrations, sessions...), which keeps the invariants: the
//! permissions checked, the events published, the delivery jobs stored in
//! the same transaction. A read has no invariant to keep, so where a service
//! would only forward, the callers read here.
//!
//! Each method forwards to the store trait method of the same name; see the
//! traits ([`Store`], [`ContentStore`], [`DirectoryStore`], [`InspectStore`],
//! [`DeliveryStore`]) for what each returns.

use crate::store::{
    AccessToken, AnyStore, Bot, BotFilter, Channel, ChannelMember, ContentStore, DeliveryAttempt, DeliveryFilter,
    DeliveryJob, DeliveryStore, DirectoryStore, FileInfo, IncomingFilter, IncomingHook, InspectStore, OutgoingFilter,
    OutgoingHook, Post, PostSearch, RcHistory, RcIntegration, RcIntegrationFilter, Reaction, SearchEnd, Session,
    SlashCommand, Store, StoreResult, Team, TeamMember, User,
};

/// Read-only access to the store: [`crate::Core::read`].
#[derive(Clone, Copy)]
pub struct Reader<'a>(pub(crate) &'a AnyStore);

/// Writes `Reader` methods that forward to the store trait of each group.
macro_rules! reads {
    ($($trait:ident { $(fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)* })*) => {
        impl Reader<'_> {
            $($(
                #[doc = concat!("[`", stringify!($trait), "::", stringify!($name), "`].")]
                pub async fn $name(&self, $($arg: $ty),*) -> StoreResult<$out> {
                    $trait::$name(self.0, $($arg),*).await
                }
            )*)*
        }
    };
}

reads! {
    Store {
        fn get_user(id: &str) -> Option<User>;
        fn get_user_by_username(username: &str) -> Option<User>;
        fn get_user_by_login(login: &str) -> Option<User>;
        fn count_users() -> i64;
        fn get_session(token: &str) -> Option<Session>;
        fn get_team(id: &str) -> Option<Team>;
        fn get_team_by_name(name: &str) -> Option<Team>;
        fn get_team_member(team_id: &str, user_id: &str) -> Option<TeamMember>;
        fn list_team_members(team_id: &str, page: u32, per_page: u32) -> Vec<TeamMember>;
        fn get_channel(id: &str) -> Option<Channel>;
        fn get_channel_by_name(team_id: &str, name: &str) -> Option<Channel>;
        fn list_team_channels(team_id: &str, page: u32, per_page: u32) -> Vec<Channel>;
        fn get_channel_member(channel_id: &str, user_id: &str) -> Option<ChannelMember>;
        fn list_channel_members(channel_id: &str, page: u32, per_page: u32) -> Vec<ChannelMember>;
        fn count_channel_members(channel_id: &str) -> i64;
        fn get_post(id: &str) -> Option<Post>;
        fn list_channel_posts(channel_id: &str, page: u32, per_page: u32) -> Vec<Post>;
        fn get_incoming(id: &str) -> Option<IncomingHook>;
        fn list_incoming(filter: &IncomingFilter, page: u32, per_page: u32) -> Vec<IncomingHook>;
        fn count_incoming(filter: &IncomingFilter) -> i64;
        fn get_outgoing(id: &str) -> Option<OutgoingHook>;
        fn list_outgoing(filter: &OutgoingFilter, page: u32, per_page: u32) -> Vec<OutgoingHook>;
        fn count_outgoing(filter: &OutgoingFilter) -> i64;
        fn outgoing_for_channel(team_id: &str, channel_id: &str) -> Vec<OutgoingHook>;
        fn get_command(id: &str) -> Option<SlashCommand>;
        fn list_team_commands(team_id: &str) -> Vec<SlashCommand>;
        fn get_bot(user_id: &str, include_deleted: bool) -> Option<Bot>;
        fn list_bots(filter: &BotFilter, page: u32, per_page: u32) -> Vec<Bot>;
        fn get_rc_integration(id: &str) -> Option<RcIntegration>;
        fn get_rc_integration_by_token(token: &str) -> Option<RcIntegration>;
        fn get_rc_outgoing_by_url(url: &str) -> Option<RcIntegration>;
        fn list_rc_integrations(filter: &RcIntegrationFilter, offset: u32, count: u32) -> Vec<RcIntegration>;
        fn count_rc_integrations(filter: &RcIntegrationFilter) -> i64;
        fn list_rc_history(integration_id: &str, offset: u32, count: u32) -> Vec<RcHistory>;
        fn count_rc_history(integration_id: &str) -> i64;
        fn get_rc_script_store(integration_id: &str) -> Vec<(String, String)>;
        fn find_channel_by_name(name: &str) -> Option<Channel>;
        fn list_channel_posts_between(channel_id: &str, oldest: i64, latest: i64, offset: u32, count: u32) -> Vec<Post>;
    }
    ContentStore {
        fn list_thread(root_id: &str) -> Vec<Post>;
        fn list_reactions(post_id: &str) -> Vec<Reaction>;
        fn get_file_info(id: &str) -> Option<FileInfo>;
        fn get_file_data(id: &str) -> Option<Vec<u8>>;
        fn list_post_files(post_id: &str) -> Vec<FileInfo>;
    }
    DirectoryStore {
        fn get_access_token(token: &str) -> Option<AccessToken>;
        fn get_access_token_by_id(id: &str) -> Option<AccessToken>;
        fn list_access_tokens(user_id: &str, page: u32, per_page: u32) -> Vec<AccessToken>;
        fn count_login_failures(user_id: &str) -> i64;
        fn list_teams(page: u32, per_page: u32) -> Vec<Team>;
        fn list_user_teams(user_id: &str) -> Vec<Team>;
        fn list_user_direct_channels(user_id: &str, page: u32, per_page: u32) -> Vec<Channel>;
        fn list_public_channels(offset: u32, count: u32) -> Vec<Channel>;
        fn count_public_channels() -> i64;
        fn get_rc_history(integration_id: &str, id: &str) -> Option<RcHistory>;
    }
    InspectStore {
        fn search_posts(search: &PostSearch, end: SearchEnd, limit: u32) -> Vec<Post>;
        fn list_all_channels() -> Vec<Channel>;
        fn list_active_users(limit: u32) -> Vec<User>;
    }
    DeliveryStore {
        fn get_delivery(id: &str) -> Option<DeliveryJob>;
        fn list_deliveries(filter: &DeliveryFilter, offset: u32, count: u32) -> Vec<DeliveryJob>;
        fn list_attempts(job_id: &str) -> Vec<DeliveryAttempt>;
    }
}

impl Reader<'_> {
    /// The names of the teams with these ids, by id (an unknown id maps to
    /// ""; empty ids are skipped): for listings that show `team/channel`.
    pub async fn team_names(&self, team_ids: &[&str]) -> StoreResult<std::collections::HashMap<String, String>> {
        let mut names = std::collections::HashMap::new();
        for &id in team_ids {
            if id.is_empty() || names.contains_key(id) {
                continue;
            }
            let name = self.get_team(id).await?.map(|team| team.name).unwrap_or_default();
            names.insert(id.to_owned(), name);
        }
        Ok(names)
    }

    /// [`AnyStore::get_channel_for_posting`]: the cached channel, for posting.
    pub async fn get_channel_for_posting(&self, id: &str) -> StoreResult<Option<Channel>> {
        self.0.get_channel_for_posting(id).await
    }

    /// [`AnyStore::incoming_page`]: a page of incoming hooks shared with the cache.
    pub async fn incoming_page(
        &self,
        filter: &IncomingFilter,
        page: u32,
        per_page: u32,
    ) -> StoreResult<std::sync::Arc<[IncomingHook]>> {
        self.0.incoming_page(filter, page, per_page).await
    }
}

/// Whoever holds a store may read it (tools and tests that open a database
/// themselves); only the core may change it.
impl<'a> From<&'a AnyStore> for Reader<'a> {
    fn from(store: &'a AnyStore) -> Self {
        Reader(store)
    }
}
