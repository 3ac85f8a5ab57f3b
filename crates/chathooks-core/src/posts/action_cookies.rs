//! Action cookies: what lets a button on an ephemeral post work although the
//! post is never stored (Mattermost's `PostActionCookie`,
//! `AddPostActionCookies` and `DoPostActionWithCookie`).
//!
//! A click names a post and an action, and the server looks the action's
//! integration up in the stored post. An ephemeral post has no row, so when
//! one is sent to its user each action gets a `cookie`: the integration (URL
//! and context), the post's id, channel, thread and retained props, sealed
//! with the server's key. The client sends the cookie back with the click,
//! and the server opens it when the post is not found.
//!
//! The integration's URL and context are its secret (clients never see them
//! on stored posts), so the cookie is encrypted, not only signed; and a
//! client must not be able to point a click at a URL of its choosing, so it
//! is authenticated: AES-256-GCM, as Mattermost seals them, with the
//! RustCrypto `aes-gcm` crate, under a key derived (HMAC-SHA256 with a
//! purpose label) from the server secret of [`crate::triggers`], so the
//! trigger ids' key never encrypts anything. Shape: standard base64 of
//! `nonce (12) || ciphertext || tag (16)`, a fresh random nonce per cookie.

use aes_gcm::aead::Aead as _;
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::actions::{PostAction, RETAINED_PROPS, actions_mut};
use crate::Core;
use crate::store::Post;
use crate::triggers::{TriggerError, signing_key};

/// AES-GCM's standard nonce.
const NONCE_BYTES: usize = 12;
/// AES-GCM's tag, after the ciphertext.
const TAG_BYTES: usize = 16;

/// An action's integration as a cookie carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CookieIntegration {
    #[serde(default)]
    pub url: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub context: Map<String, Value>,
}

/// What a cookie says (the fields of Mattermost's `PostActionCookie`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ActionCookie {
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub action_type: String,
    #[serde(default)]
    pub post_id: String,
    /// The thread's root: the post itself when it is not a reply.
    #[serde(default)]
    pub root_post_id: String,
    #[serde(default)]
    pub channel_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<CookieIntegration>,
    /// The post's [`RETAINED_PROPS`] it has, with their values.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub retain_props: Map<String, Value>,
    /// The [`RETAINED_PROPS`] it lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_props: Vec<String>,
}

impl ActionCookie {
    /// The action `action_id` this cookie describes, if it has an
    /// integration (Mattermost refuses a cookie without one).
    pub fn action(&self, action_id: &str) -> Option<PostAction> {
        let integration = self.integration.as_ref()?;
        Some(PostAction {
            id: action_id.to_owned(),
            action_type: self.action_type.clone(),
            data_source: self.data_source.clone(),
            url: integration.url.clone(),
            context: integration.context.clone(),
        })
    }

    /// A stand-in for the ephemeral post the cookie came from, with what a
    /// click needs of it: id, channel, thread, retained props (the author,
    /// message and times are not known).
    pub fn post(&self) -> Post {
        let mut post = super::new_post(&self.channel_id, "", String::new());
        post.id = self.post_id.clone();
        post.root_id = if self.root_post_id == self.post_id {
            String::new()
        } else {
            self.root_post_id.clone()
        };
        post.post_type = "system_ephemeral".into();
        post.props = Value::Object(self.retain_props.clone());
        post
    }
}

/// Why a cookie was refused. Mattermost answers each the same way (400
/// `api.post.do_action.action_integration.app_error`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CookieError {
    #[error("the cookie is not base64")]
    NotBase64,
    #[error("the cookie is too short")]
    TooShort,
    #[error("the cookie's signature does not match")]
    BadSignature,
    #[error("the cookie is not JSON: {0}")]
    NotJson(String),
}

/// The keys cookies are sealed with, derived from the server secret.
#[derive(Clone)]
pub struct CookieKeys {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for CookieKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieKeys(..)")
    }
}

