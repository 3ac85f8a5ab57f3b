use clap::Parser;

/// mimalloc rather than glibc's allocator: request handling allocates many
/// small, short-lived strings, which glibc serves slowly under two threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "chathooks=info,warn".into()),
        )
        .init();
    match chathooks::cli::run(chathooks::cli::Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("chathooks: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
