//! Layering rules, checked on the real dependency graph (`cargo tree`):
//!
//! - a crate that uses only the generated client must not build axum; one
//!   that uses only the generated server must not build reqwest;
//! - the domain core (`chathooks-core`) depends on no generated crate;
//! - the Mattermost and Rocket.Chat adapters are crates that depend on
//!   neither each other nor the server.

use std::process::Command;

fn normal_dependencies(package: &str) -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn clients_do_not_build_axum_and_servers_do_not_build_reqwest() {
    for api in ["mattermost", "rocketchat"] {
        let client = normal_dependencies(&format!("chathooks-{api}-client"));
        assert!(
            client.iter().any(|d| d == "reqwest"),
            "{api} client should use reqwest: {client:?}"
        );
        assert!(
            !client.iter().any(|d| d == "axum" || d == "chathooks-runtime"),
            "{api} client builds axum"
        );

        let server = normal_dependencies(&format!("chathooks-{api}-server"));
        assert!(
            server.iter().any(|d| d == "axum"),
            "{api} server should use axum: {server:?}"
        );
        assert!(
            !server.iter().any(|d| d == "reqwest" || d == "progenitor-client"),
            "{api} server builds reqwest"
        );

        let types = normal_dependencies(&format!("chathooks-{api}-types"));
        assert!(
            !types.iter().any(|d| d == "axum" || d == "reqwest"),
            "{api} types build a framework: {types:?}"
        );
    }
}

/// The domain core knows no API dialect: no generated crate, no HTTP framework.
#[test]
fn the_core_depends_on_no_dialect() {
    let core = normal_dependencies("chathooks-core");
    let dialect_crates: Vec<&String> = core
        .iter()
        .filter(|d| d.starts_with("chathooks-") && d.as_str() != "chathooks-core" || d.as_str() == "axum")
        .collect();
    assert!(
        dialect_crates.is_empty(),
        "chathooks-core depends on {dialect_crates:?}"
    );
    // The server itself does build both dialects on the core.
    let server = normal_dependencies("chathooks");
    for needed in ["chathooks-core", "chathooks-mattermost", "chathooks-rocketchat"] {
        assert!(server.iter().any(|d| d == needed), "chathooks should use {needed}");
    }
}

/// Each dialect is a crate of its own: it builds on the core, the runtime,
/// the dialect contract and its own generated crates, never on another
/// dialect (or its generated crates) or on the server that composes them.
#[test]
fn dialects_depend_on_neither_each_other_nor_the_server() {
    let dialects = ["mattermost", "rocketchat"];
    for dialect in dialects {
        let package = format!("chathooks-{dialect}");
        let dependencies = normal_dependencies(&package);
        for needed in [
            "chathooks-core",
            "chathooks-dialect",
            &format!("chathooks-{dialect}-server"),
        ] {
            assert!(
                dependencies.iter().any(|d| d == needed),
                "{package} should use {needed}: {dependencies:?}"
            );
        }
        let forbidden: Vec<&String> = dependencies
            .iter()
            .filter(|d| {
                d.as_str() == "chathooks"
                    || d.starts_with("chathooks-testapi")
                    || dialects
                        .iter()
                        .filter(|other| **other != dialect)
                        .any(|other| d.starts_with(&format!("chathooks-{other}")))
            })
            .collect();
        assert!(forbidden.is_empty(), "{package} depends on {forbidden:?}");
    }
}

/// The contract between the server and the dialects names no dialect: of
/// our crates it builds only on the core and the script engine.
#[test]
fn the_dialect_contract_names_no_dialect() {
    let allowed = ["chathooks-dialect", "chathooks-core", "chathooks-script"];
    let contract = normal_dependencies("chathooks-dialect");
    let named: Vec<&String> = contract
        .iter()
        .filter(|d| d.starts_with("chathooks") && !allowed.contains(&d.as_str()))
        .collect();
    assert!(named.is_empty(), "chathooks-dialect depends on {named:?}");
}
