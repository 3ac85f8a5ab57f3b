//! Mattermost webhooks a seed file declares (`[[mattermost.incoming]]`,
//! `[[mattermost.outgoing]]`), under their declared ids, so `/hooks/<id>` is
//! stable across starts; and bot accounts (`[[mattermost.bots]]`) with fixed
//! personal access tokens, so that a test can post as a bot at once.

use std::collections::HashSet;

use chathooks_core::Core;
use chathooks_core::accounts::valid_username;
use chathooks_core::bots::{self, BotChanges};
use chathooks_core::ids::{is_valid_id, new_id};
use chathooks_core::store::{
    AccessToken, IncomingHook, OutgoingHook, ROLES_CHANNEL_USER, ROLES_TEAM_USER, TeamMember, User, now_ms,
};
use chathooks_dialect::seed::{
    Applied, Declared, LoadedSection, SeedError, SeedSection, SeedSource, Seeded, valid_secret,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;
use toml::Spanned;

/// This dialect's part of the seed file.
pub(crate) struct Section;

/// The file as this section reads it: its own key, the rest left to others.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    mattermost: MattermostSeed,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MattermostSeed {
    #[serde(default)]
    incoming: Vec<MmIncomingSeed>,
    #[serde(default)]
    outgoing: Vec<MmOutgoingSeed>,
    #[serde(default)]
    bots: Vec<MmBotSeed>,
}

/// `[[mattermost.bots]]`: a bot account, made if its username is free and
/// brought in line with the file if it exists (a disabled bot is enabled
/// again).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MmBotSeed {
    /// Mattermost's username rule; not a name `[[users]]` declares.
    username: Spanned<String>,
    display_name: Option<String>,
    description: Option<String>,
    /// A declared user.
    owner: Spanned<String>,
    /// Fixed personal access tokens (as `[[users]]`' `tokens`).
    #[serde(default)]
    tokens: Vec<Spanned<String>>,
    /// `team/channel`s the bot joins (and their teams).
    #[serde(default)]
    channels: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MmIncomingSeed {
    id: Spanned<String>,
    /// `team/channel`.
    channel: Spanned<String>,
    owner: Spanned<String>,
    display_name: Option<String>,
    description: Option<String>,
    username: Option<String>,
    icon_url: Option<String>,
    #[serde(default)]
    channel_locked: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MmOutgoingSeed {
    id: Spanned<String>,
    token: Option<Spanned<String>>,
    team: Spanned<String>,
    /// A channel name in `team`; without it the hook watches the whole team.
    channel: Option<Spanned<String>>,
    #[serde(default)]
    trigger_words: Vec<String>,
    /// `first_word` (the default: the first word equals a trigger word) or
    /// `starts_with` (the first word starts with one).
    trigger_when: Option<Spanned<String>>,
    callback_urls: Vec<Spanned<String>>,
    content_type: Option<Spanned<String>>,
    owner: Spanned<String>,
    display_name: Option<String>,
    description: Option<String>,
    username: Option<String>,
    icon_url: Option<String>,
}

impl SeedSection for Section {
    fn key(&self) -> &'static str {
        "mattermost"
    }

    fn load(&self, source: &SeedSource<'_>, declared: &Declared) -> Result<Box<dyn LoadedSection>, SeedError> {
        let file: File = source.parse()?;
        check(source, declared, &file.mattermost)?;
        Ok(Box::new(file.mattermost))
    }

    fn is_hook_id(&self, id: &str) -> bool {
        is_valid_id(id)
    }
}

