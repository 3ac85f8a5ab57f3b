//! Interactive dialogs on the Mattermost API: a slash command hands its
//! receiver a signed trigger id, the receiver (played by the test, as the
//! integration) opens a dialog with it, the user's WebSocket shows it, and
//! the user's submission reaches a real HTTP receiver on loopback whose
//! answer comes back. Trigger ids that are malformed, forged or expired are
//! refused with Mattermost's error ids.
//!
//! Nothing here measures time: the expired trigger id comes from a server
//! whose trigger timeout is one millisecond.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chathooks::dialogs;
use chathooks_mattermost_types as types;
use chathooks_tests::{Session, TestServer, World, app_error, create_channel};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Longest a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(10);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One request the receiver got.
#[derive(Debug)]
struct Call {
    path: String,
    content_type: String,
    body: String,
}

impl Call {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    /// A field of a form body.
    fn form(&self, name: &str) -> String {
        reqwest::Url::parse(&format!("http://form.invalid/?{}", self.body))
            .expect("a form body")
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
    }
}

#[derive(Clone)]
struct ReceiverState {
    calls: mpsc::UnboundedSender<Call>,
    status: u16,
    content_type: &'static str,
    body: String,
}

/// A real HTTP server on 127.0.0.1 that records every request and answers
/// each the same way.
struct Receiver {
    base: String,
    calls: mpsc::UnboundedReceiver<Call>,
}

