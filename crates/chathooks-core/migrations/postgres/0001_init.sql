-- Initial schema of the chathooks store (PostgreSQL): the same tables, columns
-- and indexes as migrations/sqlite/0001_init.sql, in PostgreSQL's types.
--
-- Conventions: timestamps are BIGINT milliseconds since the Unix epoch; *_at = 0
-- means "not yet" (delete_at = 0: live). JSON documents and string lists are TEXT
-- holding JSON, as in SQLite, so both backends map rows alike. Text columns are
-- COLLATE "C": comparisons and ORDER BY are by bytes, like SQLite's BINARY, and
-- lower() folds ASCII only, like SQLite's NOCASE. Case-insensitive uniqueness
-- (usernames, emails, team names, channel names) is a unique index on lower(...);
-- unique indexes are named <table>_<columns>, which the store's Conflict
-- messages rely on.

CREATE TABLE users (
    id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    create_at            BIGINT NOT NULL,
    update_at            BIGINT NOT NULL,
    delete_at            BIGINT NOT NULL DEFAULT 0,
    username             TEXT COLLATE "C" NOT NULL,
    email                TEXT COLLATE "C" NOT NULL,
    email_verified       BOOLEAN NOT NULL DEFAULT FALSE,
    first_name           TEXT NOT NULL DEFAULT '',
    last_name            TEXT NOT NULL DEFAULT '',
    nickname             TEXT NOT NULL DEFAULT '',
    password_hash        TEXT NOT NULL DEFAULT '',
    last_password_update BIGINT NOT NULL DEFAULT 0,
    roles                TEXT NOT NULL DEFAULT 'system_user',
    locale               TEXT NOT NULL DEFAULT 'en',
    props                TEXT NOT NULL DEFAULT '{}',
    notify_props         TEXT NOT NULL DEFAULT '{}',
    timezone             TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
-- Emails are unique when present (bots and imported users may have none).
CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email <> '';

CREATE TABLE sessions (
    token            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id          TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    create_at        BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE teams (
    id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    create_at         BIGINT NOT NULL,
    update_at         BIGINT NOT NULL,
    delete_at         BIGINT NOT NULL DEFAULT 0,
    name              TEXT COLLATE "C" NOT NULL,
    display_name      TEXT NOT NULL,
    team_type         TEXT NOT NULL CHECK (team_type IN ('O', 'I')),
    description       TEXT NOT NULL DEFAULT '',
    email             TEXT NOT NULL DEFAULT '',
    allow_open_invite BOOLEAN NOT NULL DEFAULT FALSE,
    allowed_domains   TEXT NOT NULL DEFAULT '',
    invite_id         TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX teams_name ON teams (lower(name));

CREATE TABLE team_members (
    team_id   TEXT COLLATE "C" NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    roles     TEXT NOT NULL DEFAULT 'team_user',
    delete_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- team_id is '' for direct and group messages, so it carries no foreign key.
CREATE TABLE channels (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    create_at       BIGINT NOT NULL,
    update_at       BIGINT NOT NULL,
    delete_at       BIGINT NOT NULL DEFAULT 0,
    team_id         TEXT COLLATE "C" NOT NULL,
    channel_type    TEXT NOT NULL CHECK (channel_type IN ('O', 'P', 'D', 'G')),
    name            TEXT COLLATE "C" NOT NULL,
    display_name    TEXT NOT NULL DEFAULT '',
    header          TEXT NOT NULL DEFAULT '',
    purpose         TEXT NOT NULL DEFAULT '',
    creator_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_post_at    BIGINT NOT NULL DEFAULT 0,
    total_msg_count BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX channels_team_id_name ON channels (team_id, lower(name));

CREATE TABLE channel_members (
    channel_id     TEXT COLLATE "C" NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    user_id        TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    roles          TEXT NOT NULL DEFAULT 'channel_user',
    last_viewed_at BIGINT NOT NULL DEFAULT 0,
    msg_count      BIGINT NOT NULL DEFAULT 0,
    mention_count  BIGINT NOT NULL DEFAULT 0,
    notify_props   TEXT NOT NULL DEFAULT '{}',
    last_update_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user ON channel_members (user_id);

CREATE TABLE posts (
    id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    create_at       BIGINT NOT NULL,
    update_at       BIGINT NOT NULL,
    edit_at         BIGINT NOT NULL DEFAULT 0,
    delete_at       BIGINT NOT NULL DEFAULT 0,
    user_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    channel_id      TEXT COLLATE "C" NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    root_id         TEXT COLLATE "C" NOT NULL DEFAULT '',
    original_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
    message         TEXT NOT NULL DEFAULT '',
    post_type       TEXT NOT NULL DEFAULT '',
    props           TEXT NOT NULL DEFAULT '{}',
    hashtags        TEXT NOT NULL DEFAULT '',
    file_ids        TEXT NOT NULL DEFAULT '[]',
    pending_post_id TEXT NOT NULL DEFAULT '',
    is_pinned       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX posts_channel_time ON posts (channel_id, create_at, id);

-- team_id is copied from the channel ('' for a direct-message channel).
CREATE TABLE incoming_hooks (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    create_at      BIGINT NOT NULL,
    update_at      BIGINT NOT NULL,
    delete_at      BIGINT NOT NULL DEFAULT 0,
    user_id        TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    channel_id     TEXT COLLATE "C" NOT NULL REFERENCES channels (id),
    team_id        TEXT COLLATE "C" NOT NULL,
    display_name   TEXT NOT NULL DEFAULT '',
    description    TEXT NOT NULL DEFAULT '',
    username       TEXT NOT NULL DEFAULT '',
    icon_url       TEXT NOT NULL DEFAULT '',
    channel_locked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX incoming_hooks_team ON incoming_hooks (team_id, create_at, id);
CREATE INDEX incoming_hooks_user ON incoming_hooks (user_id, create_at, id);

-- channel_id is '' for a team-wide hook, so it carries no foreign key.
CREATE TABLE outgoing_hooks (
    id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    token         TEXT COLLATE "C" NOT NULL,
    create_at     BIGINT NOT NULL,
    update_at     BIGINT NOT NULL,
    delete_at     BIGINT NOT NULL DEFAULT 0,
    creator_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    channel_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    team_id       TEXT COLLATE "C" NOT NULL REFERENCES teams (id),
    trigger_words TEXT NOT NULL DEFAULT '[]',
    trigger_when  INTEGER NOT NULL DEFAULT 0 CHECK (trigger_when IN (0, 1)),
    callback_urls TEXT NOT NULL DEFAULT '[]',
    display_name  TEXT NOT NULL DEFAULT '',
    description   TEXT NOT NULL DEFAULT '',
    content_type  TEXT NOT NULL DEFAULT 'application/x-www-form-urlencoded',
    username      TEXT NOT NULL DEFAULT '',
    icon_url      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outgoing_hooks_team_channel ON outgoing_hooks (team_id, channel_id, create_at, id);
CREATE INDEX outgoing_hooks_creator ON outgoing_hooks (creator_id, create_at, id);

-- Rocket.Chat integrations: `doc` is the document as Rocket.Chat returns it; the
-- other columns are the queryable copy of its fields that the store filters on.
CREATE TABLE rc_integrations (
    id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    integration_type TEXT COLLATE "C" NOT NULL CHECK (integration_type IN ('webhook-incoming', 'webhook-outgoing')),
    name             TEXT COLLATE "C" NOT NULL,
    enabled          BOOLEAN NOT NULL,
    created_by       TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    token            TEXT COLLATE "C" NOT NULL DEFAULT '',
    doc              TEXT NOT NULL
);
CREATE INDEX rc_integrations_token ON rc_integrations (token);
CREATE INDEX rc_integrations_created ON rc_integrations (created_at, id);

CREATE TABLE rc_history (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES rc_integrations (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    doc            TEXT NOT NULL
);
CREATE INDEX rc_history_integration ON rc_history (integration_id, updated_at, id);

-- Outgoing deliveries waiting for a retry; kept in the database so retries that
-- are due while the server is down run after it restarts.
CREATE TABLE rc_pending_retries (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES rc_integrations (id) ON DELETE CASCADE,
    due_at         BIGINT NOT NULL,
    attempt        BIGINT NOT NULL,
    payload        TEXT NOT NULL,
    url            TEXT NOT NULL
);
CREATE INDEX rc_pending_retries_due ON rc_pending_retries (due_at, id);
