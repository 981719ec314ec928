//! `public_keys`: X25519 encryption keys and Ethereum signing addresses, with rotation history.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// A registered public key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    /// Id.
    pub id: Uuid,
    /// `x25519` or `ethereum`.
    pub kind: String,
    /// Lower-case hex (X25519) or `0x` address.
    pub public_key: String,
    /// Registration time.
    pub created_at: DateTime<Utc>,
    /// When a newer key replaced it; `None` while active.
    pub retired_at: Option<DateTime<Utc>>,
    /// A patient's later Ethereum key: the nonce of the rotation that handed the account to it.
    pub rotation_nonce: Option<i64>,
    /// That rotation's chain state: `pending`, `submitted`, `confirmed` or `failed`.
    pub rotation_state: Option<String>,
    /// The contract's reason, when it failed.
    pub rotation_failure: Option<String>,
}

/// The columns of a [`KeyRow`] over `public_keys k LEFT JOIN signer_rotations r ON r.key_id = k.id`.
const KEY_COLUMNS: &str = "k.id, k.kind, k.public_key, k.created_at, k.retired_at, r.nonce AS rotation_nonce,
    CASE WHEN r.id IS NULL THEN NULL WHEN r.confirmed_at IS NOT NULL THEN 'confirmed' WHEN r.failed_at IS NOT NULL THEN 'failed'
         WHEN r.batch_id IS NOT NULL THEN 'submitted' ELSE 'pending' END AS rotation_state,
    r.failure AS rotation_failure";

/// Retires the owner's active key of this kind, if any, and registers the new one (call inside a
/// transaction).
pub async fn insert_key_rotating(
    conn: &mut PgConnection,
    owner_role: &str,
    owner_id: Uuid,
    kind: &str,
    public_key: &str,
) -> StoreResult<KeyRow> {
    sqlx::query(
        "UPDATE public_keys SET retired_at = now()
          WHERE owner_role = $1 AND owner_id = $2 AND kind = $3 AND retired_at IS NULL",
    )
    .bind(owner_role)
    .bind(owner_id)
    .bind(kind)
    .execute(&mut *conn)
    .await?;
    Ok(sqlx::query_as(
        "INSERT INTO public_keys (id, owner_role, owner_id, kind, public_key) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, kind, public_key, created_at, retired_at, NULL::bigint AS rotation_nonce,
                   NULL::text AS rotation_state, NULL::text AS rotation_failure",
    )
    .bind(Uuid::now_v7())
    .bind(owner_role)
    .bind(owner_id)
    .bind(kind)
    .bind(public_key)
    .fetch_one(&mut *conn)
    .await?)
}

/// Every key the owner has registered, newest first.
pub async fn find_keys_by_owner(db: impl PgExecutor<'_>, owner_id: Uuid) -> StoreResult<Vec<KeyRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM public_keys k LEFT JOIN signer_rotations r ON r.key_id = k.id
          WHERE k.owner_id = $1 ORDER BY k.created_at DESC, k.id DESC"
    ))
    .bind(owner_id)
    .fetch_all(db)
    .await?)
}

/// A registered X25519 key with its owner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OwnedKey {
    /// `patient` or `hospital`.
    pub owner_role: String,
    /// Owner id.
    pub owner_id: Uuid,
    /// Lower-case hex.
    pub public_key: String,
    /// Set once rotated away.
    pub retired_at: Option<DateTime<Utc>>,
}

/// Every X25519 key (active and retired) of the given owners.
pub async fn find_x25519_keys_by_owners(db: impl PgExecutor<'_>, owners: &[Uuid]) -> StoreResult<Vec<OwnedKey>> {
    Ok(sqlx::query_as(
        "SELECT owner_role, owner_id, public_key, retired_at FROM public_keys
          WHERE kind = 'x25519' AND owner_id = ANY($1) ORDER BY created_at DESC",
    )
    .bind(owners)
    .fetch_all(db)
    .await?)
}

/// The owner's active key of `kind`, locked until the transaction ends (call inside the
/// transaction that replaces it, so a key checked before is still the one being replaced).
pub async fn lock_active_key(conn: &mut PgConnection, owner_id: Uuid, kind: &str) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT public_key FROM public_keys WHERE owner_id = $1 AND kind = $2 AND retired_at IS NULL FOR UPDATE",
    )
    .bind(owner_id)
    .bind(kind)
    .fetch_optional(&mut *conn)
    .await?)
}
