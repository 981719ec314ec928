//! Data portability (docs/export.md). `POST /v1/patients/me/exports` freezes the patient's
//! archive; `GET /v1/patients/me/exports/{id}` streams it, whole or from any byte (`Range`), for
//! a day; `GET /v1/patients/me/export` does both in one request. The archive is built by
//! `service::export` as it streams, in constant memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use pramana_server::store::exports::ExportRow;
use pramana_wire::patients::ExportView;
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiPath, ApiResult};
use crate::routes::documents::parse_range;
use crate::service::export::{self as service, ChainRef};
use crate::state::AppState;

/// Bytes buffered between the archive writer and the response body.
const PIPE_BYTES: usize = 256 * 1024;

fn view(row: &ExportRow) -> ExportView {
    ExportView {
        id: row.id,
        exported_at: row.exported_at,
        expires_at: row.expires_at,
        size: u64::try_from(row.size).unwrap_or(0),
        documents: u32::try_from(row.documents).unwrap_or(0),
        consents: u32::try_from(row.consents).unwrap_or(0),
        download: format!("/v1/patients/me/exports/{}", row.id),
    }
}

/// Freezes the calling patient's whole record as an archive to download (docs/export.md).
#[utoipa::path(post, path = "/v1/patients/me/exports", tag = "patients", security(("bearer" = [])),
    responses(
        (status = 201, description = "The export; download it from `download` within a day", body = ExportView),
        (status = 403, description = "not a patient", body = crate::error::ErrorBody),
        (status = 409, description = "`document_changed`: a document was deleted meanwhile; try again", body = crate::error::ErrorBody),
    ))]
pub async fn patients_me_exports_create(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, axum::Json<ExportView>)> {
    let chain = ChainRef { chain_id: state.settings.chain.chain_id, contract: state.contract };
    let row = service::create(&state.pool, chain, &user.actor(), Utc::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(view(&row))))
}

/// An export archive as a tar, whole or from a byte offset (`Range: bytes=N-`, one range).
#[utoipa::path(get, path = "/v1/patients/me/exports/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The tar archive: manifest.json, consents.json, documents/<id>.envelope, proofs/<id>.json",
         content_type = "application/x-tar"),
        (status = 206, description = "The requested range", content_type = "application/x-tar"),
        (status = 403, description = "not a patient", body = crate::error::ErrorBody),
        (status = 404, description = "`export_not_found`: expired, dropped (a document in it was deleted) or not yours", body = crate::error::ErrorBody),
        (status = 416, description = "`range_not_satisfiable`", body = crate::error::ErrorBody),
    ))]
pub async fn patients_me_exports_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let row = service::find(&state.pool, &user.actor(), id, Utc::now()).await?;
    stream(&state, &row, &headers)
}

/// The calling patient's whole record as one tar archive (docs/export.md): an export made and
/// sent at once. To resume a broken download, make one with `POST /v1/patients/me/exports`.
#[utoipa::path(get, path = "/v1/patients/me/export", tag = "patients", security(("bearer" = [])),
    responses(
        (status = 200, description = "A tar archive: manifest.json, consents.json, documents/<id>.envelope, proofs/<id>.json",
         content_type = "application/x-tar"),
        (status = 403, description = "not a patient", body = crate::error::ErrorBody),
        (status = 409, description = "`document_changed`: a document was deleted meanwhile; try again", body = crate::error::ErrorBody),
    ))]
pub async fn patients_me_export(State(state): State<AppState>, user: AuthUser) -> ApiResult<Response> {
    let chain = ChainRef { chain_id: state.settings.chain.chain_id, contract: state.contract };
    let row = service::create(&state.pool, chain, &user.actor(), Utc::now()).await?;
    stream(&state, &row, &HeaderMap::new())
}

/// The archive's bytes as a response: the range asked for (when `If-Range`, if sent, names
/// this export), else all of them. A writer task fills a pipe the body drains; if it fails
/// the body ends short of its `Content-Length`, which clients see as a broken download.
fn stream(state: &AppState, row: &ExportRow, headers: &HeaderMap) -> ApiResult<Response> {
    let total = u64::try_from(row.size).map_err(ApiError::internal)?;
    let etag = format!("\"{}\"", row.id);
    let if_range_ok = headers.get(header::IF_RANGE).is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()).filter(|_| if_range_ok) {
        None => None,
        Some(r) => Some(parse_range(r, total).ok_or_else(|| ApiError::BadRequest {
            status: StatusCode::RANGE_NOT_SATISFIABLE,
            code: "range_not_satisfiable",
            message: format!("supported: one range within bytes 0-{}", total.saturating_sub(1)),
        })?),
    };
    let (start, end) = range.map_or((0, total), |(a, b)| (a, b + 1));

    let (mut writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let (pool, storage, export) = (state.pool.clone(), state.storage.clone(), row.clone());
    tokio::spawn(async move {
        if let Err(e) = service::write_range(&pool, &*storage, &export, start, end, &mut writer).await {
            // A client that went away is not an error of ours.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                tracing::warn!(export = %export.id, error = %e, "export stream ended early");
            }
        }
    });
    let mut resp = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-tar"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(end - start));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let name = format!("attachment; filename=\"pramana-export-{}.tar\"", row.exported_at.format("%Y%m%dT%H%M%SZ"));
    for (k, v) in [(header::ETAG, etag), (header::CONTENT_DISPOSITION, name)] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    }
    h.insert("pramana-export-id", HeaderValue::from_str(&row.id.to_string()).map_err(ApiError::internal)?);
    if range.is_some() {
        let v = HeaderValue::from_str(&format!("bytes {start}-{}/{total}", end - 1)).map_err(ApiError::internal)?;
        h.insert(header::CONTENT_RANGE, v);
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(resp)
}
