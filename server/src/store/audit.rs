//! `audit_log`: the access log, a verifiable log in the Certificate Transparency manner (format
//! in `docs/audit-log.md`).
//!
//! A request appends its event with one plain `INSERT` (no lock): `seq` from a sequence, `id` a
//! UUID v7, and `leaf_hash = SHA-256(0x00 ‖ entry)` with the entry encoded by
//! `pramana_core::auditlog::Entry`. The worker's sequencer later gives unsequenced rows
//! consecutive `position`s in an RFC 9162 tree, stores the tree's perfect subtrees
//! (`audit_tree_nodes`) and a tree head (`audit_tree_heads`), and queues the head for anchoring
//! (an `audit_head` anchor job) — all in one transaction, under a transaction-scoped advisory
//! lock only the sequencer takes.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use pramana_core::auditlog::{self, CompactRange, Entry, Hash, Node, TreeError};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::{StoreError, StoreResult};

/// Advisory-lock key that lets one sequencer run at a time ("audit-seq" in ASCII).
const SEQUENCER_LOCK_KEY: i64 = 0x6175_6469_742d_7365;

/// Whether the audited action was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It happened.
    Ok,
    /// It was refused.
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Denied => "denied",
        }
    }
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// `patient`, `hospital`, `auditor`, `admin`, `anonymous` or `system`.
    pub actor_role: &'static str,
    /// Who acted, when known.
    pub actor_id: Option<Uuid>,
    /// Dotted verb, e.g. `patient.register`.
    pub action: &'static str,
    /// Allowed or refused.
    pub outcome: Outcome,
    /// The patient whose data this concerns.
    pub subject_patient_id: Option<Uuid>,
    /// What was acted on, e.g. `key:<id>`.
    pub target: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Small, non-personal details.
    pub details: Value,
    /// The hospital staff member who acted for the hospital (`actor_id`): recorded in the
    /// entry's details as `actor_staff_id`, so the entry format and its hash stay as they are.
    pub actor_staff_id: Option<Uuid>,
    /// The guardian who acted on their child's account (`actor_id`, a patient): recorded in
    /// the details as `actor_guardian_id`, as `actor_staff_id` is.
    pub actor_guardian_id: Option<Uuid>,
}

impl AuditEvent {
    /// An event with no subject, target, request or details yet; the methods below add them.
    pub fn new(actor_role: &'static str, actor_id: Option<Uuid>, action: &'static str, outcome: Outcome) -> Self {
        Self {
            actor_role,
            actor_id,
            action,
            outcome,
            subject_patient_id: None,
            target: None,
            request_id: None,
            details: Value::Object(serde_json::Map::new()),
            actor_staff_id: None,
            actor_guardian_id: None,
        }
    }

    /// The hospital staff member who acted (`None`: the hospital's API-secret session, or no
    /// hospital).
    pub fn staff(mut self, id: Option<Uuid>) -> Self {
        self.actor_staff_id = id;
        self
    }

    /// The guardian who acted on their child's account (`None`: the account's own session).
    pub fn guardian(mut self, id: Option<Uuid>) -> Self {
        self.actor_guardian_id = id;
        self
    }

    /// The details as stored: `details`, with `actor_staff_id` when a staff member acted and
    /// `actor_guardian_id` when a guardian did.
    fn stored_details(&self) -> Value {
        let extra: Vec<(&str, Uuid)> =
            [("actor_staff_id", self.actor_staff_id), ("actor_guardian_id", self.actor_guardian_id)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect();
        if extra.is_empty() {
            return self.details.clone();
        }
        let mut map = match &self.details {
            Value::Object(map) => map.clone(),
            other => serde_json::Map::from_iter([("value".to_owned(), other.clone())]),
        };
        for (k, v) in extra {
            map.insert(k.to_owned(), Value::String(v.to_string()));
        }
        Value::Object(map)
    }

    /// The patient whose data this concerns (`None`: no patient's).
    pub fn patient(mut self, id: impl Into<Option<Uuid>>) -> Self {
        self.subject_patient_id = id.into();
        self
    }

    /// What was acted on, as `<kind>:<id>`.
    pub fn target(mut self, kind: &str, id: impl std::fmt::Display) -> Self {
        self.target = Some(format!("{kind}:{id}"));
        self
    }

    /// The request that caused it.
    pub fn request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }

