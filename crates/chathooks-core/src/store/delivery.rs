//! Storage of the delivery queue ([`crate::delivery`]): jobs and their attempts.
//!
//! A separate trait from [`Store`] because these are the only operations that
//! must be atomic across workers, possibly in several server instances on one
//! database: claiming hands each due job to exactly one worker until its lease
//! runs out, and finishing an attempt only moves a job its caller still holds.

use std::fmt;
use std::future::Future;

use serde_json::Value;

use super::*;
use crate::delivery::Schedule;

/// Where a delivery job stands. Stored as its name ([`JobStatus::as_str`]);
/// the schema's `CHECK` admits exactly these five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// A worker holds a lease on it.
    Running,
    /// Its call succeeded.
    Delivered,
    /// It failed with no attempts left, or with a failure not worth retrying.
    Failed,
    /// Dropped before its call (its hook was removed or disabled).
    Cancelled,
}

impl JobStatus {
    /// Every status, in the order a job usually goes through them.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Delivered,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Delivered => "delivered",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// From a stored name; `None` for any other text.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == name)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// The delays between attempts (stored by name, read back parsed).
    pub retry_schedule: Schedule,
    /// Attempts made so far.
    pub attempts: i64,
    pub status: JobStatus,
    /// When the next attempt is due (ms).
    pub due_at: i64,
    /// The instance holding the job while it is running (stored as `''` when none).
    pub lease_owner: Option<String>,
    /// When that lease runs out (ms).
    pub lease_until: i64,
    /// The instance this job was taken over from when its lease ran out
    /// (`None` if it was not): that instance's call may have been made, with
    /// its outcome unrecorded.
    pub previous_owner: Option<String>,
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
    /// What went wrong; `None` when the call was answered with success
    /// (stored as `''`).
    pub error: Option<String>,
    /// Id of the server instance that made the call.
    pub instance: String,
}

