//! `GET /v1/admin/health`: the platform's health for the operator, from the tables the worker
//! writes (the outbox, batches, the relay and webhook logs), now and hour by hour.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The platform's health now and over the last hours.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformHealth {
    /// When these numbers were read.
    pub generated_at: DateTime<Utc>,
    /// Document anchoring.
    pub anchoring: AnchoringHealth,
    /// Consent grants, revocations and signer rotations relayed to the contract.
    pub relay: RelayHealth,
    /// Consent webhooks to hospitals.
    pub webhooks: WebhookHealth,
    /// One point per hour, oldest first, ending with the hour now under way (24 points).
    pub hours: Vec<HealthHour>,
}

/// Document anchoring now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnchoringHealth {
    /// Anchor jobs (documents and access-log tree heads) waiting for a batch: the worker's backlog.
    pub backlog: i64,
    /// Anchor jobs not anchored yet (waiting, or in a batch not confirmed yet).
    pub unanchored: i64,
    /// Age in seconds of the oldest job not anchored yet: the anchoring lag now.
    pub oldest_unanchored_secs: Option<i64>,
    /// When the last anchoring batch was confirmed.
    pub last_confirmed_at: Option<DateTime<Utc>>,
    /// Its block.
    pub last_confirmed_block: Option<i64>,
}

/// The consent relay now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RelayHealth {
    /// Messages not settled yet (grants, revocations, signer rotations).
    pub open: i64,
    /// Of those, set aside by the worker to be checked again later.
    pub set_aside: i64,
    /// Messages the contract refused for good in the last 24 hours.
    pub failed_24h: i64,
    /// Messages the contract refused for good, all time.
    pub failed_total: i64,
}

/// Consent webhooks now.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookHealth {
    /// Deliveries waiting for their next attempt.
    pub pending: i64,
    /// Deliveries given up (after the last attempt) in the last 24 hours.
    pub failed_24h: i64,
    /// Hospitals whose latest finished delivery attempt did not succeed.
    pub failing_hospitals: i64,
}

/// One hour of the platform's history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HealthHour {
    /// The hour's start.
    pub start: DateTime<Utc>,
    /// Anchor jobs confirmed in the hour.
    pub anchored: i64,
    /// The longest time, in seconds, from being queued to confirmation of a job confirmed in the
    /// hour (none anchored: null).
    pub max_lag_secs: Option<i64>,
    /// Anchor jobs queued but not anchored at the hour's end (now, for the current hour).
    pub backlog: i64,
    /// Relay messages the contract refused for good in the hour.
    pub relay_failed: i64,
    /// Webhook delivery attempts in the hour that did not succeed.
    pub webhook_failed_attempts: i64,
}
