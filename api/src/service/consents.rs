//! The consent lifecycle: a hospital requests; the patient denies, or grants with a signature the
//! contract will accept (the hospital's stanzas on the documents in scope follow, page by page,
//! in `stanzas`, or come with a small record's grant); the patient
//! revokes, or signs again a message the chain refused for good. Which transitions are allowed
//! is `ConsentStatus::can_become` (core), applied to the status as of now
//! (`ConsentRow::status_at`); the store's conditional updates make the same check under
//! concurrency.

use alloy::primitives::{Address, B256};
use alloy::sol_types::Eip712Domain;
use chrono::{DateTime, NaiveDate, Utc};
use pramana_core::chain::eip712::{
    Grant, MAX_CHAIN_TIME, MAX_NONCE, Revoke, SignatureError, SignedGrant, SignedRevoke,
};
use pramana_core::consent::chain_consent_id;
use pramana_core::envelope::Header;
use pramana_core::{AbhaNumber, AccessMode, ConsentStatus, EthAddress, HiType, Purpose, Role};
use pramana_server::notifications::{Kind, notify};
use pramana_server::store;
use pramana_server::store::abha;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event, insert_audit_event_now};
use pramana_server::store::consents::{self, ConsentRow, GrantRecord, Signed};
use pramana_server::store::keys::{self, KeyRow};
use pramana_server::store::relay::{self, EventKind};
use pramana_server::webhooks::{EventType, record_consent_event};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, ServiceError, ServiceResult, conflict_as};

/// Longest a request may stay open for the patient to answer.
const MAX_REQUEST_DAYS: i64 = 30;
/// Most HI types in one artefact (there are seven).
const MAX_HI_TYPES: usize = 7;
/// The fetch-frequency units ABDM defines.
const FREQUENCY_UNITS: [&str; 5] = ["HOUR", "DAY", "WEEK", "MONTH", "YEAR"];

/// A hospital's request, parsed.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// The patient, by ABHA number.
    pub patient_abha: AbhaNumber,
    /// Purpose of use.
    pub purpose: Purpose,
    /// HI types in scope (one to seven, no repeats).
    pub hi_types: Vec<HiType>,
    /// Access mode.
    pub access_mode: AccessMode,
    /// Care dates in scope.
    pub date_from: NaiveDate,
    /// Last care date in scope.
    pub date_to: NaiveDate,
    /// When a grant would end.
    pub data_erase_at: DateTime<Utc>,
    /// Fetch frequency unit.
    pub frequency_unit: String,
    /// Fetches per unit.
    pub frequency_value: i32,
    /// Repeats.
    pub frequency_repeats: i32,
    /// When the request lapses.
    pub expires_at: DateTime<Utc>,
}

/// A patient's grant, parsed: optionally narrower than the request.
#[derive(Debug, Clone)]
pub struct GrantInput {
    /// HI types granted; all requested when `None`.
    pub hi_types: Option<Vec<HiType>>,
    /// Care dates granted; the requested range when `None`.
    pub date_range: Option<(NaiveDate, NaiveDate)>,
    /// When the grant ends; the requested `data_erase_at` when `None`.
    pub data_erase_at: Option<DateTime<Utc>>,
    /// A patient-signed message's nonce, deadline and signature.
    pub signed: SignedFields,
    /// Validity start signed (Unix seconds).
    pub valid_from: u64,
    /// Empty (the stanzas follow page by page, `service::stanzas`), or for each live document
    /// in scope that lacks the hospital's stanza: its new header (the stored one plus the
    /// hospital's stanza), undecoded.
    pub headers: Vec<(Uuid, String)>,
}

/// What every patient-signed message carries beside its content.
#[derive(Debug, Clone, Copy)]
pub struct SignedFields {
    /// The patient's contract nonce.
    pub nonce: u64,
    /// Signature deadline (Unix seconds).
    pub deadline: u64,
    /// EIP-2098 compact signature.
    pub signature: [u8; 64],
}

