//! Roles as Mattermost shows them (`/api/v4/roles/...`) and team member
//! roles (`PUT /teams/{id}/members/{uid}/roles`), over the core's stored
//! roles ([`chathooks_core::permissions`]).
//!
//! The core's permission ids are Mattermost's names where Mattermost has the
//! permission, so they are shown as they are; the Rocket.Chat-only ones
//! (`create_user`, `message_impersonate`) are not shown here and a patch
//! keeps them as they were.

use chathooks_core::Core;
use chathooks_core::permissions::{self, Permission, ROLES, Role};
use chathooks_core::store::{ROLES_TEAM_ADMIN, ROLES_TEAM_USER, TeamMember};
use chathooks_mattermost_server::ops::{
    get_role, get_role_by_name, get_roles_by_names, patch_role, update_team_member_roles,
};
use chathooks_mattermost_types as types;

use super::auth::{Caller, has_team_permission};
use super::error::{ApiError, ApiResult};

/// Permissions only the Rocket.Chat API names.
fn rocketchat_only(permission: Permission) -> bool {
    matches!(
        permission,
        Permission::CreateUser | Permission::Impersonate | Permission::DeleteUser | Permission::CreateTeam
    )
}

/// A stable 26-character id for a built-in role (Mattermost's ids have
/// that shape): the name's FNV-1a hash spelled in Mattermost's id alphabet.
pub(crate) fn role_id(name: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuwxyz13456789";
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for byte in name.bytes() {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    (0..26)
        .map(|i| char::from(ALPHABET[((hash >> (i * 5)) & 31) as usize]))
        .collect()
}

fn role_not_found() -> ApiError {
    ApiError::not_found("store.sql_role.get_by_name.app_error", "Unable to get role.")
}

fn wire(role: &Role) -> types::Role {
    types::Role {
        id: role_id(&role.name),
        name: role.name.clone(),
        display_name: Some(format!("authentication.roles.{}.name", role.name)),
        description: Some(format!("authentication.roles.{}.description", role.name)),
        create_at: Some(0),
        update_at: Some(role.update_at),
        delete_at: Some(0),
        permissions: role
            .permissions
            .iter()
            .filter(|p| !rocketchat_only(**p))
            .map(|p| p.id().to_owned())
            .collect(),
        scheme_managed: Some(true),
        built_in: Some(true),
    }
}

async fn by_id(core: &Core, id: &str) -> ApiResult<Role> {
    let Some(name) = ROLES.iter().find(|name| role_id(name) == id) else {
        return Err(ApiError::not_found(
            "store.sql_role.get.app_error",
            "Unable to get role.",
        ));
    };
    permissions::role(core, name).await?.ok_or_else(role_not_found)
}

pub(crate) async fn get_role_by_name(
    core: &Core,
    _caller: Caller,
    request: get_role_by_name::Request,
) -> ApiResult<get_role_by_name::Response> {
    let role = permissions::role(core, &request.role_name)
        .await?
        .ok_or_else(role_not_found)?;
    Ok(get_role_by_name::Response::Ok(wire(&role)))
}

pub(crate) async fn get_roles_by_names(
    core: &Core,
    _caller: Caller,
    request: get_roles_by_names::Request,
) -> ApiResult<get_roles_by_names::Response> {
    let mut found = Vec::new();
    for name in &request.body {
        if let Some(role) = permissions::role(core, name).await? {
            found.push(wire(&role));
        }
    }
    Ok(get_roles_by_names::Response::Ok(found))
}

pub(crate) async fn get_role(
    core: &Core,
    _caller: Caller,
    request: get_role::Request,
) -> ApiResult<get_role::Response> {
    Ok(get_role::Response::Ok(wire(&by_id(core, &request.role_id).await?)))
}

/// `PUT /roles/{id}/patch`: the role holds exactly the permissions given
/// (those this server checks), and keeps its Rocket.Chat-only ones.
pub(crate) async fn patch_role(
    core: &Core,
    caller: Caller,
    request: patch_role::Request,
) -> ApiResult<patch_role::Response> {
    if !permissions::has_system_permission(core, &caller.user, Permission::ManageSystem).await? {
        return Err(ApiError::forbidden());
    }
    let role = by_id(core, &request.role_id).await?;
    // The generated body reads a missing `permissions` as empty: Mattermost's
    // clients always send it.
    let given = request.body.permissions;
    let mut held: Vec<Permission> = given.iter().filter_map(|id| Permission::from_id(id)).collect();
    held.retain(|p| !rocketchat_only(*p));
    held.extend(role.permissions.iter().copied().filter(|p| rocketchat_only(*p)));
    let role = permissions::set_role_permissions(core, &role.name, &held).await?;
    Ok(patch_role::Response::Ok(wire(&role)))
}

/// `PUT /teams/{team_id}/members/{user_id}/roles`: `team_user`, with or
/// without `team_admin`. System admins and the team's admins may.
pub(crate) async fn update_team_member_roles(
    core: &Core,
    caller: Caller,
    request: update_team_member_roles::Request,
) -> ApiResult<update_team_member_roles::Response> {
    let roles: Vec<&str> = request.body.roles.split_whitespace().collect();
    if roles.is_empty() || roles.iter().any(|r| !matches!(*r, "team_user" | "team_admin")) {
        return Err(ApiError::bad_request(
            "api.team.update_team_member_roles.invalid_roles.app_error",
            "Invalid team member roles.",
        ));
    }
    let may = permissions::has_system_permission(core, &caller.user, Permission::ManageSystem).await?
        || (has_team_permission(core, &caller.user, &request.team_id, Permission::AddUserToTeam).await?
            && core
                .read()
                .get_team_member(&request.team_id, &caller.user.id)
                .await?
                .is_some_and(|m| m.delete_at == 0 && m.is_team_admin()));
    if !may {
        return Err(ApiError::forbidden());
    }
    let member = core
        .read()
        .get_team_member(&request.team_id, &request.user_id)
        .await?
        .filter(|m| m.delete_at == 0)
        .ok_or_else(|| {
            ApiError::not_found(
                "app.team.get_member.missing.app_error",
                "No team member found for that user ID and team ID.",
            )
        })?;
    let roles = if roles.contains(&"team_admin") {
        ROLES_TEAM_ADMIN
    } else {
        ROLES_TEAM_USER
    };
    chathooks_core::channels::add_team_member(
        core,
        &TeamMember {
            roles: roles.into(),
            ..member
        },
    )
    .await?;
    Ok(update_team_member_roles::Response::Ok(crate::status_ok()))
}
