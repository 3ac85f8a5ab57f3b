//! What a user may do: roles holding permissions, stored.
//!
//! One model for both APIs. A user holds system roles (`User::roles`), team
//! roles in each team (`TeamMember::roles`) and channel roles; each role
//! holds a set of [`Permission`]s. The dialects name permissions and roles
//! their own way (Mattermost's `manage_own_incoming_webhooks` and
//! `team_admin`, Rocket.Chat's `manage-own-incoming-integrations` and
//! `admin`) and map them onto these.
//!
//! Each role starts with the permissions its server ships it with
//! ([`default_permissions`]); an administrator may change them through
//! either API's admin endpoints. Only changed roles are stored (the `roles`
//! table), so a reset restores the defaults, every instance sharing the
//! database sees a change after at most the store cache's TTL, and a
//! restart keeps it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::Core;
use crate::store::{CACHE_TTL, CHANNEL_OPEN, Channel, Store, StoreResult, StoredRole, StoredSetting, User, now_ms};

/// The permissions this server checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ManageOwnIncomingHooks,
    ManageOthersIncomingHooks,
    ManageOwnOutgoingHooks,
    ManageOthersOutgoingHooks,
    /// Post through a channel-locked incoming hook to another channel.
    BypassIncomingHookChannelLock,
    /// Add other users to the team.
    AddUserToTeam,
    /// Read the team and its public channels.
    ViewTeam,
    /// Create accounts for others.
    CreateUser,
    /// Create public channels.
    CreatePublicChannel,
    /// Post with another name or picture (Rocket.Chat's `alias`, `avatar`, `emoji`).
    Impersonate,
    /// Create, list and revoke one's own personal access tokens.
    CreateAccessToken,
    /// Act on other users' records (their tokens, for one).
    EditOtherUsers,
    /// Edit other users' posts (team admins).
    EditOthersPosts,
    /// Delete other users' posts (team admins).
    DeleteOthersPosts,
    /// Take back other users' reactions.
    RemoveOthersReactions,
    /// Show a post to one user only, without storing it (Mattermost's
    /// `create_post_ephemeral`).
    CreateEphemeralPost,
    /// Read and change the server's configuration, roles and permissions.
    ManageSystem,
    /// Change a team's settings (Mattermost's `manage_team`: team admins).
    ManageTeam,
    /// Remove other users from a team (Mattermost's `remove_user_from_team`:
    /// team admins; leaving oneself needs nothing).
    RemoveUserFromTeam,
    /// Create and manage one's own slash commands (Mattermost's
    /// `manage_own_slash_commands`, once `manage_slash_commands`).
    ManageOwnSlashCommands,
    /// Manage slash commands other users created.
    ManageOthersSlashCommands,
    /// Create bot accounts (Mattermost's `create_bot`).
    CreateBot,
    /// Read the bots one owns (`read_bots`).
    ReadBots,
    /// Read every bot (`read_others_bots`).
    ReadOthersBots,
    /// Change, disable and enable the bots one owns (`manage_bots`).
    ManageBots,
    /// Change, disable and enable every bot (`manage_others_bots`).
    ManageOthersBots,
    /// Delete accounts (Rocket.Chat's `delete-user`: administrators'). A
    /// permission of its own rather than `manage_system`, so that granting
    /// it grants nothing else.
    DeleteUser,
    /// Create teams through the Rocket.Chat API (`create-team`: every
    /// account's and administrators', as Rocket.Chat ships it).
    CreateTeam,
}

impl Permission {
    /// Every permission, in a stable order.
    pub const ALL: [Permission; 28] = [
        Permission::ManageOwnIncomingHooks,
        Permission::ManageOthersIncomingHooks,
        Permission::ManageOwnOutgoingHooks,
        Permission::ManageOthersOutgoingHooks,
        Permission::BypassIncomingHookChannelLock,
        Permission::AddUserToTeam,
        Permission::ViewTeam,
        Permission::CreateUser,
        Permission::CreatePublicChannel,
        Permission::Impersonate,
        Permission::CreateAccessToken,
        Permission::EditOtherUsers,
        Permission::EditOthersPosts,
        Permission::DeleteOthersPosts,
        Permission::RemoveOthersReactions,
        Permission::CreateEphemeralPost,
        Permission::ManageSystem,
        Permission::ManageTeam,
        Permission::RemoveUserFromTeam,
        Permission::ManageOwnSlashCommands,
        Permission::ManageOthersSlashCommands,
        Permission::CreateBot,
        Permission::ReadBots,
        Permission::ReadOthersBots,
        Permission::ManageBots,
        Permission::ManageOthersBots,
        Permission::DeleteUser,
        Permission::CreateTeam,
    ];

