//! Row mapping and binding for the SQLite backend (see [`crate::store::rows`]).

use std::borrow::Cow;

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Query;
use crate::store::rows::{job_status, json_list, non_empty, or_empty, visibility_binds};
use crate::store::*;

/// Text is bound as given (see the PostgreSQL backend's `text` for why it is a function).
pub(super) fn bound<'a>(value: impl Into<Cow<'a, str>>) -> Cow<'a, str> {
    value.into()
}

/// Text columns are stored as given.
pub(super) fn text_col(row: &SqliteRow, column: &str) -> Result<String, sqlx::Error> {
    row.try_get(column)
}

row_mappers!(SqliteRow, text_col);
binders!(Query, bound);
