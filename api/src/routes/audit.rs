//! `/v1/audit` and `/v1/patients/me/access-log`: the access log (docs/audit-log.md). A patient
//! reads every event about them and fetches each one's inclusion proof to an anchored tree head;
//! auditors and the operator read all entries by position, the tree heads with their anchor
//! proofs and consistency proofs between heads, which is what `pramana audit-log verify` checks.

use axum::extract::State;
use pramana_core::auditlog::Hash;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::store::audit::{self, AuditRow, LogReport, ProofUnavailable, TreeHead};

/// Paging through the log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Return events with `seq` greater than this (default 0).
    #[param(nullable = false, minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A page of audit events.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Events, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<AuditRow>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

fn page_bounds(after: Option<i64>, limit: Option<i64>) -> ApiResult<(i64, i64)> {
    let after = after.unwrap_or(0);
    let limit = limit.unwrap_or(100);
    if after < 0 {
        return Err(ApiError::invalid_field("after", "must not be negative"));
    }
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 1000"));
    }
    Ok((after, limit))
}

async fn events_page(state: &AppState, patient: Option<uuid::Uuid>, q: &AuditQuery) -> ApiResult<AuditPage> {
    let (after, limit) = page_bounds(q.after, q.limit)?;
    let events = audit::find_audit_page(&state.pool, patient, after, limit).await?;
    let next_after = (events.len() as i64 == limit).then(|| events.last().map(|e| e.seq)).flatten();
    Ok(AuditPage { events, next_after })
}

/// Lists audit events: a patient's own, or all for auditors and the operator.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_after`, `invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn audit_list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    let filter = match user.role {
        Role::Patient => Some(user.subject_id),
        Role::Auditor | Role::Admin => None,
        Role::Hospital => return Err(ApiError::Forbidden),
    };
    Ok(ApiJson(events_page(&state, filter, &q).await?))
}

/// Checks the stored log against itself: every entry's content against the hash written with it,
/// the tree's leaves and every head's root. (The check against the chain is the auditor's:
/// `pramana audit-log verify`.)
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Object, description = "`{checked, first_broken_seq, first_broken_position}`"),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_verify(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<LogReport>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    Ok(ApiJson(audit::verify_audit_log(&state.pool).await?))
}

/// Paging through the sequenced log by position.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// First position (default 0).
    #[param(nullable = false, minimum = 0)]
    pub start: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Sequenced entries in position order.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    /// Entries, by position.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<AuditRow>,
    /// Pass as `start` for the next page; absent at the end.
    pub next_start: Option<i64>,
}

/// Lists the sequenced entries by position (auditors and the operator).
#[utoipa::path(get, path = "/v1/audit/log", tag = "audit", security(("bearer" = [])), params(LogQuery),
    responses((status = 200, body = LogPage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_after` (for `start`), `invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn audit_log_list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> ApiResult<ApiJson<LogPage>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    let (start, limit) = page_bounds(q.start, q.limit)?;
    let entries = audit::find_entries_by_position(&state.pool, start, limit).await?;
    let next_start = (entries.len() as i64 == limit).then(|| entries.last().and_then(|e| e.position)).flatten();
    Ok(ApiJson(LogPage { entries, next_start: next_start.map(|p| p + 1) }))
}

/// Paging through tree heads.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeadsQuery {
    /// Heads with a tree size greater than this (default 0).
    #[param(nullable = false, minimum = 0)]
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
    #[param(nullable = false, minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Tree heads.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeadsPage {
    /// `{tree_size, root, created_at, anchor}`, by size; `anchor` is the head's anchor proof
    /// once the batch that carries it is confirmed, else null.
    #[schema(value_type = Vec<Object>)]
    pub heads: Vec<TreeHead>,
    /// Pass as `after` for the next page; absent at the end.
    pub next_after: Option<i64>,
}

/// Lists tree heads with their anchor proofs (patients, auditors and the operator).
#[utoipa::path(get, path = "/v1/audit/heads", tag = "audit", security(("bearer" = [])), params(HeadsQuery),
    responses((status = 200, body = HeadsPage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_after`, `invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn audit_heads(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<HeadsQuery>,
) -> ApiResult<ApiJson<HeadsPage>> {
    user.require(&[Role::Patient, Role::Auditor, Role::Admin])?;
    let (after, limit) = page_bounds(q.after, q.limit)?;
    let heads = audit::find_heads(&state.pool, after, limit).await?;
    let next_after = (heads.len() as i64 == limit).then(|| heads.last().map(|h| h.tree_size)).flatten();
    Ok(ApiJson(HeadsPage { heads, next_after }))
}

/// Two tree sizes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The earlier head's size, at least 1.
    #[param(minimum = 1)]
    pub first: i64,
    /// The later head's size, at least `first`.
    #[param(minimum = 1)]
    pub second: i64,
}

/// An RFC 9162 consistency proof.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyProof {
    /// The earlier head's size.
    pub first: i64,
    /// The later head's size.
    pub second: i64,
    /// Hashes, hex, in RFC 9162 order.
    pub proof: Vec<String>,
}

fn hexes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(hex::encode).collect()
}

