//! Incoming and outgoing webhook management (`/api/v4/hooks/...`) end to end,
//! through the generated client against the running server: the success
//! paths, every documented refusal, the permission matrix of each operation,
//! paging, soft deletion and the wire shapes.

use chathooks_mattermost_client::{Client, Error, ResponseValue};
use chathooks_mattermost_types as types;
use chathooks_tests::{Session, TestServer, World, app_error, create_channel, create_user};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

const PERMISSIONS: &str = "api.context.permissions.app_error";
const SESSION_EXPIRED: &str = "api.context.session_expired.app_error";
const INVALID_URL_PARAM: &str = "api.context.invalid_url_param.app_error";
const INVALID_BODY_PARAM: &str = "api.context.invalid_body_param.app_error";
const INVALID_PARAM: &str = "api.context.invalid_param.app_error";
const TEAM_MISMATCH: &str = "api.webhook.team_mismatch.app_error";
const INCOMING_NOT_FOUND: &str = "app.webhooks.get_incoming.app_error";
const OUTGOING_NOT_FOUND: &str = "app.webhooks.get_outgoing.app_error";
const CHANNEL_NOT_FOUND: &str = "app.channel.get.existing.app_error";
const USER_NOT_FOUND: &str = "app.user.missing_account.const";
/// A well-formed id that names nothing.
const MISSING_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";

// ----- helpers -----

/// A typed request body from JSON (the generated bodies wrap constrained strings).
fn body<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid request body")
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("serializable")
}

/// Status and AppError id of a client call; the id is empty on success.
fn outcome<T>(result: Result<ResponseValue<T>, Error<types::AppError>>) -> (u16, String) {
    match result {
        Ok(response) => (response.status().as_u16(), String::new()),
        Err(Error::ErrorResponse(response)) => (response.status().as_u16(), response.into_inner().id),
        Err(other) => panic!("expected an answer, got {other:?}"),
    }
}

fn refused(status: u16, id: &str) -> (u16, String) {
    (status, id.to_owned())
}

fn success(status: u16) -> (u16, String) {
    (status, String::new())
}

/// A raw JSON request, for bodies the typed client will not build and to see
/// the exact wire shape. Answers the status and the JSON body.
async fn raw(
    server: &TestServer,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

async fn create_incoming(client: &Client, fields: Value) -> types::IncomingWebhook {
    client
        .create_incoming_webhook()
        .body(body::<types::CreateIncomingWebhookBody>(fields))
        .send()
        .await
        .expect("incoming webhook created")
        .into_inner()
}

async fn create_outgoing(client: &Client, fields: Value) -> types::OutgoingWebhook {
    client
        .create_outgoing_webhook()
        .body(body::<types::CreateOutgoingWebhookBody>(fields))
        .send()
        .await
        .expect("outgoing webhook created")
        .into_inner()
}

/// The body of an update that renames an incoming hook and keeps its channel.
fn rename_incoming(hook: &types::IncomingWebhook, display_name: &str) -> types::UpdateIncomingWebhookBody {
    body(json!({"id": hook.id, "channel_id": hook.channel_id, "display_name": display_name}))
}

/// The body of an update: the hook as read, with `changes` applied.
fn edit_outgoing(hook: &types::OutgoingWebhook, changes: Value) -> types::UpdateOutgoingWebhookBody {
    let mut value = to_json(hook);
    if let (Some(target), Some(changes)) = (value.as_object_mut(), changes.as_object()) {
        for (key, change) in changes {
            target.insert(key.clone(), change.clone());
        }
    }
    body(value)
}

fn incoming_list(response: types::GetIncomingWebhooksResponse) -> Vec<types::IncomingWebhook> {
    match response {
        types::GetIncomingWebhooksResponse::Variant0(list) => list.0,
        other => panic!("expected a bare array, got {other:?}"),
    }
}

fn outgoing_list(response: types::GetOutgoingWebhooksResponse) -> Vec<types::OutgoingWebhook> {
    match response {
        types::GetOutgoingWebhooksResponse::Variant0(list) => list.0,
        other => panic!("expected a bare array, got {other:?}"),
    }
}

/// What a list of outgoing hooks should show: a label, the caller, the
/// `team_id` and `channel_id` filters, and the hooks expected.
type OutgoingListCase<'a> = (
    &'a str,
    &'a Client,
    Option<&'a str>,
    Option<&'a str>,
    Vec<&'a types::OutgoingWebhook>,
);

/// Ids (sorted) of the incoming hooks `client` lists, optionally in one team.
async fn listed_incoming_ids(client: &Client, team_id: Option<&str>) -> Vec<String> {
    let mut builder = client.get_incoming_webhooks();
    if let Some(team_id) = team_id {
        builder = builder.team_id(team_id);
    }
    let hooks = incoming_list(builder.send().await.expect("listed").into_inner());
    sorted_ids(hooks.iter().map(|h| &h.id))
}

/// A list request for outgoing hooks with the optional filters.
fn outgoing_query<'a>(
    client: &'a Client,
    team_id: Option<&str>,
    channel_id: Option<&str>,
) -> chathooks_mattermost_client::builder::GetOutgoingWebhooks<'a> {
    let mut builder = client.get_outgoing_webhooks();
    if let Some(team_id) = team_id {
        builder = builder.team_id(team_id);
    }
    if let Some(channel_id) = channel_id {
        builder = builder.channel_id(channel_id);
    }
    builder
}

fn sorted_ids<'a>(ids: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut ids: Vec<String> = ids.into_iter().cloned().collect();
    ids.sort();
    ids
}

// ----- the world of these tests -----

/// Who calls, in the permission matrices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    SystemAdmin,
    /// alice: created the ops team, so administers it, but is no system admin.
    TeamAdmin,
    /// bob: a plain member of ops who owns the hooks under test.
    Owner,
    /// carol: another plain member of ops.
    OtherMember,
    /// mallory: not in ops.
    Outsider,
    Anonymous,
}

const EVERYONE: [Who; 6] = [
    Who::SystemAdmin,
    Who::TeamAdmin,
    Who::Owner,
    Who::OtherMember,
    Who::Outsider,
    Who::Anonymous,
];

/// Who may manage bob's hooks: the others-permission or ownership.
const MANAGERS: [Who; 3] = [Who::SystemAdmin, Who::TeamAdmin, Who::Owner];

/// Every member of the team (own-permission).
const TEAM: [Who; 4] = [Who::SystemAdmin, Who::TeamAdmin, Who::Owner, Who::OtherMember];

/// What `who` should get: `ok` if allowed, else 403, and 401 without credentials.
fn expected(who: Who, allowed: &[Who], ok: u16) -> (u16, String) {
    if who == Who::Anonymous {
        refused(401, SESSION_EXPIRED)
    } else if allowed.contains(&who) {
        success(ok)
    } else {
        refused(403, PERMISSIONS)
    }
}

/// The [`World`] plus a second team, "ops", created by alice (its team admin,
/// no system admin), with bob and carol as plain members and mallory outside.
struct Ops {
    world: World,
    team: types::Team,
    /// Public; created by alice.
    channel: types::Channel,
    /// Private; alice and bob are members, carol is not.
    private: types::Channel,
    carol: Session,
    anonymous: Client,
}

impl Ops {
    async fn new() -> Self {
        let world = World::new().await;
        let carol = create_user(&world.server, &world.admin, "carol").await;
        let alice = &world.member;
        let team = alice
            .client
            .create_team()
            .body(types::CreateTeamBody {
                name: "ops".into(),
                display_name: "Ops".into(),
                type_: types::CreateTeamBodyType::O,
                description: None,
            })
            .send()
            .await
            .expect("create ops")
            .into_inner();
        for user in [&world.other_member, &carol] {
            alice
                .client
                .add_team_member()
                .team_id(&team.id)
                .body(types::AddTeamMemberBody {
                    team_id: team.id.clone(),
                    user_id: user.user.id.clone(),
                })
                .send()
                .await
                .expect("add to ops");
        }
        let channel = create_channel(alice, &team.id, "ops-public", types::CreateChannelBodyType::O).await;
        let private = create_channel(alice, &team.id, "ops-private", types::CreateChannelBodyType::P).await;
        alice
            .client
            .add_channel_member()
            .channel_id(&private.id)
            .body(types::AddChannelMemberBody {
                user_id: world.other_member.user.id.clone(),
            })
            .send()
            .await
            .expect("add bob to ops-private");
        let anonymous = world.server.anonymous();
        Self {
            world,
            team,
            channel,
            private,
            carol,
            anonymous,
        }
    }

