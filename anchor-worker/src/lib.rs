//! The anchor worker: claims anchor jobs from the Postgres outbox, batches them into Merkle
//! trees, anchors each root with one transaction, waits for confirmations and writes every
//! document's proof bundle; relays patients' signed consent grants and revocations to the
//! contract the same way (`relay`). One worker per signer key submits (a Postgres advisory lock);
//! others stand by. Beside that, and without the lock, it delivers consent webhooks (`webhooks`)
//! and notification mail to patients (`mail`).
//! Serves `/healthz`, `/readyz` and `/metrics`.

pub mod anchoring;
pub mod chain;
pub mod health;
pub mod mail;
pub mod relay;
pub mod sequencer;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use anyhow::Context as _;
use pramana_server::config::ChainSettings;
use pramana_server::store::{StoreError, anchor};
use pramana_server::{Settings, store, telemetry};
use secrecy::{ExposeSecret as _, SecretString};
use sha3::{Digest as _, Keccak256};
use sqlx::{Connection as _, PgConnection};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

pub use anchoring::{AnchorRules, Anchorer, StepOutcome};

/// What `pramana-anchor-worker` runs: load configuration (file and `PRAMANA_*` environment),
/// start telemetry, build the worker and run it until SIGTERM or Ctrl-C.
pub async fn run_from_env() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading configuration")?;
    telemetry::init(&settings.telemetry);
    let worker = Worker::build(&settings).await.context("starting the anchor worker")?;
    worker.run_until_stopped(pramana_server::shutdown_signal()).await
}
pub use chain::AnchorChain;
pub use mail::{MailStep, Mailer};
pub use sequencer::Sequencer;
pub use webhooks::{Deliverer, DeliveryStep};

/// Why a step failed. Every variant is retried on the next step; they differ in who must act.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Postgres failed or is unreachable (transient).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The RPC endpoint failed, timed out or answered nonsense (transient).
    #[error("rpc: {0}")]
    Rpc(String),
    /// The chain refuses this worker's anchors (wrong chain, no contract, not an anchorer): an
    /// operator must fix the configuration or the contract's roles.
    #[error("misconfigured: {0}")]
    Misconfigured(String),
    /// Stored state that cannot be (a bug, or a database edited by hand).
    #[error("internal: {0}")]
    Internal(String),
}

impl WorkerError {
    /// A stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Store(_) => "store",
            Self::Rpc(_) => "rpc",
            Self::Misconfigured(_) => "misconfigured",
            Self::Internal(_) => "internal",
        }
    }
}

/// The lease that makes this worker the one submitter for its signer: a session-level advisory
/// lock on a connection of its own, held while the connection lives.
#[derive(Debug)]
struct Lease {
    url: SecretString,
    key: i64,
    conn: Option<PgConnection>,
}

impl Lease {
    /// True while this worker holds the lease (taking it when free).
    async fn hold(&mut self) -> Result<bool, StoreError> {
        if let Some(conn) = &mut self.conn {
            if conn.ping().await.is_ok() {
                return Ok(true);
            }
            tracing::warn!("lost the lease connection; trying to take the lease again");
            self.conn = None;
        }
        let mut conn = PgConnection::connect(self.url.expose_secret()).await?;
        if anchor::try_lock_signer(&mut conn, self.key).await? {
            tracing::info!("took the signer lease; this worker submits");
            self.conn = Some(conn);
            Ok(true)
        } else {
            Ok(false)
        }
    }
}

/// The lock key for a signer on a chain: the first 8 bytes of
/// `keccak256("pramana/anchor-lease" ‖ chain id ‖ address)`.
fn lease_key(chain_id: u64, signer: Address) -> i64 {
    let mut h = Keccak256::new();
    h.update(b"pramana/anchor-lease");
    h.update(chain_id.to_be_bytes());
    h.update(signer.as_slice());
    let d = h.finalize();
    i64::from_be_bytes(d[..8].try_into().unwrap_or_default())
}

