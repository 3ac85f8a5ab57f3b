-- Personal access tokens, reactions, uploaded files, and the index threads
-- are read by.

-- A personal access token works wherever a session token does, until it is
-- revoked (deleted) or deactivated (is_active = 0).
CREATE TABLE access_tokens (
    id          TEXT NOT NULL PRIMARY KEY,
    token       TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    is_active   INTEGER NOT NULL DEFAULT 1,
    create_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX access_tokens_user ON access_tokens (user_id);

-- One row per user, post and emoji: reacting twice with the same emoji is one reaction.
CREATE TABLE reactions (
    post_id    TEXT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji_name TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    create_at  INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id, emoji_name)
) STRICT;

-- Uploaded files, contents included (a stand-in keeps everything in its one
-- database). post_id is '' until a post carries the file.
CREATE TABLE files (
    id         TEXT NOT NULL PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    post_id    TEXT NOT NULL DEFAULT '',
    create_at  INTEGER NOT NULL,
    update_at  INTEGER NOT NULL,
    delete_at  INTEGER NOT NULL DEFAULT 0,
    name       TEXT NOT NULL,
    extension  TEXT NOT NULL DEFAULT '',
    size       INTEGER NOT NULL,
    mime_type  TEXT NOT NULL DEFAULT '',
    width      INTEGER NOT NULL DEFAULT 0,
    height     INTEGER NOT NULL DEFAULT 0,
    data       BLOB NOT NULL
) STRICT;
CREATE INDEX files_post ON files (post_id) WHERE post_id <> '';

-- Threads: the replies of a root post.
CREATE INDEX posts_root ON posts (root_id, create_at, id) WHERE root_id <> '';
