-- Which incoming webhook, integration or outgoing hook made a post ('' for
-- posts made by a user), so the test API can list a hook's messages; and the
-- server-wide time order the test API and retention read posts in.
ALTER TABLE posts ADD COLUMN hook_id TEXT NOT NULL DEFAULT '';
CREATE INDEX posts_hook ON posts (hook_id, create_at) WHERE hook_id <> '';
CREATE INDEX posts_created ON posts (create_at, id);
