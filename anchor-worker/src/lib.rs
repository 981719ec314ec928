//! The anchor worker. It will claim anchor jobs from the Postgres outbox, batch them into
//! Merkle trees and write the roots on chain. For now it connects, checks that the schema is
//! current, serves `/healthz`, `/readyz` and `/metrics`, and idles until shut down.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use pramana_api::{Settings, store, telemetry};
use secrecy::ExposeSecret as _;
use sqlx::PgPool;
use tokio::net::TcpListener;

/// What one step of the worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// There was nothing to do.
    Idle,
}

/// A connected worker with its health listener bound.
#[derive(Debug)]
pub struct Worker {
    pool: PgPool,
    listener: TcpListener,
    poll_interval: Duration,
}

impl Worker {
    /// Connects, verifies the schema, and binds the health port.
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let pool = store::connect_lazy(settings.database.url.expose_secret(), 4)?;
        store::check_schema(&pool).await?;
        match settings.chain.resolve_contract()? {
            Some(contract) => tracing::info!(chain_id = settings.chain.chain_id, %contract, "consent registry"),
            None => tracing::warn!(
                chain_id = settings.chain.chain_id,
                "no ConsentRegistry address configured or deployed; anchoring will need one"
            ),
        }
        let addr = SocketAddr::new(settings.worker.health_host, settings.worker.health_port);
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { pool, listener, poll_interval: Duration::from_millis(settings.worker.poll_interval_ms) })
    }

    /// The bound health port.
    pub fn health_port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// One unit of work (what tests drive instead of the loop).
    pub async fn step(&self) -> anyhow::Result<StepOutcome> {
        Stepper { pool: self.pool.clone() }.step().await
    }

    /// Runs steps until `shutdown` resolves, checking for shutdown between steps.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(port = self.health_port(), "anchor worker started");
        let Self { pool, listener, poll_interval } = self;
        let health = Router::new()
            .route("/healthz", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .with_state(pool.clone());

        let worker = Stepper { pool };
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut server_stop = stop_rx.clone();
        let server = tokio::spawn(
            axum::serve(listener, health)
                .with_graceful_shutdown(async move {
                    let _ = server_stop.wait_for(|s| *s).await;
                })
                .into_future(),
        );
        tokio::pin!(shutdown);
        loop {
            match worker.step().await {
                Ok(StepOutcome::Idle) => {}
                Err(e) => tracing::warn!(error = ?e, "worker step failed; retrying"),
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(poll_interval) => {}
            }
        }
        let _ = stop_tx.send(true);
        let _ = server.await;
        drop(stop_rx);
        tracing::info!("anchor worker stopped");
        Ok(())
    }
}

/// The part of the worker that does the work, separate from its listener.
#[derive(Debug)]
struct Stepper {
    #[allow(dead_code, reason = "used by anchoring, which arrives with the anchoring issue")]
    pool: PgPool,
}

impl Stepper {
    /// One unit of work. Anchoring arrives with the anchoring issue; until then there is none.
    async fn step(&self) -> anyhow::Result<StepOutcome> {
        metrics::gauge!("worker_up").set(1.0);
        Ok(StepOutcome::Idle)
    }
}

async fn readyz(State(pool): State<PgPool>) -> impl IntoResponse {
    match store::ping(&pool).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn metrics_text() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], telemetry::metrics_handle().render())
}
