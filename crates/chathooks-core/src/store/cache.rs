//! A read-through cache of the records every request looks up: sessions,
//! users, channels, team memberships and incoming webhooks, and pages of the
//! incoming-webhook list.
//!
//! Why: a request to either API makes two to five such lookups (who is
//! calling, which hook, which channel, may they), and each is a round trip to
//! the database through sqlx's worker. Mattermost itself keeps the same
//! records in memory (its session, user, channel and webhook caches).
//!
//! Consistency:
//! - writes made through this process invalidate what they change, at once,
//!   also against a lookup that was reading the database meanwhile: what it
//!   read may be from before the write, so it is answered but not kept;
//! - writes made by another instance on the same database are seen after at
//!   most [`Cache::ttl`] (entries expire), which bounds how long, say, a
//!   logout on one instance leaves the token valid on another;
//! - only found records are cached, so a record created elsewhere is seen on
//!   the next lookup;
//! - a cached channel's counters (`total_msg_count`, `last_post_at`) are as
//!   they were when it was read: posts do not invalidate it, because the
//!   webhook paths look the channel up on every post. Only
//!   [`AnyStore::get_channel_for_posting`](super::AnyStore::get_channel_for_posting)
//!   reads channels through here; `get_channel` reads the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::*;

/// Entries kept per map before it is emptied (a crude bound: these maps hold
/// what is hot, and refilling is cheap).
const MAX_ENTRIES: usize = 50_000;

/// One map of entries that expire.
struct Expiring<K, V> {
    entries: Mutex<Entries<K, V>>,
}

struct Entries<K, V> {
    map: HashMap<K, (Instant, V)>,
    /// Counts invalidations. A lookup notes it before reading the database
    /// and keeps what it read only if it has not moved since: otherwise a
    /// write may have committed, and been forgotten here, after the lookup's
    /// read, which would put the old record back until it expires.
    generation: u64,
}

impl<K: Eq + Hash, V: Clone> Expiring<K, V> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get<Q>(&self, key: &Q, ttl: Duration) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.lock();
        let (at, value) = entries.map.get(key)?;
        (at.elapsed() < ttl).then(|| value.clone())
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Keep `value`, read from the database when the map was at
    /// `generation`, unless something was invalidated since.
    fn put_if_unchanged(&self, generation: u64, key: K, value: V) {
        let mut entries = self.lock();
        if entries.generation != generation {
            return;
        }
        if entries.map.len() >= MAX_ENTRIES {
            entries.map.clear();
        }
        entries.map.insert(key, (Instant::now(), value));
    }

    /// The fresh entry for `key`, else what `load` finds (kept if found).
    async fn read_through<Q>(
        &self,
        key: &Q,
        ttl: Duration,
        load: impl Future<Output = StoreResult<Option<V>>>,
    ) -> StoreResult<Option<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        if let Some(hit) = self.get(key, ttl) {
            return Ok(Some(hit));
        }
        let generation = self.generation();
        let found = load.await?;
        if let Some(found) = &found {
            self.put_if_unchanged(generation, key.to_owned(), found.clone());
        }
        Ok(found)
    }

    fn remove<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.remove(key);
    }

    fn clear(&self) {
        let mut entries = self.lock();
        entries.generation += 1;
        entries.map.clear();
    }
}

