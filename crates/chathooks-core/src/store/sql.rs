//! The SQL text of every store query, written once for both backends.
//!
//! Placeholders are `$1`, `$2`...: PostgreSQL's syntax, which SQLite accepts too
//! (sqlx binds SQLite's `$N` by its number). Where the dialects differ, the two
//! versions sit side by side in [`sqlite`] and [`postgres`]:
//!
//! - case-insensitive names: SQLite columns are `COLLATE NOCASE`, PostgreSQL
//!   compares `lower(...)` (the columns are `COLLATE "C"`, so `lower` folds ASCII
//!   only, exactly like NOCASE, and unique indexes are on `lower(...)`);
//! - JSON: `json_each` in SQLite; in PostgreSQL a text prefilter, checked in Rust;
//! - substring search: `instr` against `strpos`.
//!
//! Everything else (the column lists, `RETURNING`, `ON CONFLICT`, paging with
//! `LIMIT`/`OFFSET`) is the same text on both.

// Column lists, as macros so `concat!` can build `&'static str` queries from them.
macro_rules! user_cols {
    () => {
        "id, create_at, update_at, delete_at, username, email, email_verified, first_name, \
         last_name, nickname, password_hash, last_password_update, roles, locale, props, \
         notify_props, timezone, is_bot"
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
         original_id, message, post_type, props, hashtags, file_ids, pending_post_id, is_pinned, hook_id"
    };
}
macro_rules! incoming_cols {
    () => {
        "id, create_at, update_at, delete_at, user_id, channel_id, team_id, display_name, \
         description, username, icon_url, channel_locked"
    };
}
macro_rules! command_cols {
    () => {
        "id, token, create_at, update_at, delete_at, creator_id, team_id, trigger, method, \
         username, icon_url, auto_complete, auto_complete_desc, auto_complete_hint, \
         display_name, description, url"
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
macro_rules! job_cols {
    () => {
        "id, dialect, hook_id, event, url, content_type, body, context, max_attempts, \
         retry_schedule, attempts, status, due_at, lease_owner, lease_until, previous_owner, created_at, updated_at"
    };
}
macro_rules! attempt_cols {
    () => {
        "id, job_id, number, started_at, duration_ms, url, request_body, status_code, \
         response_excerpt, error, instance"
    };
}

macro_rules! access_token_cols {
    () => {
        "id, token, user_id, description, is_active, create_at"
    };
}
macro_rules! reaction_cols {
    () => {
        "post_id, user_id, emoji_name, channel_id, create_at"
    };
}
macro_rules! file_cols {
    () => {
        "id, user_id, channel_id, post_id, create_at, update_at, delete_at, name, extension, \
         size, mime_type, width, height"
    };
}

/// How many columns a column list names (its commas, plus one).
const fn count_columns(list: &str) -> usize {
    let bytes = list.as_bytes();
    let mut count = 1;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b',' {
            count += 1;
        }
        i += 1;
    }
    count
}
/// Columns of `post_cols!`, as the batch writers bind them.
pub(super) const POST_COLUMNS: usize = count_columns(post_cols!());
/// Columns of `job_cols!`, as the batch writers bind them.
pub(super) const JOB_COLUMNS: usize = count_columns(job_cols!());

/// WHERE clause of Rocket.Chat integration lists, around the dialect's
/// case-insensitive substring test of `name` against `$5`; binds $1..$6 in the
/// order of the backends' `bind_rc_filter`.
macro_rules! rc_filter_where {
    ($name_contains:literal) => {
        concat!(
            " WHERE ((integration_type = 'webhook-incoming' AND ($1 OR created_by = $2)) \
               OR (integration_type = 'webhook-outgoing' AND ($3 OR created_by = $4))) \
             AND ($5 IS NULL OR ",
            $name_contains,
            ") AND ($6 IS NULL OR integration_type = $6)"
        )
    };
}

// ----- users -----

pub(super) const CREATE_USER: &str = concat!(
    "INSERT INTO users (",
    user_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING ",
    user_cols!()
);
pub(super) const GET_USER: &str = concat!("SELECT ", user_cols!(), " FROM users WHERE id = $1");
pub(super) const UPDATE_USER: &str = concat!(
    "UPDATE users SET update_at = $2, delete_at = $3, username = $4, email = $5, \
     email_verified = $6, first_name = $7, last_name = $8, nickname = $9, \
     password_hash = $10, last_password_update = $11, roles = $12, locale = $13, \
     props = $14, notify_props = $15, timezone = $16 WHERE id = $1 RETURNING ",
    user_cols!()
);
pub(super) const COUNT_USERS: &str = "SELECT COUNT(*) FROM users";
pub(super) const LIST_ACTIVE_USERS: &str = concat!(
    "SELECT ",
    user_cols!(),
    " FROM users WHERE delete_at = 0 ORDER BY username, id LIMIT $1"
);
/// `$2`: whether the user is a bot; `$3`: `update_at`.
pub(super) const SET_USER_IS_BOT: &str = "UPDATE users SET is_bot = $2, update_at = $3 WHERE id = $1";

// ----- sessions -----

pub(super) const CREATE_SESSION: &str = concat!(
    "INSERT INTO sessions (",
    session_cols!(),
    ") VALUES ($1, $2, $3, $4, $5)"
);
pub(super) const GET_SESSION: &str = concat!("SELECT ", session_cols!(), " FROM sessions WHERE token = $1");
pub(super) const TOUCH_SESSION: &str = "UPDATE sessions SET last_activity_at = $1 WHERE token = $2";
pub(super) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token = $1";
pub(super) const DELETE_USER_SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";

// ----- teams -----

pub(super) const CREATE_TEAM: &str = concat!(
    "INSERT INTO teams (",
    team_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
    team_cols!()
);
pub(super) const GET_TEAM: &str = concat!("SELECT ", team_cols!(), " FROM teams WHERE id = $1");
/// Bound like `CREATE_TEAM` (`bind_team`): every column but the id is set.
pub(super) const UPDATE_TEAM: &str = concat!(
    "UPDATE teams SET create_at = $2, update_at = $3, delete_at = $4, name = $5, display_name = $6, \
     team_type = $7, description = $8, email = $9, allow_open_invite = $10, allowed_domains = $11, \
     invite_id = $12 WHERE id = $1 RETURNING ",
    team_cols!()
);
pub(super) const ADD_TEAM_MEMBER: &str = concat!(
    "INSERT INTO team_members (",
    team_member_cols!(),
    ") VALUES ($1, $2, $3, $4) ON CONFLICT (team_id, user_id) DO UPDATE SET \
     roles = excluded.roles, delete_at = excluded.delete_at RETURNING ",
    team_member_cols!()
);
pub(super) const GET_TEAM_MEMBER: &str = concat!(
    "SELECT ",
    team_member_cols!(),
    " FROM team_members WHERE team_id = $1 AND user_id = $2"
);
pub(super) const LIST_TEAM_MEMBERS: &str = concat!(
    "SELECT ",
    team_member_cols!(),
    " FROM team_members WHERE team_id = $1 AND delete_at = 0 \
     ORDER BY user_id LIMIT $2 OFFSET $3"
);

// ----- channels -----

pub(super) const CREATE_CHANNEL: &str = concat!(
    "INSERT INTO channels (",
    channel_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ",
    channel_cols!()
);
pub(super) const GET_CHANNEL: &str = concat!("SELECT ", channel_cols!(), " FROM channels WHERE id = $1");
pub(super) const ADD_CHANNEL_MEMBER: &str = concat!(
    "INSERT INTO channel_members (",
    channel_member_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (channel_id, user_id) DO NOTHING"
);
pub(super) const GET_CHANNEL_MEMBER: &str = concat!(
    "SELECT ",
    channel_member_cols!(),
    " FROM channel_members WHERE channel_id = $1 AND user_id = $2"
);
pub(super) const LIST_CHANNEL_MEMBERS: &str = concat!(
    "SELECT ",
    channel_member_cols!(),
    " FROM channel_members WHERE channel_id = $1 ORDER BY user_id LIMIT $2 OFFSET $3"
);
pub(super) const COUNT_CHANNEL_MEMBERS: &str = "SELECT COUNT(*) FROM channel_members WHERE channel_id = $1";
/// A user's live direct channels, oldest first.
pub(super) const LIST_USER_DIRECT_CHANNELS: &str = concat!(
    "SELECT ",
    channel_cols!(),
    " FROM channels WHERE channel_type = 'D' AND delete_at = 0 AND id IN \
     (SELECT channel_id FROM channel_members WHERE user_id = $1) ORDER BY create_at, id LIMIT $2 OFFSET $3"
);
/// The direct channel's membership rows, added if missing.
pub(super) const ADD_DIRECT_MEMBER: &str = "INSERT INTO channel_members (channel_id, user_id, roles, last_viewed_at, \
     msg_count, mention_count, notify_props, last_update_at) \
     VALUES ($1, $2, 'channel_user', 0, 0, 0, '{}', $3) \
     ON CONFLICT (channel_id, user_id) DO NOTHING";

// ----- posts -----

pub(super) const GET_POST: &str = concat!("SELECT ", post_cols!(), " FROM posts WHERE id = $1");
pub(super) const LIST_CHANNEL_POSTS: &str = concat!(
    "SELECT ",
    post_cols!(),
    " FROM posts WHERE channel_id = $1 AND delete_at = 0 \
     ORDER BY create_at DESC, id DESC LIMIT $2 OFFSET $3"
);
pub(super) const LIST_CHANNEL_POSTS_BETWEEN: &str = concat!(
    "SELECT ",
    post_cols!(),
    " FROM posts WHERE channel_id = $1 AND delete_at = 0 AND create_at >= $2 AND create_at <= $3 \
     ORDER BY create_at DESC, id DESC LIMIT $4 OFFSET $5"
);

// ----- post edits, threads (ContentStore) -----

pub(super) const UPDATE_POST: &str = concat!(
    "UPDATE posts SET update_at = $2, edit_at = $3, message = $4, post_type = $5, props = $6, \
     hashtags = $7, file_ids = $8, is_pinned = $9 WHERE id = $1 AND delete_at = 0 RETURNING ",
    post_cols!()
);
/// The post `$1` and, if it is a root, its replies.
pub(super) const DELETE_POST: &str = concat!(
    "UPDATE posts SET delete_at = $2, update_at = $2 WHERE (id = $1 OR root_id = $1) AND delete_at = 0 \
     RETURNING ",
    post_cols!()
);
pub(super) const LIST_THREAD: &str = concat!(
    "SELECT ",
    post_cols!(),
    " FROM posts WHERE (id = $1 OR root_id = $1) AND delete_at = 0 \
     AND EXISTS (SELECT 1 FROM posts r WHERE r.id = $1 AND r.delete_at = 0 AND r.root_id = '') \
     ORDER BY create_at, id"
);

// ----- reactions -----

/// Insert, or return the existing reaction unchanged (the no-op update makes
/// `RETURNING` yield the row on conflict, in both dialects).
pub(super) const SAVE_REACTION: &str = concat!(
    "INSERT INTO reactions (",
    reaction_cols!(),
    ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (post_id, user_id, emoji_name) \
     DO UPDATE SET create_at = reactions.create_at RETURNING ",
    reaction_cols!()
);
pub(super) const DELETE_REACTION: &str = concat!(
    "DELETE FROM reactions WHERE post_id = $1 AND user_id = $2 AND emoji_name = $3 RETURNING ",
    reaction_cols!()
);
pub(super) const LIST_REACTIONS: &str = concat!(
    "SELECT ",
    reaction_cols!(),
    " FROM reactions WHERE post_id = $1 ORDER BY create_at, user_id, emoji_name"
);

// ----- files -----

pub(super) const CREATE_FILE: &str = concat!(
    "INSERT INTO files (",
    file_cols!(),
    ", data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ",
    file_cols!()
);
pub(super) const GET_FILE_INFO: &str = concat!("SELECT ", file_cols!(), " FROM files WHERE id = $1 AND delete_at = 0");
pub(super) const GET_FILE_DATA: &str = "SELECT data FROM files WHERE id = $1 AND delete_at = 0";
pub(super) const ATTACH_FILE: &str =
    "UPDATE files SET post_id = $1, update_at = $3 WHERE id = $2 AND post_id = '' AND delete_at = 0";
pub(super) const LIST_POST_FILES: &str = concat!(
    "SELECT ",
    file_cols!(),
    " FROM files WHERE post_id = $1 AND delete_at = 0 ORDER BY create_at, id"
);

// ----- access tokens, listings, membership changes (DirectoryStore) -----

pub(super) const CREATE_ACCESS_TOKEN: &str = concat!(
    "INSERT INTO access_tokens (",
    access_token_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
    access_token_cols!()
);
pub(super) const GET_ACCESS_TOKEN: &str =
    concat!("SELECT ", access_token_cols!(), " FROM access_tokens WHERE token = $1");
pub(super) const GET_ACCESS_TOKEN_BY_ID: &str =
    concat!("SELECT ", access_token_cols!(), " FROM access_tokens WHERE id = $1");
pub(super) const LIST_ACCESS_TOKENS: &str = concat!(
    "SELECT ",
    access_token_cols!(),
    " FROM access_tokens WHERE user_id = $1 ORDER BY create_at, id LIMIT $2 OFFSET $3"
);
pub(super) const SET_ACCESS_TOKEN_ACTIVE: &str = "UPDATE access_tokens SET is_active = $2 WHERE id = $1";
pub(super) const DELETE_ACCESS_TOKEN: &str = "DELETE FROM access_tokens WHERE id = $1";
pub(super) const TAKE_LOGIN_ATTEMPT: &str = "INSERT INTO login_failures (user_id, failures) VALUES ($1, 1) \
     ON CONFLICT (user_id) DO UPDATE SET failures = login_failures.failures + 1 \
     WHERE login_failures.failures < $2 RETURNING failures";
pub(super) const RETURN_LOGIN_ATTEMPT: &str =
    "UPDATE login_failures SET failures = failures - 1 WHERE user_id = $1 AND failures > 0";
pub(super) const CLEAR_LOGIN_FAILURES: &str = "DELETE FROM login_failures WHERE user_id = $1";
pub(super) const GET_LOGIN_FAILURES: &str = "SELECT failures FROM login_failures WHERE user_id = $1";

// ----- changed roles and admin switches -----
pub(super) const LIST_ROLES: &str = "SELECT name, permissions, update_at FROM roles ORDER BY name";
pub(super) const PUT_ROLE: &str = "INSERT INTO roles (name, permissions, update_at) VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions, update_at = excluded.update_at";
pub(super) const LIST_SETTINGS: &str = "SELECT key, value, update_at FROM settings ORDER BY key";
pub(super) const PUT_SETTING: &str = "INSERT INTO settings (key, value, update_at) VALUES ($1, $2, $3) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, update_at = excluded.update_at";
pub(super) const INSERT_SETTING_IF_ABSENT: &str =
    "INSERT INTO settings (key, value, update_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING";
pub(super) const LIST_PUBLIC_CHANNELS: &str = concat!(
    "SELECT ",
    channel_cols!(),
    " FROM channels WHERE channel_type = 'O' ORDER BY create_at, id LIMIT $1 OFFSET $2"
);
pub(super) const COUNT_PUBLIC_CHANNELS: &str = "SELECT COUNT(*) FROM channels WHERE channel_type = 'O'";
pub(super) const REMOVE_CHANNEL_MEMBER: &str = "DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2";
pub(super) const ARCHIVE_CHANNEL: &str = concat!(
    "UPDATE channels SET delete_at = $2, update_at = $2 WHERE id = $1 AND delete_at = 0 RETURNING ",
    channel_cols!()
);

/// Deleting a room: first the hooks that name it (incoming hooks carry a
/// foreign key to it; outgoing hooks for it would watch nothing), then the
/// room, whose memberships, posts and files go with it (`ON DELETE CASCADE`).
pub(super) const DELETE_CHANNEL_INCOMING: &str = "DELETE FROM incoming_hooks WHERE channel_id = $1";
pub(super) const DELETE_CHANNEL_OUTGOING: &str = "DELETE FROM outgoing_hooks WHERE channel_id = $1";
pub(super) const DELETE_CHANNEL: &str = "DELETE FROM channels WHERE id = $1";
/// Deleting a team, `$1`, whose remaining channels go to team `$2`: first
/// the channels' members join `$2` (a membership ended there starts again),
/// then the channels and their incoming hooks (whose `team_id` is the
/// channel's) move.
pub(super) const DELETE_TEAM_MOVES: [&str; 3] = [
    "INSERT INTO team_members (team_id, user_id, roles, delete_at) \
     SELECT DISTINCT CAST($2 AS TEXT), m.user_id, 'team_user', 0 FROM channel_members m \
     JOIN channels c ON c.id = m.channel_id WHERE c.team_id = $1 \
     ON CONFLICT (team_id, user_id) DO UPDATE SET delete_at = 0",
    "UPDATE channels SET team_id = $2 WHERE team_id = $1",
    "UPDATE incoming_hooks SET team_id = $2 WHERE team_id = $1",
];
/// Then what belongs to the team goes: its outgoing hooks and slash
/// commands (both carry a foreign key to it), its memberships, the team.
pub(super) const DELETE_TEAM_REMOVES: [&str; 3] = [
    "DELETE FROM outgoing_hooks WHERE team_id = $1",
    "DELETE FROM commands WHERE team_id = $1",
    "DELETE FROM team_members WHERE team_id = $1",
];
pub(super) const DELETE_TEAM: &str = "DELETE FROM teams WHERE id = $1";
/// What a deleted account leaves behind (its row stays, anonymised, so every
/// foreign key to it holds): its posts, whose reactions cascade, then its
/// memberships and credentials. Each takes the user id as `$1`.
pub(super) const ERASE_USER_TRACES: [&str; 6] = [
    "DELETE FROM files WHERE user_id = $1",
    "DELETE FROM posts WHERE user_id = $1",
    "DELETE FROM channel_members WHERE user_id = $1",
    "DELETE FROM team_members WHERE user_id = $1",
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM access_tokens WHERE user_id = $1",
];
/// Forgetting an integration's delivery history.
pub(super) const CLEAR_RC_HISTORY: &str = "DELETE FROM rc_history WHERE integration_id = $1";

// ----- incoming hooks -----

pub(super) const CREATE_INCOMING: &str = concat!(
    "INSERT INTO incoming_hooks (",
    incoming_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
    incoming_cols!()
);
pub(super) const GET_INCOMING: &str = concat!(
    "SELECT ",
    incoming_cols!(),
    " FROM incoming_hooks WHERE id = $1 AND delete_at = 0"
);
pub(super) const UPDATE_INCOMING: &str = concat!(
    "UPDATE incoming_hooks SET update_at = $2, user_id = $3, channel_id = $4, \
     team_id = $5, display_name = $6, description = $7, username = $8, icon_url = $9, \
     channel_locked = $10 WHERE id = $1 AND delete_at = 0 RETURNING ",
    incoming_cols!()
);
pub(super) const DELETE_INCOMING: &str =
    "UPDATE incoming_hooks SET delete_at = $1, update_at = $1 WHERE id = $2 AND delete_at = 0";
pub(super) const LIST_INCOMING: &str = concat!(
    "SELECT ",
    incoming_cols!(),
    " FROM incoming_hooks WHERE delete_at = 0 \
     AND ($1 IS NULL OR team_id = $1) AND ($2 IS NULL OR user_id = $2) \
     ORDER BY create_at, id LIMIT $3 OFFSET $4"
);
pub(super) const COUNT_INCOMING: &str = "SELECT COUNT(*) FROM incoming_hooks WHERE delete_at = 0 \
     AND ($1 IS NULL OR team_id = $1) AND ($2 IS NULL OR user_id = $2)";

// ----- outgoing hooks -----

pub(super) const CREATE_OUTGOING: &str = concat!(
    "INSERT INTO outgoing_hooks (",
    outgoing_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING ",
    outgoing_cols!()
);
pub(super) const GET_OUTGOING: &str = concat!(
    "SELECT ",
    outgoing_cols!(),
    " FROM outgoing_hooks WHERE id = $1 AND delete_at = 0"
);
pub(super) const UPDATE_OUTGOING: &str = concat!(
    "UPDATE outgoing_hooks SET update_at = $2, creator_id = $3, channel_id = $4, \
     team_id = $5, trigger_words = $6, trigger_when = $7, callback_urls = $8, \
     display_name = $9, description = $10, content_type = $11, username = $12, \
     icon_url = $13 WHERE id = $1 AND delete_at = 0 RETURNING ",
    outgoing_cols!()
);
pub(super) const REGEN_OUTGOING_TOKEN: &str = concat!(
    "UPDATE outgoing_hooks SET token = $1, update_at = $2 WHERE id = $3 AND delete_at = 0 \
     RETURNING ",
    outgoing_cols!()
);
pub(super) const DELETE_OUTGOING: &str =
    "UPDATE outgoing_hooks SET delete_at = $1, update_at = $1 WHERE id = $2 AND delete_at = 0";
pub(super) const LIST_OUTGOING: &str = concat!(
    "SELECT ",
    outgoing_cols!(),
    " FROM outgoing_hooks WHERE delete_at = 0 \
     AND ($1 IS NULL OR team_id = $1) AND ($2 IS NULL OR channel_id = $2) \
     AND ($3 IS NULL OR creator_id = $3) \
     ORDER BY create_at, id LIMIT $4 OFFSET $5"
);
pub(super) const COUNT_OUTGOING: &str = "SELECT COUNT(*) FROM outgoing_hooks WHERE delete_at = 0 \
     AND ($1 IS NULL OR team_id = $1) AND ($2 IS NULL OR channel_id = $2) \
     AND ($3 IS NULL OR creator_id = $3)";
pub(super) const OUTGOING_FOR_CHANNEL: &str = concat!(
    "SELECT ",
    outgoing_cols!(),
    " FROM outgoing_hooks WHERE delete_at = 0 AND team_id = $1 \
     AND (channel_id = $2 OR channel_id = '') ORDER BY create_at, id"
);

// ----- slash commands -----

pub(super) const CREATE_COMMAND: &str = concat!(
    "INSERT INTO commands (",
    command_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING ",
    command_cols!()
);
pub(super) const GET_COMMAND: &str = concat!(
    "SELECT ",
    command_cols!(),
    " FROM commands WHERE id = $1 AND delete_at = 0"
);
/// Everything but the id, the creation time and the creator may change.
pub(super) const UPDATE_COMMAND: &str = concat!(
    "UPDATE commands SET token = $2, update_at = $3, trigger = $4, method = $5, \
     username = $6, icon_url = $7, auto_complete = $8, auto_complete_desc = $9, \
     auto_complete_hint = $10, display_name = $11, description = $12, url = $13 \
     WHERE id = $1 AND delete_at = 0 RETURNING ",
    command_cols!()
);
pub(super) const DELETE_COMMAND: &str =
    "UPDATE commands SET delete_at = $1, update_at = $1 WHERE id = $2 AND delete_at = 0";
pub(super) const LIST_TEAM_COMMANDS: &str = concat!(
    "SELECT ",
    command_cols!(),
    " FROM commands WHERE team_id = $1 AND delete_at = 0 ORDER BY create_at, id"
);

pub(super) const CREATE_COMMAND_WEBHOOK: &str = "INSERT INTO command_webhooks \
     (id, create_at, command_id, user_id, channel_id, root_id, use_count) VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(super) const GET_COMMAND_WEBHOOK: &str = "SELECT id, create_at, command_id, user_id, channel_id, root_id, \
     use_count FROM command_webhooks WHERE id = $1 AND create_at > $2";
/// One statement, so two answers racing for the last use cannot both win.
pub(super) const USE_COMMAND_WEBHOOK: &str =
    "UPDATE command_webhooks SET use_count = use_count + 1 WHERE id = $1 AND use_count < $2";
pub(super) const DELETE_COMMAND_WEBHOOKS_BEFORE: &str = "DELETE FROM command_webhooks WHERE create_at <= $1";

// ----- bot accounts -----

/// A bot as Mattermost shows it: its record joined with its user, whose
/// username and first name are the bot's username and display name.
macro_rules! bot_select {
    () => {
        "SELECT b.user_id, u.username, u.first_name AS display_name, b.description, b.owner_id, \
         b.create_at, b.update_at, b.delete_at FROM bots b JOIN users u ON u.id = b.user_id"
    };
}
pub(super) const DELETE_BOT: &str = "DELETE FROM bots WHERE user_id = $1";
pub(super) const CREATE_BOT: &str = "INSERT INTO bots (user_id, owner_id, description, create_at, update_at, delete_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// `$2`: include a disabled bot.
pub(super) const GET_BOT: &str = concat!(bot_select!(), " WHERE b.user_id = $1 AND ($2 OR b.delete_at = 0)");
/// The creation time stays.
pub(super) const UPDATE_BOT: &str =
    "UPDATE bots SET description = $2, update_at = $3, delete_at = $4, owner_id = $5 WHERE user_id = $1";
/// `$1`: the owner, or empty for every bot; `$2`: include disabled bots;
/// `$3`: only bots whose owner is deactivated or gone.
pub(super) const LIST_BOTS: &str = concat!(
    bot_select!(),
    " LEFT JOIN users o ON o.id = b.owner_id \
     WHERE ($1 = '' OR b.owner_id = $1) AND ($2 OR b.delete_at = 0) \
     AND (NOT $3 OR o.id IS NULL OR o.delete_at <> 0) \
     ORDER BY b.create_at, b.user_id LIMIT $4 OFFSET $5"
);

// ----- Rocket.Chat integrations -----

pub(super) const CREATE_RC_INTEGRATION: &str = concat!(
    "INSERT INTO rc_integrations (",
    rc_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
    rc_cols!()
);
pub(super) const GET_RC_INTEGRATION: &str = concat!("SELECT ", rc_cols!(), " FROM rc_integrations WHERE id = $1");
pub(super) const GET_RC_INTEGRATION_BY_TOKEN: &str = concat!(
    "SELECT ",
    rc_cols!(),
    " FROM rc_integrations WHERE token = $1 ORDER BY created_at, id LIMIT 1"
);
pub(super) const UPDATE_RC_INTEGRATION: &str = concat!(
    "UPDATE rc_integrations SET integration_type = $2, name = $3, enabled = $4, \
     updated_at = $5, token = $6, doc = $7 WHERE id = $1 RETURNING ",
    rc_cols!()
);
/// History and pending retries go with it (ON DELETE CASCADE).
pub(super) const DELETE_RC_INTEGRATION: &str =
    concat!("DELETE FROM rc_integrations WHERE id = $1 RETURNING ", rc_cols!());

// ----- Rocket.Chat history -----

pub(super) const ADD_RC_HISTORY: &str = concat!(
    "INSERT INTO rc_history (",
    history_cols!(),
    ") VALUES ($1, $2, $3, $4, $5)"
);
pub(super) const UPDATE_RC_HISTORY: &str = "UPDATE rc_history SET updated_at = $1, doc = $2 WHERE id = $3";
pub(super) const LIST_RC_HISTORY: &str = concat!(
    "SELECT ",
    history_cols!(),
    " FROM rc_history WHERE integration_id = $1 \
     ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3"
);
pub(super) const GET_RC_HISTORY: &str = concat!(
    "SELECT ",
    history_cols!(),
    " FROM rc_history WHERE integration_id = $1 AND id = $2"
);
pub(super) const COUNT_RC_HISTORY: &str = "SELECT COUNT(*) FROM rc_history WHERE integration_id = $1";

// ----- Rocket.Chat script store -----

pub(super) const GET_RC_SCRIPT_STORE: &str =
    "SELECT key, value FROM rc_script_store WHERE integration_id = $1 ORDER BY key";
pub(super) const SET_RC_SCRIPT_VALUE: &str = "INSERT INTO rc_script_store (integration_id, key, value, updated_at) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (integration_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

// ----- Rocket.Chat retries -----

// ----- the delivery queue -----

pub(super) const INSERT_JOB: &str = concat!(
    "INSERT INTO delivery_jobs (",
    job_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
);
/// The subquery of [`claim_jobs!`]: due pending jobs, and running ones whose
/// lease ran out. `$2` is now, `$4` the limit.
macro_rules! due_jobs {
    () => {
        "SELECT id FROM delivery_jobs \
         WHERE (status = 'pending' AND due_at <= $2) OR (status = 'running' AND lease_until <= $2) \
         ORDER BY due_at, id LIMIT $4"
    };
}
/// Claim the jobs `$subquery` picks for owner `$1` until `$3`. A job taken
/// over from an instance whose lease ran out keeps that instance's id in
/// `previous_owner` (the right-hand sides read the row before the update).
macro_rules! claim_jobs {
    ($subquery:expr) => {
        concat!(
            "UPDATE delivery_jobs SET status = 'running', lease_owner = $1, lease_until = $3, updated_at = $2, \
             previous_owner = CASE WHEN status = 'running' THEN lease_owner ELSE '' END WHERE id IN (",
            $subquery,
            ") RETURNING ",
            job_cols!()
        )
    };
}
pub(super) const INSERT_ATTEMPT: &str = concat!(
    "INSERT INTO delivery_attempts (",
    attempt_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
);
pub(super) const RENEW_JOB: &str =
    "UPDATE delivery_jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'";
pub(super) const FINISH_JOB: &str = "UPDATE delivery_jobs SET status = $1, attempts = $2, due_at = $3, lease_owner = '', \
     lease_until = 0, updated_at = $4 WHERE id = $5 AND lease_owner = $6 AND status = 'running'";
pub(super) const GET_JOB: &str = concat!("SELECT ", job_cols!(), " FROM delivery_jobs WHERE id = $1");
pub(super) const LIST_JOBS: &str = concat!(
    "SELECT ",
    job_cols!(),
    " FROM delivery_jobs WHERE (CAST($1 AS TEXT) IS NULL OR hook_id = $1) AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
     ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
);
pub(super) const LIST_ATTEMPTS: &str = concat!(
    "SELECT ",
    attempt_cols!(),
    " FROM delivery_attempts WHERE job_id = $1 ORDER BY number, started_at, id"
);

/// The queries whose text differs by dialect; see the module docs. Each
/// dialect module below expands this with its own pieces: `fold` wraps a
/// column or parameter whose case is ignored (nothing in SQLite, where those
/// columns are `COLLATE NOCASE`; `lower(...)` in PostgreSQL).
macro_rules! dialect_queries {
    (
        fold => ($l:literal, $r:literal),
        name_contains => $name_contains:literal $(,)?
    ) => {
        /// The user with username `$1`.
        pub(in crate::store) const GET_USER_BY_USERNAME: &str = concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE ",
            $l,
            "username",
            $r,
            " = ",
            $l,
            "$1",
            $r
        );
        /// The user whose username or email is `$1` (the username wins).
        pub(in crate::store) const GET_USER_BY_LOGIN: &str = concat!(
            "SELECT ",
            user_cols!(),
            " FROM users WHERE ",
            $l,
            "username",
            $r,
            " = ",
            $l,
            "$1",
            $r,
            " OR ",
            $l,
            "email",
            $r,
            " = ",
            $l,
            "$1",
            $r,
            " ORDER BY ",
            $l,
            "username",
            $r,
            " = ",
            $l,
            "$1",
            $r,
            " DESC LIMIT 1"
        );
        pub(in crate::store) const GET_TEAM_BY_NAME: &str = concat!(
            "SELECT ",
            team_cols!(),
            " FROM teams WHERE ",
            $l,
            "name",
            $r,
            " = ",
            $l,
            "$1",
            $r
        );
        pub(in crate::store) const GET_CHANNEL_BY_NAME: &str = concat!(
            "SELECT ",
            channel_cols!(),
            " FROM channels WHERE team_id = $1 AND ",
            $l,
            "name",
            $r,
            " = ",
            $l,
            "$2",
            $r
        );
        pub(in crate::store) const LIST_TEAMS: &str = concat!(
            "SELECT ",
            team_cols!(),
            " FROM teams WHERE delete_at = 0 ORDER BY ",
            $l,
            "name",
            $r,
            ", id LIMIT $1 OFFSET $2"
        );
        pub(in crate::store) const LIST_USER_TEAMS: &str = concat!(
            "SELECT ",
            team_cols!(),
            " FROM teams WHERE delete_at = 0 AND id IN \
             (SELECT team_id FROM team_members WHERE user_id = $1 AND delete_at = 0) ORDER BY ",
            $l,
            "name",
            $r,
            ", id"
        );
        pub(in crate::store) const LIST_TEAM_CHANNELS: &str = concat!(
            "SELECT ",
            channel_cols!(),
            " FROM channels WHERE team_id = $1 AND delete_at = 0 ORDER BY ",
            $l,
            "name",
            $r,
            ", id LIMIT $2 OFFSET $3"
        );
        /// Insert-if-absent keyed on the unique (team, name): two concurrent calls
        /// end up with the same channel.
        pub(in crate::store) const CREATE_DIRECT_CHANNEL: &str = concat!(
            "INSERT INTO channels (id, create_at, update_at, delete_at, team_id, channel_type, \
             name, display_name, header, purpose, creator_id, last_post_at, total_msg_count) \
             VALUES ($1, $2, $2, 0, '', 'D', $3, '', '', '', $4, 0, 0) ON CONFLICT (team_id, ",
            $l,
            "name",
            $r,
            ") DO NOTHING"
        );
        /// The oldest live public or private channel named `$1`, any team.
        pub(in crate::store) const FIND_CHANNEL_BY_NAME: &str = concat!(
            "SELECT ",
            channel_cols!(),
            " FROM channels WHERE ",
            $l,
            "name",
            $r,
            " = ",
            $l,
            "$1",
            $r,
            " AND delete_at = 0 AND channel_type IN ('O', 'P') ORDER BY create_at, id LIMIT 1"
        );
        pub(in crate::store) const LIST_RC_INTEGRATIONS: &str = concat!(
            "SELECT ",
            rc_cols!(),
            " FROM rc_integrations",
            rc_filter_where!($name_contains),
            " ORDER BY created_at, id LIMIT $7 OFFSET $8"
        );
        pub(in crate::store) const COUNT_RC_INTEGRATIONS: &str = concat!(
            "SELECT COUNT(*) AS n FROM rc_integrations",
            rc_filter_where!($name_contains)
        );
    };
}

