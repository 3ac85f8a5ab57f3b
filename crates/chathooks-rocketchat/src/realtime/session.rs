//! One Realtime API connection: the DDP handshake, heartbeats, the login,
//! methods and subscriptions, and the core's events as stream frames.
//!
//! Limits ([`super::Limits`]): a connection that has not logged in within the
//! authentication deadline gets an `error` and is closed (1008); a frame
//! larger than the message cap ends the connection (1009); a subscription
//! past the cap is refused (`nosub` with `error-too-many-subscriptions`). Meteor's
//! heartbeats: after the heartbeat interval (15 s, as Meteor's) without a
//! frame from the client the server sends `ping`, and closes the connection
//! when as long again passes without one (not for `pre1`, which has no
//! heartbeats). A client's `ping` gets `pong`, with its `id` when it gave one.
//!
//! The login is checked again every second: when its session was ended
//! elsewhere (logout, revocation) or its user deactivated, every subscription
//! ends (`nosub`) and the connection is closed, as Meteor closes the
//! connections of a login token that was removed. `logout` on the connection
//! itself ends the subscriptions and keeps the connection.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use chathooks_core::accounts::{self, AuthError, Caller, LoginError};
use chathooks_core::ids::new_rc_token;
use chathooks_core::password::Secret;
use chathooks_core::store::{User, now_ms};
use chathooks_rocketchat_server::ops;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::{Instant, MissedTickBehavior};

use super::ddp::{self, Incoming, MeteorError, MethodResult};
use super::streams::{self, Subscription, Typing};
use super::{Hub, ejson, methods};
use crate::users::SESSION_LIFETIME_MS;

/// How often the login is checked again.
const LOGIN_CHECK: Duration = Duration::from_secs(1);

/// Close codes (RFC 6455).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;

