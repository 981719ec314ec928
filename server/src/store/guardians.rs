//! `guardianships`: the children's accounts a parent or guardian created and manages
//! (docs/guardians.md).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// A child's account as its guardian sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChildRow {
    /// The child's patient id.
    pub id: Uuid,
    /// The child's name.
    pub name: String,
    /// The child's ABHA number (14 digits).
    pub abha_number: String,
    /// The child's ABHA addresses.
    pub abha_addresses: Vec<String>,
    /// Whether the child's account has an X25519 key registered.
    pub has_keys: bool,
    /// When the guardian created it.
    pub created_at: DateTime<Utc>,
}

const CHILD_SELECT: &str = "SELECT p.id, p.name, p.abha_number,
        COALESCE((SELECT array_agg(a.address ORDER BY a.address) FROM patient_abha_addresses a WHERE a.patient_id = p.id), '{}') AS abha_addresses,
        EXISTS (SELECT 1 FROM public_keys k WHERE k.owner_role = 'patient' AND k.owner_id = p.id AND k.kind = 'x25519' AND k.retired_at IS NULL) AS has_keys,
        g.created_at
   FROM guardianships g JOIN patients p ON p.id = g.child_id";

/// Records that `guardian_id` manages the new account `child_id` (call inside the transaction
/// that created the child).
pub async fn insert_guardianship(conn: &mut PgConnection, guardian_id: Uuid, child_id: Uuid) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO guardianships (id, guardian_id, child_id) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(guardian_id)
        .bind(child_id)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// The children `guardian_id` manages, oldest first.
pub async fn list_children(db: impl PgExecutor<'_>, guardian_id: Uuid) -> StoreResult<Vec<ChildRow>> {
    Ok(sqlx::query_as(&format!("{CHILD_SELECT} WHERE g.guardian_id = $1 ORDER BY g.created_at, p.id"))
        .bind(guardian_id)
        .fetch_all(db)
        .await?)
}

/// The child `child_id`, if `guardian_id` manages it.
pub async fn find_child(db: impl PgExecutor<'_>, guardian_id: Uuid, child_id: Uuid) -> StoreResult<Option<ChildRow>> {
    Ok(sqlx::query_as(&format!("{CHILD_SELECT} WHERE g.guardian_id = $1 AND g.child_id = $2"))
        .bind(guardian_id)
        .bind(child_id)
        .fetch_optional(db)
        .await?)
}