    fn admin(&self) -> &Session {
        &self.world.admin
    }

    fn alice(&self) -> &Session {
        &self.world.member
    }

    fn bob(&self) -> &Session {
        &self.world.other_member
    }

    fn server(&self) -> &TestServer {
        &self.world.server
    }

    fn client(&self, who: Who) -> &Client {
        match who {
            Who::SystemAdmin => &self.world.admin.client,
            Who::TeamAdmin => &self.world.member.client,
            Who::Owner => &self.world.other_member.client,
            Who::OtherMember => &self.carol.client,
            Who::Outsider => &self.world.outsider.client,
            Who::Anonymous => &self.anonymous,
        }
    }

    /// An incoming hook of bob's in the public ops channel.
    async fn bobs_incoming(&self) -> types::IncomingWebhook {
        create_incoming(
            &self.bob().client,
            json!({"channel_id": self.channel.id, "display_name": "bob's"}),
        )
        .await
    }

    /// An outgoing hook of bob's on the public ops channel; `word` keeps
    /// hooks from overlapping.
    async fn bobs_outgoing(&self, word: &str) -> types::OutgoingWebhook {
        create_outgoing(
            &self.bob().client,
            json!({
                "team_id": self.team.id,
                "channel_id": self.channel.id,
                "trigger_words": [word],
                "callback_urls": ["http://example.com/hook"],
            }),
        )
        .await
    }
}

// ----- incoming webhooks -----

#[tokio::test]
async fn incoming_create_get_update_delete() {
    let world = World::with_overrides_and_bots().await;
    let alice = &world.member;
    let created = create_incoming(
        &alice.client,
        json!({
            "channel_id": world.open_channel.id,
            "display_name": "Deploys",
            "description": "CI announcements",
            "username": "ci",
            "icon_url": "http://example.com/ci.png",
            // Ignored: the team comes from the channel.
            "team_id": MISSING_ID,
        }),
    )
    .await;
    assert_eq!(created.id.len(), 26);
    assert!(created.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(created.user_id, alice.user.id);
    assert_eq!(created.channel_id, world.open_channel.id);
    assert_eq!(created.team_id, world.team.id);
    assert_eq!(
        (
            created.display_name.as_str(),
            created.description.as_str(),
            created.username.as_str(),
            created.icon_url.as_str()
        ),
        ("Deploys", "CI announcements", "ci", "http://example.com/ci.png")
    );
    assert!(created.create_at > 0);
    assert_eq!(created.update_at, created.create_at);
    assert_eq!(created.delete_at, 0);
    // alice may not bypass the lock in this team, so it is forced on.
    assert!(created.channel_locked);

    let got = alice
        .client
        .get_incoming_webhook()
        .hook_id(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(to_json(&got.into_inner()), to_json(&created));
    // In the team: plain members hold no webhook permission outside teams.
    let listed = || async {
        incoming_list(
            alice
                .client
                .get_incoming_webhooks()
                .team_id(&world.team.id)
                .send()
                .await
                .unwrap()
                .into_inner(),
        )
    };
    // Asked twice: the second answer is the page encoded for the first.
    for _ in 0..2 {
        assert_eq!(to_json(&listed().await), json!([to_json(&created)]));
    }

    // Full replacement: fields left out are cleared; moving within the team is fine.
    let updated = alice
        .client
        .update_incoming_webhook()
        .hook_id(&created.id)
        .body(body::<types::UpdateIncomingWebhookBody>(json!({
            "id": created.id,
            "channel_id": world.private_channel.id,
            "display_name": "Renamed",
            "channel_locked": false,
        })))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 201);
    let updated = updated.into_inner();
    assert_eq!(
        (updated.id.as_str(), updated.user_id.as_str(), updated.team_id.as_str()),
        (created.id.as_str(), created.user_id.as_str(), created.team_id.as_str())
    );
    assert_eq!(updated.create_at, created.create_at);
    assert!(updated.update_at >= created.update_at);
    assert_eq!(updated.channel_id, world.private_channel.id);
    assert_eq!(updated.display_name, "Renamed");
    assert_eq!(
        (
            updated.description.as_str(),
            updated.username.as_str(),
            updated.icon_url.as_str()
        ),
        ("", "", "")
    );
    assert!(updated.channel_locked, "still forced on without the bypass permission");
    let reread = alice
        .client
        .get_incoming_webhook()
        .hook_id(&created.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(to_json(&reread), to_json(&updated));
    assert_eq!(
        to_json(&listed().await),
        json!([to_json(&updated)]),
        "the list answers with the hook as it is now"
    );

    // Deletion is soft and answers StatusOK; afterwards the hook is gone everywhere.
    let (status, answer) = raw(
        &world.server,
        Some(&alice.token),
        Method::DELETE,
        &format!("/api/v4/hooks/incoming/{}", created.id),
        None,
    )
    .await;
    assert_eq!((status, answer), (200, json!({"status": "OK"})));
    let (status, error) = app_error(alice.client.get_incoming_webhook().hook_id(&created.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, INCOMING_NOT_FOUND));
    let (status, error) = app_error(alice.client.delete_incoming_webhook().hook_id(&created.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, INCOMING_NOT_FOUND));
    let (status, error) = app_error(
        alice
            .client
            .update_incoming_webhook()
            .hook_id(&created.id)
            .body(rename_incoming(&updated, "again"))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (404, INCOMING_NOT_FOUND));
    assert!(listed().await.is_empty(), "deleted hooks are not listed");
}

#[tokio::test]
async fn incoming_wire_shapes() {
    let world = World::new().await;
    let hook = create_incoming(
        &world.admin.client,
        json!({"channel_id": world.open_channel.id, "display_name": "Snapshot", "channel_locked": false}),
    )
    .await;
    insta::assert_json_snapshot!("incoming_webhook", hook, {
        ".id" => "[redacted]",
        ".create_at" => "[redacted]",
        ".update_at" => "[redacted]",
        ".user_id" => "[redacted]",
        ".channel_id" => "[redacted]",
        ".team_id" => "[redacted]",
    });
    // Every field is on the wire, as the real server sends it.
    let (status, answer) = raw(
        &world.server,
        Some(&world.admin.token),
        Method::GET,
        &format!("/api/v4/hooks/incoming/{}", hook.id),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let mut keys: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "channel_id",
            "channel_locked",
            "create_at",
            "delete_at",
            "description",
            "display_name",
            "icon_url",
            "id",
            "team_id",
            "update_at",
            "user_id",
            "username"
        ]
    );

    let (_, error) = raw(
        &world.server,
        Some(&world.member.token),
        Method::GET,
        &format!("/api/v4/hooks/incoming/{}", hook.id),
        None,
    )
    .await;
    insta::assert_json_snapshot!("app_error_forbidden", error, {
        ".request_id" => "[redacted]",
    });
}

#[tokio::test]
async fn incoming_create_refusals() {
    let ops = Ops::new().await;
    let server = ops.server();
    let bob = ops.bob();
    let create = |session: &Session, fields: Value| {
        let client = session.client.clone();
        async move {
            app_error(
                client
                    .create_incoming_webhook()
                    .body(body::<types::CreateIncomingWebhookBody>(fields))
                    .send()
                    .await,
            )
        }
    };

    // Mattermost looks any channel id up: a malformed one is not found.
    let (status, error) = create(bob, json!({"channel_id": "not-an-id"})).await;
    assert_eq!((status, error.id.as_str()), (404, CHANNEL_NOT_FOUND));
    let (status, error) = create(bob, json!({"channel_id": MISSING_ID})).await;
    assert_eq!((status, error.id.as_str()), (404, CHANNEL_NOT_FOUND));
    // Outside the channel's team.
    let (status, error) = create(&ops.world.outsider, json!({"channel_id": ops.channel.id})).await;
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    // A private channel the caller cannot read.
    let (status, error) = create(&ops.carol, json!({"channel_id": ops.private.id})).await;
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    // On behalf of someone else without manage_others.
    let (status, error) = create(bob, json!({"channel_id": ops.channel.id, "user_id": ops.carol.user.id})).await;
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    // On behalf of nobody.
    let (status, error) = create(
        ops.alice(),
        json!({"channel_id": ops.channel.id, "user_id": MISSING_ID}),
    )
    .await;
    assert_eq!((status, error.id.as_str()), (404, USER_NOT_FOUND));

    // A team admin may create hooks for members; they then own them.
    let for_bob = create_incoming(
        &ops.alice().client,
        json!({"channel_id": ops.channel.id, "user_id": bob.user.id}),
    )
    .await;
    assert_eq!(for_bob.user_id, bob.user.id);
    assert_eq!(for_bob.team_id, ops.team.id);
    // Naming oneself needs nothing more.
    let own = create_incoming(
        &bob.client,
        json!({"channel_id": ops.channel.id, "user_id": bob.user.id}),
    )
    .await;
    assert_eq!(own.user_id, bob.user.id);
    // Private channels work for their members.
    let private = create_incoming(&bob.client, json!({"channel_id": ops.private.id})).await;
    assert_eq!(private.channel_id, ops.private.id);

    // Field rules from the spec, with Mattermost's ids.
    let token = Some(bob.token.as_str());
    let cases = [
        (
            json!({"channel_id": ops.channel.id, "display_name": "x".repeat(65)}),
            "model.incoming_hook.display_name.app_error",
        ),
        (
            json!({"channel_id": ops.channel.id, "description": "x".repeat(501)}),
            "model.incoming_hook.description.app_error",
        ),
        (
            json!({"channel_id": ops.channel.id, "username": "x".repeat(65)}),
            "model.incoming_hook.username.app_error",
        ),
        (
            json!({"channel_id": ops.channel.id, "icon_url": "x".repeat(1025)}),
            "model.incoming_hook.icon_url.app_error",
        ),
        (json!({"display_name": "no channel"}), INVALID_BODY_PARAM),
        (
            json!({"channel_id": ops.channel.id, "channel_locked": "yes"}),
            INVALID_BODY_PARAM,
        ),
    ];
    for (fields, id) in cases {
        let (status, answer) = raw(
            server,
            token,
            Method::POST,
            "/api/v4/hooks/incoming",
            Some(fields.clone()),
        )
        .await;
        assert_eq!((status, answer["id"].as_str()), (400, Some(id)), "{fields}");
        assert_eq!(answer["status_code"], 400);
    }
    // Limits are inclusive.
    let longest = create_incoming(
        &bob.client,
        json!({"channel_id": ops.channel.id, "display_name": "é".repeat(64), "description": "x".repeat(500)}),
    )
    .await;
    assert_eq!(longest.display_name.chars().count(), 64);
    // Not JSON at all.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/hooks/incoming", server.base))
        .bearer_auth(&bob.token)
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["id"], INVALID_BODY_PARAM);
}

