//! How long other scripts wait behind a runaway one: three calls of a script
//! that loops until its CPU limit stops it, then one call each of eight
//! other scripts, sent right after; prints how long each of those took.
//!
//! `cargo run -p chathooks-script --example runaway`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chathooks_script::{Call, Config, Engine};
use serde_json::json;

const LOOPING: &str = "class Script { run() { for (;;) {} } }";
const QUICK: &str = "class Script { run() { return 1; } }";

fn call(key: &str, source: &str) -> Call {
    Call {
        key: key.into(),
        version: "1".into(),
        source: Arc::from(source),
        method: "run".into(),
        argument: json!({}),
        store: HashMap::new(),
    }
}

#[tokio::main]
async fn main() {
    let engine = Arc::new(Engine::new(Config::default()).expect("engine starts"));
    // Every quick script instantiated once, as they would be in a running server.
    for n in 0..8 {
        engine.call(call(&format!("quick-{n}"), QUICK)).await.expect("runs");
    }
    let started = Instant::now();
    let mut runaways = Vec::new();
    for _ in 0..3 {
        let engine = engine.clone();
        runaways.push(tokio::spawn(async move { engine.call(call("runaway", LOOPING)).await }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut quick = Vec::new();
    for n in 0..8 {
        let engine = engine.clone();
        quick.push(tokio::spawn(async move {
            let sent = Instant::now();
            engine.call(call(&format!("quick-{n}"), QUICK)).await.expect("runs");
            sent.elapsed()
        }));
    }
    let mut waits = Vec::new();
    for handle in quick {
        waits.push(handle.await.expect("joins"));
    }
    for handle in runaways {
        let failure = handle.await.expect("joins").expect_err("stopped");
        println!("runaway call ended after {:?}: {}", started.elapsed(), failure.message);
    }
    waits.sort();
    println!("other scripts' calls took: {waits:?}");
    println!("longest: {:?}", waits.last().expect("some"));
}
