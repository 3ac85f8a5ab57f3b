//! `POST /hooks/{hook_id}/{token}`: running an incoming integration.
//!
//! The id and token in the path are the only credential, so the token is
//! compared in constant time and a wrong one answers exactly like an unknown
//! id (404), revealing nothing about which part was wrong.

use axum::body::{Body as HttpBody, Bytes};
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, Uri};
use axum::middleware::Next;
use axum::response::Response;
use chathooks_rocketchat_server::ops::execute_incoming_webhook::{self, Body};
use chathooks_rocketchat_types as types;
use chathooks_script::{FailureKind, LogLine};
use http_body_util::Limited;
use serde_json::{Map, Value, json};

use super::chat::{NewMessage, PostedBy, post_message};
use super::error::{RcError, RcResult};
use super::integration::Integration;
use super::rooms::{entries, live_channel, resolve_entry};
use super::scripts::{Scripts, error_doc, logs_doc, truthy};
use super::time::iso;
use super::wire::display_name;
use chathooks_core::Core;
use chathooks_core::ids::new_rc_id;
use chathooks_core::password::constant_time_eq;
use chathooks_core::store::{Channel, RC_WEBHOOK_INCOMING, RcHistory, User, now_ms};

fn not_found() -> RcError {
    RcError::NotFound("Invalid integration id or token provided.".into())
}

/// The first non-empty of two alternative payload fields.
fn either(first: Option<String>, second: Option<String>) -> Option<String> {
    first.filter(|s| !s.is_empty()).or(second.filter(|s| !s.is_empty()))
}

/// The incoming integration with this id and token.
async fn find(state: &Core, id: &str, token: &str) -> RcResult<Integration> {
    let integration = state
        .read()
        .get_rc_integration(id)
        .await?
        .filter(|i| i.integration_type == RC_WEBHOOK_INCOMING)
        .ok_or_else(not_found)?;
    if integration.token.is_empty() || !constant_time_eq(integration.token.as_bytes(), token.as_bytes()) {
        return Err(not_found());
    }
    Ok(Integration::from(integration))
}

/// The payload, from JSON or from a form's `payload` field.
fn payload(body: Option<Body>) -> RcResult<types::IncomingWebhookMessage> {
    match body {
        None => Ok(types::IncomingWebhookMessage::default()),
        Some(Body::Json(message)) => Ok(message),
        Some(Body::Form(form)) => match &form.payload {
            Some(payload) => serde_json::from_str(payload).map_err(|error| {
                RcError::typed(
                    "invalid-params",
                    &format!("the payload field is not valid JSON: {error}"),
                )
            }),
            // No `payload`: the fields are the message, as Rocket.Chat takes them.
            None => serde_json::from_value(form_fields(&form)).map_err(|error| {
                RcError::typed("invalid-params", &format!("the form is not a valid message: {error}"))
            }),
        },
    }
}

/// A form's fields without `payload`, as one JSON object.
fn form_fields(form: &types::IncomingWebhookForm) -> Value {
    Value::Object(
        form.extra
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect(),
    )
}

/// The rooms to post in: the payload's `roomId` or `channel` (already
/// allowed by the caller), else the integration's channels.
async fn destinations(
    state: &Core,
    integration: &Integration,
    poster: &User,
    override_channel: Option<&[String]>,
    override_room: Option<&str>,
) -> RcResult<Vec<Channel>> {
    let invalid = || RcError::failure("invalid-channel");
    if let Some(room_id) = override_room {
        return Ok(vec![live_channel(state, room_id).await?.ok_or_else(invalid)?]);
    }
    let list: Vec<String> = match override_channel {
        Some(channels) => channels.to_vec(),
        None => integration.spec.channels.clone(),
    };
    let mut rooms = Vec::with_capacity(list.len());
    for entry in list {
        // A bare name in an overriding `channel` means a room, as in Rocket.Chat.
        let entry = if entry.starts_with(['#', '@']) {
            entry
        } else {
            format!("#{entry}")
        };
        rooms.push(resolve_entry(state, poster, &entry).await?.ok_or_else(invalid)?);
    }
    if rooms.is_empty() {
        return Err(invalid());
    }
    Ok(rooms)
}

