//! The worker: claims due jobs and makes their calls, until told to stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{Begun, CallOutcome, Skipped, Verdict, call};
use crate::Core;
use crate::ids::new_ordered_id;
use crate::store::{DeliveryAttempt, DeliveryJob, DeliveryStore, JobStatus, now_ms};

/// Longest answer excerpt kept with an attempt, in bytes.
const EXCERPT_BYTES: usize = 1024;

/// Claim and run jobs until `stop` is cancelled. Calls already started go on
/// under [`super::Deliveries::tasks`], which shutdown waits for; jobs not yet
/// claimed stay in the store for the next start (or another instance).
pub async fn run(core: Arc<Core>, stop: CancellationToken) {
    let settings = &core.deliveries.settings;
    let slots = Arc::new(Semaphore::new(settings.max_in_flight));
    let lease_ms = i64::try_from(settings.lease.as_millis()).unwrap_or(i64::MAX);
    loop {
        // Drain what is due, as far as there are free slots.
        loop {
            let free = slots.available_permits();
            if free == 0 || stop.is_cancelled() {
                break;
            }
            let now = now_ms();
            let limit = u32::try_from(free).unwrap_or(u32::MAX);
            let claimed = core
                .store
                .claim_deliveries(&core.instance, now, now.saturating_add(lease_ms), limit)
                .await;
            let jobs = match claimed {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::warn!(%error, "cannot claim deliveries");
                    break;
                }
            };
            if jobs.is_empty() {
                break;
            }
            for job in jobs {
                let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                    return; // the semaphore is never closed
                };
                let core = Arc::clone(&core);
                core.deliveries.tasks.clone().spawn(async move {
                    attempt(&core, job).await;
                    drop(permit);
                });
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = core.deliveries.wake.notified() => {}
            () = tokio::time::sleep(settings.poll_interval) => {}
        }
    }
    tracing::debug!("delivery worker stopped");
}

/// Make one attempt at `job` (which this instance holds) and move it on,
/// renewing the lease for as long as the attempt lasts.
async fn attempt(core: &Core, job: DeliveryJob) {
    let lease = Lease::new(core, &job);
    tokio::select! {
        () = attempt_holding(core, job, &lease) => {}
        () = lease.keep() => {}
    }
}

/// This instance's lease on one job while its attempt runs.
///
/// Why renew: a lease that runs out under a live instance (a slow database,
/// a busy process) lets another instance take the job over and make the same
/// call again. Renewed every quarter lease, it only runs out when the
/// instance stops, which is what leases are for.
struct Lease<'a> {
    core: &'a Core,
    job_id: String,
    /// When the lease runs out, as last stored (ms).
    until: AtomicI64,
    /// Another instance took the job over: this one must not call.
    lost: AtomicBool,
}

impl<'a> Lease<'a> {
    fn new(core: &'a Core, job: &DeliveryJob) -> Self {
        Self {
            core,
            job_id: job.id.clone(),
            until: AtomicI64::new(job.lease_until),
            lost: AtomicBool::new(false),
        }
    }

    fn length_ms(&self) -> i64 {
        i64::try_from(self.core.deliveries.settings.lease.as_millis()).unwrap_or(i64::MAX)
    }

