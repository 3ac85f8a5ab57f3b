-- The durable delivery queue: one row per outgoing call to make (a job), and
-- one row per attempt at it. Both APIs' outgoing hooks use it.
--
-- A job is claimed by setting status 'running' with a lease (lease_owner, an
-- instance id, until lease_until). A job whose lease ran out while 'running'
-- (its instance died mid-call) can be claimed again. status: 'pending',
-- 'running', 'delivered', 'failed' (no attempts left, or not retryable),
-- 'cancelled' (its hook was removed or disabled before the call).
CREATE TABLE delivery_jobs (
    id             TEXT NOT NULL PRIMARY KEY,
    dialect        TEXT NOT NULL,
    hook_id        TEXT NOT NULL,
    event          TEXT NOT NULL,
    url            TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    body           TEXT NOT NULL,
    context        TEXT NOT NULL DEFAULT '{}',
    max_attempts   INTEGER NOT NULL CHECK (max_attempts >= 1),
    retry_schedule TEXT NOT NULL DEFAULT '',
    attempts       INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'running', 'delivered', 'failed', 'cancelled')),
    due_at         INTEGER NOT NULL,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    INTEGER NOT NULL DEFAULT 0,
    -- Who held the lease before the last claim took the job over from them.
    previous_owner TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
-- What workers scan: open jobs by due time (pending) or lease end (running).
CREATE INDEX delivery_jobs_open ON delivery_jobs (status, due_at);
CREATE INDEX delivery_jobs_hook ON delivery_jobs (hook_id, created_at, id);

CREATE TABLE delivery_attempts (
    id               TEXT NOT NULL PRIMARY KEY,
    job_id           TEXT NOT NULL REFERENCES delivery_jobs (id) ON DELETE CASCADE,
    number           INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    url              TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    -- NULL when no answer came (refused, connection failed, timed out).
    status_code      INTEGER,
    response_excerpt TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    -- The instance that made the call: duplicates after a takeover show here.
    instance         TEXT NOT NULL
) STRICT;
CREATE INDEX delivery_attempts_job ON delivery_attempts (job_id, number, started_at);

-- Rocket.Chat's pending retries are jobs of the queue now.
DROP TABLE rc_pending_retries;
