//! Rocket.Chat's Realtime API (`/websocket`, Meteor's DDP) with a real
//! WebSocket client: the session (connect, heartbeats, malformed frames,
//! limits), the login forms, the methods with their permission checks, and
//! the streams, only to those who may read the room.

use std::collections::VecDeque;
use std::time::Duration;

use chathooks_tests::rocketchat::{self, PATIENCE, RcWorld, history, post};
use chathooks_tests::{TestServer, World};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// SHA-256 of a password, as Meteor clients send it.
fn digest(password: &str) -> String {
    chathooks::password::digest(password)
}

/// A DDP client: frames in order, with those not yet asked for kept aside.
struct Ddp {
    socket: Socket,
    ids: u64,
    /// Frames read while waiting for another one.
    pending: VecDeque<Value>,
}

impl Ddp {
    /// A WebSocket to `/websocket`, before `connect`; the greeting is read.
    async fn raw(server: &TestServer) -> Self {
        let url = format!("{}/websocket", server.base.replacen("http://", "ws://", 1));
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("WebSocket opens");
        let mut ddp = Self {
            socket,
            ids: 0,
            pending: VecDeque::new(),
        };
        assert_eq!(ddp.frame().await, Some(json!({"server_id": "0"})), "Meteor's greeting");
        ddp
    }

