//! `devices`, `device_pairings` and `device_code_attempts`: a patient's signed-in devices, the
//! pairings that carry keys (sealed, never readable here) to a new one, and the count of wrong
//! pairing codes per account (docs/devices.md).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::{StoreError, StoreResult};

/// A device as the patient's list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    /// Device id.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// When it signed in first.
    pub created_at: DateTime<Utc>,
    /// When it last signed in or refreshed its session.
    pub last_seen_at: DateTime<Utc>,
}

/// A pairing, with the new device's name.
#[derive(Debug, Clone)]
pub struct PairingRow {
    /// Pairing id.
    pub id: Uuid,
    /// The account.
    pub patient_id: Uuid,
    /// The new device.
    pub device_id: Uuid,
    /// The new device's name.
    pub device_name: String,
    /// The session that asked (the only one that may fetch the sealed keys).
    pub session_id: Uuid,
    /// The new device's X25519 public key.
    pub public_key: [u8; 32],
    /// The code (a commitment to `public_key`).
    pub code: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
    /// The sealed keys, until fetched.
    pub sealed: Option<Vec<u8>>,
    /// When the keys were sealed to it.
    pub sealed_at: Option<DateTime<Utc>>,
    /// When the new device fetched them.
    pub fetched_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct RawPairing {
    id: Uuid,
    patient_id: Uuid,
    device_id: Uuid,
    device_name: String,
    session_id: Uuid,
    public_key: Vec<u8>,
    code: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    sealed: Option<Vec<u8>>,
    sealed_at: Option<DateTime<Utc>>,
    fetched_at: Option<DateTime<Utc>>,
}

impl TryFrom<RawPairing> for PairingRow {
    type Error = StoreError;

    fn try_from(r: RawPairing) -> Result<Self, StoreError> {
        let public_key = <[u8; 32]>::try_from(r.public_key.as_slice())
            .map_err(|_| StoreError::Schema("device_pairings.public_key".into()))?;
        Ok(Self {
            id: r.id,
            patient_id: r.patient_id,
            device_id: r.device_id,
            device_name: r.device_name,
            session_id: r.session_id,
            public_key,
            code: r.code,
            created_at: r.created_at,
            expires_at: r.expires_at,
            sealed: r.sealed,
            sealed_at: r.sealed_at,
            fetched_at: r.fetched_at,
        })
    }
}

const PAIRING_COLUMNS: &str = "p.id, p.patient_id, p.device_id, d.name AS device_name, p.session_id, p.public_key, \
     p.code, p.created_at, p.expires_at, p.sealed, p.sealed_at, p.fetched_at";

/// Records a new device of `patient_id` (call inside the sign-in's transaction).
pub async fn insert_device(db: impl PgExecutor<'_>, patient_id: Uuid, name: &str) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO devices (id, patient_id, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(patient_id)
        .bind(name)
        .execute(db)
        .await?;
    Ok(id)
}

/// Notes that the device of `session_id` (if any) was seen now.
pub async fn mark_device_seen_by_session(db: impl PgExecutor<'_>, session_id: Uuid) -> StoreResult<()> {
    sqlx::query(
        "UPDATE devices SET last_seen_at = now()
          WHERE id = (SELECT device_id FROM sessions WHERE id = $1) AND removed_at IS NULL",
    )
    .bind(session_id)
    .execute(db)
    .await?;
    Ok(())
}

/// The device a session belongs to, if it has one and it is not removed.
pub async fn find_device_by_session(db: impl PgExecutor<'_>, session_id: Uuid) -> StoreResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT d.id FROM sessions s JOIN devices d ON d.id = s.device_id WHERE s.id = $1 AND d.removed_at IS NULL",
    )
    .bind(session_id)
    .fetch_optional(db)
    .await?)
}

/// The patient's devices that are not removed and still have a live session, oldest first.
pub async fn find_devices_by_patient(db: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<Vec<DeviceRow>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.name, d.created_at, d.last_seen_at FROM devices d
          WHERE d.patient_id = $1 AND d.removed_at IS NULL
            AND EXISTS (SELECT 1 FROM sessions s
                         WHERE s.device_id = d.id AND s.revoked_at IS NULL AND s.expires_at > now())
          ORDER BY d.created_at, d.id",
    )
    .bind(patient_id)
    .fetch_all(db)
    .await?)
}

/// Locks a device of `patient_id` that is not removed.
pub async fn lock_device(conn: &mut PgConnection, patient_id: Uuid, device_id: Uuid) -> StoreResult<Option<DeviceRow>> {
    Ok(sqlx::query_as(
        "SELECT id, name, created_at, last_seen_at FROM devices
          WHERE id = $1 AND patient_id = $2 AND removed_at IS NULL FOR UPDATE",
    )
    .bind(device_id)
    .bind(patient_id)
    .fetch_optional(conn)
    .await?)
}

/// Renames a device.
pub async fn mark_device_named(db: impl PgExecutor<'_>, device_id: Uuid, name: &str) -> StoreResult<()> {
    sqlx::query("UPDATE devices SET name = $2 WHERE id = $1").bind(device_id).bind(name).execute(db).await?;
    Ok(())
}

