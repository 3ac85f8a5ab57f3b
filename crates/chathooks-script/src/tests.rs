use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

fn engine() -> Engine {
    Engine::new(Config::default()).unwrap()
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
    let engine = Engine::new(Config {
        threads: 1,
        limits: Limits {
            cpu_time: Duration::from_millis(300),
            ..Limits::default()
        },
        ..Config::default()
    })
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
    let engine = Engine::new(Config {
        threads: 1,
        ..Config::default()
    })
    .unwrap();
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

/// CPU limits (measured in wall time): for scripts that loop, and for those
/// that must not be stopped even on a loaded machine.
const SHORT: Duration = Duration::from_millis(300);
const ENOUGH: Duration = Duration::from_secs(10);

/// An engine with one worker and small store limits. The CPU limit is
/// measured in wall time: only tests of looping scripts make it short.
fn small_engine(cpu_time: Duration, config: Config) -> Engine {
    Engine::new(Config {
        threads: 1,
        limits: Limits {
            cpu_time,
            store_write_bytes: 1000,
            store_bytes: 2000,
            ..Limits::default()
        },
        ..config
    })
    .unwrap()
}

#[tokio::test]
async fn store_writes_are_limited_per_call_and_the_script_can_catch_it() {
    let engine = small_engine(ENOUGH, Config::default());
    // Each write is 1 + 602 bytes (key, and the value as JSON): the second
    // would pass the 1000 bytes one call may write.
    let catching = r#"class Script { run() {
        Store.set('a', 'x'.repeat(600));
        try { Store.set('b', 'y'.repeat(600)); } catch (e) { return { caught: String(e), b: Store.get('b') }; }
        return 'not refused';
    } }"#;
    let outcome = engine.call(call("s1", "1", catching, "run", json!({}))).await.unwrap();
    let caught = outcome.value.as_ref().unwrap()["caught"].as_str().unwrap();
    assert_eq!(
        caught,
        "RangeError: Store.set refused: a call may write at most 1000 bytes to the store, and this write would make it 1206"
    );
    assert_eq!(
        outcome.value.as_ref().unwrap().get("b"),
        None,
        "the refused value was not written"
    );
    assert_eq!(outcome.store_writes.len(), 1, "only the first write is kept");
    // The next call has its own allowance.
    let small = r#"class Script { run() { Store.set('c', 1); return Store.get('c'); } }"#;
    let outcome = engine.call(call("s1", "2", small, "run", json!({}))).await.unwrap();
    assert_eq!(outcome.value, Some(json!(1)));
    // Not caught, it fails the call as any error the script throws.
    let uncaught = r#"class Script { run() { for (let n = 0; ; n++) Store.set('k' + n, 'z'.repeat(100)); } }"#;
    let failure = engine
        .call(call("s2", "1", uncaught, "run", json!({})))
        .await
        .unwrap_err();
    assert_eq!(failure.kind, FailureKind::Runtime, "{failure:?}");
    assert!(
        failure.message.starts_with("RangeError: Store.set refused"),
        "{failure:?}"
    );
    assert_eq!(failure.store_writes.len(), 9, "the writes within the limit are kept");
    // The constructor's writes count with the first call's.
    let constructor = r#"class Script {
        constructor() { Store.set('a', 'x'.repeat(600)); }
        run() { Store.set('b', 'y'.repeat(600)); }
    }"#;
    let failure = engine
        .call(call("s3", "1", constructor, "run", json!({})))
        .await
        .unwrap_err();
    assert!(
        failure.message.starts_with("RangeError: Store.set refused"),
        "{failure:?}"
    );
}

#[tokio::test]
async fn the_store_is_limited_in_all_with_what_was_loaded() {
    let engine = small_engine(ENOUGH, Config::default());
    let source = r#"class Script { run({ key, size }) {
        try { Store.set(key, 'x'.repeat(size)); return Store.get(key).length; } catch (e) { return String(e); }
    } }"#;
    let mut loaded = HashMap::new();
    loaded.insert("big".to_owned(), json!("b".repeat(1500)));
    let mut grow = call("t", "1", source, "run", json!({"key": "more", "size": 600}));
    grow.store = loaded.clone();
    let outcome = engine.call(grow).await.unwrap();
    assert_eq!(
        outcome.value,
        Some(json!(
            "RangeError: Store.set refused: the store may hold at most 2000 bytes, and this write would make it 2111"
        ))
    );
    assert!(outcome.store_writes.is_empty());
    // Replacing a value with a smaller one is allowed, even over the limit.
    loaded.insert("big".to_owned(), json!("b".repeat(2500)));
    let mut shrink = call("t", "1", source, "run", json!({"key": "big", "size": 10}));
    shrink.store = loaded;
    let outcome = engine.call(shrink).await.unwrap();
    assert_eq!(outcome.value, Some(json!(10)));
    assert_eq!(outcome.store_writes, vec![("big".into(), json!("x".repeat(10)))]);
}

