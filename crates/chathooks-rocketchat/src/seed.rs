//! Rocket.Chat integrations a seed file declares (`[[rocketchat.incoming]]`,
//! `[[rocketchat.outgoing]]`), checked by the same rules as
//! `integrations.create` and stored under their declared ids and tokens.

use std::collections::HashSet;

use chathooks_dialect::seed::{
    Applied, Declared, LoadedSection, SeedError, SeedSection, SeedSource, Seeded, valid_secret,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use toml::Spanned;

use super::error::RcError;
use super::integrations::{new_integration, with_fixed_identity};
use chathooks_core::Core;
use chathooks_core::store::RcIntegration;

/// This dialect's part of the seed file.
pub(crate) struct Section;

/// The file as this section reads it: its own key, the rest left to others.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    rocketchat: RocketChatSeed,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RocketChatSeed {
    #[serde(default)]
    incoming: Vec<RcIncomingSeed>,
    #[serde(default)]
    outgoing: Vec<RcOutgoingSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RcIncomingSeed {
    id: Spanned<String>,
    token: Spanned<String>,
    name: String,
    /// `#room` (or `@user`).
    channel: Spanned<String>,
    /// The user messages are posted as (and the integration's creator).
    username: Spanned<String>,
    script: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RcOutgoingSeed {
    id: Spanned<String>,
    token: Option<String>,
    name: String,
    #[serde(default = "send_message")]
    event: String,
    /// Room keys (`#room`, `all_public_channels`...); empty for all public channels.
    #[serde(default)]
    channel: Vec<String>,
    urls: Vec<Spanned<String>>,
    #[serde(default)]
    trigger_words: Vec<String>,
    #[serde(default)]
    retry_failed_calls: bool,
    /// The user the integration runs as; defaults to the first system admin declared.
    username: Option<Spanned<String>>,
    script: Option<String>,
}

fn send_message() -> String {
    "sendMessage".to_owned()
}

/// Rocket.Chat ids: 17 characters of its alphabet (letters and digits).
fn valid_rc_id(id: &str) -> bool {
    id.len() == 17 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

impl SeedSection for Section {
    fn key(&self) -> &'static str {
        "rocketchat"
    }

    fn load(&self, source: &SeedSource<'_>, declared: &Declared) -> Result<Box<dyn LoadedSection>, SeedError> {
        let file: File = source.parse()?;
        check(source, declared, &file.rocketchat)?;
        Ok(Box::new(file.rocketchat))
    }

    fn is_hook_id(&self, id: &str) -> bool {
        valid_rc_id(id)
    }
}

fn check(source: &SeedSource<'_>, declared: &Declared, section: &RocketChatSeed) -> Result<(), SeedError> {
    let mut ids = HashSet::new();
    let mut new_id = |id: &Spanned<String>| {
        if !valid_rc_id(id.get_ref()) {
            return Err(source.at(
                id,
                format!("invalid integration id `{}` (17 letters and digits)", id.get_ref()),
            ));
        }
        if !ids.insert(id.get_ref().clone()) {
            return Err(source.at(id, "this id is declared twice"));
        }
        Ok(())
    };
    for integration in &section.incoming {
        new_id(&integration.id)?;
        if !valid_secret(integration.token.get_ref()) {
            return Err(source.at(
                &integration.token,
                "invalid token (16 to 128 printable characters, no spaces)",
            ));
        }
        check_room(source, declared, &integration.channel)?;
        declared.user(source, &integration.username)?;
    }
    for integration in &section.outgoing {
        new_id(&integration.id)?;
        if integration.urls.is_empty() {
            return Err(source.at(&integration.id, "an outgoing integration needs `urls`"));
        }
        for url in &integration.urls {
            if url::Url::parse(url.get_ref()).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
                return Err(source.at(url, format!("invalid URL `{}`", url.get_ref())));
            }
        }
        if let Some(name) = &integration.username {
            declared.user(source, name)?;
        }
    }
    Ok(())
}

/// A Rocket.Chat room reference: `#room` naming a declared channel (of any
/// team: Rocket.Chat has none), or `@user` naming a declared user.
fn check_room(source: &SeedSource<'_>, declared: &Declared, room: &Spanned<String>) -> Result<(), SeedError> {
    let value = room.get_ref();
    if let Some(name) = value.strip_prefix('@') {
        return if declared.usernames.contains(name) {
            Ok(())
        } else {
            Err(source.at(room, format!("unknown user `{name}`")))
        };
    }
    let Some(name) = value.strip_prefix('#') else {
        return Err(source.at(room, "`channel` is `#room` or `@user`"));
    };
    if declared.has_channel_named(name) {
        Ok(())
    } else {
        Err(source.at(room, format!("unknown room `{name}` (declare it under [[channels]])")))
    }
}

impl LoadedSection for RocketChatSeed {
    fn apply<'a>(
        &'a self,
        core: &'a Core,
        seeded: &'a Seeded,
        applied: &'a mut Applied,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(apply(core, seeded, self, applied))
    }
}

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
async fn store(core: &Core, wanted: RcIntegration, applied: &mut Applied) -> anyhow::Result<()> {
    match core.read().get_rc_integration(&wanted.id).await? {
        None => {
            chathooks_core::integrations::create_integration(core, &wanted).await?;
            applied.created += 1;
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
            chathooks_core::integrations::update_integration(core, &integration).await?;
            applied.updated += 1;
        }
    }
    Ok(())
}

/// Apply the file's Rocket.Chat integrations, over the users the file's
/// common sections made.
async fn apply(core: &Core, seeded: &Seeded, seed: &RocketChatSeed, applied: &mut Applied) -> anyhow::Result<()> {
    let users = &seeded.users;
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
        store(core, wanted, applied).await?;
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
        store(core, wanted, applied).await?;
    }
    Ok(())
}
