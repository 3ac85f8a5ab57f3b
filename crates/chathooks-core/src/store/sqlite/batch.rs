//! Group commit of new posts.
//!
//! Posts are the writes that come in bursts (a CI run, a load test, a chatty
//! integration). One at a time, each costs a trip to the writer connection
//! and a commit; here a task takes every post waiting, stores them in one
//! transaction (one multi-row `INSERT`), and only then answers each caller:
//! the commit is batched, never the acknowledgement, so a post that was
//! answered is on disk. When idle, a post goes through alone, at once.

use sqlx::{AssertSqlSafe, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::delivery::insert_jobs;
use super::*;
use crate::store::DeliveryJob;

/// Most posts stored by one transaction (17 columns each, well under
/// SQLite's 32 766 bound variables).
const MAX_BATCH: usize = 256;

/// A post waiting to be written, with the deliveries it starts.
pub(super) struct Pending {
    pub post: Post,
    pub jobs: Vec<DeliveryJob>,
    pub done: oneshot::Sender<StoreResult<Post>>,
}

/// Start the writer task; it ends when every sender is dropped.
pub(super) fn start(writer: SqlitePool) -> mpsc::UnboundedSender<Pending> {
    let (sender, mut receiver) = mpsc::unbounded_channel::<Pending>();
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
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
        let result = write_alone(writer, &pending.post, &pending.jobs).await;
        let _ = pending.done.send(result);
    }
}

/// One post and its jobs in one transaction.
async fn write_alone(writer: &SqlitePool, post: &Post, jobs: &[DeliveryJob]) -> StoreResult<Post> {
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    let created = insert_post(&mut tx, post).await?;
    insert_jobs(&mut tx, jobs).await?;
    tx.commit().await?;
    Ok(created)
}

/// All posts of `batch` and their jobs in one transaction. Any refusal fails
/// them all (and stores nothing).
///
/// Every column is bound from the post, so the stored rows are the posts as
/// given: they are not read back. Under a post load, sqlx building the
/// returned rows was 2.8% of the server's samples and decoding them
/// (`post_row`) 2.5%.
async fn write_together(writer: &SqlitePool, batch: &[Pending]) -> StoreResult<()> {
    let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; batch.len()].join(", ");
    let sql = format!("INSERT INTO posts ({}) VALUES {placeholders}", post_cols!());
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for Pending { post, .. } in batch {
        query = bind_post(query, post);
    }
    let mut tx = writer.begin_with("BEGIN IMMEDIATE").await?;
    query
        .execute(&mut *tx)
        .await
        .map_err(write_err("post id already exists"))?;
    for Pending { jobs, .. } in batch {
        insert_jobs(&mut tx, jobs).await?;
    }
    tx.commit().await?;
    Ok(())
}