#[tokio::test]
async fn instances_over_the_cache_budget_are_not_kept() {
    let kept = small_engine(ENOUGH, Config::default());
    let none = small_engine(
        ENOUGH,
        Config {
            cache_bytes: 0,
            ..Config::default()
        },
    );
    for engine in [&kept, &none] {
        let first = engine.call(call("u", "1", ECHO, "nothing", json!({}))).await.unwrap();
        assert!(first.instantiated);
    }
    let again = kept.call(call("u", "1", ECHO, "nothing", json!({}))).await.unwrap();
    assert!(!again.instantiated, "kept within the budget");
    let again = none.call(call("u", "1", ECHO, "nothing", json!({}))).await.unwrap();
    assert!(again.instantiated, "a budget of nothing keeps nothing");
}

const LOOPING: &str = "class Script { run() { for (;;) {} } }";

/// A call sent to the engine (queued, or refused at once), to be awaited later.
enum Sent<'a> {
    Answered(Result<Outcome, Failure>),
    Waiting(std::pin::Pin<Box<dyn Future<Output = Result<Outcome, Failure>> + 'a>>),
}

/// Send `call`: its first poll queues it (the engine queues before it awaits).
fn send(engine: &Engine, call: Call) -> Sent<'_> {
    let mut future = Box::pin(engine.call(call));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(result) => Sent::Answered(result),
        std::task::Poll::Pending => Sent::Waiting(future),
    }
}

async fn answer(sent: Sent<'_>) -> Result<Outcome, Failure> {
    match sent {
        Sent::Answered(result) => result,
        Sent::Waiting(future) => future.await,
    }
}

/// Queue one call of the looping script under each of `keys` while the
/// worker is held, then let it run them all; their results in order.
async fn flood(engine: &Engine, keys: &[&str]) -> Vec<Result<Outcome, Failure>> {
    engine.hold(true);
    let sent: Vec<_> = keys
        .iter()
        .map(|key| send(engine, call(key, "1", LOOPING, "run", json!({}))))
        .collect();
    engine.hold(false);
    let mut results = Vec::new();
    for sent in sent {
        results.push(answer(sent).await);
    }
    results
}

#[tokio::test]
async fn a_runaway_script_delays_others_by_one_call_only() {
    let engine = small_engine(SHORT, Config::default());
    // Three calls of a looping script, then one of a quick one, all queued
    // on the one worker before it takes the first.
    engine.hold(true);
    let sent: Vec<_> = [
        ("runaway", LOOPING),
        ("runaway", LOOPING),
        ("runaway", LOOPING),
        ("quick", ECHO),
    ]
    .into_iter()
    .map(|(key, source)| send(&engine, call(key, "1", source, "nothing", json!({}))))
    .collect();
    engine.hold(false);
    for sent in sent {
        let _ = answer(sent).await;
    }
    assert_eq!(
        engine.served(),
        ["runaway", "quick", "runaway", "runaway"],
        "the quick script's turn comes after the running call, not after the runaway's backlog"
    );
}

#[tokio::test]
async fn a_full_queue_answers_busy_at_once() {
    let kinds = |results: &[Result<Outcome, Failure>]| -> Vec<FailureKind> {
        results.iter().map(|r| r.as_ref().unwrap_err().kind).collect()
    };
    // Two calls may wait per script.
    let engine = small_engine(
        SHORT,
        Config {
            queue_per_script: 2,
            ..Config::default()
        },
    );
    let results = flood(&engine, &["v", "v", "v", "v"]).await;
    use FailureKind::{Busy, Timeout};
    assert_eq!(kinds(&results), [Timeout, Timeout, Busy, Busy]);
    assert_eq!(
        results[3].as_ref().unwrap_err().message,
        "the script engine is busy: 2 calls of this script are already waiting"
    );
    // And two in all, whatever the scripts.
    let engine = small_engine(
        SHORT,
        Config {
            queue_total: 2,
            ..Config::default()
        },
    );
    let results = flood(&engine, &["w1", "w2", "w3", "w4"]).await;
    assert_eq!(kinds(&results), [Timeout, Timeout, Busy, Busy]);
    assert_eq!(
        results[3].as_ref().unwrap_err().message,
        "the script engine is busy: 2 calls are already waiting"
    );
}

#[tokio::test]
async fn a_call_whose_caller_went_away_is_not_run() {
    let engine = small_engine(ENOUGH, Config::default());
    engine.hold(true);
    let given_up = send(&engine, call("x", "1", ECHO, "nothing", json!({})));
    assert!(matches!(given_up, Sent::Waiting(_)));
    drop(given_up);
    engine.hold(false);
    // Served after it in the same queue: had it run, this call would find
    // the instance it made.
    let outcome = engine.call(call("x", "1", ECHO, "nothing", json!({}))).await.unwrap();
    assert!(outcome.instantiated, "the call given up did not run");
    assert_eq!(engine.served(), ["x", "x"]);
}
