//! Outgoing webhooks firing on new posts (being written).

use crate::server::Shared;
use crate::store::{Channel, Post, Store, User};

/// Fire the outgoing webhooks `post` triggers, in the background.
pub fn fire<S: Store>(_state: &Shared<S>, _post: &Post, _channel: &Channel, _author: &User) {}
