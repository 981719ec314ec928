//! `pramana consent status ID --patient ADDRESS`: one consent's status, from the chain alone.

use crate::Ctx;
use crate::ctx::RpcOpts;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The consent id (0x + 64 hex digits).
    id: String,
    /// The patient's account address (0x…): a consent is the patient's record under the id;
    /// the same id granted by anyone else is another consent.
    #[arg(long)]
    patient: String,
    #[command(flatten)]
    rpc: RpcOpts,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<()> {
    crate::audit::status(ctx, &a.id, &a.patient, &a.rpc.rpc, a.rpc.contract.as_deref()).await
}
