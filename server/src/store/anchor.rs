//! The anchoring tables: `anchor_jobs` (the outbox), `anchor_batches` and `anchor_txs`.
//!
//! The worker's cycle is `claim_next_jobs` → `insert_batch` + `insert_anchor_tx` (one transaction,
//! before any broadcast) → `mark_batch_confirmed`. A batch stays `pending` until then, so a
//! restarted worker resumes it from here.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;

/// A job waiting for a batch.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingJob {
    /// Job id (batches take jobs in id order).
    pub id: i64,
    /// The Merkle leaf.
    pub leaf: Vec<u8>,
    /// When the job was written (with its document).
    pub created_at: DateTime<Utc>,
}

/// A batch row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchRow {
    /// Id.
    pub id: i64,
    /// `anchor` (a Merkle root), `grant` or `revoke` (consent events, see `store::relay`).
    pub kind: String,
    /// Merkle root (anchor batches).
    pub root: Option<Vec<u8>>,
    /// Leaves, or consent events.
    pub leaf_count: i32,
    /// Chain.
    pub chain_id: i64,
    /// Contract address (20 bytes).
    pub contract: Vec<u8>,
    /// Anchoring account (20 bytes).
    pub signer: Vec<u8>,
    /// `pending` or `confirmed`.
    pub status: String,
    /// When the batch was built.
    pub created_at: DateTime<Utc>,
    /// The contract call (consent batches).
    pub calldata: Option<Vec<u8>>,
    /// Its gas limit (consent batches).
    pub gas_limit: Option<i64>,
}

/// A new batch.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    /// Merkle root.
    pub root: &'a [u8; 32],
    /// Chain.
    pub chain_id: u64,
    /// Contract address.
    pub contract: &'a [u8; 20],
    /// Anchoring account.
    pub signer: &'a [u8; 20],
    /// The jobs, in leaf order.
    pub job_ids: &'a [i64],
}

/// A signed transaction of a batch.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnchorTxRow {
    /// Id (later attempts have larger ids).
    pub id: i64,
    /// Its batch.
    pub batch_id: i64,
    /// Account nonce.
    pub nonce: i64,
    /// Transaction hash.
    pub tx_hash: Vec<u8>,
    /// The signed transaction (EIP-2718 bytes), ready to rebroadcast.
    pub raw: Vec<u8>,
    /// EIP-1559 fee cap, wei.
    pub max_fee_per_gas: i64,
    /// EIP-1559 tip, wei.
    pub max_priority_fee_per_gas: i64,
    /// When it was signed and stored.
    pub created_at: DateTime<Utc>,
}

/// A signed transaction to store.
#[derive(Debug, Clone)]
pub struct NewAnchorTx<'a> {
    /// Its batch.
    pub batch_id: i64,
    /// Account nonce.
    pub nonce: u64,
    /// Hash.
    pub tx_hash: &'a [u8; 32],
    /// EIP-2718 bytes.
    pub raw: &'a [u8],
    /// Fee cap, wei.
    pub max_fee_per_gas: u128,
    /// Tip, wei.
    pub max_priority_fee_per_gas: u128,
}

/// One leaf of a batch with what its proof bundle needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BatchLeaf {
    /// Job id.
    pub job_id: i64,
    /// Position in the batch.
    pub leaf_index: i32,
    /// The leaf.
    pub leaf: Vec<u8>,
    /// The document (a document leaf).
    pub document_id: Option<Uuid>,
    /// The document's salt (a document leaf).
    pub salt: Option<Vec<u8>>,
    /// The document's plaintext SHA-256 (a document leaf).
    pub plaintext_sha256: Option<Vec<u8>>,
    /// The access log's tree head (an `audit_head` leaf).
    pub audit_tree_size: Option<i64>,
    /// That head's root.
    pub audit_root: Option<Vec<u8>>,
    /// When the job was written.
    pub created_at: DateTime<Utc>,
}

