//! Teams, channels and membership: the writes both APIs make, with the
//! events they publish.

use serde_json::json;

use crate::Core;
use crate::events::Event;
use crate::store::{Channel, ChannelMember, DirectoryStore, Store, StoreResult, Team, TeamMember, User, now_ms};

/// Channel roles of a channel's creator.
pub const ROLES_CHANNEL_ADMIN: &str = "channel_user channel_admin";

/// Team and channel names the Mattermost API accepts: 1 to 64 lowercase
/// letters, digits, `-` and `_`, starting with a letter or digit
/// (Mattermost's rule). Rocket.Chat rooms follow Rocket.Chat's rule instead
/// ([`crate::accounts::valid_rocketchat_name`]); names are one namespace,
/// compared without regard to case.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// The name of the direct-message channel of two users: their ids, lower
/// first, joined by `__` (Mattermost's rule; the same pair always gives the
/// same name, and a user's channel with themself is `<id>__<id>`).
pub fn direct_channel_name(user_a: &str, user_b: &str) -> String {
    let (low, high) = if user_a <= user_b {
        (user_a, user_b)
    } else {
        (user_b, user_a)
    };
    format!("{low}__{high}")
}

/// The member ids a direct channel's name holds ([`direct_channel_name`]
/// read back): two, or the same id twice for a user's channel with themself.
pub fn direct_channel_members(name: &str) -> impl Iterator<Item = &str> {
    name.split("__")
}

/// The member of a direct channel other than `user_id` (`user_id` itself for
/// a user's channel with themself).
pub fn direct_channel_peer<'a>(name: &'a str, user_id: &'a str) -> &'a str {
    direct_channel_members(name)
        .find(|id| *id != user_id)
        .unwrap_or(user_id)
}

/// A membership of `user_id` in `channel_id` with `roles`, starting now.
pub fn new_member(channel_id: &str, user_id: &str, roles: &str) -> ChannelMember {
    let now = now_ms();
    ChannelMember {
        channel_id: channel_id.to_owned(),
        user_id: user_id.to_owned(),
        roles: roles.to_owned(),
        last_viewed_at: now,
        msg_count: 0,
        mention_count: 0,
        notify_props: json!({"desktop": "default", "email": "default", "mark_unread": "all", "push": "default"}),
        last_update_at: now,
    }
}

/// The channel with this id unless it is archived.
pub async fn live_channel(core: &Core, id: &str) -> StoreResult<Option<Channel>> {
    Ok(core.store.get_channel(id).await?.filter(|c| c.delete_at == 0))
}

/// Store `channel` with `creator` as its first member (a channel admin).
pub async fn create_channel(core: &Core, channel: &Channel, creator: &User) -> StoreResult<Channel> {
    let channel = core.store.create_channel(channel).await?;
    core.emit(Event::ChannelCreated {
        channel: channel.clone(),
        creator: creator.clone(),
    })
    .await;
    join_channel(core, &channel, creator, ROLES_CHANNEL_ADMIN).await?;
    Ok(channel)
}

/// Store `channel` with no members (the seed file declares its members
/// apart) and publish `ChannelCreated` as made by `announced_by`.
pub async fn create_empty_channel(core: &Core, channel: &Channel, announced_by: &User) -> StoreResult<Channel> {
    let channel = core.store.create_channel(channel).await?;
    core.emit(Event::ChannelCreated {
        channel: channel.clone(),
        creator: announced_by.clone(),
    })
    .await;
    Ok(channel)
}

/// Make `user` a member of `channel` (an existing membership stays as it is).
pub async fn join_channel(core: &Core, channel: &Channel, user: &User, roles: &str) -> StoreResult<ChannelMember> {
    let member = core
        .store
        .add_channel_member(&new_member(&channel.id, &user.id, roles))
        .await?;
    core.emit(Event::ChannelJoined {
        channel: channel.clone(),
        user: user.clone(),
    })
    .await;
    Ok(member)
}

