//! The PostgreSQL backend of [`Store`].
//!
//! Same schema, same SQL ([`super::sql`]) and the same semantics as
//! [`super::SqliteStore`]; the differences are the dialect's (case-insensitive
//! names through `lower(...)` and unique indexes on it, `jsonb` for the one JSON
//! lookup) and the concurrency model: one pool of connections for reads and
//! writes, since PostgreSQL locks rows rather than the database. Writes that must
//! go together run in one transaction.
//!
//! Durability: a commit is answered once PostgreSQL has it in its WAL
//! (`synchronous_commit` on, the server default), so an `Ok` survives the
//! chathooks process being killed and the database server restarting.

use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::*;

mod batch;
mod rows;
use super::group_commit::GroupCommit;
use super::rows::{page_offset, write_err};
use super::sql;
use rows::*;

/// Connections of the pool: a server answers many requests at once, and
/// PostgreSQL handles concurrent writers (unlike SQLite's single write lock).
const POOL_SIZE: u32 = 16;
/// Prepared statements kept per connection (sqlx's cache, keyed by SQL text).
/// The store has fewer than 70 distinct statements, so all of them stay prepared.
const STATEMENT_CACHE: usize = 128;
/// How long a request waits for a free connection before failing.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// [`Store`] on PostgreSQL via sqlx. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// New posts, committed in groups ([`batch`]).
    posts: GroupCommit,
}

impl PgStore {
    /// Connect to and migrate the database `url` names:
    /// `postgres://user:password@host:port/database` (or `postgresql://`).
    /// The database must exist; the schema is created in it if missing.
    /// Several processes may migrate the same database at once: sqlx's migrator
    /// holds an advisory lock while it runs.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)?.statement_cache_capacity(STATEMENT_CACHE);
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sql::postgres::migrator().run(&pool).await?;
        Ok(Self {
            posts: GroupCommit::start::<batch::Batch>(pool.clone()),
            pool,
        })
    }

    /// Close every connection. Later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begin a transaction (the pool reads and writes alike).
    async fn write_tx(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// The oldest outgoing integration whose `doc.urls` lists `url`: the
    /// candidates whose text mentions it, checked in Rust (see
    /// `sql::postgres::RC_OUTGOING_MENTIONING` for why not as `jsonb`).
    async fn rc_outgoing_by_url(&self, url: &str) -> StoreResult<Option<RcIntegration>> {
        let as_json = Value::from(url).to_string();
        let rows = sqlx::query(sql::postgres::RC_OUTGOING_MENTIONING)
            .bind(text(as_json))
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let integration = rc_row(row)?;
            if urls_list(&integration.doc, url) {
                return Ok(Some(integration));
            }
        }
        Ok(None)
    }
}

/// Whether `doc.urls` lists `url`, as SQLite's `json_each(doc, '$.urls')`
/// sees it: the elements of an array, the values of an object, or the string itself.
fn urls_list(doc: &Value, url: &str) -> bool {
    match doc.get("urls") {
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(url)),
        Some(Value::Object(members)) => members.values().any(|v| v.as_str() == Some(url)),
        Some(Value::String(only)) => only == url,
        _ => false,
    }
}

/// A query with PostgreSQL arguments, as the binders take and give it.
pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl_backend!(PgStore, reads: pool, writes: pool, text: text, dialect: postgres);
