//! The delivery engine: one durable queue for every outgoing call, whichever
//! API's hook makes it.
//!
//! - A dialect describes its outgoing hooks with an [`Outgoing`]: which calls
//!   an [`Event`] starts, and what an answer does (post it back, disable the
//!   integration, write the dialect's own history).
//! - The calls a new post starts are stored as jobs **in the post's own
//!   transaction** ([`crate::posts::create_post`]), then the worker is woken.
//!   A post that was acknowledged has its deliveries, also across `kill -9`.
//! - Workers ([`worker::run`]) claim due jobs with a lease (renewed while the
//!   attempt lasts, so only a stopped instance loses it), make the call
//!   through the internal-address guard, let the dialect settle it, and record
//!   the attempt (time, URL, request body, status, answer excerpt, duration,
//!   error) while moving the job on: delivered, failed, or pending again at the
//!   time its [`RetryPolicy`] says.
//! - A job whose instance died mid-call is claimed again once its lease runs
//!   out, by any instance on the same database; only calls in flight at that
//!   moment can be made twice, and the attempts show it.
//! - Calls someone waits on (slash commands, buttons, dialogs) are made at
//!   once ([`call_now`]) and recorded as finished jobs with their attempt.

pub(crate) mod call;
mod immediate;
mod schedule;
pub mod worker;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Notify;
use tokio_util::task::TaskTracker;

pub use self::call::{CallOutcome, CallRequest, MAX_ANSWER_BYTES};
pub use self::immediate::{ImmediateCall, call_now};
pub use self::schedule::{RetryPolicy, Schedule};
use crate::Core;
use crate::events::Event;
use crate::ids::new_ordered_id;
use crate::store::{DeliveryJob, DeliveryStore, JobStatus, StoreResult, now_ms};

/// A boxed future, for the object-safe [`Outgoing`] trait.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One call an event starts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// The outgoing hook or integration making it.
    pub hook_id: String,
    pub url: String,
    pub content_type: String,
    pub body: String,
    /// What the dialect needs later to act on the answer.
    pub context: Value,
    pub retry: RetryPolicy,
}

/// How an attempt ended, as the dialect judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Done: nothing more to do.
    Delivered,
    /// Failed; retry if the job's policy has attempts left.
    Retry,
    /// Failed, and not worth retrying (refused URL, integration disabled).
    GiveUp,
}

/// How one attempt of a claimed job begins, as its dialect decides:
/// the phases of an attempt are types. [`Outgoing::begin`] loads what the
/// attempt needs once (the hook or integration, the job's context) and
/// either hands back the call with an [`Attempt`] holding all that, or no
/// call at all.
pub enum Begun<'a> {
    /// Make this call, then let the attempt settle its outcome.
    Call(CallRequest, Box<dyn Attempt<'a> + 'a>),
    /// Make no call: the job ends with this status (the dialect has recorded
    /// why, for example a script that cancelled the call or failed).
    Skip(Skipped),
}

/// An attempt whose call was made: it acts on the outcome (posts the answer,
/// disables the integration, writes the dialect's history) and judges it,
/// with what [`Outgoing::begin`] loaded, so no attempt reads its hook twice.
pub trait Attempt<'a>: Send {
    /// `outcome.request` is the call that was made; `retries_left` says
    /// whether a [`Verdict::Retry`] would be retried.
    fn settle<'b>(self: Box<Self>, outcome: &'b CallOutcome, retries_left: bool) -> BoxFuture<'b, Verdict>
    where
        'a: 'b;
}

/// How a job that makes no call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// Done without a call (say, a script posted a message instead).
    Done,
    /// Not wanted after all.
    Cancelled,
    /// Could not be prepared.
    Failed,
}

