//! Read-only numbers for the operator's health view (`GET /v1/admin/health`): anchoring, the
//! consent relay and webhooks, counted from the tables the worker writes, now and per hour.
//! Computed on each request (the operator's page asks about once a minute); the hourly series
//! reads `anchor_jobs` once per hour shown.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::StoreResult;

/// The platform now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HealthNow {
    /// The transaction's `now()`.
    pub generated_at: DateTime<Utc>,
    /// Anchor jobs without a batch.
    pub backlog: i64,
    /// Anchor jobs not anchored yet.
    pub unanchored: i64,
    /// Age in seconds of the oldest of those.
    pub oldest_unanchored_secs: Option<i64>,
    /// Confirmation time of the last anchoring batch.
    pub last_confirmed_at: Option<DateTime<Utc>>,
    /// Its block.
    pub last_confirmed_block: Option<i64>,
    /// Relay messages (consent events and signer rotations) not settled.
    pub relay_open: i64,
    /// Consent events set aside for a later check.
    pub relay_set_aside: i64,
    /// Relay messages failed in the last 24 hours.
    pub relay_failed_24h: i64,
    /// Relay messages failed, all time.
    pub relay_failed_total: i64,
    /// Webhook deliveries still to be attempted.
    pub webhooks_pending: i64,
    /// Webhook deliveries given up in the last 24 hours.
    pub webhooks_failed_24h: i64,
    /// Hospitals whose latest finished webhook attempt did not succeed.
    pub failing_hospitals: i64,
}

/// One hour of history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HealthHourRow {
    /// Start of the hour.
    pub start: DateTime<Utc>,
    /// Anchor jobs confirmed in the hour.
    pub anchored: i64,
    /// Longest queue-to-confirmation time of those, in seconds.
    pub max_lag_secs: Option<i64>,
    /// Jobs queued and not anchored at the hour's end (or now).
    pub backlog: i64,
    /// Relay messages failed in the hour.
    pub relay_failed: i64,
    /// Webhook attempts in the hour that did not succeed.
    pub webhook_failed_attempts: i64,
}

/// The numbers now (call inside a snapshot, with [`find_health_hours`]).
pub async fn find_health_now(db: impl PgExecutor<'_>) -> StoreResult<HealthNow> {
    Ok(sqlx::query_as(
        "SELECT now() AS generated_at,
           (SELECT count(*) FROM anchor_jobs WHERE batch_id IS NULL) AS backlog,
           (SELECT count(*) FROM anchor_jobs WHERE anchored_at IS NULL) AS unanchored,
           (SELECT floor(extract(epoch FROM now() - min(created_at)))::bigint
              FROM anchor_jobs WHERE anchored_at IS NULL) AS oldest_unanchored_secs,
           (SELECT max(confirmed_at) FROM anchor_batches WHERE kind = 'anchor' AND status = 'confirmed')
              AS last_confirmed_at,
           (SELECT block_number FROM anchor_batches WHERE kind = 'anchor' AND status = 'confirmed'
             ORDER BY confirmed_at DESC, id DESC LIMIT 1) AS last_confirmed_block,
           (SELECT count(*) FROM consent_chain_events WHERE confirmed_at IS NULL AND failed_at IS NULL)
             + (SELECT count(*) FROM signer_rotations WHERE confirmed_at IS NULL AND failed_at IS NULL)
              AS relay_open,
           (SELECT count(*) FROM consent_chain_events
             WHERE confirmed_at IS NULL AND failed_at IS NULL AND set_aside_reason IS NOT NULL) AS relay_set_aside,
           (SELECT count(*) FROM consent_chain_events WHERE failed_at > now() - interval '24 hours')
             + (SELECT count(*) FROM signer_rotations WHERE failed_at > now() - interval '24 hours')
              AS relay_failed_24h,
           (SELECT count(*) FROM consent_chain_events WHERE failed_at IS NOT NULL)
             + (SELECT count(*) FROM signer_rotations WHERE failed_at IS NOT NULL) AS relay_failed_total,
           (SELECT count(*) FROM webhook_events WHERE state = 'pending') AS webhooks_pending,
           (SELECT count(*) FROM webhook_events e
             WHERE e.state = 'failed'
               AND (SELECT max(a.finished_at) FROM webhook_attempts a WHERE a.event_id = e.id)
                   > now() - interval '24 hours') AS webhooks_failed_24h,
           (SELECT count(*) FROM (
              SELECT DISTINCT ON (e.hospital_id) e.hospital_id, a.outcome
                FROM webhook_attempts a JOIN webhook_events e ON e.id = a.event_id
               WHERE a.finished_at IS NOT NULL
               ORDER BY e.hospital_id, a.finished_at DESC) latest
             WHERE latest.outcome <> 'delivered') AS failing_hospitals",
    )
    .fetch_one(db)
    .await?)
}

/// The last `hours` hours, oldest first, ending with the hour under way.
pub async fn find_health_hours(db: impl PgExecutor<'_>, hours: i32) -> StoreResult<Vec<HealthHourRow>> {
    Ok(sqlx::query_as(
        "WITH h AS (
           SELECT start, start + interval '1 hour' AS stop, least(start + interval '1 hour', now()) AS upto
             FROM generate_series(date_trunc('hour', now()) - make_interval(hours => $1 - 1),
                                  date_trunc('hour', now()), interval '1 hour') AS start)
         SELECT h.start,
                (SELECT count(*) FROM anchor_jobs j WHERE j.anchored_at >= h.start AND j.anchored_at < h.stop)
                   AS anchored,
                (SELECT floor(extract(epoch FROM max(j.anchored_at - j.created_at)))::bigint
                   FROM anchor_jobs j WHERE j.anchored_at >= h.start AND j.anchored_at < h.stop) AS max_lag_secs,
                (SELECT count(*) FROM anchor_jobs j
                  WHERE j.created_at < h.upto AND (j.anchored_at IS NULL OR j.anchored_at >= h.upto)) AS backlog,
                (SELECT count(*) FROM consent_chain_events c WHERE c.failed_at >= h.start AND c.failed_at < h.stop)
                  + (SELECT count(*) FROM signer_rotations r WHERE r.failed_at >= h.start AND r.failed_at < h.stop)
                   AS relay_failed,
                (SELECT count(*) FROM webhook_attempts a
                  WHERE a.finished_at >= h.start AND a.finished_at < h.stop AND a.outcome <> 'delivered')
                   AS webhook_failed_attempts
           FROM h ORDER BY h.start",
    )
    .bind(hours)
    .fetch_all(db)
    .await?)
}
