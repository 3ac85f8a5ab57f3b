//! The worker that makes pending outgoing-integration retries when they fall due.
//!
//! Retries live in the store ([`crate::store::RcPendingRetry`]) rather than in
//! sleeping tasks, so that a server stopped while retries are pending makes
//! them when it starts again, and a shutdown never waits for a retry delay.
//! The worker polls [`Store::due_retries`] every [`POLL_INTERVAL`] and runs each
//! due retry as a task on the server's tracker; a retry still running is not
//! started twice. It stops as soon as `stop` is cancelled; retries it already
//! started finish under the tracker like any other delivery.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::outgoing::run_retry;
use crate::server::Shared;
use crate::store::{Store, now_ms};

/// How often the store is asked for due retries. Short enough that the
/// smallest delay (100 ms) is honoured closely, long enough to cost nothing.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Most retries started per poll.
const BATCH: u32 = 32;

/// Run until `stop` is cancelled.
pub async fn run(state: Shared, stop: CancellationToken) {
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
        let due = match state.store.due_retries(now_ms(), BATCH).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "cannot read pending retries");
                continue;
            }
        };
        for retry in due {
            let id = retry.id.clone();
            if !running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id.clone())
            {
                continue; // still running from an earlier poll
            }
            let (shared, running) = (Arc::clone(&state), Arc::clone(&running));
            state.tasks.spawn(async move {
                run_retry(&shared, retry).await;
                running.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
            });
        }
    }
    tracing::debug!("retry worker stopped");
}
