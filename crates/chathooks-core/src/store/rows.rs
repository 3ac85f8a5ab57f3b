//! Row mapping, binding and write-error classification, shared by the
//! backends: the records are the same, the column types match (TEXT, 64-bit
//! integers, booleans, JSON as TEXT), only sqlx's row and query types differ,
//! so [`row_mappers!`] (row to record) and [`binders!`] (record to bound
//! parameters) are written once and expanded for each. Besides the
//! migrations, every column of a record is named here, in `sql.rs` and in
//! `records.rs`, and nowhere else.

use serde_json::Value;
use sqlx::error::ErrorKind;

use crate::store::*;

/// Offset of a Mattermost page, saturating instead of overflowing.
pub(super) fn page_offset(page: u32, per_page: u32) -> i64 {
    i64::try_from(u64::from(page) * u64::from(per_page)).unwrap_or(i64::MAX)
}

/// Classify a failed write: unique violations become [`StoreError::Conflict`]
/// (naming `what` and the constraint), foreign key violations
/// [`StoreError::NotFound`], anything else [`StoreError::Database`].
///
/// SQLite's message names the columns (`UNIQUE constraint failed: users.username`);
/// PostgreSQL's names the index, so `table.column` is added from the index name
/// (the PostgreSQL schema names its unique indexes `<table>_<columns>`).
pub(super) fn write_err(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| {
        if let Some(db) = err.as_database_error() {
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    let named = match (db.table(), db.constraint()) {
                        (Some(table), Some(constraint)) => {
                            let columns = constraint
                                .strip_prefix(table)
                                .and_then(|rest| rest.strip_prefix('_'))
                                .unwrap_or(constraint);
                            format!(" ({table}.{columns})")
                        }
                        _ => String::new(),
                    };
                    return StoreError::Conflict(format!("{what}: {}{named}", db.message()));
                }
                ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
                _ => {}
            }
        }
        StoreError::Database(err)
    }
}

/// Encode a string list as JSON text. Serialising strings cannot fail.
pub(super) fn json_list(list: &[String]) -> String {
    Value::from(list.to_vec()).to_string()
}

/// Bind values of the Rocket.Chat visibility filter: (all?, owner) per type.
pub(super) fn visibility_binds(v: &RcVisibility) -> (bool, Option<&str>) {
    match v {
        RcVisibility::All => (true, None),
        RcVisibility::CreatedBy(user) => (false, Some(user.as_str())),
        RcVisibility::Hidden => (false, None),
    }
}

/// `None` for the empty text that stands for "none" in a column.
pub(super) fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// `Some(text)` as stored where `''` stands for "none".
pub(super) fn or_empty(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

/// A stored job status, which the schema's `CHECK` keeps to the known names.
pub(super) fn job_status(name: &str) -> Result<JobStatus, sqlx::Error> {
    JobStatus::parse(name).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: "status".to_owned(),
        source: format!("unknown delivery job status {name:?}").into(),
    })
}

