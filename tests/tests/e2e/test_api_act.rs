//! The test API playing the human side (`/_chathooks/api/v1/act/...` and
//! `/dialogs`): posting, running a slash command, clicking a button, and
//! submitting or cancelling a dialog as a user who presents no token, each
//! answered with the exchange it caused. A real HTTP receiver on loopback
//! plays the integration; for a dialog it opens one with the trigger id it
//! got, through the Mattermost API, as a real integration does.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use chathooks::ids::new_id;
use chathooks::store::OutgoingHook;
use chathooks::store::now_ms;
use chathooks_mattermost_types as mm;
use chathooks_testapi_client::Client;
use chathooks_testapi_types as types;
use chathooks_tests::{TestServer, World};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Longest a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(10);

/// One request the receiver got.
#[derive(Debug)]
struct Call {
    path: String,
    body: String,
}

#[derive(Clone)]
struct ReceiverState {
    calls: mpsc::UnboundedSender<Call>,
    /// The receiver's own base URL (where dialogs submit to).
    base: String,
    /// The chat server's base URL (where dialogs are opened).
    server: String,
}

/// A real HTTP server on 127.0.0.1 playing the integration; what it answers
/// depends on the path it is called at (see [`answer`]).
struct Receiver {
    base: String,
    calls: mpsc::UnboundedReceiver<Call>,
}

impl Receiver {
    async fn start(server: &str) -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let base = format!("http://{}", listener.local_addr().expect("receiver address"));
        let app = axum::Router::new().fallback(answer).with_state(ReceiverState {
            calls: tx,
            base: base.clone(),
            server: server.to_owned(),
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, calls }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn next(&mut self) -> Call {
        tokio::time::timeout(PATIENCE, self.calls.recv())
            .await
            .expect("the receiver was called in time")
            .expect("receiver running")
    }
}

/// The value of `name` in a form body.
fn form_field(body: &str, name: &str) -> String {
    reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
        .expect("form body parses as a query")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn deploy_dialog() -> Value {
    json!({
        "callback_id": "deploy-42",
        "title": "Deploy",
        "state": "opaque",
        "notify_on_cancel": true,
        "elements": [{"display_name": "Service", "name": "service", "type": "text"}],
    })
}

async fn answer(State(state): State<ReceiverState>, uri: Uri, body: Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = String::from_utf8_lossy(&body).into_owned();
    let path = uri.path().to_owned();
    let answer = match path.as_str() {
        "/deploy" => json!({"response_type": "in_channel", "text": "deploying api v2"}),
        "/whisper" => json!({"text": "only you can see this"}),
        "/approve" => json!({"update": {"message": "approved"}, "ephemeral_text": "thanks"}),
        "/form" => {
            // Open a dialog with the trigger id, before answering, as
            // integrations do.
            let opened = reqwest::Client::new()
                .post(format!("{}/api/v4/actions/dialogs/open", state.server))
                .json(&json!({
                    "trigger_id": form_field(&body, "trigger_id"),
                    "url": format!("{}/submit", state.base),
                    "dialog": deploy_dialog(),
                }))
                .send()
                .await
                .expect("dialog open call");
            assert_eq!(opened.status(), 200, "{}", opened.text().await.unwrap_or_default());
            json!({})
        }
        "/submit" => {
            let submitted: Value = serde_json::from_str(&body).expect("a JSON submission");
            if submitted["submission"]["service"] == "nope" {
                json!({"errors": {"service": "no such service"}})
            } else {
                json!({})
            }
        }
        _ => json!({}),
    };
    let _ = state.calls.send(Call { path, body });
    ([("content-type", "application/json")], answer.to_string()).into_response()
}

/// A world whose server may call 127.0.0.1, with a receiver and the test
/// API's client.
async fn world() -> (World, Receiver, Client) {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
        config.callback_timeout = Duration::from_secs(5);
    })
    .await;
    server.allow_overrides_and_bots().await;
    let world = World::build(server).await;
    let receiver = Receiver::start(&world.server.base).await;
    let client = Client::new(&world.server.base);
    (world, receiver, client)
}

