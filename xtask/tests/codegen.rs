//! `cargo xtask codegen`, `bench` and `test` as commands: argument errors
//! answer 1 (never clap's 2, which means "stale" for codegen), and the
//! committed crates are up to date.

use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is in the workspace")
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("xtask runs")
}

#[test]
fn committed_crates_are_up_to_date() {
    let output = xtask(&["codegen", "--check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn argument_errors_exit_1() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["codegen", "--bogus"],
        vec!["codegen", "--name", "x"],
        vec!["codegen", "--spec", "spec/testapi.yaml"],
        vec!["codegen", "--runtime", "version:0.1"],
        vec!["bench", "--runs", "0"],
        vec!["bench", "--runs"],
        vec!["test", "--bogus"],
    ] {
        let output = xtask(&args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
    assert_eq!(xtask(&["--help"]).status.code(), Some(0));
    assert_eq!(xtask(&["codegen", "--help"]).status.code(), Some(0));
}