/// What a consent or link request for a number no verified account holds is told: the same
/// whether nobody, or only unverified accounts, claim it.
pub const NO_VERIFIED_PATIENT: &str = "no patient holds this ABHA number verified (a number counts once verified in person at a hospital or through ABDM)";

/// A hospital asks a patient for consent (one open artefact per hospital and patient).
pub async fn request(pool: &PgPool, actor: &Actor, req: NewRequest, now: DateTime<Utc>) -> ServiceResult<ConsentRow> {
    actor.require(&[Role::Hospital])?;
    // Everything that needs no database first.
    let mut row = check_request(&req, actor.id, now)?;
    row.patient_id = abha::find_verified_patient_id(pool, req.patient_abha.as_digits())
        .await?
        .ok_or_else(|| ServiceError::invalid_field("patient_abha_number", NO_VERIFIED_PATIENT))?;
    let mut tx = store::begin(pool).await?;
    consents::mark_open_consent_expired(&mut tx, row.patient_id, actor.id).await?;
    consents::insert_consent(&mut tx, &row).await.map_err(conflict_as(
        "consent_exists",
        "this hospital already has an open consent artefact with this patient",
    ))?;
    insert_audit_event(&mut tx, &event(actor, "consent.request", Outcome::Ok, &row)).await?;
    let hospital = store::notifications::find_hospital_name(&mut *tx, actor.id).await?;
    notify(&mut tx, row.patient_id, Kind::ConsentRequested, Some(row.id), hospital.as_deref(), now).await?;
    store::commit(tx).await?;
    Ok(row)
}

/// Loads an artefact the caller is a party to; anyone else gets `NotFound` (and an audited
/// denial).
pub async fn load_party(pool: &PgPool, actor: &Actor, id: Uuid, action: &'static str) -> ServiceResult<ConsentRow> {
    let c = consents::find_consent_by_id(pool, id).await?.ok_or(ServiceError::NotFound)?;
    let party = match actor.role {
        Role::Patient => c.patient_id == actor.id,
        Role::Hospital => c.hospital_id == actor.id,
        Role::Auditor | Role::Admin => false,
    };
    if !party {
        insert_audit_event_now(pool, &event(actor, action, Outcome::Denied, &c)).await?;
        return Err(ServiceError::NotFound);
    }
    Ok(c)
}

/// The patient refuses a request that is still open.
pub async fn deny(pool: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let c = load_party(pool, actor, id, "consent.deny").await?;
    let refused = || ServiceError::conflict("invalid_transition", "only an open, unexpired request can be denied");
    if !c.status_at(now).can_become(ConsentStatus::Denied) {
        return Err(refused());
    }
    let mut tx = store::begin(pool).await?;
    if !consents::mark_consent_denied(&mut tx, c.id).await? {
        return Err(refused());
    }
    record_consent_event(&mut tx, c.id, EventType::Denied, now).await?;
    insert_audit_event(&mut tx, &event(actor, "consent.deny", Outcome::Ok, &c)).await?;
    store::commit(tx).await?;
    Ok(())
}

