//! The second factor (TOTP) of patients, auditors and the operator: enrolment, recovery codes,
//! turning it off, and the second step of a login. Every refusal is audited and changes nothing
//! but the count of wrong codes: at [`MAX_FAILURES`] wrong codes in a row the factor is locked
//! for [`LOCK_SECS`] (in Postgres, so for every replica at once).

use chrono::{Duration, Utc};
use rand::RngCore as _;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::service::{TokenPair, open_session};
use super::{AuthUser, Role, totp};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tokens::{hash_refresh_token, new_refresh_token};
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::credentials::{self, Credential};
use pramana_server::store::second_factor::{self as store, RecoveryUse, Totp};
use pramana_wire::{RecoveryCodes, SecondFactorSetup, SecondFactorStatus};

/// Wrong codes in a row that lock the factor.
pub const MAX_FAILURES: i32 = 5;
/// How long a locked factor stays locked.
pub const LOCK_SECS: i64 = 300;
/// How long a login challenge may be used.
pub const CHALLENGE_TTL_SECS: i64 = 300;
/// Recovery codes per enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The issuer authenticator apps show.
const ISSUER: &str = "Pramana";

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Wrong,
    Replayed,
    RecoveryUsed,
}

impl Refusal {
    fn code(self) -> &'static str {
        match self {
            Self::Wrong => "second_factor_invalid",
            Self::Replayed => "second_factor_replayed",
            Self::RecoveryUsed => "recovery_code_used",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Wrong => "that code is not right; check the authenticator app's clock and try the current code",
            Self::Replayed => "that code was already used; wait for the next one",
            Self::RecoveryUsed => "that recovery code was already used; each works once",
        }
    }
}

/// An accepted code.
#[derive(Debug, Clone, Copy)]
enum Accepted {
    Totp(i64),
    Recovery,
}

impl Accepted {
    fn kind(self) -> &'static str {
        match self {
            Self::Totp(_) => "totp",
            Self::Recovery => "recovery_code",
        }
    }
}

fn now_step() -> i64 {
    totp::step_at(Utc::now().timestamp())
}

/// Who may have a second factor: patients, auditors, operators and hospital staff members (the
/// hospital's own API-secret session is a machine client).
pub(super) fn check_role(user: &AuthUser) -> ApiResult<()> {
    match user.role {
        Role::Patient | Role::Auditor | Role::Admin => Ok(()),
        Role::Hospital if user.staff.is_some() => Ok(()),
        Role::Hospital => Err(ApiError::Forbidden),
    }
}

/// Whether an operator setting requires the caller to have a second factor: operators under
/// `require_operator_second_factor`, hospital staff members under `require_staff_second_factor`.
pub fn required_for(state: &AppState, role: Role, staff: bool) -> bool {
    let auth = &state.settings.auth;
    (role == Role::Admin && auth.require_operator_second_factor) || (staff && auth.require_staff_second_factor)
}

pub(super) async fn credential_of(state: &AppState, user: &AuthUser) -> ApiResult<Credential> {
    check_role(user)?;
    let found = match user.staff {
        Some(m) => credentials::find_staff_credential_by_id(&state.pool, m.id).await?,
        None => credentials::find_credential_by_subject(&state.pool, user.role, user.subject_id).await?,
    };
    found.ok_or(ApiError::Unauthorized)
}

pub(super) fn event(
    role: Role,
    subject: Uuid,
    staff: Option<Uuid>,
    action: &'static str,
    outcome: Outcome,
    request_id: Option<String>,
) -> AuditEvent {
    AuditEvent::new(role.as_str(), Some(subject), action, outcome)
        .staff(staff)
        .patient((role == Role::Patient).then_some(subject))
        .request_id(request_id)
}

fn recovery_hash(code: &str) -> [u8; 32] {
    let normal: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    Sha256::digest(normal.as_bytes()).into()
}

/// Ten new recovery codes, `xxxxx-xxxxx` in lower-case base32 (50 bits each), and their hashes.
fn new_recovery_codes() -> (Vec<String>, Vec<[u8; 32]>) {
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let mut raw = [0u8; 7];
            rand::rngs::OsRng.fill_bytes(&mut raw);
            let text = totp::base32(&raw).to_ascii_lowercase();
            format!("{}-{}", &text[..5], &text[5..10])
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(c)).collect();
    (codes, hashes)
}