/// Where a confirmed batch landed.
#[derive(Debug, Clone)]
pub struct Confirmation<'a> {
    /// The transaction that anchored the root.
    pub tx_hash: &'a [u8; 32],
    /// Its block.
    pub block_number: u64,
    /// The block's hash.
    pub block_hash: &'a [u8; 32],
    /// The block's time.
    pub block_timestamp: DateTime<Utc>,
    /// Gas the transaction used (0 when unknown).
    pub gas_used: u64,
}

/// A document's anchoring state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentAnchor {
    /// `pending` (no batch yet), `submitted` (in a batch being confirmed) or `confirmed`.
    pub state: String,
    /// The proof bundle, once confirmed.
    pub proof: Option<serde_json::Value>,
}

/// An anchor job's state as SQL over `anchor_jobs j`: `pending` (no batch yet), `submitted`
/// (in a batch not yet final) or `confirmed`.
pub const ANCHOR_STATE: &str = "CASE WHEN j.anchored_at IS NOT NULL THEN 'confirmed' \
     WHEN j.batch_id IS NOT NULL THEN 'submitted' ELSE 'pending' END";

/// A chain quantity as a Postgres `bigint` (saturating).
pub(super) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn fee_to_i64(v: u128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Locks and returns up to `max` jobs without a batch, oldest first, skipping jobs another
/// worker holds (call inside a transaction).
pub async fn claim_next_jobs(conn: &mut PgConnection, max: u32) -> StoreResult<Vec<PendingJob>> {
    Ok(sqlx::query_as(
        "SELECT id, leaf, created_at FROM anchor_jobs WHERE batch_id IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(i64::from(max))
    .fetch_all(&mut *conn)
    .await?)
}

/// Jobs without a batch (the backlog).
pub async fn count_pending_jobs(db: impl PgExecutor<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE batch_id IS NULL").fetch_one(db).await?)
}

/// The signer's unfinished batch on `chain_id` (of any kind), if any.
pub async fn find_pending_batch(
    db: impl PgExecutor<'_>,
    chain_id: u64,
    signer: &[u8; 20],
) -> StoreResult<Option<BatchRow>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, root, leaf_count, chain_id, contract, signer, status, created_at, calldata, gas_limit
           FROM anchor_batches WHERE chain_id = $1 AND signer = $2 AND status = 'pending'",
    )
    .bind(to_i64(chain_id))
    .bind(&signer[..])
    .fetch_optional(db)
    .await?)
}

/// Inserts a batch and gives its jobs their leaf positions (call inside the transaction that
/// claimed them). Returns the batch id.
pub async fn insert_batch(conn: &mut PgConnection, b: &NewBatch<'_>) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO anchor_batches (root, leaf_count, chain_id, contract, signer) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&b.root[..])
    .bind(i32::try_from(b.job_ids.len()).unwrap_or(i32::MAX))
    .bind(to_i64(b.chain_id))
    .bind(&b.contract[..])
    .bind(&b.signer[..])
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE anchor_jobs j SET batch_id = $1, leaf_index = (d.ord - 1)::int
           FROM unnest($2::bigint[]) WITH ORDINALITY AS d(id, ord) WHERE j.id = d.id",
    )
    .bind(id)
    .bind(b.job_ids)
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Stores a signed transaction before it is broadcast.
pub async fn insert_anchor_tx(db: impl PgExecutor<'_>, t: &NewAnchorTx<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO anchor_txs (batch_id, nonce, tx_hash, raw, max_fee_per_gas, max_priority_fee_per_gas)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(t.batch_id)
    .bind(to_i64(t.nonce))
    .bind(&t.tx_hash[..])
    .bind(t.raw)
    .bind(fee_to_i64(t.max_fee_per_gas))
    .bind(fee_to_i64(t.max_priority_fee_per_gas))
    .fetch_one(db)
    .await?)
}

/// Every transaction signed for a batch, oldest first.
pub async fn find_txs_by_batch(db: impl PgExecutor<'_>, batch_id: i64) -> StoreResult<Vec<AnchorTxRow>> {
    Ok(sqlx::query_as(
        "SELECT id, batch_id, nonce, tx_hash, raw, max_fee_per_gas, max_priority_fee_per_gas, created_at
           FROM anchor_txs WHERE batch_id = $1 ORDER BY id",
    )
    .bind(batch_id)
    .fetch_all(db)
    .await?)
}

