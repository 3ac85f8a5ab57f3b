//! One worker thread: its instances, and running calls on them.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::Instant;

use rquickjs::context::EvalOptions;
use rquickjs::{Context, Ctx, Function, Object, Persistent, Runtime, Value as JsValue};
use serde_json::Value;

use crate::queue::Queue;
use crate::{Call, Failure, FailureKind, Job, Limits, LogLine, Outcome};

/// QuickJS's stack limit; the worker threads have 8 MiB.
const STACK_LIMIT: usize = 1024 * 1024;
/// Console lines kept per call, and bytes per line.
const MAX_LOG_LINES: usize = 200;
const MAX_LOG_LINE_BYTES: usize = 4096;

/// The sandbox's globals and the driver the worker calls through. The host
/// functions are taken out of the global object at once, so the script
/// cannot reach them except through `console` and `Store`.
const PRELUDE: &str = r#"(() => {
  const host = globalThis.__chathooks_host;
  delete globalThis.__chathooks_host;
  const show = (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) return String(value.stack ? `${value}\n${value.stack}` : value);
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (e) {
      return String(value);
    }
  };
  const writer = (level) => (...args) => { host.log(level, args.map(show).join(' ')); };
  globalThis.console = Object.freeze({
    log: writer('log'), info: writer('info'), warn: writer('warn'),
    error: writer('error'), debug: writer('debug'),
  });
  globalThis.Store = Object.freeze({
    get(key) {
      const json = host.get(String(key));
      return json === undefined ? undefined : JSON.parse(json);
    },
    set(key, value) {
      const json = JSON.stringify(value);
      const refused = host.set(String(key), json === undefined ? 'null' : json);
      if (refused !== undefined) throw new RangeError(refused);
      return value;
    },
  });
  let instance = null;
  return Object.freeze({
    check(source) { new Function(source); },
    instantiate(ScriptClass) {
      if (typeof ScriptClass !== 'function') throw new Error('class Script not found');
      instance = new ScriptClass();
    },
    call(method, argument) {
      const fn = instance[method];
      if (typeof fn !== 'function') return '{"missing":true}';
      const result = fn.call(instance, JSON.parse(argument));
      if (result === undefined) return '{}';
      return JSON.stringify({ value: result });
    },
  });
})()"#;

/// What the host functions of one instance share with the worker.
#[derive(Default)]
struct Shared {
    deadline: Cell<Option<Instant>>,
    interrupted: Cell<bool>,
    logs: RefCell<Vec<LogLine>>,
    store: RefCell<HashMap<String, Value>>,
    /// The size of `store` (see [`entry_bytes`]).
    store_bytes: Cell<usize>,
    writes: RefCell<Vec<(String, Value)>>,
    /// The bytes of `writes` (see [`entry_bytes`]).
    written: Cell<usize>,
}

/// What a store entry counts for against the limits: its key and its value
/// as JSON, as they are stored.
fn entry_bytes(key: &str, json_len: usize) -> usize {
    key.len() + json_len
}

impl Shared {
    /// What `Store.get` finds from now on: the store the caller loaded.
    fn load_store(&self, store: HashMap<String, Value>) {
        let bytes = store
            .iter()
            .map(|(key, value)| entry_bytes(key, value.to_string().len()))
            .sum();
        self.store.replace(store);
        self.store_bytes.set(bytes);
    }

    fn clear_store(&self) {
        self.store.borrow_mut().clear();
        self.store_bytes.set(0);
    }

    /// `Store.set(key, json)`: written, or why not (the script throws it).
    fn store_set(&self, limits: &Limits, key: String, json: &str) -> Option<String> {
        let value: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        // Measured as it is stored (and as loaded entries are), not as the
        // script spelled it: `1e+21` is stored as `1e21`.
        let bytes = entry_bytes(&key, value.to_string().len());
        let written = self.written.get().saturating_add(bytes);
        if written > limits.store_write_bytes {
            return Some(format!(
                "Store.set refused: a call may write at most {} bytes to the store, and this write would make it {written}",
                limits.store_write_bytes
            ));
        }
        let mut store = self.store.borrow_mut();
        let replaced = store
            .get(&key)
            .map_or(0, |old| entry_bytes(&key, old.to_string().len()));
        let total = self.store_bytes.get().saturating_sub(replaced) + bytes;
        if bytes > replaced && total > limits.store_bytes {
            return Some(format!(
                "Store.set refused: the store may hold at most {} bytes, and this write would make it {total}",
                limits.store_bytes
            ));
        }
        store.insert(key.clone(), value.clone());
        self.store_bytes.set(total);
        self.written.set(written);
        self.writes.borrow_mut().push((key, value));
        None
    }

