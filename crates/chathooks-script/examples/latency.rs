//! How long a script call takes: the first (instantiating) and cached ones.
//!
//! `cargo run --release -p chathooks-script --example latency`

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chathooks_script::{Call, Config, Engine};
use serde_json::json;

const SCRIPT: &str = r#"
class Script {
  process_incoming_request({ request }) {
    const push = request.content;
    return { content: {
      text: `${push.pusher.name} pushed ${push.commits.length} commit(s)`,
      attachments: push.commits.map((c) => ({ title: c.id.substring(0, 7), text: c.message })),
    } };
  }
}
"#;

#[tokio::main]
async fn main() {
    let engine = Engine::new(Config {
        threads: 1,
        ..Config::default()
    })
    .expect("engine starts");
    let argument = json!({"request": {"content": {
        "pusher": {"name": "carol"},
        "commits": [{"id": "0123456789", "message": "one"}, {"id": "abcdef0123", "message": "two"}],
    }}});
    let call = |version: String| Call {
        key: "bench".into(),
        version,
        source: Arc::from(SCRIPT),
        method: "process_incoming_request".into(),
        argument: argument.clone(),
        store: HashMap::new(),
    };
    let rounds = 200u32;
    let mut uncached = Duration::ZERO;
    for n in 0..rounds {
        let started = Instant::now();
        let outcome = engine.call(call(format!("v{n}"))).await.expect("runs");
        assert!(outcome.instantiated);
        uncached += started.elapsed();
    }
    let mut cached = Duration::ZERO;
    for _ in 0..rounds {
        let started = Instant::now();
        let outcome = engine.call(call("cached".into())).await.expect("runs");
        cached += started.elapsed();
        let _ = outcome;
    }
    println!(
        "uncached (new runtime + instantiate + call): {:?} per call",
        uncached / rounds
    );
    println!(
        "cached (call only):                          {:?} per call",
        cached / rounds
    );
}
