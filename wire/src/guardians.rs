//! A guardian's children (docs/guardians.md): accounts a parent or guardian creates and manages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A parent or guardian creates their child's account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DependentCreate {
    /// The child's ABHA number: 14 digits, with or without hyphens. A claim, as at registration,
    /// until verified.
    #[cfg_attr(feature = "openapi", schema(example = "91-2345-6789-0129"))]
    pub abha_number: String,
    /// The child's ABHA addresses (`name@abdm`), at most 16.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeSet<String>, max_items = 16))]
    pub abha_addresses: Vec<String>,
    /// The child's name: 1 to 200 characters, no control characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
}

/// A child's account, as their guardian sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DependentView {
    /// The child's patient id.
    pub id: Uuid,
    /// The child's name.
    pub name: String,
    /// The child's ABHA number (14 digits).
    pub abha_number: String,
    /// The child's ABHA addresses.
    pub abha_addresses: Vec<String>,
    /// Whether the child's account has keys (created in the guardian's browser).
    pub has_keys: bool,
    /// When the guardian created it.
    pub created_at: DateTime<Utc>,
}

/// Opening a session on a child's account, or going back to one's own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SessionSwitch {
    /// As at login: the refresh token in cookies instead of the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refresh_cookie: bool,
}
