-- Roles whose permissions an administrator changed, and the admin switches
-- (both APIs' configuration: Mattermost's config, Rocket.Chat's settings and
-- permissions). Only changes are stored: a role without a row holds its
-- default permissions, a key without a row its default value (both defined
-- in the core), so a reset that empties every table restores the defaults.
-- Kept in the database so every instance sharing it applies the same.
CREATE TABLE roles (
    name        TEXT NOT NULL PRIMARY KEY,
    -- JSON array of the core's permission ids.
    permissions TEXT NOT NULL,
    update_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key       TEXT NOT NULL PRIMARY KEY,
    -- The value as JSON.
    value     TEXT NOT NULL,
    update_at INTEGER NOT NULL
) STRICT;
