//! `pramana audit` and `pramana consent status`, the real binary against a real Anvil chain with
//! the real contract: patient-signed grants and a revocation, read back from the chain alone.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use pramana_core::chain::ConsentRegistry;
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke, domain};
use pramana_tests::{ANVIL_KEY_0, deploy_registry, spawn_anvil};
use serde_json::Value;

mod common;

fn pramana(args: &[&str]) -> (i32, Value, String) {
    common::pramana_json(args, &[])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_rebuilds_consent_history_from_the_chain() {
    let anvil = spawn_anvil().await.unwrap();
    let contract = deploy_registry(&anvil.url).await.unwrap();
    let relayer: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(relayer)).connect_http(anvil.url.parse().unwrap());
    let reg = ConsentRegistry::new(contract, &provider);
    let d = domain(provider.get_chain_id().await.unwrap(), contract);
    let now = provider.get_block_by_number(Default::default()).await.unwrap().unwrap().header.timestamp;
    let patient = ConsentSigner::random();
    let hospitals = [Address::repeat_byte(0x41), Address::repeat_byte(0x42)];
    let scope = B256::repeat_byte(0x5c);
    for (i, hospital) in hospitals.iter().enumerate() {
        let grant = Grant {
            consentId: B256::repeat_byte(i as u8 + 1),
            patient: patient.address(),
            grantee: *hospital,
            scopeHash: scope,
            validFrom: now,
            validUntil: now + 86_400,
            nonce: 0,
            deadline: now + 3_600,
        };
        let signed = patient.sign_grant(grant, &d).unwrap();
        reg.grantConsent(signed.to_request()).send().await.unwrap().get_receipt().await.unwrap();
    }
    let revoke =
        Revoke { consentId: B256::repeat_byte(2), patient: patient.address(), nonce: 0, deadline: now + 3_600 };
    let signed = patient.sign_revoke(revoke, &d).unwrap();
    reg.revokeConsent(signed.to_request(hospitals[1], scope)).send().await.unwrap().get_receipt().await.unwrap();

    let c = contract.to_string();
    let url = anvil.url.clone();
    let (code, v, err) =
        tokio::task::spawn_blocking(move || pramana(&["audit", "--rpc", &url, "--contract", &c])).await.unwrap();
    assert_eq!(code, 0, "{err}");
    let consents = v["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 2, "{v}");
    assert_eq!(consents[0]["status"], "active");
    assert_eq!(consents[0]["grantee"], hospitals[0].to_string());
    assert!(consents[0]["revoked"].is_null());
    assert_eq!(consents[1]["status"], "revoked");
    assert!(
        consents[1]["revoked"]["block_number"].as_u64().unwrap()
            > consents[1]["granted"]["block_number"].as_u64().unwrap()
    );

    let (c, url) = (contract.to_string(), anvil.url.clone());
    let statuses = tokio::task::spawn_blocking(move || {
        [B256::repeat_byte(1), B256::repeat_byte(2), B256::repeat_byte(9)].map(|id| {
            pramana(&["consent", "status", &id.to_string(), "--rpc", &url, "--contract", &c]).1["status"].clone()
        })
    })
    .await
    .unwrap();
    assert_eq!(statuses, [Value::from("active"), Value::from("revoked"), Value::from("unknown")]);

    // Bad input: a clear error and exit 2.
    let url = anvil.url.clone();
    let (code, _, err) = tokio::task::spawn_blocking(move || {
        pramana(&["consent", "status", "0x12", "--rpc", &url, "--contract", "0x1"])
    })
    .await
    .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("not a consent id"), "{err}");
}
