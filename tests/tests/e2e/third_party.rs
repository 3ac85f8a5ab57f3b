//! Third-party clients (mattermostdriver also for commands, buttons and
//! bots), a bot framework (mmpy_bot), a notification library
//! (apprise) and an API fuzzer against the running server.
//!
//! What they need is pinned in tests/clients (requirements.txt for Python,
//! package-lock.json for npm) and installed into the project by
//! `chathooks_testclients` (a virtual environment, `npm ci`) when missing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use chathooks_mattermost_types as types;
use chathooks_tests::{ADMIN, ADMIN_PASSWORD, TestServer, World, create_user, postgres_backend};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// The pinned clients, installed once (`chathooks_testclients`: a project-local
/// virtual environment and `npm ci`, under a lock; `cargo xtask test` has
/// usually done it before the suites started). Returns the environment's
/// interpreter.
fn python() -> &'static Path {
    &installed().python
}

fn installed() -> &'static chathooks_testclients::Installed {
    static INSTALLED: OnceLock<chathooks_testclients::Installed> = OnceLock::new();
    INSTALLED.get_or_init(|| chathooks_testclients::install().unwrap_or_else(|e| panic!("{e}")))
}

async fn run(program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> (bool, String) {
    let program = program.as_ref();
    let output = tokio::process::Command::new(program)
        .args(args)
        .current_dir(clients_dir())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{} runs: {e}", program.display()));
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
    let server = TestServer::start().await;
    let (ok, output) = run(
        python(),
        &["mattermost_clients.py", &server.base, ADMIN, ADMIN_PASSWORD],
    )
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("mattermost clients: ok"), "{output}");
}

/// mattermostdriver again, for what an integration does: a slash command
/// and a button, both answered by the script's own receiver on loopback,
/// and a bot account posting with a token.
#[tokio::test]
async fn mattermostdriver_runs_commands_actions_and_bots_unchanged() {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
    })
    .await;
    server.allow_overrides_and_bots().await;
    let (ok, output) = run(
        python(),
        &["mattermost_integrations.py", &server.base, ADMIN, ADMIN_PASSWORD],
    )
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("mattermost integrations: ok"), "{output}");
}

/// Mattermost's own JavaScript client, `@mattermost/client` (Client4).
#[tokio::test]
async fn mattermost_client4_works_unchanged() {
    installed();
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
    let server = TestServer::start().await;
    let (ok, output) = run(
        python(),
        &["rocketchat_clients.py", &server.base, ADMIN, ADMIN_PASSWORD],
    )
    .await;
    assert!(ok, "{output}");
    assert!(output.contains("rocketchat clients: ok"), "{output}");
}

/// How hard schemathesis tries, per operation: `--max-examples` and `--seed`.
///
/// CI runs the suite once per backend, so each backend's run takes half the
/// examples under a seed of its own: together the two runs try as many
/// distinct requests per operation (30) as one run with 30 would, in half the
/// time each. The fuzzers were 40% of the end-to-end suite's CPU time (the
/// Mattermost one alone 197 s of 765 s on SQLite), and the server code they
/// reach is the same on either store. `CHATHOOKS_FUZZ_EXAMPLES` asks for more
/// (or fewer) for a deeper run by hand.
struct FuzzBudget {
    examples: String,
    seed: &'static str,
}

impl FuzzBudget {
    const EXAMPLES_ENV: &str = "CHATHOOKS_FUZZ_EXAMPLES";
    const DEFAULT_EXAMPLES: u32 = 15;

    fn for_this_run() -> Self {
        let examples = match std::env::var(Self::EXAMPLES_ENV) {
            Ok(value) => value
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or_else(|| panic!("{}={value}: expected a positive number", Self::EXAMPLES_ENV)),
            Err(_) => Self::DEFAULT_EXAMPLES,
        };
        Self {
            examples: examples.to_string(),
            seed: if postgres_backend() { "2" } else { "1" },
        }
    }
}

