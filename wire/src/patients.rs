//! `/v1/patients`: a patient's profile.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A patient's profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientView {
    /// Patient id.
    pub id: Uuid,
    /// `XX-XXXX-XXXX-XXXX`.
    #[cfg_attr(feature = "openapi", schema(example = "91-2345-6789-0129"))]
    pub abha_number: String,
    /// ABHA addresses.
    pub abha_addresses: Vec<String>,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a profile; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientPatch {
    /// New display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The full new set of ABHA addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abha_addresses: Option<Vec<String>>,
}
