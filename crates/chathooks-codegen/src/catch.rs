//! progenitor and typify assert and `todo!` on constructs they do not
//! support. A generator that digests real specs must not die with them: each
//! call into them runs here, and a panic becomes an ordinary error.

use std::panic::{AssertUnwindSafe, catch_unwind};

pub fn catch<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            // The whole message on one line (typify's include the schema it
            // refused), cut short.
            let mut flat = message.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some((cut, _)) = flat.char_indices().nth(300) {
                flat.truncate(cut);
                flat.push_str(" ...");
            }
            Err(format!("generator panicked: {flat}"))
        }
    }
}
