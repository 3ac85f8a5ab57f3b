//! Incoming and outgoing webhook management (`/api/v4/hooks/...`).
//!
//! Mirrors Mattermost's `api4/webhook.go` and `app/webhook.go`: every handler
//! checks the path id's shape (400), loads the hook (404 when it is missing or
//! deleted), then checks permissions (403), then validates the request. Field
//! lengths, `trigger_when` and the outgoing `token` length are enforced by the
//! generated router from the spec (see `field_error` in the parent module);
//! the rules a schema cannot express live here.
//!
//! Permissions are team-scoped ([`Permission`]): a hook of your own needs the
//! `manage_own_*` permission of its family in the hook's team, someone else's
//! hook also needs `manage_others_*` there.

use chathooks_mattermost_server::ops::{
    create_incoming_webhook, create_outgoing_webhook, delete_incoming_webhook, delete_outgoing_webhook,
    get_incoming_webhook, get_incoming_webhooks, get_outgoing_webhook, get_outgoing_webhooks,
    regen_outgoing_hook_token, update_incoming_webhook, update_outgoing_webhook,
};
use chathooks_mattermost_types as types;
use chathooks_runtime::Encoded;

use super::auth::{Caller, Permission, can_read_channel, has_team_permission, require_team_permission};
use super::channels::{channel_not_found, live_channel};
use super::convert;
use super::error::{ApiError, ApiResult};
use super::teams::team_not_found;
use super::users::user_not_found;
use super::{paging, status_ok};
use crate::page_answers::PageAnswers;
use chathooks_core::Core;
use chathooks_core::ids::{is_valid_id, new_id};
use chathooks_core::store::{Channel, IncomingFilter, IncomingHook, OutgoingFilter, OutgoingHook, StoreError, now_ms};

/// Mattermost's default `content_type` of an outgoing hook.
const DEFAULT_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Limit on the trigger words and on the callback URLs of an outgoing hook,
/// each measured as Go prints the list (see [`go_list_len`]).
const MAX_JOINED_LEN: usize = 1024;

/// Page size used when scanning all hooks of a channel for overlaps.
const SCAN_PAGE: u32 = 200;

// ----- errors -----

fn incoming_not_found() -> ApiError {
    ApiError::not_found("app.webhooks.get_incoming.app_error", "Unable to get the webhook.")
}

fn outgoing_not_found() -> ApiError {
    ApiError::not_found("app.webhooks.get_outgoing.app_error", "Unable to get the webhook.")
}

/// Mattermost's `SetInvalidParam`: a parameter that is well-formed but wrong
/// (a body id that differs from the path id, a channel of another team).
fn invalid_param(name: &str) -> ApiError {
    ApiError::bad_request(
        "api.context.invalid_param.app_error",
        format!("Invalid {name} parameter."),
    )
}

fn team_mismatch() -> ApiError {
    ApiError::bad_request(
        "api.webhook.team_mismatch.app_error",
        "Unable to update a webhook across teams.",
    )
}

/// A store `NotFound` while writing a hook means it was deleted meanwhile:
/// answer like the lookup would have.
fn or_missing(missing: fn() -> ApiError) -> impl FnOnce(StoreError) -> ApiError {
    move |error| match error {
        StoreError::NotFound => missing(),
        other => other.into(),
    }
}

// ----- permissions -----

/// The two webhook families, each with its own pair of permissions.
#[derive(Debug, Clone, Copy)]
enum Family {
    Incoming,
    Outgoing,
}

impl Family {
    fn own(self) -> Permission {
        match self {
            Family::Incoming => Permission::ManageOwnIncomingHooks,
            Family::Outgoing => Permission::ManageOwnOutgoingHooks,
        }
    }

    fn others(self) -> Permission {
        match self {
            Family::Incoming => Permission::ManageOthersIncomingHooks,
            Family::Outgoing => Permission::ManageOthersOutgoingHooks,
        }
    }
}

/// 403 unless `caller` may manage a hook of `family` in `team_id` owned by
/// `owner_id`: the own-permission always, the others-permission as well when
/// the hook is someone else's. Users outside the team hold neither.
async fn require_manage(state: &Core, caller: &Caller, family: Family, team_id: &str, owner_id: &str) -> ApiResult<()> {
    require_team_permission(state, &caller.user, team_id, family.own()).await?;
    if owner_id != caller.user.id {
        require_team_permission(state, &caller.user, team_id, family.others()).await?;
    }
    Ok(())
}