    /// Small, non-personal details.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// A stored audit row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditRow {
    /// Insertion number (from a sequence: increasing, but a rolled-back append leaves a gap, and
    /// rows commit in any order). Pages and URLs name entries by it.
    pub seq: i64,
    /// The entry's id (UUID v7), part of what is hashed.
    pub id: Uuid,
    /// When it was recorded (microsecond precision).
    pub at: DateTime<Utc>,
    /// Role of the actor.
    pub actor_role: String,
    /// Actor id.
    pub actor_id: Option<Uuid>,
    /// Dotted verb.
    pub action: String,
    /// `ok` or `denied`.
    pub outcome: String,
    /// The patient concerned.
    pub subject_patient_id: Option<Uuid>,
    /// What was acted on.
    pub target: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Details.
    pub details: Value,
    /// `SHA-256(0x00 ‖ entry)`, written at insert (hex in JSON; absent only on rows from before
    /// the log was verifiable, until they are sequenced).
    #[serde(serialize_with = "hex_opt")]
    pub leaf_hash: Option<Vec<u8>>,
    /// Position in the tree, from 0; absent until the sequencer integrates the entry.
    pub position: Option<i64>,
}

fn hex_opt<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => s.serialize_str(&hex::encode(b)),
        None => s.serialize_none(),
    }
}

impl AuditRow {
    /// The leaf hash of this row's content, recomputed.
    pub fn content_hash(&self) -> Hash {
        let details = auditlog::canonical_json(&self.details);
        Entry {
            id: *self.id.as_bytes(),
            at_micros: self.at.timestamp_micros(),
            actor_role: &self.actor_role,
            actor_id: self.actor_id.map(|u| *u.as_bytes()),
            action: &self.action,
            outcome: &self.outcome,
            subject_patient_id: self.subject_patient_id.map(|u| *u.as_bytes()),
            target: self.target.as_deref(),
            request_id: self.request_id.as_deref(),
            details: &details,
        }
        .leaf_hash()
    }
}

const COLUMNS: &str = "seq, id, at, actor_role, actor_id, action, outcome, subject_patient_id, target, request_id, \
                       details, leaf_hash, position";

/// Appends an event inside the caller's transaction (one `INSERT`, no lock); returns its `seq`.
pub async fn insert_audit_event(conn: &mut PgConnection, event: &AuditEvent) -> StoreResult<i64> {
    let id = Uuid::now_v7();
    // Hash exactly the values stored: `at` is truncated to Postgres' microseconds first.
    let at = Utc::now().trunc_subsecs(6);
    let stored_details = event.stored_details();
    let details = auditlog::canonical_json(&stored_details);
    let leaf = Entry {
        id: *id.as_bytes(),
        at_micros: at.timestamp_micros(),
        actor_role: event.actor_role,
        actor_id: event.actor_id.map(|u| *u.as_bytes()),
        action: event.action,
        outcome: event.outcome.as_str(),
        subject_patient_id: event.subject_patient_id.map(|u| *u.as_bytes()),
        target: event.target.as_deref(),
        request_id: event.request_id.as_deref(),
        details: &details,
    }
    .leaf_hash();
    Ok(sqlx::query_scalar(
        "INSERT INTO audit_log (id, at, actor_role, actor_id, action, outcome, subject_patient_id, target,
                                request_id, details, leaf_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING seq",
    )
    .bind(id)
    .bind(at)
    .bind(event.actor_role)
    .bind(event.actor_id)
    .bind(event.action)
    .bind(event.outcome.as_str())
    .bind(event.subject_patient_id)
    .bind(&event.target)
    .bind(&event.request_id)
    .bind(&stored_details)
    .bind(&leaf[..])
    .fetch_one(&mut *conn)
    .await?)
}

/// Appends an event in a transaction of its own (committed when this returns).
pub async fn insert_audit_event_now(pool: &PgPool, event: &AuditEvent) -> StoreResult<i64> {
    let mut conn = pool.acquire().await?;
    insert_audit_event(&mut conn, event).await
}

/// A page of events in `seq` order, after `after_seq`; only those about `patient` when given.
pub async fn find_audit_page(
    db: impl PgExecutor<'_>,
    patient: Option<Uuid>,
    after_seq: i64,
    limit: i64,
) -> StoreResult<Vec<AuditRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log
          WHERE seq > $1 AND ($2::uuid IS NULL OR subject_patient_id = $2)
          ORDER BY seq LIMIT $3"
    ))
    .bind(after_seq)
    .bind(patient)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// One event by `seq`, if it is about `patient` (any event when `patient` is `None`).
