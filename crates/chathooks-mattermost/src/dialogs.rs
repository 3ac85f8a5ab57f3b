//! Interactive dialogs (`/api/v4/actions/dialogs/open` and `/submit`), after
//! Mattermost's `api4/integration_action.go`, `app/integration_action.go` and
//! `model/integration_action.go`.
//!
//! Opening needs no session: the trigger id is the credential, checked by
//! [`chathooks_core::triggers::verify`]. The dialog is checked as Mattermost's
//! `Dialog.IsValid` does ([`problems`]); Mattermost only logs those problems,
//! this server refuses the dialog so that the integration's author sees them.
//! It is kept by the core ([`chathooks_core::dialogs`]) and reaches the
//! user's WebSocket as `open_dialog`. Submitting calls the dialog's URL at
//! once, through the core's guarded client, and hands the integration's
//! answer back.

use chathooks_core::Core;
use chathooks_core::delivery::CallOutcome;
use chathooks_core::dialogs::{SUBMISSION_TYPE, Submission};
use chathooks_core::triggers::{self, TriggerError};
use chathooks_mattermost_server::ops::{open_interactive_dialog, submit_interactive_dialog};
use chathooks_mattermost_types as types;
use serde_json::{Value, json};

use super::actions::integration_error;
use super::auth::{Caller, can_read_channel, is_team_member};
use super::channels::channel_not_found;
use super::error::{ApiError, ApiResult};

/// Mattermost's limits (`model/integration_action.go`).
const TITLE_MAX: usize = 24;
const DISPLAY_NAME_MAX: usize = 24;
const NAME_MAX: usize = 300;
const HELP_TEXT_MAX: usize = 150;
const TEXT_MAX: usize = 150;
const TEXTAREA_MAX: usize = 3000;
const SELECT_MAX: usize = 3000;
const BOOL_MAX: usize = 150;
const TEXT_SUBTYPES: &[&str] = &["", "text", "email", "number", "tel", "url", "password"];
const SELECT_SOURCES: &[&str] = &["", "users", "channels", "dynamic"];

/// The type Mattermost reads as "go on asking the integration" (kept as is).
const REFRESH: &str = "refresh";

fn trigger_error(error: TriggerError) -> ApiError {
    let Some(id) = error.id() else {
        return ApiError::internal(error);
    };
    let message = match &error {
        TriggerError::Expired(timeout) => format!(
            "The trigger id has expired: an integration has {} ms to use it.",
            timeout.as_millis()
        ),
        TriggerError::BadSignature => "The trigger id was not issued by this server.".to_owned(),
        _ => "The trigger id could not be read.".to_owned(),
    };
    ApiError::bad_request(id, message)
}

/// `POST /api/v4/actions/dialogs/open`.
pub(crate) async fn open_interactive_dialog(
    state: &Core,
    request: open_interactive_dialog::Request,
) -> ApiResult<open_interactive_dialog::Response> {
    let body = request.body;
    let url = body.url.unwrap_or_default();
    if url.is_empty() {
        return Err(ApiError::invalid_body_param("url"));
    }
    let trigger = triggers::verify(state, body.trigger_id.as_deref().unwrap_or_default())
        .await
        .map_err(trigger_error)?;
    let dialog = body.dialog.unwrap_or_default();
    let problems = problems(&dialog);
    if !problems.is_empty() {
        return Err(ApiError::invalid_body_param("dialog").detailed(problems.join("; ")));
    }
    chathooks_core::dialogs::open(
        state,
        crate::DIALECT,
        &trigger.user_id,
        &url,
        &trigger.client_id,
        dialog_json(&dialog),
    );
    Ok(open_interactive_dialog::Response::Ok(crate::status_ok()))
}

