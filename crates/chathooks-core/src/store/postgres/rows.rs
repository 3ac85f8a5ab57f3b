//! Row mapping for the PostgreSQL backend (see [`crate::store::rows`]).

use std::borrow::Cow;

use sqlx::Row;
use sqlx::postgres::PgRow;

use super::Query;
use crate::store::rows::{job_status, json_list, non_empty, or_empty, visibility_binds};
use crate::store::*;

/// The escape character of [`text`]: U+E000, the first private-use code point.
const ESCAPE: char = '\u{E000}';

/// PostgreSQL text cannot hold NUL (it refuses such a parameter), while SQLite
/// stores any string. So that both store exactly what they are given, every
/// text value bound on PostgreSQL goes through this reversible escape: NUL
/// becomes U+E000 `0`, U+E000 itself becomes U+E000 U+E000; [`decode`] undoes
/// it. The escape is injective and leaves ASCII letters alone, so equality,
/// `lower()` and substring tests on escaped values give the same answers as on
/// the originals. Strings with neither character (all but fuzzed ones) are
/// bound unchanged.
pub(super) fn text<'a>(value: impl Into<Cow<'a, str>>) -> Cow<'a, str> {
    let value = value.into();
    if !value.contains(['\0', ESCAPE]) {
        return value;
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\0' => escaped.extend([ESCAPE, '0']),
            ESCAPE => escaped.extend([ESCAPE, ESCAPE]),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// Undo [`text`].
fn decode(stored: String) -> String {
    if !stored.contains(ESCAPE) {
        return stored;
    }
    let mut decoded = String::with_capacity(stored.len());
    let mut chars = stored.chars();
    while let Some(c) = chars.next() {
        match (c, c == ESCAPE) {
            (_, true) => match chars.next() {
                Some('0') => decoded.push('\0'),
                Some(other) => decoded.push(other),
                None => decoded.push(ESCAPE),
            },
            (c, false) => decoded.push(c),
        }
    }
    decoded
}

/// Read a text column, undoing [`text`].
pub(super) fn text_col(row: &PgRow, column: &str) -> Result<String, sqlx::Error> {
    row.try_get(column).map(decode)
}

row_mappers!(PgRow, text_col);
binders!(Query, text);
