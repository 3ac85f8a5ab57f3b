//! Mattermost bot accounts (`/api/v4/bots`) through the generated client:
//! their life cycle, Mattermost's default permissions (system admins only)
//! and the owner rules, a bot posting with a personal access token (its
//! posts marked `from_bot`), a disabled bot's tokens refused, and a bot the
//! seed file declares posting with its fixed token.

use chathooks_mattermost_types as types;
use chathooks_tests::{Session, TestServer, World, app_error};
use serde_json::{Value, json};

const PERMISSIONS: &str = "api.context.permissions.app_error";
const MISSING: &str = "store.sql_bot.get.missing.app_error";

fn patch(username: Option<&str>, display_name: Option<&str>, description: Option<&str>) -> types::BotPatch {
    types::BotPatch {
        username: username.map(str::to_owned),
        display_name: display_name.map(str::to_owned),
        description: description.map(str::to_owned),
    }
}

async fn create_bot(session: &Session, username: &str) -> types::Bot {
    session
        .client
        .create_bot()
        .body(patch(Some(username), Some("A Bot"), Some("does things")))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bot {username}: {e}"))
        .into_inner()
}

async fn list(session: &Session, include_deleted: bool) -> Vec<String> {
    let mut request = session.client.get_bots();
    if include_deleted {
        request = request.include_deleted("true");
    }
    request
        .send()
        .await
        .expect("bots listed")
        .into_inner()
        .iter()
        .map(|b| b.username.clone())
        .collect()
}

/// Give `system_user` these bot permissions on top of what it holds.
async fn grant_users(server: &TestServer, extra: &[chathooks::permissions::Permission]) {
    use chathooks::permissions::{self, ROLE_SYSTEM_USER};
    let core = &server.state.core;
    let mut held = permissions::role(core, ROLE_SYSTEM_USER)
        .await
        .unwrap()
        .unwrap()
        .permissions;
    held.extend(extra.iter().copied());
    permissions::set_role_permissions(core, ROLE_SYSTEM_USER, &held)
        .await
        .unwrap();
}

/// A personal access token for the bot `user_id`, made by `by`.
async fn token_for(by: &Session, user_id: &str) -> String {
    by.client
        .create_user_access_token()
        .user_id(user_id)
        .body(types::CreateUserAccessTokenBody {
            description: "bot token".into(),
        })
        .send()
        .await
        .expect("token for the bot")
        .into_inner()
        .token
}

async fn post_as(client: &chathooks_mattermost_client::Client, channel_id: &str, message: &str) -> types::Post {
    client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: channel_id.into(),
            message: message.into(),
            root_id: None,
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("post {message}: {e}"))
        .into_inner()
}