/// A list without a team: 403 unless the caller's system roles hold the
/// own-permission of `family`; `Some(caller)` (only their own hooks) unless
/// they hold the others-permission too. Mattermost's default `system_user`
/// holds neither, `system_admin` both.
async fn system_scope(state: &Core, caller: &Caller, family: Family) -> ApiResult<Option<String>> {
    use chathooks_core::permissions::has_system_permission;
    if !has_system_permission(state, &caller.user, family.own()).await? {
        return Err(ApiError::forbidden());
    }
    let all = has_system_permission(state, &caller.user, family.others()).await?;
    Ok((!all).then(|| caller.user.id.clone()))
}

/// Does `caller` see every hook of `family` in `team_id`, or only their own?
async fn sees_others(state: &Core, caller: &Caller, family: Family, team_id: &str) -> ApiResult<bool> {
    has_team_permission(state, &caller.user, team_id, family.others()).await
}

/// 403 unless `caller` may read `channel` (private channels: members only).
async fn require_read(state: &Core, caller: &Caller, channel: &Channel) -> ApiResult<()> {
    if can_read_channel(state, &caller.user, channel).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// A channel a hook body names: 404 when there is no live channel with it,
/// malformed ids included, since Mattermost's `GetChannel` looks any string up
/// and finds nothing.
async fn body_channel(state: &Core, channel_id: &str) -> ApiResult<Channel> {
    if !is_valid_id(channel_id) {
        return Err(channel_not_found());
    }
    live_channel(state, channel_id).await
}

/// Owner of a new hook: the caller, or the user a body names (`user_id` /
/// `creator_id`), which needs the others-permission in the team (403) and an
/// existing user (404), as Mattermost's `GetUser` does. The named owner must
/// also be a member of the team (400 `user_id`), hold no more than the caller
/// (a system admin's hook only from a system admin: 403), and be able to read
/// the hook's channel when it is private (403): a hook posts as its owner,
/// so these keep it from reaching what its owner or its creator could not.
async fn new_hook_owner(
    state: &Core,
    caller: &Caller,
    family: Family,
    team_id: &str,
    channel: Option<&Channel>,
    requested: Option<&str>,
) -> ApiResult<String> {
    let owner = match requested {
        Some(id) if !id.is_empty() && id != caller.user.id => id,
        _ => return Ok(caller.user.id.clone()),
    };
    require_team_permission(state, &caller.user, team_id, family.others()).await?;
    let user = state.read().get_user(owner).await?.ok_or_else(user_not_found)?;
    if user.is_system_admin() && !caller.is_system_admin() {
        return Err(ApiError::forbidden());
    }
    if !chathooks_core::permissions::is_team_member(state, &user, team_id).await? {
        return Err(invalid_param("user_id"));
    }
    if let Some(channel) = channel.filter(|c| c.channel_type != chathooks_core::store::CHANNEL_OPEN)
        && !can_read_channel(state, &user, channel).await?
    {
        return Err(ApiError::forbidden());
    }
    Ok(user.id)
}

/// A body's id must be the path's (checked after the path id's shape).
fn require_same_id(path_id: &str, body_id: &str) -> ApiResult<()> {
    if !is_valid_id(path_id) {
        return Err(ApiError::invalid_url_param("hook_id"));
    }
    if body_id != path_id {
        return Err(invalid_param("hook_id"));
    }
    Ok(())
}

/// A non-empty body `team_id` must be the hook's: hooks never change team.
fn require_same_team(hook_team_id: &str, body_team_id: Option<&str>) -> ApiResult<()> {
    match body_team_id {
        Some(team_id) if !team_id.is_empty() && team_id != hook_team_id => Err(team_mismatch()),
        _ => Ok(()),
    }
}

/// An optional text field of a body, `""` when absent (Mattermost's zero value).
fn text<T: Into<String>>(value: Option<T>) -> String {
    value.map(Into::into).unwrap_or_default()
}

// ----- incoming hooks -----

/// The live incoming hook `hook_id` names: 400 for a malformed id, 404 when
/// missing or deleted.
async fn load_incoming(state: &Core, hook_id: &str) -> ApiResult<IncomingHook> {
    if !is_valid_id(hook_id) {
        return Err(ApiError::invalid_url_param("hook_id"));
    }
    state.read().get_incoming(hook_id).await?.ok_or_else(incoming_not_found)
}

/// An incoming hook the caller may manage and whose channel they can read
/// (get and delete): 404 before 403, as Mattermost loads the hook first.
async fn managed_incoming(state: &Core, caller: &Caller, hook_id: &str) -> ApiResult<IncomingHook> {
    let hook = load_incoming(state, hook_id).await?;
    require_manage(state, caller, Family::Incoming, &hook.team_id, &hook.user_id).await?;
    // The hook's channel may be archived since; it still decides who reads it.
    let channel = state
        .read()
        .get_channel(&hook.channel_id)
        .await?
        .ok_or_else(channel_not_found)?;
    require_read(state, caller, &channel).await?;
    Ok(hook)
}

/// `channel_locked` as stored: what the client asked for, but always true for
/// callers without `bypass_incoming_webhook_channel_lock` in the team, so they
/// cannot make a hook that posts to channels they could not pick.
async fn channel_lock(state: &Core, caller: &Caller, team_id: &str, requested: bool) -> ApiResult<bool> {
    if requested {
        return Ok(true);
    }
    let bypass = has_team_permission(state, &caller.user, team_id, Permission::BypassIncomingHookChannelLock).await?;
    Ok(!bypass)
}

/// Who sees which incoming hooks in a list.
///
/// With `team_id`: `manage_own_incoming_webhooks` there (403 otherwise), and
/// only one's own hooks without `manage_others_incoming_webhooks` there.
///
/// Without it Mattermost checks the same permissions at system level, that
/// is in the caller's system roles ([`system_scope`]).
async fn incoming_filter(state: &Core, caller: &Caller, team_id: Option<String>) -> ApiResult<IncomingFilter> {
    let Some(team_id) = team_id.filter(|t| !t.is_empty()) else {
        let user_id = system_scope(state, caller, Family::Incoming).await?;
        return Ok(IncomingFilter { team_id: None, user_id });
    };
    require_team_permission(state, &caller.user, &team_id, Family::Incoming.own()).await?;
    let user_id = if sees_others(state, caller, Family::Incoming, &team_id).await? {
        None
    } else {
        Some(caller.user.id.clone())
    };
    Ok(IncomingFilter {
        team_id: Some(team_id),
        user_id,
    })
}

/// Encoded pages of `GET /api/v4/hooks/incoming`, by filter, page and page size.
pub(crate) type IncomingPages = PageAnswers<(IncomingFilter, u32, u32), IncomingHook, get_incoming_webhooks::Response>;

/// `GET /api/v4/hooks/incoming`: one page, oldest first; with
/// `include_total_count` an object that also counts the whole filtered set.
///
/// A page without the count is encoded once and served from `pages` while the
/// store returns the same page (see [`PageAnswers`]).
pub(crate) async fn get_incoming_webhooks(
    state: &Core,
    pages: &IncomingPages,
    caller: Caller,
    request: get_incoming_webhooks::Request,
) -> ApiResult<get_incoming_webhooks::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Incoming).await?;
    let (page, per_page) = paging(request.page, request.per_page);
    let filter = incoming_filter(state, &caller, request.team_id).await?;
    let records = state.read().incoming_page(&filter, page, per_page).await?;
    let hooks = || records.iter().cloned().map(convert::incoming).collect();
    if request.include_total_count {
        // The count is not cached, so neither is this answer.
        let body = types::GetIncomingWebhooksResponse::Variant1(types::IncomingWebhookListWithCount {
            incoming_webhooks: hooks(),
            total_count: state.read().count_incoming(&filter).await?,
        });
        return Ok(get_incoming_webhooks::Response::Ok(body));
    }
    let key = (filter, page, per_page);
    if let Some(encoded) = pages.get(&key, &records) {
        return Ok(get_incoming_webhooks::Response::Encoded(encoded));
    }
    let body = types::GetIncomingWebhooksResponse::Variant0(types::IncomingWebhookList(hooks()));
    let encoded = Encoded::of(get_incoming_webhooks::Response::Ok(body)).await;
    pages.put(key, &records, encoded.clone());
    Ok(get_incoming_webhooks::Response::Encoded(encoded))
}

