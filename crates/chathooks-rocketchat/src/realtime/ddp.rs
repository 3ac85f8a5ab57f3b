//! DDP frames: what a client may send, and what the server answers, as
//! Meteor's DDP specification (`packages/ddp/DDP.md`, version `1`) and its
//! server (`ddp-server`) write them.
//!
//! Every frame is one JSON object with a `msg` field. A frame that is not
//! one, names an unknown `msg` or lacks a required field is answered with a
//! top-level `error` (with the frame as `offendingMessage` when it parsed), and
//! the connection goes on. Errors of methods and subscriptions are
//! `Meteor.Error`s ([`MeteorError`]).

use serde_json::{Map, Value, json};

/// The DDP versions spoken, best first (Meteor's `SUPPORTED_DDP_VERSIONS`).
pub(super) const VERSIONS: [&str; 3] = ["1", "pre2", "pre1"];

/// A frame a client sent.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Incoming {
    Connect {
        version: String,
        support: Vec<String>,
    },
    Ping {
        id: Option<Value>,
    },
    Pong,
    Method {
        id: String,
        method: String,
        params: Vec<Value>,
    },
    Sub {
        id: String,
        name: String,
        params: Vec<Value>,
    },
    Unsub {
        id: String,
    },
}

/// Read one text frame; a frame that is not a valid DDP message is the
/// `error` frame to answer it with.
pub(super) fn parse(text: &str) -> Result<Incoming, Value> {
    let Ok(Value::Object(frame)) = serde_json::from_str::<Value>(text) else {
        return Err(error("Bad request", None));
    };
    let offending = || Some(Value::Object(frame.clone()));
    let string = |key: &str| frame.get(key).and_then(Value::as_str).map(str::to_owned);
    // `params`, when present, must be an array.
    let params = || match frame.get("params") {
        None => Some(Vec::new()),
        Some(Value::Array(params)) => Some(params.clone()),
        Some(_) => None,
    };
    match frame.get("msg").and_then(Value::as_str) {
        Some("connect") => {
            let support = match frame.get("support") {
                Some(Value::Array(items)) => items.iter().map(|v| v.as_str().map(str::to_owned)).collect(),
                _ => None,
            };
            match (string("version"), support) {
                (Some(version), Some(support)) => Ok(Incoming::Connect { version, support }),
                // Meteor answers such a connect `failed`, not `error`.
                _ => Ok(Incoming::Connect {
                    version: String::new(),
                    support: Vec::new(),
                }),
            }
        }
        Some("ping") => Ok(Incoming::Ping {
            id: frame.get("id").cloned(),
        }),
        Some("pong") => Ok(Incoming::Pong),
        Some("method") => match (string("id"), string("method"), params()) {
            (Some(id), Some(method), Some(params)) => Ok(Incoming::Method { id, method, params }),
            _ => Err(error("Malformed method invocation", offending())),
        },
        Some("sub") => match (string("id"), string("name"), params()) {
            (Some(id), Some(name), Some(params)) => Ok(Incoming::Sub { id, name, params }),
            _ => Err(error("Malformed subscription", offending())),
        },
        Some("unsub") => match string("id") {
            Some(id) => Ok(Incoming::Unsub { id }),
            _ => Err(error("Malformed subscription", offending())),
        },
        _ => Err(error("Bad request", offending())),
    }
}

/// The version to speak with a client that supports `support` (best first):
/// the first of them this server speaks, else this server's best.
pub(super) fn negotiate(support: &[String]) -> &'static str {
    support
        .iter()
        .find_map(|wanted| VERSIONS.iter().find(|v| **v == wanted))
        .copied()
        .unwrap_or(VERSIONS[0])
}

/// A top-level `error`.
pub(super) fn error(reason: &str, offending: Option<Value>) -> Value {
    let mut frame = json!({"msg": "error", "reason": reason});
    if let Some(offending) = offending {
        frame["offendingMessage"] = offending;
    }
    frame
}

/// A `Meteor.Error`, as methods and subscriptions report failures.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MeteorError {
    /// A string id (`error-not-allowed`) or, as Meteor's own packages still
    /// do, an HTTP-like number (403).
    pub error: Value,
    pub reason: Option<String>,
    /// Boxed: errors travel in `Result`s, which should stay small.
    pub details: Option<Box<Value>>,
}

pub(super) type MethodResult = Result<Option<Value>, MeteorError>;

impl MeteorError {
    pub(super) fn new(error: impl Into<Value>, reason: &str) -> Self {
        Self {
            error: error.into(),
            reason: Some(reason.to_owned()),
            details: None,
        }
    }

    /// An error without a reason (`new Meteor.Error('not-allowed')`).
    pub(super) fn bare(error: &str) -> Self {
        Self {
            error: error.into(),
            reason: None,
            details: None,
        }
    }

