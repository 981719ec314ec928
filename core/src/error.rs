//! The one error type for values that fail validation at a boundary.

/// Why a value could not be turned into a domain type. Each variant names the kind of value, so
/// the API can map it to a stable error code that names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// An ABHA number that is not 14 digits (hyphens allowed as `XX-XXXX-XXXX-XXXX`).
    #[error("ABHA number must be 14 digits, optionally written XX-XXXX-XXXX-XXXX")]
    AbhaNumberFormat,
    /// An ABHA number whose last digit is not its Luhn check digit.
    #[error("ABHA number check digit is wrong")]
    AbhaNumberCheckDigit,
    /// An ABHA address that is not `name@abdm` or `name@sbx` with an allowed name.
    #[error("ABHA address must look like name@abdm or name@sbx (letters, digits, '.', '_'; not starting with '.')")]
    AbhaAddress,
    /// A Health Facility Registry id that is not `IN` followed by 10 digits.
    #[error("HFR facility id must be 'IN' followed by 10 digits")]
    HfrId,
    /// A value outside a closed vocabulary (purpose, HI type, access mode, consent status).
    #[error("unknown {kind} '{value}'")]
    UnknownCode {
        /// Which vocabulary, e.g. `purpose`.
        kind: &'static str,
        /// The value that was given.
        value: String,
    },
    /// An X25519 public key that is not 32 bytes of hex, or is a low-order point.
    #[error("X25519 public key must be 64 hex digits and not a low-order point")]
    X25519Key,
    /// An Ethereum address that is not `0x` + 40 hex digits, or fails its EIP-55 checksum.
    #[error("Ethereum address must be 0x followed by 40 hex digits (EIP-55 checksum if mixed case)")]
    EthAddress,
    /// An id that is not a UUID.
    #[error("malformed id")]
    Id,
}

/// `Result` with [`ValidationError`] as the default error.
pub type Result<T, E = ValidationError> = std::result::Result<T, E>;
