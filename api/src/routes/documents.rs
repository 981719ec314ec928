//! `/v1/documents`: upload (the body is the envelope, streamed), list, metadata with the caller's
//! stanza, content download (streamed, HTTP ranges), the proof bundle once anchored, and delete
//! (crypto-shredding), and the header's history (list, restore). The server never sees plaintext
//! or a data key; what an upload, a delete or a header change checks and records is
//! `service::documents`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use futures::{Stream, StreamExt as _};
use pramana_core::HiType;
use pramana_wire::{DocumentView, HeaderVersionView, RemoveRecipient, UploadQuery};
use serde_json::json;
use tokio::io::AsyncReadExt as _;
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::service::documents::{self as service, BodyError, Upload};
use crate::state::AppState;
use crate::storage::{BoxReader, VerifyingReader};
use crate::views;
use pramana_server::store::anchor;
use pramana_server::store::documents::{self, DocumentRow};

/// 32 bytes from 64 hex digits, or 422 `invalid_<field>`.
pub(crate) fn hex32(field: &'static str, s: &str) -> ApiResult<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim(), &mut out).map_err(|_| ApiError::invalid_field(field, "must be 64 hex digits"))?;
    Ok(out)
}

/// The caller's view of a document (with the caller's own stanza).
pub(crate) async fn view_for(state: &AppState, user: &AuthUser, d: DocumentRow) -> ApiResult<DocumentView> {
    let mine = service::my_key_ids(&state.pool, user.subject_id).await?;
    Ok(views::document_view(d, &mine))
}

/// Whether `req` is a document upload (`PUT /v1/documents/{id}`, or a resumable upload's
/// `PATCH`): the routes exempt from the request timeout (a large body on a slow link may take
/// hours), bounded instead by `server.body_idle_timeout_secs` between body bytes and by
/// `storage.max_document_bytes`.
pub fn is_upload(req: &axum::extract::Request) -> bool {
    let path = req.extensions().get::<axum::extract::MatchedPath>().map(axum::extract::MatchedPath::as_str);
    (req.method() == axum::http::Method::PUT && path == Some(UPLOAD_PATH))
        || (req.method() == axum::http::Method::PATCH && path == Some(super::uploads::UPLOAD_PATH))
}

const UPLOAD_PATH: &str = "/v1/documents/{id}";

/// The body's chunks, ending in `BodyError::Idle` when none arrives within `idle`.
pub(crate) fn with_idle_timeout(
    body: Body,
    idle: Duration,
) -> impl Stream<Item = Result<Bytes, BodyError>> + Send + Unpin {
    Box::pin(futures::stream::unfold(Some(body.into_data_stream()), move |chunks| async move {
        let mut chunks = chunks?;
        match tokio::time::timeout(idle, chunks.next()).await {
            Err(_) => Some((Err(BodyError::Idle(idle)), None)),
            Ok(None) => None,
            Ok(Some(Err(_))) => Some((Err(BodyError::Read), None)),
            Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(chunks))),
        }
    }))
}

