//! Messages: listing with filters, and waiting for the next one (a long
//! poll on the core's event stream, with a periodic look at the database for
//! posts other instances made).

use std::collections::HashMap;
use std::time::Duration;

use chathooks_testapi_server::ops::{list_messages, wait_for_message};
use chathooks_testapi_types as types;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use super::render::markdown_to_html;
use super::{TestError, TestResult};
use crate::events::Event;
use crate::posts::{
    PROP_ATTACHMENTS, PROP_OVERRIDE_ICON_EMOJI, PROP_OVERRIDE_ICON_URL, PROP_OVERRIDE_USERNAME, is_from_webhook,
};
use crate::server::{AppState, Shared};
use crate::store::{Channel, Post, PostSearch, SearchEnd, StoreError, now_ms};

/// How often a wait looks at the database even without an event: posts
/// made by another instance on the same database raise no event here.
const RECHECK: Duration = Duration::from_secs(1);

/// The filters every message query shares.
struct Filters {
    channel: Option<String>,
    hook: Option<String>,
    author: Option<String>,
    text: Option<String>,
}

/// The search the filters name, or why one cannot be made.
async fn search(state: &AppState, filters: Filters, after: i64) -> TestResult<PostSearch> {
    let channel_id = match filters.channel.filter(|c| !c.is_empty()) {
        None => None,
        Some(given) => Some(find_channel(state, &given).await?.id),
    };
    let user_id = match filters.author.filter(|a| !a.is_empty()) {
        None => None,
        Some(given) => {
            let by_name = state.core.read().get_user_by_username(&given).await?;
            let user = match by_name {
                Some(user) => Some(user),
                None => state.core.read().get_user(&given).await?,
            };
            let user = user.ok_or_else(|| {
                TestError::bad_request("unknown-author", format!("no user has the username or id `{given}`"))
            })?;
            Some(user.id)
        }
    };
    Ok(PostSearch {
        channel_id,
        hook_id: filters.hook.filter(|h| !h.is_empty()),
        user_id,
        text: filters.text.filter(|t| !t.is_empty()),
        after,
    })
}

/// A channel by id, by `team/channel` names, or as Rocket.Chat names a
/// room, `#room` (a live public or private channel of that name).
pub(super) async fn find_channel(state: &AppState, given: &str) -> TestResult<Channel> {
    let unknown = || {
        TestError::bad_request(
            "unknown-channel",
            format!("no channel is `{given}` (an id, `team/channel` or `#room`)"),
        )
    };
    if let Some(room) = given.strip_prefix('#') {
        return state.core.read().find_channel_by_name(room).await?.ok_or_else(unknown);
    }
    let found = match given.split_once('/') {
        Some((team, name)) => match state.core.read().get_team_by_name(team).await? {
            Some(team) => state.core.read().get_channel_by_name(&team.id, name).await?,
            None => None,
        },
        None => state.core.read().get_channel(given).await?,
    };
    found.ok_or_else(unknown)
}

fn limit_of(limit: i64) -> u32 {
    u32::try_from(limit.clamp(1, 1000)).unwrap_or(1000)
}

pub(super) async fn list(state: &Shared, request: list_messages::Request) -> TestResult<list_messages::Response> {
    let filters = Filters {
        channel: request.channel,
        hook: request.hook,
        author: request.author,
        text: request.text,
    };
    let search = search(state, filters, request.since.unwrap_or(i64::MIN)).await?;
    let posts = state
        .core
        .read()
        .search_posts(&search, SearchEnd::Newest, limit_of(request.limit))
        .await?;
    let messages = Messages::new(state).convert_all(&posts).await?;
    Ok(list_messages::Response::Ok(types::MessageList { messages }))
}

pub(super) async fn wait(state: &Shared, request: wait_for_message::Request) -> TestResult<wait_for_message::Response> {
    let filters = Filters {
        channel: request.channel,
        hook: request.hook,
        author: request.author,
        text: request.text,
    };
    // Subscribed before the first look, so nothing arriving in between is missed.
    let mut events = state.core.events.subscribe();
    let search = search(state, filters, request.since.unwrap_or_else(now_ms)).await?;
    let timeout = Duration::from_millis(u64::try_from(request.timeout_ms).unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(post) = first_match(state, &search).await? {
            let message = Messages::new(state).convert(&post).await?;
            return Ok(wait_for_message::Response::Ok(types::WaitResult {
                timed_out: false,
                message: Some(message),
            }));
        }
        // Time is up after the last look (made once more after the wait
        // that ran out, so a post that came as time ran out counts).
        if tokio::time::Instant::now() >= deadline {
            return Ok(timed_out());
        }
        let look_again = (tokio::time::Instant::now() + RECHECK).min(deadline);
        // Wait for a matching post, the next look, the deadline or shutdown.
        loop {
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => match &*event {
                        Event::PostCreated { post, .. } if search.matches(post) => break,
                        _ => continue,
                    },
                    // Missed events: look at the database.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => {
                        tokio::time::sleep_until(look_again).await;
                        break;
                    }
                },
                () = tokio::time::sleep_until(look_again) => break,
                () = state.core.shutdown.cancelled() => {
                    return Ok(timed_out());
                }
            }
        }
    }
}

