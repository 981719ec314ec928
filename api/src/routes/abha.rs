//! Proving ABHA ownership (`service::abha`): the patient's one-time code, hospital staff entering
//! it after checking the card, and ABDM's OTP verification when the deployment enables it.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pramana_core::AbhaNumber;
use pramana_wire::{AbdmOtpConfirm, AbdmOtpStarted, AbhaCodeView, AbhaVerifiedView, AbhaVerifyRequest, PatientView};

use crate::abdm::AbhaOtpVerifier;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::rate_limit::RetryAfter;
use crate::service::abha as service;
use crate::state::AppState;

/// A one-time code for the caller's ABHA number, to show staff at a registered hospital's desk
/// with the ABHA card. A new code replaces the last; it works for 15 minutes.
#[utoipa::path(post, path = "/v1/patients/me/abha-verification-code", tag = "patients", security(("bearer" = [])),
    responses((status = 201, body = AbhaCodeView),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 409, description = "`abha_already_verified`, or `abha_displaced`: another account's claim was verified", body = crate::error::ErrorBody)))]
pub async fn abha_code_create(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, ApiJson<AbhaCodeView>)> {
    user.require(&[Role::Patient])?;
    let issued = service::issue_code(&state.pool, &user.actor(), Utc::now()).await?;
    Ok((StatusCode::CREATED, ApiJson(AbhaCodeView { code: issued.code, expires_at: issued.expires_at })))
}

/// Hospital staff, having checked the patient's ABHA card, enter its number and the code the
/// patient's screen shows. The account is then *verified*, and every other claim of the number
/// displaced. A wrong, expired or unknown code gets one answer, whether or not the number is
/// registered; a few wrong codes end the number's live codes. A hospital entering too many codes
/// gets `429 rate_limited`.
#[utoipa::path(post, path = "/v1/abha-verifications", tag = "patients", security(("bearer" = [])), request_body = AbhaVerifyRequest,
    responses((status = 200, body = AbhaVerifiedView),
               (status = 403, description = "not a hospital", body = crate::error::ErrorBody),
               (status = 409, description = "`abha_already_verified`: another account holds this number verified", body = crate::error::ErrorBody),
               (status = 422, description = "`abha_code_invalid`, `invalid_abha_number`, `invalid_code`", body = crate::error::ErrorBody)))]
pub async fn abha_verifications_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<AbhaVerifyRequest>,
) -> ApiResult<ApiJson<AbhaVerifiedView>> {
    user.require(&[Role::Hospital])?;
    let number = AbhaNumber::parse(&req.abha_number).map_err(ApiError::invalid("abha_number"))?;
    if let Err(RetryAfter(secs)) = state.limiters.abha_verify_per_hospital.check(&user.subject_id) {
        return Err(ApiError::RateLimited { retry_after_secs: secs });
    }
    let v = service::verify_in_person(&state.pool, &user.actor(), &number, &req.code).await?;
    Ok(ApiJson(AbhaVerifiedView {
        abha_number: v.abha_number.hyphenated(),
        patient_name: v.name,
        verified_at: v.verified_at,
    }))
}

fn abdm(state: &AppState) -> ApiResult<&dyn AbhaOtpVerifier> {
    state.abdm.as_deref().ok_or_else(|| ApiError::BadRequest {
        status: StatusCode::NOT_FOUND,
        code: "abdm_disabled",
        message: "ABHA verification through ABDM is not enabled on this platform; verify at a hospital desk instead"
            .into(),
    })
}

/// Starts ABDM's verification of the caller's claimed number: ABDM sends an OTP to the mobile
/// number registered with it. Only where the operator enabled `[abdm]` (otherwise
/// `404 abdm_disabled`); untested against ABDM.
#[utoipa::path(post, path = "/v1/patients/me/abha-verification/abdm", tag = "patients", security(("bearer" = [])),
    responses((status = 202, body = AbdmOtpStarted),
               (status = 404, description = "`abdm_disabled`", body = crate::error::ErrorBody),
               (status = 409, description = "`abha_already_verified`, `abha_displaced`", body = crate::error::ErrorBody),
               (status = 422, description = "`abdm_rejected`", body = crate::error::ErrorBody),
               (status = 503, description = "`abdm_unavailable`", body = crate::error::ErrorBody)))]
pub async fn abdm_otp_request(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<(StatusCode, ApiJson<AbdmOtpStarted>)> {
    user.require(&[Role::Patient])?;
    let verifier = abdm(&state)?;
    let transaction_id = service::abdm_request(&state.pool, verifier, &user.actor()).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(AbdmOtpStarted { transaction_id })))
}

/// Finishes ABDM's verification with the OTP: when ABDM vouches for this account's own number,
/// it is verified and other claims displaced.
#[utoipa::path(post, path = "/v1/patients/me/abha-verification/abdm/confirm", tag = "patients", security(("bearer" = [])),
    request_body = AbdmOtpConfirm,
    responses((status = 200, body = PatientView),
               (status = 404, description = "`abdm_disabled`", body = crate::error::ErrorBody),
               (status = 409, description = "`abha_already_verified`, `abha_displaced`", body = crate::error::ErrorBody),
               (status = 422, description = "`abdm_rejected`, `abdm_number_mismatch`, `invalid_otp`", body = crate::error::ErrorBody),
               (status = 503, description = "`abdm_unavailable`", body = crate::error::ErrorBody)))]
pub async fn abdm_otp_confirm(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(req): ApiJson<AbdmOtpConfirm>,
) -> ApiResult<ApiJson<PatientView>> {
    user.require(&[Role::Patient])?;
    let verifier = abdm(&state)?;
    service::abdm_confirm(&state.pool, verifier, &user.actor(), &req.transaction_id, &req.otp).await?;
    super::patients::patients_me_get(State(state), user).await
}