#[tokio::test]
async fn a_bot_is_created_read_patched_disabled_and_enabled() {
    let world = World::with_overrides_and_bots().await;
    let admin = &world.admin;
    let bot = create_bot(admin, "CI-Bot").await;
    assert_eq!(
        (
            bot.username.as_str(),
            bot.display_name.as_deref(),
            bot.description.as_deref(),
            bot.owner_id.as_str(),
            bot.delete_at
        ),
        ("ci-bot", Some("A Bot"), Some("does things"), admin.user.id.as_str(), 0)
    );
    assert!(bot.create_at > 0 && bot.update_at == bot.create_at);

    // Its user says it is a bot, with its description; people's users do not.
    let user = admin
        .client
        .get_user()
        .user_id(&bot.user_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            user.username.as_str(),
            user.first_name.as_deref(),
            user.is_bot,
            user.bot_description.as_deref()
        ),
        ("ci-bot", Some("A Bot"), Some(true), Some("does things"))
    );
    let raw = reqwest::Client::new()
        .get(format!("{}/api/v4/users/{}", world.server.base, world.member.user.id))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        raw.get("is_bot").is_none() && raw.get("bot_description").is_none(),
        "{raw}"
    );

    assert_eq!(list(admin, false).await, ["ci-bot"]);
    let got = admin
        .client
        .get_bot()
        .bot_user_id(&bot.user_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.user_id, bot.user_id);

    // A patch changes what it names, the user with it.
    let patched = admin
        .client
        .patch_bot()
        .bot_user_id(&bot.user_id)
        .body(patch(Some("release-bot"), None, Some("releases")))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            patched.username.as_str(),
            patched.display_name.as_deref(),
            patched.description.as_deref()
        ),
        ("release-bot", Some("A Bot"), Some("releases"))
    );
    assert!(patched.update_at >= bot.update_at);
    let renamed = admin
        .client
        .get_user_by_username()
        .username("release-bot")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.id, bot.user_id);

    // Field rules and taken names, with Mattermost's ids.
    for (body, id) in [
        (
            patch(Some("alice"), None, None),
            "app.user.save.username_exists.app_error",
        ),
        (
            patch(Some("no spaces"), None, None),
            "model.bot.is_valid.username.app_error",
        ),
        (
            patch(None, None, Some(&"x".repeat(1025))),
            "model.bot.is_valid.description.app_error",
        ),
        (
            patch(None, Some(&"x".repeat(65)), None),
            "model.bot.is_valid.user_id.app_error",
        ),
    ] {
        let (status, error) = app_error(
            admin
                .client
                .patch_bot()
                .bot_user_id(&bot.user_id)
                .body(body)
                .send()
                .await,
        );
        assert_eq!((status, error.id.as_str()), (400, id));
    }
    for (body, id) in [
        (
            patch(Some("bob"), None, None),
            "app.user.save.username_exists.app_error",
        ),
        (
            patch(None, Some("nameless"), None),
            "model.bot.is_valid.username.app_error",
        ),
    ] {
        let (status, error) = app_error(admin.client.create_bot().body(body).send().await);
        assert_eq!((status, error.id.as_str()), (400, id));
    }

    // Disabled: gone unless asked for, and back when enabled.
    let disabled = admin
        .client
        .disable_bot()
        .bot_user_id(&bot.user_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(disabled.delete_at > 0);
    let (status, error) = app_error(admin.client.get_bot().bot_user_id(&bot.user_id).send().await);
    assert_eq!((status, error.id.as_str()), (404, MISSING));
    let found = admin
        .client
        .get_bot()
        .bot_user_id(&bot.user_id)
        .include_deleted("true")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.delete_at, disabled.delete_at);
    assert!(list(admin, false).await.is_empty());
    assert_eq!(list(admin, true).await, ["release-bot"]);
    let enabled = admin
        .client
        .enable_bot()
        .bot_user_id(&bot.user_id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(enabled.delete_at, 0);
    assert_eq!(list(admin, false).await, ["release-bot"]);

    // A user who is not a bot is not found as one; a bad id is a bad id.
    let (status, error) = app_error(admin.client.get_bot().bot_user_id(&admin.user.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, MISSING));
    let (status, error) = app_error(admin.client.get_bot().bot_user_id("nope").send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_url_param.app_error")
    );
}