fn timed_out() -> wait_for_message::Response {
    wait_for_message::Response::Ok(types::WaitResult {
        timed_out: true,
        message: None,
    })
}

async fn first_match(state: &AppState, search: &PostSearch) -> Result<Option<Post>, StoreError> {
    let mut found = state.core.read().search_posts(search, SearchEnd::Oldest, 1).await?;
    Ok(found.pop())
}

/// Turns posts into messages, looking each channel, team and user up once.
pub(super) struct Messages<'a> {
    state: &'a AppState,
    /// Channel id to (channel name, team name).
    channels: HashMap<String, (String, String)>,
    usernames: HashMap<String, String>,
}

fn prop<'p>(post: &'p Post, key: &str) -> Option<&'p str> {
    post.props.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl<'a> Messages<'a> {
    pub(super) fn new(state: &'a AppState) -> Self {
        Self {
            state,
            channels: HashMap::new(),
            usernames: HashMap::new(),
        }
    }

    pub(super) async fn convert_all(&mut self, posts: &[Post]) -> Result<Vec<types::Message>, StoreError> {
        let mut messages = Vec::with_capacity(posts.len());
        for post in posts {
            messages.push(self.convert(post).await?);
        }
        Ok(messages)
    }

    async fn username(&mut self, user_id: &str) -> Result<String, StoreError> {
        if let Some(name) = self.usernames.get(user_id) {
            return Ok(name.clone());
        }
        let name = self
            .state
            .core
            .read()
            .get_user(user_id)
            .await?
            .map(|u| u.username)
            .unwrap_or_default();
        self.usernames.insert(user_id.to_owned(), name.clone());
        Ok(name)
    }

    async fn channel(&mut self, channel_id: &str) -> Result<(String, String), StoreError> {
        if let Some(names) = self.channels.get(channel_id) {
            return Ok(names.clone());
        }
        let store = self.state.core.read();
        let names = match store.get_channel(channel_id).await? {
            Some(channel) => {
                let team = match channel.team_id.as_str() {
                    "" => String::new(),
                    team_id => store.get_team(team_id).await?.map(|t| t.name).unwrap_or_default(),
                };
                (channel.name, team)
            }
            None => Default::default(),
        };
        self.channels.insert(channel_id.to_owned(), names.clone());
        Ok(names)
    }

    pub(super) async fn convert(&mut self, post: &Post) -> Result<types::Message, StoreError> {
        let (channel_name, team_name) = self.channel(&post.channel_id).await?;
        let username = self.username(&post.user_id).await?;
        let store = self.state.core.read();
        let files = store
            .list_post_files(&post.id)
            .await?
            .into_iter()
            .map(|file| types::File {
                url: format!("/api/v4/files/{}", file.id),
                id: file.id,
                name: file.name,
                mime_type: file.mime_type,
                size: file.size,
            })
            .collect();
        let mut reactions = Vec::new();
        for reaction in store.list_reactions(&post.id).await? {
            reactions.push(types::Reaction {
                username: self.username(&reaction.user_id).await?,
                emoji_name: reaction.emoji_name,
                user_id: reaction.user_id,
                create_at: reaction.create_at,
            });
        }
        let attachments = post
            .props
            .get(PROP_ATTACHMENTS)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|a| a.as_object().cloned()).collect())
            .unwrap_or_default();
        let props = post.props.as_object().cloned().unwrap_or_default();
        Ok(types::Message {
            id: post.id.clone(),
            create_at: post.create_at,
            edit_at: post.edit_at,
            channel_id: post.channel_id.clone(),
            channel_name,
            team_name,
            root_id: post.root_id.clone(),
            user_id: post.user_id.clone(),
            display_name: prop(post, PROP_OVERRIDE_USERNAME).map_or_else(|| username.clone(), str::to_owned),
            username,
            icon_url: prop(post, PROP_OVERRIDE_ICON_URL).map(str::to_owned),
            icon_emoji: prop(post, PROP_OVERRIDE_ICON_EMOJI).map(str::to_owned),
            from_webhook: is_from_webhook(post),
            hook_id: post.hook_id.clone(),
            html: markdown_to_html(&post.message),
            message: post.message.clone(),
            type_: post.post_type.clone(),
            props,
            attachments,
            files,
            reactions,
        })
    }
}
