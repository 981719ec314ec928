//! The end-to-end encryption envelope (format in docs/envelope.md).
//!
//! A fresh 32-byte data key per document. The payload is AES-256-GCM in 64 KiB chunks with a
//! STREAM nonce (64-bit chunk counter ‖ last-chunk flag), so truncation, reordering and
//! extension are detected and any size streams in constant memory. Each key holder gets a
//! stanza: the data key wrapped with RFC 9180 HPKE (base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, AES-256-GCM). An HMAC-SHA256 over the whole header, keyed from the data key,
//! binds stanzas and parameters; the document id is bound into every key derivation.
//!
//! Sealing also computes, in the same pass, the SHA-256 of the plaintext, a random salt, the
//! salted commitment and Merkle leaf (`commitment`) and the SHA-256 of the payload ciphertext.
//! [`seal`] and [`open`] work over any `Read` / `Write`; [`Sealer`] (a `Write`) and [`Opener`]
//! (a `Read`) stream both ways. Memory is constant: one chunk buffer.

mod header;
pub mod staff_keys;
mod stream;

use std::io::{Read, Write};

use aes_gcm::aead::KeyInit;
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::rand_core::CryptoRng;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use header::{
    CHUNK_CT_SIZE, CHUNK_SIZE, FIXED_LEN, Header, MAC_LEN, MAGIC, MAX_STANZAS, STANZA_HPKE_X25519, STANZA_LEN, Stanza,
    TAG_LEN, VERSION, payload_len, plaintext_len,
};
pub use stream::{Opener, Sealer};

use crate::commitment::DocumentCommitment;

/// The random-number traits the envelope API takes (rand_core 0.10, as `hpke` uses).
pub use hpke::rand_core::{CryptoRng as EnvelopeRng, Rng as EnvelopeRngExt};

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The bytes are not a well-formed envelope header (returned by parsing, which needs no key).
    #[error("malformed envelope: {0}")]
    Malformed(&'static str),
    /// Decryption failed: wrong key, not a recipient, or tampered, truncated, reordered or
    /// extended data. Deliberately one opaque error, whatever the cause.
    #[error("decryption failed")]
    Decrypt,
    /// Sealing or re-wrapping refused the recipients: the list is empty, over `MAX_STANZAS` or
    /// repeats a key; a key is not a usable X25519 key; the key is already (or is not) a
    /// recipient; or the last stanza would be removed.
    #[error("recipients: {0}")]
    Recipients(&'static str),
    /// Reading the input or writing the output failed (or a `Sealer` is used after such a
    /// failure).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// `Result` with [`CryptoError`].
pub type Result<T, E = CryptoError> = std::result::Result<T, E>;

type PrivateKey = <X25519HkdfSha256 as hpke::Kem>::PrivateKey;
type PublicKey = <X25519HkdfSha256 as hpke::Kem>::PublicKey;
type EncappedKey = <X25519HkdfSha256 as hpke::Kem>::EncappedKey;

const STANZA_INFO: &[u8] = b"pramana/envelope/v1/stanza";
const PAYLOAD_INFO: &[u8] = b"pramana/envelope/v1/payload";
const MAC_INFO: &[u8] = b"pramana/envelope/v1/header-mac";

/// The system's cryptographic random number generator.
pub fn os_rng() -> impl CryptoRng {
    hpke::rand_core::UnwrapErr(getrandom::SysRng)
}

/// A key holder's X25519 key pair (kept on the holder's device only).
#[derive(Clone)]
pub struct Identity {
    sk: PrivateKey,
    pk: PublicKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity").field("recipient", &self.recipient()).finish_non_exhaustive()
    }
}

impl Identity {
    /// A new random identity.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let (sk, pk) = X25519HkdfSha256::gen_keypair_with_rng(rng);
        Self { sk, pk }
    }

    /// Restores an identity from its 32-byte secret.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Result<Self> {
        let sk = PrivateKey::from_bytes(secret).map_err(|_| CryptoError::Decrypt)?;
        let pk = X25519HkdfSha256::sk_to_pk(&sk);
        Ok(Self { sk, pk })
    }

    /// The 32-byte secret (for the client's encrypted keystore only).
    pub fn secret_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.sk.to_bytes());
        out
    }

    /// The public half, to encrypt to.
    pub fn recipient(&self) -> Recipient {
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&self.pk.to_bytes());
        Recipient(pk)
    }
}

/// An X25519 public key that documents can be encrypted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Recipient(pub [u8; 32]);