/// The cached records.
pub(super) struct Cache {
    /// How long an entry is trusted without asking the database.
    pub ttl: Duration,
    sessions: Expiring<String, Session>,
    users: Expiring<String, User>,
    channels: Expiring<String, Channel>,
    team_members: Expiring<(String, String), TeamMember>,
    incoming: Expiring<String, IncomingHook>,
    incoming_pages: Expiring<(IncomingFilter, u32, u32), Arc<[IncomingHook]>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl Cache {
    pub(super) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            sessions: Expiring::new(),
            users: Expiring::new(),
            channels: Expiring::new(),
            team_members: Expiring::new(),
            incoming: Expiring::new(),
            incoming_pages: Expiring::new(),
        }
    }

    /// Forget everything (the database was emptied).
    pub(super) fn clear(&self) {
        self.sessions.clear();
        self.users.clear();
        self.channels.clear();
        self.team_members.clear();
        self.incoming.clear();
        self.incoming_pages.clear();
    }

    pub(super) async fn session(
        &self,
        token: &str,
        load: impl Future<Output = StoreResult<Option<Session>>>,
    ) -> StoreResult<Option<Session>> {
        let found = self.sessions.read_through(token, self.ttl, load).await?;
        // Expiry is the session's own rule, not the cache's.
        Ok(found.filter(|s| !s.is_expired(now_ms())))
    }

    pub(super) async fn user(
        &self,
        id: &str,
        load: impl Future<Output = StoreResult<Option<User>>>,
    ) -> StoreResult<Option<User>> {
        self.users.read_through(id, self.ttl, load).await
    }

    pub(super) async fn channel(
        &self,
        id: &str,
        load: impl Future<Output = StoreResult<Option<Channel>>>,
    ) -> StoreResult<Option<Channel>> {
        self.channels.read_through(id, self.ttl, load).await
    }

    pub(super) async fn team_member(
        &self,
        team_id: &str,
        user_id: &str,
        load: impl Future<Output = StoreResult<Option<TeamMember>>>,
    ) -> StoreResult<Option<TeamMember>> {
        let key = (team_id.to_owned(), user_id.to_owned());
        self.team_members.read_through(&key, self.ttl, load).await
    }

    pub(super) async fn incoming(
        &self,
        id: &str,
        load: impl Future<Output = StoreResult<Option<IncomingHook>>>,
    ) -> StoreResult<Option<IncomingHook>> {
        self.incoming.read_through(id, self.ttl, load).await
    }

    pub(super) async fn incoming_page(
        &self,
        filter: &IncomingFilter,
        page: u32,
        per_page: u32,
        load: impl Future<Output = StoreResult<Vec<IncomingHook>>>,
    ) -> StoreResult<Arc<[IncomingHook]>> {
        let key = (filter.clone(), page, per_page);
        if let Some(hit) = self.incoming_pages.get(&key, self.ttl) {
            return Ok(hit);
        }
        let generation = self.incoming_pages.generation();
        let found: Arc<[IncomingHook]> = load.await?.into();
        self.incoming_pages.put_if_unchanged(generation, key, found.clone());
        Ok(found)
    }

    // ----- invalidation, after a write through this process -----

    pub(super) fn forget_session(&self, token: &str) {
        self.sessions.remove(token);
    }

    pub(super) fn forget_user(&self, id: &str) {
        self.users.remove(id);
    }

    pub(super) fn forget_channel(&self, id: &str) {
        self.channels.remove(id);
    }

    pub(super) fn forget_team_member(&self, team_id: &str, user_id: &str) {
        self.team_members.remove(&(team_id.to_owned(), user_id.to_owned()));
    }

    /// Any change to incoming hooks: the hook, and every cached page.
    pub(super) fn forget_incoming(&self, id: &str) {
        self.incoming.remove(id);
        self.incoming_pages.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_are_forgotten() {
        let map: Expiring<String, i32> = Expiring::new();
        map.put_if_unchanged(map.generation(), "a".into(), 1);
        assert_eq!(map.get("a", Duration::from_secs(60)), Some(1));
        assert_eq!(map.get("a", Duration::ZERO), None, "older than a zero TTL");
        map.remove("a");
        assert_eq!(map.get("a", Duration::from_secs(60)), None);
        map.put_if_unchanged(map.generation(), "b".into(), 2);
        map.clear();
        assert_eq!(map.get("b", Duration::from_secs(60)), None);
    }

    /// A lookup reads the old record; a write lands and forgets the key
    /// while that read is under way: the old record is answered, not kept.
    #[tokio::test]
    async fn a_lookup_overtaken_by_a_write_keeps_nothing() {
        let map: Expiring<String, i32> = Expiring::new();
        let ttl = Duration::from_secs(60);
        let read = map
            .read_through("a", ttl, async {
                map.remove("a");
                Ok(Some(1))
            })
            .await
            .unwrap();
        assert_eq!(read, Some(1));
        assert_eq!(map.get("a", ttl), None, "the stale read was kept");
        // Without a write in between, what was read is kept.
        map.read_through("a", ttl, async { Ok(Some(2)) }).await.unwrap();
        assert_eq!(map.get("a", ttl), Some(2));
    }
}
