//! Proving ABHA ownership. Holding a number proves nothing (it is printed on a card), so an
//! account's number is *claimed* until verified:
//! - in person: the patient's client shows a one-time code ([`issue_code`]); staff at a
//!   registered hospital check the card and enter the number with the code
//!   ([`verify_in_person`]); the audit log records which hospital verified;
//! - or through ABDM's own OTP verification ([`crate::abdm`], off by default).
//!
//! Verifying displaces every other claim of the number: those accounts keep their documents and
//! sign-in, see the displacement in their profile and access history, and no longer count.
//! Consent and link requests reach verified accounts only (`store::abha::find_verified_patient_id`).

use chrono::{DateTime, Duration, Utc};
use pramana_core::{AbhaNumber, Role};
use pramana_server::notifications::{Kind, notify};
use pramana_server::store;
use pramana_server::store::abha::{self, AbhaStatus, VerifiedVia};
use pramana_server::store::audit::{Outcome, insert_audit_event};
use pramana_server::store::patients;
use rand::Rng as _;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult};
use crate::abdm::{AbdmError, AbhaOtpVerifier};

/// How long a code shown to hospital staff stays valid.
pub const CODE_TTL: Duration = Duration::minutes(15);
/// Wrong codes entered for a number before its live codes die.
pub const MAX_FAILED_ATTEMPTS: i32 = 5;
/// Accounts that may claim one number at once (claimed or verified, not displaced). A cap keeps
/// a login by number bounded; at the cap, registration answers as it did when numbers were
/// unique (`already_registered`).
pub const MAX_LIVE_CLAIMS: i32 = 4;
/// Digits in a code.
const CODE_DIGITS: usize = 8;

/// A code for hospital staff to enter.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// `1234-5678`.
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// What the verifying hospital learns.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The verified account.
    pub patient_id: Uuid,
    /// Its display name, for staff to compare with the card.
    pub name: String,
    /// The number.
    pub abha_number: AbhaNumber,
    /// When.
    pub verified_at: DateTime<Utc>,
}

fn code_hash(patient_id: Uuid, code: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"pramana-abha-code:")
        .chain_update(patient_id.as_bytes())
        .chain_update(code)
        .finalize()
        .into()
}

/// Normalises what staff typed: digits only, spaces and hyphens ignored.
fn parse_code(raw: &str) -> ServiceResult<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != CODE_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::invalid_field(
            "code",
            format!("must be the {CODE_DIGITS} digits the patient's screen shows"),
        ));
    }
    Ok(digits)
}

/// Refuses a patient whose claim is already settled.
fn require_claimed(status: AbhaStatus) -> ServiceResult<()> {
    match status {
        AbhaStatus::Claimed => Ok(()),
        AbhaStatus::Verified => {
            Err(ServiceError::conflict("abha_already_verified", "this account's ABHA number is already verified"))
        }
        AbhaStatus::Displaced => Err(ServiceError::conflict(
            "abha_displaced",
            "another account's claim to this ABHA number was verified; if the number is yours, contact the platform's operator",
        )),
    }
}

/// A new one-time code for the calling patient (replacing any earlier one).
pub async fn issue_code(pool: &PgPool, actor: &Actor, now: DateTime<Utc>) -> ServiceResult<IssuedCode> {
    actor.require(&[Role::Patient])?;
    let mut tx = store::begin(pool).await?;
    let patient = patients::find_patient_by_id(&mut tx, actor.id.into()).await?.ok_or(ServiceError::NotFound)?;
    require_claimed(patient.abha_status)?;
    let n: u32 = rand::rngs::OsRng.gen_range(0..100_000_000);
    let code = format!("{n:08}");
    let expires_at = now + CODE_TTL;
    abha::upsert_verification_code(&mut tx, actor.id, &code_hash(actor.id, &code), expires_at).await?;
    insert_audit_event(&mut tx, &actor.event("abha.code", Outcome::Ok).patient(actor.id).target("patient", actor.id))
        .await?;
    store::commit(tx).await?;
    Ok(IssuedCode { code: format!("{}-{}", &code[..4], &code[4..]), expires_at })
}

