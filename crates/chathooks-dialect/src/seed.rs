//! A dialect's section of the seed file (`chathooks serve --config`).
//!
//! The server owns the file and its common sections (`[[users]]`,
//! `[[teams]]`, `[[channels]]`, `[[chaos]]`); each dialect owns the section
//! named after it (`[[mattermost.incoming]]`, `[[rocketchat.outgoing]]`...).
//! Loading is in two steps, like the file's: everything is parsed and
//! checked first, with the line to blame ([`SeedSection::load`], against
//! the names the common sections [`Declared`]), and only then applied
//! ([`LoadedSection::apply`], with the records the common sections made:
//! [`Seeded`]).

use std::collections::{HashMap, HashSet};
use std::fmt::Debug;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chathooks_core::Core;
use chathooks_core::store::{Channel, Team, User};
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use toml::Spanned;

/// Why a seed file was refused: the file, a line (when one is to blame) and
/// the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct SeedError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

/// The text of a seed file, to parse sections from and to turn byte spans
/// into line numbers.
#[derive(Debug, Clone, Copy)]
pub struct SeedSource<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl SeedSource<'_> {
    /// An error at `span` (a line when there is one).
    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>) -> SeedError {
        SeedError {
            path: self.path.to_owned(),
            line: span.map(|span| line_of(self.text, span.start)),
            message: message.into(),
        }
    }

    /// An error at the line `value` is on.
    pub fn at<T>(&self, value: &Spanned<T>, message: impl Into<String>) -> SeedError {
        self.error(Some(value.span()), message)
    }

    /// The whole file as `T`, which picks the keys it wants: a dialect
    /// parses a struct with its own section as the only field.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, SeedError> {
        toml::from_str(self.text).map_err(|error| {
            // toml's message names the key; the span gives the line.
            self.error(error.span(), error.message().trim().to_owned())
        })
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

/// A secret given in the file: printable, no spaces, 16 to 128 characters.
pub fn valid_secret(token: &str) -> bool {
    (16..=128).contains(&token.len()) && token.chars().all(|c| c.is_ascii_graphic())
}

/// The names the file's common sections declare, for checking a dialect
/// section's references.
#[derive(Debug, Default)]
pub struct Declared {
    pub usernames: HashSet<String>,
    pub teams: HashSet<String>,
    /// `team/channel`.
    pub channels: HashSet<String>,
}

impl Declared {
    /// `name` must be a declared user.
    pub fn user(&self, source: &SeedSource<'_>, name: &Spanned<String>) -> Result<(), SeedError> {
        if self.usernames.contains(name.get_ref()) {
            Ok(())
        } else {
            Err(source.at(
                name,
                format!("unknown user `{}` (declare it under [[users]])", name.get_ref()),
            ))
        }
    }

    /// Whether `team/name` is declared, or is a declared team's town square.
    pub fn has_channel(&self, team: &str, name: &str) -> bool {
        self.channels.contains(&format!("{team}/{name}")) || name == "town-square" && self.teams.contains(team)
    }

    /// Whether a channel called `name` is declared in any team.
    pub fn has_channel_named(&self, name: &str) -> bool {
        name == "town-square" && !self.teams.is_empty()
            || self.channels.iter().any(|c| c.rsplit('/').next() == Some(name))
    }
}

/// The records the common sections found or made, by the names the file uses.
#[derive(Debug, Default)]
pub struct Seeded {
    pub users: HashMap<String, User>,
    pub teams: HashMap<String, Team>,
    /// By `team/channel`.
    pub channels: HashMap<String, Channel>,
}

/// What applying changed, for the start-up log and the test API's reset.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    pub created: usize,
    pub updated: usize,
}

/// A dialect's part of the seed file.
pub trait SeedSection: Send + Sync + 'static {
    /// The section's key in the file: the dialect's name (`mattermost`).
    fn key(&self) -> &'static str;

    /// Parse this dialect's section of `source` and check it against what
    /// the file declares, before anything is written.
    fn load(&self, source: &SeedSource<'_>, declared: &Declared) -> Result<Box<dyn LoadedSection>, SeedError>;

    /// Whether `id` has the shape of one of this API's incoming hook ids
    /// (chaos rules in the file name hooks).
    fn is_hook_id(&self, id: &str) -> bool;
}

/// A dialect's section, parsed and checked.
pub trait LoadedSection: Debug + Send + Sync {
    /// Make everything the section declares exist, idempotently (found by
    /// fixed id, created when missing, updated when different), counting
    /// into `applied`.
    fn apply<'a>(
        &'a self,
        core: &'a Core,
        seeded: &'a Seeded,
        applied: &'a mut Applied,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The incoming hook a zero-config start makes for one API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeHook {
    /// Seed-file text declaring it in the dialect's section, for a channel
    /// called `town-square` of a team called `chathooks`, owned by `admin`.
    pub seed: String,
    /// Its URL's path (`/hooks/...`).
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line() {
        let source = SeedSource {
            path: Path::new("seed.toml"),
            text: "a = 1\nb = 2\n",
        };
        let error = source.error(Some(6..7), "bad b");
        assert_eq!(error.to_string(), "seed.toml:2: bad b");
        assert_eq!(source.error(None, "whole").to_string(), "seed.toml: whole");
    }

    #[test]
    fn secrets_are_printable_and_long_enough() {
        assert!(valid_secret("0123456789abcdef"));
        assert!(!valid_secret("short"));
        assert!(!valid_secret("0123456789 abcdef"));
    }

    #[test]
    fn town_square_is_known_in_every_declared_team() {
        let declared = Declared {
            teams: ["t".to_owned()].into(),
            channels: ["t/dev".to_owned()].into(),
            ..Declared::default()
        };
        assert!(declared.has_channel("t", "town-square"));
        assert!(declared.has_channel("t", "dev"));
        assert!(!declared.has_channel("u", "dev"));
        assert!(declared.has_channel_named("dev"));
        assert!(!declared.has_channel_named("ops"));
    }
}
