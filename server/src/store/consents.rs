//! `consents`: consent artefacts from request to decision.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use pramana_core::consent::ConsentScope;
use pramana_core::{AccessMode, ConsentStatus, EthAddress, HiType, Purpose};

use super::{StoreError, StoreResult};

/// A consent artefact, parsed from its row: a row that does not parse is a `StoreError::Schema`
/// (logged as an internal error), never a default.
#[derive(Debug, Clone)]
pub struct ConsentRow {
    /// Id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// The requesting hospital.
    pub hospital_id: Uuid,
    /// Purpose.
    pub purpose: Purpose,
    /// HI types in scope, sorted.
    pub hi_types: Vec<HiType>,
    /// Access mode.
    pub access_mode: AccessMode,
    /// First care date in scope.
    pub date_from: NaiveDate,
    /// Last care date in scope.
    pub date_to: NaiveDate,
    /// When a grant would end.
    pub data_erase_at: DateTime<Utc>,
    /// Frequency unit (`HOUR`, `DAY`, `WEEK`, `MONTH` or `YEAR`).
    pub frequency_unit: String,
    /// Frequency value.
    pub frequency_value: u32,
    /// Frequency repeats.
    pub frequency_repeats: u32,
    /// When the request expires if not acted on.
    pub request_expires_at: DateTime<Utc>,
    /// Stored status; `status_at` derives `EXPIRED` from the clock.
    pub status: ConsentStatus,
    /// Request time.
    pub created_at: DateTime<Utc>,
    /// Decision time.
    pub decided_at: Option<DateTime<Utc>>,
    /// The granting patient's account address, once granted.
    pub patient_address: Option<EthAddress>,
    /// The hospital's address signed, once granted.
    pub grantee_address: Option<EthAddress>,
    /// The validity start signed, once granted.
    pub valid_from: Option<DateTime<Utc>>,
    /// The grant's signed nonce, deadline and signature, once granted (the latest, when the
    /// patient signed it again).
    pub grant: Option<GrantSignature>,
}

/// What a patient signed besides the artefact's own fields: with them and the fields above, a
/// client rebuilds the EIP-712 `Grant` and checks whose signature it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantSignature {
    /// The contract nonce signed.
    pub nonce: u64,
    /// The signature deadline (Unix seconds).
    pub deadline: u64,
    /// The 64-byte compact signature.
    pub signature: [u8; 64],
}

impl ConsentRow {
    /// The status as of `now` (`ConsentStatus::as_of`: a lapsed request or an ended grant is
    /// `EXPIRED`).
    pub fn status_at(&self, now: DateTime<Utc>) -> ConsentStatus {
        self.status.as_of(now, self.request_expires_at, self.data_erase_at)
    }

    /// The scope the patient signs (its hash is the grant's `scopeHash`).
    pub fn scope(&self) -> ConsentScope {
        ConsentScope {
            purpose: self.purpose,
            hi_types: self.hi_types.clone(),
            access_mode: self.access_mode,
            date_from: self.date_from,
            date_to: self.date_to,
            frequency_unit: self.frequency_unit.clone(),
            frequency_value: self.frequency_value,
            frequency_repeats: self.frequency_repeats,
        }
    }
}

/// The row as Postgres returns it.
#[derive(sqlx::FromRow)]
struct RawConsent {
    id: Uuid,
    patient_id: Uuid,
    hospital_id: Uuid,
    purpose: String,
    hi_types: Vec<String>,
    access_mode: String,
    date_from: NaiveDate,
    date_to: NaiveDate,
    data_erase_at: DateTime<Utc>,
    frequency_unit: String,
    frequency_value: i32,
    frequency_repeats: i32,
    request_expires_at: DateTime<Utc>,
    status: String,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    patient_address: Option<Vec<u8>>,
    grantee_address: Option<Vec<u8>>,
    valid_from: Option<DateTime<Utc>>,
    signed_grant_nonce: Option<i64>,
    signed_grant_deadline: Option<i64>,
    signed_grant_signature: Option<Vec<u8>>,
}

