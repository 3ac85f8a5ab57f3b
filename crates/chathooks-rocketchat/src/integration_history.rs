//! `integrations.clearHistory` and `integrations.replayOutgoing`: forgetting
//! what an integration's history recorded, or making a recorded call again.
//! Rocket.Chat guards both with the outgoing pair of permissions
//! (the history is outgoing deliveries'): `manage-outgoing-integrations`
//! reaches every integration, `manage-own-outgoing-integrations` those the
//! caller created; with neither the answer is 403.

use chathooks_rocketchat_server::ops::{integrations_clear_history, integrations_replay_outgoing};
use serde_json::json;

use super::auth::{Permission, has_permission};
use super::error::{RcError, RcResult};
use super::outgoing;
use super::wire;
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::store::{RC_WEBHOOK_OUTGOING, RcIntegration};

/// The integration `id` as the caller may reach it for history work, as
/// Rocket.Chat's `clearIntegrationHistory` and `replayOutgoingIntegration`
/// look it up: 403 without either outgoing permission, 400
/// `error-invalid-integration` when unknown or (own-only) someone else's.
pub(crate) async fn reachable_integration(
    state: &Core,
    caller: &Caller,
    id: &str,
    method: &str,
) -> RcResult<RcIntegration> {
    let all = has_permission(state, &caller.user, Permission::ManageOutgoingIntegrations).await?;
    if !all && !has_permission(state, &caller.user, Permission::ManageOwnOutgoingIntegrations).await? {
        return Err(RcError::Forbidden);
    }
    let found = match id.trim() {
        "" => None,
        id => state.read().get_rc_integration(id).await?,
    };
    found
        .filter(|integration| all || integration.created_by == caller.user.id)
        .ok_or_else(|| RcError::typed("error-invalid-integration", "Invalid integration").in_method(method))
}

pub(crate) async fn integrations_clear_history(
    state: &Core,
    caller: Caller,
    request: integrations_clear_history::Request,
) -> RcResult<integrations_clear_history::Response> {
    let body = body_of!(request, integrations_clear_history);
    let integration = reachable_integration(state, &caller, &body.integration_id, "clearIntegrationHistory").await?;
    chathooks_core::integrations::clear_history(state, &integration.id).await?;
    Ok(integrations_clear_history::Response::Ok(wire::typed(
        "integrations.clearHistory answer",
        json!({"success": true}),
    )?))
}

pub(crate) async fn integrations_replay_outgoing(
    state: &Core,
    caller: Caller,
    request: integrations_replay_outgoing::Request,
) -> RcResult<integrations_replay_outgoing::Response> {
    const METHOD: &str = "replayOutgoingIntegration";
    let body = body_of!(request, integrations_replay_outgoing);
    let integration = reachable_integration(state, &caller, &body.integration_id, METHOD).await?;
    let history = match body.history_id.trim() {
        "" => None,
        id => state.read().get_rc_history(&integration.id, id).await?,
    }
    .ok_or_else(|| {
        RcError::typed("error-invalid-integration-history", "Invalid Integration History").in_method(METHOD)
    })?;
    if integration.integration_type != RC_WEBHOOK_OUTGOING {
        return Err(RcError::typed(
            "integration-type-must-be-outgoing",
            "Integration type must be outgoing.",
        ));
    }
    if !outgoing::replay(state, integration, &history).await? {
        return Err(RcError::typed(
            "history-data-must-be-defined",
            "History data must be defined to replay an integration.",
        ));
    }
    Ok(integrations_replay_outgoing::Response::Ok(wire::typed(
        "integrations.replayOutgoing answer",
        json!({"success": true}),
    )?))
}
