//! The header changes a consent calls for, page by page: once a grant is recorded, every live
//! document in its scope needs a stanza for the hospital's current X25519 key; once it is revoked
//! (or has ended), the patient's headers should lose that stanza. The patient's device makes each
//! new header (the server holds no data key); the server lists what is left to do and applies
//! pages of new headers, each page in one transaction.
//!
//! A grant records no header itself, so its size does not grow with the record: the client lists
//! the documents still lacking the stanza (`pending`), adds them a page at a time (`add`), and
//! resumes by listing again. Documents the hospital already holds a stanza for (it uploaded them,
//! or an earlier page gave it one) are not listed and, if sent, are skipped; a document whose
//! header changed since it was listed is reported, not fatal; a header that does anything but add
//! (or remove) the one stanza fails its whole page, which then changes nothing.

use chrono::{DateTime, Utc};
use pramana_core::envelope::Header;
use pramana_core::{ConsentStatus, Role};
use pramana_server::store;
use pramana_server::store::audit::{Outcome, insert_audit_event};
use pramana_server::store::consents::{self, ConsentRow, StanzaScope};
use pramana_server::store::documents::{self, HeaderChange, HeaderReason};
use pramana_server::store::keys;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::consents::{active_key, load_party};
use super::documents::{decode_header, key_id_of, my_key_ids};
use super::{Actor, ServiceError, ServiceResult};

/// Most documents one page of new headers may carry (the JSON body limit is the other bound:
/// a client sends fewer when its headers are large).
pub const MAX_CHANGES: usize = 100;
/// Most documents one listing returns.
pub const MAX_LIST: i64 = 500;
/// Documents one listing returns unless asked otherwise.
pub const DEFAULT_LIST: i64 = 100;

/// A page of documents whose header still needs the change.
#[derive(Debug, Clone)]
pub struct DocumentPage {
    /// Document ids with their headers as stored now, in id order.
    pub documents: Vec<(Uuid, Vec<u8>)>,
    /// The last id, when there may be more.
    pub next_after: Option<Uuid>,
    /// Documents the change concerns in all.
    pub total: i64,
    /// Documents still waiting for it.
    pub remaining: i64,
}

/// One document's new header, as sent.
#[derive(Debug, Clone)]
pub struct NewHeader {
    /// The document.
    pub document_id: Uuid,
    /// SHA-256 (hex) of the header it was built from.
    pub base_sha256: String,
    /// The new header (base64).
    pub header: String,
}

/// What a page of new headers did.
#[derive(Debug, Clone, Default)]
pub struct PageOutcome {
    /// Headers changed.
    pub changed: Vec<Uuid>,
    /// Already as asked; nothing written.
    pub already_done: Vec<Uuid>,
    /// Changed since listed, deleted or out of scope; nothing written.
    pub changed_meanwhile: Vec<Uuid>,
    /// Documents still waiting after this page.
    pub remaining: i64,
}