/// The patient grants an open request, with a signature the contract will accept; with headers,
/// it also adds the hospital's stanza to every live document in the granted scope that lacks it
/// (a small record, in one request), else the stanzas follow page by page (`service::stanzas`).
pub async fn grant(
    pool: &PgPool,
    domain: Option<&Eip712Domain>,
    actor: &Actor,
    id: Uuid,
    input: GrantInput,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let c = load_party(pool, actor, id, "consent.grant").await?;
    let refused = || ServiceError::conflict("invalid_transition", "only an open, unexpired request can be granted");
    if !c.status_at(now).can_become(ConsentStatus::Granted) {
        return Err(refused());
    }
    // Narrowing: never wider than requested.
    let hi_types = match input.hi_types {
        None => c.hi_types.clone(),
        Some(list) => {
            let not_subset = || ServiceError::invalid_field("hi_types", "a non-empty subset of the requested HI types");
            let mut out: Vec<HiType> = Vec::with_capacity(list.len());
            for t in list {
                if !c.hi_types.contains(&t) || out.contains(&t) {
                    return Err(not_subset());
                }
                out.push(t);
            }
            if out.is_empty() {
                return Err(not_subset());
            }
            out.sort();
            out
        }
    };
    let (date_from, date_to) = input.date_range.unwrap_or((c.date_from, c.date_to));
    if date_from > date_to || date_from < c.date_from || date_to > c.date_to {
        return Err(ServiceError::invalid_field("date_range", "inside the requested range, from not after to"));
    }
    let data_erase_at = input.data_erase_at.unwrap_or(c.data_erase_at);
    if data_erase_at > c.data_erase_at || data_erase_at <= now {
        return Err(ServiceError::invalid_field("data_erase_at", "in the future, not after the requested one"));
    }
    let valid_until = unix(data_erase_at);
    if valid_until > MAX_CHAIN_TIME {
        return Err(ServiceError::invalid_field("data_erase_at", "before the contract's last time (uint40 seconds)"));
    }
    let valid_from_secs = chain_time("valid_from", input.valid_from)?;
    if input.valid_from >= valid_until {
        return Err(ServiceError::invalid_field("valid_from", "before data_erase_at"));
    }
    let SignedFields { nonce: signed_nonce, deadline: signed_deadline, signature } = input.signed;
    let nonce = chain_nonce(signed_nonce)?;
    let deadline = chain_deadline(signed_deadline, now)?;
    let patient_keys = keys::find_keys_by_owner(pool, c.patient_id).await?;
    let (patient, patient_signer) = patient_account(&patient_keys).ok_or_else(|| {
        ServiceError::refused("no_patient_key", "register an Ethereum key (POST /v1/keys) before granting")
    })?;
    check_nonce_after_rotations(pool, patient, nonce).await?;
    let hospital_keys = keys::find_keys_by_owner(pool, c.hospital_id).await?;
    let grantee = active_key(&hospital_keys, "ethereum")
        .and_then(|a| a.parse::<Address>().ok())
        .ok_or_else(|| ServiceError::refused("no_hospital_key", "the hospital has no registered Ethereum address"))?;
    let granted = ConsentRow { hi_types: hi_types.clone(), date_from, date_to, ..c.clone() };
    let consent_id = chain_consent_id(&c.id);
    let scope_hash = granted.scope().hash();
    let grant = Grant {
        consentId: B256::from(consent_id),
        patient,
        grantee,
        scopeHash: B256::from(scope_hash),
        validFrom: input.valid_from,
        validUntil: valid_until,
        nonce: signed_nonce,
        deadline: signed_deadline,
    };
    SignedGrant { grant, signature }
        .verify_by(signing_domain(domain)?, patient_signer)
        .map_err(|e| signature_refused(e, "this grant (consent id, parties, scope hash, validity, nonce, deadline)"))?;
    let valid_from = DateTime::<Utc>::from_timestamp(valid_from_secs, 0)
        .ok_or_else(|| ServiceError::invalid_field("valid_from", "a Unix time"))?;
    let record = GrantRecord {
        hi_types: &hi_types,
        date_from,
        date_to,
        data_erase_at,
        chain_consent_id: &consent_id,
        scope_hash: &scope_hash,
        patient_address: &patient.into_array(),
        grantee_address: &grantee.into_array(),
        valid_from,
        nonce,
        deadline,
        signature: &signature,
    };
    // With headers (the all-in-one form, for a record small enough for one request): every
    // in-scope document still lacking the hospital's stanza needs exactly one header carrying
    // it, and nothing else may change. Without: the grant alone; the stanzas follow page by
    // page (`service::stanzas`).
    let hospital_key = active_key(&hospital_keys, "x25519")
        .and_then(super::documents::key_id_of)
        .ok_or_else(|| ServiceError::refused("no_hospital_key", "the hospital has no registered X25519 key"))?;
    let mut updates = Vec::new();
    if !input.headers.is_empty() {
        let bad = |m: String| ServiceError::invalid_field("headers", m);
        if input.headers.len() > super::stanzas::MAX_CHANGES {
            return Err(bad(format!(
                "at most {} in one grant; grant without headers and add them page by page",
                super::stanzas::MAX_CHANGES
            )));
        }
        let scope = consents::StanzaScope {
            patient_id: c.patient_id,
            hi_types: &hi_types,
            date_from,
            date_to,
            key_id: &hospital_key,
        };
        let limit = i64::try_from(super::stanzas::MAX_CHANGES + 1).unwrap_or(i64::MAX);
        let in_scope = consents::find_documents_lacking_stanza(pool, &scope, None, limit).await?;
        for (doc_id, old) in &in_scope {
            let given = input.headers.iter().filter(|(d, _)| d == doc_id).collect::<Vec<_>>();
            let [(_, given)] = given[..] else {
                return Err(bad(format!(
                    "one header for document {doc_id} (in scope, no stanza for the hospital yet)"
                )));
            };
            let new =
                super::documents::decode_header(given).ok_or_else(|| bad(format!("document {doc_id}: not base64")))?;
            let (old_h, _) = Header::parse(old)
                .map_err(|_| ServiceError::internal(anyhow::anyhow!("stored header of {doc_id} unreadable")))?;
            let ok =
                matches!(Header::parse(&new), Ok((h, len)) if len == new.len() && h.only_adds(&old_h, &hospital_key));
            if !ok {
                return Err(bad(format!(
                    "document {doc_id}: the stored header plus one stanza for the hospital's key"
                )));
            }
            updates.push((*doc_id, old.clone(), new));
        }
        if input.headers.len() != in_scope.len() {
            return Err(bad("only documents in the granted scope that lack the hospital's stanza".to_owned()));
        }
    }
    let mut tx = store::begin(pool).await?;
    if !consents::mark_consent_granted(&mut tx, c.id, &record).await? {
        return Err(refused());
    }
    for (doc_id, old, new) in &updates {
        if !consents::add_hospital_stanza(&mut tx, *doc_id, old, new, &hospital_key, c.hospital_id, c.patient_id)
            .await?
        {
            return Err(ServiceError::conflict("document_changed", "a document in scope changed meanwhile; try again"));
        }
    }
    relay::insert_chain_event(&mut tx, c.id, EventKind::Grant).await?;
    record_consent_event(&mut tx, c.id, EventType::Granted, now).await?;
    insert_audit_event(&mut tx, &event(actor, "consent.grant", Outcome::Ok, &c)).await?;
    store::commit(tx).await?;
    Ok(())
}

