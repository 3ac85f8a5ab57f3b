//! Accounts and sessions, which both APIs share: a user made through one
//! logs in through the other, and a session token of either API's login
//! works with both.

use crate::Core;
use crate::events::Event;
use crate::ids::new_id;
use crate::password::{DUMMY_HASH, PasswordError, Secret, constant_time_eq};
use crate::store::{
    AccessToken, DirectoryStore, ROLES_SYSTEM_ADMIN, Session, Store, StoreError, StoreResult, User, now_ms,
};

/// Failed password logins in a row after which an account is locked:
/// Mattermost's default `ServiceSettings.MaximumLoginAttempts`. Both APIs
/// count the same failures, as they log in the same accounts.
pub const MAX_FAILED_LOGINS: u32 = 10;

/// Usernames the Mattermost API accepts (Mattermost's `IsValidUsername`): 3
/// to 22 characters, lowercase letters, digits, `.`, `-`, `_`, starting with
/// a letter. The Mattermost API lowercases what it is given first, as
/// Mattermost's `NormalizeUsername` does.
///
/// Usernames are one namespace for both APIs, unique without regard to case,
/// stored with the case they were created with; each API validates the names
/// its own clients create (see [`valid_rocketchat_name`]).
pub fn valid_username(name: &str) -> bool {
    (3..=22).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
}

/// Longest user or room name the Rocket.Chat API accepts. Rocket.Chat itself
/// sets none; a bound keeps names usable as keys and in every listing.
pub const MAX_ROCKETCHAT_NAME_LEN: usize = 64;

