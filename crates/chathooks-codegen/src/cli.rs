//! The command line of `chathooks-codegen` (and the arguments `cargo xtask`
//! shares with it), declared with clap's derive.
//!
//! ```text
//! chathooks-codegen generate --spec api.yaml --name petstore --out crates
//! chathooks-codegen check    --spec api.yaml --name petstore --out crates
//! chathooks-codegen spec-diff [--format text|json|github|junit|markdown] [--fail-on clients|servers|any] OLD NEW
//! ```
//!
//! Exit codes, as `cargo xtask`'s: 0 done (or up to date, or nothing
//! breaking), 1 failed (including bad arguments), 2 `check` found stale
//! files, 5 `spec-diff` found a breaking change.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::command::{self, EXIT_FAILED, EXIT_OK, Mode};
use crate::spec_diff::{self, Side};
use crate::{ApiSpec, Runtime};

/// `spec-diff` found a change that breaks the `--fail-on` side. 5 rather
/// than 3: `cargo xtask test` answers 3 and 4, and each exit code keeps one
/// meaning across the commands.
pub const EXIT_BREAKING: u8 = 5;

/// Generates typed types, server and client crates from an OpenAPI 3.0 or 3.1 spec.
#[derive(Debug, Parser)]
#[command(name = "chathooks-codegen", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write chathooks-NAME-{types,server,client} into OUT.
    Generate(GenerateArgs),
    /// Write nothing; exit 2 with a unified diff if a generated file is stale.
    Check(GenerateArgs),
    /// The changes between two versions of a spec, breaking or compatible for clients and servers.
    SpecDiff(SpecDiffArgs),
}

/// What to generate, and from what.
#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// The spec: a YAML or JSON file, or a directory of them. Repeat it to
    /// merge several documents into one API.
    #[arg(long, required = true, value_name = "PATH")]
    pub spec: Vec<PathBuf>,
    /// The API's short name: crates are chathooks-NAME-types and so on.
    #[arg(long)]
    pub name: String,
    /// The directory that receives the three crate directories.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub options: SpecOptions,
}

/// Options of any generation.
#[derive(Debug, Clone, Default, Args)]
pub struct SpecOptions {
    /// Where the server crate gets chathooks-runtime from: git:URL[#REV],
    /// path:DIR or version:X.Y [default: the registry version of this generator].
    #[arg(long, value_name = "SOURCE")]
    pub runtime: Option<String>,
    /// Turn a $ref that does not resolve into an empty schema (reported)
    /// instead of an error.
    #[arg(long)]
    pub allow_unresolved: bool,
    /// List every adaptation made to the spec, not only skips.
    #[arg(long, short)]
    pub verbose: bool,
}

impl SpecOptions {
    /// The runtime source, relative `path:` directories taken from `cwd`.
    pub fn runtime(&self, cwd: &Path) -> Result<Option<Runtime>, String> {
        self.runtime
            .as_deref()
            .map(|text| Runtime::parse(text, cwd).map_err(|e| format!("--runtime: {e}")))
            .transpose()
    }
}

/// One API from explicit arguments, paths taken from `cwd`; `command` is
/// what the generated headers name to regenerate.
pub fn api_from_args(
    specs: &[PathBuf],
    name: &str,
    out: &Path,
    options: &SpecOptions,
    cwd: &Path,
    command: &str,
) -> Result<ApiSpec, String> {
    let mut api = ApiSpec::new(name, cwd.join(&specs[0]), cwd.join(out));
    api.specs = specs.iter().map(|spec| cwd.join(spec)).collect();
    api.spec_display = specs
        .iter()
        .map(|spec| spec.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(runtime) = options.runtime(cwd)? {
        api.runtime = runtime;
    }
    api.allow_unresolved = options.allow_unresolved;
    api.command = command.to_owned();
    Ok(api)
}

/// How `spec-diff` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object, for tools.
    Json,
    /// GitHub Actions workflow annotations (error for the --fail-on side).
    Github,
    /// JUnit XML, a test case per change (failed when it breaks the --fail-on side).
    Junit,
    /// A Markdown table, for a pull-request comment or job summary.
    Markdown,
}

/// `spec-diff`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct SpecDiffArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The side whose breaking changes make the exit code 5.
    #[arg(long, default_value = "clients", value_parser = parse_side, value_name = "clients|servers|any")]
    pub fail_on: Side,
    /// The old spec: a file (its relative $refs followed), a directory of documents, or
    /// REV:path read from git (e.g. origin/main:spec/api.yaml).
    pub old: String,
    /// The new spec, the same way.
    pub new: String,
}

fn parse_side(text: &str) -> Result<Side, String> {
    text.parse()
}

/// Compare, print the report, and answer the exit code. `repo` is where
/// `git show` runs for `REV:path` sides.
pub fn run_spec_diff(args: &SpecDiffArgs, repo: &Path) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_default();
    let (old, new) = (&args.old, &args.new);
    let report = match spec_diff::diff_sources(old, new, &cwd, repo) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_FAILED;
        }
    };
    match args.format {
        Format::Json => println!("{}", report.to_json_string(old, new)),
        Format::Text => print!("{}", report.to_text(old, new)),
        Format::Github => print!("{}", report.to_github(new, args.fail_on)),
        Format::Junit => print!("{}", report.to_junit(old, new, args.fail_on)),
        Format::Markdown => print!("{}", report.to_markdown(old, new)),
    }
    if report.is_breaking(args.fail_on) {
        EXIT_BREAKING
    } else {
        EXIT_OK
    }
}

/// Parse `args` (the program name first); help and version are printed
/// with exit code 0, and every other argument error is exit code 1 (clap's
/// own 2 means "stale" here).
pub fn parse<T: Parser>(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> Result<T, u8> {
    T::try_parse_from(args).map_err(|error| {
        let _ = error.print();
        if error.use_stderr() { EXIT_FAILED } else { EXIT_OK }
    })
}

/// The whole command: parse `args` and run; returns the exit code.
pub fn main(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> u8 {
    let cli: Cli = match parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    match cli.command {
        Command::Generate(ref args) | Command::Check(ref args) => {
            let mode = if matches!(cli.command, Command::Check(_)) {
                Mode::Check
            } else {
                Mode::Write
            };
            let api = match api_from_args(
                &args.spec,
                &args.name,
                &args.out,
                &args.options,
                &cwd,
                "chathooks-codegen",
            ) {
                Ok(api) => api,
                Err(message) => {
                    eprintln!("error: {message}");
                    return EXIT_FAILED;
                }
            };
            // progenitor panics on some constructs; the generator catches
            // those and reports them as diagnostics, so keep the default
            // hook from printing them.
            std::panic::set_hook(Box::new(|_| {}));
            command::run(
                &[api],
                mode,
                args.options.verbose,
                &cwd,
                "run `chathooks-codegen generate` with the same arguments",
            )
        }
        // `REV:path` is read from the repository the command runs in.
        Command::SpecDiff(args) => run_spec_diff(&args, &cwd),
    }
}
