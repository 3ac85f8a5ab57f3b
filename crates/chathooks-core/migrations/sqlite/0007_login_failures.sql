-- Failed password logins in a row, per user (Mattermost's `FailedAttempts`):
-- kept in the database so every instance sharing it counts the same
-- attempts. No row means none; a successful login deletes the row.
CREATE TABLE login_failures (
    user_id  TEXT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures INTEGER NOT NULL
) STRICT;
