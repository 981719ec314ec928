//! `/v1/consents` and `/v1/audit/consents`: consent artefacts in ABDM's shape, the patient's
//! signed decisions, and each signed message's way to the chain.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The care dates of the records in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First care date (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last care date (`YYYY-MM-DD`), not before `from`.
    pub to: NaiveDate,
}

/// How often the hospital may fetch (ABDM `frequency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Frequency {
    /// `HOUR`, `DAY`, `WEEK`, `MONTH` or `YEAR`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(HOUR|DAY|WEEK|MONTH|YEAR)$"))]
    pub unit: String,
    /// Fetches per unit, at least 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub value: i32,
    /// Repeats, 0 or more.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub repeats: i32,
}

/// A hospital's consent request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentRequestCreate {
    /// The patient's ABHA number (with or without hyphens).
    #[cfg_attr(
        feature = "openapi",
        schema(example = "91-2345-6789-0129", pattern = r"^([0-9]{14}|[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4})$")
    )]
    pub patient_abha_number: String,
    /// Purpose of use: `CAREMGT`, `BTG`, `PUBHLTH`, `HPAYMT`, `DSRCH` or `PATRQT`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(CAREMGT|BTG|PUBHLTH|HPAYMT|DSRCH|PATRQT)$"))]
    pub purpose: String,
    /// HI types in scope, e.g. `["DiagnosticReport"]`: one to seven, no two the same.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeSet<String>, min_items = 1, max_items = 7, pattern = r"^(OPConsultation|Prescription|DischargeSummary|DiagnosticReport|ImmunizationRecord|HealthDocumentRecord|WellnessRecord)$"))]
    pub hi_types: Vec<String>,
    /// `VIEW`, `STORE`, `QUERY` or `STREAM`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(VIEW|STORE|QUERY|STREAM)$"))]
    pub access_mode: String,
    /// Care dates of the records in scope.
    pub date_range: DateRange,
    /// When a grant would end (ABDM `dataEraseAt`); in the future.
    pub data_erase_at: DateTime<Utc>,
    /// How often the hospital may fetch.
    pub frequency: Frequency,
    /// When this request lapses if the patient does not act; in the future, within 30 days.
    pub expires_at: DateTime<Utc>,
}

/// A consent artefact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentView {
    /// Id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// The requesting hospital.
    pub hospital_id: Uuid,
    /// `REQUESTED`, `GRANTED`, `DENIED`, `EXPIRED` or `REVOKED`, as of now.
    pub status: String,
    /// Purpose code.
    pub purpose: String,
    /// HI types in scope.
    pub hi_types: Vec<String>,
    /// Access mode.
    pub access_mode: String,
    /// Care dates in scope.
    pub date_range: DateRange,
    /// When a grant ends.
    pub data_erase_at: DateTime<Utc>,
    /// Fetch frequency.
    pub frequency: Frequency,
    /// When the request lapses.
    pub expires_at: DateTime<Utc>,
    /// Request time.
    pub created_at: DateTime<Utc>,
    /// Decision time.
    pub decided_at: Option<DateTime<Utc>>,
    /// The consent's id on chain (what the EIP-712 grant and revocation carry).
    pub chain_consent_id: String,
    /// The patient's address the grant was signed for (EIP-55), once granted: the contract keys
    /// a consent by (patient, consent id), so this and `chain_consent_id` name its record
    /// (`pramana consent status ID --patient ADDRESS`); the same id granted by anyone else is
    /// another consent.
    pub patient_address: Option<String>,
    /// `scopeHash` of the scope above (docs/contract.md); a patient who narrows the scope when
    /// granting signs the narrowed scope's hash instead.
    pub scope_hash: String,
    /// The hospital's address the grant was signed for (EIP-55), once granted.
    pub grantee_address: Option<String>,
    /// The validity start signed (`validFrom`), once granted; `validUntil` is `data_erase_at`.
    pub valid_from: Option<DateTime<Utc>>,
    /// The rest of the patient's signed `Grant` (docs/contract.md), once granted: with the fields
    /// above, a client rebuilds the message and checks that the signature is its own key's before
    /// it seals a new document to the hospital (a server cannot list a grant it made up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_signature: Option<GrantSignatureView>,
    /// The chain mirror: where the signed grant and revocation are on their way to the chain.
    /// A grant whose relay `failed` gives the hospital no access until the patient signs it
    /// again (`POST /v1/consents/{id}/resign`); so does a failed revocation need re-signing to
    /// reach the chain (access already ended on the platform).
    pub chain: ChainView,
}

