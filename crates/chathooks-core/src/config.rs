//! The admin switches: Mattermost's configuration and Rocket.Chat's
//! settings, stored as key → JSON value (the `settings` table) so that a
//! change takes effect at once, survives a restart and is shared by every
//! instance on one database (after at most the store cache's TTL).
//!
//! The switches the core enforces have a [`Switch`] with its default; each
//! dialect maps its own names onto them. Anything else a dialect keeps (the
//! rest of a Mattermost config document, Rocket.Chat settings this server
//! does not act on) is stored under the dialect's own keys and returned as
//! given.

use serde_json::Value;

use crate::Core;
use crate::permissions::policy;
use crate::store::{Store, StoreResult, StoredSetting, now_ms};

/// The switches the core acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch {
    /// Incoming webhooks may be managed and called (Mattermost's
    /// `ServiceSettings.EnableIncomingWebhooks`, on by default).
    IncomingHooks,
    /// Outgoing webhooks may be managed and fire
    /// (`ServiceSettings.EnableOutgoingWebhooks`, on by default).
    OutgoingHooks,
    /// Webhooks may post under another name
    /// (`ServiceSettings.EnablePostUsernameOverride`).
    PostUsernameOverride,
    /// Webhooks may post with another picture
    /// (`ServiceSettings.EnablePostIconOverride`).
    PostIconOverride,
    /// Custom slash commands may be managed and run
    /// (`ServiceSettings.EnableCommands`, on by default).
    Commands,
    /// Bot accounts may be created
    /// (`ServiceSettings.EnableBotAccountCreation`).
    BotAccountCreation,
}

impl Switch {
    pub const ALL: [Switch; 6] = [
        Switch::IncomingHooks,
        Switch::OutgoingHooks,
        Switch::PostUsernameOverride,
        Switch::PostIconOverride,
        Switch::Commands,
        Switch::BotAccountCreation,
    ];

    /// The key it is stored under.
    pub fn key(self) -> &'static str {
        match self {
            Switch::IncomingHooks => "hooks.incoming_enabled",
            Switch::OutgoingHooks => "hooks.outgoing_enabled",
            Switch::PostUsernameOverride => "hooks.post_username_override",
            Switch::PostIconOverride => "hooks.post_icon_override",
            Switch::Commands => "commands.enabled",
            Switch::BotAccountCreation => "bots.account_creation",
        }
    }

    /// The value on a server where nobody set it: Mattermost's own
    /// defaults, so that an integration that relies on a switch a fresh
    /// Mattermost ships off (a name or picture override, bot creation) finds
    /// out here, not in production. Webhooks and commands are on; the
    /// overrides and bot creation are off until an administrator or the seed
    /// file turns them on.
    pub fn default_value(self) -> bool {
        match self {
            Switch::IncomingHooks | Switch::OutgoingHooks | Switch::Commands => true,
            Switch::PostUsernameOverride | Switch::PostIconOverride | Switch::BotAccountCreation => false,
        }
    }
}

/// Is `switch` on?
pub async fn is_on(core: &Core, switch: Switch) -> StoreResult<bool> {
    Ok(get(core, switch.key())
        .await?
        .and_then(|v| v.as_bool())
        .unwrap_or_else(|| switch.default_value()))
}

/// Turn `switch` on or off.
pub async fn set_switch(core: &Core, switch: Switch, on: bool) -> StoreResult<()> {
    set(core, switch.key(), Value::Bool(on)).await
}

/// The stored value of `key`, if it was ever set.
pub async fn get(core: &Core, key: &str) -> StoreResult<Option<Value>> {
    Ok(policy(core).await?.settings.get(key).map(|s| s.value.clone()))
}

/// The stored value of `key` with when it was set (ms since the epoch).
pub async fn get_with_time(core: &Core, key: &str) -> StoreResult<Option<(Value, i64)>> {
    Ok(policy(core)
        .await?
        .settings
        .get(key)
        .map(|s| (s.value.clone(), s.update_at)))
}

/// Store `value` under `key`.
pub async fn set(core: &Core, key: &str, value: Value) -> StoreResult<()> {
    let setting = StoredSetting {
        key: key.to_owned(),
        value,
        update_at: now_ms(),
    };
    let result = core.store.put_setting(&setting).await;
    core.policy.forget();
    result
}