impl TryFrom<RawConsent> for ConsentRow {
    type Error = StoreError;

    fn try_from(r: RawConsent) -> StoreResult<Self> {
        let bad = |column: &str, value: &dyn std::fmt::Debug| {
            StoreError::Schema(format!("consents.{column} of {}: {value:?} does not parse", r.id))
        };
        let address = |column: &str, raw: &Option<Vec<u8>>| -> StoreResult<Option<EthAddress>> {
            raw.as_deref().map(|b| <[u8; 20]>::try_from(b).map(EthAddress).map_err(|_| bad(column, &b))).transpose()
        };
        let grant = match (
            r.signed_grant_nonce,
            r.signed_grant_deadline,
            fixed(r.id, "grant_signature", r.signed_grant_signature.clone())?,
        ) {
            (Some(n), Some(d), Some(signature)) => Some(GrantSignature {
                nonce: u64::try_from(n).map_err(|_| bad("grant_nonce", &n))?,
                deadline: u64::try_from(d).map_err(|_| bad("grant_deadline", &d))?,
                signature,
            }),
            _ => None,
        };
        let mut hi_types = Vec::with_capacity(r.hi_types.len());
        for t in &r.hi_types {
            hi_types.push(HiType::parse(t).map_err(|_| bad("hi_types", t))?);
        }
        Ok(Self {
            purpose: Purpose::parse(&r.purpose).map_err(|_| bad("purpose", &r.purpose))?,
            hi_types,
            access_mode: AccessMode::parse(&r.access_mode).map_err(|_| bad("access_mode", &r.access_mode))?,
            frequency_value: u32::try_from(r.frequency_value)
                .map_err(|_| bad("frequency_value", &r.frequency_value))?,
            frequency_repeats: u32::try_from(r.frequency_repeats)
                .map_err(|_| bad("frequency_repeats", &r.frequency_repeats))?,
            status: ConsentStatus::parse(&r.status).map_err(|_| bad("status", &r.status))?,
            patient_address: address("patient_address", &r.patient_address)?,
            grantee_address: address("grantee_address", &r.grantee_address)?,
            id: r.id,
            patient_id: r.patient_id,
            hospital_id: r.hospital_id,
            date_from: r.date_from,
            date_to: r.date_to,
            data_erase_at: r.data_erase_at,
            frequency_unit: r.frequency_unit,
            request_expires_at: r.request_expires_at,
            created_at: r.created_at,
            decided_at: r.decided_at,
            valid_from: r.valid_from,
            grant,
        })
    }
}

fn codes(hi_types: &[HiType]) -> Vec<&'static str> {
    hi_types.iter().map(|t| t.code()).collect()
}

const COLUMNS: &str = "id, patient_id, hospital_id, purpose, hi_types, access_mode, date_from, date_to, data_erase_at, \
     frequency_unit, frequency_value, frequency_repeats, request_expires_at, status, created_at, decided_at, \
     patient_address, grantee_address, valid_from, grant_nonce AS signed_grant_nonce, \
     grant_deadline AS signed_grant_deadline, grant_signature AS signed_grant_signature";