// ----- whole-server reads and housekeeping (InspectStore) -----

/// Posts matching a [`super::PostSearch`]: `$1` channel, `$2` hook, `$3`
/// user, `$4` text contained (each NULL for any; `$contains` is the
/// dialect's substring test), `$5` created after, `$6` limit.
macro_rules! search_posts {
    ($contains:literal, $order:literal) => {
        concat!(
            "SELECT ",
            post_cols!(),
            " FROM posts WHERE delete_at = 0 AND ($1 IS NULL OR channel_id = $1) \
             AND ($2 IS NULL OR hook_id = $2) AND ($3 IS NULL OR user_id = $3) \
             AND ($4 IS NULL OR ",
            $contains,
            ") AND create_at > $5 ORDER BY ",
            $order,
            " LIMIT $6"
        )
    };
}
pub(super) const LIST_ALL_CHANNELS_SQL: &str = concat!(
    "SELECT ",
    channel_cols!(),
    " FROM channels WHERE delete_at = 0 AND channel_type IN ('O', 'P') ORDER BY team_id, name, id"
);
pub(super) const PRUNE_POSTS_BEFORE: &str = "DELETE FROM posts WHERE create_at < $1";
/// Files whose post is gone (retention deletes posts, not their files).
pub(super) const PRUNE_ORPHAN_FILES: &str =
    "DELETE FROM files WHERE post_id <> '' AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = files.post_id)";