impl Receiver {
    async fn start(status: u16, content_type: &'static str, body: &str) -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let app = axum::Router::new().fallback(record).with_state(ReceiverState {
            calls: tx,
            status,
            content_type,
            body: body.to_owned(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver binds");
        let base = format!("http://{}", listener.local_addr().expect("receiver address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, calls }
    }

    async fn json(body: Value) -> Self {
        Self::start(200, "application/json", &body.to_string()).await
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

    /// Whether a call is waiting (the calls a test makes are awaited, so a
    /// call that happened has been recorded).
    fn called(&mut self) -> bool {
        self.calls.try_recv().is_ok()
    }
}

async fn record(
    State(state): State<ReceiverState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let _ = state.calls.send(Call {
        path: uri.path().to_owned(),
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    (
        axum::http::StatusCode::from_u16(state.status).expect("a status"),
        [("content-type", state.content_type)],
        state.body,
    )
        .into_response()
}

/// A URL nothing listens on.
async fn closed_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}/submit")
}

async fn world_with(trigger_timeout: Duration) -> World {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
        config.callback_timeout = Duration::from_secs(5);
        config.dialog_trigger_timeout = trigger_timeout;
    })
    .await;
    let world = World::build(server).await;
    world
        .admin
        .client
        .update_team_member_roles()
        .team_id(&world.team.id)
        .user_id(&world.other_member.user.id)
        .body(types::UpdateTeamMemberRolesBody {
            roles: "team_user team_admin".into(),
        })
        .send()
        .await
        .expect("bob made team admin");
    world
}

async fn world() -> World {
    world_with(Duration::from_secs(30)).await
}

/// Bob makes `/dialog` calling `receiver`; `user` runs it in the open
/// channel; the trigger id the receiver got.
async fn trigger_id(world: &World, receiver: &mut Receiver, user: &Session) -> String {
    let command = world
        .other_member
        .client
        .create_command()
        .body(types::CommandInput {
            team_id: Some(world.team.id.clone()),
            trigger: Some("dialog".into()),
            url: Some(receiver.url("/command")),
            method: Some("P".into()),
            ..Default::default()
        })
        .send()
        .await;
    // A second call in the same world finds the command made.
    if let Err(error) = command {
        assert_eq!(
            app_error(Err::<(), _>(error)).1.id,
            "api.command.duplicate_trigger.app_error"
        );
    }
    let answer = user
        .client
        .execute_command()
        .body(types::ExecuteCommandBody {
            channel_id: world.open_channel.id.clone(),
            command: "/dialog now".into(),
            team_id: None,
            root_id: None,
            parent_id: None,
        })
        .send()
        .await
        .expect("the command ran")
        .into_inner();
    let call = receiver.next().await;
    assert_eq!(call.path, "/command");
    let trigger_id = call.form("trigger_id");
    // The answer names the trigger by its client id, as Mattermost's does.
    let decoded = String::from_utf8(STANDARD.decode(&trigger_id).expect("base64")).unwrap();
    assert_eq!(answer.trigger_id.as_deref(), decoded.split(':').next());
    trigger_id
}

fn element(name: &str, kind: &str) -> types::DialogElement {
    types::DialogElement {
        display_name: Some(name.to_uppercase()),
        name: Some(name.into()),
        type_: Some(kind.into()),
        ..Default::default()
    }
}

fn deploy_dialog(notify_on_cancel: bool) -> types::Dialog {
    let mut environment = element("environment", "select");
    environment.options = Some(vec![
        types::DialogOption {
            text: Some("Staging".into()),
            value: Some("staging".into()),
        },
        types::DialogOption {
            text: Some("Production".into()),
            value: Some("prod".into()),
        },
    ]);
    environment.default = Some("staging".into());
    let mut notes = element("notes", "textarea");
    notes.optional = Some(true);
    notes.max_length = Some(500);
    let mut speed = element("speed", "radio");
    speed.options = Some(vec![types::DialogOption {
        text: Some("Fast".into()),
        value: Some("fast".into()),
    }]);
    types::Dialog {
        callback_id: Some("deploy-42".into()),
        title: Some("Deploy".into()),
        introduction_text: Some("Pick **where**.".into()),
        elements: Some(vec![
            element("service", "text"),
            notes,
            environment,
            element("confirm", "bool"),
            speed,
        ]),
        submit_label: Some("Go".into()),
        notify_on_cancel: Some(notify_on_cancel),
        state: Some("opaque-state".into()),
        ..Default::default()
    }
}

async fn open(
    world: &World,
    trigger_id: &str,
    url: &str,
    dialog: types::Dialog,
) -> Result<(), chathooks_mattermost_client::Error<types::AppError>> {
    world
        .server
        .anonymous()
        .open_interactive_dialog()
        .body(types::OpenDialogRequest {
            trigger_id: Some(trigger_id.into()),
            url: Some(url.into()),
            dialog: Some(dialog),
        })
        .send()
        .await
        .map(|answer| {
            assert_eq!(
                serde_json::to_value(answer.into_inner()).unwrap(),
                json!({"status": "OK"})
            );
        })
}

async fn open_error(world: &World, trigger_id: &str, url: &str, dialog: types::Dialog) -> (u16, types::AppError) {
    app_error(open(world, trigger_id, url, dialog).await)
}

fn submission(world: &World, url: &str) -> types::SubmitDialogRequest {
    let mut values = Map::new();
    values.insert("service".into(), json!("api"));
    values.insert("environment".into(), json!("prod"));
    values.insert("confirm".into(), json!(true));
    values.insert("count".into(), json!(3));
    types::SubmitDialogRequest {
        url: Some(url.into()),
        callback_id: Some("deploy-42".into()),
        state: Some("opaque-state".into()),
        channel_id: Some(world.open_channel.id.clone()),
        team_id: Some(world.team.id.clone()),
        submission: values,
        cancelled: Some(false),
        type_: None,
    }
}

async fn submit(
    session: &Session,
    body: types::SubmitDialogRequest,
) -> Result<types::SubmitDialogResponse, chathooks_mattermost_client::Error<types::AppError>> {
    session
        .client
        .submit_interactive_dialog()
        .body(body)
        .send()
        .await
        .map(|answer| answer.into_inner())
}

fn websocket_url(world: &World) -> String {
    format!("{}/api/v4/websocket", world.server.base.replacen("http://", "ws://", 1))
}

/// The next JSON message other than `hello`.
async fn next_event(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("a message");
        if let Message::Text(text) = message {
            let event: Value = serde_json::from_str(&text).expect("JSON message");
            if event["event"] != "hello" && event.get("seq_reply").is_none() {
                return event;
            }
        }
    }
}

async fn connect(world: &World, session: &Session) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(websocket_url(world))
        .await
        .expect("connected");
    let challenge = json!({"seq": 1, "action": "authentication_challenge", "data": {"token": session.token}});
    socket.send(Message::Text(challenge.to_string().into())).await.unwrap();
    socket
}

