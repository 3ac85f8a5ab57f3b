//! Login, sessions and users.

use axum::http::StatusCode;
use chathooks_mattermost_server::Credentials;
use chathooks_mattermost_server::ops::{create_user, get_me, get_user, get_user_by_username, login, logout};

use super::auth::Caller;
use super::convert;
use super::error::{ApiError, ApiResult};
use super::status_ok;
use chathooks_core::Core;
use chathooks_core::accounts::{self, LoginError, valid_email, valid_password, valid_rocketchat_name, valid_username};
use chathooks_core::ids::{is_valid_id, new_id};
use chathooks_core::store::{ROLES_SYSTEM_USER, StoreError, User};

/// Sessions last 30 days, Mattermost's default for web sessions.
const SESSION_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;

pub async fn login(state: &Core, request: login::Request) -> ApiResult<login::Response> {
    let body = request.body;
    let user = accounts::verify_login(state, body.login_id.trim(), &body.password)
        .await
        .map_err(login_refused)?;
    // Mattermost's `checkUserNotBot`, after the password: a user converted
    // to a bot keeps its password but may not use it.
    if user.is_bot {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "api.user.login.bot_login_forbidden.app_error",
            "Bot login is forbidden.",
        ));
    }
    let session = accounts::start_session(state, &user, new_id(), SESSION_LIFETIME_MS).await?;
    Ok(login::Response::Ok(
        convert::user(&user),
        login::OkHeaders {
            token: Some(session.token),
        },
    ))
}

/// A refused login as Mattermost answers it.
fn login_refused(error: LoginError) -> ApiError {
    match error {
        LoginError::InvalidCredentials => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "api.user.login.invalid_credentials_email_username",
            "Enter a valid email or username and/or password.",
        ),
        LoginError::Locked => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "api.user.check_user_login_attempts.too_many.app_error",
            "Your account is locked because of too many failed password attempts. Please reset your password.",
        ),
        LoginError::Password(error) => error.into(),
        LoginError::Store(error) => error.into(),
    }
}

pub async fn get_me(state: &Core, caller: Caller, _request: get_me::Request) -> ApiResult<get_me::Response> {
    Ok(get_me::Response::Ok(with_bot_description(state, &caller.user).await?))
}

/// `user` on the wire with, for a bot, its description (`bot_description`),
/// as Mattermost's user store reads a user joined with its bot record.
async fn with_bot_description(state: &Core, user: &User) -> ApiResult<chathooks_mattermost_types::User> {
    let mut wire = convert::user(user);
    if user.is_bot
        && let Some(bot) = state.read().get_bot(&user.id, true).await?
        && !bot.description.is_empty()
    {
        wire.bot_description = Some(bot.description);
    }
    Ok(wire)
}

pub fn user_not_found() -> ApiError {
    ApiError::not_found("app.user.missing_account.const", "Unable to find the user.")
}

/// A `user_id` path parameter: `me` is the caller; anything else must be an id.
pub fn resolve_user_id(caller: &Caller, user_id: &str) -> ApiResult<String> {
    let id = if user_id == "me" {
        caller.user.id.as_str()
    } else {
        user_id
    };
    if !is_valid_id(id) {
        return Err(ApiError::invalid_url_param("user_id"));
    }
    Ok(id.to_owned())
}

pub async fn get_user(state: &Core, caller: Caller, request: get_user::Request) -> ApiResult<get_user::Response> {
    let id = resolve_user_id(&caller, &request.user_id)?;
    let user = state.read().get_user(&id).await?.ok_or_else(user_not_found)?;
    Ok(get_user::Response::Ok(with_bot_description(state, &user).await?))
}

pub async fn get_user_by_username(
    state: &Core,
    _caller: Caller,
    request: get_user_by_username::Request,
) -> ApiResult<get_user_by_username::Response> {
    let username = request.username.trim().trim_start_matches('@').to_lowercase();
    // Names made through the Rocket.Chat API may break Mattermost's rule
    // (longer, or with a leading digit): they are shown lowercased to
    // Mattermost clients, who must be able to look them up.
    if !valid_username(&username) && !valid_rocketchat_name(&username) {
        return Err(ApiError::invalid_url_param("username"));
    }
    let user = state
        .read()
        .get_user_by_username(&username)
        .await?
        .ok_or_else(user_not_found)?;
    Ok(get_user_by_username::Response::Ok(
        with_bot_description(state, &user).await?,
    ))
}

/// End the session the request came with, if any; other sessions and
/// personal access tokens are left alone.
pub async fn logout(
    state: &Core,
    credentials: Option<Credentials>,
    _request: logout::Request,
) -> ApiResult<logout::Response> {
    if let Some(credentials) = credentials {
        let token = super::auth::token(&credentials);
        chathooks_core::sessions::end_session(state, token).await?;
    }
    Ok(logout::Response::Ok(status_ok()))
}

/// A new user record, its password hashed on the core's pool.
async fn new_user(state: &Core, username: &str, email: &str, password: &str, roles: &str) -> ApiResult<User> {
    let username = username.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    if !valid_username(&username) {
        return Err(ApiError::bad_request(
            "model.user.is_valid.username.app_error",
            "Invalid username.",
        ));
    }
    if !valid_email(&email) {
        return Err(ApiError::bad_request(
            "model.user.is_valid.email.app_error",
            "Invalid email.",
        ));
    }
    if !valid_password(password) {
        return Err(ApiError::bad_request(
            "model.user.is_valid.pwd.app_error",
            "Your password must contain between 5 and 72 characters.",
        ));
    }
    let hash = state.passwords.hash(password).await?;
    Ok(User::new(&username, &email, hash, roles))
}

pub(crate) fn conflict(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(what) if what.contains("email") => ApiError::bad_request(
            "app.user.save.email_exists.app_error",
            "An account with that email already exists.",
        ),
        StoreError::Conflict(_) => ApiError::bad_request(
            "app.user.save.username_exists.app_error",
            "An account with that username already exists.",
        ),
        other => other.into(),
    }
}

/// Creating users is for system admins (open sign-up is off, as on a fresh Mattermost).
pub async fn create_user(
    state: &Core,
    caller: Caller,
    request: create_user::Request,
) -> ApiResult<create_user::Response> {
    if !caller.is_system_admin() {
        return Err(ApiError::forbidden());
    }
    let body = request.body;
    let mut user = new_user(state, &body.username, &body.email, &body.password, ROLES_SYSTEM_USER).await?;
    user.first_name = body.first_name.unwrap_or_default();
    user.last_name = body.last_name.unwrap_or_default();
    user.nickname = body.nickname.unwrap_or_default();
    if let Some(locale) = body.locale.filter(|l| !l.is_empty()) {
        user.locale = locale;
    }
    user.props = serde_json::Value::Object(body.props);
    user.notify_props = serde_json::Value::Object(body.notify_props);
    let user = accounts::create_user(state, &user).await.map_err(conflict)?;
    Ok(create_user::Response::Created(convert::user(&user)))
}
