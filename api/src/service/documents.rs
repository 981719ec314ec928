//! Documents: upload (the declared length reserved against the quota; the envelope streamed,
//! header checked, payload hashed into staging; then one transaction for the row, its stanza
//! index, its anchor job, the audit event and the reservation's release), who may
//! see one, delete (crypto-shredding), a header change that drops one recipient, and the header
//! history (every version kept; the owner lists them and restores one). The server never holds a
//! key: it checks framing, hashes and stanza key ids only, so a header with a bad MAC can pass;
//! the history is how the owner undoes one.

use pramana_server::notifications::{Kind, notify};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use futures::{Stream, StreamExt as _};
use pramana_core::envelope::{self, Header};
use pramana_core::merkle::document_leaf;
use pramana_core::{HiType, PatientId, Role};
use pramana_server::config::StorageSettings;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::documents::{
    self, DocumentRow, HeaderChange, HeaderReason, HeaderVersionRow, NewDocument, NoRoom, StanzaHolder,
};
use pramana_server::store::{self, StoreError, keys};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult};
use crate::storage::{BlobStore, BlobUpload};

/// What an upload declares about the envelope in its body.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The document id the envelope was sealed for.
    pub id: Uuid,
    /// The patient whose record it joins: required for hospitals; absent or the caller for patients.
    pub patient_id: Option<Uuid>,
    /// ABDM HI type.
    pub hi_type: HiType,
    /// When the care happened (not in the future).
    pub care_date: NaiveDate,
    /// SHA-256 of the plaintext.
    pub plaintext_sha256: [u8; 32],
    /// Commitment salt.
    pub salt: [u8; 32],
    /// SHA-256 of the payload (the envelope after its header).
    pub payload_sha256: [u8; 32],
    /// The body's declared length (`Content-Length`), required.
    pub content_length: Option<u64>,
}

/// Why the next chunk of an upload's body did not come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// The body could not be read (the connection failed or broke the framing).
    Read,
    /// No bytes arrived for this long.
    Idle(Duration),
    /// The server's own staged copy could not be read (a resumable upload's file).
    Staging,
}

/// Uploads an envelope streamed as `body` (`header ‖ payload`, as `envelope::seal` wrote it).
///
/// The declared length is reserved against the owner's quota (beside their documents and their
/// other uploads in flight) before anything is staged. Nothing stays behind on any refusal or
/// failure: the staged object is aborted, a committed object no row names is deleted and the
/// reservation released — awaited on an error, and in a spawned task if this future is dropped
/// (the client went away) or a panic unwinds through it.
pub async fn upload<S>(
    pool: &PgPool,
    storage: &Arc<dyn BlobStore>,
    limits: &StorageSettings,
    actor: &Actor,
    up: Upload,
    body: S,
    now: DateTime<Utc>,
) -> ServiceResult<DocumentRow>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin + Send,
{
    // 1. Everything that can be checked before reading the body.
    let Admitted { owner, owner_key, known_keys, length: content_length } =
        admit(pool, limits, actor, &up, now).await?;

    // Reserve the declared length: parallel uploads cannot together pass the quota.
    let mut in_flight = InFlight::new(pool, storage, Uuid::new_v4(), false);
    let mut tx = store::begin(pool).await?;
    if let Err(e) = reserve(&mut tx, in_flight.reservation, actor, owner, content_length, limits).await {
        in_flight.forget();
        return Err(e);
    }
    store::commit(tx).await?;

    let ctx = Receive {
        pool,
        storage: storage.as_ref(),
        limits,
        actor,
        owner,
        owner_key,
        known_keys: &known_keys,
        resumable: false,
    };
    match receive(&ctx, &up, content_length, body, &mut in_flight).await {
        Ok(()) => {
            in_flight.forget();
            documents::find_document_by_id(pool, up.id).await?.ok_or(ServiceError::NotFound)
        }
        Err(e) => {
            in_flight.release().await;
            Err(e)
        }
    }
}