/// Hospital staff, having checked the card, enter the number and the code the patient shows.
/// A wrong code counts against the number's live codes and changes nothing else; the answer is
/// the same whether the number is unknown, unclaimed, or the code wrong or expired.
pub async fn verify_in_person(
    pool: &PgPool,
    actor: &Actor,
    number: &AbhaNumber,
    code: &str,
) -> ServiceResult<Verified> {
    actor.require(&[Role::Hospital])?;
    let code = parse_code(code)?;
    let digits = number.as_digits();
    let mut tx = store::begin(pool).await?;
    abha::lock_abha_number(&mut tx, digits).await?;
    let live = abha::find_live_codes(&mut tx, digits, MAX_FAILED_ATTEMPTS).await?;
    let Some(hit) = live.iter().find(|c| c.code_hash.as_slice() == code_hash(c.patient_id, &code)) else {
        abha::mark_codes_failed(&mut tx, digits).await?;
        insert_audit_event(&mut tx, &actor.event("abha.verify", Outcome::Denied).details(json!({"reason": "code"})))
            .await?;
        store::commit(tx).await?;
        return Err(ServiceError::refused(
            "abha_code_invalid",
            "this code does not match a live code for this ABHA number; ask the patient to show a new one",
        ));
    };
    let patient_id = hit.patient_id;
    let via = VerifiedVia::InPerson { hospital_id: actor.id };
    let verified_at = settle(&mut tx, actor, patient_id, digits, via).await?;
    let patient = patients::find_patient_by_id(&mut tx, patient_id.into()).await?.ok_or(ServiceError::NotFound)?;
    store::commit(tx).await?;
    Ok(Verified { patient_id, name: patient.name, abha_number: patient.abha_number, verified_at })
}

/// Marks `patient_id`'s claim verified and displaces the others, with the audit events each
/// account sees in its access history. The number must be locked; refuses when another account
/// already holds it verified (the operator settles such a dispute).
pub async fn settle(
    conn: &mut PgConnection,
    actor: &Actor,
    patient_id: Uuid,
    digits: &str,
    via: VerifiedVia,
) -> ServiceResult<DateTime<Utc>> {
    if abha::find_verified_patient_id(&mut *conn, digits).await?.is_some_and(|holder| holder != patient_id) {
        return Err(ServiceError::conflict(
            "abha_already_verified",
            "another account already holds this ABHA number verified; the platform's operator settles such a dispute",
        ));
    }
    let (verified_at, displaced) = abha::mark_abha_verified(conn, patient_id, digits, via).await?;
    let how = match via {
        VerifiedVia::InPerson { .. } => "in_person",
        VerifiedVia::Abdm => "abdm",
    };
    insert_audit_event(
        conn,
        &actor
            .event("abha.verify", Outcome::Ok)
            .patient(patient_id)
            .target("patient", patient_id)
            .details(json!({"via": how, "displaced": displaced.len()})),
    )
    .await?;
    for other in displaced {
        insert_audit_event(
            conn,
            &actor
                .event("abha.displaced", Outcome::Ok)
                .patient(other)
                .target("patient", other)
                .details(json!({"via": how})),
        )
        .await?;
    }
    let hospital = match via {
        VerifiedVia::InPerson { hospital_id } => {
            pramana_server::store::notifications::find_hospital_name(&mut *conn, hospital_id).await?
        }
        VerifiedVia::Abdm => None,
    };
    notify(conn, patient_id, Kind::AbhaVerified, None, hospital.as_deref(), verified_at).await?;
    Ok(verified_at)
}