/// A grant's signed nonce, deadline and signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantSignatureView {
    /// The contract nonce signed.
    pub nonce: u64,
    /// The signature deadline signed (Unix seconds).
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits).
    pub signature: String,
}

/// A consent's signed messages on their way to the chain (absent until signed).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainView {
    /// The grant's relay.
    pub grant: Option<RelayView>,
    /// The revocation's relay.
    pub revoke: Option<RelayView>,
}

/// One relayed message.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayView {
    /// `pending` (queued), `submitted` (in a transaction not yet final), `confirmed` or `failed`
    /// (the contract refuses it for good: see `failure`).
    pub state: String,
    /// The transaction in flight (submitted) or the one that put it on chain (confirmed).
    pub tx_hash: Option<String>,
    /// The block it landed in (confirmed).
    pub block_number: Option<i64>,
    /// The contract's reason (`StaleNonce`, `SignatureExpired`, ...), when failed.
    pub failure: Option<String>,
    /// While pending: why the worker could not settle it yet and set it aside (its dry run
    /// failed, or the chain holds it but its event was not found); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<String>,
    /// When a message set aside is checked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
}

/// What a patient's device needs to grant: the hospital's current keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GranteeKeys {
    /// The hospital's current X25519 public key (hex): add a stanza for it to each document.
    pub x25519_public_key: Option<String>,
    /// The hospital's registered Ethereum address: the grant's `grantee`.
    pub ethereum_address: Option<String>,
    /// The consent's id on chain.
    pub chain_consent_id: String,
}

/// A patient's grant: optionally narrower than the request, and signed (EIP-712, docs/contract.md)
/// over exactly the scope, parties and validity the server stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentGrantBody {
    /// HI types granted: all requested when absent, else a non-empty subset.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<std::collections::BTreeSet<String>>, min_items = 1, max_items = 7, pattern = r"^(OPConsultation|Prescription|DischargeSummary|DiagnosticReport|ImmunizationRecord|HealthDocumentRecord|WellnessRecord)$"))]
    pub hi_types: Option<Vec<String>>,
    /// Care dates granted: the requested range when absent, else a range inside it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_range: Option<DateRange>,
    /// When the grant ends: the requested `data_erase_at` when absent, else an earlier time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_erase_at: Option<DateTime<Utc>>,
    /// Validity start signed (Unix seconds), at most 2^40 - 1 (`uint40`).
    #[cfg_attr(feature = "openapi", schema(maximum = 1_099_511_627_775_u64))]
    pub valid_from: u64,
    /// The patient's contract nonce signed, at most 2^63 - 1.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub nonce: u64,
    /// Signature deadline signed (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[cfg_attr(feature = "openapi", schema(maximum = 1_099_511_627_775_u64))]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) by the patient's registered Ethereum key.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$"))]
    pub signature: String,
    /// Optional, for small records: for every live document in the granted scope that lacks the
    /// hospital's stanza, its envelope header with one stanza added for the hospital's current
    /// X25519 key (`envelope::add_recipient` on the patient's device), all in this one request.
    /// Leave it empty to grant first and add the stanzas page by page afterwards
    /// (`GET /v1/consents/{id}/stanzas/pending`, `POST /v1/consents/{id}/stanzas`): the way
    /// that scales to any number of documents.
    #[serde(default)]
    pub headers: Vec<HeaderUpdate>,
}

/// A document's new envelope header.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HeaderUpdate {
    /// The document.
    pub document_id: Uuid,
    /// The new header (base64).
    pub header: String,
}

/// A patient's signed revocation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentRevokeBody {
    /// The patient's contract nonce signed, at most 2^63 - 1.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub nonce: u64,
    /// Signature deadline signed (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[cfg_attr(feature = "openapi", schema(maximum = 1_099_511_627_775_u64))]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) by the patient's registered Ethereum key.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$"))]
    pub signature: String,
}

