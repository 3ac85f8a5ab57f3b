//! `GET /_chathooks/events`: the web UI's live updates, as Server-Sent Events.
//!
//! Each event of the core's bus becomes a small SSE event naming what changed
//! (`post` with the channel and post ids, `channel`, `delivery`, `dialog`
//! with the user it opened for...), and so
//! does each failing answer chaos makes (`chaos`); the page
//! then fetches the new state through the test API, so this stream never has
//! to carry (or keep in step with) the shapes the test API answers.
//!
//! - On connecting, the stream starts with `hello`; a page refetches
//!   everything then, which also covers what it missed while it was away
//!   (`EventSource` reconnects by itself).
//! - A subscriber that fell behind the bus or chaos (`RecvError::Lagged`)
//!   gets `resync`, which means the same.
//! - A comment every [`KEEP_ALIVE`] keeps proxies from closing an idle stream.
//! - The stream ends when the core shuts down, so open pages do not hold up a
//!   graceful shutdown.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_util::sync::CancellationToken;

use crate::chaos::Answer;
use crate::events::Event;
use crate::server::Shared;

/// How often an idle stream sends a keep-alive comment.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a browser waits before reconnecting a dropped stream.
const RETRY: Duration = Duration::from_secs(1);

/// The SSE endpoint.
pub async fn events(State(state): State<Shared>) -> Response {
    let stream = stream(
        state.core.events.subscribe(),
        state.chaos.subscribe(),
        state.core.shutdown.clone(),
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // Tells nginx-like proxies not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    response
}

/// What the stream is doing between two events.
enum Phase {
    /// Nothing sent yet: `hello` comes first.
    Start,
    Running,
}

struct Live {
    events: broadcast::Receiver<Arc<Event>>,
    chaos: broadcast::Receiver<Answer>,
    shutdown: CancellationToken,
    phase: Phase,
}

/// The SSE events for subscriptions to the bus and to chaos, until `shutdown`.
fn stream(
    events: broadcast::Receiver<Arc<Event>>,
    chaos: broadcast::Receiver<Answer>,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<SseEvent, Infallible>> + Send + 'static {
    let live = Live {
        events,
        chaos,
        shutdown,
        phase: Phase::Start,
    };
    futures_util::stream::unfold(live, |mut live| async move {
        if let Phase::Start = live.phase {
            live.phase = Phase::Running;
            let hello = SseEvent::default().event("hello").retry(RETRY).data("{}");
            return Some((Ok(hello), live));
        }
        loop {
            let received = tokio::select! {
                () = live.shutdown.cancelled() => return None,
                received = live.events.recv() => received.map(|event| describe(&event)),
                received = live.chaos.recv() => received.map(|answer| Some(describe_chaos(&answer))),
            };
            let sse = match received {
                Ok(Some((name, data))) => sse_event(name, &data),
                Ok(None) => continue,
                Err(RecvError::Lagged(missed)) => sse_event("resync", &json!({ "missed": missed })),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(sse), live));
        }
    })
}

fn sse_event(name: &str, data: &Value) -> SseEvent {
    SseEvent::default().event(name).data(data.to_string())
}

/// The SSE event name and data for a bus event; `None` for those the page
/// does not show (ephemeral posts are never stored, so the test API cannot
/// list them).
pub fn describe(event: &Event) -> Option<(&'static str, Value)> {
    let kind = event.name();
    Some(match event {
        Event::PostCreated { post, .. } | Event::PostEdited { post, .. } | Event::PostDeleted { post, .. } => (
            "post",
            json!({
                "kind": kind,
                "channel_id": post.channel_id,
                "id": post.id,
                "root_id": post.root_id,
            }),
        ),
        Event::ReactionAdded { reaction, .. } | Event::ReactionRemoved { reaction, .. } => (
            "post",
            json!({
                "kind": kind,
                "channel_id": reaction.channel_id,
                "id": reaction.post_id,
                "emoji_name": reaction.emoji_name,
            }),
        ),
        Event::ChannelCreated { channel, .. }
        | Event::ChannelJoined { channel, .. }
        | Event::ChannelLeft { channel, .. }
        | Event::ChannelArchived { channel, .. }
        | Event::ChannelDeleted { channel, .. } => (
            "channel",
            json!({ "kind": kind, "id": channel.id, "team_id": channel.team_id }),
        ),
        Event::UserCreated { user } => ("user", json!({ "kind": kind, "id": user.id })),
        Event::FileUploaded { file, .. } => (
            "file",
            json!({ "kind": kind, "id": file.id, "channel_id": file.channel_id }),
        ),
        Event::DeliveryFinished { job } => (
            "delivery",
            json!({
                "kind": kind,
                "id": job.id,
                "hook_id": job.hook_id,
                "status": job.status.as_str(),
                "attempts": job.attempts,
            }),
        ),
        // Only the id and whose: the page asks the test API for that user's
        // open dialogs when it acts as them.
        Event::DialogOpened { dialog } => (
            "dialog",
            json!({ "kind": kind, "id": dialog.id, "user_id": dialog.user_id }),
        ),
        Event::EphemeralPost { .. } | Event::AccessRevoked { .. } => return None,
    })
}

