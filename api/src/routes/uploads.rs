//! `/v1/uploads`: resumable uploads on the tus 1.0 protocol (core, `creation`, `expiration`,
//! `termination`; docs/uploads.md), what browser and mobile uploaders speak. `POST` creates an
//! upload of `Upload-Length` bytes declaring in `Upload-Metadata` what a one-shot upload's query
//! declares (checked and reserved against the quota before any byte), `HEAD` tells how many
//! bytes arrived, `PATCH` appends at that offset, `DELETE` ends it. The last byte records the
//! document exactly as `PUT /v1/documents/{id}` does. What is checked and kept is
//! `service::uploads`.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, NaiveDate, Utc};
use pramana_core::HiType;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiPath, ApiResult};
use crate::service::documents::Upload;
use crate::service::uploads::{self as service, Patch};
use crate::state::AppState;

/// The path of one upload (the request-timeout exemption matches it).
pub const UPLOAD_PATH: &str = "/v1/uploads/{id}";

/// The protocol version spoken.
const TUS_VERSION: &str = "1.0.0";
/// The extensions supported.
const TUS_EXTENSIONS: &str = "creation,expiration,termination";

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION_H: HeaderName = HeaderName::from_static("tus-version");
const TUS_EXTENSION: HeaderName = HeaderName::from_static("tus-extension");
const TUS_MAX_SIZE: HeaderName = HeaderName::from_static("tus-max-size");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_METADATA: HeaderName = HeaderName::from_static("upload-metadata");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// Every answer but `OPTIONS`'s carries `Tus-Resumable`; a `412` names the version spoken.
fn tus(result: ApiResult<Response>) -> Response {
    let mut resp = result.unwrap_or_else(IntoResponse::into_response);
    let h = resp.headers_mut();
    h.insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    if resp.status() == StatusCode::PRECONDITION_FAILED {
        resp.headers_mut().insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
    }
    resp
}

/// `Tus-Resumable: 1.0.0` is required on every request but `OPTIONS`.
fn require_tus(headers: &HeaderMap) -> ApiResult<()> {
    match headers.get(&TUS_RESUMABLE).and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim() == TUS_VERSION => Ok(()),
        _ => Err(ApiError::BadRequest {
            status: StatusCode::PRECONDITION_FAILED,
            code: "tus_version_unsupported",
            message: format!("send Tus-Resumable: {TUS_VERSION} (the only version spoken)"),
        }),
    }
}

/// A non-negative integer header, or 400 `invalid_<what>`.
fn u64_header(headers: &HeaderMap, name: &HeaderName, code: &'static str) -> ApiResult<u64> {
    headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code,
            message: format!("{name} must be a non-negative integer"),
        }
    })
}

/// An HTTP date (RFC 9110), as `Upload-Expires` takes it.
fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (a key alone has an empty value).
/// `None` when malformed (bad base64, a value not UTF-8, a key twice).
fn parse_metadata(raw: &str) -> Option<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = match pair.split_once(' ') {
            Some((k, v)) => (k, String::from_utf8(B64.decode(v.trim()).ok()?).ok()?),
            None => (pair, String::new()),
        };
        if key.is_empty() || out.insert(key.to_owned(), value).is_some() {
            return None;
        }
    }
    Some(out)
}

/// The one-shot upload's declarations, read from `Upload-Metadata` with the same field codes.
fn upload_from_metadata(meta: &HashMap<String, String>) -> ApiResult<Upload> {
    let field = |name: &'static str| {
        meta.get(name).map(String::as_str).ok_or_else(|| ApiError::invalid_field(name, "required in Upload-Metadata"))
    };
    let hex32 = super::documents::hex32;
    let patient_id = match meta.get("patient_id").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => None,
        Some(p) => Some(Uuid::parse_str(p).map_err(|_| ApiError::invalid_field("patient_id", "must be a UUID"))?),
    };
    Ok(Upload {
        id: Uuid::parse_str(field("document_id")?.trim())
            .map_err(|_| ApiError::invalid_field("document_id", "must be the UUID the envelope was sealed for"))?,
        patient_id,
        hi_type: HiType::parse(field("hi_type")?).map_err(ApiError::invalid("hi_type"))?,
        care_date: NaiveDate::parse_from_str(field("care_date")?.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::invalid_field("care_date", "must be YYYY-MM-DD and not in the future"))?,
        plaintext_sha256: hex32("plaintext_sha256", field("plaintext_sha256")?)?,
        salt: hex32("salt", field("salt")?)?,
        payload_sha256: hex32("payload_sha256", field("payload_sha256")?)?,
        content_length: None,
    })
}

/// What the server speaks: `Tus-Version`, `Tus-Extension` and `Tus-Max-Size`
/// (`storage.max_document_bytes`). No authentication needed.
#[utoipa::path(options, path = "/v1/uploads", tag = "documents",
    responses((status = 204, description = "The protocol the server speaks", headers(
        ("Tus-Resumable" = String, description = "`1.0.0`"),
        ("Tus-Version" = String, description = "`1.0.0`"),
        ("Tus-Extension" = String, description = "`creation,expiration,termination`"),
        ("Tus-Max-Size" = u64, description = "The largest envelope accepted (`storage.max_document_bytes`)"),
    ))))]
