//! The human side of this API for the test API ([`chathooks_dialect::HumanSide`]):
//! running a slash command and clicking a message button as a user who
//! presents no token. Each act goes through the very handler of
//! `POST /api/v4/commands/execute` or
//! `POST /api/v4/posts/{post_id}/actions/{action_id}`, with a caller made
//! for the user (a session that exists nowhere but here: the handlers only
//! read the caller's user).

use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::store::{Session, User};
use chathooks_dialect::{ActRefusal, HumanSide};
use chathooks_mattermost_server::ops::{do_post_action, execute_command};
use chathooks_mattermost_types as types;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::Value;

use crate::error::ApiError;

pub(crate) struct Human;

/// `user` as the caller of a request, without a stored session.
fn caller_for(user: &User) -> Caller {
    Caller {
        user: user.clone(),
        session: Session {
            token: String::new(),
            user_id: user.id.clone(),
            create_at: 0,
            expires_at: 0,
            last_activity_at: 0,
        },
    }
}

fn refusal(error: ApiError) -> ActRefusal {
    let mut message = error.message;
    if !error.detailed.is_empty() {
        message = format!("{message} ({})", error.detailed);
    }
    ActRefusal {
        status: error.status.as_u16(),
        id: error.id,
        message,
    }
}

fn answer(body: &impl Serialize) -> Result<Value, ActRefusal> {
    serde_json::to_value(body).map_err(|error| refusal(ApiError::internal(error)))
}

/// A handler's answer other than its success: only errors, which the
/// handlers return as `Err`; kept apart in case an operation gains one.
fn unexpected(what: &str) -> ActRefusal {
    refusal(ApiError::internal(format!(
        "{what}: an answer the test API cannot read"
    )))
}

impl HumanSide for Human {
    fn run_command<'a>(
        &'a self,
        core: &'a Core,
        user: &'a User,
        channel: &'a str,
        line: &'a str,
    ) -> BoxFuture<'a, Result<Value, ActRefusal>> {
        Box::pin(async move {
            let request = execute_command::Request {
                body: types::ExecuteCommandBody {
                    channel_id: channel.to_owned(),
                    command: line.to_owned(),
                    parent_id: None,
                    root_id: None,
                    team_id: None,
                },
            };
            match crate::slash::execute_command(core, caller_for(user), request).await {
                Ok(execute_command::Response::Ok(body)) => answer(&body),
                Ok(_) => Err(unexpected("execute_command")),
                Err(error) => Err(refusal(error)),
            }
        })
    }

    fn click<'a>(
        &'a self,
        core: &'a Core,
        user: &'a User,
        post_id: &'a str,
        action_id: &'a str,
        selected_option: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, ActRefusal>> {
        Box::pin(async move {
            let request = do_post_action::Request {
                post_id: post_id.to_owned(),
                action_id: action_id.to_owned(),
                body: Some(types::DoPostActionRequest {
                    cookie: None,
                    selected_option: selected_option.map(str::to_owned),
                }),
            };
            match crate::actions::do_post_action(core, caller_for(user), request).await {
                Ok(do_post_action::Response::Ok(body)) => answer(&body),
                Ok(_) => Err(unexpected("do_post_action")),
                Err(error) => Err(refusal(error)),
            }
        })
    }
}