/// Locks `digits` until the transaction on `conn` ends, and refuses a new claim of it once
/// [`MAX_LIVE_CLAIMS`] accounts claim it.
pub async fn check_room_for_claim(conn: &mut PgConnection, digits: &str) -> ServiceResult<()> {
    abha::lock_abha_number(conn, digits).await?;
    if abha::count_live_claims(conn, digits).await? >= i64::from(MAX_LIVE_CLAIMS) {
        return Err(ServiceError::conflict("already_registered", "this ABHA number or address is already registered"));
    }
    Ok(())
}

/// Asks ABDM to send the OTP for the calling patient's claimed number; returns ABDM's
/// transaction id.
pub async fn abdm_request(pool: &PgPool, verifier: &dyn AbhaOtpVerifier, actor: &Actor) -> ServiceResult<String> {
    actor.require(&[Role::Patient])?;
    let mut conn = pool.acquire().await.map_err(pramana_server::store::StoreError::from)?;
    let patient = patients::find_patient_by_id(&mut conn, actor.id.into()).await?.ok_or(ServiceError::NotFound)?;
    drop(conn);
    require_claimed(patient.abha_status)?;
    verifier.request_otp(&patient.abha_number).await.map_err(abdm_error)
}

/// Checks the OTP with ABDM; when ABDM vouches for the patient's own claimed number, marks it
/// verified (displacing other claims) and returns when.
pub async fn abdm_confirm(
    pool: &PgPool,
    verifier: &dyn AbhaOtpVerifier,
    actor: &Actor,
    transaction_id: &str,
    otp: &str,
) -> ServiceResult<DateTime<Utc>> {
    actor.require(&[Role::Patient])?;
    if transaction_id.is_empty() || transaction_id.len() > 128 {
        return Err(ServiceError::invalid_field(
            "transaction_id",
            "must be the transaction id the OTP request returned",
        ));
    }
    if otp.is_empty() || otp.len() > 16 || !otp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ServiceError::invalid_field("otp", "must be the digits ABDM sent"));
    }
    let mut conn = pool.acquire().await.map_err(pramana_server::store::StoreError::from)?;
    let patient = patients::find_patient_by_id(&mut conn, actor.id.into()).await?.ok_or(ServiceError::NotFound)?;
    drop(conn);
    require_claimed(patient.abha_status)?;
    let vouched = verifier.confirm_otp(transaction_id, otp).await.map_err(abdm_error)?;
    if !vouched.contains(&patient.abha_number) {
        return Err(ServiceError::refused(
            "abdm_number_mismatch",
            "ABDM verified a different ABHA number from the one this account claims",
        ));
    }
    let digits = patient.abha_number.as_digits();
    let mut tx = store::begin(pool).await?;
    abha::lock_abha_number(&mut tx, digits).await?;
    // The claim may have been displaced while ABDM answered.
    let now = patients::find_patient_by_id(&mut tx, actor.id.into()).await?.ok_or(ServiceError::NotFound)?;
    require_claimed(now.abha_status)?;
    let verified_at = settle(&mut tx, actor, actor.id, digits, VerifiedVia::Abdm).await?;
    store::commit(tx).await?;
    Ok(verified_at)
}

fn abdm_error(e: AbdmError) -> ServiceError {
    match e {
        AbdmError::Rejected => ServiceError::refused("abdm_rejected", e.to_string()),
        AbdmError::Unavailable(cause) => {
            tracing::warn!(%cause, "abdm unavailable");
            ServiceError::Upstream {
                code: "abdm_unavailable",
                message: "ABDM could not be reached; try again later".into(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(parse_code("1234-5678").unwrap(), "12345678");
        assert_eq!(parse_code(" 1234 5678 ").unwrap(), "12345678");
        for bad in ["", "1234567", "123456789", "1234-567a", "１２３４５６７８"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_code_is_bound_to_its_account() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(code_hash(a, "12345678"), code_hash(b, "12345678"));
        assert_ne!(code_hash(a, "12345678"), code_hash(a, "12345679"));
    }
}