fn check(source: &SeedSource<'_>, declared: &Declared, section: &MattermostSeed) -> Result<(), SeedError> {
    let mut ids = HashSet::new();
    let mut new_id = |id: &Spanned<String>| {
        if !is_valid_id(id.get_ref()) {
            return Err(source.at(
                id,
                format!("invalid hook id `{}` (26 characters of a-z and 0-9)", id.get_ref()),
            ));
        }
        if !ids.insert(id.get_ref().clone()) {
            return Err(source.at(id, "this id is declared twice"));
        }
        Ok(())
    };
    for hook in &section.incoming {
        new_id(&hook.id)?;
        let Some((team, channel)) = hook.channel.get_ref().split_once('/') else {
            return Err(source.at(&hook.channel, "`channel` must be `team/channel`"));
        };
        if !declared.has_channel(team, channel) {
            return Err(source.at(
                &hook.channel,
                format!("unknown channel `{team}/{channel}` (declare it under [[channels]])"),
            ));
        }
        declared.user(source, &hook.owner)?;
    }
    for hook in &section.outgoing {
        new_id(&hook.id)?;
        if let Some(token) = &hook.token
            && !is_valid_id(token.get_ref())
        {
            return Err(source.at(token, "invalid outgoing hook token (26 characters of a-z and 0-9)"));
        }
        if !declared.teams.contains(hook.team.get_ref()) {
            return Err(source.at(&hook.team, format!("unknown team `{}`", hook.team.get_ref())));
        }
        if let Some(channel) = &hook.channel
            && !declared.has_channel(hook.team.get_ref(), channel.get_ref())
        {
            return Err(source.at(
                channel,
                format!("unknown channel `{}/{}`", hook.team.get_ref(), channel.get_ref()),
            ));
        }
        if let Some(when) = &hook.trigger_when
            && !matches!(when.get_ref().as_str(), "first_word" | "starts_with")
        {
            return Err(source.at(when, "`trigger_when` is `first_word` or `starts_with`"));
        }
        if let Some(kind) = &hook.content_type
            && !matches!(
                kind.get_ref().as_str(),
                "application/json" | "application/x-www-form-urlencoded"
            )
        {
            return Err(source.at(
                kind,
                "`content_type` is `application/json` or `application/x-www-form-urlencoded`",
            ));
        }
        if hook.callback_urls.is_empty() {
            return Err(source.at(&hook.id, "an outgoing hook needs `callback_urls`"));
        }
        for url in &hook.callback_urls {
            if url::Url::parse(url.get_ref()).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
                return Err(source.at(url, format!("invalid callback URL `{}`", url.get_ref())));
            }
        }
        declared.user(source, &hook.owner)?;
    }
    let mut bot_names = HashSet::new();
    let mut tokens = HashSet::new();
    for bot in &section.bots {
        let name = bot.username.get_ref();
        if !valid_username(name) {
            return Err(source.at(
                &bot.username,
                format!("invalid bot username `{name}` (3 to 22 of a-z, 0-9, `.`, `-`, `_`, starting with a letter)"),
            ));
        }
        if declared.usernames.contains(name) {
            return Err(source.at(&bot.username, format!("`{name}` is declared under [[users]] too")));
        }
        if !bot_names.insert(name.clone()) {
            return Err(source.at(&bot.username, "this bot is declared twice"));
        }
        declared.user(source, &bot.owner)?;
        for token in &bot.tokens {
            if !valid_secret(token.get_ref()) {
                return Err(source.at(token, "invalid token (16 to 128 printable characters, no spaces)"));
            }
            if !tokens.insert(token.get_ref().clone()) {
                return Err(source.at(token, "this token is declared twice"));
            }
        }
        for channel in &bot.channels {
            let known = channel
                .get_ref()
                .split_once('/')
                .is_some_and(|(team, name)| declared.has_channel(team, name));
            if !known {
                return Err(source.at(
                    channel,
                    format!(
                        "unknown channel `{}` (`team/channel`, declared under [[channels]])",
                        channel.get_ref()
                    ),
                ));
            }
        }
    }
    Ok(())
}

