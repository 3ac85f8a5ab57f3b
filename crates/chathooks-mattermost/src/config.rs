//! `GET/PUT /api/v4/config` and `PUT /api/v4/config/patch`: Mattermost's
//! configuration document, and the webhook switches the rest of this dialect
//! checks ([`require_enabled`], [`overrides`]).
//!
//! The switches are the core's ([`chathooks_core::config::Switch`]), named
//! here by their `ServiceSettings` fields. The rest of the document is
//! stored as given (one setting, [`DOCUMENT_KEY`]) and returned as stored.

use serde_json::{Map, Value, json};

use chathooks_core::Core;
use chathooks_core::config::{self, Switch};
use chathooks_core::permissions::{Permission, has_system_permission};
use chathooks_mattermost_server::ops::{get_config, patch_config, update_config};
use chathooks_mattermost_types as types;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};

/// Where the document (without the switches' current values) is kept.
const DOCUMENT_KEY: &str = "mattermost.config";

/// The `ServiceSettings` field of each switch.
const SWITCHES: [(&str, Switch); 6] = [
    ("EnableIncomingWebhooks", Switch::IncomingHooks),
    ("EnableOutgoingWebhooks", Switch::OutgoingHooks),
    ("EnablePostUsernameOverride", Switch::PostUsernameOverride),
    ("EnablePostIconOverride", Switch::PostIconOverride),
    ("EnableCommands", Switch::Commands),
    ("EnableBotAccountCreation", Switch::BotAccountCreation),
];

/// Fields of a fresh document besides the switches (Mattermost's defaults).
fn fresh_service_settings() -> Map<String, Value> {
    let mut settings = Map::new();
    settings.insert("EnableOnlyAdminIntegrations".into(), json!(true));
    settings
}

/// The integrations an administrator may turn off, for [`require_enabled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookKind {
    Incoming,
    Outgoing,
    /// Custom slash commands (`EnableCommands`).
    Commands,
}

/// 501 with Mattermost's error id when `kind`'s webhooks are turned off
/// (`EnableIncomingWebhooks`/`EnableOutgoingWebhooks`), for calling and for
/// managing them alike.
pub(crate) async fn require_enabled(core: &Core, kind: HookKind) -> ApiResult<()> {
    let (switch, id, message) = match kind {
        HookKind::Incoming => (
            Switch::IncomingHooks,
            "api.incoming_webhook.disabled.app_error",
            "Incoming webhooks have been disabled by the system admin.",
        ),
        HookKind::Outgoing => (
            Switch::OutgoingHooks,
            "api.outgoing_webhook.disabled.app_error",
            "Outgoing webhooks have been disabled by the system admin.",
        ),
        HookKind::Commands => (
            Switch::Commands,
            "api.command.disabled.app_error",
            "Commands have been disabled by the system admin.",
        ),
    };
    if config::is_on(core, switch).await? {
        Ok(())
    } else {
        Err(ApiError::new(axum::http::StatusCode::NOT_IMPLEMENTED, id, message))
    }
}

/// Whether webhooks may set their post's name and picture:
/// (`EnablePostUsernameOverride`, `EnablePostIconOverride`).
pub(crate) async fn overrides(core: &Core) -> ApiResult<(bool, bool)> {
    Ok((
        config::is_on(core, Switch::PostUsernameOverride).await?,
        config::is_on(core, Switch::PostIconOverride).await?,
    ))
}

async fn require_admin(core: &Core, caller: &Caller) -> ApiResult<()> {
    if has_system_permission(core, &caller.user, Permission::ManageSystem).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The document as stored, with the switches' current values.
async fn current(core: &Core) -> ApiResult<Map<String, Value>> {
    let mut document = match config::get(core, DOCUMENT_KEY).await? {
        Some(Value::Object(document)) => document,
        _ => Map::new(),
    };
    let service = document
        .entry("ServiceSettings")
        .or_insert_with(|| Value::Object(fresh_service_settings()));
    if !service.is_object() {
        *service = Value::Object(fresh_service_settings());
    }
    if let Value::Object(service) = service {
        for (field, switch) in SWITCHES {
            service.insert(field.into(), Value::Bool(config::is_on(core, switch).await?));
        }
    }
    Ok(document)
}

/// Store `document`: the switches it names take effect, the rest is kept.
async fn store(core: &Core, document: Map<String, Value>) -> ApiResult<()> {
    if let Some(Value::Object(service)) = document.get("ServiceSettings") {
        for (field, switch) in SWITCHES {
            match service.get(field) {
                Some(Value::Bool(on)) => config::set_switch(core, switch, *on).await?,
                None | Some(Value::Null) => {}
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "api.config.update_config.invalid_value.app_error",
                        format!("ServiceSettings.{field} must be true or false."),
                    ));
                }
            }
        }
    }
    config::set(core, DOCUMENT_KEY, Value::Object(document)).await?;
    Ok(())
}

fn typed(document: Map<String, Value>) -> ApiResult<types::Config> {
    serde_json::from_value(Value::Object(document)).map_err(ApiError::internal)
}

fn untyped(body: &types::Config) -> ApiResult<Map<String, Value>> {
    match serde_json::to_value(body).map_err(ApiError::internal)? {
        Value::Object(document) => Ok(document),
        _ => Err(ApiError::invalid_body_param("config")),
    }
}

pub(crate) async fn get_config(
    core: &Core,
    caller: Caller,
    _request: get_config::Request,
) -> ApiResult<get_config::Response> {
    require_admin(core, &caller).await?;
    Ok(get_config::Response::Ok(typed(current(core).await?)?))
}

pub(crate) async fn update_config(
    core: &Core,
    caller: Caller,
    request: update_config::Request,
) -> ApiResult<update_config::Response> {
    require_admin(core, &caller).await?;
    store(core, untyped(&request.body)?).await?;
    Ok(update_config::Response::Ok(typed(current(core).await?)?))
}

pub(crate) async fn patch_config(
    core: &Core,
    caller: Caller,
    request: patch_config::Request,
) -> ApiResult<patch_config::Response> {
    require_admin(core, &caller).await?;
    let mut document = current(core).await?;
    for (section, patch) in untyped(&request.body)? {
        match (document.get_mut(&section), patch) {
            (Some(Value::Object(stored)), Value::Object(patch)) => stored.extend(patch),
            (_, patch) => {
                document.insert(section, patch);
            }
        }
    }
    store(core, document).await?;
    Ok(patch_config::Response::Ok(typed(current(core).await?)?))
}
