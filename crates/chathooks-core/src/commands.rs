//! Mattermost's custom slash commands: every change the adapter makes to
//! them. The adapter checks permissions and the fields; this module keeps
//! the one rule that spans records, a trigger used once per team, and
//! lowercases triggers as Mattermost does. Reads go through
//! [`Reader`](crate::reader::Reader) (`get_command`, `list_team_commands`).
//! Soft deletes keep the row (`delete_at`), so a deleted command reads as
//! missing everywhere at once and its trigger is free again.

use crate::Core;
use crate::delivery::{CallOutcome, CallRequest};
use crate::store::{SlashCommand, Store, StoreError};

/// Why a command was not written.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Another live command of the team has this trigger (Mattermost's
    /// `api.command.duplicate_trigger.app_error`).
    #[error("the trigger {0:?} is already used in this team")]
    DuplicateTrigger(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Is `trigger` free in `team_id`, `except` the command being updated?
/// The unique index on live `(team_id, trigger)` settles races; this check
/// gives the common case its clear error before writing.
async fn require_free_trigger(core: &Core, team_id: &str, trigger: &str, except: &str) -> Result<(), CommandError> {
    let taken = core
        .store
        .list_team_commands(team_id)
        .await?
        .iter()
        .any(|existing| existing.id != except && existing.trigger == trigger);
    if taken {
        return Err(CommandError::DuplicateTrigger(trigger.to_owned()));
    }
    Ok(())
}

/// A conflict from the store on a command write is a taken trigger (the id
/// is fresh).
fn conflict_is_duplicate(trigger: &str) -> impl FnOnce(StoreError) -> CommandError + '_ {
    move |error| match error {
        StoreError::Conflict(_) => CommandError::DuplicateTrigger(trigger.to_owned()),
        other => other.into(),
    }
}

/// Store a new command, its trigger lowercased.
pub async fn create(core: &Core, command: &SlashCommand) -> Result<SlashCommand, CommandError> {
    let mut command = command.clone();
    command.trigger = command.trigger.to_lowercase();
    require_free_trigger(core, &command.team_id, &command.trigger, "").await?;
    core.store
        .create_command(&command)
        .await
        .map_err(conflict_is_duplicate(&command.trigger))
}

/// Overwrite a live command's mutable fields (token included), its trigger
/// lowercased. NotFound if it is gone.
pub async fn update(core: &Core, command: &SlashCommand) -> Result<SlashCommand, CommandError> {
    let mut command = command.clone();
    command.trigger = command.trigger.to_lowercase();
    require_free_trigger(core, &command.team_id, &command.trigger, &command.id).await?;
    core.store
        .update_command(&command)
        .await
        .map_err(conflict_is_duplicate(&command.trigger))
}

/// Give a live command a new token. NotFound if it is gone.
pub async fn regen_token(core: &Core, id: &str, token: &str, at: i64) -> Result<SlashCommand, StoreError> {
    let mut command = core.store.get_command(id).await?.ok_or(StoreError::NotFound)?;
    command.token = token.to_owned();
    command.update_at = at;
    core.store.update_command(&command).await
}

/// Soft-delete a live command at `at`: its trigger no longer runs it.
/// NotFound if it is gone.
pub async fn delete(core: &Core, id: &str, at: i64) -> Result<(), StoreError> {
    core.store.delete_command(id, at).await
}

/// Call a command's receiver now, as the delivery engine calls webhooks:
/// through the guarded client (internal addresses refused unless allowed),
/// waiting at most the callback timeout, reading at most
/// [`MAX_ANSWER_BYTES`](crate::delivery::MAX_ANSWER_BYTES) of the answer.
/// The person who typed the command waits for it, so it is not queued.
pub async fn call(core: &Core, request: &CallRequest) -> CallOutcome {
    crate::delivery::call::send(&core.deliveries.client, &core.allow_internal_callbacks, request).await
}
