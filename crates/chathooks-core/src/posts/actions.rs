//! Interactive messages: the buttons and menus (actions) of a post's
//! attachments, after Mattermost's `PostAction` (`model/post.go`,
//! `app/integration_action.go`). Dialect-neutral rules kept in one place:
//!
//! - every stored or shown post gets an id for each action that has none
//!   ([`assign_action_ids`], called by [`create_post`](super::create_post),
//!   [`edit_post`](super::edit_post), [`show_ephemeral`](super::show_ephemeral)
//!   and [`apply_update`]), so a click can name its action;
//! - an action's `integration` (the URL called on a click, and the context
//!   sent with it) is the integration's secret: it stays in the store and
//!   the adapters remove it from every post they send to clients
//!   ([`without_action_integrations`]);
//! - what a click does to the post ([`apply_update`], [`ephemeral_answer`])
//!   and how the integration is called ([`call`]).

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::{PROP_ATTACHMENTS, PROP_FROM_WEBHOOK, PROP_OVERRIDE_ICON_URL, PROP_OVERRIDE_USERNAME};
use crate::Core;
use crate::delivery::{CallOutcome, CallRequest, ImmediateCall, call_now};
use crate::events::Event;
use crate::ids::new_id;
use crate::markup::slack_links_to_markdown;
use crate::store::{Channel, ContentStore, Post, StoreResult, User, now_ms};

/// The key of an action's integration in its JSON object.
const INTEGRATION: &str = "integration";

/// Props a post keeps through an integration's `update` answer, and the only
/// ones an ephemeral answer copies (Mattermost's `PostActionRetainPropKeys`):
/// an update can neither drop nor forge what marks the post as a webhook's.
pub const RETAINED_PROPS: [&str; 3] = [PROP_FROM_WEBHOOK, PROP_OVERRIDE_USERNAME, PROP_OVERRIDE_ICON_URL];

/// The action objects of `props`' attachments, for changing them.
pub(super) fn actions_mut(props: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    props
        .get_mut(PROP_ATTACHMENTS)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(|attachment| attachment.get_mut("actions")?.as_array_mut())
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// The action objects of `props`' attachments.
fn actions(props: &Value) -> impl Iterator<Item = &Map<String, Value>> {
    props
        .get(PROP_ATTACHMENTS)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|attachment| attachment.get("actions")?.as_array())
        .flatten()
        .filter_map(Value::as_object)
}

/// Give every action without an id (missing, `null` or empty) a fresh one,
/// letters and digits (Mattermost's `GenerateActionIds`). Ids already set
/// are kept, so a click on a post edited since still finds its action.
pub fn assign_action_ids(props: &mut Value) {
    for action in actions_mut(props) {
        let missing = match action.get("id") {
            None | Some(Value::Null) => true,
            Some(Value::String(id)) => id.is_empty(),
            Some(_) => false,
        };
        if missing {
            action.insert("id".into(), new_id().into());
        }
    }
}

/// `props` as clients may see them: without any action's `integration`
/// (Mattermost's `StripActionIntegrations`). Borrowed as is when there is
/// nothing to remove, which is the case for nearly every post.
pub fn without_action_integrations(props: &Value) -> Cow<'_, Value> {
    if !actions(props).any(|action| action.contains_key(INTEGRATION)) {
        return Cow::Borrowed(props);
    }
    let mut stripped = props.clone();
    for action in actions_mut(&mut stripped) {
        action.remove(INTEGRATION);
    }
    Cow::Owned(stripped)
}

/// An action of a post, as a click needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostAction {
    pub id: String,
    /// `button` or `select`.
    pub action_type: String,
    /// A menu's `users` or `channels`; empty otherwise.
    pub data_source: String,
    /// The integration's URL.
    pub url: String,
    /// The integration's context, sent back with each click.
    pub context: Map<String, Value>,
}

