//! The domain core of chathooks, shared by both API dialects.
//!
//! The Mattermost and Rocket.Chat APIs of the `chathooks` server are thin
//! adapters over this crate: they translate wire types to calls here, and the
//! errors here to their own error bodies. This crate knows no API dialect: it
//! depends on no generated crate, and `tests/tests/dependency_rules.rs` checks it.
//!
//! - [`store`]: persistence behind the [`store::Store`] trait, one
//!   implementation per database.
//! - [`ids`]: ids and tokens in the exact formats of each server.
//! - [`password`]: Argon2 password hashes and constant-time secret comparison.
//! - [`accounts`]: account rules both APIs share.
//! - [`markup`]: Slack markup conversion and splitting of over-long posts.
//! - [`netguard`]: refusing outgoing calls to internal addresses.

pub mod accounts;
pub mod ids;
pub mod markup;
pub mod netguard;
pub mod password;
pub mod store;