/// `POST /api/v4/hooks/incoming`: the channel decides the team; the owner is
/// the caller unless `user_id` names someone else.
///
/// The spec promises that a client-supplied `id` is refused, but the body
/// schema has no `id` property and unknown fields are ignored, so such an id
/// never reaches this handler; the hook always gets a new id.
pub(crate) async fn create_incoming_webhook(
    state: &Core,
    caller: Caller,
    request: create_incoming_webhook::Request,
) -> ApiResult<create_incoming_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Incoming).await?;
    let body = request.body;
    if body.id.as_deref().is_some_and(|id| !id.is_empty()) {
        return Err(ApiError::bad_request(
            "model.incoming_hook.id.app_error",
            "Invalid Id: ids are chosen by the server.",
        ));
    }
    let channel = body_channel(state, &body.channel_id).await?;
    require_team_permission(state, &caller.user, &channel.team_id, Family::Incoming.own()).await?;
    require_read(state, &caller, &channel).await?;
    let owner = new_hook_owner(
        state,
        &caller,
        Family::Incoming,
        &channel.team_id,
        Some(&channel),
        body.user_id.as_deref(),
    )
    .await?;
    let channel_locked = channel_lock(state, &caller, &channel.team_id, body.channel_locked).await?;
    let (name_override, icon_override) = crate::config::overrides(state).await?;
    let now = now_ms();
    let hook = IncomingHook {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        user_id: owner,
        channel_id: channel.id,
        team_id: channel.team_id,
        display_name: text(body.display_name),
        description: text(body.description),
        // With the override switches off Mattermost stores neither.
        username: if name_override {
            text(body.username)
        } else {
            String::new()
        },
        icon_url: if icon_override {
            text(body.icon_url)
        } else {
            String::new()
        },
        channel_locked,
    };
    let hook = chathooks_core::hooks::create_incoming(state, &hook).await?;
    Ok(create_incoming_webhook::Response::Created(convert::incoming(hook)))
}

