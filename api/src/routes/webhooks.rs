//! `/v1/hospitals/me/webhook`: a hospital sets, rotates or removes the endpoint its signed
//! consent webhooks go to (docs/webhooks.md), and reads its own delivery log.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;

use pramana_wire::{AttemptView, DeliveriesQuery, DeliveryView, WebhookCreated, WebhookSet, WebhookView};
use serde_json::json;
use uuid::Uuid;

use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::state::AppState;
use pramana_server::store::audit::{AuditEvent, Outcome, insert_audit_event};
use pramana_server::store::webhooks::{self as store, AttemptRow, EndpointRow, EventRow};
use pramana_server::webhooks::{check_url, new_secret};

fn webhook_view(e: EndpointRow) -> WebhookView {
    WebhookView { url: e.url, created_at: e.created_at, updated_at: e.updated_at }
}

fn event(user: &AuthUser, action: &'static str, details: serde_json::Value) -> AuditEvent {
    user.actor().event(action, Outcome::Ok).target("hospital", user.subject_id).details(details)
}

/// Sets the caller's endpoint and returns a new secret; setting it again rotates the secret.
#[utoipa::path(put, path = "/v1/hospitals/me/webhook", tag = "webhooks", security(("bearer" = [])), request_body = WebhookSet,
    responses((status = 200, body = WebhookCreated), (status = 403, description = "not a hospital", body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_url`", body = crate::error::ErrorBody)))]
pub async fn webhook_put(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<WebhookSet>,
) -> ApiResult<ApiJson<WebhookCreated>> {
    user.require(&[Role::Hospital])?;
    let url =
        check_url(&body.url, state.settings.webhooks.allow_http).map_err(|m| ApiError::invalid_field("url", m))?;
    let secret = new_secret();
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    let row = store::upsert_endpoint(&mut tx, user.subject_id, &url, &secret).await?;
    insert_audit_event(&mut tx, &event(&user, "webhook.set", json!({"url": url}))).await?;
    pramana_server::store::commit(tx).await?;
    Ok(ApiJson(WebhookCreated { url: row.url, created_at: row.created_at, updated_at: row.updated_at, secret }))
}

/// The caller's endpoint.
#[utoipa::path(get, path = "/v1/hospitals/me/webhook", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no endpoint set", body = crate::error::ErrorBody)))]
pub async fn webhook_get(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<WebhookView>> {
    user.require(&[Role::Hospital])?;
    let row = store::find_endpoint_by_hospital(&state.pool, user.subject_id).await?.ok_or(ApiError::NotFound)?;
    Ok(ApiJson(webhook_view(row)))
}

/// Removes the caller's endpoint; deliveries still pending are cancelled, and no further
/// events are recorded until an endpoint is set again.
#[utoipa::path(delete, path = "/v1/hospitals/me/webhook", tag = "webhooks", security(("bearer" = [])),
    responses((status = 204, description = "removed"), (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no endpoint set", body = crate::error::ErrorBody)))]
pub async fn webhook_delete(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    user.require(&[Role::Hospital])?;
    let mut tx = pramana_server::store::begin(&state.pool).await?;
    if !store::delete_endpoint(&mut tx, user.subject_id).await? {
        return Err(ApiError::NotFound);
    }
    insert_audit_event(&mut tx, &event(&user, "webhook.delete", json!({}))).await?;
    pramana_server::store::commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn attempt_view(a: AttemptRow) -> AttemptView {
    AttemptView {
        attempt: a.attempt,
        started_at: a.started_at,
        finished_at: a.finished_at,
        duration_ms: a.duration_ms,
        status_code: a.status_code,
        outcome: a.outcome,
    }
}

fn delivery(e: EventRow, attempts: &mut HashMap<Uuid, Vec<AttemptView>>) -> DeliveryView {
    let attempt_log = attempts.remove(&e.id).unwrap_or_default();
    DeliveryView {
        event_id: e.id,
        event_type: e.event_type,
        consent_id: e.consent_id,
        created_at: e.created_at,
        next_attempt_at: (e.state == "pending").then_some(e.next_attempt_at),
        state: e.state,
        attempts: e.attempts,
        delivered_at: e.delivered_at,
        attempt_log,
    }
}

/// The caller's webhook events with their delivery state and attempt log, newest first.
#[utoipa::path(get, path = "/v1/hospitals/me/webhook/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(DeliveriesQuery),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403, body = crate::error::ErrorBody),
              (status = 422, description = "`invalid_limit`", body = crate::error::ErrorBody)))]
pub async fn webhook_deliveries(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<ApiJson<Vec<DeliveryView>>> {
    user.require(&[Role::Hospital])?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid_field("limit", "must be between 1 and 200"));
    }
    let events = store::find_events_by_hospital(&state.pool, user.subject_id, q.before, limit).await?;
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let mut attempts: HashMap<Uuid, Vec<AttemptView>> = HashMap::new();
    for a in store::find_attempts_by_events(&state.pool, &ids).await? {
        attempts.entry(a.event_id).or_default().push(attempt_view(a));
    }
    Ok(ApiJson(events.into_iter().map(|e| delivery(e, &mut attempts)).collect()))
}
