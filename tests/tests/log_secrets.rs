//! No secret reaches the logs after start-up's own printout: passwords,
//! session tokens, personal access tokens, Mattermost incoming hook ids (the
//! secret of `POST /hooks/{id}`), Rocket.Chat integration tokens and outgoing
//! hook tokens.
//!
//! Every event the server emits, at every level, is captured in-process by a
//! global tracing subscriber writing to a buffer; the tests then look for
//! each secret they made or were given in what was written. A test binary of
//! its own, outside `e2e`: the subscriber is the whole process's.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use chathooks::netguard::AllowList;
use chathooks_testapi_client::Client as TestApi;
use chathooks_testapi_types as testapi;
use chathooks_tests::rocketchat::{self, Receiver};
use chathooks_tests::{TestServer, World};
use serde_json::{Value, json};

/// Everything logged by this test process.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,chathooks=trace,chathooks_core=trace,chathooks_dialect=trace,chathooks_mattermost=trace,\
                 chathooks_rocketchat=trace,chathooks_runtime=trace,chathooks_script=trace",
            ))
            .with_ansi(false)
            .with_writer(move || Captured(Arc::clone(&writer)))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this process");
        buffer
    })
}

/// A writer appending to the shared buffer.
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

/// Panics naming the first secret found in the logs.
fn assert_not_logged(secrets: &[(&str, &str)]) {
    let text = logged();
    assert!(!text.is_empty(), "the subscriber captured something");
    for (what, secret) in secrets {
        assert!(!secret.is_empty(), "{what} is known");
        assert!(!text.contains(secret), "{what} ({secret}) was logged:\n{text}");
    }
}

/// The words of a log line following `password` (`password X`,
/// `password=X`, `password: X`): none may be left.
fn logged_passwords(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    lower
        .match_indices("password")
        .filter_map(|(at, word)| {
            let rest = &text[at + word.len()..];
            let rest = rest.trim_start_matches([' ', '=', ':', '"']);
            let value: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            (value.len() >= 12).then_some(value)
        })
        .collect()
}