/// The patient revokes a grant: hospitals lose access at once (their stanzas' index entries go
/// in the same transaction), and the signed revocation is queued for the chain.
pub async fn revoke(
    pool: &PgPool,
    domain: Option<&Eip712Domain>,
    actor: &Actor,
    id: Uuid,
    signed: SignedFields,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let c = load_party(pool, actor, id, "consent.revoke").await?;
    let refused = || ServiceError::conflict("invalid_transition", "only a granted consent can be revoked");
    // The stored status: a grant past its end is still revoked on request, so the chain hears it.
    if !c.status.can_become(ConsentStatus::Revoked) {
        return Err(refused());
    }
    let (nonce, deadline) = (chain_nonce(signed.nonce)?, chain_deadline(signed.deadline, now)?);
    let patient = signed_patient(&c)?;
    let signer = current_signer(pool, c.patient_id, patient).await?;
    check_nonce_after_rotations(pool, patient, nonce).await?;
    let revoke = Revoke {
        consentId: B256::from(chain_consent_id(&c.id)),
        patient,
        nonce: signed.nonce,
        deadline: signed.deadline,
    };
    SignedRevoke { revoke, signature: signed.signature }
        .verify_by(signing_domain(domain)?, signer)
        .map_err(|e| signature_refused(e, "this revocation"))?;
    let mut tx = store::begin(pool).await?;
    if !consents::mark_consent_revoked(&mut tx, c.id, nonce, deadline, &signed.signature).await? {
        return Err(refused());
    }
    consents::delete_hospital_stanzas(&mut tx, c.patient_id, c.hospital_id).await?;
    relay::insert_chain_event(&mut tx, c.id, EventKind::Revoke).await?;
    record_consent_event(&mut tx, c.id, EventType::Revoked, now).await?;
    insert_audit_event(&mut tx, &event(actor, "consent.revoke", Outcome::Ok, &c)).await?;
    store::commit(tx).await?;
    Ok(())
}

