//! `/v1/chain`: the chain and contract the platform anchors to.

use serde::{Deserialize, Serialize};

/// The chain deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainInfo {
    /// EVM chain id.
    pub chain_id: u64,
    /// ConsentRegistry address (EIP-55); absent until one is configured or deployed.
    pub contract_address: Option<String>,
    /// A JSON-RPC endpoint the operator offers clients for reading the chain (e.g. a patient's
    /// contract nonce before signing); absent when none is configured. Verifiers should use an
    /// endpoint of their own choosing.
    pub public_rpc_url: Option<String>,
    /// EIP-712 domain name.
    pub eip712_name: String,
    /// EIP-712 domain version.
    pub eip712_version: String,
}