impl Recipient {
    /// First 16 bytes of SHA-256 of the public key: names the recipient's stanza.
    pub fn key_id(&self) -> [u8; 16] {
        let h = Sha256::digest(self.0);
        let mut out = [0u8; 16];
        out.copy_from_slice(&h[..16]);
        out
    }
}

impl From<crate::X25519PublicKey> for Recipient {
    fn from(k: crate::X25519PublicKey) -> Self {
        Self(k.0)
    }
}

/// What sealing produced besides the bytes written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealOutput {
    /// The header (also written first to the output).
    pub header: Header,
    /// Plaintext bytes read.
    pub plaintext_len: u64,
    /// Payload bytes written after the header.
    pub payload_len: u64,
    /// SHA-256 of the plaintext (what a hospital recomputes with `sha256sum`).
    pub plaintext_sha256: [u8; 32],
    /// SHA-256 of the payload ciphertext (storage integrity).
    pub payload_sha256: [u8; 32],
    /// Random salt of the commitment.
    pub salt: [u8; 32],
    /// The salted commitment `keccak256(salt ‖ plaintext_sha256)`.
    pub commitment: [u8; 32],
    /// The Merkle leaf `keccak256(commitment)` = `keccak256(keccak256(salt ‖ plaintext_sha256))`.
    pub leaf: [u8; 32],
}

impl SealOutput {
    /// The digest, salt, commitment and leaf together.
    pub fn document_commitment(&self) -> DocumentCommitment {
        DocumentCommitment {
            sha256: self.plaintext_sha256,
            salt: self.salt,
            commitment: self.commitment,
            leaf: self.leaf,
        }
    }
}

/// What opening produced besides the plaintext written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOutput {
    /// Plaintext bytes written.
    pub plaintext_len: u64,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: [u8; 32],
}

/// Keys derived from the data key for one envelope.
struct Keys {
    payload: Aes256Gcm,
    mac: Zeroizing<[u8; 32]>,
}

impl Keys {
    fn derive(data_key: &[u8; 32], nonce: &[u8; 16], doc_id: &[u8; 16]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(nonce), data_key);
        let mut payload = Zeroizing::new([0u8; 32]);
        let mut mac = Zeroizing::new([0u8; 32]);
        hk.expand_multi_info(&[PAYLOAD_INFO, doc_id], payload.as_mut()).expect("32 bytes is a valid HKDF length");
        hk.expand_multi_info(&[MAC_INFO, doc_id], mac.as_mut()).expect("32 bytes is a valid HKDF length");
        let payload: &[u8; 32] = &payload;
        Self { payload: Aes256Gcm::new(payload.into()), mac }
    }

    fn header_mac(&self, header: &Header) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(self.mac.as_ref()).expect("HMAC takes any key length");
        m.update(&header.authenticated_bytes());
        m.finalize().into_bytes().into()
    }

    fn check_mac(&self, header: &Header) -> Result<()> {
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(self.mac.as_ref()).expect("HMAC takes any key length");
        m.update(&header.authenticated_bytes());
        m.verify_slice(&header.mac).map_err(|_| CryptoError::Decrypt)
    }
}

fn chunk_nonce(counter: u64, last: bool) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n.into()
}

fn stanza_info(doc_id: &[u8; 16]) -> Vec<u8> {
    [STANZA_INFO, doc_id].concat()
}

fn wrap(data_key: &[u8; 32], doc_id: &[u8; 16], to: &Recipient, rng: &mut impl CryptoRng) -> Result<Stanza> {
    let pk = PublicKey::from_bytes(&to.0).map_err(|_| CryptoError::Recipients("not an X25519 public key"))?;
    let key_id = to.key_id();
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &pk,
        &stanza_info(doc_id),
        data_key,
        &key_id,
        rng,
    )
    .map_err(|_| CryptoError::Recipients("cannot encrypt to this key (low-order point?)"))?;
    let mut stanza = Stanza { key_id, enc: [0; 32], wrapped: [0; 48] };
    stanza.enc.copy_from_slice(&enc.to_bytes());
    stanza.wrapped.copy_from_slice(&ct);
    Ok(stanza)
}

