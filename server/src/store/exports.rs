//! `patient_exports` and `patient_export_files`: export archives frozen when asked for, so the
//! API streams each one in constant memory and resumes a download at any byte (docs/export.md).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// An export.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    /// Id.
    pub id: Uuid,
    /// Whose record.
    pub patient_id: Uuid,
    /// The snapshot's time.
    pub exported_at: DateTime<Utc>,
    /// When it can no longer be downloaded.
    pub expires_at: DateTime<Utc>,
    /// The archive's length in bytes.
    pub size: i64,
    /// Documents in the manifest, deleted ones included.
    pub documents: i32,
    /// Consent artefacts in `consents.json`.
    pub consents: i32,
}

/// Where one file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// Held in the row (manifest, consents, proof bundles).
    Inline(Vec<u8>),
    /// A document's envelope: its header as exported, then the stored payload.
    Envelope {
        /// The document.
        document_id: Uuid,
        /// The header at export time.
        header: Vec<u8>,
        /// The payload's object.
        storage_key: String,
        /// The payload's recorded SHA-256.
        payload_sha256: [u8; 32],
    },
}

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// Path inside the archive.
    pub path: String,
    /// Length in bytes.
    pub size: u64,
    /// Its bytes.
    pub source: FileSource,
}

/// A file's place in the archive, without its bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileExtent {
    /// Position in the archive.
    pub seq: i32,
    /// Path inside the archive.
    pub path: String,
    /// Length in bytes.
    pub size: i64,
}

/// Records an export and its files, in order (call inside a transaction).
pub async fn insert_export(conn: &mut PgConnection, export: &ExportRow, files: &[ExportFile]) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO patient_exports (id, patient_id, exported_at, expires_at, size, documents, consents)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(export.id)
    .bind(export.patient_id)
    .bind(export.exported_at)
    .bind(export.expires_at)
    .bind(export.size)
    .bind(export.documents)
    .bind(export.consents)
    .execute(&mut *conn)
    .await?;
    // In batches: one round trip per few hundred files.
    for (batch_no, batch) in files.chunks(500).enumerate() {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO patient_export_files
               (export_id, seq, path, size, inline_bytes, document_id, header, storage_key, payload_sha256) ",
        );
        q.push_values(batch.iter().enumerate(), |mut b, (i, f)| {
            let seq = i32::try_from(batch_no * 500 + i).unwrap_or(i32::MAX);
            b.push_bind(export.id)
                .push_bind(seq)
                .push_bind(&f.path)
                .push_bind(i64::try_from(f.size).unwrap_or(i64::MAX));
            match &f.source {
                FileSource::Inline(bytes) => {
                    b.push_bind(bytes)
                        .push_bind(None::<Uuid>)
                        .push_bind(None::<Vec<u8>>)
                        .push_bind(None::<String>)
                        .push_bind(None::<Vec<u8>>);
                }
                FileSource::Envelope { document_id, header, storage_key, payload_sha256 } => {
                    b.push_bind(None::<Vec<u8>>)
                        .push_bind(*document_id)
                        .push_bind(header)
                        .push_bind(storage_key)
                        .push_bind(payload_sha256.to_vec());
                }
            }
        });
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Drops a patient's exports that expired before `now`, and all but the newest `keep - 1` of the
/// rest (room for one more).
pub async fn prune_exports(
    conn: &mut PgConnection,
    patient_id: Uuid,
    now: DateTime<Utc>,
    keep: i64,
) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM patient_exports WHERE patient_id = $1 AND (expires_at <= $2 OR id IN (
            SELECT id FROM patient_exports WHERE patient_id = $1 AND expires_at > $2
             ORDER BY exported_at DESC, id DESC OFFSET $3))",
    )
    .bind(patient_id)
    .bind(now)
    .bind((keep - 1).max(0))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// An export of `patient_id` that has not expired at `now`.
pub async fn find_live_export(
    db: impl PgExecutor<'_>,
    id: Uuid,
    patient_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Option<ExportRow>> {
    Ok(sqlx::query_as(
        "SELECT id, patient_id, exported_at, expires_at, size, documents, consents FROM patient_exports
          WHERE id = $1 AND patient_id = $2 AND expires_at > $3",
    )
    .bind(id)
    .bind(patient_id)
    .bind(now)
    .fetch_optional(db)
    .await?)
}

/// Every file's place, in archive order (no bytes).
pub async fn find_extents(db: impl PgExecutor<'_>, export_id: Uuid) -> StoreResult<Vec<FileExtent>> {
    Ok(sqlx::query_as("SELECT seq, path, size FROM patient_export_files WHERE export_id = $1 ORDER BY seq")
        .bind(export_id)
        .fetch_all(db)
        .await?)
}

type FileTuple = (String, i64, Option<Vec<u8>>, Option<Uuid>, Option<Vec<u8>>, Option<String>, Option<Vec<u8>>);

/// Up to `limit` files from position `from`, with their bytes (the inline ones) or sources.
pub async fn find_files(
    db: impl PgExecutor<'_>,
    export_id: Uuid,
    from: i32,
    limit: i64,
) -> StoreResult<Vec<ExportFile>> {
    let rows: Vec<FileTuple> = sqlx::query_as(
        "SELECT path, size, inline_bytes, document_id, header, storage_key, payload_sha256 FROM patient_export_files
          WHERE export_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
    )
    .bind(export_id)
    .bind(from)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|(path, size, inline, document_id, header, storage_key, sha)| {
            let size = u64::try_from(size).map_err(|_| super::StoreError::Schema("export file size".to_owned()))?;
            let source = match (inline, document_id, header, storage_key, sha) {
                (Some(bytes), None, None, None, None) => FileSource::Inline(bytes),
                (None, Some(document_id), Some(header), Some(storage_key), Some(sha)) => FileSource::Envelope {
                    document_id,
                    header,
                    storage_key,
                    payload_sha256: sha
                        .try_into()
                        .map_err(|_| super::StoreError::Schema("export payload sha256".to_owned()))?,
                },
                _ => return Err(super::StoreError::Schema("export file source".to_owned())),
            };
            Ok(ExportFile { path, size, source })
        })
        .collect()
}

/// Drops every export holding `document_id`'s envelope (crypto-shredding: the exported header
/// holds wrapped data keys).
pub async fn delete_exports_holding(conn: &mut PgConnection, document_id: Uuid) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM patient_exports WHERE id IN (SELECT export_id FROM patient_export_files WHERE document_id = $1)",
    )
    .bind(document_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
