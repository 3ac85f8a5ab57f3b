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