/// Closes the patient's open artefact with the hospital if it has expired (its request, or its
/// grant's `data_erase_at`), so a new request can take its place. Returns whether one was closed.
pub async fn mark_open_consent_expired(
    conn: &mut PgConnection,
    patient_id: Uuid,
    hospital_id: Uuid,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'EXPIRED', decided_at = now()
          WHERE patient_id = $1 AND hospital_id = $2
            AND ((status = 'REQUESTED' AND request_expires_at <= now()) OR (status = 'GRANTED' AND data_erase_at <= now()))",
    )
    .bind(patient_id)
    .bind(hospital_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Inserts a request (call inside a transaction).
pub async fn insert_consent(conn: &mut PgConnection, c: &ConsentRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consents (id, patient_id, hospital_id, purpose, hi_types, access_mode, date_from, date_to,
                               data_erase_at, frequency_unit, frequency_value, frequency_repeats, request_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(c.id)
    .bind(c.patient_id)
    .bind(c.hospital_id)
    .bind(c.purpose.code())
    .bind(codes(&c.hi_types))
    .bind(c.access_mode.code())
    .bind(c.date_from)
    .bind(c.date_to)
    .bind(c.data_erase_at)
    .bind(&c.frequency_unit)
    .bind(i64::from(c.frequency_value))
    .bind(i64::from(c.frequency_repeats))
    .bind(c.request_expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Finds an artefact.
pub async fn find_consent_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<ConsentRow>> {
    let row: Option<RawConsent> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM consents WHERE id = $1")).bind(id).fetch_optional(db).await?;
    row.map(ConsentRow::try_from).transpose()
}

/// A patient's or a hospital's artefacts, newest first.
pub async fn find_consents_by_party(
    db: impl PgExecutor<'_>,
    patient_id: Option<Uuid>,
    hospital_id: Option<Uuid>,
) -> StoreResult<Vec<ConsentRow>> {
    let rows: Vec<RawConsent> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM consents
          WHERE ($1::uuid IS NULL OR patient_id = $1) AND ($2::uuid IS NULL OR hospital_id = $2)
          ORDER BY created_at DESC, id DESC LIMIT 1000"
    ))
    .bind(patient_id)
    .bind(hospital_id)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(ConsentRow::try_from).collect()
}

/// An artefact with the patient-signed EIP-712 fields stored with it (all `None` before a
/// grant; the patient's address is `consent.patient_address`).
#[derive(Debug, Clone)]
pub struct SignedConsentRow {
    /// The artefact.
    pub consent: ConsentRow,
    /// Consent id on chain.
    pub chain_consent_id: Option<[u8; 32]>,
    /// Scope hash signed.
    pub scope_hash: Option<[u8; 32]>,
    /// Grant nonce.
    pub grant_nonce: Option<i64>,
    /// Grant deadline (Unix seconds).
    pub grant_deadline: Option<i64>,
    /// Grant signature (64-byte compact).
    pub grant_signature: Option<[u8; 64]>,
    /// Revocation nonce.
    pub revoke_nonce: Option<i64>,
    /// Revocation deadline (Unix seconds).
    pub revoke_deadline: Option<i64>,
    /// Revocation signature (64-byte compact).
    pub revoke_signature: Option<[u8; 64]>,
    /// When the revocation was recorded.
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct RawSignedConsent {
    #[sqlx(flatten)]
    consent: RawConsent,
    chain_consent_id: Option<Vec<u8>>,
    scope_hash: Option<Vec<u8>>,
    grant_nonce: Option<i64>,
    grant_deadline: Option<i64>,
    grant_signature: Option<Vec<u8>>,
    revoke_nonce: Option<i64>,
    revoke_deadline: Option<i64>,
    revoke_signature: Option<Vec<u8>>,
    revoked_at: Option<DateTime<Utc>>,
}

/// A fixed-length byte column, or a schema error naming it.
fn fixed<const N: usize>(id: Uuid, column: &str, raw: Option<Vec<u8>>) -> StoreResult<Option<[u8; N]>> {
    raw.map(|b| {
        <[u8; N]>::try_from(b.as_slice())
            .map_err(|_| StoreError::Schema(format!("consents.{column} of {id}: {} bytes, not {N}", b.len())))
    })
    .transpose()
}

impl TryFrom<RawSignedConsent> for SignedConsentRow {
    type Error = StoreError;

    fn try_from(r: RawSignedConsent) -> StoreResult<Self> {
        let id = r.consent.id;
        Ok(Self {
            consent: r.consent.try_into()?,
            chain_consent_id: fixed(id, "chain_consent_id", r.chain_consent_id)?,
            scope_hash: fixed(id, "scope_hash", r.scope_hash)?,
            grant_nonce: r.grant_nonce,
            grant_deadline: r.grant_deadline,
            grant_signature: fixed(id, "grant_signature", r.grant_signature)?,
            revoke_nonce: r.revoke_nonce,
            revoke_deadline: r.revoke_deadline,
            revoke_signature: fixed(id, "revoke_signature", r.revoke_signature)?,
            revoked_at: r.revoked_at,
        })
    }
}

const SIGNED_COLUMNS: &str = "chain_consent_id, scope_hash, grant_nonce, \
     grant_deadline, grant_signature, revoke_nonce, revoke_deadline, revoke_signature, revoked_at";

/// Every artefact of a patient with its signed fields, oldest first (for the patient's export).
pub async fn find_signed_consents_by_patient(
    db: impl PgExecutor<'_>,
    patient_id: Uuid,
) -> StoreResult<Vec<SignedConsentRow>> {
    let rows: Vec<RawSignedConsent> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {SIGNED_COLUMNS} FROM consents WHERE patient_id = $1 ORDER BY created_at, id"
    ))
    .bind(patient_id)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(SignedConsentRow::try_from).collect()
}

/// One artefact with its signed fields.
pub async fn find_signed_consent_by_id(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<SignedConsentRow>> {
    let row: Option<RawSignedConsent> =
        sqlx::query_as(&format!("SELECT {COLUMNS}, {SIGNED_COLUMNS} FROM consents WHERE id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(SignedConsentRow::try_from).transpose()
}

/// Which signed message of a consent to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signed {
    /// The grant (the consent must be `GRANTED`).
    Grant,
    /// The revocation (the consent must be `REVOKED`).
    Revoke,
}

/// Replaces the nonce, deadline and signature of a consent's grant or revocation with a new
/// signature over the same message (call inside a transaction, with the chain event re-queued).
/// Returns false when the consent is not in the state that message belongs to.
pub async fn replace_signature(
    conn: &mut PgConnection,
    id: Uuid,
    which: Signed,
    nonce: i64,
    deadline: i64,
    signature: &[u8; 64],
) -> StoreResult<bool> {
    let sql = match which {
        Signed::Grant => {
            "UPDATE consents SET grant_nonce = $2, grant_deadline = $3, grant_signature = $4 WHERE id = $1 AND status = 'GRANTED'"
        }
        Signed::Revoke => {
            "UPDATE consents SET revoke_nonce = $2, revoke_deadline = $3, revoke_signature = $4 WHERE id = $1 AND status = 'REVOKED'"
        }
    };
    let done = sqlx::query(sql).bind(id).bind(nonce).bind(deadline).bind(&signature[..]).execute(&mut *conn).await?;
    Ok(done.rows_affected() == 1)
}

/// Denies a request that is still open and not expired (call inside a transaction). Returns
/// false when it was not in that state.
pub async fn mark_consent_denied(conn: &mut PgConnection, id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'DENIED', decided_at = now()
          WHERE id = $1 AND status = 'REQUESTED' AND request_expires_at > now()",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A patient's signed grant, with the (possibly narrowed) scope it covers.
#[derive(Debug, Clone)]
pub struct GrantRecord<'a> {
    /// HI types granted.
    pub hi_types: &'a [HiType],
    /// First care date granted.
    pub date_from: NaiveDate,
    /// Last care date granted.
    pub date_to: NaiveDate,
    /// When the grant ends.
    pub data_erase_at: DateTime<Utc>,
    /// Consent id on chain.
    pub chain_consent_id: &'a [u8; 32],
    /// Scope hash signed.
    pub scope_hash: &'a [u8; 32],
    /// Patient's address.
    pub patient_address: &'a [u8; 20],
    /// Hospital's address.
    pub grantee_address: &'a [u8; 20],
    /// Validity start.
    pub valid_from: DateTime<Utc>,
    /// EIP-712 nonce.
    pub nonce: i64,
    /// EIP-712 deadline (Unix seconds).
    pub deadline: i64,
    /// Compact signature.
    pub signature: &'a [u8; 64],
}

/// Records a grant on an open, unexpired request (call inside a transaction). Returns false
/// when the request was not in that state.
pub async fn mark_consent_granted(conn: &mut PgConnection, id: Uuid, g: &GrantRecord<'_>) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'GRANTED', decided_at = now(), hi_types = $2, date_from = $3, date_to = $4,
                data_erase_at = $5, chain_consent_id = $6, scope_hash = $7, patient_address = $8,
                grantee_address = $9, valid_from = $10, grant_nonce = $11, grant_deadline = $12, grant_signature = $13
          WHERE id = $1 AND status = 'REQUESTED' AND request_expires_at > now()",
    )
    .bind(id)
    .bind(codes(g.hi_types))
    .bind(g.date_from)
    .bind(g.date_to)
    .bind(g.data_erase_at)
    .bind(&g.chain_consent_id[..])
    .bind(&g.scope_hash[..])
    .bind(&g.patient_address[..])
    .bind(&g.grantee_address[..])
    .bind(g.valid_from)
    .bind(g.nonce)
    .bind(g.deadline)
    .bind(&g.signature[..])
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a revocation of a grant (call inside a transaction); effective at once. Returns
/// false when the consent was not granted.
pub async fn mark_consent_revoked(
    conn: &mut PgConnection,
    id: Uuid,
    nonce: i64,
    deadline: i64,
    signature: &[u8; 64],
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE consents SET status = 'REVOKED', revoked_at = now(), revoke_nonce = $2, revoke_deadline = $3,
                revoke_signature = $4
          WHERE id = $1 AND status = 'GRANTED'",
    )
    .bind(id)
    .bind(nonce)
    .bind(deadline)
    .bind(&signature[..])
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// SQL condition: an active grant from the document's owner to hospital `$H` covering the
/// document `d` (its HI type and care date), at this instant.
///
/// A grant whose relay to the chain failed for good (the contract refuses the signed message:
/// the patient voided it with `incrementNonce`, its deadline passed, ...) gives no access until
/// the patient signs it again: the platform never grants more than the chain would record.
pub const GRANT_COVERS_DOCUMENT: &str = "d.deleted_at IS NULL AND EXISTS (SELECT 1 FROM consents c
     WHERE c.patient_id = d.owner_patient_id AND c.hospital_id = $H AND c.status = 'GRANTED'
       AND c.valid_from <= now() AND c.data_erase_at > now()
       AND NOT EXISTS (SELECT 1 FROM consent_chain_events e
                        WHERE e.consent_id = c.id AND e.kind = 'grant' AND e.failed_at IS NOT NULL)
       AND d.hi_type = ANY(c.hi_types) AND d.care_date BETWEEN c.date_from AND c.date_to)";

/// Whether hospital `hospital_id` holds an active grant covering document `document_id`.
pub async fn is_document_granted(db: impl PgExecutor<'_>, document_id: Uuid, hospital_id: Uuid) -> StoreResult<bool> {
    let sql = format!("SELECT {} FROM documents d WHERE d.id = $1", GRANT_COVERS_DOCUMENT.replace("$H", "$2"));
    let granted: Option<bool> = sqlx::query_scalar(&sql).bind(document_id).bind(hospital_id).fetch_optional(db).await?;
    Ok(granted.unwrap_or(false))
}

/// SQL condition on documents `d` of patient `$1`: live, with an HI type in `$2` and a care date
/// between `$3` and `$4` (a grant's scope).
const IN_SCOPE: &str =
    "d.owner_patient_id = $1 AND d.deleted_at IS NULL AND d.hi_type = ANY($2) AND d.care_date BETWEEN $3 AND $4";

/// SQL condition: document `d` has no stanza for key id `$5` in its stanza index.
const LACKS_STANZA: &str = "NOT EXISTS (SELECT 1 FROM document_stanzas s WHERE s.document_id = d.id AND s.key_id = $5)";

/// A grant's scope and the key whose stanza its documents need, for paging through them.
#[derive(Debug, Clone, Copy)]
pub struct StanzaScope<'a> {
    /// The patient.
    pub patient_id: Uuid,
    /// HI types granted.
    pub hi_types: &'a [HiType],
    /// First care date granted.
    pub date_from: NaiveDate,
    /// Last care date granted.
    pub date_to: NaiveDate,
    /// Key id of the hospital's current X25519 key.
    pub key_id: &'a [u8; 16],
}

/// Live documents in the scope whose stanza index lacks the key (documents the hospital uploaded
/// or was given already are indexed), with their headers, in id order after `after`, at most
/// `limit`.
pub async fn find_documents_lacking_stanza(
    db: impl PgExecutor<'_>,
    scope: &StanzaScope<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<(Uuid, Vec<u8>)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT d.id, d.header FROM documents d
          WHERE {IN_SCOPE} AND {LACKS_STANZA} AND ($6::uuid IS NULL OR d.id > $6)
          ORDER BY d.id LIMIT $7"
    ))
    .bind(scope.patient_id)
    .bind(codes(scope.hi_types))
    .bind(scope.date_from)
    .bind(scope.date_to)
    .bind(&scope.key_id[..])
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// How many live documents the scope covers, and how many of them lack the key's stanza.
pub async fn count_documents_lacking_stanza(
    db: impl PgExecutor<'_>,
    scope: &StanzaScope<'_>,
) -> StoreResult<(i64, i64)> {
    Ok(sqlx::query_as(&format!(
        "SELECT count(*), count(*) FILTER (WHERE {LACKS_STANZA}) FROM documents d WHERE {IN_SCOPE}"
    ))
    .bind(scope.patient_id)
    .bind(codes(scope.hi_types))
    .bind(scope.date_from)
    .bind(scope.date_to)
    .bind(&scope.key_id[..])
    .fetch_one(db)
    .await?)
}

