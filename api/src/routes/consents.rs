//! `/v1/consents`: consent artefacts in ABDM's shape. A hospital requests one for a patient
//! (named by ABHA number); the patient sees it and denies it or (with the consent lifecycle's
//! signed grants, still to come) grants it; an unanswered request expires at its own expiry. Only
//! the two parties see an artefact; anyone else gets 404.

use alloy::primitives::{Address, B256};
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use pramana_core::chain::eip712::{
    Grant, MAX_CHAIN_TIME, MAX_NONCE, Revoke, SignatureError, SignedGrant, SignedRevoke, domain,
};
use pramana_core::consent::{ConsentScope, chain_consent_id};
use pramana_core::envelope::Header;
use pramana_core::{AbhaNumber, AccessMode, ConsentStatus, HiType, Purpose};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, conflict_as};
use crate::store::StoreError;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use crate::store::consents::{self, ConsentRow, GrantRecord, Signed};
use crate::store::keys;
use crate::store::relay::{self, ChainEventState, EventKind};
use crate::webhooks::{EventType, record_consent_event};

/// Longest a request may stay open for the patient to answer.
const MAX_REQUEST_DAYS: i64 = 30;
/// Most HI types in one artefact (there are seven).
const MAX_HI_TYPES: usize = 7;

/// The care dates of the records in scope.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateRange {
    /// First care date (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// Last care date (`YYYY-MM-DD`), not before `from`.
    pub to: NaiveDate,
}

/// How often the hospital may fetch (ABDM `frequency`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Frequency {
    /// `HOUR`, `DAY`, `WEEK`, `MONTH` or `YEAR`.
    #[schema(pattern = r"^(HOUR|DAY|WEEK|MONTH|YEAR)$")]
    pub unit: String,
    /// Fetches per unit, at least 1.
    #[schema(minimum = 1)]
    pub value: i32,
    /// Repeats, 0 or more.
    #[schema(minimum = 0)]
    pub repeats: i32,
}

/// A hospital's consent request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequestCreate {
    /// The patient's ABHA number (with or without hyphens).
    #[schema(example = "91-2345-6789-0129", pattern = r"^([0-9]{14}|[0-9]{2}-[0-9]{4}-[0-9]{4}-[0-9]{4})$")]
    pub patient_abha_number: String,
    /// Purpose of use: `CAREMGT`, `BTG`, `PUBHLTH`, `HPAYMT`, `DSRCH` or `PATRQT`.
    #[schema(pattern = r"^(CAREMGT|BTG|PUBHLTH|HPAYMT|DSRCH|PATRQT)$")]
    pub purpose: String,
    /// HI types in scope, e.g. `["DiagnosticReport"]`: one to seven, no two the same.
    #[schema(value_type = std::collections::BTreeSet<String>, min_items = 1, max_items = 7, pattern = r"^(OPConsultation|Prescription|DischargeSummary|DiagnosticReport|ImmunizationRecord|HealthDocumentRecord|WellnessRecord)$")]
    pub hi_types: Vec<String>,
    /// `VIEW`, `STORE`, `QUERY` or `STREAM`.
    #[schema(pattern = r"^(VIEW|STORE|QUERY|STREAM)$")]
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
#[derive(Debug, Serialize, ToSchema)]
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
    /// The chain mirror: where the signed grant and revocation are on their way to the chain.
    /// A grant whose relay `failed` gives the hospital no access until the patient signs it
    /// again (`POST /v1/consents/{id}/resign`); so does a failed revocation need re-signing to
    /// reach the chain (access already ended on the platform).
    pub chain: ChainView,
}

/// A consent's signed messages on their way to the chain (absent until signed).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ChainView {
    /// The grant's relay.
    pub grant: Option<RelayView>,
    /// The revocation's relay.
    pub revoke: Option<RelayView>,
}

/// One relayed message.
#[derive(Debug, Serialize, ToSchema)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_aside: Option<String>,
    /// When a message set aside is checked again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<DateTime<Utc>>,
}

fn chain_view(id: Uuid, states: &[ChainEventState]) -> ChainView {
    let relay = |kind: EventKind| {
        states.iter().find(|e| e.consent_id == id && e.kind == kind.code()).map(|e| RelayView {
            state: e.state.clone(),
            tx_hash: e.tx_hash.as_deref().map(|h| format!("0x{}", hex::encode(h))),
            block_number: e.block_number,
            failure: e.failure.clone(),
            set_aside: e.set_aside_reason.clone(),
            retry_at: e.next_attempt_at,
        })
    };
    ChainView { grant: relay(EventKind::Grant), revoke: relay(EventKind::Revoke) }
}

/// Views of `rows` with their chain state (one query).
async fn views(state: &AppState, rows: Vec<ConsentRow>) -> ApiResult<Vec<ConsentView>> {
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let chain = relay::find_chain_states(&state.pool, &ids).await?;
    let now = Utc::now();
    Ok(rows.into_iter().map(|c| view(c, &chain, now)).collect())
}

/// The view of one artefact, read again from the store (after a change).
async fn reload_view(state: &AppState, id: Uuid) -> ApiResult<ApiJson<ConsentView>> {
    let c = consents::find_consent_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    Ok(ApiJson(views(state, vec![c]).await?.pop().ok_or(ApiError::NotFound)?))
}