/// Who an admitted upload's document belongs to, and the keys its envelope is checked against.
#[derive(Debug)]
pub(crate) struct Admitted {
    /// The patient whose record the document joins.
    pub owner: Uuid,
    /// The key id of the owner's current X25519 key: the envelope needs a stanza for it.
    pub owner_key: [u8; 16],
    /// The registered X25519 keys of the owner (and of the uploading hospital).
    pub known_keys: Vec<keys::OwnedKey>,
    /// The envelope's declared length.
    pub length: u64,
}

/// Everything an upload declaring `up` can be checked for before any byte of it: the caller's
/// role and the record it writes into, the care date, the declared length (required) against
/// the size limit, the document id, the owner's key and, for a hospital, its care link.
/// Changes nothing.
pub(crate) async fn admit(
    pool: &PgPool,
    limits: &StorageSettings,
    actor: &Actor,
    up: &Upload,
    now: DateTime<Utc>,
) -> ServiceResult<Admitted> {
    let owner = match (actor.role, up.patient_id) {
        (Role::Patient, None) => actor.id,
        (Role::Patient, Some(p)) if p == actor.id => p,
        (Role::Patient, Some(_)) => return Err(ServiceError::NotFound),
        (Role::Hospital, Some(p)) => p,
        (Role::Hospital, None) => {
            return Err(ServiceError::invalid_field("patient_id", "required for hospital uploads"));
        }
        _ => return Err(ServiceError::Forbidden),
    };
    if up.care_date > now.date_naive() {
        return Err(ServiceError::invalid_field("care_date", "must be YYYY-MM-DD and not in the future"));
    }
    let length = up.content_length.ok_or(ServiceError::LengthRequired)?;
    if length > limits.max_document_bytes {
        return Err(too_large("body_too_large", "the envelope is larger than storage.max_document_bytes"));
    }
    if documents::find_document_by_id(pool, up.id).await?.is_some() {
        return Err(ServiceError::conflict("document_exists", "a document with this id exists"));
    }
    // The owner must exist (for hospitals: another tenant's id that does not exist is 404) and
    // must be able to decrypt: the envelope needs a stanza for one of their keys.
    let mut conn = pool.acquire().await.map_err(StoreError::from)?;
    store::patients::find_patient_by_id(&mut conn, PatientId(owner)).await?.ok_or(ServiceError::NotFound)?;
    // A hospital writes into a record only where the patient linked it.
    if actor.role == Role::Hospital && !store::links::is_linked(&mut conn, owner, actor.id).await? {
        return Err(not_linked());
    }
    drop(conn);
    let (owner_key, known_keys) = envelope_keys(pool, actor, owner).await?;
    Ok(Admitted { owner, owner_key, known_keys, length })
}

/// The owner's current key id and every registered key of the owner and the uploader.
pub(crate) async fn envelope_keys(
    pool: &PgPool,
    actor: &Actor,
    owner: Uuid,
) -> ServiceResult<([u8; 16], Vec<keys::OwnedKey>)> {
    let parties: Vec<Uuid> = if owner == actor.id { vec![owner] } else { vec![owner, actor.id] };
    let known_keys = keys::find_x25519_keys_by_owners(pool, &parties).await?;
    let owner_key = known_keys
        .iter()
        .find(|k| k.owner_id == owner && k.retired_at.is_none())
        .and_then(|k| key_id_of(&k.public_key))
        .ok_or_else(|| ServiceError::refused("no_patient_key", "the patient has no registered X25519 key"))?;
    Ok((owner_key, known_keys))
}

/// Reserves `length` bytes of `owner`'s quota (and, for a hospital, of its link's) as
/// reservation `id`, in `conn`'s transaction; refused with `quota_exceeded` or
/// `link_quota_exceeded` when there is no room, reserving nothing.
pub(crate) async fn reserve(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    actor: &Actor,
    owner: Uuid,
    length: u64,
    limits: &StorageSettings,
) -> ServiceResult<()> {
    let link = (actor.role == Role::Hospital).then_some((actor.id, limits.quota_bytes_per_link));
    let room = documents::reserve_upload(
        conn,
        id,
        owner,
        length,
        limits.quota_bytes_per_patient,
        link,
        limits.staging_max_age_secs,
    )
    .await?;
    match room {
        Ok(()) => Ok(()),
        Err(NoRoom::Patient) => Err(too_large("quota_exceeded", "this would exceed the patient's storage quota")),
        Err(NoRoom::Link) => Err(too_large(
            "link_quota_exceeded",
            "this would exceed what one hospital may store in a patient's record (storage.quota_bytes_per_link)",
        )),
    }
}

