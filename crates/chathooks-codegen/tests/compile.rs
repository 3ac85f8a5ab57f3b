//! What the generator writes compiles: the fixtures and the whole upstream
//! Mattermost API, as one temporary workspace, built with the workspace's
//! lockfile and target directory (so dependencies are built once). Then the
//! generated multipart client uploads to a listener (`upload-check`), and the
//! generated client sends object query parameters to the generated server
//! (`query-objects-check`).

use std::path::Path;
use std::process::Command;

use chathooks_codegen::{ApiSpec, Runtime, generate};

/// Every fixture that generates: each class fixture, and the large ones.
/// Each is a name and its spec (a file or directory) under tests/fixtures.
const FIXTURES: &[(&str, &str)] = &[
    ("petstore", "petstore.yaml"),
    ("edge-cases", "edge-cases.yaml"),
    ("naming", "naming.yaml"),
    ("field-collisions", "field-collisions.yaml"),
    ("express-paths", "express-paths.yaml"),
    ("typify-hostile", "typify-hostile.yaml"),
    ("multipart", "multipart.yaml"),
    ("openapi31", "openapi31.yaml"),
    ("chat31", "chat31.yaml"),
    ("query-objects", "query-objects.yaml"),
    ("multi-file", "multi-file/api.yaml"),
    ("merge", "merge"),
    ("json-surrogates", "json-surrogates.json"),
    ("mattermost-api-v4", "mattermost-api-v4.yaml"),
];

/// Programs built with the generated crates and run: the package name, its
/// source under tests/support, and its dependencies.
const CHECKS: &[(&str, &str, &str)] = &[
    (
        "upload-check",
        "upload_check.rs",
        "chathooks-multipart-client = { path = \"../chathooks-multipart-client\" }\n\
         reqwest = { version = \"0.13\", default-features = false, features = [\"multipart\"] }\n\
         tokio = { version = \"1\", features = [\"macros\", \"net\", \"io-util\", \"rt\"] }\n",
    ),
    (
        "query-objects-check",
        "query_objects_check.rs",
        "chathooks-query-objects-client = { path = \"../chathooks-query-objects-client\" }\n\
         chathooks-query-objects-server = { path = \"../chathooks-query-objects-server\" }\n\
         chathooks-query-objects-types = { path = \"../chathooks-query-objects-types\" }\n\
         reqwest = { version = \"0.13\", default-features = false, features = [\"multipart\"] }\n\
         serde = \"1\"\n\
         serde_json = \"1\"\n\
         tokio = { version = \"1\", features = [\"macros\", \"net\", \"rt\"] }\n",
    ),
];

#[test]
fn generated_crates_compile() {
    let root = chathooks_codegen::workspace_root();
    let dir = root.join("target/codegen-compile-check");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut members = Vec::new();
    for &(name, spec) in FIXTURES {
        let api = ApiSpec {
            spec_display: format!("tests/fixtures/{spec}"),
            runtime: Runtime::Path(root.join("crates/chathooks-runtime")),
            ..ApiSpec::new(name, fixtures.join(spec), dir.clone())
        };
        for file in generate(&api).unwrap().files {
            std::fs::create_dir_all(file.path.parent().unwrap()).unwrap();
            std::fs::write(&file.path, file.contents).unwrap();
        }
        for kind in ["types", "server", "client"] {
            members.push(format!("\"chathooks-{name}-{kind}\""));
        }
    }
    // Programs run once the workspace is built (see tests/support): an
    // upload with the generated multipart client, and the generated client
    // and server of object query parameters talking over HTTP.
    for (program, source, dependencies) in CHECKS {
        let check = dir.join(program);
        std::fs::create_dir_all(check.join("src")).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(source),
            check.join("src/main.rs"),
        )
        .unwrap();
        std::fs::write(
            check.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{program}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [dependencies]\n{dependencies}"
            ),
        )
        .unwrap();
        members.push(format!("\"{program}\""));
    }
    // The workspace's own profiles (and lockfile), so dependencies built for
    // the workspace are reused rather than rebuilt.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let profiles = manifest.find("[profile.").map_or("", |start| &manifest[start..]);
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n{profiles}",
            members.join(", ")
        ),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let started = std::time::Instant::now();
    let output = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--workspace"])
        .current_dir(&dir)
        .env(
            "CARGO_TARGET_DIR",
            std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| root.join("target").into()),
        )
        .output()
        .expect("cargo runs");
    eprintln!("generated crates built in {:.1?}", started.elapsed());
    assert!(
        output.status.success(),
        "generated code does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    for (program, _, _) in CHECKS {
        let run = Command::new(env!("CARGO"))
            .args(["run", "--quiet", "-p", program])
            .current_dir(&dir)
            .env(
                "CARGO_TARGET_DIR",
                std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| root.join("target").into()),
            )
            .output()
            .expect("cargo runs");
        assert!(
            run.status.success(),
            "{program} failed:\n{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }
}
