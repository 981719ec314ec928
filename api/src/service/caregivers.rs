//! Caregivers and family (docs/caregivers.md): a patient gives another patient account proxy
//! rights over their record — reading documents of some HI types during a period, and optionally
//! denying consent requests for them. The grant is in force from creation (the caregiver reads
//! nothing until the patient's browser adds their stanzas); revoking ends it at once. The
//! caregiver acts signed in as themselves, through the grant's id; every proxy action, allowed
//! or refused, is audited under the patient with `details.proxy_account_id` naming the caregiver.
//! What needs the patient's own signature (granting, revoking a consent) a caregiver cannot do.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pramana_core::{AbhaAddress, AbhaNumber, ConsentStatus, HiType, Role};
use pramana_server::store;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::caregivers::{self, CaregiverRow, CaregiverState, NewCaregiver};
use pramana_server::store::consents::{self, ConsentRow, StanzaScope};
use pramana_server::store::credentials;
use pramana_server::store::documents::{self, DocumentRow};
use pramana_server::store::keys;
use pramana_server::webhooks::{EventType, record_consent_event};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::consents::active_key;
use super::documents::{key_id_of, my_key_ids};
use super::stanzas::{self, Change, DocumentPage, NewHeader, PageOutcome, StanzaFor};
use super::{Actor, ServiceError, ServiceResult, conflict_as};

/// Longest a grant's period may be.
const MAX_PERIOD_DAYS: i64 = 3660;
/// First and last care dates a caregiver's stanza scope spans (every document of the HI types;
/// within what Postgres's `date` holds).
fn any_date() -> (NaiveDate, NaiveDate) {
    (NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default(), NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default())
}

/// A patient's new grant, as asked.
#[derive(Debug, Clone)]
pub struct GrantInput {
    /// The caregiver's ABHA address (`name@abdm`) or ABHA number.
    pub caregiver: String,
    /// Whether they may see and deny consent requests.
    pub manage_consents: bool,
    /// HI type codes they may read.
    pub hi_types: Vec<String>,
    /// Start of the period (now if absent).
    pub valid_from: Option<DateTime<Utc>>,
    /// End of the period.
    pub valid_until: DateTime<Utc>,
}

/// The patient gives `input.caregiver` proxy rights. Refused for oneself, an unknown or
/// ambiguous account, an account without an X25519 key (nothing could be shared with it), or
/// while an earlier grant to the same account is not revoked.
pub async fn create(
    pool: &PgPool,
    actor: &Actor,
    input: GrantInput,
    now: DateTime<Utc>,
) -> ServiceResult<CaregiverRow> {
    actor.require(&[Role::Patient])?;
    let hi_types = parse_hi_types(&input.hi_types)?;
    let valid_from = input.valid_from.unwrap_or(now);
    if input.valid_until <= valid_from || input.valid_until <= now {
        return Err(ServiceError::invalid_field("valid_until", "must be in the future and after valid_from"));
    }
    if input.valid_until - valid_from > Duration::days(MAX_PERIOD_DAYS) {
        return Err(ServiceError::invalid_field("valid_until", "a period may last at most ten years"));
    }
    let caregiver_id = resolve(pool, &input.caregiver).await?;
    if caregiver_id == actor.id {
        return Err(ServiceError::refused("caregiver_self", "you cannot be your own caregiver"));
    }
    caregiver_key(pool, caregiver_id).await?;
    let id = Uuid::now_v7();
    let mut tx = store::begin(pool).await?;
    let new = NewCaregiver {
        id,
        patient_id: actor.id,
        caregiver_id,
        manage_consents: input.manage_consents,
        hi_types: &hi_types,
        valid_from,
        valid_until: input.valid_until,
    };
    caregivers::insert_caregiver(&mut tx, &new).await.map_err(conflict_as(
        "caregiver_exists",
        "this account already has caregiver rights over your record; revoke them first to change them",
    ))?;
    let codes: Vec<&str> = hi_types.iter().map(|t| t.code()).collect();
    let audit = actor.event("caregiver.grant", Outcome::Ok).patient(actor.id).target("caregiver", id).details(json!({
        "caregiver_id": caregiver_id,
        "manage_consents": input.manage_consents,
        "hi_types": codes,
        "valid_from": valid_from,
        "valid_until": input.valid_until,
    }));
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    caregivers::find_caregiver_by_id(pool, id)
        .await?
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("grant gone")))
}