    /// Connected with DDP 1, as the SDK connects.
    async fn connect(server: &TestServer) -> Self {
        let mut ddp = Self::raw(server).await;
        ddp.send(json!({"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}))
            .await;
        let connected = ddp.frame().await.expect("connected");
        assert_eq!(connected["msg"], "connected", "{connected}");
        assert!(connected["session"].as_str().is_some_and(|s| !s.is_empty()));
        ddp
    }

    /// Connected and logged in with the password's digest.
    async fn login(server: &TestServer, username: &str) -> Self {
        let mut ddp = Self::connect(server).await;
        let result = ddp
            .call(
                "login",
                json!([{"user": {"username": username}, "password": {"digest": digest(&format!("{username}-password")), "algorithm": "sha-256"}}]),
            )
            .await;
        assert!(result.get("error").is_none(), "{result}");
        ddp
    }

    async fn send(&mut self, frame: Value) {
        self.send_text(frame.to_string()).await;
    }

    async fn send_text(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.expect("frame sent");
    }

    /// The next frame off the wire (not the kept ones), `None` once closed.
    async fn frame(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("a frame in time")?
                .ok()?;
            match message {
                Message::Text(text) => return Some(serde_json::from_str(&text).expect("a JSON frame")),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The first frame (kept or new) that `wanted` accepts.
    async fn until(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.pending.iter().position(&wanted) {
            return self.pending.remove(at).expect("kept frame");
        }
        loop {
            let frame = self
                .frame()
                .await
                .unwrap_or_else(|| panic!("closed while waiting for {what}; kept: {:?}", self.pending));
            if wanted(&frame) {
                return frame;
            }
            self.pending.push_back(frame);
        }
    }

    fn next_id(&mut self) -> String {
        self.ids += 1;
        format!("ddp-{}", self.ids)
    }

    /// Call a method: its `result` frame (with `result` or `error`), after
    /// checking the `updated` that follows it.
    async fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id();
        self.send(json!({"msg": "method", "method": method, "params": params, "id": id}))
            .await;
        let result = self
            .until("a result", |f| f["msg"] == "result" && f["id"] == id.as_str())
            .await;
        let updated = self.until("updated", |f| f["msg"] == "updated").await;
        assert_eq!(updated["methods"], json!([id]));
        result
    }

    /// A method's result value, which must not be an error.
    async fn ok(&mut self, method: &str, params: Value) -> Value {
        let frame = self.call(method, params).await;
        assert!(frame.get("error").is_none(), "{method}: {frame}");
        frame.get("result").cloned().unwrap_or(Value::Null)
    }

    /// A method's error, which it must fail with.
    async fn error(&mut self, method: &str, params: Value) -> Value {
        let frame = self.call(method, params).await;
        let error = frame
            .get("error")
            .cloned()
            .unwrap_or_else(|| panic!("{method} should fail: {frame}"));
        assert_eq!(error["errorType"], "Meteor.Error", "{error}");
        error
    }

    /// Subscribe as the SDK does: `ready` or `nosub`.
    async fn sub(&mut self, name: &str, event: &str) -> Value {
        let id = self.next_id();
        self.send(
            json!({"msg": "sub", "id": id, "name": name, "params": [event, {"useCollection": false, "args": []}]}),
        )
        .await;
        self.until("ready or nosub", |f| {
            (f["msg"] == "ready" && f["subs"] == json!([id])) || (f["msg"] == "nosub" && f["id"] == id.as_str())
        })
        .await
    }

    async fn subscribed(&mut self, name: &str, event: &str) -> String {
        let frame = self.sub(name, event).await;
        assert_eq!(frame["msg"], "ready", "{name} {event}: {frame}");
        frame["subs"][0].as_str().unwrap().to_owned()
    }

    /// The next stream event of `collection` named `event`.
    async fn event(&mut self, collection: &str, event: &str) -> Value {
        let what = format!("{collection} {event}");
        self.until(&what, |f| {
            f["msg"] == "changed" && f["collection"] == collection && f["fields"]["eventName"] == event
        })
        .await["fields"]["args"]
            .clone()
    }

    /// Nothing of `collection` named `event` arrives while a ping is answered
    /// (frames are sent in order, so anything before the pong has arrived).
    async fn quiet(&mut self, collection: &str, event: &str) {
        self.send(json!({"msg": "ping", "id": "quiet"})).await;
        let pong = self.until("pong", |f| f["msg"] == "pong" && f["id"] == "quiet").await;
        assert_eq!(pong["msg"], "pong");
        let leaked: Vec<&Value> = self
            .pending
            .iter()
            .filter(|f| f["collection"] == collection && f["fields"]["eventName"] == event)
            .collect();
        assert!(leaked.is_empty(), "{collection} {event} should stay quiet: {leaked:?}");
    }
}

#[tokio::test]
async fn the_session_connects_pings_and_refuses_what_is_not_ddp_without_closing() {
    let server = TestServer::start().await;
    let mut ddp = Ddp::raw(&server).await;
    ddp.send(json!({"msg": "method", "method": "login", "params": [], "id": "1"}))
        .await;
    let early = ddp.frame().await.unwrap();
    assert_eq!(early["msg"], "error");
    assert_eq!(early["reason"], "Must connect first");
    assert_eq!(early["offendingMessage"]["method"], "login");
    ddp.send(json!({"msg": "connect", "version": "pre2", "support": ["pre2", "pre1"]}))
        .await;
    assert_eq!(ddp.frame().await.unwrap()["msg"], "connected");

    ddp.send(json!({"msg": "ping", "id": "p1"})).await;
    assert_eq!(ddp.frame().await, Some(json!({"msg": "pong", "id": "p1"})));
    ddp.send(json!({"msg": "ping"})).await;
    assert_eq!(ddp.frame().await, Some(json!({"msg": "pong"})));

    for (frame, reason) in [
        ("{not json".to_owned(), "Bad request"),
        ("[1, 2]".to_owned(), "Bad request"),
        (json!({"msg": "dance"}).to_string(), "Bad request"),
        (json!({"nomsg": true}).to_string(), "Bad request"),
        (
            json!({"msg": "method", "id": 7, "method": "x"}).to_string(),
            "Malformed method invocation",
        ),
        (
            json!({"msg": "method", "id": "7", "method": "x", "params": {}}).to_string(),
            "Malformed method invocation",
        ),
        (
            json!({"msg": "sub", "id": "s", "params": []}).to_string(),
            "Malformed subscription",
        ),
        (
            json!({"msg": "connect", "version": "1", "support": ["1"]}).to_string(),
            "Already connected",
        ),
    ] {
        ddp.send_text(frame.clone()).await;
        let error = ddp.frame().await.unwrap_or_else(|| panic!("{frame}: closed"));
        assert_eq!(
            (error["msg"].as_str(), error["reason"].as_str()),
            (Some("error"), Some(reason)),
            "{frame}"
        );
    }
    let unknown = ddp.error("noSuchMethod", json!([])).await;
    assert_eq!(unknown["error"], 404);
    assert_eq!(unknown["message"], "Method 'noSuchMethod' not found [404]");
    let sub = ddp.sub("no-such-publication", "x").await;
    assert_eq!(sub["msg"], "nosub");
    assert_eq!(sub["error"]["error"], 404);
    // Still serving after all that.
    let unsub = {
        ddp.send(json!({"msg": "unsub", "id": "never"})).await;
        ddp.frame().await.unwrap()
    };
    assert_eq!(unsub, json!({"msg": "nosub", "id": "never"}));

    // A version the server does not speak: `failed` with its best, then closed.
    let mut old = Ddp::raw(&server).await;
    old.send(json!({"msg": "connect", "version": "2", "support": ["2"]}))
        .await;
    assert_eq!(old.frame().await, Some(json!({"msg": "failed", "version": "1"})));
    assert_eq!(old.frame().await, None, "closed after failed");
    // A version spoken, but not the best both support.
    let mut worse = Ddp::raw(&server).await;
    worse
        .send(json!({"msg": "connect", "version": "pre1", "support": ["1", "pre1"]}))
        .await;
    assert_eq!(worse.frame().await, Some(json!({"msg": "failed", "version": "1"})));
}

#[tokio::test]
async fn login_takes_a_digest_a_plain_password_or_a_resume_token_and_may_be_tried_again() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let mut ddp = Ddp::connect(server).await;
    let before = ddp
        .error("sendMessage", json!([{"rid": world.general.id, "msg": "hi"}]))
        .await;
    assert_eq!(before["error"], "error-invalid-user");

    let wrong = ddp
        .error(
            "login",
            json!([{"user": {"username": "alice"}, "password": {"digest": digest("nope"), "algorithm": "sha-256"}}]),
        )
        .await;
    assert_eq!(
        (wrong["error"].clone(), wrong["reason"].clone()),
        (json!(403), json!("Incorrect password"))
    );
    let nobody = ddp
        .error("login", json!([{"user": {"username": "nobody"}, "password": "x"}]))
        .await;
    assert_eq!(nobody["reason"], "User not found");
    let odd = ddp.error("login", json!([{"what": 1}])).await;
    assert_eq!(odd["reason"], "Unrecognized options for login request");

    // The same connection, right this time.
    let login = ddp
        .ok("login", json!([{"user": {"username": "alice"}, "password": {"digest": digest("alice-password"), "algorithm": "sha-256"}}]))
        .await;
    assert_eq!(login["id"], world.alice.user_id.as_str());
    assert_eq!(login["type"], "password");
    assert!(login["tokenExpires"]["$date"].as_i64().is_some(), "{login}");
    // The token is a REST token too.
    let token = login["token"].as_str().unwrap();
    let rest = rocketchat::RcSession::new(&server.base, token, &world.alice.user_id, "alice");
    assert_eq!(rest.client.me().send().await.unwrap().into_inner().username, "alice");

    let mut plain = Ddp::connect(server).await;
    let login = plain
        .ok(
            "login",
            json!([{"user": {"email": "bob@example.com"}, "password": "bob-password"}]),
        )
        .await;
    assert_eq!(login["id"], world.bob.user_id.as_str());

    let mut resumed = Ddp::connect(server).await;
    let bad = resumed.error("login", json!([{"resume": "not-a-token"}])).await;
    assert_eq!(bad["error"], 403);
    let login = resumed.ok("login", json!([{"resume": world.alice.token}])).await;
    assert_eq!(
        (login["id"].as_str(), login["type"].as_str()),
        (Some(world.alice.user_id.as_str()), Some("resume"))
    );

    // Logging in as someone else ends what the last user subscribed to.
    let sub = resumed
        .subscribed("stream-notify-user", &format!("{}/message", world.alice.user_id))
        .await;
    resumed
        .send(json!({"msg": "method", "method": "login", "params": [{"resume": world.bob.token}], "id": "as-bob"}))
        .await;
    assert_eq!(resumed.frame().await, Some(json!({"msg": "nosub", "id": sub})));
    assert_eq!(
        resumed.frame().await.unwrap()["result"]["id"],
        world.bob.user_id.as_str()
    );

    // A personal access token resumes too.
    let admin = server
        .state
        .read()
        .get_user_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    let access = chathooks::accounts::create_access_token(&server.state, &admin, "bot")
        .await
        .unwrap();
    let mut bot = Ddp::connect(server).await;
    assert_eq!(
        bot.ok("login", json!([{"resume": access.token}])).await["id"],
        admin.id.as_str()
    );
}

#[tokio::test]
async fn a_bot_hears_room_messages_and_answers_edits_reacts_and_deletes() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let rid = world.general.id.clone();
    let mut bot = Ddp::login(server, "alice").await;
    bot.subscribed("stream-room-messages", &rid).await;
    bot.subscribed("stream-room-messages", "__my_messages__").await;
    bot.subscribed("stream-notify-room", &format!("{rid}/deleteMessage"))
        .await;

    let sent = post(&world.bob, "#general", "ping").await;
    let args = bot.event("stream-room-messages", &rid).await;
    let message = &args[0];
    assert_eq!(message["_id"], sent.id.as_str());
    assert_eq!(
        (message["msg"].as_str(), message["rid"].as_str()),
        (Some("ping"), Some(rid.as_str()))
    );
    assert_eq!(message["u"]["username"], "bob");
    assert!(message["ts"]["$date"].as_i64().is_some(), "EJSON date: {message}");
    assert!(
        message["_updatedAt"]["$date"].as_i64().is_some(),
        "EJSON date: {message}"
    );
    let mine = bot.event("stream-room-messages", "__my_messages__").await;
    assert_eq!(mine[0]["_id"], sent.id.as_str());
    assert_eq!(
        mine[1],
        json!({"roomParticipant": true, "roomType": "c", "roomName": "general"})
    );

    // The answer, with an id of the client's choosing, in the thread.
    let answer = bot
        .ok(
            "sendMessage",
            json!([{"_id": "clientChosenId1", "rid": rid, "msg": "pong", "tmid": sent.id}]),
        )
        .await;
    assert_eq!(
        (answer["_id"].as_str(), answer["msg"].as_str()),
        (Some("clientChosenId1"), Some("pong"))
    );
    assert_eq!(answer["tmid"], sent.id.as_str());
    assert!(answer["ts"]["$date"].as_i64().is_some(), "{answer}");
    let heard = bot.event("stream-room-messages", &rid).await;
    assert_eq!(heard[0]["_id"], "clientChosenId1");
    assert!(
        history(&world.bob, &rid)
            .await
            .iter()
            .any(|m| m.id == "clientChosenId1")
    );
    let twice = bot
        .error(
            "sendMessage",
            json!([{"_id": "clientChosenId1", "rid": rid, "msg": "again"}]),
        )
        .await;
    assert_eq!(twice["error"], "error-duplicate", "{twice}");

    // Edits reach the stream as the message again.
    bot.ok(
        "updateMessage",
        json!([{"_id": "clientChosenId1", "rid": rid, "msg": "pong!"}]),
    )
    .await;
    let edited = bot
        .until("the edit", |f| f["fields"]["args"][0]["msg"] == "pong!")
        .await;
    assert!(
        edited["fields"]["args"][0]["editedAt"]["$date"].as_i64().is_some(),
        "{edited}"
    );

    // A reaction: the message comes again, with it.
    bot.ok("setReaction", json!([":thumbsup:", sent.id])).await;
    let reacted = bot
        .until("the reaction", |f| {
            f["fields"]["args"][0]["reactions"].get(":thumbsup:").is_some()
        })
        .await;
    assert_eq!(
        reacted["fields"]["args"][0]["reactions"][":thumbsup:"]["usernames"],
        json!(["alice"])
    );
    let bad = bot.error("setReaction", json!(["not an emoji!", sent.id])).await;
    assert_eq!(bad["error"], "error-not-allowed");

    // Someone else's message: not the bot's to edit or delete.
    let refused = bot
        .error(
            "updateMessage",
            json!([{"_id": sent.id, "rid": rid, "msg": "mine now"}]),
        )
        .await;
    assert_eq!(refused["error"], "error-action-not-allowed");
    let refused = bot.error("deleteMessage", json!([{"_id": sent.id}])).await;
    assert_eq!(refused["error"], "error-action-not-allowed");
    bot.ok("deleteMessage", json!([{"_id": "clientChosenId1"}])).await;
    assert_eq!(
        bot.event("stream-notify-room", &format!("{rid}/deleteMessage")).await,
        json!([{"_id": "clientChosenId1"}])
    );

    // Mistakes in the parameters are failed checks.
    let unchecked = bot.error("sendMessage", json!(["just text"])).await;
    assert_eq!(unchecked["reason"], "Match failed");
    let empty = bot.error("sendMessage", json!([{"rid": rid}])).await;
    assert_eq!(empty["error"], "error-invalid-params");
}

#[tokio::test]
async fn only_those_who_may_read_a_room_subscribe_to_it_or_hear_from_it() {
    let world = World::new().await;
    let server = &world.server;
    let secret = world.private_channel.id.clone();
    let open = world.open_channel.id.clone();
    // Mallory is in the team (so the open channel is hers to read) but in
    // neither channel. (Outside the team she reads neither: see
    // rocketchat_team_access.)
    world
        .admin
        .client
        .add_team_member()
        .team_id(&world.team.id)
        .body(chathooks_mattermost_types::AddTeamMemberBody {
            team_id: world.team.id.clone(),
            user_id: world.outsider.user.id.clone(),
        })
        .send()
        .await
        .expect("mallory joins the team");
    let mut outsider = Ddp::login(server, "mallory").await;
    let mut member = Ddp::login(server, "alice").await;

    let refused = outsider.sub("stream-room-messages", &secret).await;
    assert_eq!(refused["msg"], "nosub");
    assert_eq!(refused["error"]["error"], "not-allowed");
    assert_eq!(refused["error"]["message"], "[not-allowed]");
    for (name, event) in [
        ("stream-notify-room", format!("{secret}/typing")),
        ("stream-notify-room", format!("{open}/deleteMessage")),
        ("stream-notify-user", format!("{}/message", world.member.user.id)),
    ] {
        let refused = outsider.sub(name, &event).await;
        assert_eq!(refused["error"]["error"], "not-allowed", "{name} {event}");
    }
    outsider.subscribed("stream-room-messages", "__my_messages__").await;
    outsider.subscribed("stream-room-messages", &open).await;
    member.subscribed("stream-room-messages", &secret).await;

    for (method, params, error) in [
        ("getRoomIdByNameOrId", json!(["secret"]), "error-not-allowed"),
        (
            "sendMessage",
            json!([{"rid": secret, "msg": "let me in"}]),
            "error-not-allowed",
        ),
        ("getUsersOfRoom", json!([secret, true]), "not-authorized"),
        ("joinRoom", json!([secret]), "error-not-allowed"),
    ] {
        assert_eq!(outsider.error(method, params).await["error"], error, "{method}");
    }
    assert_eq!(outsider.ok("loadHistory", json!([secret])).await, json!(false));
    assert_eq!(
        outsider.ok("getRoomIdByNameOrId", json!(["town-square"])).await,
        json!(open)
    );

    // Alice speaks in both rooms; the outsider hears only the open one.
    member
        .ok("sendMessage", json!([{"rid": secret, "msg": "secret plans"}]))
        .await;
    let heard = member.event("stream-room-messages", &secret).await;
    assert_eq!(heard[0]["msg"], "secret plans");
    member
        .ok("sendMessage", json!([{"rid": open, "msg": "hello all"}]))
        .await;
    let public = outsider.event("stream-room-messages", "__my_messages__").await;
    assert_eq!(public[0]["msg"], "hello all");
    assert_eq!(public[1]["roomParticipant"], false);
    outsider.quiet("stream-room-messages", "__my_messages__").await;
}

#[tokio::test]
async fn rooms_members_history_and_presence_methods() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let rid = world.general.id.clone();
    // Carol stays out of #general (the default room new users join) so that
    // joining it is hers to do.
    let (status, created) =
        rocketchat::send_raw(world.admin.request(reqwest::Method::POST, "/api/v1/users.create").json(
            &json!({"email": "carol@example.com", "name": "carol", "password": "carol-password",
                "username": "carol", "joinDefaultChannels": false}),
        ))
        .await;
    assert_eq!(status, 200, "{created}");
    let carol = rocketchat::login(server, "carol", "carol-password").await;
    let mut ddp = Ddp::login(server, "carol").await;
    ddp.subscribed(
        "stream-notify-user",
        &format!("{}/subscriptions-changed", carol.user_id),
    )
    .await;
    ddp.subscribed("stream-notify-user", &format!("{}/rooms-changed", carol.user_id))
        .await;

    assert_eq!(ddp.ok("getRoomIdByNameOrId", json!(["general"])).await, json!(rid));
    assert_eq!(ddp.ok("rooms/get", json!([])).await, json!([]));
    assert_eq!(ddp.ok("joinRoom", json!([rid])).await, json!(true));
    let inserted = ddp
        .event(
            "stream-notify-user",
            &format!("{}/subscriptions-changed", carol.user_id),
        )
        .await;
    assert_eq!(
        (inserted[0].as_str(), inserted[1]["rid"].as_str()),
        (Some("inserted"), Some(rid.as_str()))
    );
    let room = ddp
        .event("stream-notify-user", &format!("{}/rooms-changed", carol.user_id))
        .await;
    assert_eq!(room[1]["_id"], rid.as_str());

    let rooms = ddp.ok("rooms/get", json!([])).await;
    assert_eq!(rooms.as_array().map(Vec::len), Some(1), "{rooms}");
    assert_eq!(rooms[0]["name"], "general");
    assert!(rooms[0]["_updatedAt"]["$date"].as_i64().is_some());
    let since = ddp.ok("rooms/get", json!([{"$date": 0}])).await;
    assert_eq!(since["update"][0]["_id"], rid.as_str());
    let future = ddp.ok("rooms/get", json!([{"$date": i64::MAX / 2}])).await;
    assert_eq!(future, json!({"update": [], "remove": []}));
    let subscriptions = ddp.ok("subscriptions/get", json!([])).await;
    assert_eq!(subscriptions[0]["rid"], rid.as_str());
    assert_eq!(subscriptions[0]["u"]["username"], "carol");

    let members = ddp
        .ok("getUsersOfRoom", json!([rid, true, {"limit": 2, "skip": 0}]))
        .await;
    assert_eq!(members["total"], 4, "{members}");
    assert_eq!(members["records"].as_array().map(Vec::len), Some(2));
    let filtered = ddp.ok("getUsersOfRoom", json!([rid, true, {}, "bo"])).await;
    assert_eq!(filtered["records"][0]["username"], "bob");

    for text in ["one", "two", "three"] {
        post(&world.bob, "#general", text).await;
    }
    let history = ddp.ok("loadHistory", json!([rid, null, 2])).await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["msg"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["three", "two"]);
    let before = history["messages"][1]["ts"].clone();
    let older = ddp.ok("loadHistory", json!([rid, before, 10])).await;
    assert_eq!(older["messages"][0]["msg"], "one");

    let direct = ddp.ok("createDirectMessage", json!(["bob"])).await;
    assert!(direct["rid"].as_str().is_some_and(|rid| !rid.is_empty()), "{direct}");
    assert_eq!(direct["t"], "d");
    let again = ddp.ok("createDirectMessage", json!(["bob"])).await;
    assert_eq!(again["rid"], direct["rid"], "the same room");
    let nobody = ddp.error("createDirectMessage", json!(["nobody"])).await;
    assert!(nobody["error"].as_str().is_some(), "{nobody}");

    assert_eq!(
        ddp.ok("UserPresence:setDefaultStatus", json!(["away"])).await,
        json!(true)
    );
    let stored = server.state.read().get_user(&carol.user_id).await.unwrap().unwrap();
    assert_eq!(stored.props["rc_default_status"], "away");
    assert_eq!(
        ddp.error("UserPresence:setDefaultStatus", json!(["asleep"])).await["error"],
        400
    );

    ddp.subscribed("stream-room-messages", &rid).await;
    ddp.ok("leaveRoom", json!([rid])).await;
    let removed = ddp
        .event(
            "stream-notify-user",
            &format!("{}/subscriptions-changed", carol.user_id),
        )
        .await;
    assert_eq!(removed[0], "removed");
    // Its room stream stopped with it, though the room is public.
    post(&world.bob, "#general", "after carol left").await;
    ddp.quiet("stream-room-messages", &rid).await;
    // Only the direct room with bob is left.
    let left = ddp.ok("rooms/get", json!([])).await;
    let kinds: Vec<&Value> = left.as_array().unwrap().iter().map(|r| &r["t"]).collect();
    assert_eq!(kinds, [&json!("d")], "{left}");
    assert_eq!(
        ddp.error("leaveRoom", json!(["no-such-room"])).await["error"],
        "error-invalid-room"
    );
}

#[tokio::test]
async fn notifications_typing_and_ephemeral_messages_reach_only_their_users() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let rid = world.general.id.clone();
    let mut alice = Ddp::login(server, "alice").await;
    let mut bob = Ddp::login(server, "bob").await;
    let notification = format!("{}/notification", world.alice.user_id);
    alice.subscribed("stream-notify-user", &notification).await;
    alice.subscribed("stream-notify-room", &format!("{rid}/typing")).await;
    alice
        .subscribed("stream-notify-user", &format!("{}/rooms-changed", world.alice.user_id))
        .await;

