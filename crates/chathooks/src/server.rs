//! Wiring: configuration, shared state, the HTTP stack, start-up and
//! graceful shutdown.

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use chathooks_core::delivery::{DeliverySettings, Outgoing, worker};
use chathooks_core::{Core, Settings};
use tokio_util::sync::CancellationToken;

use crate::dialects::Dialects;
use crate::netguard::AllowList;
use crate::store::AnyStore;

/// Everything `chathooks serve` is told.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database: String,
    pub admin: Option<(String, String)>,
    pub allow_internal_callbacks: AllowList,
    /// The public base URL (used in payloads such as Rocket.Chat's `siteUrl`).
    pub site_url: String,
    /// Largest request body accepted, in bytes (uploads excepted).
    pub max_body_bytes: usize,
    /// Largest file upload accepted, in bytes.
    pub max_file_bytes: usize,
    /// Most file parts in one multipart request.
    pub max_upload_files: usize,
    /// Timeout for outgoing webhook callbacks.
    pub callback_timeout: Duration,
    /// How long a trigger id may be spent to open a dialog.
    pub dialog_trigger_timeout: Duration,
    /// The seed file to apply at start-up (`--config`).
    pub seed: Option<std::path::PathBuf>,
    /// How long a delivery claimed by this instance is its own before another
    /// instance on the same database may take it over (it must outlast a call).
    pub delivery_lease: Duration,
    /// Credentials for the web UI and the test API (`--ui-auth`).
    pub ui_auth: crate::access::UiAuth,
    /// Serve the UI and the test API openly on a non-loopback address.
    pub ui_insecure: bool,
    /// Retention limits (`--max-posts`, `--max-age`).
    pub retention: crate::retention::Retention,
    /// Never run integration scripts (Rocket.Chat's `DISABLE_INTEGRATION_SCRIPTS`).
    pub disable_scripts: bool,
    /// The script engine's threads and limits.
    pub scripts: chathooks_script::Config,
    /// Host names served besides loopback names, IP addresses and the
    /// `site_url` host (`--allowed-hosts`).
    pub allowed_hosts: crate::browser::AllowedHosts,
    /// Connection cap and timeouts, and the shutdown deadline.
    pub connections: crate::connections::Limits,
    /// The WebSockets' authentication deadline and message size.
    pub websocket: chathooks_dialect::WebSocketLimits,
    /// Limits of Rocket.Chat's Realtime API connections (`--realtime-*`).
    pub realtime: chathooks_dialect::RealtimeLimits,
    /// Argon2 runs at once and waiting (`--password-workers`,
    /// `--max-password-hashes-waiting`).
    pub passwords: chathooks_core::password::PoolSettings,
    /// Gives freed memory back to the OS (the binary's allocator call), run
    /// after each password hash; `None` leaves it to the allocator.
    pub release_memory: Option<fn()>,
}

impl Config {
    /// Defaults for tests and embedding: an in-memory database on a free port.
    pub fn ephemeral() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: "sqlite::memory:".into(),
            admin: None,
            allow_internal_callbacks: AllowList::empty(),
            site_url: "http://localhost:8065".into(),
            max_body_bytes: 2 * 1024 * 1024,
            max_file_bytes: 50 * 1024 * 1024,
            max_upload_files: chathooks_runtime::MaxUploadFiles::DEFAULT.0,
            callback_timeout: Duration::from_secs(30),
            dialog_trigger_timeout: chathooks_core::triggers::DEFAULT_TIMEOUT,
            delivery_lease: Duration::from_secs(40),
            seed: None,
            ui_auth: crate::access::UiAuth::default(),
            ui_insecure: false,
            retention: crate::retention::Retention::default(),
            disable_scripts: false,
            scripts: chathooks_script::Config::default(),
            allowed_hosts: crate::browser::AllowedHosts::default(),
            connections: crate::connections::Limits::default(),
            websocket: chathooks_dialect::WebSocketLimits::default(),
            realtime: chathooks_dialect::RealtimeLimits::DEFAULT,
            passwords: chathooks_core::password::PoolSettings::default(),
            release_memory: None,
        }
    }
}

/// State shared by every request: the domain core, and what the HTTP layer
/// was told.
pub struct AppState {
    pub core: Arc<Core>,
    pub config: Config,
    /// What the zero-config default made, printed once the server listens.
    pub welcome: Option<crate::seed::Welcome>,
    /// Failures on demand for incoming webhooks.
    pub chaos: crate::chaos::Chaos,
    /// What `/metrics` reports.
    pub metrics: crate::metrics::Metrics,
    /// The chat APIs served.
    pub dialects: Dialects,
}

/// Code that only needs the core takes `&Core`; `&AppState` coerces to it.
impl Deref for AppState {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.core
    }
}

pub type Shared = Arc<AppState>;

/// The complete HTTP application over `state`: every dialect on one port,
/// the test API, the UI and the operations endpoints, behind
/// [`crate::front`]. An unknown path is answered in the shape of the dialect
/// owning it.
pub fn app(state: Shared) -> axum::Router {
    let mut routes = axum::Router::new();
    for dialect in state.dialects.iter() {
        routes = routes.merge(dialect.router(state.core.clone()));
    }
    let dialects = state.dialects.clone();
    let routes = routes
        .merge(crate::testapi::router(state.clone()))
        .merge(operations(state.clone()))
        .merge(crate::ui::router(state.clone()))
        .fallback(move |uri: axum::http::Uri| {
            let answer = dialects.not_found(uri.path());
            async move { answer }
        })
        // The runtime reads multipart bodies; it takes the file-part cap from here.
        .layer(axum::Extension(chathooks_runtime::MaxUploadFiles(
            state.config.max_upload_files,
        )));
    axum::Router::new().fallback_service(crate::front::around(state, routes))
}

