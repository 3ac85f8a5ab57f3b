//! Interactive dialogs: forms an integration opens in front of a user who
//! just acted (with a trigger id, [`crate::triggers`]), and whose submission
//! the server sends back to the integration.
//!
//! A real chat server only forwards the dialog to the user's clients and
//! forgets it. This one also keeps the dialogs it opened, in memory, so that
//! whoever plays the user without a client of their own (the test API, the
//! web UI) can see them and submit or cancel them later: [`list`], [`get`],
//! [`submit`] and [`cancel`]. The list is bounded: at most
//! [`MAX_OPEN_DIALOGS`] dialogs holding at most [`MAX_OPEN_DIALOG_BYTES`]
//! of JSON (the oldest dropped first, so an integration spending one
//! trigger id again and again only pushes out older dialogs) and none older
//! than [`OPEN_DIALOG_TTL`]. It is per process, like the event bus: a dialog
//! opened through one instance is listed by that instance.
//!
//! The dialog itself is the dialect's JSON document (for Mattermost its
//! `Dialog`, every field present); the core reads only what it acts on:
//! `callback_id`, `state` and `notify_on_cancel`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::Core;
use crate::delivery::{CallOutcome, CallRequest, ImmediateCall, call_now};
use crate::events::Event;
use crate::ids::new_id;
use crate::store::now_ms;

/// Most dialogs kept open at once, over all users.
pub const MAX_OPEN_DIALOGS: usize = 1000;

/// Most bytes of dialog JSON kept at once; one dialog is at most a request
/// body (2 MiB by default).
pub const MAX_OPEN_DIALOG_BYTES: usize = 16 * 1024 * 1024;

/// How long an unanswered dialog is kept.
pub const OPEN_DIALOG_TTL: Duration = Duration::from_secs(60 * 60);

/// `type` of what the integration receives for a submission, and for a
/// cancellation too (Mattermost marks that one with `cancelled: true`).
pub const SUBMISSION_TYPE: &str = "dialog_submission";

/// A dialog opened for a user and not answered yet.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDialog {
    /// This server's id for it (not part of any chat API).
    pub id: String,
    /// The dialect whose API opened it: its submission is recorded as that
    /// dialect's call.
    pub dialect: String,
    /// The user it was opened for: the trigger id's.
    pub user_id: String,
    /// Where its submission goes.
    pub url: String,
    /// The client id inside the trigger id that opened it.
    pub trigger_id: String,
    /// The dialog as the dialect keeps it.
    pub dialog: Value,
    /// When it was opened, ms since the epoch.
    pub opened_at: i64,
}

impl OpenDialog {
    fn text(&self, key: &str) -> String {
        self.dialog[key].as_str().unwrap_or_default().to_owned()
    }

    pub fn callback_id(&self) -> String {
        self.text("callback_id")
    }

    pub fn state(&self) -> String {
        self.text("state")
    }

    /// Whether the integration wants to hear of a cancellation.
    pub fn notify_on_cancel(&self) -> bool {
        self.dialog["notify_on_cancel"].as_bool().unwrap_or(false)
    }

    /// What the integration gets when its user submits `values` (or
    /// cancels) from `channel_id` in `team_id`.
    pub fn submission(
        &self,
        channel_id: &str,
        team_id: &str,
        values: Map<String, Value>,
        cancelled: bool,
    ) -> Submission {
        Submission {
            kind: SUBMISSION_TYPE.into(),
            url: self.url.clone(),
            callback_id: self.callback_id(),
            state: self.state(),
            user_id: self.user_id.clone(),
            channel_id: channel_id.to_owned(),
            team_id: team_id.to_owned(),
            submission: values,
            cancelled,
        }
    }
}

/// The dialogs kept open, oldest first. One per [`Core`].
#[derive(Debug, Default)]
pub struct OpenDialogs {
    open: Mutex<VecDeque<OpenDialog>>,
}

impl OpenDialogs {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<OpenDialog>> {
        // A panic while holding it cannot leave the list inconsistent.
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The list with expired dialogs dropped.
    fn current(&self) -> std::sync::MutexGuard<'_, VecDeque<OpenDialog>> {
        let mut open = self.lock();
        let oldest = now_ms().saturating_sub(i64::try_from(OPEN_DIALOG_TTL.as_millis()).unwrap_or(i64::MAX));
        while open.front().is_some_and(|d| d.opened_at < oldest) {
            open.pop_front();
        }
        open
    }
}

/// Open `dialog` for `user_id`: keep it, and tell the user's live
/// connections ([`Event::DialogOpened`]). The trigger id must have been
/// verified ([`crate::triggers::verify`]).
pub fn open(core: &Core, dialect: &str, user_id: &str, url: &str, trigger_id: &str, dialog: Value) -> OpenDialog {
    let opened = OpenDialog {
        id: new_id(),
        dialect: dialect.to_owned(),
        user_id: user_id.to_owned(),
        url: url.to_owned(),
        trigger_id: trigger_id.to_owned(),
        dialog,
        opened_at: now_ms(),
    };
    keep(&mut core.dialogs.current(), opened.clone());
    core.events.publish(Event::DialogOpened { dialog: opened.clone() });
    opened
}