impl LoadedSection for MattermostSeed {
    fn apply<'a>(
        &'a self,
        core: &'a Core,
        seeded: &'a Seeded,
        applied: &'a mut Applied,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            for hook in &self.incoming {
                apply_incoming(core, seeded, applied, hook).await?;
            }
            for hook in &self.outgoing {
                apply_outgoing(core, seeded, applied, hook).await?;
            }
            for bot in &self.bots {
                apply_bot(core, seeded, applied, bot).await?;
            }
            Ok(())
        })
    }
}

fn user<'a>(seeded: &'a Seeded, name: &str) -> anyhow::Result<&'a User> {
    seeded
        .users
        .get(name)
        .ok_or_else(|| anyhow::anyhow!("unknown user `{name}`"))
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

async fn apply_incoming(
    core: &Core,
    seeded: &Seeded,
    applied: &mut Applied,
    seed: &MmIncomingSeed,
) -> anyhow::Result<()> {
    let channel = seeded
        .channels
        .get(seed.channel.get_ref())
        .ok_or_else(|| anyhow::anyhow!("unknown channel `{}`", seed.channel.get_ref()))?;
    let owner = user(seeded, seed.owner.get_ref())?.id.clone();
    let now = now_ms();
    let wanted = IncomingHook {
        id: seed.id.get_ref().clone(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        user_id: owner,
        channel_id: channel.id.clone(),
        team_id: channel.team_id.clone(),
        display_name: text(&seed.display_name),
        description: text(&seed.description),
        username: text(&seed.username),
        icon_url: text(&seed.icon_url),
        channel_locked: seed.channel_locked,
    };
    match core.read().get_incoming(&wanted.id).await? {
        None => {
            chathooks_core::hooks::create_incoming(core, &wanted)
                .await
                .map_err(|e| anyhow::anyhow!("incoming hook `{}`: {e} (a deleted hook keeps its id)", wanted.id))?;
            applied.created += 1;
        }
        Some(current) => {
            let same = IncomingHook {
                create_at: current.create_at,
                update_at: current.update_at,
                ..wanted.clone()
            } == current;
            if !same {
                chathooks_core::hooks::update_incoming(core, &wanted).await?;
                applied.updated += 1;
            }
        }
    }
    Ok(())
}

async fn apply_outgoing(
    core: &Core,
    seeded: &Seeded,
    applied: &mut Applied,
    seed: &MmOutgoingSeed,
) -> anyhow::Result<()> {
    let team = seeded
        .teams
        .get(seed.team.get_ref())
        .ok_or_else(|| anyhow::anyhow!("unknown team `{}`", seed.team.get_ref()))?;
    let channel_id = match &seed.channel {
        Some(name) => seeded
            .channels
            .get(&format!("{}/{}", team.name, name.get_ref()))
            .map(|c| c.id.clone())
            .ok_or_else(|| anyhow::anyhow!("unknown channel `{}/{}`", team.name, name.get_ref()))?,
        None => String::new(),
    };
    let creator = user(seeded, seed.owner.get_ref())?.id.clone();
    let now = now_ms();
    let current = core.read().get_outgoing(seed.id.get_ref()).await?;
    let token = match (&seed.token, &current) {
        (Some(token), _) => token.get_ref().clone(),
        (None, Some(current)) => current.token.clone(),
        (None, None) => new_id(),
    };
    let wanted = OutgoingHook {
        id: seed.id.get_ref().clone(),
        token,
        create_at: now,
        update_at: now,
        delete_at: 0,
        creator_id: creator,
        channel_id,
        team_id: team.id.clone(),
        trigger_words: seed.trigger_words.clone(),
        trigger_when: i32::from(seed.trigger_when.as_ref().is_some_and(|w| w.get_ref() == "starts_with")),
        callback_urls: seed.callback_urls.iter().map(|u| u.get_ref().clone()).collect(),
        display_name: text(&seed.display_name),
        description: text(&seed.description),
        content_type: seed.content_type.as_ref().map_or_else(
            || "application/x-www-form-urlencoded".to_owned(),
            |c| c.get_ref().clone(),
        ),
        username: text(&seed.username),
        icon_url: text(&seed.icon_url),
    };
    match current {
        None => {
            chathooks_core::hooks::create_outgoing(core, &wanted)
                .await
                .map_err(|e| anyhow::anyhow!("outgoing hook `{}`: {e} (a deleted hook keeps its id)", wanted.id))?;
            applied.created += 1;
        }
        Some(current) => {
            let same = OutgoingHook {
                create_at: current.create_at,
                update_at: current.update_at,
                ..wanted.clone()
            } == current;
            if !same {
                chathooks_core::hooks::update_outgoing(core, &wanted).await?;
                if current.token != wanted.token {
                    chathooks_core::hooks::regen_outgoing_token(core, &wanted.id, &wanted.token, now).await?;
                }
                applied.updated += 1;
            }
        }
    }
    Ok(())
}

async fn apply_bot(core: &Core, seeded: &Seeded, applied: &mut Applied, seed: &MmBotSeed) -> anyhow::Result<()> {
    let username = seed.username.get_ref();
    let owner = user(seeded, seed.owner.get_ref())?;
    let display_name = text(&seed.display_name);
    let description = text(&seed.description);
    let bot = match core.read().get_user_by_username(username).await? {
        Some(existing) if !existing.is_bot => {
            anyhow::bail!("bot `{username}`: a user that is not a bot has this username")
        }
        Some(existing) => {
            let current = core
                .read()
                .get_bot(&existing.id, true)
                .await?
                .ok_or_else(|| anyhow::anyhow!("bot `{username}`: its user has no bot record"))?;
            if current.display_name != display_name || current.description != description {
                let changes = BotChanges {
                    username: None,
                    display_name: Some(display_name),
                    description: Some(description),
                };
                bots::update(core, &existing.id, &changes).await?;
                applied.updated += 1;
            }
            if current.delete_at != 0 || existing.delete_at != 0 {
                bots::set_active(core, &existing.id, true).await?;
                applied.updated += 1;
            }
            existing
        }
        None => {
            let (new_user, bot) = bots::new_bot(&owner.id, username, &display_name, &description);
            bots::create(core, &new_user, &bot)
                .await
                .map_err(|e| anyhow::anyhow!("bot `{username}`: {e}"))?;
            applied.created += 1;
            new_user
        }
    };
    for token in &seed.tokens {
        let secret = token.get_ref();
        match core.read().get_access_token(secret).await? {
            Some(existing) if existing.user_id == bot.id => {
                if !existing.is_active {
                    chathooks_core::sessions::set_access_token_active(core, &existing, true).await?;
                    applied.updated += 1;
                }
            }
            Some(_) => anyhow::bail!("a token of bot `{username}` already belongs to another user"),
            None => {
                chathooks_core::accounts::add_access_token(
                    core,
                    &AccessToken {
                        id: new_id(),
                        token: secret.clone(),
                        user_id: bot.id.clone(),
                        description: "declared in the seed file".into(),
                        is_active: true,
                        create_at: now_ms(),
                    },
                )
                .await?;
                applied.created += 1;
            }
        }
    }
    for name in &seed.channels {
        let channel = seeded
            .channels
            .get(name.get_ref())
            .ok_or_else(|| anyhow::anyhow!("unknown channel `{}`", name.get_ref()))?;
        let member = core.read().get_team_member(&channel.team_id, &bot.id).await?;
        if member.is_none_or(|m| m.delete_at != 0) {
            chathooks_core::channels::add_team_member(
                core,
                &TeamMember {
                    team_id: channel.team_id.clone(),
                    user_id: bot.id.clone(),
                    roles: ROLES_TEAM_USER.into(),
                    delete_at: 0,
                },
            )
            .await?;
            applied.created += 1;
        }
        if core.read().get_channel_member(&channel.id, &bot.id).await?.is_none() {
            chathooks_core::channels::join_channel(core, channel, &bot, ROLES_CHANNEL_USER).await?;
            applied.created += 1;
        }
    }
    Ok(())
}