#[tokio::test]
async fn incoming_channel_lock_needs_the_bypass_permission() {
    let ops = Ops::new().await;
    let unlocked = json!({"channel_id": ops.channel.id, "channel_locked": false});
    // Plain members cannot create or update an unlocked hook.
    let bobs = create_incoming(&ops.bob().client, unlocked.clone()).await;
    assert!(bobs.channel_locked);
    let updated = ops
        .bob()
        .client
        .update_incoming_webhook()
        .hook_id(&bobs.id)
        .body(body::<types::UpdateIncomingWebhookBody>(
            json!({"id": bobs.id, "channel_id": ops.channel.id, "channel_locked": false}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(updated.channel_locked);
    // Team admins and system admins may.
    for session in [ops.alice(), ops.admin()] {
        let hook = create_incoming(&session.client, unlocked.clone()).await;
        assert!(!hook.channel_locked);
        let relocked = create_incoming(
            &session.client,
            json!({"channel_id": ops.channel.id, "channel_locked": true}),
        )
        .await;
        assert!(relocked.channel_locked, "asking for the lock is always honoured");
    }
    // The team admin unlocks bob's hook.
    let unlocked_by_admin = ops
        .alice()
        .client
        .update_incoming_webhook()
        .hook_id(&bobs.id)
        .body(body::<types::UpdateIncomingWebhookBody>(
            json!({"id": bobs.id, "channel_id": ops.channel.id, "channel_locked": false}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!unlocked_by_admin.channel_locked);
    assert_eq!(
        unlocked_by_admin.user_id,
        ops.bob().user.id,
        "the owner does not change"
    );
}

#[tokio::test]
async fn incoming_update_refusals() {
    let ops = Ops::new().await;
    let bob = ops.bob();
    let hook = ops.bobs_incoming().await;
    let update = |hook_id: &str, fields: Value| {
        let client = bob.client.clone();
        let hook_id = hook_id.to_owned();
        async move {
            app_error(
                client
                    .update_incoming_webhook()
                    .hook_id(hook_id)
                    .body(body::<types::UpdateIncomingWebhookBody>(fields))
                    .send()
                    .await,
            )
        }
    };
    let cases = [
        // Malformed path id.
        (
            "not-an-id",
            json!({"id": "not-an-id", "channel_id": ops.channel.id}),
            400,
            INVALID_URL_PARAM,
        ),
        // Body id differs from the path's.
        (
            hook.id.as_str(),
            json!({"id": MISSING_ID, "channel_id": ops.channel.id}),
            400,
            INVALID_PARAM,
        ),
        // No such hook.
        (
            MISSING_ID,
            json!({"id": MISSING_ID, "channel_id": ops.channel.id}),
            404,
            INCOMING_NOT_FOUND,
        ),
        // Another team in the body.
        (
            hook.id.as_str(),
            json!({"id": hook.id, "channel_id": ops.channel.id, "team_id": ops.world.team.id}),
            400,
            TEAM_MISMATCH,
        ),
        // A channel of another team (bob is a member there).
        (
            hook.id.as_str(),
            json!({"id": hook.id, "channel_id": ops.world.open_channel.id}),
            400,
            INVALID_PARAM,
        ),
        // Malformed and unknown channels.
        (
            hook.id.as_str(),
            json!({"id": hook.id, "channel_id": "nope"}),
            404,
            CHANNEL_NOT_FOUND,
        ),
        (
            hook.id.as_str(),
            json!({"id": hook.id, "channel_id": MISSING_ID}),
            404,
            CHANNEL_NOT_FOUND,
        ),
    ];
    for (hook_id, fields, status, id) in cases {
        let (got_status, error) = update(hook_id, fields.clone()).await;
        assert_eq!((got_status, error.id.as_str()), (status, id), "{fields}");
    }
    // A private channel of the team that the caller cannot read.
    let carols = create_incoming(&ops.carol.client, json!({"channel_id": ops.channel.id})).await;
    let (status, error) = app_error(
        ops.carol
            .client
            .update_incoming_webhook()
            .hook_id(&carols.id)
            .body(body::<types::UpdateIncomingWebhookBody>(
                json!({"id": carols.id, "channel_id": ops.private.id}),
            ))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    // An empty team_id is "not given"; the hook's own team is fine.
    for team_id in ["", ops.team.id.as_str()] {
        let ok = bob
            .client
            .update_incoming_webhook()
            .hook_id(&hook.id)
            .body(body::<types::UpdateIncomingWebhookBody>(
                json!({"id": hook.id, "channel_id": ops.channel.id, "team_id": team_id}),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 201);
        assert_eq!(ok.into_inner().team_id, ops.team.id);
    }
    // Field rules apply on update too.
    let (status, answer) = raw(
        ops.server(),
        Some(&bob.token),
        Method::PUT,
        &format!("/api/v4/hooks/incoming/{}", hook.id),
        Some(json!({"id": hook.id, "channel_id": ops.channel.id, "display_name": "x".repeat(65)})),
    )
    .await;
    assert_eq!(
        (status, answer["id"].as_str()),
        (400, Some("model.incoming_hook.display_name.app_error"))
    );
    let (status, answer) = raw(
        ops.server(),
        Some(&bob.token),
        Method::PUT,
        &format!("/api/v4/hooks/incoming/{}", hook.id),
        Some(json!({"channel_id": ops.channel.id})),
    )
    .await;
    assert_eq!((status, answer["id"].as_str()), (400, Some(INVALID_BODY_PARAM)));
}

#[tokio::test]
async fn incoming_permission_matrix() {
    let ops = Ops::new().await;
    let hook = ops.bobs_incoming().await;
    for who in EVERYONE {
        let client = ops.client(who);
        let got = outcome(client.get_incoming_webhook().hook_id(&hook.id).send().await);
        assert_eq!(got, expected(who, &MANAGERS, 200), "get as {who:?}");
        let got = outcome(
            client
                .update_incoming_webhook()
                .hook_id(&hook.id)
                .body(rename_incoming(&hook, &format!("{who:?}")))
                .send()
                .await,
        );
        assert_eq!(got, expected(who, &MANAGERS, 201), "update as {who:?}");
        let victim = ops.bobs_incoming().await;
        let got = outcome(client.delete_incoming_webhook().hook_id(&victim.id).send().await);
        assert_eq!(got, expected(who, &MANAGERS, 200), "delete as {who:?}");

        // Creating one's own hook takes team membership; one for bob takes manage_others.
        let got = outcome(
            client
                .create_incoming_webhook()
                .body(body::<types::CreateIncomingWebhookBody>(
                    json!({"channel_id": ops.channel.id}),
                ))
                .send()
                .await,
        );
        assert_eq!(got, expected(who, &TEAM, 201), "create as {who:?}");
        let got = outcome(
            client
                .create_incoming_webhook()
                .body(body::<types::CreateIncomingWebhookBody>(
                    json!({"channel_id": ops.channel.id, "user_id": ops.bob().user.id}),
                ))
                .send()
                .await,
        );
        assert_eq!(got, expected(who, &MANAGERS, 201), "create for bob as {who:?}");

        let got = outcome(client.get_incoming_webhooks().team_id(&ops.team.id).send().await);
        assert_eq!(got, expected(who, &TEAM, 200), "list the team as {who:?}");
    }
    // Whoever renamed it last, the hook is still bob's.
    let last = ops
        .bob()
        .client
        .get_incoming_webhook()
        .hook_id(&hook.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(last.display_name, "Owner");
    assert_eq!(last.user_id, ops.bob().user.id);
}

#[tokio::test]
async fn incoming_malformed_and_missing_ids() {
    let ops = Ops::new().await;
    let client = &ops.bob().client;
    for bad in ["not-an-id", "aaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaa-"] {
        let (status, error) = app_error(client.get_incoming_webhook().hook_id(bad).send().await);
        assert_eq!((status, error.id.as_str()), (400, INVALID_URL_PARAM), "get {bad}");
        let (status, error) = app_error(client.delete_incoming_webhook().hook_id(bad).send().await);
        assert_eq!((status, error.id.as_str()), (400, INVALID_URL_PARAM), "delete {bad}");
    }
    let (status, error) = app_error(client.get_incoming_webhook().hook_id(MISSING_ID).send().await);
    assert_eq!((status, error.id.as_str()), (404, INCOMING_NOT_FOUND));
    let (status, error) = app_error(client.delete_incoming_webhook().hook_id(MISSING_ID).send().await);
    assert_eq!((status, error.id.as_str()), (404, INCOMING_NOT_FOUND));
    // An outgoing hook's id is not an incoming hook's.
    let outgoing = ops.bobs_outgoing("x").await;
    let (status, error) = app_error(client.get_incoming_webhook().hook_id(&outgoing.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, INCOMING_NOT_FOUND));
}

#[tokio::test]
async fn incoming_lists_are_filtered_by_team_and_owner() {
    let ops = Ops::new().await;
    let in_ops = |session: &Session| {
        let client = session.client.clone();
        let channel_id = ops.channel.id.clone();
        async move { create_incoming(&client, json!({"channel_id": channel_id})).await }
    };
    let bob1 = in_ops(ops.bob()).await;
    let bob2 = in_ops(ops.bob()).await;
    let carols = in_ops(&ops.carol).await;
    let alices = in_ops(ops.alice()).await;
    let bob_elsewhere = create_incoming(&ops.bob().client, json!({"channel_id": ops.world.open_channel.id})).await;
    let admins_elsewhere = create_incoming(&ops.admin().client, json!({"channel_id": ops.world.open_channel.id})).await;
    let deleted = in_ops(ops.bob()).await;
    ops.bob()
        .client
        .delete_incoming_webhook()
        .hook_id(&deleted.id)
        .send()
        .await
        .unwrap();

    let team = Some(ops.team.id.as_str());
    let cases: Vec<(&str, &Client, Option<&str>, Vec<&types::IncomingWebhook>)> = vec![
        (
            "system admin, all teams",
            &ops.admin().client,
            None,
            vec![&bob1, &bob2, &carols, &alices, &bob_elsewhere, &admins_elsewhere],
        ),
        (
            "system admin, ops",
            &ops.admin().client,
            team,
            vec![&bob1, &bob2, &carols, &alices],
        ),
        (
            "team admin, ops",
            &ops.alice().client,
            team,
            vec![&bob1, &bob2, &carols, &alices],
        ),
        ("member, ops: own only", &ops.bob().client, team, vec![&bob1, &bob2]),
        ("other member, ops", &ops.carol.client, team, vec![&carols]),
    ];
    for (what, client, team_id, want) in cases {
        assert_eq!(
            listed_incoming_ids(client, team_id).await,
            sorted_ids(want.iter().map(|h| &h.id)),
            "{what}"
        );
    }
    // Without a team the permission is checked in the system roles, which
    // hold no webhook permission but the system admin's (issue 28): team
    // admins, members and outsiders alike are refused.
    let all_teams: [(&str, &Client, Option<&str>); 4] = [
        ("team admin, all teams", &ops.alice().client, None),
        ("member, all teams", &ops.bob().client, None),
        ("member, empty team_id = all teams", &ops.bob().client, Some("")),
        ("outsider, all teams", &ops.world.outsider.client, None),
    ];
    for (what, client, team_id) in all_teams {
        let mut builder = client.get_incoming_webhooks();
        if let Some(team_id) = team_id {
            builder = builder.team_id(team_id);
        }
        assert_eq!(outcome(builder.send().await), refused(403, PERMISSIONS), "{what}");
    }
    for team_id in [ops.team.id.as_str(), MISSING_ID, "not-an-id"] {
        let (status, error) = app_error(
            ops.world
                .outsider
                .client
                .get_incoming_webhooks()
                .team_id(team_id)
                .send()
                .await,
        );
        assert_eq!(
            (status, error.id.as_str()),
            (403, PERMISSIONS),
            "outsider listing {team_id}"
        );
    }

    // include_total_count: the page in an object, with the size of the whole filtered set.
    let counted = ops
        .alice()
        .client
        .get_incoming_webhooks()
        .team_id(&ops.team.id)
        .per_page(1)
        .include_total_count(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    match counted {
        types::GetIncomingWebhooksResponse::Variant1(counted) => {
            assert_eq!(counted.total_count, 4);
            assert_eq!(counted.incoming_webhooks.len(), 1);
        }
        other => panic!("expected the counted form, got {other:?}"),
    }
    let path = format!(
        "/api/v4/hooks/incoming?team_id={}&include_total_count=true",
        ops.team.id
    );
    let (status, answer) = raw(ops.server(), Some(&ops.bob().token), Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let object = answer.as_object().expect("an object");
    assert_eq!(sorted_ids(object.keys()), ["incoming_webhooks", "total_count"]);
    assert_eq!(answer["total_count"], 2);
    assert_eq!(answer["incoming_webhooks"].as_array().map(Vec::len), Some(2));
    for path in [
        format!("/api/v4/hooks/incoming?team_id={}", ops.team.id),
        format!(
            "/api/v4/hooks/incoming?team_id={}&include_total_count=false",
            ops.team.id
        ),
    ] {
        let (status, answer) = raw(ops.server(), Some(&ops.bob().token), Method::GET, &path, None).await;
        assert_eq!(status, 200);
        assert_eq!(answer.as_array().map(Vec::len), Some(2), "{path}: {answer}");
    }
}

#[tokio::test]
async fn incoming_paging_defaults_and_caps() {
    let world = World::new().await;
    let admin = &world.admin.client;
    let mut created = Vec::new();
    for n in 0..205 {
        let hook = create_incoming(
            admin,
            json!({"channel_id": world.open_channel.id, "display_name": format!("hook {n}")}),
        )
        .await;
        created.push(hook.id);
    }
    // Not integers: 400 (a documented departure; the real server uses the defaults).
    for query in ["page=first", "per_page=many", "per_page=1.5"] {
        let (status, answer) = raw(
            &world.server,
            Some(&world.admin.token),
            Method::GET,
            &format!("/api/v4/hooks/incoming?{query}"),
            None,
        )
        .await;
        assert_eq!(
            (status, answer["id"].as_str()),
            (400, Some(INVALID_URL_PARAM)),
            "{query}"
        );
    }
    let page = |page: Option<i64>, per_page: Option<i64>| {
        let mut builder = admin.get_incoming_webhooks();
        if let Some(page) = page {
            builder = builder.page(page);
        }
        if let Some(per_page) = per_page {
            builder = builder.per_page(per_page);
        }
        async move { incoming_list(builder.send().await.expect("listed").into_inner()) }
    };
    assert_eq!(page(None, None).await.len(), 60, "default per_page");
    assert_eq!(page(None, Some(500)).await.len(), 200, "per_page is capped at 200");
    assert_eq!(page(Some(1), Some(500)).await.len(), 5, "the cap also moves the offset");
    assert_eq!(page(None, Some(0)).await.len(), 60, "0 counts as the default");
    assert_eq!(page(Some(-3), Some(2)).await.len(), 2, "a negative page counts as 0");
    assert!(page(Some(3), Some(100)).await.is_empty(), "past the end");

    // Pages of 60 cover every hook once, oldest first.
    let mut seen = Vec::new();
    for n in 0..4 {
        let hooks = page(Some(n), None).await;
        assert_eq!(hooks.len(), if n < 3 { 60 } else { 25 });
        seen.extend(hooks);
    }
    assert!(
        seen.windows(2).all(|w| w[0].create_at <= w[1].create_at),
        "ordered by creation"
    );
    assert_eq!(sorted_ids(seen.iter().map(|h| &h.id)), sorted_ids(&created));
    assert_eq!(
        to_json(&page(Some(-1), Some(2)).await),
        to_json(&page(Some(0), Some(2)).await)
    );

    let counted = admin
        .get_incoming_webhooks()
        .per_page(500)
        .include_total_count(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    match counted {
        types::GetIncomingWebhooksResponse::Variant1(counted) => {
            assert_eq!(counted.total_count, 205);
            assert_eq!(counted.incoming_webhooks.len(), 200);
        }
        other => panic!("expected the counted form, got {other:?}"),
    }
}

// ----- outgoing webhooks -----

#[tokio::test]
async fn outgoing_create_get_update_regen_delete() {
    let ops = Ops::new().await;
    let bob = ops.bob();
    let created = create_outgoing(
        &bob.client,
        json!({
            "team_id": ops.team.id,
            "channel_id": ops.channel.id,
            "trigger_words": ["deploy", "ship"],
            "callback_urls": ["http://example.com/a", "https://example.com/b"],
            "display_name": "Deployer",
        }),
    )
    .await;
    assert_eq!(created.id.len(), 26);
    assert_eq!(created.token.len(), 26);
    assert_ne!(created.token, created.id);
    assert_eq!(created.creator_id, bob.user.id);
    assert_eq!(
        (created.team_id.as_str(), created.channel_id.as_str()),
        (ops.team.id.as_str(), ops.channel.id.as_str())
    );
    assert_eq!(created.trigger_words, ["deploy", "ship"]);
    assert_eq!(*created.trigger_when, 0);
    assert_eq!(created.callback_urls, ["http://example.com/a", "https://example.com/b"]);
    assert_eq!(created.content_type, "application/x-www-form-urlencoded");
    assert_eq!(
        (
            created.description.as_str(),
            created.username.as_str(),
            created.icon_url.as_str()
        ),
        ("", "", "")
    );
    assert_eq!((created.update_at, created.delete_at), (created.create_at, 0));

    let got = bob
        .client
        .get_outgoing_webhook()
        .hook_id(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(to_json(&got.into_inner()), to_json(&created));

    // Update: the body replaces the mutable fields; the token stays unless given.
    let updated = bob
        .client
        .update_outgoing_webhook()
        .hook_id(&created.id)
        .body(body::<types::UpdateOutgoingWebhookBody>(json!({
            "id": created.id,
            "channel_id": "",
            "trigger_words": ["release"],
            "trigger_when": 1,
            "callback_urls": ["http://example.com/c"],
            "content_type": "application/json",
            "username": "releaser",
        })))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let updated = updated.into_inner();
    assert_eq!(
        (
            updated.id.as_str(),
            updated.creator_id.as_str(),
            updated.team_id.as_str(),
            updated.token.as_str()
        ),
        (
            created.id.as_str(),
            created.creator_id.as_str(),
            created.team_id.as_str(),
            created.token.as_str()
        )
    );
    assert_eq!(updated.create_at, created.create_at);
    assert!(updated.update_at >= created.update_at);
    assert_eq!(updated.channel_id, "", "now team-wide");
    assert_eq!(updated.trigger_words, ["release"]);
    assert_eq!(*updated.trigger_when, 1);
    assert_eq!(updated.callback_urls, ["http://example.com/c"]);
    assert_eq!(updated.content_type, "application/json");
    assert_eq!(updated.username, "releaser");
    assert_eq!(updated.display_name, "", "left out, so cleared");

    // A 26-character token in the body is stored, as the real server does.
    let chosen = "tokentokentokentokentoken1";
    let retokened = bob
        .client
        .update_outgoing_webhook()
        .hook_id(&created.id)
        .body(edit_outgoing(&updated, json!({"token": chosen})))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retokened.token, chosen);
    assert_eq!(retokened.trigger_words, ["release"]);

    // Regenerating answers the whole hook with a new token.
    let regenerated = bob
        .client
        .regen_outgoing_hook_token()
        .hook_id(&created.id)
        .send()
        .await
        .unwrap();
    assert_eq!(regenerated.status(), 200);
    let regenerated = regenerated.into_inner();
    assert_eq!(regenerated.token.len(), 26);
    assert_ne!(regenerated.token, chosen);
    assert_eq!(regenerated.id, created.id);
    assert_eq!(regenerated.trigger_words, ["release"]);
    assert_eq!(regenerated.creator_id, bob.user.id);
    let reread = bob
        .client
        .get_outgoing_webhook()
        .hook_id(&created.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(to_json(&reread), to_json(&regenerated));

    // Soft delete: StatusOK, then 404 everywhere.
    let (status, answer) = raw(
        ops.server(),
        Some(&bob.token),
        Method::DELETE,
        &format!("/api/v4/hooks/outgoing/{}", created.id),
        None,
    )
    .await;
    assert_eq!((status, answer), (200, json!({"status": "OK"})));
    let (status, error) = app_error(bob.client.get_outgoing_webhook().hook_id(&created.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, OUTGOING_NOT_FOUND));
    let (status, error) = app_error(bob.client.regen_outgoing_hook_token().hook_id(&created.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, OUTGOING_NOT_FOUND));
    let (status, error) = app_error(
        bob.client
            .update_outgoing_webhook()
            .hook_id(&created.id)
            .body(edit_outgoing(&regenerated, json!({})))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (404, OUTGOING_NOT_FOUND));
    let (status, error) = app_error(bob.client.delete_outgoing_webhook().hook_id(&created.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, OUTGOING_NOT_FOUND));
    let listed = bob
        .client
        .get_outgoing_webhooks()
        .team_id(&ops.team.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(outgoing_list(listed).is_empty());
}

#[tokio::test]
async fn outgoing_wire_shape() {
    let ops = Ops::new().await;
    let hook = create_outgoing(
        &ops.bob().client,
        json!({
            "team_id": ops.team.id,
            "trigger_words": ["build"],
            "trigger_when": 1,
            "callback_urls": ["https://example.com/build"],
            "display_name": "Builder",
            "description": "Starts builds",
            "content_type": "application/json",
            "username": "builder",
            "icon_url": "https://example.com/b.png",
        }),
    )
    .await;
    insta::assert_json_snapshot!("outgoing_webhook", hook, {
        ".id" => "[redacted]",
        ".token" => "[redacted]",
        ".create_at" => "[redacted]",
        ".update_at" => "[redacted]",
        ".creator_id" => "[redacted]",
        ".team_id" => "[redacted]",
    });
    // A client-chosen token is kept verbatim.
    let chosen = create_outgoing(
        &ops.bob().client,
        json!({
            "team_id": ops.team.id,
            "trigger_words": ["other"],
            "callback_urls": ["https://example.com/build"],
            "token": "abcdefghijklmnopqrstuvwxyz",
        }),
    )
    .await;
    assert_eq!(chosen.token, "abcdefghijklmnopqrstuvwxyz");
}

#[tokio::test]
async fn outgoing_create_refusals() {
    let ops = Ops::new().await;
    let bob = ops.bob();
    let team = ops.team.id.as_str();
    let url = "http://example.com/hook";
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"team_id": "nope", "trigger_words": ["a"], "callback_urls": [url]}),
            400,
            INVALID_BODY_PARAM,
        ),
        // Neither a channel nor trigger words.
        (
            json!({"team_id": team, "callback_urls": [url]}),
            400,
            "api.webhook.create_outgoing.triggers.app_error",
        ),
        (
            json!({"team_id": team, "channel_id": "", "trigger_words": [], "callback_urls": [url]}),
            400,
            "api.webhook.create_outgoing.triggers.app_error",
        ),
        // Channel rules.
        (
            json!({"team_id": team, "channel_id": MISSING_ID, "callback_urls": [url]}),
            404,
            CHANNEL_NOT_FOUND,
        ),
        (
            json!({"team_id": team, "channel_id": "nope", "callback_urls": [url]}),
            404,
            CHANNEL_NOT_FOUND,
        ),
        (
            json!({"team_id": team, "channel_id": ops.private.id, "callback_urls": [url]}),
            403,
            "api.webhook.create_outgoing.not_open.app_error",
        ),
        (
            json!({"team_id": team, "channel_id": ops.world.open_channel.id, "callback_urls": [url]}),
            403,
            "api.webhook.create_outgoing.permissions.app_error",
        ),
        // Callback URLs.
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": ["ftp://example.com/x"]}),
            400,
            "model.outgoing_hook.is_valid.url.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": ["example.com/x"]}),
            400,
            "model.outgoing_hook.is_valid.url.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url, "http://"]}),
            400,
            "model.outgoing_hook.is_valid.url.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [format!("http://example.com/{}", "x".repeat(1010))]}),
            400,
            "model.outgoing_hook.is_valid.callback.app_error",
        ),
        // Trigger words: joined as "[a b]" at most 1024 bytes.
        (
            json!({"team_id": team, "trigger_words": ["x".repeat(600), "y".repeat(600)], "callback_urls": [url]}),
            400,
            "model.outgoing_hook.is_valid.words.app_error",
        ),
        // Schema rules, reported with the model's ids.
        (
            json!({"team_id": team, "trigger_words": [""], "callback_urls": [url]}),
            400,
            "model.outgoing_hook.is_valid.words.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "trigger_when": 2, "callback_urls": [url]}),
            400,
            "model.outgoing_hook.is_valid.trigger_when.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "token": "short"}),
            400,
            "model.outgoing_hook.is_valid.token.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "token": "x".repeat(27)}),
            400,
            "model.outgoing_hook.is_valid.token.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "display_name": "x".repeat(65)}),
            400,
            "model.outgoing_hook.is_valid.display_name.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "description": "x".repeat(501)}),
            400,
            "model.outgoing_hook.is_valid.description.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "content_type": "x".repeat(129)}),
            400,
            "model.outgoing_hook.is_valid.content_type.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "username": "x".repeat(65)}),
            400,
            "model.outgoing_hook.is_valid.username.app_error",
        ),
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "icon_url": "x".repeat(1025)}),
            400,
            "model.outgoing_hook.is_valid.icon_url.app_error",
        ),
        // Permissions: on behalf of others, and of nobody.
        (
            json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "creator_id": ops.carol.user.id}),
            403,
            PERMISSIONS,
        ),
    ];
    for (fields, status, id) in cases {
        let (got_status, answer) = raw(
            ops.server(),
            Some(&bob.token),
            Method::POST,
            "/api/v4/hooks/outgoing",
            Some(fields.clone()),
        )
        .await;
        assert_eq!((got_status, answer["id"].as_str()), (status, Some(id)), "{fields}");
    }
    // No callback URL at all. Mattermost says `model.outgoing_hook.is_valid.callback.app_error`
    // (as does the spec); the router maps the schema's `callback_urls` to it.
    for fields in [
        json!({"team_id": team, "trigger_words": ["a"]}),
        json!({"team_id": team, "trigger_words": ["a"], "callback_urls": []}),
    ] {
        let (status, answer) = raw(
            ops.server(),
            Some(&bob.token),
            Method::POST,
            "/api/v4/hooks/outgoing",
            Some(fields.clone()),
        )
        .await;
        assert_eq!(status, 400, "{fields}");
        let id = answer["id"].as_str().unwrap_or_default();
        assert_eq!(id, "model.outgoing_hook.is_valid.callback.app_error", "{fields}");
    }
    let (status, answer) = raw(
        ops.server(),
        Some(&ops.alice().token),
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url], "creator_id": MISSING_ID})),
    )
    .await;
    assert_eq!((status, answer["id"].as_str()), (404, Some(USER_NOT_FOUND)));
    let (status, answer) = raw(
        ops.server(),
        Some(&ops.world.outsider.token),
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(json!({"team_id": team, "trigger_words": ["a"], "callback_urls": [url]})),
    )
    .await;
    assert_eq!((status, answer["id"].as_str()), (403, Some(PERMISSIONS)));
    // A system admin naming a team that does not exist.
    let (status, answer) = raw(
        ops.server(),
        Some(&ops.admin().token),
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(json!({"team_id": MISSING_ID, "trigger_words": ["a"], "callback_urls": [url]})),
    )
    .await;
    assert_eq!(
        (status, answer["id"].as_str()),
        (404, Some("app.team.get.find.app_error"))
    );

    // The longest accepted lists: "[" + 1022 bytes + "]".
    let at_limit = create_outgoing(
        &bob.client,
        json!({"team_id": team, "trigger_words": ["w".repeat(1022)], "callback_urls": [url]}),
    )
    .await;
    assert_eq!(at_limit.trigger_words[0].len(), 1022);
    // A team admin creates for bob; bob owns it.
    let for_bob = create_outgoing(
        &ops.alice().client,
        json!({"team_id": team, "trigger_words": ["for-bob"], "callback_urls": [url], "creator_id": bob.user.id}),
    )
    .await;
    assert_eq!(for_bob.creator_id, bob.user.id);
}

