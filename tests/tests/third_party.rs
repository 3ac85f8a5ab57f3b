//! Third-party clients and an API fuzzer against the running server.
//!
//! The Python packages they need are pinned in tests/clients/requirements.txt
//! and installed by this test when missing.

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

async fn run(program: &str, args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new(program)
        .args(args)
        .current_dir(clients_dir())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    let text = format!("{}\n{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn mattermostdriver_and_slack_sdk_work_unchanged() {
    ensure_python_packages();
    let server = TestServer::start().await;
    let (ok, output) = run("python3", &["mattermost_clients.py", &server.base, ADMIN, ADMIN_PASSWORD]).await;
    assert!(ok, "{output}");
    assert!(output.contains("mattermost clients: ok"), "{output}");
}
