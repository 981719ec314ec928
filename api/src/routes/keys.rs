//! `/v1/keys`: register (rotate) an X25519 encryption key or an Ethereum signing address; list
//! the caller's keys with their history. Registering a key needs the account's password (a
//! hospital's API secret) again: whoever holds a key decrypts new documents or signs consents,
//! so a stolen access token alone must not be enough to plant one.

use alloy::primitives::Address;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use pramana_core::chain::eip712::{RotateSigner, SignatureError, SignedRotation};
use pramana_core::{EthAddress, X25519PublicKey};
use pramana_wire::{KeyCreate, KeyKind, KeyView, RotationBody, RotationView};
use serde_json::json;
use uuid::Uuid;

use super::consents::{chain_domain, parse_signature};
use crate::auth::{AuthUser, Role};
use crate::error::current_request_id;
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::service::consents as rules;
use crate::state::AppState;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::credentials;
use pramana_server::store::keys::{self, KeyRow};
use pramana_server::store::relay::{self, NewRotation};

fn key_view(k: KeyRow) -> KeyView {
    let public_key = match k.kind.as_str() {
        "ethereum" => EthAddress::parse(&k.public_key).map_or(k.public_key.clone(), |a| a.to_checksum()),
        _ => k.public_key,
    };
    let rotation = k.rotation_nonce.zip(k.rotation_state).map(|(nonce, state)| RotationView {
        nonce,
        state,
        failure: k.rotation_failure,
    });
    KeyView { id: k.id, kind: k.kind, public_key, created_at: k.created_at, retired_at: k.retired_at, rotation }
}

/// Checks the caller's password (a hospital's API secret; in a guardian's session on a child's
/// account, the guardian's) again; every failure is the same 403.
async fn check_password(state: &AppState, user: &AuthUser, password: Option<String>) -> ApiResult<()> {
    let refused = || ApiError::BadRequest {
        status: StatusCode::FORBIDDEN,
        code: "reauthentication_required",
        message: "registering a key needs the account's password (a hospital's API secret) in `password`".into(),
    };
    let Some(password) = password else { return Err(refused()) };
    let credential =
        credentials::find_credential_by_subject(&state.pool, user.role, user.guardian.unwrap_or(user.subject_id))
            .await?;
    let ok = state.hasher.verify(password, credential.map(|c| c.password_hash)).await.map_err(ApiError::internal)?;
    if !ok {
        tracing::info!(subject = %user.subject_id, "key registration refused: password");
        return Err(refused());
    }
    Ok(())
}

/// For a patient's new Ethereum key: `None` when it replaces no other key (it becomes the
/// account) or is the account's signer already; else the signed rotation handing the account
/// to it, checked against the account's signer (the active key, or the one before it when the
/// chain refused the active key's rotation, so a failed rotation can be signed again), with the
/// key it replaces.
async fn checked_rotation(
    state: &AppState,
    user: &AuthUser,
    new_key: &str,
    body: Option<RotationBody>,
) -> ApiResult<Option<(String, NewRotation)>> {
    let keys = keys::find_keys_by_owner(&state.pool, user.subject_id).await?;
    let Some((account, signer)) = rules::patient_account(&keys) else {
        return match body {
            None => Ok(None),
            Some(_) => Err(ApiError::invalid_field("rotation", "only when an Ethereum key is active")),
        };
    };
    let new_signer: Address = new_key.parse().map_err(|_| ApiError::invalid_field("public_key", "an address"))?;
    if new_signer == signer {
        return Ok(None);
    }
    let Some(body) = body else {
        return Err(ApiError::unprocessable(
            "rotation_required",
            "a new Ethereum key takes over the account only with a RotateSigner message signed by the account's current key (`rotation`)",
        ));
    };
    let nonce = rules::chain_nonce(body.nonce)?;
    rules::check_nonce_after_rotations(&state.pool, account, nonce).await?;
    let deadline = rules::chain_deadline(body.deadline, Utc::now())?;
    let signature = parse_signature(&body.signature)?;
    let rotation = RotateSigner { account, newSigner: new_signer, nonce: body.nonce, deadline: body.deadline };
    SignedRotation { rotation, signature }.verify(&chain_domain(state)?, signer).map_err(|e| match e {
        SignatureError::HighS => ApiError::unprocessable("invalid_signature", "the signature's s value is too high"),
        SignatureError::NotThePatient => ApiError::unprocessable(
            "invalid_signature",
            "the rotation is not signed by the account's current Ethereum key over (account, new key, nonce, deadline)",
        ),
    })?;
    // The key being replaced (the active one: the signer, unless its own rotation failed).
    let replaced = rules::active_key(&keys, "ethereum").unwrap_or_default().to_owned();
    Ok(Some((
        replaced,
        NewRotation {
            patient_id: user.subject_id,
            // Set once the key is inserted.
            key_id: Uuid::nil(),
            account: account.into_array(),
            new_signer: new_signer.into_array(),
            nonce,
            deadline,
            signature,
        },
    )))
}

