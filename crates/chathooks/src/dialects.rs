//! The chat APIs this server speaks, and every question about them that the
//! server asks: which API a path belongs to, which incoming hook a request
//! executes, how an API answers where the server answers for it.
//!
//! A dialect is a crate of its own behind `chathooks_dialect::Dialect`; this
//! module is the only place that names them.

use std::sync::Arc;

use axum::http::Method;
use axum::response::Response;
use chathooks_dialect::seed::SeedSection;
use chathooks_dialect::{Dialect, Options, Registration};

/// Every dialect this server speaks, in the order unknown paths fall back
/// through (the first one answers paths no dialect owns). A new dialect is
/// one line here.
pub const REGISTERED: [Registration; 2] = [chathooks_mattermost::REGISTRATION, chathooks_rocketchat::REGISTRATION];

/// The seed file sections of every registered dialect.
pub fn seed_sections() -> Vec<&'static dyn SeedSection> {
    REGISTERED.iter().map(|registration| registration.seed).collect()
}

/// The dialects of one server.
#[derive(Clone)]
pub struct Dialects {
    all: Vec<Arc<dyn Dialect>>,
}

impl Dialects {
    /// Build every registered dialect.
    pub fn new(options: &Options) -> Self {
        Self {
            all: REGISTERED
                .iter()
                .map(|registration| (registration.build)(options))
                .collect(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Dialect>> {
        self.all.iter()
    }

    /// The dialect whose paths include `path`.
    pub fn owner_of(&self, path: &str) -> Option<&dyn Dialect> {
        self.all.iter().find(|d| d.owns(path)).map(Arc::as_ref)
    }

    /// The incoming hook a request executes, and whose it is.
    pub fn incoming_hook<'p>(&self, method: &Method, path: &'p str) -> Option<(&dyn Dialect, &'p str)> {
        self.all
            .iter()
            .find_map(|d| d.incoming_hook(method, path).map(|hook| (d.as_ref(), hook)))
    }

    /// Whether `path` takes file uploads in some dialect.
    pub fn is_upload(&self, path: &str) -> bool {
        self.all.iter().any(|d| d.is_upload(path))
    }

    /// The answer to a path nothing serves: 404 in the shape of the dialect
    /// owning it, else of the first one.
    pub fn not_found(&self, path: &str) -> Response {
        match self.owner_of(path).or_else(|| self.all.first().map(Arc::as_ref)) {
            Some(dialect) => dialect.not_found(),
            None => chathooks_runtime::empty_response(axum::http::StatusCode::NOT_FOUND),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_path_has_at_most_one_owner() {
        let dialects = Dialects::new(&Options::default());
        let paths = [
            "/api/v4/users/me",
            "/api/v1/me",
            "/api/info",
            "/hooks/abc",
            "/hooks/abc/tok",
            "/hooks/commands/abc",
            "/_chathooks/api/v1/messages",
            "/",
        ];
        for path in paths {
            let owners: Vec<_> = dialects.iter().filter(|d| d.owns(path)).map(|d| d.name()).collect();
            assert!(owners.len() <= 1, "{path} is owned by {owners:?}");
        }
        assert_eq!(dialects.owner_of("/hooks/abc").map(|d| d.name()), Some("mattermost"));
        assert_eq!(
            dialects.owner_of("/hooks/abc/tok").map(|d| d.name()),
            Some("rocketchat")
        );
        assert_eq!(
            dialects.owner_of("/hooks/commands/abc").map(|d| d.name()),
            Some("mattermost"),
            "a slash command's response_url"
        );
        assert!(dialects.owner_of("/_chathooks/api/v1/messages").is_none());
    }

    #[test]
    fn an_execution_names_its_dialect_and_hook() {
        let dialects = Dialects::new(&Options::default());
        let found = |path| {
            dialects
                .incoming_hook(&Method::POST, path)
                .map(|(dialect, hook)| (dialect.name(), hook))
        };
        assert_eq!(found("/hooks/abc"), Some(("mattermost", "abc")));
        assert_eq!(found("/hooks/abc/tok"), Some(("rocketchat", "abc")));
        assert_eq!(found("/api/v4/hooks/incoming"), None);
    }
}