    fn start(&self, limits: &Limits) {
        self.interrupted.set(false);
        self.deadline.set(Some(Instant::now() + limits.cpu_time));
    }

    fn stop(&self) {
        self.deadline.set(None);
    }

    fn take_logs(&self) -> Vec<LogLine> {
        std::mem::take(&mut self.logs.borrow_mut())
    }

    fn take_writes(&self) -> Vec<(String, Value)> {
        self.written.set(0);
        std::mem::take(&mut self.writes.borrow_mut())
    }

    /// Writes taken out while a step's outcome was settled, given back to
    /// be reported (and counted) with the next step's.
    fn restore_writes(&self, writes: Vec<(String, Value)>) {
        let bytes = writes
            .iter()
            .map(|(key, value)| entry_bytes(key, value.to_string().len()))
            .sum();
        self.written.set(bytes);
        self.writes.replace(writes);
    }
}

/// A context (which holds its runtime) with the driver inside. Fields drop in
/// order: the driver before the context.
struct Instance {
    version: String,
    driver: Persistent<Object<'static>>,
    context: Context,
    shared: Rc<Shared>,
}

impl Instance {
    /// The bytes its runtime holds (QuickJS's allocator accounting).
    fn heap_bytes(&self) -> usize {
        usize::try_from(self.context.runtime().memory_usage().malloc_size).unwrap_or(0)
    }
}

/// A worker's instances, kept while their heaps fit in `budget` bytes; past
/// it the least recently used go.
struct Cache {
    instances: HashMap<String, Cached>,
    budget: usize,
    /// The sum of the instances' `bytes`.
    bytes: usize,
    /// Advances on every use; an instance's `used` is its last.
    clock: u64,
}

struct Cached {
    instance: Instance,
    /// Its heap when it was last used.
    bytes: usize,
    used: u64,
}

impl Cache {
    fn new(budget: usize) -> Self {
        Self {
            instances: HashMap::new(),
            budget,
            bytes: 0,
            clock: 0,
        }
    }

    /// The key's instance, if it is cached at `version` (an older version is dropped).
    fn get(&mut self, key: &str, version: &str) -> Option<&Instance> {
        if self.instances.get(key).is_some_and(|c| c.instance.version != version) {
            self.remove(key);
        }
        self.clock += 1;
        let cached = self.instances.get_mut(key)?;
        cached.used = self.clock;
        Some(&cached.instance)
    }

    fn insert(&mut self, key: String, instance: Instance) {
        self.remove(&key);
        self.clock += 1;
        let cached = Cached {
            bytes: instance.heap_bytes(),
            instance,
            used: self.clock,
        };
        self.bytes += cached.bytes;
        self.instances.insert(key, cached);
    }

    fn remove(&mut self, key: &str) -> Option<Instance> {
        let cached = self.instances.remove(key)?;
        self.bytes -= cached.bytes;
        Some(cached.instance)
    }