/// The patient signs again a grant or revocation whose relay failed for good (the contract
/// refused it: `StaleNonce` after `incrementNonce`, `SignatureExpired` after a fee stall, ...).
/// The message is the one stored — same consent, parties, scope and validity — with a new nonce
/// and deadline; it goes back in the relay queue. A failed revocation is re-signed only once
/// its grant is on chain; a failed grant only while the consent is granted and unexpired.
pub async fn resign(
    pool: &PgPool,
    domain: Option<&Eip712Domain>,
    actor: &Actor,
    id: Uuid,
    signed: SignedFields,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    actor.require(&[Role::Patient])?;
    let c = load_party(pool, actor, id, "consent.resign").await?;
    let (nonce, deadline) = (chain_nonce(signed.nonce)?, chain_deadline(signed.deadline, now)?);
    let chain = relay::find_chain_states(pool, &[id]).await?;
    let state_of = |kind: EventKind| chain.iter().find(|e| e.kind == kind.code()).map(|e| e.state.as_str());
    let nothing =
        || ServiceError::conflict("nothing_to_resign", "neither the grant nor the revocation failed on chain");
    let status = c.status_at(now);
    let which = if status == ConsentStatus::Revoked && state_of(EventKind::Revoke) == Some("failed") {
        if state_of(EventKind::Grant) != Some("confirmed") {
            return Err(ServiceError::conflict(
                "nothing_to_resign",
                "the grant is not on chain, so there is nothing to revoke there; access ended on the platform",
            ));
        }
        Signed::Revoke
    } else if status == ConsentStatus::Granted && state_of(EventKind::Grant) == Some("failed") {
        Signed::Grant
    } else {
        return Err(nothing());
    };
    let stored = consents::find_signed_consent_by_id(pool, id).await?.ok_or_else(nothing)?;
    let patient = signed_patient(&c)?;
    let signer = current_signer(pool, c.patient_id, patient).await?;
    check_nonce_after_rotations(pool, patient, nonce).await?;
    let consent_id = B256::from(chain_consent_id(&c.id));
    let kind = match which {
        Signed::Grant => {
            let (Some(grantee), Some(scope_hash), Some(valid_from)) =
                (c.grantee_address, stored.scope_hash, c.valid_from)
            else {
                return Err(ServiceError::internal(anyhow::anyhow!("granted consent {id} lacks its signed fields")));
            };
            let grant = Grant {
                consentId: consent_id,
                patient,
                grantee: Address::from(grantee.0),
                scopeHash: B256::from(scope_hash),
                validFrom: unix(valid_from),
                validUntil: unix(c.data_erase_at),
                nonce: signed.nonce,
                deadline: signed.deadline,
            };
            SignedGrant { grant, signature: signed.signature }
                .verify_by(signing_domain(domain)?, signer)
                .map_err(|e| signature_refused(e, "the stored grant"))?;
            EventKind::Grant
        }
        Signed::Revoke => {
            let revoke = Revoke { consentId: consent_id, patient, nonce: signed.nonce, deadline: signed.deadline };
            SignedRevoke { revoke, signature: signed.signature }
                .verify_by(signing_domain(domain)?, signer)
                .map_err(|e| signature_refused(e, "this revocation"))?;
            EventKind::Revoke
        }
    };
    let mut tx = store::begin(pool).await?;
    if !consents::replace_signature(&mut tx, id, which, nonce, deadline, &signed.signature).await? {
        return Err(nothing());
    }
    let Some(failure) = relay::requeue_failed_event(&mut tx, id, kind).await? else { return Err(nothing()) };
    let audit = event(actor, "consent.resign", Outcome::Ok, &c).details(json!({
        "hospital_id": c.hospital_id, "message": kind.code(), "previous_failure": failure,
    }));
    insert_audit_event(&mut tx, &audit).await?;
    store::commit(tx).await?;
    Ok(())
}