/// A new signature for the consent's grant or revocation that the chain refused for good.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConsentResignBody {
    /// The patient's contract nonce now (`nonces(patient)` on the ConsentRegistry), at most 2^63 - 1.
    #[cfg_attr(feature = "openapi", schema(maximum = 9_223_372_036_854_775_807_u64))]
    pub nonce: u64,
    /// New signature deadline (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[cfg_attr(feature = "openapi", schema(maximum = 1_099_511_627_775_u64))]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) over the same message with this nonce
    /// and deadline.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$"))]
    pub signature: String,
}

/// Paging through every signed consent.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct SignedConsentQuery {
    /// Return consents with ids after this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false))]
    pub after: Option<Uuid>,
    /// Page size, 1 to 1000 (default 500).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
}

/// A signed consent as the platform holds it, for comparison with the chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedConsentView {
    /// Id.
    pub id: Uuid,
    /// The consent's id on chain.
    pub chain_consent_id: String,
    /// `GRANTED` (active), `REVOKED` or `EXPIRED`, as of now.
    pub status: String,
    /// The granting patient's address.
    pub patient: String,
    /// The hospital's address.
    pub grantee: String,
    /// The scope hash the patient signed.
    pub scope_hash: String,
    /// Validity start, Unix seconds.
    pub valid_from: i64,
    /// Validity end (`dataEraseAt`), Unix seconds.
    pub valid_until: i64,
    /// When the platform recorded the revocation.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The chain mirror's state.
    pub chain: ChainView,
}

/// A page of signed consents.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedConsentPage {
    /// Consents in id order.
    pub consents: Vec<SignedConsentView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<Uuid>,
}

/// Paging through a consent's documents whose stanzas still need changing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct StanzaQuery {
    /// Return documents with ids after this one (the previous page's `next_after`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false))]
    pub after: Option<Uuid>,
    /// Page size, 1 to 500 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 500))]
    pub limit: Option<i64>,
}

/// A document whose header the patient's device should change, with the header as stored now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StanzaDocument {
    /// The document.
    pub document_id: Uuid,
    /// Its header as stored now (base64): build the new one from exactly these bytes.
    pub header: String,
}

/// One page of documents whose stanzas still need changing, in document id order, with the
/// counts a client shows as progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StanzaDocumentPage {
    /// The documents, in id order.
    pub documents: Vec<StanzaDocument>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<Uuid>,
    /// Documents the change concerns in all (for a grant: live documents in the granted scope).
    pub total: i64,
    /// Of those, documents still waiting for the change (this page and every later one, and any
    /// earlier one a client skipped).
    pub remaining: i64,
}

/// One document's new header in a page of stanza changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StanzaChange {
    /// The document.
    pub document_id: Uuid,
    /// SHA-256 (64 hex digits) of the header the new one was built from, as listed: when the
    /// stored header is no longer that one, the document changed meanwhile and is reported in
    /// `changed_meanwhile`, not changed.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9a-fA-F]{64}$"))]
    pub base_sha256: String,
    /// The new header (base64): the base with one stanza added for the hospital's current key
    /// (grant) or with the hospital's stanza removed (clean-up after a revocation), its MAC
    /// recomputed. For a grant, a base that already carries the hospital's stanza may be sent
    /// back unchanged: the stanza is then recorded as held.
    pub header: String,
}

/// A page of stanza changes: at most 100 documents, applied in one transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StanzaChangePage {
    /// The documents' new headers, each document at most once.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 100))]
    pub headers: Vec<StanzaChange>,
}

/// What a page of stanza changes did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StanzaChangeOutcome {
    /// Documents whose header was changed.
    pub changed: Vec<Uuid>,
    /// Documents already as asked (the hospital already held a stanza, or it was already
    /// removed): nothing written.
    pub already_done: Vec<Uuid>,
    /// Documents whose header changed since it was listed (or that were deleted, or left the
    /// scope): nothing written; list the pending documents again for a fresh header.
    pub changed_meanwhile: Vec<Uuid>,
    /// Documents still waiting for the change after this page.
    pub remaining: i64,
}
