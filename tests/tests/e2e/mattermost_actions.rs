//! Interactive messages on the Mattermost API: attachment actions get ids
//! when stored and never show their integration to clients (REST and
//! WebSocket), and a click (`POST /api/v4/posts/{id}/actions/{action_id}`)
//! calls a real HTTP receiver on loopback playing the integration: the
//! payload, each answer (update, ephemeral text, goto location) and each
//! way a click fails.
//!
//! Nothing here measures time: the slow receiver never answers, and the
//! server's short callback timeout is what ends the call.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chathooks::events::Event;
use chathooks_mattermost_types as types;
use chathooks_tests::{Session, TestServer, World, app_error};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Longest a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(10);

/// One request the receiver got.
#[derive(Debug)]
struct Call {
    content_type: String,
    body: Value,
}

/// How the receiver answers.
#[derive(Clone)]
enum Answer {
    /// Status and body (JSON when it parses as such).
    With(u16, String),
    /// Never (the server's timeout ends the call).
    Never,
}

#[derive(Clone)]
struct ReceiverState {
    calls: mpsc::UnboundedSender<Call>,
    answer: Answer,
}

/// A real HTTP server on 127.0.0.1 that records every request.
struct Receiver {
    base: String,
    calls: mpsc::UnboundedReceiver<Call>,
}

impl Receiver {
    async fn start(answer: Answer) -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let app = axum::Router::new()
            .fallback(record)
            .with_state(ReceiverState { calls: tx, answer });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let base = format!("http://{}", listener.local_addr().expect("receiver address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, calls }
    }

    async fn json(body: Value) -> Self {
        Self::start(Answer::With(200, body.to_string())).await
    }

    fn url(&self) -> String {
        format!("{}/act", self.base)
    }

    async fn next(&mut self) -> Call {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .expect("the receiver was called in time")
            .expect("receiver running")
    }
}

async fn record(State(state): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let _ = state.calls.send(Call {
        content_type,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    match state.answer {
        Answer::With(status, body) => (
            axum::http::StatusCode::from_u16(status).expect("a status"),
            [("content-type", "application/json")],
            body,
        )
            .into_response(),
        Answer::Never => std::future::pending().await,
    }
}

/// A world whose server may call 127.0.0.1 and gives up on a call after a
/// short timeout.
async fn world() -> World {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
        config.callback_timeout = Duration::from_millis(500);
    })
    .await;
    World::build(server).await
}

/// Props of a post with one attachment holding `actions`.
fn with_actions(actions: Value) -> Map<String, Value> {
    json!({"attachments": [{"text": "Deploy api v2?", "actions": actions}]})
        .as_object()
        .cloned()
        .expect("an object")
}

/// A button calling `url` with `context`, without an id.
fn button(url: &str, context: Value) -> Value {
    json!({"type": "button", "name": "Approve", "integration": {"url": url, "context": context}})
}

async fn post_with(session: &Session, channel_id: &str, props: Map<String, Value>) -> types::Post {
    session
        .client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: channel_id.into(),
            message: "release".into(),
            root_id: None,
            props,
            file_ids: Vec::new(),
        })
        .send()
        .await
        .expect("post created")
        .into_inner()
}

/// The actions of a post as a client got them.
fn actions_of(props: &Map<String, Value>) -> Vec<Value> {
    props["attachments"][0]["actions"]
        .as_array()
        .cloned()
        .expect("the attachment's actions")
}

/// The id of the post's action at `index`.
fn action_id(post: &types::Post, index: usize) -> String {
    actions_of(&post.props)[index]["id"]
        .as_str()
        .expect("an action id")
        .to_owned()
}

async fn click(
    session: &Session,
    post_id: &str,
    action_id: &str,
    selected_option: Option<&str>,
) -> Result<types::PostActionApiResponse, chathooks_mattermost_client::Error<types::AppError>> {
    session
        .client
        .do_post_action()
        .post_id(post_id)
        .action_id(action_id)
        .body(types::DoPostActionRequest {
            selected_option: selected_option.map(Into::into),
            cookie: None,
        })
        .send()
        .await
        .map(|answer| answer.into_inner())
}