pub async fn uploads_options(State(state): State<AppState>) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    h.insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
    h.insert(TUS_EXTENSION, HeaderValue::from_static(TUS_EXTENSIONS));
    h.insert(TUS_MAX_SIZE, HeaderValue::from(state.settings.storage.max_document_bytes));
    resp
}

/// Creates a resumable upload (tus `creation`). `Upload-Length` is the envelope's length;
/// `Upload-Metadata` carries `document_id` (the id the envelope was sealed for, which becomes
/// the upload's id), `hi_type`, `care_date`, `plaintext_sha256`, `salt`, `payload_sha256` and,
/// for hospitals, `patient_id` — each base64-encoded, as tus does; other keys (`filename`, …)
/// are ignored. Everything is checked, and the length reserved against the quota, before any
/// byte is sent; a refusal changes nothing.
#[utoipa::path(post, path = "/v1/uploads", tag = "documents", security(("bearer" = [])),
    params(
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Length" = u64, Header, description = "The envelope's length in bytes"),
        ("Upload-Metadata" = String, Header, description = "`key base64(value)` pairs, comma-separated"),
    ),
    responses(
        (status = 201, description = "Created; `PATCH` the envelope to `Location`", headers(
            ("Location" = String, description = "`/v1/uploads/{document_id}`"),
            ("Upload-Expires" = String, description = "When the upload expires unless finished (HTTP date)"),
            ("Tus-Resumable" = String, description = "`1.0.0`"),
        )),
        (status = 400, description = "`invalid_upload_length`, `invalid_upload_metadata`", body = crate::error::ErrorBody),
        (status = 403, description = "neither a patient nor a hospital", body = crate::error::ErrorBody),
        (status = 404, description = "`not_found`: no such patient, or another patient's id", body = crate::error::ErrorBody),
        (status = 409, description = "`document_exists`, `upload_exists`", body = crate::error::ErrorBody),
        (status = 412, description = "`tus_version_unsupported`: `Tus-Resumable` is not `1.0.0`", body = crate::error::ErrorBody),
        (status = 413, description = "`body_too_large`, `quota_exceeded`, `link_quota_exceeded`", body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_<field>`, `not_linked`, `no_patient_key`", body = crate::error::ErrorBody),
    ))]
pub async fn uploads_create(State(state): State<AppState>, user: AuthUser, headers: HeaderMap) -> Response {
    tus(async {
        require_tus(&headers)?;
        let length = u64_header(&headers, &UPLOAD_LENGTH, "invalid_upload_length")?;
        if length == 0 {
            return Err(ApiError::BadRequest {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_upload_length",
                message: "an envelope is never empty".into(),
            });
        }
        let raw = headers.get(&UPLOAD_METADATA).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let meta = parse_metadata(raw).ok_or_else(|| ApiError::BadRequest {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_upload_metadata",
            message: "Upload-Metadata must be comma-separated `key base64(value)` pairs".into(),
        })?;
        let up = upload_from_metadata(&meta)?;
        let created =
            service::create(&state.pool, &state.settings.storage, &user.actor(), &up, length, Utc::now()).await?;
        let mut resp = StatusCode::CREATED.into_response();
        let h = resp.headers_mut();
        if let Ok(location) = HeaderValue::from_str(&format!("/v1/uploads/{}", created.id)) {
            h.insert(header::LOCATION, location);
        }
        h.insert(UPLOAD_EXPIRES, http_date(created.expires_at));
        h.insert(UPLOAD_OFFSET, HeaderValue::from(0u64));
        Ok::<_, ApiError>(resp)
    }
    .await)
}

/// How many bytes of the upload arrived (`Upload-Offset`): where to resume. The creator only;
/// anyone else, or an expired, finished or terminated upload, gets 404.
#[utoipa::path(head, path = "/v1/uploads/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The upload (the document id)"),
           ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses(
        (status = 200, description = "The upload's state (no body)", headers(
            ("Upload-Offset" = u64, description = "Bytes received so far"),
            ("Upload-Length" = u64, description = "The declared length"),
            ("Upload-Expires" = String, description = "When it expires (HTTP date)"),
            ("Cache-Control" = String, description = "`no-store`"),
        )),
        (status = 404, description = "no such upload, or not the caller's"),
        (status = 412, description = "`Tus-Resumable` is not `1.0.0`"),
    ))]
pub async fn uploads_head(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Response {
    tus(async {
        require_tus(&headers)?;
        let u = service::find(&state.pool, &user.actor(), id, Utc::now()).await?;
        let offset = service::offset(&state.resumable, &u).await?;
        let mut resp = StatusCode::OK.into_response();
        let h = resp.headers_mut();
        h.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
        h.insert(UPLOAD_LENGTH, HeaderValue::from(u.length));
        h.insert(UPLOAD_EXPIRES, http_date(u.expires_at));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Ok::<_, ApiError>(resp)
    }
    .await)
}

/// Appends the body at `Upload-Offset` (which must equal the bytes received so far). Bytes
/// count as they reach the disk: after a dropped connection, `HEAD` tells where to resume. No
/// overall time limit, but a pause longer than `server.body_idle_timeout_secs` ends the request
/// with `408 body_idle_timeout` (what arrived is kept). When the last byte arrives the envelope
/// is checked and recorded exactly as `PUT /v1/documents/{id}` records it (queued for
/// anchoring once); a refusal then ends the upload.
#[utoipa::path(patch, path = "/v1/uploads/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The upload (the document id)"),
           ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
           ("Upload-Offset" = u64, Header, description = "Where this body starts")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "The next bytes of the envelope"),
    responses(
        (status = 204, description = "Appended; when `Upload-Offset` equals the length, the document is recorded", headers(
            ("Upload-Offset" = u64, description = "Bytes received so far"),
            ("Upload-Expires" = String, description = "When it expires (HTTP date), unless finished"),
        )),
        (status = 400, description = "`invalid_upload_offset`, `length_mismatch` (past `Upload-Length`), `body_read_failed`", body = crate::error::ErrorBody),
        (status = 404, description = "no such upload, or not the caller's (or expired)", body = crate::error::ErrorBody),
        (status = 408, description = "`body_idle_timeout`: no bytes for `server.body_idle_timeout_secs`; what arrived is kept", body = crate::error::ErrorBody),
        (status = 409, description = "`offset_mismatch` (nothing written), `upload_busy` (another request is writing it), `document_exists`", body = crate::error::ErrorBody),
        (status = 412, description = "`tus_version_unsupported`", body = crate::error::ErrorBody),
        (status = 413, description = "`quota_exceeded` (at the last byte)", body = crate::error::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: not `application/offset+octet-stream`", body = crate::error::ErrorBody),
        (status = 422, description = "at the last byte: `malformed_envelope`, `hash_mismatch`, `missing_stanza`, `no_patient_key`, `not_linked`", body = crate::error::ErrorBody),
        (status = 503, description = "`unavailable`: the database is unreachable (a `PATCH` has no overall time limit, so never `timeout`)", body = crate::error::ErrorBody),
    ))]
pub async fn uploads_patch(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    tus(async {
        require_tus(&headers)?;
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        if content_type.split(';').next().map(str::trim) != Some(OFFSET_OCTET_STREAM) {
            return Err(ApiError::BadRequest {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                message: format!("a PATCH body is Content-Type: {OFFSET_OCTET_STREAM}"),
            });
        }
        let offset = u64_header(&headers, &UPLOAD_OFFSET, "invalid_upload_offset")?;
        let idle = Duration::from_secs(state.settings.server.body_idle_timeout_secs);
        let body = super::documents::with_idle_timeout(body, idle);
        let ctx = Patch {
            pool: &state.pool,
            storage: &state.storage,
            files: &state.resumable,
            limits: &state.settings.storage,
        };
        let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let progress = service::append(&ctx, &user.actor(), id, offset, declared, body, Utc::now()).await?;
        let mut resp = StatusCode::NO_CONTENT.into_response();
        let h = resp.headers_mut();
        h.insert(UPLOAD_OFFSET, HeaderValue::from(progress.offset));
        if let Some(expires_at) = progress.expires_at {
            h.insert(UPLOAD_EXPIRES, http_date(expires_at));
        }
        Ok::<_, ApiError>(resp)
    }
    .await)
}

/// Ends an upload (tus `termination`): its staged bytes are removed and its reservation
/// released. The creator only; anyone else gets 404.
#[utoipa::path(delete, path = "/v1/uploads/{id}", tag = "documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The upload (the document id)"),
           ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    responses(
        (status = 204, description = "Terminated"),
        (status = 404, description = "no such upload, or not the caller's", body = crate::error::ErrorBody),
        (status = 409, description = "`upload_busy`: a request is writing it", body = crate::error::ErrorBody),
        (status = 412, description = "`tus_version_unsupported`", body = crate::error::ErrorBody),
    ))]
pub async fn uploads_delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Response {
    tus(async {
        require_tus(&headers)?;
        service::terminate(&state.pool, &state.resumable, &user.actor(), id, Utc::now()).await?;
        Ok::<_, ApiError>(StatusCode::NO_CONTENT.into_response())
    }
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs() {
        let m =
            parse_metadata("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, hi_type UHJlc2NyaXB0aW9u")
                .unwrap();
        assert_eq!(m["filename"], "world_domination_plan.pdf");
        assert_eq!(m["is_confidential"], "");
        assert_eq!(m["hi_type"], "Prescription");
        assert!(parse_metadata("").unwrap().is_empty());
        assert!(parse_metadata("a !!!").is_none(), "not base64");
        assert!(parse_metadata("a YQ==,a Yg==").is_none(), "a key twice");
    }

    #[test]
    fn expiry_is_an_http_date() {
        let t = DateTime::parse_from_rfc3339("2014-06-25T16:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(http_date(t), "Wed, 25 Jun 2014 16:00:00 GMT");
    }
}
