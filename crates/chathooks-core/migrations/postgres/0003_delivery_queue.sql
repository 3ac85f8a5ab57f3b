-- The durable delivery queue (PostgreSQL): the same tables as
-- migrations/sqlite/0003_delivery_queue.sql. Workers of several instances
-- claim jobs with FOR UPDATE SKIP LOCKED, so each due job goes to one of them.
CREATE TABLE delivery_jobs (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    dialect        TEXT NOT NULL,
    hook_id        TEXT COLLATE "C" NOT NULL,
    event          TEXT NOT NULL,
    url            TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    body           TEXT NOT NULL,
    context        TEXT NOT NULL DEFAULT '{}',
    max_attempts   BIGINT NOT NULL CHECK (max_attempts >= 1),
    retry_schedule TEXT NOT NULL DEFAULT '',
    attempts       BIGINT NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'running', 'delivered', 'failed', 'cancelled')),
    due_at         BIGINT NOT NULL,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    BIGINT NOT NULL DEFAULT 0,
    -- Who held the lease before the last claim took the job over from them.
    previous_owner TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX delivery_jobs_open ON delivery_jobs (status, due_at);
CREATE INDEX delivery_jobs_hook ON delivery_jobs (hook_id, created_at, id);

CREATE TABLE delivery_attempts (
    id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    job_id           TEXT COLLATE "C" NOT NULL REFERENCES delivery_jobs (id) ON DELETE CASCADE,
    number           BIGINT NOT NULL,
    started_at       BIGINT NOT NULL,
    duration_ms      BIGINT NOT NULL,
    url              TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    status_code      BIGINT,
    response_excerpt TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    instance         TEXT NOT NULL
);
CREATE INDEX delivery_attempts_job ON delivery_attempts (job_id, number, started_at);

-- Rocket.Chat's pending retries are jobs of the queue now.
DROP TABLE rc_pending_retries;
