//! The command line: `chathooks serve`.

use std::net::SocketAddr;
use std::time::Duration;

use chathooks_core::password::PoolSettings;
use chathooks_dialect::RealtimeLimits;
use chathooks_script::Config as ScriptConfig;
use clap::{Parser, Subcommand};

use crate::connections::Limits as ConnectionLimits;
use crate::netguard::AllowList;
use crate::server::{self, Config};
use chathooks_dialect::WebSocketLimits;

#[derive(Debug, Parser)]
#[command(
    name = "chathooks",
    version,
    about = "A stand-in for Mattermost and Rocket.Chat webhook APIs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the APIs until SIGINT or SIGTERM.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CHATHOOKS_LISTEN", default_value = "127.0.0.1:8065")]
    pub listen: SocketAddr,
    /// Database URL: `sqlite://path.db` (created if missing), `sqlite::memory:`, or
    /// `postgres://user:password@host:5432/dbname` (an existing PostgreSQL database;
    /// `postgresql://` too). The schema is created or migrated at start-up.
    #[arg(long, env = "CHATHOOKS_DATABASE", default_value = "sqlite://chathooks.db")]
    pub database: String,
    /// A seed file (TOML) declaring users, teams, channels and hooks to create
    /// or update at every start; see the README. Without it (and without the
    /// admin flags) an empty database gets a default admin, team and hooks.
    #[arg(long, env = "CHATHOOKS_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Create this system admin at start-up if no user has the name.
    #[arg(long, env = "CHATHOOKS_ADMIN_USERNAME", requires = "admin_password")]
    pub admin_username: Option<String>,
    #[arg(long, env = "CHATHOOKS_ADMIN_PASSWORD", requires = "admin_username")]
    pub admin_password: Option<String>,
    /// Hosts, IPs and CIDRs outgoing webhooks may call although internal
    /// (space or comma separated), like Mattermost's AllowedUntrustedInternalConnections.
    #[arg(long, env = "CHATHOOKS_ALLOW_INTERNAL_CALLBACKS", default_value = "")]
    pub allow_internal_callbacks: String,
    /// Public base URL of this server.
    #[arg(long, env = "CHATHOOKS_SITE_URL")]
    pub site_url: Option<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CHATHOOKS_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest file upload accepted (Mattermost `POST /api/v4/files`,
    /// Rocket.Chat `rooms.upload`), in bytes.
    #[arg(long, env = "CHATHOOKS_MAX_FILE_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_file_bytes: usize,
    /// Most files one upload request may carry (multipart file parts); a
    /// request with more is refused. Ten: the most one Mattermost post holds.
    #[arg(long, env = "CHATHOOKS_MAX_UPLOAD_FILES", default_value_t = chathooks_runtime::MaxUploadFiles::DEFAULT.0)]
    pub max_upload_files: usize,
    /// Seconds an outgoing webhook call may take.
    #[arg(long, env = "CHATHOOKS_CALLBACK_TIMEOUT_SECS", default_value_t = 30)]
    pub callback_timeout_secs: u64,
    /// Milliseconds an integration has to spend a trigger id (open a dialog
    /// with it) after the user acted. Mattermost's expiry is its outgoing
    /// integration timeout, 30 s by default.
    #[arg(long, env = "CHATHOOKS_DIALOG_TRIGGER_TIMEOUT_MS", default_value_t = 30_000)]
    pub dialog_trigger_timeout_ms: u64,
    /// Seconds a delivery claimed by one instance stays its own before another
    /// instance on the same database takes it over (at least the call timeout).
    #[arg(long, env = "CHATHOOKS_DELIVERY_LEASE_SECS", default_value_t = 40)]
    pub delivery_lease_secs: u64,
    /// `user:password` that may use the web UI and the test API (repeat for
    /// several). Needed when listening on a non-loopback address.
    #[arg(long, env = "CHATHOOKS_UI_AUTH")]
    pub ui_auth: Vec<String>,
    /// A file of `user:password` lines (blank lines and `#` comments ignored),
    /// in addition to `--ui-auth`.
    #[arg(long, env = "CHATHOOKS_UI_AUTH_FILE")]
    pub ui_auth_file: Option<std::path::PathBuf>,
    /// Serve the web UI and the test API without credentials even on a
    /// non-loopback address (anyone who can reach it can read and erase everything).
    #[arg(long, env = "CHATHOOKS_UI_INSECURE")]
    pub ui_insecure: bool,
    /// Keep at most this many posts: older ones are deleted (with their
    /// reactions and files).
    #[arg(long, env = "CHATHOOKS_MAX_POSTS")]
    pub max_posts: Option<u64>,
    /// Delete posts older than this (`90s`, `30m`, `12h`, `7d`...).
    #[arg(long, env = "CHATHOOKS_MAX_AGE", value_parser = humantime::parse_duration)]
    pub max_age: Option<Duration>,
    /// Never run Rocket.Chat integration scripts: scripted integrations behave
    /// as if `scriptEnabled` were false (Rocket.Chat's DISABLE_INTEGRATION_SCRIPTS).
    #[arg(long, env = "CHATHOOKS_DISABLE_SCRIPTS")]
    pub disable_scripts: bool,
    /// Most bytes one call of an integration script may write with `Store.set`
    /// (keys and JSON values); past it `Store.set` throws.
    #[arg(long, env = "CHATHOOKS_SCRIPT_STORE_WRITE_BYTES", default_value_t = ScriptConfig::default().limits.store_write_bytes)]
    pub script_store_write_bytes: usize,
    /// Most bytes one integration's script `Store` may hold; past it `Store.set` throws.
    #[arg(long, env = "CHATHOOKS_SCRIPT_STORE_BYTES", default_value_t = ScriptConfig::default().limits.store_bytes)]
    pub script_store_bytes: usize,
    /// Most bytes the cached script instances may hold (their heaps); past it
    /// the least recently used are dropped.
    #[arg(long, env = "CHATHOOKS_SCRIPT_CACHE_BYTES", default_value_t = ScriptConfig::default().cache_bytes)]
    pub script_cache_bytes: usize,
    /// Most calls of one integration's script waiting to run; more fail at once.
    #[arg(long, env = "CHATHOOKS_SCRIPT_QUEUE_PER_INTEGRATION", default_value_t = ScriptConfig::default().queue_per_script)]
    pub script_queue_per_integration: usize,
    /// Most script calls waiting to run in all; more fail at once.
    #[arg(long, env = "CHATHOOKS_SCRIPT_QUEUE", default_value_t = ScriptConfig::default().queue_total)]
    pub script_queue: usize,
    /// Host names requests may be addressed to (the `Host` header), comma
    /// separated, besides loopback names, IP addresses and the --site-url
    /// host; `*` for any (behind a proxy that checks names). Others are
    /// answered 421, which defeats DNS rebinding.
    #[arg(long, env = "CHATHOOKS_ALLOWED_HOSTS", default_value = "")]
    pub allowed_hosts: String,
    /// Seconds a client has to send a request's head once it starts; slower
    /// connections are closed.
    #[arg(long, env = "CHATHOOKS_HEADER_TIMEOUT_SECS", default_value_t = ConnectionLimits::default().header_timeout.as_secs())]
    pub header_timeout_secs: u64,
    /// Seconds a connection may stay open with no request under way.
    #[arg(long, env = "CHATHOOKS_IDLE_TIMEOUT_SECS", default_value_t = ConnectionLimits::default().idle_timeout.as_secs())]
    pub idle_timeout_secs: u64,
    /// Most connections open at once (WebSockets included); the next ones are
    /// answered 503 with `Retry-After` until some close.
    #[arg(long, env = "CHATHOOKS_MAX_CONNECTIONS", default_value_t = ConnectionLimits::default().max_connections)]
    pub max_connections: usize,
    /// Seconds shutdown waits for requests under way before closing their connections.
    #[arg(long, env = "CHATHOOKS_SHUTDOWN_TIMEOUT_SECS", default_value_t = ConnectionLimits::default().shutdown_timeout.as_secs())]
    pub shutdown_timeout_secs: u64,
    /// Seconds a WebSocket has to authenticate before it is closed.
    #[arg(long, env = "CHATHOOKS_WEBSOCKET_AUTH_TIMEOUT_SECS", default_value_t = WebSocketLimits::default().auth_timeout.as_secs())]
    pub websocket_auth_timeout_secs: u64,
    /// Largest WebSocket message (and frame) read from a client, in bytes;
    /// a larger one closes the socket.
    #[arg(long, env = "CHATHOOKS_WEBSOCKET_MAX_MESSAGE_BYTES", default_value_t = WebSocketLimits::default().max_message_bytes)]
    pub websocket_max_message_bytes: usize,
    /// Seconds a Rocket.Chat Realtime API connection (`/websocket`) may stay
    /// without logging in; then it gets a DDP `error` and is closed.
    #[arg(long, env = "CHATHOOKS_REALTIME_AUTH_TIMEOUT_SECS", default_value_t = RealtimeLimits::DEFAULT.auth_deadline.as_secs())]
    pub realtime_auth_timeout_secs: u64,
    /// Largest Realtime API message (DDP frame) read, in bytes; a larger one
    /// ends the connection.
    #[arg(long, env = "CHATHOOKS_REALTIME_MAX_MESSAGE_BYTES", default_value_t = RealtimeLimits::DEFAULT.max_message_bytes)]
    pub realtime_max_message_bytes: usize,
    /// Most subscriptions one Realtime API connection may hold; more are
    /// refused with a DDP `nosub` error.
    #[arg(long, env = "CHATHOOKS_REALTIME_MAX_SUBSCRIPTIONS", default_value_t = RealtimeLimits::DEFAULT.max_subscriptions)]
    pub realtime_max_subscriptions: usize,
    /// Seconds without a frame from a Realtime API client before the server
    /// sends a DDP `ping`; as long again without any frame closes it.
    #[arg(long, env = "CHATHOOKS_REALTIME_HEARTBEAT_SECS", default_value_t = RealtimeLimits::DEFAULT.heartbeat.as_secs())]
    pub realtime_heartbeat_secs: u64,
    /// Password hashes and checks (Argon2, 19 MiB each) run at once; by
    /// default one per core.
    #[arg(long, env = "CHATHOOKS_PASSWORD_WORKERS", default_value_t = PoolSettings::default().workers)]
    pub password_workers: usize,
    /// Logins and user creations that may wait for a password worker; more
    /// are answered 429 at once.
    #[arg(long, env = "CHATHOOKS_MAX_PASSWORD_HASHES_WAITING", default_value_t = PoolSettings::default().max_waiting)]
    pub max_password_hashes_waiting: usize,
}

