//! Trigger ids: the proof, handed to an integration when a user acts (runs a
//! slash command, clicks a message button), that this user acted just now.
//! The integration spends it to open a dialog in front of that user
//! ([`crate::dialogs`]), without a session of its own.
//!
//! The shape is Mattermost's (`model.GenerateTriggerId`): standard base64 of
//! `<client id>:<user id>:<milliseconds>:<signature in base64>`, where the
//! client id is a fresh id the client may see. Mattermost signs with an ECDSA
//! key; nobody but the server ever checks the signature, so an HMAC-SHA256
//! under a server secret does the same job with one crate.
//!
//! The secret lives in the settings table, created once by whichever instance
//! needs it first (an insert that does nothing when the key exists), so every
//! instance on one database issues ids the others accept. It is never logged
//! ([`SigningKey`]'s `Debug` hides it). A reset of the store drops it with
//! everything else; ids issued before then stop working, as sessions do.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde_json::Value;
use sha2::Sha256;

use crate::Core;
use crate::ids::new_id;
use crate::store::{Store, StoreError, StoredSetting, now_ms};

/// Where the secret is stored among the settings (no dialect reads it).
const SECRET_KEY: &str = "core.trigger_signing_secret";

/// Bytes of secret: the size of SHA-256's output, as RFC 2104 advises.
const SECRET_BYTES: usize = 32;

/// How long a trigger id may be spent by default: Mattermost's
/// `ServiceSettings.OutgoingIntegrationRequestsTimeout` (30 s), which
/// `OpenInteractiveDialog` uses as the expiry. (Before 9.x it was the
/// constant `InteractiveDialogTriggerTimeoutMilliseconds`, 3 s.)
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The HMAC key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// A key of the given bytes (tests, and the stored secret).
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret's bytes, for keys derived from it.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    fn mac(&self, data: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(data.as_bytes());
        mac
    }
}

/// A trigger id, issued: the id to hand to the integration, and the short
/// client id inside it (what Mattermost returns to the acting client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub client_id: String,
    pub trigger_id: String,
}

/// What a verified trigger id says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub client_id: String,
    /// The user who acted: the one a dialog opens for.
    pub user_id: String,
    /// When it was issued, ms since the epoch.
    pub issued_at: i64,
}

/// Why a trigger id was refused; each is one of Mattermost's error ids
/// ([`TriggerError::id`]), all answered with 400.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the trigger id is not base64")]
    NotBase64,
    #[error("the trigger id does not have four parts")]
    MissingData,
    #[error("the trigger id is older than {0:?}")]
    Expired(Duration),
    #[error("the trigger id's signature is not base64")]
    SignatureNotBase64,
    #[error("the trigger id's signature has the wrong length")]
    SignatureShape,
    #[error("the trigger id's signature does not match")]
    BadSignature,
    /// The stored secret is unreadable (someone edited the settings table).
    #[error("the stored trigger secret is not {SECRET_BYTES} bytes of base64")]
    BadSecret,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TriggerError {
    /// Mattermost's error id (`model.DecodeAndVerifyTriggerId`); `None` for a
    /// failure of the server's own.
    pub fn id(&self) -> Option<&'static str> {
        Some(match self {
            TriggerError::NotBase64 => "interactive_message.decode_trigger_id.base64_decode_failed",
            TriggerError::MissingData => "interactive_message.decode_trigger_id.missing_data",
            TriggerError::Expired(_) => "interactive_message.decode_trigger_id.expired",
            TriggerError::SignatureNotBase64 => "interactive_message.decode_trigger_id.base64_decode_failed_signature",
            TriggerError::SignatureShape => "interactive_message.decode_trigger_id.signature_decode_failed",
            TriggerError::BadSignature => "interactive_message.decode_trigger_id.verify_signature_failed",
            TriggerError::Store(_) | TriggerError::BadSecret => return None,
        })
    }
}

/// A new trigger id for `user_id`, signed with the shared secret.
pub async fn issue(core: &Core, user_id: &str) -> Result<Issued, TriggerError> {
    let key = signing_key(core).await?;
    Ok(issue_with(&key, user_id, now_ms()))
}