/// The anchoring key from the settings: a hex private key or an encrypted keystore file.
pub fn load_signer(chain: &ChainSettings) -> anyhow::Result<PrivateKeySigner> {
    match (&chain.signer_key, &chain.signer_keystore) {
        (Some(key), None) => key.expose_secret().trim().parse().context("chain.signer_key is not a private key"),
        (None, Some(path)) => {
            let password = chain.signer_keystore_password.as_ref().map(|p| p.expose_secret().to_owned());
            PrivateKeySigner::decrypt_keystore(path, password.unwrap_or_default())
                .with_context(|| format!("opening the keystore {}", path.display()))
        }
        _ => anyhow::bail!(
            "no anchoring key: set chain.signer_key (PRAMANA_CHAIN__SIGNER_KEY) or chain.signer_keystore \
             (PRAMANA_CHAIN__SIGNER_KEYSTORE, with PRAMANA_CHAIN__SIGNER_KEYSTORE_PASSWORD)"
        ),
    }
}

/// A connected worker with its health listener bound.
#[derive(Debug)]
pub struct Worker {
    stepper: Stepper,
    sequencer: Sequencer,
    webhooks: Deliverer,
    mail: Mailer,
    listener: TcpListener,
    poll_interval: Duration,
}

/// The part of the worker that steps, apart from its listener.
#[derive(Debug)]
struct Stepper {
    anchorer: Anchorer,
    lease: Mutex<Lease>,
    deployment_checked: tokio::sync::OnceCell<()>,
}

impl Stepper {
    async fn step(&self) -> Result<StepOutcome, WorkerError> {
        metrics::gauge!("worker_up").set(1.0);
        let leader = self.lease.lock().await.hold().await?;
        metrics::gauge!("anchor_leader").set(if leader { 1.0 } else { 0.0 });
        if !leader {
            return Ok(StepOutcome::StandBy);
        }
        self.deployment_checked.get_or_try_init(|| self.anchorer.chain.check_deployment()).await?;
        self.anchorer.try_anchor_next_batch().await
    }
}

