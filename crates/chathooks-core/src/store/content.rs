//! [`ContentStore`]: what happens to posts after they are created (edits,
//! deletion, threads), reactions, and uploaded files.

use std::future::Future;

use super::{FileInfo, Post, Reaction, StoreResult};

pub trait ContentStore: Send + Sync + 'static {
    // ----- posts -----

    /// Overwrite `update_at`, `edit_at`, `message`, `post_type`, `props`,
    /// `hashtags`, `file_ids` and `is_pinned` of a live post. NotFound if the
    /// post is absent or deleted.
    fn update_post(&self, post: &Post) -> impl Future<Output = StoreResult<Post>> + Send;
    /// Soft delete a live post and, if it is a thread's root, its replies
    /// (`delete_at = update_at = at`), returning what was deleted, the post
    /// itself first. NotFound if the post is absent or already deleted.
    fn delete_post(&self, id: &str, at: i64) -> impl Future<Output = StoreResult<Vec<Post>>> + Send;
    /// The live root `root_id` and its live replies, oldest first (by
    /// `create_at`, then id). Empty if the root is absent or deleted.
    fn list_thread(&self, root_id: &str) -> impl Future<Output = StoreResult<Vec<Post>>> + Send;

    // ----- reactions -----

    /// Add a reaction; adding one that exists returns the existing one.
    /// NotFound if the post or user does not exist.
    fn save_reaction(&self, reaction: &Reaction) -> impl Future<Output = StoreResult<Reaction>> + Send;
    /// Remove a reaction; `Ok(None)` if there was none, else the removed one.
    fn delete_reaction(
        &self,
        post_id: &str,
        user_id: &str,
        emoji_name: &str,
    ) -> impl Future<Output = StoreResult<Option<Reaction>>> + Send;
    /// Reactions to a post, oldest first.
    fn list_reactions(&self, post_id: &str) -> impl Future<Output = StoreResult<Vec<Reaction>>> + Send;

    // ----- files -----

    /// Store a file and its contents. Conflict if the id exists; NotFound if
    /// the user or channel does not.
    fn create_file(&self, info: &FileInfo, data: &[u8]) -> impl Future<Output = StoreResult<FileInfo>> + Send;
    /// The live file with this id.
    fn get_file_info(&self, id: &str) -> impl Future<Output = StoreResult<Option<FileInfo>>> + Send;
    /// The contents of the live file with this id.
    fn get_file_data(&self, id: &str) -> impl Future<Output = StoreResult<Option<Vec<u8>>>> + Send;
    /// Mark the files `ids` that no post carries yet as carried by `post_id`
    /// (at time `at`); ids that are unknown or taken are left alone.
    fn attach_files(&self, post_id: &str, ids: &[String], at: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// Live files carried by a post, oldest first.
    fn list_post_files(&self, post_id: &str) -> impl Future<Output = StoreResult<Vec<FileInfo>>> + Send;
}

/// `impl ContentStore` for a backend: the SQL is shared ([`super::sql`]), so
/// the implementations differ only in their pools and how text is bound.
/// `$reads`/`$writes` are the pool fields; `$text` wraps bound text.
macro_rules! impl_content_store {
    ($store:ty, reads: $reads:ident, writes: $writes:ident, text: $text:path) => {
        impl $crate::store::ContentStore for $store {
            async fn update_post(&self, post: &Post) -> StoreResult<Post> {
                let row = bind_post_update(sqlx::query(sql::UPDATE_POST), post)
                    .fetch_optional(&self.$writes)
                    .await?;
                Ok(post_row(&row.ok_or(StoreError::NotFound)?)?)
            }

            async fn delete_post(&self, id: &str, at: i64) -> StoreResult<Vec<Post>> {
                let rows = sqlx::query(sql::DELETE_POST)
                    .bind($text(id))
                    .bind(at)
                    .fetch_all(&self.$writes)
                    .await?;
                let mut deleted = map_rows(rows, post_row)?;
                let Some(index) = deleted.iter().position(|p| p.id == id) else {
                    return Err(StoreError::NotFound);
                };
                deleted.swap(0, index);
                Ok(deleted)
            }

            async fn list_thread(&self, root_id: &str) -> StoreResult<Vec<Post>> {
                let rows = sqlx::query(sql::LIST_THREAD)
                    .bind($text(root_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, post_row)
            }

            async fn save_reaction(&self, reaction: &Reaction) -> StoreResult<Reaction> {
                let row = bind_reaction(sqlx::query(sql::SAVE_REACTION), reaction)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("reaction"))?;
                Ok(reaction_row(&row)?)
            }

            async fn delete_reaction(
                &self,
                post_id: &str,
                user_id: &str,
                emoji_name: &str,
            ) -> StoreResult<Option<Reaction>> {
                let row = sqlx::query(sql::DELETE_REACTION)
                    .bind($text(post_id))
                    .bind($text(user_id))
                    .bind($text(emoji_name))
                    .fetch_optional(&self.$writes)
                    .await?;
                Ok(row.as_ref().map(reaction_row).transpose()?)
            }

            async fn list_reactions(&self, post_id: &str) -> StoreResult<Vec<Reaction>> {
                let rows = sqlx::query(sql::LIST_REACTIONS)
                    .bind($text(post_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, reaction_row)
            }

            async fn create_file(&self, info: &FileInfo, data: &[u8]) -> StoreResult<FileInfo> {
                let row = bind_file(sqlx::query(sql::CREATE_FILE), info)
                    .bind(data)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("file id already exists"))?;
                Ok(file_row(&row)?)
            }

            async fn get_file_info(&self, id: &str) -> StoreResult<Option<FileInfo>> {
                let row = sqlx::query(sql::GET_FILE_INFO)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(file_row).transpose()?)
            }

            async fn get_file_data(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar(sql::GET_FILE_DATA)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?)
            }

            async fn attach_files(&self, post_id: &str, ids: &[String], at: i64) -> StoreResult<()> {
                if ids.is_empty() {
                    return Ok(());
                }
                let mut tx = self.$writes.begin().await?;
                for id in ids {
                    sqlx::query(sql::ATTACH_FILE)
                        .bind($text(post_id))
                        .bind($text(id))
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn list_post_files(&self, post_id: &str) -> StoreResult<Vec<FileInfo>> {
                let rows = sqlx::query(sql::LIST_POST_FILES)
                    .bind($text(post_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, file_row)
            }
        }
    };
}