pub async fn find_audit_event_by_seq(
    db: impl PgExecutor<'_>,
    seq: i64,
    patient: Option<Uuid>,
) -> StoreResult<Option<AuditRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq = $1 AND ($2::uuid IS NULL OR subject_patient_id = $2)"
    ))
    .bind(seq)
    .bind(patient)
    .fetch_optional(db)
    .await?)
}

/// Sequenced entries in position order, from `start`.
pub async fn find_entries_by_position(db: impl PgExecutor<'_>, start: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM audit_log WHERE position >= $1 ORDER BY position LIMIT $2"))
        .bind(start)
        .bind(limit)
        .fetch_all(db)
        .await?)
}

/// A tree head, with its anchor proof once the batch holding it is confirmed on chain.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TreeHead {
    /// Leaves in the tree.
    pub tree_size: i64,
    /// RFC 9162 root (hex in JSON).
    #[serde(serialize_with = "hex_bytes")]
    pub root: Vec<u8>,
    /// When the sequencer made it.
    pub created_at: DateTime<Utc>,
    /// The anchor proof (`pramana_core::auditlog::HeadAnchor`), once anchored.
    pub anchor: Option<Value>,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

const HEAD_COLUMNS: &str = "h.tree_size, h.root, h.created_at, j.proof AS anchor";

/// Heads in size order, after `after_size`.
pub async fn find_heads(db: impl PgExecutor<'_>, after_size: i64, limit: i64) -> StoreResult<Vec<TreeHead>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HEAD_COLUMNS} FROM audit_tree_heads h LEFT JOIN anchor_jobs j ON j.audit_tree_size = h.tree_size
          WHERE h.tree_size > $1 ORDER BY h.tree_size LIMIT $2"
    ))
    .bind(after_size)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The head of `size` leaves, if there is one.
pub async fn find_head_by_size(db: impl PgExecutor<'_>, size: i64) -> StoreResult<Option<TreeHead>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HEAD_COLUMNS} FROM audit_tree_heads h LEFT JOIN anchor_jobs j ON j.audit_tree_size = h.tree_size
          WHERE h.tree_size = $1"
    ))
    .bind(size)
    .fetch_optional(db)
    .await?)
}

/// The largest anchored head, else the largest head.
pub async fn find_latest_head(db: impl PgExecutor<'_>) -> StoreResult<Option<TreeHead>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {HEAD_COLUMNS} FROM audit_tree_heads h LEFT JOIN anchor_jobs j ON j.audit_tree_size = h.tree_size
          ORDER BY (j.proof IS NOT NULL) DESC, h.tree_size DESC LIMIT 1"
    ))
    .fetch_optional(db)
    .await?)
}

/// Why a proof could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ProofUnavailable {
    /// The sizes or position are not in the stored tree.
    #[error(transparent)]
    Range(#[from] TreeError),
    /// A node the proof needs is missing (the tree tables were edited by hand).
    #[error("tree node level {0} index {1} is missing")]
    MissingNode(u32, u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The hashes of `ranges`, each folded from the perfect subtrees that cover it.
async fn range_hashes(db: &PgPool, ranges: &[auditlog::Range]) -> Result<Vec<Hash>, ProofUnavailable> {
    let covers: Vec<Vec<(u32, u64)>> = ranges.iter().map(|&r| auditlog::range_cover(r)).collect();
    let ids: Vec<(u32, u64)> = covers.iter().flatten().copied().collect();
    let nodes = find_nodes(db, &ids).await?;
    covers
        .iter()
        .map(|cover| {
            let hashes = cover
                .iter()
                .map(|id| nodes.get(id).copied().ok_or(ProofUnavailable::MissingNode(id.0, id.1)))
                .collect::<Result<Vec<Hash>, _>>()?;
            Ok(auditlog::fold_cover(&hashes))
        })
        .collect()
}

/// The inclusion proof of `position` in the tree of `size` leaves.
pub async fn inclusion_proof(db: &PgPool, position: u64, size: u64) -> Result<Vec<Hash>, ProofUnavailable> {
    range_hashes(db, &auditlog::inclusion_ranges(position, size)?).await
}

/// The consistency proof from the tree of `first` leaves to the tree of `second`.
pub async fn consistency_proof(db: &PgPool, first: u64, second: u64) -> Result<Vec<Hash>, ProofUnavailable> {
    if first == second {
        auditlog::consistency_ranges(first, second)?;
        return Ok(Vec::new());
    }
    range_hashes(db, &auditlog::consistency_ranges(first, second)?).await
}

/// The stored perfect subtrees among `ids`.
async fn find_nodes(db: impl PgExecutor<'_>, ids: &[(u32, u64)]) -> StoreResult<HashMap<(u32, u64), Hash>> {
    let levels: Vec<i16> = ids.iter().map(|&(l, _)| i16::try_from(l).unwrap_or(i16::MAX)).collect();
    let idxs: Vec<i64> = ids.iter().map(|&(_, i)| i64::try_from(i).unwrap_or(i64::MAX)).collect();
    let rows: Vec<(i16, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT n.level, n.idx, n.hash FROM audit_tree_nodes n
           JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx",
    )
    .bind(&levels)
    .bind(&idxs)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(l, i, h)| Some(((u32::try_from(l).ok()?, u64::try_from(i).ok()?), Hash::try_from(h).ok()?)))
        .collect())
}