/// Alice posts in the open channel: the next event anyone reading it gets.
async fn post_marker(world: &World) {
    world
        .member
        .client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: world.open_channel.id.clone(),
            message: "marker".into(),
            root_id: None,
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .expect("posted");
}

#[tokio::test]
async fn a_commands_trigger_id_opens_a_dialog_for_its_user_only() {
    let world = world().await;
    let mut receiver = Receiver::json(json!({})).await;
    let mut alice_socket = connect(&world, &world.member).await;
    let mut bob_socket = connect(&world, &world.other_member).await;

    let trigger = trigger_id(&world, &mut receiver, &world.member).await;
    let decoded = String::from_utf8(STANDARD.decode(&trigger).expect("base64")).unwrap();
    let parts: Vec<&str> = decoded.split(':').collect();
    assert_eq!(parts.len(), 4, "{decoded}");
    assert_eq!(parts[1], world.member.user.id, "bound to the user who ran it");

    open(&world, &trigger, &receiver.url("/submit"), deploy_dialog(false))
        .await
        .expect("the dialog opened");

    let event = next_event(&mut alice_socket).await;
    assert_eq!(event["event"], "open_dialog");
    assert_eq!(event["broadcast"]["user_id"], world.member.user.id.as_str());
    let request: Value = serde_json::from_str(event["data"]["dialog"].as_str().expect("a JSON string")).unwrap();
    assert_eq!(request["trigger_id"], parts[0], "the client id, not the signed id");
    assert_eq!(request["url"], receiver.url("/submit"));
    let dialog = &request["dialog"];
    assert_eq!(dialog["callback_id"], "deploy-42");
    assert_eq!(dialog["state"], "opaque-state");
    assert_eq!(dialog["notify_on_cancel"], false);
    assert_eq!(dialog["icon_url"], "", "every field, as Go marshals it");
    assert_eq!(dialog["elements"].as_array().unwrap().len(), 5);
    assert_eq!(
        dialog["elements"][2]["options"][1],
        json!({"text": "Production", "value": "prod"})
    );
    assert_eq!(dialog["elements"][0]["min_length"], 0);

    // Bob reads the channel but the dialog is not his: his next event is
    // the post made after it.
    post_marker(&world).await;
    assert_eq!(next_event(&mut bob_socket).await["event"], "posted");

    // The server keeps it for the test API and the UI.
    let kept = dialogs::list(&world.server.state.core, Some(&world.member.user.id));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].callback_id(), "deploy-42");
    assert!(dialogs::list(&world.server.state.core, Some(&world.other_member.user.id)).is_empty());
}