/// What `receive` works with.
pub(crate) struct Receive<'a> {
    pub(crate) pool: &'a PgPool,
    pub(crate) storage: &'a dyn BlobStore,
    pub(crate) limits: &'a StorageSettings,
    pub(crate) actor: &'a Actor,
    pub(crate) owner: Uuid,
    pub(crate) owner_key: [u8; 16],
    pub(crate) known_keys: &'a [keys::OwnedKey],
    /// The body is a finished resumable upload's staged bytes: recording the document also
    /// deletes the upload (and with it its reservation).
    pub(crate) resumable: bool,
}

/// Streams the body (header parsed and checked, payload hashed into staging), commits the
/// object and records the document in one transaction with its quota re-check, stanza index,
/// anchor job and audit event, releasing the reservation in it.
pub(crate) async fn receive<S>(
    ctx: &Receive<'_>,
    up: &Upload,
    content_length: u64,
    mut body: S,
    in_flight: &mut InFlight,
) -> ServiceResult<()>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin + Send,
{
    // 2. Stream: header first (parsed and checked), then the payload into staging.
    let mut received = Received { bytes: 0, declared: content_length };
    let mut head: Vec<u8> = Vec::new();
    let header = loop {
        match Header::parse(&head) {
            Ok((h, _)) => break h,
            Err(envelope::CryptoError::Malformed("header is truncated")) => {}
            Err(_) => return Err(malformed("not a valid envelope header")),
        }
        match next_chunk(&mut body, &mut received).await? {
            Some(bytes) => head.extend_from_slice(&bytes),
            None => return Err(malformed("the body ends inside the envelope header")),
        }
    };
    if header.doc_id != *up.id.as_bytes() {
        return Err(malformed("the envelope was sealed for another document id"));
    }
    if header.stanza(&ctx.owner_key).is_none() {
        return Err(ServiceError::refused(
            "missing_stanza",
            "the envelope has no stanza for the patient's current key",
        ));
    }
    // Dropped without `commit` (an error below, or this future dropped), the upload discards
    // its staged bytes itself; the explicit abort makes it finish before the answer.
    let mut staged = ctx.storage.begin().await.map_err(ServiceError::internal)?;
    let streamed = stream_payload(&mut body, &mut received, &mut staged, &head[header.len()..]).await;
    let checked = streamed.and_then(|(payload_len, actual_sha)| {
        let plaintext_len = envelope::plaintext_len(payload_len)
            .ok_or_else(|| malformed("the payload length does not fit the chunk framing"))?;
        if actual_sha != up.payload_sha256 {
            return Err(ServiceError::refused("hash_mismatch", "the payload does not hash to payload_sha256"));
        }
        Ok((payload_len, plaintext_len))
    });
    let (payload_len, plaintext_len) = match checked {
        Ok(v) => v,
        Err(e) => {
            staged.abort().await;
            return Err(e);
        }
    };
    let key = staged.commit(hex::encode(up.payload_sha256)).await.map_err(ServiceError::internal)?;
    in_flight.object = Some(key.clone());

    // 3. One transaction: quota re-check under a row lock, document, stanza index, anchor job,
    // audit, and the reservation released.
    let leaf = document_leaf(&up.salt, &up.plaintext_sha256);
    let holders: Vec<StanzaHolder> = header
        .stanzas
        .iter()
        .map(|s| {
            let holder = ctx.known_keys.iter().find(|k| key_id_of(&k.public_key) == Some(s.key_id));
            StanzaHolder {
                key_id: s.key_id,
                holder_role: holder.map(|k| if k.owner_role == "patient" { "patient" } else { "hospital" }),
                holder_id: holder.map(|k| k.owner_id),
            }
        })
        .collect();
    let header_bytes = header.to_bytes();
    let new = NewDocument {
        id: up.id,
        owner_patient_id: ctx.owner,
        uploaded_by_role: ctx.actor.role.as_str(),
        uploaded_by_id: ctx.actor.id,
        hi_type: up.hi_type.code(),
        care_date: up.care_date,
        plaintext_size: plaintext_len as i64,
        payload_size: payload_len as i64,
        payload_sha256: &up.payload_sha256,
        storage_key: &key,
        plaintext_sha256: &up.plaintext_sha256,
        salt: &up.salt,
        leaf: &leaf,
        header: &header_bytes,
    };
    let details = json!({"hi_type": up.hi_type.code(), "payload_size": payload_len});
    let audit = event(ctx.actor, "document.upload", Outcome::Ok, up.id, ctx.owner).details(details);
    let mut tx = store::begin(ctx.pool).await?;
    let used = documents::lock_patient_usage(&mut tx, ctx.owner).await?;
    if used as u64 + payload_len > ctx.limits.quota_bytes_per_patient {
        return Err(too_large("quota_exceeded", "this would exceed the patient's storage quota"));
    }
    // The patient may have unlinked the hospital while the body arrived.
    if ctx.actor.role == Role::Hospital && !store::links::is_linked(&mut tx, ctx.owner, ctx.actor.id).await? {
        return Err(not_linked());
    }
    documents::insert_document(&mut tx, &new, &holders).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::conflict("document_exists", "a document with this id exists"),
        other => other.into(),
    })?;
    if ctx.resumable {
        store::uploads::delete_resumable_upload(&mut tx, up.id).await?;
    } else {
        documents::delete_upload_reservation(&mut *tx, in_flight.reservation).await?;
    }
    insert_audit_event(&mut tx, &audit).await?;
    if ctx.actor.role == Role::Hospital {
        let hospital = store::notifications::find_hospital_name(&mut *tx, ctx.actor.id).await?;
        notify(&mut tx, ctx.owner, Kind::DocumentAdded, Some(up.id), hospital.as_deref(), Utc::now()).await?;
    }
    store::commit(tx).await?;
    Ok(())
}

