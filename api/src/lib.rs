//! Pramana's HTTP API (axum): identities, sessions, keys and the audit log, with the
//! configuration, store and telemetry that the anchor worker reuses.
//!
//! Request path: `routes::<resource>::<resource>_<verb>` → a service function (`auth::service`)
//! → `store::<table>` (all SQL). Only `routes`, `error` and `app` know axum and status codes.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod routes;
pub mod storage;
pub mod store;
pub mod telemetry;
pub mod webhooks;

pub use app::{AppState, Application};
pub use config::Settings;
