//! Store tests. Each scenario runs on every backend, through [`AnyStore`] as the
//! server uses it: `sqlite::memory:`, a SQLite file in a temporary directory (WAL
//! mode, several connections), and a fresh PostgreSQL database on the test
//! cluster of `chathooks-testdb` (skipped, with one line saying so, when
//! PostgreSQL is not installed, unless CI is set).

use serde_json::json;

use super::*;
use crate::delivery::Schedule;
use crate::ids::new_id;

/// Run a scenario `async fn(&AnyStore)` on each backend.
macro_rules! on_every_backend {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::{AnyStore, Backend, SqliteStore};

            #[tokio::test]
            async fn sqlite_memory() {
                let store = AnyStore::new(Backend::Sqlite(SqliteStore::connect("sqlite::memory:").await.unwrap()));
                super::$scenario(&store).await;
            }

            #[tokio::test]
            async fn sqlite_file() {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("store.db").display());
                let store = AnyStore::connect(&url).await.unwrap();
                assert!(matches!(store.backend(), Backend::Sqlite(_)));
                super::$scenario(&store).await;
                store.close().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(url) = chathooks_testdb::fresh_database() else {
                    return;
                };
                let store = AnyStore::connect(&url).await.unwrap();
                assert!(matches!(store.backend(), Backend::Postgres(_)));
                super::$scenario(&store).await;
                store.close().await;
            }
        }
    )*};
}

on_every_backend!(
    users,
    sessions,
    teams_and_members,
    channels_and_members,
    direct_channels,
    posts,
    incoming_hooks,
    incoming_paging_and_filters,
    outgoing_hooks,
    slash_commands,
    command_webhooks,
    bot_accounts,
    rc_integrations,
    rc_history,
    rc_script_store,
    delivery_queue,
    concurrent_posts,
    refused_posts_fail_alone,
    concurrent_posts_with_deliveries,
    other_writes_get_through_a_stream_of_posts,
    rc_rooms_and_messages,
    nul_bytes_match_nothing,
    any_text_round_trips,
    post_edits_and_threads,
    reactions,
    files,
    access_tokens,
    listings_and_membership_changes,
    searching_posts,
    wiping_and_pruning,
    login_failures,
    roles_and_settings,
);

// ---------------------------------------------------------------------------
// fixtures

fn user(username: &str, email: &str) -> User {
    User {
        id: new_id(),
        create_at: 1_000,
        update_at: 1_000,
        delete_at: 0,
        username: username.to_owned(),
        email: email.to_owned(),
        email_verified: true,
        first_name: "First".to_owned(),
        last_name: "Last".to_owned(),
        nickname: String::new(),
        password_hash: "$argon2id$fake".to_owned(),
        last_password_update: 1_000,
        roles: ROLES_SYSTEM_USER.to_owned(),
        locale: "en".to_owned(),
        props: json!({}),
        notify_props: json!({"email": "true", "push": "mention"}),
        timezone: json!({"useAutomaticTimezone": "true"}),
        is_bot: false,
    }
}

fn team(name: &str) -> Team {
    Team {
        id: new_id(),
        create_at: 1_000,
        update_at: 1_000,
        delete_at: 0,
        name: name.to_owned(),
        display_name: format!("Team {name}"),
        team_type: TEAM_OPEN.to_owned(),
        description: String::new(),
        email: "team@example.com".to_owned(),
        allow_open_invite: true,
        allowed_domains: String::new(),
        invite_id: new_id(),
    }
}

fn channel(team_id: &str, name: &str, creator: &str) -> Channel {
    Channel {
        id: new_id(),
        create_at: 1_000,
        update_at: 1_000,
        delete_at: 0,
        team_id: team_id.to_owned(),
        channel_type: CHANNEL_OPEN.to_owned(),
        name: name.to_owned(),
        display_name: name.to_uppercase(),
        header: String::new(),
        purpose: String::new(),
        creator_id: creator.to_owned(),
        last_post_at: 0,
        total_msg_count: 0,
    }
}

fn post(channel_id: &str, user_id: &str, create_at: i64, message: &str) -> Post {
    Post {
        id: new_id(),
        create_at,
        update_at: create_at,
        edit_at: 0,
        delete_at: 0,
        user_id: user_id.to_owned(),
        channel_id: channel_id.to_owned(),
        root_id: String::new(),
        original_id: String::new(),
        message: message.to_owned(),
        post_type: String::new(),
        props: json!({"from_webhook": "true"}),
        hashtags: String::new(),
        file_ids: vec![],
        pending_post_id: String::new(),
        is_pinned: false,
        hook_id: String::new(),
    }
}

fn incoming(id: &str, user_id: &str, channel: &Channel, create_at: i64) -> IncomingHook {
    IncomingHook {
        id: id.to_owned(),
        create_at,
        update_at: create_at,
        delete_at: 0,
        user_id: user_id.to_owned(),
        channel_id: channel.id.clone(),
        team_id: channel.team_id.clone(),
        display_name: "Build bot".to_owned(),
        description: "CI results".to_owned(),
        username: "ci".to_owned(),
        icon_url: "https://example.com/ci.png".to_owned(),
        channel_locked: true,
    }
}

fn outgoing(creator: &str, team_id: &str, channel_id: &str, create_at: i64) -> OutgoingHook {
    OutgoingHook {
        id: new_id(),
        token: new_id(),
        create_at,
        update_at: create_at,
        delete_at: 0,
        creator_id: creator.to_owned(),
        channel_id: channel_id.to_owned(),
        team_id: team_id.to_owned(),
        trigger_words: vec!["deploy".to_owned(), "rollback".to_owned()],
        trigger_when: 0,
        callback_urls: vec!["https://hooks.example.com/a".to_owned()],
        display_name: "Deployer".to_owned(),
        description: String::new(),
        content_type: "application/json".to_owned(),
        username: String::new(),
        icon_url: String::new(),
    }
}

fn rc_integration(kind: &str, name: &str, created_by: &str, created_at: i64) -> RcIntegration {
    let id = crate::ids::new_rc_id();
    let token = if kind == RC_WEBHOOK_INCOMING {
        crate::ids::new_rc_token()
    } else {
        String::new()
    };
    RcIntegration {
        doc: json!({
            "_id": id, "type": kind, "name": name, "enabled": true,
            "channel": ["#general"], "urls": ["https://example.com/out"],
        }),
        id,
        integration_type: kind.to_owned(),
        name: name.to_owned(),
        enabled: true,
        created_by: created_by.to_owned(),
        created_at,
        updated_at: created_at,
        token,
    }
}

/// A user, a team and a public channel in it.
async fn world(store: &AnyStore) -> (User, Team, Channel) {
    world_on(store).await
}

async fn world_on(store: &impl Store) -> (User, Team, Channel) {
    let u = store.create_user(&user("alice", "alice@example.com")).await.unwrap();
    let t = store.create_team(&team("core")).await.unwrap();
    let c = store
        .create_channel(&channel(&t.id, "town-square", &u.id))
        .await
        .unwrap();
    (u, t, c)
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| id(i).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// scenarios

async fn users(store: &AnyStore) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    let alice = user("Alice", "Alice@Example.com");
    let stored = store.create_user(&alice).await.unwrap();
    // The username keeps its case (Rocket.Chat's names do); lookups and
    // uniqueness ignore it. Emails are stored lowercase.
    assert_eq!(stored.username, "Alice", "usernames keep their case");
    assert_eq!(stored.email, "alice@example.com");
    assert_eq!(stored.notify_props, alice.notify_props);
    assert_eq!(stored.timezone, alice.timezone);
    assert!(!stored.is_system_admin());

    assert_eq!(store.get_user(&alice.id).await.unwrap(), Some(stored.clone()));
    assert_eq!(store.get_user("nope").await.unwrap(), None);
    for name in ["ALICE", "alice", "Alice"] {
        assert_eq!(
            store.get_user_by_username(name).await.unwrap().map(|u| u.id),
            Some(alice.id.clone()),
            "{name}"
        );
    }
    for login in ["alice", "ALICE", "alice@example.com", "ALICE@EXAMPLE.COM"] {
        let found = store.get_user_by_login(login).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(alice.id.clone()), "{login}");
    }
    assert_eq!(store.get_user_by_login("bob").await.unwrap(), None);
    assert_eq!(store.get_user_by_login("").await.unwrap(), None);

    // Unique username (any case) and email.
    let err = store
        .create_user(&user("ALICE", "other@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("users.username")),
        "{err}"
    );
    let err = store
        .create_user(&user("alice2", "ALICE@example.com"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("users.email")),
        "{err}"
    );
    // Empty emails do not collide.
    store.create_user(&user("bot1", "")).await.unwrap();
    store.create_user(&user("bot2", "")).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 3);
    assert_eq!(store.get_user_by_login("").await.unwrap(), None);

    // Update.
    let mut admin = stored.clone();
    admin.roles = ROLES_SYSTEM_ADMIN.to_owned();
    admin.nickname = "Al".to_owned();
    admin.update_at = 2_000;
    admin.create_at = 999_999; // ignored
    let updated = store.update_user(&admin).await.unwrap();
    assert!(updated.is_system_admin());
    assert_eq!(updated.nickname, "Al");
    assert_eq!(updated.create_at, 1_000);
    let mut taken = updated.clone();
    taken.username = "bot1".to_owned();
    assert!(matches!(store.update_user(&taken).await, Err(StoreError::Conflict(_))));
    let ghost = user("ghost", "ghost@example.com");
    assert!(matches!(store.update_user(&ghost).await, Err(StoreError::NotFound)));

    // The password hash stays out of Debug output.
    let debug = format!("{stored:?}");
    assert!(!debug.contains("argon2") && debug.contains("<redacted>"), "{debug}");
}

async fn sessions(store: &AnyStore) {
    let u = store.create_user(&user("sam", "sam@example.com")).await.unwrap();
    let now = now_ms();
    let live = Session {
        token: new_id(),
        user_id: u.id.clone(),
        create_at: now,
        expires_at: now + 3_600_000,
        last_activity_at: now,
    };
    let forever = Session {
        token: new_id(),
        expires_at: 0,
        ..live.clone()
    };
    let expired = Session {
        token: new_id(),
        expires_at: now - 1,
        ..live.clone()
    };
    for s in [&live, &forever, &expired] {
        store.create_session(s).await.unwrap();
    }
    assert_eq!(store.get_session(&live.token).await.unwrap(), Some(live.clone()));
    assert_eq!(store.get_session(&forever.token).await.unwrap(), Some(forever.clone()));
    assert_eq!(store.get_session(&expired.token).await.unwrap(), None);
    assert_eq!(store.get_session("unknown").await.unwrap(), None);
    assert!(matches!(
        store.create_session(&live).await,
        Err(StoreError::Conflict(_))
    ));

    store.touch_session(&live.token, now + 5).await.unwrap();
    let touched = store.get_session(&live.token).await.unwrap().unwrap();
    assert_eq!(touched.last_activity_at, now + 5);
    assert!(matches!(
        store.touch_session("unknown", 1).await,
        Err(StoreError::NotFound)
    ));

    assert!(store.delete_session(&live.token).await.unwrap());
    assert!(!store.delete_session(&live.token).await.unwrap());
    assert_eq!(store.get_session(&live.token).await.unwrap(), None);

    let orphan = Session {
        token: new_id(),
        user_id: "missing".to_owned(),
        ..live.clone()
    };
    assert!(matches!(store.create_session(&orphan).await, Err(StoreError::NotFound)));
    assert!(!format!("{touched:?}").contains(&touched.token));
}

