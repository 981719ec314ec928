//! `/v1/documents`: upload (the body is the envelope, streamed), list, metadata with the caller's
//! stanza, content download (streamed, HTTP ranges), the proof bundle once anchored, and delete
//! (crypto-shredding). The server never sees plaintext or a data key; it checks the envelope's
//! framing, the payload hash and that the owner can decrypt, then stores the payload and records
//! the anchor job in the same transaction as the row.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use http_body_util::BodyExt as _;
use pramana_core::HiType;
use pramana_core::envelope::{self, Header};
use pramana_core::merkle::document_leaf;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt as _;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::storage::{BlobUpload, BoxReader, VerifyingReader};
use crate::store::StoreError;
use crate::store::anchor;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use crate::store::documents::{self, DocumentRow, NewDocument, StanzaHolder};
use crate::store::keys;

/// What an upload declares about the envelope in its body.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// ABDM HI type, e.g. `DiagnosticReport`.
    #[param(
        pattern = r"^(OPConsultation|Prescription|DischargeSummary|DiagnosticReport|ImmunizationRecord|HealthDocumentRecord|WellnessRecord)$"
    )]
    pub hi_type: String,
    /// When the care happened (`YYYY-MM-DD`, not in the future).
    #[param(format = Date)]
    pub care_date: String,
    /// SHA-256 of the plaintext (64 hex digits).
    #[param(pattern = r"^[0-9a-fA-F]{64}$")]
    pub plaintext_sha256: String,
    /// The commitment salt (64 hex digits).
    #[param(pattern = r"^[0-9a-fA-F]{64}$")]
    pub salt: String,
    /// SHA-256 of the payload (the envelope after its header; 64 hex digits).
    #[param(pattern = r"^[0-9a-fA-F]{64}$")]
    pub payload_sha256: String,
    /// The patient whose record this is: required for hospitals, must be absent or the caller
    /// for patients.
    #[param(nullable = false)]
    pub patient_id: Option<Uuid>,
}

/// A document's metadata.
#[derive(Debug, Serialize, ToSchema)]
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

fn hex32(field: &'static str, s: &str) -> ApiResult<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut out).map_err(|_| ApiError::invalid_field(field, "must be 64 hex digits"))?;
    Ok(out)
}

/// Bytes of the envelope as downloaded (header and payload); 0 payload once deleted.
fn envelope_size(d: &DocumentRow) -> i64 {
    d.header.as_ref().map_or(0, Vec::len) as i64 + if d.deleted_at.is_some() { 0 } else { d.payload_size }
}

pub(crate) fn view(d: DocumentRow, my_key_ids: &[[u8; 16]]) -> DocumentView {
    let envelope_size = envelope_size(&d);
    let my_stanza = d
        .header
        .as_deref()
        .and_then(|h| Header::parse(h).ok())
        .and_then(|(h, _)| h.stanzas.into_iter().find(|s| my_key_ids.contains(&s.key_id)))
        .map(|s| {
            let mut raw = Vec::with_capacity(envelope::STANZA_LEN);
            raw.push(1);
            raw.extend_from_slice(&s.key_id);
            raw.extend_from_slice(&s.enc);
            raw.extend_from_slice(&s.wrapped);
            B64.encode(raw)
        });
    DocumentView {
        id: d.id,
        owner_patient_id: d.owner_patient_id,
        uploaded_by_role: d.uploaded_by_role,
        uploaded_by_id: d.uploaded_by_id,
        hi_type: d.hi_type,
        care_date: d.care_date,
        plaintext_size: d.plaintext_size,
        envelope_size,
        plaintext_sha256: hex::encode(&d.plaintext_sha256),
        payload_sha256: hex::encode(&d.payload_sha256),
        salt: hex::encode(&d.salt),
        leaf: hex::encode(&d.leaf),
        created_at: d.created_at,
        deleted_at: d.deleted_at,
        header: d.header.map(|h| B64.encode(h)),
        my_stanza,
        anchor_state: d.anchor_state.unwrap_or_else(|| "pending".to_owned()),
    }
}

/// The key id of a registered X25519 key (hex).
pub(crate) fn key_id_of(hex_key: &str) -> Option<[u8; 16]> {
    let mut pk = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut pk).ok()?;
    Some(envelope::Recipient(pk).key_id())
}