    // Typing, as the SDK writes it, reaches the room's other members.
    bob.ok("stream-notify-room", json!([format!("{rid}/typing"), "bob", true]))
        .await;
    assert_eq!(
        alice.event("stream-notify-room", &format!("{rid}/typing")).await,
        json!(["bob", true])
    );
    // Not as someone else.
    bob.ok("stream-notify-room", json!([format!("{rid}/typing"), "alice", true]))
        .await;
    alice.quiet("stream-notify-room", &format!("{rid}/typing")).await;

    // A mention is a notification; a plain message is not.
    post(&world.bob, "#general", "just chatting").await;
    post(&world.bob, "#general", "hey @alice, look").await;
    let args = alice.event("stream-notify-user", &notification).await;
    assert_eq!(args[0]["title"], "#general");
    assert_eq!(args[0]["text"], "bob: hey @alice, look");
    assert_eq!(args[0]["payload"]["sender"]["username"], "bob");
    assert_eq!(args[0]["payload"]["rid"], rid.as_str());
    alice.quiet("stream-notify-user", &notification).await;
    let changed = alice
        .event("stream-notify-user", &format!("{}/rooms-changed", world.alice.user_id))
        .await;
    assert_eq!(changed[0], "updated");
    assert!(changed[1]["lastMessage"]["ts"]["$date"].as_i64().is_some(), "{changed}");

