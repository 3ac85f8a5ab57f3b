//! Integration scripts: Rocket.Chat's contract over the sandboxed engine
//! (`chathooks-script`).
//!
//! An integration runs its script when it has `scriptEnabled` and a
//! non-blank `script`, and the server was not started with
//! `--disable-scripts`. The engine keeps one instance of the script's
//! `class Script` per integration until the integration is updated (its
//! `_updatedAt` is the instance's version). `Store` is loaded from the
//! database before each call and its writes stored after it. What a call
//! logged goes to the integration's history, written by the callers
//! ([`super::execute`], [`super::outgoing`]) together with what the call did.

use std::collections::HashMap;
use std::sync::Arc;

use chathooks_script::{Call, Engine, Failure, FailureKind, LogLine, Outcome};
use serde_json::{Map, Value, json};

use chathooks_core::Core;

use super::integration::{Integration, Spec};
use chathooks_core::store::StoreError;

/// The script engine, or none when scripts are disabled.
pub(crate) struct Scripts {
    engine: Option<Arc<Engine>>,
}

impl Scripts {
    /// Scripts run on the server's engine, or not at all without one
    /// (`--disable-scripts`).
    pub(crate) fn new(engine: Option<Arc<Engine>>) -> Arc<Self> {
        Arc::new(Self { engine })
    }

    /// The script `integration` runs, if any: none when scripts are off,
    /// the integration has `scriptEnabled` false, or its script is blank.
    pub(crate) fn source_of<'a>(&self, integration: &'a Integration) -> Option<&'a str> {
        self.engine.as_ref()?;
        integration.spec.script.as_deref()
    }

    /// On saving an integration: compile its script and record the result as
    /// Rocket.Chat does, `scriptError` when it does not compile, nothing when
    /// it does.
    pub(crate) async fn check_on_save(&self, doc: &mut Map<String, Value>) {
        let document = Value::Object(std::mem::take(doc));
        let failure = match (&self.engine, Spec::of(&document).script) {
            (Some(engine), Some(source)) => engine.check(&source).await.err(),
            _ => None,
        };
        let Value::Object(mut fields) = document else {
            unreachable!("an object stays an object")
        };
        match failure {
            Some(failure) => {
                fields.insert("scriptError".into(), error_doc(&failure));
            }
            None => {
                fields.remove("scriptError");
            }
        }
        *doc = fields;
    }

    /// Call `method` of the integration's script with `argument`, with its
    /// `Store`; the store's writes are kept even when the call fails.
    pub(crate) async fn call(
        &self,
        core: &Core,
        integration: &Integration,
        method: &str,
        argument: Value,
    ) -> Result<Outcome, Failure> {
        let engine = self.engine.as_ref().ok_or_else(|| Failure {
            kind: FailureKind::Unavailable,
            message: "scripts are disabled".into(),
            stack: None,
            logs: Vec::new(),
            store_writes: Vec::new(),
        })?;
        let source = self.source_of(integration).unwrap_or_default();
        let store = match core.read().get_rc_script_store(&integration.id).await {
            Ok(values) => values
                .into_iter()
                .map(|(key, json)| (key, serde_json::from_str(&json).unwrap_or(Value::Null)))
                .collect(),
            Err(error) => {
                tracing::warn!(integration_id = %integration.id, %error, "script store not read");
                HashMap::new()
            }
        };
        let call = Call {
            key: integration.id.clone(),
            version: integration.updated_at.to_string(),
            source: Arc::from(source),
            method: method.to_owned(),
            argument,
            store,
        };
        let result = engine.call(call).await;
        let writes = match &result {
            Ok(outcome) => &outcome.store_writes,
            Err(failure) => &failure.store_writes,
        };
        if !writes.is_empty() {
            let values: Vec<(String, String)> = writes.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
            match chathooks_core::integrations::set_script_values(core, &integration.id, &values).await {
                Ok(()) | Err(StoreError::NotFound) => {} // removed meanwhile
                Err(error) => tracing::warn!(integration_id = %integration.id, %error, "script store not written"),
            }
        }
        if let Err(failure) = &result {
            tracing::info!(
                integration_id = %integration.id,
                method,
                kind = failure.kind.as_str(),
                error = %failure.message,
                "integration script failed"
            );
        }
        result
    }

    /// The integration was removed: drop its instance.
    pub(crate) fn forget(&self, integration_id: &str) {
        if let Some(engine) = &self.engine {
            engine.forget(integration_id);
        }
    }
}

/// `scriptError`: `{name, message, stack?}`. `name` is the thrown error's
/// (`SyntaxError`, `TypeError`...) or the limit's (`timeout`, `memory`).
pub(crate) fn error_doc(failure: &Failure) -> Value {
    let name = match failure.kind {
        FailureKind::Timeout | FailureKind::Memory | FailureKind::Unavailable | FailureKind::Busy => {
            failure.kind.as_str().to_owned()
        }
        FailureKind::Compile | FailureKind::Runtime => match failure.message.split_once(':') {
            Some((name, _)) if !name.contains(' ') && !name.is_empty() => name.to_owned(),
            _ => failure.kind.as_str().to_owned(),
        },
    };
    let mut doc = json!({"name": name, "message": failure.message});
    if let Some(stack) = &failure.stack {
        doc["stack"] = stack.clone().into();
    }
    doc
}

/// `scriptLogs` of a history record.
pub(crate) fn logs_doc<'a>(logs: impl IntoIterator<Item = &'a LogLine>) -> Value {
    Value::Array(log_entries(logs))
}

/// A script's logs as history entries, to add to.
pub(crate) fn log_entries<'a>(logs: impl IntoIterator<Item = &'a LogLine>) -> Vec<Value> {
    logs.into_iter()
        .map(|line| json!({"level": line.level, "text": line.text}))
        .collect()
}

/// JavaScript's truthiness of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_documents_name_the_error() {
        let failure = |kind, message: &str| Failure {
            kind,
            message: message.into(),
            stack: None,
            logs: Vec::new(),
            store_writes: Vec::new(),
        };
        assert_eq!(
            error_doc(&failure(FailureKind::Compile, "SyntaxError: unexpected token")),
            json!({"name": "SyntaxError", "message": "SyntaxError: unexpected token"})
        );
        assert_eq!(
            error_doc(&failure(FailureKind::Runtime, "plain words: here"))["name"],
            "runtime"
        );
        assert_eq!(error_doc(&failure(FailureKind::Timeout, "too long"))["name"], "timeout");
    }

    #[test]
    fn truthiness() {
        for value in [json!(null), json!(false), json!(0), json!("")] {
            assert!(!truthy(&value), "{value}");
        }
        for value in [json!(true), json!(1), json!("x"), json!([]), json!({})] {
            assert!(truthy(&value), "{value}");
        }
    }
}