/// Add `dialog` last, dropping the oldest past either bound.
fn keep(open: &mut VecDeque<OpenDialog>, dialog: OpenDialog) {
    open.push_back(dialog);
    let size = |d: &OpenDialog| d.dialog.to_string().len();
    let mut bytes: usize = open.iter().map(size).sum();
    while open.len() > 1 && (open.len() > MAX_OPEN_DIALOGS || bytes > MAX_OPEN_DIALOG_BYTES) {
        if let Some(dropped) = open.pop_front() {
            bytes -= size(&dropped);
        }
    }
}

/// The dialogs open for `user_id` (every user's with `None`), oldest first.
pub fn list(core: &Core, user_id: Option<&str>) -> Vec<OpenDialog> {
    core.dialogs
        .current()
        .iter()
        .filter(|d| user_id.is_none_or(|user| d.user_id == user))
        .cloned()
        .collect()
}

/// One open dialog by its id.
pub fn get(core: &Core, id: &str) -> Option<OpenDialog> {
    core.dialogs.current().iter().find(|d| d.id == id).cloned()
}

/// Forget an open dialog; what it was, if it was open.
pub fn close(core: &Core, id: &str) -> Option<OpenDialog> {
    let mut open = core.dialogs.current();
    let at = open.iter().position(|d| d.id == id)?;
    open.remove(at)
}

/// The `event` of a dialog submission's call in the delivery history.
pub const EVENT_DIALOG_SUBMISSION: &str = "dialog_submission";

/// A user's submission (or cancellation) of a dialog, as the integration
/// gets it; serialized in Mattermost's field order.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip)]
    pub url: String,
    pub callback_id: String,
    pub state: String,
    pub user_id: String,
    pub channel_id: String,
    pub team_id: String,
    pub submission: Map<String, Value>,
    pub cancelled: bool,
}

/// Send `submission` to its integration now (the user waits for the
/// answer), through the guarded client and within the callback timeout, as
/// a JSON POST. When the integration accepts it (200, and neither `error`
/// nor `errors` in the answer), the user's open dialog with that URL and
/// callback id is closed; otherwise it stays open, as a client keeps the
/// form up to show the errors. The call is recorded in the delivery history
/// as `dialect`'s (event [`EVENT_DIALOG_SUBMISSION`], under the callback
/// id), delivered when answered with 200.
pub async fn submit(core: &Core, dialect: &str, submission: &Submission) -> CallOutcome {
    let body = serde_json::to_string(submission).unwrap_or_default();
    let mut request = CallRequest::post(&submission.url, "application/json", &body);
    request.headers.push(("Accept".into(), "application/json".into()));
    let what = ImmediateCall {
        dialect,
        event: EVENT_DIALOG_SUBMISSION,
        hook_id: &submission.callback_id,
        context: serde_json::json!({
            "user_id": submission.user_id,
            "channel_id": submission.channel_id,
            "cancelled": submission.cancelled,
        }),
    };
    let outcome = call_now(core, what, &request, |outcome| {
        outcome.status == Some(200) && outcome.error.is_none()
    })
    .await;
    if accepted(&outcome) {
        let mut open = core.dialogs.current();
        open.retain(|d| {
            !(d.user_id == submission.user_id && d.url == submission.url && d.callback_id() == submission.callback_id)
        });
    }
    outcome
}

/// A 200 whose body (if any) names no error.
fn accepted(outcome: &CallOutcome) -> bool {
    if outcome.status != Some(200) || outcome.error.is_some() {
        return false;
    }
    if outcome.body.iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    match serde_json::from_slice::<Value>(&outcome.body) {
        Ok(answer) => {
            answer["error"].as_str().unwrap_or_default().is_empty()
                && answer["errors"].as_object().is_none_or(Map::is_empty)
        }
        Err(_) => false,
    }
}

/// Close open dialog `id` as its user would, from `channel_id` in
/// `team_id`: the integration hears of it only when the dialog asked
/// (`notify_on_cancel`), as Mattermost's clients do. `None` when no such
/// dialog is open; `Some(None)` when it closed without a call.
pub async fn cancel(core: &Core, id: &str, channel_id: &str, team_id: &str) -> Option<Option<CallOutcome>> {
    let dialog = close(core, id)?;
    if !dialog.notify_on_cancel() {
        return Some(None);
    }
    let submission = dialog.submission(channel_id, team_id, Map::new(), true);
    Some(Some(submit(core, &dialog.dialect, &submission).await))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialog(id: &str, bytes: usize) -> OpenDialog {
        OpenDialog {
            id: id.into(),
            dialect: "d".into(),
            user_id: "u".into(),
            url: "http://example.com".into(),
            trigger_id: "t".into(),
            dialog: Value::String("x".repeat(bytes)),
            opened_at: now_ms(),
        }
    }

    #[test]
    fn the_oldest_go_first_past_either_bound() {
        let mut open = VecDeque::new();
        for n in 0..MAX_OPEN_DIALOGS + 2 {
            keep(&mut open, dialog(&n.to_string(), 1));
        }
        assert_eq!(open.len(), MAX_OPEN_DIALOGS);
        assert_eq!(open[0].id, "2");
        let big = MAX_OPEN_DIALOG_BYTES / 2;
        keep(&mut open, dialog("big1", big));
        keep(&mut open, dialog("big2", big));
        assert_eq!(open.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["big2"]);
    }
}
