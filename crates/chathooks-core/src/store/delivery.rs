//! Storage of the delivery queue ([`crate::delivery`]): jobs and their attempts.
//!
//! A separate trait from [`Store`] because these are the only operations that
//! must be atomic across workers, possibly in several server instances on one
//! database: claiming hands each due job to exactly one worker until its lease
//! runs out, and finishing an attempt only moves a job its caller still holds.

use std::future::Future;

use serde_json::Value;

use super::*;

/// Status of a job waiting for its (next) attempt.
pub const JOB_PENDING: &str = "pending";
/// Status of a job a worker holds a lease on.
pub const JOB_RUNNING: &str = "running";
/// Status of a job whose call succeeded.
pub const JOB_DELIVERED: &str = "delivered";
/// Status of a job that failed with no attempts left, or with a failure not worth retrying.
pub const JOB_FAILED: &str = "failed";
/// Status of a job dropped before its call (its hook was removed or disabled).
pub const JOB_CANCELLED: &str = "cancelled";

/// One outgoing call to make, and to make again if it fails and its policy allows.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryJob {
    pub id: String,
    /// Which dialect's handler acts on the answer (`mattermost`, `rocketchat`).
    pub dialect: String,
    /// The outgoing hook or integration that made the job.
    pub hook_id: String,
    /// The event that triggered it (`post_created`...).
    pub event: String,
    pub url: String,
    pub content_type: String,
    /// The request body, exactly as sent.
    pub body: String,
    /// What the dialect needs to act on the answer (the triggering post, room...).
    pub context: Value,
    /// Attempts allowed in all, the first included (1: no retries).
    pub max_attempts: i64,
    /// Name of the delay schedule between attempts ([`crate::delivery::Schedule`]).
    pub retry_schedule: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// One of the `JOB_*` statuses.
    pub status: String,
    /// When the next attempt is due (ms).
    pub due_at: i64,
    /// The instance holding the job while `running`; empty otherwise.
    pub lease_owner: String,
    /// When that lease runs out (ms).
    pub lease_until: i64,
    /// The instance this job was taken over from when its lease ran out
    /// (empty if it was not): that instance's call may have been made, with
    /// its outcome unrecorded.
    pub previous_owner: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One call made for a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: String,
    pub job_id: String,
    /// 1 for the first attempt.
    pub number: i64,
    pub started_at: i64,
    pub duration_ms: i64,
    pub url: String,
    pub request_body: String,
    /// The answer's status; `None` when no answer came.
    pub status_code: Option<i64>,
    /// The start of the answer's body.
    pub response_excerpt: String,
    /// What went wrong; empty when the call was answered with success.
    pub error: String,
    /// Id of the server instance that made the call.
    pub instance: String,
}

/// Which jobs to list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub hook_id: Option<String>,
    pub status: Option<String>,
}

