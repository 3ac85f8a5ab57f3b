use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

fn engine() -> Engine {
    Engine::new(2, Limits::default()).unwrap()
}

fn call(key: &str, version: &str, source: &str, method: &str, argument: Value) -> Call {
    Call {
        key: key.into(),
        version: version.into(),
        source: Arc::from(source),
        method: method.into(),
        argument,
        store: HashMap::new(),
    }
}

const ECHO: &str = r#"
class Script {
  constructor() { this.calls = 0; console.log('made'); }
  process_incoming_request({ request }) {
    this.calls += 1;
    console.warn('call', this.calls, { n: request.n });
    return { content: { text: `n=${request.n}` }, calls: this.calls };
  }
  nothing() {}
}
"#;

#[tokio::test]
async fn a_script_is_instantiated_once_per_version() {
    let engine = engine();
    let first = engine
        .call(call(
            "a",
            "1",
            ECHO,
            "process_incoming_request",
            json!({"request": {"n": 1}}),
        ))
        .await
        .unwrap();
    assert!(first.instantiated);
    assert_eq!(first.value, Some(json!({"content": {"text": "n=1"}, "calls": 1})));
    assert_eq!(
        first.logs,
        vec![
            LogLine {
                level: "log".into(),
                text: "made".into()
            },
            LogLine {
                level: "warn".into(),
                text: r#"call 1 {"n":1}"#.into()
            },
        ]
    );
    let second = engine
        .call(call(
            "a",
            "1",
            ECHO,
            "process_incoming_request",
            json!({"request": {"n": 2}}),
        ))
        .await
        .unwrap();
    assert!(!second.instantiated, "cached");
    assert_eq!(second.value.unwrap()["calls"], 2, "the same instance");
    let updated = engine
        .call(call(
            "a",
            "2",
            ECHO,
            "process_incoming_request",
            json!({"request": {"n": 3}}),
        ))
        .await
        .unwrap();
    assert!(updated.instantiated, "a new version is instantiated again");
    assert_eq!(updated.value.unwrap()["calls"], 1);
}

#[tokio::test]
async fn undefined_and_missing_methods() {
    let engine = engine();
    let nothing = engine.call(call("b", "1", ECHO, "nothing", json!({}))).await.unwrap();
    assert_eq!(nothing.value, None);
    assert!(!nothing.missing_method);
    let missing = engine.call(call("b", "1", ECHO, "absent", json!({}))).await.unwrap();
    assert!(missing.missing_method);
}

