//! Mattermost's bot accounts: every change the adapter makes to them.
//!
//! A bot is a user (`User::is_bot`, no password, so it cannot log in)
//! plus a [`Bot`] record (owner, description). The two are written together
//! ([`Store::create_bot`], [`Store::update_bot`]). A bot acts through
//! personal access tokens, like any user; disabling it deactivates its user,
//! so those stop authenticating at once. The adapter checks permissions and
//! the fields; reads go through [`Reader`](crate::reader::Reader)
//! (`get_bot`, `list_bots`).

use crate::Core;
use crate::events::Event;
use crate::store::{Bot, ROLES_SYSTEM_USER, Store, StoreError, StoreResult, User, now_ms};

/// A new bot owned by `owner_id`, and its user, made now: the user is named
/// like the bot, has the email `<username>@localhost` and the display name
/// as first name (Mattermost's `UserFromBot`), no password and the plain
/// `system_user` role.
pub fn new_bot(owner_id: &str, username: &str, display_name: &str, description: &str) -> (User, Bot) {
    let mut user = User::new(username, &bot_email(username), String::new(), ROLES_SYSTEM_USER);
    user.first_name = display_name.to_owned();
    user.is_bot = true;
    let bot = Bot {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: display_name.to_owned(),
        description: description.to_owned(),
        owner_id: owner_id.to_owned(),
        create_at: user.create_at,
        update_at: user.create_at,
        delete_at: 0,
    };
    (user, bot)
}

/// The email Mattermost gives a bot's user.
fn bot_email(username: &str) -> String {
    format!("{}@localhost", username.to_lowercase())
}

/// Store a bot made by [`new_bot`] (its user and record together) and tell
/// the event stream about the new user. Conflict if the username is taken.
pub async fn create(core: &Core, user: &User, bot: &Bot) -> StoreResult<Bot> {
    let created = core.store.create_bot(user, bot).await?;
    if let Some(user) = core.store.get_user(&created.user_id).await? {
        core.emit(Event::UserCreated { user }).await;
    }
    Ok(created)
}

/// What a patch changes; `None` keeps the field.
#[derive(Debug, Clone, Default)]
pub struct BotChanges {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
}

/// Apply `changes` to the bot `user_id` (disabled or not): the username
/// (and with it the email) and display name on its user, the description on
/// its record. NotFound if there is no such bot; Conflict on a taken
/// username.
pub async fn update(core: &Core, user_id: &str, changes: &BotChanges) -> StoreResult<Bot> {
    let (mut user, mut bot) = load(core, user_id).await?;
    let now = now_ms();
    if let Some(username) = &changes.username {
        user.username = username.clone();
        user.email = bot_email(username);
    }
    if let Some(display_name) = &changes.display_name {
        user.first_name = display_name.clone();
    }
    if let Some(description) = &changes.description {
        bot.description = description.clone();
    }
    user.update_at = now;
    bot.update_at = now;
    core.store.update_bot(&user, &bot).await
}

/// Enable or disable the bot `user_id`, its user with it; disabling ends
/// what its tokens authenticated (live connections included). A bot already
/// in that state is returned unchanged. NotFound if there is no such bot.
pub async fn set_active(core: &Core, user_id: &str, active: bool) -> StoreResult<Bot> {
    let (mut user, mut bot) = load(core, user_id).await?;
    if (bot.delete_at == 0) == active && (user.delete_at == 0) == active {
        return Ok(bot);
    }
    let now = now_ms();
    let delete_at = if active { 0 } else { now };
    user.delete_at = delete_at;
    user.update_at = now;
    bot.delete_at = delete_at;
    bot.update_at = now;
    let bot = core.store.update_bot(&user, &bot).await?;
    if !active {
        crate::sessions::revoked(core, user_id, None);
    }
    Ok(bot)
}

/// Make `owner_id` the owner of the bot `user_id` (disabled or not), as
/// Mattermost's `UpdateBotOwner`: the new owner is not looked up (the caller
/// refuses bots). NotFound if there is no such bot.
pub async fn assign_owner(core: &Core, user_id: &str, owner_id: &str) -> StoreResult<Bot> {
    let (user, mut bot) = load(core, user_id).await?;
    bot.owner_id = owner_id.to_owned();
    bot.update_at = now_ms();
    core.store.update_bot(&user, &bot).await
}

/// Turn the human `user` into a bot it owns itself, as Mattermost's
/// `ConvertUserToBot` (`BotFromUser`): no description, its display name
/// kept; its login sessions end (live connections with them), its personal
/// access tokens stay. Conflict if it is a bot already.
pub async fn convert_user_to_bot(core: &Core, user: &User) -> StoreResult<Bot> {
    let now = now_ms();
    let mut user = user.clone();
    user.is_bot = true;
    user.update_at = now;
    let bot = Bot {
        user_id: user.id.clone(),
        owner_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.first_name.clone(),
        description: String::new(),
        create_at: now,
        update_at: now,
        delete_at: user.delete_at,
    };
    let bot = core.store.convert_user_to_bot(&user, &bot).await?;
    crate::sessions::revoked(core, &user.id, None);
    Ok(bot)
}

/// Turn the bot whose user is `user` (as the caller changed it: names,
/// password hash, roles) back into a person, as Mattermost's
/// `ConvertBotToUser`: the bot's record goes, the user stays with its
/// teams, channels, posts and tokens, `is_bot` false. NotFound if it is no
/// bot; Conflict on a taken username or email.
pub async fn convert_bot_to_user(core: &Core, user: &User) -> StoreResult<User> {
    let mut user = user.clone();
    user.is_bot = false;
    user.update_at = now_ms();
    core.store.convert_bot_to_user(&user).await
}

/// The bot `user_id` (disabled or not) and its user.
async fn load(core: &Core, user_id: &str) -> StoreResult<(User, Bot)> {
    let bot = core.store.get_bot(user_id, true).await?.ok_or(StoreError::NotFound)?;
    let user = core.store.get_user(user_id).await?.ok_or(StoreError::NotFound)?;
    Ok((user, bot))
}
