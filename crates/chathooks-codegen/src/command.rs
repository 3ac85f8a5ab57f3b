//! What `chathooks-codegen generate`/`check` and `cargo xtask codegen` do
//! once their arguments are read: generate each API, write or compare its
//! files, print one summary line per API (and its skips, or every
//! diagnostic when verbose). One implementation, so the installed command
//! and the workspace's task answer alike.

use std::path::Path;

use crate::{ApiSpec, FileState, Severity, files};

/// Everything generated and written (or, when checking, up to date).
pub const EXIT_OK: u8 = 0;
/// Generation failed: bad arguments, a spec that cannot be read or generated,
/// a file that cannot be written.
pub const EXIT_FAILED: u8 = 1;
/// Checking only: some generated file is not what the spec generates.
pub const EXIT_STALE: u8 = 2;

/// Write, or only compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// Generate every API; returns the exit code. File names in the output are
/// shown relative to `shown_from` where they are under it. `hint` ends the
/// stale message: what to run to bring the files up to date.
pub fn run(apis: &[ApiSpec], mode: Mode, verbose: bool, shown_from: &Path, hint: &str) -> u8 {
    let check = mode == Mode::Check;
    let mut stale = 0;
    for api in apis {
        let started = std::time::Instant::now();
        let generated = match crate::generate(api) {
            Ok(generated) => generated,
            Err(error) => {
                eprintln!("error: {error}");
                return EXIT_FAILED;
            }
        };
        let elapsed = started.elapsed();
        let (mut unchanged, mut written) = (0, 0);
        for file in &generated.files {
            let display = file
                .path
                .strip_prefix(shown_from)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            match files::state(file) {
                FileState::Unchanged => unchanged += 1,
                _ if check => {
                    stale += 1;
                    print!("{}", files::diff(file, &display));
                }
                _ => {
                    if let Some(parent) = file.path.parent()
                        && let Err(error) = std::fs::create_dir_all(parent)
                    {
                        eprintln!("error: cannot create {}: {error}", parent.display());
                        return EXIT_FAILED;
                    }
                    if let Err(error) = std::fs::write(&file.path, &file.contents) {
                        eprintln!("error: cannot write {display}: {error}");
                        return EXIT_FAILED;
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
            if check {
                format!(", {} stale", generated.files.len() - unchanged)
            } else {
                String::new()
            },
            adapted,
            skipped,
            elapsed,
        );
        for diagnostic in &generated.diagnostics {
            if verbose || diagnostic.severity == Severity::Skipped {
                println!("  {diagnostic}");
            }
        }
    }
    if stale > 0 {
        eprintln!("{stale} generated file(s) are not up to date, {hint}");
        return EXIT_STALE;
    }
    EXIT_OK
}
