//! Password hashing and constant-time secret comparison.
//!
//! Passwords are hashed with Argon2id (memory-hard, the OWASP recommendation) and
//! stored as PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), so the
//! salt and cost parameters travel with the hash and can be raised later without
//! invalidating stored passwords: [`verify`] reads them from the string.
//!
//! A password is hashed as its SHA-256 digest (lowercase hex), marked with the
//! [`DIGEST_PREFIX`]: Meteor's accounts-password clients (Rocket.Chat's Realtime
//! API, its SDK) send `{digest, algorithm: "sha-256"}` instead of the password,
//! so the stored hash must be checkable against either ([`verify`],
//! [`verify_digest`]). Hashes stored before, of the password itself, still
//! verify the password.
//!
//! Tokens and webhook secrets are compared with [`constant_time_eq`] so response
//! timing does not reveal how many leading bytes of a guess were right.
//!
//! Every hash and verification the server makes goes through one
//! [`PasswordPool`]: each Argon2 run takes a 19 MiB work area and tens of
//! milliseconds of a core, so how many run at once is bounded (about the
//! number of cores), and how many may wait for a turn too; beyond that the
//! pool refuses with [`PasswordError::Busy`], which each API answers with its
//! own 429.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

/// Hashing failed: the OS random generator (for the salt) or Argon2 itself
/// reported an error. Neither happens in normal operation.
#[derive(Debug, thiserror::Error)]
#[error("could not hash password: {0}")]
pub struct HashError(String);

/// Marks a hash of the password's SHA-256 digest (see the module docs).
pub const DIGEST_PREFIX: &str = "sha256:";

/// The SHA-256 digest of `password` as lowercase hex, as Meteor clients send it.
pub fn digest(password: &str) -> String {
    use sha2::Digest;
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(password.as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

/// Hash `password` (its SHA-256 digest) with Argon2id, default parameters and
/// a fresh random salt.
///
/// Returns [`DIGEST_PREFIX`] and a PHC string, to store as-is. This runs
/// Argon2 on the calling thread: the server hashes through
/// [`PasswordPool::hash`].
pub fn hash(password: &str) -> Result<String, HashError> {
    let hashed: PasswordHash = Argon2::default()
        .hash_password(digest(password).as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(format!("{DIGEST_PREFIX}{hashed}"))
}

/// Whether `password` matches the stored `hash`.
///
/// A malformed or unsupported hash verifies nothing (returns `false`) rather than
/// erroring: for a login either way means "wrong credentials". This runs
/// Argon2 on the calling thread: the server verifies through
/// [`PasswordPool::verify`].
pub fn verify(password: &str, hash: &str) -> bool {
    match hash.strip_prefix(DIGEST_PREFIX) {
        Some(phc) => argon2_verify(&digest(password), phc),
        None => argon2_verify(password, hash),
    }
}

/// Whether `digest` (SHA-256 of the password, hex, either case) matches the
/// stored `hash`. Hashes stored before digests were (no [`DIGEST_PREFIX`])
/// cannot be checked this way and verify nothing.
pub fn verify_digest(digest: &str, hash: &str) -> bool {
    let well_formed = digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit());
    match hash.strip_prefix(DIGEST_PREFIX) {
        Some(phc) if well_formed => argon2_verify(&digest.to_ascii_lowercase(), phc),
        _ => false,
    }
}

fn argon2_verify(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A valid Argon2id hash with the default parameters, of a password nobody
/// knows: a login naming no account is verified against it, so that it costs
/// the same Argon2 run as a wrong password for an existing account and its
/// answer time does not tell which usernames exist.
/// It carries the [`DIGEST_PREFIX`], as every hash stored now does, so a
/// password and a digest both cost one Argon2 run against it.
pub const DUMMY_HASH: &str =
    "sha256:$argon2id$v=19$m=19456,t=2,p=1$XKwuR775+VtF1J8nLTigrg$iG3WjR2VW5Lg98jNNhBPZip0IVXeQD19lgNHBLROZuM";

/// What a login presents: the password, or its SHA-256 digest (hex), which
/// Meteor clients (Rocket.Chat's Realtime API) send instead.
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    Password(&'a str),
    Digest(&'a str),
}

impl std::fmt::Debug for Secret<'_> {
    /// Never the secret itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Secret::Password(_) => "Secret::Password(..)",
            Secret::Digest(_) => "Secret::Digest(..)",
        })
    }
}

/// How the [`PasswordPool`] is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Argon2 runs at the same time (each on a blocking thread).
    pub workers: usize,
    /// Requests that may wait for a free worker; one more is refused with
    /// [`PasswordError::Busy`].
    pub max_waiting: usize,
}

impl PoolSettings {
    /// One worker per core, and 64 waiting (a few seconds of work at most).
    pub fn for_this_machine() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(2, usize::from),
            max_waiting: 64,
        }
    }
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self::for_this_machine()
    }
}

/// Why the pool did not hash or verify.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Every worker is busy and the queue is full: answered with a 429.
    #[error("too many password checks are waiting; try again shortly")]
    Busy,
    /// Hashing failed, or the worker thread did (a bug).
    #[error("{0}")]
    Failed(String),
}

