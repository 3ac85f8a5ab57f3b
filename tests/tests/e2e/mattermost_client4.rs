//! The bodies Mattermost's Go client (`model.Client4`, used by mmctl and Go
//! integrations) sends, byte for byte: it serializes the whole model struct,
//! so a field the caller did not set travels as Go's zero value (`""`, `0`,
//! `false`, and `null` for a nil slice). The real server fills in or ignores
//! them; so must we. Also the error statuses Mattermost gives for channel ids
//! that name nothing.

use chathooks_tests::{TestServer, World};
use reqwest::Method;
use serde_json::Value;

const MISSING_ID: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa";

/// Sends `body` exactly as given (no re-encoding), as Client4's
/// `DoAPIRequestBytes` does, and answers the status and the JSON answer.
async fn send(server: &TestServer, token: &str, method: Method, path: &str, body: Option<String>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// `json.Marshal(&model.OutgoingWebhook{...})` with the given fields set and
/// the others at their zero values, in the struct's field order.
fn go_outgoing(
    id: &str,
    token: &str,
    channel_id: &str,
    team_id: &str,
    trigger_words: &str,
    callback_urls: &str,
) -> String {
    format!(
        r#"{{"id":"{id}","token":"{token}","create_at":0,"update_at":0,"delete_at":0,"creator_id":"","channel_id":"{channel_id}","team_id":"{team_id}","trigger_words":{trigger_words},"trigger_when":0,"callback_urls":{callback_urls},"display_name":"","description":"","content_type":"","username":"","icon_url":""}}"#
    )
}

/// `json.Marshal(&model.IncomingWebhook{...})` likewise.
fn go_incoming(id: &str, channel_id: &str, display_name: &str) -> String {
    format!(
        r#"{{"id":"{id}","create_at":0,"update_at":0,"delete_at":0,"user_id":"","channel_id":"{channel_id}","team_id":"","display_name":"{display_name}","description":"","username":"","icon_url":"","channel_locked":false}}"#
    )
}

#[tokio::test]
async fn outgoing_hooks_take_client4_bodies() {
    let world = World::new().await;
    let admin = &world.admin;
    let urls = r#"["http://example.com/hook"]"#;

    // A channel hook without trigger words: token "" and trigger_words null.
    let body = go_outgoing("", "", &world.open_channel.id, &world.team.id, "null", urls);
    let (status, hook) = send(
        &world.server,
        &admin.token,
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    let token = hook["token"].as_str().expect("a token");
    assert_eq!(token.len(), 26, "an empty token is replaced by a new one");
    assert_eq!(hook["trigger_words"], serde_json::json!([]));
    assert_eq!(hook["creator_id"], admin.user.id.as_str());
    assert_eq!(hook["content_type"], "application/x-www-form-urlencoded");

    // Client4's UpdateOutgoingWebhook sends the struct back, trigger words still null.
    let id = hook["id"].as_str().unwrap();
    let body = go_outgoing(id, token, &world.open_channel.id, &world.team.id, "null", urls);
    let (status, updated) = send(
        &world.server,
        &admin.token,
        Method::PUT,
        &format!("/api/v4/hooks/outgoing/{id}"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["token"], token);

    // A team-wide hook with trigger words and a token of the client's own.
    let own = "abcdefghijklmnopqrstuvwxyz";
    let body = go_outgoing(
        "",
        own,
        "",
        &world.team.id,
        r#"["deploy"]"#,
        r#"["http://example.com/other"]"#,
    );
    let (status, hook) = send(
        &world.server,
        &admin.token,
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(body),
    )
    .await;
    assert_eq!((status, hook["token"].as_str()), (201, Some(own)), "{hook}");

    // Nil callback URLs are the model check's error, as on the real server.
    let body = go_outgoing("", "", &world.open_channel.id, &world.team.id, r#"["x"]"#, "null");
    let (status, error) = send(
        &world.server,
        &admin.token,
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(body),
    )
    .await;
    assert_eq!(
        (status, error["id"].as_str()),
        (400, Some("model.outgoing_hook.is_valid.callback.app_error"))
    );
    // A token that is neither empty nor 26 characters.
    let body = go_outgoing("", "short", &world.open_channel.id, &world.team.id, "null", urls);
    let (status, error) = send(
        &world.server,
        &admin.token,
        Method::POST,
        "/api/v4/hooks/outgoing",
        Some(body),
    )
    .await;
    assert_eq!(
        (status, error["id"].as_str()),
        (400, Some("model.outgoing_hook.is_valid.token.app_error"))
    );
}

#[tokio::test]
async fn incoming_hooks_take_client4_bodies() {
    let world = World::new().await;
    let admin = &world.admin;
    let body = go_incoming("", &world.open_channel.id, "");
    let (status, hook) = send(
        &world.server,
        &admin.token,
        Method::POST,
        "/api/v4/hooks/incoming",
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    assert_eq!(hook["user_id"], admin.user.id.as_str());
    assert_eq!(hook["team_id"], world.team.id.as_str());

    let id = hook["id"].as_str().unwrap();
    let body = go_incoming(id, &world.open_channel.id, "renamed");
    let (status, updated) = send(
        &world.server,
        &admin.token,
        Method::PUT,
        &format!("/api/v4/hooks/incoming/{id}"),
        Some(body),
    )
    .await;
    assert_eq!(
        (status, updated["display_name"].as_str()),
        (201, Some("renamed")),
        "{updated}"
    );
}

#[tokio::test]
async fn channel_ids_that_name_nothing_answer_as_mattermost() {
    let world = World::new().await;
    let not_found = Some("app.channel.get.existing.app_error");
    // Hook creation looks any channel id up: a malformed one is not found (404), not a bad body.
    for channel_id in ["not-an-id", MISSING_ID] {
        let body = go_incoming("", channel_id, "");
        let (status, error) = send(
            &world.server,
            &world.admin.token,
            Method::POST,
            "/api/v4/hooks/incoming",
            Some(body),
        )
        .await;
        assert_eq!(
            (status, error["id"].as_str()),
            (404, not_found),
            "incoming {channel_id}"
        );
        let body = go_outgoing(
            "",
            "",
            channel_id,
            &world.team.id,
            "null",
            r#"["http://example.com/h"]"#,
        );
        let (status, error) = send(
            &world.server,
            &world.admin.token,
            Method::POST,
            "/api/v4/hooks/outgoing",
            Some(body),
        )
        .await;
        assert_eq!(
            (status, error["id"].as_str()),
            (404, not_found),
            "outgoing {channel_id}"
        );
    }
    // Listing outgoing hooks of a channel that does not exist: no permission
    // can be held on it, so 403 for everyone, system admins included.
    for token in [&world.admin.token, &world.member.token] {
        let (status, error) = send(
            &world.server,
            token,
            Method::GET,
            &format!("/api/v4/hooks/outgoing?channel_id={MISSING_ID}"),
            None,
        )
        .await;
        assert_eq!(
            (status, error["id"].as_str()),
            (403, Some("api.context.permissions.app_error"))
        );
    }
}
