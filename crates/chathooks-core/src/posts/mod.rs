//! Posts: the one path every new post takes into the store, whichever API or
//! hook made it, and the webhook-post pipeline ([`webhook`]).
//!
//! [`create_post`] asks every dialect which outgoing calls the post starts,
//! stores the post and those jobs in one transaction, then publishes
//! [`Event::PostCreated`] and wakes the delivery worker. Posts made by webhooks
//! and integrations start nothing: a hook answering a hook would loop.
//! Interactive messages (attachment actions) are in [`actions`].

pub mod action_cookies;
pub mod actions;
pub mod webhook;

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;

use crate::Core;
use crate::events::Event;
use crate::ids::new_ordered_id;
use crate::store::{Channel, ContentStore, DeliveryStore, Post, Store, StoreResult, User, now_ms};

/// Marks a post as made by a webhook or integration: clients show it as such,
/// and no outgoing hook fires for it (loop protection, in both APIs).
pub const PROP_FROM_WEBHOOK: &str = "from_webhook";
/// Marks a post whose author is a bot account, however it was made (its own
/// REST call, a webhook it owns, a slash command it ran), as Mattermost's
/// `CreatePost` does for every post of a bot user.
pub const PROP_FROM_BOT: &str = "from_bot";
pub const PROP_WEBHOOK_DISPLAY_NAME: &str = "webhook_display_name";
/// The name shown instead of the author's (Rocket.Chat's `alias`).
pub const PROP_OVERRIDE_USERNAME: &str = "override_username";
/// The picture shown instead of the author's (Rocket.Chat's `avatar`).
pub const PROP_OVERRIDE_ICON_URL: &str = "override_icon_url";
/// The emoji shown instead of the author's picture (Rocket.Chat's `emoji`).
pub const PROP_OVERRIDE_ICON_EMOJI: &str = "override_icon_emoji";
/// Slack-style attachments.
pub const PROP_ATTACHMENTS: &str = "attachments";
/// Post type of a post carrying Slack attachments.
pub const POST_TYPE_SLACK_ATTACHMENT: &str = "slack_attachment";

/// The creation time of a new post: now, or one millisecond after the
/// previous post this process made, whichever is later.
///
/// Why: channels list posts by `create_at`, and posts made in one burst (the
/// parts of a split webhook message, a slash command's `extra_responses`, a
/// script's several answers) often share a millisecond. Equal times come back
/// in id order, which is random, so a channel could show the second answer
/// before the first. Several instances on one database each keep their own
/// order, as two real servers would.
fn next_post_time() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = now_ms();
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| Some(now.max(last + 1)))
        .unwrap_or_else(|last| last);
    now.max(previous + 1)
}

/// A plain post by `user_id` in `channel_id`, created now (see
/// [`next_post_time`]: never in the same millisecond as the one before).
pub fn new_post(channel_id: &str, user_id: &str, message: String) -> Post {
    let now = next_post_time();
    Post {
        id: new_ordered_id(),
        create_at: now,
        update_at: now,
        edit_at: 0,
        delete_at: 0,
        user_id: user_id.to_owned(),
        channel_id: channel_id.to_owned(),
        root_id: String::new(),
        original_id: String::new(),
        message,
        post_type: String::new(),
        props: serde_json::json!({}),
        hashtags: String::new(),
        file_ids: Vec::new(),
        pending_post_id: String::new(),
        is_pinned: false,
        hook_id: String::new(),
    }
}

/// Whether a webhook or integration made `post`.
pub fn is_from_webhook(post: &Post) -> bool {
    post.props.get(PROP_FROM_WEBHOOK).and_then(Value::as_str) == Some("true")
}

/// Store `post` by `author` in `channel` with the deliveries it starts.
/// Attachment actions get their ids here ([`actions::assign_action_ids`]),
/// and a bot author's posts their [`PROP_FROM_BOT`].
pub async fn create_post(core: &Core, mut post: Post, channel: &Channel, author: &User) -> StoreResult<Post> {
    actions::assign_action_ids(&mut post.props);
    if author.is_bot
        && let Value::Object(props) = &mut post.props
    {
        props.insert(PROP_FROM_BOT.into(), Value::String("true".into()));
    }
    let jobs = if is_from_webhook(&post) {
        Vec::new()
    } else {
        let pending = Event::PostCreated {
            post: post.clone(),
            channel: channel.clone(),
            author: author.clone(),
        };
        core.deliveries.jobs_for(core, &pending).await
    };
    let stored = core.store.create_post_with_deliveries(&post, &jobs).await?;
    if !jobs.is_empty() {
        core.deliveries.wake();
    }
    core.events.publish(Event::PostCreated {
        post: stored.clone(),
        channel: channel.clone(),
        author: author.clone(),
    });
    Ok(stored)
}

/// Store a new version of `post` (its message, props, files or pin) by its
/// `author`, stamped as edited now. NotFound if the post is deleted.
pub async fn edit_post(core: &Core, mut post: Post, channel: &Channel, author: &User) -> StoreResult<Post> {
    let now = now_ms();
    post.edit_at = now;
    post.update_at = now;
    actions::assign_action_ids(&mut post.props);
    let edited = core.store.update_post(&post).await?;
    core.emit(Event::PostEdited {
        post: edited.clone(),
        channel: channel.clone(),
        author: author.clone(),
    })
    .await;
    Ok(edited)
}

/// Delete `post` (and, for a root, its thread) on behalf of `by`; returns what
/// was deleted, `post` first. NotFound if it is deleted already.
pub async fn delete_post(core: &Core, post: &Post, channel: &Channel, by: &User) -> StoreResult<Vec<Post>> {
    let deleted = core.store.delete_post(&post.id, now_ms()).await?;
    for post in &deleted {
        core.emit(Event::PostDeleted {
            post: post.clone(),
            channel: channel.clone(),
            by: by.clone(),
        })
        .await;
    }
    Ok(deleted)
}

/// The live post with this id.
pub async fn live_post(core: &Core, id: &str) -> StoreResult<Option<Post>> {
    Ok(core.store.get_post(id).await?.filter(|p| p.delete_at == 0))
}

/// The thread `post` belongs to (its root and every reply), oldest first.
pub async fn thread_of(core: &Core, post: &Post) -> StoreResult<Vec<Post>> {
    let root = if post.root_id.is_empty() {
        &post.id
    } else {
        &post.root_id
    };
    core.store.list_thread(root).await
}

/// Show `post` to `user_id` alone (live views only; nothing is stored and no
/// outgoing hook fires).
pub fn show_ephemeral(core: &Core, mut post: Post, channel: &Channel, user_id: &str) {
    actions::assign_action_ids(&mut post.props);
    core.events.publish(Event::EphemeralPost {
        post,
        channel: channel.clone(),
        user_id: user_id.to_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_made_in_one_burst_get_strictly_increasing_times() {
        let posts: Vec<Post> = (0..200).map(|_| new_post("c", "u", String::new())).collect();
        for pair in posts.windows(2) {
            assert!(
                pair[1].create_at > pair[0].create_at,
                "{} then {}",
                pair[0].create_at,
                pair[1].create_at
            );
            assert_eq!(pair[1].update_at, pair[1].create_at);
        }
        let last = posts.last().map(|p| p.create_at).unwrap_or_default();
        // Ahead of the clock by at most the posts made in this process's burst.
        assert!(last <= now_ms() + 10_000, "{last} runs far ahead of the clock");
    }
}