#[tokio::test]
async fn malformed_and_forged_trigger_ids_are_refused() {
    let world = world().await;
    let mut receiver = Receiver::json(json!({})).await;
    let url = receiver.url("/submit");
    let cases = [
        (
            "not base64!".to_owned(),
            "interactive_message.decode_trigger_id.base64_decode_failed",
        ),
        (
            STANDARD.encode("a:b:c"),
            "interactive_message.decode_trigger_id.missing_data",
        ),
        (
            STANDARD.encode(format!("a:b:{}:%%", chathooks::store::now_ms())),
            "interactive_message.decode_trigger_id.base64_decode_failed_signature",
        ),
    ];
    for (trigger, id) in cases {
        let (status, error) = open_error(&world, &trigger, &url, deploy_dialog(false)).await;
        assert_eq!((status, error.id.as_str()), (400, id), "{trigger}");
    }

    // Alice's trigger id rewritten to name Bob: the signature no longer
    // matches, so nobody can open a dialog in front of another user.
    let trigger = trigger_id(&world, &mut receiver, &world.member).await;
    let decoded = String::from_utf8(STANDARD.decode(&trigger).unwrap()).unwrap();
    let forged = STANDARD.encode(decoded.replacen(&world.member.user.id, &world.other_member.user.id, 1));
    let (status, error) = open_error(&world, &forged, &url, deploy_dialog(false)).await;
    assert_eq!(
        (status, error.id.as_str()),
        (400, "interactive_message.decode_trigger_id.verify_signature_failed")
    );
    // A trigger id from another server (another secret) is refused too.
    let other = TestServer::start().await;
    let stranger = chathooks::triggers::issue(&other.state.core, &world.member.user.id)
        .await
        .unwrap();
    let (status, error) = open_error(&world, &stranger.trigger_id, &url, deploy_dialog(false)).await;
    assert_eq!(
        (status, error.id.as_str()),
        (400, "interactive_message.decode_trigger_id.verify_signature_failed")
    );
    // No URL: refused before the trigger id is looked at.
    let (status, error) = open_error(&world, &trigger, "", deploy_dialog(false)).await;
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_body_param.app_error")
    );
    assert!(dialogs::list(&world.server.state.core, None).is_empty());
}

#[tokio::test]
async fn an_expired_trigger_id_is_refused() {
    let world = world_with(Duration::from_millis(1)).await;
    let mut receiver = Receiver::json(json!({})).await;
    let trigger = trigger_id(&world, &mut receiver, &world.member).await;
    // Past the one-millisecond lifetime, whatever the machine's speed.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (status, error) = open_error(&world, &trigger, &receiver.url("/submit"), deploy_dialog(false)).await;
    assert_eq!(
        (status, error.id.as_str()),
        (400, "interactive_message.decode_trigger_id.expired")
    );
}

#[tokio::test]
async fn invalid_dialogs_are_refused() {
    let world = world().await;
    let mut receiver = Receiver::json(json!({})).await;
    let trigger = trigger_id(&world, &mut receiver, &world.member).await;
    let url = receiver.url("/submit");
    let mut long_title = deploy_dialog(false);
    long_title.title = Some("A title longer than twenty-four".into());
    let mut unknown_type = deploy_dialog(false);
    unknown_type.elements = Some(vec![element("when", "calendar")]);
    let mut duplicate = deploy_dialog(false);
    duplicate.elements = Some(vec![element("service", "text"), element("service", "textarea")]);
    let mut bad_default = deploy_dialog(false);
    let mut pick = element("pick", "radio");
    pick.default = Some("nowhere".into());
    bad_default.elements = Some(vec![pick]);
    let mut bad_bool = deploy_dialog(false);
    let mut flag = element("flag", "bool");
    flag.default = Some("yes".into());
    bad_bool.elements = Some(vec![flag]);
    let mut long_text = deploy_dialog(false);
    let mut service = element("service", "text");
    service.placeholder = Some("x".repeat(151));
    long_text.elements = Some(vec![service]);
    for (dialog, problem) in [
        (long_title, "invalid dialog title"),
        (unknown_type, "invalid element type"),
        (duplicate, "duplicate dialog element"),
        (bad_default, "doesn't exist in options"),
        (bad_bool, "invalid default of bool"),
        (long_text, "Placeholder cannot be longer than 150"),
    ] {
        let (status, error) = open_error(&world, &trigger, &url, dialog).await;
        assert_eq!(
            (status, error.id.as_str()),
            (400, "api.context.invalid_body_param.app_error")
        );
        assert!(
            error.detailed_error.contains(problem),
            "{problem}: {}",
            error.detailed_error
        );
    }
    assert!(dialogs::list(&world.server.state.core, None).is_empty());
}