/// The SSE event for a failing answer chaos made.
pub fn describe_chaos(answer: &Answer) -> (&'static str, Value) {
    (
        "chaos",
        json!({
            "at": answer.at,
            "api": answer.api,
            "hook_id": answer.hook_id,
            "status": answer.status.as_u16(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;
    use crate::events::EventBus;

    fn user(id: &str) -> crate::store::User {
        crate::store::User {
            id: id.into(),
            create_at: 0,
            update_at: 0,
            delete_at: 0,
            username: id.into(),
            email: String::new(),
            email_verified: false,
            first_name: String::new(),
            last_name: String::new(),
            nickname: String::new(),
            password_hash: String::new(),
            last_password_update: 0,
            roles: String::new(),
            locale: String::new(),
            props: json!({}),
            notify_props: json!({}),
            timezone: json!({}),
            is_bot: false,
        }
    }

    /// The wire form of an SSE event, as a browser reads it.
    async fn wire(event: SseEvent) -> String {
        // An event's bytes are what an `Sse` body sends.
        let body = Sse::new(futures_util::stream::iter([Ok::<_, Infallible>(event)])).into_response();
        let bytes = axum::body::to_bytes(body.into_body(), 1 << 16)
            .await
            .expect("the body is read");
        String::from_utf8(bytes.to_vec()).expect("SSE is text")
    }

    #[tokio::test]
    async fn says_hello_then_each_event_then_ends_at_shutdown() {
        let bus = EventBus::default();
        let shutdown = CancellationToken::new();
        let (chaos, answers) = broadcast::channel(16);
        let mut stream = Box::pin(stream(bus.subscribe(), answers, shutdown.clone()));
        let hello = wire(stream.next().await.expect("hello").unwrap()).await;
        assert!(hello.starts_with("event: hello\n"), "{hello}");
        bus.publish(Event::UserCreated { user: user("u1") });
        let created = wire(stream.next().await.expect("an event").unwrap()).await;
        assert_eq!(
            created,
            "event: user\ndata: {\"kind\":\"user_created\",\"id\":\"u1\"}\n\n"
        );
        chaos
            .send(Answer {
                at: 7,
                api: "mattermost",
                hook_id: "h1".into(),
                status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
            })
            .unwrap();
        let failed = wire(stream.next().await.expect("a chaos event").unwrap()).await;
        assert_eq!(
            failed,
            "event: chaos\ndata: {\"at\":7,\"api\":\"mattermost\",\"hook_id\":\"h1\",\"status\":503}\n\n"
        );
        shutdown.cancel();
        assert!(stream.next().await.is_none(), "the stream ends at shutdown");
    }

    #[test]
    fn an_opened_dialog_names_its_user_and_nothing_of_its_form() {
        let dialog = crate::dialogs::OpenDialog {
            id: "d1".into(),
            dialect: "mattermost".into(),
            user_id: "u1".into(),
            url: "http://127.0.0.1:9/submit".into(),
            trigger_id: "t1".into(),
            dialog: json!({"title": "Secret form", "state": "opaque"}),
            opened_at: 7,
        };
        let (name, data) = describe(&Event::DialogOpened { dialog }).expect("the page is told");
        assert_eq!(name, "dialog");
        assert_eq!(data, json!({"kind": "dialog_opened", "id": "d1", "user_id": "u1"}));
    }

    #[tokio::test]
    async fn a_subscriber_that_fell_behind_is_told_to_resync() {
        let bus = EventBus::default();
        let (_chaos, answers) = broadcast::channel(16);
        let mut stream = Box::pin(stream(bus.subscribe(), answers, CancellationToken::new()));
        let hello = wire(stream.next().await.expect("hello").unwrap()).await;
        assert!(hello.starts_with("event: hello\n"), "{hello}");
        for n in 0..1100 {
            bus.publish(Event::UserCreated {
                user: user(&format!("u{n}")),
            });
        }
        let resync = wire(stream.next().await.expect("an event").unwrap()).await;
        assert!(resync.starts_with("event: resync\n"), "{resync}");
        // Then it goes on with what is still buffered.
        let next = wire(stream.next().await.expect("an event").unwrap()).await;
        assert!(next.starts_with("event: user\n"), "{next}");
    }
}