/// `GET /api/v4/hooks/incoming/{hook_id}`.
pub(crate) async fn get_incoming_webhook(
    state: &Core,
    caller: Caller,
    request: get_incoming_webhook::Request,
) -> ApiResult<get_incoming_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Incoming).await?;
    let hook = managed_incoming(state, &caller, &request.hook_id).await?;
    Ok(get_incoming_webhook::Response::Ok(convert::incoming(hook)))
}

/// `PUT /api/v4/hooks/incoming/{hook_id}`: the body replaces every mutable
/// field (omitted ones are cleared); id, owner, team and `create_at` stay.
/// Answers 201 like the real server.
///
/// Order: ids (400), the hook (404), permission on it (403), then the body's
/// team and channel. Mattermost checks the body's team and channel before the
/// permission; checking the permission first keeps users who may not touch
/// the hook from learning anything about channels through it.
pub(crate) async fn update_incoming_webhook(
    state: &Core,
    caller: Caller,
    request: update_incoming_webhook::Request,
) -> ApiResult<update_incoming_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Incoming).await?;
    let body = request.body;
    require_same_id(&request.hook_id, &body.id)?;
    let hook = load_incoming(state, &request.hook_id).await?;
    require_manage(state, &caller, Family::Incoming, &hook.team_id, &hook.user_id).await?;
    require_same_team(&hook.team_id, body.team_id.as_deref())?;
    let channel = body_channel(state, &body.channel_id).await?;
    if channel.team_id != hook.team_id {
        return Err(invalid_param("channel_id"));
    }
    require_read(state, &caller, &channel).await?;
    let channel_locked = channel_lock(state, &caller, &hook.team_id, body.channel_locked.unwrap_or(false)).await?;
    // With the override switches off Mattermost clears these on update.
    let (name_override, icon_override) = crate::config::overrides(state).await?;
    let updated = IncomingHook {
        update_at: now_ms(),
        channel_id: channel.id,
        display_name: text(body.display_name),
        description: text(body.description),
        username: if name_override {
            text(body.username)
        } else {
            String::new()
        },
        icon_url: if icon_override {
            text(body.icon_url)
        } else {
            String::new()
        },
        channel_locked,
        ..hook
    };
    let stored = chathooks_core::hooks::update_incoming(state, &updated)
        .await
        .map_err(or_missing(incoming_not_found))?;
    Ok(update_incoming_webhook::Response::Created(convert::incoming(stored)))
}

/// `DELETE /api/v4/hooks/incoming/{hook_id}`: a soft delete; the hook then
/// reads as missing everywhere (404, and executions are refused).
pub(crate) async fn delete_incoming_webhook(
    state: &Core,
    caller: Caller,
    request: delete_incoming_webhook::Request,
) -> ApiResult<delete_incoming_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Incoming).await?;
    let hook = managed_incoming(state, &caller, &request.hook_id).await?;
    chathooks_core::hooks::delete_incoming(state, &hook.id, now_ms())
        .await
        .map_err(or_missing(incoming_not_found))?;
    Ok(delete_incoming_webhook::Response::Ok(status_ok()))
}

// ----- outgoing hooks -----

