//! `credential_totp`, `recovery_codes`, `login_challenges`: the second factor of a credential.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::StoreResult;
use pramana_core::Role;

/// A credential's TOTP state.
#[derive(Debug, Clone)]
pub struct Totp {
    /// The shared secret (20 bytes).
    pub secret: Vec<u8>,
    /// Whether the second factor is on (enrolment confirmed).
    pub enabled: bool,
    /// The last time step whose code was accepted.
    pub last_used_step: Option<i64>,
    /// Until when wrong codes have locked the factor.
    pub locked_until: Option<DateTime<Utc>>,
}

/// The TOTP state of `credential_id`, locked for update (inside a transaction).
pub async fn lock_totp(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<Option<Totp>> {
    let row = sqlx::query(
        "SELECT secret, enabled_at IS NOT NULL AS enabled, last_used_step, locked_until
         FROM credential_totp WHERE credential_id = $1 FOR UPDATE",
    )
    .bind(credential_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Totp {
            secret: r.try_get("secret")?,
            enabled: r.try_get("enabled")?,
            last_used_step: r.try_get("last_used_step")?,
            locked_until: r.try_get("locked_until")?,
        })
    })
    .transpose()
}

/// Whether the credential of `role` and `subject_id` has its second factor on.
pub async fn is_enabled_for(db: impl PgExecutor<'_>, role: Role, subject_id: Uuid) -> StoreResult<bool> {
    let on: Option<bool> = sqlx::query_scalar(
        "SELECT t.enabled_at IS NOT NULL FROM credential_totp t JOIN credentials c ON c.id = t.credential_id
         WHERE c.role = $1 AND c.subject_id = $2",
    )
    .bind(role.as_str())
    .bind(subject_id)
    .fetch_optional(db)
    .await?;
    Ok(on.unwrap_or(false))
}

/// Whether hospital staff member `staff_id`'s credential has its second factor on.
pub async fn is_enabled_for_staff(db: impl PgExecutor<'_>, staff_id: Uuid) -> StoreResult<bool> {
    let on: Option<bool> = sqlx::query_scalar(
        "SELECT t.enabled_at IS NOT NULL FROM credential_totp t JOIN credentials c ON c.id = t.credential_id
         WHERE c.role = 'staff' AND c.subject_id = $1",
    )
    .bind(staff_id)
    .fetch_optional(db)
    .await?;
    Ok(on.unwrap_or(false))
}

/// Whether `credential_id` has its second factor on.
pub async fn is_enabled(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<bool> {
    let on: Option<bool> =
        sqlx::query_scalar("SELECT enabled_at IS NOT NULL FROM credential_totp WHERE credential_id = $1")
            .bind(credential_id)
            .fetch_optional(db)
            .await?;
    Ok(on.unwrap_or(false))
}

/// Starts (or restarts) enrolment with a new secret. `false` when the factor is already on
/// (nothing changed).
pub async fn start_enrolment(db: impl PgExecutor<'_>, credential_id: Uuid, secret: &[u8]) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO credential_totp (credential_id, secret) VALUES ($1, $2)
         ON CONFLICT (credential_id) DO UPDATE
             SET secret = EXCLUDED.secret, created_at = now(), last_used_step = NULL
             WHERE credential_totp.enabled_at IS NULL",
    )
    .bind(credential_id)
    .bind(secret)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Switches the factor on; `step` is the step of the code that proved it.
pub async fn enable(db: impl PgExecutor<'_>, credential_id: Uuid, step: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE credential_totp SET enabled_at = now(), last_used_step = $2, failed_attempts = 0, locked_until = NULL
         WHERE credential_id = $1",
    )
    .bind(credential_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(())
}

/// A right code: remembers its step (a TOTP code; `None` for a recovery code) and clears the
/// count of wrong ones.
pub async fn record_success(db: impl PgExecutor<'_>, credential_id: Uuid, step: Option<i64>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE credential_totp SET last_used_step = COALESCE($2, last_used_step), failed_attempts = 0, locked_until = NULL
         WHERE credential_id = $1",
    )
    .bind(credential_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(())
}

/// A wrong (or replayed) code: counts it; at `max_failures` the factor is locked for
/// `lock_secs` and the count starts again. Returns whether it is now locked.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    credential_id: Uuid,
    max_failures: i32,
    lock_secs: i64,
) -> StoreResult<bool> {
    let locked: Option<bool> = sqlx::query_scalar(
        "UPDATE credential_totp
         SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
             locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN now() + make_interval(secs => $3) ELSE locked_until END
         WHERE credential_id = $1
         RETURNING locked_until IS NOT NULL AND locked_until > now()",
    )
    .bind(credential_id)
    .bind(max_failures)
    .bind(lock_secs as f64)
    .fetch_optional(db)
    .await?;
    Ok(locked.unwrap_or(false))
}

