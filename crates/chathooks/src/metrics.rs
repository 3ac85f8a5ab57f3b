//! `GET /metrics`: Prometheus counters and histograms (OpenMetrics text).
//!
//! - `chathooks_http_request_duration_seconds{api,status}`: every request,
//!   by the API its path belongs to and the answer's status;
//! - `chathooks_messages_received_total{api,hook}`: incoming webhook
//!   executions answered with success, per API and hook;
//! - `chathooks_chaos_answers_total{api,hook}`: executions chaos failed;
//! - `chathooks_deliveries_total{api,outcome}`: outgoing delivery attempts by
//!   the job's status after them (kept by the core, see
//!   [`chathooks_core::metrics`]).
//!
//! Values are this instance's own: with several instances on one database,
//! Prometheus sums them.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::chaos::Execution;
use crate::dialects::Dialects;
use crate::server::Shared;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub api: &'static str,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HookLabels {
    pub api: &'static str,
    pub hook: String,
}

/// Every metric of this instance, and the registry that exposes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    messages: Family<HookLabels, Counter>,
    chaos: Family<HookLabels, Counter>,
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
        }
    }

    /// Count an execution chaos failed.
    pub fn chaos_answer(&self, api: &'static str, hook_id: &str) {
        self.chaos
            .get_or_create(&HookLabels {
                api,
                hook: hook_id.to_owned(),
            })
            .inc();
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
    /// after `elapsed`, and count it as a message received if it was a
    /// successful execution of `hook` (from [`crate::chaos::execution_of`]).
    pub fn observe(&self, api: &'static str, hook: Option<Execution<'_>>, status: StatusCode, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                api,
                status: status.as_u16(),
            })
            .observe(elapsed.as_secs_f64());
        if let Some((api, hook)) = hook
            && status.is_success()
        {
            self.messages
                .get_or_create(&HookLabels {
                    api,
                    hook: hook.to_owned(),
                })
                .inc();
        }
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