#[tokio::test]
async fn bot_permissions_are_the_admins_by_default_and_follow_ownership() {
    use chathooks::permissions::Permission;
    let world = World::with_overrides_and_bots().await;
    let (admin, member) = (&world.admin, &world.member);
    let admins_bot = create_bot(admin, "admins-bot").await;

    // A plain member holds no bot permission: refused, and others' bots do
    // not exist for them.
    let (status, error) = app_error(
        member
            .client
            .create_bot()
            .body(patch(Some("mine"), None, None))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    let (status, error) = app_error(member.client.get_bots().send().await);
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    let (status, error) = app_error(member.client.get_bot().bot_user_id(&admins_bot.user_id).send().await);
    assert_eq!((status, error.id.as_str()), (404, MISSING));
    let (status, error) = app_error(
        member
            .client
            .disable_bot()
            .bot_user_id(&admins_bot.user_id)
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (404, MISSING));

    // Given Mattermost's own-bot permissions, a member manages their own bots only.
    grant_users(
        &world.server,
        &[Permission::CreateBot, Permission::ReadBots, Permission::ManageBots],
    )
    .await;
    let own = create_bot(member, "members-bot").await;
    assert_eq!(own.owner_id, member.user.id);
    assert_eq!(list(member, false).await, ["members-bot"]);
    assert_eq!(list(admin, false).await, ["admins-bot", "members-bot"]);
    member
        .client
        .patch_bot()
        .bot_user_id(&own.user_id)
        .body(patch(None, Some("Mine"), None))
        .send()
        .await
        .expect("own bot patched");
    member
        .client
        .disable_bot()
        .bot_user_id(&own.user_id)
        .send()
        .await
        .expect("own bot disabled");
    let (status, error) = app_error(
        member
            .client
            .patch_bot()
            .bot_user_id(&admins_bot.user_id)
            .body(patch(None, Some("Taken"), None))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (404, MISSING));
    // Reading others' bots without managing them: now a 403.
    grant_users(&world.server, &[Permission::ReadOthersBots]).await;
    member
        .client
        .get_bot()
        .bot_user_id(&admins_bot.user_id)
        .send()
        .await
        .expect("others' bots readable");
    let (status, error) = app_error(
        member
            .client
            .patch_bot()
            .bot_user_id(&admins_bot.user_id)
            .body(patch(None, Some("Taken"), None))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));

    // A bot may not make bots, even holding create_bot.
    let token = token_for(admin, &admins_bot.user_id).await;
    let as_bot = world.server.client_with_token(&token);
    let (status, error) = app_error(
        as_bot
            .create_bot()
            .body(patch(Some("bot-of-bot"), None, None))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));

    // EnableBotAccountCreation off: creation refused, even for an admin.
    let response = reqwest::Client::new()
        .put(format!("{}/api/v4/config/patch", world.server.base))
        .bearer_auth(&admin.token)
        .json(&json!({"ServiceSettings": {"EnableBotAccountCreation": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, error) = app_error(
        admin
            .client
            .create_bot()
            .body(patch(Some("late-bot"), None, None))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, "api.bot.create_disabled"));
}

#[tokio::test]
async fn a_bot_posts_with_its_token_and_stops_when_disabled() {
    let world = World::with_overrides_and_bots().await;
    let admin = &world.admin;
    let bot = create_bot(admin, "notifier").await;
    admin
        .client
        .add_team_member()
        .team_id(&world.team.id)
        .body(types::AddTeamMemberBody {
            team_id: world.team.id.clone(),
            user_id: bot.user_id.clone(),
        })
        .send()
        .await
        .expect("bot joins the team");
    admin
        .client
        .add_channel_member()
        .channel_id(&world.open_channel.id)
        .body(types::AddChannelMemberBody {
            user_id: bot.user_id.clone(),
        })
        .send()
        .await
        .expect("bot joins the channel");
    let token = token_for(admin, &bot.user_id).await;
    let as_bot = world.server.client_with_token(&token);
    let me = as_bot
        .get_me()
        .send()
        .await
        .expect("the bot's token works")
        .into_inner();
    assert_eq!((me.id.as_str(), me.is_bot), (bot.user_id.as_str(), Some(true)));

    let post = post_as(&as_bot, &world.open_channel.id, "deployed").await;
    assert_eq!(post.user_id, bot.user_id);
    assert_eq!(post.props.get("from_bot"), Some(&json!("true")));
    let human = post_as(&world.member.client, &world.open_channel.id, "thanks").await;
    assert_eq!(human.props.get("from_bot"), None);

    // No password login for a bot, whatever the password.
    for password in ["", "notifier-password"] {
        let (status, error) = app_error(
            world
                .server
                .anonymous()
                .login()
                .body(types::LoginBody {
                    login_id: "notifier".into(),
                    password: password.into(),
                    device_id: None,
                    ldap_only: None,
                    token: None,
                })
                .send()
                .await,
        );
        assert_eq!(
            (status, error.id.as_str()),
            (401, "api.user.login.invalid_credentials_email_username")
        );
    }

    // Disabled, its token is refused; enabled, it works again.
    admin
        .client
        .disable_bot()
        .bot_user_id(&bot.user_id)
        .send()
        .await
        .unwrap();
    let (status, error) = app_error(as_bot.get_me().send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (401, "api.context.session_expired.app_error")
    );
    admin
        .client
        .enable_bot()
        .bot_user_id(&bot.user_id)
        .send()
        .await
        .unwrap();
    as_bot.get_me().send().await.expect("enabled again");
}

const SEED: &str = r#"
[[users]]
username = "boss"
password = "boss-password"

[[teams]]
name = "ops"
members = ["boss"]

[[channels]]
team = "ops"
name = "alerts"
members = ["boss"]

[[mattermost.bots]]
username = "pager"
display_name = "Pager"
description = "Pages people"
owner = "boss"
tokens = ["seeded-pager-token-0123456"]
channels = ["ops/alerts"]
"#;

#[tokio::test]
async fn a_seeded_bot_posts_with_its_fixed_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chathooks.toml");
    std::fs::write(&path, SEED).unwrap();
    let server = TestServer::start_with(|config| config.seed = Some(path)).await;
    let as_bot = server.client_with_token("seeded-pager-token-0123456");
    let me = as_bot
        .get_me()
        .send()
        .await
        .expect("the fixed token works")
        .into_inner();
    assert_eq!(
        (me.username.as_str(), me.is_bot, me.bot_description.as_deref()),
        ("pager", Some(true), Some("Pages people"))
    );
    let channel = as_bot
        .get_channel_by_name_for_team_name()
        .name("ops")
        .channel_name("alerts")
        .send()
        .await
        .expect("the bot is in ops/alerts")
        .into_inner();
    let post = post_as(&as_bot, &channel.id, "disk full").await;
    assert_eq!(post.props.get("from_bot"), Some(&json!("true")));

    let admin = server.admin().await;
    let bot = admin
        .client
        .get_bot()
        .bot_user_id(&me.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let boss = admin
        .client
        .get_user_by_username()
        .username("boss")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (bot.owner_id.as_str(), bot.display_name.as_deref()),
        (boss.id.as_str(), Some("Pager"))
    );
}

