//! `AppState`: what every handler shares — the pool, settings, token service, password hasher,
//! the rate limiters, the metrics handle, the configured contract, the blob store and the
//! staged bytes of resumable uploads.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use pramana_core::EthAddress;
use pramana_server::config::Settings;
use pramana_server::store::second_factor::SecretSeal;
use pramana_server::telemetry;
use sqlx::PgPool;

use crate::abdm::AbhaOtpVerifier;
use crate::password::PasswordHasher;
use crate::rate_limit::Limiters;
use crate::storage::{BlobStore, ResumableFiles};
use crate::tokens::TokenService;

/// Shared, cheaply clonable state for handlers.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Postgres pool.
    pub pool: PgPool,
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// Access-token issuer and verifier.
    pub tokens: Arc<TokenService>,
    /// Argon2id hasher.
    pub hasher: Arc<PasswordHasher>,
    /// The rate limiters (per account, client IP and subject).
    pub limiters: Arc<Limiters>,
    /// Prometheus exposition.
    pub metrics: PrometheusHandle,
    /// The ConsentRegistry address, from configuration or the deploy script's record.
    pub contract: Option<EthAddress>,
    /// Where payloads are stored.
    pub storage: Arc<dyn BlobStore>,
    /// Resumable uploads' staged bytes (`<storage.local_dir>/resumable`).
    pub resumable: Arc<ResumableFiles>,
    /// ABDM's ABHA verification, when `[abdm] enabled`.
    pub abdm: Option<Arc<dyn AbhaOtpVerifier>>,
    /// Seals TOTP secrets at rest.
    pub totp_seal: Arc<SecretSeal>,
    /// The WebAuthn relying party for passkeys (`auth.passkey_origin`).
    pub webauthn: Arc<webauthn_rs::Webauthn>,
}

impl AppState {
    /// Builds state from settings and a pool.
    pub fn new(
        settings: Settings,
        pool: PgPool,
        storage: Arc<dyn BlobStore>,
        resumable: Arc<ResumableFiles>,
    ) -> anyhow::Result<Self> {
        let auth = &settings.auth;
        Ok(Self {
            tokens: Arc::new(TokenService::new(auth)),
            hasher: Arc::new(PasswordHasher::new(auth.argon2_memory_kib, auth.argon2_iterations)?),
            limiters: Arc::new(Limiters::new(&settings.rate_limit)),
            metrics: telemetry::metrics_handle(),
            contract: settings.chain.resolve_contract()?,
            abdm: crate::abdm::from_settings(&settings.abdm)?,
            totp_seal: Arc::new(SecretSeal::from_settings(auth)),
            webauthn: Arc::new(crate::auth::passkeys::webauthn_from_settings(auth)?),
            storage,
            resumable,
            pool,
            settings: Arc::new(settings),
        })
    }

    /// Refresh-token lifetime in seconds.
    pub fn refresh_ttl_secs(&self) -> i64 {
        i64::try_from(self.settings.auth.refresh_token_ttl_secs).unwrap_or(i64::MAX / 2)
    }
}