/// Turns the factor off: the secret and the recovery codes are deleted.
pub async fn delete(db: &mut sqlx::PgConnection, credential_id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE credential_id = $1").bind(credential_id).execute(&mut *db).await?;
    sqlx::query("DELETE FROM credential_totp WHERE credential_id = $1").bind(credential_id).execute(&mut *db).await?;
    Ok(())
}

/// Replaces every recovery code of `credential_id` with `hashes`.
pub async fn replace_recovery_codes(
    db: &mut sqlx::PgConnection,
    credential_id: Uuid,
    hashes: &[[u8; 32]],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE credential_id = $1").bind(credential_id).execute(&mut *db).await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (credential_id, code_hash) VALUES ($1, $2)")
            .bind(credential_id)
            .bind(h.as_slice())
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// What presenting a recovery code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryUse {
    /// It was unused; it is used now.
    Used,
    /// It was used before.
    AlreadyUsed,
    /// No such code.
    Unknown,
}

/// Uses the recovery code hashed `hash` of `credential_id`, once.
pub async fn use_recovery_code(
    db: &mut sqlx::PgConnection,
    credential_id: Uuid,
    hash: &[u8; 32],
) -> StoreResult<RecoveryUse> {
    let used: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT used_at FROM recovery_codes WHERE credential_id = $1 AND code_hash = $2 FOR UPDATE")
            .bind(credential_id)
            .bind(hash.as_slice())
            .fetch_optional(&mut *db)
            .await?;
    match used {
        None => Ok(RecoveryUse::Unknown),
        Some(Some(_)) => Ok(RecoveryUse::AlreadyUsed),
        Some(None) => {
            sqlx::query("UPDATE recovery_codes SET used_at = now() WHERE credential_id = $1 AND code_hash = $2")
                .bind(credential_id)
                .bind(hash.as_slice())
                .execute(&mut *db)
                .await?;
            Ok(RecoveryUse::Used)
        }
    }
}

/// Unused recovery codes of `credential_id`.
pub async fn recovery_codes_left(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE credential_id = $1 AND used_at IS NULL")
        .bind(credential_id)
        .fetch_one(db)
        .await?)
}

/// Stores a login challenge.
pub async fn insert_challenge(
    db: impl PgExecutor<'_>,
    token_hash: &[u8; 32],
    credential_id: Uuid,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO login_challenges (token_hash, credential_id, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash.as_slice())
        .bind(credential_id)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The credential of a live (unused, unexpired) challenge, locked for update.
pub async fn lock_live_challenge(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> StoreResult<Option<Uuid>> {
    let row = sqlx::query(
        "SELECT credential_id FROM login_challenges
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE",
    )
    .bind(token_hash.as_slice())
    .fetch_optional(db)
    .await?;
    row.map(|r| r.try_get("credential_id").map_err(Into::into)).transpose()
}

/// Marks a challenge used.
pub async fn use_challenge(db: impl PgExecutor<'_>, token_hash: &[u8; 32]) -> StoreResult<()> {
    sqlx::query("UPDATE login_challenges SET used_at = now() WHERE token_hash = $1")
        .bind(token_hash.as_slice())
        .execute(db)
        .await?;
    Ok(())
}
