//! Sessions and permissions of the Rocket.Chat API.
//!
//! Sessions are the core's: `X-Auth-Token` is a session token of the shared
//! sessions table, so a token obtained through either API's login works with
//! both. Rocket.Chat also sends `X-User-Id`, which must name the
//! session's user.
//!
//! Rocket.Chat's permissions and roles are mapped onto the core's (see
//! [`has_permission`], [`ROLE_NAMES`]).

use chathooks_core::accounts::{self, AuthError};
use chathooks_core::permissions::{self, Permission as CorePermission};
use chathooks_rocketchat_server::Credentials;

use super::error::{RcError, RcResult};
use chathooks_core::Core;
use chathooks_core::accounts::Caller;
use chathooks_core::store::{Channel, RC_WEBHOOK_INCOMING, RcIntegration, RcVisibility, User};

/// The session behind `X-Auth-Token`, checked against `X-User-Id`: 401 when
/// there is none, it expired, its user is deactivated, or the ids differ.
pub(crate) async fn authenticate(state: &Core, credentials: &Credentials) -> RcResult<Caller> {
    let Credentials::AuthTokenUserId { auth_token, user_id } = credentials;
    let caller = accounts::authenticate(state, auth_token)
        .await
        .map_err(|error| match error {
            AuthError::Unauthenticated => RcError::Unauthorized,
            AuthError::Store(error) => error.into(),
        })?;
    if caller.user.id != *user_id {
        return Err(RcError::Unauthorized);
    }
    Ok(caller)
}

/// The Rocket.Chat permissions this server checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    ManageIncomingIntegrations,
    ManageOwnIncomingIntegrations,
    ManageOutgoingIntegrations,
    ManageOwnOutgoingIntegrations,
    CreateUser,
    /// Delete accounts (`users.delete`).
    DeleteUser,
    /// Create teams (`teams.create`).
    CreateTeam,
    /// Create public channels.
    CreateC,
    /// Set `alias`, `emoji` or `avatar` on a message.
    MessageImpersonate,
}

impl Permission {
    /// Every Rocket.Chat permission this server knows.
    pub(crate) const ALL: [Permission; 9] = [
        Permission::ManageIncomingIntegrations,
        Permission::ManageOwnIncomingIntegrations,
        Permission::ManageOutgoingIntegrations,
        Permission::ManageOwnOutgoingIntegrations,
        Permission::CreateUser,
        Permission::DeleteUser,
        Permission::CreateTeam,
        Permission::CreateC,
        Permission::MessageImpersonate,
    ];

    /// The core permission this one is.
    pub(crate) fn core(self) -> CorePermission {
        match self {
            Permission::ManageIncomingIntegrations => CorePermission::ManageOthersIncomingHooks,
            Permission::ManageOwnIncomingIntegrations => CorePermission::ManageOwnIncomingHooks,
            Permission::ManageOutgoingIntegrations => CorePermission::ManageOthersOutgoingHooks,
            Permission::ManageOwnOutgoingIntegrations => CorePermission::ManageOwnOutgoingHooks,
            Permission::CreateUser => CorePermission::CreateUser,
            Permission::DeleteUser => CorePermission::DeleteUser,
            Permission::CreateTeam => CorePermission::CreateTeam,
            Permission::CreateC => CorePermission::CreatePublicChannel,
            Permission::MessageImpersonate => CorePermission::Impersonate,
        }
    }

    /// Rocket.Chat's id of the permission.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Permission::ManageIncomingIntegrations => "manage-incoming-integrations",
            Permission::ManageOwnIncomingIntegrations => "manage-own-incoming-integrations",
            Permission::ManageOutgoingIntegrations => "manage-outgoing-integrations",
            Permission::ManageOwnOutgoingIntegrations => "manage-own-outgoing-integrations",
            Permission::CreateUser => "create-user",
            Permission::DeleteUser => "delete-user",
            Permission::CreateTeam => "create-team",
            Permission::CreateC => "create-c",
            Permission::MessageImpersonate => "message-impersonate",
        }
    }

    /// The permission with Rocket.Chat's id `id`.
    pub(crate) fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// Rocket.Chat's role names and the core's roles they are: `admin` is the