    /// The core's id of the permission, as stored. Where Mattermost has the
    /// permission, its name; otherwise a name in the same style.
    pub fn id(self) -> &'static str {
        match self {
            Permission::ManageOwnIncomingHooks => "manage_own_incoming_webhooks",
            Permission::ManageOthersIncomingHooks => "manage_others_incoming_webhooks",
            Permission::ManageOwnOutgoingHooks => "manage_own_outgoing_webhooks",
            Permission::ManageOthersOutgoingHooks => "manage_others_outgoing_webhooks",
            Permission::BypassIncomingHookChannelLock => "bypass_incoming_webhook_channel_lock",
            Permission::AddUserToTeam => "add_user_to_team",
            Permission::ViewTeam => "view_team",
            Permission::CreateUser => "create_user",
            Permission::CreatePublicChannel => "create_public_channel",
            Permission::Impersonate => "message_impersonate",
            Permission::CreateAccessToken => "create_user_access_token",
            Permission::EditOtherUsers => "edit_other_users",
            Permission::EditOthersPosts => "edit_others_posts",
            Permission::DeleteOthersPosts => "delete_others_posts",
            Permission::RemoveOthersReactions => "remove_others_reactions",
            Permission::CreateEphemeralPost => "create_post_ephemeral",
            Permission::ManageSystem => "manage_system",
            Permission::ManageTeam => "manage_team",
            Permission::RemoveUserFromTeam => "remove_user_from_team",
            Permission::ManageOwnSlashCommands => "manage_own_slash_commands",
            Permission::ManageOthersSlashCommands => "manage_others_slash_commands",
            Permission::CreateBot => "create_bot",
            Permission::ReadBots => "read_bots",
            Permission::ReadOthersBots => "read_others_bots",
            Permission::ManageBots => "manage_bots",
            Permission::ManageOthersBots => "manage_others_bots",
            Permission::DeleteUser => "delete_user",
            Permission::CreateTeam => "create_team",
        }
    }

    /// The permission with this core id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// System role of every account (Mattermost's `system_user`, Rocket.Chat's `user`).
pub const ROLE_SYSTEM_USER: &str = "system_user";
/// System administrators (Rocket.Chat's `admin`).
pub const ROLE_SYSTEM_ADMIN: &str = "system_admin";
/// The system role that grants [`Permission::CreateAccessToken`], as on Mattermost.
pub const ROLE_USER_ACCESS_TOKEN: &str = "system_user_access_token";
/// Rocket.Chat's `bot` role (a system role).
pub const ROLE_BOT: &str = "bot";
/// Team members.
pub const ROLE_TEAM_USER: &str = "team_user";
/// Team administrators.
pub const ROLE_TEAM_ADMIN: &str = "team_admin";
/// Channel members.
pub const ROLE_CHANNEL_USER: &str = "channel_user";
/// Channel administrators (Rocket.Chat's room `owner`).
pub const ROLE_CHANNEL_ADMIN: &str = "channel_admin";

/// Every role this server knows, system roles first.
pub const ROLES: [&str; 8] = [
    ROLE_SYSTEM_USER,
    ROLE_SYSTEM_ADMIN,
    ROLE_USER_ACCESS_TOKEN,
    ROLE_BOT,
    ROLE_TEAM_USER,
    ROLE_TEAM_ADMIN,
    ROLE_CHANNEL_USER,
    ROLE_CHANNEL_ADMIN,
];

