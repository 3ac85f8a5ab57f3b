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
use sqlx::{AssertSqlSafe, Postgres};

use super::*;
use crate::store::DeliveryJob;
use crate::store::group_commit::{MAX_BATCH, Pending, WriteTogether};

/// PostgreSQL's way to write a batch.
pub(super) struct Batch;

impl WriteTogether for Batch {
    type Db = Postgres;

    async fn write_together(conn: &mut PoolConnection<Postgres>, batch: &[Pending]) -> StoreResult<()> {
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
                placeholders(sql::JOB_COLUMNS, rows.len())
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
        placeholders(sql::POST_COLUMNS, batch.len())
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

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_across_rows() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(placeholders(3, 1), "($1, $2, $3)");
    }

    #[test]
    fn column_lists_are_counted() {
        assert_eq!(
            (crate::store::sql::POST_COLUMNS, crate::store::sql::JOB_COLUMNS),
            (17, 18)
        );
    }
}
