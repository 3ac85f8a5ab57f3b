//! Support for end-to-end tests: start the real server (real socket, real
//! SQLite) on a free loopback port, and talk to it with the generated client.

use std::net::SocketAddr;
use std::sync::Arc;

use chathooks::server::{self, Config, Shared};
use chathooks::store::SqliteStore;
use chathooks_mattermost_client::Client;
use chathooks_mattermost_types as types;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password";

/// A running server; it stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base: String,
    pub state: Shared<SqliteStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    running: Option<server::Running>,
}

impl TestServer {
    /// A server on an in-memory database with the admin account.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::ephemeral();
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

/// Keep `Arc` in the public API of this crate obviously used.
pub type SharedState = Arc<chathooks::server::AppState<SqliteStore>>;
