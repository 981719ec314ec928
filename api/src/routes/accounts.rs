//! `/v1/admin/*` and `/v1/hospitals`: the operator registers hospitals (with an API secret) and
//! auditors (with a generated password); anyone signed in can list hospitals.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pramana_core::{AbhaNumber, HfrId, HospitalId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::check_name;
use crate::app::{AppState, current_request_id};
use crate::auth::tokens::new_secret;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiResult, conflict_as};
use crate::store::StoreError;
use crate::store::accounts::{self, HospitalRow};
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event};
use crate::store::credentials;

/// A hospital to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HospitalCreate {
    /// Health Facility Registry id, `IN` + 10 digits.
    #[schema(example = "IN2710000123", pattern = r"^[Ii][Nn][0-9]{10}$")]
    pub hfr_id: String,
    /// Display name: 1 to 200 characters, not all white space, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

/// A hospital.
#[derive(Debug, Serialize, ToSchema)]
pub struct HospitalView {
    /// Id.
    pub id: Uuid,
    /// HFR id.
    pub hfr_id: String,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
}

impl From<HospitalRow> for HospitalView {
    fn from(h: HospitalRow) -> Self {
        Self { id: h.id, hfr_id: h.hfr_id, name: h.name, created_at: h.created_at }
    }
}

/// A registered hospital and its API secret, shown only this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct HospitalCreated {
    /// The hospital.
    pub hospital: HospitalView,
    /// Log in with the HFR id and this secret.
    pub api_secret: String,
}

/// An auditor to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditorCreate {
    /// Login name: lower-case letters, digits, `.`, `_`, `-`; 3 to 64 characters; starts with a
    /// letter (upper case is accepted and lowered); not shaped like an HFR id (`in` + 10 digits).
    #[schema(pattern = r"^(?![Ii][Nn][0-9]{10}$)[A-Za-z][A-Za-z0-9._-]{2,63}$")]
    pub username: String,
    /// Display name: 1 to 200 characters, not all white space, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
}

/// A created auditor and their password, shown only this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditorCreated {
    /// Auditor id.
    pub id: Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Generated password.
    pub password: String,
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
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    let result: Result<HospitalRow, StoreError> = async {
        let row = accounts::insert_hospital(&mut *tx, id, &hfr_id, &name).await?;
        credentials::insert_credential(&mut *tx, Role::Hospital, id.0, hfr_id.as_str(), &hash).await?;
        insert_audit_event(&mut tx, &admin_event(&user, "hospital.register", format!("hospital:{id}"))).await?;
        Ok(row)
    }
    .await;
    let row = result.map_err(conflict_as("already_registered", "this HFR id is already registered"))?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, ApiJson(HospitalCreated { hospital: row.into(), api_secret })))
}

/// Lists hospitals (any signed-in account).
#[utoipa::path(get, path = "/v1/hospitals", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<HospitalView>)))]
pub async fn hospitals_list(State(state): State<AppState>, _user: AuthUser) -> ApiResult<ApiJson<Vec<HospitalView>>> {
    let rows = accounts::list_hospitals(&state.pool).await?;
    Ok(ApiJson(rows.into_iter().map(HospitalView::from).collect()))
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
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    let result: Result<(), StoreError> = async {
        accounts::insert_auditor(&mut *tx, id, &username, &name).await?;
        credentials::insert_credential(&mut *tx, Role::Auditor, id, &username, &hash).await?;
        insert_audit_event(&mut tx, &admin_event(&user, "auditor.create", format!("auditor:{id}"))).await?;
        Ok(())
    }
    .await;
    result.map_err(conflict_as("already_registered", "this username is taken"))?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, ApiJson(AuditorCreated { id, username, name, password })))
}

fn admin_event(user: &AuthUser, action: &'static str, target: String) -> AuditEvent {
    AuditEvent {
        actor_role: "admin",
        actor_id: Some(user.subject_id),
        action,
        outcome: Outcome::Ok,
        subject_patient_id: None,
        target: Some(target),
        request_id: current_request_id(),
        details: json!({}),
    }
}
