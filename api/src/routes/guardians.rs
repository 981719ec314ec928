//! `/v1/dependents`: a parent or guardian creates their child's account, lists their children,
//! and opens a session on a child's account from their own (and goes back), docs/guardians.md.
//! The child's account has no password of its own: only its guardian opens it, and every
//! action in such a session records the guardian (`actor_guardian_id`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pramana_core::{AbhaNumber, PatientId};
use pramana_server::store::guardians::{self, ChildRow};
use pramana_server::store::{StoreError, audit::insert_audit_event, patients};
use pramana_wire::{DependentCreate, DependentView, SessionSwitch};
use serde_json::json;
use uuid::Uuid;

use super::auth::{check_name, parse_addresses, tokens_response};
use crate::auth::{AuthUser, Role, service};
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult, conflict_as};
use crate::state::AppState;
use pramana_server::store::audit::Outcome;

fn view(c: ChildRow) -> DependentView {
    DependentView {
        id: c.id,
        name: c.name,
        abha_number: c.abha_number,
        abha_addresses: c.abha_addresses,
        has_keys: c.has_keys,
        created_at: c.created_at,
    }
}

/// A patient creates their child's account and becomes its guardian. The child's ABHA number is
/// a claim until verified, as at registration; the account has no password.
#[utoipa::path(post, path = "/v1/dependents", tag = "guardians", security(("bearer" = [])),
    request_body = DependentCreate,
    responses((status = 201, body = DependentView),
               (status = 403, description = "not a patient, or `guardian_session_forbidden` (a child's account has no children)", body = crate::error::ErrorBody),
               (status = 409, description = "`already_registered`: as many claims of the number as one number may have, or an address taken", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_<field>`", body = crate::error::ErrorBody)))]
pub async fn dependents_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<DependentCreate>,
) -> ApiResult<(StatusCode, ApiJson<DependentView>)> {
    user.require(&[Role::Patient])?;
    let abha_number = AbhaNumber::parse(&body.abha_number).map_err(ApiError::invalid("abha_number"))?;
    let addresses = parse_addresses(&body.abha_addresses)?;
    let name = check_name(&body.name)?;
    let id = PatientId::new();
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    crate::service::abha::check_room_for_claim(&mut tx, abha_number.as_digits()).await?;
    let result: Result<(), StoreError> = async {
        patients::insert_patient(&mut tx, id, &abha_number, &name, &addresses).await?;
        guardians::insert_guardianship(&mut tx, user.subject_id, id.0).await?;
        let event = user.actor().event("guardian.create_child", Outcome::Ok);
        insert_audit_event(
            &mut tx,
            &event.patient(id.0).target("patient", id).details(json!({"guardian_id": user.subject_id})),
        )
        .await?;
        Ok(())
    }
    .await;
    result.map_err(conflict_as("already_registered", "this ABHA number or address is already registered"))?;
    let child = guardians::find_child(&mut *tx, user.subject_id, id.0).await?.ok_or(ApiError::NotFound)?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(view(child))))
}

/// The children's accounts the caller manages, oldest first.
#[utoipa::path(get, path = "/v1/dependents", tag = "guardians", security(("bearer" = [])),
    responses((status = 200, body = Vec<DependentView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn dependents_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<DependentView>>> {
    user.require(&[Role::Patient])?;
    let rows = guardians::list_children(&state.pool, user.subject_id).await?;
    Ok(ApiJson(rows.into_iter().map(view).collect()))
}

/// Opens a session on a child's account the caller manages, and ends the caller's own session
/// (the browser then holds the child's; `POST /v1/dependents/return` comes back). The new
/// session's `guardian_id` is the caller.
#[utoipa::path(post, path = "/v1/dependents/{id}/session", tag = "guardians", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The child's patient id")), request_body = SessionSwitch,
    responses((status = 200, description = "The child's session (with `refresh_cookie`, in cookies)", body = pramana_wire::TokenResponse),
               (status = 403, body = crate::error::ErrorBody),
               (status = 404, description = "not a child of the caller's", body = crate::error::ErrorBody)))]
pub async fn dependents_session(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SessionSwitch>,
) -> ApiResult<Response> {
    user.require(&[Role::Patient])?;
    if guardians::find_child(&state.pool, user.subject_id, id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let pair = service::switch_session(&state, &user, id, Some(user.subject_id), "guardian.open_child").await?;
    Ok(tokens_response(&state, pair, body.refresh_cookie))
}

/// From a guardian's session on a child's account: back to the guardian's own account (a new
/// session for it; the child's session ends).
#[utoipa::path(post, path = "/v1/dependents/return", tag = "guardians", security(("bearer" = [])),
    request_body = SessionSwitch,
    responses((status = 200, description = "The guardian's own session", body = pramana_wire::TokenResponse),
               (status = 409, description = "`not_a_guardian_session`", body = crate::error::ErrorBody)))]
pub async fn dependents_return(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<SessionSwitch>,
) -> ApiResult<Response> {
    let Some(guardian) = user.guardian else {
        return Err(ApiError::BadRequest {
            status: StatusCode::CONFLICT,
            code: "not_a_guardian_session",
            message: "this session is the account's own; there is no guardian's account to go back to".into(),
        });
    };
    let pair = service::switch_session(&state, &user, guardian, None, "guardian.close_child").await?;
    Ok(tokens_response(&state, pair, body.refresh_cookie))
}