/// The batch's leaves in order, with their documents' salts and digests.
pub async fn find_batch_leaves(db: impl PgExecutor<'_>, batch_id: i64) -> StoreResult<Vec<BatchLeaf>> {
    Ok(sqlx::query_as(
        "SELECT j.id AS job_id, j.leaf_index, j.leaf, d.id AS document_id, d.salt, d.plaintext_sha256,
                h.tree_size AS audit_tree_size, h.root AS audit_root, j.created_at
           FROM anchor_jobs j LEFT JOIN documents d ON d.id = j.document_id
                LEFT JOIN audit_tree_heads h ON h.tree_size = j.audit_tree_size
          WHERE j.batch_id = $1 ORDER BY j.leaf_index",
    )
    .bind(batch_id)
    .fetch_all(db)
    .await?)
}

/// Records where a batch was anchored and stores every job's proof bundle, in one statement
/// each (call inside a transaction). `proofs` pairs job ids with bundle JSON.
pub async fn mark_batch_confirmed(
    conn: &mut PgConnection,
    batch_id: i64,
    c: &Confirmation<'_>,
    proofs: &[(i64, String)],
) -> StoreResult<bool> {
    if !confirm_pending_batch(conn, batch_id, c).await? {
        return Ok(false);
    }
    let (ids, bundles): (Vec<i64>, Vec<&str>) = proofs.iter().map(|(id, p)| (*id, p.as_str())).unzip();
    sqlx::query(
        "UPDATE anchor_jobs j SET anchored_at = now(), proof = d.proof::jsonb
           FROM unnest($1::bigint[], $2::text[]) AS d(id, proof) WHERE j.id = d.id AND j.batch_id = $3",
    )
    .bind(&ids)
    .bind(&bundles)
    .bind(batch_id)
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// Marks a pending batch (of any kind) confirmed where `c` says; false when it was not pending.
pub(crate) async fn confirm_pending_batch(
    conn: &mut PgConnection,
    batch_id: i64,
    c: &Confirmation<'_>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE anchor_batches SET status = 'confirmed', tx_hash = $2, block_number = $3, block_hash = $4,
                block_timestamp = $5, gas_used = $6, confirmed_at = now()
          WHERE id = $1 AND status = 'pending'",
    )
    .bind(batch_id)
    .bind(&c.tx_hash[..])
    .bind(to_i64(c.block_number))
    .bind(&c.block_hash[..])
    .bind(c.block_timestamp)
    .bind(to_i64(c.gas_used))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A document's anchoring state and proof bundle; `None` when it has no anchor job.
pub async fn find_anchor_by_document(
    db: impl PgExecutor<'_>,
    document_id: Uuid,
) -> StoreResult<Option<DocumentAnchor>> {
    Ok(sqlx::query_as(&format!("SELECT {ANCHOR_STATE} AS state, j.proof FROM anchor_jobs j WHERE j.document_id = $1"))
        .bind(document_id)
        .fetch_optional(db)
        .await?)
}

/// The proof bundles of a patient's confirmed documents, by document id.
pub async fn find_proofs_by_owner(db: impl PgExecutor<'_>, owner: Uuid) -> StoreResult<Vec<(Uuid, serde_json::Value)>> {
    Ok(sqlx::query_as(
        "SELECT j.document_id, j.proof FROM anchor_jobs j JOIN documents d ON d.id = j.document_id
          WHERE d.owner_patient_id = $1 AND j.proof IS NOT NULL",
    )
    .bind(owner)
    .fetch_all(db)
    .await?)
}

/// Takes the session-level advisory lock `key` on this connection if it is free: the lease
/// that makes one worker per signer the submitter. Held until the connection closes.
pub async fn try_lock_signer(conn: &mut PgConnection, key: i64) -> StoreResult<bool> {
    Ok(sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(&mut *conn).await?)
}
