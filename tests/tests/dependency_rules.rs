//! A crate that uses only the generated client must not build axum; one that
//! uses only the generated server must not build reqwest. Checked on the
//! real dependency graph, with `cargo tree`.

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
