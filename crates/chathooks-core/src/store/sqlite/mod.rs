//! The SQLite backend of [`Store`].
//!
//! Durability: file databases run in WAL mode with `synchronous = NORMAL`, so a
//! commit returns once it is in the WAL file; an `Ok` survives `kill -9` of the
//! process (an OS crash or power loss may lose the last commits). All writes go
//! through a single-connection pool, so they queue instead of colliding on the
//! write lock; reads use their own pool. Writes that must go together run in one
//! `BEGIN IMMEDIATE` transaction.
//!
//! Rows are mapped by hand rather than with sqlx's compile-time macros: no build
//! step needs a database, and the mapping is explicit about the JSON columns.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlSafeStr};

use super::*;

mod batch;
mod checkpoint;
mod delivery;
mod rows;
use super::group_commit::GroupCommit;
use super::rows::{json_list, page_offset, write_err};
use super::sql;
use rows::*;

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections of a file database pool: WAL gives concurrent readers, one writer.
const FILE_POOL_SIZE: u32 = 4;

/// The embedded schema migrations, in order. Add new files here, never edit old ones:
/// sqlx records a checksum of each applied migration and refuses a changed one.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            Cow::Borrowed("init"),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            Cow::Borrowed("post counts trigger"),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0002_post_counts_trigger.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            Cow::Borrowed("delivery queue"),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0003_delivery_queue.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            Cow::Borrowed("tokens reactions files"),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0004_tokens_reactions_files.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            5,
            Cow::Borrowed("script store"),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0005_script_store.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            6,
            Cow::Borrowed("post sources and retention"),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0006_post_sources_and_retention.sql").into_sql_str(),
            false,
        ),
    ])
}

/// The options of every pool here. sqlx pings a connection each time it is
/// taken from the pool (`test_before_acquire`), which for SQLite is a trip to
/// the connection's worker thread and back for nothing: an embedded database
/// cannot have hung up. Without it, a query is one trip instead of two.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

/// [`Store`] on SQLite via sqlx. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads. For a file database, several connections (WAL readers do not block).
    pool: SqlitePool,
    /// Writes: one connection, so writers queue in the pool instead of
    /// colliding on SQLite's write lock and sleeping in its busy handler.
    writer: SqlitePool,
    /// New posts, committed in groups ([`batch`]).
    posts: GroupCommit,
}

impl SqliteStore {
    /// Open (creating if missing) and migrate a database.
    ///
    /// `url` is `sqlite://path/to/file.db` or `sqlite::memory:`. An in-memory
    /// database lives in a pool of exactly one connection that is never recycled,
    /// so every request sees the same data and it lasts as long as the store.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // WAL with `synchronous = NORMAL`: a commit is in the WAL file (the OS
        // page cache) before it is answered, so it survives the process being
        // killed (`kill -9`); only an OS crash or power loss can lose the last
        // commits. FULL would fsync every commit and cap writes at the disk's
        // fsync rate.
        //
        // Temporary files in memory: a multi-row INSERT (group commit) keeps a
        // statement journal, which would otherwise be a file created, written
        // and unlinked per batch (6% of the server's time under a post load).
        let options = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("temp_store", "memory");
        if in_memory {
            let pool = pool_options()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            migrator().run(&pool).await?;
            return Ok(Self {
                posts: GroupCommit::start(batch::Writer(pool.clone())),
                writer: pool.clone(),
                pool,
            });
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("journal_size_limit", checkpoint::SIZE_LIMIT.to_string());
        // The writer leaves checkpoints to `checkpoint`, off the commit path.
        let writer = pool_options()
            .max_connections(1)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        migrator().run(&writer).await?;
        let pool = pool_options()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await?;
        checkpoint::start(pool.clone(), writer.clone(), checkpoint::Schedule::SERVER);
        Ok(Self {
            posts: GroupCommit::start(batch::Writer(writer.clone())),
            pool,
            writer,
        })
    }

