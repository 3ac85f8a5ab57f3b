//! Rocket.Chat's Realtime API: Meteor's DDP over a WebSocket at
//! `/websocket`, as bots use it (`@rocket.chat/sdk`, hubot-rocketchat): log
//! in, subscribe to `stream-room-messages`, answer with `sendMessage`.
//!
//! Not in `spec/rocketchat.yaml` (OpenAPI cannot describe a WebSocket), so
//! the route is written here, over the core's event bus, as the Mattermost
//! dialect's WebSocket is:
//!
//! - [`ddp`]: the frames (connect, heartbeats, methods, subscriptions, errors);
//! - [`session`]: one connection, its login and subscriptions, its limits;
//! - [`methods`]: the methods, each through its REST twin's checks;
//! - [`streams`]: the streams, and the core's events as their frames, only to
//!   users who may read the room;
//! - [`ejson`]: EJSON dates;
//! - [`registry`]: the open sessions, as the web UI lists them.

mod ddp;
mod ejson;
mod methods;
mod registry;
mod session;
mod streams;

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use chathooks_core::Core;
use tokio::sync::broadcast;

pub(crate) use methods::send_message_rest;
pub(crate) use registry::Sessions;

/// A connection's limits (the `--realtime-*` flags).
pub(crate) type Limits = chathooks_dialect::RealtimeLimits;

/// Where the Realtime API is served (Meteor's WebSocket endpoint).
pub(crate) const PATH: &str = "/websocket";

/// Typing notices buffered per session before a slow one misses some.
const TYPING_CAPACITY: usize = 256;

/// What every session of this server shares.
struct Hub {
    core: Arc<Core>,
    limits: Limits,
    /// Typing notices between sessions (they are not domain events).
    typing: broadcast::Sender<Arc<streams::Typing>>,
    /// The open sessions, for the web UI.
    sessions: Arc<Sessions>,
}

/// The route of the Realtime API over `core`.
pub(crate) fn router(core: Arc<Core>, limits: Limits, sessions: Arc<Sessions>) -> axum::Router {
    let hub = Arc::new(Hub {
        core,
        limits,
        typing: broadcast::channel(TYPING_CAPACITY).0,
        sessions,
    });
    axum::Router::new()
        .route(PATH, axum::routing::get(upgrade))
        .with_state(hub)
}

async fn upgrade(State(hub): State<Arc<Hub>>, socket: WebSocketUpgrade) -> Response {
    let cap = hub.limits.max_message_bytes;
    socket
        .max_message_size(cap)
        .max_frame_size(cap)
        .on_upgrade(move |socket| session::run(hub, socket))
}
