//! ABHA claims and their verification: `patients.abha_status`, `abha_verification_codes`, and
//! the `verified` flag of `patient_abha_addresses`. Callers hold [`lock_abha_number`] for the
//! number they change, so two verifications or registrations of one number take turns.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// Where an account's claim to its ABHA number stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbhaStatus {
    /// Registered, not proven: reaches no consent or link request.
    Claimed,
    /// Proven in person at a hospital or through ABDM; at most one account per number.
    Verified,
    /// Another account's claim to the same number was verified.
    Displaced,
}

impl AbhaStatus {
    /// The stored (and wire) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::Verified => "verified",
            Self::Displaced => "displaced",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "claimed" => Some(Self::Claimed),
            "verified" => Some(Self::Verified),
            "displaced" => Some(Self::Displaced),
            _ => None,
        }
    }
}

/// How a claim was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifiedVia {
    /// Hospital staff checked the card and entered the patient's one-time code.
    InPerson {
        /// The hospital.
        hospital_id: Uuid,
    },
    /// ABDM's own OTP verification of the number.
    Abdm,
}

/// Serialises changes to one ABHA number's claims until the transaction ends.
pub async fn lock_abha_number(conn: &mut PgConnection, digits: &str) -> StoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('abha:' || $1, 0))")
        .bind(digits)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many accounts claim `digits` and are not displaced.
pub async fn count_live_claims(conn: &mut PgConnection, digits: &str) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM patients WHERE abha_number = $1 AND abha_status IN ('claimed', 'verified')",
    )
    .bind(digits)
    .fetch_one(&mut *conn)
    .await?)
}

/// The account holding `digits` verified, if any: the only one consent and link requests reach.
pub async fn find_verified_patient_id(db: impl PgExecutor<'_>, digits: &str) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT id FROM patients WHERE abha_number = $1 AND abha_status = 'verified'")
        .bind(digits)
        .fetch_optional(db)
        .await?)
}

/// Replaces the patient's live code.
pub async fn upsert_verification_code(
    conn: &mut PgConnection,
    patient_id: Uuid,
    code_hash: &[u8; 32],
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO abha_verification_codes (patient_id, code_hash, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (patient_id) DO UPDATE
           SET code_hash = EXCLUDED.code_hash, created_at = now(), expires_at = EXCLUDED.expires_at, failed_attempts = 0",
    )
    .bind(patient_id)
    .bind(code_hash.as_slice())
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A claim of a number with a live code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveCode {
    /// The claiming account.
    pub patient_id: Uuid,
    /// SHA-256 of (patient id, code).
    pub code_hash: Vec<u8>,
}

/// The unexpired codes of accounts claiming (not yet holding) `digits`, with fewer than
/// `max_failed` wrong entries against them.
pub async fn find_live_codes(conn: &mut PgConnection, digits: &str, max_failed: i32) -> StoreResult<Vec<LiveCode>> {
    Ok(sqlx::query_as(
        "SELECT c.patient_id, c.code_hash FROM abha_verification_codes c JOIN patients p ON p.id = c.patient_id
         WHERE p.abha_number = $1 AND p.abha_status = 'claimed' AND c.expires_at > now() AND c.failed_attempts < $2",
    )
    .bind(digits)
    .bind(max_failed)
    .fetch_all(&mut *conn)
    .await?)
}

/// Counts a wrong code against every live code of `digits`' claims.
pub async fn mark_codes_failed(conn: &mut PgConnection, digits: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE abha_verification_codes SET failed_attempts = failed_attempts + 1
         WHERE patient_id IN (SELECT id FROM patients WHERE abha_number = $1) AND expires_at > now()",
    )
    .bind(digits)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks `patient_id`'s claim verified, displaces every other live claim of the same number,
/// spends their codes and verifies the patient's ABHA addresses that no other verified account
/// holds. Returns the verification time and the displaced accounts. Call with the number locked.
pub async fn mark_abha_verified(
    conn: &mut PgConnection,
    patient_id: Uuid,
    digits: &str,
    via: VerifiedVia,
) -> StoreResult<(DateTime<Utc>, Vec<Uuid>)> {
    let (via_name, hospital_id) = match via {
        VerifiedVia::InPerson { hospital_id } => ("in_person", Some(hospital_id)),
        VerifiedVia::Abdm => ("abdm", None),
    };
    let verified_at: DateTime<Utc> = sqlx::query_scalar(
        "UPDATE patients SET abha_status = 'verified', abha_verified_at = now(), abha_verified_via = $2,
                abha_verified_by = $3, abha_displaced_at = NULL, updated_at = now()
         WHERE id = $1 RETURNING abha_verified_at",
    )
    .bind(patient_id)
    .bind(via_name)
    .bind(hospital_id)
    .fetch_one(&mut *conn)
    .await?;
    let displaced: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE patients SET abha_status = 'displaced', abha_displaced_at = now(), updated_at = now()
         WHERE abha_number = $1 AND abha_status = 'claimed' AND id <> $2 RETURNING id",
    )
    .bind(digits)
    .bind(patient_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM abha_verification_codes WHERE patient_id IN (SELECT id FROM patients WHERE abha_number = $1)",
    )
    .bind(digits)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE patient_abha_addresses a SET verified = true
         WHERE a.patient_id = $1 AND NOT EXISTS (
           SELECT 1 FROM patient_abha_addresses o WHERE o.address = a.address AND o.verified AND o.patient_id <> $1)",
    )
    .bind(patient_id)
    .execute(&mut *conn)
    .await?;
    Ok((verified_at, displaced))
}
