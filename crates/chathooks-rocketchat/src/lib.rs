//! The Rocket.Chat v1 dialect of `chathooks serve`: the integrations API,
//! implemented over the generated `chathooks_rocketchat_server::Api` trait.
//! The server knows it only through [`REGISTRATION`] (see
//! `chathooks_dialect`).
//!
//! It is served on the same port as the Mattermost API and works on the same
//! store, so both APIs see one world:
//!
//! - **Users and sessions** are shared ([`auth`], [`users`]): `X-Auth-Token` is
//!   a session token of either API's login, and `X-User-Id` must be its user.
//! - **Rooms are channels** ([`rooms`]). Rooms outside Rocket.Chat's teams
//!   ([`teams`]: a core team each, with a main room of its name) go to a team
//!   named `rocketchat` (created on demand), and a room
//!   name is looked up across all teams (oldest live public or private channel
//!   with that name), then as a room id. `@user` is a direct-message room.
//! - **Messages are posts** ([`chat`]): Rocket.Chat's message fields live in
//!   post props under the Mattermost API's names, and posts by integrations
//!   carry Mattermost's `from_webhook` mark, which both APIs' outgoing hooks
//!   skip (loop protection).
//! - **Permissions** ([`auth::has_permission`]): system administrators hold
//!   every Rocket.Chat permission; other users hold
//!   `manage-own-incoming-integrations`, `manage-own-outgoing-integrations` and
//!   `create-c`. The own-* permissions restrict a user to the integrations they
//!   created.
//!   Edits, deletions and reactions ([`chat`]) and uploads ([`uploads`]) go
//!   through the core, so both APIs (and their events) see them.
//! - **Integrations** are stored as Rocket.Chat documents ([`integrations`],
//!   checked by [`settings`]); incoming ones run at `/hooks/{id}/{token}`
//!   ([`execute`]), outgoing ones fire on new messages ([`outgoing`], the
//!   `Outgoing` of the core's delivery queue, whose worker makes the calls
//!   and their retries).
//! - **Bodies** are JSON or forms: the spec gives both media types one schema,
//!   and [`body_of!`] takes the body out of whichever was sent.
//!
//! Every operation returns `RcResult<Response>`; errors become Rocket.Chat's
//! error answers in [`error`], including those of requests the generated
//! router refused (`request_error`).

/// The body of an operation that takes one schema as JSON or as a form (the
/// generated `Body` has a variant per media type, both of that schema's type).
macro_rules! body_of {
    ($request:expr, $op:ident) => {
        match $request.body {
            chathooks_rocketchat_server::ops::$op::Body::Json(body)
            | chathooks_rocketchat_server::ops::$op::Body::Form(body) => body,
        }
    };
}

mod auth;
mod chat;
mod chat_send;
mod defaults;
mod dialect;
mod error;
mod execute;
mod integration;
mod integration_history;
mod integrations;
mod outgoing;
mod permissions_api;
mod realtime;
mod room_delete;
mod room_lists;
mod rooms;
mod rooms_info;
mod scripts;
mod seed;
mod settings;
mod settings_api;
mod teams;
mod time;
mod uploads;
mod user_delete;
mod users;
mod wire;

pub use self::dialect::REGISTRATION;

use std::sync::Arc;

use chathooks_rocketchat_server::{Api, Credentials, ops};
use chathooks_runtime::RequestError;

use self::auth::authenticate;
use self::error::respond;
use self::scripts::Scripts;
use chathooks_core::Core;

/// The generated router over this implementation. Incoming integrations'
/// requests are also kept raw ([`execute::keep_raw`]) for their scripts. The
/// Realtime API ([`realtime`], which OpenAPI cannot describe) is beside it.
fn router(
    state: Arc<Core>,
    scripts: Arc<Scripts>,
    limits: chathooks_dialect::RealtimeLimits,
    sessions: Arc<realtime::Sessions>,
) -> axum::Router {
    let realtime = realtime::router(state.clone(), limits, sessions);
    chathooks_rocketchat_server::router(Arc::new(RocketChat { state, scripts }))
        .route_layer(axum::middleware::from_fn(execute::keep_raw))
        .merge(realtime)
}

struct RocketChat {
    state: Arc<Core>,
    scripts: Arc<Scripts>,
}

/// Authenticate, run the operation, answer errors in Rocket.Chat's shapes.
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

impl Api for RocketChat {
    async fn login(&self, request: ops::login::Request) -> ops::login::Response {
        respond(users::login(&self.state, request).await)
    }

    async fn me(&self, credentials: Credentials, request: ops::me::Request) -> ops::me::Response {
        authenticated!(self, credentials, request, users::me)
    }

    async fn users_create(
        &self,
        credentials: Credentials,
        request: ops::users_create::Request,
    ) -> ops::users_create::Response {
        authenticated!(self, credentials, request, users::users_create)
    }

    async fn channels_create(
        &self,
        credentials: Credentials,
        request: ops::channels_create::Request,
    ) -> ops::channels_create::Response {
        authenticated!(self, credentials, request, rooms::channels_create)
    }