/// `"name"`, quoted as an SQL identifier (table names read from the catalog).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The schema migrations of one backend, in order: a `fn migrator()` over
/// the files under `migrations/<$dir>/`. Both backends have the same list (the
/// same number is the same change in each dialect), so it is written once
/// here. Add new files at the end, never edit old ones: sqlx records a
/// checksum of each applied migration and refuses a changed one.
macro_rules! migrator {
    ($dir:literal) => {
        pub(in crate::store) fn migrator() -> sqlx::migrate::Migrator {
            sqlx::migrate::Migrator::with_migrations(vec![
                migrator!(@ $dir, 1, "init", "0001_init.sql"),
                migrator!(@ $dir, 2, "post counts trigger", "0002_post_counts_trigger.sql"),
                migrator!(@ $dir, 3, "delivery queue", "0003_delivery_queue.sql"),
                migrator!(@ $dir, 4, "tokens reactions files", "0004_tokens_reactions_files.sql"),
                migrator!(@ $dir, 5, "script store", "0005_script_store.sql"),
                migrator!(@ $dir, 6, "post sources and retention", "0006_post_sources_and_retention.sql"),
                migrator!(@ $dir, 7, "login failures", "0007_login_failures.sql"),
                migrator!(@ $dir, 8, "roles and settings", "0008_roles_and_settings.sql"),
                migrator!(@ $dir, 9, "slash commands", "0009_commands.sql"),
                migrator!(@ $dir, 10, "bot accounts", "0010_bots.sql"),
                migrator!(@ $dir, 11, "command webhooks", "0011_command_webhooks.sql"),
            ])
        }
    };
    (@ $dir:literal, $version:literal, $description:literal, $file:literal) => {
        sqlx::migrate::Migration::new(
            $version,
            std::borrow::Cow::Borrowed($description),
            sqlx::migrate::MigrationType::Simple,
            sqlx::SqlSafeStr::into_sql_str(include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/",
                $dir,
                "/",
                $file
            ))),
            false,
        )
    };
}