/// What an upload holds until its document is recorded: its quota reservation and, once the
/// object is committed to the store, the object. Dropped while it still holds them (this
/// request's future was dropped, or a panic unwinds), it releases both in a spawned task. A
/// resumable upload's reservation is kept (`keep_reservation`): it lasts as long as the upload.
pub(crate) struct InFlight {
    pool: PgPool,
    storage: Arc<dyn BlobStore>,
    reservation: Uuid,
    keep_reservation: bool,
    object: Option<String>,
    armed: bool,
}

impl InFlight {
    /// Holds reservation `reservation` (released on failure unless `keep_reservation`).
    pub(crate) fn new(pool: &PgPool, storage: &Arc<dyn BlobStore>, reservation: Uuid, keep_reservation: bool) -> Self {
        Self { pool: pool.clone(), storage: storage.clone(), reservation, keep_reservation, object: None, armed: true }
    }

    /// Nothing to release: the document was recorded, or nothing was reserved.
    pub(crate) fn forget(&mut self) {
        self.armed = false;
    }

    /// Releases the reservation and the object (unless a live document uses the same bytes).
    pub(crate) async fn release(&mut self) {
        self.armed = false;
        release(self.pool.clone(), self.storage.clone(), self.reservation(), self.object.take()).await;
    }

    /// The reservation to release on failure.
    fn reservation(&self) -> Option<Uuid> {
        (!self.keep_reservation).then_some(self.reservation)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.armed
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(release(self.pool.clone(), self.storage.clone(), self.reservation(), self.object.take()));
        }
    }
}

async fn release(pool: PgPool, storage: Arc<dyn BlobStore>, reservation: Option<Uuid>, object: Option<String>) {
    if let Some(key) = object
        && !documents::is_object_in_use(&pool, &key).await.unwrap_or(true)
        && let Err(e) = storage.delete(&key).await
    {
        tracing::error!(error = %e, %key, "object of a failed upload not deleted; no row names it");
    }
    if let Some(reservation) = reservation
        && let Err(e) = documents::delete_upload_reservation(&pool, reservation).await
    {
        tracing::warn!(error = %e, %reservation, "upload reservation not released; the start-up sweep will");
    }
}

