//! `pramana audit`: every consent's history from the chain, optionally compared with the platform.

use std::process::ExitCode;

use crate::Ctx;
use crate::ctx::RpcOpts;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    rpc: RpcOpts,
    /// First block to read (the deployment block saves time on long chains).
    #[arg(long, default_value_t = 0)]
    from_block: u64,
    /// An auditor's access token: also compare with the platform at `--api` and list every
    /// discrepancy (exit status 1 when there is any).
    #[arg(long, env = "PRAMANA_AUDIT_TOKEN")]
    token: Option<String>,
}

pub async fn run(ctx: &Ctx, a: Args) -> anyhow::Result<ExitCode> {
    crate::audit::run(ctx, &a.rpc.rpc, a.rpc.contract.as_deref(), a.from_block, a.token.as_deref()).await
}
