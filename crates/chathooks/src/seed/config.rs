//! The seed file's format (`chathooks serve --config chathooks.toml`), and
//! its checks: everything that can be wrong with a file is found here, with
//! the line it is on, before anything is written.

use std::collections::HashSet;
use std::path::Path;

use chathooks_dialect::seed::{Declared, LoadedSection, SeedSection, SeedSource, valid_secret};
use serde::Deserialize;
use toml::Spanned;

pub use chathooks_dialect::seed::SeedError;

use crate::channels::valid_name;
use crate::ids::is_valid_id;

/// The sections every file may have, whatever the dialects.
const COMMON_KEYS: [&str; 6] = ["users", "teams", "channels", "chaos", "settings", "roles"];

/// What the file declares: the common sections, and each dialect's section
/// as that dialect parsed and checked it. Unknown keys are errors.
#[derive(Debug, Default)]
pub struct SeedFile {
    pub users: Vec<UserSeed>,
    pub teams: Vec<TeamSeed>,
    pub channels: Vec<ChannelSeed>,
    /// Failures on demand for incoming webhooks (see `crate::chaos`).
    pub chaos: Vec<ChaosSeed>,
    /// The admin switches (`[settings]`), both APIs'.
    pub settings: SettingsSeed,
    /// Roles whose permissions the file sets (`[[roles]]`).
    pub roles: Vec<RoleSeed>,
    /// The dialects' sections, in the order of `crate::dialects::REGISTERED`.
    pub dialects: Vec<Box<dyn LoadedSection>>,
}

/// The common sections as the file has them.
#[derive(Debug, Default, Deserialize)]
struct CommonSections {
    #[serde(default)]
    users: Vec<UserSeed>,
    #[serde(default)]
    teams: Vec<TeamSeed>,
    #[serde(default)]
    channels: Vec<ChannelSeed>,
    #[serde(default)]
    chaos: Vec<ChaosSeed>,
    #[serde(default)]
    settings: SettingsSeed,
    #[serde(default)]
    roles: Vec<RoleSeed>,
}

/// `[settings]`: the admin switches, set at every start (an administrator's
/// later change through the API lasts until the next start). Absent keys
/// keep their value. Mattermost's config names them
/// `ServiceSettings.EnableIncomingWebhooks`, `EnableOutgoingWebhooks`,
/// `EnablePostUsernameOverride`, `EnablePostIconOverride` and
/// `EnableBotAccountCreation`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsSeed {
    pub incoming_webhooks: Option<bool>,
    pub outgoing_webhooks: Option<bool>,
    pub post_username_override: Option<bool>,
    pub post_icon_override: Option<bool>,
    pub bot_account_creation: Option<bool>,
}

/// `[[roles]]`: a role (the core's names: `system_user`, `team_user`,
/// `team_admin`...) and exactly the permissions it holds (the core's ids,
/// Mattermost's names such as `manage_own_incoming_webhooks`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSeed {
    pub name: Spanned<String>,
    pub permissions: Vec<Spanned<String>>,
}