/// The live outgoing hook `hook_id` names: 400 for a malformed id, 404 when
/// missing or deleted.
async fn load_outgoing(state: &Core, hook_id: &str) -> ApiResult<OutgoingHook> {
    if !is_valid_id(hook_id) {
        return Err(ApiError::invalid_url_param("hook_id"));
    }
    state.read().get_outgoing(hook_id).await?.ok_or_else(outgoing_not_found)
}

/// An outgoing hook the caller may manage: 404 before 403.
async fn managed_outgoing(state: &Core, caller: &Caller, hook_id: &str) -> ApiResult<OutgoingHook> {
    let hook = load_outgoing(state, hook_id).await?;
    require_manage(state, caller, Family::Outgoing, &hook.team_id, &hook.creator_id).await?;
    Ok(hook)
}

/// Which of the two overlap errors to give: creation and update have their
/// own ids in Mattermost.
#[derive(Debug, Clone, Copy)]
enum Action {
    Create,
    Update,
}

impl Action {
    fn overlap_error(self) -> ApiError {
        let id = match self {
            Action::Create => "api.webhook.create_outgoing.intersect.app_error",
            Action::Update => "api.webhook.update_outgoing.intersect.app_error",
        };
        ApiError::bad_request(
            id,
            "Outgoing webhooks from the same channel cannot have the same trigger words/callback URLs.",
        )
    }
}

/// Everything Mattermost checks on an outgoing hook before storing it, in
/// its order: where it listens, its fields, then overlap with other hooks.
async fn check_outgoing(state: &Core, hook: &OutgoingHook, action: Action) -> ApiResult<()> {
    check_outgoing_channel(state, hook).await?;
    check_outgoing_fields(hook)?;
    check_overlap(state, hook, action).await
}

/// A hook with a channel watches that channel, which must exist (404), be
/// public (403) and be in the hook's team (403); a team-wide hook needs
/// trigger words, or it would fire on every message of the team.
///
/// The real server answers the missing trigger words with 500 on update; we
/// answer 400 on both, as it is the client's mistake.
async fn check_outgoing_channel(state: &Core, hook: &OutgoingHook) -> ApiResult<()> {
    if hook.channel_id.is_empty() {
        if hook.trigger_words.is_empty() {
            return Err(ApiError::bad_request(
                "api.webhook.create_outgoing.triggers.app_error",
                "Either trigger_words or channel_id must be set.",
            ));
        }
        return Ok(());
    }
    let channel = body_channel(state, &hook.channel_id).await?;
    if channel.channel_type != "O" {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "api.webhook.create_outgoing.not_open.app_error",
            "Outgoing webhooks can only be created for public channels.",
        ));
    }
    if channel.team_id != hook.team_id {
        return Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "api.webhook.create_outgoing.permissions.app_error",
            "Invalid permissions to create outgoing webhook.",
        ));
    }
    Ok(())
}

/// The rules of Mattermost's `OutgoingWebhook.IsValid` the schema cannot
/// state: combined lengths and URL syntax. (Lengths of single fields, empty
/// trigger words, `trigger_when` and the token length are schema rules.)
fn check_outgoing_fields(hook: &OutgoingHook) -> ApiResult<()> {
    if go_list_len(&hook.trigger_words) > MAX_JOINED_LEN {
        return Err(ApiError::bad_request(
            "model.outgoing_hook.is_valid.words.app_error",
            "Invalid trigger words.",
        ));
    }
    if hook.callback_urls.is_empty() || go_list_len(&hook.callback_urls) > MAX_JOINED_LEN {
        return Err(ApiError::bad_request(
            "model.outgoing_hook.is_valid.callback.app_error",
            "Invalid callback urls.",
        ));
    }
    if !hook.callback_urls.iter().all(|u| is_http_url(u)) {
        return Err(ApiError::bad_request(
            "model.outgoing_hook.is_valid.url.app_error",
            "Invalid callback urls. Each must be a valid URL and start with http:// or https://.",
        ));
    }
    Ok(())
}

/// Length in bytes of a list as Go's `fmt.Sprintf("%s", list)` prints it
/// (`[a b c]`), which is what Mattermost compares with its limits.
fn go_list_len(items: &[String]) -> usize {
    let words: usize = items.iter().map(String::len).sum();
    words + items.len().saturating_sub(1) + 2
}