fn trimmed(value: Option<&String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The entries of a payload's `channel`: one string (comma-separated) or
/// an array of them; `None` when it names nothing.
fn override_entries(channel: Option<&types::IncomingWebhookMessageChannel>) -> Option<Vec<String>> {
    let list = match channel? {
        types::IncomingWebhookMessageChannel::String(one) => entries(one),
        types::IncomingWebhookMessageChannel::Array(many) => many.iter().flat_map(|e| entries(e)).collect(),
    };
    (!list.is_empty()).then_some(list)
}

pub(crate) async fn execute_incoming_webhook(
    state: &Core,
    scripts: &Scripts,
    request: execute_incoming_webhook::Request,
) -> RcResult<execute_incoming_webhook::Response> {
    let integration = find(state, &request.hook_id, &request.token).await?;
    if !integration.enabled {
        return Err(RcError::ServiceUnavailable);
    }
    let mut answer = Map::new();
    answer.insert("success".into(), true.into());
    if scripts.source_of(&integration).is_some() {
        let raw = RAW.try_with(Clone::clone).ok();
        match run_script(state, scripts, &integration, &request, raw.as_ref()).await? {
            ScriptResult::Nothing => {}
            ScriptResult::Post { message, response } => {
                post_payload(state, &integration, *message).await?;
                answer.extend(response);
            }
            ScriptResult::Respond(response) => answer.extend(response),
        }
        answer.insert("success".into(), true.into());
        return Ok(execute_incoming_webhook::Response::Ok(answer));
    }
    post_payload(state, &integration, payload(request.body)?).await?;
    Ok(execute_incoming_webhook::Response::Ok(answer))
}

/// Post a payload through the integration: its text, attachments and
/// overrides, to its rooms or the payload's (when it may choose them).
async fn post_payload(state: &Core, integration: &Integration, message: types::IncomingWebhookMessage) -> RcResult<()> {
    let spec = &integration.spec;
    let override_channel = override_entries(message.channel.as_ref());
    let override_room = trimmed(message.room_id.as_ref());
    if (override_channel.is_some() || override_room.is_some()) && !spec.may_override_destination {
        return Err(RcError::failure(
            "overriding destination channel is disabled for this integration",
        ));
    }
    let attachments = message
        .attachments
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<_>, _>>()
        .map_err(RcError::internal)?;
    let new_message = NewMessage {
        text: either(message.text, message.msg).unwrap_or_default(),
        alias: either(message.username, message.alias).or_else(|| spec.alias.clone()),
        avatar: either(message.icon_url, message.avatar).or_else(|| spec.avatar.clone()),
        emoji: either(message.icon_emoji, message.emoji).or_else(|| spec.emoji.clone()),
        attachments,
        posted_by: Some(PostedBy {
            integration_id: integration.id.clone(),
            integration_name: integration.name.clone(),
        }),
        ..NewMessage::default()
    };
    if new_message.is_empty() {
        return Ok(());
    }
    let poster = poster(state, integration).await?;
    let rooms = destinations(
        state,
        integration,
        &poster,
        override_channel.as_deref(),
        override_room.as_deref(),
    )
    .await?;
    for room in &rooms {
        super::auth::require_may_post(state, &poster, room).await?;
    }
    for room in &rooms {
        super::auth::join_public_room_to_post(state, &poster, room).await?;
        post_message(state, room, &poster, new_message.clone()).await?;
    }
    Ok(())
}

/// The integration's user, whom its messages are posted as.
async fn poster(state: &Core, integration: &Integration) -> RcResult<User> {
    match integration.spec.user_id.as_deref() {
        Some(id) => state.read().get_user(id).await?.filter(|u| u.delete_at == 0),
        None => None,
    }
    .ok_or_else(|| RcError::typed("error-invalid-user", "The integration's user does not exist"))
}

// ----- scripts -----

tokio::task_local! {
    /// The request being served by `/hooks/{id}/{token}`, as it came.
    static RAW: Raw;
}

/// An incoming integration's request as it came: scripts see its URL,
/// headers and body as sent, which the generated router does not keep.
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

/// Keep `POST /hooks/...` requests raw for [`execute_incoming_webhook`].
/// The body is read here (within the body limit) and handed on unchanged; a
/// body over the limit is handed on as one that fails to read, so the
/// router answers it as it answers any body over the limit.
pub(crate) async fn keep_raw(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.uri().path().starts_with("/hooks/") {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        let failing = HttpBody::new(Limited::new(HttpBody::from(vec![0u8]), 0));
        return next.run(Request::from_parts(parts, failing)).await;
    };
    let raw = Raw {
        uri: parts.uri.clone(),
        headers: parts.headers.clone(),
        body: bytes.clone(),
    };
    RAW.scope(raw, next.run(Request::from_parts(parts, HttpBody::from(bytes))))
        .await
}

enum ScriptResult {
    /// Success, nothing posted.
    Nothing,
    /// Post this, and add `response` to the answer.
    Post {
        message: Box<types::IncomingWebhookMessage>,
        response: Map<String, Value>,
    },
    /// Answer success with these fields.
    Respond(Map<String, Value>),
}

/// Run `process_incoming_request`, record the run in the history, and say
/// what the answer is.
async fn run_script(
    state: &Core,
    scripts: &Scripts,
    integration: &Integration,
    request: &execute_incoming_webhook::Request,
    raw: Option<&Raw>,
) -> RcResult<ScriptResult> {
    let user = poster(state, integration).await?;
    let script_request = script_request(integration, &user, request, raw);
    let url_raw = script_request["url_raw"].clone();
    let outcome = scripts
        .call(
            state,
            integration,
            "process_incoming_request",
            json!({"request": script_request}),
        )
        .await;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(failure) => {
            record(state, integration, url_raw, None, &failure.logs, Some(&failure)).await;
            let error_type = match failure.kind {
                FailureKind::Compile => "error-compiling-script",
                _ => "error-running-script",
            };
            return Err(RcError::BadRequest {
                error: failure.message,
                error_type: Some(error_type.into()),
                details: Map::new(),
            });
        }
    };
    if outcome.missing_method {
        let failure = chathooks_script::Failure {
            kind: FailureKind::Compile,
            message: "the script's class Script has no process_incoming_request method".into(),
            stack: None,
            logs: Vec::new(),
            store_writes: Vec::new(),
        };
        record(state, integration, url_raw, None, &outcome.logs, Some(&failure)).await;
        return Err(RcError::BadRequest {
            error: failure.message,
            error_type: Some("error-running-script".into()),
            details: Map::new(),
        });
    }
    record(state, integration, url_raw, outcome.value.as_ref(), &outcome.logs, None).await;
    let Some(result) = outcome.value.filter(truthy) else {
        return Ok(ScriptResult::Nothing);
    };
    if let Some(error) = result.get("error").filter(|e| truthy(e)) {
        return Err(script_error(error));
    }
    let response = match result.get("response") {
        Some(Value::Object(fields)) => fields.clone(),
        _ => Map::new(),
    };
    match result.get("content") {
        Some(content @ Value::Object(_)) => {
            let message: Box<types::IncomingWebhookMessage> =
                serde_json::from_value(content.clone()).map_err(|error| {
                    RcError::typed(
                        "error-running-script",
                        &format!("the script's content is not a valid message: {error}"),
                    )
                })?;
            Ok(ScriptResult::Post { message, response })
        }
        _ => Ok(ScriptResult::Respond(response)),
    }
}

