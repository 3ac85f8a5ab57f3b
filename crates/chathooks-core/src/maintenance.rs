//! Whole-store operations the server runs for its operator: the test API's
//! reset and the retention limits.

use crate::Core;
use crate::store::{InspectStore, StoreResult};

/// Delete every record (the test API's reset). The caller re-creates what
/// start-up made (the admin, the seed).
pub async fn wipe(core: &Core) -> StoreResult<()> {
    let wiped = core.store.wipe().await;
    // The roles and switches are back to their defaults.
    core.policy.forget();
    wiped
}

/// Delete posts created before `before` (ms since the epoch; 0 for no age
/// limit) and all but the newest `keep`; returns how many went.
pub async fn prune_posts(core: &Core, before: i64, keep: Option<u64>) -> StoreResult<u64> {
    core.store.prune_posts(before, keep).await
}
