//! `cargo xtask codegen [--check] [--spec PATH --name NAME --out DIR]`
//!
//! Exit codes: 0 done (or up to date), 1 failed, 2 generated files are stale
//! (`--check` only).
//!
//! `cargo xtask bench [--runs N]`: generation time against progenitor alone
//! (see [`bench`]).
//!
//! `cargo xtask test [-- <test binary args>]`: every test, on both store
//! backends (see [`test`]). Exit codes: 0 passed, 3 the build failed, 4 tests
//! failed.
//!
//! `cargo xtask spec-diff [--format text|json] [--fail-on clients|servers|any] OLD NEW`:
//! the changes between two versions of a spec, classed as breaking or
//! compatible for clients and for servers (see [`spec_diff`]). Exit codes: 0
//! compatible, 1 failed, 5 breaking.

mod bench;
mod spec_diff;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use chathooks_codegen::{ApiSpec, FileState, Severity};

/// mimalloc: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: cargo xtask codegen [--check] [--verbose] [--spec PATH --name NAME --out DIR]\n       cargo xtask bench [--runs N]\n       cargo xtask test [-- <test binary args>]\n       cargo xtask spec-diff [--format text|json] [--fail-on clients|servers|any] OLD NEW";

struct Args {
    check: bool,
    verbose: bool,
    spec: Option<PathBuf>,
    name: Option<String>,
    out: Option<PathBuf>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("codegen") => {}
        Some(other) => return Err(format!("unknown task `{other}`\n{USAGE}")),
        None => return Err(USAGE.to_owned()),
    }
    let mut parsed = Args {
        check: false,
        verbose: false,
        spec: None,
        name: None,
        out: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--verbose" | "-v" => parsed.verbose = true,
            "--spec" => parsed.spec = Some(value("--spec")?.into()),
            "--name" => parsed.name = Some(value("--name")?),
            "--out" => parsed.out = Some(value("--out")?.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if let Some(("test", rest)) = all.split_first().map(|(task, rest)| (task.as_str(), rest)) {
        return test::run(&chathooks_codegen::workspace_root(), rest);
    }
    if let Some(("spec-diff", rest)) = all.split_first().map(|(task, rest)| (task.as_str(), rest)) {
        return spec_diff::run(rest);
    }
    if let Some(("bench", rest)) = all.split_first().map(|(task, rest)| (task.as_str(), rest)) {
        std::panic::set_hook(Box::new(|_| {}));
        return bench::run(&chathooks_codegen::workspace_root(), rest);
    }
    // progenitor panics on some constructs; the generator catches those and
    // reports them as diagnostics, so keep the default hook from printing.
    std::panic::set_hook(Box::new(|_| {}));
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(1);
        }
    };
    let root = chathooks_codegen::workspace_root();
    let apis = match (&args.spec, &args.name, &args.out) {
        (None, None, None) => match chathooks_codegen::workspace_apis(&root) {
            Ok(apis) => apis,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
        },
        (Some(spec), Some(name), Some(out)) => {
            let cwd = std::env::current_dir().unwrap_or_default();
            vec![ApiSpec {
                name: name.clone(),
                spec_display: spec.display().to_string(),
                spec_path: cwd.join(spec),
                out_dir: cwd.join(out),
            }]
        }
        _ => {
            eprintln!("--spec, --name and --out go together\n{USAGE}");
            return ExitCode::from(1);
        }
    };

    let mut stale = 0;
    for api in &apis {
        let started = std::time::Instant::now();
        let generated = match chathooks_codegen::generate(api) {
            Ok(generated) => generated,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
        };
        let elapsed = started.elapsed();
        let (mut unchanged, mut written) = (0, 0);
        for file in &generated.files {
            let display = file
                .path
                .strip_prefix(&root)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            match chathooks_codegen::files::state(file) {
                FileState::Unchanged => unchanged += 1,
                _ if args.check => {
                    stale += 1;
                    print!("{}", chathooks_codegen::files::diff(file, &display));
                }
                _ => {
                    if let Some(parent) = file.path.parent()
                        && let Err(error) = std::fs::create_dir_all(parent)
                    {
                        eprintln!("error: cannot create {}: {error}", parent.display());
                        return ExitCode::from(1);
                    }
                    if let Err(error) = std::fs::write(&file.path, &file.contents) {
                        eprintln!("error: cannot write {display}: {error}");
                        return ExitCode::from(1);
                    }
                    written += 1;
                }
            }
        }
        let s = &generated.summary;
        let skipped = generated
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Skipped)
            .count();
        let adapted = generated.diagnostics.len() - skipped;
        println!(
            "{}: {} operations (server {}, client {}), {} types; {} files: {} written, {} unchanged{}; {} adaptations, {} skips; {:.2?}",
            s.name,
            s.operations_in_spec,
            s.server_operations,
            s.client_operations,
            s.types,
            generated.files.len(),
            written,
            unchanged,
            if args.check {
                format!(", {} stale", generated.files.len() - unchanged)
            } else {
                String::new()
            },
            adapted,
            skipped,
            elapsed,
        );
        for diagnostic in &generated.diagnostics {
            if args.verbose || diagnostic.severity == Severity::Skipped {
                println!("  {diagnostic}");
            }
        }
    }
    if stale > 0 {
        eprintln!("{stale} generated file(s) are not up to date, run `cargo xtask codegen`");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