/// `[[chaos]]`: a chaos rule in force from the start.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosSeed {
    /// An incoming webhook's id (either API's), or `*` for all of them.
    pub hook: Spanned<String>,
    /// Percent of executions that fail.
    pub probability: Spanned<u8>,
    /// The failing answer's status (default 503).
    pub status: Option<Spanned<u16>>,
    /// `Retry-After` seconds.
    pub retry_after: Option<u64>,
    /// Added to every execution the rule applies to (default 0).
    pub latency_ms: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSeed {
    pub username: Spanned<String>,
    pub email: Option<String>,
    /// Without one, the user cannot log in with a password (tokens still work).
    pub password: Option<String>,
    #[serde(default)]
    pub system_admin: bool,
    /// A fixed id (26 characters of Mattermost's alphabet).
    pub id: Option<Spanned<String>>,
    /// Fixed personal access tokens.
    #[serde(default)]
    pub tokens: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSeed {
    pub name: Spanned<String>,
    pub display_name: Option<String>,
    #[serde(default)]
    pub members: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSeed {
    pub team: Spanned<String>,
    pub name: Spanned<String>,
    pub display_name: Option<String>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub members: Vec<Spanned<String>>,
}

/// Read and check the seed file at `path`, with every registered dialect's
/// section.
pub fn load(path: &Path) -> Result<SeedFile, SeedError> {
    let text = std::fs::read_to_string(path).map_err(|error| SeedError {
        path: path.to_owned(),
        line: None,
        message: format!("cannot read: {error}"),
    })?;
    parse(path, &text)
}

/// Parse and check seed text (`path` names it in errors), with every
/// registered dialect's section.
pub fn parse(path: &Path, text: &str) -> Result<SeedFile, SeedError> {
    parse_with(path, text, &crate::dialects::seed_sections())
}

/// Parse and check seed text with the sections of `dialects`.
fn parse_with(path: &Path, text: &str, dialects: &[&'static dyn SeedSection]) -> Result<SeedFile, SeedError> {
    let source = SeedSource { path, text };
    let keys: toml::Table = source.parse()?;
    let dialect_keys: Vec<&str> = dialects.iter().map(|d| d.key()).collect();
    for key in keys.keys() {
        if !COMMON_KEYS.contains(&key.as_str()) && !dialect_keys.contains(&key.as_str()) {
            let expected = COMMON_KEYS
                .iter()
                .chain(&dialect_keys)
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>();
            return Err(source.error(
                key_span(text, key),
                format!("unknown field `{key}`, expected one of {}", expected.join(", ")),
            ));
        }
    }
    let mut common: CommonSections = source.parse()?;
    let declared = check(&source, &common)?;
    check_roles(&source, &common.roles)?;
    let hook_ids = |id: &str| dialects.iter().any(|d| d.is_hook_id(id));
    check_chaos(&source, &common.chaos, &hook_ids)?;
    let sections = dialects
        .iter()
        .map(|d| d.load(&source, &declared))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SeedFile {
        users: common.users,
        teams: common.teams,
        channels: common.channels,
        chaos: common.chaos,
        settings: std::mem::take(&mut common.settings),
        roles: common.roles,
        dialects: sections,
    })
}

/// Each `[[roles]]` names a role this server has, once, with permissions it knows.
fn check_roles(source: &SeedSource<'_>, roles: &[RoleSeed]) -> Result<(), SeedError> {
    use crate::permissions::{Permission, ROLES};
    let mut seen = HashSet::new();
    for role in roles {
        let name = role.name.get_ref();
        if !ROLES.contains(&name.as_str()) {
            return Err(source.at(
                &role.name,
                format!("unknown role `{name}` (one of {})", ROLES.join(", ")),
            ));
        }
        if !seen.insert(name.as_str()) {
            return Err(source.at(&role.name, format!("role `{name}` is declared twice")));
        }
        for permission in &role.permissions {
            if Permission::from_id(permission.get_ref()).is_none() {
                let known: Vec<&str> = Permission::ALL.iter().map(|p| p.id()).collect();
                return Err(source.at(
                    permission,
                    format!(
                        "unknown permission `{}` (one of {})",
                        permission.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Where top-level `key` is first written (`key =`, `[key]`, `[[key]]`,
/// `[key.x]`...), for the line of an unknown key.
fn key_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_start().trim_start_matches('[').trim_start();
        let named = bare
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(['=', '.', ']']));
        if named {
            return Some(offset..offset + line.len());
        }
        offset += line.len();
    }
    None
}

/// Check the common sections; return the names they declare, for the
/// dialects' sections to refer to.
fn check(source: &SeedSource<'_>, file: &CommonSections) -> Result<Declared, SeedError> {
    let mut usernames = HashSet::new();
    let mut tokens = HashSet::new();
    for user in &file.users {
        let name = user.username.get_ref();
        if !crate::accounts::valid_username(name) {
            return Err(source.at(&user.username, format!("invalid username `{name}` (3 to 22 lowercase letters, digits, `.`, `-`, `_`, starting with a letter)")));
        }
        if !usernames.insert(name.as_str()) {
            return Err(source.at(&user.username, format!("user `{name}` is declared twice")));
        }
        if let Some(id) = &user.id
            && !is_valid_id(id.get_ref())
        {
            return Err(source.at(
                id,
                format!("invalid user id `{}` (26 characters of a-z and 0-9)", id.get_ref()),
            ));
        }
        if let Some(email) = &user.email
            && !crate::accounts::valid_email(email)
        {
            return Err(source.at(&user.username, format!("invalid email `{email}` for user `{name}`")));
        }
        for token in &user.tokens {
            if !valid_secret(token.get_ref()) {
                return Err(source.at(token, "invalid token (16 to 128 printable characters, no spaces)"));
            }
            if !tokens.insert(token.get_ref().as_str()) {
                return Err(source.at(token, "this token is declared twice"));
            }
        }
    }
    let user = |name: &Spanned<String>| {
        if usernames.contains(name.get_ref().as_str()) {
            Ok(())
        } else {
            Err(source.at(
                name,
                format!("unknown user `{}` (declare it under [[users]])", name.get_ref()),
            ))
        }
    };

    let mut teams = HashSet::new();
    for team in &file.teams {
        let name = team.name.get_ref();
        if !valid_name(name) {
            return Err(source.at(&team.name, format!("invalid team name `{name}`")));
        }
        if !teams.insert(name.as_str()) {
            return Err(source.at(&team.name, format!("team `{name}` is declared twice")));
        }
        team.members.iter().try_for_each(user)?;
    }
    let mut channels = HashSet::new();
    for channel in &file.channels {
        if !teams.contains(channel.team.get_ref().as_str()) {
            return Err(source.at(
                &channel.team,
                format!("unknown team `{}` (declare it under [[teams]])", channel.team.get_ref()),
            ));
        }
        let name = channel.name.get_ref();
        if !valid_name(name) {
            return Err(source.at(&channel.name, format!("invalid channel name `{name}`")));
        }
        if !channels.insert(format!("{}/{name}", channel.team.get_ref())) {
            return Err(source.at(
                &channel.name,
                format!("channel `{}/{name}` is declared twice", channel.team.get_ref()),
            ));
        }
        channel.members.iter().try_for_each(user)?;
    }
    Ok(Declared {
        usernames: usernames.into_iter().map(str::to_owned).collect(),
        teams: teams.into_iter().map(str::to_owned).collect(),
        channels,
    })
}

/// Chaos rules: a hook id of some dialect (or `*`), and values in range.
fn check_chaos(
    source: &SeedSource<'_>,
    rules: &[ChaosSeed],
    is_hook_id: &dyn Fn(&str) -> bool,
) -> Result<(), SeedError> {
    for rule in rules {
        let hook = rule.hook.get_ref();
        if hook != crate::chaos::EVERY_HOOK && !is_hook_id(hook) {
            return Err(source.at(
                &rule.hook,
                format!("invalid hook `{hook}` (an incoming webhook id of one of the APIs, or `*`)"),
            ));
        }
        if *rule.probability.get_ref() > 100 {
            return Err(source.at(&rule.probability, "`probability` is a percentage, 0 to 100"));
        }
        if let Some(status) = &rule.status
            && !(400..=599).contains(status.get_ref())
        {
            return Err(source.at(status, "`status` must be 400 to 599"));
        }
        if let Some(latency) = &rule.latency_ms
            && *latency.get_ref() > 60_000
        {
            return Err(source.at(latency, "`latency_ms` must be at most 60000"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> SeedError {
        parse(Path::new("chathooks.toml"), text).expect_err("refused")
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let e = error("[[users]]\nusername = \"alice\"\ncolour = \"blue\"\n");
        assert_eq!((e.path.as_path(), e.line), (Path::new("chathooks.toml"), Some(3)));
        assert!(e.message.contains("colour"), "{e}");
        assert!(e.to_string().starts_with("chathooks.toml:3: "), "{e}");
        let e = error("[mattermost]\nhooks = []\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("hooks"), "{e}");
    }

    #[test]
    fn references_must_be_declared() {
        let e = error("[[teams]]\nname = \"eng\"\nmembers = [\"alice\"]\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("unknown user `alice`"), "{e}");
        let e = error("[[channels]]\nteam = \"nope\"\nname = \"x\"\n");
        assert_eq!(
            (e.line, e.message.contains("unknown team `nope`")),
            (Some(2), true),
            "{e}"
        );
        let text = "[[users]]\nusername = \"admin\"\n\n[[teams]]\nname = \"eng\"\n\n[[mattermost.incoming]]\nid = \"aaaaaaaaaaaaaaaaaaaaaaaaaa\"\nchannel = \"eng/builds\"\nowner = \"admin\"\n";
        let e = error(text);
        assert_eq!(e.line, Some(9));
        assert!(e.message.contains("unknown channel `eng/builds`"), "{e}");
        // A team's town square needs no declaration.
        parse(Path::new("x.toml"), &text.replace("eng/builds", "eng/town-square")).expect("town-square exists");
    }

    #[test]
    fn chaos_rules_are_checked() {
        let e = error("[[chaos]]\nhook = \"nope\"\nprobability = 10\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("invalid hook `nope`"), "{e}");
        let e = error("[[chaos]]\nhook = \"*\"\nprobability = 101\n");
        assert_eq!((e.line, e.message.contains("0 to 100")), (Some(3), true), "{e}");
        let e = error("[[chaos]]\nhook = \"*\"\nprobability = 5\nstatus = 200\n");
        assert_eq!((e.line, e.message.contains("400 to 599")), (Some(4), true), "{e}");
        let e = error("[[chaos]]\nhook = \"*\"\nprobability = 5\nlatency_ms = 60001\n");
        assert_eq!(e.line, Some(4), "{e}");
        let e = error("[[chaos]]\nhook = \"*\"\nprobability = 5\nodds = 3\n");
        assert!(e.message.contains("odds"), "{e}");
        let file = parse(
            Path::new("c.toml"),
            "[[chaos]]\nhook = \"BuildHook00000001\"\nprobability = 100\nstatus = 429\nretry_after = 3\n",
        )
        .unwrap();
        let rules = crate::seed::chaos_rules(&file);
        assert_eq!(rules.len(), 1);
        assert_eq!((rules[0].status.as_u16(), rules[0].retry_after), (429, Some(3)));
    }

    #[test]
    fn ids_and_values_are_checked() {
        let e = error("[[users]]\nusername = \"admin\"\nid = \"short\"\n");
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("invalid user id `short`"), "{e}");
        let e = error("[[users]]\nusername = \"Not Valid\"\n");
        assert!(e.message.contains("invalid username"), "{e}");
        let e = error("[[users]]\nusername = \"admin\"\n[[users]]\nusername = \"admin\"\n");
        assert_eq!((e.line, e.message.contains("declared twice")), (Some(4), true), "{e}");
        let base = "[[users]]\nusername = \"admin\"\n[[teams]]\nname = \"eng\"\n";
        let e = error(&format!(
            "{base}[[mattermost.outgoing]]\nid = \"aaaaaaaaaaaaaaaaaaaaaaaaaa\"\nteam = \"eng\"\nowner = \"admin\"\ncallback_urls = [\"ftp://x\"]\n"
        ));
        assert_eq!(e.line, Some(9));
        assert!(e.message.contains("invalid callback URL"), "{e}");
        let e = error(&format!(
            "{base}[[rocketchat.incoming]]\nid = \"abc\"\ntoken = \"0123456789abcdef\"\nname = \"x\"\nchannel = \"#town-square\"\nusername = \"admin\"\n"
        ));
        assert_eq!(e.line, Some(6));
        assert!(e.message.contains("invalid integration id"), "{e}");
        let e = error("not toml at all [");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn an_empty_file_declares_nothing() {
        let file = parse(Path::new("empty.toml"), "").unwrap();
        assert!(file.users.is_empty() && file.teams.is_empty() && file.chaos.is_empty());
    }
}
