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

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use subtle::ConstantTimeEq;

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
    format!("{:x}", sha2::Sha256::digest(password.as_bytes()))
}

/// Hash `password` (its SHA-256 digest) with Argon2id, default parameters and
/// a fresh random salt.
///
/// Returns [`DIGEST_PREFIX`] and a PHC string, to store as-is.
pub fn hash(password: &str) -> Result<String, HashError> {
    let hashed: PasswordHash = Argon2::default()
        .hash_password(digest(password).as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(format!("{DIGEST_PREFIX}{hashed}"))
}

/// Whether `password` matches the stored `hash`.
///
/// A malformed or unsupported hash verifies nothing (returns `false`) rather than
/// erroring: for a login either way means "wrong credentials".
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
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"token", b"token"));
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(!constant_time_eq(b"token", b""));
    }
}
