//! Support for end-to-end tests: start the real server (real socket, real
//! database) on a free loopback port, and talk to it with the generated client.
//!
//! The database is SQLite in memory, or with `CHATHOOKS_TEST_BACKEND=postgres`
//! a fresh database on the throwaway PostgreSQL cluster of `chathooks-testdb`
//! (one per test process), so the whole suite runs on either backend.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use chathooks::server::{self, Config, Shared};
use chathooks_mattermost_client::Client;
use chathooks_mattermost_types as types;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password";

/// The environment variable choosing the backend of the end-to-end tests:
/// `sqlite` (the default) or `postgres`.
pub const BACKEND_ENV: &str = "CHATHOOKS_TEST_BACKEND";

/// Whether this run uses PostgreSQL ([`BACKEND_ENV`]` = postgres`).
///
/// # Panics
///
/// On a value other than `sqlite` or `postgres`.
pub fn postgres_backend() -> bool {
    match std::env::var(BACKEND_ENV).as_deref() {
        Err(_) | Ok("" | "sqlite") => false,
        Ok("postgres") => true,
        Ok(other) => panic!("{BACKEND_ENV}={other}: expected `sqlite` or `postgres`"),
    }
}

/// A fresh PostgreSQL database for this test.
///
/// # Panics
///
/// When PostgreSQL is not installed: [`BACKEND_ENV`]` = postgres` asked for it.
fn fresh_postgres() -> String {
    chathooks_testdb::fresh_database()
        .unwrap_or_else(|| panic!("{BACKEND_ENV}=postgres, but PostgreSQL is not installed (see above)"))
}

/// A database that outlives one server, for tests that restart it: a fresh
/// PostgreSQL database, or a SQLite file in `dir`, depending on [`BACKEND_ENV`].
pub fn persistent_database(dir: &Path) -> String {
    if postgres_backend() {
        fresh_postgres()
    } else {
        format!("sqlite://{}", dir.join("chathooks.db").display())
    }
}

/// A running server; it stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    running: Option<server::Running>,
}

impl TestServer {
    /// A server on a fresh database (see [`BACKEND_ENV`]) with the admin account.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::ephemeral();
        if postgres_backend() {
            config.database = fresh_postgres();
        }
        config.admin = Some((ADMIN.into(), ADMIN_PASSWORD.into()));
        configure(&mut config);
        let state = server::open(config).await.expect("server state opens");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = server::start(state.clone(), async move {
            let _ = stopped.await;
        })
        .await
        .expect("server starts");
        let addr = running.addr;
        Self {
            addr,
            base: format!("http://{addr}"),
            state,
            stop: Some(stop),
            running: Some(running),
        }
    }

    /// Turn on the admin switches a fresh Mattermost ships off and these
    /// tests' integrations rely on: webhooks may post under another name and
    /// picture (`EnablePostUsernameOverride`, `EnablePostIconOverride`), and
    /// bots may be created (`EnableBotAccountCreation`), as an administrator
    /// would before using them.
    pub async fn allow_overrides_and_bots(&self) {
        use chathooks::config::{Switch, set_switch};
        for switch in [
            Switch::PostUsernameOverride,
            Switch::PostIconOverride,
            Switch::BotAccountCreation,
        ] {
            set_switch(&self.state.core, switch, true)
                .await
                .expect("switch turned on");
        }
    }

    /// Stop gracefully and wait (in-flight requests and deliveries finish).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.wait().await.expect("server stops cleanly");
        }
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base)
    }

    /// Log in and return a client sending the session token as a bearer token.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let response = self
            .anonymous()
            .login()
            .body(types::LoginBody {
                login_id: username.into(),
                password: password.into(),
                device_id: None,
                ldap_only: None,
                token: None,
            })
            .send()
            .await
            .unwrap_or_else(|e| panic!("login as {username}: {e}"));
        let token = response
            .headers()
            .get("token")
            .expect("Token header")
            .to_str()
            .unwrap()
            .to_owned();
        let user = response.into_inner();
        Session {
            client: self.client_with_token(&token),
            token,
            user,
        }
    }

    pub async fn admin(&self) -> Session {
        self.login(ADMIN, ADMIN_PASSWORD).await
    }

    pub fn client_with_token(&self, token: &str) -> Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        let http = reqwest::Client::builder().default_headers(headers).build().unwrap();
        Client::new_with_client(&self.base, http)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A logged-in user.
