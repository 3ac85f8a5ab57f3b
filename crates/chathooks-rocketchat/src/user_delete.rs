//! `users.delete`: an account deleted by an administrator, through the
//! core's one deletion rule ([`accounts::delete_user`], which says what goes
//! and what stays).
//!
//! Who may: holders of `delete-user` (administrators, as Rocket.Chat ships
//! it); anyone else gets 403. `rocket.cat` is refused as Rocket.Chat refuses
//! it (`error-action-not-allowed`). Deleting oneself is allowed, as
//! Rocket.Chat's `users.delete` does not ask who is deleted.

use chathooks_rocketchat_server::ops::users_delete;
use serde_json::json;

use super::auth::{Permission, require};
use super::defaults::ROCKET_CAT;
use super::error::{RcError, RcResult};
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::{self, Caller};

pub(crate) async fn users_delete(
    state: &Core,
    caller: Caller,
    request: users_delete::Request,
) -> RcResult<users_delete::Response> {
    require(state, &caller.user, Permission::DeleteUser).await?;
    let body = body_of!(request, users_delete);
    let found = super::users::user_by_id_or_username(state, body.user_id, body.username).await?;
    let user = found
        .filter(|user| !accounts::is_deleted(user))
        .ok_or_else(|| RcError::typed("error-invalid-user", "Invalid user"))?;
    if user.username == ROCKET_CAT {
        return Err(RcError::typed(
            "error-action-not-allowed",
            "Deleting the rocket.cat user is not allowed",
        )
        .in_method("deleteUser"));
    }
    accounts::delete_user(state, &user, &caller.user).await?;
    Ok(users_delete::Response::Ok(wire::typed(
        "users.delete answer",
        json!({"success": true}),
    )?))
}
