//! The [`Store`](super::Store) queries, written once: `impl_store!` expands
//! them for each backend, as vaultwarden's `db_run!` runs one query body
//! against each backend's connection. The SQL text is [`super::sql`]'s; where
//! the dialects differ, a query names `sql::$dialect::...` and the backend
//! passes its dialect module. The one lookup whose logic (not only its text)
//! differs, an outgoing integration by URL, is each backend's own
//! `rc_outgoing_by_url`.
//!
//! What a backend passes: its type; the pool fields it reads and writes
//! through (SQLite writes through one connection, PostgreSQL reads and
//! writes through one pool); `$text`, how bound text is encoded (as given on
//! SQLite, with PostgreSQL's NUL escape there); and its dialect module. It
//! also provides `write_tx` (a transaction that will write), `posts` (the
//! group commit) and, from its `rows` module, the row mappers, the binders
//! and `text_col`: no query here lists a record's columns itself.

/// Every store trait for a backend, each from its one definition: this
/// module's [`Store`](super::Store) queries, `impl_delivery_store!`,
/// `impl_content_store!`, `impl_directory_store!` and `impl_inspect_store!`.
/// See the module docs for the arguments.
macro_rules! impl_backend {
    ($store:ty, reads: $reads:ident, writes: $writes:ident, text: $text:path, dialect: $dialect:ident) => {
        impl_store!($store, reads: $reads, writes: $writes, text: $text, dialect: $dialect);
        impl_delivery_store!($store, reads: $reads, writes: $writes, text: $text, dialect: $dialect);
        impl_content_store!($store, reads: $reads, writes: $writes, text: $text);
        impl_directory_store!($store, reads: $reads, writes: $writes, text: $text, dialect: $dialect);
        impl_inspect_store!($store, reads: $reads, writes: $writes, text: $text, dialect: $dialect);
    };
}