/// Make a new account a member of a server's default channel without
/// announcing it: Rocket.Chat's `addUserToDefaultChannels` runs none of the
/// join callbacks its outgoing integrations (`roomJoined`) listen to.
pub async fn join_default_channel(core: &Core, channel: &Channel, user: &User) -> StoreResult<ChannelMember> {
    core.store
        .add_channel_member(&new_member(&channel.id, &user.id, crate::store::ROLES_CHANNEL_USER))
        .await
}

/// End `user`'s membership of `channel`; `Ok(false)` if they were no member.
pub async fn leave_channel(core: &Core, channel: &Channel, user: &User) -> StoreResult<bool> {
    let left = core.store.remove_channel_member(&channel.id, &user.id).await?;
    if left {
        core.emit(Event::ChannelLeft {
            channel: channel.clone(),
            user: user.clone(),
        })
        .await;
    }
    Ok(left)
}

/// Archive a live channel on behalf of `by`. NotFound if it is archived already.
pub async fn archive_channel(core: &Core, channel: &Channel, by: &User) -> StoreResult<Channel> {
    let archived = core.store.archive_channel(&channel.id, now_ms()).await?;
    core.emit(Event::ChannelArchived {
        channel: archived.clone(),
        by: by.clone(),
    })
    .await;
    Ok(archived)
}

/// Delete `channel` for good on behalf of `by` (Rocket.Chat's `eraseRoom`):
/// its memberships, posts and files, and the Mattermost hooks that name it,
/// go with it; Rocket.Chat integrations keep naming it, as on Rocket.Chat,
/// and fail to post there. Publishes [`Event::ChannelDeleted`] with the
/// members it had, read before the delete (the memberships go with the
/// room), so live views can tell each of them. `Ok(false)` if it was gone
/// already.
pub async fn delete_channel(core: &Core, channel: &Channel, by: &User) -> StoreResult<bool> {
    let member_ids = all_member_ids(core, &channel.id).await?;
    let deleted = core.store.delete_channel(&channel.id).await?;
    if deleted {
        core.emit(Event::ChannelDeleted {
            channel: channel.clone(),
            by: by.clone(),
            member_ids,
        })
        .await;
    }
    Ok(deleted)
}

/// Every member id of a channel, page by page.
async fn all_member_ids(core: &Core, channel_id: &str) -> StoreResult<Vec<String>> {
    const PAGE: u32 = 200;
    let mut ids = Vec::new();
    for page in 0.. {
        let batch = core.store.list_channel_members(channel_id, page, PAGE).await?;
        let done = batch.len() < PAGE as usize;
        ids.extend(batch.into_iter().map(|m| m.user_id));
        if done {
            break;
        }
    }
    Ok(ids)
}

/// Store a new team. Conflict if the name is taken.
pub async fn create_team(core: &Core, team: &Team) -> StoreResult<Team> {
    core.store.create_team(team).await
}

/// Replace a team's record (its id stays). NotFound if it does not exist.
pub async fn update_team(core: &Core, team: &Team) -> StoreResult<Team> {
    core.store.update_team(team).await
}

/// End `user`'s membership of `team` (soft: the membership keeps its
/// `delete_at`) and of every channel of the team, each publishing
/// `ChannelLeft`, as Mattermost's `RemoveUserFromTeam` leaves them all.
/// `Ok(false)` if the user was no current member.
pub async fn remove_team_member(core: &Core, team: &Team, user: &User) -> StoreResult<bool> {
    let Some(member) = core.store.get_team_member(&team.id, &user.id).await? else {
        return Ok(false);
    };
    if member.delete_at != 0 {
        return Ok(false);
    }
    const PAGE: u32 = 200;
    let mut channels = Vec::new();
    for page in 0.. {
        let batch = core.store.list_team_channels(&team.id, page, PAGE).await?;
        let done = batch.len() < PAGE as usize;
        channels.extend(batch);
        if done {
            break;
        }
    }
    for channel in &channels {
        leave_channel(core, channel, user).await?;
    }
    core.store
        .add_team_member(&TeamMember {
            delete_at: now_ms(),
            ..member
        })
        .await?;
    Ok(true)
}