/// The caller's keys, newest first; retired keys are kept as history.
#[utoipa::path(get, path = "/v1/keys", tag = "keys", security(("bearer" = [])),
    responses((status = 200, body = Vec<KeyView>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn keys_list(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<Vec<KeyView>>> {
    user.require(&[Role::Patient, Role::Hospital])?;
    let rows = keys::find_keys_by_owner(&state.pool, user.subject_id).await?;
    Ok(ApiJson(rows.into_iter().map(key_view).collect()))
}

/// Registers a key, retiring the previous one of the same kind.
#[utoipa::path(post, path = "/v1/keys", tag = "keys", security(("bearer" = [])), request_body = KeyCreate,
    responses((status = 201, body = KeyView),
              (status = 403, description = "`reauthentication_required`: no or a wrong `password`", body = crate::error::ErrorBody),
              (status = 409, description = "`key_changed`: the Ethereum key changed while the rotation was checked", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_public_key`, `rotation_required`, `invalid_signature`, `invalid_nonce`, `invalid_deadline`, `invalid_rotation`", body = crate::error::ErrorBody)))]
pub async fn keys_create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<KeyCreate>,
) -> ApiResult<(StatusCode, ApiJson<KeyView>)> {
    user.require(&[Role::Patient, Role::Hospital])?;
    check_password(&state, &user, body.password).await?;
    let normalised = match body.kind {
        KeyKind::X25519 => X25519PublicKey::parse(&body.public_key).map_err(ApiError::invalid("public_key"))?.to_hex(),
        KeyKind::Ethereum => {
            EthAddress::parse(&body.public_key).map_err(ApiError::invalid("public_key"))?.to_lower_hex()
        }
    };
    let mut rotation = match (body.kind, user.role) {
        (KeyKind::Ethereum, Role::Patient) => checked_rotation(&state, &user, &normalised, body.rotation).await?,
        _ if body.rotation.is_some() => {
            return Err(ApiError::invalid_field("rotation", "only for a patient's new Ethereum key"));
        }
        _ => None,
    };
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    if let Some((replaced, _)) = &rotation {
        let active = keys::lock_active_key(&mut tx, user.subject_id, KeyKind::Ethereum.as_str()).await?;
        if active.as_deref() != Some(replaced.as_str()) {
            return Err(ApiError::Conflict(
                "key_changed",
                "the Ethereum key changed meanwhile; sign the rotation again",
            ));
        }
    }
    let mut row =
        keys::insert_key_rotating(&mut tx, user.role.as_str(), user.subject_id, body.kind.as_str(), &normalised)
            .await?;
    if let Some((_, r)) = &mut rotation {
        r.key_id = row.id;
        relay::insert_signer_rotation(&mut tx, r).await?;
        (row.rotation_nonce, row.rotation_state) = (Some(r.nonce), Some("pending".to_owned()));
    }
    insert_audit_event(
        &mut tx,
        &AuditEvent::new(user.role.as_str(), Some(user.subject_id), "key.register", Outcome::Ok)
            .staff(user.staff_id())
            .guardian(user.guardian)
            .patient((user.role == Role::Patient).then_some(user.subject_id))
            .target("key", row.id)
            .request_id(current_request_id())
            .details(json!({"kind": body.kind.as_str(), "rotation": rotation.is_some()})),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok((StatusCode::CREATED, ApiJson(key_view(row))))
}
