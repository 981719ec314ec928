//! Pramana's HTTP API (axum): identities, sessions, keys, documents, consents and the audit log.
//!
//! Request path: `routes::<resource>::<resource>_<verb>` → a service function (`service::*`,
//! `auth::service`) → `pramana_server::store::<table>` (all SQL). Configuration, the store,
//! telemetry and the webhook outbox live in `pramana-server`, which the anchor worker shares.

pub mod abdm;
pub mod app;
pub mod auth;
pub mod error;
pub mod password;
pub mod rate_limit;
pub mod routes;
pub mod service;
pub mod state;
pub mod storage;
pub mod tokens;
pub mod views;
pub mod web;

pub use app::Application;
pub use pramana_server::Settings;
pub use state::AppState;
