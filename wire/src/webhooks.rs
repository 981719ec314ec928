//! `/v1/hospitals/me/webhook`: a hospital's consent webhook endpoint and its delivery log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The endpoint to set.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookSet {
    /// Where events are POSTed: `https://`, at most 2,048 characters.
    #[cfg_attr(
        feature = "openapi",
        schema(
            example = "https://his.city-hospital.example/pramana/events",
            max_length = 2048,
            pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://"
        )
    )]
    pub url: String,
}

/// A hospital's endpoint (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookView {
    /// Where events are POSTed.
    pub url: String,
    /// When this endpoint was registered.
    pub created_at: DateTime<Utc>,
    /// When it was last set (URL change or secret rotation).
    pub updated_at: DateTime<Utc>,
}

/// The endpoint just set and its new signing secret, shown only this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Paging through the delivery log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DeliveriesQuery {
    /// Only events older than this event id (the last `event_id` of the previous page).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false))]
    pub before: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(nullable = false, minimum = 1, maximum = 200))]
    pub limit: Option<i64>,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptView {
    /// Attempt number, from 1.
    pub attempt: i32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended; absent if the worker stopped mid-attempt.
    pub finished_at: Option<DateTime<Utc>>,
    /// How long the exchange took, in milliseconds, rounded up to whole seconds.
    pub duration_ms: Option<i32>,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// How it ended: `delivered`, `http_error` (see `status_code`), `timeout`, `connect_failed`,
    /// `refused_address` (the host resolves only to loopback, private or other special-purpose
    /// addresses: nothing was sent) or `no_endpoint`; absent if the worker stopped mid-attempt.
    pub outcome: Option<String>,
}

/// An event and its delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
