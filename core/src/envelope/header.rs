//! The envelope header's byte format: parsing (no keys needed, for the server) and encoding.

use std::io::Read;

use super::CryptoError;

/// `"PRMENV"`, then the version byte and a reserved zero byte.
pub const MAGIC: &[u8; 6] = b"PRMENV";
/// Format version.
pub const VERSION: u8 = 1;
/// Plaintext bytes per payload chunk (the only value version 1 accepts).
pub const CHUNK_SIZE: usize = 64 * 1024;
/// Ciphertext bytes per full chunk (plaintext plus the 16-byte GCM tag).
pub const CHUNK_CT_SIZE: usize = CHUNK_SIZE + TAG_LEN;
/// AES-GCM tag length.
pub const TAG_LEN: usize = 16;
/// Most recipients one envelope may carry.
pub const MAX_STANZAS: usize = 64;
/// Bytes before the stanzas: magic 6, version 1, reserved 1, document id 16, chunk size 4,
/// payload nonce 16, stanza count 2.
pub const FIXED_LEN: usize = 46;
/// Bytes per stanza: type 1, key id 16, HPKE encapsulated key 32, wrapped data key 48.
pub const STANZA_LEN: usize = 97;
/// Header MAC length (HMAC-SHA256).
pub const MAC_LEN: usize = 32;
/// Stanza type 1: RFC 9180 HPKE base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM.
pub const STANZA_HPKE_X25519: u8 = 1;

/// One recipient's copy of the data key, wrapped to their X25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stanza {
    /// First 16 bytes of SHA-256 of the recipient's public key.
    pub key_id: [u8; 16],
    /// HPKE encapsulated key (the ephemeral X25519 public key).
    pub enc: [u8; 32],
    /// HPKE ciphertext of the 32-byte data key (with its 16-byte tag).
    pub wrapped: [u8; 48],
}

/// A parsed header. Its MAC can only be checked by a key holder (see `super::open`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The document id the envelope is bound to.
    pub doc_id: [u8; 16],
    /// Random per-envelope nonce; the salt of the key schedule.
    pub nonce: [u8; 16],
    /// Recipients, in order.
    pub stanzas: Vec<Stanza>,
    /// HMAC-SHA256 over every header byte before it.
    pub mac: [u8; 32],
}

