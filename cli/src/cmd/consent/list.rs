//! `pramana consent list`: the caller's consent artefacts.

use super::consent_line;
use crate::Ctx;

pub async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let v = ctx.authed()?.consents().await?;
    ctx.print(&v, || v.iter().map(consent_line).collect::<Vec<_>>().join("\n"));
    Ok(())
}
