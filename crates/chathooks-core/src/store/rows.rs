//! Row mapping and write-error classification, shared by the backends: the
//! records are the same, the column types match (TEXT, 64-bit integers, booleans,
//! JSON as TEXT), only sqlx's row type differs, so [`row_mappers!`] writes the
//! mapping functions once for each.

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

/// The binders of the records written by more than one query (`bind_post`,
/// `bind_job`, and the Rocket.Chat list filter), for one backend's query
/// type: `$query` is `Query<'q>` of that backend, `$text` encodes bound text.
macro_rules! binders {
    ($query:ident, $text:path) => {
        /// Bind the 17 columns of `post`, in `post_cols!` order.
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

        /// Bind the 18 columns of `job`, in `job_cols!` order.
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
