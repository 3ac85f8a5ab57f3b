//! The Mattermost v4 dialect of `chathooks serve`: the generated
//! `chathooks_mattermost_server::Api` trait implemented over the domain core,
//! the WebSocket, and outgoing webhooks. The server knows it only through
//! [`REGISTRATION`] (see `chathooks_dialect`).
//!
//! Each operation lives in the module of its resource and returns
//! `ApiResult<Response>`; errors become AppError answers in [`error`].

/// This dialect's name, in the delivery queue (`DeliveryJob::dialect`) and
/// the descriptor.
pub(crate) const DIALECT: &str = "mattermost";

mod actions;
mod auth;
mod bots;
mod channels;
mod commands;
mod config;
mod convert;
mod dialect;
mod dialogs;
mod error;
mod execute;
mod files;
mod hooks;
mod human;
mod outgoing;
mod page_answers;
mod posts;
mod reactions;
mod roles;
mod seed;
mod slash;
mod teams;
mod tokens;
pub mod users;
mod websocket;

pub use self::dialect::REGISTRATION;

use std::sync::Arc;

use axum::http::StatusCode;
use chathooks_mattermost_server::{Api, Credentials, ops};
use chathooks_runtime::{Location, RequestError, RequestErrorKind};

use self::auth::authenticate;
use self::error::{ApiError, respond};
use chathooks_core::Core;

/// The generated router over this implementation, and the WebSocket (which
/// OpenAPI cannot describe).
fn router(state: Arc<Core>, limits: chathooks_dialect::WebSocketLimits) -> axum::Router {
    let websocket = axum::Router::new()
        .route("/api/v4/websocket", axum::routing::get(websocket::upgrade))
        .with_state(websocket::Shared {
            core: state.clone(),
            limits,
        });
    chathooks_mattermost_server::router(Arc::new(Mattermost {
        state: state.clone(),
        incoming_pages: hooks::IncomingPages::default(),
    }))
    .merge(websocket)
    // Cookie-authenticated state changes need Mattermost's CSRF header.
    .layer(auth::CsrfLayer(state))
}

/// The answer of operations with nothing else to say.
pub fn status_ok() -> chathooks_mattermost_types::StatusOk {
    chathooks_mattermost_types::StatusOk {
        status: chathooks_mattermost_types::StatusOkStatus::Ok,
    }
}

/// Paging as Mattermost does it: `per_page` 60 by default, at most 200 (silently).
pub fn paging(page: i64, per_page: i64) -> (u32, u32) {
    let page = u32::try_from(page.max(0)).unwrap_or(u32::MAX);
    (page, clamp_per_page(per_page))
}

pub fn clamp_per_page(per_page: i64) -> u32 {
    if per_page <= 0 {
        60
    } else {
        u32::try_from(per_page.min(200)).unwrap_or(200)
    }
}

pub struct Mattermost {
    pub state: Arc<Core>,
    /// Encoded pages of the incoming-hook list ([`hooks::get_incoming_webhooks`]).
    incoming_pages: hooks::IncomingPages,
}

/// Authenticate, run the operation, answer errors as AppError.
macro_rules! authenticated {
    ($self:ident, $credentials:ident, $request:ident, $operation:path) => {
        respond(
            async {
                let caller = authenticate(&$self.state, &$credentials).await?;
                $operation(&$self.state, caller, $request).await
            }
            .await,
        )
    };
}

impl Api for Mattermost {
    async fn get_incoming_webhooks(
        &self,
        credentials: Credentials,
        request: ops::get_incoming_webhooks::Request,
    ) -> ops::get_incoming_webhooks::Response {
        respond(
            async {
                let caller = authenticate(&self.state, &credentials).await?;
                hooks::get_incoming_webhooks(&self.state, &self.incoming_pages, caller, request).await
            }
            .await,
        )
    }

    async fn create_incoming_webhook(
        &self,
        credentials: Credentials,
        request: ops::create_incoming_webhook::Request,
    ) -> ops::create_incoming_webhook::Response {
        authenticated!(self, credentials, request, hooks::create_incoming_webhook)
    }

    async fn get_incoming_webhook(
        &self,
        credentials: Credentials,
        request: ops::get_incoming_webhook::Request,
    ) -> ops::get_incoming_webhook::Response {
        authenticated!(self, credentials, request, hooks::get_incoming_webhook)
    }

