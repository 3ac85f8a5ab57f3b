//! [`DirectoryStore`]: personal access tokens, and the listings and
//! membership changes that clients browse and bots make (teams of a user,
//! public channels, leaving, archiving), and the count of failed logins.

use std::future::Future;

use super::{AccessToken, Channel, RcHistory, StoreResult, Team};

pub trait DirectoryStore: Send + Sync + 'static {
    // ----- personal access tokens -----

    /// Insert a token. Conflict if the id or token exists; NotFound if the user does not.
    fn create_access_token(&self, token: &AccessToken) -> impl Future<Output = StoreResult<AccessToken>> + Send;
    /// The token record whose secret is `token`, active or not.
    fn get_access_token(&self, token: &str) -> impl Future<Output = StoreResult<Option<AccessToken>>> + Send;
    /// The token record with this id, active or not.
    fn get_access_token_by_id(&self, id: &str) -> impl Future<Output = StoreResult<Option<AccessToken>>> + Send;
    /// A user's tokens, oldest first.
    fn list_access_tokens(
        &self,
        user_id: &str,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<AccessToken>>> + Send;
    /// Activate or deactivate a token. NotFound if absent.
    fn set_access_token_active(&self, id: &str, active: bool) -> impl Future<Output = StoreResult<()>> + Send;
    /// Delete a token (revoke). NotFound if absent.
    fn delete_access_token(&self, id: &str) -> impl Future<Output = StoreResult<()>> + Send;

    // ----- failed logins -----

    /// Count a password attempt for `user_id` as failed before it is
    /// checked, unless `max` failures are counted already: `Ok(false)` then
    /// (the account is locked). Counting first bounds the guesses that
    /// concurrent attempts make to `max`, whichever instance they reach.
    /// NotFound if the user does not exist.
    fn take_login_attempt(&self, user_id: &str, max: u32) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Un-count an attempt taken with `take_login_attempt` that was not
    /// made after all (the password could not be checked).
    fn return_login_attempt(&self, user_id: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Forget the failures of `user_id` (a successful login).
    fn clear_login_failures(&self, user_id: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Failed attempts counted for `user_id` (0 if none).
    fn count_login_failures(&self, user_id: &str) -> impl Future<Output = StoreResult<i64>> + Send;

    // ----- teams and channels -----

    /// Replace a team's columns (all but its id) with `team`'s. NotFound if
    /// there is no team with its id.
    fn update_team(&self, team: &Team) -> impl Future<Output = StoreResult<Team>> + Send;
    /// Live teams, by name.
    fn list_teams(&self, page: u32, per_page: u32) -> impl Future<Output = StoreResult<Vec<Team>>> + Send;
    /// Live teams `user_id` is a current member of, by name.
    fn list_user_teams(&self, user_id: &str) -> impl Future<Output = StoreResult<Vec<Team>>> + Send;
    /// Live direct channels `user_id` is a member of, oldest first (they
    /// belong to no team, so `list_user_teams` does not reach them).
    fn list_user_direct_channels(
        &self,
        user_id: &str,
        page: u32,
        per_page: u32,
    ) -> impl Future<Output = StoreResult<Vec<Channel>>> + Send;
    /// Public channels of every team, archived ones included, oldest first
    /// (Rocket.Chat's `channels.list`).
    fn list_public_channels(&self, offset: u32, count: u32) -> impl Future<Output = StoreResult<Vec<Channel>>> + Send;
    fn count_public_channels(&self) -> impl Future<Output = StoreResult<i64>> + Send;
    /// End a membership; `Ok(false)` if there was none.
    fn remove_channel_member(&self, channel_id: &str, user_id: &str) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Archive a live channel (`delete_at = update_at = at`). NotFound if it
    /// is absent or archived already.
    fn archive_channel(&self, id: &str, at: i64) -> impl Future<Output = StoreResult<Channel>> + Send;
    /// Delete a room for good, archived or not, with its memberships, posts,
    /// files and the Mattermost hooks that name it, in one transaction.
    /// `Ok(false)` if there was no such room.
    fn delete_channel(&self, id: &str) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Delete team `id` for good, in one transaction: its remaining
    /// channels move to team `heir` (their members become `heir`'s members,
    /// their incoming hooks follow them), its outgoing hooks and slash
    /// commands go (they belong to the team), then its memberships and the
    /// team. `Ok(false)` if there was no such team. Conflict if a channel
    /// that would move has the name of one of `heir`'s (nothing changes then).
    fn delete_team(&self, id: &str, heir: &str) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Remove what a deleted account leaves behind, in one transaction: its
    /// posts (their reactions and files go with them), its channel and team
    /// memberships, its sessions and personal access tokens. The user's row
    /// stays (see [`crate::accounts::delete_user`]).
    fn erase_user_traces(&self, user_id: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Delete every history entry of a Rocket.Chat integration; how many.
    fn clear_rc_history(&self, integration_id: &str) -> impl Future<Output = StoreResult<u64>> + Send;
    /// One history entry of a Rocket.Chat integration.
    fn get_rc_history(
        &self,
        integration_id: &str,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<RcHistory>>> + Send;
}

/// `impl DirectoryStore` for a backend, over the shared SQL (see
/// `impl_content_store!` for the arguments).
macro_rules! impl_directory_store {
    ($store:ty, reads: $reads:ident, writes: $writes:ident, text: $text:path, dialect: $dialect:ident) => {
        impl $crate::store::DirectoryStore for $store {
            async fn create_access_token(&self, token: &AccessToken) -> StoreResult<AccessToken> {
                let row = bind_access_token(sqlx::query(sql::CREATE_ACCESS_TOKEN), token)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("access token id or token already exists"))?;
                Ok(access_token_row(&row)?)
            }

            async fn get_access_token(&self, token: &str) -> StoreResult<Option<AccessToken>> {
                let row = sqlx::query(sql::GET_ACCESS_TOKEN)
                    .bind($text(token))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(access_token_row).transpose()?)
            }

            async fn get_access_token_by_id(&self, id: &str) -> StoreResult<Option<AccessToken>> {
                let row = sqlx::query(sql::GET_ACCESS_TOKEN_BY_ID)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(access_token_row).transpose()?)
            }

            async fn list_access_tokens(
                &self,
                user_id: &str,
                page: u32,
                per_page: u32,
            ) -> StoreResult<Vec<AccessToken>> {
                let rows = sqlx::query(sql::LIST_ACCESS_TOKENS)
                    .bind($text(user_id))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, access_token_row)
            }

            async fn set_access_token_active(&self, id: &str, active: bool) -> StoreResult<()> {
                let done = sqlx::query(sql::SET_ACCESS_TOKEN_ACTIVE)
                    .bind($text(id))
                    .bind(active)
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn delete_access_token(&self, id: &str) -> StoreResult<()> {
                let done = sqlx::query(sql::DELETE_ACCESS_TOKEN)
                    .bind($text(id))
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn take_login_attempt(&self, user_id: &str, max: u32) -> StoreResult<bool> {
                let counted: Option<i64> = sqlx::query_scalar(sql::TAKE_LOGIN_ATTEMPT)
                    .bind($text(user_id))
                    .bind(i64::from(max))
                    .fetch_optional(&self.$writes)
                    .await
                    .map_err(write_err("login failures"))?;
                Ok(counted.is_some())
            }

            async fn return_login_attempt(&self, user_id: &str) -> StoreResult<()> {
                sqlx::query(sql::RETURN_LOGIN_ATTEMPT)
                    .bind($text(user_id))
                    .execute(&self.$writes)
                    .await?;
                Ok(())
            }

            async fn clear_login_failures(&self, user_id: &str) -> StoreResult<()> {
                sqlx::query(sql::CLEAR_LOGIN_FAILURES)
                    .bind($text(user_id))
                    .execute(&self.$writes)
                    .await?;
                Ok(())
            }

            async fn count_login_failures(&self, user_id: &str) -> StoreResult<i64> {
                let counted: Option<i64> = sqlx::query_scalar(sql::GET_LOGIN_FAILURES)
                    .bind($text(user_id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(counted.unwrap_or(0))
            }

            async fn update_team(&self, team: &Team) -> StoreResult<Team> {
                let row = bind_team(sqlx::query(sql::UPDATE_TEAM), team)
                    .fetch_optional(&self.$writes)
                    .await
                    .map_err(write_err("team name already exists"))?;
                Ok(team_row(&row.ok_or(StoreError::NotFound)?)?)
            }

            async fn list_teams(&self, page: u32, per_page: u32) -> StoreResult<Vec<Team>> {
                let rows = sqlx::query(sql::$dialect::LIST_TEAMS)
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, team_row)
            }

            async fn list_user_teams(&self, user_id: &str) -> StoreResult<Vec<Team>> {
                let rows = sqlx::query(sql::$dialect::LIST_USER_TEAMS)
                    .bind($text(user_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, team_row)
            }

            async fn list_user_direct_channels(
                &self,
                user_id: &str,
                page: u32,
                per_page: u32,
            ) -> StoreResult<Vec<Channel>> {
                let rows = sqlx::query(sql::LIST_USER_DIRECT_CHANNELS)
                    .bind($text(user_id))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, channel_row)
            }

            async fn list_public_channels(&self, offset: u32, count: u32) -> StoreResult<Vec<Channel>> {
                let rows = sqlx::query(sql::LIST_PUBLIC_CHANNELS)
                    .bind(i64::from(count))
                    .bind(i64::from(offset))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, channel_row)
            }

            async fn count_public_channels(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(sql::COUNT_PUBLIC_CHANNELS)
                    .fetch_one(&self.$reads)
                    .await?)
            }

            async fn remove_channel_member(&self, channel_id: &str, user_id: &str) -> StoreResult<bool> {
                let done = sqlx::query(sql::REMOVE_CHANNEL_MEMBER)
                    .bind($text(channel_id))
                    .bind($text(user_id))
                    .execute(&self.$writes)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn archive_channel(&self, id: &str, at: i64) -> StoreResult<Channel> {
                let row = sqlx::query(sql::ARCHIVE_CHANNEL)
                    .bind($text(id))
                    .bind(at)
                    .fetch_optional(&self.$writes)
                    .await?;
                Ok(channel_row(&row.ok_or(StoreError::NotFound)?)?)
            }

            async fn delete_channel(&self, id: &str) -> StoreResult<bool> {
                let mut tx = self.write_tx().await?;
                for statement in [sql::DELETE_CHANNEL_INCOMING, sql::DELETE_CHANNEL_OUTGOING] {
                    sqlx::query(statement).bind($text(id)).execute(&mut *tx).await?;
                }
                let done = sqlx::query(sql::DELETE_CHANNEL)
                    .bind($text(id))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn delete_team(&self, id: &str, heir: &str) -> StoreResult<bool> {
                let mut tx = self.write_tx().await?;
                for statement in sql::DELETE_TEAM_MOVES {
                    sqlx::query(statement)
                        .bind($text(id))
                        .bind($text(heir))
                        .execute(&mut *tx)
                        .await
                        .map_err(write_err(
                            "a channel of the team has the name of one of the heir team's",
                        ))?;
                }
                for statement in sql::DELETE_TEAM_REMOVES {
                    sqlx::query(statement).bind($text(id)).execute(&mut *tx).await?;
                }
                let done = sqlx::query(sql::DELETE_TEAM)
                    .bind($text(id))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn erase_user_traces(&self, user_id: &str) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                for statement in sql::ERASE_USER_TRACES {
                    sqlx::query(statement)
                        .bind($text(user_id))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn clear_rc_history(&self, integration_id: &str) -> StoreResult<u64> {
                let done = sqlx::query(sql::CLEAR_RC_HISTORY)
                    .bind($text(integration_id))
                    .execute(&self.$writes)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn get_rc_history(&self, integration_id: &str, id: &str) -> StoreResult<Option<RcHistory>> {
                let row = sqlx::query(sql::GET_RC_HISTORY)
                    .bind($text(integration_id))
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(history_row).transpose()?)
            }
        }
    };
}