/// The grants the patient made, newest first.
pub async fn list_given(pool: &PgPool, actor: &Actor) -> ServiceResult<Vec<CaregiverRow>> {
    actor.require(&[Role::Patient])?;
    Ok(caregivers::find_caregivers_by_patient(pool, actor.id).await?)
}

/// The grants made to the caller as caregiver ("people I care for"), newest first.
pub async fn list_received(pool: &PgPool, actor: &Actor) -> ServiceResult<Vec<CaregiverRow>> {
    actor.require(&[Role::Patient])?;
    Ok(caregivers::find_caregivers_by_caregiver(pool, actor.id).await?)
}

/// The patient revokes a grant: from this instant the server refuses the caregiver
/// (`proxy_revoked`). The caregiver's stanzas are then removed page by page (`stale`/`remove`).
pub async fn revoke(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<CaregiverRow> {
    actor.require(&[Role::Patient])?;
    let g = own_grant(pool, actor, id, "caregiver.revoke").await?;
    let mut tx = store::begin(pool).await?;
    if !caregivers::mark_caregiver_revoked(&mut tx, id, now).await? {
        return Err(ServiceError::conflict("caregiver_revoked", "these caregiver rights are revoked already"));
    }
    let audit = actor
        .event("caregiver.revoke", Outcome::Ok)
        .patient(actor.id)
        .target("caregiver", id)
        .details(json!({"caregiver_id": g.caregiver_id}));
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    caregivers::find_caregiver_by_id(pool, id)
        .await?
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("grant gone")))
}

