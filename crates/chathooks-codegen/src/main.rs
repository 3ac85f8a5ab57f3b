//! `chathooks-codegen`: the generator as a command any project can install
//! (`cargo install --path crates/chathooks-codegen`, or `--git URL
//! chathooks-codegen`). See [`chathooks_codegen::cli`].

use std::process::ExitCode;

/// mimalloc: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(chathooks_codegen::cli::main(std::env::args_os()))
}
