//! Identifier and token generation in the formats the real servers use.
//!
//! Clients (and our own validators) check the *shape* of ids: Mattermost refuses a
//! `hook_id` that is not 26 letters/digits before it looks anything up, and
//! Rocket.Chat ids are 17 characters of its "unmistakable" alphabet. Matching both
//! formats exactly keeps URLs, logs and client-side validation indistinguishable
//! from the real servers.
//!
//! Randomness comes from [`rand::rng`], a CSPRNG (ChaCha) seeded from the operating
//! system: ids double as secrets (an incoming hook id is the only credential of
//! `POST /hooks/{id}`), so a predictable generator would be a vulnerability.

use rand::Rng;

/// Alphabet of Mattermost ids: a base32 variant chosen so ids avoid look-alike characters.
const MM_ALPHABET: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

/// Length of a Mattermost id: 16 random bytes in base32, unpadded.
pub const MM_ID_LEN: usize = 26;

/// Rocket.Chat's `UNMISTAKABLE_CHARS` (no 0/O, 1/I/l, U/V...).
const RC_ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

/// Length of a Rocket.Chat document id (`Random.id()`).
pub const RC_ID_LEN: usize = 17;

/// Length of a Rocket.Chat incoming-integration token.
pub const RC_TOKEN_LEN: usize = 48;

/// A new Mattermost id: 16 random bytes, base32-encoded with Mattermost's alphabet,
/// no padding, 26 lowercase characters (as `model.NewId()`).
pub fn new_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    encode_base32(&bytes)
}

/// A new Mattermost-shaped id for a record written in bursts (posts, delivery
/// jobs and attempts): the current time in milliseconds (6 bytes) then 10
/// random bytes, encoded as [`new_id`] encodes. Never for a secret (a hook id,
/// a token): its first 10 characters tell when it was made.
///
/// Why: the primary-key index of such a table is a B-tree, and random keys
/// put every new row on a different page, so each post cost the commit (and
/// the checkpoint after it) a page of its own. Ids of the same millisecond
/// share their first 9 characters and land side by side, so a group commit
/// writes a page or two of that index, not one per post. Mattermost's own ids
/// are random; clients only check the shape, which is the same.
pub fn new_ordered_id() -> String {
    let mut bytes = [0u8; 16];
    let millis = u64::try_from(crate::store::now_ms()).unwrap_or_default();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    rand::rng().fill(&mut bytes[6..]);
    encode_base32(&bytes)
}

/// Ids that are the same on every server and have no Mattermost shape:
/// Rocket.Chat's default room, `GENERAL`.
pub const WELL_KNOWN_IDS: &[&str] = &["GENERAL"];

/// Whether `id` has the shape of a Mattermost id: exactly 26 ASCII letters or
/// digits, or one of the [`WELL_KNOWN_IDS`] (so that the Mattermost API can
/// name Rocket.Chat's `#general` by its id too).
///
/// This is the check Mattermost applies to ids in paths and bodies; it does not
/// require the Mattermost alphabet, so ids minted elsewhere still pass.
pub fn is_valid_id(id: &str) -> bool {
    (id.len() == MM_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())) || WELL_KNOWN_IDS.contains(&id)
}

/// A new Rocket.Chat id: 17 characters of the unmistakable alphabet.
pub fn new_rc_id() -> String {
    random_from(RC_ALPHABET, RC_ID_LEN)
}

/// A new Rocket.Chat incoming-integration token: 48 characters of the same alphabet.
pub fn new_rc_token() -> String {
    random_from(RC_ALPHABET, RC_TOKEN_LEN)
}

/// `len` characters drawn uniformly (no modulo bias) from `alphabet`.
fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

