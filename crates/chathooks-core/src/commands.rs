//! Mattermost's custom slash commands: every change the adapter makes to
//! them. The adapter checks permissions and the fields; this module keeps
//! the one rule that spans records, a trigger used once per team, and
//! lowercases triggers as Mattermost does. Reads go through
//! [`Reader`](crate::reader::Reader) (`get_command`, `list_team_commands`).
//! Soft deletes keep the row (`delete_at`), so a deleted command reads as
//! missing everywhere at once and its trigger is free again.
//!
//! Each call also opens a `response_url` ([`open_response_url`]), through
//! which the receiver may answer later ([`take_response_url`]), within
//! Mattermost's limits.

use crate::Core;
use serde_json::json;

use crate::delivery::{CallOutcome, CallRequest, ImmediateCall, call_now};
use crate::ids::new_id;
use crate::store::{CommandWebhook, SlashCommand, Store, StoreError, StoreResult, now_ms};

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

/// The `event` of a slash command call in the delivery history.
pub const EVENT_SLASH_COMMAND: &str = "slash_command";

/// Call `command`'s receiver now for `user_id` in `channel_id`, as the
/// delivery engine calls webhooks: through the guarded client (internal
/// addresses refused unless allowed), waiting at most the callback timeout,
/// reading at most [`MAX_ANSWER_BYTES`](crate::delivery::MAX_ANSWER_BYTES)
/// of the answer. The person who typed the command waits for it, so it is
/// not queued; it is recorded in the delivery history all the same
/// ([`call_now`]), delivered when the dialect can use the answer
/// (`usable`).
pub async fn call(
    core: &Core,
    dialect: &str,
    command: &SlashCommand,
    (user_id, channel_id): (&str, &str),
    request: &CallRequest,
    usable: impl FnOnce(&CallOutcome) -> bool,
) -> CallOutcome {
    let what = ImmediateCall {
        dialect,
        event: EVENT_SLASH_COMMAND,
        hook_id: &command.id,
        context: json!({
            "trigger": command.trigger,
            "team_id": command.team_id,
            "user_id": user_id,
            "channel_id": channel_id,
        }),
    };
    call_now(core, what, request, usable).await
}

/// How long a call's `response_url` takes answers (Mattermost's
/// `CommandWebhookLifetime`, 30 minutes).
pub const RESPONSE_URL_LIFETIME_MS: i64 = 30 * 60 * 1000;

/// How many answers one `response_url` takes (Mattermost's limit).
pub const RESPONSE_URL_MAX_USES: i32 = 5;

/// Why an answer through a `response_url` was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ResponseUrlError {
    /// No such id, or older than [`RESPONSE_URL_LIFETIME_MS`].
    #[error("unknown or expired response_url")]
    Missing,
    /// The command was deleted after the call.
    #[error("the command of this response_url is gone")]
    CommandGone,
    /// [`RESPONSE_URL_MAX_USES`] answers were taken already.
    #[error("this response_url has taken all its answers")]
    UsedUp,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Open the `response_url` of one call of `command` by `user_id` in
/// `channel_id` (thread `root_id`): the id is the URL's last part, and its
/// only credential, so it comes from the random id source. Records past
/// their lifetime are swept here, so they never pile up (the index on
/// `create_at` makes the sweep cheap).
pub async fn open_response_url(
    core: &Core,
    command: &SlashCommand,
    user_id: &str,
    channel_id: &str,
    root_id: &str,
) -> StoreResult<CommandWebhook> {
    let now = now_ms();
    core.store
        .delete_command_webhooks_before(now - RESPONSE_URL_LIFETIME_MS)
        .await?;
    let hook = CommandWebhook {
        id: new_id(),
        create_at: now,
        command_id: command.id.clone(),
        user_id: user_id.to_owned(),
        channel_id: channel_id.to_owned(),
        root_id: root_id.to_owned(),
        use_count: 0,
    };
    core.store.create_command_webhook(&hook).await?;
    Ok(hook)
}

/// Take one answer through the `response_url` `id`: its record and command
/// when it is young enough, its command still there, and an answer left
/// (counted now, so two racing answers cannot both take the last one).
pub async fn take_response_url(core: &Core, id: &str) -> Result<(CommandWebhook, SlashCommand), ResponseUrlError> {
    let hook = core
        .store
        .get_command_webhook(id, now_ms() - RESPONSE_URL_LIFETIME_MS)
        .await?
        .ok_or(ResponseUrlError::Missing)?;
    let command = core
        .store
        .get_command(&hook.command_id)
        .await?
        .ok_or(ResponseUrlError::CommandGone)?;
    if !core.store.use_command_webhook(&hook.id, RESPONSE_URL_MAX_USES).await? {
        return Err(ResponseUrlError::UsedUp);
    }
    Ok((hook, command))
}