    // Every message of a direct room is one.
    let direct = bob.ok("createDirectMessage", json!(["alice"])).await;
    bob.ok("sendMessage", json!([{"rid": direct["rid"], "msg": "psst"}]))
        .await;
    let args = alice.event("stream-notify-user", &notification).await;
    assert_eq!(args[0]["title"], "bob");
    assert_eq!(args[0]["text"], "psst");
    assert_eq!(args[0]["payload"]["type"], "d");
    assert_eq!(args[0]["payload"]["rid"], direct["rid"]);

    // An ephemeral message (a slash command's answer...) goes to its user alone.
    let ephemeral = format!("{}/message", world.alice.user_id);
    alice.subscribed("stream-notify-user", &ephemeral).await;
    bob.subscribed("stream-notify-user", &format!("{}/message", world.bob.user_id))
        .await;
    let room = server.state.read().get_channel(&rid).await.unwrap().unwrap();
    let post = chathooks::posts::new_post(&rid, &world.bob.user_id, "only for alice".into());
    chathooks::posts::show_ephemeral(&server.state, post, &room, &world.alice.user_id);
    let args = alice.event("stream-notify-user", &ephemeral).await;
    assert_eq!(
        (args[0]["msg"].as_str(), args[0]["rid"].as_str()),
        (Some("only for alice"), Some(rid.as_str()))
    );
    assert!(args[0]["ts"]["$date"].as_i64().is_some(), "{args}");
    bob.quiet("stream-notify-user", &format!("{}/message", world.bob.user_id))
        .await;
}

