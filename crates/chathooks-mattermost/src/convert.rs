//! Stored records to wire types. Every field the real server sends is set.

use chathooks_mattermost_types as types;
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};
use chathooks_core::posts::actions::without_action_integrations;
use chathooks_core::store::{Channel, ChannelMember, IncomingHook, OutgoingHook, Post, Team, TeamMember, User};

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// A user or channel name as Mattermost clients see it: lowercase, as every
/// name Mattermost itself stores is. Names made through the Rocket.Chat API
/// keep their case in the store; Mattermost's lookups ignore case, so the
/// lowercase name finds them.
pub(crate) fn mattermost_name(name: &str) -> String {
    name.to_ascii_lowercase()
}

pub(crate) fn user(user: &User) -> types::User {
    types::User {
        id: user.id.clone(),
        create_at: user.create_at,
        update_at: user.update_at,
        delete_at: user.delete_at,
        username: mattermost_name(&user.username),
        first_name: Some(user.first_name.clone()),
        last_name: Some(user.last_name.clone()),
        nickname: Some(user.nickname.clone()),
        email: user.email.clone(),
        email_verified: Some(user.email_verified),
        auth_service: Some(String::new()),
        roles: user.roles.clone(),
        locale: Some(user.locale.clone()),
        notify_props: object(&user.notify_props),
        props: object(&user.props),
        last_password_update: Some(user.last_password_update),
        last_picture_update: Some(0),
        failed_attempts: Some(0),
        mfa_active: Some(false),
        timezone: object(&user.timezone),
        is_bot: user.is_bot.then_some(true),
        bot_description: None,
    }
}

pub(crate) fn team(team: &Team) -> types::Team {
    types::Team {
        id: team.id.clone(),
        create_at: team.create_at,
        update_at: team.update_at,
        delete_at: team.delete_at,
        display_name: team.display_name.clone(),
        name: team.name.clone(),
        description: Some(team.description.clone()),
        email: Some(team.email.clone()),
        type_: if team.team_type == "I" {
            types::TeamType::I
        } else {
            types::TeamType::O
        },
        allowed_domains: Some(team.allowed_domains.clone()),
        invite_id: Some(team.invite_id.clone()),
        allow_open_invite: Some(team.allow_open_invite),
        policy_id: None,
    }
}

pub(crate) fn team_member(member: &TeamMember) -> types::TeamMember {
    let admin = member.roles.split_whitespace().any(|r| r == "team_admin");
    types::TeamMember {
        team_id: member.team_id.clone(),
        user_id: member.user_id.clone(),
        roles: member.roles.clone(),
        delete_at: member.delete_at,
        scheme_user: Some(true),
        scheme_admin: Some(admin),
        scheme_guest: Some(false),
        explicit_roles: Some(String::new()),
    }
}

pub(crate) fn channel(channel: &Channel) -> types::Channel {
    types::Channel {
        id: channel.id.clone(),
        create_at: channel.create_at,
        update_at: channel.update_at,
        delete_at: channel.delete_at,
        team_id: channel.team_id.clone(),
        type_: match channel.channel_type.as_str() {
            "P" => types::ChannelType::P,
            "D" => types::ChannelType::D,
            "G" => types::ChannelType::G,
            _ => types::ChannelType::O,
        },
        display_name: channel.display_name.clone(),
        name: mattermost_name(&channel.name),
        header: channel.header.clone(),
        purpose: channel.purpose.clone(),
        last_post_at: Some(channel.last_post_at),
        total_msg_count: Some(channel.total_msg_count),
        extra_update_at: Some(0),
        creator_id: channel.creator_id.clone(),
    }
}

pub(crate) fn channel_member(member: &ChannelMember) -> types::ChannelMember {
    types::ChannelMember {
        channel_id: member.channel_id.clone(),
        user_id: member.user_id.clone(),
        roles: member.roles.clone(),
        last_viewed_at: member.last_viewed_at,
        msg_count: member.msg_count,
        mention_count: member.mention_count,
        notify_props: object(&member.notify_props),
        last_update_at: member.last_update_at,
        scheme_user: Some(true),
        scheme_admin: Some(member.roles.split_whitespace().any(|r| r == "channel_admin")),
        scheme_guest: Some(false),
        explicit_roles: Some(String::new()),
    }
}

/// A post as clients receive it (REST answers and WebSocket events alike):
/// attachment actions without their `integration`, which stays on the
/// server.
pub(crate) fn post(post: &Post) -> types::Post {
    types::Post {
        id: post.id.clone(),
        create_at: post.create_at,
        update_at: post.update_at,
        edit_at: post.edit_at,
        delete_at: post.delete_at,
        is_pinned: post.is_pinned,
        user_id: post.user_id.clone(),
        channel_id: post.channel_id.clone(),
        root_id: post.root_id.clone(),
        original_id: post.original_id.clone(),
        message: post.message.clone(),
        type_: post.post_type.clone(),
        props: object(&without_action_integrations(&post.props)),
        hashtags: post.hashtags.clone(),
        file_ids: post.file_ids.clone(),
        pending_post_id: post.pending_post_id.clone(),
        metadata: Map::new(),
    }
}

/// By value: the wire form takes the record's strings. Callers own the
/// record already; the hook list clones a cached page's records only when it
/// encodes the page anew.
pub(crate) fn incoming(hook: IncomingHook) -> types::IncomingWebhook {
    types::IncomingWebhook {
        id: hook.id,
        create_at: hook.create_at,
        update_at: hook.update_at,
        delete_at: hook.delete_at,
        user_id: hook.user_id,
        channel_id: hook.channel_id,
        team_id: hook.team_id,
        display_name: hook.display_name,
        description: hook.description,
        username: hook.username,
        icon_url: hook.icon_url,
        channel_locked: hook.channel_locked,
    }
}

pub(crate) fn outgoing(hook: &OutgoingHook) -> ApiResult<types::OutgoingWebhook> {
    Ok(types::OutgoingWebhook {
        id: hook.id.clone(),
        token: hook.token.clone(),
        create_at: hook.create_at,
        update_at: hook.update_at,
        delete_at: hook.delete_at,
        creator_id: hook.creator_id.clone(),
        channel_id: hook.channel_id.clone(),
        team_id: hook.team_id.clone(),
        trigger_words: hook.trigger_words.clone(),
        trigger_when: types::OutgoingWebhookTriggerWhen::try_from(i64::from(hook.trigger_when))
            .map_err(ApiError::internal)?,
        callback_urls: hook.callback_urls.clone(),
        display_name: hook.display_name.clone(),
        description: hook.description.clone(),
        content_type: hook.content_type.clone(),
        username: hook.username.clone(),
        icon_url: hook.icon_url.clone(),
    })
}
