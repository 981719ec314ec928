//! `pramana-anchor-worker`: load configuration, start telemetry, run until SIGTERM.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    pramana_anchor_worker::run_from_env().await
}