/// SQLite: the name columns are `COLLATE NOCASE`, so `=` and `ORDER BY` ignore case.
pub(super) mod sqlite {
    migrator!("sqlite");

    dialect_queries! {
        fold => ("", ""),
        name_contains => "instr(lower(name), lower($5)) > 0",
    }

    /// The oldest outgoing integration whose `doc.urls` lists `$1`.
    pub(in crate::store) const GET_RC_OUTGOING_BY_URL: &str = concat!(
        "SELECT ",
        rc_cols!(),
        " FROM rc_integrations WHERE integration_type = 'webhook-outgoing' \
         AND EXISTS (SELECT 1 FROM json_each(doc, '$.urls') WHERE value = $1) \
         ORDER BY created_at, id LIMIT 1"
    );

    /// Claim due jobs. Every SQLite write goes through the one writer
    /// connection, so the statement is atomic with respect to other claims.
    pub(in crate::store) const CLAIM_JOBS: &str = claim_jobs!(due_jobs!());

    pub(in crate::store) const SEARCH_POSTS_OLDEST: &str = search_posts!("instr(message, $4) > 0", "create_at, id");
    pub(in crate::store) const SEARCH_POSTS_NEWEST: &str =
        search_posts!("instr(message, $4) > 0", "create_at DESC, id DESC");
    pub(in crate::store) const LIST_ALL_CHANNELS: &str = super::LIST_ALL_CHANNELS_SQL;
    /// All but the newest `$1` posts (SQLite needs a `LIMIT` before `OFFSET`).
    pub(in crate::store) const PRUNE_POSTS_BEYOND: &str = "DELETE FROM posts WHERE id IN \
         (SELECT id FROM posts ORDER BY create_at DESC, id DESC LIMIT -1 OFFSET $1)";
    pub(in crate::store) const LIST_TABLES: &str = "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name";
    /// Foreign keys are checked at commit, when every table is empty, so the
    /// tables can be emptied in any order.
    pub(in crate::store) const WIPE_PREPARE: &str = "PRAGMA defer_foreign_keys = ON";
    pub(in crate::store) fn wipe_statements(tables: &[String]) -> Vec<String> {
        tables
            .iter()
            .map(|table| format!("DELETE FROM {}", super::quoted(table)))
            .collect()
    }
}