/// The 400 of a script's `{error}`: a string is the error; an object gives
/// `error`, `errorType` and, for its other fields, `details`.
fn script_error(error: &Value) -> RcError {
    match error {
        Value::Object(fields) => {
            let mut details = fields.clone();
            let message = match details.remove("error") {
                Some(Value::String(message)) => message,
                Some(other) => other.to_string(),
                None => "the script returned an error".into(),
            };
            let error_type = match details.remove("errorType") {
                Some(Value::String(error_type)) => Some(error_type),
                _ => None,
            };
            RcError::BadRequest {
                error: message,
                error_type,
                details,
            }
        }
        Value::String(message) => RcError::failure(message.clone()),
        other => RcError::failure(other.to_string()),
    }
}

/// Rocket.Chat's `request` of `process_incoming_request`.
fn script_request(
    integration: &Integration,
    user: &User,
    request: &execute_incoming_webhook::Request,
    raw: Option<&Raw>,
) -> Value {
    let typed_content = || match &request.body {
        Some(Body::Json(message)) => serde_json::to_value(message).unwrap_or(Value::Null),
        Some(Body::Form(form)) => match &form.payload {
            Some(payload) => serde_json::from_str(payload).unwrap_or(Value::Null),
            None => form_fields(form),
        },
        None => json!({}),
    };
    let (url, url_raw, headers, content, content_raw) = match raw {
        Some(raw) => {
            let pathname = raw.uri.path().to_owned();
            let query = raw.uri.query();
            let search = query.map(|q| format!("?{q}"));
            let path = format!("{pathname}{}", search.clone().unwrap_or_default());
            let url = json!({
                "hash": null,
                "search": search,
                "query": query_object(query.unwrap_or_default()),
                "pathname": pathname,
                "path": path,
            });
            let mut headers = Map::new();
            for (name, value) in &raw.headers {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                match headers.get_mut(name.as_str()) {
                    Some(Value::String(seen)) => {
                        seen.push_str(", ");
                        seen.push_str(&value);
                    }
                    _ => {
                        headers.insert(name.as_str().to_owned(), value.into());
                    }
                }
            }
            let content_raw = String::from_utf8_lossy(&raw.body).into_owned();
            let content = content_of(&raw.headers, &raw.body).unwrap_or_else(typed_content);
            (url, path, Value::Object(headers), content, content_raw)
        }
        None => {
            let path = format!("/hooks/{}/{}", request.hook_id, request.token);
            let url = json!({"hash": null, "search": null, "query": {}, "pathname": path, "path": path});
            let content = typed_content();
            let content_raw = content.to_string();
            (url, path, json!({}), content, content_raw)
        }
    };
    json!({
        "url": url,
        "url_raw": url_raw,
        "url_params": {"integrationId": integration.id, "token": request.token},
        "content": content,
        "content_raw": content_raw,
        "body": content,
        "headers": headers,
        "user": {"_id": user.id, "name": display_name(user), "username": user.username},
    })
}

