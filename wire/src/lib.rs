//! The request and response bodies of Pramana's `/v1` HTTP API, and nothing else: serde types
//! shared by the server (`pramana-api`, which derives their OpenAPI schemas with the `openapi`
//! feature), the client (`pramana-client`) and the tests, so the JSON on the wire is declared once.
//!
//! Fields stay the plain JSON shapes the server accepts (strings for codes and hex); the server
//! parses them into `pramana_core`'s validated types and answers `invalid_<field>` otherwise.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod caregivers;
pub mod chain;
pub mod consents;
pub mod devices;
pub mod documents;
pub mod error;
pub mod guardians;
pub mod health;
pub mod keys;
pub mod links;
pub mod notifications;
pub mod patients;
pub mod staff;
pub mod webhooks;

pub use accounts::*;
pub use audit::*;
pub use auth::*;
pub use caregivers::*;
pub use chain::*;
pub use consents::*;
pub use devices::*;
pub use documents::*;
pub use error::*;
pub use guardians::*;
pub use health::*;
pub use keys::*;
pub use links::*;
pub use notifications::*;
pub use patients::*;
pub use staff::*;
pub use webhooks::*;