impl Worker {
    /// Connects, verifies the schema, loads the anchoring key and binds the health port. The
    /// chain itself is checked on the first step, so the worker starts while the RPC is down.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        // Install the metrics recorder now, so nothing recorded before the first scrape is lost.
        telemetry::metrics_handle();
        let pool = store::connect_lazy(settings.database.url.expose_secret(), 6)?;
        store::check_schema(&pool).await?;
        let c = &settings.chain;
        let contract = c
            .resolve_contract()?
            .context("no ConsentRegistry address: set chain.contract_address or deploy one (scripts/deploy.sh)")?;
        let signer = load_signer(c)?;
        let signer_address = signer.address();
        let chain = AnchorChain::new(
            &c.rpc_url,
            Duration::from_secs(c.rpc_timeout_secs),
            signer,
            Address::from(contract.0),
            c.chain_id,
            c.anchor_gas_limit,
        )?;
        tracing::info!(chain_id = c.chain_id, contract = %contract, signer = %signer_address, "anchoring");
        let w = &settings.worker;
        let rules = AnchorRules {
            batch_max_size: w.batch_max_size,
            batch_max_wait: Duration::from_millis(w.batch_max_wait_ms),
            confirmations: c.confirmations,
            max_fee_per_gas: u128::from(c.max_fee_per_gas_gwei) * 1_000_000_000,
            stuck_after: Duration::from_secs(c.stuck_after_secs),
            fee_bump_percent: c.fee_bump_percent,
            log_lookback: c.log_lookback_blocks,
            relay_retry: pramana_server::webhooks::Backoff {
                base: Duration::from_secs(w.relay_retry_base_secs),
                cap: Duration::from_secs(w.relay_retry_cap_secs),
                max_attempts: u32::MAX,
            },
        };
        let lease =
            Lease { url: settings.database.url.clone(), key: lease_key(c.chain_id, signer_address), conn: None };
        let addr = SocketAddr::new(w.health_host, w.health_port);
        let listener = TcpListener::bind(addr).await?;
        let webhooks = Deliverer::new(pool.clone(), &settings.webhooks)?;
        let mail = Mailer::new(pool.clone(), &settings.smtp)?;
        let sequencer = Sequencer {
            pool: pool.clone(),
            head_interval: Duration::from_millis(w.audit_head_interval_ms),
            batch_max_size: w.audit_batch_max_size,
        };
        Ok(Self {
            webhooks,
            mail,
            sequencer,
            stepper: Stepper {
                anchorer: Anchorer { pool, chain, rules },
                lease: Mutex::new(lease),
                deployment_checked: tokio::sync::OnceCell::new(),
            },
            listener,
            poll_interval: Duration::from_millis(w.poll_interval_ms),
        })
    }

    /// The bound health port.
    pub fn health_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The anchoring cycle's parts (for tests and tools).
    pub fn anchorer(&self) -> &Anchorer {
        &self.stepper.anchorer
    }

    /// The webhook deliverer (for tests and tools).
    pub fn webhooks(&self) -> &Deliverer {
        &self.webhooks
    }

    /// The notification mailer (for tests and tools).
    pub fn mail(&self) -> &Mailer {
        &self.mail
    }

    /// The access log's sequencer, which the loop runs before each anchoring step.
    pub fn sequencer(&self) -> &Sequencer {
        &self.sequencer
    }

    /// One step: take or confirm the lease, then `try_anchor_next_batch`. What tests drive
    /// instead of the loop; safe to cancel at any await point.
    pub async fn step(&self) -> Result<StepOutcome, WorkerError> {
        self.stepper.step().await
    }

    /// Runs anchoring steps until `shutdown` resolves, checking for shutdown between steps; steps
    /// that made progress are followed at once, others after the poll interval. Webhook delivery
    /// runs as a task of its own beside them and stops with them.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(port = self.health_port(), "anchor worker started");
        let pool = self.stepper.anchorer.pool.clone();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let Self { stepper: worker, sequencer, webhooks, mail, listener, poll_interval } = self;
        let deliveries = tokio::spawn(webhooks.run_until_stopped(stop_rx.clone()));
        let mailing = tokio::spawn(mail.run_until_stopped(stop_rx.clone()));
        let server = tokio::spawn(health::serve(listener, pool, stop_rx.clone()));
        tokio::pin!(shutdown);
        loop {
            let sequenced = match sequencer.step(chrono::Utc::now()).await {
                Ok(done) => matches!(done, store::audit::Sequenced::Head { .. }),
                Err(e) => {
                    metrics::counter!("audit_sequencer_failures_total", "kind" => e.kind()).increment(1);
                    tracing::warn!(error = %e, "sequencing the access log failed; will retry");
                    false
                }
            };
            let pause = match worker.step().await {
                Ok(_) if sequenced => Duration::ZERO,
                Ok(outcome) if outcome.made_progress() => Duration::ZERO,
                Ok(_) => poll_interval,
                Err(e) => {
                    metrics::counter!("anchor_failures_total", "kind" => e.kind()).increment(1);
                    match &e {
                        WorkerError::Misconfigured(_) | WorkerError::Internal(_) => {
                            tracing::error!(error = %e, "anchoring step failed; will retry");
                        }
                        _ => tracing::warn!(error = %e, "anchoring step failed; will retry"),
                    }
                    poll_interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        let _ = stop_tx.send(true);
        let _ = server.await;
        let _ = deliveries.await;
        let _ = mailing.await;
        drop(stop_rx);
        tracing::info!("anchor worker stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_keys_differ_per_signer_and_chain() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        assert_ne!(lease_key(1, a), lease_key(1, b));
        assert_ne!(lease_key(1, a), lease_key(2, a));
        assert_eq!(lease_key(1, a), lease_key(1, a));
    }

    #[test]
    fn the_anchoring_key_comes_from_the_environment_or_a_keystore_file() {
        let dir = std::env::temp_dir().join(format!("pramana-keystore-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (expected, _) =
            PrivateKeySigner::encrypt_keystore(&dir, &mut rand::thread_rng(), [7u8; 32], "pw", Some("anchorer.json"))
                .unwrap();
        let settings = |chain: serde_json::Value| {
            Settings::from_overrides(serde_json::json!({"auth": {"jwt_secret": "x".repeat(32)}, "chain": chain}))
                .unwrap()
        };
        let path = dir.join("anchorer.json");
        let s = settings(serde_json::json!({"signer_keystore": path, "signer_keystore_password": "pw"}));
        assert_eq!(load_signer(&s.chain).unwrap().address(), expected.address());
        let s = settings(serde_json::json!({"signer_keystore": path, "signer_keystore_password": "wrong"}));
        assert!(load_signer(&s.chain).is_err());
        let s = settings(serde_json::json!({"signer_key": pramana_core::hex0x([7u8; 32])}));
        assert_eq!(load_signer(&s.chain).unwrap().address(), expected.address());
        let err = load_signer(&settings(serde_json::json!({})).chain).unwrap_err();
        assert!(err.to_string().contains("no anchoring key"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