pub(crate) async fn my_key_ids(state: &AppState, user: &AuthUser) -> ApiResult<Vec<[u8; 16]>> {
    let rows = keys::find_x25519_keys_by_owners(&state.pool, &[user.subject_id]).await?;
    Ok(rows.iter().filter_map(|k| key_id_of(&k.public_key)).collect())
}

/// Loads a document the caller may see: its owner, the hospital that uploaded it, or a hospital
/// holding an active grant that covers its HI type and care date. Anyone else gets 404 (and an
/// audited denial when the document exists).
async fn load_visible(state: &AppState, user: &AuthUser, id: Uuid, action: &'static str) -> ApiResult<DocumentRow> {
    let doc = documents::find_document_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    let visible = match user.role {
        Role::Patient => doc.owner_patient_id == user.subject_id,
        Role::Hospital => {
            (doc.uploaded_by_role == "hospital" && doc.uploaded_by_id == user.subject_id)
                || crate::store::consents::is_document_granted(&state.pool, doc.id, user.subject_id).await?
        }
        Role::Auditor | Role::Admin => false,
    };
    if !visible {
        audit(state, user, action, Outcome::Denied, &doc, json!({})).await?;
        return Err(ApiError::NotFound);
    }
    Ok(doc)
}

async fn audit(
    state: &AppState,
    user: &AuthUser,
    action: &'static str,
    outcome: Outcome,
    doc: &DocumentRow,
    details: serde_json::Value,
) -> ApiResult<()> {
    insert_audit_event_now(&state.pool, &event(user, action, outcome, doc.id, doc.owner_patient_id, details)).await?;
    Ok(())
}

fn event(
    user: &AuthUser,
    action: &'static str,
    outcome: Outcome,
    doc_id: Uuid,
    owner: Uuid,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        actor_role: user.role.as_str(),
        actor_id: Some(user.subject_id),
        action,
        outcome,
        subject_patient_id: Some(owner),
        target: Some(format!("document:{doc_id}")),
        request_id: current_request_id(),
        details,
    }
}