    async fn update_incoming_webhook(
        &self,
        credentials: Credentials,
        request: ops::update_incoming_webhook::Request,
    ) -> ops::update_incoming_webhook::Response {
        authenticated!(self, credentials, request, hooks::update_incoming_webhook)
    }

    async fn delete_incoming_webhook(
        &self,
        credentials: Credentials,
        request: ops::delete_incoming_webhook::Request,
    ) -> ops::delete_incoming_webhook::Response {
        authenticated!(self, credentials, request, hooks::delete_incoming_webhook)
    }

    async fn get_outgoing_webhooks(
        &self,
        credentials: Credentials,
        request: ops::get_outgoing_webhooks::Request,
    ) -> ops::get_outgoing_webhooks::Response {
        authenticated!(self, credentials, request, hooks::get_outgoing_webhooks)
    }

    async fn create_outgoing_webhook(
        &self,
        credentials: Credentials,
        request: ops::create_outgoing_webhook::Request,
    ) -> ops::create_outgoing_webhook::Response {
        authenticated!(self, credentials, request, hooks::create_outgoing_webhook)
    }

    async fn get_outgoing_webhook(
        &self,
        credentials: Credentials,
        request: ops::get_outgoing_webhook::Request,
    ) -> ops::get_outgoing_webhook::Response {
        authenticated!(self, credentials, request, hooks::get_outgoing_webhook)
    }

    async fn update_outgoing_webhook(
        &self,
        credentials: Credentials,
        request: ops::update_outgoing_webhook::Request,
    ) -> ops::update_outgoing_webhook::Response {
        authenticated!(self, credentials, request, hooks::update_outgoing_webhook)
    }

    async fn delete_outgoing_webhook(
        &self,
        credentials: Credentials,
        request: ops::delete_outgoing_webhook::Request,
    ) -> ops::delete_outgoing_webhook::Response {
        authenticated!(self, credentials, request, hooks::delete_outgoing_webhook)
    }

    async fn regen_outgoing_hook_token(
        &self,
        credentials: Credentials,
        request: ops::regen_outgoing_hook_token::Request,
    ) -> ops::regen_outgoing_hook_token::Response {
        authenticated!(self, credentials, request, hooks::regen_outgoing_hook_token)
    }

    async fn create_bot(
        &self,
        credentials: Credentials,
        request: ops::create_bot::Request,
    ) -> ops::create_bot::Response {
        authenticated!(self, credentials, request, bots::create_bot)
    }

    async fn get_bots(&self, credentials: Credentials, request: ops::get_bots::Request) -> ops::get_bots::Response {
        authenticated!(self, credentials, request, bots::get_bots)
    }

    async fn get_bot(&self, credentials: Credentials, request: ops::get_bot::Request) -> ops::get_bot::Response {
        authenticated!(self, credentials, request, bots::get_bot)
    }

    async fn patch_bot(&self, credentials: Credentials, request: ops::patch_bot::Request) -> ops::patch_bot::Response {
        authenticated!(self, credentials, request, bots::patch_bot)
    }

    async fn disable_bot(
        &self,
        credentials: Credentials,
        request: ops::disable_bot::Request,
    ) -> ops::disable_bot::Response {
        authenticated!(self, credentials, request, bots::disable_bot)
    }

    async fn enable_bot(
        &self,
        credentials: Credentials,
        request: ops::enable_bot::Request,
    ) -> ops::enable_bot::Response {
        authenticated!(self, credentials, request, bots::enable_bot)
    }

    async fn assign_bot(
        &self,
        credentials: Credentials,
        request: ops::assign_bot::Request,
    ) -> ops::assign_bot::Response {
        authenticated!(self, credentials, request, bots::assign_bot)
    }

    async fn convert_bot_to_user(
        &self,
        credentials: Credentials,
        request: ops::convert_bot_to_user::Request,
    ) -> ops::convert_bot_to_user::Response {
        authenticated!(self, credentials, request, bots::convert_bot_to_user)
    }

    async fn convert_user_to_bot(
        &self,
        credentials: Credentials,
        request: ops::convert_user_to_bot::Request,
    ) -> ops::convert_user_to_bot::Response {
        authenticated!(self, credentials, request, bots::convert_user_to_bot)
    }

