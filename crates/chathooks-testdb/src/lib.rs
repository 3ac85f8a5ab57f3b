//! A throwaway PostgreSQL for tests.
//!
//! [`fresh_database`] returns the URL of a new, empty database. The first call in
//! a process starts a private cluster (PostgreSQL's own `initdb` and `pg_ctl`,
//! found in `/usr/lib/postgresql/<version>/bin` or `$CHATHOOKS_TEST_PG_BIN`):
//!
//! - in a temporary directory, listening on 127.0.0.1 on a free port, with its
//!   socket in that directory, `fsync` off (nothing here needs to survive a
//!   power cut);
//! - as `nobody` when the process runs as root (`initdb` refuses root, and CI
//!   runs as root);
//! - watched by a child process that waits for this one to end, however it ends
//!   (`kill -9` included: it waits for end-of-file on a pipe only this process
//!   holds), then stops the cluster (`pg_ctl stop -m immediate`) and removes the
//!   directory.
//!
//! Each call creates its own database, so tests stay independent and can run in
//! parallel against the one cluster.
//!
//! Without PostgreSQL installed, [`fresh_database`] prints one line saying so
//! and returns `None` (the caller skips), unless `CI` is set (`CI=true`): there,
//! a missing PostgreSQL is a failure and it panics.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

/// The environment variable naming a directory with `initdb`, `pg_ctl`, `psql`.
pub const BIN_ENV: &str = "CHATHOOKS_TEST_PG_BIN";

/// The unprivileged account the cluster runs as when we are root.
const UNPRIVILEGED_UID: u32 = 65534; // nobody
const UNPRIVILEGED_GID: u32 = 65534; // nogroup

/// Whether this runs in CI (`CI` set to anything but empty, `0` or `false`),
/// where a missing PostgreSQL fails the tests instead of skipping them.
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The directory holding PostgreSQL's server programs, or why there is none.
pub fn find_binaries() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(BIN_ENV) {
        let dir = PathBuf::from(dir);
        return if dir.join("initdb").is_file() {
            Ok(dir)
        } else {
            Err(format!("{BIN_ENV}={} has no initdb", dir.display()))
        };
    }
    let root = Path::new("/usr/lib/postgresql");
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.split('.').next()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).ok_or_else(|| {
        format!(
            "PostgreSQL is not installed (no {}/*/bin/initdb; `apt-get install postgresql`, or set {BIN_ENV})",
            root.display()
        )
    })
}

/// A running cluster, for the life of the process.
struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    /// Write end of the watchdog's stdin; the watchdog acts when it closes,
    /// which happens when this process ends. Never written to.
    _watchdog: Mutex<ChildStdin>,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static SKIP_NOTICE: OnceLock<()> = OnceLock::new();

/// The URL of a new, empty database on this process's cluster, started on
/// first use; `None` if PostgreSQL is not installed and this is not CI (a line
/// on stderr says so, once per process).
///
/// # Panics
///
/// If PostgreSQL is missing under CI, or installed but the cluster or the
/// database cannot be created: those are failures, not reasons to skip.
pub fn fresh_database() -> Option<String> {
    if let Err(why) = find_binaries() {
        if is_ci() {
            panic!("CI=true and PostgreSQL is required for the PostgreSQL tests: {why}");
        }
        SKIP_NOTICE.get_or_init(|| {
            // Straight to the stderr file descriptor: the test harness captures
            // `eprintln!`, and this line is meant to be seen.
            let _ = writeln!(std::io::stderr(), "skipping PostgreSQL tests: {why}");
        });
        return None;
    }
    let cluster = match CLUSTER.get_or_init(Cluster::start) {
        Ok(cluster) => cluster,
        Err(why) => panic!("the test PostgreSQL cluster did not start: {why}"),
    };
    Some(cluster.create_database())
}