/// Uploads an envelope. The body is `header ‖ payload` as `pramana_core::envelope::seal` wrote
/// it, sealed for this document id; `Content-Length` is required.
#[utoipa::path(put, path = "/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id the envelope was sealed for"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The envelope"),
    responses(
        (status = 201, body = DocumentView),
        (status = 400, description = "`invalid_query`, `length_mismatch` (the body is not `Content-Length` long), `body_read_failed`", body = crate::error::ErrorBody),
        (status = 403, description = "neither a patient nor a hospital", body = crate::error::ErrorBody),
        (status = 404, description = "`not_found`: no such patient, or another patient's id", body = crate::error::ErrorBody),
        (status = 409, description = "`document_exists`", body = crate::error::ErrorBody),
        (status = 411, description = "`length_required`", body = crate::error::ErrorBody),
        (status = 413, description = "`body_too_large`, `quota_exceeded`", body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_<field>`, `malformed_envelope`, `hash_mismatch`, `missing_stanza`, `no_patient_key`", body = crate::error::ErrorBody),
    ))]
pub async fn documents_put(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, ApiJson<DocumentView>)> {
    // 1. Everything that can be checked before reading the body.
    let owner = match (user.role, q.patient_id) {
        (Role::Patient, None) => user.subject_id,
        (Role::Patient, Some(p)) if p == user.subject_id => p,
        (Role::Patient, Some(_)) => return Err(ApiError::NotFound),
        (Role::Hospital, Some(p)) => p,
        (Role::Hospital, None) => return Err(ApiError::invalid_field("patient_id", "required for hospital uploads")),
        _ => return Err(ApiError::Forbidden),
    };
    let hi_type = HiType::parse(&q.hi_type).map_err(ApiError::invalid("hi_type"))?;
    let care_date = NaiveDate::parse_from_str(q.care_date.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= Utc::now().date_naive())
        .ok_or_else(|| ApiError::invalid_field("care_date", "must be YYYY-MM-DD and not in the future"))?;
    let plaintext_sha256 = hex32("plaintext_sha256", &q.plaintext_sha256)?;
    let salt = hex32("salt", &q.salt)?;
    let payload_sha256 = hex32("payload_sha256", &q.payload_sha256)?;
    let content_length: u64 =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).ok_or(
            ApiError::BadRequest {
                status: StatusCode::LENGTH_REQUIRED,
                code: "length_required",
                message: "Content-Length is required".into(),
            },
        )?;
    let limits = &state.settings.storage;
    if content_length > limits.max_document_bytes {
        return Err(too_large("body_too_large", "the envelope is larger than storage.max_document_bytes"));
    }
    if documents::find_document_by_id(&state.pool, id).await?.is_some() {
        return Err(ApiError::Conflict("document_exists", "a document with this id exists"));
    }
    // The owner must exist (for hospitals: another tenant's id that does not exist is 404) and
    // must be able to decrypt: the envelope needs a stanza for one of their keys.
    let mut conn = state.pool.acquire().await.map_err(StoreError::from)?;
    crate::store::patients::find_patient_by_id(&mut conn, pramana_core::PatientId(owner))
        .await?
        .ok_or(ApiError::NotFound)?;
    drop(conn);
    let parties: Vec<Uuid> = if owner == user.subject_id { vec![owner] } else { vec![owner, user.subject_id] };
    let known_keys = keys::find_x25519_keys_by_owners(&state.pool, &parties).await?;
    let owner_key = known_keys
        .iter()
        .find(|k| k.owner_id == owner && k.retired_at.is_none())
        .and_then(|k| key_id_of(&k.public_key))
        .ok_or_else(|| ApiError::unprocessable("no_patient_key", "the patient has no registered X25519 key"))?;
    let used = documents::find_patient_usage(&state.pool, owner).await?;
    if used as u64 + content_length > limits.quota_bytes_per_patient {
        return Err(too_large("quota_exceeded", "this would exceed the patient's storage quota"));
    }

    // 2. Stream: header first (parsed and checked), then the payload into staging.
    let mut stream = body;
    let mut head: Vec<u8> = Vec::new();
    let mut received: u64 = 0;
    let header = loop {
        match Header::parse(&head) {
            Ok((h, _)) => break h,
            Err(envelope::CryptoError::Malformed("header is truncated")) => {}
            Err(_) => return Err(malformed("not a valid envelope header")),
        }
        match next_chunk(&mut stream).await? {
            Some(bytes) => {
                received += bytes.len() as u64;
                check_received(received, content_length)?;
                head.extend_from_slice(&bytes);
            }
            None => return Err(malformed("the body ends inside the envelope header")),
        }
    };
    if header.doc_id != *id.as_bytes() {
        return Err(malformed("the envelope was sealed for another document id"));
    }
    if header.stanza(&owner_key).is_none() {
        return Err(ApiError::unprocessable(
            "missing_stanza",
            "the envelope has no stanza for the patient's current key",
        ));
    }
    let header_len = header.len();
    let mut upload = state.storage.begin().await.map_err(ApiError::internal)?;
    let streamed = stream_payload(&mut stream, &mut upload, &head[header_len..], received, content_length).await;
    let (payload_len, actual_sha) = match streamed {
        Ok(v) => v,
        Err(e) => {
            upload.abort().await;
            return Err(e);
        }
    };
    let Some(plaintext_len) = envelope::plaintext_len(payload_len) else {
        upload.abort().await;
        return Err(malformed("the payload length does not fit the chunk framing"));
    };
    if actual_sha != payload_sha256 {
        upload.abort().await;
        return Err(ApiError::unprocessable("hash_mismatch", "the payload does not hash to payload_sha256"));
    }
    let key = upload.commit(hex::encode(actual_sha)).await.map_err(ApiError::internal)?;

    // 3. One transaction: quota re-check under a row lock, document, stanza index, anchor job, audit.
    let leaf = document_leaf(&salt, &plaintext_sha256);
    let holders: Vec<StanzaHolder> = header
        .stanzas
        .iter()
        .map(|s| {
            let holder = known_keys.iter().find(|k| key_id_of(&k.public_key) == Some(s.key_id));
            StanzaHolder {
                key_id: s.key_id,
                holder_role: holder.map(|k| if k.owner_role == "patient" { "patient" } else { "hospital" }),
                holder_id: holder.map(|k| k.owner_id),
            }
        })
        .collect();
    let header_bytes = header.to_bytes();
    let new = NewDocument {
        id,
        owner_patient_id: owner,
        uploaded_by_role: user.role.as_str(),
        uploaded_by_id: user.subject_id,
        hi_type: hi_type.code(),
        care_date,
        plaintext_size: plaintext_len as i64,
        payload_size: payload_len as i64,
        payload_sha256: &actual_sha,
        storage_key: &key,
        plaintext_sha256: &plaintext_sha256,
        salt: &salt,
        leaf: &leaf,
        header: &header_bytes,
    };
    let committed: Result<Result<(), ApiError>, StoreError> = async {
        let mut tx = state.pool.begin().await?;
        let used = documents::lock_patient_usage(&mut tx, owner).await?;
        if used as u64 + payload_len > limits.quota_bytes_per_patient {
            return Ok(Err(too_large("quota_exceeded", "this would exceed the patient's storage quota")));
        }
        documents::insert_document(&mut tx, &new, &holders).await?;
        let details = json!({"hi_type": hi_type.code(), "payload_size": payload_len});
        insert_audit_event(&mut tx, &event(&user, "document.upload", Outcome::Ok, id, owner, details)).await?;
        tx.commit().await?;
        Ok(Ok(()))
    }
    .await;
    let outcome = match committed {
        Ok(inner) => inner,
        Err(StoreError::Conflict(_)) => Err(ApiError::Conflict("document_exists", "a document with this id exists")),
        Err(e) => Err(e.into()),
    };
    if let Err(e) = outcome {
        // No row points at the object: remove it, unless an identical payload is in use.
        if !documents::is_object_in_use(&state.pool, &key).await.unwrap_or(true) {
            let _ = state.storage.delete(&key).await;
        }
        return Err(e);
    }
    let row = documents::find_document_by_id(&state.pool, id).await?.ok_or(ApiError::NotFound)?;
    let mine = my_key_ids(&state, &user).await?;
    Ok((StatusCode::CREATED, ApiJson(view(row, &mine))))
}

fn too_large(code: &'static str, message: &str) -> ApiError {
    ApiError::BadRequest { status: StatusCode::PAYLOAD_TOO_LARGE, code, message: message.into() }
}

fn malformed(message: &str) -> ApiError {
    ApiError::unprocessable("malformed_envelope", message)
}

fn check_received(received: u64, content_length: u64) -> ApiResult<()> {
    if received > content_length {
        return Err(ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "length_mismatch",
            message: "the body is longer than Content-Length".into(),
        });
    }
    Ok(())
}

/// The next data frame of the body (trailers are skipped).
async fn next_chunk(body: &mut Body) -> ApiResult<Option<bytes::Bytes>> {
    loop {
        match body.frame().await {
            None => return Ok(None),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
            Some(Err(_)) => {
                return Err(ApiError::BadRequest {
                    status: StatusCode::BAD_REQUEST,
                    code: "body_read_failed",
                    message: "the request body could not be read".into(),
                });
            }
        }
    }
}

/// Writes the payload (the part of `head` after the header, then the rest of the stream) to
/// staging; returns its length and SHA-256.
async fn stream_payload(
    stream: &mut Body,
    upload: &mut Box<dyn BlobUpload>,
    first: &[u8],
    mut received: u64,
    content_length: u64,
) -> ApiResult<(u64, [u8; 32])> {
    let mut hasher = Sha256::new();
    let mut len = first.len() as u64;
    hasher.update(first);
    upload.write(first).await.map_err(ApiError::internal)?;
    while let Some(bytes) = next_chunk(stream).await? {
        received += bytes.len() as u64;
        check_received(received, content_length)?;
        hasher.update(&bytes);
        len += bytes.len() as u64;
        upload.write(&bytes).await.map_err(ApiError::internal)?;
    }
    if received != content_length {
        return Err(ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "length_mismatch",
            message: "the body is shorter than Content-Length".into(),
        });
    }
    Ok((len, hasher.finalize().into()))
}

/// Lists live documents: a patient's own, or those a hospital uploaded.
#[utoipa::path(get, path = "/v1/documents", tag = "documents", security(("bearer" = [])),
    responses((status = 200, body = Vec<DocumentView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn documents_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<DocumentView>>> {
    let rows = match user.role {
        Role::Patient => documents::find_documents_by_owner(&state.pool, user.subject_id).await?,
        Role::Hospital => documents::find_documents_for_hospital(&state.pool, user.subject_id).await?,
        Role::Auditor | Role::Admin => return Err(ApiError::Forbidden),
    };
    let mine = my_key_ids(&state, &user).await?;
    Ok(ApiJson(rows.into_iter().map(|d| view(d, &mine)).collect()))
}

/// A document's metadata, header and the caller's own stanza.
#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = DocumentView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn documents_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<DocumentView>> {
    let doc = load_visible(&state, &user, id, "document.read_metadata").await?;
    audit(&state, &user, "document.read_metadata", Outcome::Ok, &doc, json!({})).await?;
    let mine = my_key_ids(&state, &user).await?;
    Ok(ApiJson(view(doc, &mine)))
}

/// The document's proof bundle (docs/proof.md): with it and any Ethereum RPC endpoint, anyone
/// can check the document against the chain. `409 not_anchored` until its batch is confirmed.
#[utoipa::path(get, path = "/v1/documents/{id}/proof", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The proof bundle (docs/proof.md)", body = serde_json::Value),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`not_anchored`: not yet confirmed on chain", body = crate::error::ErrorBody)))]
pub async fn documents_proof(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let doc = load_visible(&state, &user, id, "document.read_proof").await?;
    let anchor = anchor::find_anchor_by_document(&state.pool, doc.id).await?;
    let Some(proof) = anchor.and_then(|a| a.proof) else {
        return Err(ApiError::Conflict(
            "not_anchored",
            "the document is not anchored on chain yet (its batch is pending or awaiting confirmations); try again shortly",
        ));
    };
    audit(&state, &user, "document.read_proof", Outcome::Ok, &doc, json!({})).await?;
    let body = serde_json::to_vec_pretty(&proof).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}

/// The document's metadata as a FHIR R4 `DocumentReference` (with the plaintext's SHA-256 and,
/// once anchored, the proof bundle).
#[utoipa::path(get, path = "/v1/documents/{id}/fhir", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "FHIR R4 DocumentReference", content_type = "application/fhir+json",
                body = serde_json::Value),
               (status = 404, body = crate::error::ErrorBody)))]
pub async fn documents_fhir(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let doc = load_visible(&state, &user, id, "document.read_metadata").await?;
    let proof = anchor::find_anchor_by_document(&state.pool, doc.id).await?.and_then(|a| a.proof);
    audit(&state, &user, "document.read_metadata", Outcome::Ok, &doc, json!({"format": "fhir"})).await?;
    let resource = super::fhir::document_reference(&doc, envelope_size(&doc), proof.as_ref());
    let body = serde_json::to_vec_pretty(&resource).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/fhir+json"))], body).into_response())
}

/// The envelope (`header ‖ payload`), streamed; supports one `Range: bytes=a-b`. Full reads are
/// verified against the stored hash as they stream.
#[utoipa::path(get, path = "/v1/documents/{id}/content", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The envelope", content_type = "application/octet-stream"),
               (status = 206, description = "The requested range"), (status = 404, body = crate::error::ErrorBody),
               (status = 416, description = "`range_not_satisfiable`", body = crate::error::ErrorBody)))]
pub async fn documents_content(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let doc = load_visible(&state, &user, id, "document.download").await?;
    let Some(head) = doc.header.clone() else { return Err(ApiError::NotFound) };
    let total = head.len() as u64 + doc.payload_size as u64;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(r) => Some(parse_range(r, total).ok_or(ApiError::BadRequest {
            status: StatusCode::RANGE_NOT_SATISFIABLE,
            code: "range_not_satisfiable",
            message: format!("supported: one range within bytes 0-{}", total.saturating_sub(1)),
        })?),
    };
    let (start, end) = range.unwrap_or((0, total - 1));
    let key = doc.storage_key.clone();
    let head_len = head.len() as u64;
    // Bytes [start, end] of header ‖ payload.
    let head_part: Vec<u8> =
        if start < head_len { head[start as usize..=(end.min(head_len - 1)) as usize].to_vec() } else { Vec::new() };
    let reader: BoxReader = if end >= head_len {
        let p_start = start.saturating_sub(head_len);
        let p_len = end - head_len.max(start) + 1;
        let object = state.storage.read(&key, p_start, p_len).await.map_err(ApiError::internal)?;
        let payload: BoxReader = if range.is_none() {
            let mut expected = [0u8; 32];
            expected.copy_from_slice(&doc.payload_sha256);
            Box::pin(VerifyingReader::new(object, expected))
        } else {
            object
        };
        Box::pin(std::io::Cursor::new(head_part).chain(payload))
    } else {
        Box::pin(std::io::Cursor::new(head_part))
    };
    audit(&state, &user, "document.download", Outcome::Ok, &doc, json!({"range": range.is_some()})).await?;

    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start + 1));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&doc.payload_sha256))) {
        h.insert(header::ETAG, etag);
    }
    if range.is_some() {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
            h.insert(header::CONTENT_RANGE, v);
        }
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(resp)
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` within `total`; inclusive bounds.
fn parse_range(value: &str, total: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || total == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (total.checked_sub(n.min(total))?, total - 1)
        }
        (a, "") => (a.parse().ok()?, total - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(total - 1)),
    };
    (start <= end && start < total).then_some((start, end))
}

