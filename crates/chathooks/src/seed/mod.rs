//! Seeding: what `chathooks serve --config chathooks.toml` declares, made
//! to exist at every start.
//!
//! Applying is idempotent: each declared object is found by its fixed id or
//! its name, created when missing and updated to match when it differs.
//! Objects made through the APIs are left alone. The file is checked whole
//! ([`config`]) before anything is written.
//!
//! - Users are found by `id` when given, else by username. A declared
//!   password is set when it does not already match; fixed `tokens` become
//!   personal access tokens.
//! - Teams get a `town-square` channel, as on Mattermost. Channel members
//!   are made team members too.
//! - `[settings]` sets the admin switches and `[[roles]]` the permissions of
//!   roles (`crate::config`, `crate::permissions`), written only when they
//!   differ from what is stored.
//! - Each dialect's section (`[[mattermost.incoming]]`,
//!   `[[rocketchat.outgoing]]`...) is parsed, checked and applied by that
//!   dialect's crate (`chathooks_dialect::seed`), after the common sections;
//!   hooks keep their declared ids, so their URLs are stable.

pub mod config;

use chathooks_core::accounts;
use chathooks_dialect::seed::{Seeded, WelcomeHook};

pub use self::config::{SeedError, SeedFile, load, parse};
use crate::Core;
use crate::channels::{ROLES_CHANNEL_ADMIN, join_channel};
use crate::dialects::Dialects;
use crate::ids::new_id;
use crate::store::{
    AccessToken, CHANNEL_OPEN, CHANNEL_PRIVATE, Channel, ROLES_CHANNEL_USER, ROLES_SYSTEM_ADMIN, ROLES_SYSTEM_USER,
    ROLES_TEAM_USER, TEAM_OPEN, Team, TeamMember, User, now_ms,
};
pub use chathooks_dialect::seed::Applied;

/// The records applying has found or made, by the names the file uses,
/// and what it changed.
struct World {
    seeded: Seeded,
    applied: Applied,
}

/// Make everything `file` declares exist.
pub async fn apply(core: &Core, file: &SeedFile) -> anyhow::Result<Applied> {
    let mut world = World {
        seeded: Seeded::default(),
        applied: Applied::default(),
    };
    for user in &file.users {
        apply_user(core, &mut world, user).await?;
    }
    for team in &file.teams {
        apply_team(core, &mut world, team).await?;
    }
    for channel in &file.channels {
        apply_channel(core, &mut world, channel).await?;
    }
    apply_settings(core, &file.settings).await?;
    for role in &file.roles {
        apply_role(core, role).await?;
    }
    for section in &file.dialects {
        section.apply(core, &world.seeded, &mut world.applied).await?;
    }
    Ok(world.applied)
}

async fn apply_settings(core: &Core, seed: &config::SettingsSeed) -> anyhow::Result<()> {
    use crate::config::{Switch, is_on, set_switch};
    let declared = [
        (Switch::IncomingHooks, seed.incoming_webhooks),
        (Switch::OutgoingHooks, seed.outgoing_webhooks),
        (Switch::PostUsernameOverride, seed.post_username_override),
        (Switch::PostIconOverride, seed.post_icon_override),
        (Switch::BotAccountCreation, seed.bot_account_creation),
    ];
    for (switch, wanted) in declared {
        if let Some(on) = wanted
            && is_on(core, switch).await? != on
        {
            set_switch(core, switch, on).await?;
        }
    }
    Ok(())
}

async fn apply_role(core: &Core, seed: &config::RoleSeed) -> anyhow::Result<()> {
    use crate::permissions::{Permission, role, set_role_permissions};
    let name = seed.name.get_ref();
    let wanted: Vec<Permission> = seed
        .permissions
        .iter()
        .filter_map(|p| Permission::from_id(p.get_ref()))
        .collect();
    let current = role(core, name).await?.map(|r| r.permissions).unwrap_or_default();
    let same = current.len() == wanted.len() && wanted.iter().all(|p| current.contains(p));
    if !same {
        set_role_permissions(core, name, &wanted).await?;
    }
    Ok(())
}

async fn hash(core: &Core, password: &str) -> anyhow::Result<String> {
    Ok(core.passwords.hash(password).await?)
}

async fn password_matches(core: &Core, password: &str, hash: &str) -> anyhow::Result<bool> {
    Ok(core.passwords.verify(password, hash).await?)
}