async fn teams_and_members(store: &AnyStore) {
    let t = store.create_team(&team("core")).await.unwrap();
    assert_eq!(store.get_team(&t.id).await.unwrap(), Some(t.clone()));
    assert_eq!(store.get_team_by_name("CORE").await.unwrap(), Some(t.clone()));
    assert_eq!(store.get_team_by_name("other").await.unwrap(), None);
    assert!(matches!(
        store.create_team(&team("Core")).await,
        Err(StoreError::Conflict(_))
    ));

    let mut users = Vec::new();
    for i in 0..5 {
        users.push(store.create_user(&user(&format!("u{i}"), "")).await.unwrap());
    }
    for u in &users {
        let m = TeamMember {
            team_id: t.id.clone(),
            user_id: u.id.clone(),
            roles: ROLES_TEAM_USER.to_owned(),
            delete_at: 0,
        };
        assert_eq!(store.add_team_member(&m).await.unwrap(), m);
    }
    // Re-adding updates roles; a left member is not listed.
    let promoted = TeamMember {
        team_id: t.id.clone(),
        user_id: users[0].id.clone(),
        roles: ROLES_TEAM_ADMIN.to_owned(),
        delete_at: 0,
    };
    assert!(store.add_team_member(&promoted).await.unwrap().is_team_admin());
    let left = TeamMember {
        user_id: users[1].id.clone(),
        delete_at: 5_000,
        ..promoted.clone()
    };
    store.add_team_member(&left).await.unwrap();
    assert_eq!(
        store
            .get_team_member(&t.id, &users[1].id)
            .await
            .unwrap()
            .map(|m| m.delete_at),
        Some(5_000)
    );
    assert_eq!(store.get_team_member(&t.id, "nobody").await.unwrap(), None);

    let mut expected: Vec<String> = users
        .iter()
        .filter(|u| u.id != users[1].id)
        .map(|u| u.id.clone())
        .collect();
    expected.sort();
    let page0 = store.list_team_members(&t.id, 0, 3).await.unwrap();
    let page1 = store.list_team_members(&t.id, 1, 3).await.unwrap();
    let page2 = store.list_team_members(&t.id, 2, 3).await.unwrap();
    assert_eq!((page0.len(), page1.len(), page2.len()), (3, 1, 0));
    let listed: Vec<String> = page0.iter().chain(&page1).map(|m| m.user_id.clone()).collect();
    assert_eq!(listed, expected);

    let bad = TeamMember {
        team_id: "missing".to_owned(),
        ..promoted
    };
    assert!(matches!(store.add_team_member(&bad).await, Err(StoreError::NotFound)));
}

async fn channels_and_members(store: &AnyStore) {
    let (u, t, town) = world(store).await;
    let other_team = store.create_team(&team("other")).await.unwrap();

    assert_eq!(store.get_channel(&town.id).await.unwrap(), Some(town.clone()));
    assert_eq!(
        store.get_channel_by_name(&t.id, "Town-Square").await.unwrap(),
        Some(town.clone())
    );
    assert_eq!(
        store.get_channel_by_name(&other_team.id, "town-square").await.unwrap(),
        None
    );
    // Names are unique per team only.
    let err = store
        .create_channel(&channel(&t.id, "town-square", &u.id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    store
        .create_channel(&channel(&other_team.id, "town-square", &u.id))
        .await
        .unwrap();

    let mut archived = channel(&t.id, "archived", &u.id);
    archived.delete_at = 7;
    store.create_channel(&archived).await.unwrap();
    assert_eq!(
        store.get_channel(&archived.id).await.unwrap().map(|c| c.delete_at),
        Some(7)
    );
    store.create_channel(&channel(&t.id, "a-first", &u.id)).await.unwrap();
    let listed = store.list_team_channels(&t.id, 0, 10).await.unwrap();
    let names: Vec<&str> = listed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a-first", "town-square"]);
    assert_eq!(
        store.list_team_channels(&t.id, 1, 1).await.unwrap()[0].name,
        "town-square"
    );

    let member = ChannelMember {
        channel_id: town.id.clone(),
        user_id: u.id.clone(),
        roles: ROLES_CHANNEL_USER.to_owned(),
        last_viewed_at: 10,
        msg_count: 0,
        mention_count: 0,
        notify_props: json!({"desktop": "default"}),
        last_update_at: 10,
    };
    assert_eq!(store.add_channel_member(&member).await.unwrap(), member);
    // Adding again keeps the existing membership.
    let again = ChannelMember {
        roles: "channel_admin channel_user".to_owned(),
        ..member.clone()
    };
    assert_eq!(store.add_channel_member(&again).await.unwrap(), member);
    assert_eq!(
        store.get_channel_member(&town.id, &u.id).await.unwrap(),
        Some(member.clone())
    );
    assert_eq!(store.get_channel_member(&town.id, "x").await.unwrap(), None);
    let bob = store.create_user(&user("bob", "bob@example.com")).await.unwrap();
    store
        .add_channel_member(&ChannelMember {
            user_id: bob.id.clone(),
            ..member.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.count_channel_members(&town.id).await.unwrap(), 2);
    let members = store.list_channel_members(&town.id, 0, 1).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user_id, std::cmp::min(&u.id, &bob.id).clone());

    let orphan = ChannelMember {
        channel_id: "missing".to_owned(),
        ..member
    };
    assert!(matches!(
        store.add_channel_member(&orphan).await,
        Err(StoreError::NotFound)
    ));
}

async fn direct_channels(store: &AnyStore) {
    let a = store.create_user(&user("ann", "ann@example.com")).await.unwrap();
    let b = store.create_user(&user("ben", "ben@example.com")).await.unwrap();

    let dm = store.get_or_create_direct_channel(&a.id, &b.id).await.unwrap();
    let (low, high) = if a.id < b.id { (&a.id, &b.id) } else { (&b.id, &a.id) };
    assert_eq!(dm.name, format!("{low}__{high}"));
    assert_eq!(dm.channel_type, CHANNEL_DIRECT);
    assert_eq!(dm.team_id, "");
    assert_eq!(store.count_channel_members(&dm.id).await.unwrap(), 2);
    assert!(store.get_channel_member(&dm.id, &a.id).await.unwrap().is_some());
    assert!(store.get_channel_member(&dm.id, &b.id).await.unwrap().is_some());

    // Same channel whatever the argument order.
    let again = store.get_or_create_direct_channel(&b.id, &a.id).await.unwrap();
    assert_eq!(again, dm);

    let myself = store.get_or_create_direct_channel(&a.id, &a.id).await.unwrap();
    assert_eq!(myself.name, format!("{0}__{0}", a.id));
    assert_eq!(store.count_channel_members(&myself.id).await.unwrap(), 1);

    // A missing user creates nothing.
    let err = store
        .get_or_create_direct_channel(&a.id, "zzzz-missing")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "{err}");
    let name = format!("{}__zzzz-missing", a.id);
    assert_eq!(store.get_channel_by_name("", &name).await.unwrap(), None);

    // Each user's direct channels, oldest first, paged; team channels are not.
    let c = store.create_user(&user("cid", "cid@example.com")).await.unwrap();
    let (_u, _t, team_channel) = world(store).await;
    store
        .add_channel_member(&ChannelMember {
            channel_id: team_channel.id.clone(),
            user_id: a.id.clone(),
            roles: ROLES_CHANNEL_USER.to_owned(),
            last_viewed_at: 0,
            msg_count: 0,
            mention_count: 0,
            notify_props: json!({}),
            last_update_at: 0,
        })
        .await
        .unwrap();
    let names = |channels: Vec<Channel>| ids(&channels, |c| &c.id);
    assert_eq!(
        names(store.list_user_direct_channels(&a.id, 0, 10).await.unwrap()),
        [dm.id.as_str(), myself.id.as_str()]
    );
    assert_eq!(
        names(store.list_user_direct_channels(&a.id, 1, 1).await.unwrap()),
        [myself.id.as_str()]
    );
    assert_eq!(
        names(store.list_user_direct_channels(&b.id, 0, 10).await.unwrap()),
        [dm.id.as_str()]
    );
    assert!(store.list_user_direct_channels(&c.id, 0, 10).await.unwrap().is_empty());
}

async fn posts(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let mut created = Vec::new();
    for i in 0..5 {
        let mut p = post(&c.id, &u.id, 10_000 + i, &format!("message {i}"));
        p.file_ids = vec![format!("file{i}")];
        p.props = json!({"attachments": [{"text": i}], "from_webhook": "true"});
        created.push(store.create_post(&p).await.unwrap());
        assert_eq!(created.last(), Some(&p));
    }
    // An older post does not move last_post_at backwards.
    let old = store.create_post(&post(&c.id, &u.id, 5, "old")).await.unwrap();
    let ch = store.get_channel(&c.id).await.unwrap().unwrap();
    assert_eq!(ch.total_msg_count, 6);
    assert_eq!(ch.last_post_at, 10_004);

    let mut deleted = post(&c.id, &u.id, 20_000, "gone");
    deleted.delete_at = 20_001;
    store.create_post(&deleted).await.unwrap();
    assert_eq!(
        store.get_post(&deleted.id).await.unwrap().map(|p| p.delete_at),
        Some(20_001)
    );

    let page0 = store.list_channel_posts(&c.id, 0, 4).await.unwrap();
    let page1 = store.list_channel_posts(&c.id, 1, 4).await.unwrap();
    let messages: Vec<&str> = page0.iter().chain(&page1).map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        ["message 4", "message 3", "message 2", "message 1", "message 0", "old"]
    );
    assert_eq!(store.get_post(&created[2].id).await.unwrap(), Some(created[2].clone()));
    assert_eq!(store.get_post(&old.id).await.unwrap().unwrap().message, "old");
    assert_eq!(store.get_post("missing").await.unwrap(), None);

    let orphan = post("missing-channel", &u.id, 1, "x");
    assert!(matches!(store.create_post(&orphan).await, Err(StoreError::NotFound)));
    assert!(matches!(
        store.create_post(&created[0]).await,
        Err(StoreError::Conflict(_))
    ));
    let ch = store.get_channel(&c.id).await.unwrap().unwrap();
    assert_eq!(ch.total_msg_count, 7, "failed inserts do not bump the counter");
}