#[tokio::test]
async fn a_submission_reaches_the_integration_with_every_field() {
    let world = world().await;
    let mut command = Receiver::json(json!({})).await;
    let mut integration = Receiver::json(json!({})).await;
    let trigger = trigger_id(&world, &mut command, &world.member).await;
    let url = integration.url("/submit");
    open(&world, &trigger, &url, deploy_dialog(false)).await.unwrap();

    let answer = submit(&world.member, submission(&world, &url))
        .await
        .expect("submitted");
    assert_eq!(serde_json::to_value(answer).unwrap(), json!({}));
    let call = integration.next().await;
    assert_eq!(call.path, "/submit");
    assert_eq!(call.content_type, "application/json");
    assert_eq!(
        call.json(),
        json!({
            "type": "dialog_submission",
            "callback_id": "deploy-42",
            "state": "opaque-state",
            "user_id": world.member.user.id,
            "channel_id": world.open_channel.id,
            "team_id": world.team.id,
            "submission": {"service": "api", "environment": "prod", "confirm": true, "count": 3},
            "cancelled": false,
        })
    );
    // Accepted: the dialog is closed.
    assert!(dialogs::list(&world.server.state.core, None).is_empty());
}

#[tokio::test]
async fn the_integrations_errors_are_passed_back() {
    let world = world().await;
    let mut command = Receiver::json(json!({})).await;
    let mut fields = Receiver::json(json!({"errors": {"service": "No such service."}})).await;
    let mut whole = Receiver::json(json!({"error": "Deploys are frozen."})).await;
    let trigger = trigger_id(&world, &mut command, &world.member).await;
    open(&world, &trigger, &fields.url("/submit"), deploy_dialog(false))
        .await
        .unwrap();

    let answer = submit(&world.member, submission(&world, &fields.url("/submit")))
        .await
        .expect("answered 200");
    assert_eq!(
        serde_json::to_value(answer).unwrap(),
        json!({"errors": {"service": "No such service."}})
    );
    assert_eq!(fields.next().await.json()["callback_id"], "deploy-42");
    // Not accepted: the dialog stays open, as the form stays up.
    assert_eq!(dialogs::list(&world.server.state.core, None).len(), 1);

    let answer = submit(&world.member, submission(&world, &whole.url("/submit")))
        .await
        .expect("answered 200");
    assert_eq!(
        serde_json::to_value(answer).unwrap(),
        json!({"error": "Deploys are frozen."})
    );
    assert!(whole.called());
}

#[tokio::test]
async fn a_cancellation_is_sent_only_when_the_dialog_asks() {
    let world = world().await;
    let mut command = Receiver::json(json!({})).await;
    let mut integration = Receiver::json(json!({})).await;
    let core = &world.server.state.core;
    let (channel, team) = (&world.open_channel.id, &world.team.id);

    let trigger = trigger_id(&world, &mut command, &world.member).await;
    open(&world, &trigger, &integration.url("/quiet"), deploy_dialog(false))
        .await
        .unwrap();
    let quiet = dialogs::list(core, None).pop().expect("kept");
    assert!(matches!(
        dialogs::cancel(core, &quiet.id, channel, team).await,
        Some(None)
    ));
    assert!(dialogs::list(core, None).is_empty(), "closed");

    open(&world, &trigger, &integration.url("/told"), deploy_dialog(true))
        .await
        .unwrap();
    let told = dialogs::list(core, None).pop().expect("kept");
    let outcome = dialogs::cancel(core, &told.id, channel, team)
        .await
        .expect("was open")
        .expect("a call was made");
    assert_eq!(outcome.status, Some(200));
    // The first call the integration got is this one: the quiet dialog's
    // cancellation was never sent.
    let call = integration.next().await;
    assert_eq!(call.path, "/told");
    let body = call.json();
    assert_eq!(
        (
            &body["type"],
            &body["cancelled"],
            &body["callback_id"],
            &body["user_id"]
        ),
        (
            &json!("dialog_submission"),
            &json!(true),
            &json!("deploy-42"),
            &json!(world.member.user.id)
        )
    );
    assert!(dialogs::cancel(core, &told.id, channel, team).await.is_none(), "gone");

    // Through the API the client decides, as with Mattermost: a cancelled
    // submission is forwarded as sent.
    let mut cancelled = submission(&world, &integration.url("/api"));
    cancelled.cancelled = Some(true);
    submit(&world.member, cancelled).await.expect("forwarded");
    assert_eq!(integration.next().await.json()["cancelled"], true);
}

