//! `/v1/admin/*` and `/v1/hospitals`: hospitals and auditors.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A hospital to register.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HospitalCreate {
    /// Health Facility Registry id, `IN` + 10 digits.
    #[cfg_attr(feature = "openapi", schema(example = "IN2710000123"))]
    pub hfr_id: String,
    /// Display name.
    pub name: String,
}

/// A hospital.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HospitalView {
    /// Id.
    pub id: Uuid,
    /// HFR id.
    pub hfr_id: String,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

/// A registered hospital and its API secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HospitalCreated {
    /// The hospital.
    pub hospital: HospitalView,
    /// Log in with the HFR id and this secret.
    pub api_secret: String,
}

/// An auditor to create.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditorCreate {
    /// Login name: lower-case letters, digits, `.`, `_`, `-`; 3 to 64 characters; starts with a letter.
    pub username: String,
    /// Display name.
    pub name: String,
}

/// A created auditor and their password, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditorCreated {
    /// Auditor id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Generated password.
    pub password: String,
}
