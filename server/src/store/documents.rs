//! `documents`, `document_stanzas`, `document_header_versions` (every header a document has had,
//! append-only) and the `anchor_jobs` outbox.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use pramana_core::{HiType, Role};

use super::anchor::ANCHOR_STATE;
use super::{StoreError, StoreResult};

/// A document, parsed from its row (a tombstone when `deleted_at` is set). A row that does not
/// parse is a `StoreError::Schema`, never a default.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    /// Id (also bound into the envelope).
    pub id: Uuid,
    /// The patient whose record it is.
    pub owner_patient_id: Uuid,
    /// `Patient` or `Hospital`.
    pub uploaded_by_role: Role,
    /// Uploader id.
    pub uploaded_by_id: Uuid,
    /// ABDM HI type.
    pub hi_type: HiType,
    /// When the care happened.
    pub care_date: NaiveDate,
    /// Plaintext bytes.
    pub plaintext_size: i64,
    /// Stored payload bytes.
    pub payload_size: i64,
    /// SHA-256 of the payload.
    pub payload_sha256: [u8; 32],
    /// The payload's key in the object store (hex SHA-256, or a CID on IPFS).
    pub storage_key: String,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: [u8; 32],
    /// Commitment salt.
    pub salt: [u8; 32],
    /// Merkle leaf.
    pub leaf: [u8; 32],
    /// Envelope header; `None` once deleted.
    pub header: Option<Vec<u8>>,
    /// Upload time.
    pub created_at: DateTime<Utc>,
    /// Deletion (crypto-shredding) time.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `pending`, `submitted` or `confirmed` (see `anchor::ANCHOR_STATE`); `None` without a job.
    pub anchor_state: Option<String>,
}

/// The row as Postgres returns it.
#[derive(sqlx::FromRow)]
struct RawDocument {
    id: Uuid,
    owner_patient_id: Uuid,
    uploaded_by_role: String,
    uploaded_by_id: Uuid,
    hi_type: String,
    care_date: NaiveDate,
    plaintext_size: i64,
    payload_size: i64,
    payload_sha256: Vec<u8>,
    storage_key: String,
    plaintext_sha256: Vec<u8>,
    salt: Vec<u8>,
    leaf: Vec<u8>,
    header: Option<Vec<u8>>,
    created_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    anchor_state: Option<String>,
}

impl TryFrom<RawDocument> for DocumentRow {
    type Error = StoreError;

    fn try_from(r: RawDocument) -> StoreResult<Self> {
        let id = r.id;
        let bad = |column: &str, value: &dyn std::fmt::Debug| {
            StoreError::Schema(format!("documents.{column} of {id}: {value:?} does not parse"))
        };
        let hash = |column: &str, raw: &[u8]| <[u8; 32]>::try_from(raw).map_err(|_| bad(column, &raw.len()));
        let uploaded_by_role = Role::parse(&r.uploaded_by_role)
            .filter(|role| matches!(role, Role::Patient | Role::Hospital))
            .ok_or_else(|| bad("uploaded_by_role", &r.uploaded_by_role))?;
        Ok(Self {
            uploaded_by_role,
            hi_type: HiType::parse(&r.hi_type).map_err(|_| bad("hi_type", &r.hi_type))?,
            payload_sha256: hash("payload_sha256", &r.payload_sha256)?,
            plaintext_sha256: hash("plaintext_sha256", &r.plaintext_sha256)?,
            salt: hash("salt", &r.salt)?,
            leaf: hash("leaf", &r.leaf)?,
            id,
            owner_patient_id: r.owner_patient_id,
            uploaded_by_id: r.uploaded_by_id,
            care_date: r.care_date,
            plaintext_size: r.plaintext_size,
            payload_size: r.payload_size,
            storage_key: r.storage_key,
            header: r.header,
            created_at: r.created_at,
            deleted_at: r.deleted_at,
            anchor_state: r.anchor_state,
        })
    }
}

/// Parses fetched rows.
fn parsed(rows: Vec<RawDocument>) -> StoreResult<Vec<DocumentRow>> {
    rows.into_iter().map(DocumentRow::try_from).collect()
}

