//! WAL checkpoints off the commit path.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its
//! threshold: that commit copies the WAL into the database and fsyncs it,
//! and every post waiting behind the single writer waits for the disk. Under
//! a post load this was the p99 (30 ms at half the maximum rate). Instead the
//! writer never checkpoints (`wal_autocheckpoint = 0`), and a task here runs
//! a PASSIVE checkpoint on a reader connection every [`EVERY`]: PASSIVE
//! copies what no reader still needs and never blocks the writer, which goes
//! on appending meanwhile. Durability is unchanged: a commit is in the WAL
//! before it is answered, checkpointed or not.

use std::time::Duration;

use sqlx::SqlitePool;

/// How often the WAL is checkpointed. At thousands of posts a second the WAL
/// grows by a few MB in that time; idle, a checkpoint with nothing to copy
/// costs one statement.
pub(super) const EVERY: Duration = Duration::from_millis(250);

/// Checkpoint `pool`'s database every [`EVERY`] until the pool is closed.
pub(super) fn start(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(%error, "WAL checkpoint failed; trying again later");
            }
        }
    });
}