/// Whose stanza a page adds or removes, and how the audit log records the page.
#[derive(Debug, Clone)]
pub(crate) struct StanzaFor {
    /// `hospital`, or `patient` for a caregiver (another patient account).
    pub holder_role: &'static str,
    /// The hospital or the caregiver.
    pub holder_id: Uuid,
    /// "hospital" or "caregiver", for refusals.
    pub holder_word: &'static str,
    /// The audit entry's target: the consent or the caregiver grant.
    pub target: (&'static str, Uuid),
    /// The audit actions for adding and for removing.
    pub actions: (&'static str, &'static str),
    /// The audit entry's details, before the page's counts.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// A consent's hospital.
fn for_hospital(c: &ConsentRow) -> StanzaFor {
    let mut details = serde_json::Map::new();
    details.insert("hospital_id".into(), json!(c.hospital_id));
    StanzaFor {
        holder_role: "hospital",
        holder_id: c.hospital_id,
        holder_word: "hospital",
        target: ("consent", c.id),
        actions: ("consent.stanzas.add", "consent.stanzas.remove"),
        details,
    }
}

/// Which change a page makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// A stanza for the hospital's key is added (after a grant).
    Add,
    /// The hospital's stanza is removed (after a revocation).
    Remove,
}

/// The live documents in a granted consent's scope that still lack the hospital's stanza, a page
/// after `after`: what the patient's device adds a stanza to (the consent must be granted and
/// unexpired).
pub async fn pending(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
    limit: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<DocumentPage> {
    let limit = list_limit(limit)?;
    let (c, key_id) = granted(pool, actor, id, now).await?;
    let scope = scope_of(&c, &key_id);
    let documents = consents::find_documents_lacking_stanza(pool, &scope, after, limit).await?;
    let (total, remaining) = consents::count_documents_lacking_stanza(pool, &scope).await?;
    Ok(page(documents, limit, total, remaining))
}

/// Adds the hospital's stanza to a page of documents of a granted, unexpired consent, in one
/// transaction: each new header must be its base plus one stanza for the hospital's current key.
pub async fn add(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    headers: Vec<NewHeader>,
    now: DateTime<Utc>,
) -> ServiceResult<PageOutcome> {
    // The consent first: a page for one the caller cannot see is a 404 whatever it holds.
    let (c, key_id) = granted(pool, actor, id, now).await?;
    let changes = parse_page(headers)?;
    let scope = scope_of(&c, &key_id);
    let mut out = apply(pool, actor, &for_hospital(&c), &scope, Change::Add, changes).await?;
    out.remaining = consents::count_documents_lacking_stanza(pool, &scope).await?.1;
    Ok(out)
}

/// The patient's live documents whose header still carries the hospital's stanza once its
/// consent has been revoked or has ended, a page after `after`: what the patient's device takes
/// the stanza out of.
pub async fn stale(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
    limit: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<DocumentPage> {
    let limit = list_limit(limit)?;
    let (c, key_id) = ended(pool, actor, id, now).await?;
    let documents = consents::find_documents_carrying_key(pool, c.patient_id, &key_id, after, limit).await?;
    let remaining = consents::count_documents_carrying_key(pool, c.patient_id, &key_id).await?;
    Ok(page(documents, limit, remaining, remaining))
}

/// Removes the hospital's stanza from a page of the patient's documents once its consent has
/// been revoked or has ended, in one transaction: each new header must be its base without the
/// hospital's stanza, nothing else changed.
pub async fn remove(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    headers: Vec<NewHeader>,
    now: DateTime<Utc>,
) -> ServiceResult<PageOutcome> {
    let (c, key_id) = ended(pool, actor, id, now).await?;
    let changes = parse_page(headers)?;
    // Every live document of the patient's (no HI types: `lock_documents` then skips the scope).
    let scope = StanzaScope {
        patient_id: c.patient_id,
        hi_types: &[],
        date_from: c.date_from,
        date_to: c.date_to,
        key_id: &key_id,
    };
    let mut out = apply(pool, actor, &for_hospital(&c), &scope, Change::Remove, changes).await?;
    out.remaining = consents::count_documents_carrying_key(pool, c.patient_id, &key_id).await?;
    Ok(out)
}

/// A checked new header: the document, the base's SHA-256, the parsed header and its bytes.
pub(crate) struct Parsed {
    document_id: Uuid,
    base_sha256: [u8; 32],
    header: Header,
    bytes: Vec<u8>,
}

/// Checks a page's shape before any document is read: 1 to `MAX_CHANGES` documents, each once, each
/// header a well-formed envelope header of exactly its length.
pub(crate) fn parse_page(headers: Vec<NewHeader>) -> ServiceResult<Vec<Parsed>> {
    let bad = |m: String| ServiceError::invalid_field("headers", m);
    if headers.is_empty() || headers.len() > MAX_CHANGES {
        return Err(bad(format!("1 to {MAX_CHANGES} documents per page")));
    }
    let mut out: Vec<Parsed> = Vec::with_capacity(headers.len());
    for h in headers {
        let doc = h.document_id;
        if out.iter().any(|p| p.document_id == doc) {
            return Err(bad(format!("document {doc} is listed twice")));
        }
        let mut base_sha256 = [0u8; 32];
        hex::decode_to_slice(h.base_sha256.trim(), &mut base_sha256)
            .map_err(|_| bad(format!("document {doc}: base_sha256 must be 64 hex digits")))?;
        let bytes = decode_header(&h.header).ok_or_else(|| bad(format!("document {doc}: not base64")))?;
        let header = match Header::parse(&bytes) {
            Ok((header, len)) if len == bytes.len() => header,
            _ => return Err(bad(format!("document {doc}: not an envelope header"))),
        };
        out.push(Parsed { document_id: doc, base_sha256, header, bytes });
    }
    Ok(out)
}

/// Applies a checked page in one transaction; any header that is not exactly the change refuses
/// the whole page (nothing written).
pub(crate) async fn apply(
    pool: &PgPool,
    actor: &Actor,
    to: &StanzaFor,
    scope: &StanzaScope<'_>,
    change: Change,
    page: Vec<Parsed>,
) -> ServiceResult<PageOutcome> {
    let key_id = scope.key_id;
    let ids: Vec<Uuid> = page.iter().map(|p| p.document_id).collect();
    let mut tx = store::begin(pool).await?;
    let locked = consents::lock_documents(&mut tx, scope, &ids).await?;
    let mut out = PageOutcome::default();
    let who = HeaderChange {
        reason: match change {
            Change::Add => HeaderReason::Grant,
            Change::Remove => HeaderReason::RemoveRecipient,
        },
        actor_role: "patient",
        actor_id: actor.id,
    };
    for p in page {
        let doc = p.document_id;
        let Some(stored) = locked.iter().find(|d| d.id == doc) else {
            // Deleted, out of scope, or not the patient's: nothing to do, and nothing said.
            out.changed_meanwhile.push(doc);
            continue;
        };
        if change == Change::Add && stored.indexed {
            out.already_done.push(doc);
            continue;
        }
        if Sha256::digest(&stored.header).as_slice() != p.base_sha256.as_slice() {
            out.changed_meanwhile.push(doc);
            continue;
        }
        let (old, _) = Header::parse(&stored.header)
            .map_err(|_| ServiceError::internal(anyhow::anyhow!("stored header of {doc} unreadable")))?;
        let holds = old.stanza(key_id).is_some();
        let refused = |what: &str| ServiceError::invalid_field("headers", format!("document {doc}: {what}"));
        match change {
            Change::Add if p.bytes == stored.header && holds => {
                // The stored header carries the stanza already (one left from an earlier grant):
                // record it as held, write no new version.
                documents::index_stanza(&mut tx, doc, key_id, to.holder_role, to.holder_id).await?;
                out.already_done.push(doc);
            }
            Change::Add if !holds && p.header.only_adds(&old, key_id) => {
                if documents::swap_header(&mut tx, doc, &stored.header, &p.bytes, &who).await? {
                    documents::index_stanza(&mut tx, doc, key_id, to.holder_role, to.holder_id).await?;
                    out.changed.push(doc);
                } else {
                    out.changed_meanwhile.push(doc);
                }
            }
            Change::Add => {
                return Err(refused(&format!(
                    "the listed header plus one stanza for the {}'s current key, nothing else",
                    to.holder_word
                )));
            }
            Change::Remove if !holds => out.already_done.push(doc),
            Change::Remove if p.header.only_removes(&old, key_id) => {
                if documents::remove_stanza(&mut tx, doc, &stored.header, &p.bytes, key_id, &who).await? {
                    out.changed.push(doc);
                } else {
                    out.changed_meanwhile.push(doc);
                }
            }
            Change::Remove => {
                return Err(refused(&format!(
                    "the listed header without the {}'s stanza, nothing else changed",
                    to.holder_word
                )));
            }
        }
    }
    let action = match change {
        Change::Add => to.actions.0,
        Change::Remove => to.actions.1,
    };
    let mut details = to.details.clone();
    details.insert("key_id".into(), json!(hex::encode(key_id)));
    details.insert("changed".into(), json!(out.changed.len()));
    details.insert("already_done".into(), json!(out.already_done.len()));
    details.insert("changed_meanwhile".into(), json!(out.changed_meanwhile.len()));
    let audit = actor
        .event(action, Outcome::Ok)
        .patient(scope.patient_id)
        .target(to.target.0, to.target.1)
        .details(serde_json::Value::Object(details));
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// A page of listed documents.
pub(crate) fn page(documents: Vec<(Uuid, Vec<u8>)>, limit: i64, total: i64, remaining: i64) -> DocumentPage {
    let next_after = (documents.len() as i64 == limit).then(|| documents.last().map(|d| d.0)).flatten();
    DocumentPage { documents, next_after, total, remaining }
}

/// A listing's page size, checked.
pub(crate) fn list_limit(limit: Option<i64>) -> ServiceResult<i64> {
    let limit = limit.unwrap_or(DEFAULT_LIST);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(ServiceError::invalid_field("limit", format!("must be between 1 and {MAX_LIST}")));
    }
    Ok(limit)
}

/// The grant's scope for the hospital's key.
fn scope_of<'a>(c: &'a ConsentRow, key_id: &'a [u8; 16]) -> StanzaScope<'a> {
    StanzaScope { patient_id: c.patient_id, hi_types: &c.hi_types, date_from: c.date_from, date_to: c.date_to, key_id }
}

/// The patient's own consent and the hospital's current X25519 key id.
async fn consent_and_key(pool: &PgPool, actor: &Actor, id: Uuid) -> ServiceResult<(ConsentRow, [u8; 16])> {
    actor.require(&[Role::Patient])?;
    let c = load_party(pool, actor, id, "consent.read").await?;
    let hospital_keys = keys::find_keys_by_owner(pool, c.hospital_id).await?;
    let key_id = active_key(&hospital_keys, "x25519")
        .and_then(key_id_of)
        .ok_or_else(|| ServiceError::refused("no_hospital_key", "the hospital has no registered X25519 key"))?;
    Ok((c, key_id))
}

/// A consent granted and unexpired, with the hospital's key: stanzas are added only then.
async fn granted(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<(ConsentRow, [u8; 16])> {
    let (c, key_id) = consent_and_key(pool, actor, id).await?;
    if c.status_at(now) != ConsentStatus::Granted {
        return Err(ServiceError::conflict(
            "invalid_transition",
            "stanzas are added only while the consent is granted and unexpired",
        ));
    }
    Ok((c, key_id))
}

/// A consent revoked or ended, with no other grant to the hospital in force, and the hospital's
/// key (never one of the patient's own): stanzas are removed only then.
async fn ended(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<(ConsentRow, [u8; 16])> {
    let (c, key_id) = consent_and_key(pool, actor, id).await?;
    // Ended: revoked, or expired after a grant (a request that lapsed granted nothing).
    match c.status_at(now) {
        ConsentStatus::Revoked | ConsentStatus::Expired if c.patient_address.is_some() => {}
        ConsentStatus::Granted => {
            return Err(ServiceError::conflict("grant_in_force", "revoke the grant before removing its stanzas"));
        }
        _ => {
            return Err(ServiceError::conflict(
                "invalid_transition",
                "stanzas are removed only after a grant was revoked or ended",
            ));
        }
    }
    if consents::has_active_grant(pool, c.patient_id, c.hospital_id).await? {
        return Err(ServiceError::conflict(
            "grant_in_force",
            "the hospital holds another grant in force from this patient; its stanzas stay",
        ));
    }
    if my_key_ids(pool, c.patient_id).await?.contains(&key_id) {
        return Err(ServiceError::refused("own_key", "your own stanza cannot be removed"));
    }
    Ok((c, key_id))
}