/// The EIP-712 domain messages are signed for; a platform with no ConsentRegistry configured
/// cannot accept a signed message (an operator's mistake, so an internal error).
fn signing_domain(domain: Option<&Eip712Domain>) -> ServiceResult<&Eip712Domain> {
    domain.ok_or_else(|| {
        ServiceError::internal(anyhow::anyhow!("no ConsentRegistry configured; consents cannot be signed for a domain"))
    })
}

/// The audit event for an action on consent `c`.
fn event(actor: &Actor, action: &'static str, outcome: Outcome, c: &ConsentRow) -> AuditEvent {
    actor
        .event(action, outcome)
        .patient(c.patient_id)
        .target("consent", c.id)
        .details(json!({"hospital_id": c.hospital_id, "purpose": c.purpose}))
}

/// Checks a request's rules into a row; the patient, which needs the database, is filled in after.
fn check_request(req: &NewRequest, hospital_id: Uuid, now: DateTime<Utc>) -> ServiceResult<ConsentRow> {
    if req.hi_types.is_empty() || req.hi_types.len() > MAX_HI_TYPES {
        return Err(ServiceError::invalid_field("hi_types", "one to seven HI types"));
    }
    let mut hi_types: Vec<HiType> = Vec::with_capacity(req.hi_types.len());
    for &t in &req.hi_types {
        if hi_types.contains(&t) {
            return Err(ServiceError::invalid_field("hi_types", format!("{t} is listed twice")));
        }
        hi_types.push(t);
    }
    hi_types.sort();
    if req.date_from > req.date_to {
        return Err(ServiceError::invalid_field("date_range", "from must not be after to"));
    }
    if req.data_erase_at <= now {
        return Err(ServiceError::invalid_field("data_erase_at", "must be in the future"));
    }
    if req.expires_at <= now || req.expires_at > now + chrono::Duration::days(MAX_REQUEST_DAYS) {
        return Err(ServiceError::invalid_field("expires_at", "must be in the future, within 30 days"));
    }
    if req.expires_at > req.data_erase_at {
        return Err(ServiceError::invalid_field("expires_at", "must not be after data_erase_at"));
    }
    let frequency = || {
        ServiceError::invalid_field(
            "frequency",
            "unit HOUR, DAY, WEEK, MONTH or YEAR; value at least 1; repeats 0 or more",
        )
    };
    if !FREQUENCY_UNITS.contains(&req.frequency_unit.as_str()) {
        return Err(frequency());
    }
    let frequency_value = u32::try_from(req.frequency_value).ok().filter(|v| *v >= 1).ok_or_else(frequency)?;
    let frequency_repeats = u32::try_from(req.frequency_repeats).map_err(|_| frequency())?;
    Ok(ConsentRow {
        id: Uuid::now_v7(),
        patient_id: Uuid::nil(),
        hospital_id,
        purpose: req.purpose,
        hi_types,
        access_mode: req.access_mode,
        date_from: req.date_from,
        date_to: req.date_to,
        data_erase_at: req.data_erase_at,
        frequency_unit: req.frequency_unit.clone(),
        frequency_value,
        frequency_repeats,
        request_expires_at: req.expires_at,
        status: ConsentStatus::Requested,
        created_at: now,
        decided_at: None,
        patient_address: None,
        grantee_address: None,
        valid_from: None,
        grant: None,
    })
}

/// The active (not rotated away) key of `kind` among an account's keys.
pub fn active_key<'a>(keys: &'a [KeyRow], kind: &str) -> Option<&'a str> {
    keys.iter().find(|k| k.kind == kind && k.retired_at.is_none()).map(|k| k.public_key.as_str())
}