#[tokio::test]
async fn logout_and_revocation_and_deactivation_end_the_subscriptions() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let rid = world.general.id.clone();

    let mut ddp = Ddp::login(server, "alice").await;
    let sub = ddp.subscribed("stream-room-messages", &rid).await;
    ddp.send(json!({"msg": "method", "method": "logout", "params": [], "id": "out"}))
        .await;
    assert_eq!(ddp.frame().await, Some(json!({"msg": "nosub", "id": sub})));
    assert_eq!(ddp.frame().await, Some(json!({"msg": "result", "id": "out"})));
    assert_eq!(ddp.frame().await, Some(json!({"msg": "updated", "methods": ["out"]})));
    assert_eq!(
        ddp.error("sendMessage", json!([{"rid": rid, "msg": "x"}])).await["error"],
        "error-invalid-user"
    );
    post(&world.bob, "#general", "anyone?").await;
    ddp.quiet("stream-room-messages", &rid).await;

    // The session ended elsewhere (REST logout with the same token).
    let mut ddp = Ddp::connect(server).await;
    let login = ddp
        .ok(
            "login",
            json!([{"user": {"username": "alice"}, "password": "alice-password"}]),
        )
        .await;
    let sub = ddp.subscribed("stream-room-messages", &rid).await;
    let token = login["token"].as_str().unwrap();
    let rest = rocketchat::RcSession::new(&server.base, token, &world.alice.user_id, "alice");
    rest.client.logout().send().await.expect("REST logout");
    assert_eq!(
        ddp.until("nosub", |f| f["msg"] == "nosub").await,
        json!({"msg": "nosub", "id": sub})
    );
    assert_eq!(ddp.frame().await, None, "closed");

    // The user deactivated.
    let mut ddp = Ddp::login(server, "bob").await;
    let sub = ddp.subscribed("stream-room-messages", &rid).await;
    let mut bob = server.state.read().get_user(&world.bob.user_id).await.unwrap().unwrap();
    bob.delete_at = chathooks::store::now_ms();
    chathooks::accounts::update_user(&server.state.core, &bob)
        .await
        .unwrap();
    assert_eq!(
        ddp.until("nosub", |f| f["msg"] == "nosub").await,
        json!({"msg": "nosub", "id": sub})
    );
    assert_eq!(ddp.frame().await, None, "closed");
}

