//! `pramana audit` and `pramana consent status`: consents read from the chain alone, for
//! auditors with no account on the platform.

use alloy::primitives::{Address, B256};
use alloy::providers::RootProvider;
use anyhow::Context as _;
use pramana_core::chain::history::{self, ChainStatus};
use serde_json::json;

use crate::Ctx;

fn connect(rpc: &str, contract: &str) -> anyhow::Result<(RootProvider, Address)> {
    let provider = RootProvider::new_http(rpc.parse().with_context(|| format!("--rpc {rpc:?} is not a URL"))?);
    let contract: Address = contract.parse().with_context(|| format!("--contract {contract:?} is not an address"))?;
    Ok((provider, contract))
}

fn status_name(s: ChainStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn utc(ts: u64) -> String {
    chrono::DateTime::from_timestamp(i64::try_from(ts).unwrap_or(i64::MAX), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ts.to_string())
}

/// Prints one consent's status now.
pub async fn status(ctx: &Ctx, id: &str, rpc: &str, contract: &str) -> anyhow::Result<()> {
    let consent_id: B256 = id.parse().with_context(|| format!("{id:?} is not a consent id (0x + 64 hex digits)"))?;
    let (provider, contract) = connect(rpc, contract)?;
    let s = history::consent_status(&provider, contract, consent_id).await.context("asking the chain")?;
    let name = status_name(s);
    ctx.print(&json!({"consent_id": consent_id, "status": name, "contract": contract}), || {
        format!("{consent_id}  {name}")
    });
    Ok(())
}

/// Prints every consent's history.
pub async fn run(ctx: &Ctx, rpc: &str, contract: &str, from_block: u64) -> anyhow::Result<()> {
    let (provider, contract) = connect(rpc, contract)?;
    let consents =
        history::consent_histories(&provider, contract, from_block).await.context("reading the chain's events")?;
    ctx.print(&json!({"contract": contract, "from_block": from_block, "consents": consents}), || {
        let mut lines = vec![format!("{} consents on {contract} since block {from_block}", consents.len())];
        for c in &consents {
            lines.push(format!(
                "{}  {:<13} patient {} -> {}  valid {} .. {}  granted block {}{}",
                c.consent_id,
                status_name(c.status),
                c.patient,
                c.grantee,
                utc(c.valid_from),
                utc(c.valid_until),
                c.granted.block_number,
                c.revoked.map(|r| format!(", revoked block {}", r.block_number)).unwrap_or_default()
            ));
        }
        lines.join("\n")
    });
    Ok(())
}