    /// Store a post and its jobs through the group-commit writer.
    async fn write_post(&self, post: &Post, jobs: Vec<crate::store::DeliveryJob>) -> StoreResult<Post> {
        self.posts.write(post, jobs).await
    }

    /// Close every connection, checkpointing the WAL. Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Begin a transaction that holds the write lock from the start.
    async fn write_tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// A query with SQLite arguments, as the `bind_*` helpers take and give it.
pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

/// Bind the 17 columns of `post`, in `post_cols!` order.
pub(super) fn bind_post<'q>(query: Query<'q>, post: &'q Post) -> Query<'q> {
    query
        .bind(&post.id)
        .bind(post.create_at)
        .bind(post.update_at)
        .bind(post.edit_at)
        .bind(post.delete_at)
        .bind(&post.user_id)
        .bind(&post.channel_id)
        .bind(&post.root_id)
        .bind(&post.original_id)
        .bind(&post.message)
        .bind(&post.post_type)
        .bind(post.props.to_string())
        .bind(&post.hashtags)
        .bind(json_list(&post.file_ids))
        .bind(&post.pending_post_id)
        .bind(post.is_pinned)
        .bind(&post.hook_id)
}

/// Text is bound as given (see the PostgreSQL backend's `text` for why it is a function).
fn bound<'a>(value: impl Into<Cow<'a, str>>) -> Cow<'a, str> {
    value.into()
}

impl_content_store!(SqliteStore, reads: pool, writes: writer, text: bound);
impl_directory_store!(SqliteStore, reads: pool, writes: writer, text: bound, dialect: sqlite);
impl_inspect_store!(SqliteStore, reads: pool, writes: writer, text: bound, dialect: sqlite);

// ---------------------------------------------------------------------------

impl Store for SqliteStore {
    // ----- users -----