/// Finds the identity's stanza, unwraps the data key and checks the header MAC.
fn unlock(header: &Header, identity: &Identity) -> Result<(Zeroizing<[u8; 32]>, Keys)> {
    let key_id = identity.recipient().key_id();
    let stanza = header.stanza(&key_id).ok_or(CryptoError::Decrypt)?;
    let enc = EncappedKey::from_bytes(&stanza.enc).map_err(|_| CryptoError::Decrypt)?;
    let pt = hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &identity.sk,
        &enc,
        &stanza_info(&header.doc_id),
        &stanza.wrapped,
        &key_id,
    )
    .map_err(|_| CryptoError::Decrypt)?;
    let pt = Zeroizing::new(pt);
    let data_key: Zeroizing<[u8; 32]> = Zeroizing::new(pt.as_slice().try_into().map_err(|_| CryptoError::Decrypt)?);
    let keys = Keys::derive(&data_key, &header.nonce, &header.doc_id);
    keys.check_mac(header)?;
    Ok((data_key, keys))
}

fn check_recipients(recipients: &[Recipient]) -> Result<()> {
    if recipients.is_empty() {
        return Err(CryptoError::Recipients("at least one recipient is needed"));
    }
    if recipients.len() > MAX_STANZAS {
        return Err(CryptoError::Recipients("too many recipients"));
    }
    let mut ids: Vec<[u8; 16]> = recipients.iter().map(Recipient::key_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != recipients.len() {
        return Err(CryptoError::Recipients("a recipient is listed twice"));
    }
    Ok(())
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Encrypts `input` for `recipients`, writing `header ‖ payload` to `output`, and returns the
/// lengths, the plaintext and payload SHA-256 and the salted commitment, all from the same pass.
/// Random draws: data key (32 bytes), payload nonce (16), salt (32), then one HPKE ephemeral key
/// per recipient.
pub fn seal(
    doc_id: &[u8; 16],
    recipients: &[Recipient],
    rng: &mut impl CryptoRng,
    input: impl Read,
    output: impl Write,
) -> Result<SealOutput> {
    let mut sealer = Sealer::new(doc_id, recipients, rng, output)?;
    sealer.copy_from(input)?;
    sealer.finish()
}

/// Decrypts `header ‖ payload` from `input` with `identity`, writing the plaintext to `output`.
/// `doc_id` must be the id the envelope was sealed for.
///
/// Plaintext is written chunk by chunk as each authenticates; on error, discard what was
/// written (a truncated file fails only at its end).
pub fn open(doc_id: &[u8; 16], identity: &Identity, input: impl Read, mut output: impl Write) -> Result<OpenOutput> {
    let mut opener = Opener::new(doc_id, identity, input)?;
    while let Some(chunk) = opener.next_chunk()? {
        output.write_all(chunk)?;
    }
    output.flush()?;
    opener.finish()
}

/// Adds a stanza for `new` (a key holder granting access), re-computing the MAC.
pub fn add_recipient(
    header: &Header,
    identity: &Identity,
    new: &Recipient,
    rng: &mut impl CryptoRng,
) -> Result<Header> {
    let (data_key, keys) = unlock(header, identity)?;
    if header.stanza(&new.key_id()).is_some() {
        return Err(CryptoError::Recipients("already a recipient"));
    }
    if header.stanzas.len() >= MAX_STANZAS {
        return Err(CryptoError::Recipients("too many recipients"));
    }
    let mut out = header.clone();
    out.stanzas.push(wrap(&data_key, &header.doc_id, new, rng)?);
    out.mac = keys.header_mac(&out);
    Ok(out)
}

/// Removes the stanza for `key_id` (revocation), re-computing the MAC. The last stanza cannot
/// be removed.
pub fn remove_recipient(header: &Header, identity: &Identity, key_id: &[u8; 16]) -> Result<Header> {
    let (_, keys) = unlock(header, identity)?;
    if header.stanza(key_id).is_none() {
        return Err(CryptoError::Recipients("not a recipient"));
    }
    if header.stanzas.len() == 1 {
        return Err(CryptoError::Recipients("the last recipient cannot be removed"));
    }
    let mut out = header.clone();
    out.stanzas.retain(|s| &s.key_id != key_id);
    out.mac = keys.header_mac(&out);
    Ok(out)
}

/// Checks that `identity` can open `header`: it has the identity's stanza, the stanza unwraps,
/// and the MAC verifies. What a key holder's device runs before sending a header to the server,
/// which cannot check the MAC itself. Any failure is the one opaque `CryptoError::Decrypt`.
pub fn verify_header(header: &Header, identity: &Identity) -> Result<()> {
    unlock(header, identity).map(drop)
}

#[cfg(test)]
mod tests;
