//! `pramana consent show ID`: one artefact, in full.

use uuid::Uuid;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Consent id.
    id: Uuid,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let v = ctx.authed()?.consent(a.id).await?;
    ctx.print(&v, || serde_json::to_value(&v).and_then(|v| serde_json::to_string_pretty(&v)).unwrap_or_default());
    Ok(())
}