/// `POST /api/v4/actions/dialogs/submit`.
pub(crate) async fn submit_interactive_dialog(
    state: &Core,
    caller: Caller,
    request: submit_interactive_dialog::Request,
) -> ApiResult<submit_interactive_dialog::Response> {
    let body = request.body;
    let url = body.url.unwrap_or_default();
    if url.is_empty() {
        return Err(ApiError::invalid_body_param("url"));
    }
    let channel_id = body.channel_id.unwrap_or_default();
    let channel = state
        .read()
        .get_channel(&channel_id)
        .await?
        .ok_or_else(channel_not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    let team_id = body.team_id.unwrap_or_default();
    if !is_team_member(state, &caller.user, &team_id).await? {
        return Err(ApiError::forbidden());
    }
    let kind = match body.type_.as_deref() {
        Some(REFRESH) => REFRESH,
        _ => SUBMISSION_TYPE,
    };
    let submission = Submission {
        kind: kind.to_owned(),
        url,
        callback_id: body.callback_id.unwrap_or_default(),
        state: body.state.unwrap_or_default(),
        user_id: caller.user.id.clone(),
        channel_id,
        team_id,
        submission: body.submission,
        cancelled: body.cancelled.unwrap_or(false),
    };
    let outcome = chathooks_core::dialogs::submit(state, crate::DIALECT, &submission).await;
    Ok(submit_interactive_dialog::Response::Ok(read_answer(&outcome)?))
}

/// The integration's answer as Mattermost's `SubmitInteractiveDialog`
/// reads it: an empty body is an empty answer; `error` or `errors` are
/// passed back whatever else it says; otherwise `type` must be one
/// Mattermost knows, with a `form` only for `form`.
fn read_answer(outcome: &CallOutcome) -> ApiResult<types::SubmitDialogResponse> {
    let Some(status) = outcome.status else {
        return Err(integration_error(format!(
            "err={}",
            outcome.error.as_deref().unwrap_or_default()
        )));
    };
    if status != 200 {
        return Err(integration_error(format!("status={status}")));
    }
    if let Some(error) = &outcome.error {
        return Err(integration_error(format!("err={error}")));
    }
    if outcome.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(types::SubmitDialogResponse::default());
    }
    let mut answer: types::SubmitDialogResponse = serde_json::from_slice(&outcome.body).map_err(|error| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "app.submit_interactive_dialog.decode_json_error",
            "The integration's answer to the dialog is not valid JSON.",
        )
        .detailed(error.to_string())
    })?;
    // Go leaves out empty strings (`omitempty`).
    answer.error = answer.error.filter(|e| !e.is_empty());
    answer.type_ = answer.type_.filter(|t| !t.is_empty());
    if answer.error.is_some() || !answer.errors.is_empty() {
        return Ok(answer);
    }
    let invalid = |detail: &str| {
        ApiError::bad_request(
            "app.submit_interactive_dialog.invalid_response",
            "The integration's answer to the dialog is not valid.",
        )
        .detailed(detail.to_owned())
    };
    match answer.type_.as_deref() {
        None | Some("ok") | Some("navigate") if answer.form.is_some() => {
            Err(invalid("form must be empty unless type is form"))
        }
        None | Some("ok") | Some("navigate") => Ok(answer),
        Some("form") if answer.form.is_none() => Err(invalid("form field is required for form type")),
        // An invalid form is only logged by Mattermost, and so here.
        Some("form") => {
            if let Some(problems) = answer.form.as_ref().map(problems).filter(|p| !p.is_empty()) {
                tracing::info!(problems = %problems.join("; "), "a dialog's next form is invalid");
            }
            Ok(answer)
        }
        Some(other) => Err(invalid(&format!(
            "invalid type {other:?}, must be one of: empty, ok, form, navigate"
        ))),
    }
}

/// Every reason Mattermost's `Dialog.IsValid` gives for refusing `dialog`.
/// Date and datetime elements get the length checks only.
pub(crate) fn problems(dialog: &types::Dialog) -> Vec<String> {
    let mut problems = Vec::new();
    let title = dialog.title.as_deref().unwrap_or_default();
    if title.is_empty() || title.len() > TITLE_MAX {
        problems.push(format!("invalid dialog title {title:?}"));
    }
    let icon_url = dialog.icon_url.as_deref().unwrap_or_default();
    if !icon_url.is_empty() && !is_http_url(icon_url) {
        problems.push("invalid icon url".to_owned());
    }
    let mut names = std::collections::HashSet::new();
    for element in dialog.elements.iter().flatten() {
        let name = element.name.as_deref().unwrap_or_default();
        if !names.insert(name) {
            problems.push(format!("duplicate dialog element {name:?}"));
        }
        for problem in element_problems(element) {
            problems.push(format!("{name:?} field is not valid: {problem}"));
        }
    }
    problems
}