/// system administrator, `user` every account, `bot` the bot role, `owner`
/// a room's owner (a channel admin). Rocket.Chat's other roles (`moderator`,
/// `app`, `guest`, `livechat-*`...) have no counterpart here.
pub(crate) const ROLE_NAMES: [(&str, &str); 4] = [
    ("admin", permissions::ROLE_SYSTEM_ADMIN),
    ("user", permissions::ROLE_SYSTEM_USER),
    ("bot", permissions::ROLE_BOT),
    ("owner", permissions::ROLE_CHANNEL_ADMIN),
];

/// The core role behind Rocket.Chat's role `name`.
pub(crate) fn core_role(name: &str) -> Option<&'static str> {
    ROLE_NAMES.iter().find(|(rc, _)| *rc == name).map(|(_, core)| *core)
}

/// Does `user` hold `permission`? These are
/// the permissions of the user's system roles (`admin`, `user`, `bot`), as
/// stored in the core: by default Rocket.Chat's, so the four integration
/// permissions and `create-user` are the administrators' only.
pub(crate) async fn has_permission(state: &Core, user: &User, permission: Permission) -> RcResult<bool> {
    Ok(permissions::has_system_permission(state, user, permission.core()).await?)
}

/// [`has_permission`] as a 403.
pub(crate) async fn require(state: &Core, user: &User, permission: Permission) -> RcResult<()> {
    if has_permission(state, user, permission).await? {
        Ok(())
    } else {
        Err(RcError::Forbidden)
    }
}

/// The kind of an integration, with the pair of permissions that govern it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Incoming,
    Outgoing,
}

impl Kind {
    /// From a stored or requested `type`.
    pub(crate) fn of(integration_type: &str) -> Self {
        if integration_type == RC_WEBHOOK_INCOMING {
            Kind::Incoming
        } else {
            Kind::Outgoing
        }
    }

    /// `manage-*-integrations`: every integration of this kind.
    pub(crate) fn manage_all(self) -> Permission {
        match self {
            Kind::Incoming => Permission::ManageIncomingIntegrations,
            Kind::Outgoing => Permission::ManageOutgoingIntegrations,
        }
    }

    /// `manage-own-*-integrations`: integrations of this kind the user created.
    pub(crate) fn manage_own(self) -> Permission {
        match self {
            Kind::Incoming => Permission::ManageOwnIncomingIntegrations,
            Kind::Outgoing => Permission::ManageOwnOutgoingIntegrations,
        }
    }

    /// Does `user` hold either permission of this kind? (403 otherwise.)
    pub(crate) async fn may_manage_any(self, state: &Core, user: &User) -> RcResult<bool> {
        Ok(!matches!(self.visibility(state, user).await?, RcVisibility::Hidden))
    }

    /// Which integrations of this kind `user` may see and change.
    pub(crate) async fn visibility(self, state: &Core, user: &User) -> RcResult<RcVisibility> {
        Ok(if has_permission(state, user, self.manage_all()).await? {
            RcVisibility::All
        } else if has_permission(state, user, self.manage_own()).await? {
            RcVisibility::CreatedBy(user.id.clone())
        } else {
            RcVisibility::Hidden
        })
    }
}

/// May `user` see and change `integration`? `manage-*` covers every one of its
/// kind, `manage-own-*` those the user created.
pub(crate) async fn may_manage(state: &Core, user: &User, integration: &RcIntegration) -> RcResult<bool> {
    Ok(
        match Kind::of(&integration.integration_type).visibility(state, user).await? {
            RcVisibility::All => true,
            RcVisibility::CreatedBy(id) => integration.created_by == id,
            RcVisibility::Hidden => false,
        },
    )
}

/// Does any of the four integration permissions let `user` call the
/// integration endpoints at all?
pub(crate) async fn may_manage_integrations(state: &Core, user: &User) -> RcResult<bool> {
    Ok(Kind::Incoming.may_manage_any(state, user).await? || Kind::Outgoing.may_manage_any(state, user).await?)
}

