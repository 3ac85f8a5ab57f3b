//! A sandboxed JavaScript engine for integration scripts.
//!
//! A script defines `class Script`; the engine instantiates it once per
//! cache key (an integration) and keeps the instance until the key's
//! version changes, then calls its methods with JSON arguments and gives
//! back their JSON results. It knows nothing of any chat API: the dialect
//! that uses it decides what the methods are called with and what their
//! results mean.
//!
//! - **Sandbox.** Each instance has its own QuickJS runtime. Scripts see the
//!   language's own globals, `console` (`log`, `info`, `warn`, `error`,
//!   `debug`: captured, returned with the call's outcome) and `Store`
//!   (`get`, `set`: a key-value map the caller loads before the call and
//!   persists after it, from [`Outcome::store_writes`]). QuickJS has no
//!   network, file system or process access of its own, and none is added.
//! - **Limits** ([`Limits`]). A memory limit per runtime (QuickJS's own
//!   allocator accounting) and a CPU-time limit per step (instantiating, or
//!   one call), enforced by the interpreter's interrupt handler. A script
//!   that exceeds either fails with [`FailureKind::Memory`] or
//!   [`FailureKind::Timeout`], and its instance is dropped (the next call
//!   instantiates it again).
//! - **Threads.** Scripts run on the engine's own threads, never on the
//!   async runtime's: [`Engine::call`] sends the call to a worker and awaits
//!   its answer. Calls for one key always go to the same worker, so each
//!   script is instantiated once per process. A panic while running a script
//!   is caught; the worker drops that instance and goes on.

mod worker;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

/// What a script may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest heap of one script's runtime, in bytes.
    pub memory_bytes: usize,
    /// Longest time one step (instantiating, or one call) may run.
    pub cpu_time: Duration,
}

impl Default for Limits {
    /// Rocket.Chat's: 8 MB and 3 s.
    fn default() -> Self {
        Self {
            memory_bytes: 8 * 1024 * 1024,
            cpu_time: Duration::from_secs(3),
        }
    }
}

/// One call of a script's method.
#[derive(Debug, Clone)]
pub struct Call {
    /// Whose instance this is (an integration's id).
    pub key: String,
    /// Changes when the script must be instantiated again (the integration
    /// was updated).
    pub version: String,
    pub source: Arc<str>,
    /// The method of the `Script` instance to call.
    pub method: String,
    /// Its one argument.
    pub argument: Value,
    /// What `Store.get` finds.
    pub store: HashMap<String, Value>,
}

/// One line a script wrote with `console`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// `log`, `info`, `warn`, `error` or `debug`.
    pub level: String,
    pub text: String,
}

/// What a call gave back.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The method's result as JSON; `None` when it returned `undefined`.
    pub value: Option<Value>,
    /// The instance has no such method (nothing was called).
    pub missing_method: bool,
    pub logs: Vec<LogLine>,
    /// `Store.set` calls, in order.
    pub store_writes: Vec<(String, Value)>,
    /// This call instantiated the script (it was not cached).
    pub instantiated: bool,
}

/// Why a script failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The script does not compile, or defines no `class Script`.
    Compile,
    /// It threw (while instantiating or in the method).
    Runtime,
    /// It ran out of CPU time.
    Timeout,
    /// It ran out of memory (or overflowed its stack).
    Memory,
    /// The engine could not run it (a worker is gone).
    Unavailable,
}

impl FailureKind {
    /// A short name, for logs and histories.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Compile => "compile",
            FailureKind::Runtime => "runtime",
            FailureKind::Timeout => "timeout",
            FailureKind::Memory => "memory",
            FailureKind::Unavailable => "unavailable",
        }
    }
}

/// A failed call or check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub kind: FailureKind,
    /// `Name: message` of the error the script threw, or what the limit was.
    pub message: String,
    /// The script's stack trace, when there is one.
    pub stack: Option<String>,
    /// What the script logged before failing.
    pub logs: Vec<LogLine>,
    /// `Store.set` calls made before failing (they are kept, as on Rocket.Chat).
    pub store_writes: Vec<(String, Value)>,
}

impl Failure {
    fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            stack: None,
            logs: Vec::new(),
            store_writes: Vec::new(),
        }
    }
}

enum Job {
    Call(Box<Call>, oneshot::Sender<Result<Outcome, Failure>>),
    Check(String, oneshot::Sender<Result<(), Failure>>),
    Forget(String),
}

/// The engine: a few worker threads, each with the instances of the keys
/// routed to it. Cheap to share behind an `Arc`; dropping it stops the
/// workers once their queues are empty.
pub struct Engine {
    workers: Vec<mpsc::Sender<Job>>,
    limits: Limits,
}

impl Engine {
    /// Start `threads` workers (at least one).
    pub fn new(threads: usize, limits: Limits) -> std::io::Result<Self> {
        let mut workers = Vec::new();
        for n in 0..threads.max(1) {
            let (sender, receiver) = mpsc::channel();
            std::thread::Builder::new()
                .name(format!("script-{n}"))
                // QuickJS's own stack limit (worker::STACK_LIMIT) stays well inside this.
                .stack_size(8 * 1024 * 1024)
                .spawn(move || worker::run(receiver, limits))?;
            workers.push(sender);
        }
        Ok(Self { workers, limits })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn worker(&self, key: &str) -> &mpsc::Sender<Job> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let n = usize::try_from(hasher.finish() % self.workers.len() as u64).unwrap_or(0);
        &self.workers[n]
    }

    /// Call `call.method` on the key's instance, instantiating it first if it
    /// is not cached or its version changed.
    pub async fn call(&self, call: Call) -> Result<Outcome, Failure> {
        let (answer, answered) = oneshot::channel();
        let worker = self.worker(&call.key);
        if worker.send(Job::Call(Box::new(call), answer)).is_err() {
            return Err(unavailable());
        }
        answered.await.unwrap_or_else(|_| Err(unavailable()))
    }

    /// Whether `source` compiles (nothing in it runs).
    pub async fn check(&self, source: &str) -> Result<(), Failure> {
        let (answer, answered) = oneshot::channel();
        if self.worker(source).send(Job::Check(source.to_owned(), answer)).is_err() {
            return Err(unavailable());
        }
        answered.await.unwrap_or_else(|_| Err(unavailable()))
    }

    /// Drop the key's instance, if any (its integration was removed).
    pub fn forget(&self, key: &str) {
        let _ = self.worker(key).send(Job::Forget(key.to_owned()));
    }
}

fn unavailable() -> Failure {
    Failure::new(FailureKind::Unavailable, "the script engine is not running")
}

#[cfg(test)]
mod tests;