#[tokio::test]
async fn outgoing_overlapping_hooks_are_refused() {
    let ops = Ops::new().await;
    let bob = &ops.bob().client;
    let team = ops.team.id.as_str();
    let channel = ops.channel.id.as_str();
    let first = create_outgoing(
        bob,
        json!({"team_id": team, "channel_id": channel, "trigger_words": ["a", "b"], "callback_urls": ["http://one.example/", "http://two.example/"]}),
    )
    .await;
    // Same channel, a shared word and a shared URL: refused, whoever asks.
    for session in [ops.bob(), &ops.carol, ops.admin()] {
        let (status, answer) = raw(
            ops.server(),
            Some(&session.token),
            Method::POST,
            "/api/v4/hooks/outgoing",
            Some(json!({"team_id": team, "channel_id": channel, "trigger_words": ["b", "c"], "callback_urls": ["http://two.example/"]})),
        )
        .await;
        assert_eq!(
            (status, answer["id"].as_str()),
            (400, Some("api.webhook.create_outgoing.intersect.app_error"))
        );
    }
    // Sharing only words, only URLs, or in another place (team-wide) is fine.
    let words_only = create_outgoing(
        bob,
        json!({"team_id": team, "channel_id": channel, "trigger_words": ["a"], "callback_urls": ["http://three.example/"]}),
    )
    .await;
    create_outgoing(
        bob,
        json!({"team_id": team, "channel_id": channel, "trigger_words": ["z"], "callback_urls": ["http://one.example/"]}),
    )
    .await;
    create_outgoing(
        bob,
        json!({"team_id": team, "trigger_words": ["a"], "callback_urls": ["http://one.example/"]}),
    )
    .await;
    // A channel hook without trigger words intersects nothing.
    create_outgoing(
        bob,
        json!({"team_id": team, "channel_id": channel, "callback_urls": ["http://one.example/"]}),
    )
    .await;

    // Updating into an overlap is refused with the update's id; overlapping oneself is fine.
    let (status, error) = app_error(
        bob.update_outgoing_webhook()
            .hook_id(&words_only.id)
            .body(edit_outgoing(
                &words_only,
                json!({"callback_urls": ["http://one.example/"]}),
            ))
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.webhook.update_outgoing.intersect.app_error")
    );
    let same = bob
        .update_outgoing_webhook()
        .hook_id(&first.id)
        .body(edit_outgoing(&first, json!({"display_name": "still me"})))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.display_name, "still me");
    // Once deleted, a hook no longer blocks others.
    bob.delete_outgoing_webhook().hook_id(&first.id).send().await.unwrap();
    let replacement = create_outgoing(
        bob,
        json!({"team_id": team, "channel_id": channel, "trigger_words": ["b"], "callback_urls": ["http://two.example/"]}),
    )
    .await;
    assert_eq!(replacement.trigger_words, ["b"]);
}

