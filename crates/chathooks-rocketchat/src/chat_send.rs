//! `chat.sendMessage`: a message object, as the `sendMessage` method takes it,
//! over REST (the SDK's `sendToRoom` and `sendDirectToUser` use it). The
//! checks are the method's ([`crate::realtime::send_message_rest`]).

use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_rocketchat_server::ops::chat_send_message;
use serde_json::{Value, json};

use crate::error::{RcError, RcResult};
use crate::wire;

pub(crate) async fn chat_send_message(
    state: &Core,
    caller: Caller,
    request: chat_send_message::Request,
) -> RcResult<chat_send_message::Response> {
    let Some(message) = request.body.message else {
        return Err(RcError::typed(
            "error-invalid-params",
            "The \"message\" parameter must be provided.",
        ));
    };
    let Value::Object(message) = serde_json::to_value(message).map_err(RcError::internal)? else {
        return Err(RcError::internal("a message object serialized to a non-object"));
    };
    let post = crate::realtime::send_message_rest(state, &caller, &message).await?;
    let message = wire::message(&post, Some(&caller.user));
    Ok(chat_send_message::Response::Ok(wire::typed(
        "chat.sendMessage answer",
        json!({"message": message, "success": true}),
    )?))
}