#[tokio::test]
async fn a_connection_must_log_in_in_time_and_keep_its_frames_and_subscriptions_few() {
    let server = TestServer::start_with(|config| {
        config.realtime.auth_deadline = Duration::from_millis(300);
        config.realtime.max_message_bytes = 4096;
        config.realtime.max_subscriptions = 2;
    })
    .await;
    let mut subscriber = Ddp::login(&server, "admin").await;
    subscriber.subscribed("stream-room-messages", "__my_messages__").await;
    subscriber.subscribed("stream-notify-all", "updateAvatar").await;
    let refused = subscriber.sub("stream-notify-all", "roles-change").await;
    assert_eq!(refused["error"]["error"], "error-too-many-subscriptions", "{refused}");
    drop(subscriber);

    let mut idle = Ddp::connect(&server).await;
    let error = idle.frame().await.expect("an error before closing");
    assert_eq!(error["msg"], "error");
    assert!(
        error["reason"].as_str().unwrap().starts_with("Not logged in within"),
        "{error}"
    );
    assert_eq!(idle.frame().await, None, "closed");

    let mut big = Ddp::connect(&server).await;
    big.send(json!({"msg": "method", "method": "x", "id": "1", "params": ["y".repeat(8192)]}))
        .await;
    // An error if the socket still takes it, then the end.
    let mut next = big.frame().await;
    if next.as_ref().is_some_and(|f| f["msg"] == "error") {
        next = big.frame().await;
    }
    assert_eq!(next, None, "closed after a frame over the cap");
    // The server goes on.
    let mut fine = Ddp::connect(&server).await;
    fine.send(json!({"msg": "ping", "id": "still"})).await;
    assert_eq!(fine.frame().await, Some(json!({"msg": "pong", "id": "still"})));
}