async fn apply_user(core: &Core, world: &mut World, seed: &config::UserSeed) -> anyhow::Result<()> {
    let username = seed.username.get_ref().clone();
    let existing = match &seed.id {
        Some(id) => core.read().get_user(id.get_ref()).await?,
        None => core.read().get_user_by_username(&username).await?,
    };
    let roles = if seed.system_admin {
        ROLES_SYSTEM_ADMIN
    } else {
        ROLES_SYSTEM_USER
    };
    let email = seed
        .email
        .clone()
        .unwrap_or_else(|| format!("{username}@chathooks.localhost"));
    let user = match existing {
        None => {
            let password_hash = match &seed.password {
                Some(password) => hash(core, password).await?,
                None => String::new(),
            };
            let mut user = User::new(&username, &email, password_hash, roles);
            if let Some(id) = &seed.id {
                user.id = id.get_ref().clone();
            }
            world.applied.created += 1;
            accounts::create_user(core, &user)
                .await
                .map_err(|e| anyhow::anyhow!("user `{username}`: {e}"))?
        }
        Some(mut user) => {
            let mut changed =
                user.username != username || user.email != email || user.roles != roles || user.delete_at != 0;
            user.username = username.clone();
            user.email = email;
            user.roles = roles.to_owned();
            user.delete_at = 0;
            if let Some(password) = &seed.password
                && !password_matches(core, password, &user.password_hash).await?
            {
                user.password_hash = hash(core, password).await?;
                user.last_password_update = now_ms();
                changed = true;
            }
            if changed {
                user.update_at = now_ms();
                world.applied.updated += 1;
                accounts::update_user(core, &user)
                    .await
                    .map_err(|e| anyhow::anyhow!("user `{username}`: {e}"))?
            } else {
                user
            }
        }
    };
    for token in &seed.tokens {
        let secret = token.get_ref();
        match core.read().get_access_token(secret).await? {
            Some(existing) if existing.user_id == user.id => {
                if !existing.is_active {
                    chathooks_core::sessions::set_access_token_active(core, &existing, true).await?;
                    world.applied.updated += 1;
                }
            }
            Some(_) => anyhow::bail!("a token of user `{username}` already belongs to another user"),
            None => {
                accounts::add_access_token(
                    core,
                    &AccessToken {
                        id: new_id(),
                        token: secret.clone(),
                        user_id: user.id.clone(),
                        description: "declared in the seed file".into(),
                        is_active: true,
                        create_at: now_ms(),
                    },
                )
                .await?;
                world.applied.created += 1;
            }
        }
    }
    world.seeded.users.insert(username, user);
    Ok(())
}

fn user<'a>(world: &'a World, name: &str) -> anyhow::Result<&'a User> {
    world
        .seeded
        .users
        .get(name)
        .ok_or_else(|| anyhow::anyhow!("unknown user `{name}`"))
}

/// `user` a member of `team` (a membership that ended is renewed).
async fn ensure_team_member(core: &Core, world: &mut World, team: &Team, user_id: &str) -> anyhow::Result<()> {
    let current = core.read().get_team_member(&team.id, user_id).await?;
    if current.is_none_or(|m| m.delete_at != 0) {
        chathooks_core::channels::add_team_member(
            core,
            &TeamMember {
                team_id: team.id.clone(),
                user_id: user_id.to_owned(),
                roles: ROLES_TEAM_USER.into(),
                delete_at: 0,
            },
        )
        .await?;
        world.applied.created += 1;
    }
    Ok(())
}

async fn apply_team(core: &Core, world: &mut World, seed: &config::TeamSeed) -> anyhow::Result<()> {
    let name = seed.name.get_ref().clone();
    let display_name = seed.display_name.clone().unwrap_or_else(|| name.clone());
    let team = match core.read().get_team_by_name(&name).await? {
        Some(team) if team.display_name == display_name => team,
        Some(_) => anyhow::bail!(
            "team `{name}` exists with another display name; chathooks does not rename teams (change the file or the team)"
        ),
        None => {
            let now = now_ms();
            world.applied.created += 1;
            chathooks_core::channels::create_team(
                core,
                &Team {
                    id: new_id(),
                    create_at: now,
                    update_at: now,
                    delete_at: 0,
                    name: name.clone(),
                    display_name,
                    team_type: TEAM_OPEN.into(),
                    description: String::new(),
                    email: String::new(),
                    allow_open_invite: true,
                    allowed_domains: String::new(),
                    invite_id: new_id(),
                },
            )
            .await?
        }
    };
    for member in &seed.members {
        let user_id = user(world, member.get_ref())?.id.clone();
        ensure_team_member(core, world, &team, &user_id).await?;
    }
    // Every Mattermost team has a town square.
    let town_square = ensure_channel(core, world, &team, "town-square", "Town Square", false).await?;
    world.seeded.channels.insert(format!("{name}/town-square"), town_square);
    world.seeded.teams.insert(name, team);
    Ok(())
}

