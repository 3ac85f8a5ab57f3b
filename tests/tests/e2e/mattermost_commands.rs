//! Custom slash commands on the Mattermost API: managing them (who may,
//! what is checked, what the autocomplete list hides) and running them
//! against a real HTTP receiver on loopback playing the integration: the
//! payload of both methods, the answers, and each way a call fails.
//!
//! Nothing here measures time: the slow receiver never answers, and the
//! server's short callback timeout is what ends the call.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use chathooks::events::Event;
use chathooks_mattermost_types as types;
use chathooks_tests::{Session, TestServer, World, app_error};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Longest a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(10);

/// One request the receiver got.
#[derive(Debug)]
struct Call {
    method: Method,
    path: String,
    query: String,
    content_type: String,
    authorization: String,
    body: String,
}

/// Pairs of a form body or query string.
fn pairs(encoded: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://form.invalid/?{encoded}"))
        .expect("form body parses as a query")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

/// How the receiver answers.
#[derive(Clone)]
enum Answer {
    /// Status, content type and body.
    With(u16, &'static str, String),
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
        Self::start(Answer::With(200, "application/json", body.to_string())).await
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

async fn record(
    State(state): State<ReceiverState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let _ = state.calls.send(Call {
        method,
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        content_type: header("content-type"),
        authorization: header("authorization"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    match state.answer {
        Answer::With(status, content_type, body) => (
            axum::http::StatusCode::from_u16(status).expect("a status"),
            [("content-type", content_type)],
            body,
        )
            .into_response(),
        Answer::Never => std::future::pending().await,
    }
}

/// A world whose server may call 127.0.0.1 and gives up on a call after a
/// short timeout; `bob` is a team admin, `alice` a plain member.
async fn world() -> World {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
        config.callback_timeout = Duration::from_millis(500);
    })
    .await;
    server.allow_overrides_and_bots().await;
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

fn input(team_id: &str, trigger: &str, url: &str, method: &str) -> types::CommandInput {
    types::CommandInput {
        team_id: Some(team_id.into()),
        trigger: Some(trigger.into()),
        url: Some(url.into()),
        method: Some(method.into()),
        display_name: Some("Deploy".into()),
        description: Some("Deploys a service".into()),
        auto_complete: Some(true),
        auto_complete_desc: Some("Deploy something".into()),
        auto_complete_hint: Some("[service] [version]".into()),
        username: Some("deploybot".into()),
        icon_url: Some("https://example.com/bot.png".into()),
        ..Default::default()
    }
}

async fn create(session: &Session, body: types::CommandInput) -> types::Command {
    session
        .client
        .create_command()
        .body(body)
        .send()
        .await
        .expect("command created")
        .into_inner()
}

async fn execute(session: &Session, channel_id: &str, line: &str) -> types::CommandResponse {
    session
        .client
        .execute_command()
        .body(types::ExecuteCommandBody {
            channel_id: channel_id.into(),
            command: line.into(),
            team_id: None,
            root_id: None,
            parent_id: None,
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("{line}: {e}"))
        .into_inner()
}

async fn execute_error(session: &Session, channel_id: &str, line: &str) -> (u16, String) {
    let result = session
        .client
        .execute_command()
        .body(types::ExecuteCommandBody {
            channel_id: channel_id.into(),
            command: line.into(),
            team_id: None,
            root_id: None,
            parent_id: None,
        })
        .send()
        .await;
    let (status, error) = app_error(result);
    (status, error.id)
}

/// The channel's posts that are not system messages, oldest first.
async fn user_posts(world: &World, channel_id: &str) -> Vec<types::Post> {
    let list = world
        .admin
        .client
        .get_posts_for_channel()
        .channel_id(channel_id)
        .send()
        .await
        .expect("posts listed")
        .into_inner();
    list.order
        .iter()
        .rev()
        .map(|id| list.posts[id].clone())
        .filter(|p| !p.type_.starts_with("system_"))
        .collect()
}

#[tokio::test]
async fn members_cannot_manage_commands_and_team_admins_can() {
    let world = world().await;
    let team = &world.team.id;
    let (alice, bob) = (&world.member, &world.other_member);

    let refused = alice
        .client
        .create_command()
        .body(input(team, "deploy", "https://example.com/deploy", "P"))
        .send()
        .await;
    assert_eq!(app_error(refused).0, 403);

    let made = create(bob, input(team, "Deploy", "https://example.com/deploy", "P")).await;
    assert_eq!(made.trigger, "deploy", "triggers are lowercased");
    assert_eq!(made.creator_id, bob.user.id);
    assert_eq!(made.token.len(), 26);
    assert_eq!(made.method, "P");
    assert_eq!(made.delete_at, 0);

    // Only those who may manage it see it; the others get a 404, as if it
    // did not exist.
    let hidden = alice.client.get_command().command_id(&made.id).send().await;
    assert_eq!(app_error(hidden).1.id, "store.sql_command.save.get.app_error");
    let fetched = bob.client.get_command().command_id(&made.id).send().await.unwrap();
    assert_eq!(fetched.into_inner().token, made.token);

    // Listing: managers get the commands in full, members the sanitized list.
    let full = bob
        .client
        .list_commands()
        .team_id(team)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(full.0.len(), 1);
    assert_eq!(full.0[0].url, "https://example.com/deploy");
    let plain = alice
        .client
        .list_commands()
        .team_id(team)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plain.0.len(), 1);
    assert_eq!(plain.0[0].url, "");
    assert_eq!(plain.0[0].token, "");
    let custom = alice
        .client
        .list_commands()
        .team_id(team)
        .custom_only("true")
        .send()
        .await;
    assert_eq!(app_error(custom).0, 403);

    // Update keeps the token and creator; the team may not change.
    let mut change = input(team, "ship", "https://example.com/ship", "G");
    change.id = Some(made.id.clone());
    let updated = bob
        .client
        .update_command()
        .command_id(&made.id)
        .body(change.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((updated.trigger.as_str(), updated.method.as_str()), ("ship", "G"));
    assert_eq!(updated.token, made.token);
    let mut elsewhere = change.clone();
    elsewhere.team_id = Some(world.open_channel.id.clone());
    let moved = bob
        .client
        .update_command()
        .command_id(&made.id)
        .body(elsewhere)
        .send()
        .await;
    assert_eq!(app_error(moved).1.id, "api.command.team_mismatch.app_error");
    let by_member = alice
        .client
        .update_command()
        .command_id(&made.id)
        .body(change)
        .send()
        .await;
    assert_eq!(app_error(by_member).0, 404);

    let regen = bob
        .client
        .regen_command_token()
        .command_id(&made.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_ne!(regen.token, made.token);
    let fetched = bob
        .client
        .get_command()
        .command_id(&made.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.token, regen.token);

    // The system admin manages bob's command; deleting frees the trigger.
    world
        .admin
        .client
        .delete_command()
        .command_id(&made.id)
        .send()
        .await
        .unwrap();
    let gone = bob.client.get_command().command_id(&made.id).send().await;
    assert_eq!(app_error(gone).0, 404);
    create(bob, input(team, "ship", "https://example.com/ship", "P")).await;
}

#[tokio::test]
async fn invalid_commands_get_mattermosts_errors() {
    let world = world().await;
    let team = &world.team.id;
    let bob = &world.other_member;
    create(bob, input(team, "deploy", "https://example.com/deploy", "P")).await;
    let cases = [
        (
            input(team, "DEPLOY", "https://example.com/x", "P"),
            "api.command.duplicate_trigger.app_error",
        ),
        (
            input(team, "/deploy", "https://example.com/x", "P"),
            "model.command.is_valid.trigger.app_error",
        ),
        (
            input(team, "two words", "https://example.com/x", "P"),
            "model.command.is_valid.trigger.app_error",
        ),
        (
            input(team, "", "https://example.com/x", "P"),
            "model.command.is_valid.trigger.app_error",
        ),
        (input(team, "x", "", "P"), "model.command.is_valid.url.app_error"),
        (
            input(team, "x", "ftp://example.com/x", "P"),
            "model.command.is_valid.url_http.app_error",
        ),
        (
            input(team, "x", "https://example.com/x", ""),
            "model.command.is_valid.method.app_error",
        ),
        (
            input(team, "x", "https://example.com/x", "PUT"),
            "model.command.is_valid.method.app_error",
        ),
    ];
    for (body, id) in cases {
        let trigger = body.trigger.clone();
        let result = bob.client.create_command().body(body).send().await;
        let (status, error) = app_error(result);
        assert_eq!((status, error.id.as_str()), (400, id), "trigger {trigger:?}");
    }
}

#[tokio::test]
async fn the_autocomplete_list_hides_how_to_call_a_command() {
    let world = world().await;
    let team = &world.team.id;
    let bob = &world.other_member;
    let shown = create(bob, input(team, "deploy", "https://example.com/deploy?key=secret", "P")).await;
    let mut quiet = input(team, "quiet", "https://example.com/quiet", "P");
    quiet.auto_complete = Some(false);
    create(bob, quiet).await;

    let raw: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v4/teams/{team}/commands/autocomplete",
            world.server.base
        ))
        .bearer_auth(&world.member.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = raw.as_array().expect("a list");
    assert_eq!(list.len(), 1, "{raw}");
    let entry = &list[0];
    assert_eq!(entry["id"], json!(shown.id));
    assert_eq!(entry["trigger"], "deploy");
    assert_eq!(entry["auto_complete_hint"], "[service] [version]");
    for hidden in ["token", "url", "method", "creator_id", "username", "icon_url"] {
        assert_eq!(entry[hidden], "", "{hidden} must be emptied: {entry}");
    }
    let outsider = world
        .outsider
        .client
        .list_autocomplete_commands()
        .team_id(team)
        .send()
        .await;
    assert_eq!(app_error(outsider).0, 403);
}

#[tokio::test]
async fn post_commands_send_a_form_and_in_channel_answers_are_posted() {
    let world = world().await;
    let mut receiver = Receiver::json(json!({
        "response_type": "in_channel",
        "text": "Deploying <https://example.com|api> v2",
        "props": {"build": 42},
        "goto_location": "https://example.com/builds/42",
        "attachments": [{"text": "step 1", "fields": [{"title": "n", "value": 3, "short": true}]}],
        "extra_responses": [{"response_type": "in_channel", "text": "second"}],
    }))
    .await;
    let command = create(
        &world.other_member,
        input(&world.team.id, "deploy", &receiver.url("/cmd"), "P"),
    )
    .await;

    let answer = execute(&world.member, &world.open_channel.id, "/Deploy api  v2").await;
    assert_eq!(answer.goto_location.as_deref(), Some("https://example.com/builds/42"));

    let call = receiver.next().await;
    assert_eq!(call.method, Method::POST);
    assert_eq!(call.path, "/cmd");
    assert_eq!(call.content_type, "application/x-www-form-urlencoded");
    assert_eq!(call.authorization, format!("Token {}", command.token));
    let form = pairs(&call.body);
    assert_eq!(field(&form, "token"), command.token);
    assert_eq!(field(&form, "command"), "/deploy");
    assert_eq!(field(&form, "text"), "api  v2");
    assert_eq!(field(&form, "channel_id"), world.open_channel.id);
    assert_eq!(field(&form, "channel_name"), "town-square");
    assert_eq!(field(&form, "team_id"), world.team.id);
    assert_eq!(field(&form, "team_domain"), "engineering");
    assert_eq!(field(&form, "user_id"), world.member.user.id);
    assert_eq!(field(&form, "user_name"), "alice");
    assert_eq!(field(&form, "root_id"), "");
    let trigger = chathooks::triggers::verify(&world.server.state.core, field(&form, "trigger_id"))
        .await
        .expect("a trigger id this server signed");
    assert_eq!(trigger.user_id, world.member.user.id);
    assert!(field(&form, "response_url").contains("/hooks/commands/"), "{form:?}");

    let posts = user_posts(&world, &world.open_channel.id).await;
    assert_eq!(posts.len(), 2, "{posts:#?}");
    let (first, second) = (&posts[0], &posts[1]);
    assert_eq!(first.user_id, world.member.user.id, "posted as the user who typed it");
    assert_eq!(first.message, "Deploying [api](https://example.com) v2");
    assert_eq!(first.props["from_webhook"], "true");
    assert_eq!(first.props["override_username"], "deploybot");
    assert_eq!(first.props["override_icon_url"], "https://example.com/bot.png");
    assert_eq!(first.props["build"], 42);
    assert_eq!(first.props["attachments"][0]["fields"][0]["value"], "3");
    assert!(first.props.get("webhook_display_name").is_none(), "{:?}", first.props);
    assert_eq!(second.message, "second");

    // The call is in the delivery history, as the test API shows it.
    let history = chathooks_testapi_client::Client::new(&world.server.base)
        .list_deliveries()
        .hook(&command.id)
        .send()
        .await
        .expect("deliveries listed")
        .into_inner()
        .deliveries;
    assert_eq!(history.len(), 1, "{history:#?}");
    let recorded = &history[0];
    assert_eq!(
        (recorded.api.as_str(), recorded.event.as_str()),
        ("mattermost", "slash_command")
    );
    assert_eq!(recorded.status, chathooks_testapi_types::DeliveryStatus::Delivered);
    assert_eq!(recorded.url, receiver.url("/cmd"));
    assert_eq!(recorded.attempt_log.len(), 1);
    assert_eq!(recorded.attempt_log[0].status_code, Some(200));
    assert!(
        recorded.request_body.contains("text=api++v2"),
        "{}",
        recorded.request_body
    );
    assert!(recorded.attempt_log[0].response_excerpt.contains("Deploying"));
}

#[tokio::test]
async fn get_commands_send_the_query_and_ephemeral_answers_reach_the_caller_only() {
    let world = world().await;
    let mut receiver = Receiver::start(Answer::With(200, "text/plain", "only for you".into())).await;
    let command = create(
        &world.other_member,
        input(&world.team.id, "weather", &receiver.url("/w?city=paris"), "G"),
    )
    .await;
    let mut events = world.server.state.core.events.subscribe();

    let answer = execute(&world.member, &world.open_channel.id, "/weather tomorrow").await;
    assert_eq!(answer.text.as_deref(), Some("only for you"));
    assert_eq!(answer.response_type, None);

    let call = receiver.next().await;
    assert_eq!(call.method, Method::GET);
    assert_eq!(call.body, "");
    assert_eq!(call.content_type, "");
    assert_eq!(call.authorization, format!("Token {}", command.token));
    let query = pairs(&call.query);
    assert_eq!(field(&query, "city"), "paris", "the URL's own query is kept");
    assert_eq!(field(&query, "command"), "/weather");
    assert_eq!(field(&query, "text"), "tomorrow");
    assert_eq!(field(&query, "token"), command.token);

    assert!(
        user_posts(&world, &world.open_channel.id).await.is_empty(),
        "nothing stored"
    );
    let shown = tokio::time::timeout(PATIENCE, async {
        loop {
            let event = events.recv().await.expect("events flow");
            if let Event::EphemeralPost { post, user_id, .. } = event.as_ref() {
                return (post.clone(), user_id.clone());
            }
        }
    })
    .await
    .expect("an ephemeral post was shown");
    assert_eq!(shown.1, world.member.user.id);
    assert_eq!(shown.0.message, "only for you");
    assert_eq!(shown.0.channel_id, world.open_channel.id);
}

#[tokio::test]
async fn failed_calls_and_bad_lines_get_mattermosts_errors() {
    let world = world().await;
    let team = &world.team.id;
    let bob = &world.other_member;
    let alice = &world.member;
    let channel = &world.open_channel.id;

    let failing = Receiver::start(Answer::With(503, "text/plain", "maintenance".into())).await;
    create(bob, input(team, "failing", &failing.url("/"), "P")).await;
    let slow = Receiver::start(Answer::Never).await;
    create(bob, input(team, "slow", &slow.url("/"), "P")).await;
    let down = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    create(bob, input(team, "down", &down, "P")).await;
    let bad_json = Receiver::start(Answer::With(200, "application/json", "{not json".into())).await;
    create(bob, input(team, "garbled", &bad_json.url("/"), "P")).await;

    assert_eq!(
        execute_error(alice, channel, "/nothing here").await,
        (404, "api.command.execute_command.not_found.app_error".into())
    );
    for line in ["deploy", "/", ""] {
        assert_eq!(
            execute_error(alice, channel, line).await,
            (400, "api.command.execute_command.start.app_error".into()),
            "{line:?}"
        );
    }
    assert_eq!(
        execute_error(alice, channel, "/failing").await,
        (500, "api.command.execute_command.failed_resp.app_error".into())
    );
    for line in ["/slow", "/down", "/garbled"] {
        assert_eq!(
            execute_error(alice, channel, line).await,
            (500, "api.command.execute_command.failed.app_error".into()),
            "{line}"
        );
    }
    // Not in the team, so not allowed to post in its channels.
    assert_eq!(execute_error(&world.outsider, channel, "/failing").await.0, 403);

    // Each call made is in the history as failed, with why.
    let history = chathooks_testapi_client::Client::new(&world.server.base)
        .list_deliveries()
        .status(chathooks_testapi_types::DeliveryStatus::Failed)
        .send()
        .await
        .expect("deliveries listed")
        .into_inner()
        .deliveries;
    assert_eq!(history.len(), 4, "{history:#?}");
    assert!(history.iter().all(|d| d.event == "slash_command"));
    let errors: Vec<&str> = history.iter().map(|d| d.attempt_log[0].error.as_str()).collect();
    assert!(errors.contains(&"HTTP 503"), "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("timed out") || e.contains("timeout")),
        "{errors:?}"
    );
}

#[tokio::test]
async fn commands_cannot_reach_internal_addresses_unless_allowed() {
    // The default server refuses loopback receivers.
    let world = World::new().await;
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
        .unwrap();
    let mut receiver = Receiver::json(json!({"text": "hi"})).await;
    create(
        &world.other_member,
        input(&world.team.id, "inside", &receiver.url("/"), "P"),
    )
    .await;
    assert_eq!(
        execute_error(&world.member, &world.open_channel.id, "/inside").await,
        (500, "api.command.execute_command.failed.app_error".into())
    );
    assert!(receiver.calls.try_recv().is_err(), "the receiver was never called");
}

/// A `response_url` (made from the server's site URL) on the test server's
/// real address.
fn on_test_server(world: &World, response_url: &str) -> String {
    let site = world.server.state.core.site_url.trim_end_matches('/');
    let path = response_url
        .strip_prefix(site)
        .unwrap_or_else(|| panic!("{response_url} is under the site URL {site}"));
    assert!(path.starts_with("/hooks/commands/"), "{response_url}");
    format!("{}{path}", world.server.base)
}

/// POST `body` to a `response_url` as an integration would: plain HTTP.
async fn answer_later(url: &str, content_type: &str, body: String) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("response_url reachable");
    let status = response.status().as_u16();
    let text = response.text().await.expect("answer body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn later_answers_through_the_response_url_land_like_immediate_ones_within_its_limits() {
    let world = world().await;
    let mut receiver = Receiver::start(Answer::With(200, "text/plain", String::new())).await;
    let command = create(
        &world.other_member,
        input(&world.team.id, "build", &receiver.url("/b"), "P"),
    )
    .await;
    execute(&world.member, &world.open_channel.id, "/build api").await;
    let call = receiver.next().await;
    let form = pairs(&call.body);
    let url = on_test_server(&world, field(&form, "response_url"));
    assert!(user_posts(&world, &world.open_channel.id).await.is_empty());

    // A JSON answer posted for everyone, by the user who ran the command.
    let (status, body) = answer_later(
        &url,
        "application/json",
        json!({"response_type": "in_channel", "text": "Build <https://ci.example|42> passed"}).to_string(),
    )
    .await;
    assert_eq!((status, body), (200, Value::String("ok".into())));
    let posts = user_posts(&world, &world.open_channel.id).await;
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(posts[0].user_id, world.member.user.id);
    assert_eq!(posts[0].message, "Build [42](https://ci.example) passed");
    assert_eq!(posts[0].props["from_webhook"], "true");
    assert_eq!(posts[0].props["override_username"], "deploybot");

    // A plain-text answer is ephemeral: shown to that user, never stored.
    let mut events = world.server.state.core.events.subscribe();
    let (status, _) = answer_later(&url, "text/plain", "still running".into()).await;
    assert_eq!(status, 200);
    let shown = tokio::time::timeout(PATIENCE, async {
        loop {
            let event = events.recv().await.expect("events flow");
            if let Event::EphemeralPost { post, user_id, .. } = event.as_ref() {
                return (post.clone(), user_id.clone());
            }
        }
    })
    .await
    .expect("an ephemeral post was shown");
    assert_eq!(
        (shown.0.message.as_str(), shown.1.as_str()),
        ("still running", world.member.user.id.as_str())
    );
    assert_eq!(user_posts(&world, &world.open_channel.id).await.len(), 1);

    // Bad JSON is refused and does not use up an answer.
    let (status, body) = answer_later(&url, "application/json", "{not json".into()).await;
    assert_eq!(status, 400, "{body}");
    // Five answers in all, then Mattermost's try_use error.
    for _ in 0..3 {
        let (status, _) = answer_later(&url, "text/plain", "again".into()).await;
        assert_eq!(status, 200);
    }
    let (status, body) = answer_later(&url, "text/plain", "sixth".into()).await;
    assert_eq!(status, 400);
    assert_eq!(body["id"], "app.command_webhook.try_use.invalid");

    // An id nobody issued.
    let unknown = format!("{}/hooks/commands/{}", world.server.base, "x".repeat(26));
    let (status, body) = answer_later(&unknown, "text/plain", "hi".into()).await;
    assert_eq!(status, 404);
    assert_eq!(body["id"], "app.command_webhook.get.missing");

    // Once the command is deleted, its open response_urls stop working.
    execute(&world.member, &world.open_channel.id, "/build web").await;
    let second_url = on_test_server(&world, field(&pairs(&receiver.next().await.body), "response_url"));
    world
        .other_member
        .client
        .delete_command()
        .command_id(&command.id)
        .send()
        .await
        .expect("command deleted");
    let (status, body) = answer_later(&second_url, "application/json", json!({"text": "late"}).to_string()).await;
    assert_eq!(status, 400);
    assert_eq!(body["id"], "web.command_webhook.command.app_error");
}

/// The status and Mattermost error id of a refused call.
fn status_and_id<T: std::fmt::Debug>(
    result: Result<T, chathooks_mattermost_client::Error<types::AppError>>,
) -> (u16, String) {
    let (status, error) = app_error(result);
    (status, error.id)
}

#[tokio::test]
async fn built_in_triggers_are_taken_and_enable_commands_off_hides_custom_commands() {
    let world = world().await;
    let team = &world.team.id;
    let bob = &world.other_member;
    let receiver = Receiver::start(Answer::With(200, "text/plain", "hi".into())).await;
    for trigger in ["me", "Shrug", "join"] {
        let refused = bob
            .client
            .create_command()
            .body(input(team, trigger, &receiver.url("/"), "P"))
            .send()
            .await;
        let (status, error) = app_error(refused);
        assert_eq!(
            (status, error.id.as_str()),
            (400, "api.command.duplicate_trigger.app_error"),
            "/{trigger} is built in"
        );
    }
    let command = create(bob, input(team, "deploy", &receiver.url("/"), "P")).await;

    let off = serde_json::Map::from_iter([("ServiceSettings".to_owned(), json!({"EnableCommands": false}))]);
    let config = world
        .admin
        .client
        .patch_config()
        .body(types::Config(off))
        .send()
        .await
        .expect("config patched")
        .into_inner();
    assert_eq!(config["ServiceSettings"]["EnableCommands"], false);

    let disabled = (501, "api.command.disabled.app_error".to_owned());
    let created = bob
        .client
        .create_command()
        .body(input(team, "other", &receiver.url("/"), "P"))
        .send()
        .await;
    assert_eq!(status_and_id(created), disabled);
    let listed = bob.client.list_commands().team_id(team).send().await;
    assert_eq!(status_and_id(listed), disabled);
    let got = bob.client.get_command().command_id(&command.id).send().await;
    assert_eq!(status_and_id(got), disabled);
    let deleted = bob.client.delete_command().command_id(&command.id).send().await;
    assert_eq!(status_and_id(deleted), disabled);
    let autocomplete = bob
        .client
        .list_autocomplete_commands()
        .team_id(team)
        .send()
        .await
        .expect("autocomplete listed")
        .into_inner();
    assert!(autocomplete.0.is_empty(), "{autocomplete:?}");
    let (status, id) = execute_error(&world.member, &world.open_channel.id, "/deploy now").await;
    assert_eq!(
        (status, id.as_str()),
        (404, "api.command.execute_command.not_found.app_error")
    );
}

/// `/me` and `/shrug` are run by the server itself, as Mattermost's
/// built-ins: the caller's own post (not a webhook's), decorated as
/// Mattermost does, even with custom commands turned off.
#[tokio::test]
async fn me_and_shrug_post_the_text_decorated() {
    let world = world().await;
    let channel = &world.open_channel.id;
    let off = serde_json::Map::from_iter([("ServiceSettings".to_owned(), json!({"EnableCommands": false}))]);
    world
        .admin
        .client
        .patch_config()
        .body(types::Config(off))
        .send()
        .await
        .expect("commands off");

    let answer = execute(&world.member, channel, "/me waves at everyone").await;
    assert_eq!(answer.response_type.as_deref(), Some("in_channel"));
    assert_eq!(answer.text.as_deref(), Some("*waves at everyone*"));
    execute(&world.member, channel, "/shrug it works").await;
    execute(&world.member, channel, "/SHRUG").await;

    let posts = user_posts(&world, channel).await;
    let seen: Vec<(&str, &str, &str)> = posts
        .iter()
        .map(|p| (p.user_id.as_str(), p.type_.as_str(), p.message.as_str()))
        .collect();
    let alice = world.member.user.id.as_str();
    assert_eq!(
        seen,
        [
            (alice, "me", "*waves at everyone*"),
            (alice, "", r"it works ¯\\\_(ツ)\_/¯"),
            (alice, "", r"¯\\\_(ツ)\_/¯"),
        ]
    );
    assert!(
        posts.iter().all(|p| !p.props.contains_key("from_webhook")),
        "the caller's own posts"
    );
}