impl ServeArgs {
    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(Config {
            listen: self.listen,
            database: self.database.clone(),
            admin: self.admin_username.clone().zip(self.admin_password.clone()),
            allow_internal_callbacks: AllowList::parse(&self.allow_internal_callbacks)
                .map_err(|e| anyhow::anyhow!("--allow-internal-callbacks: {}", e.0))?,
            site_url: self
                .site_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen)),
            max_body_bytes: self.max_body_bytes,
            max_file_bytes: self.max_file_bytes,
            max_upload_files: self.max_upload_files,
            callback_timeout: Duration::from_secs(self.callback_timeout_secs),
            dialog_trigger_timeout: Duration::from_millis(self.dialog_trigger_timeout_ms),
            delivery_lease: Duration::from_secs(self.delivery_lease_secs),
            seed: self.config.clone(),
            ui_auth: self.ui_auth()?,
            ui_insecure: self.ui_insecure,
            retention: crate::retention::Retention {
                max_posts: self.max_posts,
                max_age: self.max_age,
            },
            disable_scripts: self.disable_scripts,
            realtime: RealtimeLimits {
                auth_deadline: Duration::from_secs(self.realtime_auth_timeout_secs),
                max_message_bytes: self.realtime_max_message_bytes,
                max_subscriptions: self.realtime_max_subscriptions,
                heartbeat: Duration::from_secs(self.realtime_heartbeat_secs.max(1)),
            },
            scripts: self.scripts(),
            allowed_hosts: crate::browser::AllowedHosts::parse(&self.allowed_hosts)
                .map_err(|e| anyhow::anyhow!("--allowed-hosts: {e}"))?,
            connections: ConnectionLimits {
                header_timeout: positive_secs("--header-timeout-secs", self.header_timeout_secs)?,
                idle_timeout: positive_secs("--idle-timeout-secs", self.idle_timeout_secs)?,
                max_connections: match self.max_connections {
                    0 => anyhow::bail!("--max-connections must be at least 1"),
                    n => n,
                },
                shutdown_timeout: Duration::from_secs(self.shutdown_timeout_secs),
            },
            websocket: WebSocketLimits {
                auth_timeout: positive_secs("--websocket-auth-timeout-secs", self.websocket_auth_timeout_secs)?,
                max_message_bytes: self.websocket_max_message_bytes.max(1),
            },
            passwords: PoolSettings {
                workers: self.password_workers,
                max_waiting: self.max_password_hashes_waiting,
            },
            release_memory: None,
        })
    }

    fn scripts(&self) -> ScriptConfig {
        let defaults = ScriptConfig::default();
        ScriptConfig {
            limits: chathooks_script::Limits {
                store_write_bytes: self.script_store_write_bytes,
                store_bytes: self.script_store_bytes,
                ..defaults.limits
            },
            cache_bytes: self.script_cache_bytes,
            queue_per_script: self.script_queue_per_integration,
            queue_total: self.script_queue,
            ..defaults
        }
    }

    fn ui_auth(&self) -> anyhow::Result<crate::access::UiAuth> {
        let file = match &self.ui_auth_file {
            Some(path) => {
                std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("--ui-auth-file {}: {e}", path.display()))?
            }
            None => String::new(),
        };
        crate::access::UiAuth::parse(self.ui_auth.iter().map(String::as_str).chain(file.lines()))
            .map_err(|e| anyhow::anyhow!("--ui-auth: {e}"))
    }
}

