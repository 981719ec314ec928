//! The body of every error response.

use serde::{Deserialize, Serialize};

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_abha_number`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// The request id, also sent as the `x-request-id` header.
    pub request_id: String,
    /// The request field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `second_factor_required`: the single-use token to present to
    /// `/v1/auth/login/second-factor` with a code, within five minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    /// With `second_factor_required`: the factors the account has, `totp` and/or `passkey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factors: Option<Vec<String>>,
}