/// Checks `code` against a locked [`Totp`] row (a TOTP code; with `recovery`, also a recovery
/// code). Counts a failure; the caller commits either way.
async fn check_code(
    tx: &mut sqlx::PgConnection,
    credential_id: Uuid,
    row: &Totp,
    code: &str,
    recovery: bool,
) -> ApiResult<Result<Accepted, Refusal>> {
    let outcome = if let Some(step) = totp::matching_step(&row.secret, code, now_step()) {
        if row.last_used_step.is_some_and(|last| step <= last) {
            Err(Refusal::Replayed)
        } else {
            Ok(Accepted::Totp(step))
        }
    } else if recovery && code.chars().filter(char::is_ascii_alphanumeric).count() == 10 {
        match store::use_recovery_code(&mut *tx, credential_id, &recovery_hash(code)).await? {
            RecoveryUse::Used => Ok(Accepted::Recovery),
            RecoveryUse::AlreadyUsed => Err(Refusal::RecoveryUsed),
            RecoveryUse::Unknown => Err(Refusal::Wrong),
        }
    } else {
        Err(Refusal::Wrong)
    };
    match outcome {
        Ok(Accepted::Totp(step)) => store::record_success(&mut *tx, credential_id, Some(step)).await?,
        Ok(Accepted::Recovery) => store::record_success(&mut *tx, credential_id, None).await?,
        Err(_) => {
            store::record_failure(&mut *tx, credential_id, MAX_FAILURES, LOCK_SECS).await?;
        }
    }
    Ok(outcome)
}

/// Refuses while wrong codes have locked the factor.
fn check_lock(row: &Totp) -> ApiResult<()> {
    lock_error(row.locked_until).map_or(Ok(()), Err)
}

/// The `429 rate_limited` of a second factor locked until `locked_until`, if that is still ahead.
pub(super) fn lock_error(locked_until: Option<chrono::DateTime<Utc>>) -> Option<ApiError> {
    match locked_until {
        Some(until) if until > Utc::now() => {
            let secs = (until - Utc::now()).num_seconds().max(1);
            Some(ApiError::RateLimited { retry_after_secs: u64::try_from(secs).unwrap_or(1) })
        }
        _ => None,
    }
}

/// The caller's second factor.
pub async fn status(state: &AppState, user: &AuthUser) -> ApiResult<SecondFactorStatus> {
    let credential = credential_of(state, user).await?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let row = store::lock_totp(&mut *tx, &state.totp_seal, credential.id).await?;
    let left = store::recovery_codes_left(&mut *tx, credential.id).await?;
    let passkeys = pramana_server::store::passkeys::list(&mut *tx, credential.id).await?.len();
    pramana_server::store::commit(tx).await?;
    Ok(SecondFactorStatus {
        enabled: row.as_ref().is_some_and(|r| r.enabled),
        pending: row.as_ref().is_some_and(|r| !r.enabled),
        recovery_codes_left: left,
        required: required_for(state, user.role, user.staff.is_some()),
        passkeys: i64::try_from(passkeys).unwrap_or(i64::MAX),
    })
}

