//! `resumable_uploads`: tus uploads in progress (docs/uploads.md). A row holds what the upload
//! declared at creation and when it expires; its quota reservation is the `upload_reservations`
//! row with the same id, and the bytes received so far live in the API's staging directory.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use pramana_core::{HiType, Role};

use super::{StoreError, StoreResult, fixed_bytes, unsigned};

/// A resumable upload, parsed from its row.
#[derive(Debug, Clone)]
pub struct ResumableUpload {
    /// Upload id, which is also the id of the document it becomes.
    pub id: Uuid,
    /// `Patient` or `Hospital`: who created it (only they may see or continue it).
    pub creator_role: Role,
    /// The creator's id.
    pub creator_id: Uuid,
    /// The patient whose record the document joins.
    pub owner_patient_id: Uuid,
    /// ABDM HI type.
    pub hi_type: HiType,
    /// When the care happened.
    pub care_date: NaiveDate,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: [u8; 32],
    /// Commitment salt.
    pub salt: [u8; 32],
    /// SHA-256 of the payload.
    pub payload_sha256: [u8; 32],
    /// The envelope's declared length (`Upload-Length`).
    pub length: u64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it expires (`Upload-Expires`).
    pub expires_at: DateTime<Utc>,
}

/// What a new resumable upload declares.
#[derive(Debug, Clone)]
pub struct NewResumableUpload<'a> {
    /// Upload (and document) id.
    pub id: Uuid,
    /// `patient` or `hospital`.
    pub creator_role: &'a str,
    /// The creator's id.
    pub creator_id: Uuid,
    /// The patient whose record the document joins.
    pub owner_patient_id: Uuid,
    /// ABDM HI type code.
    pub hi_type: &'a str,
    /// When the care happened.
    pub care_date: NaiveDate,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: &'a [u8; 32],
    /// Commitment salt.
    pub salt: &'a [u8; 32],
    /// SHA-256 of the payload.
    pub payload_sha256: &'a [u8; 32],
    /// Declared length.
    pub length: u64,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RawUpload {
    id: Uuid,
    creator_role: String,
    creator_id: Uuid,
    owner_patient_id: Uuid,
    hi_type: String,
    care_date: NaiveDate,
    plaintext_sha256: Vec<u8>,
    salt: Vec<u8>,
    payload_sha256: Vec<u8>,
    length: i64,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<RawUpload> for ResumableUpload {
    type Error = StoreError;

    fn try_from(r: RawUpload) -> StoreResult<Self> {
        let what = |col: &str| format!("resumable_uploads.{col} of {}", r.id);
        Ok(Self {
            id: r.id,
            creator_role: Role::parse(&r.creator_role)
                .filter(|role| matches!(role, Role::Patient | Role::Hospital))
                .ok_or_else(|| StoreError::Schema(format!("{}: {:?}", what("creator_role"), r.creator_role)))?,
            creator_id: r.creator_id,
            owner_patient_id: r.owner_patient_id,
            hi_type: HiType::parse(&r.hi_type)
                .map_err(|_| StoreError::Schema(format!("{}: {:?}", what("hi_type"), r.hi_type)))?,
            care_date: r.care_date,
            plaintext_sha256: fixed_bytes(what("plaintext_sha256"), &r.plaintext_sha256)?,
            salt: fixed_bytes(what("salt"), &r.salt)?,
            payload_sha256: fixed_bytes(what("payload_sha256"), &r.payload_sha256)?,
            length: unsigned(what("length"), r.length)?,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

const COLUMNS: &str = "id, creator_role, creator_id, owner_patient_id, hi_type, care_date, plaintext_sha256, salt, \
     payload_sha256, length, created_at, expires_at";

/// Records a new resumable upload (call in the transaction that reserves its length);
/// `StoreError::Conflict("resumable_uploads_pkey")` when one with this id exists.
pub async fn insert_resumable_upload(conn: &mut PgConnection, new: &NewResumableUpload<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO resumable_uploads (id, creator_role, creator_id, owner_patient_id, hi_type, care_date,
                plaintext_sha256, salt, payload_sha256, length, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new.id)
    .bind(new.creator_role)
    .bind(new.creator_id)
    .bind(new.owner_patient_id)
    .bind(new.hi_type)
    .bind(new.care_date)
    .bind(&new.plaintext_sha256[..])
    .bind(&new.salt[..])
    .bind(&new.payload_sha256[..])
    .bind(i64::try_from(new.length).unwrap_or(i64::MAX))
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The resumable upload `id`, expired or not.
pub async fn find_resumable_upload_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<ResumableUpload>> {
    let raw: Option<RawUpload> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM resumable_uploads WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    raw.map(TryInto::try_into).transpose()
}

/// Deletes upload `id` and releases its quota reservation (one statement each; call in a
/// transaction to do both or neither). Returns whether the upload existed.
pub async fn delete_resumable_upload(conn: &mut PgConnection, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM resumable_uploads WHERE id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM upload_reservations WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes every upload that expired before `now` with its reservation, in one transaction's
/// statement; returns their ids (their staged files are the caller's to remove).
pub async fn delete_expired_resumable_uploads(conn: &mut PgConnection, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = sqlx::query_scalar("DELETE FROM resumable_uploads WHERE expires_at <= $1 RETURNING id")
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM upload_reservations WHERE id = ANY($1)").bind(&ids).execute(&mut *conn).await?;
    Ok(ids)
}

/// Of `ids`, those that name a resumable upload (expired or not).
pub async fn find_existing_resumable_uploads(db: impl PgExecutor<'_>, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar("SELECT id FROM resumable_uploads WHERE id = ANY($1)").bind(ids).fetch_all(db).await?)
}
