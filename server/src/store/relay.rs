//! `consent_chain_events`: the outbox of the chain mirror. The API writes one row when it records
//! a patient-signed grant or revocation; the worker relays them in `grantConsents` /
//! `revokeConsents` batches (`anchor_batches` rows of kind `grant` / `revoke`) and settles each
//! one with the transaction that put it on chain, or marks it failed with the contract's reason.
//! One it cannot settle now is set aside (still pending) with its reason until `next_attempt_at`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::anchor::to_i64;
use super::{StoreError, StoreResult, fixed_bytes, unsigned};

/// What a chain event relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The patient's signed grant (`grantConsents`).
    Grant,
    /// The patient's signed revocation (`revokeConsents`).
    Revoke,
}

impl EventKind {
    /// The stored code (also the batch's `kind`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Grant => "grant",
            Self::Revoke => "revoke",
        }
    }
}

/// A chain event's state as SQL over `consent_chain_events e`: `pending` (waiting for a batch),
/// `submitted` (in a batch being confirmed), `confirmed` or `failed`.
const EVENT_STATE: &str = "CASE WHEN e.confirmed_at IS NOT NULL THEN 'confirmed' WHEN e.failed_at IS NOT NULL THEN 'failed' \
     WHEN e.batch_id IS NOT NULL THEN 'submitted' ELSE 'pending' END";

/// Queues a grant or revocation for the chain (call inside the transaction that records it).
pub async fn insert_chain_event(conn: &mut PgConnection, consent_id: Uuid, kind: EventKind) -> StoreResult<()> {
    sqlx::query("INSERT INTO consent_chain_events (consent_id, kind) VALUES ($1, $2)")
        .bind(consent_id)
        .bind(kind.code())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Puts a consent's failed grant or revocation back in the queue after the patient signed it
/// again (call inside the transaction that stores the new signature). Returns the reason it had
/// failed with, or `None` when it had not failed (nothing changed).
pub async fn requeue_failed_event(
    conn: &mut PgConnection,
    consent_id: Uuid,
    kind: EventKind,
) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE consent_chain_events e SET failure = NULL, failed_at = NULL, batch_id = NULL, set_aside_count = 0
           FROM (SELECT id, failure FROM consent_chain_events
                  WHERE consent_id = $1 AND kind = $2 AND failed_at IS NOT NULL FOR UPDATE) old
          WHERE e.id = old.id
      RETURNING old.failure",
    )
    .bind(consent_id)
    .bind(kind.code())
    .fetch_optional(&mut *conn)
    .await?)
}

/// An event ready to relay, with the signed message it carries.
#[derive(Debug, Clone)]
pub struct ReadyEvent {
    /// Event id.
    pub id: i64,
    /// The consent.
    pub consent_id: Uuid,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// `keccak256("pramana/consent/v1" ‖ id)`.
    pub chain_consent_id: [u8; 32],
    /// The granting patient's address.
    pub patient_address: [u8; 20],
    /// The hospital's address.
    pub grantee_address: [u8; 20],
    /// The granted scope's hash.
    pub scope_hash: [u8; 32],
    /// Grant validity start.
    pub valid_from: DateTime<Utc>,
    /// Grant validity end.
    pub data_erase_at: DateTime<Utc>,
    /// The signed message's nonce (the grant's or the revocation's).
    pub nonce: u64,
    /// The signed message's deadline (Unix seconds).
    pub deadline: u64,
    /// The compact signature.
    pub signature: [u8; 64],
    /// How often it was set aside so far.
    pub set_aside_count: i32,
}

#[derive(sqlx::FromRow)]
struct RawReadyEvent {
    id: i64,
    consent_id: Uuid,
    created_at: DateTime<Utc>,
    chain_consent_id: Vec<u8>,
    patient_address: Vec<u8>,
    grantee_address: Vec<u8>,
    scope_hash: Vec<u8>,
    valid_from: DateTime<Utc>,
    data_erase_at: DateTime<Utc>,
    nonce: i64,
    deadline: i64,
    signature: Vec<u8>,
    set_aside_count: i32,
}

