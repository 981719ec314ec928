//! Notification mail (docs/notifications.md): records `grant_expiring` notifications for grants
//! that end within three days, then claims due mail from the outbox and sends each over SMTP;
//! retries with exponential backoff and jitter, like webhooks.
//!
//! Runs as its own loop beside anchoring and needs no signer lease. A claim (`FOR UPDATE SKIP
//! LOCKED`) pushes the mail's next attempt past the send timeout before anything is sent, so a
//! worker that dies mid-way leaves the mail to be sent again later: delivery is at least once,
//! and every mail carries a stable Message-ID (its outbox id) for the receiver to deduplicate.
//! With no `smtp.host` configured, nothing is sent and mail waits in the outbox.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use pramana_server::config::{SmtpSettings, SmtpTls};
use pramana_server::notifications::{EXPIRING_WITHIN_DAYS, Kind, notify};
use pramana_server::store::StoreResult;
use pramana_server::store::notifications::{self as store, ClaimedMail};
use pramana_server::webhooks::Backoff;
use secrecy::ExposeSecret as _;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::WorkerError;

/// Most expiring grants turned into notifications in one step.
const EXPIRY_SCAN_LIMIT: i64 = 100;
/// Most mails sent in one step.
const BATCH: i64 = 8;
/// How long past the send timeout a claimed mail stays reserved for its worker.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// What one step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailStep {
    /// `grant_expiring` notifications recorded.
    pub expiring_recorded: usize,
    /// Mails the SMTP server accepted.
    pub sent: usize,
    /// Mails that failed and will be retried.
    pub retrying: usize,
    /// Mails given up after their last attempt.
    pub failed: usize,
}

impl MailStep {
    /// Whether the step did anything (then the next one follows at once).
    pub fn made_progress(&self) -> bool {
        self.expiring_recorded + self.sent + self.retrying + self.failed > 0
    }
}

/// Sends notification mail from the outbox.
#[derive(Debug, Clone)]
pub struct Mailer {
    pool: PgPool,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Option<Mailbox>,
    portal_url: String,
    backoff: Backoff,
    lease: Duration,
    poll_interval: Duration,
}

impl Mailer {
    /// A mailer on `pool` with these settings (sending nothing when no host is set).
    pub fn new(pool: PgPool, settings: &SmtpSettings) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.timeout_secs);
        let (transport, from) = if settings.host.is_empty() {
            (None, None)
        } else {
            let builder = match settings.tls {
                SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?,
                SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
                SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
            };
            let mut builder = builder.port(settings.port).timeout(Some(timeout));
            if !settings.username.is_empty() {
                let password = settings.password.as_ref().map(|p| p.expose_secret().to_owned()).unwrap_or_default();
                builder = builder.credentials(Credentials::new(settings.username.clone(), password));
            }
            let from: Mailbox =
                settings.from.parse().map_err(|e| anyhow::anyhow!("smtp.from is not a mail address: {e}"))?;
            (Some(builder.build()), Some(from))
        };
        Ok(Self {
            pool,
            transport,
            from,
            portal_url: settings.portal_url.trim_end_matches('/').to_owned(),
            backoff: Backoff {
                base: Duration::from_millis(settings.backoff_base_ms),
                cap: Duration::from_secs(settings.backoff_cap_secs),
                max_attempts: settings.max_attempts,
            },
            lease: timeout + LEASE_MARGIN,
            poll_interval: Duration::from_millis(settings.poll_interval_ms),
        })
    }

    /// One step at time `now`: record notifications for grants ending within three days of
    /// `now`, then claim the mail due by `now` and send it. `now` drives every decision, so tests
    /// step through the retry schedule without waiting.
    pub async fn step(&self, now: DateTime<Utc>) -> Result<MailStep, WorkerError> {
        let mut out = MailStep { expiring_recorded: self.record_expiring(now).await?, ..MailStep::default() };
        let (Some(transport), Some(from)) = (&self.transport, &self.from) else {
            return Ok(out);
        };
        let claimed = store::claim_next_mails(&self.pool, now, self.lease.as_secs_f64(), BATCH).await?;
        for m in &claimed {
            match self.send(transport, from, m).await {
                Ok(()) => {
                    store::mark_mail_delivered(&self.pool, m.id, now).await?;
                    out.sent += 1;
                    metrics::counter!("mail_deliveries_total", "result" => "sent").increment(1);
                }
                Err(class) => {
                    let attempt = u32::try_from(m.attempts).unwrap_or(u32::MAX);
                    let retry_at = (attempt < self.backoff.max_attempts).then(|| {
                        let delay = self.backoff.delay(attempt, rand::random::<f64>());
                        now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::hours(1))
                    });
                    store::mark_mail_failed(&self.pool, m.id, class, retry_at).await?;
                    if retry_at.is_some() {
                        out.retrying += 1;
                    } else {
                        out.failed += 1;
                    }
                    metrics::counter!("mail_deliveries_total", "result" => class).increment(1);
                }
            }
        }
        Ok(out)
    }

    /// Steps until `stop` turns true, checking it between steps.
    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(smtp = self.transport.is_some(), "notification mail started");
        while !*stop.borrow() {
            let pause = match self.step(Utc::now()).await {
                Ok(s) if s.made_progress() => Duration::ZERO,
                Ok(_) => self.poll_interval,
                Err(e) => {
                    metrics::counter!("mail_failures_total", "kind" => e.kind()).increment(1);
                    tracing::warn!(error = %e, "mail step failed; will retry");
                    self.poll_interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("notification mail stopped");
    }

    /// Records `grant_expiring` for live grants ending within three days (once per grant).
    async fn record_expiring(&self, now: DateTime<Utc>) -> StoreResult<usize> {
        let until = now + chrono::Duration::days(EXPIRING_WITHIN_DAYS);
        let due = store::find_expiring_grants_without_notification(&self.pool, now, until, EXPIRY_SCAN_LIMIT).await?;
        let mut recorded = 0;
        for (consent_id, patient_id, hospital) in due {
            let mut tx = self.pool.begin().await?;
            if notify(&mut tx, patient_id, Kind::GrantExpiring, Some(consent_id), Some(&hospital), now).await? {
                recorded += 1;
            }
            pramana_server::store::commit(tx).await?;
        }
        Ok(recorded)
    }

    /// Sends one mail; on failure, its class (the server's own text goes to the log only).
    async fn send(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        from: &Mailbox,
        m: &ClaimedMail,
    ) -> Result<(), &'static str> {
        let to: Mailbox = m.to_address.parse().map_err(|_| "bad_address")?;
        let host = from.email.domain().to_owned();
        let body = format!("{}\n{}/\n", m.body, self.portal_url);
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(format!("<{}@{host}>", m.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|_| "bad_message")?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let class = if e.is_permanent() {
                    "rejected"
                } else if e.is_timeout() {
                    "timeout"
                } else {
                    "connect_failed"
                };
                tracing::info!(mail = %m.id, attempt = m.attempts, class, error = %e, "mail not delivered");
                Err(class)
            }
        }
    }
}