/// A patient's account address (their first Ethereum key, fixed for good) and the key that signs
/// for it now: the newest Ethereum key that is the account's own or was handed the account by a
/// rotation the chain did not refuse. It is the active key, unless the chain refused the
/// rotation to it: then the chain's signer is still the one before, and so is the platform's.
/// (A later key registered without a rotation, before accounts were fixed, signs nothing.)
pub fn patient_account(keys: &[KeyRow]) -> Option<(Address, Address)> {
    active_key(keys, "ethereum")?;
    let mut eth = keys.iter().filter(|k| k.kind == "ethereum");
    let account: Address = eth.clone().next_back()?.public_key.parse().ok()?;
    let signs = |k: &KeyRow| {
        k.public_key.parse() == Ok(account)
            || matches!(k.rotation_state.as_deref(), Some("pending" | "submitted" | "confirmed"))
    };
    let signer = eth.find(|k| signs(k))?.public_key.parse().ok()?;
    Some((account, signer))
}

/// The key that must sign a message for the consent signed under `patient` (the stored address):
/// the account's signer now, or `patient` itself for a grant recorded under a later key before
/// accounts were fixed (on chain that address is an account of its own, never rotated).
async fn current_signer(pool: &PgPool, patient_id: Uuid, patient: Address) -> ServiceResult<Address> {
    let keys = keys::find_keys_by_owner(pool, patient_id).await?;
    Ok(match patient_account(&keys) {
        Some((account, signer)) if account == patient => signer,
        _ => patient,
    })
}

/// Refuses `nonce` when the account has a rotation not yet settled on chain with that nonce or
/// a higher one: the rotation consumes its nonce, so such a message could never land.
pub async fn check_nonce_after_rotations(pool: &PgPool, account: Address, nonce: i64) -> ServiceResult<()> {
    match relay::find_unsettled_rotation_nonce(pool, &account.into_array()).await? {
        Some(taken) if nonce <= taken => Err(ServiceError::invalid_field(
            "nonce",
            format!("above {taken}: the account's key rotation waiting for the chain consumes nonce {taken}"),
        )),
        _ => Ok(()),
    }
}

/// The granting patient's account address stored with a granted consent.
fn signed_patient(c: &ConsentRow) -> ServiceResult<Address> {
    c.patient_address
        .map(|a: EthAddress| Address::from(a.0))
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("granted consent {} has no patient address", c.id)))
}

fn unix(t: DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp()).unwrap_or(0)
}

/// A signed time the contract can hold (`uint40` seconds), as stored.
fn chain_time(field: &'static str, t: u64) -> ServiceResult<i64> {
    i64::try_from(t).ok().filter(|_| t <= MAX_CHAIN_TIME).ok_or_else(|| {
        ServiceError::invalid_field(field, format!("at most {MAX_CHAIN_TIME} (the contract's uint40 seconds)"))
    })
}

/// A signed nonce, as stored.
pub fn chain_nonce(n: u64) -> ServiceResult<i64> {
    i64::try_from(n)
        .ok()
        .filter(|_| n <= MAX_NONCE)
        .ok_or_else(|| ServiceError::invalid_field("nonce", "at most 2^63 - 1"))
}

/// A signature deadline: in the future (the contract refuses one already past) and in range.
pub fn chain_deadline(deadline: u64, now: DateTime<Utc>) -> ServiceResult<i64> {
    let stored = chain_time("deadline", deadline)?;
    if deadline <= unix(now) {
        return Err(ServiceError::invalid_field("deadline", "in the future"));
    }
    Ok(stored)
}

/// Why a signature is refused.
fn signature_refused(e: SignatureError, what: &str) -> ServiceError {
    match e {
        SignatureError::HighS => ServiceError::refused(
            "invalid_signature",
            "the signature's s value is in the upper half of the curve order; the contract accepts only low-s signatures",
        ),
        SignatureError::NotThePatient => {
            ServiceError::refused("invalid_signature", format!("the signature is not the patient's over {what}"))
        }
    }
}