/// Marks a device removed, deletes its pairings that have not given it keys yet, and revokes
/// every live session of it; how many sessions that ended.
pub async fn mark_device_removed(conn: &mut PgConnection, device_id: Uuid, now: DateTime<Utc>) -> StoreResult<u64> {
    sqlx::query("UPDATE devices SET removed_at = $2 WHERE id = $1")
        .bind(device_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM device_pairings WHERE device_id = $1 AND fetched_at IS NULL")
        .bind(device_id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $2, revoked_reason = 'device_removed'
          WHERE device_id = $1 AND revoked_at IS NULL",
    )
    .bind(device_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// A new pairing.
#[derive(Debug, Clone)]
pub struct NewPairing<'a> {
    /// Pairing id.
    pub id: Uuid,
    /// The account.
    pub patient_id: Uuid,
    /// The new device.
    pub device_id: Uuid,
    /// Its session.
    pub session_id: Uuid,
    /// Its X25519 public key.
    pub public_key: &'a [u8; 32],
    /// The code derived from the key.
    pub code: &'a str,
    /// Now.
    pub created_at: DateTime<Utc>,
    /// When the code stops working.
    pub expires_at: DateTime<Utc>,
}

/// Stores a pairing; `StoreError::Conflict("device_pairings_code_key")` if the account already
/// has one with this code (the same key twice).
pub async fn insert_pairing(db: impl PgExecutor<'_>, p: &NewPairing<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO device_pairings (id, patient_id, device_id, session_id, public_key, code, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(p.id)
    .bind(p.patient_id)
    .bind(p.device_id)
    .bind(p.session_id)
    .bind(p.public_key.as_slice())
    .bind(p.code)
    .bind(p.created_at)
    .bind(p.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The account's pairing with `code`, locked for update.
pub async fn lock_pairing_by_code(
    conn: &mut PgConnection,
    patient_id: Uuid,
    code: &str,
) -> StoreResult<Option<PairingRow>> {
    let sql = format!(
        "SELECT {PAIRING_COLUMNS} FROM device_pairings p JOIN devices d ON d.id = p.device_id
          WHERE p.patient_id = $1 AND p.code = $2 FOR UPDATE OF p"
    );
    let row: Option<RawPairing> = sqlx::query_as(&sql).bind(patient_id).bind(code).fetch_optional(conn).await?;
    row.map(TryInto::try_into).transpose()
}

/// The account's pairing `id`, locked for update.
pub async fn lock_pairing(conn: &mut PgConnection, patient_id: Uuid, id: Uuid) -> StoreResult<Option<PairingRow>> {
    let sql = format!(
        "SELECT {PAIRING_COLUMNS} FROM device_pairings p JOIN devices d ON d.id = p.device_id
          WHERE p.patient_id = $1 AND p.id = $2 FOR UPDATE OF p"
    );
    let row: Option<RawPairing> = sqlx::query_as(&sql).bind(patient_id).bind(id).fetch_optional(conn).await?;
    row.map(TryInto::try_into).transpose()
}

/// Stores the sealed keys of a pairing, sealed by `by_device`.
pub async fn mark_pairing_sealed(
    db: impl PgExecutor<'_>,
    id: Uuid,
    sealed: &[u8],
    by_device: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("UPDATE device_pairings SET sealed = $2, sealed_by = $3, sealed_at = $4 WHERE id = $1")
        .bind(id)
        .bind(sealed)
        .bind(by_device)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks the sealed keys fetched and deletes them.
pub async fn mark_pairing_fetched(db: impl PgExecutor<'_>, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("UPDATE device_pairings SET sealed = NULL, fetched_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

/// The account's wrong-code count and lock, locked for update (a row is made on first use).
pub async fn lock_code_attempts(
    conn: &mut PgConnection,
    patient_id: Uuid,
) -> StoreResult<(i32, Option<DateTime<Utc>>)> {
    sqlx::query("INSERT INTO device_code_attempts (patient_id) VALUES ($1) ON CONFLICT (patient_id) DO NOTHING")
        .bind(patient_id)
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query_as(
        "SELECT failed_attempts, locked_until FROM device_code_attempts WHERE patient_id = $1 FOR UPDATE",
    )
    .bind(patient_id)
    .fetch_one(conn)
    .await?)
}

/// Counts a wrong code; at `max` in a row, locks lookups until `lock_until` and starts counting
/// again.
pub async fn mark_code_failed(
    db: impl PgExecutor<'_>,
    patient_id: Uuid,
    max: i32,
    lock_until: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE device_code_attempts
            SET failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
                locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END
          WHERE patient_id = $1",
    )
    .bind(patient_id)
    .bind(max)
    .bind(lock_until)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets the wrong codes after a right one.
pub async fn mark_code_succeeded(db: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<()> {
    sqlx::query("UPDATE device_code_attempts SET failed_attempts = 0 WHERE patient_id = $1")
        .bind(patient_id)
        .execute(db)
        .await?;
    Ok(())
}