/// PostgreSQL: compare and order by `lower(...)`, which the unique indexes cover.
pub(super) mod postgres {
    migrator!("postgres");

    dialect_queries! {
        fold => ("lower(", ")"),
        name_contains => "strpos(lower(name), lower($5)) > 0",
    }

    /// Candidates for "the oldest outgoing integration whose `doc.urls` lists
    /// the URL", oldest first: those whose document text contains `$1`, the
    /// URL as a JSON string. The store checks `urls` itself (`urls_list`):
    /// casting `doc` to `jsonb` fails on any document holding `\u0000`, which
    /// jsonb cannot represent, so one such row would break every lookup.
    pub(in crate::store) const RC_OUTGOING_MENTIONING: &str = concat!(
        "SELECT ",
        rc_cols!(),
        " FROM rc_integrations WHERE integration_type = 'webhook-outgoing' \
         AND strpos(doc, $1) > 0 ORDER BY created_at, id"
    );

    /// Claim due jobs. `SKIP LOCKED`: rows another instance is claiming at
    /// this moment are passed over, so each job goes to exactly one claimant
    /// and claims never wait on each other.
    pub(in crate::store) const CLAIM_JOBS: &str = claim_jobs!(concat!(due_jobs!(), " FOR UPDATE SKIP LOCKED"));