    /// After a call of `key`: count its heap as it is now, then drop the
    /// least recently used instances (it last of all) while over budget.
    fn settle(&mut self, key: &str) {
        if let Some(cached) = self.instances.get_mut(key) {
            let bytes = cached.instance.heap_bytes();
            self.bytes = self.bytes - cached.bytes + bytes;
            cached.bytes = bytes;
        }
        while self.bytes > self.budget {
            let Some(oldest) = self
                .instances
                .iter()
                .min_by_key(|(_, cached)| cached.used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            tracing::debug!(key = %oldest, "script instance dropped from the cache (over its byte budget)");
            self.remove(&oldest);
        }
    }
}

pub(crate) fn run(queue: &Queue, limits: Limits, cache_bytes: usize) {
    let mut cache = Cache::new(cache_bytes);
    while let Some((lane, job)) = queue.next() {
        match job {
            // Its caller is gone (a request given up): nothing to run it for.
            Job::Call(_, answer) if answer.is_closed() => {}
            Job::Check(_, answer) if answer.is_closed() => {}
            Job::Call(call, answer) => {
                let key = call.key.clone();
                let result = catch_unwind(AssertUnwindSafe(|| call_script(&mut cache, *call, &limits)));
                let result = result.unwrap_or_else(|_| {
                    // The instance may be in any state: never touch it again
                    // (leaked, not dropped, as dropping could panic too).
                    if let Some(instance) = cache.remove(&key) {
                        std::mem::forget(instance);
                    }
                    Err(Failure::new(
                        FailureKind::Runtime,
                        "the script engine failed on this script",
                    ))
                });
                let _ = answer.send(result);
            }
            Job::Check(source, answer) => {
                let result = catch_unwind(AssertUnwindSafe(|| check(&source, &limits)))
                    .unwrap_or_else(|_| Err(Failure::new(FailureKind::Compile, "the script could not be checked")));
                let _ = answer.send(result);
            }
            Job::Forget(key) => {
                cache.remove(&key);
            }
        }
        queue.done(&lane);
    }
}

fn call_script(cache: &mut Cache, call: Call, limits: &Limits) -> Result<Outcome, Failure> {
    let cached = cache.get(&call.key, &call.version).is_some();
    if !cached {
        let instance = instantiate(&call.source, &call.version, limits, &call.store)?;
        cache.insert(call.key.clone(), instance);
    }
    let instance = cache.get(&call.key, &call.version).expect("just inserted");
    // A fresh instance has the store loaded already, with its constructor's writes.
    let result = invoke(instance, &call, limits, cached);
    if let Err(failure) = &result
        && matches!(failure.kind, FailureKind::Timeout | FailureKind::Memory)
    {
        // A runaway script's state is not worth keeping.
        cache.remove(&call.key);
    } else {
        cache.settle(&call.key);
    }
    result.map(|mut outcome| {
        outcome.instantiated = !cached;
        outcome
    })
}

/// A fresh runtime with the sandbox's limits and globals, and the driver.
fn sandbox(limits: &Limits) -> Result<(Runtime, Context, Rc<Shared>, Persistent<Object<'static>>), Failure> {
    let engine_error = |e: rquickjs::Error| Failure::new(FailureKind::Memory, format!("cannot start a script: {e}"));
    let runtime = Runtime::new().map_err(engine_error)?;
    runtime.set_memory_limit(limits.memory_bytes);
    runtime.set_max_stack_size(STACK_LIMIT);
    let shared = Rc::new(Shared::default());
    let watched = Rc::clone(&shared);
    runtime.set_interrupt_handler(Some(Box::new(move || {
        let over = watched
            .deadline
            .get()
            .is_some_and(|deadline| Instant::now() >= deadline);
        if over {
            watched.interrupted.set(true);
        }
        over
    })));
    let context = Context::full(&runtime).map_err(engine_error)?;
    shared.start(limits);
    let driver = context.with(|ctx| -> Result<Persistent<Object<'static>>, Failure> {
        install_host(&ctx, &shared, *limits).map_err(|e| failure_of(&ctx, &shared, e, limits))?;
        let driver: Object<'_> = ctx.eval(PRELUDE).map_err(|e| failure_of(&ctx, &shared, e, limits))?;
        Ok(Persistent::save(&ctx, driver))
    });
    shared.stop();
    let driver = settled(limits, driver)?;
    Ok((runtime, context, shared, driver))
}

