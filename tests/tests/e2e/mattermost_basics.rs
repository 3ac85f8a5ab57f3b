//! Users, sessions, teams, channels and posts, through the generated client
//! against the running server; and how every refusal is answered.

use chathooks_mattermost_types as types;
use chathooks_tests::{ADMIN, ADMIN_PASSWORD, TestServer, World, app_error};

#[tokio::test]
async fn login_me_and_user_lookup() {
    let world = World::new().await;
    let me = world.member.client.get_me().send().await.unwrap().into_inner();
    assert_eq!(me.username, "alice");
    assert_eq!(me.id.len(), 26);
    assert_eq!(me.roles, "system_user");
    let admin = world
        .admin
        .client
        .get_user()
        .user_id(&me.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(admin.email, "alice@example.com");
    let myself = world
        .member
        .client
        .get_user()
        .user_id("me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(myself.id, me.id);

    let (status, error) = app_error(world.member.client.get_user().user_id("not-an-id").send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_url_param.app_error")
    );
    let (status, error) = app_error(world.member.client.get_user().user_id("a".repeat(26)).send().await);
    assert_eq!((status, error.id.as_str()), (404, "app.user.missing_account.const"));
}

/// `POST /api/v4/users/login` as the admin with `password`.
async fn login_as_admin(
    server: &TestServer,
    password: &str,
) -> Result<chathooks_mattermost_client::ResponseValue<types::User>, chathooks_mattermost_client::Error<types::AppError>>
{
    server
        .anonymous()
        .login()
        .body(types::LoginBody {
            login_id: ADMIN.into(),
            password: password.into(),
            device_id: None,
            ldap_only: None,
            token: None,
        })
        .send()
        .await
}

/// Mattermost's `MaximumLoginAttempts` (10 by default): after ten wrong
/// passwords in a row the eleventh attempt, and then the right password, are
/// refused with the lockout error.
#[tokio::test]
async fn ten_wrong_passwords_lock_the_account() {
    let server = TestServer::start().await;
    for _ in 0..10 {
        let (status, error) = app_error(login_as_admin(&server, "wrong").await);
        assert_eq!(
            (status, error.id.as_str()),
            (401, "api.user.login.invalid_credentials_email_username")
        );
    }
    for password in ["wrong", ADMIN_PASSWORD] {
        let (status, error) = app_error(login_as_admin(&server, password).await);
        assert_eq!(
            (status, error.id.as_str()),
            (401, "api.user.check_user_login_attempts.too_many.app_error")
        );
    }
}

/// The count lives in the database: two instances sharing it see the same
/// failures, so the lockout holds across them.
#[tokio::test]
async fn instances_sharing_a_database_count_the_same_failures() {
    let dir = tempfile::tempdir().unwrap();
    let database = chathooks_tests::persistent_database(dir.path());
    let first = TestServer::start_with(|config| config.database = database.clone()).await;
    let second = TestServer::start_with(|config| config.database = database.clone()).await;
    for server in [&first, &second] {
        for _ in 0..5 {
            assert_eq!(app_error(login_as_admin(server, "wrong").await).0, 401);
        }
    }
    for server in [&first, &second] {
        let (status, error) = app_error(login_as_admin(server, ADMIN_PASSWORD).await);
        assert_eq!(
            (status, error.id.as_str()),
            (401, "api.user.check_user_login_attempts.too_many.app_error")
        );
    }
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn wrong_password_and_missing_session_are_401() {
    let server = TestServer::start().await;
    let result = server
        .anonymous()
        .login()
        .body(types::LoginBody {
            login_id: "admin".into(),
            password: "wrong".into(),
            device_id: None,
            ldap_only: None,
            token: None,
        })
        .send()
        .await;
    let (status, error) = app_error(result);
    assert_eq!(
        (status, error.id.as_str()),
        (401, "api.user.login.invalid_credentials_email_username")
    );

    let (status, error) = app_error(server.anonymous().get_me().send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (401, "api.context.session_expired.app_error")
    );
    let (status, _) = app_error(server.client_with_token("nosuchtoken").get_me().send().await);
    assert_eq!(status, 401);
}

/// The token is accepted as a bearer token, `Authorization: Token`, the
/// MMAUTHTOKEN cookie and the access_token query parameter.
#[tokio::test]
async fn every_token_carrier_is_accepted() {
    let server = TestServer::start().await;
    let admin = server.admin().await;
    let http = reqwest::Client::new();
    let me = format!("{}/api/v4/users/me", server.base);
    let requests = [
        http.get(&me).header("Authorization", format!("Bearer {}", admin.token)),
        http.get(&me).header("Authorization", format!("bearer {}", admin.token)),
        http.get(&me).header("Authorization", format!("Token {}", admin.token)),
        http.get(&me).header("Cookie", format!("MMAUTHTOKEN={}", admin.token)),
        http.get(format!("{me}?access_token={}", admin.token)),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let user: serde_json::Value = response.json().await.unwrap();
        assert_eq!(user["username"], "admin");
    }
}

#[tokio::test]
async fn errors_carry_the_request_id() {
    let server = TestServer::start().await;
    let response = reqwest::get(format!("{}/api/v4/users/me", server.base)).await.unwrap();
    assert_eq!(response.status(), 401);
    let header = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["request_id"], header.as_str());
    assert_eq!(body["status_code"], 401);
    assert_eq!(header.len(), 26);
}

#[tokio::test]
async fn malformed_bodies_oversized_bodies_and_unknown_types_are_app_errors() {
    let server = TestServer::start_with(|config| config.max_body_bytes = 4096).await;
    let admin = server.admin().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v4/teams", server.base);
    let bearer = format!("Bearer {}", admin.token);

    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            http.post(&url)
                .header("Authorization", &bearer)
                .header("Content-Type", "application/json")
                .body("{not json"),
            400,
            "api.context.invalid_body_param.app_error",
        ),
        (
            http.post(&url)
                .header("Authorization", &bearer)
                .json(&serde_json::json!({"name": "x"})),
            400,
            "api.context.invalid_body_param.app_error",
        ),
        // Read as JSON whatever the Content-Type says, as the real server does.
        (
            http.post(&url)
                .header("Authorization", &bearer)
                .header("Content-Type", "application/xml")
                .body("<team/>"),
            400,
            "api.context.invalid_body_param.app_error",
        ),
        (
            http.post(&url)
                .header("Authorization", &bearer)
                .json(&serde_json::json!({"name": "x".repeat(10_000)})),
            413,
            "api.context.request_body_too_large.app_error",
        ),
    ];
    for (request, status, id) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["id"], id, "{body}");
        assert_eq!(body["status_code"], status);
    }
    // A JSON body sent as text (or as anything else) is taken as JSON.
    for content_type in ["text/plain", "application/x-unknown"] {
        let name = format!("lenient-{}", content_type.len());
        let response = http
            .post(&url)
            .header("Authorization", &bearer)
            .header("Content-Type", content_type)
            .body(serde_json::json!({"name": name, "display_name": "Lenient", "type": "O"}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{content_type}");
        let team: serde_json::Value = response.json().await.unwrap();
        assert_eq!(team["name"], name.as_str());
    }
    let response = http
        .get(format!("{}/api/v4/nothing/here", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["id"], "api.context.404.app_error");
}

#[tokio::test]
async fn teams_channels_and_membership() {
    let world = World::new().await;
    let team = world
        .member
        .client
        .get_team()
        .team_id(&world.team.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(team.name, "engineering");
    let by_name = world
        .member
        .client
        .get_team_by_name()
        .name("engineering")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_name.id, team.id);
    let channel = world
        .member
        .client
        .get_channel_by_name()
        .team_id(&team.id)
        .channel_name("town-square")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(channel.id, world.open_channel.id);
    assert_eq!(channel.type_, types::ChannelType::O);

    // Outsiders cannot read the private channel; members can.
    let private = world
        .member
        .client
        .get_channel()
        .channel_id(&world.private_channel.id)
        .send()
        .await
        .unwrap();
    assert_eq!(private.into_inner().type_, types::ChannelType::P);
    let (status, error) = app_error(
        world
            .outsider
            .client
            .get_channel()
            .channel_id(&world.private_channel.id)
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, "api.context.permissions.app_error"));

    // Duplicate names are refused.
    let (status, error) = app_error(
        world
            .admin
            .client
            .create_channel()
            .body(types::CreateChannelBody {
                team_id: team.id.clone(),
                name: "town-square".into(),
                display_name: "again".into(),
                type_: types::CreateChannelBodyType::O,
                header: None,
                purpose: None,
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (400, "store.sql_channel.save_channel.exists.app_error")
    );

    // Members cannot add people to a team they do not administer.
    let (status, _) = app_error(
        world
            .member
            .client
            .add_team_member()
            .team_id(&team.id)
            .body(types::AddTeamMemberBody {
                team_id: team.id.clone(),
                user_id: world.outsider.user.id.clone(),
            })
            .send()
            .await,
    );
    assert_eq!(status, 403);
}

#[tokio::test]
async fn posts_are_listed_newest_first() {
    let world = World::new().await;
    for message in ["first", "second", "third"] {
        let post = world
            .member
            .client
            .create_post()
            .body(types::CreatePostBody {
                channel_id: world.open_channel.id.clone(),
                message: message.into(),
                root_id: None,
                props: Default::default(),
                file_ids: Vec::new(),
            })
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(post.message, message);
        assert_eq!(post.user_id, world.member.user.id);
    }
    let list = world
        .other_member
        .client
        .get_posts_for_channel()
        .channel_id(&world.open_channel.id)
        .per_page(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.order.len(), 2);
    let messages: Vec<&str> = list.order.iter().map(|id| list.posts[id].message.as_str()).collect();
    assert_eq!(messages, ["third", "second"]);

    let (status, _) = app_error(
        world
            .outsider
            .client
            .get_posts_for_channel()
            .channel_id(&world.private_channel.id)
            .send()
            .await,
    );
    assert_eq!(status, 403);
}

/// Send `head`, then `body` after a pause (as urllib3 does, in two writes),
/// and read one answer; `None` if the server closed the connection instead.
async fn exchange(stream: &mut tokio::net::TcpStream, head: &str, body: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream.write_all(head.as_bytes()).await.ok()?;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stream.write_all(body.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // Every answer here has `content-length: N` and a short body: read until it is all in.
    loop {
        let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .ok()?
            .ok()?;
        if read == 0 {
            return None;
        }
        answer.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, rest)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if rest.len() >= length {
                return Some(text);
            }
        }
    }
}

/// A request whose small body arrives after its headers, answered without
/// reading the body (the redirect of an unclean path, an unknown route, an
/// operation that takes no body), leaves the connection usable: the next
/// request on it is answered. mattermostdriver sends `{}` with every GET and
/// follows the redirect on the same connection.
#[tokio::test]
async fn answers_made_without_reading_the_body_keep_the_connection() {
    let server = TestServer::start().await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let host = server.addr;
    let with_body = |method: &str, path: &str| {
        format!(
            "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n"
        )
    };
    let redirect = exchange(&mut stream, &with_body("GET", "/api/v4/posts/abc//reactions"), "{}")
        .await
        .expect("the redirect is answered");
    assert!(redirect.starts_with("HTTP/1.1 301"), "{redirect}");
    assert!(
        !redirect.to_ascii_lowercase().contains("connection: close"),
        "{redirect}"
    );
    let unknown = exchange(&mut stream, &with_body("GET", "/api/v4/no/such/route"), "{}")
        .await
        .expect("the connection survived the redirect");
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    let ping = exchange(&mut stream, &with_body("GET", "/api/v4/system/ping"), "{}")
        .await
        .expect("the connection survived the unknown route");
    assert!(ping.starts_with("HTTP/1.1 200"), "{ping}");
    // Past what the server reads up front: the generated server drains it.
    let large = "x".repeat(100_000);
    let head = format!(
        "GET /api/v4/system/ping HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n",
        large.len()
    );
    let drained = exchange(&mut stream, &head, &large)
        .await
        .expect("the connection survived an operation that takes no body");
    assert!(drained.starts_with("HTTP/1.1 200"), "{drained}");
    let after = exchange(
        &mut stream,
        &format!("GET /api/v4/system/ping HTTP/1.1\r\nhost: {host}\r\n\r\n"),
        "",
    )
    .await
    .expect("the connection survived a large body it did not need");
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    server.shutdown().await;
}