/// The scope of an artefact, for its hash.
fn scope_of(
    purpose: &str,
    hi_types: &[String],
    access_mode: &str,
    from: NaiveDate,
    to: NaiveDate,
    f: &Frequency,
) -> ConsentScope {
    ConsentScope {
        purpose: Purpose::parse(purpose).unwrap_or(Purpose::CareManagement),
        hi_types: hi_types.iter().filter_map(|t| HiType::parse(t).ok()).collect(),
        access_mode: AccessMode::parse(access_mode).unwrap_or(AccessMode::View),
        date_from: from,
        date_to: to,
        frequency_unit: f.unit.clone(),
        frequency_value: u32::try_from(f.value).unwrap_or(0),
        frequency_repeats: u32::try_from(f.repeats).unwrap_or(0),
    }
}

/// The status as of `now`: a stored status, or `EXPIRED` once the request's own expiry (for a
/// request) or `data_erase_at` (for a grant) has passed.
pub fn effective_status(c: &ConsentRow, now: DateTime<Utc>) -> ConsentStatus {
    let stored = ConsentStatus::parse(&c.status).unwrap_or(ConsentStatus::Expired);
    match stored {
        ConsentStatus::Requested if now >= c.request_expires_at => ConsentStatus::Expired,
        ConsentStatus::Granted if now >= c.data_erase_at => ConsentStatus::Expired,
        other => other,
    }
}

/// The consent's id on chain, `0x`-hex.
fn chain_id_hex(c: &ConsentRow) -> String {
    format!("0x{}", hex::encode(chain_consent_id(&c.id)))
}

/// The artefact's fetch frequency.
fn frequency_of(c: &ConsentRow) -> Frequency {
    Frequency { unit: c.frequency_unit.clone(), value: c.frequency_value, repeats: c.frequency_repeats }
}

pub(crate) fn view(c: ConsentRow, chain: &[ChainEventState], now: DateTime<Utc>) -> ConsentView {
    let frequency = frequency_of(&c);
    let scope = scope_of(&c.purpose, &c.hi_types, &c.access_mode, c.date_from, c.date_to, &frequency);
    ConsentView {
        chain_consent_id: chain_id_hex(&c),
        scope_hash: format!("0x{}", hex::encode(scope.hash())),
        status: effective_status(&c, now).code().to_owned(),
        chain: chain_view(c.id, chain),
        id: c.id,
        patient_id: c.patient_id,
        hospital_id: c.hospital_id,
        purpose: c.purpose,
        hi_types: c.hi_types,
        access_mode: c.access_mode,
        date_range: DateRange { from: c.date_from, to: c.date_to },
        data_erase_at: c.data_erase_at,
        frequency,
        expires_at: c.request_expires_at,
        created_at: c.created_at,
        decided_at: c.decided_at,
        patient_address: address_hex(c.patient_address.as_deref()),
        grantee_address: address_hex(c.grantee_address.as_deref()),
        valid_from: c.valid_from,
    }
}

/// A stored 20-byte address as EIP-55 text.
fn address_hex(raw: Option<&[u8]>) -> Option<String> {
    raw.and_then(|a| Address::try_from(a).ok()).map(|a| a.to_checksum(None))
}

fn event(user: &AuthUser, action: &'static str, outcome: Outcome, c: &ConsentRow) -> AuditEvent {
    AuditEvent {
        actor_role: user.role.as_str(),
        actor_id: Some(user.subject_id),
        action,
        outcome,
        subject_patient_id: Some(c.patient_id),
        target: Some(format!("consent:{}", c.id)),
        request_id: current_request_id(),
        details: json!({"hospital_id": c.hospital_id, "purpose": c.purpose}),
    }
}

