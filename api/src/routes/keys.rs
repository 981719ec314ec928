//! `/v1/keys`: register (rotate) an X25519 encryption key or an Ethereum signing address; list
//! the caller's keys with their history. Registering a key needs the account's password (a
//! hospital's API secret) again: whoever holds a key decrypts new documents or signs consents,
//! so a stolen access token alone must not be enough to plant one.

use alloy::primitives::Address;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pramana_core::chain::eip712::{RotateSigner, SignatureError, SignedRotation};
use pramana_core::{EthAddress, X25519PublicKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::consents;
use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::store::StoreError;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event};
use crate::store::credentials;
use crate::store::keys::{self, KeyRow};
use crate::store::relay::{self, NewRotation};

/// Which kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// X25519 public key (64 hex digits): receives wrapped document keys.
    X25519,
    /// Ethereum address (`0x…`): signs consent grants and revocations.
    Ethereum,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::X25519 => "x25519",
            Self::Ethereum => "ethereum",
        }
    }
}

/// A key to register; it replaces the caller's active key of the same kind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyCreate {
    /// Kind of key.
    pub kind: KeyKind,
    /// Hex X25519 key (64 hex digits) or `0x` address (40 hex digits; mixed case must be the
    /// EIP-55 checksum), as `kind` says.
    #[schema(pattern = r"^([0-9a-fA-F]{64}|0x[0-9a-fA-F]{40})$")]
    pub public_key: String,
    /// The account's password (a hospital's API secret), asked again: a valid access token alone
    /// may not register a key. Missing or wrong: 403 `reauthentication_required`.
    pub password: Option<String>,
    /// A patient's new Ethereum key takes over their account (the address of their first key)
    /// only with a `RotateSigner` message signed by the key that signs for the account now
    /// (the active one, unless the chain refused its rotation): missing, 422
    /// `rotation_required`; signed by another key, 422 `invalid_signature`; a nonce that a
    /// rotation still waiting for the chain consumes, 422 `invalid_nonce`.
    pub rotation: Option<RotationBody>,
}

/// The EIP-712 `RotateSigner(account, newSigner, nonce, deadline)` the account's current signer
/// signed; `account` is the patient's first Ethereum key and `newSigner` the key registered.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationBody {
    /// The account's contract nonce now (`nonces(account)` on the ConsentRegistry), at most 2^63 - 1.
    #[schema(maximum = 9_223_372_036_854_775_807_u64)]
    pub nonce: u64,
    /// Signature deadline (Unix seconds), in the future and at most 2^40 - 1 (`uint40`).
    #[schema(maximum = 1_099_511_627_775_u64)]
    pub deadline: u64,
    /// EIP-2098 compact signature (`0x` + 128 hex digits) by the key that signs for the account now.
    #[schema(pattern = r"^(0x)?[0-9a-fA-F]{128}$")]
    pub signature: String,
}

/// A registered key.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// Key id.
    pub id: Uuid,
    /// `x25519` or `ethereum`.
    pub kind: String,
    /// Lower-case hex key, or EIP-55 address.
    pub public_key: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// When a newer key replaced it.
    pub retired_at: Option<DateTime<Utc>>,
    /// A patient's later Ethereum key: the signed rotation that handed the account to it, and
    /// its chain state.
    pub rotation: Option<RotationView>,
}

/// A signer rotation as the chain mirror sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotationView {
    /// The account nonce it carries; messages signed after it carry a higher one.
    pub nonce: i64,
    /// `pending`, `submitted`, `confirmed` or `failed`.
    pub state: String,
    /// The contract's reason, when failed.
    pub failure: Option<String>,
}

impl From<KeyRow> for KeyView {
    fn from(k: KeyRow) -> Self {
        let public_key = match k.kind.as_str() {
            "ethereum" => EthAddress::parse(&k.public_key).map_or(k.public_key.clone(), |a| a.to_checksum()),
            _ => k.public_key,
        };
        let rotation = k.rotation_nonce.zip(k.rotation_state).map(|(nonce, state)| RotationView {
            nonce,
            state,
            failure: k.rotation_failure,
        });
        Self { id: k.id, kind: k.kind, public_key, created_at: k.created_at, retired_at: k.retired_at, rotation }
    }
}

/// Checks the caller's password (a hospital's API secret) again; every failure is the same 403.
async fn check_password(state: &AppState, user: &AuthUser, password: Option<String>) -> ApiResult<()> {
    let refused = || ApiError::BadRequest {
        status: StatusCode::FORBIDDEN,
        code: "reauthentication_required",
        message: "registering a key needs the account's password (a hospital's API secret) in `password`".into(),
    };
    let Some(password) = password else { return Err(refused()) };
    let credential = credentials::find_credential_by_subject(&state.pool, user.role, user.subject_id).await?;
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
    let Some((account, signer)) = consents::patient_account(&keys) else {
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
    let nonce = consents::chain_nonce(body.nonce)?;
    consents::check_nonce_after_rotations(state, account, nonce).await?;
    let deadline = consents::chain_deadline(body.deadline, Utc::now())?;
    let signature = consents::parse_signature(&body.signature)?;
    let rotation = RotateSigner { account, newSigner: new_signer, nonce: body.nonce, deadline: body.deadline };
    SignedRotation { rotation, signature }.verify(&consents::chain_domain(state)?, signer).map_err(|e| match e {
        SignatureError::HighS => ApiError::unprocessable("invalid_signature", "the signature's s value is too high"),
        SignatureError::NotThePatient => ApiError::unprocessable(
            "invalid_signature",
            "the rotation is not signed by the account's current Ethereum key over (account, new key, nonce, deadline)",
        ),
    })?;
    // The key being replaced (the active one: the signer, unless its own rotation failed).
    let replaced = consents::active_key(&keys, "ethereum").unwrap_or_default().to_owned();
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
    Ok(ApiJson(rows.into_iter().map(KeyView::from).collect()))
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
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
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
        &AuditEvent {
            actor_role: user.role.as_str(),
            actor_id: Some(user.subject_id),
            action: "key.register",
            outcome: Outcome::Ok,
            subject_patient_id: (user.role == Role::Patient).then_some(user.subject_id),
            target: Some(format!("key:{}", row.id)),
            request_id: current_request_id(),
            details: json!({"kind": body.kind.as_str(), "rotation": rotation.is_some()}),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, ApiJson(row.into())))
}
