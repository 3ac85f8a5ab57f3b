//! What a chat API adapter (a *dialect*) gives the chathooks server.
//!
//! The server speaks several chat APIs on one port over one domain core. Each
//! API lives in a crate of its own (`chathooks-mattermost`,
//! `chathooks-rocketchat`) that depends on the core, the runtime, its own
//! generated crates and this crate, and never on another dialect or on the
//! server. The server reads each dialect through one [`Dialect`] descriptor:
//! whatever asks "which API is this path?" or "what does this API answer
//! here?" asks the descriptors, so a new dialect needs no edits outside its
//! own crate and one line of registration in the server.
//!
//! The descriptor carries:
//!
//! - its router (generated from its spec, plus what OpenAPI cannot describe,
//!   such as a WebSocket) over the core;
//! - the paths it owns, and the incoming-webhook executions among them;
//! - its answers where the server answers for it: an unknown path, a failure
//!   chaos makes on purpose;
//! - its `Outgoing`, the core's delivery queue's view of its outgoing hooks;
//! - the hook a zero-config start makes;
//! - its hooks as the test API lists them, with the URLs an application is
//!   given;
//! - optionally, its [`HumanSide`]: what a user does through its API that
//!   the test API can do for a user without a token (run a slash command,
//!   click a message button).
//!
//! A dialect crate also exports a [`Registration`]: its section of the seed
//! file ([`seed`]), which the server checks before anything runs, and how to
//! build its descriptor from the server's [`Options`].
//!
//! [`request_id`] is the one thing a dialect reads back from the server: the
//! id of the request being served, which its error bodies carry.

pub mod request_id;
pub mod seed;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use chathooks_core::Core;
use chathooks_core::delivery::Outgoing;
use chathooks_core::store::{StoreError, User};
use futures_util::future::BoxFuture;

pub use self::seed::SeedSection;

/// One chat API, as the server sees it.
pub trait Dialect: Send + Sync + 'static {
    /// Short and stable: the `api` label of metrics, the test API's `api`
    /// field, the seed file's section (`[mattermost]`).
    fn name(&self) -> &'static str;

    /// For people: "Mattermost".
    fn title(&self) -> &'static str;

    /// Whether `path` belongs to this API, so that an unknown path is
    /// answered in its shape and counted under its name.
    fn owns(&self, path: &str) -> bool;

    /// The incoming webhook a request executes, if it is one of this API's
    /// executions: chaos and the message counters work on these.
    fn incoming_hook<'p>(&self, method: &Method, path: &'p str) -> Option<&'p str>;

    /// The name people gave the incoming hook `id` (from [`Self::incoming_hook`]):
    /// its display name, empty when it has none; `None` when there is no
    /// such hook. Metrics label executions with it and a hash, never with the
    /// id, which can be the hook's only secret.
    fn incoming_hook_name<'a>(
        &'a self,
        core: &'a Core,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, StoreError>>;

    /// Whether `path` takes file uploads, which get the file size limit
    /// instead of the body limit.
    fn is_upload(&self, path: &str) -> bool;

    /// The WebSocket path of this API's realtime channel, if it has one
    /// (for the server's checks on upgrades).
    fn websocket_path(&self) -> Option<&'static str> {
        None
    }

    /// Every route of this API over `core`.
    fn router(&self, core: Arc<Core>) -> axum::Router;

    /// This API's answer to a path of its own that it does not serve.
    fn not_found(&self) -> Response;

    /// This API's answer to an execution chaos fails on purpose, with
    /// `status`.
    fn chaos_answer(&self, status: StatusCode) -> Response;

    /// The core's delivery queue's view of this API's outgoing hooks.
    fn outgoing(&self) -> Arc<dyn Outgoing>;

    /// The incoming hook a zero-config start makes for this API (random
    /// secrets, made once; a reset makes the same one again).
    fn welcome_hook(&self) -> Option<seed::WelcomeHook> {
        None
    }

    /// Make what a fresh server of this API has before anyone uses it (for
    /// Rocket.Chat: the `#general` room and the `rocket.cat` bot). Idempotent:
    /// the server runs it at every start, after the seed file or the
    /// zero-config default, and after every reset.
    fn fresh_defaults<'a>(&'a self, core: &'a Core) -> BoxFuture<'a, Result<(), StoreError>> {
        let _ = core;
        Box::pin(async { Ok(()) })
    }

    /// This API's hooks and integrations, for the test API and the web UI,
    /// with URLs under `base` (`http://host:port`).
    fn hooks<'a>(&'a self, core: &'a Core, base: &'a str) -> BoxFuture<'a, Result<Vec<HookSummary>, StoreError>>;

    /// The open connections of this API's realtime channel (Rocket.Chat's
    /// DDP sessions), for the test API and the web UI; none by default.
    fn realtime_sessions(&self) -> Vec<RealtimeSession> {
        Vec::new()
    }

    /// What a user can do through this API that the test API acts out for
    /// a user without a token; `None` (the default) when this API has none.
    fn human(&self) -> Option<Arc<dyn HumanSide>> {
        None
    }
}

