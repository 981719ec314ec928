//! `pramana trust add | list | remove`: the ConsentRegistry deployments this verifier trusts.

use std::path::PathBuf;

use clap::Subcommand;

use crate::Ctx;

#[derive(Debug, Subcommand)]
pub enum TrustCmd {
    /// Trust a deployment: the address the operator publishes and its chain id, or the
    /// operator's published deployment record (`deployments/<chain id>.json`).
    Add {
        /// The ConsentRegistry address.
        #[arg(required_unless_present = "deployment")]
        address: Option<String>,
        /// The chain it is on (EIP-155 chain id).
        #[arg(long, required_unless_present = "deployment")]
        chain_id: Option<u64>,
        /// The operator's deployment record (JSON with `chain_id` and `address`).
        #[arg(long, conflicts_with_all = ["address", "chain_id"])]
        deployment: Option<PathBuf>,
    },
    /// The trusted deployments.
    List,
    /// Stop trusting the deployment of a chain.
    Remove {
        /// The chain id.
        #[arg(long)]
        chain_id: u64,
    },
}

impl TrustCmd {
    pub fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        match self {
            Self::Add { address, chain_id, deployment } => {
                crate::trust::add(ctx, address.as_deref(), chain_id, deployment.as_deref())
            }
            Self::List => crate::trust::list(ctx),
            Self::Remove { chain_id } => crate::trust::remove(ctx, chain_id),
        }
    }
}