/// Serve one connection until either side closes it or the server stops.
pub(super) async fn run(hub: Arc<Hub>, mut socket: WebSocket) {
    let mut session = Session {
        hub: hub.clone(),
        id: chathooks_core::ids::new_rc_id(),
        version: None,
        caller: None,
        subscriptions: HashMap::new(),
        logged_in_once: false,
        close: None,
    };
    let registered = super::registry::Registered::new(&hub.sessions, &session.id, now_ms());
    // Subscribe first, so nothing published after a `ready` is missed.
    let mut events = hub.core.events.subscribe();
    let mut typing = hub.typing.subscribe();
    // Meteor's greeting, which clients ignore.
    if send(&mut socket, &json!({"server_id": "0"})).await.is_err() {
        return;
    }
    let deadline = tokio::time::sleep(hub.limits.auth_deadline);
    tokio::pin!(deadline);
    let mut login_check = tokio::time::interval(LOGIN_CHECK);
    login_check.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let beat = hub.limits.heartbeat;
    let mut heartbeat = tokio::time::interval(beat / 3);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut last_heard = Instant::now();
    let mut pinged = false;
    let shutdown = hub.core.shutdown.clone();
    loop {
        let frames = tokio::select! {
            () = shutdown.cancelled() => {
                close(&mut socket, CLOSE_GOING_AWAY, "server shutting down").await;
                return;
            }
            () = &mut deadline, if !session.logged_in_once => {
                let seconds = hub.limits.auth_deadline.as_secs_f64();
                let reason = format!("Not logged in within {seconds} s");
                let _ = send(&mut socket, &ddp::error(&reason, None)).await;
                close(&mut socket, CLOSE_POLICY, "authentication deadline passed").await;
                return;
            }
            message = socket.recv() => {
                last_heard = Instant::now();
                registered.update(|entry| entry.last_in_at = now_ms());
                pinged = false;
                match message {
                    None | Some(Ok(Message::Close(_))) => return,
                    Some(Err(error)) => {
                        tracing::debug!(%error, "realtime connection refused a frame");
                        let cap = hub.limits.max_message_bytes;
                        let reason = format!("Frame refused: larger than {cap} bytes, or not a WebSocket frame");
                        let _ = send(&mut socket, &ddp::error(&reason, None)).await;
                        close(&mut socket, CLOSE_TOO_BIG, "frame refused").await;
                        return;
                    }
                    Some(Ok(Message::Text(text))) => session.handle(text.as_str()).await,
                    Some(Ok(Message::Binary(_))) => vec![ddp::error("Bad request", None)],
                    Some(Ok(_)) => continue,
                }
            }
            event = events.recv() => match event {
                Ok(event) => {
                    let frames = session.event_frames(&event).await;
                    session.left_room(&event);
                    frames
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a realtime client fell behind; events were dropped");
                    continue;
                }
                Err(RecvError::Closed) => return,
            },
            notice = typing.recv() => match notice {
                Ok(notice) => session.typing_frames(&notice).await,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            _ = login_check.tick(), if session.caller.is_some() => {
                if session.login_still_valid().await {
                    continue;
                }
                let frames = session.end_subscriptions();
                for frame in &frames {
                    let _ = send(&mut socket, frame).await;
                }
                close(&mut socket, CLOSE_NORMAL, "logged out").await;
                return;
            }
            _ = heartbeat.tick(), if session.heartbeats() => {
                let quiet = last_heard.elapsed();
                if pinged && quiet >= beat * 2 {
                    close(&mut socket, CLOSE_NORMAL, "heartbeat timed out").await;
                    return;
                }
                if pinged || quiet < beat {
                    continue;
                }
                pinged = true;
                vec![json!({"msg": "ping"})]
            }
        };
        for frame in &frames {
            if send(&mut socket, frame).await.is_err() {
                return;
            }
        }
        registered.update(|entry| session.describe(entry, !frames.is_empty()));
        if let Some((code, reason)) = session.close {
            close(&mut socket, code, reason).await;
            return;
        }
    }
}

async fn send(socket: &mut WebSocket, frame: &Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(frame.to_string().into())).await
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

struct Session {
    hub: Arc<Hub>,
    /// The DDP session id `connected` reports.
    id: String,
    /// The version negotiated by `connect`; `None` before.
    version: Option<&'static str>,
    caller: Option<Caller>,
    /// Active subscriptions by their client-chosen ids.
    subscriptions: HashMap<String, Subscription>,
    /// Whether the connection ever logged in (the deadline is met then).
    logged_in_once: bool,
    /// Close after sending this step's frames.
    close: Option<(u16, &'static str)>,
}

impl Session {
    /// Bring the sessions list's entry up to date (`sent`: frames just went out).
    fn describe(&self, entry: &mut chathooks_dialect::RealtimeSession, sent: bool) {
        entry.username = self
            .caller
            .as_ref()
            .map(|c| c.user.username.clone())
            .unwrap_or_default();
        let mut subscriptions: Vec<String> = self
            .subscriptions
            .values()
            .map(|s| format!("{} {}", s.stream, s.event_name))
            .collect();
        subscriptions.sort();
        entry.subscriptions = subscriptions;
        if sent {
            entry.last_out_at = now_ms();
        }
    }

    fn heartbeats(&self) -> bool {
        self.version.is_some_and(|v| v != "pre1")
    }

    /// The frames answering one text frame.
    async fn handle(&mut self, text: &str) -> Vec<Value> {
        let incoming = match ddp::parse(text) {
            Ok(incoming) => incoming,
            Err(error) => return vec![error],
        };
        let offending = || serde_json::from_str::<Value>(text).ok();
        let Some(_) = self.version else {
            let Incoming::Connect { version, support } = incoming else {
                return vec![ddp::error("Must connect first", offending())];
            };
            let valid = !version.is_empty() && support.contains(&version);
            let best = if valid {
                ddp::negotiate(&support)
            } else {
                ddp::VERSIONS[0]
            };
            if valid && version == best {
                self.version = Some(best);
                return vec![json!({"msg": "connected", "session": self.id})];
            }
            self.close = Some((CLOSE_NORMAL, "unsupported DDP version"));
            return vec![json!({"msg": "failed", "version": best})];
        };
        match incoming {
            Incoming::Connect { .. } => vec![ddp::error("Already connected", offending())],
            Incoming::Ping { id } => match id {
                Some(id) => vec![json!({"msg": "pong", "id": id})],
                None => vec![json!({"msg": "pong"})],
            },
            Incoming::Pong => Vec::new(),
            Incoming::Method { id, method, params } => {
                let mut frames = Vec::new();
                let result = self.method(&method, &params, &mut frames).await;
                frames.push(ddp::result(&id, &result));
                frames.push(ddp::updated(&id));
                frames
            }
            Incoming::Sub { id, name, params } => {
                if self.subscriptions.contains_key(&id) {
                    return Vec::new();
                }
                let cap = self.hub.limits.max_subscriptions;
                if self.subscriptions.len() >= cap {
                    let error = MeteorError::new(
                        "error-too-many-subscriptions",
                        &format!("A connection may hold at most {cap} subscriptions"),
                    );
                    return vec![ddp::nosub(&id, Some(&error))];
                }
                match streams::subscribe(&self.hub.core, self.caller.as_ref(), &name, &params).await {
                    Ok(subscription) => {
                        self.subscriptions.insert(id.clone(), subscription);
                        vec![ddp::ready(&id)]
                    }
                    Err(error) => vec![ddp::nosub(&id, Some(&error))],
                }
            }
            Incoming::Unsub { id } => {
                self.subscriptions.remove(&id);
                vec![ddp::nosub(&id, None)]
            }
        }
    }

    /// Call a method; frames it makes besides its result go to `frames`.
    async fn method(&mut self, name: &str, params: &[Value], frames: &mut Vec<Value>) -> MethodResult {
        match name {
            "login" => {
                let before = self.caller.as_ref().map(|c| c.user.id.clone());
                let result = self.login(params).await;
                // Another user now: what the last one subscribed to ends (its
                // read rules were checked for that user).
                let now = self.caller.as_ref().map(|c| c.user.id.clone());
                if before.is_some() && before != now {
                    frames.extend(self.end_subscriptions());
                }
                result
            }
            "logout" => {
                if let Some(caller) = self.caller.take() {
                    crate::users::logout(&self.hub.core, caller, ops::logout::Request {})
                        .await
                        .map_err(methods::meteor_error)?;
                }
                frames.extend(self.end_subscriptions());
                Ok(None)
            }
            "stream-notify-room" => {
                self.notify_room(params).await;
                Ok(None)
            }
            name if methods::serves(name) => match &self.caller {
                Some(caller) => methods::call(&self.hub.core, caller, name, params).await,
                None => Err(MeteorError::invalid_user(name)),
            },
            name => Err(methods::not_found(name)),
        }
    }

    /// `login`: `{resume: token}` (a session token of either API's login or
    /// a personal access token), or `{user: {username|email|id}, password}`
    /// with the password plain or as `{digest, algorithm: "sha-256"}`.
    async fn login(&mut self, params: &[Value]) -> MethodResult {
        let Some(Value::Object(request)) = params.first() else {
            return Err(MeteorError::match_failed());
        };
        let core = &self.hub.core;
        if let Some(token) = request.get("resume") {
            let token = token.as_str().ok_or_else(MeteorError::match_failed)?;
            let caller = accounts::authenticate(core, token).await.map_err(|error| match error {
                AuthError::Unauthenticated => {
                    MeteorError::new(403, "You've been logged out by the server. Please log in again.")
                }
                AuthError::Store(error) => methods::meteor_error(error.into()),
            })?;
            return Ok(Some(self.logged_in(caller, "resume")));
        }
        let (Some(Value::Object(selector)), Some(given)) = (request.get("user"), request.get("password")) else {
            return Err(MeteorError::new(400, "Unrecognized options for login request"));
        };
        let secret = match given {
            Value::String(plain) => Secret::Password(plain),
            Value::Object(digest) => match (
                digest.get("digest").and_then(Value::as_str),
                digest.get("algorithm").and_then(Value::as_str),
            ) {
                (Some(digest), Some("sha-256")) => Secret::Digest(digest),
                _ => return Err(MeteorError::match_failed()),
            },
            _ => return Err(MeteorError::match_failed()),
        };
        let field = |key: &str| selector.get(key).and_then(Value::as_str);
        let found = if let Some(username) = field("username") {
            core.read().get_user_by_username(username).await
        } else if let Some(email) = field("email") {
            core.read().get_user_by_login(email).await
        } else if let Some(id) = field("id") {
            core.read().get_user(id).await
        } else {
            return Err(MeteorError::match_failed());
        };
        let found = found.map_err(|error| methods::meteor_error(error.into()))?;
        let known = found.is_some();
        // The one login rule of both APIs: the lockout, the password pool,
        // and the same Argon2 work for an unknown account.
        let user = match accounts::verify_account(core, found, secret).await {
            Ok(user) => user,
            Err(LoginError::InvalidCredentials) if !known => return Err(MeteorError::new(403, "User not found")),
            Err(LoginError::InvalidCredentials) => return Err(MeteorError::new(403, "Incorrect password")),
            Err(LoginError::Locked) => {
                return Err(MeteorError::new(
                    "error-login-blocked-for-user",
                    "Login has been temporarily blocked For User",
                ));
            }
            Err(LoginError::Password(error)) => return Err(methods::meteor_error(error.into())),
            Err(LoginError::Store(error)) => return Err(methods::meteor_error(error.into())),
        };
        let caller = start_session(core, user).await?;
        Ok(Some(self.logged_in(caller, "password")))
    }

    /// Take `caller` as this connection's login; the login method's result.
    fn logged_in(&mut self, caller: Caller, kind: &str) -> Value {
        let expires = match caller.session.expires_at {
            0 => now_ms() + SESSION_LIFETIME_MS,
            at => at,
        };
        let result = json!({
            "id": caller.user.id,
            "token": caller.session.token,
            "tokenExpires": ejson::date(expires),
            "type": kind,
        });
        self.caller = Some(caller);
        self.logged_in_once = true;
        result
    }

    /// Is the login still good? Its user is refreshed on the way.
    async fn login_still_valid(&mut self) -> bool {
        let Some(caller) = &self.caller else {
            return true;
        };
        match accounts::authenticate(&self.hub.core, &caller.session.token).await {
            Ok(fresh) => {
                self.caller = Some(fresh);
                true
            }
            Err(AuthError::Unauthenticated) => false,
            // The database failed, not the login: look again next time.
            Err(AuthError::Store(error)) => {
                tracing::warn!(%error, "realtime login check failed");
                true
            }
        }
    }

    /// `nosub` for every subscription, which ends.
    fn end_subscriptions(&mut self) -> Vec<Value> {
        let mut ids: Vec<String> = self.subscriptions.drain().map(|(id, _)| id).collect();
        ids.sort();
        ids.iter().map(|id| ddp::nosub(id, None)).collect()
    }

    async fn event_frames(&self, event: &chathooks_core::events::Event) -> Vec<Value> {
        let Some(caller) = &self.caller else {
            return Vec::new();
        };
        let subscriptions: Vec<Subscription> = self.subscriptions.values().cloned().collect();
        streams::event_frames(&self.hub.core, &caller.user, &subscriptions, event).await
    }

    /// When the user left a room, or the room was deleted, its room streams
    /// stop, as Rocket.Chat drops them on the subscription's removal (without
    /// a `nosub`).
    fn left_room(&mut self, event: &chathooks_core::events::Event) {
        use chathooks_core::events::Event;
        let Some(caller) = &self.caller else {
            return;
        };
        let channel = match event {
            Event::ChannelLeft { channel, user } if user.id == caller.user.id => channel,
            Event::ChannelDeleted { channel, .. } => channel,
            _ => return,
        };
        self.subscriptions.retain(|_, s| match &s.target {
            streams::Target::Room(rid) | streams::Target::RoomNotify { rid, .. } => *rid != channel.id,
            _ => true,
        });
    }

    async fn typing_frames(&self, notice: &Typing) -> Vec<Value> {
        let Some(caller) = &self.caller else {
            return Vec::new();
        };
        if notice.from_session == self.id {
            return Vec::new();
        }
        let subscriptions: Vec<Subscription> = self.subscriptions.values().cloned().collect();
        streams::typing_frames(&self.hub.core, &caller.user, &subscriptions, notice).await
    }

    /// The `stream-notify-room` method: `["<rid>/typing", username, typing]`
    /// (or `user-activity` with `["user-typing"]`) from a member, as
    /// themself, to the room's other sessions. Anything else is dropped
    /// without an error, as Rocket.Chat's write rule does.
    async fn notify_room(&self, params: &[Value]) {
        let Some(caller) = &self.caller else { return };
        let (Some(event), Some(username)) = (
            params.first().and_then(Value::as_str),
            params.get(1).and_then(Value::as_str),
        ) else {
            return;
        };
        let Some((rid, kind)) = event.split_once('/') else {
            return;
        };
        let typing = match (kind, params.get(2)) {
            ("typing", Some(Value::Bool(typing))) => *typing,
            ("user-activity", Some(Value::Array(activities))) => {
                activities.iter().any(|a| a.as_str() == Some("user-typing"))
            }
            _ => return,
        };
        if username != caller.user.username {
            return;
        }
        let core = &self.hub.core;
        let member = match core.read().get_channel(rid).await {
            Ok(Some(room)) => crate::auth::is_member(core, &caller.user, &room).await.unwrap_or(false),
            _ => false,
        };
        if member {
            let _ = self.hub.typing.send(Arc::new(Typing {
                rid: rid.to_owned(),
                username: username.to_owned(),
                typing,
                from_session: self.id.clone(),
            }));
        }
    }
}

/// A new session for `user`, as `POST /api/v1/login` makes one.
async fn start_session(core: &chathooks_core::Core, user: User) -> Result<Caller, MeteorError> {
    let session = accounts::start_session(core, &user, new_rc_token(), SESSION_LIFETIME_MS)
        .await
        .map_err(|error| methods::meteor_error(error.into()))?;
    Ok(Caller { user, session })
}
