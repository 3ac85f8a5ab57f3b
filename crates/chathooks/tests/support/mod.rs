//! Running the real `chathooks` binary, and a callback receiver, for tests of
//! what survives processes: kill -9, restarts, several instances.

#![allow(dead_code)] // each test file uses its own part

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

/// A `chathooks serve` child process; killed (SIGKILL) when dropped.
pub(crate) struct Serve {
    pub child: Child,
    pub base: String,
}

impl Serve {
    /// Start the binary on a free port over `database`, with the admin
    /// account, loopback callbacks allowed, and `env` on top; wait for the
    /// line saying where it listens.
    pub(crate) fn start(database: &str, env: &[(&str, &str)]) -> Self {
        let mut with_admin = vec![
            ("CHATHOOKS_ADMIN_USERNAME", "admin"),
            ("CHATHOOKS_ADMIN_PASSWORD", "admin-password"),
        ];
        with_admin.extend_from_slice(env);
        Self::start_printing(database, &with_admin).0
    }

    /// Start the binary like [`Serve::start`] but without the admin flags;
    /// returns the `chathooks: ...` lines it printed before listening.
    pub(crate) fn start_printing(database: &str, env: &[(&str, &str)]) -> (Self, Vec<String>) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chathooks"));
        command
            .arg("serve")
            .env("CHATHOOKS_LISTEN", "127.0.0.1:0")
            .env("CHATHOOKS_DATABASE", database)
            .env_remove("CHATHOOKS_ADMIN_USERNAME")
            .env_remove("CHATHOOKS_ADMIN_PASSWORD")
            .env_remove("CHATHOOKS_CONFIG")
            .env("CHATHOOKS_ALLOW_INTERNAL_CALLBACKS", "127.0.0.1")
            .env("RUST_LOG", "chathooks=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the chathooks binary starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut printed = Vec::new();
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(text) = line.strip_prefix("chathooks: ") {
                    printed.push(text.to_owned());
                }
                if let Some(addr) = line.split("addr=").nth(1) {
                    let addr = addr.split_whitespace().next().unwrap_or_default().to_owned();
                    let _ = sender.send((addr, std::mem::take(&mut printed)));
                }
            }
        });
        let (addr, printed) = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs where it listens");
        let serve = Self {
            child,
            base: format!("http://{addr}"),
        };
        (serve, printed)
    }

    /// SIGKILL, and reap.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The admin's session token on `base`.
pub(crate) async fn login(http: &reqwest::Client, base: &str) -> String {
    let response = http
        .post(format!("{base}/api/v4/users/login"))
        .json(&json!({"login_id": "admin", "password": "admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["token"].to_str().unwrap().to_owned()
}

/// POST `body` as JSON with the token; the answer, which must have `status`.
pub(crate) async fn post_json(http: &reqwest::Client, token: &str, url: &str, body: Value, status: u16) -> Value {
    let response = http.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(response.status(), status, "POST {url}");
    response.json().await.unwrap()
}

/// A team, a public channel in it, and a Mattermost outgoing webhook on that
/// channel (no trigger words: it fires on every post) calling `callback`.
/// Returns the channel id.
pub(crate) async fn channel_with_outgoing_hook(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    callback: &str,
) -> String {
    let team = post_json(
        http,
        token,
        &format!("{base}/api/v4/teams"),
        json!({"name": "deliveries", "display_name": "Deliveries", "type": "O"}),
        201,
    )
    .await;
    let channel = post_json(
        http,
        token,
        &format!("{base}/api/v4/channels"),
        json!({"team_id": team["id"], "name": "out", "display_name": "Out", "type": "O"}),
        201,
    )
    .await;
    post_json(
        http,
        token,
        &format!("{base}/api/v4/hooks/outgoing"),
        json!({
            "team_id": team["id"],
            "channel_id": channel["id"],
            "display_name": "receiver",
            "callback_urls": [callback],
            "content_type": "application/json",
        }),
        201,
    )
    .await;
    channel["id"].as_str().unwrap().to_owned()
}

/// A post in `channel_id`; its id.
pub(crate) async fn create_post(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    channel_id: &str,
    message: &str,
) -> String {
    let post = post_json(
        http,
        token,
        &format!("{base}/api/v4/posts"),
        json!({"channel_id": channel_id, "message": message}),
        201,
    )
    .await;
    post["id"].as_str().unwrap().to_owned()
}

/// A local HTTP server recording the `post_id` of every Mattermost outgoing
/// webhook call it gets. While `hang` is set, it keeps calls waiting forever
/// (a receiver that never answers); otherwise it answers 200 with no body.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
    hang: Arc<std::sync::atomic::AtomicBool>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let received: Arc<Mutex<Vec<String>>> = Arc::default();
        let hang: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let (seen, hanging) = (Arc::clone(&received), Arc::clone(&hang));
        let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
            let (seen, hanging) = (Arc::clone(&seen), Arc::clone(&hanging));
            async move {
                let payload: Value = serde_json::from_slice(&body).unwrap_or_default();
                let post_id = payload["post_id"].as_str().unwrap_or_default().to_owned();
                seen.lock().unwrap().push(post_id);
                if hanging.load(std::sync::atomic::Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                ""
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, received, hang }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub(crate) fn set_hang(&self, hang: bool) {
        self.hang.store(hang, std::sync::atomic::Ordering::SeqCst);
    }

    /// The post ids received so far, in order of arrival.
    pub(crate) fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    /// Wait until at least `count` calls arrived (at most `timeout`).
    pub(crate) async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {count} callbacks arrived in {timeout:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