/// The directory of this process's cluster (data, socket, log), if it started.
pub fn cluster_dir() -> Option<PathBuf> {
    CLUSTER.get()?.as_ref().ok().map(|cluster| cluster.dir.clone())
}

impl Cluster {
    fn start() -> Result<Self, String> {
        let bin = find_binaries()?;
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chathooks-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let as_root = is_root();
        if as_root {
            std::os::unix::fs::chown(&dir, Some(UNPRIVILEGED_UID), Some(UNPRIVILEGED_GID))
                .map_err(|e| format!("cannot give {} to nobody: {e}", dir.display()))?;
        }
        // The watchdog first, so the directory goes even if initdb fails.
        let watchdog = spawn_watchdog(&dir, &bin, as_root)?;
        let data = dir.join("data");
        run(
            unprivileged(&bin.join("initdb"), as_root)
                .current_dir(&dir)
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                    "-D",
                ])
                .arg(&data),
            "initdb",
        )?;
        // A free port can be taken between our probe and the server's bind: retry.
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let options = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off \
                 -c max_connections=300 -c shared_buffers=32MB",
                dir.display()
            );
            let started = run(
                unprivileged(&bin.join("pg_ctl"), as_root)
                    .current_dir(&dir)
                    .args(["-w", "-t", "60", "-s", "-D"])
                    .arg(&data)
                    .arg("-l")
                    .arg(dir.join("server.log"))
                    .args(["-o", &options, "start"]),
                "pg_ctl start",
            );
            match started {
                Ok(()) => {
                    return Ok(Self {
                        dir,
                        port,
                        bin,
                        _watchdog: Mutex::new(watchdog),
                    });
                }
                Err(e) => {
                    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
                    last_error = format!("{e}\n{log}");
                }
            }
        }
        Err(last_error)
    }

    fn create_database(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("test_{}", N.fetch_add(1, Ordering::Relaxed));
        let psql = self.bin.join("psql");
        let psql = if psql.is_file() { psql } else { PathBuf::from("psql") };
        let created = run(
            Command::new(psql)
                .args([
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                ])
                .args(["-p", &self.port.to_string()])
                .args(["-c", &format!("CREATE DATABASE {name}")]),
            "psql CREATE DATABASE",
        );
        if let Err(e) = created {
            panic!("cannot create the test database {name}: {e}");
        }
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

/// A child that blocks reading a pipe from us; at end-of-file (we are gone) it
/// stops the cluster and removes its directory. It is in its own process group,
/// so a Ctrl-C meant for the tests does not kill it before it cleans up.
fn spawn_watchdog(dir: &Path, bin: &Path, as_root: bool) -> Result<ChildStdin, String> {
    use std::os::unix::process::CommandExt;
    const SCRIPT: &str = r#"
dir=$1; bin=$2; shift 2
read -r _ignored
"$@" "$bin/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null 2>&1
rm -rf "$dir"
"#;
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg("chathooks-testdb-watchdog")
        .arg(dir)
        .arg(bin);
    if as_root {
        command.args(drop_privileges());
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .current_dir("/")
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the watchdog: {e}"))?;
    Ok(child.stdin.take().expect("stdin is piped"))
}

/// `setpriv` arguments that run the rest of the command line as nobody.
fn drop_privileges() -> [String; 4] {
    [
        "setpriv".into(),
        format!("--reuid={UNPRIVILEGED_UID}"),
        format!("--regid={UNPRIVILEGED_GID}"),
        "--clear-groups".into(),
    ]
}

/// A command for `program`, run as nobody if we are root.
fn unprivileged(program: &Path, as_root: bool) -> Command {
    if as_root {
        let [setpriv, rest @ ..] = drop_privileges();
        let mut command = Command::new(setpriv);
        command.args(rest).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn is_root() -> bool {
    // No libc dependency: the effective uid is in /proc/self/status.
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let Output { status, stdout, stderr } = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} did not run: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({status}): {}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ))
    }
}
