//! Reset: back to the state the server started in (the seed file, or the
//! zero-config default), with everything made since erased.

use chathooks_testapi_server::ops::reset as op;
use chathooks_testapi_types as types;

use super::{TestError, TestResult};
use crate::server::AppState;

pub(super) async fn reset(state: &AppState) -> TestResult<op::Response> {
    // Read the seed file first: a file that no longer parses leaves
    // everything as it is.
    let seed = match &state.config.seed {
        Some(path) => Some(
            crate::seed::load(path)
                .map_err(|error| TestError::bad_request("invalid-seed", format!("nothing was reset: {error}")))?,
        ),
        None => None,
    };
    let core = &state.core;
    chathooks_core::maintenance::wipe(core).await?;
    if let Some((username, password)) = &state.config.admin {
        chathooks_core::accounts::ensure_admin(core, username, password)
            .await
            .map_err(anyhow::Error::from)?;
    }
    let mut applied = crate::seed::Applied::default();
    match (&seed, &state.welcome) {
        (Some(file), _) => {
            applied = crate::seed::apply(core, file).await?;
            state.chaos.set(crate::seed::chaos_rules(file));
        }
        (None, Some(welcome)) => {
            applied = crate::seed::apply_welcome(core, welcome).await?;
            state.chaos.set(Vec::new());
        }
        (None, None) => {
            state.chaos.set(Vec::new());
            // Started on a database that already had users: there is no
            // welcome to make again, so a new default is made. Its secrets
            // (the admin's password, the hook URLs) are not logged: logs
            // outlive a test run and travel (CI artifacts, shared hosts).
            // The hooks' URLs are the test API's and the web UI's to show.
            if state.config.admin.is_none() && crate::seed::zero_config(core, &state.dialects).await?.is_some() {
                tracing::info!(
                    "reset: made a new default admin (`admin`, with a random password that is not logged; \
                     give the admin flags to choose it) and an incoming hook per API (listed by \
                     GET /_chathooks/api/v1/hooks and the web UI)"
                );
            }
        }
    }
    for dialect in state.dialects.iter() {
        dialect.fresh_defaults(core).await?;
    }
    tracing::info!(
        created = applied.created,
        updated = applied.updated,
        "reset to the seeded state"
    );
    Ok(op::Response::Ok(types::ResetResult {
        created: i64::try_from(applied.created).unwrap_or(i64::MAX),
        updated: i64::try_from(applied.updated).unwrap_or(i64::MAX),
    }))
}
