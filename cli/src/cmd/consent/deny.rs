//! `pramana consent deny ID`: the patient refuses an open request.

use uuid::Uuid;

use super::consent_line;
use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Consent id.
    id: Uuid,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let v = ctx.authed()?.consent_deny(a.id).await?;
    ctx.print(&v, || consent_line(&v));
    Ok(())
}
