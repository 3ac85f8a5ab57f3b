//! What the server holds, for the UI's side panels and its composer:
//! channels, the users one may act as, and every dialect's hooks and
//! integrations with the URLs an application is given.

use chathooks_dialect::Direction;
use chathooks_testapi_server::ops::{list_channels, list_hooks, list_realtime_sessions, list_users};
use chathooks_testapi_types::{self as types, HookSummaryDirection};

use super::TestResult;
use crate::server::AppState;
use crate::store::CHANNEL_PRIVATE;

pub(super) async fn channels(state: &AppState) -> TestResult<list_channels::Response> {
    let all = state.core.read().list_all_channels().await?;
    let team_ids: Vec<&str> = all.iter().map(|c| c.team_id.as_str()).collect();
    let teams = state.core.read().team_names(&team_ids).await?;
    let mut channels: Vec<types::ChannelSummary> = all
        .into_iter()
        .map(|channel| types::ChannelSummary {
            team_name: teams.get(&channel.team_id).cloned().unwrap_or_default(),
            private: channel.channel_type == CHANNEL_PRIVATE,
            archived: channel.delete_at != 0,
            id: channel.id,
            team_id: channel.team_id,
            name: channel.name,
            display_name: channel.display_name,
            total_msg_count: channel.total_msg_count,
            last_post_at: channel.last_post_at,
        })
        .collect();
    channels.sort_by(|a, b| (&a.team_name, &a.name).cmp(&(&b.team_name, &b.name)));
    Ok(list_channels::Response::Ok(types::ChannelList { channels }))
}

/// The active users, by username, at most `limit` (the spec's 1 to 1000).
pub(super) async fn users(state: &AppState, request: list_users::Request) -> TestResult<list_users::Response> {
    let limit = u32::try_from(request.limit.clamp(1, 1000)).unwrap_or(1000);
    let users = state
        .core
        .read()
        .list_active_users(limit)
        .await?
        .into_iter()
        .map(|user| {
            let full = format!("{} {}", user.first_name, user.last_name).trim().to_owned();
            types::UserSummary {
                display_name: if full.is_empty() { user.nickname.clone() } else { full },
                system_admin: user.is_system_admin(),
                is_bot: user.is_bot,
                id: user.id,
                username: user.username,
            }
        })
        .collect();
    Ok(list_users::Response::Ok(types::UserList { users }))
}

/// Every dialect's hooks, with the URLs an application is given.
pub(super) async fn hooks(state: &AppState) -> TestResult<list_hooks::Response> {
    let base = state.core.site_url.trim_end_matches('/');
    let mut hooks = Vec::new();
    for dialect in state.dialects.iter() {
        let api = dialect.name();
        hooks.extend(
            dialect
                .hooks(&state.core, base)
                .await?
                .into_iter()
                .map(|hook| types::HookSummary {
                    api: api.to_owned(),
                    direction: match hook.direction {
                        Direction::Incoming => HookSummaryDirection::Incoming,
                        Direction::Outgoing => HookSummaryDirection::Outgoing,
                    },
                    id: hook.id,
                    name: hook.name,
                    url: hook.url,
                    channel: hook.channel,
                    trigger_words: hook.trigger_words,
                    event: hook.event,
                    enabled: hook.enabled,
                    create_at: hook.create_at,
                }),
        );
    }
    Ok(list_hooks::Response::Ok(types::HookList { hooks }))
}

/// Every dialect's open realtime sessions.
pub(super) fn realtime_sessions(state: &AppState) -> list_realtime_sessions::Response {
    let sessions = state
        .dialects
        .iter()
        .flat_map(|dialect| {
            let api = dialect.name();
            dialect
                .realtime_sessions()
                .into_iter()
                .map(move |session| types::RealtimeSessionSummary {
                    api: api.to_owned(),
                    id: session.id,
                    username: session.username,
                    subscriptions: session.subscriptions,
                    connected_at: session.connected_at,
                    last_in_at: session.last_in_at,
                    last_out_at: session.last_out_at,
                })
        })
        .collect();
    list_realtime_sessions::Response::Ok(types::RealtimeSessionList { sessions })
}