    async fn list_commands(
        &self,
        credentials: Credentials,
        request: ops::list_commands::Request,
    ) -> ops::list_commands::Response {
        authenticated!(self, credentials, request, commands::list_commands)
    }

    async fn create_command(
        &self,
        credentials: Credentials,
        request: ops::create_command::Request,
    ) -> ops::create_command::Response {
        authenticated!(self, credentials, request, commands::create_command)
    }

    async fn get_command(
        &self,
        credentials: Credentials,
        request: ops::get_command::Request,
    ) -> ops::get_command::Response {
        authenticated!(self, credentials, request, commands::get_command)
    }

    async fn update_command(
        &self,
        credentials: Credentials,
        request: ops::update_command::Request,
    ) -> ops::update_command::Response {
        authenticated!(self, credentials, request, commands::update_command)
    }

    async fn delete_command(
        &self,
        credentials: Credentials,
        request: ops::delete_command::Request,
    ) -> ops::delete_command::Response {
        authenticated!(self, credentials, request, commands::delete_command)
    }

    async fn regen_command_token(
        &self,
        credentials: Credentials,
        request: ops::regen_command_token::Request,
    ) -> ops::regen_command_token::Response {
        authenticated!(self, credentials, request, commands::regen_command_token)
    }

    async fn list_autocomplete_commands(
        &self,
        credentials: Credentials,
        request: ops::list_autocomplete_commands::Request,
    ) -> ops::list_autocomplete_commands::Response {
        authenticated!(self, credentials, request, commands::list_autocomplete_commands)
    }

    async fn do_post_action(
        &self,
        credentials: Credentials,
        request: ops::do_post_action::Request,
    ) -> ops::do_post_action::Response {
        authenticated!(self, credentials, request, actions::do_post_action)
    }

    async fn execute_command(
        &self,
        credentials: Credentials,
        request: ops::execute_command::Request,
    ) -> ops::execute_command::Response {
        authenticated!(self, credentials, request, slash::execute_command)
    }

    async fn execute_command_webhook(
        &self,
        request: ops::execute_command_webhook::Request,
    ) -> ops::execute_command_webhook::Response {
        respond(slash::execute_command_webhook(&self.state, request).await)
    }

    async fn open_interactive_dialog(
        &self,
        request: ops::open_interactive_dialog::Request,
    ) -> ops::open_interactive_dialog::Response {
        respond(dialogs::open_interactive_dialog(&self.state, request).await)
    }

    async fn submit_interactive_dialog(
        &self,
        credentials: Credentials,
        request: ops::submit_interactive_dialog::Request,
    ) -> ops::submit_interactive_dialog::Response {
        authenticated!(self, credentials, request, dialogs::submit_interactive_dialog)
    }

    async fn execute_incoming_webhook(
        &self,
        request: ops::execute_incoming_webhook::Request,
    ) -> ops::execute_incoming_webhook::Response {
        respond(execute::execute_incoming_webhook(&self.state, request).await)
    }

    async fn login(&self, request: ops::login::Request) -> ops::login::Response {
        respond(users::login(&self.state, request).await)
    }

    async fn get_me(&self, credentials: Credentials, request: ops::get_me::Request) -> ops::get_me::Response {
        authenticated!(self, credentials, request, users::get_me)
    }

    async fn create_user(
        &self,
        credentials: Credentials,
        request: ops::create_user::Request,
    ) -> ops::create_user::Response {
        authenticated!(self, credentials, request, users::create_user)
    }

    async fn get_user(&self, credentials: Credentials, request: ops::get_user::Request) -> ops::get_user::Response {
        authenticated!(self, credentials, request, users::get_user)
    }

    async fn create_team(
        &self,
        credentials: Credentials,
        request: ops::create_team::Request,
    ) -> ops::create_team::Response {
        authenticated!(self, credentials, request, teams::create_team)
    }

    async fn get_team(&self, credentials: Credentials, request: ops::get_team::Request) -> ops::get_team::Response {
        authenticated!(self, credentials, request, teams::get_team)
    }

    async fn get_team_by_name(
        &self,
        credentials: Credentials,
        request: ops::get_team_by_name::Request,
    ) -> ops::get_team_by_name::Response {
        authenticated!(self, credentials, request, teams::get_team_by_name)
    }

