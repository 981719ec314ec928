//! `GET /v1/patients/me/export`: data portability. The archive (layout in `docs/export.md`) is
//! built by `service::export`; this handler sends it as a download.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::service::export::{self as service, ChainRef};
use crate::state::AppState;

/// The calling patient's whole record as one tar archive (docs/export.md).
#[utoipa::path(get, path = "/v1/patients/me/export", tag = "patients", security(("bearer" = [])),
    responses(
        (status = 200, description = "A tar archive: manifest.json, documents/<id>.envelope, proofs/<id>.json, consents.json",
         content_type = "application/x-tar"),
        (status = 403, description = "not a patient", body = crate::error::ErrorBody),
        (status = 413, description = "`export_too_large`: more than 512 MiB of envelopes", body = crate::error::ErrorBody),
    ))]
pub async fn patients_me_export(State(state): State<AppState>, user: AuthUser) -> ApiResult<Response> {
    let chain = ChainRef { chain_id: state.settings.chain.chain_id, contract: state.contract };
    let archive = service::export(&state.pool, &*state.storage, chain, &user.actor(), Utc::now()).await?;
    let name = format!("attachment; filename=\"pramana-export-{}.tar\"", archive.exported_at.format("%Y%m%dT%H%M%SZ"));
    let mut resp = archive.bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-tar"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
