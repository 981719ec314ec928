//! `sessions` and `refresh_tokens`: login sessions with rotating, single-use refresh tokens.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;
use pramana_core::Role;

/// What a live session says about its holder.
#[derive(Debug, Clone, Copy)]
pub struct SessionInfo {
    /// Session id.
    pub id: Uuid,
    /// Role of the holder.
    pub role: Role,
    /// Patient, hospital, auditor or admin id.
    pub subject_id: Uuid,
    /// The hospital staff member whose session it is, if any.
    pub staff_id: Option<Uuid>,
    /// The guardian acting on their child's account (`subject_id`), if any.
    pub guardian_id: Option<Uuid>,
}

/// Outcome of presenting a refresh token.
#[derive(Debug, Clone, Copy)]
pub enum RefreshOutcome {
    /// The token was fresh; it is now used, and its session may mint a successor.
    Rotated(SessionInfo),
    /// The token was already used: the session has been revoked (possible theft).
    Reused,
    /// Unknown, expired, or its session is revoked or expired.
    Invalid,
}

/// A session to open.
#[derive(Debug, Clone, Copy)]
pub struct NewSession {
    /// The credential that signed in.
    pub credential_id: Uuid,
    /// Its role.
    pub role: Role,
    /// The patient, hospital, auditor or admin id.
    pub subject_id: Uuid,
    /// The device it runs on, if the holder has devices (patients).
    pub device_id: Option<Uuid>,
    /// The hospital staff member, when one signed in for their hospital.
    pub staff_id: Option<Uuid>,
    /// The guardian, when one opened the session on their child's account.
    pub guardian_id: Option<Uuid>,
    /// When it ends at the latest.
    pub expires_at: DateTime<Utc>,
}

/// Creates a session with its first refresh token (call inside a transaction).
pub async fn insert_session(conn: &mut PgConnection, s: &NewSession, refresh_hash: &[u8; 32]) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    let expires_at = s.expires_at;
    sqlx::query(
        "INSERT INTO sessions (id, credential_id, role, subject_id, device_id, staff_id, guardian_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(s.credential_id)
    .bind(s.role.as_str())
    .bind(s.subject_id)
    .bind(s.device_id)
    .bind(s.staff_id)
    .bind(s.guardian_id)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    insert_refresh_token(&mut *conn, id, refresh_hash, expires_at).await?;
    Ok(id)
}

/// Adds a refresh token to a session.
pub async fn insert_refresh_token(
    db: impl PgExecutor<'_>,
    session_id: Uuid,
    refresh_hash: &[u8; 32],
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, $3)")
        .bind(&refresh_hash[..])
        .bind(session_id)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks a refresh token used, or detects its reuse and revokes the session (call inside a
/// transaction, which the caller commits in every outcome).
pub async fn mark_refresh_token_used(conn: &mut PgConnection, refresh_hash: &[u8; 32]) -> StoreResult<RefreshOutcome> {
    #[derive(sqlx::FromRow)]
    struct Row {
        session_id: Uuid,
        used_at: Option<DateTime<Utc>>,
        live: bool,
        role: String,
        subject_id: Uuid,
        staff_id: Option<Uuid>,
        guardian_id: Option<Uuid>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.session_id, t.used_at, (t.expires_at > now() AND s.revoked_at IS NULL AND s.expires_at > now()) AS live,
                s.role, s.subject_id, s.staff_id, s.guardian_id
           FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s",
    )
    .bind(&refresh_hash[..])
    .fetch_optional(&mut *conn)
    .await?;
    let Some(Row { session_id, used_at, live, role, subject_id, staff_id, guardian_id }) = row else {
        return Ok(RefreshOutcome::Invalid);
    };
    if used_at.is_some() {
        if live {
            mark_session_revoked(&mut *conn, session_id, "refresh_reuse").await?;
        }
        return Ok(RefreshOutcome::Reused);
    }
    if !live {
        return Ok(RefreshOutcome::Invalid);
    }
    sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1")
        .bind(&refresh_hash[..])
        .execute(&mut *conn)
        .await?;
    let role = Role::parse(&role).ok_or_else(|| super::StoreError::Schema(format!("sessions.role {role}")))?;
    Ok(RefreshOutcome::Rotated(SessionInfo { id: session_id, role, subject_id, staff_id, guardian_id }))
}

/// Revokes a session (and with it every token in it). Returns false if it was not live.
pub async fn mark_session_revoked(db: impl PgExecutor<'_>, session_id: Uuid, reason: &str) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(session_id)
            .bind(reason)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// What a session is worth on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Live.
    Live {
        /// For a hospital staff member's session, the member and their role.
        staff: Option<(Uuid, String)>,
        /// For a guardian's session on their child's account, the guardian.
        guardian: Option<Uuid>,
    },
    /// A hospital staff member's session, and the member has been disabled.
    StaffDisabled,
    /// Unknown, revoked or expired.
    Dead,
}

/// Whether a session is live (not revoked, not expired), and whose staff member's it is.
/// Checked on every authenticated request (one indexed lookup).
pub async fn find_session_state(db: impl PgExecutor<'_>, session_id: Uuid) -> StoreResult<SessionState> {
    /// Live?, the member, their role and status, the guardian.
    type Row = (bool, Option<Uuid>, Option<String>, Option<String>, Option<Uuid>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT s.revoked_at IS NULL AND s.expires_at > now(), s.staff_id, m.role, m.status, s.guardian_id
           FROM sessions s LEFT JOIN hospital_staff m ON m.id = s.staff_id
          WHERE s.id = $1",
    )
    .bind(session_id)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => SessionState::Dead,
        Some((_, Some(_), _, Some(status), _)) if status == "disabled" => SessionState::StaffDisabled,
        Some((false, ..)) => SessionState::Dead,
        Some((true, Some(id), Some(role), _, guardian)) => SessionState::Live { staff: Some((id, role)), guardian },
        Some((true, _, _, _, guardian)) => SessionState::Live { staff: None, guardian },
    })
}

/// The credential and device of a live session (a guardian's own, to open one on a child from).
pub async fn find_session_origin(
    db: impl PgExecutor<'_>,
    session_id: Uuid,
) -> StoreResult<Option<(Uuid, Option<Uuid>)>> {
    Ok(sqlx::query_as(
        "SELECT credential_id, device_id FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(session_id)
    .fetch_optional(db)
    .await?)
}

/// Whether the session a refresh token belongs to is a disabled staff member's.
pub async fn is_refresh_token_of_disabled_staff(db: impl PgExecutor<'_>, refresh_hash: &[u8; 32]) -> StoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
                          JOIN hospital_staff m ON m.id = s.staff_id
                         WHERE t.token_hash = $1 AND m.status = 'disabled')",
    )
    .bind(&refresh_hash[..])
    .fetch_one(db)
    .await?)
}

/// The session's expiry, for issuing a successor refresh token with the same lifetime end.
pub async fn find_session_expiry(db: impl PgExecutor<'_>, session_id: Uuid) -> StoreResult<DateTime<Utc>> {
    Ok(sqlx::query_scalar("SELECT expires_at FROM sessions WHERE id = $1").bind(session_id).fetch_one(db).await?)
}
