//! `pramana-anchor-worker`: load configuration, start telemetry, run until SIGTERM.

use anyhow::Context as _;
use pramana_anchor_worker::Worker;
use pramana_api::app::shutdown_signal;
use pramana_api::{Settings, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading configuration")?;
    telemetry::init(&settings.telemetry);
    let worker = Worker::build(&settings).await.context("starting the anchor worker")?;
    worker.run_until_stopped(shutdown_signal()).await
}
