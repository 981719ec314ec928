//! `/v1/audit` and `/v1/patients/me/access-log`: the access log (docs/audit-log.md). A patient
//! reads every event about them and fetches each one's inclusion proof to an anchored tree head;
//! auditors and the operator read all entries by position, the tree heads with their anchor
//! proofs and consistency proofs between heads, which is what `pramana audit-log verify` checks.

use axum::extract::State;
use pramana_core::auditlog::Hash;
use pramana_wire::{
    AuditEntry, AuditPage, AuditQuery, ConsistencyProof, ConsistencyQuery, HeadsPage, HeadsQuery, InclusionProof,
    LogPage, LogQuery, LogReport, PositionProof, ProofQuery, TreeHead, TreeSizeQuery,
};

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult};
use crate::state::AppState;
use pramana_server::store::audit::{self, AuditRow, ProofUnavailable};

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
    Ok(AuditPage { events: events.into_iter().map(entry).collect(), next_after })
}

/// The wire form of a stored entry.
fn entry(r: AuditRow) -> AuditEntry {
    AuditEntry {
        seq: r.seq,
        id: r.id,
        at: r.at,
        actor_role: r.actor_role,
        actor_id: r.actor_id,
        action: r.action,
        outcome: r.outcome,
        subject_patient_id: r.subject_patient_id,
        target: r.target,
        request_id: r.request_id,
        details: r.details,
        leaf_hash: r.leaf_hash.map(hex::encode),
        position: r.position,
    }
}

/// The wire form of a stored head; its anchor proof is what the worker stored as a `HeadAnchor`.
fn head(h: audit::TreeHead) -> ApiResult<TreeHead> {
    let anchor = h.anchor.map(serde_json::from_value).transpose().map_err(ApiError::internal)?;
    Ok(TreeHead { tree_size: h.tree_size, root: hex::encode(h.root), created_at: h.created_at, anchor })
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
    responses((status = 200, body = LogReport),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_verify(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<LogReport>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    let r = audit::verify_audit_log(&state.pool).await?;
    Ok(ApiJson(LogReport {
        checked: r.checked,
        first_broken_seq: r.first_broken_seq,
        first_broken_position: r.first_broken_position,
    }))
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
    Ok(ApiJson(LogPage { entries: entries.into_iter().map(entry).collect(), next_start: next_start.map(|p| p + 1) }))
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
    let heads = heads.into_iter().map(head).collect::<ApiResult<_>>()?;
    Ok(ApiJson(HeadsPage { heads, next_after }))
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
    let found =
        audit::find_audit_event_by_seq(&state.pool, seq, Some(user.subject_id)).await?.ok_or(ApiError::NotFound)?;
    let tree_head = match q.tree_size {
        Some(size) => audit::find_head_by_size(&state.pool, size).await?.ok_or(ApiError::NotFound)?,
        None => audit::find_latest_head(&state.pool).await?.ok_or(NOT_SEQUENCED)?,
    };
    let position = found.position.filter(|p| *p < tree_head.tree_size).ok_or(NOT_SEQUENCED)?;
    let proof =
        audit::inclusion_proof(&state.pool, position as u64, tree_head.tree_size as u64).await.map_err(proof_error)?;
    Ok(ApiJson(InclusionProof { entry: entry(found), position, head: head(tree_head)?, proof: hexes(&proof) }))
}

const NOT_SEQUENCED: ApiError =
    ApiError::Conflict("not_sequenced", "the entry is not in this tree head yet; the sequencer adds it shortly");

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
