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
