//! A guardian's children (docs/guardians.md): accounts a parent or guardian creates and manages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A parent or guardian creates their child's account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DependentCreate {
    /// The child's ABHA number: 14 digits, with or without hyphens (`XX-XXXX-XXXX-XXXX`), the
    /// last a Luhn check digit. A claim, as at registration, until verified.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "91-2345-6789-0129", pattern = r"^([0-9]{14}|[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4})$")
    )]
    pub abha_number: String,
    /// The child's ABHA addresses (`name@abdm` / `name@sbx`), at most 16, no two the same.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeSet<String>, max_items = 16, pattern = r"^[a-z0-9_][a-z0-9._]{0,63}@(abdm|sbx)$"))]
    pub abha_addresses: Vec<String>,
    /// The child's name: 1 to 200 characters, not all white space, no control characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
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
