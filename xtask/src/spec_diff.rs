//! `cargo xtask spec-diff [--format text|json] [--fail-on clients|servers|any] OLD NEW`
//!
//! OLD and NEW are files, or `REV:path` read with `git show` from the
//! workspace root (a file of that name wins). The comparison is
//! [`chathooks_codegen::spec_diff`].
//!
//! Exit codes: 0 nothing breaking for the `--fail-on` side (default
//! `clients`), 1 failed (bad arguments, a spec that cannot be read),
//! 5 breaking. 5 rather than 3: `xtask test` already answers 3 and 4, and
//! each xtask exit code keeps one meaning.

use std::process::ExitCode;

use chathooks_codegen::spec_diff::{self, Side};

/// A change breaks the side `--fail-on` names.
pub const EXIT_BREAKING: u8 = 5;

const USAGE: &str = "usage: cargo xtask spec-diff [--format text|json] [--fail-on clients|servers|any] OLD NEW\n       OLD, NEW: a file, or REV:path read from git (e.g. origin/main:spec/mattermost.yaml)";

struct Options {
    json: bool,
    fail_on: Side,
    old: String,
    new: String,
}

/// `Ok(None)`: help was asked for.
fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut json = false;
    let mut fail_on = Side::Clients;
    let mut sides = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--format" => {
                json = match value("--format")?.as_str() {
                    "json" => true,
                    "text" => false,
                    other => return Err(format!("--format: `{other}` is not text or json\n{USAGE}")),
                }
            }
            "--fail-on" => {
                fail_on = value("--fail-on")?
                    .parse()
                    .map_err(|e| format!("--fail-on: {e}\n{USAGE}"))?
            }
            "-h" | "--help" => return Ok(None),
            flag if flag.starts_with('-') => return Err(format!("unknown argument `{flag}`\n{USAGE}")),
            side => sides.push(side.to_owned()),
        }
    }
    match <[String; 2]>::try_from(sides) {
        Ok([old, new]) => Ok(Some(Options {
            json,
            fail_on,
            old,
            new,
        })),
        Err(_) => Err(format!("spec-diff takes two specs, OLD and NEW\n{USAGE}")),
    }
}

pub fn run(args: &[String]) -> ExitCode {
    let options = match parse(args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(1);
        }
    };
    let (old, new) = (&options.old, &options.new);
    let cwd = std::env::current_dir().unwrap_or_default();
    let root = chathooks_codegen::workspace_root();
    let report = match spec_diff::diff_sources(old, new, &cwd, &root) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    if options.json {
        println!("{}", report.to_json_string(old, new));
    } else {
        print!("{}", report.to_text(old, new));
    }
    if report.is_breaking(options.fail_on) {
        ExitCode::from(EXIT_BREAKING)
    } else {
        ExitCode::SUCCESS
    }
}
