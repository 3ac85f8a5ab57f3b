//! [`Core`]: the domain state both dialects work on.

use std::sync::Arc;

use crate::delivery::{Deliveries, DeliverySettings, Outgoing};
use crate::events::{Event, EventBus};
use crate::ids::new_id;
use crate::netguard::{AllowList, guarded_client};
use crate::password::{PasswordPool, PoolSettings};
use crate::reader::Reader;
use crate::store::{AnyStore, DeliveryStore};

/// What the core is told at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public base URL (payloads such as Rocket.Chat's `siteUrl`).
    pub site_url: String,
    /// Internal hosts outgoing calls may reach all the same.
    pub allow_internal_callbacks: AllowList,
    pub delivery: DeliverySettings,
    /// How many Argon2 runs at once, and how many may wait.
    pub passwords: PoolSettings,
    /// Called on the Argon2 thread after each run, to give its work area
    /// back to the OS (the binary's allocator keeps freed pages otherwise).
    pub release_memory: Option<fn()>,
    /// How long a trigger id may be spent ([`crate::triggers`]).
    pub dialog_trigger_timeout: std::time::Duration,
}

/// The store, the event bus and the delivery engine, shared by every request.
pub struct Core {
    /// Private to the core: changes go through its services, reads through
    /// [`Core::read`].
    pub(crate) store: AnyStore,
    pub events: EventBus,
    pub deliveries: Deliveries,
    pub site_url: String,
    pub allow_internal_callbacks: AllowList,
    /// This process's id among instances sharing a database: the owner of
    /// the delivery leases it takes, recorded with each attempt it makes.
    pub instance: String,
    /// Cancelled when the server shuts down, so long-lived connections
    /// (WebSockets) end and let it.
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Counters for the server's `/metrics`.
    pub metrics: crate::metrics::CoreMetrics,
    /// Where every password is hashed and verified.
    pub passwords: PasswordPool,
    /// The stored roles and switches, cached ([`crate::permissions`]).
    pub(crate) policy: crate::permissions::PolicyCache,
    /// How long a trigger id may be spent ([`crate::triggers`]).
    pub dialog_trigger_timeout: std::time::Duration,
    /// The dialogs opened and not answered yet ([`crate::dialogs`]).
    pub(crate) dialogs: crate::dialogs::OpenDialogs,
}

impl Core {
    /// The core over `store`, with the dialects' outgoing hooks. Fails only
    /// when the HTTP client cannot be built.
    pub fn new(
        store: AnyStore,
        settings: Settings,
        outgoing: Vec<Arc<dyn Outgoing>>,
    ) -> Result<Arc<Self>, reqwest::Error> {
        let client = guarded_client(
            Arc::new(settings.allow_internal_callbacks.clone()),
            settings.delivery.callback_timeout,
        )?;
        Ok(Arc::new(Self {
            store,
            events: EventBus::default(),
            deliveries: Deliveries::new(settings.delivery, client, outgoing),
            site_url: settings.site_url,
            allow_internal_callbacks: settings.allow_internal_callbacks,
            instance: new_id(),
            shutdown: tokio_util::sync::CancellationToken::new(),
            metrics: crate::metrics::CoreMetrics::default(),
            passwords: PasswordPool::new(settings.passwords, settings.release_memory),
            policy: Default::default(),
            dialog_trigger_timeout: settings.dialog_trigger_timeout,
            dialogs: Default::default(),
        }))
    }
}

impl Core {
    /// Read-only access to the store, for the dialects and the server.
    pub fn read(&self) -> Reader<'_> {
        Reader(&self.store)
    }

    /// Which database this core runs on (health checks, tests).
    pub fn backend(&self) -> &crate::store::Backend {
        self.store.backend()
    }

    /// Tell everyone that `event` happened, after its write committed: the
    /// dialects' outgoing hooks (whose jobs are queued here) and the bus.
    ///
    /// New posts do not come here: their jobs are stored in the post's own
    /// transaction ([`crate::posts::create_post`]). For other events the jobs
    /// are stored just after the write; a failure to store them is logged
    /// and the event goes on.
    pub async fn emit(&self, event: Event) {
        let jobs = self.deliveries.jobs_for(self, &event).await;
        if !jobs.is_empty() {
            match self.store.enqueue_deliveries(&jobs).await {
                Ok(()) => self.deliveries.wake(),
                Err(error) => tracing::error!(event = event.name(), %error, "deliveries not stored"),
            }
        }
        self.events.publish(event);
    }
}
