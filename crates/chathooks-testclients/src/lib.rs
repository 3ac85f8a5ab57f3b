//! The third-party clients the end-to-end tests drive, installed once.
//!
//! `tests/clients/` pins them: `requirements.txt` for Python (mattermostdriver,
//! slack_sdk, rocketchat_API, schemathesis, mmpy_bot, apprise) and
//! `package-lock.json` for npm (Mattermost's Client4). They are installed into
//! the project, never into the machine:
//!
//! - Python packages into a virtual environment, `tests/clients/.venv`, whose
//!   interpreter ([`Installed::python`]) the tests run;
//! - npm packages with `npm ci` into `tests/clients/node_modules`.
//!
//! `cargo xtask test` calls [`install`] before it starts the SQLite and the
//! PostgreSQL suites side by side, and a test binary run on its own calls it
//! again. Every call holds an exclusive lock on `tests/clients/.install.lock`
//! while it looks and installs, so two processes never run pip or npm over the
//! same files at once (two pip installs into one site-packages raced on a fresh
//! machine: pip died with a `TypeError` and a test failed). After a successful
//! install a copy of the pin file is left beside what it installed; while that
//! copy matches the pin file, nothing is installed again.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `tests/clients/` of this workspace.
pub fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/clients")
}

/// What [`install`] made ready.
#[derive(Debug, Clone)]
pub struct Installed {
    /// `tests/clients/`: the client scripts' working directory.
    pub dir: PathBuf,
    /// The virtual environment's interpreter, with the pinned packages.
    pub python: PathBuf,
}

/// Install whatever is missing or out of date, under the lock; return where
/// things are. The error says which step failed and how.
pub fn install() -> Result<Installed, String> {
    let dir = clients_dir();
    let lock_path = dir.join(".install.lock");
    let lock = File::create(&lock_path).map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    let python = install_python(&dir)?;
    install_node(&dir)?;
    // The lock is released when `lock` is dropped (and by the kernel if we die).
    drop(lock);
    Ok(Installed { dir, python })
}

/// The virtual environment, created if missing or broken, with the packages
/// of `requirements.txt` installed unless its stamp says they already are.
fn install_python(dir: &Path) -> Result<PathBuf, String> {
    let venv = dir.join(".venv");
    let python = venv.join("bin/python");
    let pins = dir.join("requirements.txt");
    let stamp = venv.join("chathooks-requirements.txt");
    if !runs(Command::new(&python).args(["-c", ""])) {
        // Missing, or made by an interpreter that is gone: start again.
        let _ = std::fs::remove_dir_all(&venv);
        let system = std::env::var_os("CHATHOOKS_TEST_PYTHON").unwrap_or_else(|| "python3".into());
        run(
            Command::new(&system).arg("-m").arg("venv").arg(&venv),
            "create the virtual environment tests/clients/.venv (on Debian: apt-get install python3-venv)",
        )?;
    }
    if same_contents(&pins, &stamp) {
        return Ok(python);
    }
    run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&pins),
        "install tests/clients/requirements.txt into tests/clients/.venv",
    )?;
    copy_stamp(&pins, &stamp)?;
    Ok(python)
}

/// `npm ci`, unless the stamp in `node_modules` says the lock file's packages
/// are there.
fn install_node(dir: &Path) -> Result<(), String> {
    let pins = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.chathooks-package-lock.json");
    if same_contents(&pins, &stamp) {
        return Ok(());
    }
    run(
        Command::new("npm")
            .args(["ci", "--silent", "--no-audit", "--no-fund"])
            .current_dir(dir),
        "install tests/clients/package-lock.json with npm ci",
    )?;
    copy_stamp(&pins, &stamp)
}

fn runs(command: &mut Command) -> bool {
    command.output().is_ok_and(|o| o.status.success())
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    match command.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("could not {what}: {status}")),
        Err(e) => Err(format!("could not {what}: {e}")),
    }
}

fn same_contents(a: &Path, b: &Path) -> bool {
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Copy the pin file beside what it installed, through a temporary file, so
/// a stamp is never half-written.
fn copy_stamp(pins: &Path, stamp: &Path) -> Result<(), String> {
    let partial = stamp.with_extension("partial");
    std::fs::copy(pins, &partial)
        .and_then(|_| std::fs::rename(&partial, stamp))
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_matches_only_the_same_contents() {
        let dir = tempfile_dir();
        let pins = dir.join("pins");
        let stamp = dir.join("stamp");
        std::fs::write(&pins, "a==1\n").unwrap();
        assert!(!same_contents(&pins, &stamp), "no stamp yet");
        copy_stamp(&pins, &stamp).unwrap();
        assert!(same_contents(&pins, &stamp));
        std::fs::write(&pins, "a==2\n").unwrap();
        assert!(!same_contents(&pins, &stamp), "the pins changed");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_step_says_what_it_was() {
        let error = run(&mut Command::new("false"), "do the thing").unwrap_err();
        assert!(error.starts_with("could not do the thing: "), "{error}");
        let error = run(&mut Command::new("/nonexistent/program"), "start it").unwrap_err();
        assert!(error.starts_with("could not start it: "), "{error}");
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("chathooks-testclients-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
