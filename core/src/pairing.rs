//! Pairing a new device (docs/devices.md): the one-time code that commits to the new device's
//! X25519 public key, and the constants of the HPKE seal that carries the keys to it. Pure; the
//! API derives the code to look a pairing up, the clients derive it to check the key they were
//! given is the one the person's code names.

use sha2::{Digest as _, Sha256};

/// Characters of a code (60 bits of the commitment).
pub const CODE_LEN: usize = 12;

/// Domain separation of the commitment: `SHA-256(CODE_DOMAIN ‖ public key)`.
pub const CODE_DOMAIN: &[u8] = b"pramana/device-pairing/v1/code";

/// HPKE `info` of the seal: this, then the pairing id's 16 bytes.
pub const SEAL_INFO: &[u8] = b"pramana/device-pairing/v1/keys";

/// The sealed keys' plaintext: the X25519 secret and the secp256k1 secret, 32 bytes each,
/// followed by the account's previous signing addresses (20 bytes each, oldest first).
pub const SECRETS_LEN: usize = 64;

/// Previous signing addresses a seal may carry.
pub const MAX_PREVIOUS_SIGNERS: usize = 32;

/// HPKE's encapsulated key (X25519) and AES-256-GCM tag around the plaintext.
const SEAL_OVERHEAD: usize = 32 + 16;

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The code for `public_key`: the first 60 bits of `SHA-256(CODE_DOMAIN ‖ public_key)` in
/// Crockford base32, 12 upper-case characters (shown as three groups of four).
pub fn code_for(public_key: &[u8; 32]) -> String {
    let digest = Sha256::new().chain_update(CODE_DOMAIN).chain_update(public_key).finalize();
    let mut bits = u64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]));
    let mut out = String::with_capacity(CODE_LEN);
    for _ in 0..CODE_LEN {
        out.push(char::from(ALPHABET[(bits >> 59) as usize]));
        bits <<= 5;
    }
    out
}

/// What a person typed, as a code: case, spaces and dashes ignored, `I`/`L` read as `1` and `O`
/// as `0` (Crockford). `None` unless it is 12 characters of the alphabet.
pub fn normalize_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' => continue,
            'I' | 'L' => '1',
            'O' => '0',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        if out.len() == CODE_LEN {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// The HPKE `info` for pairing `pairing_id`: [`SEAL_INFO`] ‖ the id's 16 bytes, so a seal made
/// for one pairing does not open as another's.
pub fn seal_info(pairing_id: &[u8; 16]) -> Vec<u8> {
    [SEAL_INFO, pairing_id.as_slice()].concat()
}

/// Whether `n` bytes can be a seal: encapsulated key, the two secrets, whole previous
/// addresses (at most [`MAX_PREVIOUS_SIGNERS`]) and the tag.
pub fn is_seal_len(n: usize) -> bool {
    n.checked_sub(SEAL_OVERHEAD + SECRETS_LEN)
        .is_some_and(|addresses| addresses.is_multiple_of(20) && addresses / 20 <= MAX_PREVIOUS_SIGNERS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_a_vector_and_reads_back() {
        let pk: [u8; 32] = core::array::from_fn(|i| i as u8);
        let code = code_for(&pk);
        assert_eq!(code, "10K7DW6XZ1W3");
        assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
        let spaced = format!("{}-{} {}", &code[..4].to_lowercase(), &code[4..8], &code[8..]);
        assert_eq!(normalize_code(&spaced).as_deref(), Some(code.as_str()));
    }

    #[test]
    fn confusable_letters_read_as_digits_and_bad_codes_are_none() {
        assert_eq!(normalize_code("oooo-iiii-llll").as_deref(), Some("000011111111"));
        for bad in ["", "ABCD", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ABCD EFGH JKM!", "ÄBCD-EFGH-JKMN"] {
            assert_eq!(normalize_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn seal_lengths() {
        assert!(is_seal_len(112) && is_seal_len(132) && is_seal_len(112 + 20 * 32));
        assert!(!is_seal_len(111) && !is_seal_len(113) && !is_seal_len(112 + 20 * 33) && !is_seal_len(0));
    }
}