#[tokio::test]
async fn outgoing_update_refusals() {
    let ops = Ops::new().await;
    let bob = &ops.bob().client;
    let hook = ops.bobs_outgoing("w").await;
    let cases: Vec<(&str, types::UpdateOutgoingWebhookBody, u16, &str)> = vec![
        (
            "not-an-id",
            edit_outgoing(&hook, json!({"id": "not-an-id"})),
            400,
            INVALID_URL_PARAM,
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"id": MISSING_ID})),
            400,
            INVALID_PARAM,
        ),
        (
            MISSING_ID,
            edit_outgoing(&hook, json!({"id": MISSING_ID})),
            404,
            OUTGOING_NOT_FOUND,
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"team_id": ops.world.team.id})),
            400,
            TEAM_MISMATCH,
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"token": "short"})),
            400,
            "model.outgoing_hook.is_valid.token.app_error",
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"channel_id": ops.private.id})),
            403,
            "api.webhook.create_outgoing.not_open.app_error",
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"channel_id": ops.world.open_channel.id})),
            403,
            "api.webhook.create_outgoing.permissions.app_error",
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"channel_id": MISSING_ID})),
            404,
            CHANNEL_NOT_FOUND,
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"channel_id": "", "trigger_words": []})),
            400,
            "api.webhook.create_outgoing.triggers.app_error",
        ),
        (
            hook.id.as_str(),
            edit_outgoing(&hook, json!({"callback_urls": ["gopher://example.com/"]})),
            400,
            "model.outgoing_hook.is_valid.url.app_error",
        ),
    ];
    for (hook_id, update, status, id) in cases {
        let what = format!("{hook_id} {}", to_json(&update));
        let (got_status, error) = app_error(bob.update_outgoing_webhook().hook_id(hook_id).body(update).send().await);
        assert_eq!((got_status, error.id.as_str()), (status, id), "{what}");
    }
    // Schema rules on update.
    let mut too_long = to_json(&hook);
    too_long["display_name"] = json!("x".repeat(65));
    let (status, answer) = raw(
        ops.server(),
        Some(&ops.bob().token),
        Method::PUT,
        &format!("/api/v4/hooks/outgoing/{}", hook.id),
        Some(too_long),
    )
    .await;
    assert_eq!(
        (status, answer["id"].as_str()),
        (400, Some("model.outgoing_hook.is_valid.display_name.app_error"))
    );
    // Nothing above changed the hook.
    let unchanged = bob
        .get_outgoing_webhook()
        .hook_id(&hook.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(to_json(&unchanged), to_json(&hook));
}

