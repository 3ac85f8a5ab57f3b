//! Outgoing webhooks firing against real HTTP receivers on loopback: payloads
//! in both encodings, trigger rules, answers posted back, loop protection,
//! the internal-address guard, and that delivery never holds up a post but
//! does hold up shutdown.
//!
//! Nothing here measures time. "Did not fire" is proven by shutting the server
//! down (which waits for every delivery in flight) and then looking at what
//! the receiver got; "did not wait" by a receiver that cannot answer until the
//! test lets it, after the post has been created. Timeouts only keep a broken
//! server from hanging the tests.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use chathooks::ids::new_id;
use chathooks::store::{IncomingHook, OutgoingHook, Post, now_ms};
use chathooks_mattermost_types as types;
use chathooks_tests::{TestServer, World, create_channel};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};

/// Longest a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(10);

/// One request a receiver got.
#[derive(Debug)]
struct Call {
    path: String,
    content_type: String,
    accept: String,
    body: String,
}

impl Call {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The form fields, in the order sent.
    fn form(&self) -> Vec<(String, String)> {
        reqwest::Url::parse(&format!("http://form.invalid/?{}", self.body))
            .expect("form body parses as a query")
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

#[derive(Clone)]
struct ReceiverState {
    calls: mpsc::UnboundedSender<Call>,
    answer: Arc<String>,
    /// When set, each request waits for a permit before answering (after it
    /// has been recorded), so the test decides when callbacks complete.
    gate: Option<Arc<Semaphore>>,
}

/// A real HTTP server on 127.0.0.1 that records every request and answers
/// with a fixed body.
struct Receiver {
    base: String,
    calls: mpsc::UnboundedReceiver<Call>,
    gate: Option<Arc<Semaphore>>,
}

impl Receiver {
    async fn start(answer: &str) -> Self {
        Self::spawn(answer, None).await
    }

    /// A receiver whose answers wait for [`Receiver::release`].
    async fn gated(answer: &str) -> Self {
        Self::spawn(answer, Some(Arc::new(Semaphore::new(0)))).await
    }

    async fn spawn(answer: &str, gate: Option<Arc<Semaphore>>) -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let state = ReceiverState {
            calls: tx,
            answer: Arc::new(answer.to_owned()),
            gate: gate.clone(),
        };
        let app = axum::Router::new().fallback(record).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let base = format!("http://{}", listener.local_addr().expect("receiver address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, calls, gate }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next call, failing the test if none comes.
    async fn next(&mut self) -> Call {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .expect("the receiver was called in time")
            .expect("receiver running")
    }

    /// Every call received so far (use after the server has shut down).
    fn received(&mut self) -> Vec<Call> {
        std::iter::from_fn(|| self.calls.try_recv().ok()).collect()
    }

    fn release(&self, answers: usize) {
        self.gate.as_ref().expect("a gated receiver").add_permits(answers);
    }
}

async fn record(
    State(state): State<ReceiverState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl axum::response::IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let call = Call {
        path: uri.path().to_owned(),
        content_type: header("content-type"),
        accept: header("accept"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let _ = state.calls.send(call);
    if let Some(gate) = &state.gate
        && let Ok(permit) = gate.acquire().await
    {
        permit.forget();
    }
    ([("content-type", "application/json")], state.answer.to_string())
}

/// A server that may call receivers on 127.0.0.1.
async fn world_allowing_loopback() -> World {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
    })
    .await;
    server.allow_overrides_and_bots().await;
    World::build(server).await
}

/// A live outgoing hook created by alice in the team, as `adjust` leaves it.
async fn outgoing_hook(world: &World, adjust: impl FnOnce(&mut OutgoingHook)) -> OutgoingHook {
    let now = now_ms();
    let mut hook = OutgoingHook {
        id: new_id(),
        token: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        creator_id: world.member.user.id.clone(),
        channel_id: world.open_channel.id.clone(),
        team_id: world.team.id.clone(),
        trigger_words: Vec::new(),
        trigger_when: 0,
        callback_urls: Vec::new(),
        display_name: "Responder".into(),
        description: String::new(),
        content_type: "application/json".into(),
        username: String::new(),
        icon_url: String::new(),
    };
    adjust(&mut hook);
    chathooks::hooks::create_outgoing(&world.server.state.core, &hook)
        .await
        .expect("hook stored")
}

/// Bob posts `message` in `channel_id` through the API.
async fn post_as_bob(world: &World, channel_id: &str, message: &str, root_id: Option<&str>) -> types::Post {
    let request = world.other_member.client.create_post().body(types::CreatePostBody {
        channel_id: channel_id.into(),
        message: message.into(),
        file_ids: Vec::new(),
        props: Default::default(),
        root_id: root_id.map(str::to_owned),
    });
    tokio::time::timeout(PATIENCE, request.send())
        .await
        .expect("create_post answered in time")
        .expect("post created")
        .into_inner()
}

/// The posts of a channel, oldest first, straight from the store.
async fn stored_posts(state: &chathooks_tests::SharedState, channel_id: &str) -> Vec<Post> {
    let mut posts = state
        .read()
        .list_channel_posts(channel_id, 0, 200)
        .await
        .expect("posts listed");
    posts.reverse();
    posts
}

/// Wait until the channel holds `count` posts; returns them, oldest first.
async fn wait_for_posts(world: &World, channel_id: &str, count: usize) -> Vec<Post> {
    let wait = async {
        loop {
            let posts = stored_posts(&world.server.state, channel_id).await;
            if posts.len() >= count {
                return posts;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(PATIENCE, wait)
        .await
        .expect("the answer was posted in time")
}

/// Shut the server down, which waits for every delivery in flight.
async fn shut_down(world: World) {
    tokio::time::timeout(PATIENCE, world.server.shutdown())
        .await
        .expect("shutdown finished in time");
}

#[tokio::test]
async fn json_payload_carries_the_post_with_a_millisecond_timestamp() {
    let world = world_allowing_loopback().await;
    let mut receiver = Receiver::start("").await;
    let hook = outgoing_hook(&world, |h| {
        h.trigger_words = vec!["deploy".into()];
        h.callback_urls = vec![receiver.url("/hook")];
    })
    .await;
    let mut file_ids = Vec::new();
    for name in ["a.txt", "b.txt"] {
        let uploaded = world
            .other_member
            .client
            .upload_file()
            .channel_id(world.open_channel.id.clone())
            .filename(name)
            .body(name.as_bytes().to_vec())
            .send()
            .await
            .expect("file uploaded")
            .into_inner();
        file_ids.push(uploaded.file_infos[0].id.clone());
    }
    let request = world.other_member.client.create_post().body(types::CreatePostBody {
        channel_id: world.open_channel.id.clone(),
        message: "deploy  the thing".into(),
        file_ids: file_ids.clone(),
        props: Default::default(),
        root_id: None,
    });
    let post = request.send().await.expect("post created").into_inner();
    assert_eq!(post.file_ids, file_ids);

    let call = receiver.next().await;
    assert_eq!(
        (call.path.as_str(), call.content_type.as_str()),
        ("/hook", "application/json")
    );
    assert_eq!(call.accept, "application/json");
    let payload = call.json();
    assert_eq!(payload["token"], hook.token.as_str());
    assert_eq!(payload["team_id"], world.team.id.as_str());
    assert_eq!(payload["channel_id"], world.open_channel.id.as_str());
    assert_eq!(payload["user_id"], world.other_member.user.id.as_str());
    assert_eq!(payload["post_id"], post.id.as_str());
    assert_eq!(payload["timestamp"], post.create_at);
    assert_eq!(payload["file_ids"], file_ids.join(",").as_str());
    insta::assert_json_snapshot!("outgoing_json_payload", payload, {
        ".file_ids" => "[file_ids]",
        ".token" => "[token]",
        ".team_id" => "[team_id]",
        ".channel_id" => "[channel_id]",
        ".user_id" => "[user_id]",
        ".post_id" => "[post_id]",
        ".timestamp" => "[ms]",
    });
}

#[tokio::test]
async fn form_payload_has_every_field_and_a_timestamp_in_seconds() {
    let world = world_allowing_loopback().await;
    let mut receiver = Receiver::start("").await;
    let hook = outgoing_hook(&world, |h| {
        h.trigger_words = vec!["status?".into()];
        h.content_type = "application/x-www-form-urlencoded".into();
        h.callback_urls = vec![receiver.url("/form")];
    })
    .await;
    let post = post_as_bob(&world, &world.open_channel.id, "status? of prod & staging", None).await;

    let call = receiver.next().await;
    assert_eq!(call.content_type, "application/x-www-form-urlencoded");
    let expected = [
        ("channel_id", world.open_channel.id.clone()),
        ("channel_name", "town-square".into()),
        ("file_ids", String::new()),
        ("post_id", post.id.clone()),
        ("team_domain", "engineering".into()),
        ("team_id", world.team.id.clone()),
        ("text", "status? of prod & staging".into()),
        ("timestamp", (post.create_at / 1000).to_string()),
        ("token", hook.token.clone()),
        ("trigger_word", "status?".into()),
        ("user_id", world.other_member.user.id.clone()),
        ("user_name", "bob".into()),
    ];
    let expected: Vec<(String, String)> = expected.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    assert_eq!(call.form(), expected);
}

/// trigger_when 0 wants the first word to equal a trigger word, 1 to start
/// with one; team-wide hooks (no channel) need a trigger word; channel hooks
/// without trigger words fire on every post of their channel only; and nothing
/// fires in a private channel.
#[tokio::test]
async fn trigger_rules() {
    let world = world_allowing_loopback().await;
    let mut receiver = Receiver::start("").await;
    let other = create_channel(&world.admin, &world.team.id, "random", types::CreateChannelBodyType::O).await;
    for user in [&world.member, &world.other_member] {
        world
            .admin
            .client
            .add_channel_member()
            .channel_id(&other.id)
            .body(types::AddChannelMemberBody {
                user_id: user.user.id.clone(),
            })
            .send()
            .await
            .expect("member added");
    }
    outgoing_hook(&world, |h| {
        h.channel_id = String::new();
        h.trigger_words = vec!["build".into(), "ship".into()];
        h.trigger_when = 0;
        h.callback_urls = vec![receiver.url("/exact")];
    })
    .await;
    outgoing_hook(&world, |h| {
        h.channel_id = String::new();
        h.trigger_words = vec!["dep".into()];
        h.trigger_when = 1;
        h.callback_urls = vec![receiver.url("/prefix")];
    })
    .await;
    outgoing_hook(&world, |h| {
        h.channel_id = other.id.clone();
        h.callback_urls = vec![receiver.url("/channel")];
    })
    .await;

    let open = &world.open_channel.id;
    for message in [
        "build it",
        "builder",
        "xbuild",
        "deploy now",
        "de",
        "Build",
        "  ship\tit",
        "",
    ] {
        post_as_bob(&world, open, message, None).await;
    }
    post_as_bob(&world, &other.id, "anything at all", None).await;
    post_as_bob(&world, &other.id, "deployment", None).await;
    post_as_bob(&world, &world.private_channel.id, "build secret", None).await;
    post_as_bob(&world, &world.private_channel.id, "deploy secret", None).await;
    shut_down(world).await;

    let mut calls: Vec<(String, String, String)> = receiver
        .received()
        .into_iter()
        .map(|call| {
            let payload = call.json();
            let text = payload["text"].as_str().unwrap_or_default().to_owned();
            let word = payload["trigger_word"].as_str().unwrap_or_default().to_owned();
            (call.path, text, word)
        })
        .collect();
    calls.sort();
    let expected = [
        ("/channel", "anything at all", ""),
        ("/channel", "deployment", ""),
        ("/exact", "  ship\tit", "ship"),
        ("/exact", "build it", "build"),
        ("/prefix", "deploy now", "dep"),
        ("/prefix", "deployment", "dep"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
        .collect();
    assert_eq!(calls, expected);
}

#[tokio::test]
async fn the_answer_is_posted_and_does_not_fire_again() {
    let world = world_allowing_loopback().await;
    let answer = json!({
        "text": "pong <!here> <https://status.example.com|status>",
        "props": {"extra": 1, "from_webhook": "false"},
        "attachments": [{"text": "<https://a.example.com|A>"}],
    });
    let mut receiver = Receiver::start(&answer.to_string()).await;
    // Fires on every post of the channel: the answer post would fire it again
    // if webhook posts were not exempt.
    let hook = outgoing_hook(&world, |h| {
        h.callback_urls = vec![receiver.url("/answer")];
        h.username = "responder".into();
        h.icon_url = "https://example.com/r.png".into();
    })
    .await;
    let post = post_as_bob(&world, &world.open_channel.id, "ping", None).await;
    let posts = wait_for_posts(&world, &world.open_channel.id, 2).await;
    let reply = &posts[1];
    assert_eq!(reply.message, "pong @here [status](https://status.example.com)");
    assert_eq!(reply.user_id, hook.creator_id);
    assert_eq!(reply.root_id, "", "not a comment: a new root post");
    assert_eq!(reply.post_type, "slack_attachment");
    assert_eq!(
        reply.props,
        json!({
            "extra": 1,
            "from_webhook": "true",
            "webhook_display_name": "Responder",
            "override_username": "responder",
            "override_icon_url": "https://example.com/r.png",
            "attachments": [{"text": "[A](https://a.example.com)"}],
        })
    );
    assert_eq!(posts[0].id, post.id);

    let state = world.server.state.clone();
    let channel_id = world.open_channel.id.clone();
    shut_down(world).await;
    let calls = receiver.received();
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(stored_posts(&state, &channel_id).await.len(), 2);
}

#[tokio::test]
async fn a_comment_answer_replies_in_the_thread() {
    let world = world_allowing_loopback().await;
    let answer = json!({"text": "noted", "response_type": "comment", "username": "scribe"});
    let mut receiver = Receiver::start(&answer.to_string()).await;
    outgoing_hook(&world, |h| {
        h.trigger_words = vec!["note".into()];
        h.callback_urls = vec![receiver.url("/note")];
        h.username = "hook-name".into();
    })
    .await;
    let open = world.open_channel.id.clone();

    let root = post_as_bob(&world, &open, "note this", None).await;
    receiver.next().await;
    let posts = wait_for_posts(&world, &open, 2).await;
    assert_eq!(
        (posts[1].message.as_str(), posts[1].root_id.as_str()),
        ("noted", root.id.as_str())
    );
    assert_eq!(posts[1].props["override_username"], "scribe");

    // Triggered from inside a thread: the answer goes to the thread's root.
    post_as_bob(&world, &open, "note that too", Some(&root.id)).await;
    receiver.next().await;
    let posts = wait_for_posts(&world, &open, 4).await;
    assert_eq!(
        (posts[3].message.as_str(), posts[3].root_id.as_str()),
        ("noted", root.id.as_str())
    );
}

#[tokio::test]
async fn answers_without_text_or_json_post_nothing() {
    let world = world_allowing_loopback().await;
    let mut plain = Receiver::start("ok").await;
    let mut empty = Receiver::start(r#"{"username": "x", "text": ""}"#).await;
    outgoing_hook(&world, |h| {
        h.callback_urls = vec![plain.url("/plain"), empty.url("/empty")];
    })
    .await;
    post_as_bob(&world, &world.open_channel.id, "hello", None).await;
    let state = world.server.state.clone();
    let channel_id = world.open_channel.id.clone();
    shut_down(world).await;
    assert_eq!((plain.received().len(), empty.received().len()), (1, 1));
    assert_eq!(stored_posts(&state, &channel_id).await.len(), 1);
}

/// Without an allow list, callbacks to loopback are refused, whether the URL
/// names the address or a host that resolves to it; the post is unaffected.
#[tokio::test]
async fn internal_callbacks_are_refused_unless_allowed() {
    let world = World::new().await;
    let mut receiver = Receiver::start(r#"{"text": "should never be posted"}"#).await;
    let port = receiver.base.rsplit(':').next().expect("a port").to_owned();
    outgoing_hook(&world, |h| {
        h.callback_urls = vec![receiver.url("/ip"), format!("http://localhost:{port}/name")];
    })
    .await;
    let post = post_as_bob(&world, &world.open_channel.id, "hello", None).await;
    assert_eq!(post.message, "hello");
    let state = world.server.state.clone();
    let channel_id = world.open_channel.id.clone();
    shut_down(world).await;
    assert!(receiver.received().is_empty());
    assert_eq!(stored_posts(&state, &channel_id).await.len(), 1);
}

/// Posts made by incoming webhooks never fire outgoing ones.
#[tokio::test]
async fn incoming_webhook_posts_do_not_fire() {
    let world = world_allowing_loopback().await;
    let mut receiver = Receiver::start("").await;
    outgoing_hook(&world, |h| h.callback_urls = vec![receiver.url("/")]).await;
    let now = now_ms();
    let incoming = IncomingHook {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        user_id: world.member.user.id.clone(),
        channel_id: world.open_channel.id.clone(),
        team_id: world.team.id.clone(),
        display_name: String::new(),
        description: String::new(),
        username: String::new(),
        icon_url: String::new(),
        channel_locked: false,
    };
    chathooks::hooks::create_incoming(&world.server.state.core, &incoming)
        .await
        .expect("hook stored");
    let response = reqwest::Client::new()
        .post(format!("{}/hooks/{}", world.server.base, incoming.id))
        .json(&json!({"text": "from outside"}))
        .send()
        .await
        .expect("executed");
    assert_eq!(response.status(), 200);
    shut_down(world).await;
    assert!(receiver.received().is_empty());
}

/// All callback URLs are called at once: both requests arrive while neither
/// has been answered. And the post was created before any answer.
#[tokio::test]
async fn delivery_is_parallel_and_never_holds_up_the_post() {
    let world = world_allowing_loopback().await;
    let mut receiver = Receiver::gated(r#"{"text": "done"}"#).await;
    outgoing_hook(&world, |h| {
        h.callback_urls = vec![receiver.url("/one"), receiver.url("/two")];
    })
    .await;

    // create_post returns while the receiver cannot answer yet.
    let post = post_as_bob(&world, &world.open_channel.id, "go", None).await;
    let mut paths = vec![receiver.next().await.path, receiver.next().await.path];
    paths.sort();
    assert_eq!(paths, ["/one", "/two"]);
    assert_eq!(stored_posts(&world.server.state, &world.open_channel.id).await.len(), 1);

    receiver.release(2);
    let posts = wait_for_posts(&world, &world.open_channel.id, 3).await;
    assert_eq!(posts[0].id, post.id);
    assert_eq!((posts[1].message.as_str(), posts[2].message.as_str()), ("done", "done"));
}

/// Graceful shutdown waits for a delivery in flight, answer post included.
#[tokio::test]
async fn shutdown_waits_for_deliveries_in_flight() {
    let world = world_allowing_loopback().await;
    let mut receiver = Receiver::gated(r#"{"text": "late answer"}"#).await;
    outgoing_hook(&world, |h| h.callback_urls = vec![receiver.url("/slow")]).await;
    post_as_bob(&world, &world.open_channel.id, "go", None).await;
    receiver.next().await;

    let state = world.server.state.clone();
    let channel_id = world.open_channel.id.clone();
    let shutdown = tokio::spawn(shut_down(world));
    // It cannot finish while the receiver holds the answer back.
    tokio::task::yield_now().await;
    assert!(!shutdown.is_finished());
    receiver.release(1);
    shutdown.await.expect("shutdown task");

    let posts = stored_posts(&state, &channel_id).await;
    let messages: Vec<&str> = posts.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages, ["go", "late answer"]);
}
