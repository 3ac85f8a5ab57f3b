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

/// The row-to-record functions (`user_row`, `post_row`...) and `map_rows` for
/// one backend's row type; each backend's `rows` module expands it once.
macro_rules! row_mappers {
    ($row:ty) => {
        /// Decode a JSON text column.
        pub(in crate::store) fn json_col<T: serde::de::DeserializeOwned>(
            row: &$row,
            column: &str,
        ) -> Result<T, sqlx::Error> {
            let text: String = row.try_get(column)?;
            serde_json::from_str(&text).map_err(|e| sqlx::Error::ColumnDecode {
                index: column.to_owned(),
                source: Box::new(e),
            })
        }

        pub(in crate::store) fn user_row(row: &$row) -> Result<User, sqlx::Error> {
            Ok(User {
                id: row.try_get("id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                username: row.try_get("username")?,
                email: row.try_get("email")?,
                email_verified: row.try_get("email_verified")?,
                first_name: row.try_get("first_name")?,
                last_name: row.try_get("last_name")?,
                nickname: row.try_get("nickname")?,
                password_hash: row.try_get("password_hash")?,
                last_password_update: row.try_get("last_password_update")?,
                roles: row.try_get("roles")?,
                locale: row.try_get("locale")?,
                props: json_col(row, "props")?,
                notify_props: json_col(row, "notify_props")?,
                timezone: json_col(row, "timezone")?,
            })
        }

        pub(in crate::store) fn session_row(row: &$row) -> Result<Session, sqlx::Error> {
            Ok(Session {
                token: row.try_get("token")?,
                user_id: row.try_get("user_id")?,
                create_at: row.try_get("create_at")?,
                expires_at: row.try_get("expires_at")?,
                last_activity_at: row.try_get("last_activity_at")?,
            })
        }

        pub(in crate::store) fn team_row(row: &$row) -> Result<Team, sqlx::Error> {
            Ok(Team {
                id: row.try_get("id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                name: row.try_get("name")?,
                display_name: row.try_get("display_name")?,
                team_type: row.try_get("team_type")?,
                description: row.try_get("description")?,
                email: row.try_get("email")?,
                allow_open_invite: row.try_get("allow_open_invite")?,
                allowed_domains: row.try_get("allowed_domains")?,
                invite_id: row.try_get("invite_id")?,
            })
        }

        pub(in crate::store) fn team_member_row(row: &$row) -> Result<TeamMember, sqlx::Error> {
            Ok(TeamMember {
                team_id: row.try_get("team_id")?,
                user_id: row.try_get("user_id")?,
                roles: row.try_get("roles")?,
                delete_at: row.try_get("delete_at")?,
            })
        }

        pub(in crate::store) fn channel_row(row: &$row) -> Result<Channel, sqlx::Error> {
            Ok(Channel {
                id: row.try_get("id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                team_id: row.try_get("team_id")?,
                channel_type: row.try_get("channel_type")?,
                name: row.try_get("name")?,
                display_name: row.try_get("display_name")?,
                header: row.try_get("header")?,
                purpose: row.try_get("purpose")?,
                creator_id: row.try_get("creator_id")?,
                last_post_at: row.try_get("last_post_at")?,
                total_msg_count: row.try_get("total_msg_count")?,
            })
        }

        pub(in crate::store) fn channel_member_row(row: &$row) -> Result<ChannelMember, sqlx::Error> {
            Ok(ChannelMember {
                channel_id: row.try_get("channel_id")?,
                user_id: row.try_get("user_id")?,
                roles: row.try_get("roles")?,
                last_viewed_at: row.try_get("last_viewed_at")?,
                msg_count: row.try_get("msg_count")?,
                mention_count: row.try_get("mention_count")?,
                notify_props: json_col(row, "notify_props")?,
                last_update_at: row.try_get("last_update_at")?,
            })
        }

        pub(in crate::store) fn post_row(row: &$row) -> Result<Post, sqlx::Error> {
            Ok(Post {
                id: row.try_get("id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                edit_at: row.try_get("edit_at")?,
                delete_at: row.try_get("delete_at")?,
                user_id: row.try_get("user_id")?,
                channel_id: row.try_get("channel_id")?,
                root_id: row.try_get("root_id")?,
                original_id: row.try_get("original_id")?,
                message: row.try_get("message")?,
                post_type: row.try_get("post_type")?,
                props: json_col(row, "props")?,
                hashtags: row.try_get("hashtags")?,
                file_ids: json_col(row, "file_ids")?,
                pending_post_id: row.try_get("pending_post_id")?,
                is_pinned: row.try_get("is_pinned")?,
            })
        }

        pub(in crate::store) fn incoming_row(row: &$row) -> Result<IncomingHook, sqlx::Error> {
            Ok(IncomingHook {
                id: row.try_get("id")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                user_id: row.try_get("user_id")?,
                channel_id: row.try_get("channel_id")?,
                team_id: row.try_get("team_id")?,
                display_name: row.try_get("display_name")?,
                description: row.try_get("description")?,
                username: row.try_get("username")?,
                icon_url: row.try_get("icon_url")?,
                channel_locked: row.try_get("channel_locked")?,
            })
        }

        pub(in crate::store) fn outgoing_row(row: &$row) -> Result<OutgoingHook, sqlx::Error> {
            Ok(OutgoingHook {
                id: row.try_get("id")?,
                token: row.try_get("token")?,
                create_at: row.try_get("create_at")?,
                update_at: row.try_get("update_at")?,
                delete_at: row.try_get("delete_at")?,
                creator_id: row.try_get("creator_id")?,
                channel_id: row.try_get("channel_id")?,
                team_id: row.try_get("team_id")?,
                trigger_words: json_col(row, "trigger_words")?,
                trigger_when: row.try_get("trigger_when")?,
                callback_urls: json_col(row, "callback_urls")?,
                display_name: row.try_get("display_name")?,
                description: row.try_get("description")?,
                content_type: row.try_get("content_type")?,
                username: row.try_get("username")?,
                icon_url: row.try_get("icon_url")?,
            })
        }

        pub(in crate::store) fn rc_row(row: &$row) -> Result<RcIntegration, sqlx::Error> {
            Ok(RcIntegration {
                id: row.try_get("id")?,
                integration_type: row.try_get("integration_type")?,
                name: row.try_get("name")?,
                enabled: row.try_get("enabled")?,
                created_by: row.try_get("created_by")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                token: row.try_get("token")?,
                doc: json_col(row, "doc")?,
            })
        }

        pub(in crate::store) fn history_row(row: &$row) -> Result<RcHistory, sqlx::Error> {
            Ok(RcHistory {
                id: row.try_get("id")?,
                integration_id: row.try_get("integration_id")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                doc: json_col(row, "doc")?,
            })
        }

        pub(in crate::store) fn retry_row(row: &$row) -> Result<RcPendingRetry, sqlx::Error> {
            Ok(RcPendingRetry {
                id: row.try_get("id")?,
                integration_id: row.try_get("integration_id")?,
                due_at: row.try_get("due_at")?,
                attempt: row.try_get("attempt")?,
                payload: json_col(row, "payload")?,
                url: row.try_get("url")?,
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