#[tokio::test]
async fn outgoing_permission_matrix() {
    let ops = Ops::new().await;
    let hook = ops.bobs_outgoing("matrix").await;
    for who in EVERYONE {
        let client = ops.client(who);
        let got = outcome(client.get_outgoing_webhook().hook_id(&hook.id).send().await);
        assert_eq!(got, expected(who, &MANAGERS, 200), "get as {who:?}");
        let current = ops
            .bob()
            .client
            .get_outgoing_webhook()
            .hook_id(&hook.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        let got = outcome(
            client
                .update_outgoing_webhook()
                .hook_id(&hook.id)
                .body(edit_outgoing(&current, json!({"display_name": format!("{who:?}")})))
                .send()
                .await,
        );
        assert_eq!(got, expected(who, &MANAGERS, 200), "update as {who:?}");
        let got = outcome(client.regen_outgoing_hook_token().hook_id(&hook.id).send().await);
        assert_eq!(got, expected(who, &MANAGERS, 200), "regen as {who:?}");
        let victim = ops.bobs_outgoing(&format!("victim-{who:?}")).await;
        let got = outcome(client.delete_outgoing_webhook().hook_id(&victim.id).send().await);
        assert_eq!(got, expected(who, &MANAGERS, 200), "delete as {who:?}");

        let got = outcome(
            client
                .create_outgoing_webhook()
                .body(body::<types::CreateOutgoingWebhookBody>(json!({
                    "team_id": ops.team.id,
                    "trigger_words": [format!("own-{who:?}")],
                    "callback_urls": ["http://example.com/"],
                })))
                .send()
                .await,
        );
        assert_eq!(got, expected(who, &TEAM, 201), "create as {who:?}");
        let got = outcome(
            client
                .create_outgoing_webhook()
                .body(body::<types::CreateOutgoingWebhookBody>(json!({
                    "team_id": ops.team.id,
                    "trigger_words": [format!("for-bob-{who:?}")],
                    "callback_urls": ["http://example.com/"],
                    "creator_id": ops.bob().user.id,
                })))
                .send()
                .await,
        );
        assert_eq!(got, expected(who, &MANAGERS, 201), "create for bob as {who:?}");

        let got = outcome(client.get_outgoing_webhooks().team_id(&ops.team.id).send().await);
        assert_eq!(got, expected(who, &TEAM, 200), "list the team as {who:?}");
        let got = outcome(client.get_outgoing_webhooks().channel_id(&ops.channel.id).send().await);
        assert_eq!(got, expected(who, &TEAM, 200), "list the channel as {who:?}");
    }
    let last = ops
        .bob()
        .client
        .get_outgoing_webhook()
        .hook_id(&hook.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(last.display_name, "Owner");
    assert_eq!(last.creator_id, ops.bob().user.id);
}

#[tokio::test]
async fn outgoing_malformed_and_missing_ids() {
    let ops = Ops::new().await;
    let client = &ops.bob().client;
    for bad in ["not-an-id", "aaaaaaaaaaaaaaaaaaaaaaaaaaa"] {
        for (what, result) in [
            ("get", outcome(client.get_outgoing_webhook().hook_id(bad).send().await)),
            (
                "delete",
                outcome(client.delete_outgoing_webhook().hook_id(bad).send().await),
            ),
            (
                "regen",
                outcome(client.regen_outgoing_hook_token().hook_id(bad).send().await),
            ),
        ] {
            assert_eq!(result, refused(400, INVALID_URL_PARAM), "{what} {bad}");
        }
    }
    for (what, result) in [
        (
            "get",
            outcome(client.get_outgoing_webhook().hook_id(MISSING_ID).send().await),
        ),
        (
            "delete",
            outcome(client.delete_outgoing_webhook().hook_id(MISSING_ID).send().await),
        ),
        (
            "regen",
            outcome(client.regen_outgoing_hook_token().hook_id(MISSING_ID).send().await),
        ),
    ] {
        assert_eq!(result, refused(404, OUTGOING_NOT_FOUND), "{what}");
    }
    let incoming = ops.bobs_incoming().await;
    let (status, error) = app_error(client.get_outgoing_webhook().hook_id(&incoming.id).send().await);
    assert_eq!((status, error.id.as_str()), (404, OUTGOING_NOT_FOUND));
}

#[tokio::test]
async fn outgoing_lists_filter_by_channel_team_and_creator() {
    let ops = Ops::new().await;
    let hook = |session: &Session, channel: Option<&str>, word: &str| {
        let client = session.client.clone();
        let mut fields =
            json!({"team_id": ops.team.id, "trigger_words": [word], "callback_urls": ["http://example.com/"]});
        if let Some(channel) = channel {
            fields["channel_id"] = json!(channel);
        }
        async move { create_outgoing(&client, fields).await }
    };
    let channel = Some(ops.channel.id.as_str());
    let bob_channel = hook(ops.bob(), channel, "a").await;
    let bob_team = hook(ops.bob(), None, "b").await;
    let carol_channel = hook(&ops.carol, channel, "c").await;
    let elsewhere = create_outgoing(
        &ops.admin().client,
        json!({"team_id": ops.world.team.id, "trigger_words": ["d"], "callback_urls": ["http://example.com/"]}),
    )
    .await;

    let team = Some(ops.team.id.as_str());
    let other_team = Some(ops.world.team.id.as_str());
    let cases: Vec<OutgoingListCase<'_>> = vec![
        (
            "admin, everything",
            &ops.admin().client,
            None,
            None,
            vec![&bob_channel, &bob_team, &carol_channel, &elsewhere],
        ),
        (
            "team admin, ops",
            &ops.alice().client,
            team,
            None,
            vec![&bob_channel, &bob_team, &carol_channel],
        ),
        (
            "team admin, channel",
            &ops.alice().client,
            None,
            channel,
            vec![&bob_channel, &carol_channel],
        ),
        (
            "channel wins over team",
            &ops.alice().client,
            other_team,
            channel,
            vec![&bob_channel, &carol_channel],
        ),
        (
            "member, ops: own only",
            &ops.bob().client,
            team,
            None,
            vec![&bob_channel, &bob_team],
        ),
        (
            "member, channel: own only",
            &ops.bob().client,
            None,
            channel,
            vec![&bob_channel],
        ),
        (
            "other member, channel",
            &ops.carol.client,
            None,
            channel,
            vec![&carol_channel],
        ),
        (
            "admin, private channel",
            &ops.admin().client,
            None,
            Some(ops.private.id.as_str()),
            vec![],
        ),
    ];
    for (what, client, team_id, channel_id, want) in cases {
        let listed = outgoing_query(client, team_id, channel_id)
            .send()
            .await
            .expect("listed");
        let ids = sorted_ids(outgoing_list(listed.into_inner()).iter().map(|h| &h.id));
        assert_eq!(ids, sorted_ids(want.iter().map(|h| &h.id)), "{what}");
    }
    let refusals: Vec<(&str, &Client, Option<&str>, Option<&str>)> = vec![
        // Without a team or channel: the system roles, no webhook permission
        // but the system admin's (issue 28).
        ("team admin, all teams", &ops.alice().client, None, None),
        ("member, all teams", &ops.bob().client, None, None),
        ("outsider, team", &ops.world.outsider.client, team, None),
        ("outsider, channel", &ops.world.outsider.client, None, channel),
        (
            "outsider, channel (team ignored)",
            &ops.world.outsider.client,
            other_team,
            channel,
        ),
        ("member, unknown channel", &ops.bob().client, None, Some(MISSING_ID)),
        // No permission is held on a channel that does not exist, not even by system admins.
        ("admin, unknown channel", &ops.admin().client, None, Some(MISSING_ID)),
        (
            "member, private channel not joined",
            &ops.carol.client,
            None,
            Some(ops.private.id.as_str()),
        ),
    ];
    for (what, client, team_id, channel_id) in refusals {
        let got = outcome(outgoing_query(client, team_id, channel_id).send().await);
        assert_eq!(got, refused(403, PERMISSIONS), "{what}");
    }

    // include_total_count, typed and on the wire.
    let counted = ops
        .alice()
        .client
        .get_outgoing_webhooks()
        .team_id(&ops.team.id)
        .per_page(2)
        .include_total_count(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    match counted {
        types::GetOutgoingWebhooksResponse::Variant1(counted) => {
            assert_eq!(counted.total_count, 3);
            assert_eq!(counted.outgoing_webhooks.len(), 2);
        }
        other => panic!("expected the counted form, got {other:?}"),
    }
    let path = format!(
        "/api/v4/hooks/outgoing?channel_id={}&include_total_count=true",
        ops.channel.id
    );
    let (status, answer) = raw(ops.server(), Some(&ops.bob().token), Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        sorted_ids(answer.as_object().expect("an object").keys()),
        ["outgoing_webhooks", "total_count"]
    );
    assert_eq!(answer["total_count"], 1);
    assert_eq!(answer["outgoing_webhooks"][0]["id"], bob_channel.id.as_str());
    let path = format!("/api/v4/hooks/outgoing?channel_id={}", ops.channel.id);
    let (status, answer) = raw(ops.server(), Some(&ops.bob().token), Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(answer.as_array().map(Vec::len), Some(1), "{answer}");
    for query in ["page=x", "per_page=-"] {
        let path = format!("/api/v4/hooks/outgoing?{query}");
        let (status, answer) = raw(ops.server(), Some(&ops.bob().token), Method::GET, &path, None).await;
        assert_eq!(
            (status, answer["id"].as_str()),
            (400, Some(INVALID_URL_PARAM)),
            "{query}"
        );
    }
    // Paging.
    let second = ops
        .alice()
        .client
        .get_outgoing_webhooks()
        .team_id(&ops.team.id)
        .page(1)
        .per_page(2)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outgoing_list(second).len(), 1);
}

// ----- every operation -----

/// Each webhook route without credentials: 401, before anything else.
#[tokio::test]
async fn every_webhook_route_needs_a_session() {
    let ops = Ops::new().await;
    let incoming = ops.bobs_incoming().await;
    let outgoing = ops.bobs_outgoing("anon").await;
    let routes = [
        (Method::GET, "/api/v4/hooks/incoming".to_owned(), None),
        (
            Method::POST,
            "/api/v4/hooks/incoming".to_owned(),
            Some(json!({"channel_id": ops.channel.id})),
        ),
        (Method::GET, format!("/api/v4/hooks/incoming/{}", incoming.id), None),
        (
            Method::PUT,
            format!("/api/v4/hooks/incoming/{}", incoming.id),
            Some(json!({"id": incoming.id, "channel_id": ops.channel.id})),
        ),
        (Method::DELETE, format!("/api/v4/hooks/incoming/{}", incoming.id), None),
        (Method::GET, "/api/v4/hooks/outgoing".to_owned(), None),
        (
            Method::POST,
            "/api/v4/hooks/outgoing".to_owned(),
            Some(json!({"team_id": ops.team.id, "trigger_words": ["x"], "callback_urls": ["http://example.com/"]})),
        ),
        (Method::GET, format!("/api/v4/hooks/outgoing/{}", outgoing.id), None),
        (
            Method::PUT,
            format!("/api/v4/hooks/outgoing/{}", outgoing.id),
            Some(to_json(&outgoing)),
        ),
        (Method::DELETE, format!("/api/v4/hooks/outgoing/{}", outgoing.id), None),
        (
            Method::POST,
            format!("/api/v4/hooks/outgoing/{}/regen_token", outgoing.id),
            None,
        ),
    ];
    for (method, path, body) in routes {
        for token in [None, Some("not-a-session-token")] {
            let (status, answer) = raw(ops.server(), token, method.clone(), &path, body.clone()).await;
            assert_eq!(
                (status, answer["id"].as_str()),
                (401, Some(SESSION_EXPIRED)),
                "{method} {path}"
            );
        }
    }
    // Nothing was touched.
    let still = ops
        .bob()
        .client
        .get_outgoing_webhook()
        .hook_id(&outgoing.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(to_json(&still), to_json(&outgoing));
    let still = ops
        .bob()
        .client
        .get_incoming_webhook()
        .hook_id(&incoming.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(to_json(&still), to_json(&incoming));
}

/// Ids are chosen by the server: a client-supplied one is refused on create.
#[tokio::test]
async fn client_supplied_ids_are_refused_on_create() {
    let world = World::new().await;
    let http = reqwest::Client::new();
    let cases = [
        (
            "/api/v4/hooks/incoming",
            json!({"id": chathooks::ids::new_id(), "channel_id": world.open_channel.id}),
            "model.incoming_hook.id.app_error",
        ),
        (
            "/api/v4/hooks/outgoing",
            json!({"id": chathooks::ids::new_id(), "team_id": world.team.id, "channel_id": world.open_channel.id,
                   "callback_urls": ["http://example.com/hook"]}),
            "model.outgoing_hook.id.app_error",
        ),
    ];
    for (path, body, id) in cases {
        let response = http
            .post(format!("{}{path}", world.server.base))
            .bearer_auth(&world.member.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["id"], id);
    }
}