/// A slash command `/trigger` of the team calling the receiver at `path`.
async fn command(world: &World, receiver: &Receiver, trigger: &str, path: &str) {
    world
        .admin
        .client
        .create_command()
        .body(mm::CommandInput {
            team_id: Some(world.team.id.clone()),
            trigger: Some(trigger.into()),
            url: Some(receiver.url(path)),
            method: Some("P".into()),
            ..Default::default()
        })
        .send()
        .await
        .expect("command created");
}

async fn act_command(client: &Client, user: &str, channel: &str, line: &str) -> types::Exchange {
    client
        .act_command()
        .body(types::ActCommand {
            user: user.into(),
            channel: channel.into(),
            command: line.into(),
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .into_inner()
}

/// The status and error body of a refused call.
fn refusal<T: std::fmt::Debug>(
    result: Result<T, chathooks_testapi_client::Error<types::Error>>,
) -> (u16, types::Error) {
    match result {
        Err(chathooks_testapi_client::Error::ErrorResponse(response)) => {
            (response.status().as_u16(), response.into_inner())
        }
        other => panic!("expected an error answer, got {other:?}"),
    }
}

#[tokio::test]
async fn posting_as_a_user_fires_outgoing_webhooks() {
    let (world, mut receiver, client) = world().await;
    let now = now_ms();
    chathooks::hooks::create_outgoing(
        &world.server.state.core,
        &OutgoingHook {
            id: new_id(),
            token: new_id(),
            create_at: now,
            update_at: now,
            delete_at: 0,
            creator_id: world.admin.user.id.clone(),
            channel_id: world.open_channel.id.clone(),
            team_id: world.team.id.clone(),
            trigger_words: vec!["deploy".into()],
            trigger_when: 0,
            callback_urls: vec![receiver.url("/outgoing")],
            display_name: "Responder".into(),
            description: String::new(),
            content_type: "application/json".into(),
            username: String::new(),
            icon_url: String::new(),
        },
    )
    .await
    .expect("hook stored");

    let exchange = client
        .act_post()
        .body(types::ActPost {
            user: "alice".into(),
            channel: "engineering/town-square".into(),
            message: "deploy api".into(),
            root_id: None,
        })
        .send()
        .await
        .expect("posted")
        .into_inner();
    assert_eq!(exchange.posts_created.len(), 1, "{exchange:?}");
    let post = &exchange.posts_created[0];
    assert_eq!((post.username.as_str(), post.message.as_str()), ("alice", "deploy api"));
    assert_eq!(post.channel_id, world.open_channel.id);

    let call = receiver.next().await;
    assert_eq!(call.path, "/outgoing");
    let payload: Value = serde_json::from_str(&call.body).expect("JSON payload");
    assert_eq!(payload["user_name"], "alice");
    assert_eq!(payload["text"], "deploy api");
}

/// Rocket.Chat names rooms `#room`, without a team: the test API does too.
#[tokio::test]
async fn posting_in_a_rocketchat_room_by_its_name() {
    let (world, _receiver, client) = world().await;
    let exchange = client
        .act_post()
        .body(types::ActPost {
            user: world.admin.user.username.clone(),
            channel: "#general".into(),
            message: "hello rocket".into(),
            root_id: None,
        })
        .send()
        .await
        .expect("posted")
        .into_inner();
    assert_eq!(exchange.posts_created.len(), 1, "{exchange:?}");
    assert_eq!(exchange.posts_created[0].channel_name, "general");
    assert_eq!(exchange.posts_created[0].team_name, "rocketchat");
}

#[tokio::test]
async fn a_command_shows_its_call_its_answer_and_its_post() {
    let (world, mut receiver, client) = world().await;
    command(&world, &receiver, "deploy", "/deploy").await;

    let exchange = act_command(&client, "alice", &world.open_channel.id, "/deploy api v2").await;
    let call = receiver.next().await;
    assert_eq!(form_field(&call.body, "user_name"), "alice");
    assert_eq!(form_field(&call.body, "text"), "api v2");

    assert_eq!(exchange.calls.len(), 1, "{exchange:?}");
    let recorded = &exchange.calls[0];
    assert_eq!(
        (recorded.event.as_str(), recorded.api.as_str()),
        ("slash_command", "mattermost")
    );
    assert_eq!(recorded.status, types::DeliveryStatus::Delivered);
    assert_eq!(recorded.attempt_log.len(), 1);
    assert_eq!(exchange.answer["response_type"], "in_channel");
    assert_eq!(exchange.answer["text"], "deploying api v2");
    assert_eq!(exchange.posts_created.len(), 1, "{exchange:?}");
    assert_eq!(exchange.posts_created[0].message, "deploying api v2");
    assert_eq!(exchange.posts_created[0].channel_name, "town-square");
    assert!(exchange.ephemeral.is_empty());
}

#[tokio::test]
async fn an_ephemeral_answer_shows_under_ephemeral() {
    let (world, _receiver, client) = world().await;
    command(&world, &_receiver, "whisper", "/whisper").await;

    let exchange = act_command(&client, "alice", "engineering/town-square", "/whisper").await;
    assert!(exchange.posts_created.is_empty(), "{exchange:?}");
    assert_eq!(exchange.ephemeral.len(), 1, "{exchange:?}");
    assert_eq!(exchange.ephemeral[0].message, "only you can see this");
    assert_eq!(exchange.ephemeral[0].user_id, world.member.user.id);
}

#[tokio::test]
async fn a_click_with_an_update_shows_the_updated_post() {
    let (world, mut receiver, client) = world().await;
    let props = json!({"attachments": [{"text": "Deploy?", "actions": [
        {"id": "approve", "type": "button", "name": "Approve",
         "integration": {"url": receiver.url("/approve"), "context": {"step": 1}}}
    ]}]});
    // A post with buttons, made as an integration makes it.
    let post = world
        .admin
        .client
        .create_post()
        .body(mm::CreatePostBody {
            channel_id: world.open_channel.id.clone(),
            message: "release".into(),
            root_id: None,
            props: props.as_object().cloned().expect("an object"),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .expect("post created")
        .into_inner();

    let exchange = client
        .act_action()
        .body(types::ActAction {
            user: "alice".into(),
            post_id: post.id.clone(),
            action_id: "approve".into(),
            selected_option: None,
        })
        .send()
        .await
        .expect("clicked")
        .into_inner();
    let call = receiver.next().await;
    let payload: Value = serde_json::from_str(&call.body).expect("JSON payload");
    assert_eq!(payload["user_name"], "alice");
    assert_eq!(payload["context"]["step"], 1);

    assert_eq!(exchange.calls.len(), 1, "{exchange:?}");
    assert_eq!(exchange.calls[0].event, "post_action");
    assert_eq!(exchange.answer["status"], "OK");
    assert_eq!(exchange.posts_updated.len(), 1, "{exchange:?}");
    assert_eq!(exchange.posts_updated[0].id, post.id);
    assert_eq!(exchange.posts_updated[0].message, "approved");
    assert_eq!(exchange.ephemeral.len(), 1, "{exchange:?}");
    assert_eq!(exchange.ephemeral[0].message, "thanks");
}

#[tokio::test]
async fn a_dialog_opened_by_a_command_can_be_submitted_and_its_errors_come_back() {
    let (world, mut receiver, client) = world().await;
    command(&world, &receiver, "form", "/form").await;

    let exchange = act_command(&client, "alice", "engineering/town-square", "/form").await;
    assert_eq!(receiver.next().await.path, "/form");
    assert_eq!(exchange.dialogs_opened.len(), 1, "{exchange:?}");
    let opened = &exchange.dialogs_opened[0];
    assert_eq!(opened.username, "alice");
    assert_eq!(opened.dialog["callback_id"], "deploy-42");

    let listed = client
        .list_dialogs()
        .user("alice")
        .wait_ms(5000)
        .send()
        .await
        .expect("dialogs listed")
        .into_inner();
    assert_eq!(listed.dialogs.len(), 1);
    assert_eq!(listed.dialogs[0].id, opened.id);
    let none_for_bob = client
        .list_dialogs()
        .user("bob")
        .send()
        .await
        .expect("dialogs listed")
        .into_inner();
    assert!(none_for_bob.dialogs.is_empty());

    // Refused by the integration: its errors come back, the dialog stays.
    let submit = |service: &str| {
        let mut submission = serde_json::Map::new();
        submission.insert("service".into(), json!(service));
        client.submit_dialog().dialog_id(&opened.id).body(types::DialogSubmit {
            submission,
            channel: Some("engineering/town-square".into()),
        })
    };
    let refused = submit("nope").send().await.expect("submitted").into_inner();
    let call = receiver.next().await;
    assert_eq!(call.path, "/submit");
    let sent: Value = serde_json::from_str(&call.body).expect("JSON submission");
    assert_eq!(sent["callback_id"], "deploy-42");
    assert_eq!(sent["state"], "opaque");
    assert_eq!(sent["user_id"], world.member.user.id.as_str());
    assert_eq!(sent["channel_id"], world.open_channel.id.as_str());
    assert_eq!(sent["team_id"], world.team.id.as_str());
    assert_eq!(refused.calls.len(), 1, "{refused:?}");
    assert_eq!(refused.calls[0].event, "dialog_submission");
    assert_eq!(refused.answer["errors"]["service"], "no such service");
    assert!(
        client
            .list_dialogs()
            .user("alice")
            .send()
            .await
            .expect("listed")
            .into_inner()
            .dialogs
            .len()
            == 1,
        "a refused submission leaves the dialog open"
    );

    let accepted = submit("api").send().await.expect("submitted").into_inner();
    receiver.next().await;
    assert!(accepted.answer.is_empty(), "{accepted:?}");
    assert!(
        client
            .list_dialogs()
            .send()
            .await
            .expect("listed")
            .into_inner()
            .dialogs
            .is_empty()
    );
    let (status, error) = refusal(submit("api").send().await);
    assert_eq!((status, error.error.as_str()), (404, "unknown-dialog"));
}

#[tokio::test]
async fn cancelling_a_dialog_tells_the_integration_that_asked() {
    let (world, mut receiver, client) = world().await;
    command(&world, &receiver, "form", "/form").await;
    let exchange = act_command(&client, "alice", "engineering/town-square", "/form").await;
    receiver.next().await;
    let id = exchange.dialogs_opened[0].id.clone();

    let cancelled = client
        .cancel_dialog()
        .dialog_id(&id)
        .send()
        .await
        .expect("cancelled")
        .into_inner();
    let call = receiver.next().await;
    let sent: Value = serde_json::from_str(&call.body).expect("JSON submission");
    assert_eq!(sent["cancelled"], true);
    assert_eq!(cancelled.calls.len(), 1, "{cancelled:?}");
    assert!(
        client
            .list_dialogs()
            .send()
            .await
            .expect("listed")
            .into_inner()
            .dialogs
            .is_empty()
    );
    let (status, _) = refusal(client.cancel_dialog().dialog_id(&id).send().await);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn acts_the_api_would_refuse_answer_its_reason() {
    let (world, _receiver, client) = world().await;
    command(&world, &_receiver, "deploy", "/deploy").await;
    let post = |user: &str, channel: &str| {
        client.act_post().body(types::ActPost {
            user: user.into(),
            channel: channel.into(),
            message: "hello".into(),
            root_id: None,
        })
    };

    let (status, error) = refusal(post("nobody", "engineering/town-square").send().await);
    assert_eq!((status, error.error.as_str()), (404, "unknown-user"), "{error:?}");
    let (status, error) = refusal(post("mallory", "engineering/secret").send().await);
    assert_eq!((status, error.error.as_str()), (403, "forbidden"), "{error:?}");
    let (status, error) = refusal(post("alice", "engineering/nowhere").send().await);
    assert_eq!((status, error.error.as_str()), (400, "unknown-channel"), "{error:?}");

    let line = |user: &str, channel: &str, line: &str| {
        client.act_command().body(types::ActCommand {
            user: user.into(),
            channel: channel.into(),
            command: line.into(),
        })
    };
    let (status, error) = refusal(line("alice", "engineering/town-square", "/nosuch").send().await);
    assert_eq!((status, error.error.as_str()), (404, "refused"), "{error:?}");
    assert!(
        error.message.contains("Command with a trigger of 'nosuch' not found")
            && error
                .message
                .contains("api.command.execute_command.not_found.app_error"),
        "{error:?}"
    );
    let (status, error) = refusal(line("mallory", "engineering/secret", "/deploy").send().await);
    assert_eq!((status, error.error.as_str()), (403, "refused"), "{error:?}");
    let (status, _) = refusal(line("nobody", "engineering/town-square", "/deploy").send().await);
    assert_eq!(status, 404);

    let (status, error) = refusal(
        client
            .act_action()
            .body(types::ActAction {
                user: "alice".into(),
                post_id: new_id(),
                action_id: "approve".into(),
                selected_option: None,
            })
            .send()
            .await,
    );
    assert_eq!((status, error.error.as_str()), (403, "refused"), "{error:?}");
    let (status, error) = refusal(client.list_dialogs().user("nobody").send().await);
    assert_eq!((status, error.error.as_str()), (404, "unknown-user"), "{error:?}");
}

/// Whom one may act as: the active users by username, bots included,
/// deactivated ones left out, at most `limit`.
#[tokio::test]
async fn the_users_one_may_act_as_are_listed() {
    let (world, _receiver, client) = world().await;
    let usernames = |users: &[types::UserSummary]| users.iter().map(|u| u.username.clone()).collect::<Vec<_>>();
    let listed = client.list_users().send().await.expect("listed").into_inner().users;
    let names = usernames(&listed);
    for name in ["admin", "alice", "bob", "mallory"] {
        assert!(names.contains(&name.to_owned()), "{name} in {names:?}");
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "by username");
    let admin = listed.iter().find(|u| u.username == "admin").expect("admin listed");
    assert!(admin.system_admin && !admin.is_bot, "{admin:?}");
    let alice = listed.iter().find(|u| u.username == "alice").expect("alice listed");
    assert_eq!(alice.id, world.member.user.id);
    assert!(!alice.system_admin);

    // Deactivated: no longer listed.
    let core = &world.server.state.core;
    let mallory = core
        .read()
        .get_user(&world.outsider.user.id)
        .await
        .expect("read")
        .expect("mallory");
    chathooks::sessions::deactivate_user(core, &mallory)
        .await
        .expect("deactivated");
    let names = usernames(&client.list_users().send().await.expect("listed").into_inner().users);
    assert!(!names.contains(&"mallory".to_owned()), "{names:?}");

    let first = client
        .list_users()
        .limit(1)
        .send()
        .await
        .expect("listed")
        .into_inner()
        .users;
    assert_eq!(usernames(&first), [names[0].clone()]);
    let refused = reqwest::get(format!("{}/_chathooks/api/v1/users?limit=0", world.server.base))
        .await
        .expect("a limit of 0 is answered");
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.expect("a JSON error");
    assert_eq!(error["error"], "invalid-params", "{error}");
}
