//! Layering rules, checked on the real dependency graph (`cargo tree`):
//!
//! - a crate that uses only the generated client must not build axum; one
//!   that uses only the generated server must not build reqwest;
//! - the domain core (`chathooks-core`) depends on no generated crate;
//! - the Mattermost and Rocket.Chat adapters are crates that depend on
//!   neither each other nor the server;
//! - and, from their sources, the adapters make no store writes: data
//!   changes through the core's services.

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

/// The store methods that change data: every method of the store traits
/// except lookups (`get_*` but `get_or_create_*`, `list_*`, `count_*`,
/// `find_*`, `search_*`, and `outgoing_for_channel`, a listing).
fn store_writes() -> Vec<String> {
    let store = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates/chathooks-core/src/store");
    let reads = ["get_", "list_", "count_", "find_", "search_", "outgoing_for_channel"];
    let mut writes = Vec::new();
    for file in ["mod.rs", "content.rs", "delivery.rs", "directory.rs", "inspect.rs"] {
        let text = std::fs::read_to_string(format!("{store}/{file}")).expect("store source reads");
        for declared in text.split("    fn ").skip(1) {
            let Some((name, rest)) = declared.split_once('(') else {
                continue;
            };
            // A trait method's declaration, up to its `;`: `&self`, and a future.
            let signature = rest.split(';').next().unwrap_or_default();
            let is_method = rest.trim_start().starts_with("&self") && signature.contains("impl Future");
            let is_read = reads.iter().any(|read| name.starts_with(read)) && !name.starts_with("get_or_create");
            if is_method && !is_read && !writes.contains(&name.to_owned()) {
                writes.push(name.to_owned());
            }
        }
    }
    writes
}

/// `(file, line, method)` of every store write in a dialect crate's sources:
/// a write method called on an expression ending in `store` (`state.store`,
/// `core.store`, a `store` binding), across line breaks.
/// Every `.rs` file under `dir`, subdirectories included.
fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dialect sources list") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
    found
}

fn dialect_store_writes() -> Vec<(String, usize, String)> {
    let writes = store_writes();
    let mut found = Vec::new();
    for dialect in ["chathooks-mattermost", "chathooks-rocketchat"] {
        let dir = format!("{}/../crates/{dialect}/src", env!("CARGO_MANIFEST_DIR"));
        let mut files = rust_files(std::path::Path::new(&dir));
        files.sort();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("source reads");
            let squeezed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            for (at, _) in squeezed.match_indices("store") {
                let after = squeezed[at + "store".len()..].trim_start_matches(' ');
                let Some(call) = after.strip_prefix('.') else { continue };
                let name: String = call
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if writes.contains(&name) {
                    let file = path.strip_prefix(&dir).map_or_else(
                        |_| path.display().to_string(),
                        |relative| format!("{dialect}/src/{}", relative.display()),
                    );
                    let line = text
                        .lines()
                        .position(|line| line.contains(&format!(".{name}(")))
                        .map_or(0, |index| index + 1);
                    found.push((file, line, name));
                }
            }
            for write in &writes {
                for pattern in [format!("Store::{write}("), format!("Store>::{write}(")] {
                    if squeezed.contains(&pattern) {
                        found.push((path.display().to_string(), 0, write.clone()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn the_scan_knows_the_store_writes() {
    let writes = store_writes();
    for write in [
        "create_incoming",
        "attach_files",
        "create_access_token",
        "set_rc_script_values",
        "wipe",
        "get_or_create_direct_channel",
    ] {
        assert!(writes.iter().any(|w| w == write), "{write} missing from {writes:?}");
    }
    for read in ["get_user", "list_incoming", "count_rc_history", "find_channel_by_name"] {
        assert!(!writes.iter().any(|w| w == read), "{read} taken for a write");
    }
}

/// The dialect crates change data only through the core's services, which
/// keep the invariants (permissions, events after the commit, deliveries in
/// the post's transaction); they may read the store directly.
#[test]
fn dialects_write_only_through_the_core() {
    let found = dialect_store_writes();
    assert!(
        found.is_empty(),
        "direct store writes in the dialect crates (use a chathooks_core service):\n{}",
        found
            .iter()
            .map(|(file, line, name)| format!("  {file}:{line}: store.{name}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
