//! Resumable uploads (tus 1.0, docs/uploads.md): an envelope sent in as many pieces as the
//! network needs. Creation checks everything a one-shot upload checks before its body (the
//! caller, the record, the link, the size, the owner's key) and reserves the declared length
//! against the quota in one transaction with the upload's row, so a bad or oversized upload is
//! refused before a byte is stored. Each `PATCH` appends to the upload's staged file (which
//! survives a dropped connection: what reached the disk counts). The last byte runs the
//! one-shot upload's checks and record path (`documents::receive`): the header, the payload
//! hash, the object stored, one transaction for the document, its anchor job, its audit event
//! and the upload's removal with its reservation. Uploads belong to their creator; they expire
//! `storage.upload_expiry_secs` after creation and are swept with their reservations.

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt as _};
use pramana_server::config::StorageSettings;
use pramana_server::store::audit::{Outcome, insert_audit_event};
use pramana_server::store::uploads::{self, NewResumableUpload, ResumableUpload};
use pramana_server::store::{self, StoreError};
use serde_json::json;
use sqlx::PgPool;
use tokio::io::AsyncWriteExt as _;
use uuid::Uuid;

use super::documents::{self, BodyError, InFlight, Receive, Upload};
use super::{Actor, ServiceError, ServiceResult};
use crate::storage::{BlobStore, ResumableFiles};

/// Where an upload stands after a `PATCH`.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Bytes received so far.
    pub offset: u64,
    /// The declared length.
    pub length: u64,
    /// When the upload expires; `None` once complete.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last byte arrived and the document is recorded (the upload is gone).
    pub complete: bool,
}

/// Creates a resumable upload of `length` bytes declaring `up` (its id is the document id).
/// Refusals are the one-shot upload's (`invalid_<field>`, `not_found`, `not_linked`,
/// `body_too_large`, `document_exists`, `no_patient_key`, `quota_exceeded`,
/// `link_quota_exceeded`) plus `upload_exists`; each changes nothing.
pub async fn create(
    pool: &PgPool,
    limits: &StorageSettings,
    actor: &Actor,
    up: &Upload,
    length: u64,
    now: DateTime<Utc>,
) -> ServiceResult<ResumableUpload> {
    let declared = Upload { content_length: Some(length), ..up.clone() };
    let admitted = documents::admit(pool, limits, actor, &declared, now).await?;
    let expires_at = i64::try_from(limits.upload_expiry_secs)
        .ok()
        .and_then(chrono::TimeDelta::try_seconds)
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let new = NewResumableUpload {
        id: up.id,
        creator_role: actor.role.as_str(),
        creator_id: actor.id,
        owner_patient_id: admitted.owner,
        hi_type: up.hi_type.code(),
        care_date: up.care_date,
        plaintext_sha256: &up.plaintext_sha256,
        salt: &up.salt,
        payload_sha256: &up.payload_sha256,
        length,
        expires_at,
    };
    let audit = actor
        .event("document.upload_started", Outcome::Ok)
        .patient(admitted.owner)
        .target("document", up.id)
        .details(json!({"hi_type": up.hi_type.code(), "length": length}));
    let exists = || ServiceError::conflict("upload_exists", "a resumable upload of this document exists");
    let mut tx = store::begin(pool).await?;
    uploads::insert_resumable_upload(&mut tx, &new).await.map_err(|e| match e {
        StoreError::Conflict(_) => exists(),
        other => other.into(),
    })?;
    documents::reserve(&mut tx, up.id, actor, admitted.owner, length, limits).await.map_err(|e| match e {
        // The reservation's id is the upload's: taken means the upload exists.
        ServiceError::Store(StoreError::Conflict(_)) => exists(),
        other => other,
    })?;
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    uploads::find_resumable_upload_by_id(pool, up.id).await?.ok_or(ServiceError::NotFound)
}