async fn click_error(session: &Session, post_id: &str, action_id: &str) -> (u16, String) {
    let (status, error) = app_error(click(session, post_id, action_id, None).await);
    (status, error.id)
}

async fn get_post(session: &Session, id: &str) -> types::Post {
    session
        .client
        .get_post()
        .post_id(id)
        .send()
        .await
        .expect("post read")
        .into_inner()
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next event (not a reply) on `socket`.
async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("a message");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("JSON message");
            if value.get("event").is_some() && value["event"] != "hello" {
                return value;
            }
        }
    }
}

async fn connect(world: &World, session: &Session) -> Socket {
    let url = format!("{}/api/v4/websocket", world.server.base.replacen("http://", "ws://", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.expect("connected");
    let challenge = json!({"seq": 1, "action": "authentication_challenge", "data": {"token": session.token}});
    socket.send(Message::Text(challenge.to_string().into())).await.unwrap();
    // The reply, then hello.
    for _ in 0..2 {
        tokio::time::timeout(PATIENCE, socket.next()).await.unwrap();
    }
    socket
}

/// The post carried by an event, parsed from its JSON string.
fn carried_post(event: &Value) -> Value {
    serde_json::from_str(event["data"]["post"].as_str().expect("post as a JSON string")).unwrap()
}

#[tokio::test]
async fn actions_get_ids_and_clients_never_see_their_integration() {
    let world = world().await;
    let receiver = Receiver::json(json!({})).await;
    let mut socket = connect(&world, &world.other_member).await;
    let props = with_actions(json!([
        button(&receiver.url(), json!({"secret": "s3"})),
        {"type": "select", "name": "Pick", "options": [{"text": "One", "value": "1"}],
         "integration": {"url": receiver.url()}},
        {"type": "select", "name": "Who", "data_source": "users", "integration": {"url": receiver.url()}},
        {"id": "keepme", "type": "button", "name": "Mine", "integration": {"url": receiver.url()}},
    ]));
    let created = post_with(&world.member, &world.open_channel.id, props).await;

    let check = |actions: Vec<Value>, seen_in: &str| {
        assert_eq!(actions.len(), 4, "{seen_in}");
        for action in &actions {
            assert!(action.get("integration").is_none(), "{seen_in}: {action}");
            let id = action["id"].as_str().expect("an id");
            assert!(
                !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()),
                "{seen_in}: {id}"
            );
        }
        assert_eq!(actions[3]["id"], "keepme", "{seen_in}: given ids are kept");
        assert_eq!(actions[1]["options"], json!([{"text": "One", "value": "1"}]));
        assert_eq!(actions[2]["data_source"], "users");
    };
    check(actions_of(&created.props), "the create answer");
    let read = get_post(&world.other_member, &created.id).await;
    check(actions_of(&read.props), "a read");
    assert_eq!(action_id(&read, 0), action_id(&created, 0), "ids are stored");
    let posted = next_event(&mut socket).await;
    assert_eq!(posted["event"], "posted");
    let carried = carried_post(&posted);
    check(
        actions_of(carried["props"].as_object().expect("props")),
        "the posted event",
    );

    // The server keeps the integration.
    let stored = world
        .server
        .state
        .core
        .read()
        .get_post(&created.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        stored.props["attachments"][0]["actions"][0]["integration"]["context"],
        json!({"secret": "s3"})
    );
}

#[tokio::test]
async fn a_slash_command_answers_actions_get_ids_too() {
    let world = world().await;
    let actions = Receiver::json(json!({})).await;
    let answer = json!({
        "response_type": "in_channel",
        "text": "approve?",
        "attachments": [{"text": "v2", "actions": [button(&actions.url(), json!({}))]}],
    });
    let command = Receiver::json(answer).await;
    world
        .admin
        .client
        .create_command()
        .body(types::CommandInput {
            team_id: Some(world.team.id.clone()),
            trigger: Some("approve".into()),
            url: Some(format!("{}/cmd", command.base)),
            method: Some("P".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("command created");
    world
        .member
        .client
        .execute_command()
        .body(types::ExecuteCommandBody {
            channel_id: world.open_channel.id.clone(),
            command: "/approve".into(),
            team_id: None,
            root_id: None,
            parent_id: None,
        })
        .send()
        .await
        .expect("command ran");
    let list = world
        .member
        .client
        .get_posts_for_channel()
        .channel_id(&world.open_channel.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let post = list
        .posts
        .values()
        .find(|p| p.message == "approve?")
        .expect("the answer was posted");
    let action = &actions_of(&post.props)[0];
    assert!(action["id"].as_str().is_some_and(|id| !id.is_empty()), "{action}");
    assert!(action.get("integration").is_none(), "{action}");
}

#[tokio::test]
async fn a_button_click_calls_the_integration_with_its_context() {
    let world = world().await;
    let mut receiver = Receiver::json(json!({})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({"deploy": "api", "n": 2}))])),
    )
    .await;
    let clicker = &world.other_member;

    let answer = click(clicker, &post.id, &action_id(&post, 0), None)
        .await
        .expect("clicked");
    assert_eq!(answer.status, "OK");
    assert!(!answer.trigger_id.is_empty());
    assert_eq!(answer.goto_location, None);

    let call = receiver.next().await;
    assert_eq!(call.content_type, "application/json");
    let body = call.body;
    assert_eq!(body["user_id"], clicker.user.id.as_str());
    assert_eq!(body["user_name"], clicker.user.username.as_str());
    assert_eq!(body["channel_id"], world.open_channel.id.as_str());
    assert_eq!(body["channel_name"], world.open_channel.name.as_str());
    assert_eq!(body["team_id"], world.team.id.as_str());
    assert_eq!(body["team_domain"], "engineering");
    assert_eq!(body["post_id"], post.id.as_str());
    assert_eq!(body["type"], "button");
    assert_eq!(body["data_source"], "");
    assert!(body["trigger_id"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(body["context"], json!({"deploy": "api", "n": 2}));

    // The click's call is in the delivery history, under the action's id.
    let history = chathooks_testapi_client::Client::new(&world.server.base)
        .list_deliveries()
        .hook(action_id(&post, 0))
        .send()
        .await
        .expect("deliveries listed")
        .into_inner()
        .deliveries;
    assert_eq!(history.len(), 1, "{history:#?}");
    assert_eq!(history[0].event, "post_action");
    assert_eq!(history[0].status, chathooks_testapi_types::DeliveryStatus::Delivered);
    assert_eq!(history[0].url, receiver.url());
}

#[tokio::test]
async fn a_menu_choice_is_sent_as_selected_option() {
    let world = world().await;
    let mut receiver = Receiver::json(json!({})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([
            {"type": "select", "name": "Who", "data_source": "users",
             "integration": {"url": receiver.url(), "context": {"step": "assign"}}}
        ])),
    )
    .await;
    click(&world.member, &post.id, &action_id(&post, 0), Some("someone"))
        .await
        .expect("picked");
    let body = receiver.next().await.body;
    assert_eq!(body["type"], "select");
    assert_eq!(body["data_source"], "users");
    assert_eq!(body["context"], json!({"step": "assign", "selected_option": "someone"}));
}

#[tokio::test]
async fn an_update_answer_replaces_the_post_and_keeps_what_marks_it() {
    let world = world().await;
    let receiver = Receiver::json(json!({"update": {
        "message": "Approved by alice",
        "props": {
            "override_username": "forged",
            "attachments": [{"text": "done", "actions": [{"type": "button", "name": "Undo",
                "integration": {"url": "http://127.0.0.1:9/undo"}}]}]
        }
    }}))
    .await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({}))])),
    )
    .await;
    let mut events = world.server.state.core.events.subscribe();

    click(&world.other_member, &post.id, &action_id(&post, 0), None)
        .await
        .expect("clicked");

    let updated = get_post(&world.member, &post.id).await;
    assert_eq!(updated.message, "Approved by alice");
    assert_ne!(updated.edit_at, 0);
    assert!(
        updated.props.get("override_username").is_none(),
        "an update cannot add the override the post did not have"
    );
    let actions = actions_of(&updated.props);
    assert_eq!(actions[0]["name"], "Undo");
    assert!(
        actions[0]["id"].as_str().is_some_and(|id| !id.is_empty()),
        "ids assigned again"
    );
    assert!(actions[0].get("integration").is_none());
    let edited = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Event::PostEdited { post, .. } = events.recv().await.expect("events flow").as_ref() {
                return post.clone();
            }
        }
    })
    .await
    .expect("post_edited was sent");
    assert_eq!(edited.message, "Approved by alice");
}