/// Deletes a document (its owner only): the payload and every stanza are destroyed, a tombstone
/// with the hashes stays for the audit trail and the anchored commitment.
#[utoipa::path(delete, path = "/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn documents_delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    let doc = load_visible(&state, &user, id, "document.delete").await?;
    if user.role != Role::Patient {
        audit(&state, &user, "document.delete", Outcome::Denied, &doc, json!({})).await?;
        return Err(ApiError::Forbidden);
    }
    if doc.deleted_at.is_some() {
        return Err(ApiError::NotFound);
    }
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    documents::mark_document_deleted(&mut tx, id).await?;
    insert_audit_event(&mut tx, &event(&user, "document.delete", Outcome::Ok, id, doc.owner_patient_id, json!({})))
        .await?;
    tx.commit().await.map_err(StoreError::from)?;
    if !documents::is_object_in_use(&state.pool, &doc.storage_key).await?
        && let Err(e) = state.storage.delete(&doc.storage_key).await
    {
        tracing::error!(error = %e, document = %id, "payload not deleted; the tombstone stands, remove the object by hand");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A header without one recipient, made on the owner's device.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveRecipient {
    /// The key id (32 hex digits) of the stanza to drop.
    #[schema(pattern = r"^[0-9a-fA-F]{32}$")]
    pub key_id: String,
    /// The new header (base64): the stored one without that stanza, with its MAC recomputed.
    pub header: String,
}

