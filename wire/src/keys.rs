//! `/v1/keys`: encryption keys and signing addresses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// X25519 public key (64 hex digits): receives wrapped document keys.
    X25519,
    /// Ethereum address (`0x…`): signs consent grants and revocations.
    Ethereum,
}

impl KeyKind {
    /// The JSON and stored form (`x25519`, `ethereum`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X25519 => "x25519",
            Self::Ethereum => "ethereum",
        }
    }
}

/// A key to register; it replaces the caller's active key of the same kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    /// Kind of key.
    pub kind: KeyKind,
    /// Hex X25519 key (64 hex digits) or `0x` address (40 hex digits; mixed case must be the
    /// EIP-55 checksum), as `kind` says.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^([0-9a-fA-F]{64}|0x[0-9a-fA-F]{40})$"))]
    pub public_key: String,
    /// The account's password (a hospital's API secret), asked again: a valid access token alone
    /// may not register a key. Missing or wrong: 403 `reauthentication_required`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A patient's new Ethereum key takes over their account (the address of their first key)
    /// only with a `RotateSigner` message signed by the key that signs for the account now
    /// (the active one, unless the chain refused its rotation): missing, 422
    /// `rotation_required`; signed by another key, 422 `invalid_signature`; a nonce that a
    /// rotation still waiting for the chain consumes, 422 `invalid_nonce`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationBody>,
}

/// The EIP-712 `RotateSigner(account, newSigner, nonce, deadline)` the account's current signer
/// signed; `account` is the patient's first Ethereum key and `newSigner` the key registered.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RotationBody {
    /// The account's contract nonce now (`nonces(account)` on the ConsentRegistry), at most 2^63 - 1.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub nonce: u64,
    /// Signature deadline (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[cfg_attr(feature = "openapi", schema(maximum = 1_099_511_627_775_u64))]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) by the key that signs for the account now.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$"))]
    pub signature: String,
}

/// A registered key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    /// Key id.
    pub id: Uuid,
    /// `x25519` or `ethereum`.
    pub kind: String,
    /// Lower-case hex key, or EIP-55 address.
    pub public_key: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// When a newer key replaced it.
    pub retired_at: Option<DateTime<Utc>>,
    /// A patient's later Ethereum key: the signed rotation that handed the account to it, and
    /// its chain state.
    pub rotation: Option<RotationView>,
}

/// A signer rotation as the chain mirror sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RotationView {
    /// The account nonce it carries; messages signed after it carry a higher one.
    pub nonce: i64,
    /// `pending`, `submitted`, `confirmed` or `failed`.
    pub state: String,
    /// The contract's reason, when failed.
    pub failure: Option<String>,
}

/// The active (not retired) key of `kind` among an account's keys.
pub fn active_key(keys: &[KeyView], kind: KeyKind) -> Option<&KeyView> {
    keys.iter().find(|k| k.kind == kind.as_str() && k.retired_at.is_none())
}
