//! Open dialogs, and answering them as their user: listed from the core's
//! open dialogs ([`crate::dialogs`]), waited for with a bounded long poll,
//! submitted or cancelled through the core, which calls the integration as
//! the dialect that opened them would.

use std::time::Duration;

use axum::http::StatusCode;
use chathooks_testapi_server::ops::{cancel_dialog, list_dialogs, submit_dialog};
use chathooks_testapi_types as types;
use serde_json::{Map, Value};
use tokio::sync::broadcast::error::RecvError;

use super::acts::{channel_and_team, find_user};
use super::exchange::{Watch, open_dialog};
use super::{TestError, TestResult};
use crate::dialogs::OpenDialog;
use crate::events::Event;
use crate::server::AppState;

/// The longest wait for a dialog (the spec's maximum).
const MAX_WAIT: Duration = Duration::from_secs(30);

fn unknown_dialog(id: &str) -> TestError {
    TestError::new(
        StatusCode::NOT_FOUND,
        "unknown-dialog",
        format!("no dialog `{id}` is open (submitted, cancelled, expired, or never opened)"),
    )
}

pub(super) async fn list(state: &AppState, request: list_dialogs::Request) -> TestResult<list_dialogs::Response> {
    let user_id = match request.user.as_deref().filter(|u| !u.is_empty()) {
        Some(given) => Some(find_user(state, given).await?.id),
        None => None,
    };
    let wait = Duration::from_millis(u64::try_from(request.wait_ms).unwrap_or(0)).min(MAX_WAIT);
    // Subscribed before the first look, so a dialog opening in between is seen.
    let mut events = state.core.events.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    let mut open = crate::dialogs::list(&state.core, user_id.as_deref());
    while open.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) => match &*event {
                    Event::DialogOpened { dialog } if user_id.as_ref().is_none_or(|u| *u == dialog.user_id) => {}
                    _ => continue,
                },
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            () = tokio::time::sleep_until(deadline) => break,
            () = state.core.shutdown.cancelled() => break,
        }
        open = crate::dialogs::list(&state.core, user_id.as_deref());
    }
    let mut dialogs = Vec::with_capacity(open.len());
    for dialog in &open {
        dialogs.push(open_dialog(state, dialog).await?);
    }
    Ok(list_dialogs::Response::Ok(types::OpenDialogList { dialogs }))
}

/// The integration's answer as an object; empty when it said nothing or
/// something that is not a JSON object.
fn answer_of(body: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

pub(super) async fn submit(state: &AppState, request: submit_dialog::Request) -> TestResult<submit_dialog::Response> {
    let dialog: OpenDialog =
        crate::dialogs::get(&state.core, &request.dialog_id).ok_or_else(|| unknown_dialog(&request.dialog_id))?;
    let user = find_user(state, &dialog.user_id).await?;
    let (channel_id, team_id) = channel_and_team(state, &user, request.body.channel.as_deref()).await?;
    let submission = dialog.submission(&channel_id, &team_id, request.body.submission, false);
    let watch = Watch::start(state);
    let outcome = crate::dialogs::submit(&state.core, &dialog.dialect, &submission).await;
    if outcome.status != Some(200) || outcome.error.is_some() {
        // The API answers its user an error for such a call.
        let what = match (outcome.status, &outcome.error) {
            (_, Some(error)) => error.clone(),
            (Some(status), None) => format!("it answered {status}"),
            (None, None) => "no answer".to_owned(),
        };
        return Err(TestError::new(
            StatusCode::BAD_GATEWAY,
            "act-failed",
            format!("the dialog's integration failed: {what}"),
        ));
    }
    let answer = answer_of(&outcome.body);
    Ok(submit_dialog::Response::Ok(watch.exchange(state, answer).await?))
}

pub(super) async fn cancel(state: &AppState, request: cancel_dialog::Request) -> TestResult<cancel_dialog::Response> {
    let watch = Watch::start(state);
    let outcome = crate::dialogs::cancel(&state.core, &request.dialog_id, "", "")
        .await
        .ok_or_else(|| unknown_dialog(&request.dialog_id))?;
    let answer = outcome.map(|o| answer_of(&o.body)).unwrap_or_default();
    Ok(cancel_dialog::Response::Ok(watch.exchange(state, answer).await?))
}
