//! The local keystore: an X25519 identity (decrypts documents) and a secp256k1 key (signs
//! consents), encrypted under a passphrase with Argon2id + AES-256-GCM. Public halves are kept
//! in the clear so that `identity show` and uploads need no passphrase.

use std::path::Path;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context as _, bail};
use argon2::{Algorithm, Argon2, Params, Version};
use pramana_core::envelope::{EnvelopeRng, Identity, os_rng};
use serde::{Deserialize, Serialize};

use crate::phrase;

/// The keystore file.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeystoreFile {
    /// Format version (1).
    pub version: u32,
    /// X25519 public key (hex): documents are encrypted to it.
    pub x25519_public: String,
    /// Ethereum address (EIP-55): signs consents.
    pub eth_address: String,
    /// Argon2id parameters and salt.
    pub kdf: Kdf,
    /// AES-256-GCM nonce (hex).
    pub nonce: String,
    /// AES-256-GCM ciphertext with tag (hex) of the two 32-byte secrets.
    pub ciphertext: String,
    /// The Ethereum addresses (EIP-55) that signed for this account before `eth_address`,
    /// oldest first, carried over by `identity rotate` from the keystore it unlocked: grants
    /// they signed are still the patient's own (`grants::signed_by_me`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_signers: Vec<String>,
}

impl KeystoreFile {
    /// Every key that signs or signed for this account: this keystore's and those before it.
    pub fn own_signers(&self) -> anyhow::Result<Vec<alloy::primitives::Address>> {
        std::iter::once(&self.eth_address)
            .chain(&self.previous_signers)
            .map(|a| a.parse().with_context(|| format!("the keystore's address {a} does not parse")))
            .collect()
    }
}

/// Argon2id parameters.
#[derive(Debug, Serialize, Deserialize)]
pub struct Kdf {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Parallelism.
    pub p: u32,
    /// Salt (hex).
    pub salt: String,
}

/// Unlocked keys.
#[derive(Debug)]
pub struct Keys {
    /// Decrypts documents.
    pub identity: Identity,
    /// Signs consents.
    pub signer: PrivateKeySigner,
}

fn derive(passphrase: &str, kdf: &Kdf) -> anyhow::Result<Aes256Gcm> {
    let salt = hex::decode(&kdf.salt)?;
    let params = Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32)).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(Aes256Gcm::new(&key.into()))
}

/// Creates a new keystore at `path` (refusing to overwrite one), with keys derived from a new
/// recovery phrase (crate::phrase). Returns the file and the phrase, to write down now.
pub fn create(path: &Path, passphrase: &str) -> anyhow::Result<(KeystoreFile, String)> {
    let mut seed = [0u8; 32];
    hpke_fill(&mut os_rng(), &mut seed);
    let file = create_with(path, passphrase, &phrase::secrets_from_seed(&seed))?;
    Ok((file, phrase::phrase_from_seed(&seed)))
}

/// Creates a keystore at `path` (refusing to overwrite one) from a recovery phrase's keys.
pub fn restore(path: &Path, passphrase: &str, words: &str) -> anyhow::Result<KeystoreFile> {
    let seed = phrase::seed_from_phrase(words)?;
    create_with(path, passphrase, &phrase::secrets_from_seed(&seed))
}

fn create_with(path: &Path, passphrase: &str, secrets_in: &phrase::Secrets) -> anyhow::Result<KeystoreFile> {
    if path.exists() {
        bail!("a keystore already exists at {}", path.display());
    }
    if passphrase.chars().count() < 12 {
        bail!("the passphrase must be at least 12 characters");
    }
    let mut rng = os_rng();
    let identity =
        Identity::from_secret_bytes(&secrets_in.x25519).map_err(|_| anyhow::anyhow!("not an X25519 secret"))?;
    let signer = PrivateKeySigner::from_slice(&secrets_in.secp256k1).context("not a secp256k1 secret")?;
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    hpke_fill(&mut rng, &mut salt);
    hpke_fill(&mut rng, &mut nonce);
    // 32 MiB keeps the client under 64 MiB peak while it streams a download.
    let kdf = Kdf { m_kib: 32768, t: 3, p: 1, salt: hex::encode(salt) };
    let cipher = derive(passphrase, &kdf)?;
    let mut secrets = [0u8; 64];
    secrets[..32].copy_from_slice(&identity.secret_bytes());
    secrets[32..].copy_from_slice(&signer.to_bytes()[..]);
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), b"pramana-keystore-v1", (&mut secrets[..]).into())
        .map_err(|_| anyhow::anyhow!("encrypting the keystore failed"))?;
    let mut ct = secrets.to_vec();
    ct.extend_from_slice(&tag);
    let file = KeystoreFile {
        version: 1,
        x25519_public: hex::encode(identity.recipient().0),
        eth_address: signer.address().to_checksum(None),
        kdf,
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(ct),
        previous_signers: Vec::new(),
    };
    save(path, &file)?;
    Ok(file)
}

/// Writes `file` to `path` (owner-only), replacing what is there.
pub fn save(path: &Path, file: &KeystoreFile) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::ctx::write_private(path, serde_json::to_string_pretty(file)?.as_bytes())
}

fn hpke_fill(rng: &mut impl EnvelopeRng, buf: &mut [u8]) {
    rng.fill_bytes(buf);
}

/// Reads the public part.
pub fn load(path: &Path) -> anyhow::Result<KeystoreFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("no keystore at {} (run `pramana identity create`)", path.display()))?;
    let file: KeystoreFile = serde_json::from_str(&text).context("keystore is not valid")?;
    if file.version != 1 {
        bail!("unsupported keystore version {}", file.version);
    }
    Ok(file)
}

/// Decrypts the secrets with the passphrase.
pub fn unlock(file: &KeystoreFile, passphrase: &str) -> anyhow::Result<Keys> {
    let cipher = derive(passphrase, &file.kdf)?;
    let ct = hex::decode(&file.ciphertext)?;
    let nonce: [u8; 12] = hex::decode(&file.nonce)?.try_into().map_err(|_| anyhow::anyhow!("bad keystore nonce"))?;
    if ct.len() != 64 + 16 {
        bail!("keystore is not valid");
    }
    let mut secrets = [0u8; 64];
    secrets.copy_from_slice(&ct[..64]);
    let tag = Tag::try_from(&ct[64..]).map_err(|_| anyhow::anyhow!("keystore is not valid"))?;
    cipher
        .decrypt_inout_detached(&Nonce::from(nonce), b"pramana-keystore-v1", (&mut secrets[..]).into(), &tag)
        .map_err(|_| anyhow::anyhow!("wrong passphrase"))?;
    let x: [u8; 32] = secrets[..32].try_into()?;
    let identity = Identity::from_secret_bytes(&x).map_err(|_| anyhow::anyhow!("keystore is not valid"))?;
    let signer = PrivateKeySigner::from_slice(&secrets[32..]).context("keystore is not valid")?;
    Ok(Keys { identity, signer })
}
