//! A Rocket.Chat integration as the server acts on it: the stored record,
//! with the fields of its document that behaviour depends on read once into
//! [`Spec`]. The document stays the source of what the API returns, and of
//! every field passed through untouched.

use std::ops::Deref;

use chathooks_core::delivery::{RetryPolicy, Schedule};
use chathooks_core::store::RcIntegration;
use serde_json::Value;

/// Retries of an outgoing integration with `retryFailedCalls` and no
/// `retryCount` (Rocket.Chat's default).
const DEFAULT_RETRY_COUNT: u32 = 4;

/// A stored integration and its typed [`Spec`]. Derefs to the record (id,
/// name, type, token, the document).
#[derive(Debug, Clone)]
pub(crate) struct Integration {
    record: RcIntegration,
    pub(crate) spec: Spec,
}

impl From<RcIntegration> for Integration {
    fn from(record: RcIntegration) -> Self {
        let spec = Spec::of(&record.doc);
        Self { record, spec }
    }
}

impl Deref for Integration {
    type Target = RcIntegration;

    fn deref(&self) -> &RcIntegration {
        &self.record
    }
}

/// The fields of an integration document the server acts on. Rocket.Chat
/// stores them as the client sent them (after its own validation, which
/// ours mirrors on create and update), so a field of another type than
/// expected reads as absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Spec {
    /// `channel`: room entries (`#name`, `@username`, or an id), a string or
    /// a list; empty entries dropped.
    pub(crate) channels: Vec<String>,
    /// `userId`: whom incoming messages are posted as (outgoing replies too,
    /// unless `impersonateUser`).
    pub(crate) user_id: Option<String>,
    /// `alias`, `avatar` and `emoji`: how its messages look.
    pub(crate) alias: Option<String>,
    pub(crate) avatar: Option<String>,
    pub(crate) emoji: Option<String>,
    /// `script`, when `scriptEnabled` and not blank.
    pub(crate) script: Option<String>,
    /// `overrideDestinationChannelEnabled`: a payload may name its rooms.
    pub(crate) may_override_destination: bool,
    /// Outgoing: `event` (`sendMessage`, `roomCreated`...).
    pub(crate) event: Option<String>,
    /// Outgoing: `urls` called.
    pub(crate) urls: Vec<String>,
    /// Outgoing: `token` sent in payloads.
    pub(crate) token: Option<String>,
    /// Outgoing: `triggerWords` (empty ones dropped) and `triggerWordAnywhere`.
    pub(crate) trigger_words: Vec<String>,
    pub(crate) trigger_word_anywhere: bool,
    /// Outgoing: `runOnEdits`.
    pub(crate) run_on_edits: bool,
    /// Outgoing: `impersonateUser`, replies posted as the triggering user.
    pub(crate) impersonate_user: bool,
    /// Outgoing: `targetRoom`, where replies go instead of the room of the
    /// event.
    pub(crate) target_room: Option<String>,
    /// Outgoing: `retryFailedCalls`, `retryCount` and `retryDelay`.
    pub(crate) retry: RetryPolicy,
    /// Outgoing: `retryFailedCalls`.
    pub(crate) retries_failed_calls: bool,
}

impl Spec {
    /// Read the fields of `doc`.
    pub(crate) fn of(doc: &Value) -> Self {
        let text = |key: &str| {
            doc.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let flag = |key: &str| doc.get(key).and_then(Value::as_bool) == Some(true);
        let list = |key: &str| -> Vec<String> {
            match doc.get(key) {
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                Some(Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            }
        };
        let retries_failed_calls = flag("retryFailedCalls");
        let retry = if retries_failed_calls {
            RetryPolicy {
                retries: doc
                    .get("retryCount")
                    .and_then(Value::as_u64)
                    .map_or(DEFAULT_RETRY_COUNT, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                schedule: Schedule::parse(&text("retryDelay").unwrap_or_default()),
            }
        } else {
            RetryPolicy::ONCE
        };
        Self {
            channels: list("channel"),
            user_id: text("userId"),
            alias: text("alias"),
            avatar: text("avatar"),
            emoji: text("emoji"),
            script: text("script").filter(|s| flag("scriptEnabled") && !s.trim().is_empty()),
            may_override_destination: flag("overrideDestinationChannelEnabled"),
            event: text("event"),
            urls: list("urls"),
            token: text("token"),
            trigger_words: list("triggerWords").into_iter().filter(|w| !w.is_empty()).collect(),
            trigger_word_anywhere: flag("triggerWordAnywhere"),
            run_on_edits: flag("runOnEdits"),
            impersonate_user: flag("impersonateUser"),
            target_room: text("targetRoom"),
            retry,
            retries_failed_calls,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn fields_are_read_once_with_rocket_chats_shapes() {
        let spec = Spec::of(&json!({
            "channel": "#general",
            "userId": "u1",
            "alias": "",
            "emoji": ":ghost:",
            "scriptEnabled": true,
            "script": "  ",
            "urls": ["http://a", "http://b"],
            "triggerWords": ["", "!go"],
            "retryFailedCalls": true,
            "retryCount": 2,
            "retryDelay": "powers-of-ten",
            "event": "sendMessage",
        }));
        assert_eq!(spec.channels, ["#general"], "a string is a one-entry list");
        assert_eq!(spec.user_id.as_deref(), Some("u1"));
        assert_eq!(spec.alias, None, "empty reads as absent");
        assert_eq!(spec.emoji.as_deref(), Some(":ghost:"));
        assert_eq!(spec.script, None, "a blank script is no script");
        assert_eq!(spec.urls, ["http://a", "http://b"]);
        assert_eq!(spec.trigger_words, ["!go"]);
        assert_eq!(spec.retry.retries, 2);
        assert_eq!(spec.retry.schedule, Schedule::parse("powers-of-ten"));
        assert_eq!(spec.event.as_deref(), Some("sendMessage"));
        let off = Spec::of(&json!({"script": "x", "retryCount": 9, "channel": 7}));
        assert_eq!(off.script, None, "scriptEnabled is off");
        assert_eq!(off.retry, RetryPolicy::ONCE, "retryFailedCalls is off");
        assert!(off.channels.is_empty(), "a channel of another type reads as none");
    }

    #[test]
    fn retry_policies() {
        assert_eq!(Spec::of(&json!({"retryCount": 3})).retry, RetryPolicy::ONCE);
        assert_eq!(
            Spec::of(&json!({"retryFailedCalls": true})).retry,
            RetryPolicy {
                retries: 4,
                schedule: Schedule::PowersOfTen
            }
        );
        assert_eq!(
            Spec::of(&json!({"retryFailedCalls": true, "retryCount": 2, "retryDelay": "powers-of-two"})).retry,
            RetryPolicy {
                retries: 2,
                schedule: Schedule::PowersOfTwo
            }
        );
    }
}
