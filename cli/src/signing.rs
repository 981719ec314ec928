//! The patient's signatures, shared by `consent approve | revoke | resign` and `identity rotate`:
//! the contract's EIP-712 domain and the patient's nonce, read from the chain. Every message
//! names the patient's account (the address of their first Ethereum key, as `/v1/keys` lists it)
//! and is signed by the keystore's key, which must be the account's signer now. The nonce is
//! read from the contract (`nonces(account)`) through `--rpc`, else the endpoint the platform
//! publishes at `/v1/chain`.

use alloy::primitives::Address;
use alloy::providers::Provider as _;
use alloy::sol_types::Eip712Domain;
use anyhow::{Context as _, bail};
use chrono::Utc;
use pramana_client::Client;
use pramana_core::chain::ConsentRegistry;
use pramana_core::chain::eip712::domain;

/// 32 bytes from `0x`-hex (or bare hex).
pub fn hex32(v: Option<&str>, what: &str) -> anyhow::Result<[u8; 32]> {
    let s = v.with_context(|| format!("no {what}"))?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(s.trim_start_matches("0x"), &mut out).with_context(|| format!("bad {what}"))?;
    Ok(out)
}

/// A signature as the API takes it: `0x` and hex.
pub fn signature_hex(signature: &[u8]) -> String {
    pramana_core::hex0x(signature)
}

/// Where a patient's signature goes: the contract's EIP-712 domain and the patient's nonce on
/// chain now.
#[derive(Debug)]
pub struct Signing {
    pub domain: Eip712Domain,
    pub nonce: u64,
}

/// Reads the platform's chain and contract, and `patient`'s nonce from the contract through
/// `rpc` (else the platform's published endpoint), checking that endpoint serves that chain; a
/// rotation of the account still waiting for the chain (listed by `/v1/keys`) moves it past the
/// rotation's nonce.
pub async fn signing(api: &Client, rpc: Option<&str>, patient: Address) -> anyhow::Result<Signing> {
    let chain = api.chain().await?;
    let contract: Address =
        chain.contract_address.as_deref().context("the platform has no ConsentRegistry configured")?.parse()?;
    let chain_id = chain.chain_id;
    let rpc = match rpc {
        Some(r) => r.to_owned(),
        None => chain.public_rpc_url.context(
            "your contract nonce is read from the chain: pass --rpc URL (or set PRAMANA_RPC); \
             the platform publishes no public RPC endpoint",
        )?,
    };
    let provider = crate::verify::connect(&rpc)?;
    let served = provider.get_chain_id().await.with_context(|| format!("cannot reach the RPC endpoint {rpc}"))?;
    if served != chain_id {
        bail!("the RPC endpoint {rpc} serves chain {served}, the platform's consents are on chain {chain_id}");
    }
    let on_chain = ConsentRegistry::new(contract, &provider)
        .nonces(patient)
        .call()
        .await
        .with_context(|| format!("reading your nonce from the ConsentRegistry at {contract}"))?;
    // A key rotation the platform has not relayed yet consumes its nonce when it lands.
    let keys = api.keys().await?;
    let after_rotations = keys
        .iter()
        .filter_map(|k| k.rotation.as_ref())
        .filter(|r| matches!(r.state.as_str(), "pending" | "submitted"))
        .filter_map(|r| u64::try_from(r.nonce).ok())
        .map(|n| n.saturating_add(1))
        .max();
    let nonce = after_rotations.map_or(on_chain, |n| n.max(on_chain));
    Ok(Signing { domain: domain(chain_id, contract), nonce })
}

/// The caller's keys as `/v1/keys` lists them: the account address (the first Ethereum key ever
/// registered) and the key that signs for it now (the newest that is the account's own or was
/// handed the account by a rotation the chain did not refuse), as the platform decides it.
pub async fn account_keys(api: &Client) -> anyhow::Result<(Option<Address>, Option<Address>)> {
    let keys = api.keys().await?;
    let eth: Vec<Address> =
        keys.iter().filter(|k| k.kind == "ethereum").filter_map(|k| k.public_key.parse().ok()).collect();
    // Newest first: the account is the last one listed.
    let account = eth.last().copied();
    let signer = keys.iter().find(|k| {
        let address: Option<Address> = k.public_key.parse().ok();
        k.kind == "ethereum"
            && (address.is_some() && address == account
                || k.rotation
                    .as_ref()
                    .is_some_and(|r| matches!(r.state.as_str(), "pending" | "submitted" | "confirmed")))
    });
    Ok((account, signer.and_then(|k| k.public_key.parse().ok())))
}

/// A signature deadline a week from now.
pub fn deadline() -> anyhow::Result<u64> {
    Ok(u64::try_from(Utc::now().timestamp())? + 7 * 86_400)
}