#[tokio::test]
async fn an_update_without_props_keeps_the_old_ones() {
    let world = world().await;
    let receiver = Receiver::json(json!({"update": {"message": "still here"}})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({}))])),
    )
    .await;
    let id = action_id(&post, 0);
    click(&world.member, &post.id, &id, None).await.expect("clicked");
    let updated = get_post(&world.member, &post.id).await;
    assert_eq!(updated.message, "still here");
    assert_eq!(action_id(&updated, 0), id);
    // The kept action still works.
    click(&world.member, &post.id, &id, None).await.expect("clicked again");
}

#[tokio::test]
async fn an_ephemeral_answer_reaches_the_clicker_only() {
    let world = world().await;
    let receiver = Receiver::json(json!({"ephemeral_text": "Only <https://example.com|you> see this"})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({}))])),
    )
    .await;
    let mut clicker_socket = connect(&world, &world.other_member).await;
    let mut author_socket = connect(&world, &world.member).await;

    click(&world.other_member, &post.id, &action_id(&post, 0), None)
        .await
        .expect("clicked");

    let shown = next_event(&mut clicker_socket).await;
    assert_eq!(shown["event"], "ephemeral_message");
    let message = carried_post(&shown);
    assert_eq!(message["message"], "Only [you](https://example.com) see this");
    assert_eq!(message["root_id"], post.id.as_str());
    assert_eq!(message["user_id"], world.other_member.user.id.as_str());

    // The author's next event is the next post, not the ephemeral one.
    post_with(&world.admin, &world.open_channel.id, Map::new()).await;
    assert_eq!(next_event(&mut author_socket).await["event"], "posted");
    let list = world
        .member
        .client
        .get_posts_for_channel()
        .channel_id(&world.open_channel.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        list.posts.values().all(|p| !p.message.contains("see this")),
        "never stored"
    );
}

