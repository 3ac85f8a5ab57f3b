//! Custom slash command management (`/api/v4/commands...` and the team's
//! autocomplete list), after Mattermost's `api4/command.go`.
//!
//! Permissions are team-scoped: `manage_own_slash_commands` for one's own
//! commands, `manage_others_slash_commands` as well for someone else's. As in
//! Mattermost, a command the caller may not manage at all reads as missing
//! (404), so ids do not leak; only the others-permission is reported as 403.
//! Running a command is in [`crate::slash`].

use chathooks_mattermost_server::ops::{
    create_command, delete_command, get_command, list_autocomplete_commands, list_commands, regen_command_token,
    update_command,
};
use chathooks_mattermost_types as types;

use super::auth::{Caller, Permission, has_team_permission, require_team_permission};
use super::config::{HookKind, require_enabled};
use super::error::{ApiError, ApiResult};
use super::status_ok;
use super::users::user_not_found;
use chathooks_core::Core;
use chathooks_core::commands::CommandError;
use chathooks_core::config::{self, Switch};
use chathooks_core::ids::{is_valid_id, new_id};
use chathooks_core::store::{SlashCommand, StoreError, now_ms};

/// Longest trigger, in bytes (Mattermost's `MaxTriggerLength`).
const MAX_TRIGGER_LEN: usize = 128;
/// Longest URL, in bytes.
const MAX_URL_LEN: usize = 1024;
const MAX_DISPLAY_NAME_LEN: usize = 64;
const MAX_DESCRIPTION_LEN: usize = 128;
/// Length of a token (a Mattermost id).
const TOKEN_LEN: usize = 26;

/// POST with the payload form-encoded.
pub(crate) const METHOD_POST: &str = "P";
/// GET with the payload in the query.
pub(crate) const METHOD_GET: &str = "G";

// ----- errors -----

/// What Mattermost answers for a missing command, and for one the caller may
/// not see.
pub(crate) fn command_not_found() -> ApiError {
    ApiError::not_found("store.sql_command.save.get.app_error", "We couldn't get the command.")
}

/// The triggers of Mattermost's built-in commands, which a custom command
/// may not take (`CreateCommand` checks each built-in provider; `/echo`
/// only exists on test servers, so it stays free).
const BUILT_IN_TRIGGERS: &[&str] = &[
    "away",
    "code",
    "collapse",
    "dnd",
    "expand",
    "groupmsg",
    "header",
    "help",
    "invite",
    "invite_people",
    "join",
    "kick",
    "leave",
    "logout",
    "me",
    "msg",
    "mute",
    "offline",
    "online",
    "open",
    "purpose",
    "remove",
    "rename",
    "search",
    "settings",
    "shortcuts",
    "shrug",
    "status",
];

fn duplicate_trigger() -> ApiError {
    ApiError::bad_request(
        "api.command.duplicate_trigger.app_error",
        "This trigger word is already in use. Please choose another word.",
    )
}

fn invalid(field: &str, message: &str) -> ApiError {
    ApiError::bad_request(format!("model.command.is_valid.{field}.app_error"), message)
}

impl From<CommandError> for ApiError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::DuplicateTrigger(_) => duplicate_trigger(),
            CommandError::Store(StoreError::NotFound) => command_not_found(),
            CommandError::Store(other) => other.into(),
        }
    }
}

// ----- checks -----

/// Mattermost's `Command.IsValid` on the fields a client chooses. The
/// trigger is checked lowercased, as Mattermost lowercases it first.
fn check_fields(command: &SlashCommand) -> ApiResult<()> {
    if command.token.len() != TOKEN_LEN {
        return Err(invalid("token", "Invalid token."));
    }
    let trigger = &command.trigger;
    if trigger.is_empty() || trigger.len() > MAX_TRIGGER_LEN || trigger.starts_with('/') || trigger.contains(' ') {
        return Err(invalid(
            "trigger",
            "Invalid trigger: it must be 1 to 128 characters, without spaces, and must not start with a slash.",
        ));
    }
    if command.url.is_empty() || command.url.len() > MAX_URL_LEN {
        return Err(invalid("url", "Invalid URL."));
    }
    if !is_http_url(&command.url) {
        return Err(invalid(
            "url_http",
            "Invalid URL: it must start with http:// or https://.",
        ));
    }
    if command.method != METHOD_POST && command.method != METHOD_GET {
        return Err(invalid("method", "Invalid method: it must be P or G."));
    }
    if command.display_name.len() > MAX_DISPLAY_NAME_LEN {
        return Err(invalid("display_name", "Invalid title."));
    }
    if command.description.len() > MAX_DESCRIPTION_LEN {
        return Err(invalid("description", "Invalid description."));
    }
    Ok(())
}