/// `/metrics`, `/healthz` and `/readyz`.
fn operations(state: Shared) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(crate::metrics::serve))
        .route("/healthz", axum::routing::get(crate::health::healthz))
        .route("/readyz", axum::routing::get(crate::health::readyz))
        .with_state(state)
}

/// Open the store, apply start-up configuration and build the state.
pub async fn open(mut config: Config) -> anyhow::Result<Shared> {
    config.allowed_hosts = config.allowed_hosts.clone().with_site_url(&config.site_url);
    crate::access::check_exposure(config.listen, &config.ui_auth, config.ui_insecure).map_err(anyhow::Error::msg)?;
    let store = AnyStore::connect(&config.database).await?;
    let mut delivery = DeliverySettings::with_timeout(config.callback_timeout);
    delivery.lease = config.delivery_lease.max(config.callback_timeout);
    let settings = Settings {
        site_url: config.site_url.clone(),
        allow_internal_callbacks: config.allow_internal_callbacks.clone(),
        delivery,
        passwords: config.passwords,
        release_memory: config.release_memory,
        dialog_trigger_timeout: config.dialog_trigger_timeout,
    };
    let scripts = if config.disable_scripts {
        None
    } else {
        let engine = chathooks_script::Engine::new(config.scripts)
            .map_err(|e| anyhow::anyhow!("cannot start the script engine: {e}"))?;
        Some(Arc::new(engine))
    };
    let dialects = Dialects::new(&chathooks_dialect::Options {
        scripts,
        websocket: config.websocket,
        realtime: config.realtime,
    });
    let outgoing: Vec<Arc<dyn Outgoing>> = dialects.iter().map(|d| d.outgoing()).collect();
    let core = Core::new(store, settings, outgoing)?;
    if let Some((username, password)) = config.admin.clone() {
        chathooks_core::accounts::ensure_admin(&core, &username, &password).await?;
    }
    let mut welcome = None;
    let mut chaos = Vec::new();
    match &config.seed {
        Some(path) => {
            let file = crate::seed::load(path)?;
            chaos = crate::seed::chaos_rules(&file);
            let applied = crate::seed::apply(&core, &file)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), created = applied.created, updated = applied.updated, "seed file applied");
        }
        None if config.admin.is_none() => welcome = crate::seed::zero_config(&core, &dialects).await?,
        None => {}
    }
    for dialect in dialects.iter() {
        dialect.fresh_defaults(&core).await?;
    }
    let metrics = crate::metrics::Metrics::new(&core.metrics);
    Ok(Arc::new(AppState {
        core,
        config,
        welcome,
        chaos: crate::chaos::Chaos::new(chaos),
        metrics,
        dialects,
    }))
}

/// A server listening on a socket, until `shutdown` completes.
pub struct Running {
    pub addr: SocketAddr,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Wait for the server to stop (after the shutdown signal), including
    /// in-flight requests and deliveries.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.handle.await?
    }
}

/// Bind and serve. Returns once listening; the server stops when `shutdown`
/// resolves, after finishing in-flight requests (until the shutdown
/// deadline, when the connections left are closed) and outgoing deliveries.
///
/// Also runs the delivery worker, which stops claiming jobs with the server:
/// calls in flight finish, jobs not yet due stay in the store for the next
/// start (or another instance on the same database).
pub async fn start(state: Shared, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(state.config.listen).await?;
    let addr = listener.local_addr()?;
    let app = app(state.clone());
    if let Some(welcome) = &state.welcome {
        // The configured base URL, unless it is the default one made from a
        // port still to be chosen (`:0`).
        let derived = state.config.site_url == format!("http://{}", state.config.listen);
        let base = if derived {
            format!("http://{addr}")
        } else {
            state.config.site_url.clone()
        };
        // Printed, not logged: the newcomer's first lines.
        for line in welcome.lines(&base) {
            println!("chathooks: {line}");
        }
    }
    tracing::info!(%addr, "chathooks listening");
    let stop = CancellationToken::new();
    let deliveries = state.core.deliveries.tasks.clone();
    deliveries.spawn(worker::run(state.core.clone(), stop.clone()));
    deliveries.spawn(crate::retention::run(
        state.core.clone(),
        state.config.retention,
        stop.clone(),
    ));
    let handle = tokio::spawn(async move {
        let stop_worker = stop.clone();
        let core = state.core.clone();
        let limits = state.config.connections;
        let served = crate::connections::serve(listener, app, limits, async move {
            shutdown.await;
            stop_worker.cancel();
            // Ends the WebSockets and live streams, which would otherwise
            // hold their connections until the deadline.
            core.shutdown.cancel();
        })
        .await;
        // Also when serving failed: the worker must not keep the tracker open.
        stop.cancel();
        deliveries.close();
        deliveries.wait().await;
        served?;
        tracing::info!("chathooks stopped");
        Ok(())
    });
    Ok(Running { addr, handle })
}