/// A document of a page of stanza changes, locked for the rest of the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LockedDocument {
    /// The document.
    pub id: Uuid,
    /// Its header now.
    pub header: Vec<u8>,
    /// Whether the stanza index already has the key.
    pub indexed: bool,
}

/// Locks the patient's live documents among `ids` that the scope covers (all live documents of
/// the patient when `scope.hi_types` is empty), with their headers and whether the key is
/// indexed (call inside a transaction; `FOR UPDATE`, so a page's checks and writes see the same
/// headers).
pub async fn lock_documents(
    conn: &mut PgConnection,
    scope: &StanzaScope<'_>,
    ids: &[Uuid],
) -> StoreResult<Vec<LockedDocument>> {
    Ok(sqlx::query_as(
        "SELECT d.id, d.header,
                EXISTS (SELECT 1 FROM document_stanzas s WHERE s.document_id = d.id AND s.key_id = $5) AS indexed
           FROM documents d
          WHERE d.id = ANY($6) AND d.owner_patient_id = $1 AND d.deleted_at IS NULL
            AND (cardinality($2::text[]) = 0 OR (d.hi_type = ANY($2) AND d.care_date BETWEEN $3 AND $4))
          ORDER BY d.id FOR UPDATE",
    )
    .bind(scope.patient_id)
    .bind(codes(scope.hi_types))
    .bind(scope.date_from)
    .bind(scope.date_to)
    .bind(&scope.key_id[..])
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?)
}