/// A dialect's outgoing hooks, as the engine sees them.
pub trait Outgoing: Send + Sync + 'static {
    /// The dialect's name, stored with its jobs so the right handler settles them.
    fn dialect(&self) -> &'static str;

    /// The calls `event` starts. Called before the event's write commits, so
    /// the jobs are stored with it; it must only read.
    fn deliveries<'a>(&'a self, core: &'a Core, event: &'a Event) -> BoxFuture<'a, StoreResult<Vec<NewDelivery>>>;

    /// Begin attempt number `attempt` (1 for the first) of a claimed job:
    /// [`Begun::Skip`] with [`Skipped::Cancelled`] when its hook was removed
    /// or disabled since; otherwise the call to make (the job's own POST,
    /// [`CallRequest::for_job`], or what an integration script made of it)
    /// and the [`Attempt`] that settles it. Runs off the request path.
    fn begin<'a>(&'a self, core: &'a Core, job: &'a DeliveryJob, attempt: i64) -> BoxFuture<'a, Begun<'a>>;
}

/// Tuning of the engine.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Timeout of one call (also bounds the lease).
    pub callback_timeout: Duration,
    /// How long a claimed job stays with its worker before another may take it
    /// over: longer than any call may take.
    pub lease: Duration,
    /// How often the queue is polled for jobs other instances stored or that
    /// fell due; new jobs of this instance wake the worker at once.
    pub poll_interval: Duration,
    /// Calls in flight at once, per instance.
    pub max_in_flight: usize,
}

impl DeliverySettings {
    /// Defaults for a call timeout: a lease of the timeout plus 10 s.
    pub fn with_timeout(callback_timeout: Duration) -> Self {
        Self {
            callback_timeout,
            lease: callback_timeout + Duration::from_secs(10),
            poll_interval: Duration::from_millis(100),
            max_in_flight: 64,
        }
    }
}

/// The engine's state inside [`Core`].
pub struct Deliveries {
    pub settings: DeliverySettings,
    /// The guarded HTTP client every call goes through.
    pub client: reqwest::Client,
    outgoing: Vec<Arc<dyn Outgoing>>,
    wake: Notify,
    /// Calls in flight; shutdown waits for them.
    pub tasks: TaskTracker,
}

impl Deliveries {
    pub fn new(settings: DeliverySettings, client: reqwest::Client, outgoing: Vec<Arc<dyn Outgoing>>) -> Self {
        Self {
            settings,
            client,
            outgoing,
            wake: Notify::new(),
            tasks: TaskTracker::new(),
        }
    }

    /// The handler of a dialect.
    pub fn handler(&self, dialect: &str) -> Option<&Arc<dyn Outgoing>> {
        self.outgoing.iter().find(|o| o.dialect() == dialect)
    }

    /// Wake the worker: jobs were stored.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The jobs `event` starts, from every dialect, ready to store. A dialect
    /// that cannot tell (a failed read) is logged and skipped: the event
    /// itself must not fail for it.
    pub async fn jobs_for(&self, core: &Core, event: &Event) -> Vec<DeliveryJob> {
        let now = now_ms();
        let mut jobs = Vec::new();
        for outgoing in &self.outgoing {
            match outgoing.deliveries(core, event).await {
                Ok(found) => jobs.extend(found.into_iter().map(|d| job(outgoing.dialect(), event.name(), d, now))),
                Err(error) => {
                    tracing::warn!(dialect = outgoing.dialect(), %error, "outgoing hooks not looked up; none fire");
                }
            }
        }
        jobs
    }
}

/// Store one call that no event started (an administrator's replay of a
/// recorded one) under `event`, then wake the worker: it is made, retried
/// and settled like every other job of `dialect`.
pub async fn enqueue_call(core: &Core, dialect: &str, event: &str, delivery: NewDelivery) -> StoreResult<()> {
    let job = job(dialect, event, delivery, now_ms());
    core.store.enqueue_deliveries(std::slice::from_ref(&job)).await?;
    core.deliveries.wake();
    Ok(())
}

fn job(dialect: &str, event: &str, delivery: NewDelivery, now: i64) -> DeliveryJob {
    DeliveryJob {
        id: new_ordered_id(),
        dialect: dialect.to_owned(),
        hook_id: delivery.hook_id,
        event: event.to_owned(),
        url: delivery.url,
        content_type: delivery.content_type,
        body: delivery.body,
        context: delivery.context,
        max_attempts: i64::from(delivery.retry.retries) + 1,
        retry_schedule: delivery.retry.schedule,
        attempts: 0,
        status: JobStatus::Pending,
        due_at: now,
        lease_owner: None,
        lease_until: 0,
        previous_owner: None,
        created_at: now,
        updated_at: now,
    }
}
