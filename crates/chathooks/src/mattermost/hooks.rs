//! Incoming and outgoing webhook management (being written).

use chathooks_mattermost_server::ops::{
    create_incoming_webhook, create_outgoing_webhook, delete_incoming_webhook, delete_outgoing_webhook,
    get_incoming_webhook, get_incoming_webhooks, get_outgoing_webhook, get_outgoing_webhooks,
    regen_outgoing_hook_token, update_incoming_webhook, update_outgoing_webhook,
};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use crate::server::Shared;
use crate::store::Store;

fn pending() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_IMPLEMENTED,
        "api.not_implemented",
        "Not implemented yet.",
    )
}

macro_rules! pending_ops {
    ($($name:ident: $module:ident;)*) => {$(
        pub async fn $name<S: Store>(_state: &Shared<S>, _caller: Caller, _request: $module::Request) -> ApiResult<$module::Response> {
            Err(pending())
        }
    )*};
}

pending_ops! {
    get_incoming_webhooks: get_incoming_webhooks;
    create_incoming_webhook: create_incoming_webhook;
    get_incoming_webhook: get_incoming_webhook;
    update_incoming_webhook: update_incoming_webhook;
    delete_incoming_webhook: delete_incoming_webhook;
    get_outgoing_webhooks: get_outgoing_webhooks;
    create_outgoing_webhook: create_outgoing_webhook;
    get_outgoing_webhook: get_outgoing_webhook;
    update_outgoing_webhook: update_outgoing_webhook;
    delete_outgoing_webhook: delete_outgoing_webhook;
    regen_outgoing_hook_token: regen_outgoing_hook_token;
}