fn is_http_url(raw: &str) -> bool {
    if !(raw.starts_with("http://") || raw.starts_with("https://")) {
        return false;
    }
    url::Url::parse(raw).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// The live command `command_id` names: 400 for a malformed id, 404 when
/// missing or deleted.
async fn load(state: &Core, command_id: &str) -> ApiResult<SlashCommand> {
    if !is_valid_id(command_id) {
        return Err(ApiError::invalid_url_param("command_id"));
    }
    require_enabled(state, HookKind::Commands).await?;
    state
        .read()
        .get_command(command_id)
        .await?
        .ok_or_else(command_not_found)
}

/// A command the caller may manage: 404 without the own-permission on its
/// team, 403 for someone else's without the others-permission.
async fn managed(state: &Core, caller: &Caller, command_id: &str) -> ApiResult<SlashCommand> {
    let command = load(state, command_id).await?;
    if !has_team_permission(
        state,
        &caller.user,
        &command.team_id,
        Permission::ManageOwnSlashCommands,
    )
    .await?
    {
        return Err(command_not_found());
    }
    if command.creator_id != caller.user.id {
        require_team_permission(
            state,
            &caller.user,
            &command.team_id,
            Permission::ManageOthersSlashCommands,
        )
        .await?;
    }
    Ok(command)
}

/// The fields of `input` a client chooses, over `base`.
fn apply(base: &mut SlashCommand, input: types::CommandInput) {
    let text = |value: Option<String>| value.unwrap_or_default();
    base.trigger = text(input.trigger).to_lowercase();
    base.method = text(input.method);
    base.username = text(input.username);
    base.icon_url = text(input.icon_url);
    base.auto_complete = input.auto_complete.unwrap_or(false);
    base.auto_complete_desc = text(input.auto_complete_desc);
    base.auto_complete_hint = text(input.auto_complete_hint);
    base.display_name = text(input.display_name);
    base.description = text(input.description);
    base.url = text(input.url);
}

pub(crate) fn wire(command: &SlashCommand) -> types::Command {
    types::Command {
        id: command.id.clone(),
        token: command.token.clone(),
        create_at: command.create_at,
        update_at: command.update_at,
        delete_at: command.delete_at,
        creator_id: command.creator_id.clone(),
        team_id: command.team_id.clone(),
        trigger: command.trigger.clone(),
        method: command.method.clone(),
        username: command.username.clone(),
        icon_url: command.icon_url.clone(),
        auto_complete: command.auto_complete,
        auto_complete_desc: command.auto_complete_desc.clone(),
        auto_complete_hint: command.auto_complete_hint.clone(),
        display_name: command.display_name.clone(),
        description: command.description.clone(),
        url: command.url.clone(),
        plugin_id: String::new(),
    }
}

/// What anyone in the team may see of a command (Mattermost's
/// `Command.Sanitize`): nothing that lets them call or pose as it.
fn sanitized(command: &SlashCommand) -> types::Command {
    types::Command {
        token: String::new(),
        creator_id: String::new(),
        method: String::new(),
        url: String::new(),
        username: String::new(),
        icon_url: String::new(),
        ..wire(command)
    }
}

// ----- handlers -----

pub(crate) async fn create_command(
    state: &Core,
    caller: Caller,
    request: create_command::Request,
) -> ApiResult<create_command::Response> {
    let mut input = request.body;
    let team_id = input.team_id.take().unwrap_or_default();
    require_team_permission(state, &caller.user, &team_id, Permission::ManageOwnSlashCommands).await?;
    require_enabled(state, HookKind::Commands).await?;
    let mut creator_id = caller.user.id.clone();
    if let Some(owner) = input
        .creator_id
        .take()
        .filter(|id| !id.is_empty() && *id != caller.user.id)
    {
        require_team_permission(state, &caller.user, &team_id, Permission::ManageOthersSlashCommands).await?;
        if !is_valid_id(&owner) || state.read().get_user(&owner).await?.is_none() {
            return Err(user_not_found());
        }
        creator_id = owner;
    }
    if input.id.as_deref().is_some_and(|id| !id.is_empty()) {
        return Err(invalid("id", "Invalid id: the server chooses it."));
    }
    let token = match input.token.take().filter(|t| !t.is_empty()) {
        Some(token) => token,
        None => new_id(),
    };
    let at = now_ms();
    let mut command = SlashCommand {
        id: new_id(),
        token,
        create_at: at,
        update_at: at,
        delete_at: 0,
        creator_id,
        team_id,
        trigger: String::new(),
        method: String::new(),
        username: String::new(),
        icon_url: String::new(),
        auto_complete: false,
        auto_complete_desc: String::new(),
        auto_complete_hint: String::new(),
        display_name: String::new(),
        description: String::new(),
        url: String::new(),
    };
    apply(&mut command, input);
    check_fields(&command)?;
    if BUILT_IN_TRIGGERS.contains(&command.trigger.to_lowercase().as_str()) {
        return Err(duplicate_trigger());
    }
    let command = chathooks_core::commands::create(state, &command).await?;
    Ok(create_command::Response::Created(wire(&command)))
}

pub(crate) async fn list_commands(
    state: &Core,
    caller: Caller,
    request: list_commands::Request,
) -> ApiResult<list_commands::Response> {
    let team_id = request.team_id.filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::bad_request(
            "api.context.invalid_param.app_error",
            "Invalid or missing team_id in request.",
        )
    })?;
    let custom_only = request.custom_only.as_deref().is_some_and(go_parse_bool);
    require_team_permission(state, &caller.user, &team_id, Permission::ViewTeam).await?;
    require_enabled(state, HookKind::Commands).await?;
    let manages = has_team_permission(state, &caller.user, &team_id, Permission::ManageOwnSlashCommands).await?;
    let commands = state.read().list_team_commands(&team_id).await?;
    if !manages {
        if custom_only {
            return Err(ApiError::forbidden());
        }
        let list = commands.iter().filter(|c| c.auto_complete).map(sanitized).collect();
        return Ok(list_commands::Response::Ok(types::CommandList(list)));
    }
    let all = has_team_permission(state, &caller.user, &team_id, Permission::ManageOthersSlashCommands).await?;
    let list = commands
        .iter()
        .filter(|c| all || c.creator_id == caller.user.id)
        .map(wire)
        .collect();
    Ok(list_commands::Response::Ok(types::CommandList(list)))
}

