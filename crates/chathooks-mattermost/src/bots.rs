//! Bot accounts (`/api/v4/bots`), over the core's [`chathooks_core::bots`].
//!
//! Permissions are Mattermost's (`api4/bot.go`, `SessionHasPermissionToManageBot`
//! in `app/authorization.go`): `create_bot` to create; `read_others_bots`, or
//! `read_bots` for one's own, to read; `manage_others_bots`, or
//! `manage_bots` for one's own, to change. A caller who may not read a bot
//! is told it does not exist, so the answer does not reveal which users are
//! bots. All five are system admins' only on a fresh server.

use chathooks_core::Core;
use chathooks_core::bots::{self, BotChanges};
use chathooks_core::config::{self, Switch};
use chathooks_core::ids::is_valid_id;
use chathooks_core::permissions::{Permission, has_system_permission};
use chathooks_core::store::{Bot, BotFilter, ROLES_SYSTEM_ADMIN, StoreError, User};
use chathooks_mattermost_server::ops::{
    assign_bot, convert_bot_to_user, convert_user_to_bot, create_bot, disable_bot, enable_bot, get_bot, get_bots,
    patch_bot,
};
use chathooks_mattermost_types as types;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::paging;
use chathooks_core::accounts::{valid_email, valid_password, valid_username};

/// Longest display name (Mattermost's `BotDisplayNameMaxRunes`, a user's
/// first name).
const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest description (`BotDescriptionMaxRunes`).
const MAX_DESCRIPTION_CHARS: usize = 1024;

/// The wire form: empty display names and descriptions are left out, as
/// Mattermost's `omitempty` does.
pub(crate) fn wire(bot: &Bot) -> types::Bot {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    types::Bot {
        user_id: bot.user_id.clone(),
        username: bot.username.to_lowercase(),
        display_name: non_empty(&bot.display_name),
        description: non_empty(&bot.description),
        owner_id: bot.owner_id.clone(),
        create_at: bot.create_at,
        update_at: bot.update_at,
        delete_at: bot.delete_at,
    }
}

/// Mattermost's answer for a bot that does not exist or may not be seen.
fn bot_not_found() -> ApiError {
    ApiError::not_found("store.sql_bot.get.missing.app_error", "Unable to find the bot.")
}

/// Go's `strconv.ParseBool`, which Mattermost reads these flags with; anything
/// it refuses is false.
fn flag(value: Option<&str>) -> bool {
    matches!(value, Some("1" | "t" | "T" | "true" | "TRUE" | "True"))
}

fn bot_id(bot_user_id: &str) -> ApiResult<&str> {
    if is_valid_id(bot_user_id) {
        Ok(bot_user_id)
    } else {
        Err(ApiError::invalid_url_param("bot_user_id"))
    }
}

async fn holds(core: &Core, user: &User, permission: Permission) -> ApiResult<bool> {
    Ok(has_system_permission(core, user, permission).await?)
}

/// Mattermost's field rules for a bot (`Bot.IsValidCreate`).
fn check_fields(username: &str, display_name: &str, description: &str) -> ApiResult<()> {
    if !valid_username(username) {
        return Err(ApiError::bad_request(
            "model.bot.is_valid.username.app_error",
            "Invalid username.",
        ));
    }
    if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        // Mattermost reports a long display name under the user id's error id.
        return Err(ApiError::bad_request(
            "model.bot.is_valid.user_id.app_error",
            "Invalid display name.",
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::bad_request(
            "model.bot.is_valid.description.app_error",
            "Invalid description.",
        ));
    }
    Ok(())
}

/// A taken username, as Mattermost answers it.
fn username_taken(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(_) => ApiError::bad_request(
            "app.user.save.username_exists.app_error",
            "An account with that username already exists.",
        ),
        StoreError::NotFound => bot_not_found(),
        other => other.into(),
    }
}

/// The bot `user_id` (disabled or not) if `user` may manage it, as
/// Mattermost's `SessionHasPermissionToManageBot`: 404 when it is missing
/// or `user` may not even read it, 403 when `user` may read but not manage it.
pub(crate) async fn managed_bot(core: &Core, user: &User, user_id: &str) -> ApiResult<Bot> {
    let bot = core.read().get_bot(user_id, true).await?.ok_or_else(bot_not_found)?;
    let (manage, read) = if bot.owner_id == user.id {
        (Permission::ManageBots, Permission::ReadBots)
    } else {
        (Permission::ManageOthersBots, Permission::ReadOthersBots)
    };
    if holds(core, user, manage).await? {
        Ok(bot)
    } else if holds(core, user, read).await? {
        Err(ApiError::forbidden())
    } else {
        Err(bot_not_found())
    }
}