impl TryFrom<RawReadyEvent> for ReadyEvent {
    type Error = StoreError;

    fn try_from(r: RawReadyEvent) -> StoreResult<Self> {
        let at = |column: &str| format!("consents.{column} of {}", r.consent_id);
        Ok(Self {
            chain_consent_id: fixed_bytes(at("chain_consent_id"), &r.chain_consent_id)?,
            patient_address: fixed_bytes(at("patient_address"), &r.patient_address)?,
            grantee_address: fixed_bytes(at("grantee_address"), &r.grantee_address)?,
            scope_hash: fixed_bytes(at("scope_hash"), &r.scope_hash)?,
            nonce: unsigned(at("nonce"), r.nonce)?,
            deadline: unsigned(at("deadline"), r.deadline)?,
            signature: fixed_bytes(at("signature"), &r.signature)?,
            id: r.id,
            consent_id: r.consent_id,
            created_at: r.created_at,
            valid_from: r.valid_from,
            data_erase_at: r.data_erase_at,
            set_aside_count: r.set_aside_count,
        })
    }
}

/// Locks and returns up to `max` events of `kind` waiting for a batch, oldest first, skipping
/// rows another worker holds and those set aside until later (call inside a transaction). A
/// revocation waits until its grant is settled on chain (confirmed, or failed for good); a
/// message waits until every rotation of its account's signer queued before it is settled.
pub async fn claim_ready_events(conn: &mut PgConnection, kind: EventKind, max: u32) -> StoreResult<Vec<ReadyEvent>> {
    let (nonce, deadline, signature) = match kind {
        EventKind::Grant => ("c.grant_nonce", "c.grant_deadline", "c.grant_signature"),
        EventKind::Revoke => ("c.revoke_nonce", "c.revoke_deadline", "c.revoke_signature"),
    };
    let sql = format!(
        "SELECT e.id, e.consent_id, e.created_at, c.chain_consent_id, c.patient_address, c.grantee_address, c.scope_hash,
                c.valid_from, c.data_erase_at, {nonce} AS nonce, {deadline} AS deadline, {signature} AS signature,
                e.set_aside_count
           FROM consent_chain_events e JOIN consents c ON c.id = e.consent_id
          WHERE e.kind = $1 AND e.batch_id IS NULL AND e.confirmed_at IS NULL AND e.failed_at IS NULL
            AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= now())
            AND NOT EXISTS (SELECT 1 FROM signer_rotations r
                  WHERE r.account = c.patient_address AND r.created_at <= e.created_at
                    AND r.confirmed_at IS NULL AND r.failed_at IS NULL)
            AND ($1 = 'grant' OR EXISTS (SELECT 1 FROM consent_chain_events g
                  WHERE g.consent_id = e.consent_id AND g.kind = 'grant'
                    AND (g.confirmed_at IS NOT NULL OR g.failed_at IS NOT NULL)))
          ORDER BY e.id LIMIT $2 FOR UPDATE OF e SKIP LOCKED"
    );
    let rows: Vec<RawReadyEvent> =
        sqlx::query_as(&sql).bind(kind.code()).bind(i64::from(max)).fetch_all(&mut *conn).await?;
    rows.into_iter().map(ReadyEvent::try_from).collect()
}

/// Events and signer rotations not yet settled (waiting or in flight).
pub async fn count_open_events(db: impl PgExecutor<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM consent_chain_events WHERE confirmed_at IS NULL AND failed_at IS NULL)
              + (SELECT count(*) FROM signer_rotations WHERE confirmed_at IS NULL AND failed_at IS NULL)",
    )
    .fetch_one(db)
    .await?)
}

/// A new consent batch: the call that relays `event_ids`, in order.
#[derive(Debug, Clone)]
pub struct NewConsentBatch<'a> {
    /// Grants or revocations.
    pub kind: EventKind,
    /// Chain.
    pub chain_id: u64,
    /// Contract address.
    pub contract: &'a [u8; 20],
    /// Relaying account.
    pub signer: &'a [u8; 20],
    /// ABI-encoded `grantConsents` / `revokeConsents` call.
    pub calldata: &'a [u8],
    /// Gas limit of its transactions.
    pub gas_limit: u64,
    /// The events it relays.
    pub event_ids: &'a [i64],
}

