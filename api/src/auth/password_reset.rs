//! Password reset (docs/recovery.md): a patient who forgot the password asks for a code, which
//! is mailed to the account's verified email address through the notification outbox, and sets
//! a new password with it. It restores sign-in only. The server holds no private key, so no
//! reset can bring keys back: they come back from the recovery kit (the key file or the
//! 24-word phrase). A second factor stays on: the next sign-in still asks for it.
//!
//! What an attacker gets: the request answers the same whether or not the login and address
//! match an account (no account discovery); a code is 8 digits, works for
//! [`CODE_VALID_MINUTES`] and [`MAX_ATTEMPTS`] wrong tries; at most [`CODES_PER_HOUR`] mails an
//! hour per account; every attempt is audited; a reset ends every session of the account and
//! mails the owner that it happened.

use chrono::{DateTime, Duration, Utc};
use rand::Rng as _;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::Role;
use super::service::login_candidates;
use crate::error::{ApiError, ApiResult};
use crate::routes::auth::check_password;
use crate::service::notifications::check_email;
use crate::state::AppState;
use pramana_server::notifications::{queue_password_changed_mail, queue_password_reset_mail};
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::credentials::Credential;
use pramana_server::store::notifications::{count_mails_since, find_email_by_patient, lock_email_by_patient};
use pramana_server::store::password_resets as store;
use pramana_server::store::{self as db};

/// How long a reset code works.
pub const CODE_VALID_MINUTES: i64 = 15;
/// Wrong codes allowed against one code; after that it is void.
pub const MAX_ATTEMPTS: i32 = 5;
/// Reset mails one account may be sent per hour.
pub const CODES_PER_HOUR: i64 = 3;
/// Digits in a code.
const CODE_DIGITS: usize = 8;

fn code_hash(code: &str) -> [u8; 32] {
    Sha256::digest(code.as_bytes()).into()
}

fn event(patient: Uuid, action: &'static str, outcome: Outcome, request_id: Option<String>) -> AuditEvent {
    AuditEvent::new(Role::Patient.as_str(), Some(patient), action, outcome).patient(patient).request_id(request_id)
}

/// The patient accounts a login names (an ABHA number may be claimed by several).
async fn patient_candidates(state: &AppState, login: &str) -> ApiResult<Vec<Credential>> {
    if login.len() > 256 {
        return Ok(Vec::new());
    }
    let (_, found, _) = login_candidates(state, login).await?;
    Ok(found.into_iter().filter(|c| c.role == Role::Patient).collect())
}

/// Mails a code to every account the login names whose verified address is `email`. Answers
/// the same whether or not any did; only a malformed address is refused (`invalid_email`).
pub async fn request(state: &AppState, login: &str, email: &str, request_id: Option<String>) -> ApiResult<()> {
    let email = check_email(email).map_err(ApiError::from)?;
    let now = Utc::now();
    for c in patient_candidates(state, login).await? {
        let mut tx = db::begin(&state.pool).await?;
        // Serialises this account's sends, so the hourly count cannot be raced past.
        let Some(row) = lock_email_by_patient(&mut tx, c.subject_id).await? else { continue };
        if row.verified_at.is_none() || !row.email.eq_ignore_ascii_case(&email) {
            continue;
        }
        let sent = count_mails_since(&mut *tx, c.subject_id, "password_reset", now - Duration::hours(1)).await?;
        let action = "auth.password_reset.request";
        if sent >= CODES_PER_HOUR {
            let e = event(c.subject_id, action, Outcome::Denied, request_id.clone()).details(json!({"reason": "rate"}));
            insert_audit_event(&mut tx, &e).await?;
        } else {
            let code = new_code();
            let expires = now + Duration::minutes(CODE_VALID_MINUTES);
            store::upsert_reset(&mut tx, c.id, &code_hash(&code), expires, now).await?;
            queue_password_reset_mail(&mut tx, c.subject_id, &row.email, &code, CODE_VALID_MINUTES, now).await?;
            insert_audit_event(&mut tx, &event(c.subject_id, action, Outcome::Ok, request_id.clone())).await?;
        }
        db::commit(tx).await?;
    }
    Ok(())
}

fn new_code() -> String {
    format!("{:0width$}", rand::rngs::OsRng.gen_range(0..100_000_000u32), width = CODE_DIGITS)
}

/// Sets a new password with a mailed code: `reset_code_invalid` (a wrong code, or none asked
/// for), `reset_code_expired` (also after [`MAX_ATTEMPTS`] wrong codes), `invalid_password`.
/// On success every session of the account ends and the owner is mailed.
pub async fn confirm(
    state: &AppState,
    login: &str,
    code: &str,
    password: String,
    request_id: Option<String>,
) -> ApiResult<()> {
    check_password(&password)?;
    let invalid = || ApiError::unprocessable("reset_code_invalid", "that is not the code we mailed for this account");
    let code = code.trim();
    if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let candidates = patient_candidates(state, login).await?;
    if candidates.is_empty() {
        return Err(invalid());
    }
    // The slow hash before the transaction, so rows stay locked only briefly.
    let hash = state.hasher.hash(password).await.map_err(ApiError::internal)?;
    let now = Utc::now();
    let ids: Vec<Uuid> = candidates.iter().map(|c| c.id).collect();
    let mut tx = db::begin(&state.pool).await?;
    let resets = store::lock_resets(&mut tx, &ids).await?;
    let live: Vec<&store::ResetRow> = resets.iter().filter(|r| usable(r, now)).collect();
    let subject = |credential: Uuid| candidates.iter().find(|c| c.id == credential).map(|c| c.subject_id);
    let action = "auth.password_reset";
    let matched = live.iter().find(|r| r.code_sha256.as_slice() == code_hash(code).as_slice());
    let Some(reset) = matched else {
        let live_ids: Vec<Uuid> = live.iter().map(|r| r.credential_id).collect();
        store::mark_reset_attempts(&mut tx, &live_ids).await?;
        for r in &resets {
            if let Some(patient) = subject(r.credential_id) {
                let e = event(patient, action, Outcome::Denied, request_id.clone());
                insert_audit_event(&mut tx, &e.details(json!({"reason": "code"}))).await?;
            }
        }
        db::commit(tx).await?;
        return Err(if live.is_empty() && !resets.is_empty() {
            ApiError::unprocessable(
                "reset_code_expired",
                "this code has expired or was tried too often; ask for a new one",
            )
        } else {
            invalid()
        });
    };
    let patient = subject(reset.credential_id)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("reset of an unknown credential")))?;
    let ended = store::mark_password_reset(&mut tx, reset.credential_id, &hash).await?;
    if let Some(email) = find_email_by_patient(&mut *tx, patient).await?.filter(|e| e.verified_at.is_some()) {
        queue_password_changed_mail(&mut tx, patient, &email.email, now).await?;
    }
    let e = event(patient, action, Outcome::Ok, request_id).details(json!({"sessions_ended": ended}));
    insert_audit_event(&mut tx, &e).await?;
    db::commit(tx).await?;
    Ok(())
}

fn usable(r: &store::ResetRow, now: DateTime<Utc>) -> bool {
    r.expires_at > now && r.attempts < MAX_ATTEMPTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits() {
        for _ in 0..100 {
            let c = new_code();
            assert_eq!(c.len(), CODE_DIGITS);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