pub(crate) async fn create_bot(
    core: &Core,
    caller: Caller,
    request: create_bot::Request,
) -> ApiResult<create_bot::Response> {
    if !holds(core, &caller.user, Permission::CreateBot).await? || caller.user.is_bot {
        return Err(ApiError::forbidden());
    }
    if !config::is_on(core, Switch::BotAccountCreation).await? {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "api.bot.create_disabled",
            "Bot creation has been disabled.",
        ));
    }
    let body = request.body;
    let username = body.username.unwrap_or_default().trim().to_lowercase();
    let display_name = body.display_name.unwrap_or_default();
    let description = body.description.unwrap_or_default();
    check_fields(&username, &display_name, &description)?;
    let (user, bot) = bots::new_bot(&caller.user.id, &username, &display_name, &description);
    let bot = bots::create(core, &user, &bot).await.map_err(username_taken)?;
    Ok(create_bot::Response::Created(wire(&bot)))
}

pub(crate) async fn get_bots(core: &Core, caller: Caller, request: get_bots::Request) -> ApiResult<get_bots::Response> {
    let owner_id = if holds(core, &caller.user, Permission::ReadOthersBots).await? {
        None
    } else if holds(core, &caller.user, Permission::ReadBots).await? {
        Some(caller.user.id.clone())
    } else {
        return Err(ApiError::forbidden());
    };
    let filter = BotFilter {
        owner_id,
        include_deleted: flag(request.include_deleted.as_deref()),
        only_orphaned: flag(request.only_orphaned.as_deref()),
    };
    let (page, per_page) = paging(request.page, request.per_page);
    let bots = core.read().list_bots(&filter, page, per_page).await?;
    Ok(get_bots::Response::Ok(types::BotList(bots.iter().map(wire).collect())))
}

pub(crate) async fn get_bot(core: &Core, caller: Caller, request: get_bot::Request) -> ApiResult<get_bot::Response> {
    let id = bot_id(&request.bot_user_id)?;
    let bot = core
        .read()
        .get_bot(id, flag(request.include_deleted.as_deref()))
        .await?
        .ok_or_else(bot_not_found)?;
    let visible = holds(core, &caller.user, Permission::ReadOthersBots).await?
        || (bot.owner_id == caller.user.id && holds(core, &caller.user, Permission::ReadBots).await?);
    if !visible {
        return Err(bot_not_found());
    }
    Ok(get_bot::Response::Ok(wire(&bot)))
}

pub(crate) async fn patch_bot(
    core: &Core,
    caller: Caller,
    request: patch_bot::Request,
) -> ApiResult<patch_bot::Response> {
    let id = bot_id(&request.bot_user_id)?;
    let bot = managed_bot(core, &caller.user, id).await?;
    let body = request.body;
    let changes = BotChanges {
        username: body.username.map(|u| u.trim().to_lowercase()),
        display_name: body.display_name,
        description: body.description,
    };
    let would_change = changes
        .username
        .as_ref()
        .is_some_and(|u| *u != bot.username.to_lowercase())
        || changes.display_name.as_ref().is_some_and(|d| *d != bot.display_name)
        || changes.description.as_ref().is_some_and(|d| *d != bot.description);
    if !would_change {
        // Mattermost's `WouldPatch`: nothing to write, the bot as it is.
        return Ok(patch_bot::Response::Ok(wire(&bot)));
    }
    check_fields(
        changes.username.as_deref().unwrap_or(&bot.username.to_lowercase()),
        changes.display_name.as_deref().unwrap_or(&bot.display_name),
        changes.description.as_deref().unwrap_or(&bot.description),
    )?;
    let bot = bots::update(core, id, &changes).await.map_err(username_taken)?;
    Ok(patch_bot::Response::Ok(wire(&bot)))
}

async fn set_active(core: &Core, caller: &Caller, bot_user_id: &str, active: bool) -> ApiResult<types::Bot> {
    let id = bot_id(bot_user_id)?;
    managed_bot(core, &caller.user, id).await?;
    let bot = bots::set_active(core, id, active).await.map_err(username_taken)?;
    Ok(wire(&bot))
}

pub(crate) async fn disable_bot(
    core: &Core,
    caller: Caller,
    request: disable_bot::Request,
) -> ApiResult<disable_bot::Response> {
    Ok(disable_bot::Response::Ok(
        set_active(core, &caller, &request.bot_user_id, false).await?,
    ))
}

pub(crate) async fn enable_bot(
    core: &Core,
    caller: Caller,
    request: enable_bot::Request,
) -> ApiResult<enable_bot::Response> {
    Ok(enable_bot::Response::Ok(
        set_active(core, &caller, &request.bot_user_id, true).await?,
    ))
}

