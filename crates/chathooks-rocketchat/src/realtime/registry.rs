//! The open Realtime API sessions, as the web UI lists them (who, what they
//! subscribed to, when frames last went each way). A session enters when its
//! socket opens and leaves when its task ends ([`Registered`] drops), so the
//! list holds no more entries than there are open connections.

use std::collections::HashMap;
use std::sync::Mutex;

use chathooks_dialect::RealtimeSession;

/// Every open session, by its DDP session id.
#[derive(Default)]
pub(crate) struct Sessions(Mutex<HashMap<String, RealtimeSession>>);

impl Sessions {
    /// The sessions, oldest first.
    pub(crate) fn list(&self) -> Vec<RealtimeSession> {
        let mut sessions: Vec<RealtimeSession> = self.lock().values().cloned().collect();
        sessions.sort_by(|a, b| (a.connected_at, &a.id).cmp(&(b.connected_at, &b.id)));
        sessions
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RealtimeSession>> {
        // A panic while holding the lock left a plain map behind: keep using it.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A session's entry, removed when this drops.
pub(super) struct Registered<'a> {
    sessions: &'a Sessions,
    id: String,
}

impl<'a> Registered<'a> {
    pub(super) fn new(sessions: &'a Sessions, id: &str, now: i64) -> Self {
        let entry = RealtimeSession {
            id: id.to_owned(),
            connected_at: now,
            ..RealtimeSession::default()
        };
        sessions.lock().insert(id.to_owned(), entry);
        Self {
            sessions,
            id: id.to_owned(),
        }
    }

    /// Change the entry.
    pub(super) fn update(&self, change: impl FnOnce(&mut RealtimeSession)) {
        if let Some(entry) = self.sessions.lock().get_mut(&self.id) {
            change(entry);
        }
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.sessions.lock().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_listed_while_it_is_open() {
        let sessions = Sessions::default();
        {
            let later = Registered::new(&sessions, "b", 2);
            let _first = Registered::new(&sessions, "a", 1);
            later.update(|s| s.username = "bot".into());
            let listed = sessions.list();
            assert_eq!(listed.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(listed[1].username, "bot");
        }
        assert!(sessions.list().is_empty());
    }
}