    /// `details.method`, as Rocket.Chat's methods name themselves.
    pub(super) fn in_method(mut self, method: &str) -> Self {
        self.details = Some(Box::new(json!({"method": method})));
        self
    }

    /// What `check()` throws when a parameter has the wrong shape.
    pub(super) fn match_failed() -> Self {
        Self::new(400, "Match failed")
    }

    /// Rocket.Chat's answer to a method called before logging in.
    pub(super) fn invalid_user(method: &str) -> Self {
        Self::new("error-invalid-user", "Invalid user").in_method(method)
    }

    /// The error object, as Meteor serializes it: `message` is
    /// `"<reason> [<error>]"` (or `"[<error>]"`).
    pub(super) fn to_json(&self) -> Value {
        let id = match &self.error {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let mut object = Map::new();
        object.insert("isClientSafe".into(), true.into());
        object.insert("error".into(), self.error.clone());
        let message = match &self.reason {
            Some(reason) => {
                object.insert("reason".into(), reason.clone().into());
                format!("{reason} [{id}]")
            }
            None => format!("[{id}]"),
        };
        object.insert("message".into(), message.into());
        object.insert("errorType".into(), "Meteor.Error".into());
        if let Some(details) = &self.details {
            object.insert("details".into(), (**details).clone());
        }
        Value::Object(object)
    }
}

/// The `result` of method `id`.
pub(super) fn result(id: &str, outcome: &MethodResult) -> Value {
    let mut frame = json!({"msg": "result", "id": id});
    match outcome {
        Ok(Some(value)) => frame["result"] = value.clone(),
        Ok(None) => {}
        Err(error) => frame["error"] = error.to_json(),
    }
    frame
}

/// `updated` for method `id`: its writes have been sent.
pub(super) fn updated(id: &str) -> Value {
    json!({"msg": "updated", "methods": [id]})
}

pub(super) fn ready(id: &str) -> Value {
    json!({"msg": "ready", "subs": [id]})
}

pub(super) fn nosub(id: &str, error: Option<&MeteorError>) -> Value {
    let mut frame = json!({"msg": "nosub", "id": id});
    if let Some(error) = error {
        frame["error"] = error.to_json();
    }
    frame
}

/// A stream event, as Rocket.Chat's streamer sends it: a `changed` of the
/// document `id` in the stream's collection, with the event name and its
/// arguments as fields.
pub(super) fn changed(collection: &str, event_name: &str, args: Vec<Value>) -> Value {
    json!({
        "msg": "changed",
        "collection": collection,
        "id": "id",
        "fields": {"eventName": event_name, "args": args},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_parse_or_are_answered_with_an_error() {
        assert_eq!(
            parse(r#"{"msg":"connect","version":"1","support":["1","pre2"]}"#),
            Ok(Incoming::Connect {
                version: "1".into(),
                support: vec!["1".into(), "pre2".into()],
            })
        );
        assert_eq!(
            parse(r#"{"msg":"method","id":"1","method":"m"}"#),
            Ok(Incoming::Method {
                id: "1".into(),
                method: "m".into(),
                params: vec![],
            })
        );
        assert_eq!(
            parse("not json").unwrap_err(),
            json!({"msg": "error", "reason": "Bad request"})
        );
        assert_eq!(parse("[1]").unwrap_err()["reason"], "Bad request");
        let unknown = parse(r#"{"msg":"dance"}"#).unwrap_err();
        assert_eq!(unknown["offendingMessage"], json!({"msg": "dance"}));
        let malformed = parse(r#"{"msg":"method","id":1,"method":"m"}"#).unwrap_err();
        assert_eq!(malformed["reason"], "Malformed method invocation");
        let params = parse(r#"{"msg":"sub","id":"1","name":"n","params":{}}"#).unwrap_err();
        assert_eq!(params["reason"], "Malformed subscription");
    }

    #[test]
    fn the_version_is_the_clients_best_that_is_spoken_here() {
        assert_eq!(negotiate(&["1".into(), "pre2".into()]), "1");
        assert_eq!(negotiate(&["pre2".into(), "1".into()]), "pre2");
        assert_eq!(negotiate(&["2".into(), "pre1".into()]), "pre1");
        assert_eq!(negotiate(&["2".into()]), "1");
    }

    #[test]
    fn errors_are_in_meteors_shape() {
        let error = MeteorError::new("error-not-allowed", "Not allowed").in_method("joinRoom");
        assert_eq!(
            error.to_json(),
            json!({
                "isClientSafe": true,
                "error": "error-not-allowed",
                "reason": "Not allowed",
                "message": "Not allowed [error-not-allowed]",
                "errorType": "Meteor.Error",
                "details": {"method": "joinRoom"},
            })
        );
        assert_eq!(MeteorError::bare("not-allowed").to_json()["message"], "[not-allowed]");
        assert_eq!(
            MeteorError::new(403, "Incorrect password").to_json()["message"],
            "Incorrect password [403]"
        );
    }
}