fn element_problems(element: &types::DialogElement) -> Vec<String> {
    let mut problems = Vec::new();
    let mut longest = |field: &str, value: Option<&str>, max: usize, required: bool| {
        let value = value.unwrap_or_default();
        if required && value.is_empty() {
            problems.push(format!("{field} cannot be empty"));
        } else if value.len() > max {
            problems.push(format!(
                "{field} cannot be longer than {max} characters, got {}",
                value.len()
            ));
        }
    };
    longest("DisplayName", element.display_name.as_deref(), DISPLAY_NAME_MAX, true);
    longest("Name", element.name.as_deref(), NAME_MAX, true);
    longest("HelpText", element.help_text.as_deref(), HELP_TEXT_MAX, false);
    let kind = element.type_.as_deref().unwrap_or_default();
    let default = element.default.as_deref();
    let placeholder = element.placeholder.as_deref();
    match kind {
        "text" | "textarea" | "date" | "datetime" => {
            let max = if kind == "textarea" { TEXTAREA_MAX } else { TEXT_MAX };
            longest("Default", default, max, false);
            longest("Placeholder", placeholder, max, false);
        }
        "select" => {
            longest("Default", default, SELECT_MAX, false);
            longest("Placeholder", placeholder, SELECT_MAX, false);
        }
        "bool" => longest("Placeholder", placeholder, BOOL_MAX, false),
        _ => {}
    }
    let (min, max) = (element.min_length.unwrap_or(0), element.max_length.unwrap_or(0));
    if min < 0 {
        problems.push(format!("min length cannot be a negative number, got {min}"));
    }
    if min > max {
        problems.push(format!("min length should be less then max length, got {min} > {max}"));
    }
    if element.multiselect == Some(true) && kind != "select" {
        problems.push(format!(
            "multiselect can only be used with select elements, got type {kind:?}"
        ));
    }
    let subtype = element.subtype.as_deref().unwrap_or_default();
    let source = element.data_source.as_deref().unwrap_or_default();
    let default = default.unwrap_or_default();
    let options: Vec<&str> = element
        .options
        .iter()
        .flatten()
        .map(|o| o.value.as_deref().unwrap_or_default())
        .collect();
    let in_options = |value: &str| value.is_empty() || options.contains(&value);
    match kind {
        "text" | "textarea" if !TEXT_SUBTYPES.contains(&subtype) => {
            problems.push(format!("invalid subtype {subtype:?}"));
        }
        "text" | "textarea" | "date" | "datetime" => {}
        "select" => {
            if !SELECT_SOURCES.contains(&source) {
                problems.push(format!(
                    "invalid data source {source:?}, allowed are 'users', 'channels', or 'dynamic'"
                ));
            }
            if source == "dynamic" {
                let lookup = element.data_source_url.as_deref().unwrap_or_default();
                if lookup.is_empty() {
                    problems.push("dynamic data_source requires data_source_url".to_owned());
                } else if !is_lookup_url(lookup) {
                    problems.push("invalid data_source_url for dynamic select".to_owned());
                }
                if !options.is_empty() {
                    problems.push("dynamic select element should not have static options".to_owned());
                }
            } else if source.is_empty() {
                let all_in = if element.multiselect == Some(true) {
                    default
                        .replace(' ', "")
                        .split(',')
                        .filter(|v| !v.is_empty())
                        .all(in_options)
                } else {
                    in_options(default)
                };
                if !all_in {
                    problems.push(format!("default value {default:?} doesn't exist in options"));
                }
            }
        }
        "bool" if !matches!(default, "" | "true" | "false") => {
            problems.push("invalid default of bool".to_owned());
        }
        "bool" => {}
        "radio" if !in_options(default) => {
            problems.push(format!("default value {default:?} doesn't exist in options"));
        }
        "radio" => {}
        other => problems.push(format!("invalid element type: {other:?}")),
    }
    problems
}

/// Mattermost's `IsValidLookupURL`: a plugin path without `..` or `//`, or
/// an HTTP URL.
fn is_lookup_url(text: &str) -> bool {
    let plugin = text.starts_with("/plugins/") && !text.contains("..") && !text.contains("//");
    plugin || is_http_url(text)
}

/// Mattermost's `IsValidHTTPURL`: `http://` or `https://` and a URL.
fn is_http_url(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://")) && url::Url::parse(text).is_ok()
}

