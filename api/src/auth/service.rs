//! Login, refresh-token rotation and logout.

use chrono::{Duration, Utc};
use pramana_core::{AbhaAddress, AbhaNumber, HfrId};
use serde_json::json;
use uuid::Uuid;

use super::{ADMIN_ID, Role};
use crate::error::{ApiError, ApiResult};
use crate::rate_limit::RetryAfter;
use crate::state::AppState;
use crate::tokens::{self, new_refresh_token};
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::credentials::{self, Credential};
use pramana_server::store::devices;
use pramana_server::store::second_factor;
use pramana_server::store::sessions;
use pramana_server::store::sessions::RefreshOutcome;

/// A freshly issued token pair.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// JWT access token.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// The holder's role.
    pub role: Role,
    /// The holder's id.
    pub subject_id: Uuid,
    /// The guardian, in a session on their child's account.
    pub guardian_id: Option<Uuid>,
}

/// Most accounts a login by ABHA number tries: registration keeps at most
/// [`crate::service::abha::MAX_LIVE_CLAIMS`] live claims of a number, and each verification
/// displaces at most that many.
const MAX_LOGIN_CANDIDATES: i64 = 2 * crate::service::abha::MAX_LIVE_CLAIMS as i64;

/// The credentials what a user typed may sign in to, and the key its attempts are limited under
/// (the same account under another spelling, an ABHA address or dashes, is the same key; an
/// unknown login is limited under its own spelling). An ABHA number may be claimed by several
/// accounts: the verified holder is tried first, then the claims, then displaced accounts.
pub(crate) async fn login_candidates(state: &AppState, login: &str) -> ApiResult<(String, Vec<Credential>, bool)> {
    let spelled = login.trim().to_ascii_lowercase();
    // A hospital staff member: `<HFR id>/<username>`.
    if let Some((hfr, username)) = login.trim().split_once('/') {
        let key = match HfrId::parse(hfr) {
            Ok(h) => format!("{}/{}", h.as_str(), username.trim().to_ascii_lowercase()),
            Err(_) => spelled,
        };
        return Ok(match credentials::find_staff_credential_by_login(&state.pool, &key).await? {
            Some((credential, status)) => (key, vec![credential], status == "disabled"),
            None => (key, Vec::new(), false),
        });
    }
    if login.contains('@') {
        let found = match AbhaAddress::parse(login) {
            Ok(address) => credentials::find_patient_credential_by_address(&state.pool, address.as_str()).await?,
            Err(_) => None,
        };
        return Ok(match found {
            Some((credential, number)) => (number, vec![credential], false),
            None => (spelled, Vec::new(), false),
        });
    }
    if let Ok(n) = AbhaNumber::parse(login) {
        let digits = n.as_digits().to_owned();
        let found = credentials::find_patient_credentials_by_abha(&state.pool, &digits, MAX_LOGIN_CANDIDATES).await?;
        return Ok((digits, found, false));
    }
    let key = HfrId::parse(login).map_or(spelled, |h| h.as_str().to_owned());
    let found = credentials::find_credential_by_login(&state.pool, &key).await?;
    Ok((key, found.into_iter().collect(), false))
}