/// Validates a request into a row; the patient, which needs the database, is filled in after.
fn check_request(req: &ConsentRequestCreate, hospital_id: Uuid, now: DateTime<Utc>) -> ApiResult<ConsentRow> {
    let purpose = Purpose::parse(&req.purpose).map_err(ApiError::invalid("purpose"))?;
    if req.hi_types.is_empty() || req.hi_types.len() > MAX_HI_TYPES {
        return Err(ApiError::invalid_field("hi_types", "one to seven HI types"));
    }
    let mut hi_types = Vec::with_capacity(req.hi_types.len());
    for t in &req.hi_types {
        let t = HiType::parse(t).map_err(ApiError::invalid("hi_types"))?;
        if hi_types.contains(&t) {
            return Err(ApiError::invalid_field("hi_types", format!("{t} is listed twice")));
        }
        hi_types.push(t);
    }
    hi_types.sort();
    let access_mode = AccessMode::parse(&req.access_mode).map_err(ApiError::invalid("access_mode"))?;
    if req.date_range.from > req.date_range.to {
        return Err(ApiError::invalid_field("date_range", "from must not be after to"));
    }
    if req.data_erase_at <= now {
        return Err(ApiError::invalid_field("data_erase_at", "must be in the future"));
    }
    if req.expires_at <= now || req.expires_at > now + chrono::Duration::days(MAX_REQUEST_DAYS) {
        return Err(ApiError::invalid_field("expires_at", "must be in the future, within 30 days"));
    }
    if req.expires_at > req.data_erase_at {
        return Err(ApiError::invalid_field("expires_at", "must not be after data_erase_at"));
    }
    let f = &req.frequency;
    if !["HOUR", "DAY", "WEEK", "MONTH", "YEAR"].contains(&f.unit.as_str()) || f.value < 1 || f.repeats < 0 {
        return Err(ApiError::invalid_field(
            "frequency",
            "unit HOUR, DAY, WEEK, MONTH or YEAR; value at least 1; repeats 0 or more",
        ));
    }
    Ok(ConsentRow {
        id: Uuid::now_v7(),
        patient_id: Uuid::nil(),
        hospital_id,
        purpose: purpose.code().to_owned(),
        hi_types: hi_types.iter().map(|t| t.code().to_owned()).collect(),
        access_mode: access_mode.code().to_owned(),
        date_from: req.date_range.from,
        date_to: req.date_range.to,
        data_erase_at: req.data_erase_at,
        frequency_unit: f.unit.clone(),
        frequency_value: f.value,
        frequency_repeats: f.repeats,
        request_expires_at: req.expires_at,
        status: ConsentStatus::Requested.code().to_owned(),
        created_at: now,
        decided_at: None,
        patient_address: None,
        grantee_address: None,
        valid_from: None,
    })
}

/// A hospital asks a patient for consent (one open artefact per hospital and patient).
#[utoipa::path(post, path = "/v1/consents", tag = "consents", security(("bearer" = [])), request_body = ConsentRequestCreate,
    responses((status = 201, body = ConsentView),
               (status = 403, description = "not a hospital", body = crate::error::ErrorBody),
               (status = 409, description = "`consent_exists`: an open artefact with this patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`", body = crate::error::ErrorBody)))]
pub async fn consents_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<ConsentRequestCreate>,
) -> ApiResult<(StatusCode, ApiJson<ConsentView>)> {
    user.require(&[Role::Hospital])?;
    let abha = AbhaNumber::parse(&req.patient_abha_number).map_err(ApiError::invalid("patient_abha_number"))?;
    let now = Utc::now();
    // Validate everything that needs no database first.
    let mut row = check_request(&req, user.subject_id, now)?;
    row.patient_id = consents::find_patient_id_by_abha(&state.pool, abha.as_digits()).await?.ok_or_else(|| {
        ApiError::invalid_field("patient_abha_number", "no patient is registered with this ABHA number")
    })?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    consents::mark_open_consent_expired(&mut tx, row.patient_id, user.subject_id).await?;
    consents::insert_consent(&mut tx, &row).await.map_err(conflict_as(
        "consent_exists",
        "this hospital already has an open consent artefact with this patient",
    ))?;
    insert_audit_event(&mut tx, &event(&user, "consent.request", Outcome::Ok, &row)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, ApiJson(view(row, &[], now))))
}

/// The caller's artefacts: a patient's, or those a hospital requested; newest first.
#[utoipa::path(get, path = "/v1/consents", tag = "consents", security(("bearer" = [])),
    responses((status = 200, body = Vec<ConsentView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn consents_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<ConsentView>>> {
    let rows = match user.role {
        Role::Patient => consents::find_consents_by_party(&state.pool, Some(user.subject_id), None).await?,
        Role::Hospital => consents::find_consents_by_party(&state.pool, None, Some(user.subject_id)).await?,
        Role::Auditor | Role::Admin => return Err(ApiError::Forbidden),
    };
    Ok(ApiJson(views(&state, rows).await?))
}

/// Loads an artefact the caller is a party to; anyone else gets 404 (and an audited denial).
async fn load_party(state: &AppState, user: &AuthUser, id: Uuid, action: &'static str) -> ApiResult<ConsentRow> {
    let c = consents::find_consent_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    let party = match user.role {
        Role::Patient => c.patient_id == user.subject_id,
        Role::Hospital => c.hospital_id == user.subject_id,
        Role::Auditor | Role::Admin => false,
    };
    if !party {
        insert_audit_event_now(&state.pool, &event(user, action, Outcome::Denied, &c)).await?;
        return Err(ApiError::NotFound);
    }
    Ok(c)
}

/// One artefact (its patient or its hospital only).
#[utoipa::path(get, path = "/v1/consents/{id}", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = ConsentView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ConsentView>> {
    let c = load_party(&state, &user, id, "consent.read").await?;
    Ok(ApiJson(views(&state, vec![c]).await?.pop().ok_or(ApiError::NotFound)?))
}

/// What a patient's device needs to grant: the hospital's current keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct GranteeKeys {
    /// The hospital's current X25519 public key (hex): add a stanza for it to each document.
    pub x25519_public_key: Option<String>,
    /// The hospital's registered Ethereum address: the grant's `grantee`.
    pub ethereum_address: Option<String>,
    /// The consent's id on chain.
    pub chain_consent_id: String,
}

