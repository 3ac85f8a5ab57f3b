//! `cargo xtask bench [--runs N]`: generation time, side by side on the same
//! specs, of chathooks-codegen (all three crates, formatted, from the spec
//! file's value; the three on threads of their own) and of progenitor alone
//! (its client in the shape of ours, with its own types, formatted, on one
//! thread; see `chathooks_codegen::baseline`): on the copy of the spec we
//! hand it, since it refuses every one as written (the last column says
//! why). Each figure is the median of N runs (default 5), in this process,
//! after one warm-up run: wall time, which is what a user waits.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use chathooks_codegen::{ApiSpec, baseline, generate_from_value, load};

const SPECS: &[&str] = &["petstore", "mattermost-api-v4", "chat31"];

/// `cargo xtask bench`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Timed runs per spec (after one warm-up run); the median is shown.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

pub(crate) fn run(root: &Path, args: &BenchArgs) -> ExitCode {
    let runs = args.runs as usize;
    let fixtures = root.join("crates/chathooks-codegen/tests/fixtures");
    println!(
        "{:<20} {:>5} {:>12} {:>10} {:>14} {:>10}  {:>5}  progenitor on the spec as written",
        "spec", "ops", "chathooks", "per op", "progenitor", "per op", "ratio"
    );
    for name in SPECS {
        let path = fixtures.join(format!("{name}.yaml"));
        let raw = match load::load_value(&path) {
            Ok(raw) => raw,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
        };
        let api = ApiSpec {
            spec_display: format!("tests/fixtures/{name}.yaml"),
            ..ApiSpec::new(*name, path.clone(), root.join("target/codegen-bench"))
        };
        let mut ours = Vec::new();
        let mut operations = 0;
        for run in 0..=runs {
            let started = std::time::Instant::now();
            match generate_from_value(&api, raw.clone()) {
                Ok(generated) => operations = generated.summary.operations_in_spec,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::from(1);
                }
            }
            if run > 0 {
                ours.push(started.elapsed());
            }
        }
        let adapted = match baseline::adapted_copy(&raw) {
            Ok(adapted) => adapted,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::from(1);
            }
        };
        let mut theirs = Vec::new();
        let mut outcome = Ok(0);
        for run in 0..=runs {
            let (elapsed, result) = baseline::on_adapted_copy(&adapted);
            if run > 0 {
                theirs.push(elapsed);
            }
            outcome = result;
        }
        if let Err(error) = outcome {
            eprintln!("error: progenitor fails on the adapted copy of {name}: {error}");
            return ExitCode::from(1);
        }
        let (_, as_written) = baseline::as_written(&raw);
        let (ours, theirs) = (median(ours), median(theirs));
        let per_op = |d: Duration| d / operations.max(1) as u32;
        println!(
            "{:<20} {:>5} {:>10.1?} {:>10.2?} {:>14.1?} {:>10.2?}  {:>5.2}  {}",
            name,
            operations,
            ours,
            per_op(ours),
            theirs,
            per_op(theirs),
            ours.as_secs_f64() / theirs.as_secs_f64(),
            match as_written {
                Ok(_) => "generates".to_owned(),
                Err(error) => format!("refuses: {}", error.chars().take(70).collect::<String>()),
            }
        );
    }
    ExitCode::SUCCESS
}