/// The query string as an object; a repeated name holds an array.
fn query_object(query: &str) -> Value {
    let mut fields = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let value = Value::String(value.into_owned());
        match fields.get_mut(name.as_ref()) {
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
            None => {
                fields.insert(name.into_owned(), value);
            }
        }
    }
    Value::Object(fields)
}

/// The body as the script's `content`: JSON parsed; a form's fields, or the
/// JSON of its lone `payload` field. `None` when it is neither.
fn content_of(headers: &HeaderMap, body: &[u8]) -> Option<Value> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if body.is_empty() {
        return Some(json!({}));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let fields = query_object(&String::from_utf8_lossy(body));
        if let Some(object) = fields.as_object()
            && object.len() == 1
            && let Some(Value::String(payload)) = object.get("payload")
        {
            return serde_json::from_str(payload).ok().or(Some(fields));
        }
        return Some(fields);
    }
    serde_json::from_slice(body).ok()
}

/// One history record per script run, with what the script logged.
async fn record(
    state: &Core,
    integration: &Integration,
    url_raw: Value,
    result: Option<&Value>,
    logs: &[LogLine],
    failure: Option<&chathooks_script::Failure>,
) {
    let now = now_ms();
    let id = new_rc_id();
    let mut doc = json!({
        "_id": id,
        "type": "incoming-webhook",
        "step": if failure.is_some() { "failed" } else { "finished" },
        "integration": {"_id": integration.id},
        "event": "incoming",
        "_createdAt": iso(now),
        "_updatedAt": iso(now),
        "data": {"url": url_raw, "result": result},
        "ranPrepareScript": false,
        "finished": true,
        "error": failure.is_some(),
        "scriptLogs": logs_doc(logs),
    });
    if let Some(failure) = failure {
        doc["errorStack"] = failure.stack.clone().unwrap_or_else(|| failure.message.clone()).into();
        doc["scriptError"] = error_doc(failure);
    }
    let entry = RcHistory {
        id,
        integration_id: integration.id.clone(),
        created_at: now,
        updated_at: now,
        doc,
    };
    if let Err(error) = chathooks_core::integrations::add_history(state, &entry).await {
        tracing::warn!(integration_id = %integration.id, %error, "script history not recorded");
    }
}