impl Header {
    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        FIXED_LEN + STANZA_LEN * self.stanzas.len() + MAC_LEN
    }

    /// Never true: a header has a fixed part.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes the MAC covers (everything but the MAC).
    pub fn authenticated_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(0);
        out.extend_from_slice(&self.doc_id);
        out.extend_from_slice(&(CHUNK_SIZE as u32).to_be_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&(self.stanzas.len() as u16).to_be_bytes());
        for s in &self.stanzas {
            out.push(STANZA_HPKE_X25519);
            out.extend_from_slice(&s.key_id);
            out.extend_from_slice(&s.enc);
            out.extend_from_slice(&s.wrapped);
        }
        out
    }

    /// The full encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.authenticated_bytes();
        out.extend_from_slice(&self.mac);
        out
    }

    /// True when `self` is `old` with exactly one stanza added (for `key_id`) and nothing else
    /// changed but the MAC: what the server checks when a patient grants access, since it cannot
    /// check the MAC itself.
    pub fn only_adds(&self, old: &Header, key_id: &[u8; 16]) -> bool {
        self.doc_id == old.doc_id
            && self.nonce == old.nonce
            && self.stanzas.len() == old.stanzas.len() + 1
            && self.stanzas[..old.stanzas.len()] == old.stanzas[..]
            && self.stanzas.last().is_some_and(|s| s.key_id == *key_id)
    }

    /// True when `self` is `old` without the stanza for `key_id` and nothing else changed but
    /// the MAC: what the server checks when a patient's device drops a recipient.
    pub fn only_removes(&self, old: &Header, key_id: &[u8; 16]) -> bool {
        let kept: Vec<&Stanza> = old.stanzas.iter().filter(|s| &s.key_id != key_id).collect();
        self.doc_id == old.doc_id
            && self.nonce == old.nonce
            && kept.len() + 1 == old.stanzas.len()
            && self.stanzas.iter().eq(kept)
    }

    /// Reads exactly one header from `r`, checking its structure (not its MAC).
    pub fn read_from(r: &mut impl Read) -> Result<Self, CryptoError> {
        let mut fixed = [0u8; FIXED_LEN];
        read_exact_or_malformed(r, &mut fixed)?;
        if &fixed[..6] != MAGIC {
            return Err(CryptoError::Malformed("not a Pramana envelope"));
        }
        if fixed[6] != VERSION || fixed[7] != 0 {
            return Err(CryptoError::Malformed("unsupported envelope version"));
        }
        let doc_id: [u8; 16] = take(&fixed[8..24]);
        if u32::from_be_bytes(take(&fixed[24..28])) as usize != CHUNK_SIZE {
            return Err(CryptoError::Malformed("unsupported chunk size"));
        }
        let nonce: [u8; 16] = take(&fixed[28..44]);
        let n = u16::from_be_bytes(take(&fixed[44..46])) as usize;
        if n == 0 || n > MAX_STANZAS {
            return Err(CryptoError::Malformed("stanza count out of range"));
        }
        let mut stanzas = Vec::with_capacity(n);
        for _ in 0..n {
            let mut raw = [0u8; STANZA_LEN];
            read_exact_or_malformed(r, &mut raw)?;
            if raw[0] != STANZA_HPKE_X25519 {
                return Err(CryptoError::Malformed("unknown stanza type"));
            }
            let stanza = Stanza { key_id: take(&raw[1..17]), enc: take(&raw[17..49]), wrapped: take(&raw[49..97]) };
            if stanzas.iter().any(|s: &Stanza| s.key_id == stanza.key_id) {
                return Err(CryptoError::Malformed("duplicate recipient"));
            }
            stanzas.push(stanza);
        }
        let mut mac = [0u8; MAC_LEN];
        read_exact_or_malformed(r, &mut mac)?;
        Ok(Self { doc_id, nonce, stanzas, mac })
    }

    /// Parses a header at the start of `bytes`; returns it and its length.
    pub fn parse(bytes: &[u8]) -> Result<(Self, usize), CryptoError> {
        let mut cursor = bytes;
        let header = Self::read_from(&mut cursor)?;
        let len = header.len();
        Ok((header, len))
    }

    /// The stanza for `key_id`, if any.
    pub fn stanza(&self, key_id: &[u8; 16]) -> Option<&Stanza> {
        self.stanzas.iter().find(|s| &s.key_id == key_id)
    }
}

/// The plaintext length that a payload of `payload_len` bytes carries, or `None` if no
/// well-formed payload has that length. Lets the server check framing without keys.
pub fn plaintext_len(payload_len: u64) -> Option<u64> {
    let full = CHUNK_CT_SIZE as u64;
    let (q, r) = (payload_len / full, payload_len % full);
    match r {
        0 if q > 0 => Some(q * CHUNK_SIZE as u64),
        16 if q == 0 => Some(0),
        r if r > 16 => Some(q * CHUNK_SIZE as u64 + r - 16),
        _ => None,
    }
}

/// The payload length for a plaintext of `plaintext_len` bytes.
pub fn payload_len(plaintext_len: u64) -> u64 {
    let chunks = plaintext_len.div_ceil(CHUNK_SIZE as u64).max(1);
    plaintext_len + chunks * TAG_LEN as u64
}

fn take<const N: usize>(s: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(s);
    out
}

fn read_exact_or_malformed(r: &mut impl Read, buf: &mut [u8]) -> Result<(), CryptoError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => CryptoError::Malformed("header is truncated"),
        _ => CryptoError::Io(e),
    })
}