/// The caregiver lists the patient's live documents the grant covers (metadata and headers; each
/// opens only with a stanza for the caregiver's key).
pub async fn documents(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<Vec<DocumentRow>> {
    let g = as_caregiver(pool, actor, id, "document.list", now).await?;
    let docs: Vec<DocumentRow> = documents::find_documents_by_owner(pool, g.patient_id)
        .await?
        .into_iter()
        .filter(|d| g.hi_types.contains(&d.hi_type))
        .collect();
    insert_audit_event_now(pool, &proxy_event(actor, &g, "document.list", Outcome::Ok).target("caregiver", g.id))
        .await?;
    Ok(docs)
}

/// The caregiver reads one of the patient's documents (`action`: `document.read_metadata` or
/// `document.download`): within the grant's HI types, or `proxy_scope`.
pub async fn document(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    document_id: Uuid,
    action: &'static str,
    now: DateTime<Utc>,
) -> ServiceResult<DocumentRow> {
    let g = as_caregiver(pool, actor, id, action, now).await?;
    let doc = documents::find_document_by_id(pool, document_id).await?;
    let Some(doc) = doc.filter(|d| d.owner_patient_id == g.patient_id && d.deleted_at.is_none()) else {
        let e = proxy_event(actor, &g, action, Outcome::Denied).target("document", document_id);
        insert_audit_event_now(pool, &e).await?;
        return Err(ServiceError::NotFound);
    };
    let e = |outcome| proxy_event(actor, &g, action, outcome).target("document", doc.id);
    if !g.hi_types.contains(&doc.hi_type) {
        insert_audit_event_now(pool, &e(Outcome::Denied)).await?;
        return Err(proxy_scope("this document's health-information type is outside the rights you were given"));
    }
    insert_audit_event_now(pool, &e(Outcome::Ok)).await?;
    Ok(doc)
}

/// The caregiver lists the patient's consents (requests, grants): only with `manage_consents`.
pub async fn consents(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<Vec<ConsentRow>> {
    let g = as_consent_manager(pool, actor, id, "consent.list", now).await?;
    let rows = consents::find_consents_by_party(pool, Some(g.patient_id), None).await?;
    insert_audit_event_now(pool, &proxy_event(actor, &g, "consent.list", Outcome::Ok).target("caregiver", g.id))
        .await?;
    Ok(rows)
}

/// The caregiver denies one of the patient's open consent requests for them (off chain: a
/// denial needs no signature). Only with `manage_consents`.
pub async fn consent_deny(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    consent_id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<ConsentRow> {
    let g = as_consent_manager(pool, actor, id, "consent.deny", now).await?;
    let c = patient_consent(pool, actor, &g, consent_id, "consent.deny").await?;
    let refused = || ServiceError::conflict("invalid_transition", "only an open, unexpired request can be denied");
    if !c.status_at(now).can_become(ConsentStatus::Denied) {
        return Err(refused());
    }
    let mut tx = store::begin(pool).await?;
    if !consents::mark_consent_denied(&mut tx, c.id).await? {
        return Err(refused());
    }
    record_consent_event(&mut tx, c.id, EventType::Denied, now).await?;
    let audit = proxy_event(actor, &g, "consent.deny", Outcome::Ok).target("consent", c.id);
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    consents::find_consent_by_id(pool, c.id).await?.ok_or(ServiceError::NotFound)
}

/// A caregiver asks to grant or revoke one of the patient's consents (`action`: `consent.grant`
/// or `consent.revoke`): the contract accepts only the patient's own EIP-712 signature, so this
/// is always refused (`patient_signature_required`), audited, after the grant's own checks.
pub async fn consent_sign(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    consent_id: Uuid,
    action: &'static str,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let g = as_consent_manager(pool, actor, id, action, now).await?;
    let c = patient_consent(pool, actor, &g, consent_id, action).await?;
    insert_audit_event_now(pool, &proxy_event(actor, &g, action, Outcome::Denied).target("consent", c.id)).await?;
    Err(ServiceError::Denied {
        code: "patient_signature_required",
        message: "granting or revoking a consent needs the patient's own signature; ask them to do it".into(),
    })
}

/// The patient's live documents in the grant's HI types still lacking the caregiver's stanza,
/// a page after `after` (the grant must be in force).
pub async fn stanzas_pending(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
    limit: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<DocumentPage> {
    let limit = stanzas::list_limit(limit)?;
    let (g, key_id) = in_force(pool, actor, id, now).await?;
    let scope = scope_of(&g, &key_id);
    let docs = consents::find_documents_lacking_stanza(pool, &scope, after, limit).await?;
    let (total, remaining) = consents::count_documents_lacking_stanza(pool, &scope).await?;
    Ok(stanzas::page(docs, limit, total, remaining))
}

/// Adds the caregiver's stanza to a page of documents the grant covers, in one transaction.
pub async fn stanzas_add(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    headers: Vec<NewHeader>,
    now: DateTime<Utc>,
) -> ServiceResult<PageOutcome> {
    let (g, key_id) = in_force(pool, actor, id, now).await?;
    let changes = stanzas::parse_page(headers)?;
    let scope = scope_of(&g, &key_id);
    let mut out = stanzas::apply(pool, actor, &for_caregiver(&g), &scope, Change::Add, changes).await?;
    out.remaining = consents::count_documents_lacking_stanza(pool, &scope).await?.1;
    Ok(out)
}

/// The patient's live documents still carrying the caregiver's stanza once the grant was revoked
/// or ended, a page after `after`.
pub async fn stanzas_stale(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    after: Option<Uuid>,
    limit: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<DocumentPage> {
    let limit = stanzas::list_limit(limit)?;
    let (g, key_id) = ended(pool, actor, id, now).await?;
    let docs = consents::find_documents_carrying_key(pool, g.patient_id, &key_id, after, limit).await?;
    let remaining = consents::count_documents_carrying_key(pool, g.patient_id, &key_id).await?;
    Ok(stanzas::page(docs, limit, remaining, remaining))
}

/// Removes the caregiver's stanza from a page of the patient's documents once the grant was
/// revoked or ended, in one transaction.
pub async fn stanzas_remove(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    headers: Vec<NewHeader>,
    now: DateTime<Utc>,
) -> ServiceResult<PageOutcome> {
    let (g, key_id) = ended(pool, actor, id, now).await?;
    let changes = stanzas::parse_page(headers)?;
    let (date_from, date_to) = any_date();
    let scope = StanzaScope { patient_id: g.patient_id, hi_types: &[], date_from, date_to, key_id: &key_id };
    let mut out = stanzas::apply(pool, actor, &for_caregiver(&g), &scope, Change::Remove, changes).await?;
    out.remaining = consents::count_documents_carrying_key(pool, g.patient_id, &key_id).await?;
    Ok(out)
}

/// 403 `proxy_scope`.
fn proxy_scope(message: &str) -> ServiceError {
    ServiceError::Denied { code: "proxy_scope", message: message.to_owned() }
}

/// An audit event for a caregiver's action on the patient's record: under the patient, naming
/// the caregiver in `details.proxy_account_id` (the actor is the caregiver's own account).
fn proxy_event(actor: &Actor, g: &CaregiverRow, action: &'static str, outcome: Outcome) -> AuditEvent {
    actor
        .event(action, outcome)
        .patient(g.patient_id)
        .details(json!({"proxy_account_id": g.caregiver_id, "caregiver_grant_id": g.id}))
}

/// The grant, acted on by its caregiver, in force at `now`: anyone else gets `NotFound` (audited
/// under the patient when the grant exists), a revoked grant `proxy_revoked`, one outside its
/// period `proxy_expired` (both 403, audited).
async fn as_caregiver(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    action: &'static str,
    now: DateTime<Utc>,
) -> ServiceResult<CaregiverRow> {
    actor.require(&[Role::Patient])?;
    let g = caregivers::find_caregiver_by_id(pool, id).await?.ok_or(ServiceError::NotFound)?;
    if g.caregiver_id != actor.id {
        let e = actor.event(action, Outcome::Denied).patient(g.patient_id).target("caregiver", g.id);
        insert_audit_event_now(pool, &e).await?;
        return Err(ServiceError::NotFound);
    }
    let refusal = match g.state_at(now) {
        CaregiverState::Active => return Ok(g),
        CaregiverState::Revoked => {
            ServiceError::Denied { code: "proxy_revoked", message: "the patient revoked your caregiver rights".into() }
        }
        CaregiverState::Expired | CaregiverState::NotYet => ServiceError::Denied {
            code: "proxy_expired",
            message: "your caregiver rights are not in force now (outside the period the patient gave)".into(),
        },
    };
    insert_audit_event_now(pool, &proxy_event(actor, &g, action, Outcome::Denied).target("caregiver", g.id)).await?;
    Err(refusal)
}

/// As [`as_caregiver`], and the grant lets the caregiver manage consents (else `proxy_scope`).
async fn as_consent_manager(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    action: &'static str,
    now: DateTime<Utc>,
) -> ServiceResult<CaregiverRow> {
    let g = as_caregiver(pool, actor, id, action, now).await?;
    if !g.manage_consents {
        insert_audit_event_now(pool, &proxy_event(actor, &g, action, Outcome::Denied).target("caregiver", g.id))
            .await?;
        return Err(proxy_scope("your caregiver rights do not include managing consents"));
    }
    Ok(g)
}

/// One of the grant's patient's consents (else `NotFound`, audited).
async fn patient_consent(
    pool: &PgPool,
    actor: &Actor,
    g: &CaregiverRow,
    consent_id: Uuid,
    action: &'static str,
) -> ServiceResult<ConsentRow> {
    match consents::find_consent_by_id(pool, consent_id).await? {
        Some(c) if c.patient_id == g.patient_id => Ok(c),
        _ => {
            let e = proxy_event(actor, g, action, Outcome::Denied).target("consent", consent_id);
            insert_audit_event_now(pool, &e).await?;
            Err(ServiceError::NotFound)
        }
    }
}

/// The patient's own grant (else `NotFound`, audited when it exists).
async fn own_grant(pool: &PgPool, actor: &Actor, id: Uuid, action: &'static str) -> ServiceResult<CaregiverRow> {
    let g = caregivers::find_caregiver_by_id(pool, id).await?.ok_or(ServiceError::NotFound)?;
    if g.patient_id != actor.id {
        let e = actor.event(action, Outcome::Denied).patient(g.patient_id).target("caregiver", g.id);
        insert_audit_event_now(pool, &e).await?;
        return Err(ServiceError::NotFound);
    }
    Ok(g)
}

/// The patient's grant in force, with the caregiver's current key id: stanzas are added only then.
async fn in_force(
    pool: &PgPool,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> ServiceResult<(CaregiverRow, [u8; 16])> {
    actor.require(&[Role::Patient])?;
    let g = own_grant(pool, actor, id, "caregiver.stanzas").await?;
    if g.state_at(now) != CaregiverState::Active {
        return Err(ServiceError::conflict(
            "invalid_transition",
            "stanzas are added only while the caregiver's rights are in force",
        ));
    }
    let key_id = caregiver_key(pool, g.caregiver_id).await?;
    Ok((g, key_id))
}

/// The patient's grant revoked or ended, with no other grant to the same caregiver in force,
/// and the caregiver's key (never one of the patient's own): stanzas are removed only then.
async fn ended(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<(CaregiverRow, [u8; 16])> {
    actor.require(&[Role::Patient])?;
    let g = own_grant(pool, actor, id, "caregiver.stanzas").await?;
    match g.state_at(now) {
        CaregiverState::Revoked | CaregiverState::Expired => {}
        CaregiverState::Active | CaregiverState::NotYet => {
            return Err(ServiceError::conflict(
                "grant_in_force",
                "revoke the caregiver's rights before removing their stanzas",
            ));
        }
    }
    if caregivers::has_active_caregiver(pool, g.patient_id, g.caregiver_id, now).await? {
        return Err(ServiceError::conflict(
            "grant_in_force",
            "this caregiver holds other rights in force over your record; their stanzas stay",
        ));
    }
    let key_id = caregiver_key(pool, g.caregiver_id).await?;
    if my_key_ids(pool, g.patient_id).await?.contains(&key_id) {
        return Err(ServiceError::refused("own_key", "your own stanza cannot be removed"));
    }
    Ok((g, key_id))
}

/// The caregiver's current X25519 key id, or `no_caregiver_key`.
async fn caregiver_key(pool: &PgPool, caregiver_id: Uuid) -> ServiceResult<[u8; 16]> {
    let rows = keys::find_keys_by_owner(pool, caregiver_id).await?;
    active_key(&rows, "x25519").and_then(key_id_of).ok_or_else(|| {
        ServiceError::refused(
            "no_caregiver_key",
            "that account has no encryption key yet; ask them to create one first",
        )
    })
}

/// The caregiver's stanza scope: every live document of the grant's HI types.
fn scope_of<'a>(g: &'a CaregiverRow, key_id: &'a [u8; 16]) -> StanzaScope<'a> {
    let (date_from, date_to) = any_date();
    StanzaScope { patient_id: g.patient_id, hi_types: &g.hi_types, date_from, date_to, key_id }
}

/// A grant's caregiver as a stanza holder.
fn for_caregiver(g: &CaregiverRow) -> StanzaFor {
    let mut details = serde_json::Map::new();
    details.insert("caregiver_id".into(), json!(g.caregiver_id));
    StanzaFor {
        holder_role: "patient",
        holder_id: g.caregiver_id,
        holder_word: "caregiver",
        target: ("caregiver", g.id),
        actions: ("caregiver.stanzas.add", "caregiver.stanzas.remove"),
        details,
    }
}

/// HI type codes, 1 to 7, each once.
fn parse_hi_types(codes: &[String]) -> ServiceResult<Vec<HiType>> {
    let mut out: Vec<HiType> = Vec::new();
    for c in codes {
        let t = HiType::parse(c).map_err(ServiceError::invalid("hi_types"))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(ServiceError::invalid_field("hi_types", "name at least one health-information type"));
    }
    Ok(out)
}

/// The patient account an ABHA address or number names: an address the account it signs in to;
/// a number its verified account, else its one account (`caregiver_ambiguous` when several
/// unverified accounts claim it); none is `caregiver_not_found`.
async fn resolve(pool: &PgPool, who: &str) -> ServiceResult<Uuid> {
    let not_found = || ServiceError::Missing {
        code: "caregiver_not_found",
        message: "no patient account has that ABHA address or number".into(),
    };
    let who = who.trim();
    if who.contains('@') {
        let address = AbhaAddress::parse(who).map_err(ServiceError::invalid("caregiver"))?;
        let found = credentials::find_patient_credential_by_address(pool, address.as_str()).await?;
        return found.map(|(c, _)| c.subject_id).ok_or_else(not_found);
    }
    let number = AbhaNumber::parse(who).map_err(ServiceError::invalid("caregiver"))?;
    let accounts = caregivers::find_accounts_by_abha(pool, number.as_digits()).await?;
    match accounts.as_slice() {
        [] => Err(not_found()),
        [(id, true), ..] | [(id, false)] => Ok(*id),
        _ => Err(ServiceError::refused(
            "caregiver_ambiguous",
            "several accounts claim that ABHA number; name the caregiver by their ABHA address",
        )),
    }
}
