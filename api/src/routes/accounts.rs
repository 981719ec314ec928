//! `/v1/admin/*` and `/v1/hospitals`: the operator registers hospitals (with an API secret) and
//! auditors (with a generated password) and lists both with what each has set up; anyone signed
//! in can list hospitals.

use axum::extract::State;
use axum::http::StatusCode;

use pramana_core::{AbhaNumber, HfrId, HospitalId};
use pramana_wire::{
    AuditorCreate, AuditorCreated, AuditorView, HospitalCreate, HospitalCreated, HospitalStatus, HospitalView,
};
use uuid::Uuid;

use super::auth::check_name;
use crate::auth::{AuthUser, Role};
use crate::error::current_request_id;
use crate::error::{ApiError, ApiJson, ApiResult, conflict_as};
use crate::state::AppState;
use crate::tokens::new_secret;
use pramana_server::store::StoreError;
use pramana_server::store::accounts::{self, AuditorRow, HospitalRow, HospitalStatusRow};
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::credentials;

fn hospital_view(h: HospitalRow) -> HospitalView {
    HospitalView { id: h.id, hfr_id: h.hfr_id, name: h.name, created_at: h.created_at }
}

fn check_username(raw: &str) -> ApiResult<String> {
    let u = raw.trim().to_ascii_lowercase();
    let shape = (3..=64).contains(&u.len())
        && u.starts_with(|c: char| c.is_ascii_lowercase())
        && u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    // A username must never be read as another kind of login.
    if !shape || HfrId::parse(&u).is_ok() || AbhaNumber::parse(&u).is_ok() {
        return Err(ApiError::invalid_field("username", "3 to 64 of a-z 0-9 . _ -, starting with a letter"));
    }
    Ok(u)
}

/// Registers a hospital (operator only).
#[utoipa::path(post, path = "/v1/admin/hospitals", tag = "accounts", security(("bearer" = [])), request_body = HospitalCreate,
    responses((status = 201, body = HospitalCreated), (status = 403, body = crate::error::ErrorBody),
              (status = 409, description = "`already_registered`", body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn hospitals_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<HospitalCreate>,
) -> ApiResult<(StatusCode, ApiJson<HospitalCreated>)> {
    user.require(&[Role::Admin])?;
    let hfr_id = HfrId::parse(&body.hfr_id).map_err(ApiError::invalid("hfr_id"))?;
    let name = check_name(&body.name)?;
    let api_secret = new_secret("prm_");
    let hash = state.hasher.hash(api_secret.clone()).await.map_err(ApiError::internal)?;

    let id = HospitalId::new();
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let result: Result<HospitalRow, StoreError> = async {
        let row = accounts::insert_hospital(&mut *tx, id, &hfr_id, &name).await?;
        credentials::insert_credential(&mut *tx, Role::Hospital, id.0, hfr_id.as_str(), &hash).await?;
        insert_audit_event(&mut tx, &admin_event(&user, "hospital.register", "hospital", id)).await?;
        Ok(row)
    }
    .await;
    let row = result.map_err(conflict_as("already_registered", "this HFR id is already registered"))?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(HospitalCreated { hospital: hospital_view(row), api_secret })))
}

/// Lists hospitals (any signed-in account).
#[utoipa::path(get, path = "/v1/hospitals", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<HospitalView>)))]
pub async fn hospitals_list(State(state): State<AppState>, _user: AuthUser) -> ApiResult<ApiJson<Vec<HospitalView>>> {
    let rows = accounts::list_hospitals(&state.pool).await?;
    Ok(ApiJson(rows.into_iter().map(hospital_view).collect()))
}

/// Lists hospitals with their keys, webhook and failed deliveries (operator only).
#[utoipa::path(get, path = "/v1/admin/hospitals", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<HospitalStatus>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn admin_hospitals_list(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<ApiJson<Vec<HospitalStatus>>> {
    user.require(&[Role::Admin])?;
    let rows = accounts::list_hospital_statuses(&state.pool).await?;
    Ok(ApiJson(rows.into_iter().map(hospital_status).collect()))
}

fn hospital_status(h: HospitalStatusRow) -> HospitalStatus {
    HospitalStatus {
        id: h.id,
        hfr_id: h.hfr_id,
        name: h.name,
        created_at: h.created_at,
        encryption_key: h.encryption_key,
        signing_key: h.signing_key,
        webhook: h.webhook,
        failed_webhook_deliveries: h.failed_webhook_deliveries,
    }
}

/// Lists auditor accounts (operator only).
#[utoipa::path(get, path = "/v1/admin/auditors", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<AuditorView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn auditors_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<AuditorView>>> {
    user.require(&[Role::Admin])?;
    let rows = accounts::list_auditors(&state.pool).await?;
    Ok(ApiJson(
        rows.into_iter()
            .map(|a: AuditorRow| AuditorView { id: a.id, username: a.username, name: a.name, created_at: a.created_at })
            .collect(),
    ))
}

/// Creates an auditor account (operator only).
#[utoipa::path(post, path = "/v1/admin/auditors", tag = "accounts", security(("bearer" = [])), request_body = AuditorCreate,
    responses((status = 201, body = AuditorCreated), (status = 403, body = crate::error::ErrorBody),
              (status = 409, description = "`already_registered`", body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)))]
pub async fn auditors_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AuditorCreate>,
) -> ApiResult<(StatusCode, ApiJson<AuditorCreated>)> {
    user.require(&[Role::Admin])?;
    let username = check_username(&body.username)?;
    let name = check_name(&body.name)?;
    let password = new_secret("");
    let hash = state.hasher.hash(password.clone()).await.map_err(ApiError::internal)?;
    let id = Uuid::now_v7();
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let result: Result<(), StoreError> = async {
        accounts::insert_auditor(&mut *tx, id, &username, &name).await?;
        credentials::insert_credential(&mut *tx, Role::Auditor, id, &username, &hash).await?;
        insert_audit_event(&mut tx, &admin_event(&user, "auditor.create", "auditor", id)).await?;
        Ok(())
    }
    .await;
    result.map_err(conflict_as("already_registered", "this username is taken"))?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(AuditorCreated { id, username, name, password })))
}

fn admin_event(user: &AuthUser, action: &'static str, kind: &str, id: impl std::fmt::Display) -> AuditEvent {
    AuditEvent::new("admin", Some(user.subject_id), action, Outcome::Ok)
        .target(kind, id)
        .request_id(current_request_id())
}
