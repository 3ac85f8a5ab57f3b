//! PostgreSQL's half of the group commit ([`crate::store::group_commit`]).
//!
//! One post at a time, PostgreSQL was the slower backend by far under
//! concurrent posts (3,762 a second against SQLite's 27,918 in the load
//! benchmark): the `posts_count_in_channel` trigger updates the channel's
//! row, so concurrent posts to one channel wait for each other's commit, one
//! round trip and one commit after another. A batch is one multi-row
//! `INSERT` (a single statement, so atomic without a transaction), or, with
//! delivery jobs, a transaction of the posts and the jobs.

use sqlx::pool::PoolConnection;
use sqlx::postgres::PgArguments;
use sqlx::{AssertSqlSafe, Postgres};

use super::*;
use crate::store::DeliveryJob;
use crate::store::group_commit::{MAX_BATCH, Pending, WriteTogether};

type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// The pool, as the group commit's backend.
pub(super) struct Writer(pub PgPool);

impl WriteTogether for Writer {
    type Connection = PoolConnection<Postgres>;

    async fn connection(&self) -> StoreResult<Self::Connection> {
        Ok(self.0.acquire().await?)
    }

    async fn write_together(&self, conn: &mut Self::Connection, batch: &[Pending]) -> StoreResult<()> {
        let posts = posts_insert(batch);
        let jobs: Vec<&DeliveryJob> = batch.iter().flat_map(|pending| &pending.jobs).collect();
        if jobs.is_empty() {
            posts
                .execute(&mut **conn)
                .await
                .map_err(write_err("post id already exists"))?;
            return Ok(());
        }
        let mut tx = sqlx::Connection::begin(&mut **conn).await?;
        posts
            .execute(&mut *tx)
            .await
            .map_err(write_err("post id already exists"))?;
        for rows in jobs.chunks(MAX_BATCH) {
            let sql = format!(
                "INSERT INTO delivery_jobs ({}) VALUES {}",
                job_cols!(),
                placeholders(18, rows.len())
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for job in rows {
                query = bind_job(query, job);
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(write_err("delivery job id already exists"))?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The posts of `batch` as one `INSERT`.
fn posts_insert(batch: &[Pending]) -> Query<'_> {
    let sql = format!(
        "INSERT INTO posts ({}) VALUES {}",
        post_cols!(),
        placeholders(17, batch.len())
    );
    batch.iter().fold(sqlx::query(AssertSqlSafe(sql)), |query, pending| {
        bind_post(query, &pending.post)
    })
}

/// `count` rows of `columns` numbered placeholders each: `($1, $2), ($3, $4)`.
fn placeholders(columns: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * columns * 5);
    for row in 0..count {
        text.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                text.push_str(", ");
            }
            text.push('$');
            text.push_str(&(row * columns + column + 1).to_string());
        }
        text.push(')');
    }
    text
}

/// Bind the 17 columns of `post`, in `post_cols!` order.
fn bind_post<'q>(query: Query<'q>, post: &'q Post) -> Query<'q> {
    query
        .bind(text(&post.id))
        .bind(post.create_at)
        .bind(post.update_at)
        .bind(post.edit_at)
        .bind(post.delete_at)
        .bind(text(&post.user_id))
        .bind(text(&post.channel_id))
        .bind(text(&post.root_id))
        .bind(text(&post.original_id))
        .bind(text(&post.message))
        .bind(text(&post.post_type))
        .bind(text(post.props.to_string()))
        .bind(text(&post.hashtags))
        .bind(text(json_list(&post.file_ids)))
        .bind(text(&post.pending_post_id))
        .bind(post.is_pinned)
        .bind(text(&post.hook_id))
}

/// Bind the 18 columns of `job`, in `job_cols!` order.
pub(super) fn bind_job<'q>(query: Query<'q>, job: &'q DeliveryJob) -> Query<'q> {
    query
        .bind(text(&job.id))
        .bind(text(&job.dialect))
        .bind(text(&job.hook_id))
        .bind(text(&job.event))
        .bind(text(&job.url))
        .bind(text(&job.content_type))
        .bind(text(&job.body))
        .bind(text(job.context.to_string()))
        .bind(job.max_attempts)
        .bind(text(&job.retry_schedule))
        .bind(job.attempts)
        .bind(text(&job.status))
        .bind(job.due_at)
        .bind(text(&job.lease_owner))
        .bind(job.lease_until)
        .bind(text(&job.previous_owner))
        .bind(job.created_at)
        .bind(job.updated_at)
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(3, 1), "($1, $2, $3)");
    }
}
