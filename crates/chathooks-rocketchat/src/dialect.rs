//! The Rocket.Chat dialect as the server sees it ([`chathooks_dialect::Dialect`]).

use std::sync::Arc;

use crate::integration::Integration;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use chathooks_core::Core;
use chathooks_core::delivery::Outgoing;
use chathooks_core::store::{RC_WEBHOOK_INCOMING, RcIntegrationFilter, StoreError};
use chathooks_dialect::seed::WelcomeHook;
use chathooks_dialect::{Dialect, Direction, HookSummary, Options, Registration};
use futures_util::future::BoxFuture;

use crate::scripts::Scripts;

/// The server's one line for this dialect.
pub const REGISTRATION: Registration = Registration {
    seed: &crate::seed::Section,
    build,
};

fn build(options: &Options) -> Arc<dyn Dialect> {
    Arc::new(RocketChatDialect {
        scripts: Scripts::new(options.scripts.clone()),
        realtime: options.realtime,
        sessions: Default::default(),
    })
}

/// Rocket.Chat v1: `/api/v1/...`, `/api/info`, and incoming integrations at
/// `/hooks/{id}/{token}`.
struct RocketChatDialect {
    scripts: Arc<Scripts>,
    realtime: chathooks_dialect::RealtimeLimits,
    /// The open Realtime API sessions, shared with its route.
    sessions: Arc<crate::realtime::Sessions>,
}

/// The integration id of a Rocket.Chat execution path, `/hooks/{id}/{token}`.
fn integration_id(path: &str) -> Option<&str> {
    let (id, token) = path.strip_prefix("/hooks/")?.split_once('/')?;
    // `/hooks/commands/{id}` has the same shape but is Mattermost's (a slash
    // command's response_url); no Rocket.Chat integration has that id.
    (!id.is_empty() && id != "commands" && !token.is_empty() && !token.contains('/')).then_some(id)
}

impl Dialect for RocketChatDialect {
    fn name(&self) -> &'static str {
        "rocketchat"
    }

    fn title(&self) -> &'static str {
        "Rocket.Chat"
    }

    fn owns(&self, path: &str) -> bool {
        path == "/api/v1"
            || path.starts_with("/api/v1/")
            || path == "/api/info"
            || path == crate::realtime::PATH
            || integration_id(path).is_some()
    }

    fn incoming_hook<'p>(&self, method: &Method, path: &'p str) -> Option<&'p str> {
        if method == Method::POST {
            integration_id(path)
        } else {
            None
        }
    }

    fn incoming_hook_name<'a>(
        &'a self,
        core: &'a Core,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            Ok(core
                .read()
                .get_rc_integration(id)
                .await?
                .filter(|integration| integration.integration_type == RC_WEBHOOK_INCOMING)
                .map(|integration| integration.name))
        })
    }

    fn is_upload(&self, path: &str) -> bool {
        path.starts_with("/api/v1/rooms.upload/") || path.starts_with("/api/v1/rooms.media/")
    }

    fn websocket_path(&self) -> Option<&'static str> {
        Some(crate::realtime::PATH)
    }

    fn router(&self, core: Arc<Core>) -> axum::Router {
        crate::router(core, self.scripts.clone(), self.realtime, self.sessions.clone())
    }

    fn realtime_sessions(&self) -> Vec<chathooks_dialect::RealtimeSession> {
        self.sessions.list()
    }

    /// 404 with its router's own body (not the `{success:false}` of its
    /// endpoints).
    fn not_found(&self) -> Response {
        let body = serde_json::json!({"status": "error", "message": "API endpoint does not exist"});
        chathooks_runtime::json_response(StatusCode::NOT_FOUND, &body)
    }

    /// `{success: false, error}` with the given status.
    fn chaos_answer(&self, status: StatusCode) -> Response {
        let body = serde_json::json!({
            "success": false,
            "error": "This request was failed on purpose (chathooks chaos).",
        });
        chathooks_runtime::json_response(status, &body)
    }

    fn outgoing(&self) -> Arc<dyn Outgoing> {
        Arc::new(crate::outgoing::RocketChatOutgoing::new(self.scripts.clone()))
    }

    fn welcome_hook(&self) -> Option<WelcomeHook> {
        let (id, token) = (chathooks_core::ids::new_rc_id(), chathooks_core::ids::new_rc_token());
        Some(WelcomeHook {
            seed: format!(
                "[[rocketchat.incoming]]\nid = \"{id}\"\ntoken = \"{token}\"\nname = \"default\"\nchannel = \"#town-square\"\nusername = \"admin\"\n"
            ),
            path: format!("/hooks/{id}/{token}"),
        })
    }

    fn fresh_defaults<'a>(&'a self, core: &'a Core) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(crate::defaults::ensure(core))
    }

    fn hooks<'a>(&'a self, core: &'a Core, base: &'a str) -> BoxFuture<'a, Result<Vec<HookSummary>, StoreError>> {
        Box::pin(hooks(core, base))
    }
}

/// Rows asked for per page.
const PAGE: u32 = 200;

/// Every integration, channels as Rocket.Chat writes them (`#room, @user`).
async fn hooks(core: &Core, base: &str) -> Result<Vec<HookSummary>, StoreError> {
    let mut hooks = Vec::new();
    let mut offset = 0;
    loop {
        let batch = core
            .read()
            .list_rc_integrations(&RcIntegrationFilter::default(), offset, PAGE)
            .await?;
        let done = batch.len() < PAGE as usize;
        offset += PAGE;
        for integration in batch {
            let integration = Integration::from(integration);
            let spec = &integration.spec;
            let incoming = integration.integration_type == RC_WEBHOOK_INCOMING;
            hooks.push(HookSummary {
                url: if incoming {
                    format!("{base}/hooks/{}/{}", integration.id, integration.token)
                } else {
                    spec.urls.join(" ")
                },
                channel: spec.channels.join(", "),
                direction: if incoming {
                    Direction::Incoming
                } else {
                    Direction::Outgoing
                },
                trigger_words: spec.trigger_words.clone(),
                event: spec.event.clone(),
                name: integration.name.clone(),
                enabled: integration.enabled,
                create_at: integration.created_at,
                id: integration.id.clone(),
            });
        }
        if done {
            break;
        }
    }
    Ok(hooks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_integration() {
        let dialect = RocketChatDialect {
            scripts: Scripts::new(None),
            realtime: Default::default(),
            sessions: Default::default(),
        };
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/abc/tok"), Some("abc"));
        assert_eq!(dialect.incoming_hook(&Method::GET, "/hooks/abc/tok"), None);
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/abc"), None);
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/abc/"), None);
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/abc/tok/more"), None);
        assert!(dialect.owns("/api/v1/me") && dialect.owns("/api/info") && dialect.owns("/hooks/a/b"));
        assert!(!dialect.owns("/api/v4/users") && !dialect.owns("/hooks/abc") && !dialect.owns("/hooks/a/b/c"));
    }
}
