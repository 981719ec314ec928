//! Webhook delivery (docs/webhooks.md): records `consent.expired` events for grants whose
//! `data_erase_at` has passed, then claims due events from the outbox and POSTs each, signed,
//! to its hospital's endpoint; retries with exponential backoff and jitter; logs every attempt.
//!
//! Runs as its own loop beside anchoring and needs no signer lease: any number of workers may
//! deliver at once, since a claim (`FOR UPDATE SKIP LOCKED`) hands each event to one of them and
//! pushes its next attempt past the request timeout before any HTTP is sent. Delivery is
//! therefore at least once — a worker that dies after the receiver answered but before it
//! recorded the answer causes one more attempt, later — and receivers deduplicate by event id.
//!
//! The HTTP client connects only to public addresses (`egress`): its resolver drops every
//! special-purpose address on each attempt, IP literals are checked before sending, no proxy
//! is used and redirects are not followed. The log records an outcome class, the status and a
//! duration in whole seconds, never the client's error text.

mod egress;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pramana_server::config::WebhookSettings;
use pramana_server::store::StoreResult;
use pramana_server::store::webhooks::{self as store, AttemptOutcome, ClaimedEvent, NextState};
use pramana_server::webhooks::{
    Backoff, DeliveryOutcome, EventType, coarse_duration, record_consent_event, signature_header,
};
use sqlx::PgPool;
use tokio::sync::watch;

use crate::WorkerError;

/// Most expired grants turned into events in one step.
const EXPIRY_SCAN_LIMIT: i64 = 100;
/// How long past the request timeout a claimed event stays reserved for its worker.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryStep {
    /// `consent.expired` events recorded by the expiry scan.
    pub expired_recorded: usize,
    /// Deliveries answered 2xx.
    pub delivered: usize,
    /// Deliveries that failed and will be retried.
    pub retrying: usize,
    /// Deliveries that failed their last attempt and were given up.
    pub failed: usize,
    /// Deliveries whose endpoint had been removed.
    pub cancelled: usize,
}

impl DeliveryStep {
    /// Whether the step did anything (then the next one follows at once).
    pub fn made_progress(&self) -> bool {
        self.expired_recorded + self.delivered + self.retrying + self.failed + self.cancelled > 0
    }
}

/// Delivers consent webhooks from the outbox.
#[derive(Debug, Clone)]
pub struct Deliverer {
    pool: PgPool,
    http: reqwest::Client,
    backoff: Backoff,
    lease: Duration,
    concurrency: u32,
    poll_interval: Duration,
    allow_local: bool,
}