/// A new document to insert.
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub owner_patient_id: Uuid,
    /// `patient` or `hospital`.
    pub uploaded_by_role: &'a str,
    /// Uploader.
    pub uploaded_by_id: Uuid,
    /// HI type code.
    pub hi_type: &'a str,
    /// Care date.
    pub care_date: NaiveDate,
    /// Plaintext bytes.
    pub plaintext_size: i64,
    /// Payload bytes.
    pub payload_size: i64,
    /// Payload SHA-256.
    pub payload_sha256: &'a [u8],
    /// Object-store key.
    pub storage_key: &'a str,
    /// Plaintext SHA-256.
    pub plaintext_sha256: &'a [u8],
    /// Salt.
    pub salt: &'a [u8],
    /// Leaf.
    pub leaf: &'a [u8],
    /// Header bytes.
    pub header: &'a [u8],
}

const COLUMNS: &str = "id, owner_patient_id, uploaded_by_role, uploaded_by_id, hi_type, care_date, plaintext_size, \
     payload_size, payload_sha256, storage_key, plaintext_sha256, salt, leaf, header, created_at, deleted_at";

/// Locks the owner's patient row (serialises quota checks per patient) and returns the bytes
/// their live documents use.
pub async fn lock_patient_usage(conn: &mut PgConnection, patient_id: Uuid) -> StoreResult<i64> {
    sqlx::query("SELECT 1 FROM patients WHERE id = $1 FOR UPDATE").bind(patient_id).execute(&mut *conn).await?;
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(sum(payload_size), 0)::bigint FROM documents WHERE owner_patient_id = $1 AND deleted_at IS NULL",
    )
    .bind(patient_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Why an upload could not reserve room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRoom {
    /// The patient's record is full.
    Patient,
    /// The uploading hospital used its link's share of the record.
    Link,
}

/// Reserves `bytes` of `patient_id`'s quota for upload `id` if the patient's live documents and
/// their other uploads in flight leave room under `quota`, and, for a hospital's upload
/// (`hospital`: its id and its link's quota), if what it put into this record leaves room under
/// that quota too (call inside a transaction: it takes the patient row's lock). Reservations
/// older than `max_age_secs` are what a crash left and do not count. Reserves nothing when there
/// is no room.
pub async fn reserve_upload(
    conn: &mut PgConnection,
    id: Uuid,
    patient_id: Uuid,
    bytes: u64,
    quota: u64,
    hospital: Option<(Uuid, u64)>,
    max_age_secs: u64,
) -> StoreResult<Result<(), NoRoom>> {
    let used = lock_patient_usage(&mut *conn, patient_id).await?;
    let reserved: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(bytes), 0)::bigint FROM upload_reservations
          WHERE patient_id = $1 AND created_at >= now() - make_interval(secs => $2)",
    )
    .bind(patient_id)
    .bind(max_age_secs as f64)
    .fetch_one(&mut *conn)
    .await?;
    let total =
        u64::try_from(used).unwrap_or(0).saturating_add(u64::try_from(reserved).unwrap_or(0)).saturating_add(bytes);
    if total > quota {
        return Ok(Err(NoRoom::Patient));
    }
    if let Some((hospital_id, link_quota)) = hospital
        && super::links::link_usage(&mut *conn, patient_id, hospital_id, max_age_secs).await?.saturating_add(bytes)
            > link_quota
    {
        return Ok(Err(NoRoom::Link));
    }
    sqlx::query("INSERT INTO upload_reservations (id, patient_id, bytes, hospital_id) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(patient_id)
        .bind(i64::try_from(bytes).unwrap_or(i64::MAX))
        .bind(hospital.map(|(h, _)| h))
        .execute(&mut *conn)
        .await?;
    Ok(Ok(()))
}