async fn ensure_channel(
    core: &Core,
    world: &mut World,
    team: &Team,
    name: &str,
    display_name: &str,
    private: bool,
) -> anyhow::Result<Channel> {
    let kind = if private { CHANNEL_PRIVATE } else { CHANNEL_OPEN };
    if let Some(channel) = core.read().get_channel_by_name(&team.id, name).await? {
        if channel.channel_type != kind || channel.delete_at != 0 {
            anyhow::bail!(
                "channel `{}/{name}` exists as {} channel; the file declares a {} one",
                team.name,
                if channel.delete_at != 0 {
                    "an archived"
                } else if channel.channel_type == CHANNEL_PRIVATE {
                    "a private"
                } else {
                    "a public"
                },
                if private { "private" } else { "public" }
            );
        }
        return Ok(channel);
    }
    let now = now_ms();
    world.applied.created += 1;
    let channel = Channel {
        id: new_id(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        team_id: team.id.clone(),
        channel_type: kind.to_owned(),
        name: name.to_owned(),
        display_name: display_name.to_owned(),
        header: String::new(),
        purpose: String::new(),
        creator_id: String::new(),
        last_post_at: now,
        total_msg_count: 0,
    };
    let announced_by = world
        .seeded
        .users
        .values()
        .find(|u| u.is_system_admin())
        .cloned()
        .unwrap_or_else(system_user);
    Ok(chathooks_core::channels::create_empty_channel(core, &channel, &announced_by).await?)
}

/// Who made what the seed file declares, where an event needs a user and
/// the file names none.
fn system_user() -> User {
    User {
        id: String::new(),
        create_at: 0,
        update_at: 0,
        email_verified: false,
        last_password_update: 0,
        ..User::new("chathooks", "", String::new(), ROLES_SYSTEM_ADMIN)
    }
}

async fn apply_channel(core: &Core, world: &mut World, seed: &config::ChannelSeed) -> anyhow::Result<()> {
    let team = world
        .seeded
        .teams
        .get(seed.team.get_ref())
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("unknown team `{}`", seed.team.get_ref()))?;
    let name = seed.name.get_ref();
    let display_name = seed.display_name.clone().unwrap_or_else(|| name.clone());
    let channel = ensure_channel(core, world, &team, name, &display_name, seed.private).await?;
    for member in &seed.members {
        let member = user(world, member.get_ref())?.clone();
        ensure_team_member(core, world, &team, &member.id).await?;
        if core.read().get_channel_member(&channel.id, &member.id).await?.is_none() {
            let roles = if channel.creator_id == member.id {
                ROLES_CHANNEL_ADMIN
            } else {
                ROLES_CHANNEL_USER
            };
            join_channel(core, &channel, &member, roles).await?;
            world.applied.created += 1;
        }
    }
    world.seeded.channels.insert(format!("{}/{name}", team.name), channel);
    Ok(())
}

/// What [`zero_config`] made, to tell the newcomer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    pub password: String,
    /// Each dialect's incoming hook: its title and what it declared.
    pub hooks: Vec<(&'static str, WelcomeHook)>,
}

impl Welcome {
    /// The lines to print, with URLs under `base` (`http://host:port`).
    pub fn lines(&self, base: &str) -> Vec<String> {
        let base = base.trim_end_matches('/');
        let mut lines = vec![format!("created an admin: username admin, password {}", self.password)];
        for (title, hook) in &self.hooks {
            lines.push(format!("{title} incoming webhook: {base}{}", hook.path));
        }
        if let Some((_, first)) = self.hooks.first() {
            lines.push(format!(
                "try: curl -H 'Content-Type: application/json' -d '{{\"text\": \"hello\"}}' {base}{}",
                first.path
            ));
        }
        lines
    }
}

/// What a start on an empty database without a seed file or admin flags
/// creates, so a newcomer can `curl` a message at once: an admin with a
/// random password, a team with its town square, and an incoming hook of
/// each API. `None` when the database has users already.
pub async fn zero_config(core: &Core, dialects: &Dialects) -> anyhow::Result<Option<Welcome>> {
    if core.read().count_users().await? > 0 {
        return Ok(None);
    }
    let welcome = Welcome {
        password: crate::ids::new_rc_token()[..20].to_owned(),
        hooks: dialects
            .iter()
            .filter_map(|d| Some((d.title(), d.welcome_hook()?)))
            .collect(),
    };
    apply_welcome(core, &welcome).await?;
    Ok(Some(welcome))
}

/// Make (or make again, after a reset) what `welcome` describes.
pub async fn apply_welcome(core: &Core, welcome: &Welcome) -> anyhow::Result<Applied> {
    let mut text = format!(
        r##"
[[users]]
username = "admin"
password = "{}"
system_admin = true

[[teams]]
name = "chathooks"
display_name = "chathooks"
members = ["admin"]
"##,
        welcome.password
    );
    for (_, hook) in &welcome.hooks {
        text.push('\n');
        text.push_str(&hook.seed);
    }
    let file = parse(std::path::Path::new("<zero-config default>"), &text)?;
    apply(core, &file).await
}

/// The chaos rules a seed file declares.
pub fn chaos_rules(file: &SeedFile) -> Vec<crate::chaos::Rule> {
    file.chaos
        .iter()
        .map(|rule| crate::chaos::Rule {
            hook: rule.hook.get_ref().clone(),
            probability: *rule.probability.get_ref(),
            status: rule
                .status
                .as_ref()
                .and_then(|s| axum::http::StatusCode::from_u16(*s.get_ref()).ok())
                .unwrap_or(axum::http::StatusCode::SERVICE_UNAVAILABLE),
            retry_after: rule.retry_after,
            latency: std::time::Duration::from_millis(rule.latency_ms.as_ref().map_or(0, |l| *l.get_ref())),
        })
        .collect()
}