#[tokio::test]
async fn skip_slack_parsing_keeps_the_ephemeral_text_as_sent() {
    let world = world().await;
    let receiver =
        Receiver::json(json!({"ephemeral_text": "<https://example.com|raw>", "skip_slack_parsing": true})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({}))])),
    )
    .await;
    let mut socket = connect(&world, &world.member).await;
    click(&world.member, &post.id, &action_id(&post, 0), None)
        .await
        .expect("clicked");
    let shown = next_event(&mut socket).await;
    assert_eq!(carried_post(&shown)["message"], "<https://example.com|raw>");
}

#[tokio::test]
async fn goto_location_is_handed_to_the_clicker() {
    let world = world().await;
    let receiver = Receiver::json(json!({"goto_location": "https://example.com/deploys/42"})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({}))])),
    )
    .await;
    let answer = click(&world.member, &post.id, &action_id(&post, 0), None)
        .await
        .expect("clicked");
    assert_eq!(answer.goto_location.as_deref(), Some("https://example.com/deploys/42"));
}

#[tokio::test]
async fn failed_clicks_get_mattermosts_errors() {
    let world = world().await;
    let ok = Receiver::json(json!({})).await;
    // A JSON body, so that only the status makes the call fail.
    let failing = Receiver::start(Answer::With(503, "{}".into())).await;
    let slow = Receiver::start(Answer::Never).await;
    let garbled = Receiver::start(Answer::With(200, "{not json".into())).await;
    let down = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([
            button(&ok.url(), json!({})),
            button(&failing.url(), json!({})),
            button(&slow.url(), json!({})),
            button(&garbled.url(), json!({})),
            button(&down, json!({})),
            {"type": "button", "name": "Nowhere"},
        ])),
    )
    .await;
    let alice = &world.member;
    let integration_error = (400, "api.post.do_action.action_integration.app_error".to_owned());
    for index in 1..=4 {
        assert_eq!(
            click_error(alice, &post.id, &action_id(&post, index)).await,
            integration_error,
            "action {index}"
        );
    }
    let not_found = (404, "api.post.do_action.action_id.app_error".to_owned());
    assert_eq!(click_error(alice, &post.id, "nosuchaction").await, not_found);
    assert_eq!(
        click_error(alice, &post.id, &action_id(&post, 5)).await,
        not_found,
        "an action without integration"
    );

    // Not in the team: may not read the channel.
    let ok_id = action_id(&post, 0);
    assert_eq!(click_error(&world.outsider, &post.id, &ok_id).await.0, 403);
    // A post that does not exist fails the permission check, except for admins.
    let missing = "abcdefghijklmnopqrstuvwxyz";
    assert_eq!(click_error(alice, missing, &ok_id).await.0, 403);
    assert_eq!(
        click_error(&world.admin, missing, &ok_id).await,
        (404, "app.post.get.app_error".into())
    );
    assert_eq!(click_error(alice, "not-an-id", &ok_id).await.0, 400);

    // A cookie cannot be read: chathooks issues none.
    let (status, error) = app_error(
        alice
            .client
            .do_post_action()
            .post_id(&post.id)
            .action_id(&ok_id)
            .body(types::DoPostActionRequest {
                selected_option: None,
                cookie: Some("c29tZXRoaW5n".into()),
            })
            .send()
            .await,
    );
    assert_eq!((status, error.id), integration_error);

    // A body is optional.
    let status = reqwest::Client::new()
        .post(format!(
            "{}/api/v4/posts/{}/actions/{ok_id}",
            world.server.base, post.id
        ))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);

    // A deleted post is gone.
    alice
        .client
        .delete_post()
        .post_id(&post.id)
        .send()
        .await
        .expect("deleted");
    assert_eq!(
        click_error(alice, &post.id, &ok_id).await,
        (404, "app.post.get.app_error".into())
    );
}