/// `impl Store` for a backend; see the module docs for the arguments.
macro_rules! impl_store {
    ($store:ty, reads: $reads:ident, writes: $writes:ident, text: $text:path, dialect: $dialect:ident) => {
        impl $crate::store::Store for $store {
            async fn create_user(&self, user: &User) -> StoreResult<User> {
                let row = bind_new_user(sqlx::query(sql::CREATE_USER), user)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("user id, username or email already exists"))?;
                Ok(user_row(&row)?)
            }

            async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
                let row = sqlx::query(sql::GET_USER)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(user_row).transpose()?)
            }

            async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
                let row = sqlx::query(sql::$dialect::GET_USER_BY_USERNAME)
                    .bind($text(username.to_lowercase()))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(user_row).transpose()?)
            }

            async fn get_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
                let login = login.to_lowercase();
                if login.is_empty() {
                    // The empty email of accounts without one must not match.
                    return Ok(None);
                }
                let row = sqlx::query(sql::$dialect::GET_USER_BY_LOGIN)
                    .bind($text(login))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(user_row).transpose()?)
            }

            async fn update_user(&self, user: &User) -> StoreResult<User> {
                let row = bind_user_update(sqlx::query(sql::UPDATE_USER), user)
                    .fetch_optional(&self.$writes)
                    .await
                    .map_err(write_err("username or email already exists"))?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(user_row(&row)?)
            }

            async fn count_users(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(sql::COUNT_USERS)
                    .fetch_one(&self.$reads)
                    .await?)
            }

            // ----- sessions -----

            async fn create_session(&self, session: &Session) -> StoreResult<()> {
                bind_session(sqlx::query(sql::CREATE_SESSION), session)
                    .execute(&self.$writes)
                    .await
                    .map_err(write_err("session token already exists"))?;
                Ok(())
            }

            async fn get_session(&self, token: &str) -> StoreResult<Option<Session>> {
                let row = sqlx::query(sql::GET_SESSION)
                    .bind($text(token))
                    .fetch_optional(&self.$reads)
                    .await?;
                let session = row.as_ref().map(session_row).transpose()?;
                Ok(session.filter(|s| !s.is_expired(now_ms())))
            }

            async fn touch_session(&self, token: &str, at: i64) -> StoreResult<()> {
                let done = sqlx::query(sql::TOUCH_SESSION)
                    .bind(at)
                    .bind($text(token))
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn delete_session(&self, token: &str) -> StoreResult<bool> {
                let done = sqlx::query(sql::DELETE_SESSION)
                    .bind($text(token))
                    .execute(&self.$writes)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            // ----- teams -----

            async fn create_team(&self, team: &Team) -> StoreResult<Team> {
                let row = bind_team(sqlx::query(sql::CREATE_TEAM), team)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("team id or name already exists"))?;
                Ok(team_row(&row)?)
            }

            async fn get_team(&self, id: &str) -> StoreResult<Option<Team>> {
                let row = sqlx::query(sql::GET_TEAM)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(team_row).transpose()?)
            }

            async fn get_team_by_name(&self, name: &str) -> StoreResult<Option<Team>> {
                let row = sqlx::query(sql::$dialect::GET_TEAM_BY_NAME)
                    .bind($text(name))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(team_row).transpose()?)
            }

            async fn add_team_member(&self, member: &TeamMember) -> StoreResult<TeamMember> {
                let row = bind_team_member(sqlx::query(sql::ADD_TEAM_MEMBER), member)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("team member"))?;
                Ok(team_member_row(&row)?)
            }

            async fn get_team_member(&self, team_id: &str, user_id: &str) -> StoreResult<Option<TeamMember>> {
                let row = sqlx::query(sql::GET_TEAM_MEMBER)
                    .bind($text(team_id))
                    .bind($text(user_id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(team_member_row).transpose()?)
            }

            async fn list_team_members(&self, team_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<TeamMember>> {
                let rows = sqlx::query(sql::LIST_TEAM_MEMBERS)
                    .bind($text(team_id))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, team_member_row)
            }

            // ----- channels -----

            async fn create_channel(&self, channel: &Channel) -> StoreResult<Channel> {
                let row = bind_channel(sqlx::query(sql::CREATE_CHANNEL), channel)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("channel id, or name within the team, already exists"))?;
                Ok(channel_row(&row)?)
            }

            async fn get_channel(&self, id: &str) -> StoreResult<Option<Channel>> {
                let row = sqlx::query(sql::GET_CHANNEL)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(channel_row).transpose()?)
            }

            async fn get_channel_by_name(&self, team_id: &str, name: &str) -> StoreResult<Option<Channel>> {
                let row = sqlx::query(sql::$dialect::GET_CHANNEL_BY_NAME)
                    .bind($text(team_id))
                    .bind($text(name))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(channel_row).transpose()?)
            }

            async fn list_team_channels(&self, team_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Channel>> {
                let rows = sqlx::query(sql::$dialect::LIST_TEAM_CHANNELS)
                    .bind($text(team_id))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, channel_row)
            }

            async fn add_channel_member(&self, member: &ChannelMember) -> StoreResult<ChannelMember> {
                let mut tx = self.write_tx().await?;
                bind_channel_member(sqlx::query(sql::ADD_CHANNEL_MEMBER), member)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_err("channel member"))?;
                let row = sqlx::query(sql::GET_CHANNEL_MEMBER)
                    .bind($text(&member.channel_id))
                    .bind($text(&member.user_id))
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(channel_member_row(&row)?)
            }

            async fn get_channel_member(&self, channel_id: &str, user_id: &str) -> StoreResult<Option<ChannelMember>> {
                let row = sqlx::query(sql::GET_CHANNEL_MEMBER)
                    .bind($text(channel_id))
                    .bind($text(user_id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(channel_member_row).transpose()?)
            }

            async fn list_channel_members(
                &self,
                channel_id: &str,
                page: u32,
                per_page: u32,
            ) -> StoreResult<Vec<ChannelMember>> {
                let rows = sqlx::query(sql::LIST_CHANNEL_MEMBERS)
                    .bind($text(channel_id))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, channel_member_row)
            }

            async fn count_channel_members(&self, channel_id: &str) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(sql::COUNT_CHANNEL_MEMBERS)
                    .bind($text(channel_id))
                    .fetch_one(&self.$reads)
                    .await?)
            }

            async fn get_or_create_direct_channel(&self, user_a: &str, user_b: &str) -> StoreResult<Channel> {
                let (low, high) = if user_a <= user_b {
                    (user_a, user_b)
                } else {
                    (user_b, user_a)
                };
                let name = crate::channels::direct_channel_name(low, high);
                let now = now_ms();
                let mut tx = self.write_tx().await?;
                sqlx::query(sql::$dialect::CREATE_DIRECT_CHANNEL)
                    .bind(crate::ids::new_id())
                    .bind(now)
                    .bind($text(&name))
                    .bind($text(user_a))
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query(sql::$dialect::GET_CHANNEL_BY_NAME)
                    .bind("")
                    .bind($text(&name))
                    .fetch_one(&mut *tx)
                    .await?;
                let channel = channel_row(&row)?;
                for user in [low, high] {
                    sqlx::query(sql::ADD_DIRECT_MEMBER)
                        .bind($text(&channel.id))
                        .bind($text(user))
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_err("direct channel member"))?;
                }
                tx.commit().await?;
                Ok(channel)
            }

            // ----- posts -----

            async fn create_post(&self, post: &Post) -> StoreResult<Post> {
                self.posts.write(post, Vec::new()).await
            }

            async fn get_post(&self, id: &str) -> StoreResult<Option<Post>> {
                let row = sqlx::query(sql::GET_POST)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(post_row).transpose()?)
            }

            async fn list_channel_posts(&self, channel_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Post>> {
                let rows = sqlx::query(sql::LIST_CHANNEL_POSTS)
                    .bind($text(channel_id))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, post_row)
            }

            // ----- incoming hooks -----

            async fn create_incoming(&self, hook: &IncomingHook) -> StoreResult<IncomingHook> {
                let row = bind_incoming(sqlx::query(sql::CREATE_INCOMING), hook)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("incoming webhook id already exists"))?;
                Ok(incoming_row(&row)?)
            }

            async fn get_incoming(&self, id: &str) -> StoreResult<Option<IncomingHook>> {
                let row = sqlx::query(sql::GET_INCOMING)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(incoming_row).transpose()?)
            }

            async fn update_incoming(&self, hook: &IncomingHook) -> StoreResult<IncomingHook> {
                let row = bind_incoming_update(sqlx::query(sql::UPDATE_INCOMING), hook)
                    .fetch_optional(&self.$writes)
                    .await
                    .map_err(write_err("incoming webhook"))?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(incoming_row(&row)?)
            }

            async fn delete_incoming(&self, id: &str, at: i64) -> StoreResult<()> {
                let done = sqlx::query(sql::DELETE_INCOMING)
                    .bind(at)
                    .bind($text(id))
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn list_incoming(
                &self,
                filter: &IncomingFilter,
                page: u32,
                per_page: u32,
            ) -> StoreResult<Vec<IncomingHook>> {
                let rows = sqlx::query(sql::LIST_INCOMING)
                    .bind(filter.team_id.as_deref().map($text))
                    .bind(filter.user_id.as_deref().map($text))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, incoming_row)
            }

            async fn count_incoming(&self, filter: &IncomingFilter) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(sql::COUNT_INCOMING)
                    .bind(filter.team_id.as_deref().map($text))
                    .bind(filter.user_id.as_deref().map($text))
                    .fetch_one(&self.$reads)
                    .await?)
            }

            // ----- outgoing hooks -----

            async fn create_outgoing(&self, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
                let row = bind_outgoing(sqlx::query(sql::CREATE_OUTGOING), hook)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("outgoing webhook id already exists"))?;
                Ok(outgoing_row(&row)?)
            }

            async fn get_outgoing(&self, id: &str) -> StoreResult<Option<OutgoingHook>> {
                let row = sqlx::query(sql::GET_OUTGOING)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(outgoing_row).transpose()?)
            }

            async fn update_outgoing(&self, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
                let row = bind_outgoing_update(sqlx::query(sql::UPDATE_OUTGOING), hook)
                    .fetch_optional(&self.$writes)
                    .await
                    .map_err(write_err("outgoing webhook"))?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(outgoing_row(&row)?)
            }

            async fn regen_outgoing_token(&self, id: &str, token: &str, at: i64) -> StoreResult<OutgoingHook> {
                let row = sqlx::query(sql::REGEN_OUTGOING_TOKEN)
                    .bind($text(token))
                    .bind(at)
                    .bind($text(id))
                    .fetch_optional(&self.$writes)
                    .await?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(outgoing_row(&row)?)
            }

            async fn delete_outgoing(&self, id: &str, at: i64) -> StoreResult<()> {
                let done = sqlx::query(sql::DELETE_OUTGOING)
                    .bind(at)
                    .bind($text(id))
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn list_outgoing(
                &self,
                filter: &OutgoingFilter,
                page: u32,
                per_page: u32,
            ) -> StoreResult<Vec<OutgoingHook>> {
                let rows = sqlx::query(sql::LIST_OUTGOING)
                    .bind(filter.team_id.as_deref().map($text))
                    .bind(filter.channel_id.as_deref().map($text))
                    .bind(filter.creator_id.as_deref().map($text))
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, outgoing_row)
            }

            async fn count_outgoing(&self, filter: &OutgoingFilter) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(sql::COUNT_OUTGOING)
                    .bind(filter.team_id.as_deref().map($text))
                    .bind(filter.channel_id.as_deref().map($text))
                    .bind(filter.creator_id.as_deref().map($text))
                    .fetch_one(&self.$reads)
                    .await?)
            }

            async fn outgoing_for_channel(&self, team_id: &str, channel_id: &str) -> StoreResult<Vec<OutgoingHook>> {
                let rows = sqlx::query(sql::OUTGOING_FOR_CHANNEL)
                    .bind($text(team_id))
                    .bind($text(channel_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, outgoing_row)
            }

            // ----- slash commands -----

            async fn create_command(&self, command: &SlashCommand) -> StoreResult<SlashCommand> {
                let row = bind_command(sqlx::query(sql::CREATE_COMMAND), command)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("slash command"))?;
                Ok(command_row(&row)?)
            }

            async fn get_command(&self, id: &str) -> StoreResult<Option<SlashCommand>> {
                let row = sqlx::query(sql::GET_COMMAND)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(command_row).transpose()?)
            }

            async fn update_command(&self, command: &SlashCommand) -> StoreResult<SlashCommand> {
                let row = bind_command_update(sqlx::query(sql::UPDATE_COMMAND), command)
                    .fetch_optional(&self.$writes)
                    .await
                    .map_err(write_err("slash command"))?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(command_row(&row)?)
            }

            async fn delete_command(&self, id: &str, at: i64) -> StoreResult<()> {
                let done = sqlx::query(sql::DELETE_COMMAND)
                    .bind(at)
                    .bind($text(id))
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn list_team_commands(&self, team_id: &str) -> StoreResult<Vec<SlashCommand>> {
                let rows = sqlx::query(sql::LIST_TEAM_COMMANDS)
                    .bind($text(team_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, command_row)
            }

            async fn create_command_webhook(&self, hook: &CommandWebhook) -> StoreResult<()> {
                sqlx::query(sql::CREATE_COMMAND_WEBHOOK)
                    .bind($text(&hook.id))
                    .bind(hook.create_at)
                    .bind($text(&hook.command_id))
                    .bind($text(&hook.user_id))
                    .bind($text(&hook.channel_id))
                    .bind($text(&hook.root_id))
                    .bind(hook.use_count)
                    .execute(&self.$writes)
                    .await
                    .map_err(write_err("command webhook"))?;
                Ok(())
            }

            async fn get_command_webhook(&self, id: &str, made_after: i64) -> StoreResult<Option<CommandWebhook>> {
                let row = sqlx::query(sql::GET_COMMAND_WEBHOOK)
                    .bind($text(id))
                    .bind(made_after)
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(command_webhook_row).transpose()?)
            }

            async fn use_command_webhook(&self, id: &str, limit: i32) -> StoreResult<bool> {
                let done = sqlx::query(sql::USE_COMMAND_WEBHOOK)
                    .bind($text(id))
                    .bind(limit)
                    .execute(&self.$writes)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_command_webhooks_before(&self, made_before: i64) -> StoreResult<u64> {
                let done = sqlx::query(sql::DELETE_COMMAND_WEBHOOKS_BEFORE)
                    .bind(made_before)
                    .execute(&self.$writes)
                    .await?;
                Ok(done.rows_affected())
            }

            // ----- bot accounts -----

            async fn create_bot(&self, user: &User, bot: &Bot) -> StoreResult<Bot> {
                let mut tx = self.write_tx().await?;
                bind_new_user(sqlx::query(sql::CREATE_USER), user)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_err("user id, username or email already exists"))?;
                bind_new_bot(sqlx::query(sql::CREATE_BOT), bot)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_err("bot"))?;
                let row = sqlx::query(sql::GET_BOT)
                    .bind($text(&bot.user_id))
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(bot_row(&row)?)
            }

            async fn convert_user_to_bot(&self, user: &User, bot: &Bot) -> StoreResult<Bot> {
                let mut tx = self.write_tx().await?;
                let updated = sqlx::query(sql::SET_USER_IS_BOT)
                    .bind($text(&user.id))
                    .bind(true)
                    .bind(user.update_at)
                    .execute(&mut *tx)
                    .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                bind_new_bot(sqlx::query(sql::CREATE_BOT), bot)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_err("the user is a bot already"))?;
                sqlx::query(sql::DELETE_USER_SESSIONS)
                    .bind($text(&user.id))
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query(sql::GET_BOT)
                    .bind($text(&bot.user_id))
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(bot_row(&row)?)
            }

            async fn convert_bot_to_user(&self, user: &User) -> StoreResult<User> {
                let mut tx = self.write_tx().await?;
                let deleted = sqlx::query(sql::DELETE_BOT)
                    .bind($text(&user.id))
                    .execute(&mut *tx)
                    .await?;
                if deleted.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query(sql::SET_USER_IS_BOT)
                    .bind($text(&user.id))
                    .bind(false)
                    .bind(user.update_at)
                    .execute(&mut *tx)
                    .await?;
                let row = bind_user_update(sqlx::query(sql::UPDATE_USER), user)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(write_err("username or email already exists"))?
                    .ok_or(StoreError::NotFound)?;
                tx.commit().await?;
                Ok(user_row(&row)?)
            }

            async fn get_bot(&self, user_id: &str, include_deleted: bool) -> StoreResult<Option<Bot>> {
                let row = sqlx::query(sql::GET_BOT)
                    .bind($text(user_id))
                    .bind(include_deleted)
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(bot_row).transpose()?)
            }

            async fn update_bot(&self, user: &User, bot: &Bot) -> StoreResult<Bot> {
                let mut tx = self.write_tx().await?;
                let updated = bind_user_update(sqlx::query(sql::UPDATE_USER), user)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(write_err("username or email already exists"))?;
                if updated.is_none() {
                    return Err(StoreError::NotFound);
                }
                let done = bind_bot_update(sqlx::query(sql::UPDATE_BOT), bot)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let row = sqlx::query(sql::GET_BOT)
                    .bind($text(&bot.user_id))
                    .bind(true)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(bot_row(&row)?)
            }

            async fn list_bots(&self, filter: &BotFilter, page: u32, per_page: u32) -> StoreResult<Vec<Bot>> {
                let rows = sqlx::query(sql::LIST_BOTS)
                    .bind($text(filter.owner_id.as_deref().unwrap_or("")))
                    .bind(filter.include_deleted)
                    .bind(filter.only_orphaned)
                    .bind(i64::from(per_page))
                    .bind(page_offset(page, per_page))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, bot_row)
            }

            // ----- Rocket.Chat integrations -----

            async fn create_rc_integration(&self, integration: &RcIntegration) -> StoreResult<RcIntegration> {
                let row = bind_rc(sqlx::query(sql::CREATE_RC_INTEGRATION), integration)
                    .fetch_one(&self.$writes)
                    .await
                    .map_err(write_err("integration id already exists"))?;
                Ok(rc_row(&row)?)
            }

            async fn get_rc_integration(&self, id: &str) -> StoreResult<Option<RcIntegration>> {
                let row = sqlx::query(sql::GET_RC_INTEGRATION)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(rc_row).transpose()?)
            }

            async fn get_rc_integration_by_token(&self, token: &str) -> StoreResult<Option<RcIntegration>> {
                if token.is_empty() {
                    return Ok(None);
                }
                let row = sqlx::query(sql::GET_RC_INTEGRATION_BY_TOKEN)
                    .bind($text(token))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(rc_row).transpose()?)
            }

            async fn get_rc_outgoing_by_url(&self, url: &str) -> StoreResult<Option<RcIntegration>> {
                // JSON lookups are where the dialects differ most: each backend has its own.
                self.rc_outgoing_by_url(url).await
            }

            async fn update_rc_integration(&self, integration: &RcIntegration) -> StoreResult<RcIntegration> {
                let row = bind_rc_update(sqlx::query(sql::UPDATE_RC_INTEGRATION), integration)
                    .fetch_optional(&self.$writes)
                    .await?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(rc_row(&row)?)
            }

            async fn delete_rc_integration(&self, id: &str) -> StoreResult<RcIntegration> {
                let row = sqlx::query(sql::DELETE_RC_INTEGRATION)
                    .bind($text(id))
                    .fetch_optional(&self.$writes)
                    .await?;
                let row = row.ok_or(StoreError::NotFound)?;
                Ok(rc_row(&row)?)
            }

            async fn list_rc_integrations(
                &self,
                filter: &RcIntegrationFilter,
                offset: u32,
                count: u32,
            ) -> StoreResult<Vec<RcIntegration>> {
                let query = sqlx::query(sql::$dialect::LIST_RC_INTEGRATIONS);
                let rows = bind_rc_filter(query, filter)
                    .bind(i64::from(count))
                    .bind(i64::from(offset))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, rc_row)
            }

            async fn count_rc_integrations(&self, filter: &RcIntegrationFilter) -> StoreResult<i64> {
                let query = sqlx::query(sql::$dialect::COUNT_RC_INTEGRATIONS);
                let row = bind_rc_filter(query, filter).fetch_one(&self.$reads).await?;
                Ok(row.try_get("n")?)
            }

            // ----- Rocket.Chat history -----

            async fn add_rc_history(&self, entry: &RcHistory) -> StoreResult<()> {
                bind_history(sqlx::query(sql::ADD_RC_HISTORY), entry)
                    .execute(&self.$writes)
                    .await
                    .map_err(write_err("history id already exists"))?;
                Ok(())
            }

            async fn update_rc_history(&self, entry: &RcHistory) -> StoreResult<()> {
                let done = bind_history_update(sqlx::query(sql::UPDATE_RC_HISTORY), entry)
                    .execute(&self.$writes)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn list_rc_history(
                &self,
                integration_id: &str,
                offset: u32,
                count: u32,
            ) -> StoreResult<Vec<RcHistory>> {
                let rows = sqlx::query(sql::LIST_RC_HISTORY)
                    .bind($text(integration_id))
                    .bind(i64::from(count))
                    .bind(i64::from(offset))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, history_row)
            }

            async fn count_rc_history(&self, integration_id: &str) -> StoreResult<i64> {
                Ok(sqlx::query_scalar(sql::COUNT_RC_HISTORY)
                    .bind($text(integration_id))
                    .fetch_one(&self.$reads)
                    .await?)
            }

            // ----- Rocket.Chat script store -----

            async fn get_rc_script_store(&self, integration_id: &str) -> StoreResult<Vec<(String, String)>> {
                let rows = sqlx::query(sql::GET_RC_SCRIPT_STORE)
                    .bind($text(integration_id))
                    .fetch_all(&self.$reads)
                    .await?;
                rows.iter()
                    .map(|row| Ok((text_col(row, "key")?, text_col(row, "value")?)))
                    .collect()
            }

            async fn set_rc_script_values(&self, integration_id: &str, values: &[(String, String)]) -> StoreResult<()> {
                let now = now_ms();
                for (key, value) in values {
                    sqlx::query(sql::SET_RC_SCRIPT_VALUE)
                        .bind($text(integration_id))
                        .bind($text(key.as_str()))
                        .bind($text(value.as_str()))
                        .bind(now)
                        .execute(&self.$writes)
                        .await
                        .map_err(write_err("script store value"))?;
                }
                Ok(())
            }

            // ----- Rocket.Chat rooms and messages -----

            async fn find_channel_by_name(&self, name: &str) -> StoreResult<Option<Channel>> {
                let row = sqlx::query(sql::$dialect::FIND_CHANNEL_BY_NAME)
                    .bind($text(name))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(channel_row).transpose()?)
            }

            async fn list_channel_posts_between(
                &self,
                channel_id: &str,
                oldest: i64,
                latest: i64,
                offset: u32,
                count: u32,
            ) -> StoreResult<Vec<Post>> {
                let rows = sqlx::query(sql::LIST_CHANNEL_POSTS_BETWEEN)
                    .bind($text(channel_id))
                    .bind(oldest)
                    .bind(latest)
                    .bind(i64::from(count))
                    .bind(i64::from(offset))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, post_row)
            }

            // ----- changed roles and admin switches -----

            async fn list_roles(&self) -> StoreResult<Vec<StoredRole>> {
                let rows = sqlx::query(sql::LIST_ROLES).fetch_all(&self.$reads).await?;
                rows.iter()
                    .map(|row| {
                        let permissions = text_col(row, "permissions")?;
                        Ok(StoredRole {
                            name: text_col(row, "name")?,
                            permissions: serde_json::from_str(&permissions)
                                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                            update_at: sqlx::Row::try_get(row, "update_at")?,
                        })
                    })
                    .collect()
            }

            async fn put_role(&self, role: &StoredRole) -> StoreResult<()> {
                let permissions =
                    serde_json::to_string(&role.permissions).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                sqlx::query(sql::PUT_ROLE)
                    .bind($text(role.name.as_str()))
                    .bind($text(permissions))
                    .bind(role.update_at)
                    .execute(&self.$writes)
                    .await
                    .map_err(write_err("role"))?;
                Ok(())
            }

            async fn list_settings(&self) -> StoreResult<Vec<StoredSetting>> {
                let rows = sqlx::query(sql::LIST_SETTINGS).fetch_all(&self.$reads).await?;
                rows.iter()
                    .map(|row| {
                        let value = text_col(row, "value")?;
                        Ok(StoredSetting {
                            key: text_col(row, "key")?,
                            value: serde_json::from_str(&value).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                            update_at: sqlx::Row::try_get(row, "update_at")?,
                        })
                    })
                    .collect()
            }

            async fn put_setting(&self, setting: &StoredSetting) -> StoreResult<()> {
                sqlx::query(sql::PUT_SETTING)
                    .bind($text(setting.key.as_str()))
                    .bind($text(setting.value.to_string()))
                    .bind(setting.update_at)
                    .execute(&self.$writes)
                    .await
                    .map_err(write_err("setting"))?;
                Ok(())
            }

            async fn insert_setting_if_absent(&self, setting: &StoredSetting) -> StoreResult<bool> {
                let done = sqlx::query(sql::INSERT_SETTING_IF_ABSENT)
                    .bind($text(setting.key.as_str()))
                    .bind($text(setting.value.to_string()))
                    .bind(setting.update_at)
                    .execute(&self.$writes)
                    .await
                    .map_err(write_err("setting"))?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
