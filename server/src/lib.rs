//! What the API and the anchor worker share: configuration, the store (all SQL), telemetry, the
//! shutdown signal and the consent-webhook domain (the outbox the API writes and the worker
//! delivers). No HTTP server framework and no password hashing live here, so the worker's
//! build stays free of them.

pub mod config;
pub mod notifications;
pub mod shutdown;
pub mod store;
pub mod telemetry;
pub mod webhooks;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

pub use config::Settings;
pub use shutdown::shutdown_signal;

/// A random secret for generated credentials (hospital API secrets, auditor passwords, webhook
/// signing secrets): 32 bytes from the OS, URL-safe base64, after `prefix`.
pub fn new_secret(prefix: &str) -> String {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(raw))
}