/// The owner drops a recipient's stanza from a document's header (after a revocation, say).
/// The server cannot check the MAC, so it checks that exactly that stanza is gone and nothing
/// else changed; the owner's own stanzas cannot be dropped.
#[utoipa::path(post, path = "/v1/documents/{id}/header", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RemoveRecipient,
    responses((status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`document_changed`", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_key_id`, `invalid_header`, `own_key`", body = crate::error::ErrorBody)))]
pub async fn documents_remove_recipient(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RemoveRecipient>,
) -> ApiResult<StatusCode> {
    user.require(&[Role::Patient])?;
    let doc = load_visible(&state, &user, id, "document.header.remove_recipient").await?;
    if doc.owner_patient_id != user.subject_id {
        audit(&state, &user, "document.header.remove_recipient", Outcome::Denied, &doc, json!({})).await?;
        return Err(ApiError::Forbidden);
    }
    let Some(stored) = doc.header.as_deref().filter(|_| doc.deleted_at.is_none()) else {
        return Err(ApiError::NotFound);
    };
    let mut key_id = [0u8; 16];
    hex::decode_to_slice(&body.key_id, &mut key_id).map_err(|_| ApiError::invalid_field("key_id", "32 hex digits"))?;
    if my_key_ids(&state, &user).await?.contains(&key_id) {
        return Err(ApiError::unprocessable("own_key", "your own stanza cannot be removed"));
    }
    let (old, _) =
        Header::parse(stored).map_err(|_| ApiError::Internal(anyhow::anyhow!("stored header of {id} unreadable")))?;
    let new = B64.decode(&body.header).map_err(|_| ApiError::invalid_field("header", "not base64"))?;
    let ok = matches!(Header::parse(&new), Ok((h, len)) if len == new.len() && h.only_removes(&old, &key_id));
    if !ok {
        return Err(ApiError::invalid_field(
            "header",
            "the stored header without that key's stanza, nothing else changed",
        ));
    }
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !documents::remove_stanza(&mut tx, id, stored, &new, &key_id).await? {
        return Err(ApiError::Conflict("document_changed", "the document changed meanwhile; try again"));
    }
    let details = json!({"key_id": body.key_id});
    let e = event(&user, "document.header.remove_recipient", Outcome::Ok, id, doc.owner_patient_id, details);
    insert_audit_event(&mut tx, &e).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("bytes=0-1,4-5", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