/// Loads a document the caller may see: its owner, the hospital that uploaded it, or a hospital
/// holding an active grant that covers its HI type and care date. Anyone else gets `NotFound`
/// (and an audited denial when the document exists).
pub async fn load_visible(pool: &PgPool, actor: &Actor, id: Uuid, action: &'static str) -> ServiceResult<DocumentRow> {
    let doc = documents::find_document_by_id(pool, id).await?.ok_or(ServiceError::NotFound)?;
    let visible = match actor.role {
        Role::Patient => doc.owner_patient_id == actor.id,
        Role::Hospital => {
            (doc.uploaded_by_role == Role::Hospital && doc.uploaded_by_id == actor.id)
                || store::consents::is_document_granted(pool, doc.id, actor.id).await?
        }
        Role::Auditor | Role::Admin => false,
    };
    if !visible {
        insert_audit_event_now(pool, &event(actor, action, Outcome::Denied, doc.id, doc.owner_patient_id)).await?;
        return Err(ServiceError::NotFound);
    }
    Ok(doc)
}

/// Records in the audit log that the caller read `doc` (its metadata, proof or content).
pub async fn record_read(
    pool: &PgPool,
    actor: &Actor,
    doc: &DocumentRow,
    action: &'static str,
    details: serde_json::Value,
) -> ServiceResult<()> {
    let e = event(actor, action, Outcome::Ok, doc.id, doc.owner_patient_id).details(details);
    if actor.role != Role::Hospital {
        insert_audit_event_now(pool, &e).await?;
        return Ok(());
    }
    // A hospital's first read of this patient's records tells the patient (once per hospital).
    let mut tx = store::begin(pool).await?;
    insert_audit_event(&mut tx, &e).await?;
    let hospital = store::notifications::find_hospital_name(&mut *tx, actor.id).await?;
    notify(&mut tx, doc.owner_patient_id, Kind::FirstAccess, Some(actor.id), hospital.as_deref(), Utc::now()).await?;
    store::commit(tx).await?;
    Ok(())
}

/// Deletes a document (its owner only): the payload and every stanza are destroyed; a tombstone
/// with the hashes stays for the audit trail and the anchored commitment.
pub async fn delete(pool: &PgPool, storage: &dyn BlobStore, actor: &Actor, id: Uuid) -> ServiceResult<()> {
    let doc = load_visible(pool, actor, id, "document.delete").await?;
    if actor.role != Role::Patient {
        insert_audit_event_now(pool, &event(actor, "document.delete", Outcome::Denied, id, doc.owner_patient_id))
            .await?;
        return Err(ServiceError::Forbidden);
    }
    if doc.deleted_at.is_some() {
        return Err(ServiceError::NotFound);
    }
    let mut tx = store::begin(pool).await?;
    documents::mark_document_deleted(&mut tx, id).await?;
    insert_audit_event(&mut tx, &event(actor, "document.delete", Outcome::Ok, id, doc.owner_patient_id)).await?;
    store::commit(tx).await?;
    if !documents::is_object_in_use(pool, &doc.storage_key).await?
        && let Err(e) = storage.delete(&doc.storage_key).await
    {
        tracing::error!(error = %e, document = %id, "payload not deleted; the tombstone stands, remove the object by hand");
    }
    Ok(())
}

