//! What a fresh Rocket.Chat server has before anyone uses it: the `#general`
//! room (id `GENERAL`, its default channel, which new users join) and the
//! `rocket.cat` bot. Clients and test suites written against Rocket.Chat take
//! both for granted (an integration for `#general`, a message from
//! `rocket.cat`).

use chathooks_core::Core;
use chathooks_core::channels;
use chathooks_core::store::{CHANNEL_OPEN, Channel, ROLES_SYSTEM_USER, StoreError, User, now_ms};

use super::error::RcResult;
use super::rooms::{ensure_team_member, rocketchat_team};

/// Id of Rocket.Chat's default room, the same on every server.
pub(crate) const GENERAL_ID: &str = "GENERAL";
/// Name of that room.
pub(crate) const GENERAL_NAME: &str = "general";
/// Rocket.Chat's bot account, made by every fresh server.
pub(crate) const ROCKET_CAT: &str = "rocket.cat";

/// Make `rocket.cat` and `#general` unless they exist. `#general` is made in
/// the Rocket.Chat team only when no live room has that name yet: a seed
/// file's own `general` then serves as the default room.
pub(crate) async fn ensure(core: &Core) -> Result<(), StoreError> {
    let cat = match core.read().get_user_by_username(ROCKET_CAT).await? {
        Some(user) => user,
        None => {
            // No email and no password: nobody logs in as the bot.
            let mut user = User::new(ROCKET_CAT, "", String::new(), ROLES_SYSTEM_USER);
            user.first_name = "Rocket.Cat".into();
            match chathooks_core::accounts::create_user(core, &user).await {
                Ok(user) => user,
                // Made meanwhile by another instance on the same database.
                Err(StoreError::Conflict(_)) => core
                    .read()
                    .get_user_by_username(ROCKET_CAT)
                    .await?
                    .ok_or(StoreError::NotFound)?,
                Err(other) => return Err(other),
            }
        }
    };
    if core.read().get_channel(GENERAL_ID).await?.is_some()
        || core.read().find_channel_by_name(GENERAL_NAME).await?.is_some()
    {
        return Ok(());
    }
    let team = rocketchat_team(core)
        .await
        .map_err(|error| StoreError::Conflict(format!("cannot make the Rocket.Chat team: {error:?}")))?;
    let now = now_ms();
    let general = Channel {
        id: GENERAL_ID.into(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        team_id: team.id,
        channel_type: CHANNEL_OPEN.into(),
        name: GENERAL_NAME.into(),
        display_name: GENERAL_NAME.into(),
        header: String::new(),
        purpose: String::new(),
        creator_id: cat.id.clone(),
        last_post_at: now,
        total_msg_count: 0,
    };
    match channels::create_empty_channel(core, &general, &cat).await {
        // Made meanwhile by another instance on the same database.
        Ok(_) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Set up an account made through this API: a member of the team of the
/// rooms made through it (so its public rooms are open to them, as every
/// public room of a Rocket.Chat is to its users) and, with `join_default`
/// (Rocket.Chat's `joinDefaultChannels`), of the default room.
pub(crate) async fn welcome_new_user(core: &Core, user: &User, join_default: bool) -> RcResult<()> {
    let team = rocketchat_team(core).await?;
    ensure_team_member(core, &team, user).await?;
    if !join_default {
        return Ok(());
    }
    let Some(general) = core.read().get_channel(GENERAL_ID).await?.filter(|c| c.delete_at == 0) else {
        return Ok(());
    };
    if general.team_id != team.id
        && let Some(other) = core.read().get_team(&general.team_id).await?
    {
        ensure_team_member(core, &other, user).await?;
    }
    channels::join_default_channel(core, &general, user).await?;
    Ok(())
}