    pub(in crate::store) const SEARCH_POSTS_OLDEST: &str = search_posts!("strpos(message, $4) > 0", "create_at, id");
    pub(in crate::store) const SEARCH_POSTS_NEWEST: &str =
        search_posts!("strpos(message, $4) > 0", "create_at DESC, id DESC");
    pub(in crate::store) const LIST_ALL_CHANNELS: &str = super::LIST_ALL_CHANNELS_SQL;
    pub(in crate::store) const PRUNE_POSTS_BEYOND: &str =
        "DELETE FROM posts WHERE id IN (SELECT id FROM posts ORDER BY create_at DESC, id DESC OFFSET $1)";
    pub(in crate::store) const LIST_TABLES: &str = "SELECT tablename::text FROM pg_tables \
         WHERE schemaname = current_schema() AND tablename <> '_sqlx_migrations' ORDER BY tablename";
    /// Nothing to prepare: one `TRUNCATE` of every table at once satisfies
    /// the foreign keys by itself.
    pub(in crate::store) const WIPE_PREPARE: &str = "";
    pub(in crate::store) fn wipe_statements(tables: &[String]) -> Vec<String> {
        if tables.is_empty() {
            return Vec::new();
        }
        let list: Vec<String> = tables.iter().map(|table| super::quoted(table)).collect();
        vec![format!("TRUNCATE {}", list.join(", "))]
    }
}