/// Inserts a consent batch and assigns its events (call inside the transaction that claimed
/// them). Returns the batch id.
pub async fn insert_consent_batch(conn: &mut PgConnection, b: &NewConsentBatch<'_>) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO anchor_batches (kind, leaf_count, chain_id, contract, signer, calldata, gas_limit)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(b.kind.code())
    .bind(i32::try_from(b.event_ids.len()).unwrap_or(i32::MAX))
    .bind(to_i64(b.chain_id))
    .bind(&b.contract[..])
    .bind(&b.signer[..])
    .bind(b.calldata)
    .bind(to_i64(b.gas_limit))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE consent_chain_events SET batch_id = $1, set_aside_reason = NULL, next_attempt_at = NULL
          WHERE id = ANY($2)",
    )
    .bind(id)
    .bind(b.event_ids)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Settles one event on the transaction that put its message on chain.
pub async fn mark_event_confirmed(
    conn: &mut PgConnection,
    id: i64,
    tx_hash: &[u8; 32],
    block_number: u64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE consent_chain_events SET tx_hash = $2, block_number = $3, confirmed_at = now(),
                set_aside_reason = NULL, next_attempt_at = NULL
          WHERE id = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(&tx_hash[..])
    .bind(to_i64(block_number))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks one event as refused by the contract for good.
pub async fn mark_event_failed(conn: &mut PgConnection, id: i64, reason: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE consent_chain_events SET failure = $2, failed_at = now(), set_aside_reason = NULL, next_attempt_at = NULL
          WHERE id = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets one event aside: it stays pending, with `reason`, and is not claimed again for `delay`.
/// Returns when it is due again.
pub async fn mark_event_set_aside(
    conn: &mut PgConnection,
    id: i64,
    reason: &str,
    delay: std::time::Duration,
) -> StoreResult<DateTime<Utc>> {
    Ok(sqlx::query_scalar(
        "UPDATE consent_chain_events
            SET set_aside_count = set_aside_count + 1, set_aside_reason = $2,
                next_attempt_at = now() + make_interval(secs => $3)
          WHERE id = $1 AND confirmed_at IS NULL AND failed_at IS NULL
      RETURNING next_attempt_at",
    )
    .bind(id)
    .bind(reason)
    .bind(delay.as_secs_f64())
    .fetch_one(&mut *conn)
    .await?)
}

/// Confirms a consent batch (or a rotation's) and every event or rotation in it (call inside a
/// transaction). Returns false when the batch was no longer pending.
pub async fn mark_consent_batch_confirmed(
    conn: &mut PgConnection,
    batch_id: i64,
    c: &super::anchor::Confirmation<'_>,
) -> StoreResult<bool> {
    if !super::anchor::confirm_pending_batch(conn, batch_id, c).await? {
        return Ok(false);
    }
    // A batch carries consent events or one rotation; both settle the same way.
    for table in ["consent_chain_events", "signer_rotations"] {
        sqlx::query(&format!(
            "UPDATE {table} SET tx_hash = $2, block_number = $3, confirmed_at = now()
              WHERE batch_id = $1 AND confirmed_at IS NULL AND failed_at IS NULL"
        ))
        .bind(batch_id)
        .bind(&c.tx_hash[..])
        .bind(to_i64(c.block_number))
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Gives up a consent batch whose transaction can no longer land as built (it reverted, or its
/// nonce went to another transaction): its unsettled events go back to the outbox, to be checked
/// one by one again. Returns the events released.
pub async fn mark_batch_abandoned(conn: &mut PgConnection, batch_id: i64) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE anchor_batches SET status = 'abandoned' WHERE id = $1 AND status = 'pending' AND kind <> 'anchor'",
    )
    .bind(batch_id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(0);
    }
    let released = sqlx::query(
        "UPDATE consent_chain_events SET batch_id = NULL WHERE batch_id = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(batch_id)
    .execute(&mut *conn)
    .await?;
    let rotations = sqlx::query(
        "UPDATE signer_rotations SET batch_id = NULL WHERE batch_id = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(batch_id)
    .execute(&mut *conn)
    .await?;
    Ok(released.rows_affected() + rotations.rows_affected())
}

/// A consent's grant or revocation as the chain mirror sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChainEventState {
    /// The consent.
    pub consent_id: Uuid,
    /// `grant` or `revoke`.
    pub kind: String,
    /// `pending`, `submitted`, `confirmed` or `failed`.
    pub state: String,
    /// The transaction: the one in flight while submitted, the one that landed once confirmed.
    pub tx_hash: Option<Vec<u8>>,
    /// Block of the landed transaction.
    pub block_number: Option<i64>,
    /// The contract's reason, when failed.
    pub failure: Option<String>,
    /// Why the worker set it aside, while pending.
    pub set_aside_reason: Option<String>,
    /// When the worker checks it again, while set aside.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// The chain state of these consents' grants and revocations.
pub async fn find_chain_states(db: impl PgExecutor<'_>, consent_ids: &[Uuid]) -> StoreResult<Vec<ChainEventState>> {
    Ok(sqlx::query_as(&format!(
        "SELECT e.consent_id, e.kind, {EVENT_STATE} AS state,
                COALESCE(e.tx_hash, (SELECT t.tx_hash FROM anchor_txs t WHERE t.batch_id = e.batch_id ORDER BY t.id DESC LIMIT 1)) AS tx_hash,
                e.block_number, e.failure,
                CASE WHEN {EVENT_STATE} = 'pending' THEN e.set_aside_reason END AS set_aside_reason,
                CASE WHEN {EVENT_STATE} = 'pending' THEN e.next_attempt_at END AS next_attempt_at
           FROM consent_chain_events e WHERE e.consent_id = ANY($1) ORDER BY e.id"
    ))
    .bind(consent_ids)
    .fetch_all(db)
    .await?)
}

/// A patient's signed hand-over of their account to a new signing key.
#[derive(Debug, Clone)]
pub struct NewRotation {
    /// The patient.
    pub patient_id: Uuid,
    /// The Ethereum key registered with it.
    pub key_id: Uuid,
    /// The account address (the patient's first Ethereum key).
    pub account: [u8; 20],
    /// The key the account is handed to.
    pub new_signer: [u8; 20],
    /// The account's contract nonce the message carries.
    pub nonce: i64,
    /// Signature deadline (Unix seconds).
    pub deadline: i64,
    /// EIP-2098 compact signature by the account's signer before it.
    pub signature: [u8; 64],
}

/// Queues a signer rotation for the chain (call inside the transaction that registers the key).
pub async fn insert_signer_rotation(conn: &mut PgConnection, r: &NewRotation) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO signer_rotations (patient_id, key_id, account, new_signer, nonce, deadline, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(r.patient_id)
    .bind(r.key_id)
    .bind(&r.account[..])
    .bind(&r.new_signer[..])
    .bind(r.nonce)
    .bind(r.deadline)
    .bind(&r.signature[..])
    .fetch_one(&mut *conn)
    .await?)
}

/// A rotation ready to relay.
#[derive(Debug, Clone)]
pub struct ReadyRotation {
    /// Rotation id.
    pub id: i64,
    /// Account address.
    pub account: [u8; 20],
    /// New signer.
    pub new_signer: [u8; 20],
    /// Signed nonce.
    pub nonce: u64,
    /// Signed deadline (Unix seconds).
    pub deadline: u64,
    /// Compact signature.
    pub signature: [u8; 64],
}

#[derive(sqlx::FromRow)]
struct RawRotation {
    id: i64,
    account: Vec<u8>,
    new_signer: Vec<u8>,
    nonce: i64,
    deadline: i64,
    signature: Vec<u8>,
}

impl TryFrom<RawRotation> for ReadyRotation {
    type Error = StoreError;

    fn try_from(r: RawRotation) -> StoreResult<Self> {
        let at = |column: &str| format!("signer_rotations.{column} of {}", r.id);
        Ok(Self {
            id: r.id,
            account: fixed_bytes(at("account"), &r.account)?,
            new_signer: fixed_bytes(at("new_signer"), &r.new_signer)?,
            nonce: unsigned(at("nonce"), r.nonce)?,
            deadline: unsigned(at("deadline"), r.deadline)?,
            signature: fixed_bytes(at("signature"), &r.signature)?,
        })
    }
}

/// Locks and returns the oldest rotation waiting for the chain whose account has no older
/// grant or revocation still open (those were signed under the key before it and go first),
/// skipping rows another worker holds (call inside a transaction).
pub async fn claim_next_rotation(conn: &mut PgConnection) -> StoreResult<Option<ReadyRotation>> {
    let row: Option<RawRotation> = sqlx::query_as(
        "SELECT r.id, r.account, r.new_signer, r.nonce, r.deadline, r.signature
           FROM signer_rotations r
          WHERE r.batch_id IS NULL AND r.confirmed_at IS NULL AND r.failed_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM signer_rotations o
                  WHERE o.account = r.account AND o.id < r.id AND o.confirmed_at IS NULL AND o.failed_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM consent_chain_events e JOIN consents c ON c.id = e.consent_id
                  WHERE c.patient_address = r.account AND e.created_at < r.created_at
                    AND e.confirmed_at IS NULL AND e.failed_at IS NULL)
          ORDER BY r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED",
    )
    .fetch_optional(&mut *conn)
    .await?;
    row.map(ReadyRotation::try_from).transpose()
}

/// Records the batch that relays a rotation (call inside the transaction that claimed it): of
/// kind `rotate`, with `b`'s chain, contract, signer, call and gas limit (its `kind` and
/// `event_ids` are not used).
pub async fn insert_rotation_batch(
    conn: &mut PgConnection,
    b: &NewConsentBatch<'_>,
    rotation_id: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO anchor_batches (kind, leaf_count, chain_id, contract, signer, calldata, gas_limit)
         VALUES ('rotate', 1, $1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(to_i64(b.chain_id))
    .bind(&b.contract[..])
    .bind(&b.signer[..])
    .bind(b.calldata)
    .bind(to_i64(b.gas_limit))
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE signer_rotations SET batch_id = $1 WHERE id = $2")
        .bind(id)
        .bind(rotation_id)
        .execute(&mut *conn)
        .await?;
    Ok(id)
}

/// Settles a rotation the chain already holds (relayed by anyone; no transaction of ours).
pub async fn mark_rotation_confirmed(conn: &mut PgConnection, id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE signer_rotations SET confirmed_at = now() WHERE id = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a rotation as refused by the contract for good.
pub async fn mark_rotation_failed(conn: &mut PgConnection, id: i64, reason: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE signer_rotations SET failure = $2, failed_at = now() WHERE id = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The highest nonce among the account's rotations not yet settled on chain: once they land,
/// the account's nonce is above it, so a message signed with it or lower cannot land.
pub async fn find_unsettled_rotation_nonce(db: impl PgExecutor<'_>, account: &[u8; 20]) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT max(nonce) FROM signer_rotations WHERE account = $1 AND confirmed_at IS NULL AND failed_at IS NULL",
    )
    .bind(&account[..])
    .fetch_one(db)
    .await?)
}

/// A patient's signer rotations the chain did not refuse (settled or still waiting), oldest first.
pub async fn find_rotations_by_patient(db: impl PgExecutor<'_>, patient_id: Uuid) -> StoreResult<Vec<ReadyRotation>> {
    let rows: Vec<RawRotation> = sqlx::query_as(
        "SELECT id, account, new_signer, nonce, deadline, signature FROM signer_rotations
          WHERE patient_id = $1 AND failed_at IS NULL ORDER BY id",
    )
    .bind(patient_id)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(ReadyRotation::try_from).collect()
}
