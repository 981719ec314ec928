//! `/v1/devices`: a patient's signed-in devices, and pairing a new device from one that holds the
//! keys (`service::devices`, docs/devices.md). Only patients; only their own.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pramana_server::store::devices::PairingRow;
use pramana_wire::{
    DeviceList, DeviceView, PairingCreate, PairingCreated, PairingFind, PairingFound, PairingSeal, PairingStatus,
};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiJson, ApiPath, ApiResult};
use crate::service::devices::{self as service, Locked, PairingState};
use crate::state::AppState;

fn found(p: PairingRow) -> PairingFound {
    PairingFound {
        id: p.id,
        public_key: hex::encode(p.public_key),
        device_name: p.device_name,
        created_at: p.created_at,
        expires_at: p.expires_at,
    }
}

/// The new device (signed in, no keys yet) asks to be paired: it gets the code to type on a
/// device that has the keys, valid for 10 minutes.
#[utoipa::path(post, path = "/v1/devices/pairings", tag = "devices", security(("bearer" = [])),
    request_body = PairingCreate,
    responses((status = 201, body = PairingCreated),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 409, description = "`pairing_exists` (this key already has a pairing), `sign_in_again` (a session from before devices existed)", body = crate::error::ErrorBody),
               (status = 422, description = "`invalid_public_key`, `invalid_name`", body = crate::error::ErrorBody)))]
pub async fn pairings_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<PairingCreate>,
) -> ApiResult<(StatusCode, ApiJson<PairingCreated>)> {
    let p = service::create_pairing(
        &state.pool,
        &user.actor(),
        user.session_id,
        &body.public_key,
        body.name.as_deref(),
        Utc::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, ApiJson(PairingCreated { id: p.id, code: p.code, expires_at: p.expires_at })))
}

/// A device with the keys looks a pairing of the same account up by the code the person typed.
/// Five wrong codes in a row lock the lookup for five minutes (429).
#[utoipa::path(post, path = "/v1/devices/pairings/find", tag = "devices", security(("bearer" = [])),
    request_body = PairingFind,
    responses((status = 200, body = PairingFound),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, description = "`device_code_invalid`: no pairing of this account has that code", body = crate::error::ErrorBody),
               (status = 409, description = "`pairing_used` (keys already given), `pairing_same_device` (typed on the new device itself)", body = crate::error::ErrorBody),
               (status = 422, description = "`device_code_expired`", body = crate::error::ErrorBody)))]
pub async fn pairings_find(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<PairingFind>,
) -> ApiResult<ApiJson<PairingFound>> {
    if body.code.len() > 64 {
        return Err(ApiError::from(crate::service::ServiceError::Missing {
            code: "device_code_invalid",
            message: "no pairing of this account has that code".into(),
        }));
    }
    match service::find_pairing(&state.pool, &user.actor(), user.session_id, &body.code, Utc::now()).await? {
        Ok(p) => Ok(ApiJson(found(p))),
        Err(Locked(secs)) => Err(ApiError::RateLimited { retry_after_secs: secs }),
    }
}

/// The new device's poll of its own pairing (only the session that made it): the sealed keys
/// once, then they are deleted.
#[utoipa::path(get, path = "/v1/devices/pairings/{id}", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PairingStatus),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, description = "no such pairing of this session", body = crate::error::ErrorBody)))]
pub async fn pairings_get(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<ApiJson<PairingStatus>> {
    let (p, found) = service::fetch_pairing(&state.pool, &user.actor(), user.session_id, id, Utc::now()).await?;
    let (name, sealed) = match found {
        PairingState::Waiting => ("waiting", None),
        PairingState::Sealed(bytes) => ("sealed", Some(hex::encode(bytes))),
        PairingState::Fetched => ("fetched", None),
        PairingState::Expired => ("expired", None),
    };
    Ok(ApiJson(PairingStatus { id: p.id, state: name.to_owned(), expires_at: p.expires_at, sealed }))
}

/// A device with the keys gives them to the pairing's new device, sealed to its public key
/// (HPKE); the server stores the ciphertext as given. The patient is notified (`new_device`).
#[utoipa::path(post, path = "/v1/devices/pairings/{id}/seal", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PairingSeal,
    responses((status = 204, description = "stored for the new device to fetch once"),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, description = "no such pairing of this account", body = crate::error::ErrorBody),
               (status = 409, description = "`pairing_used`, `pairing_same_device`", body = crate::error::ErrorBody),
               (status = 422, description = "`device_code_expired`, `invalid_sealed`", body = crate::error::ErrorBody)))]
pub async fn pairings_seal(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<PairingSeal>,
) -> ApiResult<StatusCode> {
    service::seal_pairing(&state.pool, &user.actor(), user.session_id, id, &body.sealed, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's signed-in devices, oldest first, this one marked `current`.
#[utoipa::path(get, path = "/v1/devices", tag = "devices", security(("bearer" = [])),
    responses((status = 200, body = DeviceList), (status = 403, description = "not a patient", body = crate::error::ErrorBody)))]
pub async fn devices_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<DeviceList>> {
    let rows = service::list(&state.pool, &user.actor(), user.session_id).await?;
    let items = rows
        .into_iter()
        .map(|(d, current)| DeviceView {
            id: d.id,
            name: d.name,
            created_at: d.created_at,
            last_seen_at: d.last_seen_at,
            current,
        })
        .collect();
    Ok(ApiJson(DeviceList { items }))
}

/// Removes one of the caller's devices: its sessions end at once. Keys it saved stay on it.
#[utoipa::path(delete, path = "/v1/devices/{id}", tag = "devices", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204, description = "removed; its sessions are ended"),
               (status = 403, description = "not a patient", body = crate::error::ErrorBody),
               (status = 404, description = "no such device of this account (or removed already)", body = crate::error::ErrorBody)))]
pub async fn devices_delete(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<StatusCode> {
    service::remove(&state.pool, &user.actor(), id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
