//! Pramana's shared library: validated domain types used by the API, the anchor worker and the
//! `pramana` client. Everything here is pure (no I/O), so it is safe to use on a patient's device.

pub mod abha;
pub mod chain;
pub mod cid;
pub mod consent;
pub mod envelope;
pub mod error;
pub mod facility;
pub mod ids;
pub mod keys;
pub mod merkle;

pub use abha::{AbhaAddress, AbhaNumber};
pub use consent::{AccessMode, ConsentStatus, HiType, Purpose};
pub use error::ValidationError;
pub use facility::HfrId;
pub use ids::{AuditorId, DocumentId, HospitalId, PatientId, SessionId};
pub use keys::{EthAddress, X25519PublicKey};