#[tokio::test]
async fn an_integration_that_fails_is_reported_with_mattermosts_ids() {
    let world = world().await;
    let failing = Receiver::start(500, "text/plain", "boom").await;
    let not_json = Receiver::start(200, "application/json", "not json").await;
    let odd_type = Receiver::json(json!({"type": "explode"})).await;
    let down = closed_url().await;
    for (url, status, id) in [
        (down, 400, "api.post.do_action.action_integration.app_error"),
        (
            failing.url("/s"),
            400,
            "api.post.do_action.action_integration.app_error",
        ),
        (
            not_json.url("/s"),
            500,
            "app.submit_interactive_dialog.decode_json_error",
        ),
        (
            odd_type.url("/s"),
            400,
            "app.submit_interactive_dialog.invalid_response",
        ),
    ] {
        let (got, error) = app_error(submit(&world.member, submission(&world, &url)).await);
        assert_eq!((got, error.id.as_str()), (status, id), "{url}");
    }

    // Internal addresses are refused unless allowed, as for every callback.
    let guarded = World::new().await;
    let receiver = Receiver::json(json!({})).await;
    let (status, error) = app_error(submit(&guarded.member, submission(&guarded, &receiver.url("/s"))).await);
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.post.do_action.action_integration.app_error")
    );
}

#[tokio::test]
async fn submitting_needs_a_session_a_readable_channel_and_the_team() {
    let world = world().await;
    let mut integration = Receiver::json(json!({})).await;
    let url = integration.url("/submit");

    let anonymous = world
        .server
        .anonymous()
        .submit_interactive_dialog()
        .body(submission(&world, &url))
        .send()
        .await;
    assert_eq!(app_error(anonymous).0, 401);
    let (status, error) = app_error(submit(&world.outsider, submission(&world, &url)).await);
    assert_eq!((status, error.id.as_str()), (403, "api.context.permissions.app_error"));
    // A member of the team, but not of this private channel.
    let hidden = create_channel(&world.admin, &world.team.id, "hidden", types::CreateChannelBodyType::P).await;
    let mut elsewhere = submission(&world, &url);
    elsewhere.channel_id = Some(hidden.id.clone());
    let (status, error) = app_error(submit(&world.member, elsewhere).await);
    assert_eq!((status, error.id.as_str()), (403, "api.context.permissions.app_error"));
    let mut unknown = submission(&world, &url);
    unknown.channel_id = Some("x".repeat(26));
    let (status, error) = app_error(submit(&world.member, unknown).await);
    assert_eq!((status, error.id.as_str()), (404, "app.channel.get.existing.app_error"));
    let mut other_team = submission(&world, &url);
    other_team.team_id = Some("y".repeat(26));
    assert_eq!(app_error(submit(&world.member, other_team).await).0, 403);
    let mut no_url = submission(&world, "");
    no_url.url = Some(String::new());
    let (status, error) = app_error(submit(&world.member, no_url).await);
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_body_param.app_error")
    );
    assert!(!integration.called(), "nothing was sent");
}