pub struct Session {
    pub client: Client,
    pub token: String,
    pub user: types::User,
}

/// A small world: the admin, a team with an open and a private channel, a
/// team member, and a user outside the team.
pub struct World {
    pub server: TestServer,
    pub admin: Session,
    pub member: Session,
    pub other_member: Session,
    pub outsider: Session,
    pub team: types::Team,
    pub open_channel: types::Channel,
    pub private_channel: types::Channel,
}

impl World {
    pub async fn new() -> Self {
        Self::build(TestServer::start().await).await
    }

    /// [`World::new`] on a server whose administrator allowed name and
    /// picture overrides and bot creation
    /// ([`TestServer::allow_overrides_and_bots`]).
    pub async fn with_overrides_and_bots() -> Self {
        let world = Self::new().await;
        world.server.allow_overrides_and_bots().await;
        world
    }

    pub async fn build(server: TestServer) -> Self {
        let admin = server.admin().await;
        let team = admin
            .client
            .create_team()
            .body(types::CreateTeamBody {
                name: "engineering".into(),
                display_name: "Engineering".into(),
                type_: types::CreateTeamBodyType::O,
                description: None,
            })
            .send()
            .await
            .expect("create team")
            .into_inner();
        let member = create_user(&server, &admin, "alice").await;
        let other_member = create_user(&server, &admin, "bob").await;
        let outsider = create_user(&server, &admin, "mallory").await;
        for user in [&member, &other_member] {
            admin
                .client
                .add_team_member()
                .team_id(&team.id)
                .body(types::AddTeamMemberBody {
                    team_id: team.id.clone(),
                    user_id: user.user.id.clone(),
                })
                .send()
                .await
                .expect("add team member");
        }
        let open_channel = create_channel(&admin, &team.id, "town-square", types::CreateChannelBodyType::O).await;
        let private_channel = create_channel(&admin, &team.id, "secret", types::CreateChannelBodyType::P).await;
        for user in [&member, &other_member] {
            for channel in [&open_channel, &private_channel] {
                admin
                    .client
                    .add_channel_member()
                    .channel_id(&channel.id)
                    .body(types::AddChannelMemberBody {
                        user_id: user.user.id.clone(),
                    })
                    .send()
                    .await
                    .expect("add channel member");
            }
        }
        grant_members_own_hooks(&server).await;
        Self {
            server,
            admin,
            member,
            other_member,
            outsider,
            team,
            open_channel,
            private_channel,
        }
    }
}

/// Give team members (`team_user`) the own-webhook permissions, as
/// Mattermost's own webhook tests do before they exercise members' hooks: by
/// default the role holds none. The channel-lock bypass stays the team
/// admins', and `system_user` keeps none, so lists without a `team_id` stay
/// the system roles' (403 for plain members, as on Mattermost).
pub async fn grant_members_own_hooks(server: &TestServer) {
    use chathooks::permissions::{self, Permission, ROLE_TEAM_USER};
    let core = &server.state.core;
    let mut held = permissions::role(core, ROLE_TEAM_USER)
        .await
        .unwrap()
        .unwrap()
        .permissions;
    held.extend([Permission::ManageOwnIncomingHooks, Permission::ManageOwnOutgoingHooks]);
    permissions::set_role_permissions(core, ROLE_TEAM_USER, &held)
        .await
        .unwrap();
}

/// Give every user (Rocket.Chat's `user` role) `manage-own-incoming-integrations`
/// and `manage-own-outgoing-integrations`, which Rocket.Chat gives admins only.
pub async fn grant_users_own_integrations(server: &TestServer) {
    use chathooks::permissions::{self, Permission, ROLE_SYSTEM_USER};
    let core = &server.state.core;
    let mut held = permissions::role(core, ROLE_SYSTEM_USER)
        .await
        .unwrap()
        .unwrap()
        .permissions;
    held.extend([Permission::ManageOwnIncomingHooks, Permission::ManageOwnOutgoingHooks]);
    permissions::set_role_permissions(core, ROLE_SYSTEM_USER, &held)
        .await
        .unwrap();
}