/// User and room names the Rocket.Chat API accepts: Rocket.Chat's default
/// `UTF8_User_Names_Validation` and `UTF8_Channel_Names_Validation`,
/// `[0-9a-zA-Z-_.]+` (letters of either case, digits, `-`, `_`, `.`), at
/// most [`MAX_ROCKETCHAT_NAME_LEN`] characters. The case is kept.
pub fn valid_rocketchat_name(name: &str) -> bool {
    (1..=MAX_ROCKETCHAT_NAME_LEN).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
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

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// No such account, a wrong password, or a deactivated account: one
    /// answer for all, so the answer does not tell which.
    #[error("wrong login or password")]
    InvalidCredentials,
    /// [`MAX_FAILED_LOGINS`] failures in a row: only an administrator
    /// setting a new password would unlock it (there is no such API here
    /// yet; a reset of the server does).
    #[error("too many failed login attempts")]
    Locked,
    /// The password could not be checked (the pool is full: a 429).
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The account `login` (a username or an email) names, if `password` is
/// its password: the one login rule of both APIs.
///
/// - An unknown login, or an account without a password, costs the same
///   Argon2 verification as a wrong password (against
///   [`DUMMY_HASH`]), so the answer time does not reveal which accounts exist.
/// - Each failure counts in the store; after [`MAX_FAILED_LOGINS`] in a row
///   the account is locked and its password is no longer checked. A success
///   clears the count.
pub async fn verify_login(core: &Core, login: &str, password: &str) -> Result<User, LoginError> {
    let user = core.store.get_user_by_login(login).await?;
    verify_account(core, user, Secret::Password(password)).await
}

/// [`verify_login`] for an account already looked up (`None`: there is no
/// such account), with the password or its digest.
pub async fn verify_account(core: &Core, user: Option<User>, secret: Secret<'_>) -> Result<User, LoginError> {
    let Some(user) = user else {
        core.passwords.verify_secret(secret, DUMMY_HASH).await?;
        return Err(LoginError::InvalidCredentials);
    };
    if !core.store.take_login_attempt(&user.id, MAX_FAILED_LOGINS).await? {
        return Err(LoginError::Locked);
    }
    let has_password = !user.password_hash.is_empty();
    let hash = if has_password { &user.password_hash } else { DUMMY_HASH };
    let verified = match core.passwords.verify_secret(secret, hash).await {
        Ok(verified) => verified && has_password,
        Err(error) => {
            // Not checked: the attempt does not count.
            core.store.return_login_attempt(&user.id).await?;
            return Err(error.into());
        }
    };
    if !verified {
        return Err(LoginError::InvalidCredentials);
    }
    core.store.clear_login_failures(&user.id).await?;
    if user.delete_at != 0 {
        return Err(LoginError::InvalidCredentials);
    }
    Ok(user)
}

/// Store a new session for `user` with this `token` (each API has its own
/// token format), lasting `lifetime_ms` from now.
pub async fn start_session(core: &Core, user: &User, token: String, lifetime_ms: i64) -> StoreResult<Session> {
    let now = now_ms();
    let session = Session {
        token,
        user_id: user.id.clone(),
        create_at: now,
        expires_at: now + lifetime_ms,
        last_activity_at: now,
    };
    core.store.create_session(&session).await?;
    Ok(session)
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

/// Set one of `user_id`'s props (a preference a dialect keeps for the user,
/// such as Rocket.Chat's default presence status); `None` when there is no
/// such user.
pub async fn set_user_prop(
    core: &Core,
    user_id: &str,
    key: &str,
    value: serde_json::Value,
) -> StoreResult<Option<User>> {
    let Some(mut user) = core.store.get_user(user_id).await? else {
        return Ok(None);
    };
    if !user.props.is_object() {
        user.props = serde_json::json!({});
    }
    user.props[key] = value;
    user.update_at = now_ms();
    core.store.update_user(&user).await.map(Some)
}

/// Store the changed record of an existing account (the seed file's
/// declarations, applied again).
pub async fn update_user(core: &Core, user: &User) -> StoreResult<User> {
    core.store.update_user(user).await
}

/// Store a personal access token whose secret the caller chose (the seed
/// file declares fixed tokens, so that tests know them in advance).
pub async fn add_access_token(core: &Core, token: &AccessToken) -> StoreResult<AccessToken> {
    core.store.create_access_token(token).await
}

/// Store a new account and tell the event stream.
pub async fn create_user(core: &Core, user: &User) -> StoreResult<User> {
    let user = core.store.create_user(user).await?;
    core.emit(Event::UserCreated { user: user.clone() }).await;
    Ok(user)
}

/// The prop that marks an account deleted rather than only deactivated
/// (both have `delete_at` set): see [`delete_user`].
pub const PROP_DELETED: &str = "deleted";

/// Was this account deleted ([`delete_user`]), not only deactivated?
pub fn is_deleted(user: &User) -> bool {
    user.props.get(PROP_DELETED).and_then(serde_json::Value::as_bool) == Some(true)
}

/// Delete the account `user` on behalf of `by` (Rocket.Chat's `users.delete`,
/// `deleteUser` with `Message_ErasureType` at its default, `Delete`).
///
/// What a deletion means here, one rule for both APIs:
/// - The user's row stays, anonymised: `delete_at` set (so the Mattermost
///   API shows a deleted user, never a dangling id), username
///   `deleted-<id>` and email `<id>@deleted.invalid` (the name and address
///   are free again at once, as after Rocket.Chat's removal), no password,
///   names cleared, and [`PROP_DELETED`] set so that the Rocket.Chat API
///   finds no such user. Every foreign key to it (hooks, integrations, bots
///   it owns) stays valid on both backends; a hard delete would have to
///   rewrite or drop each of them.
/// - Its sessions and personal access tokens end at once, and
///   [`Event::AccessRevoked`] ends its live connections, as deactivation
///   does.
/// - Its posts (with their reactions) and its uploads are deleted; its
///   channel and team memberships end. Its direct channels are deleted, each
///   with [`Event::ChannelDeleted`], as Rocket.Chat removes the direct rooms
///   with the user.
/// - Rooms it owns stay with their other members (Rocket.Chat's
///   `confirmRelinquish` question is not asked: there is no owner to hand
///   over to here).
/// - Its Rocket.Chat integrations stay but are disabled, as Rocket.Chat's
///   `Integrations.disableByUserId` does; its Mattermost hooks stay, as
///   Mattermost keeps a deactivated user's hooks.
pub async fn delete_user(core: &Core, user: &User, by: &User) -> StoreResult<User> {
    const PAGE: u32 = 200;
    let mut direct = Vec::new();
    for page in 0.. {
        let batch = core.store.list_user_direct_channels(&user.id, page, PAGE).await?;
        let done = batch.len() < PAGE as usize;
        direct.extend(batch);
        if done {
            break;
        }
    }
    let now = now_ms();
    let anonymised = User {
        update_at: now,
        delete_at: now,
        username: format!("deleted-{}", user.id),
        email: format!("{}@deleted.invalid", user.id),
        email_verified: false,
        first_name: String::new(),
        last_name: String::new(),
        nickname: String::new(),
        password_hash: String::new(),
        props: serde_json::json!({ PROP_DELETED: true }),
        ..user.clone()
    };
    // First the row: from here on no credential of the user authenticates.
    let deleted = core.store.update_user(&anonymised).await?;
    crate::sessions::revoked(core, &user.id, None);
    for channel in &direct {
        crate::channels::delete_channel(core, channel, by).await?;
    }
    core.store.erase_user_traces(&user.id).await?;
    disable_integrations_of(core, &user.id).await?;
    Ok(deleted)
}

/// Turn off every Rocket.Chat integration `user_id` created (the column and
/// the document's `enabled`, which the API returns).
async fn disable_integrations_of(core: &Core, user_id: &str) -> StoreResult<()> {
    use crate::store::{RcIntegrationFilter, RcVisibility};
    let filter = RcIntegrationFilter {
        name: None,
        integration_type: None,
        incoming: RcVisibility::CreatedBy(user_id.to_owned()),
        outgoing: RcVisibility::CreatedBy(user_id.to_owned()),
    };
    const PAGE: u32 = 200;
    let mut offset = 0;
    loop {
        let batch = core.store.list_rc_integrations(&filter, offset, PAGE).await?;
        for integration in &batch {
            if !integration.enabled {
                continue;
            }
            let mut disabled = integration.clone();
            disabled.enabled = false;
            disabled.updated_at = now_ms();
            if let serde_json::Value::Object(doc) = &mut disabled.doc {
                doc.insert("enabled".into(), false.into());
            }
            core.store.update_rc_integration(&disabled).await?;
        }
        if batch.len() < PAGE as usize {
            return Ok(());
        }
        offset += PAGE;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Settings;
    use crate::delivery::DeliverySettings;
    use crate::netguard::AllowList;
    use crate::password::PoolSettings;
    use crate::store::{AnyStore, ROLES_SYSTEM_USER};

    async fn core_with(username: &str, password: &str) -> Arc<Core> {
        let store = AnyStore::connect("sqlite::memory:").await.unwrap();
        let settings = Settings {
            site_url: "http://localhost:8065".into(),
            allow_internal_callbacks: AllowList::empty(),
            delivery: DeliverySettings::with_timeout(std::time::Duration::from_secs(1)),
            passwords: PoolSettings::default(),
            release_memory: None,
            dialog_trigger_timeout: crate::triggers::DEFAULT_TIMEOUT,
        };
        let core = Core::new(store, settings, Vec::new()).unwrap();
        let hash = core.passwords.hash(password).await.unwrap();
        let email = format!("{username}@example.com");
        create_user(&core, &User::new(username, &email, hash, ROLES_SYSTEM_USER))
            .await
            .unwrap();
        core
    }

    #[tokio::test]
    async fn an_unknown_login_costs_a_verification() {
        let core = core_with("alice", "alice-password").await;
        let before = core.passwords.verifications();
        let refused = verify_login(&core, "nobody", "alice-password").await;
        assert!(matches!(refused, Err(LoginError::InvalidCredentials)), "{refused:?}");
        assert_eq!(
            core.passwords.verifications(),
            before + 1,
            "the dummy hash was verified"
        );
        // A wrong password for a known user costs the same single verification.
        let refused = verify_login(&core, "alice", "wrong").await;
        assert!(matches!(refused, Err(LoginError::InvalidCredentials)), "{refused:?}");
        assert_eq!(core.passwords.verifications(), before + 2);
    }

    #[tokio::test]
    async fn an_account_locks_after_the_tenth_failure_in_a_row() {
        let core = core_with("alice", "alice-password").await;
        // A success clears the count: nine failures, a success, nine more.
        for _ in 0..2 {
            for _ in 0..MAX_FAILED_LOGINS - 1 {
                assert!(matches!(
                    verify_login(&core, "alice", "wrong").await,
                    Err(LoginError::InvalidCredentials)
                ));
            }
            verify_login(&core, "alice", "alice-password").await.unwrap();
        }
        for _ in 0..MAX_FAILED_LOGINS {
            assert!(matches!(
                verify_login(&core, "alice", "wrong").await,
                Err(LoginError::InvalidCredentials)
            ));
        }
        let verified = core.passwords.verifications();
        for password in ["wrong", "alice-password"] {
            let refused = verify_login(&core, "alice", password).await;
            assert!(matches!(refused, Err(LoginError::Locked)), "{refused:?}");
        }
        assert_eq!(
            core.passwords.verifications(),
            verified,
            "a locked account is not checked"
        );
    }

    #[test]
    fn rocketchat_names_keep_case_and_dots() {
        for good in [
            "user.test.1733480000000.abc",
            "Room.With.Dots",
            "a",
            "1-2_3",
            &"x".repeat(64),
        ] {
            assert!(valid_rocketchat_name(good), "{good}");
        }
        for bad in ["", "with space", "émile", "a/b", "#room", "@user", &"x".repeat(65)] {
            assert!(!valid_rocketchat_name(bad), "{bad}");
        }
    }

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
