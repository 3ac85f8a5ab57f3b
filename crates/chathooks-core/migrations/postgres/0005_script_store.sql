-- What Rocket.Chat integration scripts keep with `Store.set` (PostgreSQL): the
-- same table as migrations/sqlite/0005_script_store.sql.
CREATE TABLE rc_script_store (
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES rc_integrations (id) ON DELETE CASCADE,
    key            TEXT COLLATE "C" NOT NULL,
    value          TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (integration_id, key)
);
