//! The cluster does not outlive its test process, even one killed with SIGKILL.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Turns [`child`] into the process that starts a cluster and waits to be killed.
const CHILD_ENV: &str = "CHATHOOKS_TESTDB_WATCHDOG_CHILD";

/// Child half of [`the_cluster_goes_when_its_process_is_killed`]; does nothing
/// in a normal run.
#[test]
fn child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let url = chathooks_testdb::fresh_database().expect("PostgreSQL is installed");
    let dir = chathooks_testdb::cluster_dir().expect("the cluster started");
    println!("CLUSTER {} {url}", dir.display());
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn the_cluster_goes_when_its_process_is_killed() {
    if let Err(why) = chathooks_testdb::find_binaries() {
        assert!(!chathooks_testdb::is_ci(), "CI=true and PostgreSQL is missing: {why}");
        let _ = writeln!(std::io::stderr(), "skipping PostgreSQL tests: {why}");
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let line = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        // The harness prints `test child ... ` first, on the same line.
        .find_map(|line| line.split_once("CLUSTER ").map(|(_, rest)| rest.to_owned()));
    let line = line.expect("the child reports its cluster");
    let (dir, url) = line.split_once(' ').unwrap();
    let dir = PathBuf::from(dir);
    let port: u16 = url
        .rsplit_once(':')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(dir.join("data").is_dir(), "{}", dir.display());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "the cluster listens");

    child.kill().unwrap(); // SIGKILL: no destructor, no exit handler runs
    child.wait().unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    while dir.exists() || TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "30 s after the kill, the cluster in {} is still there",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
