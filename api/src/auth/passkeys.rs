//! Passkeys (WebAuthn, through `webauthn-rs`) as a second factor beside TOTP: adding, listing
//! and removing them, and answering a login challenge with one (docs/two-factor.md
//! "Passkeys"). The state of each ceremony is kept in Postgres between its two calls (a
//! registration in `passkey_registrations`, a sign-in on its login challenge), so any replica
//! may answer either call. Every refusal is audited and changes nothing but the count of wrong
//! second-factor attempts (shared with TOTP) and, for a counter that did not go up, the mark on
//! the passkey.

use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CredentialID, Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder, WebauthnError,
};

use super::AuthUser;
use super::second_factor::{LOCK_SECS, MAX_FAILURES, credential_of, event, lock_error};
use super::service::{TokenPair, open_session};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tokens::hash_refresh_token;
use pramana_server::config::AuthSettings;
use pramana_server::store::StoreError;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::credentials::{self, Credential};
use pramana_server::store::passkeys::{self as store, StoredPasskey};
use pramana_server::store::second_factor as factor_store;
use pramana_wire::{PasskeyInfo, PasskeyOptions};

/// How long a started registration may be finished.
pub const REGISTRATION_TTL_SECS: i64 = 300;
/// Passkeys per account.
pub const MAX_PASSKEYS: usize = 10;
/// The relying-party name authenticators show.
const RP_NAME: &str = "Pramana";

/// The relying party from `auth.passkey_origin` and `auth.passkey_rp_id` (the origin's host when
/// empty).
pub fn webauthn_from_settings(auth: &AuthSettings) -> anyhow::Result<Webauthn> {
    let origin = Url::parse(&auth.passkey_origin)?;
    let rp_id = match auth.passkey_rp_id.trim() {
        "" => origin.host_str().ok_or_else(|| anyhow::anyhow!("auth.passkey_origin has no host"))?.to_owned(),
        id => id.to_owned(),
    };
    Ok(WebauthnBuilder::new(&rp_id, &origin)?.rp_name(RP_NAME).build()?)
}

/// Why a passkey was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Not a WebAuthn answer, or one that does not verify (signature, challenge, origin, user
    /// verification).
    Invalid,
    /// A credential that is not one of this account's passkeys.
    Unknown,
    /// The signature counter did not go up: the passkey is marked and refused.
    CounterRegressed,
    /// A passkey marked before.
    PossiblyCloned,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Self::Invalid => "passkey_invalid",
            Self::Unknown => "passkey_unknown",
            Self::CounterRegressed => "passkey_counter_regressed",
            Self::PossiblyCloned => "passkey_possibly_cloned",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Invalid => "the passkey's answer could not be verified; try again",
            Self::Unknown => "that passkey is not registered to this account",
            Self::CounterRegressed => {
                "this passkey's signature counter went backwards: it may have been copied, so it was blocked. Sign in with another factor, remove it and add a new one"
            }
            Self::PossiblyCloned => {
                "this passkey was blocked because it may have been copied; sign in with another factor, remove it and add a new one"
            }
        }
    }
}

fn info(p: &StoredPasskey) -> PasskeyInfo {
    PasskeyInfo {
        id: p.id,
        name: p.name.clone(),
        created_at: p.created_at,
        last_used_at: p.last_used_at,
        possibly_cloned: p.possibly_cloned_at.is_some(),
    }
}

fn options(value: impl serde::Serialize) -> ApiResult<PasskeyOptions> {
    let mut v = serde_json::to_value(value).map_err(ApiError::internal)?;
    Ok(PasskeyOptions { public_key: v["publicKey"].take() })
}

fn to_json(value: impl serde::Serialize) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    serde_json::from_value(value).map_err(ApiError::internal)
}

fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    let len = name.chars().count();
    if len == 0 || len > 64 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field("name", "1 to 64 characters, no control characters"));
    }
    Ok(name.to_owned())
}

/// Audits a refusal of a signed-in caller (outside any transaction) and returns `error`.
async fn refuse_user(
    state: &AppState,
    user: &AuthUser,
    action: &'static str,
    reason: &str,
    request_id: Option<String>,
    error: ApiError,
) -> ApiResult<ApiError> {
    insert_audit_event_now(
        &state.pool,
        &event(user.role, user.subject_id, user.staff_id(), action, Outcome::Denied, request_id)
            .details(json!({"reason": reason})),
    )
    .await?;
    tracing::info!(reason, "passkey change refused");
    Ok(error)
}