#[tokio::test]
async fn messages_from_rest_webhooks_and_the_other_api_reach_the_stream() {
    let world = World::new().await;
    let server = &world.server;
    let open = world.open_channel.id.clone();
    let mut ddp = Ddp::login(server, "alice").await;
    ddp.subscribed("stream-room-messages", &open).await;
    // From the Mattermost API.
    let post = world
        .other_member
        .client
        .create_post()
        .body(chathooks_mattermost_types::CreatePostBody {
            channel_id: open.clone(),
            message: "from Mattermost".into(),
            root_id: None,
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let heard = ddp.event("stream-room-messages", &open).await;
    assert_eq!(
        (heard[0]["_id"].as_str(), heard[0]["msg"].as_str()),
        (Some(post.id.as_str()), Some("from Mattermost"))
    );
    // From a Rocket.Chat incoming webhook.
    let admin = rocketchat::admin(server).await;
    let hook = rocketchat::create_integration(
        &admin,
        json!({"type": "webhook-incoming", "name": "in", "enabled": true, "channel": "#town-square", "username": "admin", "scriptEnabled": false}),
    )
    .await;
    let url = format!(
        "{}/hooks/{}/{}",
        server.base,
        hook.id,
        hook.token.clone().unwrap_or_default()
    );
    let answer = reqwest::Client::new()
        .post(url)
        .json(&json!({"text": "from a webhook"}))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    let heard = ddp.event("stream-room-messages", &open).await;
    assert_eq!(heard[0]["msg"], "from a webhook");
    assert!(heard[0]["bot"].is_object(), "{}", heard[0]);
}

/// The official Node SDK, `@rocket.chat/sdk` (pinned in tests/clients, installed by
/// `chathooks_testclients`), unchanged: a bot logs in, joins a room, answers "ping"
/// with "pong", reacts, and is not handed its own message.
#[tokio::test]
async fn the_official_node_sdk_runs_a_ping_pong_bot_unchanged() {
    let installed = chathooks_testclients::install().unwrap_or_else(|e| panic!("{e}"));
    let world = RcWorld::new().await;
    rocketchat::create_user(&world.server, &world.admin, "pingbot").await;
    let output = tokio::process::Command::new("node")
        .args([
            "rocketchat_sdk_bot.js",
            &world.server.base,
            "pingbot",
            "pingbot-password",
            "general",
            "bob",
            "bob-password",
        ])
        .current_dir(&installed.dir)
        .output()
        .await
        .expect("node runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    assert!(text.contains("sdk bot: ok"), "{text}");
    // What the bot did, seen through REST.
    let messages = history(&world.bob, &world.general.id).await;
    let ping = messages.iter().find(|m| m.msg == "ping").expect("the ping");
    let pong = messages.iter().find(|m| m.msg == "pong").expect("the pong");
    assert_eq!(pong.u.username.as_deref(), Some("pingbot"));
    let reactions = serde_json::to_value(&ping.reactions).unwrap();
    assert_eq!(reactions[":white_check_mark:"]["usernames"], json!(["pingbot"]));
}

/// A REST call (built on a session's client): the status and the JSON body.
async fn rest(request: reqwest::RequestBuilder) -> (u16, Value) {
    let answer = request.send().await.expect("REST answers");
    let status = answer.status().as_u16();
    (status, answer.json().await.expect("a JSON body"))
}

/// The REST routes the SDK's bot calls besides the Realtime API: `rooms.info`
/// (asked of every message it is handed) and `chat.sendMessage` (its
/// `sendToRoom`), with Rocket.Chat's shapes and errors and the read rule.
#[tokio::test]
async fn rooms_info_and_chat_send_message_answer_the_sdk_over_rest() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let rid = world.general.id.clone();
    let carol = rocketchat::create_user(server, &world.admin, "carol").await;
    let info = |session: &rocketchat::RcSession, query: Vec<(&'static str, String)>| {
        session
            .http
            .get(format!("{}/api/v1/rooms.info", session.base))
            .query(&query)
    };
    let (status, body) = rest(info(&world.alice, vec![("roomId", rid.clone())])).await;
    assert_eq!(
        (status, &body["room"]["_id"], &body["room"]["t"]),
        (200, &json!(rid), &json!("c")),
        "{body}"
    );
    let (status, body) = rest(info(&world.alice, vec![("roomName", "general".into())])).await;
    assert_eq!((status, &body["room"]["_id"]), (200, &json!(rid)), "{body}");
    let (status, body) = rest(info(&world.alice, vec![])).await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-roomid-param-not-provided")),
        "{body}"
    );
    let (status, body) = rest(info(&world.alice, vec![("roomId", "nope".into())])).await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-room-not-found")),
        "{body}"
    );
    // The SDK asks with `rid`, which Rocket.Chat does not read either.
    let (status, body) = rest(info(&world.alice, vec![("rid", rid.clone())])).await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-roomid-param-not-provided")),
        "{body}"
    );

    // A direct room: its members read it, with `usernames`; others may not.
    let dm = world
        .alice
        .http
        .post(format!("{}/api/v1/im.create", world.alice.base))
        .json(&json!({"username": "bob"}));
    let (status, body) = rest(dm).await;
    assert_eq!(status, 200, "{body}");
    let dm_id = body["room"]["_id"].as_str().unwrap().to_owned();
    let (status, body) = rest(info(&world.bob, vec![("roomId", dm_id.clone())])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["room"]["t"], "d");
    assert_eq!(body["room"]["usernames"], json!(["alice", "bob"]));
    let (status, body) = rest(info(&carol, vec![("roomId", dm_id.clone())])).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"success": false, "error": "not-allowed", "errorType": "Not Allowed"})
        )
    );

    let send = |session: &rocketchat::RcSession, body: Value| {
        session
            .http
            .post(format!("{}/api/v1/chat.sendMessage", session.base))
            .json(&body)
    };
    let (status, body) = rest(send(
        &world.alice,
        json!({"message": {"_id": "chosen-by-alice-1", "rid": rid, "msg": "hello"}}),
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["message"]["_id"], "chosen-by-alice-1");
    assert_eq!(body["message"]["u"]["username"], "alice");
    assert!(body["message"]["ts"].is_string(), "REST dates are ISO strings: {body}");
    let (status, body) = rest(send(
        &world.alice,
        json!({"message": {"rid": rid, "msg": "in thread", "tmid": "chosen-by-alice-1"}}),
    ))
    .await;
    assert_eq!(
        (status, &body["message"]["tmid"]),
        (200, &json!("chosen-by-alice-1")),
        "{body}"
    );
    assert!(history(&world.bob, &rid).await.iter().any(|m| m.msg == "hello"));
    for (session, message, error_type) in [
        (
            &world.alice,
            json!({"rid": rid, "msg": "x", "alias": "Boss"}),
            "error-action-not-allowed",
        ),
        (&carol, json!({"rid": dm_id, "msg": "let me in"}), "error-not-allowed"),
        (&world.alice, json!({"rid": rid, "msg": ""}), "error-invalid-params"),
        (
            &world.alice,
            json!({"rid": dm_id, "msg": "x", "tmid": "chosen-by-alice-1"}),
            "error-invalid-message",
        ),
    ] {
        let (status, body) = rest(send(session, json!({"message": message}))).await;
        assert_eq!(
            (status, &body["errorType"]),
            (400, &json!(error_type)),
            "{message}: {body}"
        );
        assert_eq!(body["success"], false);
    }
    let (status, body) = rest(send(&world.alice, json!({}))).await;
    assert_eq!(
        (status, &body["errorType"]),
        (400, &json!("error-invalid-params")),
        "{body}"
    );
    let (status, body) = rest(send(&world.alice, json!({"message": {"msg": "no room"}}))).await;
    assert_eq!((status, &body["errorType"]), (400, &json!("invalid-params")), "{body}");
    // A holder of message-impersonate may. Rocket.Chat gives it to bots, not
    // admins: the admin grants it to their own role first.
    let grant = world
        .admin
        .http
        .post(format!("{}/api/v1/permissions.update", world.admin.base))
        .json(&json!({"permissions": [{"_id": "message-impersonate", "roles": ["admin", "bot"]}]}));
    let (status, body) = rest(grant).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = rest(send(
        &world.admin,
        json!({"message": {"rid": rid, "msg": "as the boss", "alias": "Boss"}}),
    ))
    .await;
    assert_eq!((status, &body["message"]["alias"]), (200, &json!("Boss")), "{body}");
}

