//! `GET /metrics`: Prometheus counters and histograms (OpenMetrics text).
//!
//! - `chathooks_http_request_duration_seconds{api,status}`: every request,
//!   by the API its path belongs to and the answer's status;
//! - `chathooks_messages_received_total{api,hook,name}`: incoming webhook
//!   executions answered with success, per API and hook;
//! - `chathooks_chaos_answers_total{api,hook,name}`: executions chaos failed;
//! - `chathooks_deliveries_total{api,outcome}`: outgoing delivery attempts by
//!   the job's status after them (kept by the core, see
//!   [`chathooks_core::metrics`]).
//!
//! A hook is never labelled with its id: a Mattermost incoming hook's id is
//! the whole secret of `POST /hooks/{id}`, and `/metrics` is read by
//! scrapers. `hook` is a short hash of the API and the id ([`hook_hash`]:
//! stable across restarts and instances, not reversible), `name` the hook's
//! display name (Rocket.Chat: its name) when the series was first seen. A
//! path naming no hook counts under `hook="unknown"`, so random `/hooks/x`
//! requests (which a `*` chaos rule answers) add no series; past
//! [`MAX_HOOK_SERIES`] hooks, the rest count under `hook="other"`.
//!
//! Values are this instance's own: with several instances on one database,
//! Prometheus sums them.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::chaos::Execution;
use crate::dialects::Dialects;
use crate::server::{AppState, Shared};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub api: &'static str,
    pub status: u16,
}

/// How a hook's series are labelled: never by its id.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HookLabels {
    pub api: &'static str,
    /// [`hook_hash`], or [`UNKNOWN_HOOK`] / [`OTHER_HOOKS`].
    pub hook: String,
    /// The hook's display name (empty when it has none, or for the
    /// catch-all labels).
    pub name: String,
}

/// The `hook` label of executions naming no hook.
pub const UNKNOWN_HOOK: &str = "unknown";
/// The `hook` label of hooks past [`MAX_HOOK_SERIES`].
pub const OTHER_HOOKS: &str = "other";
/// Hooks with series of their own; later ones count under [`OTHER_HOOKS`].
pub const MAX_HOOK_SERIES: usize = 1000;
/// Display names longer than this are cut (they are label values).
const MAX_NAME_CHARS: usize = 64;
/// How long a hook's labels are reused before its name is looked up again.
const NAME_TTL: Duration = Duration::from_secs(60);

/// The `hook` label of hook `id` of `api`: the first 12 hex digits of a
/// SHA-256 over both. The same on every instance and after a restart, so
/// Prometheus can sum and follow it; telling nothing of the id, which is
/// random (at least 98 bits).
pub fn hook_hash(api: &str, id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"chathooks metrics hook\0")
        .chain_update(api.as_bytes())
        .chain_update(b"\0")
        .chain_update(id.as_bytes())
        .finalize();
    digest[..6].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A hook: its API and id.
type HookKey = (&'static str, String);

/// The labels of the hooks seen so far, and when their names were looked up
/// (again after [`NAME_TTL`]).
#[derive(Debug, Default)]
struct HookNames {
    seen: RwLock<HashMap<HookKey, (HookLabels, Instant)>>,
}

impl HookNames {
    fn fresh(&self, api: &'static str, id: &str) -> Option<HookLabels> {
        let seen = self.seen.read().unwrap_or_else(PoisonError::into_inner);
        seen.get(&(api, id.to_owned()))
            .filter(|(_, at)| at.elapsed() < NAME_TTL)
            .map(|(labels, _)| labels.clone())
    }

    /// Remember `labels` for hook `id`, unless [`MAX_HOOK_SERIES`] hooks are
    /// remembered already: then [`OTHER_HOOKS`].
    fn remember(&self, api: &'static str, id: &str, labels: HookLabels) -> HookLabels {
        let mut seen = self.seen.write().unwrap_or_else(PoisonError::into_inner);
        let key = (api, id.to_owned());
        if !seen.contains_key(&key) && seen.len() >= MAX_HOOK_SERIES {
            return HookLabels {
                api,
                hook: OTHER_HOOKS.into(),
                name: String::new(),
            };
        }
        seen.insert(key, (labels.clone(), Instant::now()));
        labels
    }

    fn forget(&self, api: &'static str, id: &str) {
        let mut seen = self.seen.write().unwrap_or_else(PoisonError::into_inner);
        seen.remove(&(api, id.to_owned()));
    }
}

/// The labels of an execution: the hook's hash and display name, or
/// [`UNKNOWN_HOOK`] when there is no such hook.
pub async fn hook_labels(state: &AppState, execution: Execution<'_>) -> HookLabels {
    let (api, id) = (execution.dialect.name(), execution.hook_id);
    if let Some(labels) = state.metrics.hooks.fresh(api, id) {
        return labels;
    }
    let name = match execution.dialect.incoming_hook_name(&state.core, id).await {
        Ok(name) => name,
        Err(error) => {
            tracing::debug!(api, %error, "hook not looked up for its metrics labels");
            None
        }
    };
    match name {
        Some(name) => {
            let labels = HookLabels {
                api,
                hook: hook_hash(api, id),
                name: name.chars().take(MAX_NAME_CHARS).collect(),
            };
            state.metrics.hooks.remember(api, id, labels)
        }
        None => {
            state.metrics.hooks.forget(api, id);
            HookLabels {
                api,
                hook: UNKNOWN_HOOK.into(),
                name: String::new(),
            }
        }
    }
}

/// Every metric of this instance, and the registry that exposes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    messages: Family<HookLabels, Counter>,
    chaos: Family<HookLabels, Counter>,
    hooks: HookNames,
}