/// What one sequencing pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequenced {
    /// Another sequencer holds the lock.
    Busy,
    /// Nothing new to integrate.
    Nothing,
    /// Entries were integrated and a head of `tree_size` stored and queued for anchoring.
    Head {
        /// Entries integrated.
        added: usize,
        /// The new tree size.
        tree_size: u64,
    },
}

/// Integrates up to `max` unsequenced entries (oldest `seq` first) in one transaction: gives
/// them the next positions, stores the perfect subtrees they complete and the new head, and
/// queues the head's anchor leaf. Only one sequencer runs at a time (an advisory lock).
#[tracing::instrument(skip_all)]
pub async fn sequence_next_entries(pool: &PgPool, max: i64) -> StoreResult<Sequenced> {
    let mut tx = pool.begin().await?;
    let locked: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)").bind(SEQUENCER_LOCK_KEY).fetch_one(&mut *tx).await?;
    if !locked {
        return Ok(Sequenced::Busy);
    }
    let rows: Vec<AuditRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM audit_log WHERE position IS NULL ORDER BY seq LIMIT $1"))
            .bind(max)
            .fetch_all(&mut *tx)
            .await?;
    if rows.is_empty() {
        return Ok(Sequenced::Nothing);
    }
    let size: i64 =
        sqlx::query_scalar("SELECT coalesce(max(tree_size), 0) FROM audit_tree_heads").fetch_one(&mut *tx).await?;
    let size = u64::try_from(size).unwrap_or_default();
    let peak_ids = CompactRange::peak_ids(size);
    let peaks = find_nodes(&mut *tx, &peak_ids).await?;
    let peak_hashes: Vec<Hash> = peak_ids.iter().filter_map(|id| peaks.get(id).copied()).collect();
    let mut tree = CompactRange::from_peaks(size, &peak_hashes)
        .map_err(|e| StoreError::Schema(format!("audit tree of size {size} is missing a node: {e}")))?;
    let mut nodes: Vec<Node> = Vec::new();
    let (mut seqs, mut positions, mut leaves) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let recomputed = row.content_hash();
        // The tree commits to what the request wrote; a row edited since shows up on verification.
        let leaf = row.leaf_hash.as_deref().and_then(|h| Hash::try_from(h).ok()).unwrap_or(recomputed);
        if leaf != recomputed {
            tracing::error!(seq = row.seq, "audit row does not match the hash written with it");
        }
        seqs.push(row.seq);
        positions.push(i64::try_from(tree.size()).unwrap_or(i64::MAX));
        leaves.push(leaf.to_vec());
        nodes.extend(tree.append(leaf));
    }
    sqlx::query(
        "UPDATE audit_log a SET position = d.position, leaf_hash = d.leaf_hash
           FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS d(seq, position, leaf_hash) WHERE a.seq = d.seq",
    )
    .bind(&seqs)
    .bind(&positions)
    .bind(&leaves)
    .execute(&mut *tx)
    .await?;
    let levels: Vec<i16> = nodes.iter().map(|n| i16::try_from(n.0).unwrap_or(i16::MAX)).collect();
    let idxs: Vec<i64> = nodes.iter().map(|n| i64::try_from(n.1).unwrap_or(i64::MAX)).collect();
    let hashes: Vec<Vec<u8>> = nodes.iter().map(|n| n.2.to_vec()).collect();
    sqlx::query("INSERT INTO audit_tree_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])")
        .bind(&levels)
        .bind(&idxs)
        .bind(&hashes)
        .execute(&mut *tx)
        .await?;
    let tree_size = tree.size();
    let root = tree.root();
    let size_i64 = i64::try_from(tree_size).unwrap_or(i64::MAX);
    sqlx::query("INSERT INTO audit_tree_heads (tree_size, root) VALUES ($1, $2)")
        .bind(size_i64)
        .bind(&root[..])
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO anchor_jobs (kind, audit_tree_size, leaf) VALUES ('audit_head', $1, $2)")
        .bind(size_i64)
        .bind(&auditlog::head_leaf(tree_size, &root)[..])
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Sequenced::Head { added: rows.len(), tree_size })
}

