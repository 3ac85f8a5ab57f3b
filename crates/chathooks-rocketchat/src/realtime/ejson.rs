//! EJSON dates, the one EJSON type the Realtime API's documents carry.
//!
//! Meteor writes a date as `{"$date": <milliseconds since the epoch>}`; the
//! REST API writes the same fields as ISO 8601 text. The realtime API serves
//! the REST documents ([`crate::wire`]) with their date fields turned into
//! EJSON dates, and reads dates from clients in either form.

use serde_json::{Value, json};

use crate::time::parse_iso;

/// The date fields of the documents served (messages, rooms, subscriptions).
const DATE_FIELDS: [&str; 7] = ["ts", "_updatedAt", "editedAt", "lm", "ls", "lr", "tlm"];

/// An EJSON date.
pub(super) fn date(ms: i64) -> Value {
    json!({"$date": ms})
}

/// `document` with its ISO 8601 date fields as EJSON dates (also inside a
/// room's `lastMessage`).
pub(super) fn dates(mut document: Value) -> Value {
    if let Value::Object(fields) = &mut document {
        for key in DATE_FIELDS {
            if let Some(field) = fields.get_mut(key)
                && let Some(ms) = field.as_str().and_then(parse_iso)
            {
                *field = date(ms);
            }
        }
        if let Some(last) = fields.get_mut("lastMessage") {
            *last = dates(last.take());
        }
    }
    document
}

/// A date a client sent: an EJSON date, or a number of milliseconds.
/// `None` for anything else (including `null`).
pub(super) fn read_date(value: &Value) -> Option<i64> {
    match value {
        Value::Object(fields) => fields.get("$date").and_then(Value::as_i64),
        Value::Number(number) => number.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_fields_become_ejson_dates_and_nothing_else_changes() {
        let message = json!({
            "_id": "m1",
            "msg": "2024-01-01T00:00:00.000Z",
            "ts": "1970-01-01T00:00:01.500Z",
            "_updatedAt": "1970-01-01T00:00:02.000Z",
        });
        assert_eq!(
            dates(message),
            json!({
                "_id": "m1",
                "msg": "2024-01-01T00:00:00.000Z",
                "ts": {"$date": 1500},
                "_updatedAt": {"$date": 2000},
            })
        );
        let room = json!({"lastMessage": {"ts": "1970-01-01T00:00:01.000Z"}});
        assert_eq!(dates(room)["lastMessage"]["ts"], json!({"$date": 1000}));
    }

    #[test]
    fn dates_are_read_as_ejson_or_milliseconds() {
        assert_eq!(read_date(&json!({"$date": 42})), Some(42));
        assert_eq!(read_date(&json!(42)), Some(42));
        assert_eq!(read_date(&json!(null)), None);
        assert_eq!(read_date(&json!("2024-01-01")), None);
    }
}
