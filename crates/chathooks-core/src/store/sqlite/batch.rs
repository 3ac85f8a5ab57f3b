//! SQLite's half of the group commit ([`crate::store::group_commit`]): a
//! batch of posts and their jobs as one query to the single writer
//! connection.

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Sqlite};

use super::*;
use crate::store::DeliveryJob;
use crate::store::group_commit::{MAX_BATCH, Pending, WriteTogether};

/// SQLite's way to write a batch, on the writer connection.
pub(super) struct Batch;

/// The `posts_count_in_channel` trigger updates each channel in the same
/// transaction, and the foreign key refuses a post in a channel that does not
/// exist.
///
/// The transaction is one query of several statements (`BEGIN IMMEDIATE`,
/// the posts, the jobs, `COMMIT`; sqlx binds the arguments across them), so
/// a batch is one trip to the connection's worker thread: as a sqlx
/// transaction it was four (begin, two inserts, commit), each a wake-up of
/// that thread and then of ours.
///
/// Every column is bound from the post, so the stored rows are the posts as
/// given: they are not read back. Under a post load, sqlx building the
/// returned rows was 2.8% of the server's samples and decoding them
/// (`post_row`) 2.5%.
impl WriteTogether for Batch {
    type Db = Sqlite;

    async fn write_together(conn: &mut PoolConnection<Sqlite>, batch: &[Pending]) -> StoreResult<()> {
        let jobs: Vec<&DeliveryJob> = batch.iter().flat_map(|pending| &pending.jobs).collect();
        let mut sql = format!(
            "BEGIN IMMEDIATE; INSERT INTO posts ({}) VALUES {};",
            post_cols!(),
            placeholders(sql::POST_COLUMNS, batch.len())
        );
        for rows in jobs.chunks(MAX_BATCH) {
            sql += &format!(
                " INSERT INTO delivery_jobs ({}) VALUES {};",
                job_cols!(),
                placeholders(sql::JOB_COLUMNS, rows.len())
            );
        }
        sql += " COMMIT";
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for Pending { post, .. } in batch {
            query = bind_post(query, post);
        }
        for job in jobs {
            query = bind_job(query, job);
        }
        match query.execute(&mut **conn).await {
            Ok(_) => Ok(()),
            Err(error) => {
                end_transaction(conn).await;
                Err(refused(error))
            }
        }
    }
}

/// `count` rows of `columns` `?` placeholders each: `(?, ?), (?, ?)`.
fn placeholders(columns: usize, count: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; count].join(", ")
}

/// A failed batch stopped inside its transaction (or before it began): roll
/// it back, so the connection goes back to the pool outside a transaction.
/// If even that fails, the connection is closed instead of reused.
async fn end_transaction(conn: &mut PoolConnection<Sqlite>) {
    if let Err(error) = sqlx::raw_sql("ROLLBACK").execute(&mut **conn).await {
        let no_transaction = error
            .as_database_error()
            .is_some_and(|db| db.message().contains("no transaction is active"));
        if !no_transaction {
            tracing::warn!(%error, "a refused batch of posts could not be rolled back; closing the connection");
            conn.close_on_drop();
        }
    }
}

/// The error of a refused batch, named after the table whose insert failed.
fn refused(error: sqlx::Error) -> StoreError {
    let jobs = error
        .as_database_error()
        .is_some_and(|db| db.message().contains("delivery_jobs."));
    write_err(if jobs {
        "delivery job id already exists"
    } else {
        "post id already exists"
    })(error)
}