    async fn create_user(&self, user: &User) -> StoreResult<User> {
        let row = sqlx::query(sql::CREATE_USER)
            .bind(&user.id)
            .bind(user.create_at)
            .bind(user.update_at)
            .bind(user.delete_at)
            .bind(user.username.to_lowercase())
            .bind(user.email.to_lowercase())
            .bind(user.email_verified)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.nickname)
            .bind(&user.password_hash)
            .bind(user.last_password_update)
            .bind(&user.roles)
            .bind(&user.locale)
            .bind(user.props.to_string())
            .bind(user.notify_props.to_string())
            .bind(user.timezone.to_string())
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("user id, username or email already exists"))?;
        Ok(user_row(&row)?)
    }

    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(sql::GET_USER).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    async fn get_user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        let row = sqlx::query(sql::sqlite::GET_USER_BY_USERNAME)
            .bind(username.to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    async fn get_user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let login = login.to_lowercase();
        if login.is_empty() {
            // The empty email of accounts without one must not match.
            return Ok(None);
        }
        let row = sqlx::query(sql::sqlite::GET_USER_BY_LOGIN)
            .bind(login)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(user_row).transpose()?)
    }

    async fn update_user(&self, user: &User) -> StoreResult<User> {
        let row = sqlx::query(sql::UPDATE_USER)
            .bind(&user.id)
            .bind(user.update_at)
            .bind(user.delete_at)
            .bind(user.username.to_lowercase())
            .bind(user.email.to_lowercase())
            .bind(user.email_verified)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(&user.nickname)
            .bind(&user.password_hash)
            .bind(user.last_password_update)
            .bind(&user.roles)
            .bind(&user.locale)
            .bind(user.props.to_string())
            .bind(user.notify_props.to_string())
            .bind(user.timezone.to_string())
            .fetch_optional(&self.writer)
            .await
            .map_err(write_err("username or email already exists"))?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(user_row(&row)?)
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_USERS).fetch_one(&self.pool).await?)
    }

    // ----- sessions -----

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        sqlx::query(sql::CREATE_SESSION)
            .bind(&session.token)
            .bind(&session.user_id)
            .bind(session.create_at)
            .bind(session.expires_at)
            .bind(session.last_activity_at)
            .execute(&self.writer)
            .await
            .map_err(write_err("session token already exists"))?;
        Ok(())
    }

    async fn get_session(&self, token: &str) -> StoreResult<Option<Session>> {
        let row = sqlx::query(sql::GET_SESSION)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        let session = row.as_ref().map(session_row).transpose()?;
        Ok(session.filter(|s| !s.is_expired(now_ms())))
    }

    async fn touch_session(&self, token: &str, at: i64) -> StoreResult<()> {
        let done = sqlx::query(sql::TOUCH_SESSION)
            .bind(at)
            .bind(token)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn delete_session(&self, token: &str) -> StoreResult<bool> {
        let done = sqlx::query(sql::DELETE_SESSION)
            .bind(token)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // ----- teams -----

    async fn create_team(&self, team: &Team) -> StoreResult<Team> {
        let row = sqlx::query(sql::CREATE_TEAM)
            .bind(&team.id)
            .bind(team.create_at)
            .bind(team.update_at)
            .bind(team.delete_at)
            .bind(&team.name)
            .bind(&team.display_name)
            .bind(&team.team_type)
            .bind(&team.description)
            .bind(&team.email)
            .bind(team.allow_open_invite)
            .bind(&team.allowed_domains)
            .bind(&team.invite_id)
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("team id or name already exists"))?;
        Ok(team_row(&row)?)
    }

    async fn get_team(&self, id: &str) -> StoreResult<Option<Team>> {
        let row = sqlx::query(sql::GET_TEAM).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(team_row).transpose()?)
    }

    async fn get_team_by_name(&self, name: &str) -> StoreResult<Option<Team>> {
        let row = sqlx::query(sql::sqlite::GET_TEAM_BY_NAME)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(team_row).transpose()?)
    }

    async fn add_team_member(&self, member: &TeamMember) -> StoreResult<TeamMember> {
        let row = sqlx::query(sql::ADD_TEAM_MEMBER)
            .bind(&member.team_id)
            .bind(&member.user_id)
            .bind(&member.roles)
            .bind(member.delete_at)
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("team member"))?;
        Ok(team_member_row(&row)?)
    }

    async fn get_team_member(&self, team_id: &str, user_id: &str) -> StoreResult<Option<TeamMember>> {
        let row = sqlx::query(sql::GET_TEAM_MEMBER)
            .bind(team_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(team_member_row).transpose()?)
    }

    async fn list_team_members(&self, team_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<TeamMember>> {
        let rows = sqlx::query(sql::LIST_TEAM_MEMBERS)
            .bind(team_id)
            .bind(i64::from(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, team_member_row)
    }

    // ----- channels -----

    async fn create_channel(&self, channel: &Channel) -> StoreResult<Channel> {
        let row = sqlx::query(sql::CREATE_CHANNEL)
            .bind(&channel.id)
            .bind(channel.create_at)
            .bind(channel.update_at)
            .bind(channel.delete_at)
            .bind(&channel.team_id)
            .bind(&channel.channel_type)
            .bind(&channel.name)
            .bind(&channel.display_name)
            .bind(&channel.header)
            .bind(&channel.purpose)
            .bind(&channel.creator_id)
            .bind(channel.last_post_at)
            .bind(channel.total_msg_count)
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("channel id, or name within the team, already exists"))?;
        Ok(channel_row(&row)?)
    }

    async fn get_channel(&self, id: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query(sql::GET_CHANNEL)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(channel_row).transpose()?)
    }

    async fn get_channel_by_name(&self, team_id: &str, name: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query(sql::sqlite::GET_CHANNEL_BY_NAME)
            .bind(team_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(channel_row).transpose()?)
    }

    async fn list_team_channels(&self, team_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Channel>> {
        let rows = sqlx::query(sql::sqlite::LIST_TEAM_CHANNELS)
            .bind(team_id)
            .bind(i64::from(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, channel_row)
    }

    async fn add_channel_member(&self, member: &ChannelMember) -> StoreResult<ChannelMember> {
        let mut tx = self.write_tx().await?;
        sqlx::query(sql::ADD_CHANNEL_MEMBER)
            .bind(&member.channel_id)
            .bind(&member.user_id)
            .bind(&member.roles)
            .bind(member.last_viewed_at)
            .bind(member.msg_count)
            .bind(member.mention_count)
            .bind(member.notify_props.to_string())
            .bind(member.last_update_at)
            .execute(&mut *tx)
            .await
            .map_err(write_err("channel member"))?;
        let row = sqlx::query(sql::GET_CHANNEL_MEMBER)
            .bind(&member.channel_id)
            .bind(&member.user_id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(channel_member_row(&row)?)
    }

    async fn get_channel_member(&self, channel_id: &str, user_id: &str) -> StoreResult<Option<ChannelMember>> {
        let row = sqlx::query(sql::GET_CHANNEL_MEMBER)
            .bind(channel_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
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
            .bind(channel_id)
            .bind(i64::from(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, channel_member_row)
    }

    async fn count_channel_members(&self, channel_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_CHANNEL_MEMBERS)
            .bind(channel_id)
            .fetch_one(&self.pool)
            .await?)
    }

    async fn get_or_create_direct_channel(&self, user_a: &str, user_b: &str) -> StoreResult<Channel> {
        let (low, high) = if user_a <= user_b {
            (user_a, user_b)
        } else {
            (user_b, user_a)
        };
        let name = format!("{low}__{high}");
        let now = now_ms();
        let mut tx = self.write_tx().await?;
        sqlx::query(sql::sqlite::CREATE_DIRECT_CHANNEL)
            .bind(crate::ids::new_id())
            .bind(now)
            .bind(&name)
            .bind(user_a)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(sql::sqlite::GET_CHANNEL_BY_NAME)
            .bind("")
            .bind(&name)
            .fetch_one(&mut *tx)
            .await?;
        let channel = channel_row(&row)?;
        for user in [low, high] {
            sqlx::query(sql::ADD_DIRECT_MEMBER)
                .bind(&channel.id)
                .bind(user)
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
        self.write_post(post, Vec::new()).await
    }

    async fn get_post(&self, id: &str) -> StoreResult<Option<Post>> {
        let row = sqlx::query(sql::GET_POST).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(post_row).transpose()?)
    }

    async fn list_channel_posts(&self, channel_id: &str, page: u32, per_page: u32) -> StoreResult<Vec<Post>> {
        let rows = sqlx::query(sql::LIST_CHANNEL_POSTS)
            .bind(channel_id)
            .bind(i64::from(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, post_row)
    }

    // ----- incoming hooks -----

    async fn create_incoming(&self, hook: &IncomingHook) -> StoreResult<IncomingHook> {
        let row = sqlx::query(sql::CREATE_INCOMING)
            .bind(&hook.id)
            .bind(hook.create_at)
            .bind(hook.update_at)
            .bind(hook.delete_at)
            .bind(&hook.user_id)
            .bind(&hook.channel_id)
            .bind(&hook.team_id)
            .bind(&hook.display_name)
            .bind(&hook.description)
            .bind(&hook.username)
            .bind(&hook.icon_url)
            .bind(hook.channel_locked)
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("incoming webhook id already exists"))?;
        Ok(incoming_row(&row)?)
    }

    async fn get_incoming(&self, id: &str) -> StoreResult<Option<IncomingHook>> {
        let row = sqlx::query(sql::GET_INCOMING)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(incoming_row).transpose()?)
    }

    async fn update_incoming(&self, hook: &IncomingHook) -> StoreResult<IncomingHook> {
        let row = sqlx::query(sql::UPDATE_INCOMING)
            .bind(&hook.id)
            .bind(hook.update_at)
            .bind(&hook.user_id)
            .bind(&hook.channel_id)
            .bind(&hook.team_id)
            .bind(&hook.display_name)
            .bind(&hook.description)
            .bind(&hook.username)
            .bind(&hook.icon_url)
            .bind(hook.channel_locked)
            .fetch_optional(&self.writer)
            .await
            .map_err(write_err("incoming webhook"))?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(incoming_row(&row)?)
    }

    async fn delete_incoming(&self, id: &str, at: i64) -> StoreResult<()> {
        let done = sqlx::query(sql::DELETE_INCOMING)
            .bind(at)
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_incoming(&self, filter: &IncomingFilter, page: u32, per_page: u32) -> StoreResult<Vec<IncomingHook>> {
        let rows = sqlx::query(sql::LIST_INCOMING)
            .bind(filter.team_id.as_deref())
            .bind(filter.user_id.as_deref())
            .bind(i64::from(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, incoming_row)
    }

    async fn count_incoming(&self, filter: &IncomingFilter) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_INCOMING)
            .bind(filter.team_id.as_deref())
            .bind(filter.user_id.as_deref())
            .fetch_one(&self.pool)
            .await?)
    }

    // ----- outgoing hooks -----

    async fn create_outgoing(&self, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
        let row = sqlx::query(sql::CREATE_OUTGOING)
            .bind(&hook.id)
            .bind(&hook.token)
            .bind(hook.create_at)
            .bind(hook.update_at)
            .bind(hook.delete_at)
            .bind(&hook.creator_id)
            .bind(&hook.channel_id)
            .bind(&hook.team_id)
            .bind(json_list(&hook.trigger_words))
            .bind(hook.trigger_when)
            .bind(json_list(&hook.callback_urls))
            .bind(&hook.display_name)
            .bind(&hook.description)
            .bind(&hook.content_type)
            .bind(&hook.username)
            .bind(&hook.icon_url)
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("outgoing webhook id already exists"))?;
        Ok(outgoing_row(&row)?)
    }

    async fn get_outgoing(&self, id: &str) -> StoreResult<Option<OutgoingHook>> {
        let row = sqlx::query(sql::GET_OUTGOING)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(outgoing_row).transpose()?)
    }

    async fn update_outgoing(&self, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
        let row = sqlx::query(sql::UPDATE_OUTGOING)
            .bind(&hook.id)
            .bind(hook.update_at)
            .bind(&hook.creator_id)
            .bind(&hook.channel_id)
            .bind(&hook.team_id)
            .bind(json_list(&hook.trigger_words))
            .bind(hook.trigger_when)
            .bind(json_list(&hook.callback_urls))
            .bind(&hook.display_name)
            .bind(&hook.description)
            .bind(&hook.content_type)
            .bind(&hook.username)
            .bind(&hook.icon_url)
            .fetch_optional(&self.writer)
            .await
            .map_err(write_err("outgoing webhook"))?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(outgoing_row(&row)?)
    }

    async fn regen_outgoing_token(&self, id: &str, token: &str, at: i64) -> StoreResult<OutgoingHook> {
        let row = sqlx::query(sql::REGEN_OUTGOING_TOKEN)
            .bind(token)
            .bind(at)
            .bind(id)
            .fetch_optional(&self.writer)
            .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(outgoing_row(&row)?)
    }

    async fn delete_outgoing(&self, id: &str, at: i64) -> StoreResult<()> {
        let done = sqlx::query(sql::DELETE_OUTGOING)
            .bind(at)
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_outgoing(&self, filter: &OutgoingFilter, page: u32, per_page: u32) -> StoreResult<Vec<OutgoingHook>> {
        let rows = sqlx::query(sql::LIST_OUTGOING)
            .bind(filter.team_id.as_deref())
            .bind(filter.channel_id.as_deref())
            .bind(filter.creator_id.as_deref())
            .bind(i64::from(per_page))
            .bind(page_offset(page, per_page))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, outgoing_row)
    }

    async fn count_outgoing(&self, filter: &OutgoingFilter) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_OUTGOING)
            .bind(filter.team_id.as_deref())
            .bind(filter.channel_id.as_deref())
            .bind(filter.creator_id.as_deref())
            .fetch_one(&self.pool)
            .await?)
    }

    async fn outgoing_for_channel(&self, team_id: &str, channel_id: &str) -> StoreResult<Vec<OutgoingHook>> {
        let rows = sqlx::query(sql::OUTGOING_FOR_CHANNEL)
            .bind(team_id)
            .bind(channel_id)
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, outgoing_row)
    }

    // ----- Rocket.Chat integrations -----

    async fn create_rc_integration(&self, integration: &RcIntegration) -> StoreResult<RcIntegration> {
        let row = sqlx::query(sql::CREATE_RC_INTEGRATION)
            .bind(&integration.id)
            .bind(&integration.integration_type)
            .bind(&integration.name)
            .bind(integration.enabled)
            .bind(&integration.created_by)
            .bind(integration.created_at)
            .bind(integration.updated_at)
            .bind(&integration.token)
            .bind(integration.doc.to_string())
            .fetch_one(&self.writer)
            .await
            .map_err(write_err("integration id already exists"))?;
        Ok(rc_row(&row)?)
    }

    async fn get_rc_integration(&self, id: &str) -> StoreResult<Option<RcIntegration>> {
        let row = sqlx::query(sql::GET_RC_INTEGRATION)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rc_row).transpose()?)
    }

    async fn get_rc_integration_by_token(&self, token: &str) -> StoreResult<Option<RcIntegration>> {
        if token.is_empty() {
            return Ok(None);
        }
        let row = sqlx::query(sql::GET_RC_INTEGRATION_BY_TOKEN)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rc_row).transpose()?)
    }

    async fn get_rc_outgoing_by_url(&self, url: &str) -> StoreResult<Option<RcIntegration>> {
        let row = sqlx::query(sql::sqlite::GET_RC_OUTGOING_BY_URL)
            .bind(url)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rc_row).transpose()?)
    }

    async fn update_rc_integration(&self, integration: &RcIntegration) -> StoreResult<RcIntegration> {
        let row = sqlx::query(sql::UPDATE_RC_INTEGRATION)
            .bind(&integration.id)
            .bind(&integration.integration_type)
            .bind(&integration.name)
            .bind(integration.enabled)
            .bind(integration.updated_at)
            .bind(&integration.token)
            .bind(integration.doc.to_string())
            .fetch_optional(&self.writer)
            .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        Ok(rc_row(&row)?)
    }

    async fn delete_rc_integration(&self, id: &str) -> StoreResult<RcIntegration> {
        let row = sqlx::query(sql::DELETE_RC_INTEGRATION)
            .bind(id)
            .fetch_optional(&self.writer)
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
        let query = sqlx::query(sql::sqlite::LIST_RC_INTEGRATIONS);
        let rows = bind_rc_filter(query, filter)
            .bind(i64::from(count))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, rc_row)
    }

    async fn count_rc_integrations(&self, filter: &RcIntegrationFilter) -> StoreResult<i64> {
        let query = sqlx::query(sql::sqlite::COUNT_RC_INTEGRATIONS);
        let row = bind_rc_filter(query, filter).fetch_one(&self.pool).await?;
        Ok(row.try_get("n")?)
    }

    // ----- Rocket.Chat history -----

    async fn add_rc_history(&self, entry: &RcHistory) -> StoreResult<()> {
        sqlx::query(sql::ADD_RC_HISTORY)
            .bind(&entry.id)
            .bind(&entry.integration_id)
            .bind(entry.created_at)
            .bind(entry.updated_at)
            .bind(entry.doc.to_string())
            .execute(&self.writer)
            .await
            .map_err(write_err("history id already exists"))?;
        Ok(())
    }

    async fn update_rc_history(&self, entry: &RcHistory) -> StoreResult<()> {
        let done = sqlx::query(sql::UPDATE_RC_HISTORY)
            .bind(entry.updated_at)
            .bind(entry.doc.to_string())
            .bind(&entry.id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn list_rc_history(&self, integration_id: &str, offset: u32, count: u32) -> StoreResult<Vec<RcHistory>> {
        let rows = sqlx::query(sql::LIST_RC_HISTORY)
            .bind(integration_id)
            .bind(i64::from(count))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, history_row)
    }

    async fn count_rc_history(&self, integration_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(sql::COUNT_RC_HISTORY)
            .bind(integration_id)
            .fetch_one(&self.pool)
            .await?)
    }

    // ----- Rocket.Chat script store -----

    async fn get_rc_script_store(&self, integration_id: &str) -> StoreResult<Vec<(String, String)>> {
        let rows = sqlx::query(sql::GET_RC_SCRIPT_STORE)
            .bind(integration_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("key")?, row.try_get("value")?)))
            .collect()
    }

    async fn set_rc_script_values(&self, integration_id: &str, values: &[(String, String)]) -> StoreResult<()> {
        let now = now_ms();
        for (key, value) in values {
            sqlx::query(sql::SET_RC_SCRIPT_VALUE)
                .bind(integration_id)
                .bind(key.as_str())
                .bind(value.as_str())
                .bind(now)
                .execute(&self.writer)
                .await
                .map_err(write_err("script store value"))?;
        }
        Ok(())
    }

    // ----- Rocket.Chat rooms and messages -----

    async fn find_channel_by_name(&self, name: &str) -> StoreResult<Option<Channel>> {
        let row = sqlx::query(sql::sqlite::FIND_CHANNEL_BY_NAME)
            .bind(name)
            .fetch_optional(&self.pool)
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
            .bind(channel_id)
            .bind(oldest)
            .bind(latest)
            .bind(i64::from(count))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, post_row)
    }
}

