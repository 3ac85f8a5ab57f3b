//! Ending credentials: a session (logout), a personal access token (revoked
//! or disabled), or all of a user's (deactivation).
//!
//! A REST request with ended credentials is refused at once, since every
//! request authenticates again. A live connection authenticated once, at its
//! start, so each of these publishes [`Event::AccessRevoked`] after its
//! write, and the connections it concerns end on it (a Mattermost WebSocket
//! kept streaming events after its session logged out).

use crate::Core;
use crate::events::Event;
use crate::store::{AccessToken, DirectoryStore, Store, StoreResult, User, now_ms};

/// End the session `token` (a logout); false when there was none.
pub async fn end_session(core: &Core, token: &str) -> StoreResult<bool> {
    let Some(session) = core.store.get_session(token).await? else {
        return Ok(false);
    };
    let ended = core.store.delete_session(token).await?;
    if ended {
        revoked(core, &session.user_id, Some(token));
    }
    Ok(ended)
}

/// Delete a personal access token (Mattermost's revoke).
pub async fn revoke_access_token(core: &Core, token: &AccessToken) -> StoreResult<()> {
    core.store.delete_access_token(&token.id).await?;
    revoked(core, &token.user_id, Some(&token.token));
    Ok(())
}

/// Turn a personal access token off or on; turning it off ends what it
/// authenticated.
pub async fn set_access_token_active(core: &Core, token: &AccessToken, active: bool) -> StoreResult<()> {
    core.store.set_access_token_active(&token.id, active).await?;
    if !active {
        revoked(core, &token.user_id, Some(&token.token));
    }
    Ok(())
}

/// Deactivate `user` (Mattermost's `delete_at`): none of its sessions and
/// tokens authenticate any more, and what they authenticated ends.
pub async fn deactivate_user(core: &Core, user: &User) -> StoreResult<User> {
    let mut user = user.clone();
    let now = now_ms();
    user.delete_at = now;
    user.update_at = now;
    let user = core.store.update_user(&user).await?;
    revoked(core, &user.id, None);
    Ok(user)
}

/// Publish that `user_id`'s credentials (or only `token`) ended.
pub(crate) fn revoked(core: &Core, user_id: &str, token: Option<&str>) {
    // Nothing to deliver: the bus alone, not `emit`.
    core.events.publish(Event::AccessRevoked {
        user_id: user_id.to_owned(),
        token: token.map(str::to_owned),
    });
}
