//! `/v1/keys`: register (rotate) an X25519 encryption key or an Ethereum signing address; list
//! the caller's keys with their history. Registering a key needs the account's password (a
//! hospital's API secret) again: whoever holds a key decrypts new documents or signs consents,
//! so a stolen access token alone must not be enough to plant one.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pramana_core::{EthAddress, X25519PublicKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiResult};
use crate::store::StoreError;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event};
use crate::store::credentials;
use crate::store::keys::{self, KeyRow};

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
    /// Hex X25519 key or `0x` address.
    pub public_key: String,
    /// The account's password (a hospital's API secret), asked again: a valid access token alone
    /// may not register a key. Missing or wrong: 403 `reauthentication_required`.
    pub password: Option<String>,
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
}

impl From<KeyRow> for KeyView {
    fn from(k: KeyRow) -> Self {
        let public_key = match k.kind.as_str() {
            "ethereum" => EthAddress::parse(&k.public_key).map_or(k.public_key.clone(), |a| a.to_checksum()),
            _ => k.public_key,
        };
        Self { id: k.id, kind: k.kind, public_key, created_at: k.created_at, retired_at: k.retired_at }
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
              (status = 422, description = "`invalid_public_key`", body = crate::error::ErrorBody)))]
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
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    let row = keys::insert_key_rotating(&mut tx, user.role.as_str(), user.subject_id, body.kind.as_str(), &normalised)
        .await?;
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
            details: json!({"kind": body.kind.as_str()}),
        },
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((StatusCode::CREATED, ApiJson(row.into())))
}
