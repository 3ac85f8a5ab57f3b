//! The `chathooks` binary itself: configuration from the environment, the
//! admin bootstrap, durability across `kill -9`, and graceful SIGTERM, on a
//! SQLite file and on a PostgreSQL database.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Serve, login};

/// The binary on `database`, configured through CHATHOOKS_* variables.
fn serve(database: &str) -> Serve {
    Serve::start(database, &[])
}

#[tokio::test]
async fn an_answered_write_survives_kill_9_and_sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("chathooks.db").display());
    survives_kill_9_and_stops_on_sigterm(&database).await;
}

/// The same on PostgreSQL (`CHATHOOKS_DATABASE=postgres://...`); skipped when
/// PostgreSQL is not installed, unless CI is set.
#[tokio::test]
async fn on_postgres_an_answered_write_survives_kill_9_and_sigterm_stops_gracefully() {
    let Some(database) = chathooks_testdb::fresh_database() else {
        return;
    };
    survives_kill_9_and_stops_on_sigterm(&database).await;
}

async fn survives_kill_9_and_stops_on_sigterm(database: &str) {
    let http = reqwest::Client::new();

    let mut first = serve(database);
    let token = login(&http, &first.base).await;
    let response = http
        .post(format!("{}/api/v4/teams", first.base))
        .bearer_auth(&token)
        .json(&json!({"name": "durable", "display_name": "Durable", "type": "O"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let team: Value = response.json().await.unwrap();
    // SIGKILL right after the answer: no chance to flush anything.
    first.kill();

    let mut second = serve(database);
    let token = login(&http, &second.base).await;
    let response = http
        .get(format!("{}/api/v4/teams/name/durable", second.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let found: Value = response.json().await.unwrap();
    assert_eq!(found["id"], team["id"]);

    // SIGTERM: the server finishes and exits successfully.
    let status = Command::new("kill")
        .args(["-TERM", &second.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = second.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status after SIGTERM: {exit}");
}

/// An empty database, no seed file, no admin flags: the newcomer's start.
#[tokio::test]
async fn a_bare_start_creates_and_prints_an_admin_a_team_and_a_hook_per_api() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("bare.db").display());
    let (mut server, printed) = Serve::start_printing(&database, &[]);
    let find = |prefix: &str| {
        printed
            .iter()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("a line `{prefix}...` in {printed:?}"))
            .to_owned()
    };
    let password = find("created an admin: username admin, password ");
    let mattermost = find("Mattermost incoming webhook: ");
    let rocketchat = find("Rocket.Chat incoming webhook: ");
    assert!(
        mattermost.starts_with(&format!("{}/hooks/", server.base)),
        "{mattermost}"
    );

    let http = reqwest::Client::new();
    let answer = http
        .post(&mattermost)
        .json(&json!({"text": "hello mattermost"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (answer.status().as_u16(), answer.text().await.unwrap().as_str()),
        (200, "ok")
    );
    let answer: Value = http
        .post(&rocketchat)
        .json(&json!({"text": "hello rocket.chat"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"success": true}));

    // The printed password logs in, and both messages are in the town square.
    let login = http
        .post(format!("{}/api/v4/users/login", server.base))
        .json(&json!({"login_id": "admin", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let token = login.headers()["token"].to_str().unwrap().to_owned();
    let channel: Value = http
        .get(format!(
            "{}/api/v4/teams/name/chathooks/channels/name/town-square",
            server.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let posts: Value = http
        .get(format!(
            "{}/api/v4/channels/{}/posts",
            server.base,
            channel["id"].as_str().unwrap()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut messages: Vec<&str> = posts["posts"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|p| p["message"].as_str())
        .collect();
    messages.sort();
    assert_eq!(messages, ["hello mattermost", "hello rocket.chat"]);
    server.kill();

    // The next start on the same database creates and prints nothing.
    let (_again, printed) = Serve::start_printing(&database, &[]);
    assert!(printed.is_empty(), "{printed:?}");
}

/// The README's first command, as written there, starts a server that is
/// ready to use: it prints a webhook URL of each API before it listens.
#[test]
fn the_readmes_first_command_prints_its_hook_urls() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .nth(1)
        .expect("the README opens with a sh block");
    let first = block.lines().next().unwrap();
    let args = first
        .strip_prefix("cargo run -p chathooks -- ")
        .unwrap_or_else(|| panic!("the first command runs the server: {first}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_chathooks"))
        .args(args.split_whitespace())
        // Its own free port; every other setting as the README has it.
        .args(["--listen", "127.0.0.1:0"])
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    // What it prints comes before the log line saying where it listens.
    let mut printed = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !printed.iter().any(|l: &String| l.contains("chathooks listening")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match receiver.recv_timeout(left) {
            Ok(line) => printed.push(line),
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for api in ["Mattermost", "Rocket.Chat"] {
        assert!(
            printed
                .iter()
                .any(|l| l.starts_with(&format!("chathooks: {api} incoming webhook: http://127.0.0.1:"))),
            "no {api} hook URL in {printed:?}"
        );
    }
}
