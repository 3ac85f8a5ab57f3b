//! The end-to-end suite runs on the backend `CHATHOOKS_TEST_BACKEND` names:
//! check the server really is on it, so a PostgreSQL run cannot silently be a
//! SQLite one.

use chathooks::store::Backend;
use chathooks_tests::{TestServer, postgres_backend};

#[tokio::test]
async fn the_server_runs_on_the_backend_asked_for() {
    let server = TestServer::start().await;
    let on_postgres = matches!(server.state.core.backend(), Backend::Postgres(_));
    assert_eq!(on_postgres, postgres_backend(), "{:?}", server.state.core.backend());
    server.shutdown().await;
}