/// The caller's passkeys.
pub async fn list(state: &AppState, user: &AuthUser) -> ApiResult<Vec<PasskeyInfo>> {
    let credential = credential_of(state, user).await?;
    Ok(store::list(&state.pool, credential.id).await?.iter().map(info).collect())
}

/// Starts adding a passkey named `name`: the options for `navigator.credentials.create()`.
pub async fn register_start(
    state: &AppState,
    user: &AuthUser,
    name: &str,
    request_id: Option<String>,
) -> ApiResult<PasskeyOptions> {
    let credential = credential_of(state, user).await?;
    let name = check_name(name)?;
    let existing = store::list(&state.pool, credential.id).await?;
    if existing.iter().any(|p| p.name == name) {
        return Err(ApiError::Conflict("passkey_name_taken", "another passkey of this account has that name"));
    }
    if existing.len() >= MAX_PASSKEYS {
        return Err(ApiError::Conflict("passkey_limit", "this account has ten passkeys; remove one first"));
    }
    let login: String = sqlx::query_scalar("SELECT login FROM credentials WHERE id = $1")
        .bind(credential.id)
        .fetch_one(&state.pool)
        .await
        .map_err(StoreError::from)?;
    let exclude: Vec<CredentialID> = existing.iter().map(|p| CredentialID::from(p.webauthn_id.clone())).collect();
    let (ccr, registration) = state
        .webauthn
        .start_passkey_registration(credential.id, &login, &login, Some(exclude))
        .map_err(ApiError::internal)?;
    let expires_at = Utc::now() + Duration::seconds(REGISTRATION_TTL_SECS);
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    store::start_registration(&mut *tx, credential.id, &name, &to_json(&registration)?, expires_at).await?;
    insert_audit_event(
        &mut tx,
        &event(user.role, user.subject_id, user.staff_id(), "auth.passkey.setup", Outcome::Ok, request_id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    options(&ccr)
}

/// Finishes adding a passkey with the browser's answer.
pub async fn register_finish(
    state: &AppState,
    user: &AuthUser,
    answer: serde_json::Value,
    request_id: Option<String>,
) -> ApiResult<PasskeyInfo> {
    const ACTION: &str = "auth.passkey.add";
    let credential = credential_of(state, user).await?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some((name, registration)) = store::take_registration(&mut *tx, credential.id).await? else {
        drop(tx);
        let e = ApiError::Conflict(
            "passkey_not_started",
            "no passkey is being added (or it took longer than five minutes): start again",
        );
        return Err(refuse_user(state, user, ACTION, "passkey_not_started", request_id, e).await?);
    };
    let registration: PasskeyRegistration = from_json(registration)?;
    let answer = serde_json::from_value::<RegisterPublicKeyCredential>(answer);
    let verified = answer.as_ref().map_err(ToString::to_string).and_then(|answer| {
        state.webauthn.finish_passkey_registration(answer, &registration).map_err(|e| e.to_string())
    });
    let passkey = match verified {
        Ok(p) => p,
        Err(why) => {
            drop(tx);
            // The library refuses a credential the options excluded (one of this account's).
            let known = match &answer {
                Ok(a) => store::list(&state.pool, credential.id)
                    .await?
                    .iter()
                    .any(|p| p.webauthn_id.as_slice() == a.raw_id.as_ref()),
                Err(_) => false,
            };
            if known {
                let (code, message) = ("passkey_already_registered", "this passkey is already registered");
                return Err(
                    refuse_user(state, user, ACTION, code, request_id, ApiError::Conflict(code, message)).await?
                );
            }
            tracing::info!(%why, "passkey registration refused");
            let e = ApiError::unprocessable(
                Refusal::Invalid.code(),
                "the new passkey's answer could not be verified; try again",
            );
            return Err(refuse_user(state, user, ACTION, Refusal::Invalid.code(), request_id, e).await?);
        }
    };
    let record = to_json(&passkey)?;
    let counter = record.pointer("/cred/counter").and_then(serde_json::Value::as_i64).unwrap_or(0);
    let stored = match store::insert(&mut *tx, credential.id, &name, passkey.cred_id().as_ref(), &record, counter).await
    {
        Ok(s) => s,
        Err(StoreError::Conflict(constraint)) => {
            drop(tx);
            let (code, message) = if constraint.contains("webauthn_id") {
                ("passkey_already_registered", "this passkey is already registered")
            } else {
                ("passkey_name_taken", "another passkey of this account has that name")
            };
            return Err(refuse_user(state, user, ACTION, code, request_id, ApiError::Conflict(code, message)).await?);
        }
        Err(e) => return Err(e.into()),
    };
    insert_audit_event(
        &mut tx,
        &event(user.role, user.subject_id, user.staff_id(), ACTION, Outcome::Ok, request_id)
            .target("passkey", stored.id)
            .details(json!({"name": stored.name})),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(info(&stored))
}

/// Removes passkey `id`, with the account's password typed again. A wrong password counts
/// towards the second-factor lock.
pub async fn remove(
    state: &AppState,
    user: &AuthUser,
    id: Uuid,
    password: String,
    request_id: Option<String>,
) -> ApiResult<()> {
    const ACTION: &str = "auth.passkey.remove";
    let credential = credential_of(state, user).await?;
    if !store::list(&state.pool, credential.id).await?.iter().any(|p| p.id == id) {
        return Err(refuse_user(state, user, ACTION, "not_found", request_id, ApiError::NotFound).await?);
    }
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    if let Some(e) = lock_error(factor_store::lock_attempts(&mut tx, credential.id).await?) {
        drop(tx);
        return Err(refuse_user(state, user, ACTION, "locked", request_id, e).await?);
    }
    let right =
        state.hasher.verify(password, Some(credential.password_hash.clone())).await.map_err(ApiError::internal)?;
    if !right {
        factor_store::record_failure(&mut *tx, credential.id, MAX_FAILURES, LOCK_SECS).await?;
        insert_audit_event(
            &mut tx,
            &event(user.role, user.subject_id, user.staff_id(), ACTION, Outcome::Denied, request_id)
                .target("passkey", id)
                .details(json!({"reason": "password_invalid"})),
        )
        .await?;
        pramana_server::store::commit(tx).await?;
        return Err(ApiError::unprocessable("password_invalid", "that is not this account's password"));
    }
    if !store::delete(&mut *tx, credential.id, id).await? {
        drop(tx);
        return Err(refuse_user(state, user, ACTION, "not_found", request_id, ApiError::NotFound).await?);
    }
    insert_audit_event(
        &mut tx,
        &event(user.role, user.subject_id, user.staff_id(), ACTION, Outcome::Ok, request_id).target("passkey", id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(())
}

/// 401 `challenge_invalid`, audited.
async fn challenge_invalid(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    action: &'static str,
    request_id: Option<String>,
) -> ApiResult<ApiError> {
    insert_audit_event(
        &mut tx,
        &AuditEvent::new("anonymous", None, action, Outcome::Denied)
            .request_id(request_id)
            .details(json!({"reason": "challenge_invalid"})),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(unauthorized(
        "challenge_invalid",
        "this sign-in has expired or was already used; sign in with the password again",
    ))
}

fn unauthorized(code: &'static str, message: &str) -> ApiError {
    ApiError::BadRequest { status: axum::http::StatusCode::UNAUTHORIZED, code, message: message.into() }
}

fn login_event(credential: &Credential, outcome: Outcome, request_id: Option<String>) -> AuditEvent {
    event(credential.role, credential.subject_id, credential.staff_id, "auth.login_passkey", outcome, request_id)
}

/// Starts answering a login challenge with a passkey: the options for
/// `navigator.credentials.get()`, listing the account's passkeys (all but blocked ones).
pub async fn login_start(state: &AppState, challenge: &str, request_id: Option<String>) -> ApiResult<PasskeyOptions> {
    let hash = hash_refresh_token(challenge);
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some(credential_id) = factor_store::lock_live_challenge(&mut *tx, &hash).await? else {
        return Err(challenge_invalid(tx, "auth.login_passkey", request_id).await?);
    };
    let credential =
        credentials::find_credential_by_id(&mut *tx, credential_id).await?.ok_or(ApiError::Unauthorized)?;
    let usable: Vec<Passkey> = store::list(&mut *tx, credential_id)
        .await?
        .into_iter()
        .filter(|p| p.possibly_cloned_at.is_none())
        .map(|p| from_json(p.passkey))
        .collect::<ApiResult<_>>()?;
    if usable.is_empty() {
        let ev = login_event(&credential, Outcome::Denied, request_id).details(json!({"reason": "passkey_none"}));
        insert_audit_event(&mut tx, &ev).await?;
        pramana_server::store::commit(tx).await?;
        return Err(unauthorized(
            "passkey_none",
            "this account has no passkey that may sign in; use the authenticator app",
        ));
    }
    let (rcr, authentication) = state.webauthn.start_passkey_authentication(&usable).map_err(ApiError::internal)?;
    factor_store::set_passkey_state(&mut *tx, &hash, &to_json(&authentication)?).await?;
    pramana_server::store::commit(tx).await?;
    options(&rcr)
}

/// Finishes a login with a passkey: a live challenge whose passkey sign-in was started, and the
/// browser's answer, open the session and use the challenge up.
pub async fn login_finish(
    state: &AppState,
    challenge: &str,
    answer: serde_json::Value,
    request_id: Option<String>,
    user_agent: Option<&str>,
) -> ApiResult<TokenPair> {
    let hash = hash_refresh_token(challenge);
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some(credential_id) = factor_store::lock_live_challenge(&mut *tx, &hash).await? else {
        return Err(challenge_invalid(tx, "auth.login_passkey", request_id).await?);
    };
    let credential =
        credentials::find_credential_by_id(&mut *tx, credential_id).await?.ok_or(ApiError::Unauthorized)?;
    if let Some(e) = lock_error(factor_store::lock_attempts(&mut tx, credential_id).await?) {
        let ev = login_event(&credential, Outcome::Denied, request_id.clone()).details(json!({"reason": "locked"}));
        insert_audit_event(&mut tx, &ev).await?;
        pramana_server::store::commit(tx).await?;
        return Err(e);
    }
    let Some(authentication) = factor_store::passkey_state(&mut *tx, &hash).await? else {
        let ev =
            login_event(&credential, Outcome::Denied, request_id).details(json!({"reason": "passkey_not_started"}));
        insert_audit_event(&mut tx, &ev).await?;
        pramana_server::store::commit(tx).await?;
        return Err(unauthorized(
            "passkey_not_started",
            "start the passkey sign-in first (POST /v1/auth/login/passkey/start)",
        ));
    };
    let authentication: PasskeyAuthentication = from_json(authentication)?;
    let (outcome, passkey_id) = match serde_json::from_value::<PublicKeyCredential>(answer) {
        Err(_) => (Err((Refusal::Invalid, "not a WebAuthn assertion".to_owned())), None),
        Ok(answer) => match store::lock_by_webauthn_id(&mut *tx, credential_id, answer.raw_id.as_ref()).await? {
            None => (Err((Refusal::Unknown, String::new())), None),
            Some(p) if p.possibly_cloned_at.is_some() => (Err((Refusal::PossiblyCloned, String::new())), Some(p.id)),
            Some(p) => match state.webauthn.finish_passkey_authentication(&answer, &authentication) {
                Ok(result) => (Ok((p.clone(), result)), Some(p.id)),
                Err(WebauthnError::CredentialPossibleCompromise) => {
                    store::mark_possibly_cloned(&mut *tx, p.id).await?;
                    (Err((Refusal::CounterRegressed, String::new())), Some(p.id))
                }
                Err(e) => (Err((Refusal::Invalid, e.to_string())), Some(p.id)),
            },
        },
    };
    let (stored, result) = match outcome {
        Ok(ok) => ok,
        Err((refusal, why)) => {
            factor_store::record_failure(&mut *tx, credential_id, MAX_FAILURES, LOCK_SECS).await?;
            let mut details = json!({"reason": refusal.code()});
            if !why.is_empty() {
                details["error"] = json!(why);
            }
            let mut ev = login_event(&credential, Outcome::Denied, request_id).details(details);
            if let Some(id) = passkey_id {
                ev = ev.target("passkey", id);
            }
            insert_audit_event(&mut tx, &ev).await?;
            pramana_server::store::commit(tx).await?;
            tracing::info!(reason = refusal.code(), "passkey sign-in refused");
            return Err(unauthorized(refusal.code(), refusal.message()));
        }
    };
    let mut passkey: Passkey = from_json(stored.passkey.clone())?;
    passkey.update_credential(&result);
    store::record_use(&mut *tx, stored.id, &to_json(&passkey)?, i64::from(result.counter())).await?;
    factor_store::record_success(&mut *tx, credential_id, None).await?;
    factor_store::use_challenge(&mut *tx, &hash).await?;
    pramana_server::store::commit(tx).await?;
    open_session(
        state,
        &credential,
        request_id,
        user_agent,
        json!({"second_factor": "passkey", "passkey_id": stored.id, "passkey_name": stored.name}),
    )
    .await
}
