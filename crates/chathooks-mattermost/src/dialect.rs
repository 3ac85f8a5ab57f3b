//! The Mattermost dialect as the server sees it ([`chathooks_dialect::Dialect`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use chathooks_core::Core;
use chathooks_core::delivery::Outgoing;
use chathooks_core::store::{IncomingFilter, OutgoingFilter, StoreError};
use chathooks_dialect::seed::WelcomeHook;
use chathooks_dialect::{Dialect, Direction, HookSummary, Options, Registration};
use futures_util::future::BoxFuture;

use crate::error::ApiError;

/// The server's one line for this dialect.
pub const REGISTRATION: Registration = Registration {
    seed: &crate::seed::Section,
    build,
};

fn build(options: &Options) -> Arc<dyn Dialect> {
    Arc::new(MattermostDialect {
        websocket: options.websocket,
    })
}

/// Mattermost v4: `/api/v4/...`, incoming webhooks at `/hooks/{id}` and slash
/// commands' response URLs at `/hooks/commands/{id}`.
struct MattermostDialect {
    websocket: chathooks_dialect::WebSocketLimits,
}

/// The incoming hook id of a Mattermost execution path, `/hooks/{id}`.
fn hook_id(path: &str) -> Option<&str> {
    path.strip_prefix("/hooks/")
        .filter(|id| !id.is_empty() && !id.contains('/'))
}

impl Dialect for MattermostDialect {
    fn name(&self) -> &'static str {
        crate::DIALECT
    }

    fn title(&self) -> &'static str {
        "Mattermost"
    }

    fn owns(&self, path: &str) -> bool {
        path == "/api/v4"
            || path.starts_with("/api/v4/")
            || hook_id(path).is_some()
            || path
                .strip_prefix("/hooks/commands/")
                .is_some_and(|id| !id.contains('/'))
    }

    fn incoming_hook<'p>(&self, method: &Method, path: &'p str) -> Option<&'p str> {
        if method == Method::POST { hook_id(path) } else { None }
    }

    fn incoming_hook_name<'a>(
        &'a self,
        core: &'a Core,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move { Ok(core.read().get_incoming(id).await?.map(|hook| hook.display_name)) })
    }

    fn is_upload(&self, path: &str) -> bool {
        path == "/api/v4/files"
    }

    fn websocket_path(&self) -> Option<&'static str> {
        Some("/api/v4/websocket")
    }

    fn human(&self) -> Option<Arc<dyn chathooks_dialect::HumanSide>> {
        Some(Arc::new(crate::human::Human))
    }

    fn router(&self, core: Arc<Core>) -> axum::Router {
        crate::router(core, self.websocket)
    }

    fn not_found(&self) -> Response {
        ApiError::not_found("api.context.404.app_error", "Sorry, we could not find the page.").into_http()
    }

    /// An AppError with the given status, so the sender sees what a failing
    /// server sends.
    fn chaos_answer(&self, status: StatusCode) -> Response {
        let mut error = ApiError::new(
            status,
            "chathooks.chaos.app_error",
            "This request was failed on purpose (chathooks chaos).",
        );
        error.detailed = "a chaos rule of chathooks serve applies to this hook".into();
        error.into_http()
    }

    fn outgoing(&self) -> Arc<dyn Outgoing> {
        Arc::new(crate::outgoing::MattermostOutgoing)
    }

    fn welcome_hook(&self) -> Option<WelcomeHook> {
        let id = chathooks_core::ids::new_id();
        Some(WelcomeHook {
            seed: format!(
                "[[mattermost.incoming]]\nid = \"{id}\"\nchannel = \"chathooks/town-square\"\nowner = \"admin\"\ndisplay_name = \"default\"\n"
            ),
            path: format!("/hooks/{id}"),
        })
    }

    fn hooks<'a>(&'a self, core: &'a Core, base: &'a str) -> BoxFuture<'a, Result<Vec<HookSummary>, StoreError>> {
        Box::pin(hooks(core, base))
    }
}

/// Rows asked for per page when reading a whole table.
const PAGE: u32 = 200;

/// Every row of a paged listing: pages of [`PAGE`] until a short one.
async fn all_pages<T, F, Fut>(mut list: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<Vec<T>, StoreError>>,
{
    let mut all = Vec::new();
    for page in 0.. {
        let batch = list(page).await?;
        let done = batch.len() < PAGE as usize;
        all.extend(batch);
        if done {
            break;
        }
    }
    Ok(all)
}

/// `team/channel` of a channel id ("" when unknown).
async fn channel_path(core: &Core, teams: &HashMap<String, String>, channel_id: &str) -> Result<String, StoreError> {
    Ok(match core.read().get_channel(channel_id).await? {
        Some(channel) => format!(
            "{}/{}",
            teams.get(&channel.team_id).map_or("", String::as_str),
            channel.name
        ),
        None => String::new(),
    })
}

/// Incoming and outgoing webhooks, channels as `team/channel` (an outgoing
/// hook watching a whole team as `team/`).
async fn hooks(core: &Core, base: &str) -> Result<Vec<HookSummary>, StoreError> {
    let store = core.read();
    let (any_incoming, any_outgoing) = (IncomingFilter::default(), OutgoingFilter::default());
    let incoming = all_pages(|page| store.list_incoming(&any_incoming, page, PAGE)).await?;
    let outgoing = all_pages(|page| store.list_outgoing(&any_outgoing, page, PAGE)).await?;
    let team_ids: Vec<&str> = incoming
        .iter()
        .map(|h| h.team_id.as_str())
        .chain(outgoing.iter().map(|h| h.team_id.as_str()))
        .collect();
    let teams = core.read().team_names(&team_ids).await?;
    let mut hooks = Vec::with_capacity(incoming.len() + outgoing.len());
    for hook in incoming {
        hooks.push(HookSummary {
            url: format!("{base}/hooks/{}", hook.id),
            channel: channel_path(core, &teams, &hook.channel_id).await?,
            direction: Direction::Incoming,
            name: hook.display_name,
            trigger_words: Vec::new(),
            event: None,
            enabled: true,
            create_at: hook.create_at,
            id: hook.id,
        });
    }
    for hook in outgoing {
        let channel = if hook.channel_id.is_empty() {
            format!("{}/", teams.get(&hook.team_id).map_or("", String::as_str))
        } else {
            channel_path(core, &teams, &hook.channel_id).await?
        };
        hooks.push(HookSummary {
            url: hook.callback_urls.join(" "),
            channel,
            direction: Direction::Outgoing,
            name: hook.display_name,
            trigger_words: hook.trigger_words,
            event: None,
            enabled: true,
            create_at: hook.create_at,
            id: hook.id,
        });
    }
    Ok(hooks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_hook() {
        let dialect = MattermostDialect {
            websocket: Default::default(),
        };
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/abc"), Some("abc"));
        assert_eq!(dialect.incoming_hook(&Method::GET, "/hooks/abc"), None);
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/"), None);
        assert_eq!(dialect.incoming_hook(&Method::POST, "/hooks/abc/tok"), None);
        assert_eq!(dialect.incoming_hook(&Method::POST, "/api/v4/hooks/incoming"), None);
        assert!(dialect.owns("/api/v4/users/me") && dialect.owns("/api/v4") && dialect.owns("/hooks/abc"));
        assert!(!dialect.owns("/api/v1/info") && !dialect.owns("/hooks/abc/tok") && !dialect.owns("/api/v44"));
    }
}