/// When the newest head was made, if any.
pub async fn find_latest_head_time(db: impl PgExecutor<'_>) -> StoreResult<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar("SELECT max(created_at) FROM audit_tree_heads").fetch_one(db).await?)
}

/// Entries not yet sequenced.
pub async fn count_unsequenced(db: impl PgExecutor<'_>) -> StoreResult<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE position IS NULL").fetch_one(db).await?)
}

/// Result of checking the stored log against itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LogReport {
    /// Entries checked before the first problem (all of them when intact).
    pub checked: u64,
    /// The first entry (by `seq`) whose content no longer gives the hash written with it, or
    /// (for a problem in the tree) the entry at the first position that does not fit.
    pub first_broken_seq: Option<i64>,
    /// The first position whose entry is missing or does not fit the stored tree and heads.
    pub first_broken_position: Option<i64>,
}

/// Checks the log as stored: every row's content against its leaf hash (in `seq` order), then the
/// sequenced rows by position against the stored leaves and every stored head's root. The
/// platform's own check; an auditor runs `pramana audit-log verify` against the chain instead.
pub async fn verify_audit_log(pool: &PgPool) -> StoreResult<LogReport> {
    let mut checked = 0u64;
    let mut after = 0i64;
    loop {
        let page = find_audit_page(pool, None, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in &page {
            if row.leaf_hash.as_deref().is_some_and(|h| h != &row.content_hash()[..]) {
                return Ok(LogReport { checked, first_broken_seq: Some(row.seq), first_broken_position: row.position });
            }
            checked += 1;
        }
    }
    let heads: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT tree_size, root FROM audit_tree_heads ORDER BY tree_size").fetch_all(pool).await?;
    let mut heads = heads.into_iter().peekable();
    let mut tree = CompactRange::new();
    let mut position = 0i64;
    loop {
        let page = find_entries_by_position(pool, position, 1000).await?;
        let leaves = find_leaves(pool, position, 1000).await?;
        if page.is_empty() && leaves.is_empty() {
            break;
        }
        for (i, stored) in leaves.iter().enumerate() {
            let row = page.get(i).filter(|r| r.position == Some(position));
            let fits = row.is_some_and(|r| r.leaf_hash.as_deref() == Some(&stored[..]) && r.content_hash() == *stored);
            if !fits {
                // A missing entry is named by its position only.
                let seq = row.map(|r| r.seq);
                return Ok(LogReport { checked, first_broken_seq: seq, first_broken_position: Some(position) });
            }
            tree.append(*stored);
            position += 1;
            while let Some((size, root)) = heads.next_if(|(size, _)| *size <= position) {
                if size != position || tree.root()[..] != root[..] {
                    return Ok(LogReport {
                        checked,
                        first_broken_seq: row.map(|r| r.seq),
                        first_broken_position: Some(position - 1),
                    });
                }
            }
        }
        if leaves.len() < page.len() {
            // An entry claims a position the tree does not have.
            let r = &page[leaves.len()];
            return Ok(LogReport { checked, first_broken_seq: Some(r.seq), first_broken_position: r.position });
        }
    }
    if let Some((size, _)) = heads.next() {
        return Ok(LogReport { checked, first_broken_seq: None, first_broken_position: Some(position.min(size)) });
    }
    Ok(LogReport { checked, first_broken_seq: None, first_broken_position: None })
}

/// Stored leaf hashes (tree level 0) from `start`, contiguous.
async fn find_leaves(db: impl PgExecutor<'_>, start: i64, limit: i64) -> StoreResult<Vec<Hash>> {
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT idx, hash FROM audit_tree_nodes WHERE level = 0 AND idx >= $1 ORDER BY idx LIMIT $2")
            .bind(start)
            .bind(limit)
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .enumerate()
        .take_while(|(i, (idx, _))| *idx == start + *i as i64)
        .filter_map(|(_, (_, h))| Hash::try_from(h).ok())
        .collect())
}
