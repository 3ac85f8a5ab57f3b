-- The `response_url` of one slash command call (Mattermost's
-- `CommandWebhooks`): who ran which command where, so that a delayed answer
-- posted to it lands as the answer at once would have. It works for a limited
-- time after `create_at` and a limited number of answers (`use_count`).
CREATE TABLE command_webhooks (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    create_at  BIGINT NOT NULL,
    command_id TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    channel_id TEXT COLLATE "C" NOT NULL,
    root_id    TEXT COLLATE "C" NOT NULL DEFAULT '',
    use_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX command_webhooks_create_at ON command_webhooks (create_at);