fn install_host<'js>(ctx: &Ctx<'js>, shared: &Rc<Shared>, limits: Limits) -> rquickjs::Result<()> {
    let host = Object::new(ctx.clone())?;
    let logs = Rc::clone(shared);
    host.set(
        "log",
        Function::new(ctx.clone(), move |level: String, text: String| {
            let mut lines = logs.logs.borrow_mut();
            if lines.len() < MAX_LOG_LINES {
                lines.push(LogLine {
                    level,
                    text: truncate(text, MAX_LOG_LINE_BYTES),
                });
            }
        })?,
    )?;
    let store = Rc::clone(shared);
    host.set(
        "get",
        Function::new(ctx.clone(), move |key: String| -> Option<String> {
            store.store.borrow().get(&key).map(Value::to_string)
        })?,
    )?;
    let store = Rc::clone(shared);
    host.set(
        "set",
        Function::new(ctx.clone(), move |key: String, json: String| -> Option<String> {
            store.store_set(&limits, key, &json)
        })?,
    )?;
    ctx.globals().set("__chathooks_host", host)
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// A new instance of the script, its constructor run with `store` loaded
/// (which the instance keeps for the first call).
fn instantiate(
    source: &str,
    version: &str,
    limits: &Limits,
    store: &HashMap<String, Value>,
) -> Result<Instance, Failure> {
    let (_runtime, context, shared, driver) = sandbox(limits)?;
    shared.load_store(store.clone());
    shared.start(limits);
    let result = context.with(|ctx| -> Result<(), Failure> {
        let fail = |e| failure_of(&ctx, &shared, e, limits);
        let driver = driver.clone().restore(&ctx).map_err(fail)?;
        let mut options = EvalOptions::default();
        options.strict = false;
        options.filename = Some("script.js".into());
        let class: JsValue<'_> = ctx
            .eval_with_options(
                format!("{source}\n;typeof Script === 'undefined' ? undefined : Script"),
                options,
            )
            .map_err(fail)?;
        let instantiate: Function<'_> = driver.get("instantiate").map_err(fail)?;
        instantiate.call::<_, ()>((class,)).map_err(fail)
    });
    shared.stop();
    let result = settled(limits, result);
    let logs = shared.take_logs();
    let writes = shared.take_writes();
    match result {
        Ok(()) => {
            // Instantiation's own log lines and writes go with the first call's.
            shared.logs.replace(logs);
            shared.restore_writes(writes);
            Ok(Instance {
                version: version.to_owned(),
                driver,
                context,
                shared,
            })
        }
        Err(mut failure) => {
            if failure.message == "Error: class Script not found" {
                failure.kind = FailureKind::Compile;
            }
            failure.logs = logs;
            failure.store_writes = writes;
            Err(failure)
        }
    }
}

/// Call the method; `load`: load the call's store first (a fresh instance
/// has it already).
fn invoke(instance: &Instance, call: &Call, limits: &Limits, load: bool) -> Result<Outcome, Failure> {
    let shared = &instance.shared;
    if load {
        shared.load_store(call.store.clone());
    }
    shared.start(limits);
    let result = instance.context.with(|ctx| -> Result<String, Failure> {
        let fail = |e| failure_of(&ctx, shared, e, limits);
        let driver = instance.driver.clone().restore(&ctx).map_err(fail)?;
        let method: Function<'_> = driver.get("call").map_err(fail)?;
        method
            .call::<_, String>((call.method.as_str(), call.argument.to_string()))
            .map_err(fail)
    });
    shared.stop();
    let result = settled(limits, result);
    shared.clear_store();
    let logs = shared.take_logs();
    let store_writes = shared.take_writes();
    match result {
        Ok(json) => {
            let answer: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
            Ok(Outcome {
                value: answer.get("value").cloned(),
                missing_method: answer.get("missing").is_some(),
                logs,
                store_writes,
                instantiated: false,
            })
        }
        Err(mut failure) => {
            failure.logs = logs;
            failure.store_writes = store_writes;
            Err(failure)
        }
    }
}

/// Compile `source` as a function body in a throwaway runtime: a syntax
/// check that runs nothing.
fn check(source: &str, limits: &Limits) -> Result<(), Failure> {
    let (_runtime, context, shared, driver) = sandbox(limits)?;
    shared.start(limits);
    let result = context.with(|ctx| -> Result<(), Failure> {
        let fail = |e| failure_of(&ctx, &shared, e, limits);
        let driver = driver.clone().restore(&ctx).map_err(fail)?;
        let check: Function<'_> = driver.get("check").map_err(fail)?;
        check.call::<_, ()>((source,)).map_err(fail)
    });
    shared.stop();
    drop(driver);
    settled(limits, result).map_err(|mut failure| {
        if failure.kind == FailureKind::Runtime {
            failure.kind = FailureKind::Compile;
        }
        failure
    })
}

/// The failure an engine error stands for: the limit that was hit, or the
/// exception the script threw.
fn failure_of(ctx: &Ctx<'_>, shared: &Shared, error: rquickjs::Error, limits: &Limits) -> Failure {
    let exception = matches!(error, rquickjs::Error::Exception).then(|| ctx.catch());
    if shared.interrupted.get() {
        return Failure::new(
            FailureKind::Timeout,
            format!(
                "the script ran longer than {} ms and was stopped",
                limits.cpu_time.as_millis()
            ),
        );
    }
    let memory = || {
        Failure::new(
            FailureKind::Memory,
            format!(
                "the script used more than {} bytes of memory and was stopped",
                limits.memory_bytes
            ),
        )
    };
    if matches!(error, rquickjs::Error::Allocation) {
        return memory();
    }
    let Some(exception) = exception else {
        return Failure::new(FailureKind::Runtime, error.to_string());
    };
    let (message, stack) = describe(&exception);
    if message.contains("out of memory") {
        return memory();
    }
    if message.contains("stack overflow") {
        let mut failure = memory();
        failure.message = format!("{message} (the script's stack is limited to {STACK_LIMIT} bytes)");
        return failure;
    }
    // An exception QuickJS could not allocate arrives as `null`: see `settled`.
    if exception.is_null() {
        return Failure::new(FailureKind::Runtime, NULL_EXCEPTION);
    }
    let kind = if message.starts_with("SyntaxError") {
        FailureKind::Compile
    } else {
        FailureKind::Runtime
    };
    Failure {
        kind,
        message,
        stack,
        logs: Vec::new(),
        store_writes: Vec::new(),
    }
}

const NULL_EXCEPTION: &str = "null";

/// A `null` exception is what QuickJS throws when it cannot even allocate the
/// error: out of memory (by then the heap may be freed again, so it is not
/// measured; a script that throws `null` itself is taken for the same).
fn settled<T>(limits: &Limits, result: Result<T, Failure>) -> Result<T, Failure> {
    result.map_err(|mut failure| {
        if failure.kind == FailureKind::Runtime && failure.message == NULL_EXCEPTION {
            failure.kind = FailureKind::Memory;
            failure.message = format!(
                "the script used more than {} bytes of memory and was stopped",
                limits.memory_bytes
            );
        }
        failure
    })
}

/// `Name: message` and the stack of a thrown value.
fn describe(exception: &JsValue<'_>) -> (String, Option<String>) {
    if let Some(object) = exception.as_object() {
        let name: Option<String> = object.get("name").ok();
        let message: Option<String> = object.get("message").ok();
        let stack: Option<String> = object.get("stack").ok().filter(|s: &String| !s.is_empty());
        if name.is_some() || message.is_some() {
            let text = match (name, message) {
                (Some(name), Some(message)) if !message.is_empty() => format!("{name}: {message}"),
                (Some(name), _) => name,
                (None, Some(message)) => message,
                (None, None) => unreachable!(),
            };
            return (text, stack);
        }
    }
    if let Some(text) = exception.as_string().and_then(|s| s.to_string().ok()) {
        return (text, None);
    }
    let text = exception
        .ctx()
        .json_stringify(exception.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| format!("{exception:?}"));
    (text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(source: &str) -> Instance {
        instantiate(source, "1", &Limits::default(), &HashMap::new()).unwrap()
    }

    #[test]
    fn the_least_recently_used_instances_go_first() {
        let plain = "class Script {}";
        let size = instance(plain).heap_bytes();
        assert!(size > 0);
        // Room for two plain instances.
        let mut cache = Cache::new(size * 5 / 2);
        for key in ["a", "b"] {
            cache.insert(key.into(), instance(plain));
            cache.settle(key);
        }
        assert!(cache.get("a", "1").is_some(), "both fit");
        cache.insert("c".into(), instance(plain));
        cache.settle("c");
        assert!(cache.get("b", "1").is_none(), "b was the least recently used");
        assert!(cache.get("a", "1").is_some() && cache.get("c", "1").is_some());
        assert!(cache.bytes <= cache.budget);
        // An instance is counted by its heap as it is after its last call.
        let big = "class Script { constructor() { this.big = 'x'.repeat(1 << 20); } }";
        cache.insert("big".into(), instance(big));
        assert!(cache.instances["big"].bytes > size + (1 << 20));
        cache.settle("big");
        assert!(
            cache.instances.is_empty(),
            "over the budget on its own: nothing is kept"
        );
        assert_eq!(cache.bytes, 0);
    }
}