    async fn channels_info(
        &self,
        credentials: Credentials,
        request: ops::channels_info::Request,
    ) -> ops::channels_info::Response {
        authenticated!(self, credentials, request, rooms::channels_info)
    }

    async fn channels_history(
        &self,
        credentials: Credentials,
        request: ops::channels_history::Request,
    ) -> ops::channels_history::Response {
        authenticated!(self, credentials, request, rooms::channels_history)
    }

    async fn channels_messages(
        &self,
        credentials: Credentials,
        request: ops::channels_messages::Request,
    ) -> ops::channels_messages::Response {
        authenticated!(self, credentials, request, room_lists::channels_messages)
    }

    async fn channels_members(
        &self,
        credentials: Credentials,
        request: ops::channels_members::Request,
    ) -> ops::channels_members::Response {
        authenticated!(self, credentials, request, room_lists::channels_members)
    }

    async fn groups_create(
        &self,
        credentials: Credentials,
        request: ops::groups_create::Request,
    ) -> ops::groups_create::Response {
        authenticated!(self, credentials, request, room_lists::groups_create)
    }

    async fn groups_messages(
        &self,
        credentials: Credentials,
        request: ops::groups_messages::Request,
    ) -> ops::groups_messages::Response {
        authenticated!(self, credentials, request, room_lists::groups_messages)
    }

    async fn groups_members(
        &self,
        credentials: Credentials,
        request: ops::groups_members::Request,
    ) -> ops::groups_members::Response {
        authenticated!(self, credentials, request, room_lists::groups_members)
    }

    async fn chat_post_message(
        &self,
        credentials: Credentials,
        request: ops::chat_post_message::Request,
    ) -> ops::chat_post_message::Response {
        authenticated!(self, credentials, request, chat::chat_post_message)
    }

    async fn integrations_create(
        &self,
        credentials: Credentials,
        request: ops::integrations_create::Request,
    ) -> ops::integrations_create::Response {
        respond(
            async {
                let caller = authenticate(&self.state, &credentials).await?;
                integrations::integrations_create(&self.state, &self.scripts, caller, request).await
            }
            .await,
        )
    }

    async fn integrations_update(
        &self,
        credentials: Credentials,
        request: ops::integrations_update::Request,
    ) -> ops::integrations_update::Response {
        respond(
            async {
                let caller = authenticate(&self.state, &credentials).await?;
                integrations::integrations_update(&self.state, &self.scripts, caller, request).await
            }
            .await,
        )
    }

    // ----- administration: permissions and settings -----

    async fn permissions_list_all(
        &self,
        credentials: Credentials,
        request: ops::permissions_list_all::Request,
    ) -> ops::permissions_list_all::Response {
        authenticated!(self, credentials, request, permissions_api::permissions_list_all)
    }

    async fn permissions_update(
        &self,
        credentials: Credentials,
        request: ops::permissions_update::Request,
    ) -> ops::permissions_update::Response {
        authenticated!(self, credentials, request, permissions_api::permissions_update)
    }

    async fn settings_get(
        &self,
        credentials: Credentials,
        request: ops::settings_get::Request,
    ) -> ops::settings_get::Response {
        authenticated!(self, credentials, request, settings_api::settings_get)
    }

    async fn settings_set(
        &self,
        credentials: Credentials,
        request: ops::settings_set::Request,
    ) -> ops::settings_set::Response {
        authenticated!(self, credentials, request, settings_api::settings_set)
    }

    async fn integrations_get(
        &self,
        credentials: Credentials,
        request: ops::integrations_get::Request,
    ) -> ops::integrations_get::Response {
        authenticated!(self, credentials, request, integrations::integrations_get)
    }

    async fn integrations_list(
        &self,
        credentials: Credentials,
        request: ops::integrations_list::Request,
    ) -> ops::integrations_list::Response {
        authenticated!(self, credentials, request, integrations::integrations_list)
    }

    async fn integrations_remove(
        &self,
        credentials: Credentials,
        request: ops::integrations_remove::Request,
    ) -> ops::integrations_remove::Response {
        respond(
            async {
                let caller = authenticate(&self.state, &credentials).await?;
                integrations::integrations_remove(&self.state, &self.scripts, caller, request).await
            }
            .await,
        )
    }

    async fn integrations_clear_history(
        &self,
        credentials: Credentials,
        request: ops::integrations_clear_history::Request,
    ) -> ops::integrations_clear_history::Response {
        authenticated!(
            self,
            credentials,
            request,
            integration_history::integrations_clear_history
        )
    }

    async fn integrations_replay_outgoing(
        &self,
        credentials: Credentials,
        request: ops::integrations_replay_outgoing::Request,
    ) -> ops::integrations_replay_outgoing::Response {
        authenticated!(
            self,
            credentials,
            request,
            integration_history::integrations_replay_outgoing
        )
    }

    async fn channels_delete(
        &self,
        credentials: Credentials,
        request: ops::channels_delete::Request,
    ) -> ops::channels_delete::Response {
        authenticated!(self, credentials, request, room_delete::channels_delete)
    }