/// Mattermost's `IsValidHTTPURL`: an absolute http(s) URL with a host.
fn is_http_url(raw: &str) -> bool {
    if !(raw.starts_with("http://") || raw.starts_with("https://")) {
        return false;
    }
    url::Url::parse(raw).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// Refuse a hook that would fire together with another live hook of the same
/// channel (or both team-wide) for the same trigger word and callback URL:
/// each such message would be delivered twice.
async fn check_overlap(state: &Core, hook: &OutgoingHook, action: Action) -> ApiResult<()> {
    let filter = OutgoingFilter {
        team_id: Some(hook.team_id.clone()),
        channel_id: Some(hook.channel_id.clone()),
        creator_id: None,
    };
    let mut page = 0;
    loop {
        let batch = state.read().list_outgoing(&filter, page, SCAN_PAGE).await?;
        if batch.iter().any(|other| overlaps(other, hook)) {
            return Err(action.overlap_error());
        }
        if batch.len() < SCAN_PAGE as usize {
            return Ok(());
        }
        page += 1;
    }
}

fn overlaps(existing: &OutgoingHook, hook: &OutgoingHook) -> bool {
    let shares = |a: &[String], b: &[String]| a.iter().any(|x| b.contains(x));
    existing.id != hook.id
        && existing.channel_id == hook.channel_id
        && shares(&existing.trigger_words, &hook.trigger_words)
        && shares(&existing.callback_urls, &hook.callback_urls)
}

/// `trigger_when` as stored; the schema admits only 0 and 1.
fn trigger_when(value: Option<i64>) -> i32 {
    i32::from(value == Some(1))
}

/// `content_type` as stored: Mattermost's default when none is given.
fn content_type(value: Option<String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())
}

/// Who sees which outgoing hooks in a list: like [`incoming_filter`], plus
/// `channel_id`, which takes precedence over `team_id` and needs
/// `manage_own_outgoing_webhooks` in the channel's team and read access to the
/// channel. An unknown channel is 403 for everyone (Mattermost finds no
/// permission on it).
async fn outgoing_filter(
    state: &Core,
    caller: &Caller,
    team_id: Option<String>,
    channel_id: Option<String>,
) -> ApiResult<OutgoingFilter> {
    if let Some(channel_id) = channel_id.filter(|c| !c.is_empty()) {
        return channel_outgoing_filter(state, caller, channel_id).await;
    }
    let Some(team_id) = team_id.filter(|t| !t.is_empty()) else {
        let creator_id = system_scope(state, caller, Family::Outgoing).await?;
        return Ok(OutgoingFilter {
            creator_id,
            ..OutgoingFilter::default()
        });
    };
    require_team_permission(state, &caller.user, &team_id, Family::Outgoing.own()).await?;
    let creator_id = if sees_others(state, caller, Family::Outgoing, &team_id).await? {
        None
    } else {
        Some(caller.user.id.clone())
    };
    Ok(OutgoingFilter {
        team_id: Some(team_id),
        channel_id: None,
        creator_id,
    })
}

async fn channel_outgoing_filter(state: &Core, caller: &Caller, channel_id: String) -> ApiResult<OutgoingFilter> {
    // Mattermost's `SessionHasPermissionToChannel` is false for a channel it
    // cannot find, whoever asks: 403, system admins included.
    let Some(channel) = state.read().get_channel(&channel_id).await? else {
        return Err(ApiError::forbidden());
    };
    require_team_permission(state, &caller.user, &channel.team_id, Family::Outgoing.own()).await?;
    require_read(state, caller, &channel).await?;
    let creator_id = if sees_others(state, caller, Family::Outgoing, &channel.team_id).await? {
        None
    } else {
        Some(caller.user.id.clone())
    };
    Ok(OutgoingFilter {
        team_id: None,
        channel_id: Some(channel.id),
        creator_id,
    })
}

fn outgoing_list(hooks: &[OutgoingHook]) -> ApiResult<Vec<types::OutgoingWebhook>> {
    hooks.iter().map(convert::outgoing).collect()
}

/// `GET /api/v4/hooks/outgoing`: one page, oldest first; with
/// `include_total_count` an object that also counts the whole filtered set.
pub(crate) async fn get_outgoing_webhooks(
    state: &Core,
    caller: Caller,
    request: get_outgoing_webhooks::Request,
) -> ApiResult<get_outgoing_webhooks::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Outgoing).await?;
    let (page, per_page) = paging(request.page, request.per_page);
    let filter = outgoing_filter(state, &caller, request.team_id, request.channel_id).await?;
    let hooks = outgoing_list(&state.read().list_outgoing(&filter, page, per_page).await?)?;
    let body = if request.include_total_count {
        types::GetOutgoingWebhooksResponse::Variant1(types::OutgoingWebhookListWithCount {
            outgoing_webhooks: hooks,
            total_count: state.read().count_outgoing(&filter).await?,
        })
    } else {
        types::GetOutgoingWebhooksResponse::Variant0(types::OutgoingWebhookList(hooks))
    };
    Ok(get_outgoing_webhooks::Response::Ok(body))
}

