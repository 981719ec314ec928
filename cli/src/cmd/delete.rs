//! `pramana delete ID`: deletes a document (crypto-shredding).

use serde_json::json;
use uuid::Uuid;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Document id.
    id: Uuid,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let id = a.id;
    ctx.authed()?.document_delete(id).await?;
    ctx.print(&json!({"deleted": id}), || format!("deleted {id}"));
    Ok(())
}
