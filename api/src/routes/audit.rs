//! `/v1/audit`: a patient reads every event about them; auditors and the operator read all and
//! can verify the hash chain.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::store::audit::{self, AuditRow, ChainReport};

/// Paging through the log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Return events with `seq` greater than this (default 0).
    pub after: Option<i64>,
    /// Page size, 1 to 1000 (default 100).
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

/// Lists audit events: a patient's own, or all for auditors and the operator.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::ErrorBody)))]
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
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(100);
    if after < 0 {
        return Err(ApiError::invalid_field("after", "must not be negative"));
    }
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 1000"));
    }
    let events = audit::find_audit_page(&state.pool, filter, after, limit).await?;
    let next_after = (events.len() as i64 == limit).then(|| events.last().map(|e| e.seq)).flatten();
    Ok(ApiJson(AuditPage { events, next_after }))
}

/// Recomputes the hash chain and reports the first broken row.
#[utoipa::path(get, path = "/v1/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = Object, description = "`{checked, first_broken_seq}`"), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_verify(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<ChainReport>> {
    user.require(&[Role::Auditor, Role::Admin])?;
    Ok(ApiJson(audit::verify_audit_chain(&state.pool).await?))
}