/// Check a trigger id: issued by a server of this database, unchanged, and
/// spent within the core's trigger timeout. Expiry is checked before the
/// signature, as Mattermost does.
pub async fn verify(core: &Core, trigger_id: &str) -> Result<Trigger, TriggerError> {
    let key = signing_key(core).await?;
    verify_with(&key, trigger_id, now_ms(), core.dialog_trigger_timeout)
}

/// [`issue`] with a given key and time.
pub fn issue_with(key: &SigningKey, user_id: &str, at: i64) -> Issued {
    let client_id = new_id();
    let data = format!("{client_id}:{user_id}:{at}:");
    let signature = STANDARD.encode(key.mac(&data).finalize().into_bytes());
    Issued {
        trigger_id: STANDARD.encode(format!("{data}{signature}")),
        client_id,
    }
}

/// [`verify`] with a given key, time and timeout.
pub fn verify_with(key: &SigningKey, trigger_id: &str, now: i64, timeout: Duration) -> Result<Trigger, TriggerError> {
    let decoded = STANDARD.decode(trigger_id).map_err(|_| TriggerError::NotBase64)?;
    let text = String::from_utf8(decoded).map_err(|_| TriggerError::MissingData)?;
    let parts: Vec<&str> = text.split(':').collect();
    let [client_id, user_id, at, signature] = parts[..] else {
        return Err(TriggerError::MissingData);
    };
    // Mattermost ignores a timestamp that does not parse (it reads as 0, so
    // long expired).
    let issued_at: i64 = at.parse().unwrap_or(0);
    let age_ms = u128::try_from(now.saturating_sub(issued_at)).unwrap_or(0);
    if age_ms > timeout.as_millis() {
        return Err(TriggerError::Expired(timeout));
    }
    let signature = STANDARD
        .decode(signature)
        .map_err(|_| TriggerError::SignatureNotBase64)?;
    if signature.len() != 32 {
        return Err(TriggerError::SignatureShape);
    }
    key.mac(&format!("{client_id}:{user_id}:{at}:"))
        .verify_slice(&signature)
        .map_err(|_| TriggerError::BadSignature)?;
    Ok(Trigger {
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        issued_at,
    })
}

/// The shared secret: the stored one, or a new one stored first. Two
/// instances creating it at once both read back the one that was written
/// first.
/// The server secret, created on first use; shared with
/// [`crate::posts::action_cookies`], which derives its own keys from it.
pub(crate) async fn signing_key(core: &Core) -> Result<SigningKey, TriggerError> {
    if let Some(key) = stored_key(core).await? {
        return Ok(key);
    }
    let secret: [u8; SECRET_BYTES] = rand::rng().random();
    let setting = StoredSetting {
        key: SECRET_KEY.to_owned(),
        value: Value::String(STANDARD.encode(secret)),
        update_at: now_ms(),
    };
    core.store.insert_setting_if_absent(&setting).await?;
    core.policy.forget();
    stored_key(core).await?.ok_or(TriggerError::BadSecret)
}