/// What a role holds on a fresh server, as the servers ship them:
/// - Mattermost (`model/role.go`): `team_user` and `system_user` hold no
///   webhook or slash-command permission; `team_admin` holds the webhook
///   ones (own and others', and the channel-lock bypass), both slash-command
///   ones, and the post moderation ones;
///   `system_admin` everything, the five bot permissions (`create_bot`,
///   `read_bots`, `read_others_bots`, `manage_bots`, `manage_others_bots`)
///   included, which no other role holds.
/// - Rocket.Chat (`authorization/server/constant/permissions.ts`): the four
///   `manage-*-integrations` and `create-user` are `admin`'s only; `create-c`
///   is `user`'s, `bot`'s and `admin`'s; `create-team` `user`'s and
///   `admin`'s; `message-impersonate` is `bot`'s
///   (and `app`'s), not `admin`'s.
pub fn default_permissions(role: &str) -> Vec<Permission> {
    use Permission::*;
    match role {
        ROLE_SYSTEM_ADMIN => Permission::ALL.into_iter().filter(|p| *p != Impersonate).collect(),
        ROLE_SYSTEM_USER => vec![CreatePublicChannel, CreateTeam],
        ROLE_USER_ACCESS_TOKEN => vec![CreateAccessToken],
        ROLE_BOT => vec![CreatePublicChannel, Impersonate],
        ROLE_TEAM_USER => vec![ViewTeam, CreatePublicChannel],
        ROLE_TEAM_ADMIN => vec![
            ViewTeam,
            CreatePublicChannel,
            AddUserToTeam,
            ManageOwnIncomingHooks,
            ManageOthersIncomingHooks,
            ManageOwnOutgoingHooks,
            ManageOthersOutgoingHooks,
            BypassIncomingHookChannelLock,
            EditOthersPosts,
            DeleteOthersPosts,
            ManageTeam,
            RemoveUserFromTeam,
            ManageOwnSlashCommands,
            ManageOthersSlashCommands,
        ],
        _ => Vec::new(),
    }
}

/// A role and what it holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub permissions: Vec<Permission>,
    /// When an administrator last changed it (0: never, the default).
    pub update_at: i64,
}