fn text_of(object: &Map<String, Value>, key: &str) -> String {
    object.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The action `id` of `post`, if it has one with an integration (a click on
/// an action without one goes nowhere: Mattermost answers 404).
pub fn find_action(post: &Post, id: &str) -> Option<PostAction> {
    let action = actions(&post.props).find(|action| action.get("id").and_then(Value::as_str) == Some(id))?;
    let integration = action.get(INTEGRATION)?.as_object()?;
    Some(PostAction {
        id: id.to_owned(),
        action_type: text_of(action, "type"),
        data_source: text_of(action, "data_source"),
        url: text_of(integration, "url"),
        context: integration
            .get("context")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

/// The `event` of an action's call in the delivery history.
pub const EVENT_POST_ACTION: &str = "post_action";

/// Call `action`'s integration now for `user_id`'s click on `post`, as
/// slash commands are called: a JSON POST through the delivery engine's
/// guarded client (internal addresses refused unless allowed), bounded by
/// the callback timeout. The user who clicked waits for it, so it is not
/// queued; it is recorded in the delivery history all the same
/// ([`call_now`]), under the action's id, delivered when the dialect can
/// use the answer (`usable`).
pub async fn call(
    core: &Core,
    dialect: &str,
    (post, action, user_id): (&Post, &PostAction, &str),
    body: &Value,
    usable: impl FnOnce(&CallOutcome) -> bool,
) -> CallOutcome {
    let mut request = CallRequest::post(&action.url, "application/json", &body.to_string());
    request.headers.push(("Accept".into(), "application/json".into()));
    let what = ImmediateCall {
        dialect,
        event: EVENT_POST_ACTION,
        hook_id: &action.id,
        context: json!({"post_id": post.id, "channel_id": post.channel_id, "user_id": user_id}),
    };
    call_now(core, what, &request, usable).await
}

/// What an integration's `update` answer asks for.
#[derive(Debug, Clone, Default)]
pub struct ActionUpdate {
    /// The post's new message (an answer without one empties it, as
    /// Mattermost does).
    pub message: String,
    /// The post's new props; `None` keeps the old ones.
    pub props: Option<Map<String, Value>>,
}

/// `original` as `update` leaves it: the message replaced; the props
/// replaced, except [`RETAINED_PROPS`], which keep their old value or their
/// absence; action ids assigned again. Pin state, files and thread stay.
/// Marked edited when the message or the attachments changed.
pub fn updated_post(original: &Post, update: ActionUpdate) -> Post {
    let mut post = original.clone();
    let now = now_ms();
    post.props = match update.props {
        None => original.props.clone(),
        Some(mut props) => {
            for key in RETAINED_PROPS {
                match original.props.get(key) {
                    Some(value) => props.insert(key.to_owned(), value.clone()),
                    None => props.remove(key),
                };
            }
            Value::Object(props)
        }
    };
    let attachments_changed = post.props.get(PROP_ATTACHMENTS) != original.props.get(PROP_ATTACHMENTS);
    if update.message != original.message || attachments_changed {
        post.edit_at = now;
    }
    post.message = update.message;
    post.update_at = now;
    assign_action_ids(&mut post.props);
    post
}

/// Store `original` as an integration's `update` answer leaves it
/// ([`updated_post`]) and tell live views (`PostEdited`, by its author).
/// NotFound if the post is deleted.
pub async fn apply_update(
    core: &Core,
    original: &Post,
    update: ActionUpdate,
    channel: &Channel,
    author: &User,
) -> StoreResult<Post> {
    let post = updated_post(original, update);
    let edited = core.store.update_post(&post).await?;
    core.emit(Event::PostEdited {
        post: edited.clone(),
        channel: channel.clone(),
        author: author.clone(),
    })
    .await;
    Ok(edited)
}

/// The ephemeral post an integration's `ephemeral_text` answer shows to
/// `user_id`, who clicked on `original`: in its thread, with its
/// [`RETAINED_PROPS`], Slack links made Markdown unless `skip_slack_parsing`.
/// Hand it to [`show_ephemeral`](super::show_ephemeral).
pub fn ephemeral_answer(original: &Post, user_id: &str, text: &str, skip_slack_parsing: bool) -> Post {
    let message = if skip_slack_parsing {
        text.to_owned()
    } else {
        slack_links_to_markdown(text)
    };
    let mut post = super::new_post(&original.channel_id, user_id, message);
    post.post_type = "system_ephemeral".into();
    post.root_id = if original.root_id.is_empty() {
        original.id.clone()
    } else {
        original.root_id.clone()
    };
    let props: Map<String, Value> = RETAINED_PROPS
        .iter()
        .filter_map(|key| Some(((*key).to_owned(), original.props.get(*key)?.clone())))
        .collect();
    post.props = Value::Object(props);
    post
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn post_with(props: Value) -> Post {
        let mut post = super::super::new_post("c", "u", "hello".into());
        post.props = props;
        post
    }

    #[test]
    fn ids_are_assigned_to_actions_without_one_only() {
        let mut props = json!({"attachments": [
            {"actions": [{"name": "a"}, {"id": "", "name": "b"}, {"id": null}, {"id": "keep1"}]},
            {"text": "no actions"}
        ]});
        assign_action_ids(&mut props);
        let ids: Vec<&str> = actions(&props).map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(ids[3], "keep1");
        for id in &ids[..3] {
            assert_eq!(id.len(), 26);
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
    }

    #[test]
    fn integrations_are_stripped_and_other_props_borrowed() {
        let plain = json!({"from_webhook": "true"});
        assert!(matches!(without_action_integrations(&plain), Cow::Borrowed(_)));
        let props = json!({"attachments": [{"actions": [
            {"id": "a1", "integration": {"url": "http://x", "context": {"k": 1}}}
        ]}]});
        let stripped = without_action_integrations(&props);
        assert_eq!(*stripped, json!({"attachments": [{"actions": [{"id": "a1"}]}]}));
        // The stored post still has it.
        assert!(find_action(&post_with(props), "a1").is_some());
    }

    #[test]
    fn an_action_without_integration_is_not_found() {
        let post = post_with(json!({"attachments": [{"actions": [
            {"id": "a1", "type": "select", "data_source": "users",
             "integration": {"url": "http://x/act", "context": {"k": 1}}},
            {"id": "a2"}
        ]}]}));
        let found = find_action(&post, "a1").unwrap();
        assert_eq!(found.url, "http://x/act");
        assert_eq!(found.action_type, "select");
        assert_eq!(found.data_source, "users");
        assert_eq!(found.context["k"], 1);
        assert!(find_action(&post, "a2").is_none());
        assert!(find_action(&post, "a3").is_none());
    }

    #[test]
    fn an_update_keeps_the_webhook_props_and_their_absence() {
        let original = post_with(json!({"from_webhook": "true", "override_username": "bot", "x": 1}));
        let mut props = Map::new();
        props.insert("override_icon_url".into(), "http://forged".into());
        props.insert("y".into(), 2.into());
        let updated = updated_post(
            &original,
            ActionUpdate {
                message: "done".into(),
                props: Some(props),
            },
        );
        assert_eq!(
            updated.props,
            json!({"from_webhook": "true", "override_username": "bot", "y": 2})
        );
        assert_eq!(updated.message, "done");
        assert_ne!(updated.edit_at, 0);
        let kept = updated_post(
            &original,
            ActionUpdate {
                message: "hello".into(),
                props: None,
            },
        );
        assert_eq!(kept.props, original.props);
        assert_eq!(kept.edit_at, 0, "nothing shown changed");
    }

    #[test]
    fn an_ephemeral_answer_goes_in_the_thread_with_markdown_links() {
        let mut original = post_with(json!({"from_webhook": "true", "x": 1}));
        original.id = "root".into();
        let post = ephemeral_answer(&original, "clicker", "see <http://a|here>", false);
        assert_eq!(post.message, "see [here](http://a)");
        assert_eq!(post.root_id, "root");
        assert_eq!(post.user_id, "clicker");
        assert_eq!(post.props, json!({"from_webhook": "true"}));
        let raw = ephemeral_answer(&original, "clicker", "see <http://a|here>", true);
        assert_eq!(raw.message, "see <http://a|here>");
    }
}
