//! [`DeliveryStore`] on SQLite. Every write goes through the single writer
//! connection, so a claim (one `UPDATE ... RETURNING`) is atomic with respect
//! to every other claim: no job is handed out twice while its lease lasts.

use super::*;
use crate::store::delivery::*;

/// Insert `jobs` in the transaction `tx`.
pub(super) async fn insert_jobs(tx: &mut sqlx::SqliteConnection, jobs: &[DeliveryJob]) -> StoreResult<()> {
    for job in jobs {
        bind_job(sqlx::query(sql::INSERT_JOB), job)
            .execute(&mut *tx)
            .await
            .map_err(write_err("delivery job id already exists"))?;
    }
    Ok(())
}

/// Bind the 18 columns of `job`, in `job_cols!` order.
pub(super) fn bind_job<'q>(query: Query<'q>, job: &'q DeliveryJob) -> Query<'q> {
    query
        .bind(&job.id)
        .bind(&job.dialect)
        .bind(&job.hook_id)
        .bind(&job.event)
        .bind(&job.url)
        .bind(&job.content_type)
        .bind(&job.body)
        .bind(job.context.to_string())
        .bind(job.max_attempts)
        .bind(&job.retry_schedule)
        .bind(job.attempts)
        .bind(&job.status)
        .bind(job.due_at)
        .bind(&job.lease_owner)
        .bind(job.lease_until)
        .bind(&job.previous_owner)
        .bind(job.created_at)
        .bind(job.updated_at)
}

impl DeliveryStore for SqliteStore {
    async fn create_post_with_deliveries(&self, post: &Post, jobs: &[DeliveryJob]) -> StoreResult<Post> {
        self.write_post(post, jobs.to_vec()).await
    }

    async fn enqueue_deliveries(&self, jobs: &[DeliveryJob]) -> StoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        insert_jobs(&mut tx, jobs).await?;
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
        let rows = sqlx::query(sql::sqlite::CLAIM_JOBS)
            .bind(owner)
            .bind(now)
            .bind(lease_until)
            .bind(i64::from(limit))
            .fetch_all(&self.writer)
            .await?;
        let mut jobs = map_rows(rows, job_row)?;
        jobs.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
        Ok(jobs)
    }

    async fn renew_delivery(&self, id: &str, owner: &str, lease_until: i64) -> StoreResult<bool> {
        let renewed = sqlx::query(sql::RENEW_JOB)
            .bind(lease_until)
            .bind(id)
            .bind(owner)
            .execute(&self.writer)
            .await?;
        Ok(renewed.rows_affected() > 0)
    }

    async fn finish_delivery(&self, job: &DeliveryJob, owner: &str, attempts: &[DeliveryAttempt]) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        for attempt in attempts {
            sqlx::query(sql::INSERT_ATTEMPT)
                .bind(&attempt.id)
                .bind(&attempt.job_id)
                .bind(attempt.number)
                .bind(attempt.started_at)
                .bind(attempt.duration_ms)
                .bind(&attempt.url)
                .bind(&attempt.request_body)
                .bind(attempt.status_code)
                .bind(&attempt.response_excerpt)
                .bind(&attempt.error)
                .bind(&attempt.instance)
                .execute(&mut *tx)
                .await
                .map_err(write_err("delivery attempt id already exists"))?;
        }
        let moved = sqlx::query(sql::FINISH_JOB)
            .bind(&job.status)
            .bind(job.attempts)
            .bind(job.due_at)
            .bind(job.updated_at)
            .bind(&job.id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(moved.rows_affected() > 0)
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<DeliveryJob>> {
        let row = sqlx::query(sql::GET_JOB).bind(id).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(job_row).transpose()?)
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter, offset: u32, count: u32) -> StoreResult<Vec<DeliveryJob>> {
        let rows = sqlx::query(sql::LIST_JOBS)
            .bind(filter.hook_id.as_deref())
            .bind(filter.status.as_deref())
            .bind(i64::from(count))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, job_row)
    }

    async fn list_attempts(&self, job_id: &str) -> StoreResult<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(sql::LIST_ATTEMPTS)
            .bind(job_id)
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, attempt_row)
    }
}
