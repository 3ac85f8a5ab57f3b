//! Layering rules, checked on the real dependency graph (`cargo tree`) and on
//! the sources:
//!
//! - a crate that uses only the generated client must not build axum; one
//!   that uses only the generated server must not build reqwest;
//! - the domain core (`chathooks-core`) depends on no generated crate;
//! - the Mattermost and Rocket.Chat adapters never import each other.

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
    for needed in [
        "chathooks-core",
        "chathooks-mattermost-server",
        "chathooks-rocketchat-server",
    ] {
        assert!(server.iter().any(|d| d == needed), "chathooks should use {needed}");
    }
}

/// Lines of Rust source (comments left out) that name one of `forbidden`.
fn mentions(source: &str, forbidden: &[&str]) -> Vec<String> {
    source
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .filter(|code| forbidden.iter().any(|f| code.contains(f)))
        .map(|code| code.trim().to_owned())
        .collect()
}

/// Every `.rs` file under `dir`, recursively, with its text.
fn rust_sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            found.extend(rust_sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("readable source");
            found.push((path, text));
        }
    }
    found
}

#[test]
fn the_scan_sees_a_dialect_import() {
    let sample = "use crate::rocketchat::outgoing;\n// crate::rocketchat in a comment\nlet x = 1; // rocketchat::\n";
    assert_eq!(
        mentions(sample, &["rocketchat::"]),
        ["use crate::rocketchat::outgoing;"]
    );
}

/// The dialects are adapters over the core: neither imports the other.
#[test]
fn dialects_do_not_import_each_other() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/chathooks/src");
    for (dialect, other) in [("mattermost", "rocketchat"), ("rocketchat", "mattermost")] {
        let forbidden = [format!("{other}::"), format!("chathooks_{other}")];
        let forbidden: Vec<&str> = forbidden.iter().map(String::as_str).collect();
        let sources = rust_sources(&src.join(dialect));
        assert!(!sources.is_empty(), "no sources found for {dialect}");
        for (path, text) in sources {
            let hits = mentions(&text, &forbidden);
            assert!(hits.is_empty(), "{} uses the {other} dialect: {hits:?}", path.display());
        }
    }
}
