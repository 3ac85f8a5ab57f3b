-- What Rocket.Chat integration scripts keep with `Store.set`: one JSON value
-- per integration and key, gone with the integration.
CREATE TABLE rc_script_store (
    integration_id TEXT NOT NULL REFERENCES rc_integrations (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    value          TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (integration_id, key)
) STRICT;