/// Add (or re-add, with these roles) a team membership.
pub async fn add_team_member(core: &Core, member: &TeamMember) -> StoreResult<TeamMember> {
    core.store.add_team_member(member).await
}

/// The direct-message channel of two users (named by
/// [`direct_channel_name`]), made with both memberships if it does not
/// exist yet.
pub async fn direct_channel(core: &Core, user_a: &str, user_b: &str) -> StoreResult<Channel> {
    core.store.get_or_create_direct_channel(user_a, user_b).await
}

/// Store `channel` with its `creator` as channel admin and `members` as plain
/// members, then publish one `ChannelCreated`, after the members (Rocket.Chat
/// fires `roomCreated`, not `roomJoined`, for the members a room is made
/// with). A member listed twice, or the creator among the members, joins once.
pub async fn create_channel_with_members(
    core: &Core,
    channel: &Channel,
    creator: &User,
    members: &[User],
) -> StoreResult<Channel> {
    let channel = core.store.create_channel(channel).await?;
    core.store
        .add_channel_member(&new_member(&channel.id, &creator.id, ROLES_CHANNEL_ADMIN))
        .await?;
    for member in members.iter().filter(|m| m.id != creator.id) {
        core.store
            .add_channel_member(&new_member(&channel.id, &member.id, crate::store::ROLES_CHANNEL_USER))
            .await?;
    }
    core.emit(Event::ChannelCreated {
        channel: channel.clone(),
        creator: creator.clone(),
    })
    .await;
    Ok(channel)
}

/// Store a new team with its main room (Rocket.Chat's `teams.create`):
/// `owner` as team admin, `members` as team users, then `room` (a channel of
/// the team, named after it) with `owner` as channel admin and `members` in
/// it, published as one `ChannelCreated`. If the room cannot be stored, the
/// team goes again, so a failure leaves nothing behind. Conflict if the
/// team's or the room's name is taken.
pub async fn create_team_with_room(
    core: &Core,
    team: &Team,
    room: &Channel,
    owner: &User,
    members: &[User],
) -> StoreResult<(Team, Channel)> {
    let team = core.store.create_team(team).await?;
    let made = async {
        core.store
            .add_team_member(&TeamMember {
                team_id: team.id.clone(),
                user_id: owner.id.clone(),
                roles: crate::store::ROLES_TEAM_ADMIN.into(),
                delete_at: 0,
            })
            .await?;
        for member in members.iter().filter(|m| m.id != owner.id) {
            core.store
                .add_team_member(&TeamMember {
                    team_id: team.id.clone(),
                    user_id: member.id.clone(),
                    roles: crate::store::ROLES_TEAM_USER.into(),
                    delete_at: 0,
                })
                .await?;
        }
        create_channel_with_members(core, room, owner, members).await
    }
    .await;
    match made {
        Ok(room) => Ok((team, room)),
        Err(error) => {
            // The team has no channel yet: it is its own heir.
            if let Err(undo) = core.store.delete_team(&team.id, &team.id).await {
                tracing::warn!(team = %team.id, %undo, "could not remove a team whose main room failed");
            }
            Err(error)
        }
    }
}

/// Delete `team` for good (Rocket.Chat's `teams.delete`, once the rooms that
/// go with it are deleted through [`delete_channel`]): its other channels
/// move to `heir` with their members, its outgoing hooks and slash commands
/// go, then its memberships and the team, in one transaction. `Ok(false)` if
/// it was gone already; Conflict if a channel that would move has the name
/// of one of `heir`'s.
pub async fn delete_team(core: &Core, team: &Team, heir: &Team) -> StoreResult<bool> {
    core.store.delete_team(&team.id, &heir.id).await
}