/// `POST /api/v4/hooks/outgoing`: a hook watching `team_id` or one public
/// channel of it. The token is the client's (26 characters) or a new id.
pub(crate) async fn create_outgoing_webhook(
    state: &Core,
    caller: Caller,
    request: create_outgoing_webhook::Request,
) -> ApiResult<create_outgoing_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Outgoing).await?;
    let body = request.body;
    if body.id.as_deref().is_some_and(|id| !id.is_empty()) {
        return Err(ApiError::bad_request(
            "model.outgoing_hook.id.app_error",
            "Invalid Id: ids are chosen by the server.",
        ));
    }
    if !is_valid_id(&body.team_id) {
        return Err(ApiError::invalid_body_param("team_id"));
    }
    require_team_permission(state, &caller.user, &body.team_id, Family::Outgoing.own()).await?;
    let creator_id = new_hook_owner(
        state,
        &caller,
        Family::Outgoing,
        &body.team_id,
        None,
        body.creator_id.as_deref(),
    )
    .await?;
    // Only system admins get here for a team that does not exist.
    let team = state
        .read()
        .get_team(&body.team_id)
        .await?
        .filter(|t| t.delete_at == 0)
        .ok_or_else(team_not_found)?;
    let now = now_ms();
    let hook = OutgoingHook {
        id: new_id(),
        token: new_token(body.token)?,
        create_at: now,
        update_at: now,
        delete_at: 0,
        creator_id,
        channel_id: body.channel_id.unwrap_or_default(),
        team_id: team.id,
        trigger_words: body.trigger_words.into_iter().flatten().map(String::from).collect(),
        trigger_when: trigger_when(body.trigger_when.map(i64::from)),
        callback_urls: body.callback_urls.unwrap_or_default(),
        display_name: text(body.display_name),
        description: text(body.description),
        content_type: content_type(body.content_type.map(String::from)),
        username: text(body.username),
        icon_url: text(body.icon_url),
    };
    check_outgoing(state, &hook, Action::Create).await?;
    let hook = chathooks_core::hooks::create_outgoing(state, &hook).await?;
    Ok(create_outgoing_webhook::Response::Created(convert::outgoing(&hook)?))
}

/// `GET /api/v4/hooks/outgoing/{hook_id}`, token included.
pub(crate) async fn get_outgoing_webhook(
    state: &Core,
    caller: Caller,
    request: get_outgoing_webhook::Request,
) -> ApiResult<get_outgoing_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Outgoing).await?;
    let hook = managed_outgoing(state, &caller, &request.hook_id).await?;
    Ok(get_outgoing_webhook::Response::Ok(convert::outgoing(&hook)?))
}

/// The token of a new hook: the client's when it sends one (exactly 26
/// characters, as `OutgoingWebhook.IsValid` demands), else a new one; `""` is
/// none, as Mattermost's `PreSave` fills in an empty token.
fn new_token(requested: Option<String>) -> ApiResult<String> {
    updated_token(&new_id(), requested)
}

/// The token an update leaves on the hook: the stored one when the body has
/// none; a body token must be a valid token (26 characters, as
/// `OutgoingWebhook.IsValid` demands), and replaces the stored one, since the
/// real server stores the token it is sent.
fn updated_token(stored: &str, requested: Option<String>) -> ApiResult<String> {
    match requested.filter(|t| !t.is_empty()) {
        None => Ok(stored.to_owned()),
        Some(token) if token.chars().count() == chathooks_core::ids::MM_ID_LEN => Ok(token),
        Some(_) => Err(ApiError::bad_request(
            "model.outgoing_hook.is_valid.token.app_error",
            "Invalid token.",
        )),
    }
}