/// Records that a document's stored header already carries the hospital's stanza (call inside a
/// transaction): indexes it, as a grant's stanza would be.
pub async fn index_hospital_stanza(
    conn: &mut PgConnection,
    document_id: Uuid,
    key_id: &[u8; 16],
    hospital_id: Uuid,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO document_stanzas (document_id, key_id, holder_role, holder_id) VALUES ($1, $2, 'hospital', $3)
         ON CONFLICT (document_id, key_id) DO NOTHING",
    )
    .bind(document_id)
    .bind(&key_id[..])
    .bind(hospital_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// SQL condition: document `d` of patient `$1` is live and its header carries the bytes of key
/// id `$2` (a stanza for that key, short of a 2^-128 coincidence the client's parse rules out).
const CARRIES_KEY: &str = "d.owner_patient_id = $1 AND d.deleted_at IS NULL AND position($2 IN d.header) > 0";

/// The patient's live documents whose header still carries a stanza for the key (after a
/// revocation), with their headers, in id order after `after`, at most `limit`.
pub async fn find_documents_carrying_key(
    db: impl PgExecutor<'_>,
    patient_id: Uuid,
    key_id: &[u8; 16],
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<(Uuid, Vec<u8>)>> {
    Ok(sqlx::query_as(&format!(
        "SELECT d.id, d.header FROM documents d WHERE {CARRIES_KEY} AND ($3::uuid IS NULL OR d.id > $3)
          ORDER BY d.id LIMIT $4"
    ))
    .bind(patient_id)
    .bind(&key_id[..])
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// How many of the patient's live documents still carry a stanza for the key.
pub async fn count_documents_carrying_key(
    db: impl PgExecutor<'_>,
    patient_id: Uuid,
    key_id: &[u8; 16],
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM documents d WHERE {CARRIES_KEY}"))
        .bind(patient_id)
        .bind(&key_id[..])
        .fetch_one(db)
        .await?)
}

/// Whether the patient has a grant to the hospital that is in force now (granted, not past its
/// end).
pub async fn has_active_grant(db: impl PgExecutor<'_>, patient_id: Uuid, hospital_id: Uuid) -> StoreResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM consents WHERE patient_id = $1 AND hospital_id = $2
                           AND status = 'GRANTED' AND data_erase_at > now())",
    )
    .bind(patient_id)
    .bind(hospital_id)
    .fetch_one(db)
    .await?)
}

