//! Failures on demand for incoming webhooks, so a sender's retry logic can
//! be tested: rules from the seed file or the test API say, per hook or for
//! every hook, how often an execution fails, with which status (and
//! `Retry-After`), and how much latency every execution gets.
//!
//! Chaos sits in front of both APIs' `/hooks/...` routes ([`crate::front`]): a
//! failed execution never reaches the dialect, so nothing is posted, and it
//! is answered in the error shape of the hook's API. Rules and the record of
//! recent failures are per server instance (in memory).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use tokio::sync::broadcast;

use chathooks_dialect::Dialect;

use crate::server::AppState;
use crate::store::now_ms;

/// The hook name that makes a rule apply to every incoming webhook.
pub const EVERY_HOOK: &str = "*";
/// Failures remembered for the test API and the UI.
const KEPT_ANSWERS: usize = 100;

/// One rule. Checked where it is made (seed file, test API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// A hook id, or [`EVERY_HOOK`].
    pub hook: String,
    /// Percent of executions that fail, 0 to 100.
    pub probability: u8,
    /// The failing answer's status, 400 to 599.
    pub status: StatusCode,
    /// `Retry-After` seconds sent with a failing answer.
    pub retry_after: Option<u64>,
    /// Added before every execution the rule applies to.
    pub latency: Duration,
}

/// An incoming webhook execution: whose API it is and the hook id its path
/// names.
#[derive(Clone, Copy)]
pub struct Execution<'a> {
    pub dialect: &'a dyn Dialect,
    pub hook_id: &'a str,
}

/// The execution a request is, if it is one: each dialect knows its own
/// paths.
pub fn execution_of<'a>(state: &'a AppState, method: &Method, path: &'a str) -> Option<Execution<'a>> {
    let (dialect, hook_id) = state.dialects.incoming_hook(method, path)?;
    Some(Execution { dialect, hook_id })
}

/// A failing answer chaos made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub at: i64,
    /// The dialect's name.
    pub api: &'static str,
    pub hook_id: String,
    pub status: StatusCode,
}

/// The rules in force and the failures they made.
#[derive(Debug)]
pub struct Chaos {
    rules: RwLock<Vec<Rule>>,
    answers: Mutex<VecDeque<Answer>>,
    sender: broadcast::Sender<Answer>,
}

impl Chaos {
    pub fn new(rules: Vec<Rule>) -> Self {
        Self {
            rules: RwLock::new(rules),
            answers: Mutex::new(VecDeque::new()),
            sender: broadcast::channel(256).0,
        }
    }

    /// Replace every rule.
    pub fn set(&self, rules: Vec<Rule>) {
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = rules;
    }

    pub fn rules(&self) -> Vec<Rule> {
        self.rules.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The latest failures, newest first.
    pub fn answers(&self) -> Vec<Answer> {
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// Every failure chaos makes from now on (for live views).
    pub fn subscribe(&self) -> broadcast::Receiver<Answer> {
        self.sender.subscribe()
    }

    /// The rule for `hook_id`: the first naming it, else the first `*` rule.
    pub fn rule_for(&self, hook_id: &str) -> Option<Rule> {
        let rules = self.rules.read().unwrap_or_else(PoisonError::into_inner);
        rules
            .iter()
            .find(|rule| rule.hook == hook_id)
            .or_else(|| rules.iter().find(|rule| rule.hook == EVERY_HOOK))
            .cloned()
    }

    fn record(&self, answer: Answer) {
        let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
        answers.push_front(answer.clone());
        answers.truncate(KEPT_ANSWERS);
        drop(answers);
        let _ = self.sender.send(answer);
    }
}

/// Whether an execution under `rule` fails: `probability` percent do.
fn fails(rule: &Rule) -> bool {
    match rule.probability {
        0 => false,
        100.. => true,
        p => rand::random_range(0..100u8) < p,
    }
}

/// Delay an execution (from [`execution_of`]) that a rule applies to, and
/// answer it in its API's shape if the rule fails it; `None` lets it through.
pub async fn answer(state: &AppState, hook: Option<Execution<'_>>) -> Option<Response> {
    let execution = hook?;
    let Execution { dialect, hook_id } = execution;
    let api = dialect.name();
    let rule = state.chaos.rule_for(hook_id)?;
    if !rule.latency.is_zero() {
        tokio::time::sleep(rule.latency).await;
    }
    if !fails(&rule) {
        return None;
    }
    // Logged and counted by its metrics labels: the id can be the hook's secret.
    let labels = crate::metrics::hook_labels(state, execution).await;
    tracing::info!(api, hook = %labels.hook, name = %labels.name, status = rule.status.as_u16(), "chaos: failing an execution");
    state.metrics.chaos_answer(&labels);
    let hook_id = hook_id.to_owned();
    state.chaos.record(Answer {
        at: now_ms(),
        api,
        hook_id,
        status: rule.status,
    });
    let mut response = dialect.chaos_answer(rule.status);
    if let Some(seconds) = rule.retry_after {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(hook: &str, probability: u8) -> Rule {
        Rule {
            hook: hook.into(),
            probability,
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
            latency: Duration::ZERO,
        }
    }

    #[test]
    fn a_rule_naming_the_hook_wins_over_every_hook() {
        let chaos = Chaos::new(vec![rule(EVERY_HOOK, 100), rule("abc", 0)]);
        assert_eq!(chaos.rule_for("abc").map(|r| r.probability), Some(0));
        assert_eq!(chaos.rule_for("other").map(|r| r.probability), Some(100));
        chaos.set(vec![rule("abc", 50)]);
        assert_eq!(chaos.rule_for("other"), None);
    }

    #[test]
    fn probabilities_at_the_ends_are_certain() {
        assert!((0..1000).all(|_| !fails(&rule("x", 0))));
        assert!((0..1000).all(|_| fails(&rule("x", 100))));
        let some = (0..1000).filter(|_| fails(&rule("x", 50))).count();
        assert!((1..1000).contains(&some), "50% fails some, not all: {some}");
    }

    #[test]
    fn the_latest_answers_are_kept_newest_first() {
        let chaos = Chaos::new(Vec::new());
        let mut live = chaos.subscribe();
        for n in 0..(KEPT_ANSWERS + 5) {
            chaos.record(Answer {
                at: n as i64,
                api: "mattermost",
                hook_id: "h".into(),
                status: StatusCode::INTERNAL_SERVER_ERROR,
            });
        }
        let answers = chaos.answers();
        assert_eq!(answers.len(), KEPT_ANSWERS);
        assert_eq!(answers[0].at, (KEPT_ANSWERS + 4) as i64);
        assert_eq!(live.try_recv().map(|a| a.at), Ok(0));
    }
}