/// Go's `strconv.ParseBool`, true side.
fn go_parse_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

pub(crate) async fn get_command(
    state: &Core,
    caller: Caller,
    request: get_command::Request,
) -> ApiResult<get_command::Response> {
    let command = load(state, &request.command_id).await?;
    let may = has_team_permission(state, &caller.user, &command.team_id, Permission::ViewTeam).await?
        && has_team_permission(
            state,
            &caller.user,
            &command.team_id,
            Permission::ManageOwnSlashCommands,
        )
        .await?
        && (command.creator_id == caller.user.id
            || has_team_permission(
                state,
                &caller.user,
                &command.team_id,
                Permission::ManageOthersSlashCommands,
            )
            .await?);
    if !may {
        return Err(command_not_found());
    }
    Ok(get_command::Response::Ok(wire(&command)))
}

pub(crate) async fn update_command(
    state: &Core,
    caller: Caller,
    request: update_command::Request,
) -> ApiResult<update_command::Response> {
    let mut input = request.body;
    if !is_valid_id(&request.command_id) {
        return Err(ApiError::invalid_url_param("command_id"));
    }
    if input.id.as_deref() != Some(request.command_id.as_str()) {
        return Err(ApiError::bad_request(
            "api.context.invalid_param.app_error",
            "Invalid or missing command in request body.",
        ));
    }
    let old = load(state, &request.command_id).await?;
    if input.team_id.take().unwrap_or_default() != old.team_id {
        return Err(ApiError::bad_request(
            "api.command.team_mismatch.app_error",
            "Unable to update commands across teams.",
        ));
    }
    let mut command = managed(state, &caller, &old.id).await?;
    apply(&mut command, input);
    command.update_at = now_ms();
    check_fields(&command)?;
    let command = chathooks_core::commands::update(state, &command).await?;
    Ok(update_command::Response::Ok(wire(&command)))
}

pub(crate) async fn delete_command(
    state: &Core,
    caller: Caller,
    request: delete_command::Request,
) -> ApiResult<delete_command::Response> {
    let command = managed(state, &caller, &request.command_id).await?;
    chathooks_core::commands::delete(state, &command.id, now_ms())
        .await
        .map_err(|e| ApiError::from(CommandError::Store(e)))?;
    Ok(delete_command::Response::Ok(status_ok()))
}

pub(crate) async fn regen_command_token(
    state: &Core,
    caller: Caller,
    request: regen_command_token::Request,
) -> ApiResult<regen_command_token::Response> {
    let command = managed(state, &caller, &request.command_id).await?;
    let command = chathooks_core::commands::regen_token(state, &command.id, &new_id(), now_ms())
        .await
        .map_err(|e| ApiError::from(CommandError::Store(e)))?;
    Ok(regen_command_token::Response::Ok(types::RegenCommandTokenResponse {
        token: command.token,
    }))
}

pub(crate) async fn list_autocomplete_commands(
    state: &Core,
    caller: Caller,
    request: list_autocomplete_commands::Request,
) -> ApiResult<list_autocomplete_commands::Response> {
    if !is_valid_id(&request.team_id) {
        return Err(ApiError::invalid_url_param("team_id"));
    }
    require_team_permission(state, &caller.user, &request.team_id, Permission::ViewTeam).await?;
    // With commands off, Mattermost lists only its built-in ones.
    if !config::is_on(state, Switch::Commands).await? {
        return Ok(list_autocomplete_commands::Response::Ok(types::CommandList(Vec::new())));
    }
    let commands = state.read().list_team_commands(&request.team_id).await?;
    let list = commands.iter().filter(|c| c.auto_complete).map(sanitized).collect();
    Ok(list_autocomplete_commands::Response::Ok(types::CommandList(list)))
}
