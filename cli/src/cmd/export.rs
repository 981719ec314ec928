//! `pramana export -o FILE`: the patient's export archive.

use std::path::PathBuf;

use crate::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the archive (a tar file).
    #[arg(short, long)]
    output: PathBuf,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    crate::archive::download(ctx, &a.output).await
}
