//! The recovery phrase (docs/keystore.md, "Recovery phrase"): 24 English BIP-39 words that
//! encode a 32-byte seed, from which both secrets of a keystore derive with HKDF-SHA256:
//!
//! ```text
//! x25519    = HKDF-Expand(PRK, "x25519", 32)
//! secp256k1 = HKDF-Expand(PRK, "secp256k1/" ‖ i, 32) for the first i = 0, 1, … in [1, n − 1]
//! PRK       = HKDF-Extract(salt = "pramana/recovery-phrase/v1", seed)
//! ```
//!
//! Written down at key creation, the words bring the keys back on any device (`pramana identity
//! restore`, or the portal's "Restore from your recovery phrase"). The portal derives the same
//! keys from the same words (web/src/crypto/phrase.ts); `cli/testdata/recovery-phrase-vectors.json`
//! holds both to it.

use anyhow::bail;
use bip39::{Error as Bip39Error, Language, Mnemonic};
use hkdf::Hkdf;
use sha2::Sha256;

const SALT: &[u8] = b"pramana/recovery-phrase/v1";
/// The order of secp256k1, big-endian.
const SECP256K1_N: [u8; 32] = hex_literal(b"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
/// Words in a phrase.
pub const WORDS: usize = 24;

const fn hex_literal(s: &[u8; 64]) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(s[2 * i]) << 4) | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// The two secrets of a keystore.
pub struct Secrets {
    /// The X25519 secret (opens documents).
    pub x25519: [u8; 32],
    /// The secp256k1 secret (signs consents).
    pub secp256k1: [u8; 32],
}

/// Both secrets from a seed.
pub fn secrets_from_seed(seed: &[u8; 32]) -> Secrets {
    let hk = Hkdf::<Sha256>::new(Some(SALT), seed);
    let mut x25519 = [0u8; 32];
    hk.expand(b"x25519", &mut x25519).expect("32 bytes is a valid HKDF-SHA256 length");
    let mut secp256k1 = [0u8; 32];
    for i in 0u8..=u8::MAX {
        let info: [&[u8]; 2] = [b"secp256k1/", &[i]];
        hk.expand_multi_info(&info, &mut secp256k1).expect("32 bytes is a valid HKDF-SHA256 length");
        if secp256k1 != [0u8; 32] && secp256k1 < SECP256K1_N {
            break;
        }
    }
    Secrets { x25519, secp256k1 }
}

/// The 24 words of a seed.
pub fn phrase_from_seed(seed: &[u8; 32]) -> String {
    Mnemonic::from_entropy_in(Language::English, seed).expect("32 bytes is a valid BIP-39 entropy length").to_string()
}

/// The seed a phrase encodes. Letter case and spacing do not matter; a wrong word count, a word
/// not in the list or words that do not fit together (the checksum) are refused by name.
pub fn seed_from_phrase(text: &str) -> anyhow::Result<[u8; 32]> {
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    if words.len() != WORDS {
        bail!("a recovery phrase has {WORDS} words; this has {}", words.len());
    }
    let mnemonic = Mnemonic::parse_in_normalized(Language::English, &words.join(" ")).map_err(|e| match e {
        Bip39Error::UnknownWord(i) => {
            anyhow::anyhow!("word {} ({:?}) is not in the recovery phrase's word list", i + 1, words[i])
        }
        Bip39Error::InvalidChecksum => {
            anyhow::anyhow!("the words do not fit together: one is wrong or out of order")
        }
        other => anyhow::anyhow!("not a recovery phrase: {other}"),
    })?;
    let (entropy, len) = mnemonic.to_entropy_array();
    if len != 32 {
        bail!("a recovery phrase has {WORDS} words");
    }
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&entropy[..32]);
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::PrivateKeySigner;
    use pramana_core::envelope::Identity;

    fn public(seed: &[u8; 32]) -> (String, String) {
        let s = secrets_from_seed(seed);
        let identity = Identity::from_secret_bytes(&s.x25519).unwrap();
        let signer = PrivateKeySigner::from_slice(&s.secp256k1).unwrap();
        (hex::encode(identity.recipient().0), signer.address().to_checksum(None))
    }

    #[test]
    fn a_phrase_round_trips_and_refuses_what_is_not_one() {
        let seed: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
        let phrase = phrase_from_seed(&seed);
        assert_eq!(phrase.split(' ').count(), WORDS);
        assert_eq!(seed_from_phrase(&phrase).unwrap(), seed);
        // Case and spacing do not matter.
        assert_eq!(seed_from_phrase(&format!("  {}\n", phrase.to_uppercase().replace(' ', "   "))).unwrap(), seed);
        let words: Vec<&str> = phrase.split(' ').collect();
        let short = words[..23].join(" ");
        assert!(seed_from_phrase(&short).unwrap_err().to_string().contains("has 23"));
        let mut unknown = words.clone();
        unknown[4] = "pramana";
        assert!(seed_from_phrase(&unknown.join(" ")).unwrap_err().to_string().contains("word 5"));
        let mut swapped = words.clone();
        swapped.swap(0, 1);
        if swapped != words {
            assert!(seed_from_phrase(&swapped.join(" ")).unwrap_err().to_string().contains("do not fit"));
        }
    }

    /// The vectors the portal's port (web/src/crypto/phrase.ts) checks itself against.
    /// `PRAMANA_WRITE_VECTORS=1` rewrites them.
    #[test]
    fn committed_vectors() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/recovery-phrase-vectors.json");
        let seeds: Vec<[u8; 32]> = vec![
            [0u8; 32],
            [0xff; 32],
            std::array::from_fn(|i| i as u8 + 1),
            std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11)),
        ];
        let vectors: Vec<serde_json::Value> = seeds
            .iter()
            .map(|seed| {
                let (x25519_public, eth_address) = public(seed);
                serde_json::json!({
                    "seed": hex::encode(seed),
                    "phrase": phrase_from_seed(seed),
                    "x25519_public": x25519_public,
                    "eth_address": eth_address,
                })
            })
            .collect();
        let file = serde_json::json!({ "vectors": vectors });
        if std::env::var_os("PRAMANA_WRITE_VECTORS").is_some() {
            std::fs::write(path, serde_json::to_string_pretty(&file).unwrap() + "\n").unwrap();
            return;
        }
        let committed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(file, committed);
    }
}
