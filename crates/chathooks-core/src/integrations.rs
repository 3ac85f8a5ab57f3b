//! Rocket.Chat integrations: every change the adapter makes to them, their
//! delivery history and what their scripts keep. The adapter checks
//! permissions and builds the records; lookups read the store.

use crate::Core;
use crate::store::{DirectoryStore, RcHistory, RcIntegration, Store, StoreResult};

/// Store a new integration.
pub async fn create_integration(core: &Core, integration: &RcIntegration) -> StoreResult<RcIntegration> {
    core.store.create_rc_integration(integration).await
}

/// Overwrite an integration (all but its id, creator and creation time).
/// NotFound if it is gone.
pub async fn update_integration(core: &Core, integration: &RcIntegration) -> StoreResult<RcIntegration> {
    core.store.update_rc_integration(integration).await
}

/// Delete an integration with its history, script store and pending
/// retries, returning what was removed. NotFound if it is gone.
pub async fn delete_integration(core: &Core, id: &str) -> StoreResult<RcIntegration> {
    core.store.delete_rc_integration(id).await
}

/// Record an entry of an integration's delivery history.
pub async fn add_history(core: &Core, entry: &RcHistory) -> StoreResult<()> {
    core.store.add_rc_history(entry).await
}

/// Keep what an integration's script wrote with `Store.set`, in order.
pub async fn set_script_values(core: &Core, integration_id: &str, values: &[(String, String)]) -> StoreResult<()> {
    core.store.set_rc_script_values(integration_id, values).await
}

/// Forget an integration's delivery history; how many entries went.
pub async fn clear_history(core: &Core, integration_id: &str) -> StoreResult<u64> {
    core.store.clear_rc_history(integration_id).await
}
