//! `pramana proof ID`: saves a document's proof bundle (once its batch is anchored and confirmed).

use anyhow::Context as _;
use serde_json::json;
use std::path::PathBuf;
use uuid::Uuid;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Document id.
    id: Uuid,
    /// Where to write the bundle (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    let id = a.id;
    let bundle = serde_json::to_string(&ctx.authed()?.document_proof(id).await?)?;
    match a.output {
        Some(path) => {
            std::fs::write(&path, &bundle).with_context(|| format!("writing {}", path.display()))?;
            ctx.print(&json!({"id": id, "proof": path}), || format!("saved the proof of {id} to {}", path.display()));
        }
        None => println!("{bundle}"),
    }
    Ok(())
}
