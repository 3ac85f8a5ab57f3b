//! WAL checkpoints off the commit path, with a WAL that stays small.
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
//!
//! Copying is not enough to keep the WAL small: SQLite starts the WAL over
//! only when a write begins with every frame already copied, and under a
//! steady load the writer has always appended more by the time a checkpoint
//! on another connection finishes. The WAL then grew without end (3 GB after
//! 32 s of posts at about 22,000 a second, and each post costlier than the
//! last: 50 -> 66 µs of CPU). So once the WAL holds [`RESTART_AFTER`] frames,
//! the task checkpoints once more on the writer's own connection, between
//! two batches: the reader's checkpoint has copied nearly everything, this
//! one copies the rest while nothing can be appended, and the next batch
//! starts the WAL over. [`SIZE_LIMIT`] then gives back what a burst made
//! the file grow to.

use std::time::Duration;

use sqlx::{Row, SqlitePool};

/// How often the WAL is checkpointed. At thousands of posts a second the WAL
/// grows by a few MB in that time; idle, a checkpoint with nothing to copy
/// costs one statement.
pub(super) const EVERY: Duration = Duration::from_millis(250);

/// WAL frames (pages written; 4 KiB each by default) after which the writer
/// finishes the checkpoint so that the WAL starts over: 16 MiB.
pub(super) const RESTART_AFTER: i64 = 4096;

/// Bytes the WAL file is truncated to when it starts over
/// (`journal_size_limit`).
pub(super) const SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// When checkpoints run: every `every`, finished on the writer once the WAL
/// holds `restart_after` frames.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schedule {
    pub every: Duration,
    pub restart_after: i64,
}

impl Schedule {
    pub(super) const SERVER: Self = Self {
        every: EVERY,
        restart_after: RESTART_AFTER,
    };
}

/// Checkpoint the database of `readers` on `schedule`, finishing on `writer`
/// once the WAL is long, until the pools are closed.
pub(super) fn start(readers: SqlitePool, writer: SqlitePool, schedule: Schedule) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(schedule.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if readers.is_closed() || writer.is_closed() {
                return;
            }
            let finished = match checkpoint(&readers).await {
                Ok(frames) if frames >= schedule.restart_after => checkpoint(&writer).await.map(drop),
                Ok(_) => Ok(()),
                Err(error) => Err(error),
            };
            if let Err(error) = finished {
                if readers.is_closed() || writer.is_closed() {
                    return;
                }
                tracing::warn!(%error, "WAL checkpoint failed; trying again later");
            }
        }
    });
}

/// A PASSIVE checkpoint on a connection of `pool`; returns the frames in the WAL.
async fn checkpoint(pool: &SqlitePool) -> sqlx::Result<i64> {
    // (busy, frames in the WAL, frames copied); -1 when not in WAL mode.
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
    row.try_get(1)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    use super::*;

    /// Under writes that never pause, the WAL still starts over: its file
    /// stays near the size limit while many times that is written. Without
    /// the writer's checkpoint it grows by every page written.
    #[tokio::test]
    async fn the_wal_stays_small_under_steady_writes() {
        const LIMIT: u64 = 1024 * 1024;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .unwrap()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("journal_size_limit", LIMIT.to_string());
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .unwrap();
        let readers = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (b BLOB)").execute(&writer).await.unwrap();
        let schedule = Schedule {
            every: Duration::from_millis(10),
            restart_after: 64,
        };
        start(readers.clone(), writer.clone(), schedule);

        let wal = dir.path().join("w.db-wal");
        let mut largest = 0;
        let mut written = 0;
        // Rows of 4,000 bytes: at least one page each, 16 MB in all.
        for _ in 0..4000 {
            sqlx::query("INSERT INTO t VALUES (randomblob(4000))")
                .execute(&writer)
                .await
                .unwrap();
            written += 4000;
            largest = largest.max(std::fs::metadata(&wal).unwrap().len());
        }
        assert!(
            largest < 4 * LIMIT,
            "the WAL grew to {largest} bytes while {written} were written"
        );
        readers.close().await;
        writer.close().await;
    }
}