#[cfg(test)]
mod pragma_tests {
    use super::*;

    async fn pragma(store: &SqliteStore, name: &str) -> String {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(&store.pool)
            .await
            .unwrap();
        match row.try_get::<String, _>(0) {
            Ok(text) => text,
            Err(_) => row.try_get::<i64, _>(0).unwrap().to_string(),
        }
    }

    /// The durability and integrity settings are really in effect on a file database.
    #[tokio::test]
    async fn file_databases_are_durable_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(pragma(&store, "journal_mode").await, "wal");
        assert_eq!(pragma(&store, "synchronous").await, "1", "1 = NORMAL");
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(pragma(&store, "busy_timeout").await, "10000");
        assert_eq!(pragma(&store, "temp_store").await, "2", "2 = MEMORY");
        store.close().await;
    }

    /// The writer never checkpoints; the checkpoint task copies the WAL into
    /// the database file (here the migrations' pages) without being asked.
    #[tokio::test]
    async fn the_wal_is_checkpointed_off_the_commit_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let row = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(row.try_get::<i64, _>(0).unwrap(), 0);
        let pages = || std::fs::metadata(&path).unwrap().len() / 4096;
        let deadline = std::time::Instant::now() + checkpoint::EVERY * 20;
        while pages() < 10 && std::time::Instant::now() < deadline {
            tokio::time::sleep(checkpoint::EVERY).await;
        }
        assert!(
            pages() >= 10,
            "the migrations are still only in the WAL: {} pages",
            pages()
        );
        store.close().await;
    }

    #[tokio::test]
    async fn memory_databases_check_foreign_keys() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(store.pool.size(), 1);
    }
}
