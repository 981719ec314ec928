//! `hospital_staff`: the people who sign in for a hospital, their invitations, their own
//! public keys and the hospital's secrets sealed to those keys (opaque bytes here).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// One member of a hospital's staff.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    /// Id.
    pub id: Uuid,
    /// The hospital they act for.
    pub hospital_id: Uuid,
    /// Their username (absent until they accept the invitation).
    pub username: Option<String>,
    /// Their name, as the inviting administrator typed it.
    pub name: String,
    /// `administrator`, `clinician` or `records_clerk`.
    pub role: String,
    /// `invited`, `active` or `disabled`.
    pub status: String,
    /// Their own X25519 public key (hex), once they accepted.
    pub public_key: Option<String>,
    /// Whether the hospital's keys have been sealed to them.
    pub has_keys: bool,
    /// Who invited them (absent: the hospital's API-secret session).
    pub invited_by: Option<Uuid>,
    /// When the invitation stops working.
    pub invite_expires_at: DateTime<Utc>,
    /// When they were invited.
    pub created_at: DateTime<Utc>,
    /// When they accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When they were disabled.
    pub disabled_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT id, hospital_id, username, name, role, status, public_key,
        sealed_keys IS NOT NULL AS has_keys, invited_by, invite_expires_at, created_at, accepted_at, disabled_at
   FROM hospital_staff";

/// A new invitation: the member exists as `invited`, with the code's SHA-256.
#[derive(Debug)]
pub struct NewInvite<'a> {
    /// Id of the new member.
    pub id: Uuid,
    /// Their hospital.
    pub hospital_id: Uuid,
    /// Their name.
    pub name: &'a str,
    /// Their role.
    pub role: &'a str,
    /// SHA-256 of the one-time code.
    pub code_hash: &'a [u8; 32],
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// The inviting administrator (absent: the API-secret session).
    pub invited_by: Option<Uuid>,
}

/// Records an invitation.
pub async fn insert_invite(conn: &mut PgConnection, invite: &NewInvite<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO hospital_staff (id, hospital_id, name, role, invite_code_hash, invite_expires_at, invited_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(invite.id)
    .bind(invite.hospital_id)
    .bind(invite.name)
    .bind(invite.role)
    .bind(&invite.code_hash[..])
    .bind(invite.expires_at)
    .bind(invite.invited_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The member an invitation code belongs to, locked for the acceptance (any status, any expiry:
/// the caller decides).
pub async fn find_staff_by_invite_for_update(
    conn: &mut PgConnection,
    code_hash: &[u8; 32],
) -> StoreResult<Option<StaffRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE invite_code_hash = $1 FOR UPDATE"))
        .bind(&code_hash[..])
        .fetch_optional(conn)
        .await?)
}

/// Marks an invitation accepted: the member is `active` with a username and public key, and
/// the code is spent. `StoreError::Conflict("hospital_staff_username_key")` when the username
/// is taken in this hospital.
pub async fn mark_invite_accepted(
    conn: &mut PgConnection,
    id: Uuid,
    username: &str,
    public_key: &str,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE hospital_staff SET status = 'active', username = $2, public_key = $3, accepted_at = now(),
                invite_code_hash = NULL
          WHERE id = $1 AND status = 'invited'",
    )
    .bind(id)
    .bind(username)
    .bind(public_key)
    .execute(conn)
    .await?;
    Ok(())
}

/// One member of `hospital_id`'s staff.
pub async fn find_staff_by_id(db: impl PgExecutor<'_>, hospital_id: Uuid, id: Uuid) -> StoreResult<Option<StaffRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE hospital_id = $1 AND id = $2"))
        .bind(hospital_id)
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// One member, locked for a change.
pub async fn find_staff_by_id_for_update(
    conn: &mut PgConnection,
    hospital_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<StaffRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE hospital_id = $1 AND id = $2 FOR UPDATE"))
        .bind(hospital_id)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// A hospital's staff, oldest first.
pub async fn find_staff_by_hospital(db: impl PgExecutor<'_>, hospital_id: Uuid) -> StoreResult<Vec<StaffRow>> {
    Ok(sqlx::query_as(&format!("{SELECT} WHERE hospital_id = $1 ORDER BY created_at, id"))
        .bind(hospital_id)
        .fetch_all(db)
        .await?)
}

/// Stores the hospital's secrets sealed to an active member's key (replacing earlier ones).
pub async fn mark_keys_sealed(
    conn: &mut PgConnection,
    id: Uuid,
    sealed: &[u8],
    sealed_by: Option<Uuid>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE hospital_staff SET sealed_keys = $2, sealed_by = $3, sealed_at = now() WHERE id = $1 AND status = 'active'",
    )
    .bind(id)
    .bind(sealed)
    .bind(sealed_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// A member's sealed secrets, with their public key and when they were sealed.
pub async fn find_sealed_keys(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> StoreResult<Option<(Vec<u8>, String, DateTime<Utc>)>> {
    Ok(sqlx::query_as(
        "SELECT sealed_keys, public_key, sealed_at FROM hospital_staff
          WHERE id = $1 AND status = 'active' AND sealed_keys IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Disables a member: their sealed secrets and invitation are dropped and every live session
/// of theirs is revoked, at once. Returns the number of sessions ended.
pub async fn mark_staff_disabled(conn: &mut PgConnection, id: Uuid, disabled_by: Option<Uuid>) -> StoreResult<u64> {
    sqlx::query(
        "UPDATE hospital_staff SET status = 'disabled', disabled_at = now(), disabled_by = $2,
                sealed_keys = NULL, invite_code_hash = NULL
          WHERE id = $1 AND status <> 'disabled'",
    )
    .bind(id)
    .bind(disabled_by)
    .execute(&mut *conn)
    .await?;
    let ended = sqlx::query(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = 'staff_disabled'
          WHERE staff_id = $1 AND revoked_at IS NULL",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(ended.rows_affected())
}

/// Sets a member's role (invited or active); the next request of any of their sessions is
/// narrowed by it, since the role is read with the session.
pub async fn set_staff_role(conn: &mut PgConnection, id: Uuid, role: &str) -> StoreResult<()> {
    sqlx::query("UPDATE hospital_staff SET role = $2 WHERE id = $1 AND status <> 'disabled'")
        .bind(id)
        .bind(role)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