/// The dialog as Mattermost marshals its `Dialog`: every field present, with
/// Go's zero values, `null` for absent lists.
pub(crate) fn dialog_json(dialog: &types::Dialog) -> Value {
    let text = |v: &Option<String>| Value::String(v.clone().unwrap_or_default());
    let elements = dialog.elements.as_ref().map(|elements| {
        elements
            .iter()
            .map(|e| {
                let mut element = json!({
                    "display_name": text(&e.display_name),
                    "name": text(&e.name),
                    "type": text(&e.type_),
                    "subtype": text(&e.subtype),
                    "default": text(&e.default),
                    "placeholder": text(&e.placeholder),
                    "help_text": text(&e.help_text),
                    "optional": e.optional.unwrap_or(false),
                    "min_length": e.min_length.unwrap_or(0),
                    "max_length": e.max_length.unwrap_or(0),
                    "data_source": text(&e.data_source),
                    "options": e.options.as_ref().map(|options| {
                        options
                            .iter()
                            .map(|o| json!({"text": text(&o.text), "value": text(&o.value)}))
                            .collect::<Vec<_>>()
                    }),
                    "multiselect": e.multiselect.unwrap_or(false),
                });
                let extra = [
                    (
                        "data_source_url",
                        e.data_source_url.clone().filter(|v| !v.is_empty()).map(Value::from),
                    ),
                    ("refresh", e.refresh.filter(|r| *r).map(Value::from)),
                    (
                        "min_date",
                        e.min_date.clone().filter(|v| !v.is_empty()).map(Value::from),
                    ),
                    (
                        "max_date",
                        e.max_date.clone().filter(|v| !v.is_empty()).map(Value::from),
                    ),
                    ("time_interval", e.time_interval.filter(|t| *t != 0).map(Value::from)),
                ];
                for (key, value) in extra {
                    if let Some(value) = value {
                        element[key] = value;
                    }
                }
                element
            })
            .collect::<Vec<_>>()
    });
    let mut document = json!({
        "callback_id": text(&dialog.callback_id),
        "title": text(&dialog.title),
        "introduction_text": text(&dialog.introduction_text),
        "icon_url": text(&dialog.icon_url),
        "elements": elements,
        "submit_label": text(&dialog.submit_label),
        "notify_on_cancel": dialog.notify_on_cancel.unwrap_or(false),
        "state": text(&dialog.state),
    });
    if let Some(source_url) = dialog.source_url.as_ref().filter(|s| !s.is_empty()) {
        document["source_url"] = source_url.clone().into();
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(kind: &str) -> types::DialogElement {
        types::DialogElement {
            display_name: Some("Name".into()),
            name: Some("name".into()),
            type_: Some(kind.into()),
            ..Default::default()
        }
    }

    fn dialog(elements: Vec<types::DialogElement>) -> types::Dialog {
        types::Dialog {
            title: Some("Deploy".into()),
            elements: Some(elements),
            ..Default::default()
        }
    }

    #[test]
    fn a_plain_dialog_is_valid() {
        let mut select = element("select");
        select.name = Some("env".into());
        select.options = Some(vec![types::DialogOption {
            text: Some("Production".into()),
            value: Some("prod".into()),
        }]);
        select.default = Some("prod".into());
        let mut flag = element("bool");
        flag.name = Some("confirm".into());
        flag.default = Some("true".into());
        assert_eq!(
            problems(&dialog(vec![element("text"), select, flag])),
            Vec::<String>::new()
        );
    }

    #[test]
    fn mattermosts_rules_are_applied() {
        let long_title = types::Dialog {
            title: Some("x".repeat(25)),
            ..Default::default()
        };
        assert_eq!(problems(&long_title).len(), 1);
        let mut bad_subtype = element("text");
        bad_subtype.subtype = Some("colour".into());
        let mut bad_radio = element("radio");
        bad_radio.name = Some("pick".into());
        bad_radio.default = Some("missing".into());
        let mut unnamed = element("textarea");
        unnamed.name = Some(String::new());
        let found = problems(&dialog(vec![bad_subtype, bad_radio, unnamed, element("checkbox")]));
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(
            found.iter().any(|p| p.contains("duplicate dialog element \"name\"")),
            "{found:#?}"
        );
        assert!(found.iter().any(|p| p.contains("invalid element type")), "{found:#?}");
    }

    #[test]
    fn the_document_has_every_field() {
        let document = dialog_json(&dialog(vec![element("text")]));
        assert_eq!(document["notify_on_cancel"], false);
        assert_eq!(document["elements"][0]["min_length"], 0);
        assert_eq!(document["elements"][0]["options"], Value::Null);
        assert!(document.get("source_url").is_none());
    }
}
