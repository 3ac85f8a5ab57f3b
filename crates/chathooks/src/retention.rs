//! Retention (`--max-posts`, `--max-age`): a stand-in left running for a
//! shared CI would otherwise grow without bound. A background task deletes
//! posts older than the age limit and all but the newest posts over the
//! count limit, with their reactions and files.

use std::sync::Arc;
use std::time::Duration;

use chathooks_core::Core;
use tokio_util::sync::CancellationToken;

use crate::store::now_ms;

/// How much to keep; `None` for no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    pub max_posts: Option<u64>,
    pub max_age: Option<Duration>,
}

impl Retention {
    pub fn is_unlimited(&self) -> bool {
        self.max_posts.is_none() && self.max_age.is_none()
    }

    /// Apply the limits once; returns how many posts were deleted.
    pub async fn prune(&self, core: &Core) -> crate::store::StoreResult<u64> {
        let before = self.max_age.map_or(0, |age| {
            now_ms().saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX))
        });
        chathooks_core::maintenance::prune_posts(core, before.max(0), self.max_posts).await
    }
}

/// Between two prunes: short enough that the limits hold closely, long
/// enough to cost nothing.
const PERIOD: Duration = Duration::from_secs(5);

/// Prune every [`PERIOD`] until `stop`.
pub async fn run(core: Arc<Core>, retention: Retention, stop: CancellationToken) {
    if retention.is_unlimited() {
        return;
    }
    loop {
        match retention.prune(&core).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "retention: old posts deleted"),
            Err(error) => tracing::warn!(%error, "retention: pruning failed; trying again later"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(PERIOD) => {}
        }
    }
}
