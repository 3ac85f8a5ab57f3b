//! Group commit of new posts, for every backend.
//!
//! Posts are the writes that come in bursts (a CI run, a load test, a chatty
//! integration). One at a time, each costs a trip to the database and a
//! commit; here a task takes every post waiting, has the backend store them
//! in one transaction ([`WriteTogether`]), and only then answers each
//! caller: the commit is batched, never the acknowledgement, so a post that
//! was answered is stored. When idle, a post goes through alone, at once.

use std::future::Future;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use tokio::sync::{mpsc, oneshot};

use crate::store::{DeliveryJob, Post, StoreError, StoreResult};

/// Most posts stored by one transaction, and most rows per `INSERT`: a batch
/// of posts or of jobs stays under SQLite's 32,766 bound parameters per
/// statement (PostgreSQL takes 65,535), as checked below.
pub(super) const MAX_BATCH: usize = 256;
const _: () = assert!(MAX_BATCH * super::sql::POST_COLUMNS <= 32_766 && MAX_BATCH * super::sql::JOB_COLUMNS <= 32_766);

/// A post waiting to be written, with the deliveries it starts.
pub(super) struct Pending {
    pub post: Post,
    pub jobs: Vec<DeliveryJob>,
    done: oneshot::Sender<StoreResult<Post>>,
}

/// How a backend stores a batch.
pub(super) trait WriteTogether: Send + Sync + 'static {
    type Db: sqlx::Database;

    /// All posts of `batch` and their jobs in one transaction on
    /// `connection`, a connection of the pool given to [`GroupCommit::start`]
    /// (held over consecutive batches, see [`HOLD_AT_MOST`]). Any refusal
    /// fails them all and stores nothing.
    fn write_together(
        connection: &mut PoolConnection<Self::Db>,
        batch: &[Pending],
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Longest the writer task keeps a connection while posts keep coming,
/// before it lets other writers have it.
///
/// Why hold it at all: sqlx tests a connection given back to its pool with a
/// ping, a trip to the connection's worker thread (SQLite) or to the server
/// (PostgreSQL), and the pool hands it out again only once that is answered.
/// SQLite has one writer connection, so taking it per batch put that ping
/// between every two batches: under the load benchmark's post load 70-90 µs
/// of a 330 µs batch. Meanwhile other writes (a new channel, a delivery
/// attempt) wait at most this long plus a batch.
pub(super) const HOLD_AT_MOST: Duration = Duration::from_millis(5);

/// Where posts are handed in; the writer task ends when it is dropped.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    posts: mpsc::UnboundedSender<Pending>,
}

impl GroupCommit {
    /// Start the task that writes what is handed in to `pool`, as `W` writes a batch.
    ///
    /// Once a post arrives the task yields once before it takes what else is
    /// waiting: the requests that are ready to run get to hand in their
    /// posts first, so under load a batch holds more of them (16 posts on
    /// average under the load benchmark's 32 connections on SQLite; 8% fewer
    /// bytes written and 14% fewer context switches per post than without
    /// the yield). Idle, the yield costs one pass of the scheduler.
    ///
    /// Batches that follow each other without a pause are written on one
    /// connection, for up to [`HOLD_AT_MOST`]; it goes back to the pool as
    /// soon as no post is waiting.
    pub(super) fn start<W: WriteTogether>(pool: sqlx::Pool<W::Db>) -> Self {
        let (posts, mut receiver) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            while let Some(first) = receiver.recv().await {
                let held_since = Instant::now();
                let mut held: Option<PoolConnection<W::Db>> = None;
                let mut next = Some(first);
                while let Some(first) = next {
                    tokio::task::yield_now().await;
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match receiver.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    write::<W>(&pool, &mut held, batch).await;
                    if held.is_none() || held_since.elapsed() >= HOLD_AT_MOST {
                        break;
                    }
                    next = receiver.try_recv().ok();
                }
            }
        });
        Self { posts }
    }

    /// Store `post` and its `jobs` with whatever else is waiting; answers
    /// once they are committed.
    pub(super) async fn write(&self, post: &Post, jobs: Vec<DeliveryJob>) -> StoreResult<Post> {
        let (done, answer) = oneshot::channel();
        let pending = Pending {
            post: post.clone(),
            jobs,
            done,
        };
        let closed = || StoreError::Database(sqlx::Error::PoolClosed);
        self.posts.send(pending).map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }
}

async fn write<W: WriteTogether>(
    pool: &sqlx::Pool<W::Db>,
    held: &mut Option<PoolConnection<W::Db>>,
    batch: Vec<Pending>,
) {
    if batch.len() > 1 {
        match write_held::<W>(pool, held, &batch).await {
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
        let result = write_held::<W>(pool, held, std::slice::from_ref(&pending)).await;
        let _ = pending.done.send(result.map(|()| pending.post));
    }
}

/// Write `batch` on the held connection, taking one first if none is held.
/// A refused batch lets the connection go: the refusal may have left it
/// unusable, and the pool is what decides whether to keep it.
async fn write_held<W: WriteTogether>(
    pool: &sqlx::Pool<W::Db>,
    held: &mut Option<PoolConnection<W::Db>>,
    batch: &[Pending],
) -> StoreResult<()> {
    let connection = match held {
        Some(connection) => connection,
        None => held.insert(pool.acquire().await?),
    };
    let result = W::write_together(connection, batch).await;
    if result.is_err() {
        *held = None;
    }
    result
}
