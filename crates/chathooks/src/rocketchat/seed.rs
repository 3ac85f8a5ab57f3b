//! Rocket.Chat integrations a seed file declares (`[[rocketchat.incoming]]`,
//! `[[rocketchat.outgoing]]`), checked by the same rules as
//! `integrations.create` and stored under their declared ids and tokens.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::error::RcError;
use super::integrations::{new_integration, with_fixed_identity};
use crate::Core;
use crate::seed::config::{RcIncomingSeed, RcOutgoingSeed, RocketChatSeed};
use crate::store::{RcIntegration, Store, User};

fn explain(what: &str, id: &str, error: RcError) -> anyhow::Error {
    let reason = match error {
        RcError::BadRequest { error, .. } => error,
        RcError::Forbidden => "its user may not manage integrations".to_owned(),
        other => format!("{other:?}"),
    };
    anyhow::anyhow!("Rocket.Chat {what} integration `{id}`: {reason}")
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn incoming_body(seed: &RcIncomingSeed) -> Map<String, Value> {
    let mut body = object(json!({
        "type": "webhook-incoming",
        "name": seed.name,
        "enabled": true,
        "username": seed.username.get_ref(),
        "channel": seed.channel.get_ref(),
        "scriptEnabled": seed.script.is_some(),
    }));
    if let Some(script) = &seed.script {
        body.insert("script".into(), script.clone().into());
    }
    body
}

fn outgoing_body(seed: &RcOutgoingSeed, username: &str) -> Map<String, Value> {
    let mut body = object(json!({
        "type": "webhook-outgoing",
        "name": seed.name,
        "enabled": true,
        "event": seed.event,
        "username": username,
        "channel": seed.channel.join(","),
        "urls": seed.urls.iter().map(|u| u.get_ref().clone()).collect::<Vec<_>>(),
        "triggerWords": seed.trigger_words,
        "retryFailedCalls": seed.retry_failed_calls,
        "scriptEnabled": seed.script.is_some(),
    }));
    if let Some(token) = &seed.token {
        body.insert("token".into(), token.clone().into());
    }
    if let Some(script) = &seed.script {
        body.insert("script".into(), script.clone().into());
    }
    body
}

/// The document without what changes by itself (times, creator).
fn comparable(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if let Value::Object(map) = &mut doc {
        for key in ["_createdAt", "_updatedAt", "_createdBy"] {
            map.remove(key);
        }
    }
    doc
}

/// Create `wanted`, or bring the stored integration with its id in line.
async fn store(core: &Core, wanted: RcIntegration, created: &mut usize, updated: &mut usize) -> anyhow::Result<()> {
    match core.store.get_rc_integration(&wanted.id).await? {
        None => {
            core.store.create_rc_integration(&wanted).await?;
            *created += 1;
        }
        Some(current) if comparable(&current.doc) == comparable(&wanted.doc) => {}
        Some(current) => {
            let mut doc = object(wanted.doc.clone());
            for key in ["_createdAt", "_createdBy"] {
                if let Some(value) = current.doc.get(key) {
                    doc.insert(key.into(), value.clone());
                }
            }
            let integration = RcIntegration {
                doc: Value::Object(doc),
                created_by: current.created_by.clone(),
                created_at: current.created_at,
                ..wanted
            };
            core.store.update_rc_integration(&integration).await?;
            *updated += 1;
        }
    }
    Ok(())
}

/// Apply the file's Rocket.Chat integrations; `users` are the file's users
/// as stored.
pub async fn apply(
    core: &Core,
    users: &HashMap<String, User>,
    seed: &RocketChatSeed,
    created: &mut usize,
    updated: &mut usize,
) -> anyhow::Result<()> {
    let admin = users.values().find(|u| u.is_system_admin());
    for integration in &seed.incoming {
        let id = integration.id.get_ref();
        let creator = users
            .get(integration.username.get_ref())
            .filter(|u| u.is_system_admin())
            .or(admin)
            .ok_or_else(|| {
                anyhow::anyhow!("Rocket.Chat incoming integration `{id}`: the file declares no system admin to own it")
            })?;
        let built = new_integration(core, creator, &incoming_body(integration))
            .await
            .map_err(|e| explain("incoming", id, e))?;
        let wanted = with_fixed_identity(built, id, Some(integration.token.get_ref()));
        store(core, wanted, created, updated).await?;
    }
    for integration in &seed.outgoing {
        let id = integration.id.get_ref();
        let creator = match &integration.username {
            Some(name) => users.get(name.get_ref()),
            None => admin,
        }
        .ok_or_else(|| {
            anyhow::anyhow!("Rocket.Chat outgoing integration `{id}`: the file declares no user to run it as")
        })?;
        let built = new_integration(core, creator, &outgoing_body(integration, &creator.username))
            .await
            .map_err(|e| explain("outgoing", id, e))?;
        let wanted = with_fixed_identity(built, id, None);
        store(core, wanted, created, updated).await?;
    }
    Ok(())
}