/// Request durations from 0.5 ms to about 16 s, doubling.
fn new_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// The server's metrics, with the core's counters registered beside them.
    pub fn new(core: &chathooks_core::metrics::CoreMetrics) -> Self {
        let mut registry = Registry::with_prefix("chathooks");
        let requests = Family::<RequestLabels, Histogram>::new_with_constructor(new_histogram as fn() -> Histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by API and status",
            requests.clone(),
        );
        let messages = Family::<HookLabels, Counter>::default();
        registry.register(
            "messages_received",
            "Incoming webhook executions answered with success, by API and hook",
            messages.clone(),
        );
        let chaos = Family::<HookLabels, Counter>::default();
        registry.register(
            "chaos_answers",
            "Incoming webhook executions failed on purpose, by API and hook",
            chaos.clone(),
        );
        registry.register(
            "deliveries",
            "Outgoing delivery attempts, by API and the delivery's status after them",
            core.deliveries.clone(),
        );
        Self {
            registry,
            requests,
            messages,
            chaos,
            hooks: HookNames::default(),
        }
    }

    /// Count an execution chaos failed (labels from [`hook_labels`]).
    pub fn chaos_answer(&self, hook: &HookLabels) {
        self.chaos.get_or_create(hook).inc();
    }

    /// The exposition text.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The API a path belongs to, as a label: the dialect owning it (its
/// `/hooks/...` executions included), chathooks' own surfaces, or `other`.
pub fn api_of(dialects: &Dialects, path: &str) -> &'static str {
    if let Some(dialect) = dialects.owner_of(path) {
        dialect.name()
    } else if path.starts_with("/_chathooks/api/") {
        "testapi"
    } else if path == "/" || path.starts_with("/_chathooks/") {
        "ui"
    } else {
        "other"
    }
}

impl Metrics {
    /// Record a request to `api` (from [`api_of`]) answered with `status`
    /// after `elapsed`.
    pub fn observe(&self, api: &'static str, status: StatusCode, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                api,
                status: status.as_u16(),
            })
            .observe(elapsed.as_secs_f64());
    }
}

/// Record a request (see [`Metrics::observe`]), and count it as a message
/// received if it was a successful execution of `hook` (from
/// [`crate::chaos::execution_of`]).
pub async fn observe(
    state: &AppState,
    api: &'static str,
    hook: Option<Execution<'_>>,
    status: StatusCode,
    elapsed: Duration,
) {
    state.metrics.observe(api, status, elapsed);
    if let Some(hook) = hook
        && status.is_success()
    {
        let labels = hook_labels(state, hook).await;
        state.metrics.messages.get_or_create(&labels).inc();
    }
}

/// `GET /metrics`.
pub async fn serve(State(state): State<Shared>) -> Response {
    let mut response = state.metrics.encode().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hooks_label_is_a_short_stable_hash_not_its_id() {
        let id = "q8dzuiwj3ffo3b1z8wzerwp5hc";
        let hash = hook_hash("mattermost", id);
        assert_eq!(hash.len(), 12);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
        assert_eq!(hash, hook_hash("mattermost", id), "the same on every call");
        assert_ne!(hash, hook_hash("rocketchat", id), "per API");
        assert_ne!(hash, hook_hash("mattermost", "q8dzuiwj3ffo3b1z8wzerwp5hd"));
        assert!(!id.contains(&hash) && !hash.contains(&id[..6]));
    }

    #[test]
    fn hooks_past_the_cap_share_one_label() {
        let names = HookNames::default();
        let labels = |id: &str| HookLabels {
            api: "mattermost",
            hook: hook_hash("mattermost", id),
            name: String::new(),
        };
        for n in 0..MAX_HOOK_SERIES {
            let id = format!("hook{n}");
            assert_eq!(names.remember("mattermost", &id, labels(&id)), labels(&id));
        }
        assert_eq!(names.remember("mattermost", "late", labels("late")).hook, OTHER_HOOKS);
        assert_eq!(
            names.remember("mattermost", "hook0", labels("hook0")),
            labels("hook0"),
            "hooks already seen keep their labels"
        );
        assert_eq!(names.fresh("mattermost", "hook1"), Some(labels("hook1")));
        names.forget("mattermost", "hook1");
        assert_eq!(names.fresh("mattermost", "hook1"), None);
        assert_eq!(names.remember("mattermost", "late", labels("late")), labels("late"));
    }
}
