//! [`InspectStore`]: reading across the whole server, as a test or the web UI
//! looks at it (every channel's posts, filtered), and the housekeeping of a
//! stand-in: emptying the database, and retention.

use std::future::Future;

use super::{Channel, Post, StoreResult, User};

/// Which posts to find. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostSearch {
    pub channel_id: Option<String>,
    pub hook_id: Option<String>,
    pub user_id: Option<String>,
    /// Text the message contains (case-sensitive).
    pub text: Option<String>,
    /// Only posts created strictly after this time (ms).
    pub after: i64,
}

impl PostSearch {
    /// Whether `post` (live) matches, as the query would decide.
    pub fn matches(&self, post: &Post) -> bool {
        post.delete_at == 0
            && post.create_at > self.after
            && self.channel_id.as_ref().is_none_or(|id| post.channel_id == *id)
            && self.hook_id.as_ref().is_none_or(|id| post.hook_id == *id)
            && self.user_id.as_ref().is_none_or(|id| post.user_id == *id)
            && self
                .text
                .as_ref()
                .is_none_or(|text| post.message.contains(text.as_str()))
    }
}

/// Which end of the matches a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchEnd {
    /// The first matches in time (what "wait for the next message" wants).
    Oldest,
    /// The last matches in time (what a listing of recent messages wants).
    Newest,
}

pub trait InspectStore: Send + Sync + 'static {
    /// Live posts matching `search`, oldest first: the `limit` oldest or
    /// newest of them, as `end` says.
    fn search_posts(
        &self,
        search: &PostSearch,
        end: SearchEnd,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<Post>>> + Send;
    /// Live channels that are not direct-message channels, by team id then name.
    fn list_all_channels(&self) -> impl Future<Output = StoreResult<Vec<Channel>>> + Send;
    /// The first `limit` active users (bots included), by username: whom the
    /// web UI may act as.
    fn list_active_users(&self, limit: u32) -> impl Future<Output = StoreResult<Vec<User>>> + Send;
    /// Delete every row of every table (the schema and its migrations stay),
    /// in one transaction.
    fn wipe(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Delete posts created before `before` (ms; 0: none for age) and all but
    /// the newest `keep` posts (`None`: no count limit), with their
    /// reactions and files. Returns how many posts were deleted.
    fn prune_posts(&self, before: i64, keep: Option<u64>) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// `impl InspectStore` for a backend (see `impl_directory_store!` for the
/// arguments).
macro_rules! impl_inspect_store {
    ($store:ty, reads: $reads:ident, writes: $writes:ident, text: $text:path, dialect: $dialect:ident) => {
        impl $crate::store::InspectStore for $store {
            async fn search_posts(
                &self,
                search: &$crate::store::PostSearch,
                end: $crate::store::SearchEnd,
                limit: u32,
            ) -> StoreResult<Vec<Post>> {
                let query = match end {
                    $crate::store::SearchEnd::Oldest => sql::$dialect::SEARCH_POSTS_OLDEST,
                    $crate::store::SearchEnd::Newest => sql::$dialect::SEARCH_POSTS_NEWEST,
                };
                let rows = sqlx::query(query)
                    .bind(search.channel_id.as_deref().map($text))
                    .bind(search.hook_id.as_deref().map($text))
                    .bind(search.user_id.as_deref().map($text))
                    .bind(search.text.as_deref().map($text))
                    .bind(search.after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$reads)
                    .await?;
                let mut posts = map_rows(rows, post_row)?;
                if end == $crate::store::SearchEnd::Newest {
                    posts.reverse();
                }
                Ok(posts)
            }

            async fn list_all_channels(&self) -> StoreResult<Vec<Channel>> {
                let rows = sqlx::query(sql::$dialect::LIST_ALL_CHANNELS)
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, channel_row)
            }

            async fn list_active_users(&self, limit: u32) -> StoreResult<Vec<User>> {
                let rows = sqlx::query(sql::LIST_ACTIVE_USERS)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, user_row)
            }

            async fn wipe(&self) -> StoreResult<()> {
                let mut tx = self.$writes.begin().await?;
                // Every table the migrations made, whatever migrations came
                // later; the order of deletion does not matter (see `WIPE_PREPARE`).
                let tables: Vec<String> = sqlx::query_scalar(sql::$dialect::LIST_TABLES)
                    .fetch_all(&mut *tx)
                    .await?;
                if !sql::$dialect::WIPE_PREPARE.is_empty() {
                    sqlx::query(sql::$dialect::WIPE_PREPARE).execute(&mut *tx).await?;
                }
                for statement in sql::$dialect::wipe_statements(&tables) {
                    sqlx::query(sqlx::AssertSqlSafe(statement))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn prune_posts(&self, before: i64, keep: Option<u64>) -> StoreResult<u64> {
                let mut tx = self.$writes.begin().await?;
                let mut deleted = 0;
                if before > 0 {
                    deleted += sqlx::query(sql::PRUNE_POSTS_BEFORE)
                        .bind(before)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                if let Some(keep) = keep {
                    deleted += sqlx::query(sql::$dialect::PRUNE_POSTS_BEYOND)
                        .bind(i64::try_from(keep).unwrap_or(i64::MAX))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                if deleted > 0 {
                    sqlx::query(sql::PRUNE_ORPHAN_FILES).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(deleted)
            }
        }
    };
}
