//! Mattermost's WebSocket, `GET /api/v4/websocket`: what bot frameworks and
//! Client4 listen on for `posted` and the other events.
//!
//! Not in `spec/mattermost.yaml`: OpenAPI cannot describe a WebSocket, so
//! the route is written here, over the core's event stream.
//!
//! The protocol, as the real server speaks it:
//! - The client authenticates with the token of the upgrade request (cookie,
//!   `Authorization` header or `access_token` query, as for the REST API), or
//!   afterwards with the action
//!   `{"seq": 1, "action": "authentication_challenge", "data": {"token": "..."}}`,
//!   answered `{"status": "OK", "seq_reply": 1}`. A bad token is answered
//!   `FAIL` and the socket closed.
//! - Once authenticated the server sends `hello` (`seq` 0), then events as
//!   they happen, numbered on from there: `posted`, `post_edited`,
//!   `post_deleted`, `reaction_added`, `reaction_removed` and
//!   `ephemeral_message`, each `{event, data, broadcast, seq}` with the post
//!   or reaction as a JSON *string* in `data`. Only users who may read the
//!   channel get its events.
//! - Other actions (`user_typing`, `get_statuses`...) are acknowledged with
//!   `OK`; `ping` is answered with `pong`.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chathooks_core::accounts::{self, Caller};
use chathooks_core::events::Event;
use chathooks_core::permissions::{can_read_channel, is_team_member};
use chathooks_dialect::WebSocketLimits;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::convert::{self, mattermost_name};
use chathooks_core::Core;
use chathooks_core::ids::new_id;
use chathooks_core::posts::{PROP_OVERRIDE_USERNAME, action_cookies};
use chathooks_core::store::{CHANNEL_OPEN, Channel, Post};

/// The version `hello` reports (the API generation chathooks stands in for).
const SERVER_VERSION: &str = "10.0.0";

/// Query parameters of the upgrade request.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct UpgradeQuery {
    access_token: Option<String>,
}

/// Close code for a failed authentication (RFC 6455 "policy violation").
const CLOSE_POLICY: u16 = 1008;

/// The WebSocket route's state: the core, and the limits the server was given.
#[derive(Clone)]
pub(crate) struct Shared {
    pub core: Arc<Core>,
    pub limits: WebSocketLimits,
}

pub(crate) async fn upgrade(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<UpgradeQuery>,
    socket: WebSocketUpgrade,
) -> Response {
    let token = token_of(&headers).or(query.access_token);
    let limits = shared.limits;
    // Nothing larger is read, before authentication or after (tungstenite
    // refuses a frame by its header, before reading its payload).
    socket
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        .on_upgrade(move |socket| serve(shared.core, socket, token, limits))
}

/// The token of the upgrade request, in the REST API's order: cookie, then
/// `Authorization: Bearer`/`Token`.
fn token_of(headers: &HeaderMap) -> Option<String> {
    let cookie = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "MMAUTHTOKEN")
        .map(|(_, value)| value.to_owned());
    cookie.or_else(|| {
        let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token")).then(|| token.trim().to_owned())
    })
}

/// One connection, until either side closes it or the server stops.
async fn serve(core: Arc<Core>, mut socket: WebSocket, token: Option<String>, limits: WebSocketLimits) {
    let mut connection = Connection {
        core,
        caller: None,
        seq: 0,
        id: new_id(),
    };
    // Subscribe first, so nothing published after the hello is missed.
    let mut events = connection.core.events.subscribe();
    if let Some(token) = token
        && let Ok(caller) = accounts::authenticate(&connection.core, &token).await
    {
        connection.caller = Some(caller);
        if send(&mut socket, connection.hello()).await.is_err() {
            return;
        }
    }
    let shutdown = connection.core.shutdown.clone();
    // Until it authenticates, a socket holds a task and a subscription for
    // nothing: it has this long to do so.
    let auth_deadline = tokio::time::sleep(limits.auth_timeout);
    tokio::pin!(auth_deadline);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            () = &mut auth_deadline, if connection.caller.is_none() => {
                close(&mut socket, "authentication timed out").await;
                return;
            }
            message = socket.recv() => {
                let Some(Ok(message)) = message else { return };
                let Message::Text(text) = message else { continue };
                match connection.action(&text).await {
                    Reply::Send(replies) => {
                        for reply in replies {
                            if send(&mut socket, reply).await.is_err() {
                                return;
                            }
                        }
                    }
                    Reply::Refuse(reply) => {
                        let _ = send(&mut socket, reply).await;
                        close(&mut socket, "authentication failed").await;
                        return;
                    }
                }
            }
            event = events.recv() => {
                let event = match event {
                    Ok(event) => event,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "a WebSocket client fell behind; events were dropped");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if connection.is_revoked_by(&event) {
                    close(&mut socket, "session ended").await;
                    return;
                }
                if let Some(message) = connection.event(&event).await
                    && send(&mut socket, message).await.is_err()
                {
                    return;
                }
            }
        }
    }
}

