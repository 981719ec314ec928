//! `password_resets`: a pending password reset per credential (docs/recovery.md), and what a
//! reset changes: the password hash and every session of the account.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::StoreResult;

/// A pending reset, locked for the caller's transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRow {
    /// The credential it resets.
    pub credential_id: Uuid,
    /// SHA-256 of the mailed code.
    pub code_sha256: Vec<u8>,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// Wrong codes tried against it.
    pub attempts: i32,
}

/// Creates the credential's pending reset, or replaces it with a fresh code.
pub async fn upsert_reset(
    conn: &mut PgConnection,
    credential_id: Uuid,
    code_sha256: &[u8; 32],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO password_resets (credential_id, code_sha256, expires_at, attempts, created_at)
         VALUES ($1, $2, $3, 0, $4)
         ON CONFLICT (credential_id) DO UPDATE
           SET code_sha256 = EXCLUDED.code_sha256, expires_at = EXCLUDED.expires_at, attempts = 0,
               created_at = EXCLUDED.created_at",
    )
    .bind(credential_id)
    .bind(code_sha256.as_slice())
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The pending resets of these credentials, locked until the transaction ends.
pub async fn lock_resets(conn: &mut PgConnection, credential_ids: &[Uuid]) -> StoreResult<Vec<ResetRow>> {
    Ok(sqlx::query_as(
        "SELECT credential_id, code_sha256, expires_at, attempts FROM password_resets
         WHERE credential_id = ANY($1) ORDER BY credential_id FOR UPDATE",
    )
    .bind(credential_ids)
    .fetch_all(&mut *conn)
    .await?)
}

/// Counts a wrong code against each of these resets.
pub async fn mark_reset_attempts(conn: &mut PgConnection, credential_ids: &[Uuid]) -> StoreResult<()> {
    sqlx::query("UPDATE password_resets SET attempts = attempts + 1 WHERE credential_id = ANY($1)")
        .bind(credential_ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Completes a reset: the new password hash, the reset gone, every live session of the
/// credential revoked. Returns how many sessions ended.
pub async fn mark_password_reset(
    conn: &mut PgConnection,
    credential_id: Uuid,
    password_hash: &str,
) -> StoreResult<u64> {
    sqlx::query("UPDATE credentials SET password_hash = $2, updated_at = now() WHERE id = $1")
        .bind(credential_id)
        .bind(password_hash)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM password_resets WHERE credential_id = $1").bind(credential_id).execute(&mut *conn).await?;
    let ended = sqlx::query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = 'password_reset'
         WHERE credential_id = $1 AND revoked_at IS NULL",
    )
    .bind(credential_id)
    .execute(&mut *conn)
    .await?;
    Ok(ended.rows_affected())
}
