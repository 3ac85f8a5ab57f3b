//! What the server holds, for the UI's side panels: channels, and the hooks
//! and integrations of both APIs with the URLs an application is given.

use std::collections::HashMap;

use chathooks_testapi_server::ops::{list_channels, list_hooks};
use chathooks_testapi_types::{self as types, HookSummaryApi, HookSummaryDirection};
use serde_json::Value;

use super::TestResult;
use crate::server::AppState;
use crate::store::{
    CHANNEL_PRIVATE, IncomingFilter, InspectStore, OutgoingFilter, RC_WEBHOOK_INCOMING, RcIntegrationFilter, Store,
    StoreError,
};

/// Rows asked for per page when reading a whole table.
const PAGE: u32 = 200;

/// Every row of a paged listing: pages of [`PAGE`] until a short one.
async fn all_pages<T, F, Fut>(mut list: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    let mut all = Vec::new();
    for page in 0.. {
        let batch = list(page).await?;
        let done = batch.len() < PAGE as usize;
        all.extend(batch);
        if done {
            break;
        }
    }
    Ok(all)
}

/// Team id to team name, read once per call.
async fn team_names(
    state: &AppState,
    team_ids: impl Iterator<Item = &str>,
) -> Result<HashMap<String, String>, StoreError> {
    let mut names = HashMap::new();
    for id in team_ids {
        if id.is_empty() || names.contains_key(id) {
            continue;
        }
        let name = state.core.store.get_team(id).await?.map(|t| t.name).unwrap_or_default();
        names.insert(id.to_owned(), name);
    }
    Ok(names)
}

pub async fn channels(state: &AppState) -> TestResult<list_channels::Response> {
    let all = state.core.store.list_all_channels().await?;
    let teams = team_names(state, all.iter().map(|c| c.team_id.as_str())).await?;
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

/// `team/channel` of a channel id ("" when unknown).
async fn channel_path(
    state: &AppState,
    teams: &HashMap<String, String>,
    channel_id: &str,
) -> Result<String, StoreError> {
    Ok(match state.core.store.get_channel(channel_id).await? {
        Some(channel) => format!(
            "{}/{}",
            teams.get(&channel.team_id).map_or("", String::as_str),
            channel.name
        ),
        None => String::new(),
    })
}

pub async fn hooks(state: &AppState) -> TestResult<list_hooks::Response> {
    let store = &state.core.store;
    let base = state.core.site_url.trim_end_matches('/');
    let mut hooks = Vec::new();

    let (any_incoming, any_outgoing) = (IncomingFilter::default(), OutgoingFilter::default());
    let incoming = all_pages(|page| store.list_incoming(&any_incoming, page, PAGE)).await?;
    let outgoing = all_pages(|page| store.list_outgoing(&any_outgoing, page, PAGE)).await?;
    let team_ids = incoming
        .iter()
        .map(|h| h.team_id.as_str())
        .chain(outgoing.iter().map(|h| h.team_id.as_str()));
    let teams = team_names(state, team_ids).await?;
    for hook in incoming {
        hooks.push(types::HookSummary {
            url: format!("{base}/hooks/{}", hook.id),
            channel: channel_path(state, &teams, &hook.channel_id).await?,
            api: HookSummaryApi::Mattermost,
            direction: HookSummaryDirection::Incoming,
            name: hook.display_name,
            trigger_words: Vec::new(),
            event: None,
            enabled: true,
            create_at: hook.create_at,
            id: hook.id,
        });
    }
    for hook in outgoing {
        let channel = if hook.channel_id.is_empty() {
            format!("{}/", teams.get(&hook.team_id).map_or("", String::as_str))
        } else {
            channel_path(state, &teams, &hook.channel_id).await?
        };
        hooks.push(types::HookSummary {
            url: hook.callback_urls.join(" "),
            channel,
            api: HookSummaryApi::Mattermost,
            direction: HookSummaryDirection::Outgoing,
            name: hook.display_name,
            trigger_words: hook.trigger_words,
            event: None,
            enabled: true,
            create_at: hook.create_at,
            id: hook.id,
        });
    }

    let mut offset = 0;
    loop {
        let batch = store
            .list_rc_integrations(&RcIntegrationFilter::default(), offset, PAGE)
            .await?;
        let done = batch.len() < PAGE as usize;
        offset += PAGE;
        for integration in batch {
            let doc = &integration.doc;
            let strings = |key: &str| -> Vec<String> {
                match doc.get(key) {
                    Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
                    Some(Value::String(one)) => vec![one.clone()],
                    _ => Vec::new(),
                }
            };
            let incoming = integration.integration_type == RC_WEBHOOK_INCOMING;
            hooks.push(types::HookSummary {
                url: if incoming {
                    format!("{base}/hooks/{}/{}", integration.id, integration.token)
                } else {
                    strings("urls").join(" ")
                },
                channel: strings("channel").join(", "),
                api: HookSummaryApi::Rocketchat,
                direction: if incoming {
                    HookSummaryDirection::Incoming
                } else {
                    HookSummaryDirection::Outgoing
                },
                trigger_words: strings("triggerWords"),
                event: doc.get("event").and_then(Value::as_str).map(str::to_owned),
                name: integration.name,
                enabled: integration.enabled,
                create_at: integration.created_at,
                id: integration.id,
            });
        }
        if done {
            break;
        }
    }
    Ok(list_hooks::Response::Ok(types::HookList { hooks }))
}