/// Replaces a document's header with one that adds the hospital's stanza, if the stored header
/// is still `old` (call inside a transaction), records it as the next header version (by the
/// granting patient), and indexes the stanza. Returns false when the header changed meanwhile.
pub async fn add_hospital_stanza(
    conn: &mut PgConnection,
    document_id: Uuid,
    old: &[u8],
    new: &[u8],
    key_id: &[u8; 16],
    hospital_id: Uuid,
    patient_id: Uuid,
) -> StoreResult<bool> {
    use super::documents::{HeaderChange, HeaderReason, swap_header};
    let change = HeaderChange { reason: HeaderReason::Grant, actor_role: "patient", actor_id: patient_id };
    if !swap_header(conn, document_id, old, new, &change).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO document_stanzas (document_id, key_id, holder_role, holder_id) VALUES ($1, $2, 'hospital', $3)
         ON CONFLICT (document_id, key_id) DO NOTHING",
    )
    .bind(document_id)
    .bind(&key_id[..])
    .bind(hospital_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Drops the hospital's stanza index entries on the patient's documents (at revocation).
pub async fn delete_hospital_stanzas(conn: &mut PgConnection, patient_id: Uuid, hospital_id: Uuid) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM document_stanzas s USING documents d
          WHERE s.document_id = d.id AND d.owner_patient_id = $1 AND s.holder_id = $2",
    )
    .bind(patient_id)
    .bind(hospital_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// Every consent a patient signed (granted, then maybe revoked or expired), with its signed
/// fields, in id order after `after`, at most `limit`: what an auditor compares with the chain.
pub async fn find_signed_consents(
    db: impl PgExecutor<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<SignedConsentRow>> {
    let rows: Vec<RawSignedConsent> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, {SIGNED_COLUMNS} FROM consents
          WHERE grant_signature IS NOT NULL AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(SignedConsentRow::try_from).collect()
}
