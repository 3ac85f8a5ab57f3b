//! Row mapping for the SQLite backend: column lists, row-to-record functions
//! and the small helpers the queries share.

use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::Row;
use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteRow;

use crate::store::*;

/// Offset of a Mattermost page, saturating instead of overflowing.
pub(super) fn page_offset(page: u32, per_page: u32) -> i64 {
    i64::try_from(u64::from(page) * u64::from(per_page)).unwrap_or(i64::MAX)
}

/// Classify a failed write: unique violations become [`StoreError::Conflict`]
/// (naming `what` and the constraint), foreign key violations
/// [`StoreError::NotFound`], anything else [`StoreError::Database`].
pub(super) fn write_err(what: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |err| {
        if let Some(db) = err.as_database_error() {
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    return StoreError::Conflict(format!("{what}: {}", db.message()));
                }
                ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
                _ => {}
            }
        }
        StoreError::Database(err)
    }
}

/// Decode a JSON text column.
pub(super) fn json_col<T: DeserializeOwned>(row: &SqliteRow, column: &str) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(e),
    })
}

/// Encode a string list as JSON text. Serialising strings cannot fail.
pub(super) fn json_list(list: &[String]) -> String {
    Value::from(list.to_vec()).to_string()
}

// Column lists, as macros so `concat!` can build `&'static str` queries from them.
macro_rules! user_cols {
    () => {
        "id, create_at, update_at, delete_at, username, email, email_verified, first_name, \
         last_name, nickname, password_hash, last_password_update, roles, locale, props, \
         notify_props, timezone"
    };
}
macro_rules! session_cols {
    () => {
        "token, user_id, create_at, expires_at, last_activity_at"
    };
}
macro_rules! team_cols {
    () => {
        "id, create_at, update_at, delete_at, name, display_name, team_type, description, \
         email, allow_open_invite, allowed_domains, invite_id"
    };
}
macro_rules! team_member_cols {
    () => {
        "team_id, user_id, roles, delete_at"
    };
}
macro_rules! channel_cols {
    () => {
        "id, create_at, update_at, delete_at, team_id, channel_type, name, display_name, \
         header, purpose, creator_id, last_post_at, total_msg_count"
    };
}
macro_rules! channel_member_cols {
    () => {
        "channel_id, user_id, roles, last_viewed_at, msg_count, mention_count, notify_props, \
         last_update_at"
    };
}
macro_rules! post_cols {
    () => {
        "id, create_at, update_at, edit_at, delete_at, user_id, channel_id, root_id, \
         original_id, message, post_type, props, hashtags, file_ids, pending_post_id, is_pinned"
    };
}
macro_rules! incoming_cols {
    () => {
        "id, create_at, update_at, delete_at, user_id, channel_id, team_id, display_name, \
         description, username, icon_url, channel_locked"
    };
}
macro_rules! outgoing_cols {
    () => {
        "id, token, create_at, update_at, delete_at, creator_id, channel_id, team_id, \
         trigger_words, trigger_when, callback_urls, display_name, description, content_type, \
         username, icon_url"
    };
}
macro_rules! rc_cols {
    () => {
        "id, integration_type, name, enabled, created_by, created_at, updated_at, token, doc"
    };
}
macro_rules! history_cols {
    () => {
        "id, integration_id, created_at, updated_at, doc"
    };
}
pub(super) fn user_row(row: &SqliteRow) -> Result<User, sqlx::Error> {
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

pub(super) fn session_row(row: &SqliteRow) -> Result<Session, sqlx::Error> {
    Ok(Session {
        token: row.try_get("token")?,
        user_id: row.try_get("user_id")?,
        create_at: row.try_get("create_at")?,
        expires_at: row.try_get("expires_at")?,
        last_activity_at: row.try_get("last_activity_at")?,
    })
}

pub(super) fn team_row(row: &SqliteRow) -> Result<Team, sqlx::Error> {
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

pub(super) fn team_member_row(row: &SqliteRow) -> Result<TeamMember, sqlx::Error> {
    Ok(TeamMember {
        team_id: row.try_get("team_id")?,
        user_id: row.try_get("user_id")?,
        roles: row.try_get("roles")?,
        delete_at: row.try_get("delete_at")?,
    })
}

pub(super) fn channel_row(row: &SqliteRow) -> Result<Channel, sqlx::Error> {
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

pub(super) fn channel_member_row(row: &SqliteRow) -> Result<ChannelMember, sqlx::Error> {
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

pub(super) fn post_row(row: &SqliteRow) -> Result<Post, sqlx::Error> {
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

pub(super) fn incoming_row(row: &SqliteRow) -> Result<IncomingHook, sqlx::Error> {
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

pub(super) fn outgoing_row(row: &SqliteRow) -> Result<OutgoingHook, sqlx::Error> {
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

pub(super) fn rc_row(row: &SqliteRow) -> Result<RcIntegration, sqlx::Error> {
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

pub(super) fn history_row(row: &SqliteRow) -> Result<RcHistory, sqlx::Error> {
    Ok(RcHistory {
        id: row.try_get("id")?,
        integration_id: row.try_get("integration_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        doc: json_col(row, "doc")?,
    })
}

/// Map every row, stopping at the first that does not decode.
pub(super) fn map_rows<T>(
    rows: Vec<SqliteRow>,
    f: impl Fn(&SqliteRow) -> Result<T, sqlx::Error>,
) -> StoreResult<Vec<T>> {
    Ok(rows.iter().map(f).collect::<Result<_, _>>()?)
}

/// Bind values of the Rocket.Chat visibility filter: (all?, owner) per type.
pub(super) fn visibility_binds(v: &RcVisibility) -> (bool, Option<&str>) {
    match v {
        RcVisibility::All => (true, None),
        RcVisibility::CreatedBy(user) => (false, Some(user.as_str())),
        RcVisibility::Hidden => (false, None),
    }
}

/// WHERE clause of Rocket.Chat integration lists; binds ?1..?6 in the order of
/// [`bind_rc_filter`].
macro_rules! rc_filter_where {
    () => {
        " WHERE ((integration_type = 'webhook-incoming' AND (?1 OR created_by = ?2)) \
            OR (integration_type = 'webhook-outgoing' AND (?3 OR created_by = ?4))) \
           AND (?5 IS NULL OR instr(lower(name), lower(?5)) > 0) \
           AND (?6 IS NULL OR integration_type = ?6)"
    };
}

pub(super) fn bind_rc_filter<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    filter: &'q RcIntegrationFilter,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments> {
    let (in_all, in_owner) = visibility_binds(&filter.incoming);
    let (out_all, out_owner) = visibility_binds(&filter.outgoing);
    query
        .bind(in_all)
        .bind(in_owner)
        .bind(out_all)
        .bind(out_owner)
        .bind(filter.name.as_deref())
        .bind(filter.integration_type.as_deref())
}
