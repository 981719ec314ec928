//! `/v1/links`: which hospitals may add documents to a patient's record.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A hospital asks to add documents to a patient's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkRequestCreate {
    /// The patient's ABHA number (14 digits, hyphens allowed).
    pub patient_abha_number: String,
}

/// A link between a patient's record and a hospital.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkView {
    /// Id.
    pub id: Uuid,
    /// The patient (the hospital's `patient_id` when it uploads).
    pub patient_id: Uuid,
    /// The hospital.
    pub hospital_id: Uuid,
    /// The hospital's Health Facility Registry id.
    pub hospital_hfr_id: String,
    /// The hospital's name.
    pub hospital_name: String,
    /// `REQUESTED` (waiting for the patient), `LINKED` (the hospital may upload), `DENIED` or
    /// `UNLINKED` (ended by `ended_by`).
    pub status: String,
    /// When the hospital asked.
    pub requested_at: DateTime<Utc>,
    /// When the patient approved or denied.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was denied or ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// `patient` or `hospital`, once ended.
    pub ended_by: Option<String>,
}

/// A patient the calling hospital knows: one it asked to link or asked for consent. The name
/// is given once the patient linked the hospital or granted it consent; the encryption key only
/// while the link is live (to seal uploads into the record to the patient).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HospitalPatientView {
    /// The patient's id (`patient_id` on uploads, consents and links).
    pub patient_id: Uuid,
    /// The patient's ABHA number (14 digits), as the hospital asked with it.
    pub abha_number: String,
    /// The patient's name, once linked or granted.
    pub name: Option<String>,
    /// The newest link's id and state (`REQUESTED`, `LINKED`, `DENIED`, `UNLINKED`), if any.
    pub link_id: Option<Uuid>,
    /// See `link_id`.
    pub link_status: Option<String>,
    /// Grants from this patient in force now.
    pub active_grants: i64,
    /// The patient's current X25519 public key (hex), while the link is live.
    pub x25519_public_key: Option<String>,
}