/// The row-to-record functions (`user_row`, `post_row`...) and `map_rows` for
/// one backend's row type; each backend's `rows` module expands it once.
/// `$text(row, column)` reads a text column (PostgreSQL decodes its NUL escape).
macro_rules! row_mappers {
    ($row:ty, $text:path) => {
        /// Decode a JSON text column.
        pub(in crate::store) fn json_col<T: serde::de::DeserializeOwned>(
            row: &$row,
            column: &str,
        ) -> Result<T, sqlx::Error> {
            let text: String = $text(row, column)?;
            serde_json::from_str(&text).map_err(|e| sqlx::Error::ColumnDecode {
                index: column.to_owned(),
                source: Box::new(e),
            })
        }

        pub(in crate::store) fn user_row(row: &$row) -> Result<User, sqlx::Error> {
            Ok(User {
                id: $text(row, "id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                username: $text(row, "username")?,
                email: $text(row, "email")?,
                email_verified: row.try_get("email_verified")?,
                first_name: $text(row, "first_name")?,
                last_name: $text(row, "last_name")?,
                nickname: $text(row, "nickname")?,
                password_hash: $text(row, "password_hash")?,
                last_password_update: row.try_get("last_password_update")?,
                roles: $text(row, "roles")?,
                locale: $text(row, "locale")?,
                props: json_col(row, "props")?,
                notify_props: json_col(row, "notify_props")?,
                timezone: json_col(row, "timezone")?,
                is_bot: row.try_get("is_bot")?,
            })
        }

        pub(in crate::store) fn bot_row(row: &$row) -> Result<Bot, sqlx::Error> {
            Ok(Bot {
                user_id: $text(row, "user_id")?,
                username: $text(row, "username")?,
                display_name: $text(row, "display_name")?,
                description: $text(row, "description")?,
                owner_id: $text(row, "owner_id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
            })
        }

        pub(in crate::store) fn session_row(row: &$row) -> Result<Session, sqlx::Error> {
            Ok(Session {
                token: $text(row, "token")?,
                user_id: $text(row, "user_id")?,
                create_at: row.try_get("create_at")?,
                expires_at: row.try_get("expires_at")?,
                last_activity_at: row.try_get("last_activity_at")?,
            })
        }

        pub(in crate::store) fn team_row(row: &$row) -> Result<Team, sqlx::Error> {
            Ok(Team {
                id: $text(row, "id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                name: $text(row, "name")?,
                display_name: $text(row, "display_name")?,
                team_type: $text(row, "team_type")?,
                description: $text(row, "description")?,
                email: $text(row, "email")?,
                allow_open_invite: row.try_get("allow_open_invite")?,
                allowed_domains: $text(row, "allowed_domains")?,
                invite_id: $text(row, "invite_id")?,
            })
        }

        pub(in crate::store) fn team_member_row(row: &$row) -> Result<TeamMember, sqlx::Error> {
            Ok(TeamMember {
                team_id: $text(row, "team_id")?,
                user_id: $text(row, "user_id")?,
                roles: $text(row, "roles")?,
                delete_at: row.try_get("delete_at")?,
            })
        }

        pub(in crate::store) fn channel_row(row: &$row) -> Result<Channel, sqlx::Error> {
            Ok(Channel {
                id: $text(row, "id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                team_id: $text(row, "team_id")?,
                channel_type: $text(row, "channel_type")?,
                name: $text(row, "name")?,
                display_name: $text(row, "display_name")?,
                header: $text(row, "header")?,
                purpose: $text(row, "purpose")?,
                creator_id: $text(row, "creator_id")?,
                last_post_at: row.try_get("last_post_at")?,
                total_msg_count: row.try_get("total_msg_count")?,
            })
        }

        pub(in crate::store) fn channel_member_row(row: &$row) -> Result<ChannelMember, sqlx::Error> {
            Ok(ChannelMember {
                channel_id: $text(row, "channel_id")?,
                user_id: $text(row, "user_id")?,
                roles: $text(row, "roles")?,
                last_viewed_at: row.try_get("last_viewed_at")?,
                msg_count: row.try_get("msg_count")?,
                mention_count: row.try_get("mention_count")?,
                notify_props: json_col(row, "notify_props")?,
                last_update_at: row.try_get("last_update_at")?,
            })
        }

        pub(in crate::store) fn post_row(row: &$row) -> Result<Post, sqlx::Error> {
            Ok(Post {
                id: $text(row, "id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                edit_at: row.try_get("edit_at")?,
                delete_at: row.try_get("delete_at")?,
                user_id: $text(row, "user_id")?,
                channel_id: $text(row, "channel_id")?,
                root_id: $text(row, "root_id")?,
                original_id: $text(row, "original_id")?,
                message: $text(row, "message")?,
                post_type: $text(row, "post_type")?,
                props: json_col(row, "props")?,
                hashtags: $text(row, "hashtags")?,
                file_ids: json_col(row, "file_ids")?,
                pending_post_id: $text(row, "pending_post_id")?,
                is_pinned: row.try_get("is_pinned")?,
                hook_id: $text(row, "hook_id")?,
            })
        }

        pub(in crate::store) fn incoming_row(row: &$row) -> Result<IncomingHook, sqlx::Error> {
            Ok(IncomingHook {
                id: $text(row, "id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                user_id: $text(row, "user_id")?,
                channel_id: $text(row, "channel_id")?,
                team_id: $text(row, "team_id")?,
                display_name: $text(row, "display_name")?,
                description: $text(row, "description")?,
                username: $text(row, "username")?,
                icon_url: $text(row, "icon_url")?,
                channel_locked: row.try_get("channel_locked")?,
            })
        }

        pub(in crate::store) fn outgoing_row(row: &$row) -> Result<OutgoingHook, sqlx::Error> {
            Ok(OutgoingHook {
                id: $text(row, "id")?,
                token: $text(row, "token")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                creator_id: $text(row, "creator_id")?,
                channel_id: $text(row, "channel_id")?,
                team_id: $text(row, "team_id")?,
                trigger_words: json_col(row, "trigger_words")?,
                trigger_when: row.try_get("trigger_when")?,
                callback_urls: json_col(row, "callback_urls")?,
                display_name: $text(row, "display_name")?,
                description: $text(row, "description")?,
                content_type: $text(row, "content_type")?,
                username: $text(row, "username")?,
                icon_url: $text(row, "icon_url")?,
            })
        }

        pub(in crate::store) fn command_row(row: &$row) -> Result<SlashCommand, sqlx::Error> {
            Ok(SlashCommand {
                id: $text(row, "id")?,
                token: $text(row, "token")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                creator_id: $text(row, "creator_id")?,
                team_id: $text(row, "team_id")?,
                trigger: $text(row, "trigger")?,
                method: $text(row, "method")?,
                username: $text(row, "username")?,
                icon_url: $text(row, "icon_url")?,
                auto_complete: row.try_get("auto_complete")?,
                auto_complete_desc: $text(row, "auto_complete_desc")?,
                auto_complete_hint: $text(row, "auto_complete_hint")?,
                display_name: $text(row, "display_name")?,
                description: $text(row, "description")?,
                url: $text(row, "url")?,
            })
        }

        pub(in crate::store) fn command_webhook_row(row: &$row) -> Result<CommandWebhook, sqlx::Error> {
            Ok(CommandWebhook {
                id: $text(row, "id")?,
                create_at: row.try_get("create_at")?,
                command_id: $text(row, "command_id")?,
                user_id: $text(row, "user_id")?,
                channel_id: $text(row, "channel_id")?,
                root_id: $text(row, "root_id")?,
                use_count: row.try_get("use_count")?,
            })
        }

        pub(in crate::store) fn rc_row(row: &$row) -> Result<RcIntegration, sqlx::Error> {
            Ok(RcIntegration {
                id: $text(row, "id")?,
                integration_type: $text(row, "integration_type")?,
                name: $text(row, "name")?,
                enabled: row.try_get("enabled")?,
                created_by: $text(row, "created_by")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                token: $text(row, "token")?,
                doc: json_col(row, "doc")?,
            })
        }

        pub(in crate::store) fn history_row(row: &$row) -> Result<RcHistory, sqlx::Error> {
            Ok(RcHistory {
                id: $text(row, "id")?,
                integration_id: $text(row, "integration_id")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                doc: json_col(row, "doc")?,
            })
        }

        pub(in crate::store) fn job_row(row: &$row) -> Result<DeliveryJob, sqlx::Error> {
            Ok(DeliveryJob {
                id: $text(row, "id")?,
                dialect: $text(row, "dialect")?,
                hook_id: $text(row, "hook_id")?,
                event: $text(row, "event")?,
                url: $text(row, "url")?,
                content_type: $text(row, "content_type")?,
                body: $text(row, "body")?,
                context: json_col(row, "context")?,
                max_attempts: row.try_get("max_attempts")?,
                retry_schedule: $crate::delivery::Schedule::parse(&$text(row, "retry_schedule")?),
                attempts: row.try_get("attempts")?,
                status: job_status(&$text(row, "status")?)?,
                due_at: row.try_get("due_at")?,
                lease_owner: non_empty($text(row, "lease_owner")?),
                lease_until: row.try_get("lease_until")?,
                previous_owner: non_empty($text(row, "previous_owner")?),
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        pub(in crate::store) fn attempt_row(row: &$row) -> Result<DeliveryAttempt, sqlx::Error> {
            Ok(DeliveryAttempt {
                id: $text(row, "id")?,
                job_id: $text(row, "job_id")?,
                number: row.try_get("number")?,
                started_at: row.try_get("started_at")?,
                duration_ms: row.try_get("duration_ms")?,
                url: $text(row, "url")?,
                request_body: $text(row, "request_body")?,
                status_code: row.try_get("status_code")?,
                response_excerpt: $text(row, "response_excerpt")?,
                error: non_empty($text(row, "error")?),
                instance: $text(row, "instance")?,
            })
        }

        pub(in crate::store) fn access_token_row(row: &$row) -> Result<AccessToken, sqlx::Error> {
            Ok(AccessToken {
                id: $text(row, "id")?,
                token: $text(row, "token")?,
                user_id: $text(row, "user_id")?,
                description: $text(row, "description")?,
                is_active: row.try_get("is_active")?,
                create_at: row.try_get("create_at")?,
            })
        }

        pub(in crate::store) fn reaction_row(row: &$row) -> Result<Reaction, sqlx::Error> {
            Ok(Reaction {
                post_id: $text(row, "post_id")?,
                user_id: $text(row, "user_id")?,
                emoji_name: $text(row, "emoji_name")?,
                channel_id: $text(row, "channel_id")?,
                create_at: row.try_get("create_at")?,
            })
        }

        pub(in crate::store) fn file_row(row: &$row) -> Result<FileInfo, sqlx::Error> {
            Ok(FileInfo {
                id: $text(row, "id")?,
                user_id: $text(row, "user_id")?,
                channel_id: $text(row, "channel_id")?,
                post_id: $text(row, "post_id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                name: $text(row, "name")?,
                extension: $text(row, "extension")?,
                size: row.try_get("size")?,
                mime_type: $text(row, "mime_type")?,
                width: row.try_get("width")?,
                height: row.try_get("height")?,
            })
        }

        /// Map every row, stopping at the first that does not decode.
        pub(in crate::store) fn map_rows<T>(
            rows: Vec<$row>,
            f: impl Fn(&$row) -> Result<T, sqlx::Error>,
        ) -> StoreResult<Vec<T>> {
            Ok(rows.iter().map(f).collect::<Result<_, _>>()?)
        }
    };
}

/// The record-to-parameters functions (`bind_post`, `bind_new_user`...) and
/// the Rocket.Chat list filter's, for one backend's query type: `$query` is
/// that backend's `Query<'q>`, `$text` encodes bound text.
macro_rules! binders {
    ($query:ident, $text:path) => {
        /// Bind every column of `post`, in `post_cols!` order.
        pub(in crate::store) fn bind_post<'q>(query: $query<'q>, post: &'q Post) -> $query<'q> {
            query
                .bind($text(&post.id))
                .bind(post.create_at)
                .bind(post.update_at)
                .bind(post.edit_at)
                .bind(post.delete_at)
                .bind($text(&post.user_id))
                .bind($text(&post.channel_id))
                .bind($text(&post.root_id))
                .bind($text(&post.original_id))
                .bind($text(&post.message))
                .bind($text(&post.post_type))
                .bind($text(post.props.to_string()))
                .bind($text(&post.hashtags))
                .bind($text(json_list(&post.file_ids)))
                .bind($text(&post.pending_post_id))
                .bind(post.is_pinned)
                .bind($text(&post.hook_id))
        }

        /// Bind every column of `job`, in `job_cols!` order.
        pub(in crate::store) fn bind_job<'q>(query: $query<'q>, job: &'q DeliveryJob) -> $query<'q> {
            query
                .bind($text(&job.id))
                .bind($text(&job.dialect))
                .bind($text(&job.hook_id))
                .bind($text(&job.event))
                .bind($text(&job.url))
                .bind($text(&job.content_type))
                .bind($text(&job.body))
                .bind($text(job.context.to_string()))
                .bind(job.max_attempts)
                .bind(job.retry_schedule.as_str())
                .bind(job.attempts)
                .bind(job.status.as_str())
                .bind(job.due_at)
                .bind($text(or_empty(&job.lease_owner)))
                .bind(job.lease_until)
                .bind($text(or_empty(&job.previous_owner)))
                .bind(job.created_at)
                .bind(job.updated_at)
        }

        /// Bind every column of `user`, in `user_cols!` order (the email lowercased; the
        /// username keeps its case, and lookups and uniqueness ignore it).
        pub(in crate::store) fn bind_new_user<'q>(query: $query<'q>, user: &'q User) -> $query<'q> {
            query
                .bind($text(&user.id))
                .bind(user.create_at)
                .bind(user.update_at)
                .bind(user.delete_at)
                .bind($text(&user.username))
                .bind($text(user.email.to_lowercase()))
                .bind(user.email_verified)
                .bind($text(&user.first_name))
                .bind($text(&user.last_name))
                .bind($text(&user.nickname))
                .bind($text(&user.password_hash))
                .bind(user.last_password_update)
                .bind($text(&user.roles))
                .bind($text(&user.locale))
                .bind($text(user.props.to_string()))
                .bind($text(user.notify_props.to_string()))
                .bind($text(user.timezone.to_string()))
                .bind(user.is_bot)
        }

        /// Bind `bot`'s own columns as `CREATE_BOT` takes them.
        pub(in crate::store) fn bind_new_bot<'q>(query: $query<'q>, bot: &'q Bot) -> $query<'q> {
            query
                .bind($text(&bot.user_id))
                .bind($text(&bot.owner_id))
                .bind($text(&bot.description))
                .bind(bot.create_at)
                .bind(bot.update_at)
                .bind(bot.delete_at)
        }

        /// Bind `bot` as `UPDATE_BOT` takes it.
        pub(in crate::store) fn bind_bot_update<'q>(query: $query<'q>, bot: &'q Bot) -> $query<'q> {
            query
                .bind($text(&bot.user_id))
                .bind($text(&bot.description))
                .bind(bot.update_at)
                .bind(bot.delete_at)
                .bind($text(&bot.owner_id))
        }

        /// Bind `user` as `UPDATE_USER` takes it: the id, then every column but `create_at`.
        pub(in crate::store) fn bind_user_update<'q>(query: $query<'q>, user: &'q User) -> $query<'q> {
            query
                .bind($text(&user.id))
                .bind(user.update_at)
                .bind(user.delete_at)
                .bind($text(&user.username))
                .bind($text(user.email.to_lowercase()))
                .bind(user.email_verified)
                .bind($text(&user.first_name))
                .bind($text(&user.last_name))
                .bind($text(&user.nickname))
                .bind($text(&user.password_hash))
                .bind(user.last_password_update)
                .bind($text(&user.roles))
                .bind($text(&user.locale))
                .bind($text(user.props.to_string()))
                .bind($text(user.notify_props.to_string()))
                .bind($text(user.timezone.to_string()))
        }

        /// Bind every column of `session`, in `session_cols!` order.
        pub(in crate::store) fn bind_session<'q>(query: $query<'q>, session: &'q Session) -> $query<'q> {
            query
                .bind($text(&session.token))
                .bind($text(&session.user_id))
                .bind(session.create_at)
                .bind(session.expires_at)
                .bind(session.last_activity_at)
        }

        /// Bind every column of `team`, in `team_cols!` order.
        pub(in crate::store) fn bind_team<'q>(query: $query<'q>, team: &'q Team) -> $query<'q> {
            query
                .bind($text(&team.id))
                .bind(team.create_at)
                .bind(team.update_at)
                .bind(team.delete_at)
                .bind($text(&team.name))
                .bind($text(&team.display_name))
                .bind($text(&team.team_type))
                .bind($text(&team.description))
                .bind($text(&team.email))
                .bind(team.allow_open_invite)
                .bind($text(&team.allowed_domains))
                .bind($text(&team.invite_id))
        }

        /// Bind every column of `member`, in `team_member_cols!` order.
        pub(in crate::store) fn bind_team_member<'q>(query: $query<'q>, member: &'q TeamMember) -> $query<'q> {
            query
                .bind($text(&member.team_id))
                .bind($text(&member.user_id))
                .bind($text(&member.roles))
                .bind(member.delete_at)
        }

        /// Bind every column of `channel`, in `channel_cols!` order.
        pub(in crate::store) fn bind_channel<'q>(query: $query<'q>, channel: &'q Channel) -> $query<'q> {
            query
                .bind($text(&channel.id))
                .bind(channel.create_at)
                .bind(channel.update_at)
                .bind(channel.delete_at)
                .bind($text(&channel.team_id))
                .bind($text(&channel.channel_type))
                .bind($text(&channel.name))
                .bind($text(&channel.display_name))
                .bind($text(&channel.header))
                .bind($text(&channel.purpose))
                .bind($text(&channel.creator_id))
                .bind(channel.last_post_at)
                .bind(channel.total_msg_count)
        }

        /// Bind every column of `member`, in `channel_member_cols!` order.
        pub(in crate::store) fn bind_channel_member<'q>(query: $query<'q>, member: &'q ChannelMember) -> $query<'q> {
            query
                .bind($text(&member.channel_id))
                .bind($text(&member.user_id))
                .bind($text(&member.roles))
                .bind(member.last_viewed_at)
                .bind(member.msg_count)
                .bind(member.mention_count)
                .bind($text(member.notify_props.to_string()))
                .bind(member.last_update_at)
        }

        /// Bind every column of `hook`, in `incoming_cols!` order.
        pub(in crate::store) fn bind_incoming<'q>(query: $query<'q>, hook: &'q IncomingHook) -> $query<'q> {
            query
                .bind($text(&hook.id))
                .bind(hook.create_at)
                .bind(hook.update_at)
                .bind(hook.delete_at)
                .bind($text(&hook.user_id))
                .bind($text(&hook.channel_id))
                .bind($text(&hook.team_id))
                .bind($text(&hook.display_name))
                .bind($text(&hook.description))
                .bind($text(&hook.username))
                .bind($text(&hook.icon_url))
                .bind(hook.channel_locked)
        }

        /// Bind `hook` as `UPDATE_INCOMING` takes it.
        pub(in crate::store) fn bind_incoming_update<'q>(query: $query<'q>, hook: &'q IncomingHook) -> $query<'q> {
            query
                .bind($text(&hook.id))
                .bind(hook.update_at)
                .bind($text(&hook.user_id))
                .bind($text(&hook.channel_id))
                .bind($text(&hook.team_id))
                .bind($text(&hook.display_name))
                .bind($text(&hook.description))
                .bind($text(&hook.username))
                .bind($text(&hook.icon_url))
                .bind(hook.channel_locked)
        }

        /// Bind every column of `hook`, in `outgoing_cols!` order.
        pub(in crate::store) fn bind_outgoing<'q>(query: $query<'q>, hook: &'q OutgoingHook) -> $query<'q> {
            query
                .bind($text(&hook.id))
                .bind($text(&hook.token))
                .bind(hook.create_at)
                .bind(hook.update_at)
                .bind(hook.delete_at)
                .bind($text(&hook.creator_id))
                .bind($text(&hook.channel_id))
                .bind($text(&hook.team_id))
                .bind($text(json_list(&hook.trigger_words)))
                .bind(hook.trigger_when)
                .bind($text(json_list(&hook.callback_urls)))
                .bind($text(&hook.display_name))
                .bind($text(&hook.description))
                .bind($text(&hook.content_type))
                .bind($text(&hook.username))
                .bind($text(&hook.icon_url))
        }

        /// Bind `hook` as `UPDATE_OUTGOING` takes it.
        pub(in crate::store) fn bind_outgoing_update<'q>(query: $query<'q>, hook: &'q OutgoingHook) -> $query<'q> {
            query
                .bind($text(&hook.id))
                .bind(hook.update_at)
                .bind($text(&hook.creator_id))
                .bind($text(&hook.channel_id))
                .bind($text(&hook.team_id))
                .bind($text(json_list(&hook.trigger_words)))
                .bind(hook.trigger_when)
                .bind($text(json_list(&hook.callback_urls)))
                .bind($text(&hook.display_name))
                .bind($text(&hook.description))
                .bind($text(&hook.content_type))
                .bind($text(&hook.username))
                .bind($text(&hook.icon_url))
        }

        /// Bind every column of `command`, in `command_cols!` order.
        pub(in crate::store) fn bind_command<'q>(query: $query<'q>, command: &'q SlashCommand) -> $query<'q> {
            query
                .bind($text(&command.id))
                .bind($text(&command.token))
                .bind(command.create_at)
                .bind(command.update_at)
                .bind(command.delete_at)
                .bind($text(&command.creator_id))
                .bind($text(&command.team_id))
                .bind($text(&command.trigger))
                .bind($text(&command.method))
                .bind($text(&command.username))
                .bind($text(&command.icon_url))
                .bind(command.auto_complete)
                .bind($text(&command.auto_complete_desc))
                .bind($text(&command.auto_complete_hint))
                .bind($text(&command.display_name))
                .bind($text(&command.description))
                .bind($text(&command.url))
        }

        /// Bind `command` as `UPDATE_COMMAND` takes it.
        pub(in crate::store) fn bind_command_update<'q>(query: $query<'q>, command: &'q SlashCommand) -> $query<'q> {
            query
                .bind($text(&command.id))
                .bind($text(&command.token))
                .bind(command.update_at)
                .bind($text(&command.trigger))
                .bind($text(&command.method))
                .bind($text(&command.username))
                .bind($text(&command.icon_url))
                .bind(command.auto_complete)
                .bind($text(&command.auto_complete_desc))
                .bind($text(&command.auto_complete_hint))
                .bind($text(&command.display_name))
                .bind($text(&command.description))
                .bind($text(&command.url))
        }

        /// Bind every column of `integration`, in `rc_cols!` order.
        pub(in crate::store) fn bind_rc<'q>(query: $query<'q>, integration: &'q RcIntegration) -> $query<'q> {
            query
                .bind($text(&integration.id))
                .bind($text(&integration.integration_type))
                .bind($text(&integration.name))
                .bind(integration.enabled)
                .bind($text(&integration.created_by))
                .bind(integration.created_at)
                .bind(integration.updated_at)
                .bind($text(&integration.token))
                .bind($text(integration.doc.to_string()))
        }

        /// Bind `integration` as `UPDATE_RC_INTEGRATION` takes it.
        pub(in crate::store) fn bind_rc_update<'q>(query: $query<'q>, integration: &'q RcIntegration) -> $query<'q> {
            query
                .bind($text(&integration.id))
                .bind($text(&integration.integration_type))
                .bind($text(&integration.name))
                .bind(integration.enabled)
                .bind(integration.updated_at)
                .bind($text(&integration.token))
                .bind($text(integration.doc.to_string()))
        }

        /// Bind every column of `entry`, in `history_cols!` order.
        pub(in crate::store) fn bind_history<'q>(query: $query<'q>, entry: &'q RcHistory) -> $query<'q> {
            query
                .bind($text(&entry.id))
                .bind($text(&entry.integration_id))
                .bind(entry.created_at)
                .bind(entry.updated_at)
                .bind($text(entry.doc.to_string()))
        }

        /// Bind `entry` as `UPDATE_RC_HISTORY` takes it.
        pub(in crate::store) fn bind_history_update<'q>(query: $query<'q>, entry: &'q RcHistory) -> $query<'q> {
            query
                .bind(entry.updated_at)
                .bind($text(entry.doc.to_string()))
                .bind($text(&entry.id))
        }

        /// Bind `post` as `UPDATE_POST` takes it: the id, then what an edit may change.
        pub(in crate::store) fn bind_post_update<'q>(query: $query<'q>, post: &'q Post) -> $query<'q> {
            query
                .bind($text(&post.id))
                .bind(post.update_at)
                .bind(post.edit_at)
                .bind($text(&post.message))
                .bind($text(&post.post_type))
                .bind($text(post.props.to_string()))
                .bind($text(&post.hashtags))
                .bind($text(json_list(&post.file_ids)))
                .bind(post.is_pinned)
        }

        /// Bind every column of `reaction`, in `reaction_cols!` order.
        pub(in crate::store) fn bind_reaction<'q>(query: $query<'q>, reaction: &'q Reaction) -> $query<'q> {
            query
                .bind($text(&reaction.post_id))
                .bind($text(&reaction.user_id))
                .bind($text(&reaction.emoji_name))
                .bind($text(&reaction.channel_id))
                .bind(reaction.create_at)
        }

        /// Bind every column of `info`, in `file_cols!` order (its contents follow).
        pub(in crate::store) fn bind_file<'q>(query: $query<'q>, info: &'q FileInfo) -> $query<'q> {
            query
                .bind($text(&info.id))
                .bind($text(&info.user_id))
                .bind($text(&info.channel_id))
                .bind($text(&info.post_id))
                .bind(info.create_at)
                .bind(info.update_at)
                .bind(info.delete_at)
                .bind($text(&info.name))
                .bind($text(&info.extension))
                .bind(info.size)
                .bind($text(&info.mime_type))
                .bind(info.width)
                .bind(info.height)
        }

        /// Bind every column of `token`, in `access_token_cols!` order.
        pub(in crate::store) fn bind_access_token<'q>(query: $query<'q>, token: &'q AccessToken) -> $query<'q> {
            query
                .bind($text(&token.id))
                .bind($text(&token.token))
                .bind($text(&token.user_id))
                .bind($text(&token.description))
                .bind(token.is_active)
                .bind(token.create_at)
        }

        /// Bind every column of `attempt`, in `attempt_cols!` order.
        pub(in crate::store) fn bind_attempt<'q>(query: $query<'q>, attempt: &'q DeliveryAttempt) -> $query<'q> {
            query
                .bind($text(&attempt.id))
                .bind($text(&attempt.job_id))
                .bind(attempt.number)
                .bind(attempt.started_at)
                .bind(attempt.duration_ms)
                .bind($text(&attempt.url))
                .bind($text(&attempt.request_body))
                .bind(attempt.status_code)
                .bind($text(&attempt.response_excerpt))
                .bind($text(attempt.error.as_deref().unwrap_or_default()))
                .bind($text(&attempt.instance))
        }

        /// Bind the Rocket.Chat filter's $1..$6 (see `rc_filter_where!` in `sql.rs`).
        pub(in crate::store) fn bind_rc_filter<'q>(query: $query<'q>, filter: &'q RcIntegrationFilter) -> $query<'q> {
            let (in_all, in_owner) = visibility_binds(&filter.incoming);
            let (out_all, out_owner) = visibility_binds(&filter.outgoing);
            query
                .bind(in_all)
                .bind(in_owner.map($text))
                .bind(out_all)
                .bind(out_owner.map($text))
                .bind(filter.name.as_deref().map($text))
                .bind(filter.integration_type.as_deref().map($text))
        }
    };
}
