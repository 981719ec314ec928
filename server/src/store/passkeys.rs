//! `credential_passkeys`, `passkey_registrations`: passkeys (WebAuthn) as a second factor.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::StoreResult;

/// A registered passkey.
#[derive(Debug, Clone)]
pub struct StoredPasskey {
    /// Our id for it.
    pub id: Uuid,
    /// The owner's name for it.
    pub name: String,
    /// The authenticator's credential id.
    pub webauthn_id: Vec<u8>,
    /// The WebAuthn library's record (public key, counter, flags), as JSON.
    pub passkey: serde_json::Value,
    /// The signature counter of the last accepted sign-in.
    pub sign_count: i64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// Its last accepted sign-in.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When a sign-in with a counter that did not go up marked it as possibly copied.
    pub possibly_cloned_at: Option<DateTime<Utc>>,
}

fn from_row(r: &sqlx::postgres::PgRow) -> StoreResult<StoredPasskey> {
    Ok(StoredPasskey {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        webauthn_id: r.try_get("webauthn_id")?,
        passkey: r.try_get("passkey")?,
        sign_count: r.try_get("sign_count")?,
        created_at: r.try_get("created_at")?,
        last_used_at: r.try_get("last_used_at")?,
        possibly_cloned_at: r.try_get("possibly_cloned_at")?,
    })
}

const COLUMNS: &str = "id, name, webauthn_id, passkey, sign_count, created_at, last_used_at, possibly_cloned_at";

/// The passkeys of `credential_id`, oldest first.
pub async fn list(db: impl PgExecutor<'_>, credential_id: Uuid) -> StoreResult<Vec<StoredPasskey>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credential_passkeys WHERE credential_id = $1 ORDER BY created_at, id"
    ))
    .bind(credential_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The passkey of `credential_id` whose authenticator credential id is `webauthn_id`, locked for
/// update.
pub async fn lock_by_webauthn_id(
    db: impl PgExecutor<'_>,
    credential_id: Uuid,
    webauthn_id: &[u8],
) -> StoreResult<Option<StoredPasskey>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM credential_passkeys WHERE credential_id = $1 AND webauthn_id = $2 FOR UPDATE"
    ))
    .bind(credential_id)
    .bind(webauthn_id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A new passkey. A credential id registered before (to any account) is a
/// [`super::StoreError::Conflict`].
pub async fn insert(
    db: impl PgExecutor<'_>,
    credential_id: Uuid,
    name: &str,
    webauthn_id: &[u8],
    passkey: &serde_json::Value,
    sign_count: i64,
) -> StoreResult<StoredPasskey> {
    let row = sqlx::query(&format!(
        "INSERT INTO credential_passkeys (id, credential_id, name, webauthn_id, passkey, sign_count)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(Uuid::now_v7())
    .bind(credential_id)
    .bind(name)
    .bind(webauthn_id)
    .bind(passkey)
    .bind(sign_count)
    .fetch_one(db)
    .await?;
    from_row(&row)
}

/// An accepted sign-in: the updated record, its counter, now as last use.
pub async fn record_use(
    db: impl PgExecutor<'_>,
    id: Uuid,
    passkey: &serde_json::Value,
    sign_count: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE credential_passkeys SET passkey = $2, sign_count = $3, last_used_at = now() WHERE id = $1")
        .bind(id)
        .bind(passkey)
        .bind(sign_count)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks a passkey as possibly copied (its counter went backwards or stood still).
pub async fn mark_possibly_cloned(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE credential_passkeys SET possibly_cloned_at = COALESCE(possibly_cloned_at, now()) WHERE id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Removes passkey `id` of `credential_id`; `false` when there is no such passkey.
pub async fn delete(db: impl PgExecutor<'_>, credential_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM credential_passkeys WHERE credential_id = $1 AND id = $2")
        .bind(credential_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Starts (or restarts) a registration for `credential_id`.
pub async fn start_registration(
    db: impl PgExecutor<'_>,
    credential_id: Uuid,
    name: &str,
    state: &serde_json::Value,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO passkey_registrations (credential_id, name, state, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (credential_id) DO UPDATE SET name = EXCLUDED.name, state = EXCLUDED.state, expires_at = EXCLUDED.expires_at",
    )
    .bind(credential_id)
    .bind(name)
    .bind(state)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the live registration of `credential_id` (name and state), deleting it; an expired one
/// is deleted and not returned.
pub async fn take_registration(
    db: impl PgExecutor<'_>,
    credential_id: Uuid,
) -> StoreResult<Option<(String, serde_json::Value)>> {
    let row = sqlx::query(
        "DELETE FROM passkey_registrations WHERE credential_id = $1 RETURNING name, state, expires_at > now() AS live",
    )
    .bind(credential_id)
    .fetch_optional(db)
    .await?;
    match row {
        Some(r) if r.try_get::<bool, _>("live")? => Ok(Some((r.try_get("name")?, r.try_get("state")?))),
        _ => Ok(None),
    }
}