/// Close with "policy violation" and a reason, as for a refused token.
async fn close(socket: &mut WebSocket, reason: &'static str) {
    let frame = CloseFrame {
        code: CLOSE_POLICY,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn send(socket: &mut WebSocket, message: Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(message.to_string().into())).await
}

/// What to answer a client's action.
enum Reply {
    Send(Vec<Value>),
    /// Answer, then close the socket.
    Refuse(Value),
}

struct Connection {
    core: Arc<Core>,
    caller: Option<Caller>,
    /// The `seq` of the next event sent.
    seq: i64,
    id: String,
}

impl Connection {
    fn next_seq(&mut self) -> i64 {
        let seq = self.seq;
        self.seq += 1;
        seq
    }

    /// Whether `event` ended the credentials this socket authenticated with:
    /// its session or token, or every one of its user's.
    fn is_revoked_by(&self, event: &Event) -> bool {
        let (Some(caller), Event::AccessRevoked { user_id, token }) = (&self.caller, event) else {
            return false;
        };
        caller.user.id == *user_id && token.as_ref().is_none_or(|token| *token == caller.session.token)
    }

    fn hello(&mut self) -> Value {
        let user_id = self.caller.as_ref().map(|c| c.user.id.clone()).unwrap_or_default();
        let seq = self.next_seq();
        json!({
            "event": "hello",
            "data": {
                "server_version": SERVER_VERSION,
                "connection_id": self.id,
                "server_hostname": "chathooks",
            },
            "broadcast": broadcast(&user_id, "", ""),
            "seq": seq,
        })
    }

    async fn action(&mut self, text: &str) -> Reply {
        let Ok(request) = serde_json::from_str::<Value>(text) else {
            return Reply::Send(vec![fail(
                0,
                "api.web_socket_router.bad_action.app_error",
                "Invalid action.",
            )]);
        };
        let seq_reply = request.get("seq").and_then(Value::as_i64).unwrap_or(0);
        let action = request.get("action").and_then(Value::as_str).unwrap_or_default();
        if action == "authentication_challenge" {
            let token = request
                .pointer("/data/token")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return match accounts::authenticate(&self.core, token).await {
                Ok(caller) => {
                    let first = self.caller.is_none();
                    self.caller = Some(caller);
                    let mut replies = vec![json!({"status": "OK", "seq_reply": seq_reply})];
                    if first {
                        replies.push(self.hello());
                    }
                    Reply::Send(replies)
                }
                Err(_) => Reply::Refuse(fail(
                    seq_reply,
                    "api.web_socket_router.not_authenticated.app_error",
                    "Invalid or expired session, please login again.",
                )),
            };
        }
        if self.caller.is_none() {
            return Reply::Send(vec![fail(
                seq_reply,
                "api.web_socket_router.not_authenticated.app_error",
                "The WebSocket is not authenticated.",
            )]);
        }
        if action.is_empty() {
            return Reply::Send(vec![fail(
                seq_reply,
                "api.web_socket_router.bad_action.app_error",
                "Invalid action.",
            )]);
        }
        let mut reply = json!({"status": "OK", "seq_reply": seq_reply});
        if action == "ping" {
            reply["data"] =
                json!({"text": "pong", "version": SERVER_VERSION, "server_time": chathooks_core::store::now_ms()});
        }
        Reply::Send(vec![reply])
    }

    /// The message `event` becomes for this connection, if its user may see it.
    async fn event(&mut self, event: &Event) -> Option<Value> {
        let caller = self.caller.as_ref()?;
        let (name, data, channel) = match event {
            Event::PostCreated { post, channel, author } => {
                let sender = post
                    .props
                    .get(PROP_OVERRIDE_USERNAME)
                    .and_then(Value::as_str)
                    .filter(|name| !name.is_empty())
                    .map_or_else(|| format!("@{}", mattermost_name(&author.username)), str::to_owned);
                let data = json!({
                    "channel_display_name": display_name(&self.core, channel, &caller.user.id).await,
                    "channel_name": mattermost_name(&channel.name),
                    "channel_type": channel.channel_type,
                    "post": post_json(post),
                    "sender_name": sender,
                    "set_online": true,
                    "team_id": channel.team_id,
                });
                ("posted", data, channel)
            }
            Event::PostEdited { post, channel, .. } => ("post_edited", json!({"post": post_json(post)}), channel),
            Event::PostDeleted { post, channel, by } => (
                "post_deleted",
                json!({"post": post_json(post), "delete_by": by.id}),
                channel,
            ),
            Event::ReactionAdded { reaction, channel, .. } => {
                ("reaction_added", json!({"reaction": reaction_json(reaction)}), channel)
            }
            Event::ReactionRemoved { reaction, channel, .. } => (
                "reaction_removed",
                json!({"reaction": reaction_json(reaction)}),
                channel,
            ),
            Event::EphemeralPost { post, channel, user_id } => {
                if *user_id != caller.user.id {
                    return None;
                }
                // Its buttons carry cookies: the post is never stored, so a
                // click brings back what the server needs to know of it.
                let post = match action_cookies::keys(&self.core).await {
                    Ok(keys) => action_cookies::with_cookies(&keys, post),
                    Err(error) => {
                        tracing::warn!(%error, "no key for action cookies");
                        post.clone()
                    }
                };
                let seq = self.next_seq();
                return Some(json!({
                    "event": "ephemeral_message",
                    "data": {"post": post_json(&post)},
                    "broadcast": broadcast(user_id, &channel.id, ""),
                    "seq": seq,
                }));
            }
            Event::ChannelDeleted {
                channel, member_ids, ..
            } => {
                // The channel is gone, so who may read it is asked of what
                // it was: its members, and for a public channel its team.
                let told = member_ids.contains(&caller.user.id)
                    || (channel.channel_type == CHANNEL_OPEN
                        && is_team_member(&self.core, &caller.user, &channel.team_id)
                            .await
                            .unwrap_or(false));
                if !told {
                    return None;
                }
                let seq = self.next_seq();
                return Some(json!({
                    "event": "channel_deleted",
                    "data": {"channel_id": channel.id, "delete_at": chathooks_core::store::now_ms()},
                    "broadcast": broadcast("", "", &channel.team_id),
                    "seq": seq,
                }));
            }
            Event::DialogOpened { dialog } => {
                if dialog.user_id != caller.user.id {
                    return None;
                }
                // Mattermost sends the whole OpenDialogRequest as a JSON
                // string, the trigger id replaced by its client id.
                let request = json!({
                    "trigger_id": dialog.trigger_id,
                    "url": dialog.url,
                    "dialog": dialog.dialog,
                });
                let seq = self.next_seq();
                return Some(json!({
                    "event": "open_dialog",
                    "data": {"dialog": request.to_string()},
                    "broadcast": broadcast(&dialog.user_id, "", ""),
                    "seq": seq,
                }));
            }
            _ => return None,
        };
        match can_read_channel(&self.core, &caller.user, channel).await {
            Ok(true) => {}
            Ok(false) => return None,
            Err(error) => {
                tracing::warn!(%error, "WebSocket event not sent: permission check failed");
                return None;
            }
        }
        let seq = self.next_seq();
        Some(json!({
            "event": name,
            "data": data,
            "broadcast": broadcast("", &channel.id, ""),
            "seq": seq,
        }))
    }
}

fn broadcast(user_id: &str, channel_id: &str, team_id: &str) -> Value {
    json!({
        "omit_users": null,
        "user_id": user_id,
        "channel_id": channel_id,
        "team_id": team_id,
        "connection_id": "",
        "omit_connection_id": "",
    })
}

fn fail(seq_reply: i64, id: &str, message: &str) -> Value {
    json!({
        "status": "FAIL",
        "seq_reply": seq_reply,
        "error": {"id": id, "message": message, "detailed_error": "", "status_code": 400},
    })
}

/// The post as the REST API sends it, as a JSON string (clients parse it again).
fn post_json(post: &Post) -> String {
    serde_json::to_string(&convert::post(post)).unwrap_or_default()
}

fn reaction_json(reaction: &chathooks_core::store::Reaction) -> String {
    json!({
        "user_id": reaction.user_id,
        "post_id": reaction.post_id,
        "emoji_name": reaction.emoji_name,
        "create_at": reaction.create_at,
        "update_at": reaction.create_at,
        "delete_at": 0,
        "channel_id": reaction.channel_id,
    })
    .to_string()
}

/// A channel's display name as its viewer sees it: a direct channel is shown
/// as the other user's `@username`.
async fn display_name(core: &Core, channel: &Channel, viewer_id: &str) -> String {
    if channel.channel_type != chathooks_core::store::CHANNEL_DIRECT {
        return channel.display_name.clone();
    }
    let other = chathooks_core::channels::direct_channel_peer(&channel.name, viewer_id).to_owned();
    match core.read().get_user(&other).await {
        Ok(Some(user)) => format!("@{}", mattermost_name(&user.username)),
        _ => channel.display_name.clone(),
    }
}
