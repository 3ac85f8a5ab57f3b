//! [`DeliveryStore`] on PostgreSQL. Claims take `FOR UPDATE SKIP LOCKED` row
//! locks, so instances claiming at once never get the same job, and a job
//! whose lease ran out is taken over by whichever instance claims next.

use super::*;
use crate::store::delivery::*;

/// Insert `jobs` in the transaction `tx`.
pub(super) async fn insert_jobs(tx: &mut sqlx::PgConnection, jobs: &[DeliveryJob]) -> StoreResult<()> {
    for job in jobs {
        batch::bind_job(sqlx::query(sql::INSERT_JOB), job)
            .execute(&mut *tx)
            .await
            .map_err(write_err("delivery job id already exists"))?;
    }
    Ok(())
}

impl DeliveryStore for PgStore {
    async fn create_post_with_deliveries(&self, post: &Post, jobs: &[DeliveryJob]) -> StoreResult<Post> {
        self.posts.write(post, jobs.to_vec()).await
    }

    async fn enqueue_deliveries(&self, jobs: &[DeliveryJob]) -> StoreResult<()> {
        if jobs.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
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
        let rows = sqlx::query(sql::postgres::CLAIM_JOBS)
            .bind(text(owner))
            .bind(now)
            .bind(lease_until)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        let mut jobs = map_rows(rows, job_row)?;
        jobs.sort_by(|a, b| (a.due_at, &a.id).cmp(&(b.due_at, &b.id)));
        Ok(jobs)
    }

    async fn renew_delivery(&self, id: &str, owner: &str, lease_until: i64) -> StoreResult<bool> {
        let renewed = sqlx::query(sql::RENEW_JOB)
            .bind(lease_until)
            .bind(text(id))
            .bind(text(owner))
            .execute(&self.pool)
            .await?;
        Ok(renewed.rows_affected() > 0)
    }

    async fn finish_delivery(&self, job: &DeliveryJob, owner: &str, attempts: &[DeliveryAttempt]) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        for attempt in attempts {
            sqlx::query(sql::INSERT_ATTEMPT)
                .bind(text(&attempt.id))
                .bind(text(&attempt.job_id))
                .bind(attempt.number)
                .bind(attempt.started_at)
                .bind(attempt.duration_ms)
                .bind(text(&attempt.url))
                .bind(text(&attempt.request_body))
                .bind(attempt.status_code)
                .bind(text(&attempt.response_excerpt))
                .bind(text(&attempt.error))
                .bind(text(&attempt.instance))
                .execute(&mut *tx)
                .await
                .map_err(write_err("delivery attempt id already exists"))?;
        }
        let moved = sqlx::query(sql::FINISH_JOB)
            .bind(text(&job.status))
            .bind(job.attempts)
            .bind(job.due_at)
            .bind(job.updated_at)
            .bind(text(&job.id))
            .bind(text(owner))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(moved.rows_affected() > 0)
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<DeliveryJob>> {
        let row = sqlx::query(sql::GET_JOB)
            .bind(text(id))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(job_row).transpose()?)
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter, offset: u32, count: u32) -> StoreResult<Vec<DeliveryJob>> {
        let rows = sqlx::query(sql::LIST_JOBS)
            .bind(opt_text(filter.hook_id.as_deref()))
            .bind(opt_text(filter.status.as_deref()))
            .bind(i64::from(count))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, job_row)
    }

    async fn list_attempts(&self, job_id: &str) -> StoreResult<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(sql::LIST_ATTEMPTS)
            .bind(text(job_id))
            .fetch_all(&self.pool)
            .await?;
        map_rows(rows, attempt_row)
    }
}
