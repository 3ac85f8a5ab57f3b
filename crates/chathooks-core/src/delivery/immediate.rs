//! Calls made at once for someone who waits on the answer: a slash command,
//! a button, a dialog. They skip the queue (nobody would wait for a retry)
//! but go through the same guarded client and timeout as queued calls, and
//! are recorded the same way, as one finished job with its one attempt, so
//! the delivery history, the UI and the test API show them beside webhook
//! calls.

use serde_json::Value;

use super::call::{self, CallOutcome, CallRequest};
use super::worker::{excerpt, problem};
use super::{RetryPolicy, Verdict};
use crate::Core;
use crate::events::Event;
use crate::ids::new_ordered_id;
use crate::store::{DeliveryAttempt, DeliveryJob, DeliveryStore, JobStatus, now_ms};

/// What an immediate call is, for its record.
#[derive(Debug, Clone, PartialEq)]
pub struct ImmediateCall<'a> {
    /// The dialect whose feature made the call (`mattermost`...).
    pub dialect: &'a str,
    /// What made it (`slash_command`...), the job's `event`.
    pub event: &'a str,
    /// The record behind the call (the command's id...), the job's `hook_id`.
    pub hook_id: &'a str,
    /// Who and where, for whoever reads the history.
    pub context: Value,
}

/// Make `request` now and record it. `delivered` judges the outcome as the
/// feature's API does (a slash command wants exactly 200). A record that
/// cannot be stored is logged and the outcome returned all the same: the
/// person waiting gets their answer.
pub async fn call_now(
    core: &Core,
    what: ImmediateCall<'_>,
    request: &CallRequest,
    delivered: impl FnOnce(&CallOutcome) -> bool,
) -> CallOutcome {
    let started_at = now_ms();
    let outcome = call::send(&core.deliveries.client, &core.allow_internal_callbacks, request).await;
    let verdict = if delivered(&outcome) {
        Verdict::Delivered
    } else {
        Verdict::GiveUp
    };
    let now = now_ms();
    let job = DeliveryJob {
        id: new_ordered_id(),
        dialect: what.dialect.to_owned(),
        hook_id: what.hook_id.to_owned(),
        event: what.event.to_owned(),
        url: request.url.clone(),
        content_type: request.content_type.clone(),
        body: request.body.clone(),
        context: what.context,
        max_attempts: 1,
        retry_schedule: RetryPolicy::ONCE.schedule,
        attempts: 1,
        status: match verdict {
            Verdict::Delivered => JobStatus::Delivered,
            _ => JobStatus::Failed,
        },
        due_at: started_at,
        lease_owner: None,
        lease_until: 0,
        previous_owner: None,
        created_at: started_at,
        updated_at: now,
    };
    let attempt = DeliveryAttempt {
        id: new_ordered_id(),
        job_id: job.id.clone(),
        number: 1,
        started_at,
        duration_ms: outcome.duration_ms,
        url: request.url.clone(),
        request_body: request.body.clone(),
        status_code: outcome.status.map(i64::from),
        response_excerpt: excerpt(&outcome),
        error: problem(&outcome, verdict),
        instance: core.instance.clone(),
    };
    match core.store.record_delivery(&job, std::slice::from_ref(&attempt)).await {
        Ok(()) => {
            core.metrics.delivery_finished(&job);
            core.events.publish(Event::DeliveryFinished { job });
        }
        Err(error) => tracing::warn!(job_id = %job.id, %error, "immediate call not recorded"),
    }
    outcome
}
