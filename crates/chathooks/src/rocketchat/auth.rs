//! Sessions and permissions of the Rocket.Chat API.
//!
//! Sessions are the Mattermost API's: `X-Auth-Token` is a session token of
//! the shared sessions table, so a token obtained through either API's login
//! works with both. Rocket.Chat also sends `X-User-Id`, which must name the
//! session's user.
//!
//! Rocket.Chat's permissions are mapped onto this server's two kinds of user
//! (see [`has_permission`]).

use axum::http::StatusCode;
use chathooks_rocketchat_server::Credentials;

use super::error::{RcError, RcResult};
use crate::mattermost::auth::{Caller, is_system_admin};
use crate::server::AppState;
use crate::store::{CHANNEL_OPEN, Channel, RC_WEBHOOK_INCOMING, RcIntegration, RcVisibility, Store, User};

/// The session behind `X-Auth-Token`, checked against `X-User-Id`: 401 when
/// there is none, it expired, its user is deactivated, or the ids differ.
pub async fn authenticate(state: &AppState, credentials: &Credentials) -> RcResult<Caller> {
    let Credentials::AuthTokenUserId { auth_token, user_id } = credentials;
    // The same lookup (constant-time token check, expiry, deactivated users)
    // as the Mattermost API, which owns the sessions.
    let bearer = chathooks_mattermost_server::Credentials::BearerAuth(auth_token.clone());
    let caller = crate::mattermost::auth::authenticate(state, &bearer)
        .await
        .map_err(|error| {
            if error.status == StatusCode::UNAUTHORIZED {
                RcError::Unauthorized
            } else {
                RcError::internal(format!("session lookup failed: {} {}", error.message, error.detailed))
            }
        })?;
    if caller.user.id != *user_id {
        return Err(RcError::Unauthorized);
    }
    Ok(caller)
}

/// The Rocket.Chat permissions this server checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageIncomingIntegrations,
    ManageOwnIncomingIntegrations,
    ManageOutgoingIntegrations,
    ManageOwnOutgoingIntegrations,
    CreateUser,
    /// Create public channels.
    CreateC,
    /// Set `alias`, `emoji` or `avatar` on a message.
    MessageImpersonate,
}

/// Does `user` hold `permission`? System administrators hold every
/// permission (Rocket.Chat's `admin` role); other users hold what
/// Rocket.Chat's `user` role holds by default among those checked here:
/// managing their own integrations and creating public channels.
pub fn has_permission(user: &User, permission: Permission) -> bool {
    is_system_admin(user)
        || matches!(
            permission,
            Permission::ManageOwnIncomingIntegrations | Permission::ManageOwnOutgoingIntegrations | Permission::CreateC
        )
}

/// [`has_permission`] as a 403.
pub fn require(user: &User, permission: Permission) -> RcResult<()> {
    if has_permission(user, permission) {
        Ok(())
    } else {
        Err(RcError::Forbidden)
    }
}

/// The kind of an integration, with the pair of permissions that govern it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Incoming,
    Outgoing,
}

impl Kind {
    /// From a stored or requested `type`.
    pub fn of(integration_type: &str) -> Self {
        if integration_type == RC_WEBHOOK_INCOMING {
            Kind::Incoming
        } else {
            Kind::Outgoing
        }
    }

    /// `manage-*-integrations`: every integration of this kind.
    pub fn manage_all(self) -> Permission {
        match self {
            Kind::Incoming => Permission::ManageIncomingIntegrations,
            Kind::Outgoing => Permission::ManageOutgoingIntegrations,
        }
    }

    /// `manage-own-*-integrations`: integrations of this kind the user created.
    pub fn manage_own(self) -> Permission {
        match self {
            Kind::Incoming => Permission::ManageOwnIncomingIntegrations,
            Kind::Outgoing => Permission::ManageOwnOutgoingIntegrations,
        }
    }

    /// Does `user` hold either permission of this kind? (403 otherwise.)
    pub fn may_manage_any(self, user: &User) -> bool {
        has_permission(user, self.manage_all()) || has_permission(user, self.manage_own())
    }

    /// Which integrations of this kind `user` may see and change.
    pub fn visibility(self, user: &User) -> RcVisibility {
        if has_permission(user, self.manage_all()) {
            RcVisibility::All
        } else if has_permission(user, self.manage_own()) {
            RcVisibility::CreatedBy(user.id.clone())
        } else {
            RcVisibility::Hidden
        }
    }
}

/// May `user` see and change `integration`? `manage-*` covers every one of its
/// kind, `manage-own-*` those the user created.
pub fn may_manage(user: &User, integration: &RcIntegration) -> bool {
    match Kind::of(&integration.integration_type).visibility(user) {
        RcVisibility::All => true,
        RcVisibility::CreatedBy(id) => integration.created_by == id,
        RcVisibility::Hidden => false,
    }
}

/// Does any of the four integration permissions let `user` call the
/// integration endpoints at all?
pub fn may_manage_integrations(user: &User) -> bool {
    Kind::Incoming.may_manage_any(user) || Kind::Outgoing.may_manage_any(user)
}

/// May `user` read and post in `channel`? Public channels: every user
/// (Rocket.Chat has no teams to belong to); private and direct rooms: their
/// members. System administrators: every room.
pub async fn can_access_room(state: &AppState, user: &User, channel: &Channel) -> RcResult<bool> {
    if is_system_admin(user) || channel.channel_type == CHANNEL_OPEN {
        return Ok(true);
    }
    is_member(state, user, channel).await
}

/// Is `user` a member of `channel` (Rocket.Chat: subscribed to the room)?
pub async fn is_member(state: &AppState, user: &User, channel: &Channel) -> RcResult<bool> {
    Ok(state.store.get_channel_member(&channel.id, &user.id).await?.is_some())
}
