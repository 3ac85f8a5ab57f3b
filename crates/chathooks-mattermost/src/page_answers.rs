//! Encoded answers for pages of a list, kept while the page is unchanged.
//!
//! The store's cache hands out a page of records as one shared allocation
//! (`Arc<[T]>`) and keeps handing out that same allocation until the records
//! change or the entry expires. An answer encoded from a page is therefore
//! still right as long as the page the store returns is the very allocation it
//! was encoded from; no invalidation of its own is needed, and a write through
//! any path (or another instance, after the cache's TTL) is seen as soon as
//! the store sees it.
//!
//! Why: serializing a 60-hook page and copying its records was nearly half of
//! `GET /api/v4/hooks/incoming` under load.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use chathooks_runtime::Encoded;

/// Keys kept before the map is emptied: a handful is the usual working set
/// (one per team and page asked for), and re-encoding is cheap.
const MAX_ENTRIES: usize = 256;

/// An encoded answer and the page it was made from.
struct Entry<T, R> {
    from: Weak<[T]>,
    encoded: Encoded<R>,
}

/// Encoded answers of type `R`, each tied to the page it was made from.
pub(crate) struct PageAnswers<K, T, R> {
    entries: Mutex<HashMap<K, Entry<T, R>>>,
}

impl<K, T, R> Default for PageAnswers<K, T, R> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, T, R> PageAnswers<K, T, R> {
    /// The answer encoded for `key` from this very `page`, if there is one.
    ///
    /// The entry holds a `Weak` of the page, which keeps the allocation (not
    /// the records) alive, so its address cannot be reused by a newer page.
    pub(crate) fn get(&self, key: &K, page: &Arc<[T]>) -> Option<Encoded<R>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(key)?;
        std::ptr::eq(entry.from.as_ptr(), Arc::as_ptr(page)).then(|| entry.encoded.clone())
    }

    /// Keep `encoded` as the answer for `key` made from `page`.
    pub(crate) fn put(&self, key: K, page: &Arc<[T]>, encoded: Encoded<R>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let from = Arc::downgrade(page);
        entries.insert(key, Entry { from, encoded });
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    async fn encoded(text: &str) -> Encoded<(StatusCode, String)> {
        Encoded::of((StatusCode::OK, text.to_owned())).await
    }

    #[tokio::test]
    async fn an_answer_is_kept_only_for_the_page_it_was_made_from() {
        let answers = PageAnswers::default();
        let page: Arc<[i32]> = vec![1, 2].into();
        answers.put("team", &page, encoded("[1,2]").await);

        let hit = answers.get(&"team", &page).expect("the same page finds its answer");
        assert_eq!(&hit.body()[..], b"[1,2]");
        assert!(answers.get(&"other team", &page).is_none());

        // Equal records in a new allocation are a new page (the store made it
        // after a change): the old answer is not used.
        let reloaded: Arc<[i32]> = vec![1, 2].into();
        assert!(answers.get(&"team", &reloaded).is_none());

        answers.put("team", &reloaded, encoded("[1,2] again").await);
        assert_eq!(&answers.get(&"team", &reloaded).unwrap().body()[..], b"[1,2] again");
        assert!(answers.get(&"team", &page).is_none());
    }
}