/// A timeout flag, which zero would turn into "close at once".
fn positive_secs(flag: &str, secs: u64) -> anyhow::Result<Duration> {
    if secs == 0 {
        anyhow::bail!("{flag} must be at least 1");
    }
    Ok(Duration::from_secs(secs))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down: finishing in-flight requests and deliveries");
}

/// Run the command. `release_memory` gives freed memory back to the OS (the
/// binary's allocator call): it runs once the server is up, its startup work
/// done, and after each password hash.
pub async fn run(cli: Cli, release_memory: fn()) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let mut config = args.config()?;
            config.release_memory = Some(release_memory);
            let state = server::open(config).await?;
            let running = server::start(state, shutdown_signal()).await?;
            release_memory();
            running.wait().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let cli = Cli::try_parse_from(["chathooks", "serve"].iter().chain(args))?;
        let Command::Serve(args) = cli.command;
        Ok(args)
    }

    #[test]
    fn retention_flags_take_counts_and_durations() {
        let args = serve(&["--max-posts", "1000", "--max-age", "7d"]).unwrap();
        let retention = args.config().unwrap().retention;
        assert_eq!(retention.max_posts, Some(1000));
        assert_eq!(retention.max_age, Some(Duration::from_secs(7 * 24 * 3600)));
        assert_eq!(
            serve(&["--max-age", "90s"]).unwrap().max_age,
            Some(Duration::from_secs(90))
        );
        assert!(serve(&["--max-age", "soon"]).is_err());
        assert!(serve(&[]).unwrap().config().unwrap().retention.is_unlimited());
    }

    #[test]
    fn ui_credentials_come_from_flags_and_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ui-users");
        std::fs::write(&file, "# operators\nops:from-file\n\n").unwrap();
        let args = serve(&["--ui-auth", "ci:one", "--ui-auth-file", file.to_str().unwrap()]).unwrap();
        let expected = crate::access::UiAuth::parse(["ci:one", "ops:from-file"]).unwrap();
        assert_eq!(args.config().unwrap().ui_auth, expected);
        let bad = serve(&["--ui-auth", "no-colon"]).unwrap().config().unwrap_err();
        assert!(bad.to_string().contains("--ui-auth"), "{bad}");
    }

    #[test]
    fn resource_limits_have_defaults_and_flags() {
        let config = serve(&[]).unwrap().config().unwrap();
        assert_eq!(config.max_upload_files, 10);
        assert_eq!(config.scripts, ScriptConfig::default());
        let config = serve(&[
            "--max-upload-files=2",
            "--script-store-write-bytes=100",
            "--script-store-bytes=200",
            "--script-cache-bytes=300",
            "--script-queue-per-integration=4",
            "--script-queue=5",
        ])
        .unwrap()
        .config()
        .unwrap();
        assert_eq!(config.max_upload_files, 2);
        let scripts = config.scripts;
        assert_eq!(
            (scripts.limits.store_write_bytes, scripts.limits.store_bytes),
            (100, 200)
        );
        assert_eq!(
            (scripts.cache_bytes, scripts.queue_per_script, scripts.queue_total),
            (300, 4, 5)
        );
    }

    #[test]
    fn connection_and_browser_flags() {
        let config = serve(&[]).unwrap().config().unwrap();
        assert_eq!(config.connections, ConnectionLimits::default());
        assert_eq!(config.websocket, WebSocketLimits::default());
        let config = serve(&[
            "--allowed-hosts=chat.example.com,ci:8065",
            "--header-timeout-secs=3",
            "--idle-timeout-secs=4",
            "--max-connections=5",
            "--shutdown-timeout-secs=0",
            "--websocket-auth-timeout-secs=7",
            "--websocket-max-message-bytes=100",
        ])
        .unwrap()
        .config()
        .unwrap();
        assert!(config.allowed_hosts.admits("ci:1") && !config.allowed_hosts.admits("other"));
        let limits = config.connections;
        assert_eq!(
            (
                limits.header_timeout,
                limits.idle_timeout,
                limits.max_connections,
                limits.shutdown_timeout
            ),
            (Duration::from_secs(3), Duration::from_secs(4), 5, Duration::ZERO)
        );
        assert_eq!(config.websocket.auth_timeout, Duration::from_secs(7));
        assert_eq!(config.websocket.max_message_bytes, 100);
        for bad in ["--header-timeout-secs=0", "--max-connections=0", "--allowed-hosts=a b"] {
            assert!(serve(&[bad]).unwrap().config().is_err(), "{bad}");
        }
    }

    fn disable_scripts(args: &[&str]) -> bool {
        let Command::Serve(serve) = Cli::try_parse_from(args).expect("arguments parse").command;
        serve.disable_scripts
    }

    #[test]
    #[allow(unsafe_code)] // std::env::set_var is unsafe since edition 2024
    fn scripts_are_on_unless_disabled() {
        // SAFETY (std::env): no other test of this binary reads or writes this variable.
        unsafe { std::env::remove_var("CHATHOOKS_DISABLE_SCRIPTS") };
        assert!(!disable_scripts(&["chathooks", "serve"]));
        assert!(disable_scripts(&["chathooks", "serve", "--disable-scripts"]));
        unsafe { std::env::set_var("CHATHOOKS_DISABLE_SCRIPTS", "true") };
        assert!(disable_scripts(&["chathooks", "serve"]));
        unsafe { std::env::set_var("CHATHOOKS_DISABLE_SCRIPTS", "false") };
        assert!(!disable_scripts(&["chathooks", "serve"]));
        unsafe { std::env::remove_var("CHATHOOKS_DISABLE_SCRIPTS") };
    }
}