/// Upload `id` if the caller created it and it has not expired; anyone else gets `NotFound`.
pub async fn find(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<ResumableUpload> {
    match uploads::find_resumable_upload_by_id(pool, id).await? {
        Some(u) if u.creator_role == actor.role && u.creator_id == actor.id && u.expires_at > now => Ok(u),
        _ => Err(ServiceError::NotFound),
    }
}

/// Bytes of upload `u` received so far.
pub async fn offset(files: &ResumableFiles, u: &ResumableUpload) -> ServiceResult<u64> {
    files.offset(u.id).await.map_err(ServiceError::internal)
}

/// What a `PATCH` works with.
#[derive(Debug)]
pub struct Patch<'a> {
    /// The pool.
    pub pool: &'a PgPool,
    /// The object store the finished envelope goes to.
    pub storage: &'a Arc<dyn BlobStore>,
    /// The staged files.
    pub files: &'a Arc<ResumableFiles>,
    /// Size and quota limits.
    pub limits: &'a StorageSettings,
}

/// Appends `body` to upload `id` at `claimed_offset` (which must be the bytes received so far:
/// else `409 offset_mismatch`, nothing written). Bytes are on disk as they arrive, so a body
/// that breaks off (a dropped connection, `body_idle_timeout`) still moves the offset by what
/// came. A body declared (`declared_len`, its `Content-Length`) longer than what is left of
/// the upload is refused before a byte is written (`length_mismatch`); one that turns out
/// longer is refused at the first chunk too many, keeping what came before it. When the last byte is in, the
/// envelope is checked and recorded as a document (a refusal then — `hash_mismatch`,
/// `malformed_envelope`, `missing_stanza`, `quota_exceeded`, `not_linked`, `document_exists`
/// — ends the upload: its bytes and reservation go).
pub async fn append<S>(
    ctx: &Patch<'_>,
    actor: &Actor,
    id: Uuid,
    claimed_offset: u64,
    declared_len: Option<u64>,
    mut body: S,
    now: DateTime<Utc>,
) -> ServiceResult<Progress>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin + Send,
{
    let u = find(ctx.pool, actor, id, now).await?;
    let Some(guard) = ctx.files.lock(id) else {
        return Err(ServiceError::conflict(
            "upload_busy",
            "another request is writing this upload; ask its offset (HEAD) and try again",
        ));
    };
    let start = offset(ctx.files, &u).await?;
    if claimed_offset != start {
        return Err(ServiceError::conflict("offset_mismatch", format!("Upload-Offset must be {start}")));
    }
    if declared_len.is_some_and(|n| start.saturating_add(n) > u.length) {
        return Err(ServiceError::BadBody {
            code: "length_mismatch",
            message: format!("the body is longer than the {} bytes left of Upload-Length", u.length - start),
        });
    }
    let mut offset = start;
    if offset < u.length {
        let mut file = ctx.files.append(&guard, id).await.map_err(ServiceError::internal)?;
        let outcome = loop {
            match body.next().await {
                None => break Ok(()),
                Some(Err(BodyError::Idle(idle))) => break Err(ServiceError::BodyIdle(idle)),
                Some(Err(BodyError::Read | BodyError::Staging)) => {
                    break Err(ServiceError::BadBody {
                        code: "body_read_failed",
                        message: "the request body could not be read; what arrived before is kept".into(),
                    });
                }
                Some(Ok(bytes)) => {
                    if offset + bytes.len() as u64 > u.length {
                        break Err(ServiceError::BadBody {
                            code: "length_mismatch",
                            message: "the body goes past Upload-Length; what arrived before is kept".into(),
                        });
                    }
                    file.write_all(&bytes).await.map_err(ServiceError::internal)?;
                    offset += bytes.len() as u64;
                }
            }
        };
        file.flush().await.map_err(ServiceError::internal)?;
        file.sync_data().await.map_err(ServiceError::internal)?;
        outcome?;
    }
    if offset < u.length {
        return Ok(Progress { offset, length: u.length, expires_at: Some(u.expires_at), complete: false });
    }
    // The last byte is in. Finish in a task of its own, holding the writer's lock: a client
    // that goes away now does not cut the record path short, and no second request runs it.
    let (pool, storage, files, limits) = (ctx.pool.clone(), ctx.storage.clone(), ctx.files.clone(), ctx.limits.clone());
    let (request_id, staff, guardian) = (actor.request_id.clone(), actor.staff, actor.guardian);
    let finished = tokio::spawn(async move {
        let result = finish(&pool, &storage, &files, &limits, &u, (staff, guardian), request_id).await;
        drop(guard);
        result
    })
    .await
    .map_err(|e| ServiceError::internal(anyhow::anyhow!("finishing the upload failed: {e}")))?;
    finished?;
    Ok(Progress { offset, length: offset, expires_at: None, complete: true })
}

