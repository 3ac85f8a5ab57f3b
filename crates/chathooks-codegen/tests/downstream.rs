//! The generator used as a project without a chathooks checkout would use
//! it: the installed command generates crates from the project's own
//! (multi-file) spec, with `chathooks-runtime` from a git URL, and they
//! build; a spec changed afterwards makes `check` exit 2.
//!
//! The git URL is a copy of this repository (its tracked and new files, as
//! they are in the work tree) committed into a git repository of its own,
//! with fixed dates so an unchanged tree gives the same commit and cargo
//! reuses its checkout. The build shares the workspace's target directory,
//! profiles and lockfile, so only the runtime (a new package to cargo) and
//! the three generated crates are compiled.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=chathooks tests",
            "-c",
            "user.email=tests@example.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", text(&output));
    output
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// This repository's files, as in the work tree, committed into a fresh
/// repository at `repo`; returns the commit.
fn copy_repository(root: &Path, repo: &Path) -> String {
    let _ = std::fs::remove_dir_all(repo);
    std::fs::create_dir_all(repo).unwrap();
    let listed = git(root, &["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
    for file in listed.stdout.split(|b| *b == 0).filter(|f| !f.is_empty()) {
        let relative = Path::new(std::str::from_utf8(file).expect("UTF-8 file names"));
        let from = root.join(relative);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let to = repo.join(relative);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(repo, &["init", "-q"]);
    git(repo, &["add", "-A"]);
    git(
        repo,
        &["commit", "-q", "-m", "chathooks, copied for the downstream test"],
    );
    String::from_utf8(git(repo, &["rev-parse", "HEAD"]).stdout)
        .unwrap()
        .trim()
        .to_owned()
}

fn codegen(project: &Path, verb: &str, runtime: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chathooks-codegen"))
        .args([verb, "--spec", "spec/api.yaml", "--name", "threads", "--out", "crates"])
        .args(["--runtime", runtime])
        .current_dir(project)
        .output()
        .expect("chathooks-codegen runs")
}

#[test]
fn a_project_elsewhere_generates_builds_and_checks() {
    let root = chathooks_codegen::workspace_root();
    let target = target_dir(&root);
    let repo = target.join("downstream-e2e/chathooks.git");
    let rev = copy_repository(&root, &repo);
    let runtime = format!("git:file://{}#{rev}", repo.display());

    // The project: its own multi-file spec, nothing else.
    let project = tempfile::tempdir().unwrap();
    let project = project.path();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/multi-file");
    for file in [
        "api.yaml",
        "common.yaml",
        "paths/messages.yaml",
        "definitions/message.yaml",
        "definitions/thread.yaml",
        "definitions/profile.yaml",
    ] {
        let to = project.join("spec").join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture.join(file), to).unwrap();
    }
    let generated = codegen(project, "generate", &runtime);
    assert_eq!(generated.status.code(), Some(0), "{}", text(&generated));
    let manifest = std::fs::read_to_string(project.join("crates/chathooks-threads-server/Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "chathooks-runtime = {{ git = \"file://{}\", rev = \"{rev}\" }}",
            repo.display()
        )),
        "{manifest}"
    );

    // A workspace of the three crates, with this workspace's profiles and
    // lockfile so the dependencies already built are reused.
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let profiles = workspace.find("[profile.").map_or("", |start| &workspace[start..]);
    std::fs::write(
        project.join("Cargo.toml"),
        format!("[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n\n{profiles}"),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    let started = std::time::Instant::now();
    let build = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--workspace"])
        .current_dir(project)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo runs");
    eprintln!("downstream crates built in {:.1?}", started.elapsed());
    assert!(
        build.status.success(),
        "the generated crates do not build:\n{}",
        text(&build)
    );

    // Up to date, then stale once the spec changes.
    let check = codegen(project, "check", &runtime);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let thread = project.join("spec/definitions/thread.yaml");
    let mut spec = std::fs::read_to_string(&thread).unwrap();
    spec.push_str("  title:\n    type: string\n");
    std::fs::write(&thread, spec).unwrap();
    let check = codegen(project, "check", &runtime);
    assert_eq!(check.status.code(), Some(2), "{}", text(&check));
    assert!(text(&check).contains("+    pub title:"), "{}", text(&check));
}
