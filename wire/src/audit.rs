//! `/v1/audit` and `/v1/patients/me/access-log`: the access log (docs/audit-log.md), its tree
//! heads and their proofs.

use chrono::{DateTime, Utc};
use pramana_core::auditlog::HeadAnchor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Paging through the log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Return events with `seq` greater than this (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 0))]
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
}

/// One access-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
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
    /// Details (a JSON object).
    pub details: serde_json::Value,
    /// `SHA-256(0x00 ‖ entry)` (hex), written at insert; absent only on rows from before the log
    /// was verifiable, until they are sequenced.
    pub leaf_hash: Option<String>,
    /// Position in the tree, from 0; absent until the sequencer integrates the entry.
    pub position: Option<i64>,
}

/// A page of audit events.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// Events, oldest first.
    pub events: Vec<AuditEntry>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

/// Result of checking the stored log against itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogReport {
    /// Entries checked before the first problem (all of them when intact).
    pub checked: u64,
    /// The first entry (by `seq`) whose content no longer gives the hash written with it, or
    /// (for a problem in the tree) the entry at the first position that does not fit.
    pub first_broken_seq: Option<i64>,
    /// The first position whose entry is missing or does not fit the stored tree and heads.
    pub first_broken_position: Option<i64>,
}

/// Paging through the sequenced log by position.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LogQuery {
    /// First position (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 0))]
    pub start: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
}

/// Sequenced entries in position order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogPage {
    /// Entries, by position.
    pub entries: Vec<AuditEntry>,
    /// Pass as `start` for the next page; absent at the end.
    pub next_start: Option<i64>,
}

/// Paging through tree heads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HeadsQuery {
    /// Heads with a tree size greater than this (default 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 0))]
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 1000))]
    pub limit: Option<i64>,
}

/// A tree head, with its anchor proof once the batch holding it is confirmed on chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TreeHead {
    /// Leaves in the tree.
    pub tree_size: i64,
    /// RFC 9162 root (hex).
    pub root: String,
    /// When the sequencer made it.
    pub created_at: DateTime<Utc>,
    /// The anchor proof (docs/audit-log.md: the head's leaf in an anchored batch, its path and
    /// the transaction), once anchored; null before.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub anchor: Option<HeadAnchor>,
}

/// Tree heads.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeadsPage {
    /// Heads by size.
    pub heads: Vec<TreeHead>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

/// Two tree sizes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConsistencyQuery {
    /// The earlier head's size, at least 1.
    #[cfg_attr(feature = "openapi", param(minimum = 1))]
    pub first: i64,
    /// The later head's size, at least `first`.
    #[cfg_attr(feature = "openapi", param(minimum = 1))]
    pub second: i64,
}

/// An RFC 9162 consistency proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsistencyProof {
    /// The earlier head's size.
    pub first: i64,
    /// The later head's size.
    pub second: i64,
    /// Hashes, hex, in RFC 9162 order.
    pub proof: Vec<String>,
}

/// Which head to prove against.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ProofQuery {
    /// The head's tree size (default: the newest anchored head, else the newest head).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false))]
    pub tree_size: Option<i64>,
}

/// An entry's RFC 9162 inclusion proof to a tree head.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InclusionProof {
    /// The entry (its `leaf_hash` is what the proof starts from).
    pub entry: AuditEntry,
    /// Its position (leaf index).
    pub position: i64,
    /// The head proved against (with its anchor proof once anchored).
    pub head: TreeHead,
    /// Hashes, hex, leaf side first.
    pub proof: Vec<String>,
}

/// The tree head to prove against.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TreeSizeQuery {
    /// The head's tree size.
    pub tree_size: i64,
}

/// An inclusion proof by position.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PositionProof {
    /// The leaf index.
    pub position: i64,
    /// The head's tree size.
    pub tree_size: i64,
    /// Hashes, hex, leaf side first.
    pub proof: Vec<String>,
}
