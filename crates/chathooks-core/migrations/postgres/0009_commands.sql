-- Mattermost custom slash commands (wire model `Command`, field for field).
-- Soft-deleted like the webhooks: `delete_at` is set and the row kept. A
-- team has at most one live command per trigger (stored lowercased).
CREATE TABLE commands (
    id                 TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    token              TEXT COLLATE "C" NOT NULL,
    create_at          BIGINT NOT NULL,
    update_at          BIGINT NOT NULL,
    delete_at          BIGINT NOT NULL DEFAULT 0,
    creator_id         TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    team_id            TEXT COLLATE "C" NOT NULL REFERENCES teams (id),
    trigger            TEXT COLLATE "C" NOT NULL,
    method             TEXT NOT NULL CHECK (method IN ('P', 'G')),
    username           TEXT NOT NULL DEFAULT '',
    icon_url           TEXT NOT NULL DEFAULT '',
    auto_complete      BOOLEAN NOT NULL DEFAULT FALSE,
    auto_complete_desc TEXT NOT NULL DEFAULT '',
    auto_complete_hint TEXT NOT NULL DEFAULT '',
    display_name       TEXT NOT NULL DEFAULT '',
    description        TEXT NOT NULL DEFAULT '',
    url                TEXT NOT NULL
);
CREATE UNIQUE INDEX commands_team_id_trigger ON commands (team_id, trigger) WHERE delete_at = 0;
CREATE INDEX commands_team ON commands (team_id, create_at, id);