impl Role {
    pub fn holds(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

/// The stored roles and switches, as one snapshot.
#[derive(Debug, Default)]
pub(crate) struct Policy {
    roles: HashMap<String, StoredRole>,
    pub(crate) settings: HashMap<String, StoredSetting>,
}

impl Policy {
    fn role(&self, name: &str) -> Option<Role> {
        if let Some(stored) = self.roles.get(name) {
            return Some(Role {
                name: name.to_owned(),
                permissions: stored
                    .permissions
                    .iter()
                    .filter_map(|id| Permission::from_id(id))
                    .collect(),
                update_at: stored.update_at,
            });
        }
        ROLES.contains(&name).then(|| Role {
            name: name.to_owned(),
            permissions: default_permissions(name),
            update_at: 0,
        })
    }

    /// Does any of the space-separated `roles` hold `permission`?
    fn any_holds(&self, roles: &str, permission: Permission) -> bool {
        roles
            .split_whitespace()
            .any(|name| self.role(name).is_some_and(|r| r.holds(permission)))
    }
}

/// The snapshot of [`Policy`] this process uses, read again after
/// [`CACHE_TTL`] (another instance's changes) or at once after a change
/// made here. Every request checks permissions, so they are not read from
/// the database each time.
#[derive(Default)]
pub(crate) struct PolicyCache {
    inner: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    loaded: Option<(Instant, Arc<Policy>)>,
    /// Moves on every local change; a load that started before keeps
    /// nothing (see the store cache's generation).
    generation: u64,
}

impl PolicyCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn forget(&self) {
        let mut state = self.lock();
        state.loaded = None;
        state.generation += 1;
    }
}

/// The current policy snapshot.
pub(crate) async fn policy(core: &Core) -> StoreResult<Arc<Policy>> {
    let generation = {
        let state = core.policy.lock();
        if let Some((at, policy)) = &state.loaded
            && at.elapsed() < CACHE_TTL
        {
            return Ok(policy.clone());
        }
        state.generation
    };
    let roles = core.store.list_roles().await?;
    let settings = core.store.list_settings().await?;
    let policy = Arc::new(Policy {
        roles: roles.into_iter().map(|r| (r.name.clone(), r)).collect(),
        settings: settings.into_iter().map(|s| (s.key.clone(), s)).collect(),
    });
    let mut state = core.policy.lock();
    if state.generation == generation {
        state.loaded = Some((Instant::now(), policy.clone()));
    }
    Ok(policy)
}

/// The role named `name` (one of [`ROLES`]), as it is now.
pub async fn role(core: &Core, name: &str) -> StoreResult<Option<Role>> {
    Ok(policy(core).await?.role(name))
}

/// Every role, as they are now, in [`ROLES`]'s order.
pub async fn roles(core: &Core) -> StoreResult<Vec<Role>> {
    let policy = policy(core).await?;
    Ok(ROLES.iter().filter_map(|name| policy.role(name)).collect())
}

/// Give role `name` exactly `permissions`. NotFound for a role this server
/// does not know. Takes effect at once here, on other instances within
/// the cache TTL.
pub async fn set_role_permissions(core: &Core, name: &str, permissions: &[Permission]) -> StoreResult<Role> {
    if !ROLES.contains(&name) {
        return Err(crate::store::StoreError::NotFound);
    }
    let mut ids: Vec<String> = Vec::new();
    for p in Permission::ALL {
        if permissions.contains(&p) {
            ids.push(p.id().to_owned());
        }
    }
    let stored = StoredRole {
        name: name.to_owned(),
        permissions: ids,
        update_at: now_ms(),
    };
    let result = core.store.put_role(&stored).await;
    core.policy.forget();
    result?;
    Ok(role(core, name).await?.unwrap_or(Role {
        name: name.to_owned(),
        permissions: permissions.to_vec(),
        update_at: stored.update_at,
    }))
}

/// Grant or take away one permission from a role (Rocket.Chat's
/// `permissions.update` sets, per permission, the roles holding it).
pub async fn set_role_holds(core: &Core, name: &str, permission: Permission, holds: bool) -> StoreResult<Role> {
    let Some(mut current) = role(core, name).await? else {
        return Err(crate::store::StoreError::NotFound);
    };
    if current.holds(permission) == holds {
        return Ok(current);
    }
    if holds {
        current.permissions.push(permission);
    } else {
        current.permissions.retain(|p| *p != permission);
    }
    set_role_permissions(core, name, &current.permissions).await
}

/// Does `user` hold `permission` outside any team (through their system roles)?
pub async fn has_system_permission(core: &Core, user: &User, permission: Permission) -> StoreResult<bool> {
    Ok(policy(core).await?.any_holds(&user.roles, permission))
}

/// Does `user` hold `permission` in `team_id`: through their system roles,
/// or their roles in the team while a member?
pub async fn has_team_permission(core: &Core, user: &User, team_id: &str, permission: Permission) -> StoreResult<bool> {
    let policy = policy(core).await?;
    if policy.any_holds(&user.roles, permission) {
        return Ok(true);
    }
    let Some(member) = core.store.get_team_member(team_id, &user.id).await? else {
        return Ok(false);
    };
    Ok(member.delete_at == 0 && policy.any_holds(&member.roles, permission))
}

/// Is `user` a current member of `team_id` (or a system admin)?
pub async fn is_team_member(core: &Core, user: &User, team_id: &str) -> StoreResult<bool> {
    if user.is_system_admin() {
        return Ok(true);
    }
    Ok(core
        .store
        .get_team_member(team_id, &user.id)
        .await?
        .is_some_and(|m| m.delete_at == 0))
}

/// Is `user` a member of `channel`?
pub async fn is_channel_member(core: &Core, user: &User, channel: &Channel) -> StoreResult<bool> {
    Ok(core.store.get_channel_member(&channel.id, &user.id).await?.is_some())
}

/// May `user` read `channel`? Public channels: the team's members; private
/// and direct channels: the channel's members. System admins: all.
pub async fn can_read_channel(core: &Core, user: &User, channel: &Channel) -> StoreResult<bool> {
    if user.is_system_admin() {
        return Ok(true);
    }
    if channel.channel_type == CHANNEL_OPEN && is_team_member(core, user, &channel.team_id).await? {
        return Ok(true);
    }
    is_channel_member(core, user, channel).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEBHOOKS: [Permission; 5] = [
        Permission::ManageOwnIncomingHooks,
        Permission::ManageOthersIncomingHooks,
        Permission::ManageOwnOutgoingHooks,
        Permission::ManageOthersOutgoingHooks,
        Permission::BypassIncomingHookChannelLock,
    ];

    #[test]
    fn members_hold_no_webhook_permission_by_default() {
        for role in [ROLE_SYSTEM_USER, ROLE_TEAM_USER, ROLE_CHANNEL_USER, ROLE_BOT] {
            let held = default_permissions(role);
            assert!(WEBHOOKS.iter().all(|p| !held.contains(p)), "{role} holds {held:?}");
        }
        for role in [ROLE_TEAM_ADMIN, ROLE_SYSTEM_ADMIN] {
            let held = default_permissions(role);
            assert!(
                WEBHOOKS.iter().all(|p| held.contains(p)),
                "{role} lacks some of {WEBHOOKS:?}"
            );
        }
    }

    #[test]
    fn impersonation_is_the_bots_not_the_admins() {
        assert!(default_permissions(ROLE_BOT).contains(&Permission::Impersonate));
        assert!(!default_permissions(ROLE_SYSTEM_ADMIN).contains(&Permission::Impersonate));
    }

    #[test]
    fn ids_round_trip() {
        for permission in Permission::ALL {
            assert_eq!(Permission::from_id(permission.id()), Some(permission));
        }
        assert_eq!(Permission::from_id("manage_everything"), None);
    }
}
