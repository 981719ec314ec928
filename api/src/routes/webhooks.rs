//! `/v1/hospitals/me/webhook`: a hospital sets, rotates or removes the endpoint its signed
//! consent webhooks go to (docs/webhooks.md), and reads its own delivery log.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::{AppState, current_request_id};
use crate::auth::{AuthUser, Role};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult};
use crate::store::StoreError;
use crate::store::audit::{AuditEvent, Outcome, insert_audit_event};
use crate::store::webhooks::{self as store, AttemptRow, EndpointRow, EventRow};
use crate::webhooks::{check_url, new_secret};

/// The endpoint to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookSet {
    /// Where events are POSTed: `https://`, at most 2,048 characters.
    #[schema(
        example = "https://his.city-hospital.example/pramana/events",
        max_length = 2048,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://"
    )]
    pub url: String,
}

/// A hospital's endpoint (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Where events are POSTed.
    pub url: String,
    /// When this endpoint was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last set (URL change or secret rotation).
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookView {
    fn from(e: EndpointRow) -> Self {
        Self { url: e.url, created_at: e.created_at, updated_at: e.updated_at }
    }
}

/// The endpoint just set and its new signing secret, shown only this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    /// Where events are POSTed.
    pub url: String,
    /// When this endpoint was registered.
    pub created_at: DateTime<Utc>,
    /// Now.
    pub updated_at: DateTime<Utc>,
    /// The HMAC-SHA256 key of `Pramana-Signature` (the whole string, `whsec_` included). It
    /// replaces any earlier secret at once, also for deliveries still being retried.
    pub secret: String,
}

fn event(user: &AuthUser, action: &'static str, details: serde_json::Value) -> AuditEvent {
    AuditEvent {
        actor_role: user.role.as_str(),
        actor_id: Some(user.subject_id),
        action,
        outcome: Outcome::Ok,
        subject_patient_id: None,
        target: Some(format!("hospital:{}", user.subject_id)),
        request_id: current_request_id(),
        details,
    }
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
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    let row = store::upsert_endpoint(&mut tx, user.subject_id, &url, &secret).await?;
    insert_audit_event(&mut tx, &event(&user, "webhook.set", json!({"url": url}))).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(ApiJson(WebhookCreated { url: row.url, created_at: row.created_at, updated_at: row.updated_at, secret }))
}

/// The caller's endpoint.
#[utoipa::path(get, path = "/v1/hospitals/me/webhook", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = WebhookView), (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no endpoint set", body = crate::error::ErrorBody)))]
pub async fn webhook_get(State(state): State<AppState>, user: AuthUser) -> ApiResult<ApiJson<WebhookView>> {
    user.require(&[Role::Hospital])?;
    let row = store::find_endpoint_by_hospital(&state.pool, user.subject_id).await?.ok_or(ApiError::NotFound)?;
    Ok(ApiJson(row.into()))
}

/// Removes the caller's endpoint; deliveries still pending are cancelled, and no further
/// events are recorded until an endpoint is set again.
#[utoipa::path(delete, path = "/v1/hospitals/me/webhook", tag = "webhooks", security(("bearer" = [])),
    responses((status = 204, description = "removed"), (status = 403, body = crate::error::ErrorBody),
              (status = 404, description = "no endpoint set", body = crate::error::ErrorBody)))]
pub async fn webhook_delete(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    user.require(&[Role::Hospital])?;
    let mut tx = state.pool.begin().await.map_err(StoreError::from)?;
    if !store::delete_endpoint(&mut tx, user.subject_id).await? {
        return Err(ApiError::NotFound);
    }
    insert_audit_event(&mut tx, &event(&user, "webhook.delete", json!({}))).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Paging through the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only events older than this event id (the last `event_id` of the previous page).
    #[param(nullable = false)]
    pub before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(nullable = false, minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// Attempt number, from 1.
    pub attempt: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; absent if the worker stopped mid-attempt.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long the exchange took, in milliseconds.
    pub duration_ms: Option<i32>,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why there was no answer (timeout, connection refused, ...).
    pub error: Option<String>,
}

impl From<AttemptRow> for AttemptView {
    fn from(a: AttemptRow) -> Self {
        Self {
            attempt: a.attempt,
            started_at: a.started_at,
            finished_at: a.finished_at,
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error,
        }
    }
}

/// An event and its delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// The event id (`Pramana-Event-Id`, and `id` in the body).
    pub event_id: Uuid,
    /// `consent.granted`, `consent.revoked`, `consent.expired` or `consent.denied`.
    pub event_type: String,
    /// The consent.
    pub consent_id: Uuid,
    /// When the event was recorded.
    pub created_at: DateTime<Utc>,
    /// `pending`, `delivered`, `failed` (gave up after the last attempt) or `cancelled` (the
    /// endpoint was removed).
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the endpoint answered 2xx.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Every attempt, first first.
    pub attempt_log: Vec<AttemptView>,
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
        attempts.entry(a.event_id).or_default().push(a.into());
    }
    Ok(ApiJson(events.into_iter().map(|e| delivery(e, &mut attempts)).collect()))
}
