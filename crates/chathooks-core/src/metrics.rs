//! Counters the core keeps for the server's `/metrics`: what happened to
//! outgoing deliveries. The HTTP side registers them with its registry next
//! to its own (requests, incoming messages).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::store::DeliveryJob;

/// Labels of a finished delivery attempt.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    /// `mattermost` or `rocketchat`.
    pub api: String,
    /// The job's status after the attempt: `delivered`, `pending` (to be
    /// retried), `failed` or `cancelled`.
    pub outcome: String,
}

/// The core's counters. Cheap to clone (families share their values).
#[derive(Debug, Clone, Default)]
pub struct CoreMetrics {
    /// Delivery attempts (and drops) by API and outcome.
    pub deliveries: Family<DeliveryLabels, Counter>,
}

impl CoreMetrics {
    /// Count `job`, just moved to its new status by this instance.
    pub fn delivery_finished(&self, job: &DeliveryJob) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                api: job.dialect.clone(),
                outcome: job.status.as_str().to_owned(),
            })
            .inc();
    }
}