/// A 32-byte key for `purpose`, derived from `secret`.
fn derive(secret: &[u8], purpose: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(b"chathooks post action cookie: ");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl CookieKeys {
    /// The cookie key for `secret`: its own, so the trigger ids' key is
    /// never used to encrypt.
    pub fn derive(secret: &[u8]) -> Self {
        let key = derive(secret, "aes-256-gcm");
        Self {
            cipher: <Aes256Gcm as aes_gcm::KeyInit>::new_from_slice(&key).expect("HMAC-SHA256 gives a 32-byte key"),
        }
    }

    /// `cookie` sealed under a fresh nonce.
    pub fn seal(&self, cookie: &ActionCookie) -> String {
        let nonce: [u8; NONCE_BYTES] = rand::rng().random();
        self.seal_with(cookie, nonce)
    }

    fn seal_with(&self, cookie: &ActionCookie, nonce: [u8; NONCE_BYTES]) -> String {
        let data = serde_json::to_vec(cookie).expect("a cookie is plain JSON");
        let ciphertext = self
            .cipher
            .encrypt(&Nonce::from(nonce), data.as_slice())
            .expect("AES-GCM seals any message this small");
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        STANDARD.encode(sealed)
    }

    /// The cookie `sealed`, if this server sealed it and nobody changed it
    /// (GCM checks the tag before it gives back a byte).
    pub fn open(&self, sealed: &str) -> Result<ActionCookie, CookieError> {
        let bytes = STANDARD.decode(sealed.trim()).map_err(|_| CookieError::NotBase64)?;
        if bytes.len() < NONCE_BYTES + TAG_BYTES {
            return Err(CookieError::TooShort);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().expect("split at the nonce's length");
        let data = self
            .cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| CookieError::BadSignature)?;
        serde_json::from_slice(&data).map_err(|error| CookieError::NotJson(error.to_string()))
    }
}

/// The cookie keys of this database's server secret.
pub async fn keys(core: &Core) -> Result<CookieKeys, TriggerError> {
    let secret = signing_key(core).await?;
    Ok(CookieKeys::derive(secret.bytes()))
}

/// `post` with a sealed `cookie` on each action that has an integration, as
/// an ephemeral post is sent to its user. The integrations stay (adapters
/// strip them as for every post).
pub fn with_cookies(keys: &CookieKeys, post: &Post) -> Post {
    let mut post = post.clone();
    let mut retain_props = Map::new();
    let mut remove_props = Vec::new();
    for key in RETAINED_PROPS {
        match post.props.get(key) {
            Some(value) => {
                retain_props.insert(key.to_owned(), value.clone());
            }
            None => remove_props.push(key.to_owned()),
        }
    }
    let root_post_id = if post.root_id.is_empty() {
        post.id.clone()
    } else {
        post.root_id.clone()
    };
    for action in actions_mut(&mut post.props) {
        let Some(integration) = action.get("integration").and_then(Value::as_object) else {
            continue;
        };
        let text = |key: &str| action.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let cookie = ActionCookie {
            action_type: text("type"),
            post_id: post.id.clone(),
            root_post_id: root_post_id.clone(),
            channel_id: post.channel_id.clone(),
            data_source: text("data_source"),
            integration: Some(CookieIntegration {
                url: integration
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                context: integration
                    .get("context")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            }),
            retain_props: retain_props.clone(),
            remove_props: remove_props.clone(),
        };
        action.insert("cookie".into(), keys.seal(&cookie).into());
    }
    post
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ephemeral() -> Post {
        let mut post = super::super::new_post("chan", "bot", "pick".into());
        post.root_id = "root".into();
        post.props = json!({"from_webhook": "true", "attachments": [{"actions": [
            {"id": "a1", "type": "button", "integration": {"url": "http://x/act", "context": {"k": 1}}},
            {"id": "a2"}
        ]}]});
        post
    }

    fn cookie_of(post: &Post, index: usize) -> Option<String> {
        post.props["attachments"][0]["actions"][index]["cookie"]
            .as_str()
            .map(str::to_owned)
    }

    #[test]
    fn a_sealed_cookie_opens_to_what_the_post_said() {
        let keys = CookieKeys::derive(b"secret");
        let post = ephemeral();
        let sent = with_cookies(&keys, &post);
        assert!(cookie_of(&sent, 1).is_none(), "no integration, no cookie");
        let sealed = cookie_of(&sent, 0).unwrap();
        assert!(!sealed.contains("x/act"));
        let cookie = keys.open(&sealed).unwrap();
        assert_eq!(cookie.post_id, post.id);
        assert_eq!(cookie.root_post_id, "root");
        assert_eq!(cookie.channel_id, "chan");
        assert_eq!(
            cookie.retain_props,
            json!({"from_webhook": "true"}).as_object().cloned().unwrap()
        );
        assert_eq!(cookie.remove_props, ["override_username", "override_icon_url"]);
        let action = cookie.action("a1").unwrap();
        assert_eq!(action.url, "http://x/act");
        assert_eq!(action.context["k"], 1);
        assert_eq!(cookie.post().root_id, "root");
    }

    #[test]
    fn a_changed_or_foreign_cookie_is_refused() {
        let keys = CookieKeys::derive(b"secret");
        let cookie = ActionCookie {
            post_id: "p".into(),
            ..ActionCookie::default()
        };
        let sealed = keys.seal(&cookie);
        assert_eq!(keys.open(&sealed).unwrap(), cookie);
        assert_eq!(
            CookieKeys::derive(b"other").open(&sealed),
            Err(CookieError::BadSignature)
        );
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        bytes[NONCE_BYTES] ^= 1;
        assert_eq!(keys.open(&STANDARD.encode(bytes)), Err(CookieError::BadSignature));
        assert_eq!(keys.open("not base64!"), Err(CookieError::NotBase64));
        assert_eq!(keys.open("AAAA"), Err(CookieError::TooShort));
    }

    #[test]
    fn the_same_cookie_seals_differently_each_time() {
        let keys = CookieKeys::derive(b"secret");
        let cookie = ActionCookie::default();
        assert_ne!(keys.seal(&cookie), keys.seal(&cookie));
        assert_eq!(
            keys.seal_with(&cookie, [7; NONCE_BYTES]),
            keys.seal_with(&cookie, [7; NONCE_BYTES])
        );
    }
}
