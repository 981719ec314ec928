//! `/v1/chain`: which chain and contract this platform anchors to, so clients sign EIP-712
//! messages for the right domain and verifiers know where to look.

use axum::extract::State;
use pramana_wire::ChainInfo;

use crate::error::{ApiJson, ApiResult};
use crate::state::AppState;

/// The chain id and ConsentRegistry address (no sign-in needed).
#[utoipa::path(get, path = "/v1/chain", tag = "chain", responses((status = 200, body = ChainInfo)))]
pub async fn chain_get(State(state): State<AppState>) -> ApiResult<ApiJson<ChainInfo>> {
    Ok(ApiJson(ChainInfo {
        chain_id: state.settings.chain.chain_id,
        contract_address: state.contract.map(|a| a.to_checksum()),
        public_rpc_url: state.settings.chain.public_rpc_url.clone().filter(|u| !u.trim().is_empty()),
        eip712_name: "Pramana ConsentRegistry".to_owned(),
        eip712_version: "1".to_owned(),
    }))
}
