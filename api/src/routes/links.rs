//! `/v1/links`: which hospitals may add documents to a patient's record (`service::links`). A
//! hospital asks by ABHA number; the patient approves or denies; either party ends it. Only the
//! two parties see a link; anyone else gets 404.

use axum::extract::State;
use axum::http::StatusCode;
use pramana_core::AbhaNumber;
use pramana_server::store::links::{self as store, LinkRow};
use pramana_wire::{HospitalPatientView, LinkRequestCreate, LinkView};
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::service::links::{self as service, Decision};
use crate::state::AppState;

fn view(l: LinkRow) -> LinkView {
    LinkView {
        id: l.id,
        patient_id: l.patient_id,
        hospital_id: l.hospital_id,
        hospital_hfr_id: l.hfr_id,
        hospital_name: l.hospital_name,
        status: l.status,
        requested_at: l.requested_at,
        decided_at: l.decided_at,
        ended_at: l.ended_at,
        ended_by: l.ended_by,
    }
}

/// A hospital asks to add documents to a patient's record; the patient approves in their client.
#[utoipa::path(post, path = "/v1/links", tag = "links", security(("bearer" = [])), request_body = LinkRequestCreate,
    responses((status = 201, body = LinkView),
               (status = 403, description = "not a hospital", body = crate::error::ErrorBody),
               (status = 409, description = "`link_exists`: an open request or a live link with this patient", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_patient_abha_number`", body = crate::error::ErrorBody)))]
pub async fn links_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<LinkRequestCreate>,
) -> ApiResult<(StatusCode, ApiJson<LinkView>)> {
    user.require(&[Role::Hospital])?;
    let abha = AbhaNumber::parse(&req.patient_abha_number).map_err(ApiError::invalid("patient_abha_number"))?;
    let row = service::request(&state.pool, &user.actor(), &abha).await?;
    Ok((StatusCode::CREATED, ApiJson(view(row))))
}

/// The caller's links: a patient's (every hospital that asked), or a hospital's; newest first.
#[utoipa::path(get, path = "/v1/links", tag = "links", security(("bearer" = [])),
    responses((status = 200, body = Vec<LinkView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn links_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<LinkView>>> {
    Ok(ApiJson(service::list(&state.pool, &user.actor()).await?.into_iter().map(view).collect()))
}

/// The patient lets the hospital add documents to their record.
#[utoipa::path(post, path = "/v1/links/{id}/approve", tag = "links", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LinkView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request", body = crate::error::ErrorBody)))]
pub async fn links_approve(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<LinkView>> {
    Ok(ApiJson(view(service::decide(&state.pool, &user.actor(), id, Decision::Approve).await?)))
}

/// The patient refuses the hospital's request.
#[utoipa::path(post, path = "/v1/links/{id}/deny", tag = "links", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LinkView), (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: not an open request", body = crate::error::ErrorBody)))]
pub async fn links_deny(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<LinkView>> {
    Ok(ApiJson(view(service::decide(&state.pool, &user.actor(), id, Decision::Deny).await?)))
}

/// Ends a link or an open request: the patient unlinks, or the hospital withdraws. Documents
/// the hospital already added stay in the patient's record.
#[utoipa::path(post, path = "/v1/links/{id}/end", tag = "links", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = LinkView), (status = 404, body = crate::error::ErrorBody),
               (status = 409, description = "`invalid_transition`: already denied or ended", body = crate::error::ErrorBody)))]
pub async fn links_end(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<LinkView>> {
    Ok(ApiJson(view(service::decide(&state.pool, &user.actor(), id, Decision::End).await?)))
}

/// The patients the calling hospital asked to link or for consent, most recently asked first:
/// the ABHA number it asked with, the newest link's state, grants in force, and, once the patient
/// linked or granted, their name; while linked, their encryption key, for uploads into the record.
#[utoipa::path(get, path = "/v1/hospitals/me/patients", tag = "links", security(("bearer" = [])),
    responses((status = 200, body = Vec<HospitalPatientView>), (status = 403, description = "not a hospital", body = crate::error::ErrorBody)))]
pub async fn hospital_patients(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<ApiJson<Vec<HospitalPatientView>>> {
    user.require(&[Role::Hospital])?;
    let rows = store::find_patients_of_hospital(&state.pool, user.subject_id).await?;
    Ok(ApiJson(
        rows.into_iter()
            .map(|p| HospitalPatientView {
                patient_id: p.patient_id,
                abha_number: p.abha_number,
                name: p.name,
                link_id: p.link_id,
                link_status: p.link_status,
                active_grants: p.active_grants,
                x25519_public_key: p.x25519_public_key,
            })
            .collect(),
    ))
}