    async fn add_team_member(
        &self,
        credentials: Credentials,
        request: ops::add_team_member::Request,
    ) -> ops::add_team_member::Response {
        authenticated!(self, credentials, request, teams::add_team_member)
    }

    async fn update_team(
        &self,
        credentials: Credentials,
        request: ops::update_team::Request,
    ) -> ops::update_team::Response {
        authenticated!(self, credentials, request, teams::update_team)
    }

    async fn remove_team_member(
        &self,
        credentials: Credentials,
        request: ops::remove_team_member::Request,
    ) -> ops::remove_team_member::Response {
        authenticated!(self, credentials, request, teams::remove_team_member)
    }

    async fn create_channel(
        &self,
        credentials: Credentials,
        request: ops::create_channel::Request,
    ) -> ops::create_channel::Response {
        authenticated!(self, credentials, request, channels::create_channel)
    }

    async fn get_channel(
        &self,
        credentials: Credentials,
        request: ops::get_channel::Request,
    ) -> ops::get_channel::Response {
        authenticated!(self, credentials, request, channels::get_channel)
    }

    async fn get_channel_by_name(
        &self,
        credentials: Credentials,
        request: ops::get_channel_by_name::Request,
    ) -> ops::get_channel_by_name::Response {
        authenticated!(self, credentials, request, channels::get_channel_by_name)
    }

    async fn add_channel_member(
        &self,
        credentials: Credentials,
        request: ops::add_channel_member::Request,
    ) -> ops::add_channel_member::Response {
        authenticated!(self, credentials, request, channels::add_channel_member)
    }

    async fn create_post(
        &self,
        credentials: Credentials,
        request: ops::create_post::Request,
    ) -> ops::create_post::Response {
        authenticated!(self, credentials, request, posts::create_post)
    }

    async fn get_posts_for_channel(
        &self,
        credentials: Credentials,
        request: ops::get_posts_for_channel::Request,
    ) -> ops::get_posts_for_channel::Response {
        authenticated!(self, credentials, request, posts::get_posts_for_channel)
    }

    async fn get_all_teams(
        &self,
        credentials: Credentials,
        request: ops::get_all_teams::Request,
    ) -> ops::get_all_teams::Response {
        authenticated!(self, credentials, request, teams::get_all_teams)
    }

    async fn get_channel_members(
        &self,
        credentials: Credentials,
        request: ops::get_channel_members::Request,
    ) -> ops::get_channel_members::Response {
        authenticated!(self, credentials, request, channels::get_channel_members)
    }

    async fn get_user_by_username(
        &self,
        credentials: Credentials,
        request: ops::get_user_by_username::Request,
    ) -> ops::get_user_by_username::Response {
        authenticated!(self, credentials, request, users::get_user_by_username)
    }

    async fn get_teams_for_user(
        &self,
        credentials: Credentials,
        request: ops::get_teams_for_user::Request,
    ) -> ops::get_teams_for_user::Response {
        authenticated!(self, credentials, request, teams::get_teams_for_user)
    }

    async fn get_user_access_tokens_for_user(
        &self,
        credentials: Credentials,
        request: ops::get_user_access_tokens_for_user::Request,
    ) -> ops::get_user_access_tokens_for_user::Response {
        authenticated!(self, credentials, request, tokens::get_user_access_tokens_for_user)
    }

    async fn create_user_access_token(
        &self,
        credentials: Credentials,
        request: ops::create_user_access_token::Request,
    ) -> ops::create_user_access_token::Response {
        authenticated!(self, credentials, request, tokens::create_user_access_token)
    }

    async fn revoke_user_access_token(
        &self,
        credentials: Credentials,
        request: ops::revoke_user_access_token::Request,
    ) -> ops::revoke_user_access_token::Response {
        authenticated!(self, credentials, request, tokens::revoke_user_access_token)
    }

    async fn disable_user_access_token(
        &self,
        credentials: Credentials,
        request: ops::disable_user_access_token::Request,
    ) -> ops::disable_user_access_token::Response {
        authenticated!(self, credentials, request, tokens::disable_user_access_token)
    }

