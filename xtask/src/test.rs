//! `cargo xtask test [-- <test binary args>]`: every test, on both backends.
//!
//! 1. Build every test once, up front: `cargo test --workspace --no-run`, and
//!    the same for the PostgreSQL run's packages (their features unify
//!    differently from the whole workspace's, so some of their artifacts differ).
//!    Meanwhile, on a thread of its own, install the third-party clients the
//!    end-to-end tests drive (`chathooks_testclients`: a project-local virtual
//!    environment and `npm ci`), so the two runs never install them at once.
//! 2. Run, in parallel, sharing the target directory:
//!    - `cargo test --workspace`: everything on SQLite, plus the store tests
//!      (which run each scenario on SQLite and PostgreSQL);
//!    - `CHATHOOKS_TEST_BACKEND=postgres cargo test -p chathooks-tests -p chathooks`:
//!      the end-to-end suite and the binary's tests on PostgreSQL.
//!
//!    Every output line is prefixed with the name of its run, so the two stay
//!    readable when they interleave; a summary follows.
//!
//! Each test process starts its own throwaway PostgreSQL (`chathooks-testdb`);
//! nothing needs to be running beforehand. Without PostgreSQL installed, the
//! PostgreSQL run is skipped with a line saying so, unless `CI` is set, where
//! it runs and fails.
//!
//! Exit codes: 0 every test passed, 3 the build failed, 4 a test run failed.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The build failed.
pub(crate) const EXIT_BUILD_FAILED: u8 = 3;
/// At least one test run failed.
pub(crate) const EXIT_TESTS_FAILED: u8 = 4;

/// The packages of the PostgreSQL run: the end-to-end suite and the binary.
const POSTGRES_PACKAGES: [&str; 4] = ["-p", "chathooks-tests", "-p", "chathooks"];

/// One `cargo test` run in the background, its output prefixed line by line.
struct Run {
    name: &'static str,
    /// Waits for the child: whether it passed, and when it ended.
    waiter: JoinHandle<(bool, Duration)>,
    readers: Vec<JoinHandle<()>>,
    /// Lines worth repeating in the summary (failures).
    notable: Arc<Mutex<Vec<String>>>,
}

pub(crate) fn run(root: &Path, args: &[String]) -> ExitCode {
    let test_args: &[String] = match args.split_first() {
        None => &[],
        Some((first, rest)) if first == "--" => rest,
        Some((other, _)) => {
            eprintln!("unknown argument `{other}`\nusage: cargo xtask test [-- <test binary args>]");
            return ExitCode::from(1);
        }
    };
    let started = Instant::now();
    let postgres = match chathooks_testdb::find_binaries() {
        Ok(_) => true,
        Err(why) if chathooks_testdb::is_ci() => {
            println!("xtask test: CI is set, so the PostgreSQL run goes ahead and will fail: {why}");
            true
        }
        Err(why) => {
            println!("xtask test: skipping the PostgreSQL end-to-end run: {why}");
            false
        }
    };

    println!("xtask test: installing the third-party clients (tests/clients) while building");
    let clients = std::thread::spawn(chathooks_testclients::install);
    println!("xtask test: building every test (cargo test --workspace --no-run)");
    if !cargo(root)
        .args(["test", "--workspace", "--no-run"])
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("xtask test: the build failed");
        return ExitCode::from(EXIT_BUILD_FAILED);
    }
    if postgres {
        let built = cargo(root)
            .args(["test", "--no-run", "--quiet"])
            .args(POSTGRES_PACKAGES)
            .status()
            .is_ok_and(|s| s.success());
        if !built {
            eprintln!("xtask test: the build of the PostgreSQL run failed");
            return ExitCode::from(EXIT_BUILD_FAILED);
        }
    }

    match clients.join() {
        Ok(Ok(installed)) => println!("xtask test: third-party clients ready ({})", installed.python.display()),
        Ok(Err(why)) => {
            eprintln!("xtask test: cannot install the third-party clients: {why}");
            return ExitCode::from(EXIT_TESTS_FAILED);
        }
        Err(_) => {
            eprintln!("xtask test: installing the third-party clients panicked");
            return ExitCode::from(EXIT_TESTS_FAILED);
        }
    }

    let mut runs = Vec::new();
    let mut workspace = cargo(root);
    // --no-fail-fast: a failing test binary must not hide what the others would say.
    workspace.args(["test", "--workspace", "--no-fail-fast"]);
    runs.push(Run::spawn("sqlite", workspace, test_args));
    if postgres {
        let mut e2e = cargo(root);
        e2e.args(["test", "--no-fail-fast"])
            .args(POSTGRES_PACKAGES)
            .env("CHATHOOKS_TEST_BACKEND", "postgres");
        runs.push(Run::spawn("postgres", e2e, test_args));
    }
    let runs: Vec<_> = runs.into_iter().collect::<Result<_, _>>().unwrap_or_else(|e| {
        eprintln!("xtask test: {e}");
        std::process::exit(EXIT_TESTS_FAILED.into());
    });

    let mut failed = false;
    let mut summary = Vec::new();
    for run in runs {
        let name = run.name;
        let (ok, elapsed, notable) = run.wait();
        failed |= !ok;
        summary.push(format!(
            "  {name:<8} {} in {:.1?}",
            if ok { "passed" } else { "FAILED" },
            elapsed
        ));
        summary.extend(notable.into_iter().map(|line| format!("    {line}")));
    }
    if !postgres {
        summary.push("  postgres skipped (PostgreSQL is not installed)".to_owned());
    }
    println!("\nxtask test: {:.1?} in all", started.elapsed());
    for line in summary {
        println!("{line}");
    }
    if failed {
        ExitCode::from(EXIT_TESTS_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// `cargo` (the one running us, if any) in the workspace root.
fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root);
    command
}

impl Run {
    fn spawn(name: &'static str, mut command: Command, test_args: &[String]) -> Result<Self, String> {
        if !test_args.is_empty() {
            command.arg("--").args(test_args);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the {name} run: {e}"))?;
        let notable = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>);
        let readers = [stdout, stderr]
            .into_iter()
            .flatten()
            .map(|stream| {
                let notable = Arc::clone(&notable);
                std::thread::spawn(move || prefix_lines(name, stream, &notable))
            })
            .collect();
        let started = Instant::now();
        let waiter = std::thread::spawn(move || {
            let ok = child.wait().is_ok_and(|s| s.success());
            (ok, started.elapsed())
        });
        Ok(Self {
            name,
            waiter,
            readers,
            notable,
        })
    }

    fn wait(self) -> (bool, Duration, Vec<String>) {
        let (ok, elapsed) = self.waiter.join().unwrap_or((false, Duration::ZERO));
        for reader in self.readers {
            let _ = reader.join();
        }
        let notable = std::mem::take(&mut *self.notable.lock().unwrap_or_else(|e| e.into_inner()));
        (ok, elapsed, notable)
    }
}

/// Copy `stream` to our stdout line by line as `[name] line`, keeping the
/// lines that report a failure.
fn prefix_lines(name: &str, stream: Box<dyn Read + Send>, notable: &Mutex<Vec<String>>) {
    for line in BufReader::new(stream).split(b'\n').map_while(Result::ok) {
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches('\r');
        if line.starts_with("test result: FAILED")
            || line.ends_with("... FAILED")
            || line.starts_with("error: test failed")
            || line.starts_with("error:")
        {
            notable.lock().unwrap_or_else(|e| e.into_inner()).push(line.to_owned());
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "[{name}] {line}");
    }
}
