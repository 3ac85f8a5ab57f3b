//! `GET/POST /api/v1/settings/{_id}`: Rocket.Chat's settings, kept in the
//! core's settings table under `rocketchat.setting.<id>` so they are shared
//! by every instance on the database and survive a restart. This server
//! acts on none of them; it returns what was stored.

use serde_json::{Value, json};

use chathooks_core::Core;
use chathooks_core::config;
use chathooks_rocketchat_server::ops::{settings_get, settings_set};

use super::error::{RcError, RcResult};
use super::wire::typed;
use chathooks_core::accounts::Caller;

fn key(id: &str) -> String {
    format!("rocketchat.setting.{id}")
}

/// `view-privileged-setting` and `edit-privileged-setting` are the
/// administrators' by default.
async fn require_admin(state: &Core, caller: &Caller) -> RcResult<()> {
    use chathooks_core::permissions::{Permission, has_system_permission};
    if has_system_permission(state, &caller.user, Permission::ManageSystem).await? {
        Ok(())
    } else {
        Err(RcError::Forbidden)
    }
}

pub(crate) async fn settings_get(
    state: &Core,
    caller: Caller,
    request: settings_get::Request,
) -> RcResult<settings_get::Response> {
    require_admin(state, &caller).await?;
    let Some(value) = config::get(state, &key(&request.id)).await? else {
        return Err(RcError::BadRequest {
            error: String::new(),
            error_type: None,
            details: Default::default(),
        });
    };
    Ok(settings_get::Response::Ok(typed(
        "settings answer",
        json!({"_id": request.id, "value": value, "success": true}),
    )?))
}

pub(crate) async fn settings_set(
    state: &Core,
    caller: Caller,
    request: settings_set::Request,
) -> RcResult<settings_set::Response> {
    require_admin(state, &caller).await?;
    let body = serde_json::to_value(&request.body).map_err(RcError::internal)?;
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    config::set(state, &key(&request.id), value).await?;
    Ok(settings_set::Response::Ok(typed(
        "settings answer",
        json!({"success": true}),
    )?))
}