impl Deliverer {
    /// A deliverer on `pool` with these settings.
    pub fn new(pool: PgPool, settings: &WebhookSettings) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.timeout_secs);
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // A redirect is not an answer: the hospital registers the URL it wants called (and
            // a redirect could point anywhere).
            .redirect(reqwest::redirect::Policy::none())
            // Connect only to addresses the filter kept; a proxy would resolve the host itself.
            .dns_resolver(egress::FilteringResolver { allow_local: settings.allow_http })
            .no_proxy()
            .user_agent("Pramana-Webhooks/1")
            .build()?;
        Ok(Self {
            pool,
            http,
            backoff: Backoff {
                base: Duration::from_millis(settings.backoff_base_ms),
                cap: Duration::from_secs(settings.backoff_cap_secs),
                max_attempts: settings.max_attempts,
            },
            lease: timeout + LEASE_MARGIN,
            concurrency: settings.concurrency,
            poll_interval: Duration::from_millis(settings.poll_interval_ms),
            allow_local: settings.allow_http,
        })
    }

    /// One step at time `now`: record events for grants expired by `now`, then claim up to
    /// `concurrency` events due by `now` and attempt them concurrently. `now` drives every
    /// decision and timestamp (due times, the signature's `t`, the attempt log), so tests step
    /// through the retry schedule without waiting for it.
    pub async fn step(&self, now: DateTime<Utc>) -> Result<DeliveryStep, WorkerError> {
        let mut out = DeliveryStep { expired_recorded: self.record_expiries(now).await?, ..DeliveryStep::default() };
        let claimed =
            store::claim_next_events(&self.pool, now, self.lease.as_secs_f64(), i64::from(self.concurrency)).await?;
        let results = futures::future::join_all(claimed.iter().map(|e| self.attempt(e, now))).await;
        for r in results {
            match r? {
                NextState::Delivered => out.delivered += 1,
                NextState::RetryAt(_) => out.retrying += 1,
                NextState::Failed => out.failed += 1,
                NextState::Cancelled => out.cancelled += 1,
            }
        }
        Ok(out)
    }

    /// Steps until `stop` turns true, checking it between steps; a step that did something is
    /// followed at once, others after the poll interval.
    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        tracing::info!("webhook delivery started");
        while !*stop.borrow() {
            let pause = match self.step(Utc::now()).await {
                Ok(s) if s.made_progress() => Duration::ZERO,
                Ok(_) => self.poll_interval,
                Err(e) => {
                    metrics::counter!("webhook_failures_total", "kind" => e.kind()).increment(1);
                    tracing::warn!(error = %e, "webhook step failed; will retry");
                    self.poll_interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("webhook delivery stopped");
    }

    /// Records `consent.expired` for grants that have ended (idempotent: one per consent).
    async fn record_expiries(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let ids = store::find_expired_grants_without_event(&self.pool, now, EXPIRY_SCAN_LIMIT).await?;
        let mut recorded = 0;
        for id in ids {
            let mut tx = self.pool.begin().await?;
            if record_consent_event(&mut tx, id, EventType::Expired, now).await? {
                recorded += 1;
            }
            pramana_server::store::commit(tx).await?;
        }
        Ok(recorded)
    }

    /// Sends one claimed event and records the outcome.
    async fn attempt(&self, e: &ClaimedEvent, now: DateTime<Utc>) -> StoreResult<NextState> {
        let started = Instant::now();
        let (status_code, outcome) = match (&e.url, &e.secret) {
            (Some(url), Some(secret)) => self.send(e, url, secret, now).await,
            _ => (None, DeliveryOutcome::NoEndpoint),
        };
        let next = match outcome {
            DeliveryOutcome::Delivered => NextState::Delivered,
            DeliveryOutcome::NoEndpoint => NextState::Cancelled,
            _ => self.after_failure(e.attempt, now),
        };
        let elapsed = coarse_duration(started.elapsed());
        let outcome_row = AttemptOutcome {
            event_id: e.id,
            attempt: e.attempt,
            finished_at: now + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::zero()),
            duration_ms: i32::try_from(elapsed.as_millis()).unwrap_or(i32::MAX),
            status_code: status_code.map(i32::from),
            outcome,
        };
        let mut tx = self.pool.begin().await?;
        let current = store::mark_attempt_finished(&mut tx, &outcome_row, next).await?;
        pramana_server::store::commit(tx).await?;
        if !current {
            tracing::warn!(event = %e.id, attempt = e.attempt, "a later attempt took over this event");
        }
        let result = match next {
            NextState::Delivered => "delivered",
            NextState::RetryAt(_) => "retry",
            NextState::Failed => "failed",
            NextState::Cancelled => "cancelled",
        };
        metrics::counter!("webhook_deliveries_total", "result" => result).increment(1);
        metrics::counter!("webhook_attempts_total", "outcome" => outcome.as_str()).increment(1);
        tracing::debug!(event = %e.id, attempt = e.attempt, status = ?status_code, outcome = outcome.as_str(), result, "webhook attempt");
        Ok(next)
    }

    /// POSTs the event to `url`, signed with `secret`: the receiver's status, if it answered,
    /// and the outcome class. The client's error goes to the worker's log, not the hospital's.
    async fn send(
        &self,
        e: &ClaimedEvent,
        url: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> (Option<u16>, DeliveryOutcome) {
        if egress::literal_refused(url, self.allow_local) {
            tracing::info!(event = %e.id, "webhook refused: the endpoint is a special-purpose address");
            return (None, DeliveryOutcome::RefusedAddress);
        }
        let body = serde_json::to_vec(&e.payload).unwrap_or_default();
        let sent = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Pramana-Event-Id", e.id.to_string())
            .header("Pramana-Event-Type", &e.event_type)
            .header("Pramana-Signature", signature_header(secret, now.timestamp(), &body))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), DeliveryOutcome::Delivered),
            Ok(r) => (Some(r.status().as_u16()), DeliveryOutcome::HttpError),
            Err(err) => {
                let outcome = classify(&err);
                tracing::info!(event = %e.id, outcome = outcome.as_str(), error = %err.without_url(), "webhook not delivered");
                (None, outcome)
            }
        }
    }

    /// After failed attempt `attempt`: retry after the backoff, or give up after the last.
    fn after_failure(&self, attempt: i32, now: DateTime<Utc>) -> NextState {
        let attempt = u32::try_from(attempt).unwrap_or(u32::MAX);
        if attempt >= self.backoff.max_attempts {
            return NextState::Failed;
        }
        let delay = self.backoff.delay(attempt, rand::random::<f64>());
        NextState::RetryAt(now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1)))
    }
}

/// The outcome class of a request that got no answer.
fn classify(e: &reqwest::Error) -> DeliveryOutcome {
    if egress::is_refused_address(e) {
        DeliveryOutcome::RefusedAddress
    } else if e.is_timeout() {
        DeliveryOutcome::Timeout
    } else {
        DeliveryOutcome::ConnectFailed
    }
}