/// Storage operations of the delivery queue.
pub trait DeliveryStore: Send + Sync + 'static {
    /// Insert `post` (as [`Store::create_post`]) and the jobs it triggers in one
    /// transaction: a post that was acknowledged has its deliveries stored.
    fn create_post_with_deliveries(
        &self,
        post: &Post,
        jobs: &[DeliveryJob],
    ) -> impl Future<Output = StoreResult<Post>> + Send;
    /// Insert jobs (triggered by something other than a new post).
    fn enqueue_deliveries(&self, jobs: &[DeliveryJob]) -> impl Future<Output = StoreResult<()>> + Send;
    /// Claim up to `limit` jobs for `owner` until `lease_until`, earliest due
    /// first: pending jobs due at `now`, and running jobs whose lease ran out
    /// (their instance died mid-call). Each job goes to one claimant only.
    fn claim_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> impl Future<Output = StoreResult<Vec<DeliveryJob>>> + Send;
    /// Extend `owner`'s lease on job `id` to `lease_until`, while its attempt
    /// is under way. Returns false if `owner` no longer holds the job (its
    /// lease ran out and another instance took it over, or it was finished).
    fn renew_delivery(&self, id: &str, owner: &str, lease_until: i64)
    -> impl Future<Output = StoreResult<bool>> + Send;
    /// Record `attempts` (the call made, if one was, and any call a previous
    /// owner may have made) and, if `owner` still holds the job's lease, move
    /// the job to `job.status`, `job.attempts` and `job.due_at` (releasing the
    /// lease). The attempts are recorded either way: the calls were made. Returns
    /// whether the job was moved (false: another instance took it over).
    fn finish_delivery(
        &self,
        job: &DeliveryJob,
        owner: &str,
        attempts: &[DeliveryAttempt],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    fn get_delivery(&self, id: &str) -> impl Future<Output = StoreResult<Option<DeliveryJob>>> + Send;
    /// Jobs matching `filter`, newest first.
    fn list_deliveries(
        &self,
        filter: &DeliveryFilter,
        offset: u32,
        count: u32,
    ) -> impl Future<Output = StoreResult<Vec<DeliveryJob>>> + Send;
    /// Attempts of a job, in order.
    fn list_attempts(&self, job_id: &str) -> impl Future<Output = StoreResult<Vec<DeliveryAttempt>>> + Send;
}

impl DeliveryStore for AnyStore {
    async fn create_post_with_deliveries(&self, post: &Post, jobs: &[DeliveryJob]) -> StoreResult<Post> {
        let created = match self.backend() {
            Backend::Sqlite(s) => s.create_post_with_deliveries(post, jobs).await,
            Backend::Postgres(s) => s.create_post_with_deliveries(post, jobs).await,
        };
        if created.is_err() {
            // Perhaps the channel is gone: look it up afresh next time.
            self.cache().forget_channel(&post.channel_id);
        }
        created
    }

    async fn enqueue_deliveries(&self, jobs: &[DeliveryJob]) -> StoreResult<()> {
        match self.backend() {
            Backend::Sqlite(s) => s.enqueue_deliveries(jobs).await,
            Backend::Postgres(s) => s.enqueue_deliveries(jobs).await,
        }
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>> {
        match self.backend() {
            Backend::Sqlite(s) => s.claim_deliveries(owner, now, lease_until, limit).await,
            Backend::Postgres(s) => s.claim_deliveries(owner, now, lease_until, limit).await,
        }
    }

    async fn renew_delivery(&self, id: &str, owner: &str, lease_until: i64) -> StoreResult<bool> {
        match self.backend() {
            Backend::Sqlite(s) => s.renew_delivery(id, owner, lease_until).await,
            Backend::Postgres(s) => s.renew_delivery(id, owner, lease_until).await,
        }
    }

    async fn finish_delivery(&self, job: &DeliveryJob, owner: &str, attempts: &[DeliveryAttempt]) -> StoreResult<bool> {
        match self.backend() {
            Backend::Sqlite(s) => s.finish_delivery(job, owner, attempts).await,
            Backend::Postgres(s) => s.finish_delivery(job, owner, attempts).await,
        }
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<DeliveryJob>> {
        match self.backend() {
            Backend::Sqlite(s) => s.get_delivery(id).await,
            Backend::Postgres(s) => s.get_delivery(id).await,
        }
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter, offset: u32, count: u32) -> StoreResult<Vec<DeliveryJob>> {
        match self.backend() {
            Backend::Sqlite(s) => s.list_deliveries(filter, offset, count).await,
            Backend::Postgres(s) => s.list_deliveries(filter, offset, count).await,
        }
    }

    async fn list_attempts(&self, job_id: &str) -> StoreResult<Vec<DeliveryAttempt>> {
        match self.backend() {
            Backend::Sqlite(s) => s.list_attempts(job_id).await,
            Backend::Postgres(s) => s.list_attempts(job_id).await,
        }
    }
}