/// A user's acts that are this dialect's own code (its slash commands, its
/// interactive messages), run exactly as its API runs them for that user,
/// so the test API can play the human side. `user` is the acting user,
/// already found; each answers the API's answer to the user's client, as
/// JSON, or why the API would refuse.
pub trait HumanSide: Send + Sync + 'static {
    /// Run slash command `line` (`/deploy api v2`) in `channel` (an id).
    fn run_command<'a>(
        &'a self,
        core: &'a Core,
        user: &'a User,
        channel: &'a str,
        line: &'a str,
    ) -> BoxFuture<'a, Result<serde_json::Value, ActRefusal>>;

    /// Click action `action_id` of post `post_id`, picking
    /// `selected_option` of a menu.
    fn click<'a>(
        &'a self,
        core: &'a Core,
        user: &'a User,
        post_id: &'a str,
        action_id: &'a str,
        selected_option: Option<&'a str>,
    ) -> BoxFuture<'a, Result<serde_json::Value, ActRefusal>>;
}

/// Why the API would refuse an act: its status and its reason (in its own
/// words, with its error id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActRefusal {
    pub status: u16,
    /// The API's error id (`api.command.execute_command.not_found.app_error`).
    pub id: String,
    pub message: String,
}

/// One open realtime connection, as the web UI lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RealtimeSession {
    /// The connection's session id.
    pub id: String,
    /// The logged-in user's username; empty before a login.
    pub username: String,
    /// Its subscriptions as `<stream> <event>`, sorted.
    pub subscriptions: Vec<String>,
    /// When it connected, and when it last read and sent a frame (ms since
    /// the Unix epoch; 0 for never).
    pub connected_at: i64,
    pub last_in_at: i64,
    pub last_out_at: i64,
}

/// How the server registers a dialect: one constant per dialect crate, one
/// line in the server's list.
#[derive(Clone, Copy)]
pub struct Registration {
    /// Its section of the seed file, which is checked before anything runs.
    pub seed: &'static dyn SeedSection,
    /// Make the dialect, once per server.
    pub build: fn(&Options) -> Arc<dyn Dialect>,
}

/// What the server was told that a dialect may need.
#[derive(Clone, Default)]
pub struct Options {
    /// The sandbox integration scripts run in; `None` when scripts are off
    /// (`--disable-scripts`).
    pub scripts: Option<Arc<chathooks_script::Engine>>,
    /// What a dialect's WebSocket allows a client before and after it
    /// authenticates.
    pub websocket: WebSocketLimits,
    /// The limits of a realtime API's connections (Rocket.Chat's DDP).
    pub realtime: RealtimeLimits,
}

/// Limits of a dialect's WebSocket (`--websocket-auth-timeout-secs`,
/// `--websocket-max-message-bytes`): a socket costs a task and a
/// subscription to the event bus from its first byte, so one that has not
/// authenticated in time is closed, and no message is read past the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebSocketLimits {
    /// Time from the upgrade until the socket must have authenticated.
    pub auth_timeout: std::time::Duration,
    /// Largest message (and frame) read from a client, in bytes.
    pub max_message_bytes: usize,
}

impl Default for WebSocketLimits {
    fn default() -> Self {
        Self {
            auth_timeout: std::time::Duration::from_secs(10),
            // Mattermost's own read limit (`SocketMaxMessageSizeKb`, 8 KiB):
            // clients send actions (authentication, typing, ping), never posts.
            max_message_bytes: 8 * 1024,
        }
    }
}

/// What one connection of a realtime API (Rocket.Chat's DDP WebSocket) may
/// make the server wait for or hold (`--realtime-*` flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RealtimeLimits {
    /// How long a connection may stay without logging in before it is closed.
    pub auth_deadline: std::time::Duration,
    /// The largest message (and frame) read, in bytes; a larger one ends the
    /// connection.
    pub max_message_bytes: usize,
    /// The most subscriptions one connection may hold at once; more are
    /// refused (`nosub` with an error).
    pub max_subscriptions: usize,
    /// Meteor's heartbeat: after this long without a frame from the client
    /// the server sends `ping`, and closes the connection when as long again
    /// passes without any frame.
    pub heartbeat: std::time::Duration,
}

impl RealtimeLimits {
    pub const DEFAULT: Self = Self {
        auth_deadline: std::time::Duration::from_secs(30),
        max_message_bytes: 1024 * 1024,
        max_subscriptions: 500,
        heartbeat: std::time::Duration::from_secs(15),
    };
}

impl Default for RealtimeLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which way a hook goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
}

/// A hook or integration of some API, as the test API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSummary {
    pub id: String,
    pub name: String,
    pub direction: Direction,
    /// An incoming hook's URL, or an outgoing hook's callbacks (space-separated).
    pub url: String,
    /// Where it posts or listens, in the API's own notation.
    pub channel: String,
    pub trigger_words: Vec<String>,
    /// The event an outgoing integration fires on, where the API has several.
    pub event: Option<String>,
    pub enabled: bool,
    pub create_at: i64,
}