async fn incoming_hooks(store: &AnyStore) {
    let (u, t, c) = world(store).await;
    let hook = incoming(&new_id(), &u.id, &c, 1_000);
    assert_eq!(store.create_incoming(&hook).await.unwrap(), hook);
    assert_eq!(store.get_incoming(&hook.id).await.unwrap(), Some(hook.clone()));
    assert!(matches!(
        store.create_incoming(&hook).await,
        Err(StoreError::Conflict(_))
    ));

    let other = store.create_channel(&channel(&t.id, "other", &u.id)).await.unwrap();
    let mut changed = hook.clone();
    changed.channel_id = other.id.clone();
    changed.display_name = String::new();
    changed.channel_locked = false;
    changed.update_at = 2_000;
    changed.create_at = 5; // not writable
    let updated = store.update_incoming(&changed).await.unwrap();
    assert_eq!(updated.channel_id, other.id);
    assert_eq!(updated.display_name, "");
    assert!(!updated.channel_locked);
    assert_eq!(updated.create_at, 1_000);
    assert_eq!(updated.update_at, 2_000);

    let mut bad_channel = updated.clone();
    bad_channel.channel_id = "missing".to_owned();
    assert!(matches!(
        store.update_incoming(&bad_channel).await,
        Err(StoreError::NotFound)
    ));

    store.delete_incoming(&hook.id, 3_000).await.unwrap();
    assert_eq!(store.get_incoming(&hook.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_incoming(&hook.id, 4_000).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_incoming(&updated).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_incoming("missing", 1).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_incoming(&IncomingFilter::default()).await.unwrap(), 0);

    let orphan = incoming(&new_id(), "no-such-user", &c, 1);
    assert!(matches!(
        store.create_incoming(&orphan).await,
        Err(StoreError::NotFound)
    ));
}

async fn incoming_paging_and_filters(store: &AnyStore) {
    let (alice, t1, c1) = world(store).await;
    let bob = store.create_user(&user("bob", "bob@example.com")).await.unwrap();
    let t2 = store.create_team(&team("second")).await.unwrap();
    let c2 = store
        .create_channel(&channel(&t2.id, "general", &bob.id))
        .await
        .unwrap();

    // Two hooks share a create_at to check the id tie-break; ids chosen in order.
    let specs = [
        ("aaaaaaaaaaaaaaaaaaaaaaaaa1", &alice, &c1, 100),
        ("aaaaaaaaaaaaaaaaaaaaaaaaa2", &bob, &c1, 100),
        ("aaaaaaaaaaaaaaaaaaaaaaaaa0", &alice, &c2, 300),
        ("aaaaaaaaaaaaaaaaaaaaaaaaa3", &bob, &c2, 50),
        ("aaaaaaaaaaaaaaaaaaaaaaaaa4", &alice, &c1, 200),
    ];
    for (id, owner, ch, at) in specs {
        store.create_incoming(&incoming(id, &owner.id, ch, at)).await.unwrap();
    }
    store.delete_incoming("aaaaaaaaaaaaaaaaaaaaaaaaa4", 999).await.unwrap();

    let all = store.list_incoming(&IncomingFilter::default(), 0, 60).await.unwrap();
    assert_eq!(
        ids(&all, |h| &h.id),
        [
            "aaaaaaaaaaaaaaaaaaaaaaaaa3",
            "aaaaaaaaaaaaaaaaaaaaaaaaa1",
            "aaaaaaaaaaaaaaaaaaaaaaaaa2",
            "aaaaaaaaaaaaaaaaaaaaaaaaa0"
        ]
    );
    let page1 = store.list_incoming(&IncomingFilter::default(), 1, 3).await.unwrap();
    assert_eq!(ids(&page1, |h| &h.id), ["aaaaaaaaaaaaaaaaaaaaaaaaa0"]);
    assert!(
        store
            .list_incoming(&IncomingFilter::default(), 2, 3)
            .await
            .unwrap()
            .is_empty()
    );
    // Absurd pages do not overflow.
    assert!(
        store
            .list_incoming(&IncomingFilter::default(), u32::MAX, u32::MAX)
            .await
            .unwrap()
            .is_empty()
    );

    let team1 = IncomingFilter {
        team_id: Some(t1.id.clone()),
        user_id: None,
    };
    let listed = store.list_incoming(&team1, 0, 60).await.unwrap();
    assert_eq!(
        ids(&listed, |h| &h.id),
        ["aaaaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaaaa2"]
    );
    assert_eq!(store.count_incoming(&team1).await.unwrap(), 2);

    let alices = IncomingFilter {
        team_id: None,
        user_id: Some(alice.id.clone()),
    };
    assert_eq!(
        ids(&store.list_incoming(&alices, 0, 60).await.unwrap(), |h| &h.id),
        ["aaaaaaaaaaaaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaaaaaaaaaa0"]
    );
    let alice_in_t2 = IncomingFilter {
        team_id: Some(t2.id.clone()),
        user_id: Some(alice.id.clone()),
    };
    assert_eq!(store.count_incoming(&alice_in_t2).await.unwrap(), 1);
    assert_eq!(store.count_incoming(&IncomingFilter::default()).await.unwrap(), 4);
}

fn command(creator_id: &str, team_id: &str, trigger: &str, create_at: i64) -> SlashCommand {
    SlashCommand {
        id: new_id(),
        token: new_id(),
        create_at,
        update_at: create_at,
        delete_at: 0,
        creator_id: creator_id.to_owned(),
        team_id: team_id.to_owned(),
        trigger: trigger.to_owned(),
        method: "P".to_owned(),
        username: "bot".to_owned(),
        icon_url: "https://example.com/i.png".to_owned(),
        auto_complete: true,
        auto_complete_desc: "does things".to_owned(),
        auto_complete_hint: "[what]".to_owned(),
        display_name: "Deploy".to_owned(),
        description: "Deploys".to_owned(),
        url: "https://example.com/deploy".to_owned(),
    }
}

async fn slash_commands(store: &AnyStore) {
    let (u, t, _) = world(store).await;
    let t2 = store.create_team(&team("second")).await.unwrap();

    let deploy = command(&u.id, &t.id, "deploy", 100);
    let weather = command(&u.id, &t.id, "weather", 200);
    let elsewhere = command(&u.id, &t2.id, "deploy", 300);
    for c in [&deploy, &weather, &elsewhere] {
        assert_eq!(&store.create_command(c).await.unwrap(), c);
    }
    assert_eq!(store.get_command(&deploy.id).await.unwrap(), Some(deploy.clone()));
    let listed = store.list_team_commands(&t.id).await.unwrap();
    assert_eq!(ids(&listed, |c| &c.id), [deploy.id.as_str(), weather.id.as_str()]);

    // One live command per trigger and team.
    let twin = command(&u.id, &t.id, "deploy", 400);
    assert!(matches!(
        store.create_command(&twin).await,
        Err(StoreError::Conflict(_))
    ));
    let mut renamed = weather.clone();
    renamed.trigger = "deploy".to_owned();
    assert!(matches!(
        store.update_command(&renamed).await,
        Err(StoreError::Conflict(_))
    ));

    // Update changes every mutable field, not the creator or the team.
    let mut changed = weather.clone();
    changed.token = new_id();
    changed.update_at = 500;
    changed.trigger = "forecast".to_owned();
    changed.method = "G".to_owned();
    changed.auto_complete = false;
    changed.url = "https://example.com/forecast".to_owned();
    changed.creator_id = "ignored".to_owned();
    let stored = store.update_command(&changed).await.unwrap();
    changed.creator_id = u.id.clone();
    assert_eq!(stored, changed);

    // A deleted command is gone everywhere, and its trigger is free again.
    store.delete_command(&deploy.id, 600).await.unwrap();
    assert_eq!(store.get_command(&deploy.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_command(&deploy.id, 700).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(store.update_command(&deploy).await, Err(StoreError::NotFound)));
    assert_eq!(
        ids(&store.list_team_commands(&t.id).await.unwrap(), |c| &c.id),
        [weather.id.as_str()]
    );
    assert_eq!(&store.create_command(&twin).await.unwrap(), &twin);
}

async fn command_webhooks(store: &AnyStore) {
    let hook = |id: &str, create_at: i64| CommandWebhook {
        id: id.to_owned(),
        create_at,
        command_id: new_id(),
        user_id: new_id(),
        channel_id: new_id(),
        root_id: String::new(),
        use_count: 0,
    };
    let (young, old) = (hook(&new_id(), 1_000), hook(&new_id(), 100));
    store.create_command_webhook(&young).await.unwrap();
    store.create_command_webhook(&old).await.unwrap();
    assert!(matches!(
        store.create_command_webhook(&young).await,
        Err(StoreError::Conflict(_))
    ));
    // Only records made after the cut-off are found.
    assert_eq!(
        store.get_command_webhook(&young.id, 500).await.unwrap(),
        Some(young.clone())
    );
    assert_eq!(store.get_command_webhook(&old.id, 500).await.unwrap(), None);
    assert_eq!(store.get_command_webhook(&new_id(), 0).await.unwrap(), None);
    // Uses are counted up to the limit, and no further.
    for _ in 0..3 {
        assert!(store.use_command_webhook(&young.id, 3).await.unwrap());
    }
    assert!(!store.use_command_webhook(&young.id, 3).await.unwrap());
    assert!(!store.use_command_webhook(&new_id(), 3).await.unwrap());
    let used = store.get_command_webhook(&young.id, 0).await.unwrap().unwrap();
    assert_eq!(used.use_count, 3);
    // Expired records are swept; young ones stay.
    assert_eq!(store.delete_command_webhooks_before(500).await.unwrap(), 1);
    assert_eq!(store.get_command_webhook(&old.id, 0).await.unwrap(), None);
    assert!(store.get_command_webhook(&young.id, 0).await.unwrap().is_some());
}

fn bot(owner_id: &str, username: &str, create_at: i64) -> (User, Bot) {
    let mut u = user(username, &format!("{username}@localhost"));
    u.password_hash = String::new();
    u.first_name = format!("{username} display");
    u.is_bot = true;
    u.create_at = create_at;
    let b = Bot {
        user_id: u.id.clone(),
        username: username.to_owned(),
        display_name: u.first_name.clone(),
        description: format!("{username} does things"),
        owner_id: owner_id.to_owned(),
        create_at,
        update_at: create_at,
        delete_at: 0,
    };
    (u, b)
}

async fn bot_accounts(store: &AnyStore) {
    let (alice, _, _) = world(store).await;
    let bob = store.create_user(&user("bob", "bob@example.com")).await.unwrap();

    let (u1, b1) = bot(&alice.id, "alpha", 100);
    let (u2, b2) = bot(&bob.id, "beta", 200);
    let (u3, b3) = bot(&alice.id, "gamma", 300);
    for (u, b) in [(&u1, &b1), (&u2, &b2), (&u3, &b3)] {
        assert_eq!(&store.create_bot(u, b).await.unwrap(), b);
    }
    // The user is stored with the record, marked as a bot.
    let stored = store.get_user(&u1.id).await.unwrap().unwrap();
    assert!(stored.is_bot);
    assert!(!store.get_user(&alice.id).await.unwrap().unwrap().is_bot);
    assert_eq!(store.get_bot(&b1.user_id, false).await.unwrap(), Some(b1.clone()));
    assert_eq!(store.get_bot(&alice.id, true).await.unwrap(), None);

    // A taken username refuses the bot, and leaves no half.
    let (twin_user, twin) = bot(&alice.id, "ALPHA", 400);
    assert!(matches!(
        store.create_bot(&twin_user, &twin).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.get_user(&twin_user.id).await.unwrap(), None);
    assert_eq!(store.get_bot(&twin.user_id, true).await.unwrap(), None);

    // Listing: by owner, paged, oldest first.
    let all = BotFilter::default();
    let listed = store.list_bots(&all, 0, 60).await.unwrap();
    assert_eq!(
        ids(&listed, |b| &b.user_id),
        [b1.user_id.as_str(), b2.user_id.as_str(), b3.user_id.as_str()]
    );
    assert_eq!(
        ids(&store.list_bots(&all, 1, 2).await.unwrap(), |b| &b.user_id),
        [b3.user_id.as_str()]
    );
    let alices = BotFilter {
        owner_id: Some(alice.id.clone()),
        ..BotFilter::default()
    };
    assert_eq!(
        ids(&store.list_bots(&alices, 0, 60).await.unwrap(), |b| &b.user_id),
        [b1.user_id.as_str(), b3.user_id.as_str()]
    );

    // An update changes the user and the record together.
    let mut renamed_user = u1.clone();
    renamed_user.username = "alpha2".to_owned();
    renamed_user.first_name = "Alpha Two".to_owned();
    renamed_user.delete_at = 500;
    let mut changed = b1.clone();
    changed.description = "new".to_owned();
    changed.update_at = 500;
    changed.delete_at = 500;
    let updated = store.update_bot(&renamed_user, &changed).await.unwrap();
    assert_eq!(
        (
            updated.username.as_str(),
            updated.display_name.as_str(),
            updated.description.as_str()
        ),
        ("alpha2", "Alpha Two", "new")
    );
    assert_eq!(updated.delete_at, 500);
    assert_eq!(store.get_user(&u1.id).await.unwrap().unwrap().delete_at, 500);
    // Disabled: found only when asked for, listed only when asked for.
    assert_eq!(store.get_bot(&b1.user_id, false).await.unwrap(), None);
    assert_eq!(store.get_bot(&b1.user_id, true).await.unwrap(), Some(updated));
    assert_eq!(
        ids(&store.list_bots(&all, 0, 60).await.unwrap(), |b| &b.user_id),
        [b2.user_id.as_str(), b3.user_id.as_str()]
    );
    let with_deleted = BotFilter {
        include_deleted: true,
        ..BotFilter::default()
    };
    assert_eq!(store.list_bots(&with_deleted, 0, 60).await.unwrap().len(), 3);
    // A username another user has is refused.
    let mut clash = u2.clone();
    clash.username = "bob".to_owned();
    assert!(matches!(
        store.update_bot(&clash, &b2).await,
        Err(StoreError::Conflict(_))
    ));

    // Orphans: bots whose owner is deactivated or gone.
    let mut gone = bob.clone();
    gone.delete_at = 600;
    store.update_user(&gone).await.unwrap();
    let (u4, b4) = bot("nobody", "delta", 700);
    store.create_bot(&u4, &b4).await.unwrap();
    let orphans = BotFilter {
        only_orphaned: true,
        ..BotFilter::default()
    };
    assert_eq!(
        ids(&store.list_bots(&orphans, 0, 60).await.unwrap(), |b| &b.user_id),
        [b2.user_id.as_str(), b4.user_id.as_str()]
    );
}

async fn outgoing_hooks(store: &AnyStore) {
    let (u, t, c) = world(store).await;
    let other = store.create_channel(&channel(&t.id, "other", &u.id)).await.unwrap();
    let t2 = store.create_team(&team("second")).await.unwrap();

    let in_channel = outgoing(&u.id, &t.id, &c.id, 100);
    let team_wide = outgoing(&u.id, &t.id, "", 200);
    let elsewhere = outgoing(&u.id, &t.id, &other.id, 300);
    let other_team = outgoing(&u.id, &t2.id, "", 400);
    for h in [&in_channel, &team_wide, &elsewhere, &other_team] {
        assert_eq!(&store.create_outgoing(h).await.unwrap(), h);
    }
    assert_eq!(
        store.get_outgoing(&in_channel.id).await.unwrap(),
        Some(in_channel.clone())
    );

    let firing = store.outgoing_for_channel(&t.id, &c.id).await.unwrap();
    assert_eq!(ids(&firing, |h| &h.id), [in_channel.id.as_str(), team_wide.id.as_str()]);

    let by_channel = OutgoingFilter {
        channel_id: Some(c.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        ids(&store.list_outgoing(&by_channel, 0, 60).await.unwrap(), |h| &h.id),
        [in_channel.id.as_str()]
    );
    let by_team = OutgoingFilter {
        team_id: Some(t.id.clone()),
        ..Default::default()
    };
    assert_eq!(store.count_outgoing(&by_team).await.unwrap(), 3);
    let page = store.list_outgoing(&by_team, 1, 2).await.unwrap();
    assert_eq!(ids(&page, |h| &h.id), [elsewhere.id.as_str()]);
    let by_creator = OutgoingFilter {
        creator_id: Some("someone-else".to_owned()),
        ..Default::default()
    };
    assert_eq!(store.count_outgoing(&by_creator).await.unwrap(), 0);

    // Update keeps the token; regen replaces it.
    let mut changed = team_wide.clone();
    changed.token = "ignored".to_owned();
    changed.trigger_words = vec![];
    changed.trigger_when = 1;
    changed.callback_urls = vec!["http://a".to_owned(), "http://b".to_owned()];
    changed.channel_id = c.id.clone();
    changed.update_at = 250;
    let updated = store.update_outgoing(&changed).await.unwrap();
    assert_eq!(updated.token, team_wide.token);
    assert!(updated.trigger_words.is_empty());
    assert_eq!(updated.trigger_when, 1);
    assert_eq!(updated.callback_urls, changed.callback_urls);
    assert_eq!(updated.channel_id, c.id);

    let regen = store
        .regen_outgoing_token(&team_wide.id, "newtoken", 260)
        .await
        .unwrap();
    assert_eq!(regen.token, "newtoken");
    assert_eq!(regen.update_at, 260);
    assert_eq!(regen.callback_urls, changed.callback_urls);

    store.delete_outgoing(&in_channel.id, 500).await.unwrap();
    assert_eq!(store.get_outgoing(&in_channel.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_outgoing(&in_channel.id, 501).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.regen_outgoing_token(&in_channel.id, "x", 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.update_outgoing(&in_channel).await,
        Err(StoreError::NotFound)
    ));
    let firing = store.outgoing_for_channel(&t.id, &c.id).await.unwrap();
    assert_eq!(ids(&firing, |h| &h.id), [team_wide.id.as_str()]);

    let bad_team = outgoing(&u.id, "missing-team", "", 1);
    assert!(matches!(
        store.create_outgoing(&bad_team).await,
        Err(StoreError::NotFound)
    ));
}

async fn rc_integrations(store: &AnyStore) {
    let admin = store.create_user(&user("admin", "admin@example.com")).await.unwrap();
    let dev = store.create_user(&user("dev", "dev@example.com")).await.unwrap();

    let a = rc_integration(RC_WEBHOOK_INCOMING, "Jenkins Builds", &admin.id, 100);
    let b = rc_integration(RC_WEBHOOK_OUTGOING, "jenkins trigger", &dev.id, 200);
    let c = rc_integration(RC_WEBHOOK_INCOMING, "GitLab", &dev.id, 300);
    let mut d = rc_integration(RC_WEBHOOK_OUTGOING, "Alerts", &admin.id, 400);
    d.token = "client-token".to_owned();
    for i in [&a, &b, &c, &d] {
        assert_eq!(&store.create_rc_integration(i).await.unwrap(), i);
    }
    assert!(matches!(
        store.create_rc_integration(&a).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.get_rc_integration(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_rc_integration("nope").await.unwrap(), None);
    assert_eq!(
        store.get_rc_integration_by_token(&a.token).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store
            .get_rc_integration_by_token("client-token")
            .await
            .unwrap()
            .map(|i| i.id),
        Some(d.id.clone())
    );
    assert_eq!(
        store.get_rc_integration_by_token("").await.unwrap(),
        None,
        "outgoing without token"
    );
    assert_eq!(
        store
            .get_rc_outgoing_by_url("https://example.com/out")
            .await
            .unwrap()
            .map(|i| i.id),
        Some(b.id.clone())
    );
    assert_eq!(
        store.get_rc_outgoing_by_url("https://example.com/other").await.unwrap(),
        None
    );

    let all = RcIntegrationFilter::default();
    assert_eq!(store.count_rc_integrations(&all).await.unwrap(), 4);
    let listed = store.list_rc_integrations(&all, 1, 2).await.unwrap();
    assert_eq!(ids(&listed, |i| &i.id), [b.id.as_str(), c.id.as_str()]);

    let jenkins = RcIntegrationFilter {
        name: Some("JENKINS".to_owned()),
        ..Default::default()
    };
    assert_eq!(
        ids(&store.list_rc_integrations(&jenkins, 0, 50).await.unwrap(), |i| &i.id),
        [a.id.as_str(), b.id.as_str()]
    );
    let percent = RcIntegrationFilter {
        name: Some("%".to_owned()),
        ..Default::default()
    };
    assert_eq!(
        store.count_rc_integrations(&percent).await.unwrap(),
        0,
        "no LIKE wildcards"
    );
    let incoming_only = RcIntegrationFilter {
        integration_type: Some(RC_WEBHOOK_INCOMING.to_owned()),
        ..Default::default()
    };
    assert_eq!(store.count_rc_integrations(&incoming_only).await.unwrap(), 2);

    // dev may manage their own incoming integrations and all outgoing ones.
    let dev_view = RcIntegrationFilter {
        incoming: RcVisibility::CreatedBy(dev.id.clone()),
        outgoing: RcVisibility::All,
        ..Default::default()
    };
    assert_eq!(
        ids(&store.list_rc_integrations(&dev_view, 0, 50).await.unwrap(), |i| &i.id),
        [b.id.as_str(), c.id.as_str(), d.id.as_str()]
    );
    let own_outgoing_only = RcIntegrationFilter {
        incoming: RcVisibility::Hidden,
        outgoing: RcVisibility::CreatedBy(admin.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        ids(
            &store.list_rc_integrations(&own_outgoing_only, 0, 50).await.unwrap(),
            |i| &i.id
        ),
        [d.id.as_str()]
    );
    assert_eq!(store.count_rc_integrations(&own_outgoing_only).await.unwrap(), 1);

    let mut disabled = b.clone();
    disabled.enabled = false;
    disabled.name = "renamed".to_owned();
    disabled.updated_at = 999;
    disabled.created_by = admin.id.clone(); // not writable
    disabled.doc["enabled"] = json!(false);
    let updated = store.update_rc_integration(&disabled).await.unwrap();
    assert!(!updated.enabled);
    assert_eq!(updated.name, "renamed");
    assert_eq!(updated.doc["enabled"], json!(false));
    assert_eq!(updated.created_by, dev.id);
    let ghost = rc_integration(RC_WEBHOOK_INCOMING, "ghost", &admin.id, 1);
    assert!(matches!(
        store.update_rc_integration(&ghost).await,
        Err(StoreError::NotFound)
    ));

    let removed = store.delete_rc_integration(&a.id).await.unwrap();
    assert_eq!(removed, a);
    assert_eq!(store.get_rc_integration(&a.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_rc_integration(&a.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.count_rc_integrations(&all).await.unwrap(), 3);

    let orphan = rc_integration(RC_WEBHOOK_INCOMING, "x", "missing-user", 1);
    assert!(matches!(
        store.create_rc_integration(&orphan).await,
        Err(StoreError::NotFound)
    ));
}

async fn rc_history(store: &AnyStore) {
    let admin = store.create_user(&user("admin", "admin@example.com")).await.unwrap();
    let out = rc_integration(RC_WEBHOOK_OUTGOING, "out", &admin.id, 1);
    store.create_rc_integration(&out).await.unwrap();

    for i in 0..5 {
        let entry = RcHistory {
            id: format!("h{i}"),
            integration_id: out.id.clone(),
            created_at: 100 + i,
            updated_at: 100 + i,
            doc: json!({"_id": format!("h{i}"), "step": "start-execute-trigger-url"}),
        };
        store.add_rc_history(&entry).await.unwrap();
    }
    // h1 progresses, so it becomes the most recently updated.
    let finished = RcHistory {
        id: "h1".to_owned(),
        integration_id: out.id.clone(),
        created_at: 101,
        updated_at: 500,
        doc: json!({"_id": "h1", "step": "finished", "finished": true}),
    };
    store.update_rc_history(&finished).await.unwrap();
    let first = store.list_rc_history(&out.id, 0, 2).await.unwrap();
    assert_eq!(ids(&first, |h| &h.id), ["h1", "h4"]);
    assert_eq!(first[0].doc["step"], "finished");
    let rest = store.list_rc_history(&out.id, 2, 10).await.unwrap();
    assert_eq!(ids(&rest, |h| &h.id), ["h3", "h2", "h0"]);
    assert_eq!(store.count_rc_history(&out.id).await.unwrap(), 5);
    assert_eq!(store.count_rc_history("other").await.unwrap(), 0);
    let missing = RcHistory {
        id: "nope".to_owned(),
        ..finished.clone()
    };
    assert!(matches!(
        store.update_rc_history(&missing).await,
        Err(StoreError::NotFound)
    ));
    let orphan = RcHistory {
        id: "h9".to_owned(),
        integration_id: "missing".to_owned(),
        ..finished
    };
    assert!(matches!(store.add_rc_history(&orphan).await, Err(StoreError::NotFound)));

    // Removing the integration takes its history with it.
    store.delete_rc_integration(&out.id).await.unwrap();
    assert_eq!(store.count_rc_history(&out.id).await.unwrap(), 0);
}

async fn rc_script_store(store: &AnyStore) {
    let admin = store.create_user(&user("admin", "admin@example.com")).await.unwrap();
    let hook = rc_integration(RC_WEBHOOK_INCOMING, "in", &admin.id, 1);
    store.create_rc_integration(&hook).await.unwrap();
    assert!(store.get_rc_script_store(&hook.id).await.unwrap().is_empty());
    let values = [
        ("count".to_owned(), "1".to_owned()),
        ("last".to_owned(), r#"{"n":1}"#.to_owned()),
        ("count".to_owned(), "2".to_owned()),
    ];
    store.set_rc_script_values(&hook.id, &values).await.unwrap();
    assert_eq!(
        store.get_rc_script_store(&hook.id).await.unwrap(),
        [
            ("count".to_owned(), "2".to_owned()),
            ("last".to_owned(), r#"{"n":1}"#.to_owned())
        ],
        "the last write of a key wins"
    );
    assert!(matches!(
        store.set_rc_script_values("missing", &values).await,
        Err(StoreError::NotFound)
    ));
    store.delete_rc_integration(&hook.id).await.unwrap();
    assert!(store.get_rc_script_store(&hook.id).await.unwrap().is_empty());
}

/// Posts written concurrently may be committed together; one that is refused
/// (its channel does not exist) fails alone, and the others are stored.
async fn refused_posts_fail_alone(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let store = store.clone();
        let channel = if i % 5 == 0 {
            "no-such-channel".to_owned()
        } else {
            c.id.clone()
        };
        let p = post(&channel, &u.id, 1_000 + i, "burst");
        tasks.push(tokio::spawn(async move { (i, store.create_post(&p).await) }));
    }
    for t in tasks {
        let (i, result) = t.await.unwrap();
        if i % 5 == 0 {
            assert!(matches!(result, Err(StoreError::NotFound)), "post {i}: {result:?}");
        } else {
            assert_eq!(result.unwrap().create_at, 1_000 + i);
        }
    }
    assert_eq!(store.get_channel(&c.id).await.unwrap().unwrap().total_msg_count, 24);
    assert_eq!(store.list_channel_posts(&c.id, 0, 100).await.unwrap().len(), 24);
}

/// A burst of posts with deliveries (SQLite stores them as one batch): every
/// post keeps its own jobs, and a post whose job id is taken fails alone,
/// named for the job, without taking the others (or later writes) with it.
async fn concurrent_posts_with_deliveries(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    store
        .enqueue_deliveries(&[job("taken", "hook-a", 1_000)])
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        let p = post(&c.id, &u.id, 1_000 + i, "with deliveries");
        let ids = if i == 7 {
            vec!["taken".to_owned(), "never-stored".to_owned()]
        } else {
            vec![format!("job-{i}-a"), format!("job-{i}-b")]
        };
        let jobs: Vec<DeliveryJob> = ids.iter().map(|id| job(id, "hook-a", 1_000 + i)).collect();
        tasks.push(tokio::spawn(async move {
            (i, store.create_post_with_deliveries(&p, &jobs).await)
        }));
    }
    for t in tasks {
        let (i, result) = t.await.unwrap();
        if i == 7 {
            let Err(StoreError::Conflict(why)) = &result else {
                panic!("post 7 reused a job id: {result:?}");
            };
            assert!(why.starts_with("delivery job id already exists"), "{why}");
        } else {
            assert_eq!(result.unwrap().create_at, 1_000 + i);
            for suffix in ["a", "b"] {
                let id = format!("job-{i}-{suffix}");
                assert!(store.get_delivery(&id).await.unwrap().is_some(), "{id} is missing");
            }
        }
    }
    assert_eq!(store.get_delivery("never-stored").await.unwrap(), None);
    assert_eq!(store.list_channel_posts(&c.id, 0, 100).await.unwrap().len(), 23);
    // The writer is usable after the refusal.
    let after = post(&c.id, &u.id, 2_000, "after");
    store
        .create_post_with_deliveries(&after, &[job("after", "hook-a", 2_000)])
        .await
        .unwrap();
    assert_eq!(store.get_channel(&c.id).await.unwrap().unwrap().total_msg_count, 24);
}

/// The group commit keeps its connection while posts keep coming, but not
/// for ever: other writes (here a new channel) still get their turn while
/// posts never stop arriving, and none of those posts is lost.
async fn other_writes_get_through_a_stream_of_posts(store: &AnyStore) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let (u, t, c) = world(store).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut posters = Vec::new();
    for i in 0..16 {
        let (store, stop, channel_id, user_id) = (store.clone(), stop.clone(), c.id.clone(), u.id.clone());
        posters.push(tokio::spawn(async move {
            let mut stored = 0_i64;
            while !stop.load(Ordering::Relaxed) {
                store
                    .create_post(&post(&channel_id, &user_id, 1_000 + i, "stream"))
                    .await
                    .unwrap();
                stored += 1;
            }
            stored
        }));
    }
    // Let the stream get going, so the writer task is holding its connection.
    while store.get_channel(&c.id).await.unwrap().unwrap().total_msg_count < 200 {
        tokio::task::yield_now().await;
    }
    let other = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        store.create_channel(&channel(&t.id, "meanwhile", &u.id)),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut stored = 0;
    for poster in posters {
        stored += poster.await.unwrap();
    }
    other
        .expect("a channel was still waiting for the writer after 30 s of posts")
        .unwrap();
    assert_eq!(store.get_channel(&c.id).await.unwrap().unwrap().total_msg_count, stored);
}

/// Concurrent writers: every post is counted (SQLite: one writer connection;
/// PostgreSQL: the trigger's row update serializes on the channel row).
async fn concurrent_posts(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let p = post(&c.id, &u.id, 1_000 + i, "concurrent");
        tasks.push(tokio::spawn(async move { store.create_post(&p).await }));
    }
    let mut answered = Vec::new();
    for t in tasks {
        answered.push(t.await.unwrap().unwrap());
    }
    let ch = store.get_channel(&c.id).await.unwrap().unwrap();
    assert_eq!(ch.total_msg_count, 20);
    assert_eq!(ch.last_post_at, 1_019);
    // What each writer was answered is what was stored.
    let mut stored = store.list_channel_posts(&c.id, 0, 100).await.unwrap();
    stored.sort_by(|a, b| a.id.cmp(&b.id));
    answered.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(stored, answered);
}

// ---------------------------------------------------------------------------
// tests that are not per-backend

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("persist.db").display());

    let store = SqliteStore::connect(&url).await.unwrap();
    let (u, t, c) = world_on(&store).await;
    let hook = incoming(&new_id(), &u.id, &c, 1_000);
    store.create_incoming(&hook).await.unwrap();
    let p = store.create_post(&post(&c.id, &u.id, 42, "persisted")).await.unwrap();
    let rc = rc_integration(RC_WEBHOOK_OUTGOING, "out", &u.id, 5);
    store.create_rc_integration(&rc).await.unwrap();
    let job = job("survivor", &rc.id, 10);
    let p2 = post(&c.id, &u.id, 43, "with a delivery");
    store
        .create_post_with_deliveries(&p2, std::slice::from_ref(&job))
        .await
        .unwrap();
    drop(store); // no close(): the data must already be durable

    // Reopening also re-runs the migrator, which must accept the applied schema.
    let reopened = SqliteStore::connect(&url).await.unwrap();
    assert_eq!(reopened.get_user(&u.id).await.unwrap(), Some(u.clone()));
    assert_eq!(reopened.get_team_by_name("core").await.unwrap(), Some(t));
    assert_eq!(reopened.get_incoming(&hook.id).await.unwrap(), Some(hook));
    assert_eq!(reopened.get_post(&p.id).await.unwrap(), Some(p));
    assert_eq!(reopened.get_channel(&c.id).await.unwrap().unwrap().total_msg_count, 2);
    assert_eq!(reopened.get_rc_integration(&rc.id).await.unwrap(), Some(rc));
    assert_eq!(reopened.get_delivery(&job.id).await.unwrap(), Some(job));
    reopened.close().await;
}

/// PostgreSQL: what one pool wrote, a new pool (new connections, migrator run
/// again on the applied schema) reads back, without the first being closed.
#[tokio::test]
async fn postgres_data_survives_a_new_pool() {
    let Some(url) = chathooks_testdb::fresh_database() else {
        return;
    };
    let store = PgStore::connect(&url).await.unwrap();
    let (u, t, c) = world_on(&store).await;
    let p = store.create_post(&post(&c.id, &u.id, 42, "persisted")).await.unwrap();
    let rc = rc_integration(RC_WEBHOOK_OUTGOING, "out", &u.id, 5);
    store.create_rc_integration(&rc).await.unwrap();
    let job = job("survivor", &rc.id, 10);
    let p2 = post(&c.id, &u.id, 43, "with a delivery");
    store
        .create_post_with_deliveries(&p2, std::slice::from_ref(&job))
        .await
        .unwrap();

    let second = PgStore::connect(&url).await.unwrap();
    assert_eq!(second.get_user(&u.id).await.unwrap(), Some(u));
    assert_eq!(second.get_team_by_name("CORE").await.unwrap(), Some(t));
    assert_eq!(second.get_post(&p.id).await.unwrap(), Some(p));
    assert_eq!(second.get_channel(&c.id).await.unwrap().unwrap().total_msg_count, 2);
    assert_eq!(second.get_rc_integration(&rc.id).await.unwrap(), Some(rc));
    assert_eq!(second.get_delivery(&job.id).await.unwrap(), Some(job));
    second.close().await;
    store.close().await;
}

#[test]
fn postgres_urls_pick_postgres() {
    for url in ["postgres://u@h/db", "postgresql://h/db", "POSTGRES://h/db"] {
        assert!(is_postgres_url(url), "{url}");
    }
    for url in ["sqlite://x.db", "sqlite::memory:", "postgres.db", "mysql://h/db"] {
        assert!(!is_postgres_url(url), "{url}");
    }
}

#[tokio::test]
async fn postgres_connect_reports_a_missing_database() {
    let Some(url) = chathooks_testdb::fresh_database() else {
        return;
    };
    let (server, _) = url.rsplit_once('/').unwrap();
    let err = AnyStore::connect(&format!("{server}/no_such_database"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
}

#[tokio::test]
async fn memory_databases_are_separate() {
    let one = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let two = SqliteStore::connect("sqlite::memory:").await.unwrap();
    one.create_user(&user("solo", "solo@example.com")).await.unwrap();
    assert_eq!(one.count_users().await.unwrap(), 1);
    assert_eq!(two.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn connect_reports_bad_urls() {
    let err = SqliteStore::connect("postgres://localhost/db").await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("no/such/dir/x.db").display());
    assert!(SqliteStore::connect(&url).await.is_err());
}

/// Environment variable that turns [`kill9_child`] into the writer of
/// [`writes_survive_kill_9`]; it holds the database URL.
const KILL9_DB_ENV: &str = "CHATHOOKS_TEST_KILL9_DB";

/// Child half of [`writes_survive_kill_9`]; does nothing in a normal test run.
#[tokio::test]
async fn kill9_child() {
    use std::io::Write;
    let Ok(url) = std::env::var(KILL9_DB_ENV) else {
        return;
    };
    let store = SqliteStore::connect(&url).await.unwrap();
    let u = user("durable", "durable@example.com");
    store.create_user(&u).await.unwrap();
    println!("WRITTEN {}", u.id);
    std::io::stdout().flush().unwrap();
    // Wait to be killed, with the pool (and its connections) still open.
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
}

/// A write that returned Ok survives SIGKILL of the process: run this test binary
/// again as a child that writes, report, and get killed mid-flight; then reopen.
#[test]
fn writes_survive_kill_9() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kill9.db").display());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::tests::kill9_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(KILL9_DB_ENV, &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let written_id = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.split_once("WRITTEN ").map(|(_, id)| id.trim().to_owned()));
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let id = written_id.expect("the child never reported its write");

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = SqliteStore::connect(&url).await.unwrap();
        let found = store.get_user(&id).await.unwrap();
        assert_eq!(found.map(|u| u.username), Some("durable".to_owned()));
    });
}

/// Room lookup by name across teams, and the `channels.history` window.
async fn rc_rooms_and_messages(store: &AnyStore) {
    let (u, t, c) = world(store).await;
    let other = store.create_team(&team("other")).await.unwrap();
    // A newer channel with the same name in another team loses to the older one.
    let mut newer = channel(&other.id, "town-square", &u.id);
    newer.create_at = 2_000;
    store.create_channel(&newer).await.unwrap();
    let found = store.find_channel_by_name("Town-Square").await.unwrap().unwrap();
    assert_eq!(found.id, c.id);
    // Private channels count; archived channels and direct messages do not.
    let mut private = channel(&t.id, "secret", &u.id);
    private.channel_type = CHANNEL_PRIVATE.to_owned();
    store.create_channel(&private).await.unwrap();
    assert_eq!(
        store.find_channel_by_name("secret").await.unwrap().map(|c| c.id),
        Some(private.id.clone())
    );
    let mut archived = channel(&t.id, "old", &u.id);
    archived.delete_at = 5;
    store.create_channel(&archived).await.unwrap();
    assert_eq!(store.find_channel_by_name("old").await.unwrap(), None);
    let bob = store.create_user(&user("bob", "bob@example.com")).await.unwrap();
    let direct = store.get_or_create_direct_channel(&u.id, &bob.id).await.unwrap();
    assert_eq!(store.find_channel_by_name(&direct.name).await.unwrap(), None);
    assert_eq!(store.find_channel_by_name("missing").await.unwrap(), None);

    for i in 0..6 {
        store
            .create_post(&post(&c.id, &u.id, 100 * (i + 1), &format!("m{i}")))
            .await
            .unwrap();
    }
    let mut gone = post(&c.id, &u.id, 350, "gone");
    gone.delete_at = 400;
    store.create_post(&gone).await.unwrap();
    let messages = |posts: Vec<Post>| posts.into_iter().map(|p| p.message).collect::<Vec<_>>();
    let all = store
        .list_channel_posts_between(&c.id, 0, i64::MAX, 0, 50)
        .await
        .unwrap();
    assert_eq!(messages(all), ["m5", "m4", "m3", "m2", "m1", "m0"]);
    let window = store.list_channel_posts_between(&c.id, 200, 500, 0, 50).await.unwrap();
    assert_eq!(messages(window), ["m4", "m3", "m2", "m1"]);
    let page = store.list_channel_posts_between(&c.id, 200, 500, 1, 2).await.unwrap();
    assert_eq!(messages(page), ["m3", "m2"]);
    assert!(
        store
            .list_channel_posts_between(&private.id, 0, i64::MAX, 0, 50)
            .await
            .unwrap()
            .is_empty()
    );
}

fn job(id: &str, hook_id: &str, due_at: i64) -> DeliveryJob {
    DeliveryJob {
        id: id.to_owned(),
        dialect: "test".to_owned(),
        hook_id: hook_id.to_owned(),
        event: "post_created".to_owned(),
        url: "http://receiver.example/hook".to_owned(),
        content_type: "application/json".to_owned(),
        body: format!("{{\"job\":\"{id}\"}}"),
        context: json!({"post_id": id}),
        max_attempts: 3,
        retry_schedule: Schedule::PowersOfTen,
        attempts: 0,
        status: JobStatus::Pending,
        due_at,
        lease_owner: None,
        lease_until: 0,
        previous_owner: None,
        created_at: due_at,
        updated_at: due_at,
    }
}

fn attempt(job: &DeliveryJob, number: i64, instance: &str, started_at: i64) -> DeliveryAttempt {
    DeliveryAttempt {
        id: new_id(),
        job_id: job.id.clone(),
        number,
        started_at,
        duration_ms: 7,
        url: job.url.clone(),
        request_body: job.body.clone(),
        status_code: Some(500),
        response_excerpt: "oops".to_owned(),
        error: Some("HTTP 500".to_owned()),
        instance: instance.to_owned(),
    }
}

/// Jobs stored with their post, claimed once per lease, taken over when a lease
/// runs out, and moved only by the instance that holds them.
async fn delivery_queue(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let (one, two) = (job("j1", "hook-a", 1_000), job("j2", "hook-b", 1_001));
    let p = post(&c.id, &u.id, 1_000, "triggers two");
    store
        .create_post_with_deliveries(&p, &[one.clone(), two.clone()])
        .await
        .unwrap();
    assert_eq!(store.get_channel(&c.id).await.unwrap().unwrap().total_msg_count, 1);
    assert_eq!(store.get_delivery("j1").await.unwrap(), Some(one.clone()));

    // A post that cannot be stored takes its jobs with it.
    let orphan = post("no-such-channel", &u.id, 1_000, "lost");
    assert!(matches!(
        store
            .create_post_with_deliveries(&orphan, &[job("j3", "hook-a", 1_000)])
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.get_delivery("j3").await.unwrap(), None);

    // Not due yet, then due: each job goes to one claimant.
    assert!(store.claim_deliveries("a", 999, 5_000, 10).await.unwrap().is_empty());
    let claimed = store.claim_deliveries("a", 1_001, 5_000, 10).await.unwrap();
    assert_eq!(ids(&claimed, |j| &j.id), ["j1", "j2"]);
    assert!(
        claimed
            .iter()
            .all(|j| j.status == JobStatus::Running && j.lease_owner.as_deref() == Some("a"))
    );
    assert!(store.claim_deliveries("b", 1_002, 6_000, 10).await.unwrap().is_empty());

    // The holder finishes j1.
    let mut done = claimed[0].clone();
    done.status = JobStatus::Delivered;
    done.attempts = 1;
    done.updated_at = 2_000;
    assert!(
        store
            .finish_delivery(&done, "a", &[attempt(&done, 1, "a", 1_500)])
            .await
            .unwrap()
    );
    let stored = store.get_delivery("j1").await.unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts), (JobStatus::Delivered, 1));
    assert_eq!(stored.lease_owner, None);

    // The holder may extend its lease; nobody else may.
    assert!(store.renew_delivery("j2", "a", 5_000).await.unwrap());
    assert!(
        !store.renew_delivery("j2", "b", 50_000).await.unwrap(),
        "b does not hold j2"
    );
    assert!(
        !store.renew_delivery("j1", "a", 50_000).await.unwrap(),
        "j1 is finished"
    );
    assert_eq!(store.get_delivery("j2").await.unwrap().unwrap().lease_until, 5_000);

    // j2's lease runs out (its instance died): b takes it over, and a's late
    // result no longer moves it, though its attempt is on record.
    let taken = store.claim_deliveries("b", 5_000, 9_000, 10).await.unwrap();
    assert_eq!(ids(&taken, |j| &j.id), ["j2"]);
    assert_eq!(taken[0].previous_owner.as_deref(), Some("a"), "taken over from a");
    assert!(
        !store.renew_delivery("j2", "a", 50_000).await.unwrap(),
        "a lost j2 to b"
    );
    let mut late = claimed[1].clone();
    late.status = JobStatus::Delivered;
    late.attempts = 1;
    assert!(
        !store
            .finish_delivery(&late, "a", &[attempt(&late, 1, "a", 1_600)])
            .await
            .unwrap()
    );
    let mut retry = taken[0].clone();
    retry.status = JobStatus::Pending;
    retry.attempts = 1;
    retry.due_at = 7_000;
    assert!(
        store
            .finish_delivery(&retry, "b", &[attempt(&retry, 1, "b", 5_100)])
            .await
            .unwrap()
    );
    let history = store.list_attempts("j2").await.unwrap();
    assert_eq!(history.len(), 2, "the duplicate call shows in the history");
    assert_eq!(
        history.iter().map(|a| a.instance.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(history[0].status_code, Some(500));

    // The retry is due at 7 000.
    assert!(store.claim_deliveries("a", 6_999, 20_000, 10).await.unwrap().is_empty());
    let again = store.claim_deliveries("a", 7_000, 20_000, 10).await.unwrap();
    assert_eq!((again[0].id.as_str(), again[0].attempts), ("j2", 1));
    assert_eq!(again[0].previous_owner, None, "a pending job is nobody's");

    // Other jobs, not tied to a post.
    store.enqueue_deliveries(&[job("j4", "hook-b", 8_000)]).await.unwrap();
    let filter = DeliveryFilter {
        hook_id: Some("hook-b".to_owned()),
        status: None,
    };
    assert_eq!(
        ids(&store.list_deliveries(&filter, 0, 10).await.unwrap(), |j| &j.id),
        ["j4", "j2"]
    );
    let pending = DeliveryFilter {
        hook_id: None,
        status: Some(JobStatus::Pending),
    };
    assert_eq!(
        ids(&store.list_deliveries(&pending, 0, 10).await.unwrap(), |j| &j.id),
        ["j4"]
    );
    assert!(matches!(
        store.enqueue_deliveries(&[job("j4", "hook-b", 8_000)]).await,
        Err(StoreError::Conflict(_))
    ));
}

/// Lookups with a NUL byte in a key or filter find nothing (PostgreSQL text
/// cannot hold NUL and refuses such a parameter; the store answers as SQLite
/// does). Found by fuzzing `GET /api/v4/hooks/incoming?team_id=%00`.
async fn nul_bytes_match_nothing(store: &AnyStore) {
    let (u, t, c) = world(store).await;
    store.create_incoming(&incoming(&new_id(), &u.id, &c, 1)).await.unwrap();
    let nul = "a\0b";
    assert_eq!(store.get_user(nul).await.unwrap(), None);
    assert_eq!(store.get_user_by_username(nul).await.unwrap(), None);
    assert_eq!(store.get_user_by_login(nul).await.unwrap(), None);
    assert_eq!(store.get_session(nul).await.unwrap(), None);
    assert!(matches!(store.touch_session(nul, 1).await, Err(StoreError::NotFound)));
    assert!(!store.delete_session(nul).await.unwrap());
    assert_eq!(store.get_team_by_name(nul).await.unwrap(), None);
    assert_eq!(store.get_channel_by_name(&t.id, nul).await.unwrap(), None);
    assert!(store.list_team_channels(nul, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.count_channel_members(nul).await.unwrap(), 0);
    assert!(matches!(
        store.get_or_create_direct_channel(&u.id, nul).await,
        Err(StoreError::NotFound)
    ));
    let by_team = IncomingFilter {
        team_id: Some(nul.to_owned()),
        user_id: None,
    };
    assert!(store.list_incoming(&by_team, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.count_incoming(&by_team).await.unwrap(), 0);
    assert!(matches!(store.delete_incoming(nul, 1).await, Err(StoreError::NotFound)));
    let by_channel = OutgoingFilter {
        channel_id: Some(nul.to_owned()),
        ..Default::default()
    };
    assert_eq!(store.count_outgoing(&by_channel).await.unwrap(), 0);
    assert!(store.outgoing_for_channel(&t.id, nul).await.unwrap().is_empty());
    let by_name = RcIntegrationFilter {
        name: Some(nul.to_owned()),
        ..Default::default()
    };
    assert!(store.list_rc_integrations(&by_name, 0, 10).await.unwrap().is_empty());
    assert_eq!(store.count_rc_integrations(&by_name).await.unwrap(), 0);
    assert_eq!(store.get_rc_integration_by_token(nul).await.unwrap(), None);
    assert_eq!(store.get_rc_outgoing_by_url(nul).await.unwrap(), None);
    assert!(matches!(
        store.delete_rc_integration(nul).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.find_channel_by_name(nul).await.unwrap(), None);
    assert!(
        store
            .list_channel_posts_between(nul, 0, i64::MAX, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Text is stored exactly as given, NUL and U+E000 included (PostgreSQL cannot
/// hold NUL, so its backend escapes text; this checks the escape is invisible):
/// read back, looked up by key, case-folded, filtered by substring.
async fn any_text_round_trips(store: &AnyStore) {
    let odd = "a\0b\u{E000}c\u{E000}0\0";
    let mut u = user("nul\0user", "");
    u.nickname = odd.to_owned();
    u.props = json!({"odd": odd});
    let u = store.create_user(&u).await.unwrap();
    assert_eq!(u.nickname, odd);
    assert_eq!(u.props["odd"], odd);
    assert_eq!(store.get_user_by_username("NUL\0USER").await.unwrap(), Some(u.clone()));
    assert_eq!(store.get_user_by_username("nul").await.unwrap(), None);

    let t = store.create_team(&team("odd")).await.unwrap();
    let c = store.create_channel(&channel(&t.id, "Chan\0nel", &u.id)).await.unwrap();
    assert_eq!(
        store.get_channel_by_name(&t.id, "chan\0NEL").await.unwrap(),
        Some(c.clone())
    );
    assert_eq!(
        store.find_channel_by_name("CHAN\0NEL").await.unwrap().map(|c| c.id),
        Some(c.id.clone())
    );
    assert_eq!(store.get_channel_by_name(&t.id, "chan").await.unwrap(), None);
    let p = store.create_post(&post(&c.id, &u.id, 5, odd)).await.unwrap();
    assert_eq!(store.get_post(&p.id).await.unwrap().unwrap().message, odd);

    let mut out = rc_integration(RC_WEBHOOK_OUTGOING, "hook\0one", &u.id, 1);
    let url = "https://example.com/\0\u{E000}";
    out.doc["urls"] = json!([url]);
    out.doc["name"] = json!("hook\0one");
    store.create_rc_integration(&out).await.unwrap();
    assert_eq!(store.get_rc_outgoing_by_url(url).await.unwrap(), Some(out.clone()));
    assert_eq!(
        store.get_rc_outgoing_by_url("https://example.com/").await.unwrap(),
        None
    );
    let by_name = RcIntegrationFilter {
        name: Some("K\0O".to_owned()),
        ..Default::default()
    };
    assert_eq!(store.count_rc_integrations(&by_name).await.unwrap(), 1);
}

async fn post_edits_and_threads(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let root = store.create_post(&post(&c.id, &u.id, 100, "root")).await.unwrap();
    let mut replies = Vec::new();
    for i in 0..3 {
        let mut reply = post(&c.id, &u.id, 200 + i, &format!("reply {i}"));
        reply.root_id = root.id.clone();
        replies.push(store.create_post(&reply).await.unwrap());
    }
    let other = store.create_post(&post(&c.id, &u.id, 150, "elsewhere")).await.unwrap();

    let thread = store.list_thread(&root.id).await.unwrap();
    assert_eq!(
        thread.iter().map(|p| p.message.as_str()).collect::<Vec<_>>(),
        ["root", "reply 0", "reply 1", "reply 2"]
    );
    assert!(
        store.list_thread(&replies[0].id).await.unwrap().is_empty(),
        "a reply is no root"
    );
    assert!(store.list_thread("missing").await.unwrap().is_empty());

    let mut edited = replies[1].clone();
    edited.message = "edited".into();
    edited.edit_at = 300;
    edited.update_at = 300;
    edited.props = json!({"k": "v"});
    edited.is_pinned = true;
    edited.file_ids = vec!["f1".into()];
    // Fields outside the edit are kept whatever the record says.
    edited.user_id = "someone-else".into();
    let updated = store.update_post(&edited).await.unwrap();
    assert_eq!(updated.message, "edited");
    assert_eq!(
        (updated.edit_at, updated.update_at, updated.is_pinned),
        (300, 300, true)
    );
    assert_eq!(updated.user_id, u.id);
    assert_eq!(updated.file_ids, ["f1"]);
    assert_eq!(store.get_post(&edited.id).await.unwrap(), Some(updated));

    // Deleting a reply deletes it alone.
    let gone = store.delete_post(&replies[0].id, 400).await.unwrap();
    assert_eq!(ids(&gone, |p| &p.id), [replies[0].id.clone()]);
    assert_eq!(gone[0].delete_at, 400);
    assert!(matches!(
        store.delete_post(&replies[0].id, 401).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.list_thread(&root.id).await.unwrap().len(), 3);

    // Deleting the root takes the rest of its thread, root first.
    let gone = store.delete_post(&root.id, 500).await.unwrap();
    assert_eq!(gone[0].id, root.id);
    let mut gone_ids = ids(&gone, |p| &p.id);
    gone_ids.sort();
    let mut expected = vec![root.id.clone(), replies[1].id.clone(), replies[2].id.clone()];
    expected.sort();
    assert_eq!(gone_ids, expected);
    assert!(store.list_thread(&root.id).await.unwrap().is_empty());
    assert!(matches!(store.update_post(&edited).await, Err(StoreError::NotFound)));
    let live = store.list_channel_posts(&c.id, 0, 60).await.unwrap();
    assert_eq!(ids(&live, |p| &p.id), [other.id.as_str()]);
    assert!(matches!(
        store.delete_post("missing", 1).await,
        Err(StoreError::NotFound)
    ));
}

async fn reactions(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let bob = store.create_user(&user("bob", "bob@example.com")).await.unwrap();
    let p = store.create_post(&post(&c.id, &u.id, 100, "hi")).await.unwrap();
    let reaction = |user_id: &str, emoji: &str, at: i64| Reaction {
        post_id: p.id.clone(),
        user_id: user_id.to_owned(),
        emoji_name: emoji.to_owned(),
        channel_id: c.id.clone(),
        create_at: at,
    };
    let first = store.save_reaction(&reaction(&u.id, "thumbsup", 10)).await.unwrap();
    assert_eq!(first, reaction(&u.id, "thumbsup", 10));
    // The same reaction again is the one there was.
    assert_eq!(
        store.save_reaction(&reaction(&u.id, "thumbsup", 20)).await.unwrap(),
        first
    );
    store.save_reaction(&reaction(&bob.id, "thumbsup", 30)).await.unwrap();
    store.save_reaction(&reaction(&u.id, "tada", 40)).await.unwrap();
    let all = store.list_reactions(&p.id).await.unwrap();
    assert_eq!(all.iter().map(|r| r.create_at).collect::<Vec<_>>(), [10, 30, 40]);

    let removed = store.delete_reaction(&p.id, &bob.id, "thumbsup").await.unwrap();
    assert_eq!(removed, Some(reaction(&bob.id, "thumbsup", 30)));
    assert_eq!(store.delete_reaction(&p.id, &bob.id, "thumbsup").await.unwrap(), None);
    assert_eq!(store.list_reactions(&p.id).await.unwrap().len(), 2);

    let mut orphan = reaction(&u.id, "x", 1);
    orphan.post_id = "missing".into();
    assert!(matches!(store.save_reaction(&orphan).await, Err(StoreError::NotFound)));
}

async fn files(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let info = |id: &str, at: i64| FileInfo {
        id: id.to_owned(),
        user_id: u.id.clone(),
        channel_id: c.id.clone(),
        post_id: String::new(),
        create_at: at,
        update_at: at,
        delete_at: 0,
        name: format!("{id}.png"),
        extension: "png".into(),
        size: 4,
        mime_type: "image/png".into(),
        width: 2,
        height: 1,
    };
    // Every byte value, NUL included, round-trips.
    let data: Vec<u8> = (0..=255).collect();
    let a = store.create_file(&info("a", 10), &data).await.unwrap();
    assert_eq!(a, info("a", 10));
    store.create_file(&info("b", 20), b"bbbb").await.unwrap();
    assert_eq!(store.get_file_info("a").await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_file_data("a").await.unwrap(), Some(data));
    assert_eq!(store.get_file_data("missing").await.unwrap(), None);
    assert!(matches!(
        store.create_file(&info("a", 1), b"").await,
        Err(StoreError::Conflict(_))
    ));
    let mut orphan = info("c", 1);
    orphan.channel_id = "missing".into();
    assert!(matches!(
        store.create_file(&orphan, b"").await,
        Err(StoreError::NotFound)
    ));

    let p = store.create_post(&post(&c.id, &u.id, 100, "with files")).await.unwrap();
    store
        .attach_files(&p.id, &["b".into(), "a".into(), "missing".into()], 50)
        .await
        .unwrap();
    let attached = store.list_post_files(&p.id).await.unwrap();
    assert_eq!(ids(&attached, |f| &f.id), ["a", "b"]);
    assert_eq!(attached[0].post_id, p.id);
    assert_eq!(attached[0].update_at, 50);
    // A file another post carries stays with it.
    let q = store.create_post(&post(&c.id, &u.id, 200, "thief")).await.unwrap();
    store.attach_files(&q.id, &["a".into()], 60).await.unwrap();
    assert!(store.list_post_files(&q.id).await.unwrap().is_empty());
}

async fn access_tokens(store: &AnyStore) {
    let (u, _t, _c) = world(store).await;
    let token = |id: &str, secret: &str, at: i64| AccessToken {
        id: id.to_owned(),
        token: secret.to_owned(),
        user_id: u.id.clone(),
        description: format!("token {id}"),
        is_active: true,
        create_at: at,
    };
    let one = store
        .create_access_token(&token("one", "secret-one", 10))
        .await
        .unwrap();
    assert_eq!(one, token("one", "secret-one", 10));
    store
        .create_access_token(&token("two", "secret-two", 20))
        .await
        .unwrap();
    assert!(matches!(
        store.create_access_token(&token("three", "secret-one", 30)).await,
        Err(StoreError::Conflict(_))
    ));
    let mut orphan = token("four", "secret-four", 1);
    orphan.user_id = "missing".into();
    assert!(matches!(
        store.create_access_token(&orphan).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(store.get_access_token("secret-one").await.unwrap(), Some(one.clone()));
    assert_eq!(
        store.get_access_token_by_id("two").await.unwrap().unwrap().token,
        "secret-two"
    );
    assert_eq!(store.get_access_token("secret").await.unwrap(), None);
    let listed = store.list_access_tokens(&u.id, 0, 60).await.unwrap();
    assert_eq!(ids(&listed, |t| &t.id), ["one", "two"]);
    assert_eq!(
        ids(&store.list_access_tokens(&u.id, 1, 1).await.unwrap(), |t| &t.id),
        ["two"]
    );

    store.set_access_token_active("one", false).await.unwrap();
    assert!(!store.get_access_token("secret-one").await.unwrap().unwrap().is_active);
    store.set_access_token_active("one", true).await.unwrap();
    assert!(store.get_access_token("secret-one").await.unwrap().unwrap().is_active);
    assert!(matches!(
        store.set_access_token_active("missing", true).await,
        Err(StoreError::NotFound)
    ));

    store.delete_access_token("one").await.unwrap();
    assert_eq!(store.get_access_token("secret-one").await.unwrap(), None);
    assert!(matches!(
        store.delete_access_token("one").await,
        Err(StoreError::NotFound)
    ));
}

async fn listings_and_membership_changes(store: &AnyStore) {
    let (u, t, c) = world(store).await;
    let other = store.create_team(&team("another")).await.unwrap();
    let mut gone = team("gone");
    gone.delete_at = 5;
    let gone = store.create_team(&gone).await.unwrap();
    let teams = store.list_teams(0, 60).await.unwrap();
    assert_eq!(ids(&teams, |t| &t.name), ["another", "core"]);
    assert_eq!(ids(&store.list_teams(1, 1).await.unwrap(), |t| &t.name), ["core"]);

    assert!(store.list_user_teams(&u.id).await.unwrap().is_empty());
    for (team_id, delete_at) in [(&t.id, 0), (&other.id, 7), (&gone.id, 0)] {
        store
            .add_team_member(&TeamMember {
                team_id: team_id.clone(),
                user_id: u.id.clone(),
                roles: ROLES_TEAM_USER.into(),
                delete_at,
            })
            .await
            .unwrap();
    }
    // Left teams and deleted teams are not the user's.
    assert_eq!(
        ids(&store.list_user_teams(&u.id).await.unwrap(), |t| &t.id),
        [t.id.as_str()]
    );

    let mut private = channel(&t.id, "secret", &u.id);
    private.channel_type = CHANNEL_PRIVATE.into();
    store.create_channel(&private).await.unwrap();
    let mut later = channel(&other.id, "later", &u.id);
    later.create_at = 2_000;
    let later = store.create_channel(&later).await.unwrap();
    let public = store.list_public_channels(0, 50).await.unwrap();
    assert_eq!(ids(&public, |c| &c.id), [c.id.clone(), later.id.clone()]);
    assert_eq!(
        ids(&store.list_public_channels(1, 50).await.unwrap(), |c| &c.id),
        [later.id.as_str()]
    );
    assert_eq!(store.count_public_channels().await.unwrap(), 2);

    let archived = store.archive_channel(&later.id, 3_000).await.unwrap();
    assert_eq!((archived.delete_at, archived.update_at), (3_000, 3_000));
    assert_eq!(store.get_channel(&later.id).await.unwrap().unwrap().delete_at, 3_000);
    assert!(matches!(
        store.archive_channel(&later.id, 4_000).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.count_public_channels().await.unwrap(),
        2,
        "archived channels stay listed"
    );

    store
        .add_channel_member(&ChannelMember {
            channel_id: c.id.clone(),
            user_id: u.id.clone(),
            roles: ROLES_CHANNEL_USER.into(),
            last_viewed_at: 0,
            msg_count: 0,
            mention_count: 0,
            notify_props: json!({}),
            last_update_at: 0,
        })
        .await
        .unwrap();
    assert!(store.remove_channel_member(&c.id, &u.id).await.unwrap());
    assert!(!store.remove_channel_member(&c.id, &u.id).await.unwrap());
    assert_eq!(store.get_channel_member(&c.id, &u.id).await.unwrap(), None);
}

async fn searching_posts(store: &AnyStore) {
    let (u, t, c) = world(store).await;
    let other = store.create_channel(&channel(&t.id, "other", &u.id)).await.unwrap();
    let bob = store.create_user(&user("bob", "bob@example.com")).await.unwrap();
    let mut hooked = post(&c.id, &u.id, 1_000, "deploy finished");
    hooked.hook_id = "hook1".into();
    let hooked = store.create_post(&hooked).await.unwrap();
    assert_eq!(hooked.hook_id, "hook1", "hook_id round-trips");
    let plain = store
        .create_post(&post(&c.id, &u.id, 2_000, "Deploy started"))
        .await
        .unwrap();
    let elsewhere = store
        .create_post(&post(&other.id, &bob.id, 3_000, "deploy elsewhere"))
        .await
        .unwrap();
    let gone = store
        .create_post(&post(&c.id, &u.id, 4_000, "deploy deleted"))
        .await
        .unwrap();
    store.delete_post(&gone.id, 5_000).await.unwrap();

    let find = |search: PostSearch, end: SearchEnd, limit: u32| async move {
        let found = store.search_posts(&search, end, limit).await.unwrap();
        for post in &found {
            assert!(search.matches(post), "the query and `matches` agree on {post:?}");
        }
        found.into_iter().map(|p| p.id).collect::<Vec<_>>()
    };
    let all = PostSearch::default();
    assert_eq!(
        find(all.clone(), SearchEnd::Oldest, 10).await,
        [hooked.id.clone(), plain.id.clone(), elsewhere.id.clone()],
        "oldest first, deleted posts left out"
    );
    assert_eq!(
        find(all.clone(), SearchEnd::Newest, 2).await,
        [plain.id.clone(), elsewhere.id.clone()],
        "the newest two, still oldest first"
    );
    assert_eq!(find(all.clone(), SearchEnd::Oldest, 1).await, [hooked.id.as_str()]);
    let by = |f: fn(&mut PostSearch)| {
        let mut search = PostSearch::default();
        f(&mut search);
        search
    };
    assert_eq!(
        find(by(|s| s.hook_id = Some("hook1".into())), SearchEnd::Oldest, 10).await,
        [hooked.id.as_str()]
    );
    let in_other = PostSearch {
        channel_id: Some(other.id.clone()),
        ..PostSearch::default()
    };
    assert_eq!(find(in_other, SearchEnd::Oldest, 10).await, [elsewhere.id.as_str()]);
    let by_bob = PostSearch {
        user_id: Some(bob.id.clone()),
        ..PostSearch::default()
    };
    assert_eq!(find(by_bob, SearchEnd::Oldest, 10).await, [elsewhere.id.as_str()]);
    assert_eq!(
        find(by(|s| s.text = Some("deploy".into())), SearchEnd::Oldest, 10).await,
        [hooked.id.clone(), elsewhere.id.clone()],
        "text is matched case-sensitively"
    );
    assert_eq!(
        find(by(|s| s.after = 1_000), SearchEnd::Oldest, 10).await,
        [plain.id.clone(), elsewhere.id.clone()],
        "strictly after"
    );
    assert!(
        find(by(|s| s.text = Some("nothing like it".into())), SearchEnd::Oldest, 10)
            .await
            .is_empty()
    );

    let channels = store.list_all_channels().await.unwrap();
    assert_eq!(ids(&channels, |c| &c.id), [other.id.clone(), c.id.clone()], "by name");
    store.get_or_create_direct_channel(&u.id, &bob.id).await.unwrap();
    assert_eq!(
        store.list_all_channels().await.unwrap().len(),
        2,
        "direct channels are left out"
    );

    // Active users by username, at most `limit` of them.
    let mut gone = user("carol", "carol@example.com");
    gone.delete_at = 9_000;
    store.create_user(&gone).await.unwrap();
    let active = store.list_active_users(10).await.unwrap();
    assert_eq!(
        ids(&active, |u| &u.username),
        ["alice", "bob"],
        "deactivated users are left out"
    );
    assert_eq!(
        ids(&store.list_active_users(1).await.unwrap(), |u| &u.username),
        ["alice"]
    );
}

async fn wiping_and_pruning(store: &AnyStore) {
    let (u, _t, c) = world(store).await;
    let mut ids_made = Vec::new();
    for at in 1..=5 {
        let made = store.create_post(&post(&c.id, &u.id, at * 1_000, "m")).await.unwrap();
        ids_made.push(made.id);
    }
    store
        .save_reaction(&Reaction {
            post_id: ids_made[0].clone(),
            user_id: u.id.clone(),
            emoji_name: "tada".into(),
            channel_id: c.id.clone(),
            create_at: 1_500,
        })
        .await
        .unwrap();
    assert_eq!(
        store.prune_posts(2_500, None).await.unwrap(),
        2,
        "older than the age limit"
    );
    assert_eq!(store.get_post(&ids_made[0]).await.unwrap(), None);
    assert!(store.list_reactions(&ids_made[0]).await.unwrap().is_empty());
    assert_eq!(
        store.prune_posts(0, Some(2)).await.unwrap(),
        1,
        "beyond the count limit"
    );
    let left = store
        .search_posts(&PostSearch::default(), SearchEnd::Oldest, 10)
        .await
        .unwrap();
    assert_eq!(ids(&left, |p| &p.id), [ids_made[3].clone(), ids_made[4].clone()]);
    assert_eq!(store.prune_posts(0, Some(2)).await.unwrap(), 0);

    store.wipe().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 0);
    assert_eq!(store.get_user(&u.id).await.unwrap(), None, "the cache forgot too");
    assert_eq!(store.get_channel(&c.id).await.unwrap(), None);
    assert!(
        store
            .search_posts(&PostSearch::default(), SearchEnd::Oldest, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The schema is intact: the store works as new.
    let (again, _, _) = world(store).await;
    assert_eq!(store.get_user(&again.id).await.unwrap().map(|u| u.id), Some(again.id));
}

async fn login_failures(store: &AnyStore) {
    let alice = store.create_user(&user("alice", "alice@example.com")).await.unwrap();
    assert_eq!(store.count_login_failures(&alice.id).await.unwrap(), 0);
    for _ in 0..3 {
        assert!(store.take_login_attempt(&alice.id, 3).await.unwrap());
    }
    assert!(
        !store.take_login_attempt(&alice.id, 3).await.unwrap(),
        "a fourth attempt past a limit of three is refused"
    );
    assert_eq!(store.count_login_failures(&alice.id).await.unwrap(), 3);
    store.return_login_attempt(&alice.id).await.unwrap();
    assert_eq!(store.count_login_failures(&alice.id).await.unwrap(), 2);
    store.clear_login_failures(&alice.id).await.unwrap();
    assert_eq!(store.count_login_failures(&alice.id).await.unwrap(), 0);
    store.return_login_attempt(&alice.id).await.unwrap();
    assert_eq!(
        store.count_login_failures(&alice.id).await.unwrap(),
        0,
        "never below zero"
    );
    assert!(matches!(
        store.take_login_attempt(&new_id(), 3).await,
        Err(StoreError::NotFound)
    ));

    // Concurrent attempts take no more than the limit between them.
    let taken = futures_util::future::join_all((0..20).map(|_| store.take_login_attempt(&alice.id, 10))).await;
    let taken = taken.into_iter().map(Result::unwrap).filter(|taken| *taken).count();
    assert_eq!(taken, 10);
    assert_eq!(store.count_login_failures(&alice.id).await.unwrap(), 10);
}

async fn roles_and_settings(store: &AnyStore) {
    assert!(
        store.list_roles().await.unwrap().is_empty(),
        "no role changed on a new database"
    );
    assert!(store.list_settings().await.unwrap().is_empty());
    let role = StoredRole {
        name: "team_user".into(),
        permissions: vec!["view_team".into(), "manage_own_incoming_webhooks".into()],
        update_at: 5,
    };
    store.put_role(&role).await.unwrap();
    let replaced = StoredRole {
        permissions: vec!["view_team".into()],
        update_at: 6,
        ..role.clone()
    };
    store.put_role(&replaced).await.unwrap();
    assert_eq!(store.list_roles().await.unwrap(), vec![replaced]);

    let setting = StoredSetting {
        key: "hooks.incoming_enabled".into(),
        value: json!(false),
        update_at: 7,
    };
    store.put_setting(&setting).await.unwrap();
    let document = StoredSetting {
        key: "mattermost.config".into(),
        value: json!({"TeamSettings": {"SiteName": "x\u{1}y", "Max": 5}}),
        update_at: 8,
    };
    store.put_setting(&document).await.unwrap();
    store
        .put_setting(&StoredSetting {
            value: json!(true),
            update_at: 9,
            ..setting.clone()
        })
        .await
        .unwrap();
    let listed = store.list_settings().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[0],
        StoredSetting {
            value: json!(true),
            update_at: 9,
            ..setting
        }
    );
    assert_eq!(listed[1], document);

    // Created once: a second writer keeps the first value.
    let first = StoredSetting {
        key: "secret".into(),
        value: json!("one"),
        update_at: 10,
    };
    assert!(store.insert_setting_if_absent(&first).await.unwrap());
    let second = StoredSetting {
        value: json!("two"),
        update_at: 11,
        ..first.clone()
    };
    assert!(!store.insert_setting_if_absent(&second).await.unwrap());
    assert!(store.list_settings().await.unwrap().contains(&first));

    // A reset forgets every change: the defaults are back.
    store.wipe().await.unwrap();
    assert!(store.list_roles().await.unwrap().is_empty());
    assert!(store.list_settings().await.unwrap().is_empty());
}