pub async fn create_user(server: &TestServer, admin: &Session, username: &str) -> Session {
    let password = format!("{username}-password");
    admin
        .client
        .create_user()
        .body(types::CreateUserBody {
            email: format!("{username}@example.com"),
            username: username.into(),
            password: password.clone(),
            first_name: None,
            last_name: None,
            nickname: None,
            locale: None,
            notify_props: Default::default(),
            props: Default::default(),
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("create user {username}: {e}"));
    server.login(username, &password).await
}

pub async fn create_channel(
    admin: &Session,
    team_id: &str,
    name: &str,
    kind: types::CreateChannelBodyType,
) -> types::Channel {
    admin
        .client
        .create_channel()
        .body(types::CreateChannelBody {
            team_id: team_id.into(),
            name: name.into(),
            display_name: name.into(),
            type_: kind,
            header: None,
            purpose: None,
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("create channel {name}: {e}"))
        .into_inner()
}

/// The AppError of a failed client call, with its status.
pub fn app_error<T: std::fmt::Debug>(
    result: Result<T, chathooks_mattermost_client::Error<types::AppError>>,
) -> (u16, types::AppError) {
    match result {
        Err(chathooks_mattermost_client::Error::ErrorResponse(response)) => {
            (response.status().as_u16(), response.into_inner())
        }
        other => panic!("expected an AppError answer, got {other:?}"),
    }
}

/// The server state tests inspect directly (the store behind the API).
pub type SharedState = Arc<server::AppState>;

/// Support for the Rocket.Chat end-to-end tests: sessions with the generated
/// Rocket.Chat client, error bodies, and a local HTTP receiver for outgoing
/// integrations.
pub mod rocketchat {
    use std::collections::VecDeque;
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use chathooks_rocketchat_client::{ByteStream, Client, Error, ResponseValue};
    use chathooks_rocketchat_types as types;
    use serde_json::{Value, json};

    use super::{ADMIN, ADMIN_PASSWORD, TestServer};

    /// Longest any test waits for something that should happen; only a
    /// broken server makes a test wait this long.
    pub const PATIENCE: Duration = Duration::from_secs(10);

    /// A Rocket.Chat login: the generated client and a raw HTTP client, both
    /// sending `X-Auth-Token` and `X-User-Id`.
    pub struct RcSession {
        pub client: Client,
        pub http: reqwest::Client,
        pub base: String,
        pub token: String,
        pub user_id: String,
        pub username: String,
    }

    impl RcSession {
        /// A session for a token and user id, however they were obtained.
        pub fn new(base: &str, token: &str, user_id: &str, username: &str) -> Self {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert("X-Auth-Token", token.parse().expect("token is a header value"));
            headers.insert("X-User-Id", user_id.parse().expect("user id is a header value"));
            let http = reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .expect("HTTP client builds");
            Self {
                client: Client::new_with_client(base, http.clone()),
                http,
                base: base.to_owned(),
                token: token.to_owned(),
                user_id: user_id.to_owned(),
                username: username.to_owned(),
            }
        }

        /// A raw request to a path of the server, with the session headers.
        pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
            self.http.request(method, format!("{}{path}", self.base))
        }
    }

    /// Log in through `POST /api/v1/login`.
    pub async fn login(server: &TestServer, username: &str, password: &str) -> RcSession {
        let answer = Client::new(&server.base)
            .login()
            .body(types::LoginBody {
                user: Some(username.into()),
                username: None,
                password: password.into(),
            })
            .send()
            .await
            .unwrap_or_else(|e| panic!("Rocket.Chat login as {username}: {e}"))
            .into_inner();
        RcSession::new(&server.base, &answer.data.auth_token, &answer.data.user_id, username)
    }

    pub async fn admin(server: &TestServer) -> RcSession {
        login(server, ADMIN, ADMIN_PASSWORD).await
    }

    /// Create a plain user through `users.create` (as `admin`) and log in.
    pub async fn create_user(server: &TestServer, admin: &RcSession, username: &str) -> RcSession {
        let password = format!("{username}-password");
        admin
            .client
            .users_create()
            .body(
                serde_json::from_value::<types::UsersCreateBody>(json!({
                    "email": format!("{username}@example.com"),
                    "name": format!("User {username}"),
                    "password": password,
                    "username": username,
                }))
                .expect("a valid body"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("users.create {username}: {e}"));
        login(server, username, &password).await
    }

    /// The status and JSON body of a failed client call.
    pub async fn error_of<T: std::fmt::Debug>(result: Result<ResponseValue<T>, Error<ByteStream>>) -> (u16, Value) {
        let response = match result {
            Err(Error::ErrorResponse(response)) => response,
            other => panic!("expected an error answer, got {other:?}"),
        };
        let status = response.status().as_u16();
        let mut stream = response.into_inner().into_inner();
        let mut bytes = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            bytes.extend_from_slice(&chunk.expect("error body arrives"));
        }
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, body)
    }

    /// The status and JSON body of a raw request.
    pub async fn send_raw(request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body arrives");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Call `check` until it returns `Some`, every 20 ms, for at most [`PATIENCE`].
    pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let attempt = async {
            loop {
                if let Some(found) = check().await {
                    return found;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        };
        tokio::time::timeout(PATIENCE, attempt)
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    /// Admin, two plain users, and the public room `#general` (id `GENERAL`,
    /// Rocket.Chat's default room, which every fresh server has and which
    /// users made through `users.create` join) that all three belong to.
    pub struct RcWorld {
        pub server: TestServer,
        pub admin: RcSession,
        pub alice: RcSession,
        pub bob: RcSession,
        pub general: types::Room,
    }

    impl RcWorld {
        pub async fn new() -> Self {
            Self::build(TestServer::start().await).await
        }

        pub async fn build(server: TestServer) -> Self {
            let admin = admin(&server).await;
            let alice = create_user(&server, &admin, "alice").await;
            let bob = create_user(&server, &admin, "bob").await;
            admin
                .client
                .channels_join()
                .body(
                    serde_json::from_value::<types::ChannelsJoinBody>(json!({"roomId": "GENERAL"}))
                        .expect("a valid body"),
                )
                .send()
                .await
                .expect("the admin joins #general");
            let general = admin
                .client
                .channels_info()
                .room_id("GENERAL")
                .send()
                .await
                .expect("#general exists on a fresh server")
                .into_inner()
                .channel;
            super::grant_users_own_integrations(&server).await;
            Self {
                server,
                admin,
                alice,
                bob,
                general,
            }
        }
    }

    /// Create a public room through `channels.create`.
    pub async fn create_room(session: &RcSession, name: &str, members: &[&str]) -> types::Room {
        session
            .client
            .channels_create()
            .body(
                serde_json::from_value::<types::ChannelsCreateBody>(json!({"name": name, "members": members}))
                    .expect("a valid body"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("channels.create {name}: {e}"))
            .into_inner()
            .channel
    }

    /// Create an integration from a JSON body.
    pub async fn create_integration(session: &RcSession, body: Value) -> types::Integration {
        session
            .client
            .integrations_create()
            .body(serde_json::from_value::<types::IntegrationsCreateBody>(body).expect("a valid body"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("integrations.create: {e}"))
            .into_inner()
            .integration
    }

    /// Post a message through `chat.postMessage`.
    pub async fn post(session: &RcSession, channel: &str, text: &str) -> types::Message {
        session
            .client
            .chat_post_message()
            .body(
                serde_json::from_value::<types::ChatPostMessageBody>(json!({"channel": channel, "text": text}))
                    .expect("a valid body"),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("chat.postMessage: {e}"))
            .into_inner()
            .message
    }

    /// The newest messages of a public room, newest first.
    pub async fn history(session: &RcSession, room_id: &str) -> Vec<types::Message> {
        session
            .client
            .channels_history()
            .room_id(room_id)
            .count(100)
            .send()
            .await
            .unwrap_or_else(|e| panic!("channels.history: {e}"))
            .into_inner()
            .messages
    }

    /// An outgoing integration's delivery history, newest first.
    pub async fn deliveries(session: &RcSession, integration_id: &str) -> Vec<types::IntegrationHistory> {
        session
            .client
            .integrations_history()
            .id(integration_id)
            .send()
            .await
            .unwrap_or_else(|e| panic!("integrations.history: {e}"))
            .into_inner()
            .history
    }

    /// One request a [`Receiver`] got.
    #[derive(Debug, Clone)]
    pub struct Received {
        pub method: String,
        pub path: String,
        /// The query string, if any.
        pub query: Option<String>,
        pub content_type: String,
        /// Every header, names lower-case (the last of repeated ones).
        pub headers: std::collections::HashMap<String, String>,
        pub body: Value,
    }

    #[derive(Default)]
    struct ReceiverState {
        received: Vec<Received>,
        /// Answers still to give, in order; then `fallback`.
        script: VecDeque<(u16, String)>,
        fallback: (u16, String),
    }

    /// A real HTTP server on 127.0.0.1 for outgoing integrations: it records
    /// every request and answers from a script, then with a fallback answer.
    /// It stops when dropped.
    pub struct Receiver {
        pub base: String,
        state: Arc<Mutex<ReceiverState>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl Receiver {
        /// A receiver that always answers `status` with `body`.
        pub async fn answering(status: u16, body: &str) -> Self {
            Self::scripted(&[], (status, body)).await
        }

        /// A receiver that gives the `script` answers first, then `fallback`.
        pub async fn scripted(script: &[(u16, &str)], fallback: (u16, &str)) -> Self {
            let state = Arc::new(Mutex::new(ReceiverState {
                received: Vec::new(),
                script: script.iter().map(|(s, b)| (*s, (*b).to_owned())).collect(),
                fallback: (fallback.0, fallback.1.to_owned()),
            }));
            let shared = Arc::clone(&state);
            let app = axum::Router::new().fallback(
                move |method: axum::http::Method,
                      uri: axum::http::Uri,
                      headers: axum::http::HeaderMap,
                      body: String| {
                    let shared = Arc::clone(&shared);
                    async move {
                        let mut state = shared.lock().expect("receiver state");
                        state.received.push(Received {
                            method: method.as_str().to_owned(),
                            path: uri.path().to_owned(),
                            query: uri.query().map(str::to_owned),
                            headers: headers
                                .iter()
                                .map(|(name, value)| {
                                    (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned())
                                })
                                .collect(),
                            content_type: headers
                                .get("content-type")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned(),
                            body: serde_json::from_str(&body).unwrap_or(Value::String(body)),
                        });
                        let (status, answer) = state.script.pop_front().unwrap_or_else(|| state.fallback.clone());
                        let status = axum::http::StatusCode::from_u16(status).expect("valid status");
                        (status, [("content-type", "application/json")], answer)
                    }
                },
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("receiver binds");
            let addr = listener.local_addr().expect("receiver address");
            let task = tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            Self {
                base: format!("http://{addr}"),
                state,
                task,
            }
        }

        /// A URL of this receiver.
        pub fn url(&self, path: &str) -> String {
            format!("{}{path}", self.base)
        }

        /// What it has received so far.
        pub fn received(&self) -> Vec<Received> {
            self.state.lock().expect("receiver state").received.clone()
        }

        /// Wait until it has received at least `n` requests; returns them all.
        pub async fn wait_for(&self, n: usize) -> Vec<Received> {
            eventually(&format!("{n} requests at the receiver"), || async {
                let received = self.received();
                (received.len() >= n).then_some(received)
            })
            .await
        }
    }

    impl Drop for Receiver {
        fn drop(&mut self) {
            self.task.abort();
        }
    }
}

/// A web server on 127.0.0.1 with images (and things that are not), for the
/// web UI's image proxy: `/pixel.gif` (a 1×1 GIF), `/page.html` (HTML),
/// `/moved` (a redirect to `/pixel.gif`) and `/huge.png` (over the proxy's
/// limit). It counts the requests it gets, and stops when dropped.
pub struct ImageServer {
    pub base: String,
    hits: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

/// The smallest GIF: one transparent pixel.
pub const PIXEL_GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

impl ImageServer {
    pub async fn start() -> Self {
        use axum::http::header;
        use axum::response::IntoResponse;
        let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let app = axum::Router::new()
            .route(
                "/pixel.gif",
                axum::routing::get(|| async { ([(header::CONTENT_TYPE, "image/gif")], PIXEL_GIF) }),
            )
            .route(
                "/page.html",
                axum::routing::get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<script>alert(1)</script>") }),
            )
            .route(
                "/moved",
                axum::routing::get(|| async { axum::response::Redirect::to("/pixel.gif").into_response() }),
            )
            .route(
                "/huge.png",
                axum::routing::get(|| async { ([(header::CONTENT_TYPE, "image/png")], vec![0u8; 6 * 1024 * 1024]) }),
            )
            .layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    next.run(request)
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("image server binds");
        let addr = listener.local_addr().expect("image server address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base: format!("http://{addr}"),
            hits,
            task,
        }
    }

    /// A URL of this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for ImageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
