//! `/v1/patients`: a patient's own profile. Another patient's id is a 404, never data.

use axum::extract::State;
use chrono::{DateTime, Utc};
use pramana_core::PatientId;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::{check_name, parse_addresses};
use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, conflict_as};
use crate::store::StoreError;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event};
use crate::store::patients::{self, Patient};

/// A patient's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientView {
    /// Patient id.
    pub id: Uuid,
    /// `XX-XXXX-XXXX-XXXX`.
    #[schema(example = "91-2345-6789-0129")]
    pub abha_number: String,
    /// ABHA addresses.
    pub abha_addresses: Vec<String>,
    /// Display name.
    pub name: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// Last profile change.
    pub updated_at: DateTime<Utc>,
}

impl From<Patient> for PatientView {
    fn from(p: Patient) -> Self {
        Self {
            id: p.id.0,
            abha_number: p.abha_number.hyphenated(),
            abha_addresses: p.abha_addresses.iter().map(ToString::to_string).collect(),
            name: p.name,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// Changes to a profile; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatientPatch {
    /// New display name: 1 to 200 characters, not all white space, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// The full new set of ABHA addresses (`name@abdm` / `name@sbx`), at most 16, no two the
    /// same. The server also accepts upper case and lowers it, but then no two may differ in
    /// case alone.
    #[schema(value_type = Option<std::collections::BTreeSet<String>>, max_items = 16, pattern = r"^[a-z0-9_][a-z0-9._]{0,63}@(abdm|sbx)$")]
    pub abha_addresses: Option<Vec<String>>,
}

async fn load(state: &AppState, id: Uuid) -> ApiResult<PatientView> {
    let mut conn = state.pool.acquire().await.map_err(StoreError::from)?;
    let patient = patients::find_patient_by_id(&mut conn, PatientId(id)).await?.ok_or(ApiError::NotFound)?;
    Ok(patient.into())
}

/// The caller's own profile.
#[utoipa::path(get, path = "/v1/patients/me", tag = "patients", security(("bearer" = [])),
    responses((status = 200, body = PatientView), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn patients_me_get(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<PatientView>> {
    user.require(&[Role::Patient])?;
    Ok(ApiJson(load(&state, user.subject_id).await?))
}

/// Updates the caller's name or ABHA addresses.
#[utoipa::path(patch, path = "/v1/patients/me", tag = "patients", security(("bearer" = [])), request_body = PatientPatch,
    responses((status = 200, body = PatientView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 409, description = "An address belongs to someone else", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_name`, `invalid_abha_addresses`", body = crate::error::ErrorBody)))]
pub async fn patients_me_patch(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(patch): ApiJson<PatientPatch>,
) -> ApiResult<ApiJson<PatientView>> {
    user.require(&[Role::Patient])?;
    let name = patch.name.as_deref().map(check_name).transpose()?;
    let addresses = patch.abha_addresses.as_deref().map(parse_addresses).transpose()?;
    let id = PatientId(user.subject_id);
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    let result: Result<(), StoreError> = async {
        patients::update_patient(&mut tx, id, name.as_deref(), addresses.as_deref()).await?;
        insert_audit_event(
            &mut tx,
            &AuditEvent {
                actor_role: "patient",
                actor_id: Some(id.0),
                action: "patient.update",
                outcome: Outcome::Ok,
                subject_patient_id: Some(id.0),
                target: Some(format!("patient:{id}")),
                request_id: current_request_id(),
                details: json!({"name": name.is_some(), "abha_addresses": addresses.as_ref().map(Vec::len)}),
            },
        )
        .await?;
        Ok(())
    }
    .await;
    result.map_err(conflict_as("abha_address_taken", "an ABHA address is registered to another patient"))?;
    let patient = patients::find_patient_by_id(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(ApiJson(patient.into()))
}

/// A patient's profile by id: the patient themself or the operator. Anyone else gets 404.
#[utoipa::path(get, path = "/v1/patients/{id}", tag = "patients", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Patient id")),
    responses((status = 200, body = PatientView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn patients_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<PatientView>> {
    let allowed = match user.role {
        Role::Patient => user.subject_id == id,
        Role::Admin => true,
        Role::Hospital | Role::Auditor => false,
    };
    if !allowed {
        return Err(ApiError::NotFound);
    }
    let view = load(&state, id).await?;
    if user.role == Role::Admin {
        let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
        insert_audit_event(
            &mut tx,
            &AuditEvent {
                actor_role: "admin",
                actor_id: Some(user.subject_id),
                action: "patient.read",
                outcome: Outcome::Ok,
                subject_patient_id: Some(id),
                target: Some(format!("patient:{id}")),
                request_id: current_request_id(),
                details: json!({}),
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok(ApiJson(view))
}
