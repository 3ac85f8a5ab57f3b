//! Sessions and permissions.

use chathooks_mattermost_server::Credentials;

use super::error::{ApiError, ApiResult};
use crate::password::constant_time_eq;
use crate::server::AppState;
use crate::store::{Session, Store, User, now_ms};

/// How stale a session's `last_activity_at` may get before it is rewritten.
const SESSION_ACTIVITY_RESOLUTION_MS: i64 = 60_000;

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Session,
}

impl Caller {
    pub fn is_system_admin(&self) -> bool {
        is_system_admin(&self.user)
    }
}

pub fn is_system_admin(user: &User) -> bool {
    user.roles.split_whitespace().any(|role| role == "system_admin")
}

/// The session behind the presented token: 401 when there is none, it
/// expired, or its user is deactivated.
pub async fn authenticate(state: &AppState, credentials: &Credentials) -> ApiResult<Caller> {
    let token = match credentials {
        Credentials::Mmauthtoken(token)
        | Credentials::BearerAuth(token)
        | Credentials::TokenAuth(token)
        | Credentials::AccessToken(token) => token,
    };
    let session = state
        .store
        .get_session(token)
        .await?
        .ok_or_else(ApiError::session_expired)?;
    // The lookup is by token already; compare again in constant time so a
    // backend doing prefix or case-insensitive matching cannot leak.
    if !constant_time_eq(session.token.as_bytes(), token.as_bytes()) {
        return Err(ApiError::session_expired());
    }
    let user = state
        .store
        .get_user(&session.user_id)
        .await?
        .ok_or_else(ApiError::session_expired)?;
    if user.delete_at != 0 {
        return Err(ApiError::session_expired());
    }
    // Record activity at most once a minute: a write per request would make
    // every read contend for the database's write lock.
    let now = now_ms();
    if now - session.last_activity_at > SESSION_ACTIVITY_RESOLUTION_MS
        && let Err(error) = state.store.touch_session(&session.token, now).await
    {
        tracing::warn!(%error, "could not record session activity");
    }
    Ok(Caller { user, session })
}

/// Team-scoped permissions of the default Mattermost scheme, as far as this
/// server needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageOwnIncomingWebhooks,
    ManageOthersIncomingWebhooks,
    ManageOwnOutgoingWebhooks,
    ManageOthersOutgoingWebhooks,
    BypassIncomingWebhookChannelLock,
    /// Add other users to the team.
    AddUserToTeam,
    /// Read the team and its public channels.
    ViewTeam,
}

impl Permission {
    /// Held by every team member (`team_user`); the rest need `team_admin`.
    fn team_user_holds(self) -> bool {
        matches!(
            self,
            Permission::ManageOwnIncomingWebhooks | Permission::ManageOwnOutgoingWebhooks | Permission::ViewTeam
        )
    }
}

/// Does `user` hold `permission` in `team_id`? System admins hold everything;
/// team admins every team permission; members the `team_user` ones.
pub async fn has_team_permission(
    state: &AppState,
    user: &User,
    team_id: &str,
    permission: Permission,
) -> ApiResult<bool> {
    if is_system_admin(user) {
        return Ok(true);
    }
    let Some(member) = state.store.get_team_member(team_id, &user.id).await? else {
        return Ok(false);
    };
    if member.delete_at != 0 {
        return Ok(false);
    }
    let team_admin = member.roles.split_whitespace().any(|role| role == "team_admin");
    Ok(team_admin || permission.team_user_holds())
}

/// Like [`has_team_permission`], as a 403.
pub async fn require_team_permission(
    state: &AppState,
    user: &User,
    team_id: &str,
    permission: Permission,
) -> ApiResult<()> {
    if has_team_permission(state, user, team_id, permission).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Is `user` an active member of `team_id` (or a system admin)?
pub async fn is_team_member(state: &AppState, user: &User, team_id: &str) -> ApiResult<bool> {
    if is_system_admin(user) {
        return Ok(true);
    }
    Ok(state
        .store
        .get_team_member(team_id, &user.id)
        .await?
        .is_some_and(|m| m.delete_at == 0))
}

/// May `user` read `channel`? Public channels: team members; private and
/// direct channels: channel members. System admins: all.
pub async fn can_read_channel(state: &AppState, user: &User, channel: &crate::store::Channel) -> ApiResult<bool> {
    if is_system_admin(user) {
        return Ok(true);
    }
    if channel.channel_type == "O" && is_team_member(state, user, &channel.team_id).await? {
        return Ok(true);
    }
    Ok(state.store.get_channel_member(&channel.id, &user.id).await?.is_some())
}