/// Checks and records a complete upload through the one-shot upload's path. A refusal ends the
/// upload (bytes, row and reservation); a server fault keeps it, so a `PATCH` of no bytes at
/// the final offset tries again.
async fn finish(
    pool: &PgPool,
    storage: &Arc<dyn BlobStore>,
    files: &ResumableFiles,
    limits: &StorageSettings,
    u: &ResumableUpload,
    (staff, guardian): (Option<Uuid>, Option<Uuid>),
    request_id: Option<String>,
) -> ServiceResult<()> {
    // The member finishing the upload acts for the hospital that created it, a guardian for
    // the child's account that created it (`find` checked).
    let actor = Actor { role: u.creator_role, id: u.creator_id, staff, guardian, request_id };
    let up = Upload {
        id: u.id,
        patient_id: Some(u.owner_patient_id),
        hi_type: u.hi_type,
        care_date: u.care_date,
        plaintext_sha256: u.plaintext_sha256,
        salt: u.salt,
        payload_sha256: u.payload_sha256,
        content_length: Some(u.length),
    };
    let result = async {
        let (owner_key, known_keys) = documents::envelope_keys(pool, &actor, u.owner_patient_id).await?;
        let file = files.read(u.id).await.map_err(ServiceError::internal)?;
        let body = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20)
            .map(|chunk| chunk.map_err(|_| BodyError::Staging));
        let ctx = Receive {
            pool,
            storage: storage.as_ref(),
            limits,
            actor: &actor,
            owner: u.owner_patient_id,
            owner_key,
            known_keys: &known_keys,
            resumable: true,
        };
        let mut in_flight = InFlight::new(pool, storage, u.id, true);
        match documents::receive(&ctx, &up, u.length, body, &mut in_flight).await {
            Ok(()) => {
                in_flight.forget();
                Ok(())
            }
            Err(e) => {
                in_flight.release().await;
                Err(e)
            }
        }
    }
    .await;
    match result {
        Ok(()) => {
            remove_file(files, u.id).await;
            Ok(())
        }
        Err(e @ (ServiceError::Internal(_) | ServiceError::Store(_))) => Err(e),
        Err(refusal) => {
            let mut tx = store::begin(pool).await?;
            uploads::delete_resumable_upload(&mut tx, u.id).await?;
            store::commit(tx).await?;
            remove_file(files, u.id).await;
            Err(refusal)
        }
    }
}

/// Ends upload `id` (its creator only): its row, its reservation and its staged bytes go.
/// `upload_busy` while a request is writing it.
pub async fn terminate(
    pool: &PgPool,
    files: &Arc<ResumableFiles>,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let u = find(pool, actor, id, now).await?;
    let Some(_guard) = files.lock(id) else {
        return Err(ServiceError::conflict("upload_busy", "another request is writing this upload; try again"));
    };
    let audit = actor
        .event("document.upload_terminated", Outcome::Ok)
        .patient(u.owner_patient_id)
        .target("document", id)
        .details(json!({"length": u.length}));
    let mut tx = store::begin(pool).await?;
    if !uploads::delete_resumable_upload(&mut tx, id).await? {
        return Err(ServiceError::NotFound);
    }
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    remove_file(files, id).await;
    Ok(())
}

/// Removes uploads expired by `now` (rows and reservations in one transaction, then their
/// files) and staged files no upload names; returns how many uploads and files went.
pub async fn sweep(pool: &PgPool, files: &ResumableFiles, now: DateTime<Utc>) -> ServiceResult<usize> {
    let mut tx = store::begin(pool).await?;
    let expired = uploads::delete_expired_resumable_uploads(&mut tx, now).await?;
    store::commit(tx).await?;
    for id in &expired {
        remove_file(files, *id).await;
    }
    let staged = files.idle_ids().await.map_err(ServiceError::internal)?;
    let named = uploads::find_existing_resumable_uploads(pool, &staged).await?;
    let mut orphans = 0;
    for id in staged.into_iter().filter(|id| !named.contains(id)) {
        remove_file(files, id).await;
        orphans += 1;
    }
    Ok(expired.len() + orphans)
}

async fn remove_file(files: &ResumableFiles, id: Uuid) {
    if let Err(e) = files.remove(id).await {
        tracing::warn!(error = %e, upload = %id, "staged bytes of a resumable upload not removed; the sweep will");
    }
}
