//! The chathooks server: a faithful stand-in for the Mattermost and Rocket.Chat
//! webhook APIs.
//!
//! This crate holds the hand-written parts of the server:
//!
//! - [`store`]: persistence behind the [`store::Store`] trait (SQLite today, so the
//!   handlers do not depend on the database).
//! - [`ids`]: ids and tokens in the exact formats of each server.
//! - [`password`]: Argon2 password hashes and constant-time secret comparison.
//! - [`markup`]: Slack markup conversion and splitting of over-long posts, as
//!   Mattermost's incoming webhooks do it.
//! - [`netguard`]: refusing outgoing-webhook callbacks to internal addresses.
//! - [`mattermost`] and [`rocketchat`]: the two APIs, served together over one store.

pub mod cli;
pub mod mattermost;
pub mod rocketchat;
pub mod server;

pub use chathooks_core::{
    Core, accounts, channels, delivery, events, ids, markup, netguard, password, permissions, posts, store,
};
