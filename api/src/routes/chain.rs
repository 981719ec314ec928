//! `/v1/chain`: which chain and contract this platform anchors to, so clients sign EIP-712
//! messages for the right domain and verifiers know where to look.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::error::{ApiJson, ApiResult};

/// The chain deployment.
#[derive(Debug, Serialize, ToSchema)]
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
    pub eip712_name: &'static str,
    /// EIP-712 domain version.
    pub eip712_version: &'static str,
}

/// The chain id and ConsentRegistry address (no sign-in needed).
#[utoipa::path(get, path = "/v1/chain", tag = "chain", responses((status = 200, body = ChainInfo)))]
pub async fn chain_get(State(state): State<AppState>) -> ApiResult<ApiJson<ChainInfo>> {
    Ok(ApiJson(ChainInfo {
        chain_id: state.settings.chain.chain_id,
        contract_address: state.contract.map(|a| a.to_checksum()),
        public_rpc_url: state.settings.chain.public_rpc_url.clone().filter(|u| !u.trim().is_empty()),
        eip712_name: "Pramana ConsentRegistry",
        eip712_version: "1",
    }))
}
