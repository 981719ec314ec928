//! `/v1/documents`: envelope uploads and their metadata. The envelope itself travels as
//! `application/octet-stream`, not JSON.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an upload declares about the envelope in its body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UploadQuery {
    /// ABDM HI type, e.g. `DiagnosticReport`.
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^(OPConsultation|Prescription|DischargeSummary|DiagnosticReport|ImmunizationRecord|HealthDocumentRecord|WellnessRecord)$"
        )
    )]
    pub hi_type: String,
    /// When the care happened (`YYYY-MM-DD`, not in the future).
    #[cfg_attr(feature = "openapi", param(format = Date))]
    pub care_date: String,
    /// SHA-256 of the plaintext (64 hex digits).
    #[cfg_attr(feature = "openapi", param(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub plaintext_sha256: String,
    /// The commitment salt (64 hex digits).
    #[cfg_attr(feature = "openapi", param(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub salt: String,
    /// SHA-256 of the payload (the envelope after its header; 64 hex digits).
    #[cfg_attr(feature = "openapi", param(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub payload_sha256: String,
    /// The patient whose record this is: required for hospitals, must be absent or the caller
    /// for patients.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false))]
    pub patient_id: Option<Uuid>,
}

/// A document's metadata.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentView {
    /// Id.
    pub id: Uuid,
    /// The patient whose record it is.
    pub owner_patient_id: Uuid,
    /// `patient` or `hospital`.
    pub uploaded_by_role: String,
    /// Uploader id.
    pub uploaded_by_id: Uuid,
    /// HI type.
    pub hi_type: String,
    /// Care date.
    pub care_date: NaiveDate,
    /// Plaintext bytes.
    pub plaintext_size: i64,
    /// Envelope bytes (header and payload) as downloaded.
    pub envelope_size: i64,
    /// SHA-256 of the plaintext (hex).
    pub plaintext_sha256: String,
    /// SHA-256 of the stored payload (hex).
    pub payload_sha256: String,
    /// Commitment salt (hex).
    pub salt: String,
    /// Merkle leaf (hex).
    pub leaf: String,
    /// Upload time.
    pub created_at: DateTime<Utc>,
    /// Set when deleted (crypto-shredded); the hashes remain.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The envelope header (base64), absent once deleted.
    pub header: Option<String>,
    /// The caller's own stanza (base64, 97 bytes), when the caller has one.
    pub my_stanza: Option<String>,
    /// Anchoring on chain: `pending` (waiting for a batch), `submitted` (in a batch awaiting
    /// confirmations) or `confirmed` (the proof is at `/v1/documents/{id}/proof`).
    pub anchor_state: String,
}

/// A header without one recipient, made on the owner's device.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RemoveRecipient {
    /// The key id (32 hex digits) of the stanza to drop.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9a-fA-F]{32}$"))]
    pub key_id: String,
    /// The new header (base64): the stored one without that stanza, with its MAC recomputed.
    pub header: String,
}

/// One version of a document's header. Every header a document has had is kept (append-only),
/// newest first in lists; the owner can make an earlier one current again. The server cannot
/// check a header's MAC: check it with your own key before restoring.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeaderVersionView {
    /// 1 for the first header, then one more per change.
    pub version: u32,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Why: `upload`, `grant`, `remove_recipient`, `restore`, or `backfill` (the header a
    /// document had when history-keeping began).
    pub reason: String,
    /// Who wrote it (`patient` or `hospital`); absent for `backfill`.
    pub actor_role: Option<String>,
    /// Their id; absent for `backfill`.
    pub actor_id: Option<Uuid>,
    /// The header (base64).
    pub header: String,
    /// SHA-256 of the header bytes (hex), to compare versions at a glance.
    pub header_sha256: String,
    /// Whether this is the document's header now (the newest version).
    pub current: bool,
}
