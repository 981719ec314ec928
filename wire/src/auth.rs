//! `/v1/auth`: registration, login, refresh-token rotation.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A patient's registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 14 digits, with or without hyphens (`XX-XXXX-XXXX-XXXX`); the last is a Luhn check digit.
    #[cfg_attr(feature = "openapi", schema(example = "91-2345-6789-0129"))]
    pub abha_number: String,
    /// ABHA addresses (`name@abdm` / `name@sbx`).
    #[serde(default)]
    pub abha_addresses: Vec<String>,
    /// Display name.
    pub name: String,
    /// At least 12 characters.
    pub password: String,
}

/// Login with an ABHA number or address (patients), an HFR id (hospitals) or a username.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// ABHA number, ABHA address, HFR id or username.
    pub login: String,
    /// Password or hospital API secret.
    pub password: String,
}

/// A refresh token to rotate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh; single use.
    pub refresh_token: String,
}

pub use pramana_core::Role;

/// Tokens for a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use refresh token; using it twice ends the session.
    pub refresh_token: String,
    /// The holder's role.
    pub role: Role,
    /// The holder's id.
    pub subject_id: Uuid,
}