/// Releases upload `id`'s quota reservation (releasing a missing one is not an error).
pub async fn delete_upload_reservation(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<()> {
    sqlx::query("DELETE FROM upload_reservations WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

/// Releases every reservation older than `max_age_secs` (what a crashed API left behind);
/// returns how many.
pub async fn delete_stale_upload_reservations(db: impl PgExecutor<'_>, max_age_secs: u64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM upload_reservations WHERE created_at < now() - make_interval(secs => $1)")
        .bind(max_age_secs as f64)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Inserts a document, its stanza index, its header as version 1 and its anchor job (call inside
/// a transaction).
pub async fn insert_document(
    conn: &mut PgConnection,
    d: &NewDocument<'_>,
    stanzas: &[StanzaHolder],
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO documents (id, owner_patient_id, uploaded_by_role, uploaded_by_id, hi_type, care_date,
                                plaintext_size, payload_size, payload_sha256, storage_key, plaintext_sha256, salt, leaf,
                                header)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(d.id)
    .bind(d.owner_patient_id)
    .bind(d.uploaded_by_role)
    .bind(d.uploaded_by_id)
    .bind(d.hi_type)
    .bind(d.care_date)
    .bind(d.plaintext_size)
    .bind(d.payload_size)
    .bind(d.payload_sha256)
    .bind(d.storage_key)
    .bind(d.plaintext_sha256)
    .bind(d.salt)
    .bind(d.leaf)
    .bind(d.header)
    .execute(&mut *conn)
    .await?;
    for s in stanzas {
        sqlx::query(
            "INSERT INTO document_stanzas (document_id, key_id, holder_role, holder_id) VALUES ($1, $2, $3, $4)",
        )
        .bind(d.id)
        .bind(&s.key_id[..])
        .bind(s.holder_role)
        .bind(s.holder_id)
        .execute(&mut *conn)
        .await?;
    }
    let upload =
        HeaderChange { reason: HeaderReason::Upload, actor_role: d.uploaded_by_role, actor_id: d.uploaded_by_id };
    insert_header_version(conn, d.id, d.header, &upload).await?;
    sqlx::query("INSERT INTO anchor_jobs (kind, document_id, leaf) VALUES ('document', $1, $2)")
        .bind(d.id)
        .bind(d.leaf)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Who holds a stanza, when the key id matches a registered key.
#[derive(Debug, Clone)]
pub struct StanzaHolder {
    /// First 16 bytes of SHA-256 of the X25519 key.
    pub key_id: [u8; 16],
    /// `patient` or `hospital`, when known.
    pub holder_role: Option<&'static str>,
    /// Holder id, when known.
    pub holder_id: Option<Uuid>,
}

/// `SELECT` of document rows with their anchoring state, then `rest` (WHERE, ORDER BY …).
fn select_documents(rest: &str) -> String {
    format!(
        "SELECT {COLUMNS}, (SELECT {ANCHOR_STATE} FROM anchor_jobs j WHERE j.document_id = d.id) AS anchor_state
           FROM documents d {rest}"
    )
}

/// Finds a document (live or tombstone).
pub async fn find_document_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<DocumentRow>> {
    let row: Option<RawDocument> =
        sqlx::query_as(&select_documents("WHERE id = $1")).bind(id).fetch_optional(db).await?;
    row.map(DocumentRow::try_from).transpose()
}

/// A patient's live documents, newest first.
pub async fn find_documents_by_owner(db: impl PgExecutor<'_>, owner: Uuid) -> StoreResult<Vec<DocumentRow>> {
    parsed(
        sqlx::query_as(&select_documents(
            "WHERE deleted_at IS NULL AND owner_patient_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1000",
        ))
        .bind(owner)
        .fetch_all(db)
        .await?,
    )
}

/// Every document of a patient, tombstones included, oldest first (for the patient's export).
pub async fn find_all_documents_by_owner(db: impl PgExecutor<'_>, owner: Uuid) -> StoreResult<Vec<DocumentRow>> {
    parsed(
        sqlx::query_as(&select_documents("WHERE owner_patient_id = $1 ORDER BY created_at, id"))
            .bind(owner)
            .fetch_all(db)
            .await?,
    )
}

/// Live documents a hospital may see: those it uploaded and those an active grant covers,
/// newest first.
pub async fn find_documents_for_hospital(db: impl PgExecutor<'_>, hospital_id: Uuid) -> StoreResult<Vec<DocumentRow>> {
    let granted = super::consents::GRANT_COVERS_DOCUMENT.replace("$H", "$1");
    parsed(
        sqlx::query_as(&select_documents(&format!(
            "WHERE deleted_at IS NULL AND (uploaded_by_id = $1 OR {granted}) ORDER BY created_at DESC, id DESC LIMIT 1000"
        )))
        .bind(hospital_id)
        .fetch_all(db)
        .await?,
    )
}

/// Crypto-shreds a document: drops its header, its header history (old headers hold wrapped data
/// keys too), every export archive holding it and its stanza index, keeps the hashes (call
/// inside a transaction). Returns false if it was already deleted.
pub async fn mark_document_deleted(conn: &mut PgConnection, id: Uuid) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE documents SET header = NULL, deleted_at = now() WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM document_stanzas WHERE document_id = $1").bind(id).execute(&mut *conn).await?;
    // The table's trigger allows this delete only now that the document is a tombstone.
    sqlx::query("DELETE FROM document_header_versions WHERE document_id = $1").bind(id).execute(&mut *conn).await?;
    // An export frozen before holds the header too.
    super::exports::delete_exports_holding(&mut *conn, id).await?;
    Ok(done.rows_affected() == 1)
}

/// Locks those of `ids` that are live against deletion until the transaction ends; returns how
/// many are live.
pub async fn lock_live_documents(conn: &mut PgConnection, ids: &[Uuid]) -> StoreResult<usize> {
    let locked: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM documents WHERE id = ANY($1) AND deleted_at IS NULL FOR SHARE")
            .bind(ids)
            .fetch_all(conn)
            .await?;
    Ok(locked.len())
}

/// Whether any live document still uses this object (objects are content-addressed).
pub async fn is_object_in_use(db: impl PgExecutor<'_>, storage_key: &str) -> StoreResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM documents WHERE storage_key = $1 AND deleted_at IS NULL)")
        .bind(storage_key)
        .fetch_one(db)
        .await?)
}

/// Records that a document's header carries a stanza for `key_id` held by `holder_role`
/// `holder_id` (call inside a transaction).
pub async fn index_stanza(
    conn: &mut PgConnection,
    document_id: Uuid,
    key_id: &[u8; 16],
    holder_role: &str,
    holder_id: Uuid,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO document_stanzas (document_id, key_id, holder_role, holder_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (document_id, key_id) DO NOTHING",
    )
    .bind(document_id)
    .bind(&key_id[..])
    .bind(holder_role)
    .bind(holder_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces a document's header with one that drops the stanza for `key_id`, if the stored header
/// is still `old` (call inside a transaction), and drops the stanza's index entry. Returns false
/// when the header changed meanwhile.
pub async fn remove_stanza(
    conn: &mut PgConnection,
    document_id: Uuid,
    old: &[u8],
    new: &[u8],
    key_id: &[u8; 16],
    change: &HeaderChange<'_>,
) -> StoreResult<bool> {
    if !swap_header(conn, document_id, old, new, change).await? {
        return Ok(false);
    }
    sqlx::query("DELETE FROM document_stanzas WHERE document_id = $1 AND key_id = $2")
        .bind(document_id)
        .bind(&key_id[..])
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// Replaces a live document's header with `new` if it is still `old` (optimistic concurrency: the
/// patient's device built `new` from `old`) and records `new` as the next version (call inside a
/// transaction). Returns false, writing nothing, when it changed meanwhile.
pub async fn swap_header(
    conn: &mut PgConnection,
    document_id: Uuid,
    old: &[u8],
    new: &[u8],
    change: &HeaderChange<'_>,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE documents SET header = $3 WHERE id = $1 AND header = $2 AND deleted_at IS NULL")
        .bind(document_id)
        .bind(old)
        .bind(new)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    // The UPDATE holds the document's row lock until commit, so versions are numbered one
    // writer at a time.
    insert_header_version(conn, document_id, new, change).await?;
    Ok(true)
}

/// Why a header version was written (`document_header_versions.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderReason {
    /// The envelope's header as uploaded.
    Upload,
    /// A grant added a hospital's stanza.
    Grant,
    /// The owner dropped a recipient's stanza (after a revocation, say).
    RemoveRecipient,
    /// The owner made an earlier version current again.
    Restore,
    /// Recorded by the migration that started the history (no actor known).
    Backfill,
}

impl HeaderReason {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upload => "upload",
            Self::Grant => "grant",
            Self::RemoveRecipient => "remove_recipient",
            Self::Restore => "restore",
            Self::Backfill => "backfill",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Upload, Self::Grant, Self::RemoveRecipient, Self::Restore, Self::Backfill]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Who changed a header, and why.
#[derive(Debug, Clone, Copy)]
pub struct HeaderChange<'a> {
    /// Why.
    pub reason: HeaderReason,
    /// `patient` or `hospital`.
    pub actor_role: &'a str,
    /// The patient's or hospital's id.
    pub actor_id: Uuid,
}

/// One stored version of a document's header.
#[derive(Debug, Clone)]
pub struct HeaderVersionRow {
    /// 1 for the first header, then one more per change.
    pub version: i32,
    /// The header's bytes.
    pub header: Vec<u8>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Why it was written.
    pub reason: HeaderReason,
    /// Who wrote it (`patient` or `hospital`); `None` for a backfilled version.
    pub actor_role: Option<String>,
    /// Their id; `None` for a backfilled version.
    pub actor_id: Option<Uuid>,
}

#[derive(sqlx::FromRow)]
struct RawHeaderVersion {
    document_id: Uuid,
    version: i32,
    header: Vec<u8>,
    created_at: DateTime<Utc>,
    reason: String,
    actor_role: Option<String>,
    actor_id: Option<Uuid>,
}

impl TryFrom<RawHeaderVersion> for HeaderVersionRow {
    type Error = StoreError;

    fn try_from(r: RawHeaderVersion) -> StoreResult<Self> {
        let reason = HeaderReason::parse(&r.reason).ok_or_else(|| {
            StoreError::Schema(format!(
                "document_header_versions.reason of {} v{}: {:?} does not parse",
                r.document_id, r.version, r.reason
            ))
        })?;
        Ok(Self {
            version: r.version,
            header: r.header,
            created_at: r.created_at,
            reason,
            actor_role: r.actor_role,
            actor_id: r.actor_id,
        })
    }
}

const VERSION_COLUMNS: &str = "document_id, version, header, created_at, reason, actor_role, actor_id";

/// Appends `header` as the document's next version (call inside the transaction that makes it
/// the document's header).
pub async fn insert_header_version(
    conn: &mut PgConnection,
    document_id: Uuid,
    header: &[u8],
    change: &HeaderChange<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO document_header_versions (document_id, version, header, actor_role, actor_id, reason)
         SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5 FROM document_header_versions WHERE document_id = $1",
    )
    .bind(document_id)
    .bind(header)
    .bind(change.actor_role)
    .bind(change.actor_id)
    .bind(change.reason.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Every stored version of a document's header, newest first.
pub async fn find_header_versions(db: impl PgExecutor<'_>, document_id: Uuid) -> StoreResult<Vec<HeaderVersionRow>> {
    let rows: Vec<RawHeaderVersion> = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM document_header_versions WHERE document_id = $1 ORDER BY version DESC"
    ))
    .bind(document_id)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(HeaderVersionRow::try_from).collect()
}

/// One stored version of a document's header.
pub async fn find_header_version(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
    version: i32,
) -> StoreResult<Option<HeaderVersionRow>> {
    let row: Option<RawHeaderVersion> = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM document_header_versions WHERE document_id = $1 AND version = $2"
    ))
    .bind(document_id)
    .bind(version)
    .fetch_optional(db)
    .await?;
    row.map(HeaderVersionRow::try_from).transpose()
}

/// Makes `restored` (an earlier version's bytes) the header again if it is still `old`, as a new
/// version, and rebuilds the stanza index from it: the key ids it carries, each with its holder
/// when a registered key has that id (call inside a transaction). Returns the new version, or
/// `None`, writing nothing, when the header changed meanwhile.
pub async fn restore_header(
    conn: &mut PgConnection,
    document_id: Uuid,
    old: &[u8],
    restored: &[u8],
    key_ids: &[[u8; 16]],
    change: &HeaderChange<'_>,
) -> StoreResult<Option<HeaderVersionRow>> {
    if !swap_header(conn, document_id, old, restored, change).await? {
        return Ok(None);
    }
    sqlx::query("DELETE FROM document_stanzas WHERE document_id = $1").bind(document_id).execute(&mut *conn).await?;
    let ids: Vec<Vec<u8>> = key_ids.iter().map(|k| k.to_vec()).collect();
    sqlx::query(
        "INSERT INTO document_stanzas (document_id, key_id, holder_role, holder_id)
         SELECT $1, k.key_id, pk.owner_role, pk.owner_id
           FROM unnest($2::bytea[]) AS k(key_id)
           LEFT JOIN LATERAL (SELECT owner_role, owner_id FROM public_keys
                               WHERE kind = 'x25519' AND substring(sha256(decode(public_key, 'hex')) FROM 1 FOR 16) = k.key_id
                               ORDER BY created_at DESC LIMIT 1) pk ON true
         ON CONFLICT (document_id, key_id) DO NOTHING",
    )
    .bind(document_id)
    .bind(ids)
    .execute(&mut *conn)
    .await?;
    let newest: RawHeaderVersion = sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM document_header_versions WHERE document_id = $1 ORDER BY version DESC LIMIT 1"
    ))
    .bind(document_id)
    .fetch_one(&mut *conn)
    .await?;
    HeaderVersionRow::try_from(newest).map(Some)
}
