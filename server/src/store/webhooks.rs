//! `webhook_endpoints`, `webhook_events` and `webhook_attempts`: where a hospital's consent
//! webhooks go, the outbox of events to deliver, and the log of every delivery attempt.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::StoreResult;
use crate::webhooks::DeliveryOutcome;

/// A hospital's endpoint, without its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    /// The hospital.
    pub hospital_id: Uuid,
    /// Where events are POSTed.
    pub url: String,
    /// When this endpoint was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last set (URL change or secret rotation).
    pub updated_at: DateTime<Utc>,
}

/// Sets a hospital's endpoint and secret, replacing any earlier one (call inside a transaction).
pub async fn upsert_endpoint(
    conn: &mut PgConnection,
    hospital_id: Uuid,
    url: &str,
    secret: &str,
) -> StoreResult<EndpointRow> {
    Ok(sqlx::query_as(
        "INSERT INTO webhook_endpoints (hospital_id, url, secret) VALUES ($1, $2, $3)
         ON CONFLICT (hospital_id) DO UPDATE SET url = EXCLUDED.url, secret = EXCLUDED.secret, updated_at = now()
         RETURNING hospital_id, url, created_at, updated_at",
    )
    .bind(hospital_id)
    .bind(url)
    .bind(secret)
    .fetch_one(&mut *conn)
    .await?)
}

/// A hospital's endpoint, if it registered one.
pub async fn find_endpoint_by_hospital(db: impl PgExecutor<'_>, hospital_id: Uuid) -> StoreResult<Option<EndpointRow>> {
    Ok(sqlx::query_as("SELECT hospital_id, url, created_at, updated_at FROM webhook_endpoints WHERE hospital_id = $1")
        .bind(hospital_id)
        .fetch_optional(db)
        .await?)
}

/// Removes a hospital's endpoint and cancels its undelivered events (call inside a
/// transaction). Returns false when there was no endpoint.
pub async fn delete_endpoint(conn: &mut PgConnection, hospital_id: Uuid) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE hospital_id = $1")
        .bind(hospital_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE webhook_events SET state = 'cancelled' WHERE hospital_id = $1 AND state = 'pending'")
        .bind(hospital_id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Event id (also in the payload).
    pub id: Uuid,
    /// The hospital it goes to.
    pub hospital_id: Uuid,
    /// The consent it is about.
    pub consent_id: Uuid,
    /// `consent.granted`, ...
    pub event_type: &'a str,
    /// The JSON body to deliver.
    pub payload: &'a Value,
    /// When it was recorded; also the first attempt's due time.
    pub created_at: DateTime<Utc>,
}

/// Records an event for delivery unless the same consent already has an event of this type.
/// Returns whether it was recorded.
pub async fn insert_event(conn: &mut PgConnection, e: &NewEvent<'_>) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO webhook_events (id, hospital_id, consent_id, event_type, payload, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (consent_id, event_type) DO NOTHING",
    )
    .bind(e.id)
    .bind(e.hospital_id)
    .bind(e.consent_id)
    .bind(e.event_type)
    .bind(e.payload)
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Grants that had expired by `now` (their `data_erase_at` passed while granted; a new request
/// may since have closed one as `EXPIRED`), after their hospital registered its current
/// endpoint, and have no `consent.expired` event yet.
pub async fn find_expired_grants_without_event(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT c.id FROM consents c JOIN webhook_endpoints w ON w.hospital_id = c.hospital_id
          WHERE c.status IN ('GRANTED', 'EXPIRED') AND c.grant_signature IS NOT NULL
            AND c.data_erase_at <= $1 AND c.data_erase_at > w.created_at
            AND NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.consent_id = c.id AND e.event_type = 'consent.expired')
          ORDER BY c.data_erase_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// A delivery claimed by a worker, with where it goes (`None` if the endpoint is gone).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEvent {
    /// Event id.
    pub id: Uuid,
    /// `consent.granted`, ...
    pub event_type: String,
    /// The body to send.
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// The endpoint's URL now.
    pub url: Option<String>,
    /// The endpoint's secret now.
    pub secret: Option<String>,
}

/// Claims up to `limit` pending events due at `now` (`FOR UPDATE SKIP LOCKED`, so workers
/// never claim the same one), counts the attempt, writes its log row and pushes the event's
/// next attempt to `now + lease_secs`, all in one statement: should this worker stop before it
/// records an outcome, the event is retried after the lease, not at once.
pub async fn claim_next_events(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    lease_secs: f64,
    limit: i64,
) -> StoreResult<Vec<ClaimedEvent>> {
    Ok(sqlx::query_as(
        "WITH due AS (
             SELECT id FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= $1
              ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED
         ), claimed AS (
             UPDATE webhook_events e SET attempts = e.attempts + 1, next_attempt_at = $1 + make_interval(secs => $2)
               FROM due WHERE e.id = due.id
             RETURNING e.id, e.hospital_id, e.event_type, e.payload, e.attempts AS attempt
         ), logged AS (
             INSERT INTO webhook_attempts (event_id, attempt, started_at) SELECT id, attempt, $1 FROM claimed
         )
         SELECT c.id, c.event_type, c.payload, c.attempt, w.url, w.secret
           FROM claimed c LEFT JOIN webhook_endpoints w ON w.hospital_id = c.hospital_id",
    )
    .bind(now)
    .bind(lease_secs)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// What became of an event after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextState {
    /// Answered 2xx.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// The last attempt failed; give up.
    Failed,
    /// The endpoint is gone.
    Cancelled,
}

/// The outcome of one attempt.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// Event id.
    pub event_id: Uuid,
    /// Attempt number, as claimed.
    pub attempt: i32,
    /// When the attempt ended (its start plus `duration_ms`).
    pub finished_at: DateTime<Utc>,
    /// How long the HTTP exchange took, in whole seconds (`webhooks::coarse_duration`).
    pub duration_ms: i32,
    /// The receiver's status, if it answered.
    pub status_code: Option<i32>,
    /// How it ended.
    pub outcome: DeliveryOutcome,
}

