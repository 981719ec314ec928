//! Pramana's shared library: validated domain types used by the API, the anchor worker and the
//! `pramana` client. Everything here is pure (no I/O), so it is safe to use on a patient's device.

/// Implements `Serialize` (through `Display`) and `Deserialize` (through `parse`, so invalid
/// input is refused while deserialising) for a validated string type.
macro_rules! serde_via_parse {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

pub mod abha;
pub mod auditlog;
pub mod chain;
pub mod cid;
pub mod commitment;
pub mod consent;
pub mod envelope;
pub mod error;
pub mod export;
pub mod facility;
pub mod ids;
pub mod keys;
pub mod merkle;
pub mod pairing;
pub mod proof;
pub mod role;

pub use abha::{AbhaAddress, AbhaNumber};
pub use consent::{AccessMode, ConsentStatus, HiType, Purpose};
pub use error::ValidationError;
pub use facility::HfrId;
pub use ids::{AuditorId, DocumentId, HospitalId, PatientId, SessionId};
pub use keys::{EthAddress, X25519PublicKey};
pub use role::Role;

/// Bytes as `0x`-prefixed lowercase hex, the form hashes, ids and signatures take on the wire.
pub fn hex0x(bytes: impl AsRef<[u8]>) -> String {
    format!("0x{}", hex::encode(bytes))
}
