//! Third-party clients and an API fuzzer against the running server.
//!
//! What they need is pinned in tests/clients (requirements.txt for Python,
//! package-lock.json for npm) and installed by these tests when missing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chathooks_tests::{ADMIN, ADMIN_PASSWORD, TestServer};

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// Install the pinned packages once per test binary, if an import fails.
fn ensure_python_packages() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let present = std::process::Command::new("python3")
            .args(["-c", "import mattermostdriver, slack_sdk, rocketchat_API, schemathesis"])
            .status()
            .is_ok_and(|s| s.success());
        if !present {
            let status = std::process::Command::new("python3")
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(clients_dir().join("requirements.txt"))
                .status()
                .expect("python3 runs");
            assert!(status.success(), "pip could not install tests/clients/requirements.txt");
        }
    });
}

/// Install the pinned npm packages (package-lock.json) once, if missing.
fn ensure_node_packages() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        if clients_dir().join("node_modules/@mattermost/client").is_dir() {
            return;
        }
        let status = std::process::Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(clients_dir())
            .status()
            .expect("npm runs");
        assert!(
            status.success(),
            "npm could not install tests/clients/package-lock.json"
        );
    });
}

async fn run(program: &str, args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new(program)
        .args(args)
        .current_dir(clients_dir())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Whether `node` has a global `WebSocket` without flags.
async fn node_has_websocket() -> bool {
    let (ok, output) = run("node", &["-e", "process.stdout.write(typeof WebSocket)"]).await;
    ok && output.starts_with("function")
}

#[tokio::test]
async fn mattermostdriver_and_slack_sdk_work_unchanged() {
    ensure_python_packages();
    let server = TestServer::start().await;
    let (ok, output) = run(
        "python3",
        &["mattermost_clients.py", &server.base, ADMIN, ADMIN_PASSWORD],
    )
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("mattermost clients: ok"), "{output}");
}

/// Mattermost's own JavaScript client, `@mattermost/client` (Client4).
#[tokio::test]
async fn mattermost_client4_works_unchanged() {
    ensure_node_packages();
    let server = TestServer::start().await;
    // Client4's WebSocketClient uses the global WebSocket, which Node 20 has
    // behind a flag (later versions by default).
    let flag = if node_has_websocket().await {
        None
    } else {
        Some("--experimental-websocket")
    };
    let mut args: Vec<&str> = flag.into_iter().collect();
    args.extend(["mattermost_client4.js", &server.base, ADMIN, ADMIN_PASSWORD]);
    let (ok, output) = run("node", &args).await;
    assert!(ok, "{output}");
    assert!(output.contains("client4: ok"), "{output}");
}

#[tokio::test]
async fn rocketchat_api_client_works_unchanged() {
    ensure_python_packages();
    let server = TestServer::start().await;
    let (ok, output) = run(
        "python3",
        &["rocketchat_clients.py", &server.base, ADMIN, ADMIN_PASSWORD],
    )
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("rocketchat clients: ok"), "{output}");
}

/// schemathesis, a property-based fuzzer, generates requests from
/// spec/mattermost.yaml (valid and invalid) and checks every answer: no 5xx,
/// and every status, content type, header and body as the spec documents.
#[tokio::test]
async fn fuzzing_the_mattermost_spec_finds_no_server_errors_and_no_undocumented_answers() {
    ensure_python_packages();
    let world = chathooks_tests::World::new().await;
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/mattermost.yaml");
    // A personal access token: the fuzzer calls `users/logout`, which would
    // end a session and leave every later call a 401.
    let token = world
        .admin
        .client
        .create_user_access_token()
        .user_id("me")
        .body(chathooks_mattermost_types::CreateUserAccessTokenBody {
            description: "schemathesis".into(),
        })
        .send()
        .await
        .expect("token for the fuzzer")
        .into_inner()
        .token;
    let header = format!("Authorization: Bearer {token}");
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,\
                  response_headers_conformance,response_schema_conformance";
    let (ok, output) = run(
        "python3",
        &[
            // Through the module: a console script installed a moment ago may
            // not be on PATH yet (pyenv shims, user installs).
            "-m",
            "schemathesis.cli",
            "run",
            spec.to_str().unwrap(),
            "--url",
            &world.server.base,
            "--header",
            &header,
            "--checks",
            checks,
            "--max-examples",
            "30",
            "--seed",
            "1",
            // One worker: schemathesis's worker threads trip CPython 3.11's
            // threaded-`ast` bug inside hypothesis ("AST constructor recursion
            // depth mismatch", python/cpython#106905), a crash of the fuzzer
            // that under load (cargo xtask test runs two fuzzers at once)
            // happens on most runs.
            "--workers",
            "1",
        ],
    )
    .await;
    assert!(ok, "{output}");
}

/// The same for spec/rocketchat.yaml. schemathesis's coverage phase errors
/// inside schemathesis itself on one schema ("inconsistent results" while
/// generating), so it runs the example, fuzzing and stateful phases.
///
/// The fuzzer calls `logout` too, which would end a session and leave every
/// later call a 401; it authenticates with a personal access token instead,
/// which logging out leaves valid.
#[tokio::test]
async fn fuzzing_the_rocketchat_spec_finds_no_server_errors_and_no_undocumented_answers() {
    use chathooks::store::Store;
    ensure_python_packages();
    let server = TestServer::start().await;
    let admin = server
        .state
        .store
        .get_user_by_username(ADMIN)
        .await
        .unwrap()
        .expect("the admin exists");
    let access = chathooks::accounts::create_access_token(&server.state, &admin, "schemathesis")
        .await
        .unwrap();
    let token = format!("X-Auth-Token: {}", access.token);
    let user = format!("X-User-Id: {}", admin.id);
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/rocketchat.yaml");
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,\
                  response_headers_conformance,response_schema_conformance";
    let (ok, output) = run(
        "python3",
        &[
            // Through the module: a console script installed a moment ago may
            // not be on PATH yet (pyenv shims, user installs).
            "-m",
            "schemathesis.cli",
            "run",
            spec.to_str().unwrap(),
            "--url",
            &server.base,
            "--header",
            &token,
            "--header",
            &user,
            "--checks",
            checks,
            "--phases",
            "examples,fuzzing,stateful",
            "--max-examples",
            "30",
            "--seed",
            "1",
            // One worker: schemathesis's worker threads trip CPython 3.11's
            // threaded-`ast` bug inside hypothesis ("AST constructor recursion
            // depth mismatch", python/cpython#106905), a crash of the fuzzer
            // that under load (cargo xtask test runs two fuzzers at once)
            // happens on most runs.
            "--workers",
            "1",
        ],
    )
    .await;
    assert!(ok, "{output}");
}