/// Uploads an envelope. The body is `header ‖ payload` as `pramana_core::envelope::seal` wrote
/// it, sealed for this document id; `Content-Length` is required. No overall time limit: the
/// body may take as long as it keeps coming, but a pause longer than
/// `server.body_idle_timeout_secs` ends it with `408 body_idle_timeout`. The declared length
/// counts against the patient's quota while the upload is in flight.
#[utoipa::path(put, path = "/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id the envelope was sealed for"), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The envelope"),
    responses(
        (status = 201, body = DocumentView),
        (status = 400, description = "`invalid_query`, `length_mismatch` (the body is not `Content-Length` long), `body_read_failed`", body = crate::error::ErrorBody),
        (status = 403, description = "neither a patient nor a hospital", body = crate::error::ErrorBody),
        (status = 404, description = "`not_found`: no such patient, or another patient's id", body = crate::error::ErrorBody),
        (status = 408, description = "`body_idle_timeout`: no bytes of the body arrived for `server.body_idle_timeout_secs`; nothing was stored", body = crate::error::ErrorBody),
        (status = 409, description = "`document_exists`", body = crate::error::ErrorBody),
        (status = 411, description = "`length_required`", body = crate::error::ErrorBody),
        (status = 413, description = "`body_too_large`, `quota_exceeded` (the patient's documents and uploads in flight leave no room for `Content-Length`)", body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_<field>`, `malformed_envelope`, `hash_mismatch`, `missing_stanza`, `no_patient_key`", body = crate::error::ErrorBody),
        (status = 503, description = "`unavailable`: the database is unreachable (an upload has no overall time limit, so never `timeout`)", body = crate::error::ErrorBody),
    ))]
pub async fn documents_put(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, ApiJson<DocumentView>)> {
    let upload = Upload {
        id,
        patient_id: q.patient_id,
        hi_type: HiType::parse(&q.hi_type).map_err(ApiError::invalid("hi_type"))?,
        care_date: NaiveDate::parse_from_str(q.care_date.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::invalid_field("care_date", "must be YYYY-MM-DD and not in the future"))?,
        plaintext_sha256: hex32("plaintext_sha256", &q.plaintext_sha256)?,
        salt: hex32("salt", &q.salt)?,
        payload_sha256: hex32("payload_sha256", &q.payload_sha256)?,
        content_length: headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()),
    };
    let body = with_idle_timeout(body, Duration::from_secs(state.settings.server.body_idle_timeout_secs));
    let limits = &state.settings.storage;
    let row = service::upload(&state.pool, &state.storage, limits, &user.actor(), upload, body, Utc::now()).await?;
    Ok((StatusCode::CREATED, ApiJson(view_for(&state, &user, row).await?)))
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
    let mine = service::my_key_ids(&state.pool, user.subject_id).await?;
    Ok(ApiJson(rows.into_iter().map(|d| views::document_view(d, &mine)).collect()))
}

/// A document's metadata, header and the caller's own stanza.
#[utoipa::path(get, path = "/v1/documents/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = DocumentView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn documents_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<DocumentView>> {
    let doc = service::load_visible(&state.pool, &user.actor(), id, "document.read_metadata").await?;
    service::record_read(&state.pool, &user.actor(), &doc, "document.read_metadata", json!({})).await?;
    Ok(ApiJson(view_for(&state, &user, doc).await?))
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
    let doc = service::load_visible(&state.pool, &user.actor(), id, "document.read_proof").await?;
    let anchor = anchor::find_anchor_by_document(&state.pool, doc.id).await?;
    let Some(proof) = anchor.and_then(|a| a.proof) else {
        return Err(ApiError::Conflict(
            "not_anchored",
            "the document is not anchored on chain yet (its batch is pending or awaiting confirmations); try again shortly",
        ));
    };
    service::record_read(&state.pool, &user.actor(), &doc, "document.read_proof", json!({})).await?;
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
    let doc = service::load_visible(&state.pool, &user.actor(), id, "document.read_metadata").await?;
    let proof = anchor::find_anchor_by_document(&state.pool, doc.id).await?.and_then(|a| a.proof);
    service::record_read(&state.pool, &user.actor(), &doc, "document.read_metadata", json!({"format": "fhir"})).await?;
    let resource = super::fhir::document_reference(&doc, views::envelope_size(&doc), proof.as_ref());
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
    let doc = service::load_visible(&state.pool, &user.actor(), id, "document.download").await?;
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
        let payload: BoxReader =
            if range.is_none() { Box::pin(VerifyingReader::new(object, doc.payload_sha256)) } else { object };
        Box::pin(std::io::Cursor::new(head_part).chain(payload))
    } else {
        Box::pin(std::io::Cursor::new(head_part))
    };
    service::record_read(&state.pool, &user.actor(), &doc, "document.download", json!({"range": range.is_some()}))
        .await?;

    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start + 1));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", hex::encode(doc.payload_sha256))) {
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

/// One `bytes=a-b`, `bytes=a-` or `bytes=-n` range of `total` bytes, as inclusive offsets;
/// `None` when unsupported (several ranges) or unsatisfiable.
pub(crate) fn parse_range(value: &str, total: u64) -> Option<(u64, u64)> {
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
    service::delete(&state.pool, &*state.storage, &user.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
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
    let mut key_id = [0u8; 16];
    hex::decode_to_slice(&body.key_id, &mut key_id).map_err(|_| ApiError::invalid_field("key_id", "32 hex digits"))?;
    service::remove_recipient(&state.pool, &user.actor(), id, key_id, &body.header).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every version of the document's header, newest first (its owner only; anyone else 404). A
/// deleted document has none: they were shredded with it. Check a version's MAC with your own
/// key before restoring it: the server cannot.
#[utoipa::path(get, path = "/v1/documents/{id}/headers", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<HeaderVersionView>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn documents_headers(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<Vec<HeaderVersionView>>> {
    let versions = service::header_versions(&state.pool, &user.actor(), id).await?;
    let views = versions.into_iter().enumerate().map(|(i, v)| views::header_version_view(v, i == 0)).collect();
    Ok(ApiJson(views))
}

/// The owner makes an earlier header version current again; it is recorded as a new version
/// (reason `restore`), which is returned. Refusals change nothing.
#[utoipa::path(post, path = "/v1/documents/{id}/headers/{version}/restore", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path), ("version" = u32, Path, description = "The version to make current again")),
    responses((status = 200, description = "The new current version", body = HeaderVersionView),
               (status = 404, description = "`not_found` (no such document, or not yours), `version_not_found`",
                body = crate::error::ErrorBody),
               (status = 409, description = "`version_is_current`, `document_deleted`, `document_changed`",
                body = crate::error::ErrorBody)))]
pub async fn documents_header_restore(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, version)): ApiPath<(Uuid, u32)>,
) -> ApiResult<ApiJson<HeaderVersionView>> {
    let restored = service::restore_header(&state.pool, &user.actor(), id, version).await?;
    Ok(ApiJson(views::header_version_view(restored, true)))
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
