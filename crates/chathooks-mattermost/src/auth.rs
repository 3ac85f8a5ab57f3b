//! Sessions and permissions, as the Mattermost API names and answers them.
//! The rules themselves are the core's ([`chathooks_core::accounts`],
//! [`chathooks_core::permissions`]).

pub(crate) use chathooks_core::accounts::Caller;
use chathooks_core::accounts::{self, AuthError};
pub(crate) use chathooks_core::permissions::{Permission, can_read_channel, is_team_member};
use chathooks_mattermost_server::Credentials;

use super::error::{ApiError, ApiResult};
use chathooks_core::Core;
use chathooks_core::store::User;

pub(crate) fn is_system_admin(user: &User) -> bool {
    user.is_system_admin()
}

/// The session behind the presented token: 401 when there is none, it
/// expired, or its user is deactivated.
pub(crate) async fn authenticate(core: &Core, credentials: &Credentials) -> ApiResult<Caller> {
    accounts::authenticate(core, token(credentials))
        .await
        .map_err(|error| match error {
            AuthError::Unauthenticated => ApiError::session_expired(),
            AuthError::Store(error) => error.into(),
        })
}

/// The token presented, whichever way it came.
pub(crate) fn token(credentials: &Credentials) -> &str {
    match credentials {
        Credentials::Mmauthtoken(token)
        | Credentials::BearerAuth(token)
        | Credentials::TokenAuth(token)
        | Credentials::AccessToken(token) => token,
    }
}

/// Does `user` hold `permission` in `team_id`?
pub(crate) async fn has_team_permission(
    core: &Core,
    user: &User,
    team_id: &str,
    permission: Permission,
) -> ApiResult<bool> {
    Ok(chathooks_core::permissions::has_team_permission(core, user, team_id, permission).await?)
}

/// Like [`has_team_permission`], as a 403.
pub(crate) async fn require_team_permission(
    core: &Core,
    user: &User,
    team_id: &str,
    permission: Permission,
) -> ApiResult<()> {
    if has_team_permission(core, user, team_id, permission).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The cookie a browser login would set, the first place Mattermost (and
/// the generated extraction, `Credentials::Mmauthtoken`) looks for a token.
const SESSION_COOKIE: &str = "MMAUTHTOKEN";

/// The session token of the `MMAUTHTOKEN` cookie, when a request that may
/// change state is authenticated by it without Mattermost's CSRF header.
///
/// Mattermost's rule (`checkCSRFToken`): a request other than GET whose token
/// comes from the cookie must carry the session's `X-CSRF-Token` or
/// `X-Requested-With: XMLHttpRequest`, which a cross-site form cannot send
/// (this server issues no CSRF token, so the second is the one that counts).
/// The cookie is where the token comes from whenever it is present, as in
/// the generated extraction; HEAD and OPTIONS change nothing and pass.
fn unguarded_cookie_token(request: &axum::extract::Request) -> Option<String> {
    use axum::http::{Method, header};
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let headers = request.headers();
    let requested_with_xhr = headers
        .get("x-requested-with")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("XMLHttpRequest"));
    if requested_with_xhr {
        return None;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token.to_owned())
}

/// [`CsrfLayer`]'s service: Mattermost's CSRF rule in front of the API.
#[derive(Clone)]
pub(crate) struct Csrf<S> {
    core: std::sync::Arc<Core>,
    inner: S,
}

/// Refuse cookie-authenticated state changes without `X-Requested-With`, as
/// Mattermost does: 401 `api.context.session_expired.app_error`, and only
/// when the cookie names a live session (a dead one is refused or ignored by
/// the operation as any bad token is). Requests without the cookie pay one
/// header lookup and no allocation.
#[derive(Clone)]
pub(crate) struct CsrfLayer(pub std::sync::Arc<Core>);

impl<S> tower::Layer<S> for CsrfLayer {
    type Service = Csrf<S>;

    fn layer(&self, inner: S) -> Csrf<S> {
        Csrf {
            core: self.0.clone(),
            inner,
        }
    }
}

impl<S> tower::Service<axum::extract::Request> for Csrf<S>
where
    S: tower::Service<axum::extract::Request, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::Either<
        S::Future,
        futures_util::future::BoxFuture<'static, Result<axum::response::Response, std::convert::Infallible>>,
    >;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        use futures_util::future::Either;
        let Some(token) = unguarded_cookie_token(&request) else {
            return Either::Left(self.inner.call(request));
        };
        // The service made ready is the one called; a fresh clone takes its place.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let core = self.core.clone();
        Either::Right(Box::pin(async move {
            match accounts::authenticate(&core, &token).await {
                Ok(_) => {
                    let mut error = ApiError::session_expired();
                    error.detailed = "the session cookie needs the X-Requested-With: XMLHttpRequest header on requests that change state (a CSRF attempt?)".into();
                    Ok(error.into_http())
                }
                Err(_) => inner.call(request).await,
            }
        }))
    }
}