/// The one place Argon2 runs: at most `workers` at once on blocking threads,
/// at most `max_waiting` more queued, the rest refused.
pub struct PasswordPool {
    /// Permits to run Argon2.
    workers: Arc<Semaphore>,
    /// Permits to be in the pool at all (running or waiting).
    admitted: Arc<Semaphore>,
    /// Run on the worker thread after each Argon2 run (the server passes its
    /// allocator's "give freed memory back" call: the 19 MiB work area is
    /// otherwise kept until a later allocation purges it).
    after_work: Option<fn()>,
    /// Verifications run so far (unknown users' included).
    verifications: AtomicU64,
}

impl std::fmt::Debug for PasswordPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordPool")
            .field("free_workers", &self.workers.available_permits())
            .field("free_places", &self.admitted.available_permits())
            .finish()
    }
}

impl PasswordPool {
    /// A pool sized by `settings` (a zero worker count counts as one).
    pub fn new(settings: PoolSettings, after_work: Option<fn()>) -> Self {
        let workers = settings.workers.max(1);
        Self {
            workers: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers.saturating_add(settings.max_waiting))),
            after_work,
            verifications: AtomicU64::new(0),
        }
    }

    /// [`hash`] on the pool.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.run(move || hash(&password))
            .await?
            .map_err(|error| PasswordError::Failed(error.to_string()))
    }

    /// [`verify`] on the pool.
    pub async fn verify(&self, password: &str, hash: &str) -> Result<bool, PasswordError> {
        self.verify_secret(Secret::Password(password), hash).await
    }

    /// [`verify`] or [`verify_digest`], as `secret` is, on the pool.
    pub async fn verify_secret(&self, secret: Secret<'_>, hash: &str) -> Result<bool, PasswordError> {
        let hash = hash.to_owned();
        let verified = match secret {
            Secret::Password(password) => {
                let password = password.to_owned();
                self.run(move || verify(&password, &hash)).await?
            }
            Secret::Digest(digest) => {
                let digest = digest.to_owned();
                self.run(move || verify_digest(&digest, &hash)).await?
            }
        };
        self.verifications.fetch_add(1, Ordering::Relaxed);
        Ok(verified)
    }

    /// How many verifications the pool has run.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Run `work` on a blocking thread once a worker is free, or refuse at
    /// once when the queue is full.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, PasswordError> {
        let _place = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| PasswordError::Busy)?;
        let worker = Arc::clone(&self.workers)
            .acquire_owned()
            .await
            .map_err(|error| PasswordError::Failed(error.to_string()))?;
        let after_work = self.after_work;
        // The worker permit moves into the thread: a caller that gives up
        // (its request dropped) does not free the worker before Argon2 ends.
        tokio::task::spawn_blocking(move || {
            let done = work();
            if let Some(release) = after_work {
                release();
            }
            drop(worker);
            done
        })
        .await
        .map_err(|error| PasswordError::Failed(format!("password worker failed: {error}")))
    }
}

/// Compare two secrets in time that depends only on their lengths, not their contents.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // `ct_eq` on slices of different lengths returns false without comparing
    // bytes; lengths of tokens are public anyway.
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("sha256:$argon2id$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapler", &h));
        assert!(!verify("", &h));
    }

    #[test]
    fn the_digest_verifies_as_the_password_does() {
        let h = hash("pw").unwrap();
        // echo -n pw | sha256sum
        let d = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";
        assert_eq!(digest("pw"), d);
        assert!(verify_digest(d, &h) && verify_digest(&d.to_uppercase(), &h));
        assert!(!verify_digest(&digest("pv"), &h));
        assert!(!verify_digest("pw", &h), "not a digest");
        assert!(!verify(d, &h), "the digest is not the password");
    }

    #[test]
    fn hashes_of_the_password_itself_still_verify_it() {
        let legacy = Argon2::default().hash_password(b"pw").unwrap().to_string();
        assert!(verify("pw", &legacy) && !verify("pv", &legacy));
        assert!(!verify_digest(&digest("pw"), &legacy));
    }

    #[test]
    fn salts_differ() {
        let a = hash("pw").unwrap();
        let b = hash("pw").unwrap();
        assert_ne!(a, b, "each hash must get its own salt");
        assert!(verify("pw", &a) && verify("pw", &b));
    }

    #[test]
    fn malformed_hashes_never_verify() {
        assert!(!verify("pw", ""));
        assert!(!verify("pw", "pw"));
        assert!(!verify("pw", "$argon2id$v=19$garbage"));
    }

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        // Same algorithm and parameters as a fresh hash: only the salt and
        // the output differ.
        let fresh = hash("pw").unwrap();
        let params = |h: &str| h.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_HASH), params(&fresh));
        assert!(!verify("", DUMMY_HASH));
    }

    #[tokio::test]
    async fn the_pool_refuses_beyond_its_queue() {
        let pool = Arc::new(PasswordPool::new(
            PoolSettings {
                workers: 1,
                max_waiting: 1,
            },
            None,
        ));
        // Hold the only worker, then fill the pool: one request waiting for
        // the worker, one waiting in the queue.
        let held = Arc::clone(&pool.workers).acquire_owned().await.unwrap();
        let queued: Vec<_> = (0..2)
            .map(|_| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move { pool.verify("pw", DUMMY_HASH).await })
            })
            .collect();
        while pool.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(pool.verify("pw", DUMMY_HASH).await, Err(PasswordError::Busy)));
        drop(held);
        for waiting in queued {
            assert!(!waiting.await.unwrap().unwrap());
        }
        assert_eq!(pool.verifications(), 2);
        assert!(pool.verify("pw", DUMMY_HASH).await.is_ok(), "a free pool admits again");
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(!constant_time_eq(b"token", b""));
    }
}
