//! The id of the request being served: the server's front gives every
//! request one (echoed as `X-Request-Id`), and a dialect's error bodies carry
//! it (Mattermost's AppError has a `request_id`).

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Run `future` as the request `id`.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The current request's id (empty outside a request).
pub fn current() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_seen_inside_its_scope_only() {
        assert_eq!(current(), "");
        let seen = scope("abc".to_owned(), async { current() }).await;
        assert_eq!(seen, "abc");
        assert_eq!(current(), "");
    }
}
