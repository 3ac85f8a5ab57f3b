//! What an act made happen: the core's events from just before the act to
//! its answer, gathered into the test API's `Exchange`.
//!
//! The watch subscribes to the event bus before the act starts and drains
//! what has arrived once the act is done. Everything an act does while the
//! user waits (the call to the integration, the posts and ephemeral
//! messages of its answer, a dialog it opened) is published before the act
//! returns, so it is all there; what happens later (an outgoing webhook's
//! delivery, an answer through a `response_url`) is not.

use std::sync::Arc;

use chathooks_testapi_types as types;
use serde_json::{Map, Value};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::TryRecvError;

use super::deliveries::delivery;
use super::messages::Messages;
use crate::dialogs::OpenDialog;
use crate::events::Event;
use crate::server::AppState;
use crate::store::StoreError;

/// The bus, watched from before an act.
pub(super) struct Watch {
    events: Receiver<Arc<Event>>,
}

impl Watch {
    /// Start watching; call before acting.
    pub(super) fn start(state: &AppState) -> Self {
        Self {
            events: state.core.events.subscribe(),
        }
    }

    /// Everything that arrived since [`Self::start`], with the act's `answer`.
    pub(super) async fn exchange(
        mut self,
        state: &AppState,
        answer: Map<String, Value>,
    ) -> Result<types::Exchange, StoreError> {
        let mut messages = Messages::new(state);
        let mut exchange = types::Exchange {
            answer,
            calls: Vec::new(),
            posts_created: Vec::new(),
            posts_updated: Vec::new(),
            ephemeral: Vec::new(),
            dialogs_opened: Vec::new(),
        };
        loop {
            let event = match self.events.try_recv() {
                Ok(event) => event,
                // Events were missed (over a thousand during one act): what
                // is left is still worth showing.
                Err(TryRecvError::Lagged(_)) => continue,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            };
            match &*event {
                Event::DeliveryFinished { job } => exchange.calls.push(delivery(state, job.clone()).await?),
                Event::PostCreated { post, .. } => exchange.posts_created.push(messages.convert(post).await?),
                Event::PostEdited { post, .. } => {
                    // The latest version of a post edited several times.
                    exchange.posts_updated.retain(|m| m.id != post.id);
                    exchange.posts_updated.push(messages.convert(post).await?);
                }
                Event::EphemeralPost { post, .. } => exchange.ephemeral.push(messages.convert(post).await?),
                Event::DialogOpened { dialog } => exchange.dialogs_opened.push(open_dialog(state, dialog).await?),
                _ => {}
            }
        }
        Ok(exchange)
    }
}

/// An open dialog as the test API shows it.
pub(super) async fn open_dialog(state: &AppState, dialog: &OpenDialog) -> Result<types::OpenDialog, StoreError> {
    let username = state
        .core
        .read()
        .get_user(&dialog.user_id)
        .await?
        .map(|user| user.username)
        .unwrap_or_default();
    Ok(types::OpenDialog {
        id: dialog.id.clone(),
        user_id: dialog.user_id.clone(),
        username,
        url: dialog.url.clone(),
        trigger_id: dialog.trigger_id.clone(),
        opened_at: dialog.opened_at,
        dialog: dialog.dialog.as_object().cloned().unwrap_or_default(),
    })
}