    async fn enable_user_access_token(
        &self,
        credentials: Credentials,
        request: ops::enable_user_access_token::Request,
    ) -> ops::enable_user_access_token::Response {
        authenticated!(self, credentials, request, tokens::enable_user_access_token)
    }

    async fn get_channel_by_name_for_team_name(
        &self,
        credentials: Credentials,
        request: ops::get_channel_by_name_for_team_name::Request,
    ) -> ops::get_channel_by_name_for_team_name::Response {
        authenticated!(self, credentials, request, channels::get_channel_by_name_for_team_name)
    }

    async fn create_direct_channel(
        &self,
        credentials: Credentials,
        request: ops::create_direct_channel::Request,
    ) -> ops::create_direct_channel::Response {
        authenticated!(self, credentials, request, channels::create_direct_channel)
    }

    async fn get_post(&self, credentials: Credentials, request: ops::get_post::Request) -> ops::get_post::Response {
        authenticated!(self, credentials, request, posts::get_post)
    }

    async fn update_post(
        &self,
        credentials: Credentials,
        request: ops::update_post::Request,
    ) -> ops::update_post::Response {
        authenticated!(self, credentials, request, posts::update_post)
    }

    async fn delete_post(
        &self,
        credentials: Credentials,
        request: ops::delete_post::Request,
    ) -> ops::delete_post::Response {
        authenticated!(self, credentials, request, posts::delete_post)
    }

    async fn patch_post(
        &self,
        credentials: Credentials,
        request: ops::patch_post::Request,
    ) -> ops::patch_post::Response {
        authenticated!(self, credentials, request, posts::patch_post)
    }

    async fn get_post_thread(
        &self,
        credentials: Credentials,
        request: ops::get_post_thread::Request,
    ) -> ops::get_post_thread::Response {
        authenticated!(self, credentials, request, posts::get_post_thread)
    }

    async fn create_post_ephemeral(
        &self,
        credentials: Credentials,
        request: ops::create_post_ephemeral::Request,
    ) -> ops::create_post_ephemeral::Response {
        authenticated!(self, credentials, request, posts::create_post_ephemeral)
    }

    async fn save_reaction(
        &self,
        credentials: Credentials,
        request: ops::save_reaction::Request,
    ) -> ops::save_reaction::Response {
        authenticated!(self, credentials, request, reactions::save_reaction)
    }

    async fn get_reactions(
        &self,
        credentials: Credentials,
        request: ops::get_reactions::Request,
    ) -> ops::get_reactions::Response {
        authenticated!(self, credentials, request, reactions::get_reactions)
    }

    async fn delete_reaction(
        &self,
        credentials: Credentials,
        request: ops::delete_reaction::Request,
    ) -> ops::delete_reaction::Response {
        authenticated!(self, credentials, request, reactions::delete_reaction)
    }

    async fn upload_file(
        &self,
        credentials: Credentials,
        request: ops::upload_file::Request,
    ) -> ops::upload_file::Response {
        authenticated!(self, credentials, request, files::upload_file)
    }

    async fn get_file(&self, credentials: Credentials, request: ops::get_file::Request) -> ops::get_file::Response {
        authenticated!(self, credentials, request, files::get_file)
    }

    async fn get_file_info(
        &self,
        credentials: Credentials,
        request: ops::get_file_info::Request,
    ) -> ops::get_file_info::Response {
        authenticated!(self, credentials, request, files::get_file_info)
    }

    async fn logout(&self, credentials: Option<Credentials>, request: ops::logout::Request) -> ops::logout::Response {
        respond(users::logout(&self.state, credentials, request).await)
    }

    // ----- administration: configuration, roles, team member roles -----

    async fn get_config(
        &self,
        credentials: Credentials,
        request: ops::get_config::Request,
    ) -> ops::get_config::Response {
        authenticated!(self, credentials, request, config::get_config)
    }

    async fn update_config(
        &self,
        credentials: Credentials,
        request: ops::update_config::Request,
    ) -> ops::update_config::Response {
        authenticated!(self, credentials, request, config::update_config)
    }

    async fn patch_config(
        &self,
        credentials: Credentials,
        request: ops::patch_config::Request,
    ) -> ops::patch_config::Response {
        authenticated!(self, credentials, request, config::patch_config)
    }

