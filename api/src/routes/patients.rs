//! `/v1/patients`: a patient's own profile. Another patient's id is a 404, never data.

use axum::extract::State;

use pramana_core::PatientId;
use pramana_wire::{AbhaVerifier, PatientPatch, PatientView};
use serde_json::json;
use uuid::Uuid;

use super::auth::{check_name, parse_addresses};
use crate::auth::{AuthUser, Role};
use crate::error::current_request_id;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, conflict_as};
use crate::state::AppState;
use pramana_server::store::StoreError;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::patients::{self, Patient};

pub(crate) fn patient_view(p: Patient) -> PatientView {
    PatientView {
        id: p.id.0,
        abha_number: p.abha_number.hyphenated(),
        abha_addresses: p.abha_addresses.iter().map(ToString::to_string).collect(),
        name: p.name,
        abha_status: p.abha_status.as_str().to_owned(),
        abha_verified_at: p.abha_verified_at,
        abha_verified_by: p.abha_verified_by.map(|(hfr_id, name)| AbhaVerifier { hfr_id, name }),
        abha_displaced_at: p.abha_displaced_at,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

async fn load(state: &AppState, id: Uuid) -> ApiResult<PatientView> {
    let mut conn = state.pool.acquire().await.map_err(StoreError::from)?;
    let patient = patients::find_patient_by_id(&mut conn, PatientId(id)).await?.ok_or(ApiError::NotFound)?;
    Ok(patient_view(patient))
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
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let result: Result<(), StoreError> = async {
        patients::update_patient(&mut tx, id, name.as_deref(), addresses.as_deref()).await?;
        insert_audit_event(
            &mut tx,
            &AuditEvent::new("patient", Some(id.0), "patient.update", Outcome::Ok)
                .guardian(user.guardian)
                .patient(id.0)
                .target("patient", id)
                .request_id(current_request_id())
                .details(json!({"name": name.is_some(), "abha_addresses": addresses.as_ref().map(Vec::len)})),
        )
        .await?;
        Ok(())
    }
    .await;
    result.map_err(conflict_as("abha_address_taken", "an ABHA address is registered to another patient"))?;
    let patient = patients::find_patient_by_id(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok(ApiJson(patient_view(patient)))
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
        let mut tx = pramana_server::store::begin(&state.pool).await?;
        insert_audit_event(
            &mut tx,
            &AuditEvent::new("admin", Some(user.subject_id), "patient.read", Outcome::Ok)
                .patient(id)
                .target("patient", id)
                .request_id(current_request_id()),
        )
        .await?;
        pramana_server::store::commit(tx).await?;
    }
    Ok(ApiJson(view))
}