fn proof_error(e: ProofUnavailable) -> ApiError {
    match e {
        ProofUnavailable::Range(_) => ApiError::NotFound,
        ProofUnavailable::Store(e) => e.into(),
        ProofUnavailable::MissingNode(..) => ApiError::internal(e),
    }
}

/// The consistency proof between two tree heads (patients, auditors and the operator).
#[utoipa::path(get, path = "/v1/audit/consistency", tag = "audit", security(("bearer" = [])), params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 404, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_first`: not 1 ≤ first ≤ second", body = crate::error::ErrorBody)))]
pub async fn audit_consistency(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ConsistencyQuery>,
) -> ApiResult<ApiJson<ConsistencyProof>> {
    user.require(&[Role::Patient, Role::Auditor, Role::Admin])?;
    if q.first < 1 || q.second < q.first {
        return Err(ApiError::invalid_field("first", "must be at least 1 and at most second"));
    }
    for size in [q.first, q.second] {
        if audit::find_head_by_size(&state.pool, size).await?.is_none() {
            return Err(ApiError::NotFound);
        }
    }
    let proof = audit::consistency_proof(&state.pool, q.first as u64, q.second as u64).await.map_err(proof_error)?;
    Ok(ApiJson(ConsistencyProof { first: q.first, second: q.second, proof: hexes(&proof) }))
}

/// Lists the access-log entries about the patient, with their positions once sequenced.
#[utoipa::path(get, path = "/v1/patients/me/access-log", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`invalid_after`, `invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn access_log_list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<ApiJson<AuditPage>> {
    user.require(&[Role::Patient])?;
    Ok(ApiJson(events_page(&state, Some(user.subject_id), &q).await?))
}

/// Which head to prove against.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProofQuery {
    /// The head's tree size (default: the newest anchored head, else the newest head).
    #[param(nullable = false)]
    pub tree_size: Option<i64>,
}

/// An entry's RFC 9162 inclusion proof to a tree head.
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionProof {
    /// The entry (its `leaf_hash` is what the proof starts from).
    #[schema(value_type = Object)]
    pub entry: AuditRow,
    /// Its position (leaf index).
    pub position: i64,
    /// The head proved against (with its anchor proof once anchored).
    #[schema(value_type = Object)]
    pub head: TreeHead,
    /// Hashes, hex, leaf side first.
    pub proof: Vec<String>,
}

/// The inclusion proof of one of the patient's entries (by `seq`) to a tree head: 404 when the
/// entry is not about them, 409 `not_sequenced` while no head holds it yet.
#[utoipa::path(get, path = "/v1/patients/me/access-log/{seq}/proof", tag = "audit", security(("bearer" = [])),
    params(("seq" = i64, Path, description = "The entry's seq"), ProofQuery),
    responses((status = 200, body = InclusionProof), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn access_log_proof(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(seq): ApiPath<i64>,
    ApiQuery(q): ApiQuery<ProofQuery>,
) -> ApiResult<ApiJson<InclusionProof>> {
    user.require(&[Role::Patient])?;
    let entry =
        audit::find_audit_event_by_seq(&state.pool, seq, Some(user.subject_id)).await?.ok_or(ApiError::NotFound)?;
    let head = match q.tree_size {
        Some(size) => audit::find_head_by_size(&state.pool, size).await?.ok_or(ApiError::NotFound)?,
        None => audit::find_latest_head(&state.pool).await?.ok_or(NOT_SEQUENCED)?,
    };
    let position = entry.position.filter(|p| *p < head.tree_size).ok_or(NOT_SEQUENCED)?;
    let proof =
        audit::inclusion_proof(&state.pool, position as u64, head.tree_size as u64).await.map_err(proof_error)?;
    Ok(ApiJson(InclusionProof { entry, position, head, proof: hexes(&proof) }))
}

const NOT_SEQUENCED: ApiError =
    ApiError::Conflict("not_sequenced", "the entry is not in this tree head yet; the sequencer adds it shortly");

/// The tree head to prove against.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreeSizeQuery {
    /// The head's tree size.
    pub tree_size: i64,
}

/// An inclusion proof by position.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionProof {
    /// The leaf index.
    pub position: i64,
    /// The head's tree size.
    pub tree_size: i64,
    /// Hashes, hex, leaf side first.
    pub proof: Vec<String>,
}

/// The inclusion proof of the entry at `position` to the head of `tree_size` (auditors and the
/// operator).
#[utoipa::path(get, path = "/v1/audit/log/{position}/proof", tag = "audit", security(("bearer" = [])),
    params(("position" = i64, Path, description = "Leaf index, from 0"), TreeSizeQuery),
    responses((status = 200, body = PositionProof), (status = 404, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_log_proof(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(position): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TreeSizeQuery>,
) -> ApiResult<ApiJson<PositionProof>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    if position < 0 || position >= q.tree_size {
        return Err(ApiError::NotFound);
    }
    audit::find_head_by_size(&state.pool, q.tree_size).await?.ok_or(ApiError::NotFound)?;
    let proof = audit::inclusion_proof(&state.pool, position as u64, q.tree_size as u64).await.map_err(proof_error)?;
    Ok(ApiJson(PositionProof { position, tree_size: q.tree_size, proof: hexes(&proof) }))
}
