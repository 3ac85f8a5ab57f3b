//! Accounts and sessions, which both APIs share: a user made through one
//! logs in through the other, and a session token of either API's login
//! works with both.

use crate::Core;
use crate::events::Event;
use crate::ids::new_id;
use crate::password::{PasswordError, constant_time_eq};
use crate::store::{
    AccessToken, DirectoryStore, ROLES_SYSTEM_ADMIN, Session, Store, StoreError, StoreResult, User, now_ms,
};

/// Usernames both APIs accept (Mattermost's `IsValidUsername`): 3 to 22
/// characters, lowercase letters, digits, `.`, `-`, `_`, starting with a letter.
pub fn valid_username(name: &str) -> bool {
    (3..=22).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
}

/// A plausible email address: something, `@`, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !email.contains(char::is_whitespace)
}

/// A password both APIs accept: 5 to 72 characters (Mattermost's default
/// minimum, and Argon2-era clients' usual maximum).
pub fn valid_password(password: &str) -> bool {
    password.chars().count() >= 5 && password.len() <= 72
}

/// Who is calling: the session a token names, and its user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub session: Session,
}

impl Caller {
    pub fn is_system_admin(&self) -> bool {
        self.user.is_system_admin()
    }
}

/// Why a token does not identify a caller.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No such session, it expired, or its user is deactivated: every API
    /// answers this with its 401.
    #[error("no valid session for this token")]
    Unauthenticated,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How stale a session's `last_activity_at` may get before it is rewritten.
const SESSION_ACTIVITY_RESOLUTION_MS: i64 = 60_000;

/// The caller behind a session token, whichever API presented it.
///
/// A personal access token works like a session that never expires; the
/// caller then carries a session made up for it (same token, `expires_at` 0).
pub async fn authenticate(core: &Core, token: &str) -> Result<Caller, AuthError> {
    let session = match core.store.get_session(token).await? {
        Some(session) => session,
        None => access_token_session(core, token)
            .await?
            .ok_or(AuthError::Unauthenticated)?,
    };
    // The lookup is by token already; compare again in constant time so a
    // backend doing prefix or case-insensitive matching cannot leak.
    if !constant_time_eq(session.token.as_bytes(), token.as_bytes()) {
        return Err(AuthError::Unauthenticated);
    }
    let user = core
        .store
        .get_user(&session.user_id)
        .await?
        .filter(|u| u.delete_at == 0)
        .ok_or(AuthError::Unauthenticated)?;
    // Record activity at most once a minute: a write per request would make
    // every read contend for the database's write lock.
    let now = now_ms();
    if now - session.last_activity_at > SESSION_ACTIVITY_RESOLUTION_MS
        && let Err(error) = core.store.touch_session(&session.token, now).await
    {
        tracing::warn!(%error, "could not record session activity");
    }
    Ok(Caller { user, session })
}

/// The session an active personal access token stands for.
async fn access_token_session(core: &Core, token: &str) -> StoreResult<Option<Session>> {
    if token.is_empty() {
        return Ok(None);
    }
    let Some(record) = core.store.get_access_token(token).await?.filter(|t| t.is_active) else {
        return Ok(None);
    };
    Ok(Some(Session {
        token: record.token,
        user_id: record.user_id,
        create_at: record.create_at,
        expires_at: 0,
        // Never touched: the record has no activity to keep.
        last_activity_at: i64::MAX,
    }))
}

/// Create a personal access token for `user`; the record holds the secret,
/// which is shown once.
pub async fn create_access_token(core: &Core, user: &User, description: &str) -> StoreResult<AccessToken> {
    let token = AccessToken {
        id: new_id(),
        token: new_id(),
        user_id: user.id.clone(),
        description: description.to_owned(),
        is_active: true,
        create_at: now_ms(),
    };
    core.store.create_access_token(&token).await
}

/// Why the start-up administrator could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot create admin {username}: {reason}")]
    Invalid { username: String, reason: &'static str },
    #[error("cannot create admin {username}: {source}")]
    Password { username: String, source: PasswordError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Create the system admin named on the command line unless the name
/// exists (start-up and the test API's reset), with the email
/// `<username>@chathooks.localhost`.
pub async fn ensure_admin(core: &Core, username: &str, password: &str) -> Result<(), AdminError> {
    let username = username.trim().to_lowercase();
    if core.store.get_user_by_username(&username).await?.is_some() {
        return Ok(());
    }
    let invalid = |reason| AdminError::Invalid {
        username: username.clone(),
        reason,
    };
    let email = format!("{username}@chathooks.localhost");
    if !valid_username(&username) {
        return Err(invalid("Invalid username."));
    }
    if !valid_email(&email) {
        return Err(invalid("Invalid email."));
    }
    if !valid_password(password) {
        return Err(invalid("Your password must contain between 5 and 72 characters."));
    }
    let hash = core
        .passwords
        .hash(password)
        .await
        .map_err(|source| AdminError::Password {
            username: username.clone(),
            source,
        })?;
    create_user(core, &User::new(&username, &email, hash, ROLES_SYSTEM_ADMIN)).await?;
    tracing::info!(username, "created system admin");
    Ok(())
}

/// Store a new account and tell the event stream.
pub async fn create_user(core: &Core, user: &User) -> StoreResult<User> {
    let user = core.store.create_user(user).await?;
    core.emit(Event::UserCreated { user: user.clone() }).await;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails() {
        assert!(valid_username("alice.b-c_1"));
        assert!(!valid_username("Al"));
        assert!(!valid_username("1alice"));
        assert!(!valid_username("alice!"));
        assert!(valid_email("a@example.com"));
        assert!(!valid_email("a@localhost"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
    }
}
