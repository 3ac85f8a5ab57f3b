//! The domain core of chathooks, shared by both API dialects.
//!
//! The Mattermost and Rocket.Chat APIs of the `chathooks` server are thin
//! adapters over this crate: they translate wire types to calls here, and the
//! errors here to their own error bodies. This crate knows no API dialect: it
//! depends on no generated crate, and `tests/tests/e2e/dependency_rules.rs` checks it.
//!
//! - [`Core`]: the store, the [`events`] bus and the [`delivery`] engine,
//!   shared by every request.
//! - [`accounts`]: users, sessions and who is calling; [`permissions`]: what
//!   they may do (roles, stored); [`config`]: the admin switches; [`sessions`]: ending credentials, so live connections end too.
//! - [`channels`]: teams, channels and membership.
//! - [`posts`]: the one path new posts take, edits, deletion, threads, and the
//!   webhook-post pipeline; [`reactions`] and [`files`] around them.
//! - [`events`]: one stream of what happened.
//! - [`delivery`]: the durable queue of outgoing calls, for both dialects.
//! - [`hooks`] (Mattermost webhooks) and [`integrations`] (Rocket.Chat's):
//!   the writes the adapters make to them. Every write of the adapters goes
//!   through a function of this crate; `dependency_rules.rs` checks it.
//! - [`store`]: persistence behind the [`store::Store`] trait, one
//!   implementation per database.
//! - [`ids`], [`password`], [`markup`], [`netguard`]: formats, secrets, Slack
//!   markup, and refusing calls to internal addresses.

pub mod accounts;
pub mod bots;
pub mod channels;
pub mod commands;
pub mod config;
mod core;
pub mod delivery;
pub mod dialogs;
pub mod events;
pub mod files;
pub mod hooks;
pub mod ids;
pub mod integrations;
pub mod maintenance;
pub mod markup;
pub mod metrics;
pub mod netguard;
pub mod password;
pub mod permissions;
pub mod posts;
pub mod reactions;
pub mod reader;
pub mod sessions;
pub mod store;
pub mod triggers;

pub use crate::core::{Core, Settings};
