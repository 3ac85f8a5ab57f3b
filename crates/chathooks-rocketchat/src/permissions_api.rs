//! `permissions.listAll` and `permissions.update`: Rocket.Chat's view of the
//! core's stored roles ([`chathooks_core::permissions`]). A Rocket.Chat
//! permission is held by the Rocket.Chat roles whose core role holds its
//! core permission ([`ROLE_NAMES`]); `permissions.update` sets, for each
//! permission, exactly which of those roles hold it.

use serde_json::{Value, json};

use chathooks_core::Core;
use chathooks_core::permissions::{self, Role};
use chathooks_rocketchat_server::ops::{permissions_list_all, permissions_update};

use super::auth::{Permission, ROLE_NAMES, core_role};
use super::error::{RcError, RcResult};
use super::time::{iso, parse_iso};
use super::wire::typed;
use chathooks_core::accounts::Caller;

/// When a permission counts as last changed: the latest change of a role
/// whose holding of it differs from the role's default (0 if none does).
fn updated_at(permission: Permission, roles: &[Role]) -> i64 {
    roles
        .iter()
        .filter(|role| {
            let default = permissions::default_permissions(&role.name).contains(&permission.core());
            role.holds(permission.core()) != default
        })
        .map(|role| role.update_at)
        .max()
        .unwrap_or(0)
}

/// The wire document of `permission`.
fn document(permission: Permission, roles: &[Role]) -> Value {
    let holders: Vec<&str> = ROLE_NAMES
        .iter()
        .filter(|(_, core)| roles.iter().any(|r| r.name == *core && r.holds(permission.core())))
        .map(|(rc, _)| *rc)
        .collect();
    json!({
        "_id": permission.id(),
        "roles": holders,
        "_updatedAt": iso(updated_at(permission, roles)),
    })
}

pub(crate) async fn permissions_list_all(
    state: &Core,
    _caller: Caller,
    request: permissions_list_all::Request,
) -> RcResult<permissions_list_all::Response> {
    let since = match request.updated_since.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(parse_iso(text).ok_or_else(|| {
            RcError::typed(
                "error-roomId-param-invalid",
                "The \"updatedSince\" query parameter must be a valid date.",
            )
        })?),
    };
    let roles = permissions::roles(state).await?;
    let update: Vec<Value> = Permission::ALL
        .into_iter()
        .filter(|p| since.is_none_or(|since| updated_at(*p, &roles) > since))
        .map(|p| document(p, &roles))
        .collect();
    Ok(permissions_list_all::Response::Ok(typed(
        "permissions.listAll answer",
        json!({"update": update, "remove": [], "success": true}),
    )?))
}

pub(crate) async fn permissions_update(
    state: &Core,
    caller: Caller,
    request: permissions_update::Request,
) -> RcResult<permissions_update::Response> {
    // `access-permissions` is the administrators' (Rocket.Chat's default).
    if !permissions::has_system_permission(state, &caller.user, permissions::Permission::ManageSystem).await? {
        return Err(RcError::Forbidden);
    }
    let body = serde_json::to_value(&request.body).map_err(RcError::internal)?;
    let entries = body["permissions"].as_array().cloned().unwrap_or_default();
    // Check everything before changing anything, as Rocket.Chat does.
    let mut changes = Vec::new();
    for entry in &entries {
        let Some(permission) = entry["_id"].as_str().and_then(Permission::from_id) else {
            return Err(RcError::BadRequest {
                error: "Invalid permission".into(),
                error_type: Some("error-invalid-permission".into()),
                details: Default::default(),
            });
        };
        let mut holders = Vec::new();
        for role in entry["roles"].as_array().into_iter().flatten() {
            let Some(core) = role.as_str().and_then(core_role) else {
                return Err(RcError::BadRequest {
                    error: "Invalid role".into(),
                    error_type: Some("error-invalid-role".into()),
                    details: Default::default(),
                });
            };
            holders.push(core);
        }
        changes.push((permission, holders));
    }
    for (permission, holders) in changes {
        for (_, core) in ROLE_NAMES {
            permissions::set_role_holds(state, core, permission.core(), holders.contains(&core)).await?;
        }
    }
    let roles = permissions::roles(state).await?;
    let all: Vec<Value> = Permission::ALL.into_iter().map(|p| document(p, &roles)).collect();
    Ok(permissions_update::Response::Ok(typed(
        "permissions.update answer",
        json!({"permissions": all, "success": true}),
    )?))
}
