//! The chathooks server: a faithful stand-in for the Mattermost and Rocket.Chat
//! webhook APIs.
//!
//! This crate holds the HTTP side of the server:
//!
//! - [`dialects`]: the chat APIs served, each a crate of its own
//!   (`chathooks-mattermost`, `chathooks-rocketchat`) behind the
//!   `chathooks_dialect::Dialect` descriptor, over the domain core
//!   ([`chathooks_core`], re-exported here by module) and one store;
//! - [`testapi`]: chathooks' own API for tests and the web UI, with
//!   [`chaos`] (failures on demand), [`access`] (`--ui-auth`), [`metrics`],
//!   [`health`] and [`retention`] around it;
//! - [`server`]: configuration, the HTTP stack, start-up and shutdown, over
//!   [`connections`] (the accept loop and its limits) and [`front`] (with
//!   [`browser`]: host names, origins and what a foreign page may send);
//! - [`ui`]: the web UI at `/` and its live stream;
//! - [`cli`]: the `chathooks serve` command line.

pub mod access;
pub mod browser;
pub mod chaos;
pub mod cli;
pub mod connections;
pub mod dialects;
pub mod front;
pub mod health;
pub mod metrics;
pub mod retention;
pub mod seed;
pub mod server;
pub mod testapi;
pub mod ui;

pub use chathooks_core::{
    Core, accounts, channels, config, delivery, dialogs, events, files, hooks, ids, maintenance, markup, netguard,
    password, permissions, posts, reactions, reader, sessions, store, triggers,
};