#[tokio::test]
async fn clicks_cannot_reach_internal_addresses_unless_allowed() {
    // The default server refuses loopback receivers.
    let world = World::new().await;
    let mut receiver = Receiver::json(json!({})).await;
    let post = post_with(
        &world.member,
        &world.open_channel.id,
        with_actions(json!([button(&receiver.url(), json!({}))])),
    )
    .await;
    assert_eq!(
        click_error(&world.member, &post.id, &action_id(&post, 0)).await,
        (400, "api.post.do_action.action_integration.app_error".into())
    );
    assert!(receiver.calls.try_recv().is_err(), "the receiver was never called");
}

/// A click that sends `cookie` (what a client does for an ephemeral post).
async fn click_with_cookie(
    session: &Session,
    post_id: &str,
    action_id: &str,
    cookie: &str,
) -> Result<types::PostActionApiResponse, chathooks_mattermost_client::Error<types::AppError>> {
    session
        .client
        .do_post_action()
        .post_id(post_id)
        .action_id(action_id)
        .body(types::DoPostActionRequest {
            selected_option: None,
            cookie: Some(cookie.into()),
        })
        .send()
        .await
        .map(|answer| answer.into_inner())
}

#[tokio::test]
async fn a_button_on_an_ephemeral_answer_works_through_its_cookie() {
    let world = world().await;
    let mut integration = Receiver::json(json!({"update": {"message": "deployed"}, "ephemeral_text": "on it"})).await;
    let answer = json!({
        "text": "deploy?",
        "attachments": [{"text": "v2", "actions": [button(&integration.url(), json!({"deploy": "v2"}))]}],
    });
    let command = Receiver::json(answer).await;
    world
        .admin
        .client
        .create_command()
        .body(types::CommandInput {
            team_id: Some(world.team.id.clone()),
            trigger: Some("deploy".into()),
            url: Some(format!("{}/cmd", command.base)),
            method: Some("P".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("command created");
    let mut socket = connect(&world, &world.member).await;
    world
        .member
        .client
        .execute_command()
        .body(types::ExecuteCommandBody {
            channel_id: world.open_channel.id.clone(),
            command: "/deploy".into(),
            team_id: None,
            root_id: None,
            parent_id: None,
        })
        .send()
        .await
        .expect("command ran");
    let event = next_event(&mut socket).await;
    assert_eq!(event["event"], "ephemeral_message");
    let shown = carried_post(&event);
    let action = &shown["props"]["attachments"][0]["actions"][0];
    assert!(action.get("integration").is_none(), "{action}");
    let cookie = action["cookie"].as_str().expect("a cookie").to_owned();
    assert!(!cookie.contains("deploy"), "the context is not readable: {cookie}");
    let post_id = shown["id"].as_str().expect("an id").to_owned();
    let action_id = action["id"].as_str().expect("an action id").to_owned();

    // Never stored, so without its cookie the click finds nothing.
    assert_eq!(click_error(&world.member, &post_id, &action_id).await.0, 403);

    click_with_cookie(&world.member, &post_id, &action_id, &cookie)
        .await
        .expect("clicked");
    let call = integration.next().await;
    assert_eq!(call.body["context"], json!({"deploy": "v2"}));
    assert_eq!(call.body["post_id"], post_id.as_str());
    assert_eq!(call.body["channel_id"], world.open_channel.id.as_str());
    assert_eq!(call.body["user_id"], world.member.user.id.as_str());
    assert_eq!(call.body["team_id"], world.team.id.as_str());
    // The update is shown to the clicker in place of the post, buttons
    // gone with it; then the ephemeral text, in its thread.
    let updated = carried_post(&next_event(&mut socket).await);
    assert_eq!(updated["id"], post_id.as_str());
    assert_eq!(updated["message"], "deployed");
    let text = carried_post(&next_event(&mut socket).await);
    assert_eq!(text["message"], "on it");
    assert_eq!(text["root_id"], post_id.as_str());

    // A forged or changed cookie is refused before anything is called.
    let integration_error = (400, "api.post.do_action.action_integration.app_error".to_owned());
    let mut changed = cookie.clone().into_bytes();
    changed[30] = if changed[30] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    for forged in [changed.as_str(), "bm90IGEgY29va2ll", "!!"] {
        let (status, error) = app_error(click_with_cookie(&world.member, &post_id, &action_id, forged).await);
        assert_eq!((status, error.id), integration_error, "{forged}");
    }
    // A real cookie names its own post only.
    let other_post = "a".repeat(26);
    let (status, error) = app_error(click_with_cookie(&world.member, &other_post, &action_id, &cookie).await);
    assert_eq!((status, error.id), integration_error);
    // Someone who may not read the channel cannot use it.
    let (status, _) = app_error(click_with_cookie(&world.outsider, &post_id, &action_id, &cookie).await);
    assert_eq!(status, 403);
    assert!(
        tokio::time::timeout(Duration::from_millis(200), integration.calls.recv())
            .await
            .is_err(),
        "no refused click reached the integration"
    );
}