/// The requesting hospital's current public keys (either party), for building a grant.
#[utoipa::path(get, path = "/v1/consents/{id}/grantee-keys", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = GranteeKeys), (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_grantee_keys(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<GranteeKeys>> {
    let c = load_party(&state, &user, id, "consent.read").await?;
    let keys = keys::find_keys_by_owner(&state.pool, c.hospital_id).await?;
    Ok(ApiJson(GranteeKeys {
        x25519_public_key: active_key(&keys, "x25519").map(str::to_owned),
        ethereum_address: active_key(&keys, "ethereum")
            .and_then(|a| a.parse::<Address>().ok())
            .map(|a| a.to_checksum(None)),
        chain_consent_id: chain_id_hex(&c),
    }))
}

/// One artefact as a FHIR R4 `Consent` (its patient or its hospital only).
#[utoipa::path(get, path = "/v1/consents/{id}/fhir", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "FHIR R4 Consent", content_type = "application/fhir+json", body = serde_json::Value),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn consents_fhir(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse as _;
    let c = load_party(&state, &user, id, "consent.read").await?;
    let status = effective_status(&c, Utc::now());
    let resource = super::fhir::consent(&c, status, &chain_id_hex(&c));
    let body = serde_json::to_vec_pretty(&resource).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/fhir+json")], body).into_response())
}

/// The patient refuses a request that is still open.
#[utoipa::path(post, path = "/v1/consents/{id}/deny", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request (decided or expired)", body = crate::error::ErrorBody)))]
pub async fn consents_deny(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let c = load_party(&state, &user, id, "consent.deny").await?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !consents::mark_consent_denied(&mut tx, c.id).await? {
        return Err(ApiError::Conflict("invalid_transition", "only an open, unexpired request can be denied"));
    }
    record_consent_event(&mut tx, c.id, EventType::Denied, Utc::now()).await?;
    insert_audit_event(&mut tx, &event(&user, "consent.deny", Outcome::Ok, &c)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    reload_view(&state, id).await
}

/// A patient's grant: optionally narrower than the request, and signed (EIP-712, docs/contract.md)
/// over exactly the scope, parties and validity the server stores.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentGrantBody {
    /// HI types granted: all requested when absent, else a non-empty subset.
    #[schema(value_type = Option<std::collections::BTreeSet<String>>, min_items = 1, max_items = 7, pattern = r"^(OPConsultation|Prescription|DischargeSummary|DiagnosticReport|ImmunizationRecord|HealthDocumentRecord|WellnessRecord)$")]
    pub hi_types: Option<Vec<String>>,
    /// Care dates granted: the requested range when absent, else a range inside it.
    pub date_range: Option<DateRange>,
    /// When the grant ends: the requested `data_erase_at` when absent, else an earlier time.
    pub data_erase_at: Option<DateTime<Utc>>,
    /// Validity start signed (Unix seconds), at most 2^40 - 1 (`uint40`).
    #[schema(maximum = 1_099_511_627_775_u64)]
    pub valid_from: u64,
    /// The patient's contract nonce signed, at most 2^63 - 1.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub nonce: u64,
    /// Signature deadline signed (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[schema(maximum = 1_099_511_627_775_u64)]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) by the patient's registered Ethereum key.
    #[schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$")]
    pub signature: String,
    /// For every live document in the granted scope, its envelope header with one stanza added
    /// for the hospital's current X25519 key (`envelope::add_recipient` on the patient's device).
    #[serde(default)]
    pub headers: Vec<HeaderUpdate>,
}

/// A document's new envelope header.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderUpdate {
    /// The document.
    pub document_id: Uuid,
    /// The new header (base64).
    pub header: String,
}

/// A patient's signed revocation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRevokeBody {
    /// The patient's contract nonce signed, at most 2^63 - 1.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub nonce: u64,
    /// Signature deadline signed (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[schema(maximum = 1_099_511_627_775_u64)]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) by the patient's registered Ethereum key.
    #[schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$")]
    pub signature: String,
}

pub(crate) fn parse_signature(s: &str) -> ApiResult<[u8; 64]> {
    let mut out = [0u8; 64];
    hex::decode_to_slice(s.trim().trim_start_matches("0x"), &mut out)
        .map_err(|_| ApiError::invalid_field("signature", "0x and 128 hex digits (EIP-2098 compact)"))?;
    Ok(out)
}

/// The active (not rotated away) key of `kind` among an account's keys.
pub(crate) fn active_key<'a>(keys: &'a [keys::KeyRow], kind: &str) -> Option<&'a str> {
    keys.iter().find(|k| k.kind == kind && k.retired_at.is_none()).map(|k| k.public_key.as_str())
}

/// A patient's account address (their first Ethereum key, fixed for good) and the key that signs
/// for it now: the newest Ethereum key that is the account's own or was handed the account by a
/// rotation the chain did not refuse. It is the active key, unless the chain refused the
/// rotation to it: then the chain's signer is still the one before, and so is the platform's.
/// (A later key registered without a rotation, before accounts were fixed, signs nothing.)
pub(crate) fn patient_account(keys: &[keys::KeyRow]) -> Option<(Address, Address)> {
    active_key(keys, "ethereum")?;
    let mut eth = keys.iter().filter(|k| k.kind == "ethereum");
    let account: Address = eth.clone().next_back()?.public_key.parse().ok()?;
    let signs = |k: &keys::KeyRow| {
        k.public_key.parse() == Ok(account)
            || matches!(k.rotation_state.as_deref(), Some("pending" | "submitted" | "confirmed"))
    };
    let signer = eth.find(|k| signs(k))?.public_key.parse().ok()?;
    Some((account, signer))
}