    /// Renew every quarter lease; never returns (the attempt ends it).
    async fn keep(&self) {
        let every = (self.core.deliveries.settings.lease / 4).max(Duration::from_millis(50));
        loop {
            tokio::time::sleep(every).await;
            if !self.renew().await {
                // Lost for good (or the store is away): nothing left to keep.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Extend the lease by its length from now; false if it is no longer
    /// this instance's (or cannot be extended now).
    async fn renew(&self) -> bool {
        if self.lost.load(Ordering::Relaxed) {
            return false;
        }
        let until = now_ms().saturating_add(self.length_ms());
        match self
            .core
            .store
            .renew_delivery(&self.job_id, &self.core.instance, until)
            .await
        {
            Ok(true) => {
                self.until.fetch_max(until, Ordering::Relaxed);
                true
            }
            Ok(false) => {
                self.lost.store(true, Ordering::Relaxed);
                false
            }
            Err(error) => {
                tracing::warn!(job_id = %self.job_id, %error, "cannot renew a delivery lease");
                false
            }
        }
    }

    /// Whether the call may be made now: the job is still this instance's
    /// for at least the call's timeout, renewing the lease if need be.
    async fn covers_call(&self) -> bool {
        if self.lost.load(Ordering::Relaxed) {
            return false;
        }
        let timeout = i64::try_from(self.core.deliveries.settings.callback_timeout.as_millis()).unwrap_or(i64::MAX);
        now_ms().saturating_add(timeout) < self.until.load(Ordering::Relaxed) || self.renew().await
    }
}

/// The attempt itself, while `lease` is kept.
async fn attempt_holding(core: &Core, mut job: DeliveryJob, lease: &Lease<'_>) {
    let Some(handler) = core.deliveries.handler(&job.dialect).cloned() else {
        tracing::warn!(job_id = %job.id, dialect = %job.dialect, "no handler for this dialect; job failed");
        job.status = JobStatus::Failed;
        finish(core, &job, &[]).await;
        return;
    };
    let number = job.attempts + 1;
    // The attempt borrows the claimed job; what is stored at the end is a
    // copy moved on from it.
    let (request, attempt) = match handler.begin(core, &job, number).await {
        Begun::Call(request, attempt) => (request, attempt),
        Begun::Skip(skipped) => {
            let mut ended = job.clone();
            ended.status = match skipped {
                Skipped::Done => JobStatus::Delivered,
                Skipped::Cancelled => JobStatus::Cancelled,
                Skipped::Failed => JobStatus::Failed,
            };
            finish(core, &ended, &[]).await;
            return;
        }
    };
    if !lease.covers_call().await {
        // Taken over meanwhile, or the store cannot extend the lease: no
        // call. Whoever claims the job next (perhaps this instance, once the
        // lease ran out) makes it.
        tracing::warn!(job_id = %job.id, "delivery lease lost before the call; not calling");
        return;
    }
    let started_at = now_ms();
    let outcome = call::send(&core.deliveries.client, &core.allow_internal_callbacks, &request).await;
    let retries_left = number < job.max_attempts;
    let verdict = attempt.settle(&outcome, retries_left).await;
    let record = DeliveryAttempt {
        id: new_ordered_id(),
        job_id: job.id.clone(),
        number,
        started_at,
        duration_ms: outcome.duration_ms,
        url: request.url.clone(),
        request_body: request.body.clone(),
        status_code: outcome.status.map(i64::from),
        response_excerpt: excerpt(&outcome),
        error: problem(&outcome, verdict),
        instance: core.instance.clone(),
    };
    let mut ended = job.clone();
    ended.attempts = number;
    match verdict {
        Verdict::Delivered => ended.status = JobStatus::Delivered,
        Verdict::Retry if retries_left => {
            let n = u32::try_from(number - 1).unwrap_or(u32::MAX);
            let delay = job.retry_schedule.delay_ms(n);
            ended.status = JobStatus::Pending;
            ended.due_at = now_ms().saturating_add(delay);
        }
        Verdict::Retry | Verdict::GiveUp => ended.status = JobStatus::Failed,
    }
    let mut records = Vec::with_capacity(2);
    if let Some(previous_owner) = &job.previous_owner {
        records.push(lost_call(&job, previous_owner, number, started_at - 1));
    }
    records.push(record);
    finish(core, &ended, &records).await;
    if ended.status == JobStatus::Pending {
        tracing::debug!(job_id = %job.id, due_at = ended.due_at, "delivery will be retried");
    }
}

/// Store the job's new state and the attempt. A job this instance no longer
/// holds (its lease ran out and another instance took it) is left alone.
async fn finish(core: &Core, job: &DeliveryJob, records: &[DeliveryAttempt]) {
    let mut job = job.clone();
    job.updated_at = now_ms();
    match core.store.finish_delivery(&job, &core.instance, records).await {
        Ok(true) => {
            core.metrics.delivery_finished(&job);
            core.events.publish(crate::events::Event::DeliveryFinished { job });
        }
        Ok(false) => tracing::warn!(job_id = %job.id, "delivery lease lost: another instance took the job over"),
        Err(error) => tracing::warn!(job_id = %job.id, %error, "delivery result not stored; the job runs again"),
    }
}

/// The call a previous owner of `job` was making when it stopped (its lease
/// ran out without a result): it may have reached the receiver, so the
/// history shows it, under that instance's id, before the attempt that
/// replaces it (same number: it does not count against the retry policy).
fn lost_call(job: &DeliveryJob, previous_owner: &str, number: i64, taken_over_at: i64) -> DeliveryAttempt {
    DeliveryAttempt {
        id: new_ordered_id(),
        job_id: job.id.clone(),
        number,
        started_at: taken_over_at,
        duration_ms: 0,
        url: job.url.clone(),
        request_body: job.body.clone(),
        status_code: None,
        response_excerpt: String::new(),
        error: Some(format!(
            "instance {previous_owner} lost its lease during this call (it stopped, or could not renew the lease \
             in time); the call may have been made"
        )),
        instance: previous_owner.to_owned(),
    }
}

pub(super) fn excerpt(outcome: &CallOutcome) -> String {
    let end = outcome.body.len().min(EXCERPT_BYTES);
    String::from_utf8_lossy(&outcome.body[..end]).into_owned()
}

/// What went wrong, for the attempt's record; `None` for a success.
pub(super) fn problem(outcome: &CallOutcome, verdict: Verdict) -> Option<String> {
    if let Some(error) = &outcome.error {
        return Some(error.clone());
    }
    match (outcome.status, verdict) {
        (_, Verdict::Delivered) => None,
        (Some(status), _) if !(200..300).contains(&status) => Some(format!("HTTP {status}")),
        (Some(status), _) => Some(format!("HTTP {status}, judged a failure by the receiver's API")),
        (None, _) => Some("no answer".to_owned()),
    }
}
