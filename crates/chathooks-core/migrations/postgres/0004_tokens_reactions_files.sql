-- Personal access tokens, reactions, uploaded files, and the index threads
-- are read by: the same tables as migrations/sqlite/0004_tokens_reactions_files.sql.

CREATE TABLE access_tokens (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    token       TEXT COLLATE "C" NOT NULL,
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    create_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX access_tokens_token ON access_tokens (token);
CREATE INDEX access_tokens_user ON access_tokens (user_id);

CREATE TABLE reactions (
    post_id    TEXT COLLATE "C" NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji_name TEXT COLLATE "C" NOT NULL,
    channel_id TEXT COLLATE "C" NOT NULL,
    create_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id, emoji_name)
);

CREATE TABLE files (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id TEXT COLLATE "C" NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    post_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    create_at  BIGINT NOT NULL,
    update_at  BIGINT NOT NULL,
    delete_at  BIGINT NOT NULL DEFAULT 0,
    name       TEXT NOT NULL,
    extension  TEXT NOT NULL DEFAULT '',
    size       BIGINT NOT NULL,
    mime_type  TEXT NOT NULL DEFAULT '',
    width      BIGINT NOT NULL DEFAULT 0,
    height     BIGINT NOT NULL DEFAULT 0,
    data       BYTEA NOT NULL
);
CREATE INDEX files_post ON files (post_id) WHERE post_id <> '';

CREATE INDEX posts_root ON posts (root_id, create_at, id) WHERE root_id <> '';