/// The key that must sign a message for the consent signed under `patient` (the stored address):
/// the account's signer now, or `patient` itself for a grant recorded under a later key before
/// accounts were fixed (on chain that address is an account of its own, never rotated).
async fn current_signer(state: &AppState, patient_id: Uuid, patient: Address) -> ApiResult<Address> {
    let keys = keys::find_keys_by_owner(&state.pool, patient_id).await?;
    Ok(match patient_account(&keys) {
        Some((account, signer)) if account == patient => signer,
        _ => patient,
    })
}

/// Refuses `nonce` when the account has a rotation not yet settled on chain with that nonce or
/// a higher one: the rotation consumes its nonce, so such a message could never land.
pub(crate) async fn check_nonce_after_rotations(state: &AppState, account: Address, nonce: i64) -> ApiResult<()> {
    match relay::find_unsettled_rotation_nonce(&state.pool, &account.into_array()).await? {
        Some(taken) if nonce <= taken => Err(ApiError::invalid_field(
            "nonce",
            format!("above {taken}: the account's key rotation waiting for the chain consumes nonce {taken}"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn chain_domain(state: &AppState) -> ApiResult<alloy::sol_types::Eip712Domain> {
    let contract = state.contract.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("no ConsentRegistry configured; consents cannot be signed for a domain"))
    })?;
    Ok(domain(state.settings.chain.chain_id, Address::from(contract.0)))
}

fn unix(t: DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp()).unwrap_or(0)
}

/// A signed time the contract can hold (`uint40` seconds), as stored.
fn chain_time(field: &'static str, t: u64) -> ApiResult<i64> {
    i64::try_from(t).ok().filter(|_| t <= MAX_CHAIN_TIME).ok_or_else(|| {
        ApiError::invalid_field(field, format!("at most {MAX_CHAIN_TIME} (the contract's uint40 seconds)"))
    })
}

/// A signed nonce, as stored.
pub(crate) fn chain_nonce(n: u64) -> ApiResult<i64> {
    i64::try_from(n).ok().filter(|_| n <= MAX_NONCE).ok_or_else(|| ApiError::invalid_field("nonce", "at most 2^63 - 1"))
}

/// A signature deadline: in the future (the contract refuses one already past) and in range.
pub(crate) fn chain_deadline(deadline: u64, now: DateTime<Utc>) -> ApiResult<i64> {
    let stored = chain_time("deadline", deadline)?;
    if deadline <= unix(now) {
        return Err(ApiError::invalid_field("deadline", "in the future"));
    }
    Ok(stored)
}

/// Why a signature is refused, in the error body.
fn signature_refused(e: SignatureError, what: &str) -> ApiError {
    match e {
        SignatureError::HighS => ApiError::unprocessable(
            "invalid_signature",
            "the signature's s value is in the upper half of the curve order; the contract accepts only low-s signatures",
        ),
        SignatureError::NotThePatient => {
            ApiError::unprocessable("invalid_signature", &format!("the signature is not the patient's over {what}"))
        }
    }
}

/// The patient grants an open request, with a signature the contract will accept.
#[utoipa::path(post, path = "/v1/consents/{id}/grant", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConsentGrantBody,
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`, `invalid_signature`, `no_patient_key`, `no_hospital_key`", body = crate::error::ErrorBody)))]
pub async fn consents_grant(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConsentGrantBody>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let c = load_party(&state, &user, id, "consent.grant").await?;
    let now = Utc::now();
    if effective_status(&c, now) != ConsentStatus::Requested {
        return Err(ApiError::Conflict("invalid_transition", "only an open, unexpired request can be granted"));
    }
    // Narrowing: never wider than requested.
    let hi_types = match &body.hi_types {
        None => c.hi_types.clone(),
        Some(list) => {
            let mut out: Vec<HiType> = Vec::new();
            for t in list {
                let t = HiType::parse(t).map_err(ApiError::invalid("hi_types"))?;
                if !c.hi_types.iter().any(|r| r == t.code()) || out.contains(&t) {
                    return Err(ApiError::invalid_field("hi_types", "a non-empty subset of the requested HI types"));
                }
                out.push(t);
            }
            if out.is_empty() {
                return Err(ApiError::invalid_field("hi_types", "a non-empty subset of the requested HI types"));
            }
            out.sort();
            out.iter().map(|t| t.code().to_owned()).collect()
        }
    };
    let range = body.date_range.clone().unwrap_or(DateRange { from: c.date_from, to: c.date_to });
    if range.from > range.to || range.from < c.date_from || range.to > c.date_to {
        return Err(ApiError::invalid_field("date_range", "inside the requested range, from not after to"));
    }
    let data_erase_at = body.data_erase_at.unwrap_or(c.data_erase_at);
    if data_erase_at > c.data_erase_at || data_erase_at <= now {
        return Err(ApiError::invalid_field("data_erase_at", "in the future, not after the requested one"));
    }
    let valid_until = unix(data_erase_at);
    if valid_until > MAX_CHAIN_TIME {
        return Err(ApiError::invalid_field("data_erase_at", "before the contract's last time (uint40 seconds)"));
    }
    let valid_from_secs = chain_time("valid_from", body.valid_from)?;
    if body.valid_from >= valid_until {
        return Err(ApiError::invalid_field("valid_from", "before data_erase_at"));
    }
    let nonce = chain_nonce(body.nonce)?;
    let deadline = chain_deadline(body.deadline, now)?;
    let signature = parse_signature(&body.signature)?;
    let patient_keys = keys::find_keys_by_owner(&state.pool, c.patient_id).await?;
    let (patient, patient_signer) = patient_account(&patient_keys).ok_or_else(|| {
        ApiError::unprocessable("no_patient_key", "register an Ethereum key (POST /v1/keys) before granting")
    })?;
    check_nonce_after_rotations(&state, patient, nonce).await?;
    let hospital_keys = keys::find_keys_by_owner(&state.pool, c.hospital_id).await?;
    let grantee = active_key(&hospital_keys, "ethereum")
        .and_then(|a| a.parse::<Address>().ok())
        .ok_or_else(|| ApiError::unprocessable("no_hospital_key", "the hospital has no registered Ethereum address"))?;
    let scope = scope_of(&c.purpose, &hi_types, &c.access_mode, range.from, range.to, &frequency_of(&c));
    let consent_id = chain_consent_id(&c.id);
    let scope_hash = scope.hash();
    let grant = Grant {
        consentId: B256::from(consent_id),
        patient,
        grantee,
        scopeHash: B256::from(scope_hash),
        validFrom: body.valid_from,
        validUntil: valid_until,
        nonce: body.nonce,
        deadline: body.deadline,
    };
    SignedGrant { grant, signature }
        .verify_by(&chain_domain(&state)?, patient_signer)
        .map_err(|e| signature_refused(e, "this grant (consent id, parties, scope hash, validity, nonce, deadline)"))?;
    let valid_from = DateTime::<Utc>::from_timestamp(valid_from_secs, 0)
        .ok_or_else(|| ApiError::invalid_field("valid_from", "a Unix time"))?;
    let record = GrantRecord {
        hi_types: &hi_types,
        date_from: range.from,
        date_to: range.to,
        data_erase_at,
        chain_consent_id: &consent_id,
        scope_hash: &scope_hash,
        patient_address: &patient.into_array(),
        grantee_address: &grantee.into_array(),
        valid_from,
        nonce,
        deadline,
        signature: &signature,
    };
    // Every in-scope document needs a header carrying the hospital's stanza, and nothing else may change.
    let hospital_key = active_key(&hospital_keys, "x25519")
        .and_then(super::documents::key_id_of)
        .ok_or_else(|| ApiError::unprocessable("no_hospital_key", "the hospital has no registered X25519 key"))?;
    let in_scope =
        consents::find_documents_in_scope(&state.pool, c.patient_id, &hi_types, range.from, range.to).await?;
    let mut updates = Vec::with_capacity(in_scope.len());
    for (doc_id, old) in &in_scope {
        let bad = |m: String| ApiError::invalid_field("headers", m);
        let given = body.headers.iter().filter(|h| h.document_id == *doc_id).collect::<Vec<_>>();
        let [given] = given[..] else { return Err(bad(format!("one header for document {doc_id} (in scope)"))) };
        let new = B64.decode(&given.header).map_err(|_| bad(format!("document {doc_id}: not base64")))?;
        let (old_h, _) = Header::parse(old)
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("stored header of {doc_id} unreadable")))?;
        let ok = matches!(Header::parse(&new), Ok((h, len)) if len == new.len() && h.only_adds(&old_h, &hospital_key));
        if !ok {
            return Err(bad(format!("document {doc_id}: the stored header plus one stanza for the hospital's key")));
        }
        updates.push((*doc_id, old.clone(), new));
    }
    if body.headers.len() != in_scope.len() {
        return Err(ApiError::invalid_field("headers", "only documents in the granted scope"));
    }
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !consents::mark_consent_granted(&mut tx, c.id, &record).await? {
        return Err(ApiError::Conflict("invalid_transition", "only an open, unexpired request can be granted"));
    }
    for (doc_id, old, new) in &updates {
        if !consents::add_hospital_stanza(&mut tx, *doc_id, old, new, &hospital_key, c.hospital_id).await? {
            return Err(ApiError::Conflict("document_changed", "a document in scope changed meanwhile; try again"));
        }
    }
    relay::insert_chain_event(&mut tx, c.id, EventKind::Grant).await?;
    record_consent_event(&mut tx, c.id, EventType::Granted, now).await?;
    insert_audit_event(&mut tx, &event(&user, "consent.grant", Outcome::Ok, &c)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    reload_view(&state, id).await
}

/// The patient revokes a grant; hospitals lose access at once.
#[utoipa::path(post, path = "/v1/consents/{id}/revoke", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConsentRevokeBody,
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not granted", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`, `invalid_signature`", body = crate::error::ErrorBody)))]
pub async fn consents_revoke(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConsentRevokeBody>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let c = load_party(&state, &user, id, "consent.revoke").await?;
    if c.status != ConsentStatus::Granted.code() {
        return Err(ApiError::Conflict("invalid_transition", "only a granted consent can be revoked"));
    }
    let (nonce, deadline) = (chain_nonce(body.nonce)?, chain_deadline(body.deadline, Utc::now())?);
    let signature = parse_signature(&body.signature)?;
    let patient = signed_patient(&c)?;
    let signer = current_signer(&state, c.patient_id, patient).await?;
    check_nonce_after_rotations(&state, patient, nonce).await?;
    let revoke =
        Revoke { consentId: B256::from(chain_consent_id(&c.id)), patient, nonce: body.nonce, deadline: body.deadline };
    SignedRevoke { revoke, signature }
        .verify_by(&chain_domain(&state)?, signer)
        .map_err(|e| signature_refused(e, "this revocation"))?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !consents::mark_consent_revoked(&mut tx, c.id, nonce, deadline, &signature).await? {
        return Err(ApiError::Conflict("invalid_transition", "only a granted consent can be revoked"));
    }
    consents::delete_hospital_stanzas(&mut tx, c.patient_id, c.hospital_id).await?;
    relay::insert_chain_event(&mut tx, c.id, EventKind::Revoke).await?;
    record_consent_event(&mut tx, c.id, EventType::Revoked, Utc::now()).await?;
    insert_audit_event(&mut tx, &event(&user, "consent.revoke", Outcome::Ok, &c)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    reload_view(&state, id).await
}

/// The granting patient's account address stored with a granted consent.
fn signed_patient(c: &ConsentRow) -> ApiResult<Address> {
    c.patient_address
        .as_deref()
        .and_then(|a| Address::try_from(a).ok())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("granted consent {} has no patient address", c.id)))
}