/// May `user` read and post in `channel`? The core's one rule, the one the
/// Mattermost API applies: public channels to the members of their team,
/// private and direct rooms to their members, every room to system
/// administrators. (Rooms made through this API are in an open team that
/// `channels.join` and new accounts join, as Rocket.Chat's public rooms are
/// open to all; a room of another team is its members' only.)
pub(crate) async fn can_access_room(state: &Core, user: &User, channel: &Channel) -> RcResult<bool> {
    Ok(permissions::can_read_channel(state, user, channel).await?)
}

/// An integration posts as `poster`: 400 `error-not-allowed` (Rocket.Chat's
/// `canSendMessage` answer, as its webhook endpoint returns it) unless
/// `poster` may read and post in `room`. Checked for every destination an
/// integration reaches: its channels, a payload's `roomId`/`channel`, a
/// script's message, an outgoing integration's `targetRoom`.
pub(crate) async fn require_may_post(state: &Core, poster: &User, room: &Channel) -> RcResult<()> {
    if can_access_room(state, poster, room).await? {
        Ok(())
    } else {
        Err(RcError::failure("error-not-allowed"))
    }
}

/// An integration's poster who may post in a public room but is not in it
/// joins it first, as Rocket.Chat's webhook path does
/// (`getRoomByNameOrIdWithOptionToJoin` with `joinChannel`): its members list
/// then shows them, and the join is announced like any other. Call after
/// [`require_may_post`] has passed for every destination.
pub(crate) async fn join_public_room_to_post(state: &Core, poster: &User, room: &Channel) -> RcResult<()> {
    if room.channel_type == chathooks_core::store::CHANNEL_OPEN && !is_member(state, poster, room).await? {
        chathooks_core::channels::join_channel(state, room, poster, chathooks_core::store::ROLES_CHANNEL_USER).await?;
    }
    Ok(())
}

/// Is `user` a member of `channel` (Rocket.Chat: subscribed to the room)?
pub(crate) async fn is_member(state: &Core, user: &User, channel: &Channel) -> RcResult<bool> {
    Ok(permissions::is_channel_member(state, user, channel).await?)
}

/// The room permissions Rocket.Chat gives a room's owners (and admins) by
/// default, checked in one room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoomPermission {
    /// Edit others' messages.
    EditMessage,
    /// Delete others' messages.
    DeleteMessage,
    /// Delete others' messages as them (`asUser`).
    ForceDeleteMessage,
    ArchiveRoom,
    /// Delete a room (`delete-c` for public rooms, `delete-p` for private).
    DeleteRoom,
}

/// Does `user` hold `permission` in `channel`? System administrators hold
/// every room permission; a room's owner (its creator, a channel admin in the
/// Mattermost API's terms) holds them in that room.
pub(crate) async fn has_room_permission(
    state: &Core,
    user: &User,
    channel: &Channel,
    permission: RoomPermission,
) -> RcResult<bool> {
    if user.is_system_admin() {
        return Ok(true);
    }
    // Rocket.Chat's default roles for each: `admin` and `owner` (and
    // `moderator`, a role this server does not have, for the first two).
    let held_by_owners = match permission {
        RoomPermission::EditMessage
        | RoomPermission::DeleteMessage
        | RoomPermission::ForceDeleteMessage
        | RoomPermission::ArchiveRoom
        | RoomPermission::DeleteRoom => true,
    };
    Ok(held_by_owners && is_owner(state, user, channel).await?)
}

/// Is `user` an owner of `channel` (a member with the channel admin role)?
pub(crate) async fn is_owner(state: &Core, user: &User, channel: &Channel) -> RcResult<bool> {
    Ok(state
        .read()
        .get_channel_member(&channel.id, &user.id)
        .await?
        .is_some_and(|member| member.roles.split_whitespace().any(|role| role == ROLE_CHANNEL_ADMIN)))
}

/// The channel role that makes a member the room's owner.
pub(crate) const ROLE_CHANNEL_ADMIN: &str = "channel_admin";