/// Give the bot to another owner (Mattermost's `assignBot`): the caller must
/// manage the bot, and a bot may not own one.
pub(crate) async fn assign_bot(
    core: &Core,
    caller: Caller,
    request: assign_bot::Request,
) -> ApiResult<assign_bot::Response> {
    // Mattermost checks the owner's id before the bot's.
    if !is_valid_id(&request.user_id) {
        return Err(ApiError::invalid_url_param("user_id"));
    }
    let id = bot_id(&request.bot_user_id)?;
    managed_bot(core, &caller.user, id).await?;
    let new_owner = core.read().get_user(&request.user_id).await?;
    if new_owner.is_some_and(|owner| owner.is_bot) {
        return Err(ApiError::forbidden());
    }
    let bot = bots::assign_owner(core, id, &request.user_id)
        .await
        .map_err(username_taken)?;
    Ok(assign_bot::Response::Ok(wire(&bot)))
}

/// Make a user a bot (Mattermost's `convertUserToBot`): the user is looked
/// up before the caller's `manage_system` is checked, as Mattermost does.
pub(crate) async fn convert_user_to_bot(
    core: &Core,
    caller: Caller,
    request: convert_user_to_bot::Request,
) -> ApiResult<convert_user_to_bot::Response> {
    if !is_valid_id(&request.user_id) {
        return Err(ApiError::invalid_url_param("user_id"));
    }
    let user = core
        .read()
        .get_user(&request.user_id)
        .await?
        .ok_or_else(super::users::user_not_found)?;
    if !holds(core, &caller.user, Permission::ManageSystem).await? {
        return Err(ApiError::forbidden());
    }
    let bot = bots::convert_user_to_bot(core, &user)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => {
                ApiError::bad_request("app.bot.createbot.internal_error", "The user is a bot already.")
            }
            StoreError::NotFound => super::users::user_not_found(),
            other => other.into(),
        })?;
    Ok(convert_user_to_bot::Response::Ok(wire(&bot)))
}

/// Make a bot a person again (Mattermost's `convertBotToUser`): the bot is
/// looked up first (disabled ones too), then the password is required, then
/// the caller's `manage_system`, in Mattermost's order. The body's fields
/// are applied as `UserPatch` applies them, each under the rule account
/// creation uses.
pub(crate) async fn convert_bot_to_user(
    core: &Core,
    caller: Caller,
    request: convert_bot_to_user::Request,
) -> ApiResult<convert_bot_to_user::Response> {
    let id = bot_id(&request.bot_user_id)?;
    core.read().get_bot(id, true).await?.ok_or_else(bot_not_found)?;
    let patch = request.body;
    let Some(password) = patch.password.filter(|password| !password.is_empty()) else {
        return Err(ApiError::invalid_body_param("userPatch"));
    };
    if !holds(core, &caller.user, Permission::ManageSystem).await? {
        return Err(ApiError::forbidden());
    }
    let mut user = core
        .read()
        .get_user(id)
        .await?
        .ok_or_else(super::users::user_not_found)?;
    if let Some(username) = patch.username {
        user.username = username.trim().to_lowercase();
        if !valid_username(&user.username) {
            return Err(ApiError::bad_request(
                "model.user.is_valid.username.app_error",
                "Invalid username.",
            ));
        }
    }
    if let Some(email) = patch.email {
        user.email = email.trim().to_lowercase();
        if !valid_email(&user.email) {
            return Err(ApiError::bad_request(
                "model.user.is_valid.email.app_error",
                "Invalid email.",
            ));
        }
    }
    if !valid_password(&password) {
        return Err(ApiError::bad_request(
            "model.user.is_valid.pwd.app_error",
            "Your password must contain between 5 and 72 characters.",
        ));
    }
    for (field, value) in [
        (&mut user.first_name, patch.first_name),
        (&mut user.last_name, patch.last_name),
        (&mut user.nickname, patch.nickname),
    ] {
        if let Some(value) = value {
            *field = value;
        }
    }
    if let Some(locale) = patch.locale.filter(|locale| !locale.is_empty()) {
        user.locale = locale;
    }
    if flag(request.set_system_admin.as_deref()) {
        user.roles = ROLES_SYSTEM_ADMIN.to_owned();
    }
    user.password_hash = core.passwords.hash(&password).await?;
    user.last_password_update = chathooks_core::store::now_ms();
    let user = bots::convert_bot_to_user(core, &user)
        .await
        .map_err(|error| match error {
            StoreError::NotFound => bot_not_found(),
            other => super::users::conflict(other),
        })?;
    Ok(convert_bot_to_user::Response::Ok(super::convert::user(&user)))
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn flags_are_read_as_go_parses_booleans() {
        for yes in ["1", "t", "T", "true", "TRUE", "True"] {
            assert!(flag(Some(yes)), "{yes}");
        }
        for no in ["", "0", "yes", "on", "tRuE"] {
            assert!(!flag(Some(no)), "{no}");
        }
        assert!(!flag(None));
    }
}
