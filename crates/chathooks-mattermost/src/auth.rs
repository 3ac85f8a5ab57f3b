//! Sessions and permissions, as the Mattermost API names and answers them.
//! The rules themselves are the core's ([`chathooks_core::accounts`],
//! [`chathooks_core::permissions`]).

pub use chathooks_core::accounts::Caller;
use chathooks_core::accounts::{self, AuthError};
pub use chathooks_core::permissions::{Permission, can_read_channel, is_team_member};
use chathooks_mattermost_server::Credentials;

use super::error::{ApiError, ApiResult};
use chathooks_core::Core;
use chathooks_core::store::User;

pub fn is_system_admin(user: &User) -> bool {
    user.is_system_admin()
}

/// The session behind the presented token: 401 when there is none, it
/// expired, or its user is deactivated.
pub async fn authenticate(core: &Core, credentials: &Credentials) -> ApiResult<Caller> {
    accounts::authenticate(core, token(credentials))
        .await
        .map_err(|error| match error {
            AuthError::Unauthenticated => ApiError::session_expired(),
            AuthError::Store(error) => error.into(),
        })
}

/// The token presented, whichever way it came.
pub fn token(credentials: &Credentials) -> &str {
    match credentials {
        Credentials::Mmauthtoken(token)
        | Credentials::BearerAuth(token)
        | Credentials::TokenAuth(token)
        | Credentials::AccessToken(token) => token,
    }
}

/// Does `user` hold `permission` in `team_id`?
pub async fn has_team_permission(core: &Core, user: &User, team_id: &str, permission: Permission) -> ApiResult<bool> {
    Ok(chathooks_core::permissions::has_team_permission(core, user, team_id, permission).await?)
}

/// Like [`has_team_permission`], as a 403.
pub async fn require_team_permission(core: &Core, user: &User, team_id: &str, permission: Permission) -> ApiResult<()> {
    if has_team_permission(core, user, team_id, permission).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}
