//! Form-encoded bodies: Rocket.Chat accepts `application/x-www-form-urlencoded`
//! on every endpoint, so the spec gives every body the form media type beside
//! JSON, with the same schema, and the runtime reads each field by the type its
//! property declares. Raw HTTP, since the generated client sends JSON.

use chathooks_tests::rocketchat::{RcSession, send_raw};
use chathooks_tests::{ADMIN, ADMIN_PASSWORD, TestServer};
use reqwest::Method;
use serde_json::json;

/// A form-encoded POST with the session's headers.
fn form(session: &RcSession, path: &str, fields: &[(&str, &str)]) -> reqwest::RequestBuilder {
    session.request(Method::POST, path).form(fields)
}

#[tokio::test]
async fn form_bodies_are_read_as_their_json_twins() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let (status, answer) = send_raw(
        http.post(format!("{}/api/v1/login", server.base))
            .form(&[("user", ADMIN), ("password", ADMIN_PASSWORD)]),
    )
    .await;
    assert_eq!((status, answer["status"].as_str()), (200, Some("success")), "{answer}");
    let token = answer["data"]["authToken"].as_str().unwrap();
    let admin = RcSession::new(&server.base, token, answer["data"]["userId"].as_str().unwrap(), ADMIN);
    let (status, wrong) = send_raw(
        http.post(format!("{}/api/v1/login", server.base))
            .form(&[("user", ADMIN), ("password", "wrong")]),
    )
    .await;
    assert_eq!((status, wrong["error"].as_str()), (401, Some("Unauthorized")));

    // Booleans and arrays are read by their declared types.
    let (status, created) = send_raw(form(
        &admin,
        "/api/v1/users.create",
        &[
            ("email", "formed@example.com"),
            ("name", "Formed User"),
            ("password", "formed-pw"),
            ("username", "formed"),
            ("roles", "admin"),
            ("roles", "user"),
            ("verified", "true"),
        ],
    ))
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["user"]["roles"], json!(["admin", "user"]));
    assert_eq!(created["user"]["emails"][0]["verified"], true);
    let (status, room) = send_raw(form(
        &admin,
        "/api/v1/channels.create",
        &[("name", "formed-room"), ("members", "formed"), ("readOnly", "0")],
    ))
    .await;
    assert_eq!(
        (status, room["channel"]["usersCount"].as_i64()),
        (200, Some(2)),
        "{room}"
    );
    // A list of objects takes each object as JSON text.
    let (status, posted) = send_raw(form(
        &admin,
        "/api/v1/chat.postMessage",
        &[
            ("channel", "#formed-room"),
            ("text", "from a form"),
            ("attachments", r#"{"title": "Build 42", "color": "good"}"#),
        ],
    ))
    .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted["message"]["msg"], "from a form");
    assert_eq!(posted["message"]["attachments"][0]["title"], "Build 42");
    // A `oneOf` body is read as typed as its JSON twin.
    let (status, integration) = send_raw(form(
        &admin,
        "/api/v1/integrations.create",
        &[
            ("type", "webhook-incoming"),
            ("name", "formed hook"),
            ("enabled", "true"),
            ("username", ADMIN),
            ("channel", "#formed-room"),
            ("scriptEnabled", "false"),
        ],
    ))
    .await;
    assert_eq!(status, 200, "{integration}");
    assert_eq!(integration["integration"]["enabled"], true);
    assert_eq!(integration["integration"]["channel"], json!(["#formed-room"]));

    // Text that does not fit its type is a clear 400, never a 500.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "/api/v1/channels.create",
            vec![("name", "x"), ("readOnly", "maybe")],
            "must be boolean [invalid-params]",
        ),
        (
            "/api/v1/chat.postMessage",
            vec![("channel", "#formed-room"), ("attachments", "not json")],
            "must be object [invalid-params]",
        ),
        (
            "/api/v1/chat.postMessage",
            vec![("channel", "#formed-room"), ("attachments", "[1, 2]")],
            "must be object [invalid-params]",
        ),
        (
            "/api/v1/login",
            vec![("user", ADMIN)],
            "must have required property 'password' [invalid-params]",
        ),
        (
            "/api/v1/chat.delete",
            vec![("roomId", "x"), ("msgId", "y"), ("asUser", "sometimes")],
            "must be boolean [invalid-params]",
        ),
        (
            "/api/v1/chat.react",
            vec![("messageId", "x"), ("shouldReact", "perhaps")],
            "must be boolean [invalid-params]",
        ),
        (
            "/api/v1/integrations.create",
            vec![("type", "webhook-incoming"), ("enabled", "yes")],
            "must match exactly one schema in oneOf [invalid-params]",
        ),
    ];
    for (path, fields, expected) in cases {
        let (status, error) = send_raw(form(&admin, path, &fields)).await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some(expected)),
            "{path} {fields:?}: {error}"
        );
        assert_eq!(error["errorType"], "invalid-params");
    }
    // Malformed form encoding is read as best it can, and validated.
    let (status, error) = send_raw(
        admin
            .request(Method::POST, "/api/v1/integrations.remove")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("%%%=&&=x&integrationId"),
    )
    .await;
    assert_eq!(status, 400, "{error}");
}