/// Checks a login and password and opens a session. Every failure is the same 401.
pub async fn login(
    state: &AppState,
    login: &str,
    password: String,
    request_id: Option<String>,
    user_agent: Option<&str>,
) -> ApiResult<TokenPair> {
    let (key, candidates, staff_disabled) = login_candidates(state, login).await?;
    // Per account, before any password work.
    if let Err(RetryAfter(secs)) = state.limiters.login_per_account.check(&key) {
        tracing::info!("login refused: too many attempts for this account");
        return Err(ApiError::RateLimited { retry_after_secs: secs });
    }
    // An unknown login still costs one hash, like a known one.
    let mut matched = None;
    if candidates.is_empty() {
        state.hasher.verify(password, None).await.map_err(ApiError::internal)?;
    } else {
        for c in candidates {
            if state.hasher.verify(password.clone(), Some(c.password_hash.clone())).await.map_err(ApiError::internal)? {
                matched = Some(c);
                break;
            }
        }
    }
    let Some(credential) = matched else {
        tracing::info!("login refused");
        return Err(ApiError::Unauthorized);
    };
    // A disabled staff member learns so only with the right password.
    if staff_disabled {
        insert_audit_event_now(
            &state.pool,
            &AuditEvent::new(credential.role.as_str(), Some(credential.subject_id), "auth.login", Outcome::Denied)
                .staff(credential.staff_id)
                .request_id(request_id)
                .details(json!({"reason": "staff_disabled"})),
        )
        .await?;
        return Err(ApiError::StaffDisabled);
    }

    // Hospitals sign in with an API secret, single-factor (machine clients); their staff may
    // have a second factor.
    let may_have_factor = credential.role != Role::Hospital || credential.staff_id.is_some();
    if may_have_factor && second_factor::is_enabled(&state.pool, credential.id).await? {
        return Err(super::second_factor::challenge(state, &credential, request_id).await?);
    }
    open_session(state, &credential, request_id, user_agent, json!({})).await
}