/// A new signature for the consent's grant or revocation that the chain refused for good.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentResignBody {
    /// The patient's contract nonce now (`nonces(patient)` on the ConsentRegistry), at most 2^63 - 1.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub nonce: u64,
    /// New signature deadline (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[schema(maximum = 1_099_511_627_775_u64)]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) over the same message with this nonce
    /// and deadline.
    #[schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$")]
    pub signature: String,
}

/// The patient signs again a grant or revocation whose relay failed for good (the contract
/// refused it: `StaleNonce` after `incrementNonce`, `SignatureExpired` after a fee stall, ...).
/// The message is the one stored — same consent, parties, scope and validity — with a new nonce
/// and deadline; it goes back in the relay queue. A failed revocation is re-signed only once
/// its grant is on chain; a failed grant only while the consent is granted and unexpired.
#[utoipa::path(post, path = "/v1/consents/{id}/resign", tag = "consents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ConsentResignBody,
    responses((status = 200, body = ConsentView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`nothing_to_resign`: no failed message that a new signature could put on chain", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`, `invalid_signature`", body = crate::error::ErrorBody)))]
pub async fn consents_resign(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<ConsentResignBody>,
) -> ApiResult<ApiJson<ConsentView>> {
    user.require(&[Role::Patient])?;
    let c = load_party(&state, &user, id, "consent.resign").await?;
    let now = Utc::now();
    let (nonce, deadline) = (chain_nonce(body.nonce)?, chain_deadline(body.deadline, now)?);
    let signature = parse_signature(&body.signature)?;
    let chain = relay::find_chain_states(&state.pool, &[id]).await?;
    let state_of = |kind: EventKind| chain.iter().find(|e| e.kind == kind.code()).map(|e| e.state.as_str());
    let nothing = || ApiError::Conflict("nothing_to_resign", "neither the grant nor the revocation failed on chain");
    let status = effective_status(&c, now);
    let which = if status == ConsentStatus::Revoked && state_of(EventKind::Revoke) == Some("failed") {
        if state_of(EventKind::Grant) != Some("confirmed") {
            return Err(ApiError::Conflict(
                "nothing_to_resign",
                "the grant is not on chain, so there is nothing to revoke there; access ended on the platform",
            ));
        }
        Signed::Revoke
    } else if status == ConsentStatus::Granted && state_of(EventKind::Grant) == Some("failed") {
        Signed::Grant
    } else {
        return Err(nothing());
    };
    let signed = consents::find_signed_consent_by_id(&state.pool, id).await?.ok_or_else(nothing)?;
    let patient = signed_patient(&c)?;
    let signer = current_signer(&state, c.patient_id, patient).await?;
    check_nonce_after_rotations(&state, patient, nonce).await?;
    let consent_id = B256::from(chain_consent_id(&c.id));
    let domain = chain_domain(&state)?;
    let kind = match which {
        Signed::Grant => {
            let b32 = |v: &Option<Vec<u8>>| v.as_deref().and_then(|b| B256::try_from(b).ok());
            let (Some(grantee), Some(scope_hash), Some(valid_from)) = (
                c.grantee_address.as_deref().and_then(|a| Address::try_from(a).ok()),
                b32(&signed.scope_hash),
                c.valid_from,
            ) else {
                return Err(ApiError::Internal(anyhow::anyhow!("granted consent {id} lacks its signed fields")));
            };
            let grant = Grant {
                consentId: consent_id,
                patient,
                grantee,
                scopeHash: scope_hash,
                validFrom: unix(valid_from),
                validUntil: unix(c.data_erase_at),
                nonce: body.nonce,
                deadline: body.deadline,
            };
            SignedGrant { grant, signature }
                .verify_by(&domain, signer)
                .map_err(|e| signature_refused(e, "the stored grant"))?;
            EventKind::Grant
        }
        Signed::Revoke => {
            let revoke = Revoke { consentId: consent_id, patient, nonce: body.nonce, deadline: body.deadline };
            SignedRevoke { revoke, signature }
                .verify_by(&domain, signer)
                .map_err(|e| signature_refused(e, "this revocation"))?;
            EventKind::Revoke
        }
    };
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !consents::replace_signature(&mut tx, id, which, nonce, deadline, &signature).await? {
        return Err(nothing());
    }
    let Some(failure) = relay::requeue_failed_event(&mut tx, id, kind).await? else { return Err(nothing()) };
    let mut audit = event(&user, "consent.resign", Outcome::Ok, &c);
    audit.details = json!({"hospital_id": c.hospital_id, "message": kind.code(), "previous_failure": failure});
    insert_audit_event(&mut tx, &audit).await?;
    tx.commit().await.map_err(StoreError::from)?;
    reload_view(&state, id).await
}

