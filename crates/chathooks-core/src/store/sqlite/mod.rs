//! The SQLite backend of [`Store`].
//!
//! Durability: file databases run in WAL mode with `synchronous = NORMAL`, so a
//! commit returns once it is in the WAL file; an `Ok` survives `kill -9` of the
//! process (an OS crash or power loss may lose the last commits). All writes go
//! through a single-connection pool, so they queue instead of colliding on the
//! write lock; reads use their own pool. Writes that must go together run in one
//! `BEGIN IMMEDIATE` transaction.
//!
//! Rows are mapped by hand rather than with sqlx's compile-time macros: no build
//! step needs a database, and the mapping is explicit about the JSON columns.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::*;

mod batch;
mod checkpoint;
mod rows;
use super::group_commit::GroupCommit;
use super::rows::{page_offset, write_err};
use super::sql;
use rows::*;

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections of a file database pool: WAL gives concurrent readers, one writer.
const FILE_POOL_SIZE: u32 = 4;

/// The options of every pool here. sqlx pings a connection each time it is
/// taken from the pool (`test_before_acquire`), which for SQLite is a trip to
/// the connection's worker thread and back for nothing: an embedded database
/// cannot have hung up. Without it, a query is one trip instead of two.
fn pool_options() -> SqlitePoolOptions {
    SqlitePoolOptions::new().test_before_acquire(false)
}

/// [`Store`] on SQLite via sqlx. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Reads. For a file database, several connections (WAL readers do not block).
    pool: SqlitePool,
    /// Writes: one connection, so writers queue in the pool instead of
    /// colliding on SQLite's write lock and sleeping in its busy handler.
    writer: SqlitePool,
    /// New posts, committed in groups ([`batch`]).
    posts: GroupCommit,
}

impl SqliteStore {
    /// Open (creating if missing) and migrate a database.
    ///
    /// `url` is `sqlite://path/to/file.db` or `sqlite::memory:`. An in-memory
    /// database lives in a pool of exactly one connection that is never recycled,
    /// so every request sees the same data and it lasts as long as the store.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // WAL with `synchronous = NORMAL`: a commit is in the WAL file (the OS
        // page cache) before it is answered, so it survives the process being
        // killed (`kill -9`); only an OS crash or power loss can lose the last
        // commits. FULL would fsync every commit and cap writes at the disk's
        // fsync rate.
        //
        // Temporary files in memory: a multi-row INSERT (group commit) keeps a
        // statement journal, which would otherwise be a file created, written
        // and unlinked per batch (6% of the server's time under a post load).
        let options = SqliteConnectOptions::from_str(url)?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("temp_store", "memory");
        if in_memory {
            let pool = pool_options()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            sql::sqlite::migrator().run(&pool).await?;
            return Ok(Self {
                posts: GroupCommit::start::<batch::Batch>(pool.clone()),
                writer: pool.clone(),
                pool,
            });
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("journal_size_limit", checkpoint::SIZE_LIMIT.to_string());
        // The writer leaves checkpoints to `checkpoint`, off the commit path.
        let writer = pool_options()
            .max_connections(1)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        sql::sqlite::migrator().run(&writer).await?;
        let pool = pool_options()
            .max_connections(FILE_POOL_SIZE)
            .connect_with(options)
            .await?;
        checkpoint::start(pool.clone(), writer.clone(), checkpoint::Schedule::SERVER);
        Ok(Self {
            posts: GroupCommit::start::<batch::Batch>(writer.clone()),
            pool,
            writer,
        })
    }

    /// Close every connection, checkpointing the WAL. Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// Begin a transaction that holds the write lock from the start.
    async fn write_tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// A query with SQLite arguments, as the binders take and give it.
pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>;

impl SqliteStore {
    /// The oldest outgoing integration whose `doc.urls` lists `url`, found by
    /// SQLite's `json_each`.
    async fn rc_outgoing_by_url(&self, url: &str) -> StoreResult<Option<RcIntegration>> {
        let row = sqlx::query(sql::sqlite::GET_RC_OUTGOING_BY_URL)
            .bind(url)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(rc_row).transpose()?)
    }
}

impl_backend!(SqliteStore, reads: pool, writes: writer, text: bound, dialect: sqlite);

#[cfg(test)]
mod pragma_tests {
    use super::*;

    async fn pragma(store: &SqliteStore, name: &str) -> String {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
            .fetch_one(&store.pool)
            .await
            .unwrap();
        match row.try_get::<String, _>(0) {
            Ok(text) => text,
            Err(_) => row.try_get::<i64, _>(0).unwrap().to_string(),
        }
    }

    /// The durability and integrity settings are really in effect on a file database.
    #[tokio::test]
    async fn file_databases_are_durable_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(pragma(&store, "journal_mode").await, "wal");
        assert_eq!(pragma(&store, "synchronous").await, "1", "1 = NORMAL");
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(pragma(&store, "busy_timeout").await, "10000");
        assert_eq!(pragma(&store, "temp_store").await, "2", "2 = MEMORY");
        store.close().await;
    }

    /// The writer never checkpoints; the checkpoint task copies the WAL into
    /// the database file (here the migrations' pages) without being asked.
    #[tokio::test]
    async fn the_wal_is_checkpointed_off_the_commit_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let row = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.writer)
            .await
            .unwrap();
        assert_eq!(row.try_get::<i64, _>(0).unwrap(), 0);
        let pages = || std::fs::metadata(&path).unwrap().len() / 4096;
        let deadline = std::time::Instant::now() + checkpoint::EVERY * 20;
        while pages() < 10 && std::time::Instant::now() < deadline {
            tokio::time::sleep(checkpoint::EVERY).await;
        }
        assert!(
            pages() >= 10,
            "the migrations are still only in the WAL: {} pages",
            pages()
        );
        store.close().await;
    }

    #[tokio::test]
    async fn memory_databases_check_foreign_keys() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(store.pool.size(), 1);
    }
}
