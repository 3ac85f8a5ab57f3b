//! [`DeliveryStore`] on SQLite. Every write goes through the single writer
//! connection, so a claim (one `UPDATE ... RETURNING`) is atomic with respect
//! to every other claim: no job is handed out twice while its lease lasts.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::rows::*;
use super::*;
use crate::store::delivery::*;

macro_rules! job_cols {
    () => {
        "id, dialect, hook_id, event, url, content_type, body, context, max_attempts, \
         retry_schedule, attempts, status, due_at, lease_owner, lease_until, created_at, updated_at"
    };
}
macro_rules! attempt_cols {
    () => {
        "id, job_id, number, started_at, duration_ms, url, request_body, status_code, \
         response_excerpt, error, instance"
    };
}

fn job_row(row: &SqliteRow) -> Result<DeliveryJob, sqlx::Error> {
    Ok(DeliveryJob {
        id: row.try_get("id")?,
        dialect: row.try_get("dialect")?,
        hook_id: row.try_get("hook_id")?,
        event: row.try_get("event")?,
        url: row.try_get("url")?,
        content_type: row.try_get("content_type")?,
        body: row.try_get("body")?,
        context: json_col(row, "context")?,
        max_attempts: row.try_get("max_attempts")?,
        retry_schedule: row.try_get("retry_schedule")?,
        attempts: row.try_get("attempts")?,
        status: row.try_get("status")?,
        due_at: row.try_get("due_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row.try_get("lease_until")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn attempt_row(row: &SqliteRow) -> Result<DeliveryAttempt, sqlx::Error> {
    Ok(DeliveryAttempt {
        id: row.try_get("id")?,
        job_id: row.try_get("job_id")?,
        number: row.try_get("number")?,
        started_at: row.try_get("started_at")?,
        duration_ms: row.try_get("duration_ms")?,
        url: row.try_get("url")?,
        request_body: row.try_get("request_body")?,
        status_code: row.try_get("status_code")?,
        response_excerpt: row.try_get("response_excerpt")?,
        error: row.try_get("error")?,
        instance: row.try_get("instance")?,
    })
}

const INSERT_JOB: &str = concat!(
    "INSERT INTO delivery_jobs (",
    job_cols!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
);

pub(super) async fn insert_jobs(tx: &mut sqlx::SqliteConnection, jobs: &[DeliveryJob]) -> StoreResult<()> {
    for job in jobs {
        sqlx::query(INSERT_JOB)
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
            .bind(job.created_at)
            .bind(job.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(write_err("delivery job id already exists"))?;
    }
    Ok(())
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
        let rows = sqlx::query(concat!(
            "UPDATE delivery_jobs SET status = 'running', lease_owner = $1, lease_until = $3, updated_at = $2 \
             WHERE id IN (SELECT id FROM delivery_jobs \
             WHERE (status = 'pending' AND due_at <= $2) OR (status = 'running' AND lease_until <= $2) \
             ORDER BY due_at, id LIMIT $4) RETURNING ",
            job_cols!()
        ))
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

    async fn finish_delivery(
        &self,
        job: &DeliveryJob,
        owner: &str,
        attempt: Option<&DeliveryAttempt>,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        if let Some(attempt) = attempt {
            sqlx::query(concat!(
                "INSERT INTO delivery_attempts (",
                attempt_cols!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
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
        let moved = sqlx::query(
            "UPDATE delivery_jobs SET status = $1, attempts = $2, due_at = $3, lease_owner = '', \
             lease_until = 0, updated_at = $4 WHERE id = $5 AND lease_owner = $6 AND status = 'running'",
        )
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
        let row = sqlx::query(concat!("SELECT ", job_cols!(), " FROM delivery_jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(job_row).transpose()?)
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter, offset: u32, count: u32) -> StoreResult<Vec<DeliveryJob>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_cols!(),
            " FROM delivery_jobs WHERE ($1 IS NULL OR hook_id = $1) AND ($2 IS NULL OR status = $2) \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(filter.hook_id.as_deref())
        .bind(filter.status.as_deref())
        .bind(i64::from(count))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        map_rows(rows, job_row)
    }

    async fn list_attempts(&self, job_id: &str) -> StoreResult<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            attempt_cols!(),
            " FROM delivery_attempts WHERE job_id = $1 ORDER BY number, started_at, id"
        ))
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        map_rows(rows, attempt_row)
    }
}