#[tokio::test]
async fn compile_errors_are_found_without_running_anything() {
    let engine = engine();
    let failure = engine
        .check("class Script { process_incoming_request( {")
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::Compile);
    assert!(failure.message.starts_with("SyntaxError"), "{failure:?}");
    // A check runs nothing: an endless loop at the top level passes.
    engine.check("while (true) {}\nclass Script {}").await.unwrap();
    let failure = engine
        .call(call("c", "1", "class Script {", "process_incoming_request", json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::Compile);
    let failure = engine
        .call(call("c", "2", "const x = 1;", "process_incoming_request", json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::Compile, "no class Script: {failure:?}");
}

#[tokio::test]
async fn thrown_errors_carry_their_message_and_logs() {
    let engine = engine();
    let source = r#"class Script { run() { console.error('about to fail'); throw new TypeError('bad payload'); } }"#;
    let failure = engine.call(call("d", "1", source, "run", json!({}))).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Runtime);
    assert_eq!(failure.message, "TypeError: bad payload");
    assert!(failure.stack.is_some());
    assert_eq!(failure.logs[0].text, "about to fail");
    let thrown_string = r#"class Script { run() { throw 'plain'; } }"#;
    let failure = engine
        .call(call("d2", "1", thrown_string, "run", json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.message, "plain");
}

#[tokio::test]
async fn an_endless_loop_is_stopped_and_the_worker_goes_on() {
    let engine = Engine::new(
        1,
        Limits {
            cpu_time: Duration::from_millis(300),
            ..Limits::default()
        },
    )
    .unwrap();
    let source = "class Script { run() { for (;;) {} } }";
    let started = Instant::now();
    let failure = engine.call(call("e", "1", source, "run", json!({}))).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout, "{failure:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "stopped");
    // Looping in the constructor is stopped too.
    let failure = engine
        .call(call(
            "e2",
            "1",
            "class Script { constructor() { while (true) {} } }",
            "run",
            json!({}),
        ))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout);
    // try/catch cannot swallow the interruption.
    let catching = "class Script { run() { for (;;) { try { for (;;) {} } catch (e) {} } } }";
    let failure = engine
        .call(call("e3", "1", catching, "run", json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::Timeout);
    let fine = engine.call(call("f", "1", ECHO, "nothing", json!({}))).await.unwrap();
    assert_eq!(fine.value, None, "the same worker still serves");
}

#[tokio::test]
async fn unbounded_allocation_is_stopped() {
    let engine = Engine::new(1, Limits::default()).unwrap();
    let arrays = "class Script { run() { const a = []; for (;;) { a.push(new Array(1000).fill('x' + a.length)); } } }";
    let failure = engine.call(call("g", "1", arrays, "run", json!({}))).await.unwrap_err();
    assert_eq!(failure.kind, FailureKind::Memory, "{failure:?}");
    let strings = "class Script { run() { let s = 'x'; for (;;) { s = s + s; } } }";
    let failure = engine
        .call(call("g2", "1", strings, "run", json!({})))
        .await
        .unwrap_err();
    assert!(
        matches!(failure.kind, FailureKind::Memory | FailureKind::Runtime),
        "{failure:?}"
    );
    let recursion = "class Script { run() { const f = (n) => f(n + 1) + 1; return f(0); } }";
    let failure = engine
        .call(call("g3", "1", recursion, "run", json!({})))
        .await
        .unwrap_err();
    assert_eq!(
        failure.message, "RangeError: Maximum call stack size exceeded",
        "{failure:?}"
    );
    let fine = engine.call(call("g4", "1", ECHO, "nothing", json!({}))).await.unwrap();
    assert_eq!(fine.value, None);
    // The runaway instance was dropped; the next call starts afresh.
    let again = engine.call(call("g", "1", arrays, "run", json!({}))).await.unwrap_err();
    assert_eq!(again.kind, FailureKind::Memory);
}

#[tokio::test]
async fn the_store_is_what_the_caller_loads_and_writes_are_reported() {
    let engine = engine();
    let source = r#"class Script { run() {
        const n = (Store.get('count') || 0) + 1;
        Store.set('count', n);
        Store.set('last', { n });
        return { n, again: Store.get('count') };
    } }"#;
    let mut first = call("h", "1", source, "run", json!({}));
    first.store.insert("count".into(), json!(41));
    let outcome = engine.call(first).await.unwrap();
    assert_eq!(outcome.value, Some(json!({"n": 42, "again": 42})));
    assert_eq!(
        outcome.store_writes,
        vec![("count".into(), json!(42)), ("last".into(), json!({"n": 42}))]
    );
    let outcome = engine.call(call("h", "1", source, "run", json!({}))).await.unwrap();
    assert_eq!(
        outcome.value,
        Some(json!({"n": 1, "again": 1})),
        "only what the caller loads"
    );
}

#[tokio::test]
async fn nothing_outside_the_language() {
    let engine = engine();
    let source = r#"class Script { run() {
        return [typeof require, typeof process, typeof fetch, typeof std, typeof os,
                typeof globalThis.__chathooks_host, typeof XMLHttpRequest];
    } }"#;
    let outcome = engine.call(call("i", "1", source, "run", json!({}))).await.unwrap();
    assert_eq!(outcome.value, Some(json!(vec!["undefined"; 7])));
}
