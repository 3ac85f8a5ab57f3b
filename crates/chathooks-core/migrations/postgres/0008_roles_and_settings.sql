-- Changed roles and admin switches (PostgreSQL): the same tables as
-- migrations/sqlite/0008_roles_and_settings.sql.
CREATE TABLE roles (
    name        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    permissions TEXT NOT NULL,
    update_at   BIGINT NOT NULL
);

CREATE TABLE settings (
    key       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value     TEXT NOT NULL,
    update_at BIGINT NOT NULL
);