async fn stored_key(core: &Core) -> Result<Option<SigningKey>, TriggerError> {
    let Some(value) = crate::config::get(core, SECRET_KEY).await? else {
        return Ok(None);
    };
    let bytes = value
        .as_str()
        .and_then(|text| STANDARD.decode(text).ok())
        .filter(|bytes| bytes.len() == SECRET_BYTES)
        .ok_or(TriggerError::BadSecret)?;
    Ok(Some(SigningKey(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(30);

    fn key(byte: u8) -> SigningKey {
        SigningKey::new(vec![byte; SECRET_BYTES])
    }

    fn decoded(trigger_id: &str) -> String {
        String::from_utf8(STANDARD.decode(trigger_id).unwrap()).unwrap()
    }

    #[test]
    fn an_issued_id_verifies_and_names_its_user() {
        let issued = issue_with(&key(1), "user1", 1_000);
        let trigger = verify_with(&key(1), &issued.trigger_id, 1_000 + 29_999, TIMEOUT).unwrap();
        assert_eq!(
            trigger,
            Trigger {
                client_id: issued.client_id.clone(),
                user_id: "user1".into(),
                issued_at: 1_000,
            }
        );
        // Mattermost's layout: four colon-separated parts.
        let text = decoded(&issued.trigger_id);
        assert!(text.starts_with(&format!("{}:user1:1000:", issued.client_id)), "{text}");
    }

    #[test]
    fn another_secret_refuses_it() {
        let issued = issue_with(&key(1), "user1", 1_000);
        let refused = verify_with(&key(2), &issued.trigger_id, 1_000, TIMEOUT).unwrap_err();
        assert!(matches!(refused, TriggerError::BadSignature), "{refused:?}");
    }

    #[test]
    fn a_tampered_id_is_refused() {
        let issued = issue_with(&key(1), "user1", 1_000);
        let text = decoded(&issued.trigger_id);
        // Another user, same signature: the one who acted cannot be changed.
        let other_user = STANDARD.encode(text.replacen(":user1:", ":user2:", 1));
        let refused = verify_with(&key(1), &other_user, 1_000, TIMEOUT).unwrap_err();
        assert!(matches!(refused, TriggerError::BadSignature), "{refused:?}");
        // A later time, to make it last longer.
        let later = STANDARD.encode(text.replacen(":1000:", ":5000:", 1));
        let refused = verify_with(&key(1), &later, 5_000, TIMEOUT).unwrap_err();
        assert!(matches!(refused, TriggerError::BadSignature), "{refused:?}");
        // Another signature of the right length.
        let (data, _) = text.rsplit_once(':').unwrap();
        let forged = STANDARD.encode(format!("{data}:{}", STANDARD.encode([0u8; 32])));
        let refused = verify_with(&key(1), &forged, 1_000, TIMEOUT).unwrap_err();
        assert!(matches!(refused, TriggerError::BadSignature), "{refused:?}");
    }

    #[test]
    fn an_old_id_has_expired() {
        let issued = issue_with(&key(1), "user1", 1_000);
        let refused = verify_with(&key(1), &issued.trigger_id, 1_000 + 30_001, TIMEOUT).unwrap_err();
        assert!(
            matches!(refused, TriggerError::Expired(t) if t == TIMEOUT),
            "{refused:?}"
        );
        assert_eq!(refused.id(), Some("interactive_message.decode_trigger_id.expired"));
    }

    #[test]
    fn malformed_ids_get_mattermosts_error_ids() {
        let cases = [
            (
                "not base64!",
                "interactive_message.decode_trigger_id.base64_decode_failed",
            ),
            (
                &*STANDARD.encode("a:b:c"),
                "interactive_message.decode_trigger_id.missing_data",
            ),
            (
                &*STANDARD.encode("a:b:1000:%%%"),
                "interactive_message.decode_trigger_id.base64_decode_failed_signature",
            ),
            (
                &*STANDARD.encode(format!("a:b:1000:{}", STANDARD.encode("short"))),
                "interactive_message.decode_trigger_id.signature_decode_failed",
            ),
        ];
        for (trigger_id, id) in cases {
            let refused = verify_with(&key(1), trigger_id, 1_000, TIMEOUT).unwrap_err();
            assert_eq!(refused.id(), Some(id), "{trigger_id}: {refused:?}");
        }
    }

    async fn core_on(url: &str) -> std::sync::Arc<Core> {
        let store = crate::store::AnyStore::connect(url).await.unwrap();
        let settings = crate::Settings {
            site_url: "http://localhost:8065".into(),
            allow_internal_callbacks: crate::netguard::AllowList::empty(),
            delivery: crate::delivery::DeliverySettings::with_timeout(Duration::from_secs(1)),
            passwords: crate::password::PoolSettings::default(),
            release_memory: None,
            dialog_trigger_timeout: TIMEOUT,
        };
        Core::new(store, settings, Vec::new()).unwrap()
    }

    #[tokio::test]
    async fn instances_on_one_database_share_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("shared.db").display());
        let (one, two) = (core_on(&url).await, core_on(&url).await);
        // Both create it at once: one write wins and both use it.
        let (a, b) = tokio::join!(issue(&one, "user1"), issue(&two, "user2"));
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(verify(&two, &a.trigger_id).await.unwrap().user_id, "user1");
        assert_eq!(verify(&one, &b.trigger_id).await.unwrap().user_id, "user2");
        // A server on another database refuses them.
        let other = core_on("sqlite::memory:").await;
        let refused = verify(&other, &a.trigger_id).await.unwrap_err();
        assert!(matches!(refused, TriggerError::BadSignature), "{refused:?}");
    }

    #[test]
    fn the_key_is_not_shown() {
        assert_eq!(format!("{:?}", key(7)), "SigningKey(..)");
    }
}
