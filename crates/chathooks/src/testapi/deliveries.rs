//! Outgoing deliveries with every attempt.

use chathooks_testapi_server::ops::list_deliveries;
use chathooks_testapi_types::{self as types, DeliveryStatus};

use super::TestResult;
use crate::server::AppState;
use crate::store::{DeliveryFilter, DeliveryJob, JobStatus, StoreError};

fn job_status(status: DeliveryStatus) -> JobStatus {
    match status {
        DeliveryStatus::Pending => JobStatus::Pending,
        DeliveryStatus::Running => JobStatus::Running,
        DeliveryStatus::Delivered => JobStatus::Delivered,
        DeliveryStatus::Failed => JobStatus::Failed,
        DeliveryStatus::Cancelled => JobStatus::Cancelled,
    }
}

fn status_of(status: JobStatus) -> DeliveryStatus {
    match status {
        JobStatus::Pending => DeliveryStatus::Pending,
        JobStatus::Running => DeliveryStatus::Running,
        JobStatus::Delivered => DeliveryStatus::Delivered,
        JobStatus::Failed => DeliveryStatus::Failed,
        JobStatus::Cancelled => DeliveryStatus::Cancelled,
    }
}

pub(super) async fn list(state: &AppState, request: list_deliveries::Request) -> TestResult<list_deliveries::Response> {
    let filter = DeliveryFilter {
        hook_id: request.hook.filter(|h| !h.is_empty()),
        status: request.status.map(job_status),
    };
    let limit = u32::try_from(request.limit.clamp(1, 1000)).unwrap_or(1000);
    let jobs = state.core.read().list_deliveries(&filter, 0, limit).await?;
    let mut deliveries = Vec::with_capacity(jobs.len());
    for job in jobs {
        deliveries.push(delivery(state, job).await?);
    }
    Ok(list_deliveries::Response::Ok(types::DeliveryList { deliveries }))
}

/// One delivery with its attempts, as the test API shows it.
pub(super) async fn delivery(state: &AppState, job: DeliveryJob) -> Result<types::Delivery, StoreError> {
    let attempt_log = state
        .core
        .read()
        .list_attempts(&job.id)
        .await?
        .into_iter()
        .map(|attempt| types::Attempt {
            number: attempt.number,
            started_at: attempt.started_at,
            duration_ms: attempt.duration_ms,
            url: attempt.url,
            request_body: attempt.request_body,
            status_code: attempt.status_code,
            response_excerpt: attempt.response_excerpt,
            error: attempt.error.unwrap_or_default(),
        })
        .collect();
    let status = status_of(job.status);
    Ok(types::Delivery {
        next_attempt_at: (status == DeliveryStatus::Pending).then_some(job.due_at),
        status,
        id: job.id,
        api: job.dialect,
        hook_id: job.hook_id,
        event: job.event,
        url: job.url,
        content_type: job.content_type,
        request_body: job.body,
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        created_at: job.created_at,
        updated_at: job.updated_at,
        attempt_log,
    })
}
