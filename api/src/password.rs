//! Argon2id password and API-secret hashing, off the async runtime.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Hashes and verifies secrets with fixed Argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A real hash of a random secret, verified against when a login names no account, so the
    /// response time does not reveal whether the account exists.
    dummy_hash: String,
}

impl PasswordHasher {
    /// Builds a hasher with `memory_kib` and `iterations` (parallelism 1).
    pub fn new(memory_kib: u32, iterations: u32) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
        let mut hasher = Self { params, dummy_hash: String::new() };
        hasher.dummy_hash = hasher.hash_blocking("pramana-dummy-secret")?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, secret: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        Ok(self
            .argon2()
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?
            .to_string())
    }

    /// Hashes a secret into a PHC string.
    pub async fn hash(&self, secret: String) -> anyhow::Result<String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&secret)).await?
    }

    /// Checks `secret` against `hash`, or against the dummy hash when `hash` is `None`
    /// (always false then). Malformed stored hashes verify as false.
    pub async fn verify(&self, secret: String, hash: Option<String>) -> anyhow::Result<bool> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let known = hash.is_some();
            let stored = hash.unwrap_or_else(|| this.dummy_hash.clone());
            let ok = PasswordHash::new(&stored)
                .map(|parsed| this.argon2().verify_password(secret.as_bytes(), &parsed).is_ok())
                .unwrap_or(false);
            ok && known
        })
        .await
        .map_err(Into::into)
    }
}