/// Opens a session for `credential` (its password, and second factor if it has one, checked),
/// recording `auth.login` with `details`. A patient's sign-in is a new device, named from
/// `user_agent` (docs/devices.md).
pub(super) async fn open_session(
    state: &AppState,
    credential: &Credential,
    request_id: Option<String>,
    user_agent: Option<&str>,
    details: serde_json::Value,
) -> ApiResult<TokenPair> {
    let (refresh_token, refresh_hash) = new_refresh_token();
    let expires_at = Utc::now() + Duration::seconds(state.refresh_ttl_secs());
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let device_id = if credential.role == Role::Patient {
        let name = crate::service::devices::name_from_user_agent(user_agent);
        Some(devices::insert_device(&mut *tx, credential.subject_id, &name).await?)
    } else {
        None
    };
    let new = sessions::NewSession {
        credential_id: credential.id,
        role: credential.role,
        subject_id: credential.subject_id,
        device_id,
        staff_id: credential.staff_id,
        guardian_id: None,
        expires_at,
    };
    let session_id = sessions::insert_session(&mut tx, &new, &refresh_hash).await?;
    insert_audit_event(
        &mut tx,
        &AuditEvent::new(credential.role.as_str(), Some(credential.subject_id), "auth.login", Outcome::Ok)
            .staff(credential.staff_id)
            .patient((credential.role == Role::Patient).then_some(credential.subject_id))
            .target("session", session_id)
            .request_id(request_id)
            .details(details),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    issue_pair(state, credential.role, credential.subject_id, session_id, None, refresh_token)
}

/// Rotates a refresh token. Presenting a used token revokes its whole session.
pub async fn refresh(state: &AppState, refresh_token: &str, request_id: Option<String>) -> ApiResult<TokenPair> {
    let hash = tokens::hash_refresh_token(refresh_token);
    // A disabled staff member's token: a clear refusal, and nothing changes.
    if sessions::is_refresh_token_of_disabled_staff(&state.pool, &hash).await? {
        insert_audit_event_now(
            &state.pool,
            &AuditEvent::new("anonymous", None, "auth.refresh", Outcome::Denied)
                .request_id(request_id)
                .details(json!({"reason": "staff_disabled"})),
        )
        .await?;
        return Err(ApiError::StaffDisabled);
    }
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let outcome = sessions::mark_refresh_token_used(&mut tx, &hash).await?;
    let session = match outcome {
        RefreshOutcome::Rotated(session) => session,
        RefreshOutcome::Reused => {
            // Keep the revocation (commit) and record it, then refuse.
            insert_audit_event(
                &mut tx,
                &AuditEvent::new("anonymous", None, "auth.refresh_reuse", Outcome::Denied)
                    .request_id(request_id)
                    .details(json!({"session_revoked": true})),
            )
            .await?;
            pramana_server::store::commit(tx).await?;
            tracing::warn!("refresh token reused; session revoked");
            return Err(ApiError::Unauthorized);
        }
        RefreshOutcome::Invalid => return Err(ApiError::Unauthorized),
    };
    let (new_token, new_hash) = new_refresh_token();
    let expires_at = sessions::find_session_expiry(&mut *tx, session.id).await?;
    sessions::insert_refresh_token(&mut *tx, session.id, &new_hash, expires_at).await?;
    devices::mark_device_seen_by_session(&mut *tx, session.id).await?;
    pramana_server::store::commit(tx).await?;
    issue_pair(state, session.role, session.subject_id, session.id, session.guardian_id, new_token)
}

/// Ends a session: its refresh tokens and access tokens stop working at once.
pub async fn logout(state: &AppState, user: &super::AuthUser, request_id: Option<String>) -> ApiResult<()> {
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    sessions::mark_session_revoked(&mut *tx, user.session_id, "logout").await?;
    insert_audit_event(
        &mut tx,
        &AuditEvent::new(user.role.as_str(), Some(user.subject_id), "auth.logout", Outcome::Ok)
            .staff(user.staff_id())
            .guardian(user.guardian)
            .patient((user.role == Role::Patient).then_some(user.subject_id))
            .target("session", user.session_id)
            .request_id(request_id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(())
}

fn issue_pair(
    state: &AppState,
    role: Role,
    subject_id: Uuid,
    session_id: Uuid,
    guardian_id: Option<Uuid>,
    refresh_token: String,
) -> ApiResult<TokenPair> {
    let access_token = state.tokens.issue_access(role, subject_id, session_id).map_err(ApiError::internal)?;
    Ok(TokenPair {
        access_token,
        expires_in: state.tokens.access_ttl_secs,
        refresh_token,
        role,
        subject_id,
        guardian_id,
    })
}

/// Moves a guardian between their own account and a child's (docs/guardians.md): opens a
/// session on `subject_id` (`guardian_id` set when it is the child's; else the caller is the
/// child's session going back) from the caller's session, with its credential and device, and
/// ends the caller's session, so the browser holds one. Records `action` under the child.
pub async fn switch_session(
    state: &AppState,
    user: &super::AuthUser,
    subject_id: Uuid,
    guardian_id: Option<Uuid>,
    action: &'static str,
) -> ApiResult<TokenPair> {
    let child_id = if guardian_id.is_some() { subject_id } else { user.subject_id };
    let (refresh_token, refresh_hash) = new_refresh_token();
    let expires_at = Utc::now() + Duration::seconds(state.refresh_ttl_secs());
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let (credential_id, device_id) =
        sessions::find_session_origin(&mut *tx, user.session_id).await?.ok_or(ApiError::Unauthorized)?;
    let new = sessions::NewSession {
        credential_id,
        role: Role::Patient,
        subject_id,
        device_id,
        staff_id: None,
        guardian_id,
        expires_at,
    };
    let session_id = sessions::insert_session(&mut tx, &new, &refresh_hash).await?;
    sessions::mark_session_revoked(&mut *tx, user.session_id, "logout").await?;
    insert_audit_event(
        &mut tx,
        &user.actor().event(action, Outcome::Ok).patient(child_id).target("session", session_id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    issue_pair(state, Role::Patient, subject_id, session_id, guardian_id, refresh_token)
}

/// Creates or updates the bootstrap admin from configuration.
pub async fn bootstrap_admin(state: &AppState) -> anyhow::Result<()> {
    use secrecy::ExposeSecret as _;
    let Some(password) = &state.settings.auth.admin_password else {
        tracing::info!("no admin password configured; admin endpoints are unusable");
        return Ok(());
    };
    let hash = state.hasher.hash(password.expose_secret().to_owned()).await?;
    let login = state.settings.auth.admin_username.trim().to_ascii_lowercase();
    credentials::upsert_admin(&state.pool, ADMIN_ID, &login, &hash).await?;
    tracing::info!(%login, "admin credential ready");
    Ok(())
}