/// schemathesis, a property-based fuzzer, generates requests from
/// spec/mattermost.yaml (valid and invalid) and checks every answer: no 5xx,
/// and every status, content type, header and body as the spec documents.
#[tokio::test]
async fn fuzzing_the_mattermost_spec_finds_no_server_errors_and_no_undocumented_answers() {
    let world = World::new().await;
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
    let budget = FuzzBudget::for_this_run();
    let (ok, output) = run(
        python(),
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
            // The admin switches change the whole server mid-run (webhooks
            // off make every later hook call Mattermost's 501; a patched
            // system_admin role locks the fuzzer's own token out); their own
            // tests are in mattermost_admin.
            "--exclude-operation-id-regex",
            "^(UpdateConfig|PatchConfig|PatchRole|UpdateTeamMemberRoles)$",
            "--max-examples",
            &budget.examples,
            "--seed",
            budget.seed,
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
    let server = TestServer::start().await;
    let admin = server
        .state
        .read()
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
    let budget = FuzzBudget::for_this_run();
    let (ok, output) = run(
        python(),
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
            // permissions.update and settings change the whole server mid-run
            // (taking the fuzzer's own permissions away); their own tests are
            // in rocketchat_admin.
            "--exclude-operation-id-regex",
            "^(permissionsUpdate|settingsSet)$",
            "--max-examples",
            &budget.examples,
            "--seed",
            budget.seed,
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

/// The same for spec/testapi.yaml, the test API. The long polls are left
/// out: the fuzzer would pick their longest timeouts again and again;
/// `test_api.rs` and `test_api_act.rs` test them.
#[tokio::test]
async fn fuzzing_the_test_api_spec_finds_no_server_errors_and_no_undocumented_answers() {
    let world = World::new().await;
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/testapi.yaml");
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,\
                  response_headers_conformance,response_schema_conformance";
    let budget = FuzzBudget::for_this_run();
    let (ok, output) = run(
        python(),
        &[
            "-m",
            "schemathesis.cli",
            "run",
            spec.to_str().unwrap(),
            "--url",
            &world.server.base,
            "--exclude-operation-id",
            "waitForMessage",
            "--exclude-operation-id",
            "listDialogs",
            "--checks",
            checks,
            "--max-examples",
            &budget.examples,
            "--seed",
            budget.seed,
            // See the Mattermost fuzz test for why one worker.
            "--workers",
            "1",
        ],
    )
    .await;
    assert!(ok, "{output}");
}

/// Longest a bot test waits for a third-party process to do something. Only
/// a broken server (or client) makes a test wait this long.
const BOT_PATIENCE: Duration = Duration::from_secs(30);

/// A user of `world`'s team and open channel, with a personal access token
/// the admin created for it, as a bot's operator does.
async fn bot_user(world: &World, username: &str) -> (types::User, String) {
    let bot = create_user(&world.server, &world.admin, username).await;
    world
        .admin
        .client
        .add_team_member()
        .team_id(&world.team.id)
        .body(types::AddTeamMemberBody {
            team_id: world.team.id.clone(),
            user_id: bot.user.id.clone(),
        })
        .send()
        .await
        .expect("bot joins the team");
    world
        .admin
        .client
        .add_channel_member()
        .channel_id(&world.open_channel.id)
        .body(types::AddChannelMemberBody {
            user_id: bot.user.id.clone(),
        })
        .send()
        .await
        .expect("bot joins the channel");
    let token = world
        .admin
        .client
        .create_user_access_token()
        .user_id(&bot.user.id)
        .body(types::CreateUserAccessTokenBody {
            description: format!("{username} token"),
        })
        .send()
        .await
        .expect("admin creates the bot's token")
        .into_inner()
        .token;
    (bot.user, token)
}

/// Call `check` every 50 ms until it returns `Some`, for at most
/// [`BOT_PATIENCE`]; on timeout, fail with `what` and the client's output.
async fn eventually<T, Fut>(what: &str, output: impl Fn() -> String, mut check: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + BOT_PATIENCE;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; client output:\n{}",
            output()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn download(client: &chathooks_mattermost_client::Client, file_id: &str) -> Vec<u8> {
    let mut stream = client
        .get_file()
        .file_id(file_id)
        .send()
        .await
        .expect("file downloads")
        .into_inner()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        bytes.extend_from_slice(&chunk.expect("file body arrives"));
    }
    bytes
}

/// A long-running client process: killed when dropped (so a failing test
/// cannot leave it behind), its stdout and stderr collected for messages.
struct Process {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
    output: Arc<Mutex<String>>,
}

impl Process {
    fn spawn(command: &mut tokio::process::Command) -> Self {
        let mut child = command
            .current_dir(clients_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("client process starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (send, lines) = tokio::sync::mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        for (stream, lines) in [
            (Box::new(stdout) as Box<dyn AsyncRead + Send + Unpin>, Some(send)),
            (Box::new(stderr), None),
        ] {
            let output = output.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    output.lock().unwrap().push_str(&format!("{line}\n"));
                    if let Some(lines) = &lines {
                        let _ = lines.send(line);
                    }
                }
            });
        }
        Self {
            stdin: child.stdin.take(),
            child,
            lines,
            output,
        }
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Wait for a line on stdout starting with `prefix`.
    async fn wait_for_line(&mut self, prefix: &str) -> String {
        let found = tokio::time::timeout(BOT_PATIENCE, async {
            while let Some(line) = self.lines.recv().await {
                if line.starts_with(prefix) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            Ok(None) => panic!("the client ended before printing {prefix:?}:\n{}", self.output()),
            Err(_) => panic!("the client did not print {prefix:?} in time:\n{}", self.output()),
        }
    }

    /// Close stdin (the client's signal to stop) and wait for it to exit.
    async fn stop(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        match tokio::time::timeout(BOT_PATIENCE, self.child.wait()).await {
            Ok(status) => status.expect("client exit status"),
            Err(_) => panic!("the client did not stop when its stdin closed:\n{}", self.output()),
        }
    }
}

/// mmpy_bot, a Mattermost bot framework (on mattermostautodriver), running a
/// plugin with `@listen_to`: it logs in with a personal access token, hears a
/// post over the WebSocket, replies in the post's thread with a file, and
/// reacts to it.
#[tokio::test]
async fn an_mmpy_bot_bot_replies_in_the_thread_and_reacts() {
    let world = World::new().await;
    let (bot, token) = bot_user(&world, "statusbot").await;
    let mut process = Process::spawn(
        tokio::process::Command::new(python())
            .arg("mmpy_bot_check.py")
            .env("MATTERMOST_URL", "http://127.0.0.1")
            .env("MATTERMOST_PORT", world.server.addr.port().to_string())
            .env("BOT_TOKEN", &token)
            .env("BOT_TEAM", &world.team.name),
    );
    assert_eq!(
        process.wait_for_line("bot: logged in as").await,
        "bot: logged in as statusbot"
    );
    process.wait_for_line("bot: listening").await;

    let trigger = world
        .member
        .client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: world.open_channel.id.clone(),
            message: "status nightly".into(),
            root_id: None,
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .expect("the trigger is posted")
        .into_inner();

    let client = &world.member.client;
    let reply = eventually(
        "the bot's reply in the thread",
        || process.output(),
        || async {
            let thread = client
                .get_post_thread()
                .post_id(&trigger.id)
                .send()
                .await
                .ok()?
                .into_inner();
            thread
                .posts
                .into_values()
                .find(|post| post.user_id == bot.id && post.id != trigger.id)
        },
    )
    .await;
    assert_eq!(
        (
            reply.root_id.as_str(),
            reply.channel_id.as_str(),
            reply.message.as_str()
        ),
        (
            trigger.id.as_str(),
            world.open_channel.id.as_str(),
            "nightly: all green"
        )
    );
    assert_eq!(reply.file_ids.len(), 1, "{reply:?}");
    let info = client
        .get_file_info()
        .file_id(&reply.file_ids[0])
        .send()
        .await
        .expect("file info")
        .into_inner();
    assert_eq!(
        (
            info.name.as_str(),
            info.size,
            info.post_id.as_str(),
            info.user_id.as_str()
        ),
        ("report.txt", 19, reply.id.as_str(), bot.id.as_str())
    );
    assert_eq!(download(client, &info.id).await, b"nightly: all green\n");

    let reactions = eventually(
        "the bot's reaction",
        || process.output(),
        || async {
            let reactions = client
                .get_reactions()
                .post_id(&trigger.id)
                .send()
                .await
                .ok()?
                .into_inner();
            (!reactions.is_empty()).then_some(reactions)
        },
    )
    .await;
    let reactions: Vec<_> = reactions
        .iter()
        .map(|r| (r.user_id.as_str(), r.emoji_name.as_str()))
        .collect();
    assert_eq!(reactions, [(bot.id.as_str(), "white_check_mark")]);

    let output = process.output();
    let status = process.stop().await;
    assert!(status.success(), "{status}:\n{output}");
}

/// apprise, a notification library, in its Mattermost bot mode with a file:
/// a personal access token, the channel resolved by team and channel name,
/// the file uploaded, then posted with the message.
#[tokio::test]
async fn apprise_in_bot_mode_posts_a_notification_with_a_file() {
    let world = World::new().await;
    let (notifier, token) = bot_user(&world, "notifier").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    let content = "suite,passed,failed\nunit,412,0\ne2e,97,0 ✓\n";
    std::fs::write(&path, content).unwrap();
    let port = world.server.addr.port().to_string();
    let (ok, output) = run(
        python(),
        &[
            "apprise_check.py",
            "127.0.0.1",
            &port,
            &token,
            &world.team.name,
            &world.open_channel.name,
            "nightly build: passed",
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok && output.contains("apprise: ok"), "{output}");

    let client = &world.member.client;
    let posts = client
        .get_posts_for_channel()
        .channel_id(&world.open_channel.id)
        .send()
        .await
        .expect("channel posts")
        .into_inner();
    let sent: Vec<_> = posts.posts.values().filter(|p| p.user_id == notifier.id).collect();
    assert_eq!(sent.len(), 1, "{sent:?}\n{output}");
    let post = sent[0];
    assert_eq!(
        (post.message.as_str(), post.root_id.as_str()),
        ("nightly build: passed", "")
    );
    assert_eq!(post.file_ids.len(), 1, "{post:?}");
    let info = client
        .get_file_info()
        .file_id(&post.file_ids[0])
        .send()
        .await
        .expect("file info")
        .into_inner();
    assert_eq!(
        (
            info.name.as_str(),
            info.extension.as_str(),
            info.mime_type.as_str(),
            info.size,
            info.post_id.as_str(),
            info.channel_id.as_str(),
        ),
        (
            "results.csv",
            "csv",
            "text/csv",
            i64::try_from(content.len()).unwrap(),
            post.id.as_str(),
            world.open_channel.id.as_str(),
        )
    );
    assert_eq!(download(client, &info.id).await, content.as_bytes());
}
