//! What a user may do. The dialects name permissions their own way
//! (Mattermost's `manage_own_incoming_webhooks`, Rocket.Chat's
//! `manage-own-incoming-integrations`) and map them onto these.
//!
//! The model, as both servers' default schemes have it:
//! - system administrators hold every permission, everywhere;
//! - in a team, members (`team_user`) hold [`Permission::held_by_members`],
//!   team admins every team permission;
//! - outside teams (Rocket.Chat has none), every user holds the same
//!   member permissions.

use crate::Core;
use crate::store::{CHANNEL_OPEN, Channel, Store, StoreResult, User};

/// The permissions this server checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Create, list and revoke one's own personal access tokens. System
    /// admins hold it; other users when given the `system_user_access_token`
    /// role, as on Mattermost.
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
    /// Change a team's settings (Mattermost's `manage_team`: team admins).
    ManageTeam,
    /// Remove other users from a team (Mattermost's `remove_user_from_team`:
    /// team admins; leaving oneself needs nothing).
    RemoveUserFromTeam,
}

/// The system role that grants [`Permission::CreateAccessToken`].
pub const ROLE_USER_ACCESS_TOKEN: &str = "system_user_access_token";

impl Permission {
    /// Held by every member (and, outside teams, every user).
    pub fn held_by_members(self) -> bool {
        matches!(
            self,
            Permission::ManageOwnIncomingHooks
                | Permission::ManageOwnOutgoingHooks
                | Permission::ViewTeam
                | Permission::CreatePublicChannel
        )
    }
}

/// Does `user` hold `permission` outside any team?
pub fn has_system_permission(user: &User, permission: Permission) -> bool {
    user.is_system_admin()
        || permission.held_by_members()
        || (permission == Permission::CreateAccessToken
            && user.roles.split_whitespace().any(|r| r == ROLE_USER_ACCESS_TOKEN))
}

/// Does `user` hold `permission` in `team_id`?
pub async fn has_team_permission(core: &Core, user: &User, team_id: &str, permission: Permission) -> StoreResult<bool> {
    if user.is_system_admin() {
        return Ok(true);
    }
    let Some(member) = core.store.get_team_member(team_id, &user.id).await? else {
        return Ok(false);
    };
    if member.delete_at != 0 {
        return Ok(false);
    }
    Ok(member.is_team_admin() || permission.held_by_members())
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
