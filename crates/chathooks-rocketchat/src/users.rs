//! Login, `me` and `users.create`, over the users and sessions the Mattermost
//! API also uses: an account made here logs in there, and a token from either
//! login works with both APIs.

use chathooks_rocketchat_server::ops::{info, login, logout, me, users_create, users_info};
use chathooks_rocketchat_types as types;
use serde_json::json;

use super::auth::{Permission, require};
use super::error::{RcError, RcResult};
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::{self, Caller, LoginError, valid_email, valid_password, valid_rocketchat_name};
use chathooks_core::ids::new_rc_token;
use chathooks_core::store::{ROLES_SYSTEM_ADMIN, ROLES_SYSTEM_USER, StoreError, User};

/// Rocket.Chat's default login lifetime (`Accounts_LoginExpiration`): 90 days.
pub(crate) const SESSION_LIFETIME_MS: i64 = 90 * 24 * 60 * 60 * 1000;

/// The Rocket.Chat release whose REST API this server follows, as `GET
/// /api/info` answers callers without `view-statistics` (major and minor).
pub(crate) const RC_VERSION: &str = "6.13";

fn login_failed() -> login::Response {
    login_refused("Unauthorized", "Unauthorized")
}

/// The 401 of a refused login: `{status: "error", error, message}`.
fn login_refused(error: &str, message: &str) -> login::Response {
    login::Response::Unauthorized(types::LoginError {
        error: Some(error.into()),
        message: message.into(),
        status: types::LoginErrorStatus::Error,
    })
}

pub(crate) async fn login(state: &Core, request: login::Request) -> RcResult<login::Response> {
    let body = body_of!(request, login);
    let Some(name) = body.user.or(body.username).map(|n| n.trim().to_owned()) else {
        return Err(RcError::invalid_params(&["must have required property 'user'".into()]));
    };
    let user = match accounts::verify_login(state, &name, &body.password).await {
        Ok(user) => user,
        Err(LoginError::InvalidCredentials) => return Ok(login_failed()),
        // Rocket.Chat's own lockout (`Accounts_Block_Failed_Login_Attempts_By_User`)
        // answers with this error id; the count is the one both APIs share.
        Err(LoginError::Locked) => {
            return Ok(login_refused(
                "error-login-blocked-for-user",
                "Login has been temporarily blocked For User",
            ));
        }
        Err(LoginError::Password(error)) => return Err(error.into()),
        Err(LoginError::Store(error)) => return Err(error.into()),
    };
    let session = accounts::start_session(state, &user, new_rc_token(), SESSION_LIFETIME_MS).await?;
    Ok(login::Response::Ok(wire::typed(
        "login answer",
        json!({
            "status": "success",
            "data": {"authToken": session.token, "userId": user.id, "me": wire::user(&user)},
        }),
    )?))
}

pub(crate) async fn me(_state: &Core, caller: Caller, _request: me::Request) -> RcResult<me::Response> {
    let mut document = wire::user(&caller.user);
    document["success"] = true.into();
    Ok(me::Response::Ok(wire::typed("me answer", document)?))
}

/// Split a display name into the first and last names the store keeps.
fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (name.trim().to_owned(), String::new()),
    }
}

pub(crate) async fn users_create(
    state: &Core,
    caller: Caller,
    request: users_create::Request,
) -> RcResult<users_create::Response> {
    require(state, &caller.user, Permission::CreateUser).await?;
    let body = body_of!(request, users_create);
    // Rocket.Chat's rule, case kept; unique without regard to case.
    let username = body.username.trim().to_owned();
    let email = body.email.trim().to_lowercase();
    if !valid_rocketchat_name(&username) {
        return Err(RcError::typed(
            "error-invalid-username",
            &format!("{} is not a valid username", body.username),
        ));
    }
    if !valid_email(&email) {
        return Err(RcError::typed(
            "error-invalid-email",
            &format!("Invalid email {}", body.email),
        ));
    }
    if !valid_password(&body.password) {
        return Err(RcError::typed(
            "error-invalid-password",
            "The password must have between 5 and 72 characters",
        ));
    }
    let hash = state.passwords.hash(&body.password).await?;
    let (first_name, last_name) = split_name(&body.name);
    let admin = body.roles.iter().any(|role| role == "admin");
    let roles = if admin { ROLES_SYSTEM_ADMIN } else { ROLES_SYSTEM_USER };
    let mut user = User::new(&username, &email, hash, roles);
    if !body.active {
        user.delete_at = user.create_at;
    }
    user.email_verified = body.verified;
    user.first_name = first_name;
    user.last_name = last_name;
    let user = accounts::create_user(state, &user).await.map_err(|error| match error {
        StoreError::Conflict(what) => {
            // The message ends with SQLite's, naming the column: `... users.email`.
            let field = if what.contains("users.email") {
                "email"
            } else {
                "username"
            };
            RcError::typed("error-field-unavailable", &format!("The {field} is already in use :("))
        }
        other => other.into(),
    })?;
    crate::defaults::welcome_new_user(state, &user, body.join_default_channels).await?;
    Ok(users_create::Response::Ok(wire::typed(
        "users.create answer",
        json!({"user": wire::user(&user), "success": true}),
    )?))
}

/// End the caller's session, and only it: other sessions of the user (and
/// personal access tokens, which are not sessions) keep working.
pub(crate) async fn logout(state: &Core, caller: Caller, _request: logout::Request) -> RcResult<logout::Response> {
    chathooks_core::sessions::end_session(state, &caller.session.token).await?;
    Ok(logout::Response::Ok(wire::typed(
        "logout answer",
        json!({"status": "success", "data": {"message": "You've been logged out!"}}),
    )?))
}

pub(crate) async fn info(_state: &Core, _request: info::Request) -> RcResult<info::Response> {
    Ok(info::Response::Ok(wire::typed(
        "info answer",
        json!({"version": RC_VERSION, "success": true}),
    )?))
}

/// The account `userId` names, else the one `username` names (blank
/// values count as missing), as Rocket.Chat's `getUserFromParams` finds it;
/// neither given is `invalid-params`. Deleted accounts are found too: the
/// caller decides what they mean.
pub(crate) async fn user_by_id_or_username(
    state: &Core,
    user_id: Option<String>,
    username: Option<String>,
) -> RcResult<Option<User>> {
    let given = |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    Ok(match (given(user_id), given(username)) {
        (Some(id), _) => state.read().get_user(&id).await?,
        (None, Some(username)) => state.read().get_user_by_username(&username).await?,
        (None, None) => {
            return Err(RcError::invalid_params(
                &["must have required property 'userId'".into()],
            ));
        }
    })
}

pub(crate) async fn users_info(
    state: &Core,
    caller: Caller,
    request: users_info::Request,
) -> RcResult<users_info::Response> {
    let found = user_by_id_or_username(state, request.user_id, request.username).await?;
    // A deleted account's record stays for the other API; here it is gone.
    let user = found
        .filter(|user| !accounts::is_deleted(user))
        .ok_or_else(|| RcError::failure("User not found."))?;
    let mut document = wire::user(&user);
    // Email addresses are for the user themself and for holders of
    // `view-full-other-user-info` (administrators).
    if user.id != caller.user.id
        && !caller.is_system_admin()
        && let serde_json::Value::Object(fields) = &mut document
    {
        fields.remove("emails");
    }
    Ok(users_info::Response::Ok(wire::typed(
        "users.info answer",
        json!({"user": document, "success": true}),
    )?))
}
