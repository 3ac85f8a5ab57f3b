//! The seed file (`--config`): the README's example, applied at start, gives
//! fixed hook URLs and tokens in both APIs; applying again changes nothing
//! and leaves what the APIs made alone.

use std::path::{Path, PathBuf};

use chathooks::seed;
use chathooks_tests::TestServer;
use serde_json::{Value, json};

/// The TOML block after `<!-- seed-example -->` in the README.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md")).unwrap();
    let after = readme
        .split("<!-- seed-example -->")
        .nth(1)
        .expect("the README marks its seed example");
    let block = after
        .split("```toml\n")
        .nth(1)
        .expect("a toml block follows the marker");
    block.split("\n```").next().unwrap().to_owned()
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("chathooks.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn json_of(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn the_readme_example_gives_fixed_hooks_and_tokens_in_both_apis() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &readme_example());
    let server = TestServer::start_with(|config| config.seed = Some(path)).await;
    let base = &server.base;
    let http = reqwest::Client::new();

    // Mattermost: the incoming hook at its declared id posts into engineering/builds.
    let (status, answer) = json_of(
        http.post(format!("{base}/hooks/buildhook00000000000000000"))
            .json(&json!({"text": "build 42 passed"})),
    )
    .await;
    assert_eq!((status, answer), (200, Value::String("ok".into())));
    // The admin's declared token is a bearer token.
    let admin_token = "ci-admin-token-0123456789";
    let (status, channel) = json_of(
        http.get(format!("{base}/api/v4/teams/name/engineering/channels/name/builds"))
            .bearer_auth(admin_token),
    )
    .await;
    assert_eq!(status, 200, "{channel}");
    let (_, posts) = json_of(
        http.get(format!(
            "{base}/api/v4/channels/{}/posts",
            channel["id"].as_str().unwrap()
        ))
        .bearer_auth(admin_token),
    )
    .await;
    let post = posts["posts"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .expect("the hook's post")
        .clone();
    assert_eq!(post["message"], "build 42 passed");
    assert_eq!(
        post["user_id"], "deploybot0000000000000000a",
        "the hook's owner, by its fixed id"
    );
    assert_eq!(post["props"]["override_username"], "ci");

    // The bot's token, and its fixed id.
    let (status, me) = json_of(
        http.get(format!("{base}/api/v4/users/me"))
            .bearer_auth("ci-bot-token-0123456789ab"),
    )
    .await;
    assert_eq!(
        (status, me["id"].as_str(), me["username"].as_str()),
        (200, Some("deploybot0000000000000000a"), Some("deploy-bot"))
    );
    // The same token is a Rocket.Chat X-Auth-Token with the user's id.
    let (status, me) = json_of(
        http.get(format!("{base}/api/v1/me"))
            .header("X-Auth-Token", "ci-bot-token-0123456789ab")
            .header("X-User-Id", "deploybot0000000000000000a"),
    )
    .await;
    assert_eq!((status, me["username"].as_str()), (200, Some("deploy-bot")), "{me}");

    // The Mattermost outgoing hook, with its declared token and channel.
    let (status, hook) = json_of(
        http.get(format!("{base}/api/v4/hooks/outgoing/deployhook0000000000000000"))
            .bearer_auth(admin_token),
    )
    .await;
    assert_eq!(status, 200, "{hook}");
    assert_eq!(
        (hook["token"].as_str(), hook["channel_id"].as_str()),
        (Some("deploytoken000000000000000"), channel["id"].as_str())
    );
    assert_eq!(hook["content_type"], "application/json");

    // Rocket.Chat: the incoming integration at its declared id and token.
    let (status, answer) = json_of(
        http.post(format!(
            "{base}/hooks/BuildHook00000001/buildtoken0000000000000000000000000000000000000"
        ))
        .json(&json!({"text": "from rocket.chat"})),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"success": true})));
    let admin_id = server.admin().await.user.id;
    let rc = |path: &str| {
        http.get(format!("{base}/api/v1/{path}"))
            .header("X-Auth-Token", admin_token)
            .header("X-User-Id", admin_id.as_str())
    };
    let (status, outgoing) = json_of(rc("integrations.get?integrationId=DeployHook0000001")).await;
    assert_eq!(status, 200, "{outgoing}");
    let integration = &outgoing["integration"];
    assert_eq!(integration["urls"], json!(["http://127.0.0.1:9000/rocketchat"]));
    assert_eq!(
        (integration["retryFailedCalls"].as_bool(), integration["token"].as_str()),
        (Some(true), Some("rc-outgoing-token"))
    );

    // The declared password works too.
    server.login("admin", "admin-password").await;
}

#[tokio::test]
async fn applying_again_changes_nothing_and_leaves_api_objects_alone() {
    let dir = tempfile::tempdir().unwrap();
    let text = readme_example();
    let path = write(dir.path(), &text);
    let server = TestServer::start_with(|config| config.seed = Some(path.clone())).await;
    let core = &server.state.core;
    let file = seed::load(&path).unwrap();

    // Something made through the API meanwhile.
    let admin = server.admin().await;
    let team = admin
        .client
        .get_team_by_name()
        .name("engineering")
        .send()
        .await
        .unwrap()
        .into_inner();
    let extra = chathooks_tests::create_channel(
        &admin,
        &team.id,
        "made-by-api",
        chathooks_mattermost_types::CreateChannelBodyType::O,
    )
    .await;

    let again = seed::apply(core, &file).await.unwrap();
    assert_eq!(again, seed::Applied::default(), "a second start changes nothing");
    admin
        .client
        .get_channel()
        .channel_id(&extra.id)
        .send()
        .await
        .expect("left alone");

    // A changed declaration is brought in line, and only it.
    let changed = text.replace("display_name = \"CI\"", "display_name = \"Continuous integration\"");
    assert_ne!(changed, text);
    let file = seed::parse(&path, &changed).unwrap();
    let applied = seed::apply(core, &file).await.unwrap();
    assert_eq!(applied, seed::Applied { created: 0, updated: 1 });
    let hook = admin
        .client
        .get_incoming_webhook()
        .hook_id("buildhook00000000000000000")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hook.display_name, "Continuous integration");
}

#[tokio::test]
async fn a_bad_seed_file_stops_the_start_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = readme_example().replace("owner = \"deploy-bot\"", "owner = \"nobody\"");
    let path = write(dir.path(), &text);
    let line = text.lines().position(|l| l.contains("owner = \"nobody\"")).unwrap() + 1;
    let mut config = chathooks::server::Config::ephemeral();
    config.seed = Some(path.clone());
    let error = chathooks::server::open(config)
        .await
        .err()
        .expect("the start is refused");
    let message = error.to_string();
    assert_eq!(
        message,
        format!(
            "{}:{line}: unknown user `nobody` (declare it under [[users]])",
            path.display()
        )
    );
}
