use clap::Parser;

/// mimalloc rather than glibc's allocator: request handling allocates many
/// small, short-lived strings, which glibc serves slowly under two threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Return to the OS what startup allocated and freed. Creating the admin hashes
/// its password with Argon2, whose work area is 19 MiB; freed, mimalloc keeps
/// those pages until a later allocation gets round to purging them, which an
/// idle server never makes. First start on a new database, resident at idle
/// (measured with the arena still on huge pages): 51-53 MB without this,
/// 31.5-34.7 MB with it.
#[allow(unsafe_code)] // the one FFI call of the server; see SAFETY below
fn release_freed_memory() {
    // SAFETY: mi_collect takes no pointers; it only frees what is unused.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "chathooks=info,warn".into()),
        )
        .init();
    match chathooks::cli::run(chathooks::cli::Cli::parse(), release_freed_memory).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("chathooks: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