/// `rooms/get` and `subscriptions/get` list a user's direct rooms too, as
/// Rocket.Chat keeps them: type `d` with `usernames`, the subscription named
/// after the other user.
#[tokio::test]
async fn direct_rooms_appear_in_rooms_and_subscriptions() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let dm = world
        .bob
        .http
        .post(format!("{}/api/v1/im.create", world.bob.base))
        .json(&json!({"username": "alice"}));
    let (status, body) = rest(dm).await;
    assert_eq!(status, 200, "{body}");
    let dm_id = body["room"]["_id"].as_str().unwrap().to_owned();
    let mut ddp = Ddp::login(server, "alice").await;
    let rooms = ddp.ok("rooms/get", json!([])).await;
    let direct = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["_id"] == dm_id.as_str())
        .unwrap_or_else(|| panic!("the direct room in {rooms}"));
    assert_eq!(direct["t"], "d");
    assert_eq!(direct["usernames"], json!(["alice", "bob"]));
    assert!(direct["_updatedAt"]["$date"].is_i64(), "{direct}");
    let subscriptions = ddp.ok("subscriptions/get", json!([])).await;
    let subscription = subscriptions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rid"] == dm_id.as_str())
        .unwrap_or_else(|| panic!("the direct subscription in {subscriptions}"));
    assert_eq!(subscription["t"], "d");
    assert_eq!(subscription["name"], "bob");
    assert!(subscription["fname"].is_string(), "{subscription}");
    assert_eq!(subscription["u"]["username"], "alice");
    let since = ddp.ok("subscriptions/get", json!([{"$date": 0}])).await;
    assert!(
        since["update"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["rid"] == dm_id.as_str())
    );
    // Carol, in no direct room, sees none.
    rocketchat::create_user(server, &world.admin, "carol").await;
    let mut carol = Ddp::login(server, "carol").await;
    let rooms = carol.ok("rooms/get", json!([])).await;
    assert!(rooms.as_array().unwrap().iter().all(|r| r["t"] != "d"), "{rooms}");
}

/// Meteor's heartbeats: an idle client gets `ping` and stays while it
/// answers `pong`; one that never answers is closed after the limit. A
/// client's `ping` gets `pong`, with its `id` when it gave one. `pre1` has no
/// heartbeats.
#[tokio::test]
async fn heartbeats_keep_an_answering_client_and_drop_a_silent_one() {
    let server = TestServer::start_with(|config| {
        config.realtime.heartbeat = Duration::from_millis(300);
    })
    .await;
    let mut ddp = Ddp::login(&server, "admin").await;
    ddp.send(json!({"msg": "ping", "id": "mine"})).await;
    assert_eq!(
        ddp.until("pong", |f| f["msg"] == "pong").await,
        json!({"msg": "pong", "id": "mine"})
    );
    ddp.send(json!({"msg": "ping"})).await;
    assert_eq!(ddp.until("pong", |f| f["msg"] == "pong").await, json!({"msg": "pong"}));
    // Idle: the server pings; answering keeps the connection, twice over.
    for _ in 0..2 {
        let ping = ddp.until("the server's ping", |f| f["msg"] == "ping").await;
        assert_eq!(ping, json!({"msg": "ping"}));
        ddp.send(json!({"msg": "pong"})).await;
    }
    // Silent after a ping: closed.
    let ping = ddp.until("the server's ping", |f| f["msg"] == "ping").await;
    assert_eq!(ping, json!({"msg": "ping"}));
    let closed = loop {
        match ddp.frame().await {
            None => break true,
            Some(frame) => assert_ne!(frame["msg"], "ping", "one ping, then the close: {frame}"),
        }
    };
    assert!(closed);

    // pre1: no pings at all, and the connection stays.
    let mut old = Ddp::raw(&server).await;
    old.send(json!({"msg": "connect", "version": "pre1", "support": ["pre1"]}))
        .await;
    assert_eq!(old.frame().await.unwrap()["msg"], "connected");
    tokio::time::sleep(Duration::from_millis(900)).await;
    old.send(json!({"msg": "ping", "id": "still"})).await;
    assert_eq!(
        old.frame().await,
        Some(json!({"msg": "pong", "id": "still"})),
        "no ping came first"
    );
}

/// The open sessions the web UI lists (through the test API): who logged in,
/// what they subscribed to, when frames last went each way; a closed
/// connection leaves the list.
#[tokio::test]
async fn the_test_api_lists_open_realtime_sessions_for_the_ui() {
    let world = RcWorld::new().await;
    let server = &world.server;
    let list = || async {
        let answer = reqwest::get(format!("{}/_chathooks/api/v1/realtime-sessions", server.base))
            .await
            .expect("the test API answers");
        assert_eq!(answer.status(), 200);
        answer.json::<Value>().await.expect("JSON")["sessions"].clone()
    };
    assert_eq!(list().await, json!([]));
    let mut ddp = Ddp::login(server, "alice").await;
    ddp.subscribed("stream-room-messages", "__my_messages__").await;
    let mut anonymous = Ddp::connect(server).await;
    anonymous.send(json!({"msg": "ping", "id": "x"})).await;
    assert_eq!(anonymous.frame().await.unwrap()["msg"], "pong");
    let sessions = list().await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(2), "{sessions}");
    let alice = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "alice")
        .unwrap_or_else(|| panic!("alice's session in {sessions}"));
    assert_eq!(alice["api"], "rocketchat");
    assert_eq!(alice["subscriptions"], json!(["stream-room-messages __my_messages__"]));
    let at = |key: &str| alice[key].as_i64().unwrap_or_default();
    assert!(
        at("connected_at") > 0 && at("last_in_at") >= at("connected_at"),
        "{alice}"
    );
    assert!(at("last_out_at") >= at("last_in_at"), "{alice}");
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["username"] == "" && s["subscriptions"] == json!([]))
    );

    drop(anonymous);
    ddp.send(json!({"msg": "unsub", "id": "never-subscribed"})).await;
    let mut left = list().await;
    for _ in 0..100 {
        if left.as_array().map(Vec::len) == Some(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        left = list().await;
    }
    assert_eq!(
        left.as_array().map(Vec::len),
        Some(1),
        "the closed connection left: {left}"
    );
    assert_eq!(left[0]["username"], "alice");
}
