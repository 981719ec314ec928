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
    /// `claimed` (registered, not proven: no consent or link request reaches the account),
    /// `verified` (proven in person at a hospital or through ABDM), or `displaced` (another
    /// account's claim to the number was verified; this account keeps its documents).
    #[cfg_attr(feature = "openapi", schema(example = "claimed"))]
    pub abha_status: String,
    /// When the number was verified.
    pub abha_verified_at: Option<DateTime<Utc>>,
    /// The hospital whose staff verified it in person (absent when verified through ABDM).
    pub abha_verified_by: Option<AbhaVerifier>,
    /// When another account's claim to the number was verified.
    pub abha_displaced_at: Option<DateTime<Utc>>,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
}

/// The hospital that verified an ABHA number in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbhaVerifier {
    /// Health Facility Registry id.
    pub hfr_id: String,
    /// Name.
    pub name: String,
}

/// A one-time code for staff at a hospital desk to enter with the patient's ABHA number, after
/// checking the ABHA card.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbhaCodeView {
    /// Eight digits, shown `1234-5678`.
    #[cfg_attr(feature = "openapi", schema(example = "4821-0937"))]
    pub code: String,
    /// When it stops working (15 minutes; a new code replaces it).
    pub expires_at: DateTime<Utc>,
}

/// What hospital staff enter after checking a patient's ABHA card.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AbhaVerifyRequest {
    /// The number on the card, with or without hyphens.
    #[cfg_attr(feature = "openapi", schema(example = "91-2345-6789-0129"))]
    pub abha_number: String,
    /// The code the patient's screen shows (spaces and hyphens ignored).
    #[cfg_attr(feature = "openapi", schema(example = "4821-0937"))]
    pub code: String,
}

/// A number verified in person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbhaVerifiedView {
    /// `XX-XXXX-XXXX-XXXX`.
    pub abha_number: String,
    /// The account's display name, for staff to compare with the card.
    pub patient_name: String,
    /// When.
    pub verified_at: DateTime<Utc>,
}

/// An ABDM OTP verification under way: ABDM sent a one-time password to the mobile number
/// registered with the ABHA number.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AbdmOtpStarted {
    /// ABDM's transaction id, to send back with the OTP.
    pub transaction_id: String,
}

/// The OTP ABDM sent, to finish an ABDM verification.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AbdmOtpConfirm {
    /// From [`AbdmOtpStarted`].
    pub transaction_id: String,
    /// The one-time password.
    pub otp: String,
}

/// Changes to a profile; absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PatientPatch {
    /// New display name: 1 to 200 characters, not all white space, no control characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
        )
    )]
    pub name: Option<String>,
    /// The full new set of ABHA addresses (`name@abdm` / `name@sbx`), at most 16, no two the
    /// same. The server also accepts upper case and lowers it, but then no two may differ in
    /// case alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<std::collections::BTreeSet<String>>, max_items = 16, pattern = r"^[a-z0-9_][a-z0-9._]{0,63}@(abdm|sbx)$"))]
    pub abha_addresses: Option<Vec<String>>,
}

/// An export archive, frozen when it was made (docs/export.md): download it from `download`
/// (resumable with `Range`) until `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportView {
    /// Export id.
    pub id: Uuid,
    /// The snapshot's time (the manifest's `exported_at`).
    pub exported_at: DateTime<Utc>,
    /// When it can no longer be downloaded.
    pub expires_at: DateTime<Utc>,
    /// The archive's length in bytes.
    pub size: u64,
    /// Documents in the manifest, deleted ones included.
    pub documents: u32,
    /// Consent artefacts in `consents.json`.
    pub consents: u32,
    /// Path of the archive: `GET` it, with `Range: bytes=N-` to resume.
    #[cfg_attr(feature = "openapi", schema(example = "/v1/patients/me/exports/0195f0c2-7d7a-7c4e-8a55-6f1f3e1d2b9a"))]
    pub download: String,
}
