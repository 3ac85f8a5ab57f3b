//! `integrations.*`: creating, changing, reading, listing and removing
//! incoming and outgoing integrations, and reading outgoing delivery history.
//!
//! An integration is stored as the document Rocket.Chat returns
//! ([`RcIntegration::doc`]); the store's other columns are copies of the
//! fields it filters on, kept equal to the document's by [`record`].

use chathooks_rocketchat_server::ops::{
    integrations_create, integrations_get, integrations_history, integrations_list, integrations_remove,
    integrations_update,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::auth::{Kind, may_manage, may_manage_integrations};
use super::error::{RcError, RcResult};
use super::rooms::paging;
use super::scripts::Scripts;
use super::settings::{self, Check, Fields};
use super::time::iso;
use super::wire::typed;
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::ids::{new_rc_id, new_rc_token};
use chathooks_core::store::{RcIntegration, RcIntegrationFilter, User, now_ms};

/// `integrations.list` and `integrations.history` page sizes: Rocket.Chat's
/// default and upper limit.
const DEFAULT_COUNT: u32 = 50;
const MAX_COUNT: u32 = 100;

fn no_integration() -> RcError {
    RcError::failure("No integration found.")
}

/// A typed body as a JSON object with the wire's field names.
fn fields_of<T: Serialize>(body: &T) -> RcResult<Map<String, Value>> {
    match serde_json::to_value(body).map_err(RcError::internal)? {
        Value::Object(fields) => Ok(fields),
        other => Err(RcError::internal(format!("a request body is not an object: {other}"))),
    }
}

/// Write checked fields into a document (`Null` removes a field).
fn apply(doc: &mut Map<String, Value>, fields: Fields) {
    for (key, value) in fields {
        if value.is_null() {
            doc.remove(&key);
        } else {
            doc.insert(key, value);
        }
    }
}

/// The store record of a document; its columns mirror the document.
fn record(doc: Map<String, Value>, created_by: &str, created_at: i64, updated_at: i64) -> RcIntegration {
    let get = |key: &str| doc.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    RcIntegration {
        id: get("_id"),
        integration_type: get("type"),
        name: get("name"),
        enabled: doc.get("enabled").and_then(Value::as_bool).unwrap_or(false),
        created_by: created_by.to_owned(),
        created_at,
        updated_at,
        token: get("token"),
        doc: Value::Object(doc),
    }
}

fn answer<T: serde::de::DeserializeOwned>(what: &str, integration: &RcIntegration) -> RcResult<T> {
    typed(what, json!({"integration": integration.doc, "success": true}))
}

async fn check(state: &Core, check: &Check<'_>, kind: Kind, body: &Map<String, Value>) -> RcResult<Fields> {
    match kind {
        Kind::Incoming => settings::incoming(state, check, body).await,
        Kind::Outgoing => settings::outgoing(state, check, body).await,
    }
}

fn kind_of(body: &Map<String, Value>) -> Kind {
    Kind::of(body.get("type").and_then(Value::as_str).unwrap_or_default())
}

pub(crate) async fn integrations_create(
    state: &Core,
    scripts: &Scripts,
    caller: Caller,
    request: integrations_create::Request,
) -> RcResult<integrations_create::Response> {
    let body = body_of!(request, integrations_create);
    if matches!(
        body,
        chathooks_rocketchat_types::IntegrationsCreateBody::UnknownIntegrationCreate(_)
    ) {
        return Err(RcError::failure("Invalid integration type."));
    }
    let body = fields_of(&body)?;
    let mut integration = new_integration(state, &caller.user, &body).await?;
    check_script(scripts, &mut integration).await;
    let integration = chathooks_core::integrations::create_integration(state, &integration).await?;
    Ok(integrations_create::Response::Ok(answer(
        "integrations.create answer",
        &integration,
    )?))
}

/// A new integration `creator` asks for with `body` (the wire fields of
/// `integrations.create`), checked, with a new id and (incoming) token; not
/// stored yet.
pub(crate) async fn new_integration(
    state: &Core,
    creator: &User,
    body: &Map<String, Value>,
) -> RcResult<RcIntegration> {
    let kind = kind_of(body);
    if !kind.may_manage_any(state, creator).await? {
        return Err(RcError::Forbidden);
    }
    let method = match kind {
        Kind::Incoming => "addIncomingIntegration",
        Kind::Outgoing => "addOutgoingIntegration",
    };
    let fields = check(
        state,
        &Check {
            caller: creator,
            method,
            current: None,
        },
        kind,
        body,
    )
    .await?;
    let now = now_ms();
    let mut doc = Map::new();
    doc.insert("scriptEngine".into(), "isolated-vm".into());
    if kind == Kind::Incoming {
        doc.insert("overrideDestinationChannelEnabled".into(), false.into());
        doc.insert("token".into(), new_rc_token().into());
    }
    apply(&mut doc, fields);
    doc.insert("_id".into(), new_rc_id().into());
    doc.insert("_createdAt".into(), iso(now).into());
    doc.insert("_createdBy".into(), created_by(creator));
    Ok(record(doc, &creator.id, now, now))
}

/// `integration` with the given id and token (a seed file's fixed ones),
/// in its document and its columns alike.
pub(crate) fn with_fixed_identity(integration: RcIntegration, id: &str, token: Option<&str>) -> RcIntegration {
    let Value::Object(mut doc) = integration.doc else {
        return integration;
    };
    doc.insert("_id".into(), id.into());
    if let Some(token) = token {
        doc.insert("token".into(), token.into());
    }
    record(
        doc,
        &integration.created_by,
        integration.created_at,
        integration.updated_at,
    )
}

/// Compile the integration's script, recording a compile error in its
/// document (`scriptError`), as Rocket.Chat does on saving.
pub(crate) async fn check_script(scripts: &Scripts, integration: &mut RcIntegration) {
    if let Value::Object(doc) = &mut integration.doc {
        scripts.check_on_save(doc).await;
    }
}

fn created_by(user: &User) -> Value {
    json!({"_id": user.id, "username": user.username})
}

pub(crate) async fn integrations_update(
    state: &Core,
    scripts: &Scripts,
    caller: Caller,
    request: integrations_update::Request,
) -> RcResult<integrations_update::Response> {
    let body = fields_of(&body_of!(request, integrations_update))?;
    let kind = kind_of(&body);
    if !kind.may_manage_any(state, &caller.user).await? {
        return Err(RcError::Forbidden);
    }
    let text = |key: &str| body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    let found = match (kind, text("target_url"), text("integrationId")) {
        (Kind::Outgoing, Some(url), _) => state.read().get_rc_outgoing_by_url(url).await?,
        (_, _, Some(id)) => state.read().get_rc_integration(id).await?,
        _ => None,
    };
    let current = found
        .filter(|i| Kind::of(&i.integration_type) == kind)
        .ok_or_else(no_integration)?;
    if !may_manage(state, &caller.user, &current).await? {
        return Err(no_integration());
    }
    let method = match kind {
        Kind::Incoming => "updateIncomingIntegration",
        Kind::Outgoing => "updateOutgoingIntegration",
    };
    let mut fields = check(
        state,
        &Check {
            caller: &caller.user,
            method,
            current: Some(&current.doc),
        },
        kind,
        &body,
    )
    .await?;
    if kind == Kind::Incoming {
        // The secret in the hook URL never changes.
        fields.remove("token");
    }
    let now = now_ms();
    let mut doc = current.doc.as_object().cloned().unwrap_or_default();
    apply(&mut doc, fields);
    doc.insert("_updatedAt".into(), iso(now).into());
    doc.insert("_updatedBy".into(), created_by(&caller.user));
    scripts.check_on_save(&mut doc).await;
    let integration = chathooks_core::integrations::update_integration(
        state,
        &record(doc, &current.created_by, current.created_at, now),
    )
    .await
    .map_err(|error| match error {
        chathooks_core::store::StoreError::NotFound => no_integration(),
        other => other.into(),
    })?;
    Ok(integrations_update::Response::Ok(answer(
        "integrations.update answer",
        &integration,
    )?))
}

pub(crate) async fn integrations_get(
    state: &Core,
    caller: Caller,
    request: integrations_get::Request,
) -> RcResult<integrations_get::Response> {
    if !may_manage_integrations(state, &caller.user).await? {
        return Err(RcError::Forbidden);
    }
    let integration = state
        .read()
        .get_rc_integration(&request.integration_id)
        .await?
        .filter(|i| request.created_by.as_ref().is_none_or(|by| *by == i.created_by))
        .ok_or_else(|| RcError::failure("The integration does not exists."))?;
    if !may_manage(state, &caller.user, &integration).await? {
        return Err(RcError::failure("not-authorized"));
    }
    Ok(integrations_get::Response::Ok(answer(
        "integrations.get answer",
        &integration,
    )?))
}

pub(crate) async fn integrations_list(
    state: &Core,
    caller: Caller,
    request: integrations_list::Request,
) -> RcResult<integrations_list::Response> {
    if !may_manage_integrations(state, &caller.user).await? {
        return Err(RcError::Forbidden);
    }
    let filter = RcIntegrationFilter {
        name: request.name.filter(|n| !n.is_empty()),
        integration_type: request.type_.map(|t| t.to_string()),
        incoming: Kind::Incoming.visibility(state, &caller.user).await?,
        outgoing: Kind::Outgoing.visibility(state, &caller.user).await?,
    };
    let (offset, count) = paging(request.offset, request.count, DEFAULT_COUNT, MAX_COUNT);
    let page = state.read().list_rc_integrations(&filter, offset, count).await?;
    let total = state.read().count_rc_integrations(&filter).await?;
    let integrations: Vec<&Value> = page.iter().map(|i| &i.doc).collect();
    Ok(integrations_list::Response::Ok(typed(
        "integrations.list answer",
        json!({
            "integrations": integrations,
            "offset": offset,
            "items": page.len(),
            "count": page.len(),
            "total": total,
            "success": true,
        }),
    )?))
}

pub(crate) async fn integrations_remove(
    state: &Core,
    scripts: &Scripts,
    caller: Caller,
    request: integrations_remove::Request,
) -> RcResult<integrations_remove::Response> {
    if !may_manage_integrations(state, &caller.user).await? {
        return Err(RcError::Forbidden);
    }
    let body = body_of!(request, integrations_remove);
    let kind = Kind::of(&body.type_.to_string());
    let id = body.integration_id.filter(|s| !s.is_empty());
    let url = body.target_url.filter(|s| !s.is_empty());
    let found = match (kind, url, id) {
        (Kind::Outgoing, Some(url), _) => state.read().get_rc_outgoing_by_url(&url).await?,
        (_, _, Some(id)) => state.read().get_rc_integration(&id).await?,
        (Kind::Outgoing, None, None) => {
            return Err(RcError::failure("An integrationId or target_url needs to be provided."));
        }
        (Kind::Incoming, _, None) => return Err(RcError::failure("Match error: Missing key 'integrationId'")),
    };
    let integration = found
        .filter(|i| Kind::of(&i.integration_type) == kind)
        .ok_or_else(no_integration)?;
    if !may_manage(state, &caller.user, &integration).await? {
        let method = match kind {
            Kind::Incoming => "deleteIncomingIntegration",
            Kind::Outgoing => "deleteOutgoingIntegration",
        };
        return Err(RcError::typed("not_authorized", "Unauthorized").in_method(method));
    }
    let removed = chathooks_core::integrations::delete_integration(state, &integration.id)
        .await
        .map_err(|error| match error {
            chathooks_core::store::StoreError::NotFound => no_integration(),
            other => other.into(),
        })?;
    scripts.forget(&removed.id);
    Ok(integrations_remove::Response::Ok(answer(
        "integrations.remove answer",
        &removed,
    )?))
}

pub(crate) async fn integrations_history(
    state: &Core,
    caller: Caller,
    request: integrations_history::Request,
) -> RcResult<integrations_history::Response> {
    if !may_manage_integrations(state, &caller.user).await? {
        return Err(RcError::Forbidden);
    }
    let id = request.id.trim();
    if id.is_empty() {
        return Err(RcError::failure("Invalid integration id."));
    }
    let (offset, count) = paging(request.offset, request.count, DEFAULT_COUNT, MAX_COUNT);
    // Someone else's integration (for own-only callers) or an unknown id: no
    // history, as Rocket.Chat's query by creator finds none.
    let visible = match state.read().get_rc_integration(id).await? {
        Some(integration) => may_manage(state, &caller.user, &integration).await?,
        None => false,
    };
    let (history, total) = if visible {
        let history = state.read().list_rc_history(id, offset, count).await?;
        let total = state.read().count_rc_history(id).await?;
        (history, total)
    } else {
        (Vec::new(), 0)
    };
    let documents: Vec<&Value> = history.iter().map(|h| &h.doc).collect();
    Ok(integrations_history::Response::Ok(typed(
        "integrations.history answer",
        json!({
            "history": documents,
            "offset": offset,
            "items": history.len(),
            "count": history.len(),
            "total": total,
            "success": true,
        }),
    )?))
}