/// `PUT /api/v4/hooks/outgoing/{hook_id}`: the body replaces every mutable
/// field (omitted ones are cleared; an omitted `content_type` becomes the
/// default, an omitted `token` keeps the current one); creator, team and
/// `create_at` stay. The rules of creation apply.
pub(crate) async fn update_outgoing_webhook(
    state: &Core,
    caller: Caller,
    request: update_outgoing_webhook::Request,
) -> ApiResult<update_outgoing_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Outgoing).await?;
    let body = request.body;
    require_same_id(&request.hook_id, &body.id)?;
    let hook = managed_outgoing(state, &caller, &request.hook_id).await?;
    require_same_team(&hook.team_id, body.team_id.as_deref())?;
    let token = updated_token(&hook.token, body.token)?;
    let updated = OutgoingHook {
        update_at: now_ms(),
        channel_id: body.channel_id.unwrap_or_default(),
        trigger_words: body.trigger_words.into_iter().flatten().map(String::from).collect(),
        trigger_when: trigger_when(body.trigger_when.map(i64::from)),
        callback_urls: body.callback_urls.unwrap_or_default(),
        display_name: text(body.display_name),
        description: text(body.description),
        content_type: content_type(body.content_type.map(String::from)),
        username: text(body.username),
        icon_url: text(body.icon_url),
        ..hook
    };
    check_outgoing(state, &updated, Action::Update).await?;
    let mut stored = chathooks_core::hooks::update_outgoing(state, &updated)
        .await
        .map_err(or_missing(outgoing_not_found))?;
    if token != stored.token {
        stored = chathooks_core::hooks::regen_outgoing_token(state, &stored.id, &token, stored.update_at)
            .await
            .map_err(or_missing(outgoing_not_found))?;
    }
    Ok(update_outgoing_webhook::Response::Ok(convert::outgoing(&stored)?))
}

/// `DELETE /api/v4/hooks/outgoing/{hook_id}`: a soft delete; the hook no
/// longer fires and reads as missing.
pub(crate) async fn delete_outgoing_webhook(
    state: &Core,
    caller: Caller,
    request: delete_outgoing_webhook::Request,
) -> ApiResult<delete_outgoing_webhook::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Outgoing).await?;
    let hook = managed_outgoing(state, &caller, &request.hook_id).await?;
    chathooks_core::hooks::delete_outgoing(state, &hook.id, now_ms())
        .await
        .map_err(or_missing(outgoing_not_found))?;
    Ok(delete_outgoing_webhook::Response::Ok(status_ok()))
}

/// `POST /api/v4/hooks/outgoing/{hook_id}/regen_token`: a new token; answers
/// the whole updated hook, as the real server does (not StatusOK).
pub(crate) async fn regen_outgoing_hook_token(
    state: &Core,
    caller: Caller,
    request: regen_outgoing_hook_token::Request,
) -> ApiResult<regen_outgoing_hook_token::Response> {
    crate::config::require_enabled(state, crate::config::HookKind::Outgoing).await?;
    let hook = managed_outgoing(state, &caller, &request.hook_id).await?;
    let hook = chathooks_core::hooks::regen_outgoing_token(state, &hook.id, &new_id(), now_ms())
        .await
        .map_err(or_missing(outgoing_not_found))?;
    Ok(regen_outgoing_hook_token::Response::Ok(convert::outgoing(&hook)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_measured_as_go_prints_them() {
        assert_eq!(go_list_len(&[]), 2);
        assert_eq!(go_list_len(&["a".into()]), 3);
        assert_eq!(go_list_len(&["ab".into(), "c".into()]), 6);
    }

    #[test]
    fn callback_urls_must_be_http() {
        assert!(is_http_url("http://example.com/hook"));
        assert!(is_http_url("https://example.com:8443/"));
        for bad in ["ftp://example.com", "example.com", "http://", "HTTP://example.com"] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn trigger_when_and_content_type_defaults() {
        assert_eq!(trigger_when(None), 0);
        assert_eq!(trigger_when(Some(0)), 0);
        assert_eq!(trigger_when(Some(1)), 1);
        assert_eq!(content_type(None), DEFAULT_CONTENT_TYPE);
        assert_eq!(content_type(Some(String::new())), DEFAULT_CONTENT_TYPE);
        assert_eq!(content_type(Some("application/json".into())), "application/json");
    }

    #[test]
    fn an_update_keeps_or_replaces_the_token() {
        let stored = "a".repeat(26);
        let other = "b".repeat(26);
        assert_eq!(updated_token(&stored, None), Ok(stored.clone()));
        assert_eq!(updated_token(&stored, Some(String::new())), Ok(stored.clone()));
        assert_eq!(updated_token(&stored, Some(other.clone())), Ok(other));
        let error = updated_token(&stored, Some("short".into())).unwrap_err();
        assert_eq!(error.id, "model.outgoing_hook.is_valid.token.app_error");
    }
}
