//! The anchor worker's entry point (`pramana_anchor_worker::run_from_env`, exactly what
//! `pramana-anchor-worker` runs) as a binary of this crate, so the SIGKILL test can start and
//! kill it as a process without the worker crate depending on this harness.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pramana_anchor_worker::run_from_env().await
}