#[tokio::test]
async fn a_bot_owner_manages_its_tokens() {
    use chathooks::permissions::Permission;
    let world = World::with_overrides_and_bots().await;
    grant_users(
        &world.server,
        &[
            Permission::CreateBot,
            Permission::ReadBots,
            Permission::ManageBots,
            Permission::CreateAccessToken,
        ],
    )
    .await;
    let own = create_bot(&world.member, "alices-bot").await;
    let token = token_for(&world.member, &own.user_id).await;
    world
        .server
        .client_with_token(&token)
        .get_me()
        .send()
        .await
        .expect("the owner's token for the bot works");
    // Someone else's bot is not theirs to give tokens to.
    let theirs = create_bot(&world.other_member, "bobs-bot").await;
    let (status, error) = app_error(
        world
            .member
            .client
            .create_user_access_token()
            .user_id(&theirs.user_id)
            .body(types::CreateUserAccessTokenBody {
                description: "not mine".into(),
            })
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
}

/// A slash command's integration on loopback: answers every call with an
/// in-channel reply.
async fn in_channel_receiver() -> String {
    let app = axum::Router::new().fallback(|| async {
        (
            [("content-type", "application/json")],
            json!({"response_type": "in_channel", "text": "deploy started"}).to_string(),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("receiver binds");
    let base = format!("http://{}", listener.local_addr().expect("receiver address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// Mattermost's `CreatePost` marks every post of a bot user `from_bot`, not
/// only those of its REST calls: the posts of a webhook the bot owns and the
/// in-channel answer to a slash command the bot ran carry it too.
#[tokio::test]
async fn a_bots_webhook_posts_and_command_answers_are_from_bot() {
    let server = TestServer::start_with(|config| {
        config.allow_internal_callbacks = "127.0.0.1".parse().expect("allow list parses");
    })
    .await;
    server.allow_overrides_and_bots().await;
    chathooks_tests::grant_members_own_hooks(&server).await;
    let world = World::build(server).await;
    let admin = &world.admin;
    let bot = create_bot(admin, "shipper").await;
    admin
        .client
        .add_team_member()
        .team_id(&world.team.id)
        .body(types::AddTeamMemberBody {
            team_id: world.team.id.clone(),
            user_id: bot.user_id.clone(),
        })
        .send()
        .await
        .expect("bot joins the team");
    admin
        .client
        .add_channel_member()
        .channel_id(&world.open_channel.id)
        .body(types::AddChannelMemberBody {
            user_id: bot.user_id.clone(),
        })
        .send()
        .await
        .expect("bot joins the channel");
    let as_bot = world.server.client_with_token(&token_for(admin, &bot.user_id).await);

    let hook = as_bot
        .create_incoming_webhook()
        .body(
            serde_json::from_value::<types::CreateIncomingWebhookBody>(
                json!({"channel_id": world.open_channel.id, "display_name": "shipping"}),
            )
            .unwrap(),
        )
        .send()
        .await
        .expect("the bot makes its own hook")
        .into_inner();
    let called = reqwest::Client::new()
        .post(format!("{}/hooks/{}", world.server.base, hook.id))
        .json(&json!({"text": "shipped by hook"}))
        .send()
        .await
        .expect("hook called");
    assert_eq!(called.status(), 200);

    let receiver = in_channel_receiver().await;
    admin
        .client
        .create_command()
        .body(
            serde_json::from_value::<types::CommandInput>(json!({
                "team_id": world.team.id, "trigger": "ship", "url": format!("{receiver}/ship"), "method": "P",
            }))
            .unwrap(),
        )
        .send()
        .await
        .expect("command created");
    for (session, line) in [(&as_bot, "/ship api"), (&world.member.client, "/ship web")] {
        session
            .execute_command()
            .body(types::ExecuteCommandBody {
                channel_id: world.open_channel.id.clone(),
                command: line.into(),
                team_id: None,
                root_id: None,
                parent_id: None,
            })
            .send()
            .await
            .unwrap_or_else(|e| panic!("{line}: {e}"));
    }

    let list = admin
        .client
        .get_posts_for_channel()
        .channel_id(&world.open_channel.id)
        .send()
        .await
        .expect("posts listed")
        .into_inner();
    let mut marks: Vec<_> = list
        .posts
        .values()
        .filter(|p| !p.type_.starts_with("system_"))
        .map(|p| {
            let by_bot = p.user_id == bot.user_id;
            (p.message.as_str(), by_bot, p.props.get("from_bot").cloned())
        })
        .collect();
    marks.sort_by_key(|(message, by_bot, _)| (message.to_string(), *by_bot));
    assert_eq!(
        marks,
        [
            ("deploy started", false, None),
            ("deploy started", true, Some(json!("true"))),
            ("shipped by hook", true, Some(json!("true"))),
        ]
    );
}

async fn assign(session: &Session, bot_user_id: &str, user_id: &str) -> Result<types::Bot, (u16, String)> {
    match session
        .client
        .assign_bot()
        .bot_user_id(bot_user_id)
        .user_id(user_id)
        .send()
        .await
    {
        Ok(bot) => Ok(bot.into_inner()),
        Err(error) => {
            let (status, error) = app_error::<()>(Err(error));
            Err((status, error.id))
        }
    }
}

/// `POST /bots/{bot_user_id}/assign/{user_id}`: the bot's manager gives it
/// to another user, who then manages it alone; a bot may not own one.
#[tokio::test]
async fn a_bot_is_given_to_another_owner() {
    use chathooks::permissions::Permission;
    let world = World::with_overrides_and_bots().await;
    grant_users(
        &world.server,
        &[Permission::CreateBot, Permission::ReadBots, Permission::ManageBots],
    )
    .await;
    let (alice, bob, admin) = (&world.member, &world.other_member, &world.admin);
    let bot = create_bot(alice, "handover").await;
    let robot = create_bot(admin, "robot").await;

    assert_eq!(
        assign(alice, &bot.user_id, "not-an-id").await.unwrap_err(),
        (400, "api.context.invalid_url_param.app_error".to_owned())
    );
    assert_eq!(
        assign(alice, &robot.user_id, &alice.user.id).await.unwrap_err(),
        (404, MISSING.to_owned()),
        "someone else's bot, unreadable, is not found"
    );
    assert_eq!(
        assign(bob, &bot.user_id, &bob.user.id).await.unwrap_err(),
        (404, MISSING.to_owned())
    );
    assert_eq!(
        assign(alice, &bot.user_id, &robot.user_id).await.unwrap_err(),
        (403, PERMISSIONS.to_owned()),
        "a bot may not own a bot"
    );

    let given = assign(alice, &bot.user_id, &bob.user.id)
        .await
        .expect("alice gives it to bob");
    assert_eq!(
        (given.user_id.as_str(), given.owner_id.as_str()),
        (bot.user_id.as_str(), bob.user.id.as_str())
    );
    assert!(given.update_at >= bot.update_at, "{given:?}");
    assert_eq!(list(bob, false).await, ["handover"]);
    assert!(list(alice, false).await.is_empty());
    let (status, error) = app_error(
        alice
            .client
            .patch_bot()
            .bot_user_id(&bot.user_id)
            .body(patch(None, Some("Mine"), None))
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (404, MISSING),
        "alice no longer manages it"
    );

    // An admin gives a disabled bot back.
    admin
        .client
        .disable_bot()
        .bot_user_id(&bot.user_id)
        .send()
        .await
        .unwrap();
    let back = assign(admin, &bot.user_id, &alice.user.id)
        .await
        .expect("admin gives it back");
    assert_eq!(back.owner_id, alice.user.id);
    assert!(back.delete_at > 0, "still disabled: {back:?}");
}

async fn convert(session: &Session, user_id: &str) -> Result<types::Bot, (u16, String)> {
    match session.client.convert_user_to_bot().user_id(user_id).send().await {
        Ok(bot) => Ok(bot.into_inner()),
        Err(error) => {
            let (status, error) = app_error::<()>(Err(error));
            Err((status, error.id))
        }
    }
}

/// `POST /users/{user_id}/convert_to_bot`: a system admin makes a user a
/// bot it owns itself; its login sessions end, its password no longer logs
/// in, and its personal access token keeps working, now as a bot's.
#[tokio::test]
async fn an_admin_converts_a_user_into_a_bot() {
    let world = World::with_overrides_and_bots().await;
    let (alice, bob, admin) = (&world.member, &world.other_member, &world.admin);
    let token = token_for(admin, &alice.user.id).await;

    assert_eq!(
        convert(bob, "not-an-id").await.unwrap_err(),
        (400, "api.context.invalid_url_param.app_error".to_owned())
    );
    assert_eq!(
        convert(bob, "0123456789abcdefghijklmnop").await.unwrap_err(),
        (404, "app.user.missing_account.const".to_owned()),
        "the user is looked up before the permission"
    );
    assert_eq!(
        convert(bob, &alice.user.id).await.unwrap_err(),
        (403, PERMISSIONS.to_owned())
    );

    let bot = convert(admin, &alice.user.id).await.expect("admin converts alice");
    assert_eq!(
        (
            bot.user_id.as_str(),
            bot.owner_id.as_str(),
            bot.username.as_str(),
            bot.description.as_deref().unwrap_or_default(),
            bot.delete_at
        ),
        (alice.user.id.as_str(), alice.user.id.as_str(), "alice", "", 0)
    );
    let (status, error) = app_error(alice.client.get_me().send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (401, "api.context.session_expired.app_error"),
        "her login session ended"
    );
    let as_bot = world.server.client_with_token(&token);
    let me = as_bot
        .get_me()
        .send()
        .await
        .expect("her token still works")
        .into_inner();
    assert_eq!(me.is_bot, Some(true));
    let post = post_as(&as_bot, &world.open_channel.id, "beep").await;
    assert_eq!(post.props.get("from_bot"), Some(&json!("true")));
    let (status, error) = app_error(
        world
            .server
            .anonymous()
            .login()
            .body(types::LoginBody {
                login_id: "alice".into(),
                password: "alice-password".into(),
                device_id: None,
                ldap_only: None,
                token: None,
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (401, "api.user.login.bot_login_forbidden.app_error"),
        "her password is right, but a bot may not log in"
    );
    assert_eq!(list(admin, false).await, ["alice"]);
    assert_eq!(
        convert(admin, &alice.user.id).await.unwrap_err(),
        (400, "app.bot.createbot.internal_error".to_owned()),
        "a bot already"
    );
}

async fn convert_back(
    session: &Session,
    bot_user_id: &str,
    password: Option<&str>,
    set_system_admin: bool,
) -> Result<types::User, (u16, String)> {
    let mut request = session
        .client
        .convert_bot_to_user()
        .bot_user_id(bot_user_id)
        .body(types::BotToUserPatch {
            password: password.map(str::to_owned),
            first_name: Some("Pager".into()),
            ..Default::default()
        });
    if set_system_admin {
        request = request.set_system_admin("true");
    }
    match request.send().await {
        Ok(user) => Ok(user.into_inner()),
        Err(error) => {
            let (status, error) = app_error::<()>(Err(error));
            Err((status, error.id))
        }
    }
}

async fn login(world: &World, login_id: &str, password: &str) -> Result<(), (u16, String)> {
    let answer = world
        .server
        .anonymous()
        .login()
        .body(types::LoginBody {
            login_id: login_id.into(),
            password: password.into(),
            device_id: None,
            ldap_only: None,
            token: None,
        })
        .send()
        .await;
    match answer {
        Ok(_) => Ok(()),
        Err(error) => {
            let (status, error) = app_error::<()>(Err(error));
            Err((status, error.id))
        }
    }
}

/// `POST /bots/{bot_user_id}/convert_to_user`: a system admin makes a bot a
/// person again; the bot's record goes, the user stays (its token too) and logs in with the password given. Others are refused, after the
/// bot and the body are checked, in Mattermost's order.
#[tokio::test]
async fn an_admin_converts_a_bot_back_into_a_user() {
    let world = World::with_overrides_and_bots().await;
    let (alice, admin) = (&world.member, &world.admin);
    let bot = create_bot(admin, "pager").await;
    let token = token_for(admin, &bot.user_id).await;

    assert_eq!(
        convert_back(alice, "not-an-id", Some("secret-1"), false)
            .await
            .unwrap_err(),
        (400, "api.context.invalid_url_param.app_error".to_owned())
    );
    assert_eq!(
        convert_back(alice, &alice.user.id, Some("secret-1"), false)
            .await
            .unwrap_err(),
        (404, MISSING.to_owned()),
        "a person is no bot, and the bot is looked up first"
    );
    assert_eq!(
        convert_back(alice, &bot.user_id, None, false).await.unwrap_err(),
        (400, "api.context.invalid_body_param.app_error".to_owned()),
        "a password is required"
    );
    assert_eq!(
        convert_back(alice, &bot.user_id, Some("secret-1"), true)
            .await
            .unwrap_err(),
        (403, PERMISSIONS.to_owned()),
        "a member may not, nor make herself an admin that way"
    );
    assert_eq!(
        convert_back(admin, &bot.user_id, Some("abc"), false).await.unwrap_err(),
        (400, "model.user.is_valid.pwd.app_error".to_owned())
    );
    assert!(login(&world, "pager", "secret-1").await.is_err(), "still a bot");

    let user = convert_back(admin, &bot.user_id, Some("secret-1"), true)
        .await
        .expect("admin converts the bot");
    assert_eq!(user.id, bot.user_id);
    assert_eq!(user.username, "pager");
    assert_eq!(user.first_name.as_deref(), Some("Pager"));
    assert_ne!(user.is_bot, Some(true));
    assert!(user.roles.contains("system_admin"), "{}", user.roles);
    login(&world, "pager", "secret-1")
        .await
        .expect("it logs in with its password");
    assert!(list(admin, true).await.is_empty(), "the bot's record is gone");
    let me = world
        .server
        .client_with_token(&token)
        .get_me()
        .send()
        .await
        .expect("its token still works")
        .into_inner();
    assert_ne!(me.is_bot, Some(true));
    assert_eq!(
        convert_back(admin, &bot.user_id, Some("secret-1"), false)
            .await
            .unwrap_err(),
        (404, MISSING.to_owned()),
        "a bot no longer"
    );
}
