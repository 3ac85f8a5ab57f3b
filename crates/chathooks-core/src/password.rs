//! Password hashing and constant-time secret comparison.
//!
//! Passwords are hashed with Argon2id (memory-hard, the OWASP recommendation) and
//! stored as PHC strings (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), so the
//! salt and cost parameters travel with the hash and can be raised later without
//! invalidating stored passwords: [`verify`] reads them from the string.
//!
//! Tokens and webhook secrets are compared with [`constant_time_eq`] so response
//! timing does not reveal how many leading bytes of a guess were right.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use subtle::ConstantTimeEq;

/// Hashing failed: the OS random generator (for the salt) or Argon2 itself
/// reported an error. Neither happens in normal operation.
#[derive(Debug, thiserror::Error)]
#[error("could not hash password: {0}")]
pub struct HashError(String);

/// Hash `password` with Argon2id, default parameters and a fresh random salt.
///
/// Returns a PHC string to store as-is.
pub fn hash(password: &str) -> Result<String, HashError> {
    let hashed: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hashed.to_string())
}

/// Whether `password` matches the PHC string `hash`.
///
/// A malformed or unsupported hash verifies nothing (returns `false`) rather than
/// erroring: for a login either way means "wrong credentials".
pub fn verify(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
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
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify("correct horse battery staple", &h));
        assert!(!verify("correct horse battery stapler", &h));
        assert!(!verify("", &h));
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
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(!constant_time_eq(b"token", b""));
    }
}