/// RFC 4648 base32 (most significant bit first) with Mattermost's alphabet, unpadded.
fn encode_base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits: u32 = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(MM_ALPHABET[usize::from((buffer >> bits) & 0x1f)]));
        }
        // Only the low `bits` bits are still pending; drop the rest so the shift
        // above cannot overflow.
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(MM_ALPHABET[usize::from((buffer << (5 - bits)) & 0x1f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn mm_ids_have_the_mattermost_shape() {
        for _ in 0..200 {
            let id = new_id();
            assert_eq!(id.len(), MM_ID_LEN, "{id}");
            assert!(id.bytes().all(|b| MM_ALPHABET.contains(&b)), "{id}");
            assert!(is_valid_id(&id));
        }
    }

    #[test]
    fn mm_ids_are_unique() {
        let ids: HashSet<String> = (0..1000).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 1000);
    }

    #[test]
    fn ordered_ids_have_the_mattermost_shape_and_share_a_prefix_per_millisecond() {
        let ids: Vec<String> = (0..1000).map(|_| new_ordered_id()).collect();
        for id in &ids {
            assert_eq!(id.len(), MM_ID_LEN, "{id}");
            assert!(id.bytes().all(|b| MM_ALPHABET.contains(&b)), "{id}");
        }
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        // 48 bits of milliseconds: the first 9 characters (45 bits) change
        // every 8 ms, so two ids made in a row share them (or are 8 ms apart).
        let (first, second) = (new_ordered_id(), new_ordered_id());
        let millis = |id: &str| {
            id.bytes().take(9).fold(0u64, |n, b| {
                n * 32 + MM_ALPHABET.iter().position(|&a| a == b).unwrap() as u64
            })
        };
        let now = u64::try_from(crate::store::now_ms()).unwrap() >> 3;
        assert!(millis(&second) >= millis(&first));
        assert!(now - millis(&second) <= 1, "{second} is not stamped with the time");
    }

    #[test]
    fn base32_matches_the_go_encoding() {
        // Go: base32.NewEncoding("ybndrfg8ejkmcpqxot1uwisza345h769").WithPadding(NoPadding)
        assert_eq!(encode_base32(&[0u8; 16]), "y".repeat(26));
        // 128 one-bits: 25 groups of 11111, then 111 padded to 11100 (28 = 'h').
        assert_eq!(encode_base32(&[0xff; 16]), format!("{}h", "9".repeat(25)));
        // 0x00 0x44 0x32 0x14 0xc7 = 00000 00001 00010 00011 00100 00101 00110 00111
        assert_eq!(encode_base32(&[0x00, 0x44, 0x32, 0x14, 0xc7]), "ybndrfg8");
        // A trailing partial group is padded with zero bits: 0xf8 = 11111 000(00)
        assert_eq!(encode_base32(&[0xf8]), "9y");
    }

    #[test]
    fn id_validation() {
        assert!(is_valid_id("abcdefghijklmnopqrstuvwxyz"));
        assert!(is_valid_id("ABCDEFGHIJKLMNOPQRSTUVWXY1"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("abcdefghijklmnopqrstuvwxy")); // 25
        assert!(!is_valid_id("abcdefghijklmnopqrstuvwxyz1")); // 27
        assert!(!is_valid_id("abcdefghijklmnopqrstuvwxy-"));
        assert!(!is_valid_id("abcdefghijklmnopqrstuvwxyé")); // 27 bytes, 26 chars
    }

    #[test]
    fn rc_ids_and_tokens_use_the_unmistakable_alphabet() {
        for _ in 0..200 {
            let id = new_rc_id();
            assert_eq!(id.len(), RC_ID_LEN);
            assert!(id.bytes().all(|b| RC_ALPHABET.contains(&b)), "{id}");
            let token = new_rc_token();
            assert_eq!(token.len(), RC_TOKEN_LEN);
            assert!(token.bytes().all(|b| RC_ALPHABET.contains(&b)), "{token}");
        }
        assert_eq!(RC_ALPHABET.len(), 55);
        let ids: HashSet<String> = (0..1000).map(|_| new_rc_id()).collect();
        assert_eq!(ids.len(), 1000);
    }
}