/// Records an attempt's outcome and the event's next state (call inside a transaction). Does
/// nothing and returns false if the event moved on meanwhile (another worker claimed it again
/// after this one's lease ran out).
pub async fn mark_attempt_finished(conn: &mut PgConnection, o: &AttemptOutcome, next: NextState) -> StoreResult<bool> {
    let (state, next_at, delivered_at) = match next {
        NextState::Delivered => ("delivered", None, Some(o.finished_at)),
        NextState::RetryAt(at) => ("pending", Some(at), None),
        NextState::Failed => ("failed", None, None),
        NextState::Cancelled => ("cancelled", None, None),
    };
    let done = sqlx::query(
        "UPDATE webhook_events SET state = $3, next_attempt_at = coalesce($4, next_attempt_at), delivered_at = $5
          WHERE id = $1 AND attempts = $2 AND state = 'pending'",
    )
    .bind(o.event_id)
    .bind(o.attempt)
    .bind(state)
    .bind(next_at)
    .bind(delivered_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE webhook_attempts SET finished_at = $3, duration_ms = $4, status_code = $5, outcome = $6
          WHERE event_id = $1 AND attempt = $2",
    )
    .bind(o.event_id)
    .bind(o.attempt)
    .bind(o.finished_at)
    .bind(o.duration_ms)
    .bind(o.status_code)
    .bind(o.outcome.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An event with its delivery state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// Event id.
    pub id: Uuid,
    /// The consent.
    pub consent_id: Uuid,
    /// `consent.granted`, ...
    pub event_type: String,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due (meaningful while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When a 2xx answer came.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A hospital's events, newest first, older than `before` when given.
pub async fn find_events_by_hospital(
    db: impl PgExecutor<'_>,
    hospital_id: Uuid,
    before: Option<Uuid>,
    limit: i64,
) -> StoreResult<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT id, consent_id, event_type, created_at, state, attempts, next_attempt_at, delivered_at
           FROM webhook_events WHERE hospital_id = $1 AND ($2::uuid IS NULL OR id < $2)
          ORDER BY id DESC LIMIT $3",
    )
    .bind(hospital_id)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// One logged attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    /// Event id.
    pub event_id: Uuid,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended (none: the worker stopped mid-attempt).
    pub finished_at: Option<DateTime<Utc>>,
    /// How long it took, in whole seconds.
    pub duration_ms: Option<i32>,
    /// The receiver's HTTP status.
    pub status_code: Option<i32>,
    /// How it ended (a `DeliveryOutcome` name; none while unfinished).
    pub outcome: Option<String>,
}

/// Every attempt of these events, in order.
pub async fn find_attempts_by_events(db: impl PgExecutor<'_>, event_ids: &[Uuid]) -> StoreResult<Vec<AttemptRow>> {
    Ok(sqlx::query_as(
        "SELECT event_id, attempt, started_at, finished_at, duration_ms, status_code, outcome
           FROM webhook_attempts WHERE event_id = ANY($1) ORDER BY event_id, attempt",
    )
    .bind(event_ids)
    .fetch_all(db)
    .await?)
}
