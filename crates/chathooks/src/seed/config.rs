//! The seed file's format (`chathooks serve --config chathooks.toml`), and
//! its checks: everything that can be wrong with a file is found here, with
//! the line it is on, before anything is written.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::channels::valid_name;
use crate::ids::is_valid_id;

/// What the file declares. Unknown keys are errors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    #[serde(default)]
    pub users: Vec<UserSeed>,
    #[serde(default)]
    pub teams: Vec<TeamSeed>,
    #[serde(default)]
    pub channels: Vec<ChannelSeed>,
    #[serde(default)]
    pub mattermost: MattermostSeed,
    #[serde(default)]
    pub rocketchat: RocketChatSeed,
    /// Failures on demand for incoming webhooks (see `crate::chaos`).
    #[serde(default)]
    pub chaos: Vec<ChaosSeed>,
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

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MattermostSeed {
    #[serde(default)]
    pub incoming: Vec<MmIncomingSeed>,
    #[serde(default)]
    pub outgoing: Vec<MmOutgoingSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmIncomingSeed {
    pub id: Spanned<String>,
    /// `team/channel`.
    pub channel: Spanned<String>,
    pub owner: Spanned<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub username: Option<String>,
    pub icon_url: Option<String>,
    #[serde(default)]
    pub channel_locked: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MmOutgoingSeed {
    pub id: Spanned<String>,
    pub token: Option<Spanned<String>>,
    pub team: Spanned<String>,
    /// A channel name in `team`; without it the hook watches the whole team.
    pub channel: Option<Spanned<String>>,
    #[serde(default)]
    pub trigger_words: Vec<String>,
    /// `first_word` (the default: the first word equals a trigger word) or
    /// `starts_with` (the first word starts with one).
    pub trigger_when: Option<Spanned<String>>,
    pub callback_urls: Vec<Spanned<String>>,
    pub content_type: Option<Spanned<String>>,
    pub owner: Spanned<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub username: Option<String>,
    pub icon_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RocketChatSeed {
    #[serde(default)]
    pub incoming: Vec<RcIncomingSeed>,
    #[serde(default)]
    pub outgoing: Vec<RcOutgoingSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcIncomingSeed {
    pub id: Spanned<String>,
    pub token: Spanned<String>,
    pub name: String,
    /// `#room` (or `@user`).
    pub channel: Spanned<String>,
    /// The user messages are posted as (and the integration's creator).
    pub username: Spanned<String>,
    pub script: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RcOutgoingSeed {
    pub id: Spanned<String>,
    pub token: Option<String>,
    pub name: String,
    #[serde(default = "send_message")]
    pub event: String,
    /// Room keys (`#room`, `all_public_channels`...); empty for all public channels.
    #[serde(default)]
    pub channel: Vec<String>,
    pub urls: Vec<Spanned<String>>,
    #[serde(default)]
    pub trigger_words: Vec<String>,
    #[serde(default)]
    pub retry_failed_calls: bool,
    /// The user the integration runs as; defaults to the first system admin declared.
    pub username: Option<Spanned<String>>,
    pub script: Option<String>,
}

fn send_message() -> String {
    "sendMessage".to_owned()
}

/// Why a seed file was refused: the file, a line (when one is to blame) and
/// the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SeedError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// The text of a seed file, to turn byte spans into line numbers.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> SeedError {
        SeedError {
            path: self.path.to_owned(),
            line: span.map(|span| line_of(self.text, span.start)),
            message: message.into(),
        }
    }

    fn at<T>(&self, value: &Spanned<T>, message: impl Into<String>) -> SeedError {
        self.error(Some(value.span()), message)
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Read and check the seed file at `path`.
pub fn load(path: &Path) -> Result<SeedFile, SeedError> {
    let text = std::fs::read_to_string(path).map_err(|error| SeedError {
        path: path.to_owned(),
        line: None,
        message: format!("cannot read: {error}"),
    })?;
    parse(path, &text)
}

/// Parse and check seed text (`path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<SeedFile, SeedError> {
    let source = Source { path, text };
    let file: SeedFile = toml::from_str(text).map_err(|error| {
        // toml's message names the key; the span gives the line.
        source.error(error.span(), error.message().trim().to_owned())
    })?;
    check(&source, &file)?;
    Ok(file)
}

/// Rocket.Chat ids: 17 characters of its alphabet (letters and digits).
fn valid_rc_id(id: &str) -> bool {
    id.len() == 17 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A secret given in the file: printable, no spaces, 16 to 128 characters.
fn valid_secret(token: &str) -> bool {
    (16..=128).contains(&token.len()) && token.chars().all(|c| c.is_ascii_graphic())
}

fn check(source: &Source<'_>, file: &SeedFile) -> Result<(), SeedError> {
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
    let known_channel = |team: &str, name: &str| {
        channels.contains(&format!("{team}/{name}")) || name == "town-square" && teams.contains(team)
    };

    let mut ids = HashSet::new();
    for hook in &file.mattermost.incoming {
        if !is_valid_id(hook.id.get_ref()) {
            return Err(source.at(
                &hook.id,
                format!("invalid hook id `{}` (26 characters of a-z and 0-9)", hook.id.get_ref()),
            ));
        }
        if !ids.insert(hook.id.get_ref().as_str()) {
            return Err(source.at(&hook.id, "this id is declared twice"));
        }
        let Some((team, channel)) = hook.channel.get_ref().split_once('/') else {
            return Err(source.at(&hook.channel, "`channel` must be `team/channel`"));
        };
        if !known_channel(team, channel) {
            return Err(source.at(
                &hook.channel,
                format!("unknown channel `{team}/{channel}` (declare it under [[channels]])"),
            ));
        }
        user(&hook.owner)?;
    }
    for hook in &file.mattermost.outgoing {
        if !is_valid_id(hook.id.get_ref()) {
            return Err(source.at(
                &hook.id,
                format!("invalid hook id `{}` (26 characters of a-z and 0-9)", hook.id.get_ref()),
            ));
        }
        if !ids.insert(hook.id.get_ref().as_str()) {
            return Err(source.at(&hook.id, "this id is declared twice"));
        }
        if let Some(token) = &hook.token
            && !is_valid_id(token.get_ref())
        {
            return Err(source.at(token, "invalid outgoing hook token (26 characters of a-z and 0-9)"));
        }
        if !teams.contains(hook.team.get_ref().as_str()) {
            return Err(source.at(&hook.team, format!("unknown team `{}`", hook.team.get_ref())));
        }
        if let Some(channel) = &hook.channel
            && !known_channel(hook.team.get_ref(), channel.get_ref())
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
        user(&hook.owner)?;
    }

    let mut rc_ids = HashSet::new();
    for integration in &file.rocketchat.incoming {
        if !valid_rc_id(integration.id.get_ref()) {
            return Err(source.at(
                &integration.id,
                format!(
                    "invalid integration id `{}` (17 letters and digits)",
                    integration.id.get_ref()
                ),
            ));
        }
        if !rc_ids.insert(integration.id.get_ref().as_str()) {
            return Err(source.at(&integration.id, "this id is declared twice"));
        }
        if !valid_secret(integration.token.get_ref()) {
            return Err(source.at(
                &integration.token,
                "invalid token (16 to 128 printable characters, no spaces)",
            ));
        }
        let known_room = |name: &str| {
            name == "town-square" && !teams.is_empty() || channels.iter().any(|c| c.rsplit('/').next() == Some(name))
        };
        let known_user = |name: &str| usernames.contains(name);
        check_room(source, &integration.channel, &known_room, &known_user)?;
        user(&integration.username)?;
    }
    for integration in &file.rocketchat.outgoing {
        if !valid_rc_id(integration.id.get_ref()) {
            return Err(source.at(
                &integration.id,
                format!(
                    "invalid integration id `{}` (17 letters and digits)",
                    integration.id.get_ref()
                ),
            ));
        }
        if !rc_ids.insert(integration.id.get_ref().as_str()) {
            return Err(source.at(&integration.id, "this id is declared twice"));
        }
        if integration.urls.is_empty() {
            return Err(source.at(&integration.id, "an outgoing integration needs `urls`"));
        }
        for url in &integration.urls {
            if url::Url::parse(url.get_ref()).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
                return Err(source.at(url, format!("invalid URL `{}`", url.get_ref())));
            }
        }
        if let Some(name) = &integration.username {
            user(name)?;
        }
    }
    check_chaos(source, &file.chaos)
}

/// A Rocket.Chat room reference: `#room` naming a declared channel (of any
/// team: Rocket.Chat has none), or `@user` naming a declared user.
/// Chaos rules: a hook id of either API (or `*`), and values in range.
fn check_chaos(source: &Source<'_>, rules: &[ChaosSeed]) -> Result<(), SeedError> {
    for rule in rules {
        let hook = rule.hook.get_ref();
        if hook != crate::chaos::EVERY_HOOK && !is_valid_id(hook) && !valid_rc_id(hook) {
            return Err(source.at(
                &rule.hook,
                format!("invalid hook `{hook}` (a Mattermost or Rocket.Chat incoming webhook id, or `*`)"),
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

fn check_room(
    source: &Source<'_>,
    room: &Spanned<String>,
    known_room: &dyn Fn(&str) -> bool,
    known_user: &dyn Fn(&str) -> bool,
) -> Result<(), SeedError> {
    let value = room.get_ref();
    if let Some(name) = value.strip_prefix('@') {
        return if known_user(name) {
            Ok(())
        } else {
            Err(source.at(room, format!("unknown user `{name}`")))
        };
    }
    let Some(name) = value.strip_prefix('#') else {
        return Err(source.at(room, "`channel` is `#room` or `@user`"));
    };
    if known_room(name) {
        Ok(())
    } else {
        Err(source.at(room, format!("unknown room `{name}` (declare it under [[channels]])")))
    }
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
        assert!(file.users.is_empty() && file.teams.is_empty() && file.mattermost.incoming.is_empty());
    }
}