/// Starts enrolment: a new secret (replacing an unconfirmed one).
pub async fn setup(state: &AppState, user: &AuthUser, request_id: Option<String>) -> ApiResult<SecondFactorSetup> {
    let credential = credential_of(state, user).await?;
    let login: String = sqlx::query_scalar("SELECT login FROM credentials WHERE id = $1")
        .bind(credential.id)
        .fetch_one(&state.pool)
        .await
        .map_err(pramana_server::store::StoreError::from)?;
    let mut secret = [0u8; totp::SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    if !store::start_enrolment(&mut *tx, &state.totp_seal, credential.id, &secret).await? {
        return Err(ApiError::Conflict(
            "second_factor_already_enabled",
            "the second factor is already on; turn it off first to enrol another app",
        ));
    }
    insert_audit_event(
        &mut tx,
        &event(user.role, user.subject_id, user.staff_id(), "auth.second_factor.setup", Outcome::Ok, request_id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(SecondFactorSetup { secret: totp::base32(&secret), otpauth_uri: totp::otpauth_uri(ISSUER, &login, &secret) })
}

/// A refusal of a signed-in caller's code: 422 with the refusal's code.
fn refused(r: Refusal) -> ApiError {
    ApiError::unprocessable(r.code(), r.message())
}

async fn refuse_audited(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    role: Role,
    subject: Uuid,
    staff: Option<Uuid>,
    action: &'static str,
    refusal: Refusal,
    request_id: Option<String>,
) -> ApiResult<()> {
    insert_audit_event(
        &mut tx,
        &event(role, subject, staff, action, Outcome::Denied, request_id).details(json!({"reason": refusal.code()})),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    tracing::info!(reason = refusal.code(), "second-factor code refused");
    Ok(())
}

/// Confirms enrolment with a first code: the factor is on, and ten recovery codes are returned
/// (once).
pub async fn enable(
    state: &AppState,
    user: &AuthUser,
    code: &str,
    request_id: Option<String>,
) -> ApiResult<RecoveryCodes> {
    let credential = credential_of(state, user).await?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let row = match store::lock_totp(&mut *tx, &state.totp_seal, credential.id).await? {
        Some(row) if !row.enabled => row,
        Some(_) => return Err(ApiError::Conflict("second_factor_already_enabled", "the second factor is already on")),
        None => {
            return Err(ApiError::Conflict(
                "second_factor_not_started",
                "start enrolment first (POST /v1/auth/second-factor/setup)",
            ));
        }
    };
    check_lock(&row)?;
    match check_code(&mut tx, credential.id, &row, code, false).await? {
        Ok(Accepted::Totp(step)) => store::enable(&mut *tx, credential.id, step).await?,
        Ok(Accepted::Recovery) => return Err(ApiError::internal(anyhow::anyhow!("recovery code while enrolling"))),
        Err(r) => {
            refuse_audited(tx, user.role, user.subject_id, user.staff_id(), "auth.second_factor.enable", r, request_id)
                .await?;
            return Err(refused(r));
        }
    }
    let (codes, hashes) = new_recovery_codes();
    store::replace_recovery_codes(&mut tx, credential.id, &hashes).await?;
    insert_audit_event(
        &mut tx,
        &event(user.role, user.subject_id, user.staff_id(), "auth.second_factor.enable", Outcome::Ok, request_id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(RecoveryCodes { recovery_codes: codes })
}

/// Locks an enabled factor of the caller for a change, or refuses.
async fn lock_enabled(
    state: &AppState,
    user: &AuthUser,
) -> ApiResult<(Credential, sqlx::Transaction<'static, sqlx::Postgres>, Totp)> {
    let credential = credential_of(state, user).await?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    match store::lock_totp(&mut *tx, &state.totp_seal, credential.id).await? {
        Some(row) if row.enabled => {
            check_lock(&row)?;
            Ok((credential, tx, row))
        }
        _ => Err(ApiError::Conflict("second_factor_not_enabled", "the second factor is not on")),
    }
}

/// Turns the factor off, with a current code or an unused recovery code (a lost phone).
pub async fn disable(state: &AppState, user: &AuthUser, code: &str, request_id: Option<String>) -> ApiResult<()> {
    let (credential, mut tx, row) = lock_enabled(state, user).await?;
    if let Err(r) = check_code(&mut tx, credential.id, &row, code, true).await? {
        refuse_audited(tx, user.role, user.subject_id, user.staff_id(), "auth.second_factor.disable", r, request_id)
            .await?;
        return Err(refused(r));
    }
    store::delete(&mut tx, credential.id).await?;
    insert_audit_event(
        &mut tx,
        &event(user.role, user.subject_id, user.staff_id(), "auth.second_factor.disable", Outcome::Ok, request_id),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(())
}

/// Replaces the recovery codes (the old ones stop working), with a current TOTP code.
pub async fn regenerate(
    state: &AppState,
    user: &AuthUser,
    code: &str,
    request_id: Option<String>,
) -> ApiResult<RecoveryCodes> {
    let (credential, mut tx, row) = lock_enabled(state, user).await?;
    if let Err(r) = check_code(&mut tx, credential.id, &row, code, false).await? {
        refuse_audited(
            tx,
            user.role,
            user.subject_id,
            user.staff_id(),
            "auth.second_factor.recovery_codes",
            r,
            request_id,
        )
        .await?;
        return Err(refused(r));
    }
    let (codes, hashes) = new_recovery_codes();
    store::replace_recovery_codes(&mut tx, credential.id, &hashes).await?;
    insert_audit_event(
        &mut tx,
        &event(
            user.role,
            user.subject_id,
            user.staff_id(),
            "auth.second_factor.recovery_codes",
            Outcome::Ok,
            request_id,
        ),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    Ok(RecoveryCodes { recovery_codes: codes })
}

/// The password of `credential` was right and it has a second factor: a challenge to answer
/// with a code, as the error a password login returns.
pub async fn challenge(state: &AppState, credential: &Credential, request_id: Option<String>) -> ApiResult<ApiError> {
    let (token, hash) = new_refresh_token();
    let expires_at = Utc::now() + Duration::seconds(CHALLENGE_TTL_SECS);
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    store::insert_challenge(&mut *tx, &hash, credential.id, expires_at).await?;
    insert_audit_event(
        &mut tx,
        &event(
            credential.role,
            credential.subject_id,
            credential.staff_id,
            "auth.login_challenge",
            Outcome::Ok,
            request_id,
        ),
    )
    .await?;
    pramana_server::store::commit(tx).await?;
    let factors = store::factors(&state.pool, credential.id).await?;
    tracing::info!("password accepted; second factor required");
    Ok(ApiError::SecondFactorRequired { challenge: token, factors })
}

/// The second step of a login: a live challenge and a TOTP or recovery code open the session
/// and use the challenge up.
pub async fn login(
    state: &AppState,
    challenge: &str,
    code: &str,
    request_id: Option<String>,
    user_agent: Option<&str>,
) -> ApiResult<TokenPair> {
    let hash = hash_refresh_token(challenge);
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let Some(credential_id) = store::lock_live_challenge(&mut *tx, &hash).await? else {
        insert_audit_event(
            &mut tx,
            &AuditEvent::new("anonymous", None, "auth.login_second_factor", Outcome::Denied)
                .request_id(request_id)
                .details(json!({"reason": "challenge_invalid"})),
        )
        .await?;
        pramana_server::store::commit(tx).await?;
        return Err(ApiError::BadRequest {
            status: axum::http::StatusCode::UNAUTHORIZED,
            code: "challenge_invalid",
            message: "this sign-in has expired or was already used; sign in with the password again".into(),
        });
    };
    let credential =
        credentials::find_credential_by_id(&mut *tx, credential_id).await?.ok_or(ApiError::Unauthorized)?;
    let Some(row) = store::lock_totp(&mut *tx, &state.totp_seal, credential_id).await?.filter(|r| r.enabled) else {
        if !store::is_enabled(&mut *tx, credential_id).await? {
            // Turned off since the password step: the password alone signs in now.
            return Err(ApiError::Unauthorized);
        }
        // Passkeys only: a code cannot be right, and counts as a wrong one.
        let locked = store::lock_attempts(&mut tx, credential_id).await?;
        let ev = |reason: &str| {
            event(
                credential.role,
                credential.subject_id,
                credential.staff_id,
                "auth.login_second_factor",
                Outcome::Denied,
                request_id.clone(),
            )
            .details(json!({"reason": reason}))
        };
        if let Some(e) = lock_error(locked) {
            insert_audit_event(&mut tx, &ev("locked")).await?;
            pramana_server::store::commit(tx).await?;
            return Err(e);
        }
        store::record_failure(&mut *tx, credential_id, MAX_FAILURES, LOCK_SECS).await?;
        insert_audit_event(&mut tx, &ev(Refusal::Wrong.code())).await?;
        pramana_server::store::commit(tx).await?;
        return Err(ApiError::BadRequest {
            status: axum::http::StatusCode::UNAUTHORIZED,
            code: Refusal::Wrong.code(),
            message: "this account has no authenticator app, only passkeys: sign in with a passkey".into(),
        });
    };
    if let Err(e) = check_lock(&row) {
        let ev = event(
            credential.role,
            credential.subject_id,
            credential.staff_id,
            "auth.login_second_factor",
            Outcome::Denied,
            request_id,
        )
        .details(json!({"reason": "locked"}));
        insert_audit_event(&mut tx, &ev).await?;
        pramana_server::store::commit(tx).await?;
        return Err(e);
    }
    let accepted = match check_code(&mut tx, credential_id, &row, code, true).await? {
        Ok(a) => a,
        Err(r) => {
            refuse_audited(
                tx,
                credential.role,
                credential.subject_id,
                credential.staff_id,
                "auth.login_second_factor",
                r,
                request_id,
            )
            .await?;
            return Err(ApiError::BadRequest {
                status: axum::http::StatusCode::UNAUTHORIZED,
                code: r.code(),
                message: r.message().into(),
            });
        }
    };
    store::use_challenge(&mut *tx, &hash).await?;
    pramana_server::store::commit(tx).await?;
    open_session(state, &credential, request_id, user_agent, json!({"second_factor": accepted.kind()})).await
}

/// With the operator setting on: refuses an operator without a second factor (everything but
/// enrolling one and signing out).
pub async fn check_required(state: &AppState, user: &AuthUser) -> ApiResult<()> {
    if !required_for(state, user.role, user.staff.is_some()) {
        return Ok(());
    }
    let on = match user.staff {
        Some(m) => store::is_enabled_for_staff(&state.pool, m.id).await?,
        None => store::is_enabled_for(&state.pool, user.role, user.subject_id).await?,
    };
    if !on {
        return Err(ApiError::BadRequest {
            status: axum::http::StatusCode::FORBIDDEN,
            code: "second_factor_enrolment_required",
            message: "a second factor is required of this account: turn it on first (Account → Two-factor sign-in)"
                .into(),
        });
    }
    Ok(())
}
