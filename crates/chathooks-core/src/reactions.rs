//! Emoji reactions to posts.

use crate::Core;
use crate::events::Event;
use crate::store::{Channel, ContentStore, Post, Reaction, StoreResult, User, now_ms};

/// Emoji names both APIs accept: 1 to 64 letters, digits, `_`, `-` and `+`
/// (Mattermost's rule; `+1` is an emoji).
pub fn valid_emoji_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
}

/// `user` reacts to `post` in `channel` with `emoji_name`. Reacting twice
/// with the same emoji is one reaction, announced once.
pub async fn add_reaction(
    core: &Core,
    post: &Post,
    channel: &Channel,
    user: &User,
    emoji_name: &str,
) -> StoreResult<Reaction> {
    let wanted = Reaction {
        post_id: post.id.clone(),
        user_id: user.id.clone(),
        emoji_name: emoji_name.to_owned(),
        channel_id: channel.id.clone(),
        create_at: now_ms(),
    };
    let saved = core.store.save_reaction(&wanted).await?;
    if saved == wanted {
        core.emit(Event::ReactionAdded {
            reaction: saved.clone(),
            post: post.clone(),
            channel: channel.clone(),
            user: user.clone(),
        })
        .await;
    }
    Ok(saved)
}

/// Take back `user`'s reaction; `Ok(None)` if there was none.
pub async fn remove_reaction(
    core: &Core,
    post: &Post,
    channel: &Channel,
    user: &User,
    emoji_name: &str,
) -> StoreResult<Option<Reaction>> {
    let removed = core.store.delete_reaction(&post.id, &user.id, emoji_name).await?;
    if let Some(reaction) = &removed {
        core.emit(Event::ReactionRemoved {
            reaction: reaction.clone(),
            post: post.clone(),
            channel: channel.clone(),
            user: user.clone(),
        })
        .await;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn emoji_names() {
        assert!(super::valid_emoji_name("thumbsup"));
        assert!(super::valid_emoji_name("+1"));
        assert!(super::valid_emoji_name("white_check_mark"));
        assert!(!super::valid_emoji_name(""));
        assert!(!super::valid_emoji_name(":smile:"));
        assert!(!super::valid_emoji_name(&"a".repeat(65)));
    }
}