    async fn get_role_by_name(
        &self,
        credentials: Credentials,
        request: ops::get_role_by_name::Request,
    ) -> ops::get_role_by_name::Response {
        authenticated!(self, credentials, request, roles::get_role_by_name)
    }

    async fn get_roles_by_names(
        &self,
        credentials: Credentials,
        request: ops::get_roles_by_names::Request,
    ) -> ops::get_roles_by_names::Response {
        authenticated!(self, credentials, request, roles::get_roles_by_names)
    }

    async fn get_role(&self, credentials: Credentials, request: ops::get_role::Request) -> ops::get_role::Response {
        authenticated!(self, credentials, request, roles::get_role)
    }

    async fn patch_role(
        &self,
        credentials: Credentials,
        request: ops::patch_role::Request,
    ) -> ops::patch_role::Response {
        authenticated!(self, credentials, request, roles::patch_role)
    }

    async fn update_team_member_roles(
        &self,
        credentials: Credentials,
        request: ops::update_team_member_roles::Request,
    ) -> ops::update_team_member_roles::Response {
        authenticated!(self, credentials, request, roles::update_team_member_roles)
    }

    async fn get_ping(&self, _request: ops::get_ping::Request) -> ops::get_ping::Response {
        ops::get_ping::Response::Ok(chathooks_mattermost_types::SystemStatus { status: "OK".into() })
    }

    fn request_error(&self, error: RequestError) -> axum::response::Response {
        app_error_for(&error).into_http()
    }
}

/// Mattermost's error ids for requests the generated router refused.
fn app_error_for(error: &RequestError) -> ApiError {
    match &error.kind {
        RequestErrorKind::Unauthenticated => ApiError::session_expired(),
        RequestErrorKind::PayloadTooLarge if error.operation_id == "UploadFile" => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "api.file.upload_file.too_large_detailed.app_error",
            "Unable to upload file(s): the request is larger than the server's file size limit.",
        ),
        RequestErrorKind::PayloadTooLarge => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "api.context.request_body_too_large.app_error",
            "The request body is too large.",
        ),
        RequestErrorKind::UnsupportedMediaType { content_type } => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "api.context.invalid_body_param.app_error",
            format!("Unsupported content type '{content_type}'."),
        ),
        RequestErrorKind::Invalid(issues) => {
            let detail = error.to_string();
            let Some(issue) = issues.first() else {
                return ApiError::invalid_body_param("body").detailed(detail);
            };
            match issue.location {
                Location::Body => {
                    let field = issue
                        .property
                        .clone()
                        .or_else(|| {
                            issue
                                .pointer
                                .trim_start_matches('/')
                                .split('/')
                                .next()
                                .map(str::to_owned)
                        })
                        .filter(|f| !f.is_empty())
                        .unwrap_or_else(|| "body".to_owned());
                    field_error(error.operation_id, &field)
                        .unwrap_or_else(|| ApiError::invalid_body_param(&field))
                        .detailed(detail)
                }
                _ => ApiError::invalid_url_param(&issue.name).detailed(detail),
            }
        }
    }
}

/// Field rules with their own ids in Mattermost (`IsValid` of the models).
fn field_error(operation_id: &str, field: &str) -> Option<ApiError> {
    let model = match operation_id {
        "CreateIncomingWebhook" | "UpdateIncomingWebhook" => "model.incoming_hook",
        "CreateOutgoingWebhook" | "UpdateOutgoingWebhook" => "model.outgoing_hook.is_valid",
        "ExecuteIncomingWebhook" => {
            return Some(ApiError::bad_request(
                "web.incoming_webhook.parse.app_error",
                "Unable to parse the incoming data.",
            ));
        }
        _ => return None,
    };
    // Property name -> the name Mattermost's `IsValid` uses in the error id.
    let known = [
        ("display_name", "display_name"),
        ("description", "description"),
        ("username", "username"),
        ("icon_url", "icon_url"),
        ("content_type", "content_type"),
        ("token", "token"),
        ("trigger_words", "words"),
        ("callback_urls", "callback"),
        ("trigger_when", "trigger_when"),
    ];
    known
        .iter()
        .find(|(property, _)| *property == field)
        .map(|(_, name)| ApiError::bad_request(format!("{model}.{name}.app_error"), format!("Invalid {field}.")))
}