/// Paging through every signed consent.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignedConsentQuery {
    /// Return consents with ids after this one.
    #[param(nullable = false)]
    pub after: Option<Uuid>,
    /// Page size, 1 to 1000 (default 500).
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A signed consent as the platform holds it, for comparison with the chain.
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedConsentPage {
    /// Consents in id order.
    pub consents: Vec<SignedConsentView>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<Uuid>,
}

/// Every consent a patient has signed, with its chain mirror state: what `pramana audit --api`
/// compares with the contract's events (auditors and the operator).
#[utoipa::path(get, path = "/v1/audit/consents", tag = "audit", security(("bearer" = [])), params(SignedConsentQuery),
    responses((status = 200, body = SignedConsentPage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn audit_consents(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<SignedConsentQuery>,
) -> ApiResult<ApiJson<SignedConsentPage>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    let limit = q.limit.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 1000"));
    }
    let rows = consents::find_signed_consents(&state.pool, q.after, limit).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.consent.id).collect();
    let chain = relay::find_chain_states(&state.pool, &ids).await?;
    let now = Utc::now();
    let hex0x = |b: &Option<Vec<u8>>| format!("0x{}", hex::encode(b.as_deref().unwrap_or_default()));
    let next_after = (rows.len() as i64 == limit).then(|| rows.last().map(|c| c.consent.id)).flatten();
    let consents = rows
        .into_iter()
        .map(|c| SignedConsentView {
            id: c.consent.id,
            chain_consent_id: hex0x(&c.chain_consent_id),
            status: effective_status(&c.consent, now).code().to_owned(),
            patient: hex0x(&c.consent.patient_address),
            grantee: hex0x(&c.consent.grantee_address),
            scope_hash: hex0x(&c.scope_hash),
            valid_from: c.consent.valid_from.map_or(0, |t| t.timestamp()),
            valid_until: c.consent.data_erase_at.timestamp(),
            revoked_at: c.revoked_at,
            chain: chain_view(c.consent.id, &chain),
        })
        .collect();
    Ok(ApiJson(SignedConsentPage { consents, next_after }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, expires_in: i64, erase_in: i64, now: DateTime<Utc>) -> ConsentRow {
        ConsentRow {
            id: Uuid::nil(),
            patient_id: Uuid::nil(),
            hospital_id: Uuid::nil(),
            purpose: "CAREMGT".into(),
            hi_types: vec!["DiagnosticReport".into()],
            access_mode: "VIEW".into(),
            date_from: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            date_to: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            data_erase_at: now + chrono::Duration::seconds(erase_in),
            frequency_unit: "DAY".into(),
            frequency_value: 1,
            frequency_repeats: 0,
            request_expires_at: now + chrono::Duration::seconds(expires_in),
            status: status.into(),
            created_at: now,
            decided_at: None,
            patient_address: None,
            grantee_address: None,
            valid_from: None,
        }
    }

    #[test]
    fn expiry_follows_the_right_clock() {
        let now = Utc::now();
        assert_eq!(effective_status(&row("REQUESTED", 10, 100, now), now), ConsentStatus::Requested);
        assert_eq!(effective_status(&row("REQUESTED", 0, 100, now), now), ConsentStatus::Expired, "request expiry");
        // A grant outlives its request's expiry and ends at data_erase_at.
        assert_eq!(effective_status(&row("GRANTED", -10, 100, now), now), ConsentStatus::Granted);
        assert_eq!(effective_status(&row("GRANTED", -10, 0, now), now), ConsentStatus::Expired);
        assert_eq!(effective_status(&row("DENIED", -10, -10, now), now), ConsentStatus::Denied);
        assert_eq!(effective_status(&row("REVOKED", -10, -10, now), now), ConsentStatus::Revoked);
    }
}
