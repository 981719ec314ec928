//! `pramana-api`: serve the API, or `pramana-api migrate` to apply migrations and exit.

use anyhow::Context as _;
use pramana_api::{Application, Settings};
use pramana_server::{shutdown_signal, store, telemetry};
use secrecy::ExposeSecret as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("loading configuration")?;
    telemetry::init(&settings.telemetry);
    tracing::debug!(?settings, "configuration");
    match std::env::args().nth(1).as_deref() {
        Some("migrate") => {
            let pool = store::connect_lazy(settings.database.url.expose_secret(), 2)?;
            store::migrate(&pool).await.context("applying migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        None | Some("serve") => {
            let grace = std::time::Duration::from_secs(settings.server.shutdown_grace_secs);
            let app = Application::build(settings).await.context("starting the api")?;
            let serve = app.run_until_stopped(shutdown_signal());
            // After the signal, in-flight requests get `grace` to finish.
            tokio::select! {
                r = serve => r.context("serving")?,
                () = async { shutdown_signal().await; tokio::time::sleep(grace).await } => {
                    tracing::warn!("shutdown grace period over");
                }
            }
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown command {other:?}; use `serve` or `migrate`"),
    }
}
