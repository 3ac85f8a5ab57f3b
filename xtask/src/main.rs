//! `cargo xtask codegen [--check] [--verbose] [--spec PATH --name NAME --out DIR]`:
//! the workspace's generated crates (every `spec/*.yaml` into `crates/`), or
//! one API. A thin wrapper over the same library as the installed
//! `chathooks-codegen` command ([`chathooks_codegen::command`]). Exit codes:
//! 0 done (or up to date), 1 failed, 2 generated files are stale (`--check`
//! only).
//!
//! `cargo xtask bench [--runs N]`: generation time against progenitor alone
//! (see [`bench`]).
//!
//! `cargo xtask test [-- <test binary args>]`: every test, on both store
//! backends (see [`test`]). Exit codes: 0 passed, 3 the build failed, 4 tests
//! failed.
//!
//! `cargo xtask spec-diff [--format text|json|github|junit|markdown] [--fail-on clients|servers|any] OLD NEW`:
//! the changes between two versions of a spec, classed as breaking or
//! compatible for clients and for servers (see [`spec_diff`]). Exit codes: 0
//! compatible, 1 failed, 5 breaking.
//!
//! Arguments are read with clap; an argument error is exit code 1 (clap's
//! own 2 would read as "stale").

mod bench;
mod spec_diff;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use chathooks_codegen::cli::{SpecDiffArgs, SpecOptions, api_from_args, parse};
use chathooks_codegen::command::{self, EXIT_FAILED, Mode};

/// mimalloc: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The workspace's tasks.
#[derive(Debug, clap::Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, clap::Subcommand)]
enum Task {
    /// Generate the workspace's crates from spec/*.yaml, or one API with --spec, --name and --out.
    Codegen(CodegenArgs),
    /// Generation time against progenitor alone, on three specs.
    Bench(bench::BenchArgs),
    /// Every test, on both store backends: cargo xtask test [-- <test binary args>].
    Test {
        /// Passed on as written (see `xtask/src/test.rs`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
    /// The changes between two versions of a spec.
    SpecDiff(SpecDiffArgs),
}

#[derive(Debug, clap::Args)]
struct CodegenArgs {
    /// Write nothing; exit 2 with a unified diff if anything is stale.
    #[arg(long)]
    check: bool,
    /// One API's spec (a file or directory; repeat to merge), with --name and --out.
    #[arg(long, value_name = "PATH", requires_all = ["name", "out"])]
    spec: Vec<PathBuf>,
    #[arg(long, requires = "spec")]
    name: Option<String>,
    #[arg(long, value_name = "DIR", requires = "spec")]
    out: Option<PathBuf>,
    #[command(flatten)]
    options: SpecOptions,
}

fn main() -> ExitCode {
    let all: Vec<String> = std::env::args().skip(1).collect();
    // `test` takes its arguments exactly as given (`--` included).
    if let Some(("test", rest)) = all.split_first().map(|(task, rest)| (task.as_str(), rest)) {
        return test::run(&chathooks_codegen::workspace_root(), rest);
    }
    let xtask: Xtask = match parse(std::iter::once("cargo xtask".to_owned()).chain(all)) {
        Ok(xtask) => xtask,
        Err(code) => return ExitCode::from(code),
    };
    let root = chathooks_codegen::workspace_root();
    match xtask.task {
        Task::Test { .. } => unreachable!("dispatched above"),
        Task::SpecDiff(args) => spec_diff::run(&args, &root),
        Task::Bench(args) => {
            std::panic::set_hook(Box::new(|_| {}));
            bench::run(&root, &args)
        }
        Task::Codegen(args) => ExitCode::from(codegen(&args, &root)),
    }
}

fn codegen(args: &CodegenArgs, root: &std::path::Path) -> u8 {
    // progenitor panics on some constructs; the generator catches those and
    // reports them as diagnostics, so keep the default hook from printing.
    std::panic::set_hook(Box::new(|_| {}));
    let apis = match (&args.name, &args.out) {
        (Some(name), Some(out)) => {
            let cwd = std::env::current_dir().unwrap_or_default();
            match api_from_args(&args.spec, name, out, &args.options, &cwd, "cargo xtask codegen") {
                Ok(api) => vec![api],
                Err(message) => {
                    eprintln!("error: {message}");
                    return EXIT_FAILED;
                }
            }
        }
        _ => {
            let mut apis = match chathooks_codegen::workspace_apis(root) {
                Ok(apis) => apis,
                Err(error) => {
                    eprintln!("error: {error}");
                    return EXIT_FAILED;
                }
            };
            for api in &mut apis {
                api.allow_unresolved = args.options.allow_unresolved;
            }
            if args.options.runtime.is_some() {
                eprintln!("--runtime goes with --spec: the workspace's crates use the runtime beside them");
                return EXIT_FAILED;
            }
            apis
        }
    };
    let mode = if args.check { Mode::Check } else { Mode::Write };
    command::run(&apis, mode, args.options.verbose, root, "run `cargo xtask codegen`")
}