/// A hook's secret part of its URL: the Mattermost id or the Rocket.Chat
/// token (the last path segment either way).
fn hook_secret(url: &str) -> String {
    url.rsplit('/').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_reset_and_webhook_executions_log_no_secret() {
    logs();
    let dir = tempfile::tempdir().unwrap();
    let database = chathooks_tests::persistent_database(dir.path());
    // First start: the zero-config default, printed (not logged) once.
    let first = TestServer::start_with(|config| {
        config.database = database.clone();
        config.admin = None;
    })
    .await;
    let welcome = first.state.welcome.clone().expect("an empty database gets the default");
    first.shutdown().await;
    // Started again on the same database, there is no default to make again:
    // a reset makes a new one.
    let server = TestServer::start_with(|config| {
        config.database = database;
        config.admin = None;
    })
    .await;
    assert!(server.state.welcome.is_none());
    let api = TestApi::new(&server.base);
    api.reset().send().await.expect("reset");
    let hooks = api.list_hooks().send().await.unwrap().into_inner().hooks;
    // Listed under the site URL; executed here.
    let urls: Vec<String> = hooks
        .iter()
        .map(|hook| format!("{}/hooks/{}", server.base, hook.url.split_once("/hooks/").unwrap().1))
        .collect();
    assert_eq!(urls.len(), 2, "one hook per API: {urls:?}");

    // Executions, passing and failed by chaos.
    let http = reqwest::Client::new();
    let execute = |url: String| {
        let http = http.clone();
        async move {
            http.post(url)
                .json(&json!({"text": "hello"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for url in &urls {
        assert_eq!(execute(url.clone()).await, 200, "{url}");
    }
    let every_hook = testapi::Chaos {
        rules: vec![testapi::ChaosRule {
            hook: "*".parse().unwrap(),
            probability: 100,
            status: 503,
            retry_after: None,
            latency_ms: 0,
        }],
    };
    api.set_chaos().body(every_hook).send().await.unwrap();
    for url in &urls {
        assert_eq!(execute(url.clone()).await, 503, "{url}");
    }
    // A wrong token on a real Rocket.Chat integration, and an unknown hook.
    let rc_url = urls.iter().find(|url| url.matches('/').count() > 4).unwrap();
    let wrong = format!("{}/wrongtoken", rc_url.rsplit_once('/').unwrap().0);
    execute(wrong).await;

    let mut secrets: Vec<(&str, String)> = urls.iter().map(|url| ("a hook's secret", hook_secret(url))).collect();
    secrets.extend(
        welcome
            .hooks
            .iter()
            .map(|(_, hook)| ("the first default's hook", hook_secret(&hook.path))),
    );
    secrets.push(("the first default's password", welcome.password.clone()));
    let pairs: Vec<(&str, &str)> = secrets.iter().map(|(what, secret)| (*what, secret.as_str())).collect();
    assert_not_logged(&pairs);
    let passwords = logged_passwords(&logged());
    assert!(
        passwords.is_empty(),
        "passwords were logged: {passwords:?}\n{}",
        logged()
    );
}

#[tokio::test]
async fn sessions_access_tokens_and_outgoing_hooks_log_no_secret() {
    logs();
    let receiver = Receiver::answering(200, "not json").await;
    let world = World::build(
        TestServer::start_with(|config| {
            config.allow_internal_callbacks = AllowList::parse("127.0.0.1").unwrap();
        })
        .await,
    )
    .await;
    let base = &world.server.base;
    let http = reqwest::Client::new();

    // A failed login, then a personal access token.
    let failed = http
        .post(format!("{base}/api/v4/users/login"))
        .json(&json!({"login_id": "admin", "password": "wrong-password-1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    let token: Value = http
        .post(format!("{base}/api/v4/users/{}/tokens", world.admin.user.id))
        .bearer_auth(&world.admin.token)
        .json(&json!({"description": "ci"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = token["token"].as_str().expect("the token, once").to_owned();
    let me = http
        .get(format!("{base}/api/v4/users/me"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // An outgoing hook, fired (its answer is not JSON, which is logged).
    let outgoing: Value = http
        .post(format!("{base}/api/v4/hooks/outgoing"))
        .bearer_auth(&world.admin.token)
        .json(&json!({
            "team_id": world.team.id,
            "channel_id": world.open_channel.id,
            "display_name": "deploys",
            "trigger_words": ["deploy"],
            "callback_urls": [receiver.url("/deploy")],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let outgoing_token = outgoing["token"].as_str().expect("an outgoing hook's token").to_owned();
    let posted = http
        .post(format!("{base}/api/v4/posts"))
        .bearer_auth(&world.admin.token)
        .json(&json!({"channel_id": world.open_channel.id, "message": "deploy now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    receiver.wait_for(1).await;

    // Rocket.Chat: a login, an incoming integration executed with a wrong
    // and the right token.
    let rc = rocketchat::admin(&world.server).await;
    let room = rocketchat::create_room(&rc, "logs", &[]).await;
    let integration = rocketchat::create_integration(
        &rc,
        json!({
            "type": "webhook-incoming",
            "name": "ci",
            "enabled": true,
            "channel": format!("#{}", room.name.clone().unwrap_or_default()),
            "username": "admin",
            "scriptEnabled": false,
        }),
    )
    .await;
    let rc_token = integration.token.clone().expect("an integration token");
    let rc_id = integration.id.clone();
    for token in ["wrongtoken", rc_token.as_str()] {
        http.post(format!("{base}/hooks/{rc_id}/{token}"))
            .json(&json!({"text": "hi"}))
            .send()
            .await
            .unwrap();
    }
    // Deliveries and their logs are written by background tasks.
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_not_logged(&[
        ("the admin's password", chathooks_tests::ADMIN_PASSWORD),
        ("a wrong password", "wrong-password-1234"),
        ("a Mattermost session token", &world.admin.token),
        ("a member's session token", &world.member.token),
        ("a personal access token", &access_token),
        ("an outgoing hook's token", &outgoing_token),
        ("a Rocket.Chat session token", &rc.token),
        ("a Rocket.Chat integration token", &rc_token),
    ]);
}