/// Which jobs to list. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub hook_id: Option<String>,
    pub status: Option<JobStatus>,
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
    /// Insert a job whose calls were already made (a call someone waited
    /// for), with its attempts, in one transaction: the history shows it as
    /// any other, and no worker claims it (it is not pending).
    fn record_delivery(
        &self,
        job: &DeliveryJob,
        attempts: &[DeliveryAttempt],
    ) -> impl Future<Output = StoreResult<()>> + Send;
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

    async fn record_delivery(&self, job: &DeliveryJob, attempts: &[DeliveryAttempt]) -> StoreResult<()> {
        match self.backend() {
            Backend::Sqlite(s) => s.record_delivery(job, attempts).await,
            Backend::Postgres(s) => s.record_delivery(job, attempts).await,
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

/// `impl DeliveryStore` for a backend, written once (see `store/queries.rs`
/// for the arguments). The claim is the dialect's: SQLite's single writer
/// makes one `UPDATE ... RETURNING` atomic against every other claim;
/// PostgreSQL's takes `FOR UPDATE SKIP LOCKED` row locks, so instances
/// claiming at once never get the same job.
macro_rules! impl_delivery_store {
    ($store:ty, reads: $reads:ident, writes: $writes:ident, text: $text:path, dialect: $dialect:ident) => {
        impl $crate::store::DeliveryStore for $store {
            async fn create_post_with_deliveries(&self, post: &Post, jobs: &[DeliveryJob]) -> StoreResult<Post> {
                self.posts.write(post, jobs.to_vec()).await
            }

            async fn enqueue_deliveries(&self, jobs: &[DeliveryJob]) -> StoreResult<()> {
                if jobs.is_empty() {
                    return Ok(());
                }
                let mut tx = self.write_tx().await?;
                for job in jobs {
                    bind_job(sqlx::query(sql::INSERT_JOB), job)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_err("delivery job id already exists"))?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn record_delivery(&self, job: &DeliveryJob, attempts: &[DeliveryAttempt]) -> StoreResult<()> {
                let mut tx = self.write_tx().await?;
                bind_job(sqlx::query(sql::INSERT_JOB), job)
                    .execute(&mut *tx)
                    .await
                    .map_err(write_err("delivery job id already exists"))?;
                for attempt in attempts {
                    bind_attempt(sqlx::query(sql::INSERT_ATTEMPT), attempt)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_err("delivery attempt id already exists"))?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn claim_deliveries(
                &self,
                owner: &str,
                now: i64,
                lease_until: i64,
                limit: u32,
            ) -> StoreResult<Vec<DeliveryJob>> {
                let rows = sqlx::query(sql::$dialect::CLAIM_JOBS)
                    .bind($text(owner))
                    .bind(now)
                    .bind(lease_until)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$writes)
                    .await?;
                let mut jobs = map_rows(rows, job_row)?;
                jobs.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
                Ok(jobs)
            }

            async fn renew_delivery(&self, id: &str, owner: &str, lease_until: i64) -> StoreResult<bool> {
                let renewed = sqlx::query(sql::RENEW_JOB)
                    .bind(lease_until)
                    .bind($text(id))
                    .bind($text(owner))
                    .execute(&self.$writes)
                    .await?;
                Ok(renewed.rows_affected() > 0)
            }

            async fn finish_delivery(
                &self,
                job: &DeliveryJob,
                owner: &str,
                attempts: &[DeliveryAttempt],
            ) -> StoreResult<bool> {
                let mut tx = self.write_tx().await?;
                for attempt in attempts {
                    bind_attempt(sqlx::query(sql::INSERT_ATTEMPT), attempt)
                        .execute(&mut *tx)
                        .await
                        .map_err(write_err("delivery attempt id already exists"))?;
                }
                let moved = sqlx::query(sql::FINISH_JOB)
                    .bind(job.status.as_str())
                    .bind(job.attempts)
                    .bind(job.due_at)
                    .bind(job.updated_at)
                    .bind($text(&job.id))
                    .bind($text(owner))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(moved.rows_affected() > 0)
            }

            async fn get_delivery(&self, id: &str) -> StoreResult<Option<DeliveryJob>> {
                let row = sqlx::query(sql::GET_JOB)
                    .bind($text(id))
                    .fetch_optional(&self.$reads)
                    .await?;
                Ok(row.as_ref().map(job_row).transpose()?)
            }

            async fn list_deliveries(
                &self,
                filter: &DeliveryFilter,
                offset: u32,
                count: u32,
            ) -> StoreResult<Vec<DeliveryJob>> {
                let rows = sqlx::query(sql::LIST_JOBS)
                    .bind(filter.hook_id.as_deref().map($text))
                    .bind(filter.status.map(JobStatus::as_str))
                    .bind(i64::from(count))
                    .bind(i64::from(offset))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, job_row)
            }

            async fn list_attempts(&self, job_id: &str) -> StoreResult<Vec<DeliveryAttempt>> {
                let rows = sqlx::query(sql::LIST_ATTEMPTS)
                    .bind($text(job_id))
                    .fetch_all(&self.$reads)
                    .await?;
                map_rows(rows, attempt_row)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::JobStatus;

    #[test]
    fn statuses_read_back_from_their_stored_names() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JobStatus::parse("Pending"), None);
        assert_eq!(JobStatus::parse(""), None);
    }

    /// The names are the ones both schemas' `CHECK` admits, so every stored
    /// job decodes and every status can be stored.
    #[test]
    fn stored_names_are_the_ones_the_schema_admits() {
        let names: Vec<String> = JobStatus::ALL.iter().map(|s| format!("'{s}'")).collect();
        let check = format!("CHECK (status IN ({}))", names.join(", "));
        for schema in [
            include_str!("../../migrations/sqlite/0003_delivery_queue.sql"),
            include_str!("../../migrations/postgres/0003_delivery_queue.sql"),
        ] {
            assert!(schema.contains(&check), "{check} not in {schema}");
        }
    }
}
