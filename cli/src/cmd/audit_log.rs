//! `pramana audit-log verify`: the access log checked against the chain.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::Ctx;
use crate::ctx::RpcOpts;

#[derive(Debug, Subcommand)]
pub enum AuditLogCmd {
    /// (Auditor) check the platform's access log against the chain: every anchored tree head is
    /// on chain, the entries rebuild every head, consecutive heads are consistent; names the
    /// first entry that does not fit. Exit status: 0 verified, 1 not, 2 could not check.
    Verify {
        /// An auditor's access token for the platform at `--api`.
        #[arg(long, env = "PRAMANA_AUDIT_TOKEN")]
        token: String,
        #[command(flatten)]
        rpc: RpcOpts,
        /// A file remembering the largest head verified: the next run insists the log still
        /// extends it (written after a run that verifies).
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

impl AuditLogCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<ExitCode> {
        match self {
            Self::Verify { token, rpc, state } => {
                crate::auditlog::verify(ctx, &token, &rpc.rpc, rpc.contract.as_deref(), state.as_deref()).await
            }
        }
    }
}
