//! Mattermost's incoming and outgoing webhooks: every change the adapter
//! makes to them. The adapter checks permissions and builds the records;
//! lookups read the store. Soft deletes keep the row (`delete_at`), so a
//! deleted hook reads as missing everywhere at once.

use crate::Core;
use crate::store::{IncomingHook, OutgoingHook, Store, StoreResult};

/// Store a new incoming webhook.
pub async fn create_incoming(core: &Core, hook: &IncomingHook) -> StoreResult<IncomingHook> {
    core.store.create_incoming(hook).await
}

/// Overwrite a live incoming webhook's mutable fields. NotFound if it is gone.
pub async fn update_incoming(core: &Core, hook: &IncomingHook) -> StoreResult<IncomingHook> {
    core.store.update_incoming(hook).await
}

/// Soft-delete a live incoming webhook at `at`. NotFound if it is gone.
pub async fn delete_incoming(core: &Core, id: &str, at: i64) -> StoreResult<()> {
    core.store.delete_incoming(id, at).await
}

/// Store a new outgoing webhook.
pub async fn create_outgoing(core: &Core, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
    core.store.create_outgoing(hook).await
}

/// Overwrite a live outgoing webhook's mutable fields (not its token).
/// NotFound if it is gone.
pub async fn update_outgoing(core: &Core, hook: &OutgoingHook) -> StoreResult<OutgoingHook> {
    core.store.update_outgoing(hook).await
}

/// Give a live outgoing webhook a new token. NotFound if it is gone.
pub async fn regen_outgoing_token(core: &Core, id: &str, token: &str, at: i64) -> StoreResult<OutgoingHook> {
    core.store.regen_outgoing_token(id, token, at).await
}

/// Soft-delete a live outgoing webhook at `at`: it no longer fires.
/// NotFound if it is gone.
pub async fn delete_outgoing(core: &Core, id: &str, at: i64) -> StoreResult<()> {
    core.store.delete_outgoing(id, at).await
}
