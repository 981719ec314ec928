//! `pramana verify`: a document against the chain with its proof bundle, or a whole export
//! archive; no call to the platform.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use crate::Ctx;
use crate::ctx::RpcOpts;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The document (its SHA-256 is computed here).
    #[arg(required_unless_present_any = ["sha256", "archive"], conflicts_with = "sha256")]
    file: Option<PathBuf>,
    /// The document's SHA-256 (64 hex digits), for a verifier that holds only the hash.
    #[arg(long)]
    sha256: Option<String>,
    /// The proof bundle (JSON, docs/proof.md).
    #[arg(long, required_unless_present = "archive")]
    proof: Option<PathBuf>,
    /// A patient's export archive (`pramana export`): every envelope, proof and consent in
    /// it is checked; with the patient's keystore (PRAMANA_HOME, PRAMANA_PASSPHRASE) the
    /// documents are decrypted and their content checked too.
    #[arg(long, conflicts_with_all = ["file", "sha256", "proof"])]
    archive: Option<PathBuf>,
    #[command(flatten)]
    rpc: RpcOpts,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<ExitCode> {
    let contract = a.rpc.contract.as_deref();
    if let Some(path) = a.archive {
        return crate::archive::verify(ctx, &path, &a.rpc.rpc, contract).await;
    }
    let proof = a.proof.context("--proof is required")?;
    crate::verify::run(ctx, a.file.as_deref(), a.sha256.as_deref(), &proof, &a.rpc.rpc, contract).await
}
