//! `cargo xtask spec-diff [--format text|json|github|junit|markdown] [--fail-on clients|servers|any] OLD NEW`
//!
//! OLD and NEW are files (multi-file specs followed through their relative
//! `$ref`s), directories, or `REV:path` read with `git show` from the
//! workspace root (a file of that name wins). The comparison is
//! [`chathooks_codegen::spec_diff`]; arguments and output are the installed
//! command's ([`chathooks_codegen::cli::run_spec_diff`]).
//!
//! Exit codes: 0 nothing breaking for the `--fail-on` side (default
//! `clients`), 1 failed (bad arguments, a spec that cannot be read),
//! 5 breaking. 5 rather than 3: `xtask test` already answers 3 and 4, and
//! each xtask exit code keeps one meaning.

use std::path::Path;
use std::process::ExitCode;

use chathooks_codegen::cli::{SpecDiffArgs, run_spec_diff};

pub(crate) fn run(args: &SpecDiffArgs, root: &Path) -> ExitCode {
    ExitCode::from(run_spec_diff(args, root))
}
