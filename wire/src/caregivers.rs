//! Caregivers and family (docs/caregivers.md): the proxy rights a patient gives another patient
//! account, as created and listed by either side.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A patient gives another patient account caregiver rights over their record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaregiverCreate {
    /// The caregiver's ABHA address (`name@abdm`) or ABHA number.
    pub caregiver: String,
    /// Whether they may also see the patient's consent requests and deny them (never grant or
    /// revoke: those need the patient's own signature).
    #[serde(default)]
    pub manage_consents: bool,
    /// HI type codes they may read (1 to 7), e.g. `Prescription`.
    pub hi_types: Vec<String>,
    /// Start of the period the rights are in force (now if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<DateTime<Utc>>,
    /// End of the period (at most ten years after its start).
    pub valid_until: DateTime<Utc>,
}

/// Caregiver rights, as the patient and the caregiver see them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaregiverView {
    /// Grant id (the caregiver acts through it: `/v1/caregivers/{id}/…`).
    pub id: Uuid,
    /// The patient whose record it is.
    pub patient_id: Uuid,
    /// The patient's name.
    pub patient_name: String,
    /// The caregiver's account.
    pub caregiver_id: Uuid,
    /// The caregiver's name.
    pub caregiver_name: String,
    /// The caregiver's ABHA number (14 digits).
    pub caregiver_abha_number: String,
    /// The caregiver's current X25519 public key (64 hex digits): what the patient's browser
    /// adds a stanza for.
    pub caregiver_x25519_public_key: Option<String>,
    /// May see and deny consent requests.
    pub manage_consents: bool,
    /// HI types they may read.
    pub hi_types: Vec<String>,
    /// Start of the period.
    pub valid_from: DateTime<Utc>,
    /// End of the period.
    pub valid_until: DateTime<Utc>,
    /// When the patient gave them.
    pub created_at: DateTime<Utc>,
    /// When the patient revoked them.
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `not_yet` (period not begun), `expired` or `revoked`.
    pub state: String,
}

/// A list of caregiver rights, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaregiverList {
    /// The grants.
    pub items: Vec<CaregiverView>,
}
