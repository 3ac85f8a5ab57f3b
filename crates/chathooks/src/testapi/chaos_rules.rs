//! Reading and replacing the chaos rules ([`crate::chaos`]).

use std::time::Duration;

use axum::http::StatusCode;
use chathooks_testapi_server::ops::set_chaos;
use chathooks_testapi_types as types;

use super::{TestError, TestResult};
use crate::chaos::Rule;
use crate::server::AppState;

/// A rule from the wire (its ranges are checked by the schema already;
/// checked again here, as the conversion needs them).
fn rule(wire: &types::ChaosRule) -> TestResult<Rule> {
    let invalid =
        |what: &str| TestError::bad_request("invalid-params", format!("rule for `{}`: {what}", wire.hook.as_str()));
    Ok(Rule {
        hook: wire.hook.to_string(),
        probability: u8::try_from(wire.probability)
            .ok()
            .filter(|p| *p <= 100)
            .ok_or_else(|| invalid("probability must be 0 to 100"))?,
        status: u16::try_from(wire.status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .filter(|s| s.is_client_error() || s.is_server_error())
            .ok_or_else(|| invalid("status must be 400 to 599"))?,
        retry_after: wire
            .retry_after
            .map(|s| u64::try_from(s).map_err(|_| invalid("retry_after must not be negative")))
            .transpose()?,
        latency: Duration::from_millis(
            u64::try_from(wire.latency_ms).map_err(|_| invalid("latency_ms must not be negative"))?,
        ),
    })
}

fn wire_rule(rule: &Rule) -> types::ChaosRule {
    types::ChaosRule {
        hook: rule
            .hook
            .parse()
            .unwrap_or_else(|_| "*".parse().expect("`*` is a valid hook")),
        probability: i64::from(rule.probability),
        status: i64::from(rule.status.as_u16()),
        retry_after: rule.retry_after.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
        latency_ms: i64::try_from(rule.latency.as_millis()).unwrap_or(i64::MAX),
    }
}

/// The rules in force and the latest failures.
pub(super) fn state(state: &AppState) -> types::ChaosState {
    types::ChaosState {
        rules: state.chaos.rules().iter().map(wire_rule).collect(),
        answers: state
            .chaos
            .answers()
            .into_iter()
            .map(|answer| types::ChaosAnswer {
                at: answer.at,
                api: answer.api.to_owned(),
                hook_id: answer.hook_id,
                status: i64::from(answer.status.as_u16()),
            })
            .collect(),
    }
}

pub(super) fn set(app: &AppState, chaos: types::Chaos) -> TestResult<set_chaos::Response> {
    let rules = chaos.rules.iter().map(rule).collect::<TestResult<Vec<_>>>()?;
    app.chaos.set(rules);
    Ok(set_chaos::Response::Ok(state(app)))
}
