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
    #[cfg_attr(feature = "openapi", schema(example = "IN2710000123", pattern = r"^[Ii][Nn][0-9]{10}$"))]
    pub hfr_id: String,
    /// Display name: 1 to 200 characters, not all white space, no control characters.
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
    /// Login name: lower-case letters, digits, `.`, `_`, `-`; 3 to 64 characters; starts with a
    /// letter (upper case is accepted and lowered); not shaped like an HFR id (`in` + 10 digits).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(?![Ii][Nn][0-9]{10}$)[A-Za-z][A-Za-z0-9._-]{2,63}$"))]
    pub username: String,
    /// Display name: 1 to 200 characters, not all white space, no control characters.
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

/// A hospital as the operator sees it: what it has set up so far (`GET /v1/admin/hospitals`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HospitalStatus {
    /// Id.
    pub id: Uuid,
    /// HFR id.
    pub hfr_id: String,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// It has registered an X25519 encryption key (`POST /v1/keys`): patients can share
    /// documents with it.
    pub encryption_key: bool,
    /// It has registered an Ethereum address: patients can sign consent grants to it.
    pub signing_key: bool,
    /// It has a consent webhook endpoint.
    pub webhook: bool,
    /// Its webhook deliveries the worker gave up on (after the last attempt), all time.
    pub failed_webhook_deliveries: i64,
}

/// An auditor account (never its password).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditorView {
    /// Auditor id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