    async fn groups_delete(
        &self,
        credentials: Credentials,
        request: ops::groups_delete::Request,
    ) -> ops::groups_delete::Response {
        authenticated!(self, credentials, request, room_delete::groups_delete)
    }

    async fn integrations_history(
        &self,
        credentials: Credentials,
        request: ops::integrations_history::Request,
    ) -> ops::integrations_history::Response {
        authenticated!(self, credentials, request, integrations::integrations_history)
    }

    async fn logout(&self, credentials: Credentials, request: ops::logout::Request) -> ops::logout::Response {
        authenticated!(self, credentials, request, users::logout)
    }

    async fn info(&self, request: ops::info::Request) -> ops::info::Response {
        respond(users::info(&self.state, request).await)
    }

    async fn users_info(
        &self,
        credentials: Credentials,
        request: ops::users_info::Request,
    ) -> ops::users_info::Response {
        authenticated!(self, credentials, request, users::users_info)
    }

    async fn users_delete(
        &self,
        credentials: Credentials,
        request: ops::users_delete::Request,
    ) -> ops::users_delete::Response {
        authenticated!(self, credentials, request, user_delete::users_delete)
    }

    async fn teams_create(
        &self,
        credentials: Credentials,
        request: ops::teams_create::Request,
    ) -> ops::teams_create::Response {
        authenticated!(self, credentials, request, teams::teams_create)
    }

    async fn teams_delete(
        &self,
        credentials: Credentials,
        request: ops::teams_delete::Request,
    ) -> ops::teams_delete::Response {
        authenticated!(self, credentials, request, teams::teams_delete)
    }

    async fn im_create(&self, credentials: Credentials, request: ops::im_create::Request) -> ops::im_create::Response {
        authenticated!(self, credentials, request, rooms::im_create)
    }

    async fn dm_create(&self, credentials: Credentials, request: ops::dm_create::Request) -> ops::dm_create::Response {
        authenticated!(self, credentials, request, rooms::dm_create)
    }

    async fn channels_list(
        &self,
        credentials: Credentials,
        request: ops::channels_list::Request,
    ) -> ops::channels_list::Response {
        authenticated!(self, credentials, request, rooms::channels_list)
    }

    async fn channels_join(
        &self,
        credentials: Credentials,
        request: ops::channels_join::Request,
    ) -> ops::channels_join::Response {
        authenticated!(self, credentials, request, rooms::channels_join)
    }

    async fn channels_leave(
        &self,
        credentials: Credentials,
        request: ops::channels_leave::Request,
    ) -> ops::channels_leave::Response {
        authenticated!(self, credentials, request, rooms::channels_leave)
    }

    async fn channels_archive(
        &self,
        credentials: Credentials,
        request: ops::channels_archive::Request,
    ) -> ops::channels_archive::Response {
        authenticated!(self, credentials, request, rooms::channels_archive)
    }

    async fn chat_update(
        &self,
        credentials: Credentials,
        request: ops::chat_update::Request,
    ) -> ops::chat_update::Response {
        authenticated!(self, credentials, request, chat::chat_update)
    }

    async fn chat_delete(
        &self,
        credentials: Credentials,
        request: ops::chat_delete::Request,
    ) -> ops::chat_delete::Response {
        authenticated!(self, credentials, request, chat::chat_delete)
    }

    async fn chat_react(
        &self,
        credentials: Credentials,
        request: ops::chat_react::Request,
    ) -> ops::chat_react::Response {
        authenticated!(self, credentials, request, chat::chat_react)
    }

    async fn rooms_upload(
        &self,
        credentials: Credentials,
        request: ops::rooms_upload::Request,
    ) -> ops::rooms_upload::Response {
        authenticated!(self, credentials, request, uploads::rooms_upload)
    }

    async fn rooms_media(
        &self,
        credentials: Credentials,
        request: ops::rooms_media::Request,
    ) -> ops::rooms_media::Response {
        authenticated!(self, credentials, request, uploads::rooms_media)
    }

    async fn rooms_media_confirm(
        &self,
        credentials: Credentials,
        request: ops::rooms_media_confirm::Request,
    ) -> ops::rooms_media_confirm::Response {
        authenticated!(self, credentials, request, uploads::rooms_media_confirm)
    }

    async fn execute_incoming_webhook(
        &self,
        request: ops::execute_incoming_webhook::Request,
    ) -> ops::execute_incoming_webhook::Response {
        respond(execute::execute_incoming_webhook(&self.state, &self.scripts, request).await)
    }

    async fn rooms_info(
        &self,
        credentials: Credentials,
        request: ops::rooms_info::Request,
    ) -> ops::rooms_info::Response {
        authenticated!(self, credentials, request, rooms_info::rooms_info)
    }

    async fn chat_send_message(
        &self,
        credentials: Credentials,
        request: ops::chat_send_message::Request,
    ) -> ops::chat_send_message::Response {
        authenticated!(self, credentials, request, chat_send::chat_send_message)
    }

    fn request_error(&self, error: RequestError) -> axum::response::Response {
        error::request_error(&error)
    }
}