/// The owner drops a recipient's stanza from a document's header (after a revocation, say).
/// The server cannot check the MAC, so it checks that exactly that stanza is gone and nothing
/// else changed; the owner's own stanzas cannot be dropped.
pub async fn remove_recipient(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    key_id: [u8; 16],
    new_header: &str,
) -> ServiceResult<()> {
    const ACTION: &str = "document.header.remove_recipient";
    actor.require(&[Role::Patient])?;
    let doc = load_visible(pool, actor, id, ACTION).await?;
    if doc.owner_patient_id != actor.id {
        insert_audit_event_now(pool, &event(actor, ACTION, Outcome::Denied, id, doc.owner_patient_id)).await?;
        return Err(ServiceError::Forbidden);
    }
    let Some(stored) = doc.header.as_deref().filter(|_| doc.deleted_at.is_none()) else {
        return Err(ServiceError::NotFound);
    };
    if my_key_ids(pool, actor.id).await?.contains(&key_id) {
        return Err(ServiceError::refused("own_key", "your own stanza cannot be removed"));
    }
    let (old, _) = Header::parse(stored)
        .map_err(|_| ServiceError::internal(anyhow::anyhow!("stored header of {id} unreadable")))?;
    let new = decode_header(new_header).ok_or_else(|| ServiceError::invalid_field("header", "not base64"))?;
    let ok = matches!(Header::parse(&new), Ok((h, len)) if len == new.len() && h.only_removes(&old, &key_id));
    if !ok {
        return Err(ServiceError::invalid_field(
            "header",
            "the stored header without that key's stanza, nothing else changed",
        ));
    }
    let change = HeaderChange { reason: HeaderReason::RemoveRecipient, actor_role: "patient", actor_id: actor.id };
    let mut tx = store::begin(pool).await?;
    if !documents::remove_stanza(&mut tx, id, stored, &new, &key_id, &change).await? {
        return Err(ServiceError::conflict("document_changed", "the document changed meanwhile; try again"));
    }
    let audit =
        event(actor, ACTION, Outcome::Ok, id, doc.owner_patient_id).details(json!({"key_id": hex::encode(key_id)}));
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    Ok(())
}

/// Loads a document for its owner only: anyone else (another patient, a hospital even with a
/// grant, any other role) gets `NotFound`, audited as a denial when the document exists.
async fn load_owned(pool: &PgPool, actor: &Actor, id: Uuid, action: &'static str) -> ServiceResult<DocumentRow> {
    let doc = documents::find_document_by_id(pool, id).await?.ok_or(ServiceError::NotFound)?;
    if actor.role != Role::Patient || doc.owner_patient_id != actor.id {
        insert_audit_event_now(pool, &event(actor, action, Outcome::Denied, id, doc.owner_patient_id)).await?;
        return Err(ServiceError::NotFound);
    }
    Ok(doc)
}

/// Every version of a document's header, newest first (its owner only). A deleted document has
/// none: crypto-shredding destroyed them with the header.
pub async fn header_versions(pool: &PgPool, actor: &Actor, id: Uuid) -> ServiceResult<Vec<HeaderVersionRow>> {
    const ACTION: &str = "document.header.list";
    let doc = load_owned(pool, actor, id, ACTION).await?;
    let versions = documents::find_header_versions(pool, id).await?;
    record_read(pool, actor, &doc, ACTION, json!({"versions": versions.len()})).await?;
    Ok(versions)
}

/// The owner makes an earlier header version current again, as a new version (reason
/// `restore`), with the stanza index rebuilt from it; returns the new version. The server cannot
/// check the MAC: the owner's device checks it before asking (`pramana document restore-header`).
/// Refusals (`version_not_found`, `version_is_current`, `document_deleted`, `document_changed`)
/// write nothing but the audit of a denied caller.
pub async fn restore_header(pool: &PgPool, actor: &Actor, id: Uuid, version: u32) -> ServiceResult<HeaderVersionRow> {
    const ACTION: &str = "document.header.restore";
    let doc = load_owned(pool, actor, id, ACTION).await?;
    let Some(current) = doc.header.as_deref().filter(|_| doc.deleted_at.is_none()) else {
        return Err(ServiceError::conflict("document_deleted", "the document was deleted, and its headers with it"));
    };
    let missing = || ServiceError::Missing {
        code: "version_not_found",
        message: format!("document {id} has no header version {version}"),
    };
    let wanted = i32::try_from(version).map_err(|_| missing())?;
    let chosen = documents::find_header_version(pool, id, wanted).await?.ok_or_else(missing)?;
    if chosen.header == current {
        return Err(ServiceError::conflict("version_is_current", "that version's header is the current header"));
    }
    // Every stored version passed the upload or change checks; one that no longer parses or
    // names another document is a broken store, not a bad request.
    let header = match Header::parse(&chosen.header) {
        Ok((h, len)) if len == chosen.header.len() && h.doc_id == *id.as_bytes() => h,
        _ => return Err(ServiceError::internal(anyhow::anyhow!("stored header version {version} of {id} unreadable"))),
    };
    let key_ids: Vec<[u8; 16]> = header.stanzas.iter().map(|s| s.key_id).collect();
    let change = HeaderChange { reason: HeaderReason::Restore, actor_role: "patient", actor_id: actor.id };
    let mut tx = store::begin(pool).await?;
    let Some(restored) = documents::restore_header(&mut tx, id, current, &chosen.header, &key_ids, &change).await?
    else {
        return Err(ServiceError::conflict("document_changed", "the document changed meanwhile; try again"));
    };
    let details = json!({"version": version, "new_version": restored.version});
    insert_audit_event(&mut tx, &event(actor, ACTION, Outcome::Ok, id, doc.owner_patient_id).details(details)).await?;
    store::commit(tx).await?;
    Ok(restored)
}

