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
//!   instantiates it again). `Store.set` is limited in the bytes one step
//!   writes and in the bytes the whole store holds: past either it throws a
//!   `RangeError` the script can catch, and the value is not written.
//! - **Threads.** Scripts run on the engine's own threads, never on the
//!   async runtime's: [`Engine::call`] sends the call to a worker and awaits
//!   its answer. Calls for one key always go to the same worker, so each
//!   script is instantiated once per process. A panic while running a script
//!   is caught; the worker drops that instance and goes on.
//! - **Turns** ([`Config::queue_per_script`], [`Config::queue_total`]). A
//!   worker keeps one queue per key and serves the keys in turn, one call
//!   each, so a script that runs to its CPU limit call after call delays the
//!   others on its worker by at most one call's limit, not by its whole
//!   backlog. Queues are bounded: a call that finds its key's queue, or the
//!   engine's, full fails at once with [`FailureKind::Busy`].
//! - **Cache** ([`Config::cache_bytes`]). Instances are kept while their
//!   runtimes' heaps fit in a byte budget; past it the least recently used
//!   are dropped (and instantiated again when next called).

mod queue;
mod worker;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

/// What a script may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest heap of one script's runtime, in bytes (8 MiB, Rocket.Chat's).
    pub memory_bytes: usize,
    /// Longest time one step (instantiating, or one call) may run (3 s,
    /// Rocket.Chat's).
    pub cpu_time: Duration,
    /// Most bytes `Store.set` may write in one step (keys and values as
    /// JSON, every write counted): 1 MiB. Writes are held outside the
    /// script's heap and stored after the call, so its memory limit does not
    /// bound them.
    pub store_write_bytes: usize,
    /// Most bytes one script's store may hold (keys and values as JSON): what
    /// the caller loaded with this step's writes applied: 4 MiB. A write that
    /// shrinks the store is always allowed.
    pub store_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 8 * 1024 * 1024,
            cpu_time: Duration::from_secs(3),
            store_write_bytes: 1024 * 1024,
            store_bytes: 4 * 1024 * 1024,
        }
    }
}

/// How the engine runs scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Worker threads (at least one): 2.
    pub threads: usize,
    /// What each script may use.
    pub limits: Limits,
    /// Most bytes the cached instances may hold, all workers together (each
    /// instance counted by its QuickJS runtime's heap): 256 MiB. Past it the
    /// least recently used instances are dropped.
    pub cache_bytes: usize,
    /// Most calls of one script waiting for their turn: 64, the delivery
    /// engine's calls in flight, so a burst of deliveries for one outgoing
    /// integration still fits.
    pub queue_per_script: usize,
    /// Most calls waiting in the whole engine: 1024.
    pub queue_total: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            threads: 2,
            limits: Limits::default(),
            cache_bytes: 256 * 1024 * 1024,
            queue_per_script: 64,
            queue_total: 1024,
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
    /// Too many calls were waiting already (for this script, or in all):
    /// nothing ran.
    Busy,
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
            FailureKind::Busy => "busy",
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

/// The queue that compile checks wait in, beside the keys' (no key can be
/// empty: it is an integration's id).
const CHECKS: &str = "";

/// The engine: a few worker threads, each with the instances of the keys
/// routed to it. Cheap to share behind an `Arc`; dropping it stops the
/// workers once their queues are empty.
pub struct Engine {
    workers: Vec<Arc<queue::Queue>>,
    config: Config,
}

impl Engine {
    /// Start `config.threads` workers (at least one).
    pub fn new(config: Config) -> std::io::Result<Self> {
        let threads = config.threads.max(1);
        // Calls waiting in all workers' queues, for `queue_total`.
        let waiting = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for n in 0..threads {
            let queue = Arc::new(queue::Queue::new(Arc::clone(&waiting)));
            let served = Arc::clone(&queue);
            let budget = config.cache_bytes / threads;
            let limits = config.limits;
            let spawned = std::thread::Builder::new()
                .name(format!("script-{n}"))
                // QuickJS's own stack limit (worker::STACK_LIMIT) stays well inside this.
                .stack_size(8 * 1024 * 1024)
                .spawn(move || worker::run(&served, limits, budget));
            if let Err(error) = spawned {
                queue.close();
                workers.iter().for_each(|w: &Arc<queue::Queue>| w.close());
                return Err(error);
            }
            workers.push(queue);
        }
        Ok(Self { workers, config })
    }

    pub fn limits(&self) -> Limits {
        self.config.limits
    }

    pub fn config(&self) -> Config {
        self.config
    }

    fn worker(&self, key: &str) -> &queue::Queue {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut hasher);
        let n = usize::try_from(hasher.finish() % self.workers.len() as u64).unwrap_or(0);
        &self.workers[n]
    }

    /// Queue `job` in `lane` of the worker `route` picks, within the limits.
    fn send(&self, route: &str, lane: &str, job: Job) -> Result<(), Failure> {
        // A call always waits a moment before a worker takes it: room for one at least.
        let caps = queue::Caps {
            lane: self.config.queue_per_script.max(1),
            total: self.config.queue_total.max(1),
        };
        self.worker(route)
            .push(lane, job, Some(caps))
            .map_err(|refusal| match refusal {
                queue::Refusal::Closed => unavailable(),
                queue::Refusal::Lane => Failure::new(
                    FailureKind::Busy,
                    format!(
                        "the script engine is busy: {} calls of this script are already waiting",
                        caps.lane
                    ),
                ),
                queue::Refusal::Total => Failure::new(
                    FailureKind::Busy,
                    format!("the script engine is busy: {} calls are already waiting", caps.total),
                ),
            })
    }

    /// Call `call.method` on the key's instance, instantiating it first if it
    /// is not cached or its version changed. Fails with [`FailureKind::Busy`]
    /// at once when the queues are full.
    pub async fn call(&self, call: Call) -> Result<Outcome, Failure> {
        let (answer, answered) = oneshot::channel();
        let key = call.key.clone();
        self.send(&key, &key, Job::Call(Box::new(call), answer))?;
        answered.await.unwrap_or_else(|_| Err(unavailable()))
    }

    /// Whether `source` compiles (nothing in it runs).
    pub async fn check(&self, source: &str) -> Result<(), Failure> {
        let (answer, answered) = oneshot::channel();
        self.send(source, CHECKS, Job::Check(source.to_owned(), answer))?;
        answered.await.unwrap_or_else(|_| Err(unavailable()))
    }

    /// Drop the key's instance, if any (its integration was removed). Runs
    /// after the calls already waiting for it, whatever the limits.
    pub fn forget(&self, key: &str) {
        let _ = self.worker(key).push(key, Job::Forget(key.to_owned()), None);
    }
}

#[cfg(test)]
impl Engine {
    /// Hold or release every worker (see `queue::Queue::hold`).
    fn hold(&self, held: bool) {
        self.workers.iter().for_each(|worker| worker.hold(held));
    }

    /// The keys served so far by the first worker, in order.
    fn served(&self) -> Vec<String> {
        self.workers[0].served()
    }
}

impl Drop for Engine {
    /// The workers finish what is queued, then stop.
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.close();
        }
    }
}

fn unavailable() -> Failure {
    Failure::new(FailureKind::Unavailable, "the script engine is not running")
}

#[cfg(test)]
mod tests;
