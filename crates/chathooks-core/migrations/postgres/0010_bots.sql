-- Mattermost bot accounts. A bot is a user (`is_bot`, no password) plus
-- this record: who owns it and what it is for. Its username and display
-- name are the user's (`username`, `first_name`), as on Mattermost, so a
-- rename is one write. `delete_at` follows the user's deactivation (a
-- disabled bot). The owner is not a foreign key: Mattermost keeps a bot
-- whose owner is gone (an "orphaned" bot, listed with `only_orphaned`).
ALTER TABLE users ADD COLUMN is_bot BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE bots (
    user_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    owner_id    TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    create_at   BIGINT NOT NULL,
    update_at   BIGINT NOT NULL,
    delete_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX bots_owner ON bots (owner_id, create_at, user_id);
CREATE INDEX bots_created ON bots (create_at, user_id);
