//! `cargo xtask spec-diff` as a command: its exit codes and its two formats.

use std::path::Path;
use std::process::{Command, Output};

const PAIRS: &str = "crates/chathooks-codegen/tests/fixtures/spec-diff";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("spec-diff")
        .args(args)
        .current_dir(root())
        .output()
        .expect("xtask runs")
}

fn pair(name: &str) -> [String; 2] {
    [format!("{PAIRS}/{name}/old.yaml"), format!("{PAIRS}/{name}/new.yaml")]
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn breaking_for_clients_exits_5() {
    let [old, new] = pair("response-properties");
    let output = xtask(&[&old, &new]);
    assert_eq!(code(&output), Some(5), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|l| l.contains("clients BREAKING") && l.contains("property_removed") && l.contains("$.display_name")),
        "{text}"
    );
}

#[test]
fn fail_on_picks_the_side() {
    // openapi-31 widens a request type: breaking for servers only.
    let [old, new] = pair("openapi-31");
    assert_eq!(code(&xtask(&[&old, &new])), Some(0));
    assert_eq!(code(&xtask(&["--fail-on", "clients", &old, &new])), Some(0));
    assert_eq!(code(&xtask(&["--fail-on", "servers", &old, &new])), Some(5));
    assert_eq!(code(&xtask(&["--fail-on", "any", &old, &new])), Some(5));
    // The same spec twice: nothing, on any side.
    assert_eq!(code(&xtask(&["--fail-on", "any", &old, &old])), Some(0));
}

#[test]
fn json_format() {
    let [old, new] = pair("response-properties");
    let output = xtask(&["--format", "json", &old, &new]);
    assert_eq!(code(&output), Some(5));
    let text = stdout(&output);
    assert!(
        text.trim_start().starts_with('{') && text.trim_end().ends_with('}'),
        "{text}"
    );
    assert!(text.contains("\"kind\": \"property_removed\""), "{text}");
    assert!(text.contains("\"clients\": true"), "{text}");
}

#[test]
fn failures_exit_1() {
    let [old, _] = pair("response-properties");
    for args in [
        vec![old.as_str()],
        vec!["--format", "yaml", &old, &old],
        vec!["--fail-on", "nobody", &old, &old],
        vec!["--bogus", &old, &old],
        vec![&old, "no/such/spec.yaml"],
        vec![&old, "no-such-revision:spec/mattermost.yaml"],
    ] {
        let output = xtask(&args);
        assert_eq!(code(&output), Some(1), "{args:?}: {}", stdout(&output));
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
