-- Failed password logins in a row, per user (PostgreSQL): the same table as
-- migrations/sqlite/0007_login_failures.sql.
CREATE TABLE login_failures (
    user_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    failures BIGINT NOT NULL
);
