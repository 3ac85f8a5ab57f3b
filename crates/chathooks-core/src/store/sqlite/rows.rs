//! Row mapping for the SQLite backend (see [`crate::store::rows`]).

use sqlx::Row;
use sqlx::sqlite::{SqliteArguments, SqliteRow};

use crate::store::rows::visibility_binds;
use crate::store::*;

/// Text columns are stored as given.
fn text(row: &SqliteRow, column: &str) -> Result<String, sqlx::Error> {
    row.try_get(column)
}

row_mappers!(SqliteRow, text);

/// Bind the Rocket.Chat filter's $1..$6 (see `rc_filter_where!` in `sql.rs`).
pub(super) fn bind_rc_filter<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments>,
    filter: &'q RcIntegrationFilter,
) -> sqlx::query::Query<'q, sqlx::Sqlite, SqliteArguments> {
    let (in_all, in_owner) = visibility_binds(&filter.incoming);
    let (out_all, out_owner) = visibility_binds(&filter.outgoing);
    query
        .bind(in_all)
        .bind(in_owner)
        .bind(out_all)
        .bind(out_owner)
        .bind(filter.name.as_deref())
        .bind(filter.integration_type.as_deref())
}