/// The key id of a registered X25519 key (hex).
pub fn key_id_of(hex_key: &str) -> Option<[u8; 16]> {
    let mut pk = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut pk).ok()?;
    Some(envelope::Recipient(pk).key_id())
}

/// The key ids of an account's registered X25519 keys.
pub async fn my_key_ids(pool: &PgPool, owner: Uuid) -> ServiceResult<Vec<[u8; 16]>> {
    let rows = keys::find_x25519_keys_by_owners(pool, &[owner]).await?;
    Ok(rows.iter().filter_map(|k| key_id_of(&k.public_key)).collect())
}

/// A header sent as base64.
pub fn decode_header(b64: &str) -> Option<Vec<u8>> {
    B64.decode(b64).ok()
}

/// The audit event for an action on document `doc_id` of patient `owner`.
fn event(actor: &Actor, action: &'static str, outcome: Outcome, doc_id: Uuid, owner: Uuid) -> AuditEvent {
    actor.event(action, outcome).patient(owner).target("document", doc_id)
}

fn not_linked() -> ServiceError {
    ServiceError::refused(
        "not_linked",
        "the patient has not linked this hospital to their record (POST /v1/links asks)",
    )
}

fn too_large(code: &'static str, message: &str) -> ServiceError {
    ServiceError::TooLarge { code, message: message.into() }
}

fn malformed(message: &str) -> ServiceError {
    ServiceError::refused("malformed_envelope", message)
}

/// Bytes received so far against the declared length.
struct Received {
    bytes: u64,
    declared: u64,
}

/// The next chunk of the body, counted against the declared length.
async fn next_chunk<S>(body: &mut S, received: &mut Received) -> ServiceResult<Option<Bytes>>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    match body.next().await {
        None => Ok(None),
        Some(Err(BodyError::Read)) => Err(ServiceError::BadBody {
            code: "body_read_failed",
            message: "the request body could not be read".into(),
        }),
        Some(Err(BodyError::Idle(idle))) => Err(ServiceError::BodyIdle(idle)),
        Some(Err(BodyError::Staging)) => {
            Err(ServiceError::internal(anyhow::anyhow!("a resumable upload's staged bytes could not be read")))
        }
        Some(Ok(bytes)) => {
            received.bytes += bytes.len() as u64;
            if received.bytes > received.declared {
                return Err(ServiceError::BadBody {
                    code: "length_mismatch",
                    message: "the body is longer than Content-Length".into(),
                });
            }
            Ok(Some(bytes))
        }
    }
}

/// Writes the payload (`first`, the part of the body read with the header, then the rest) to
/// staging; returns its length and SHA-256.
async fn stream_payload<S>(
    body: &mut S,
    received: &mut Received,
    staged: &mut Box<dyn BlobUpload>,
    first: &[u8],
) -> ServiceResult<(u64, [u8; 32])>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    let mut hasher = Sha256::new();
    let mut len = first.len() as u64;
    hasher.update(first);
    staged.write(first).await.map_err(ServiceError::internal)?;
    while let Some(bytes) = next_chunk(body, received).await? {
        hasher.update(&bytes);
        len += bytes.len() as u64;
        staged.write(&bytes).await.map_err(ServiceError::internal)?;
    }
    if received.bytes != received.declared {
        return Err(ServiceError::BadBody {
            code: "length_mismatch",
            message: "the body is shorter than Content-Length".into(),
        });
    }
    Ok((len, hasher.finalize().into()))
}
