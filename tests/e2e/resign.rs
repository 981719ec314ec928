//! Signed messages the contract will accept, and a failed one signed again. The API refuses a
//! grant or revocation the contract would refuse whoever relays it (a high-s signature, a time
//! beyond `uint40`, a nonce beyond what it stores, a deadline already past), changing nothing.
//! A grant the chain refused for good (here: the patient voided it with `incrementNonce`) gives
//! the hospital no access until the patient signs it again; a refused revocation is signed again
//! the same way, and both then reach the chain.

use alloy::primitives::{Address, B256, U256};
use alloy::providers::RootProvider;
use alloy::sol_types::SolCall as _;
use chrono::{DateTime, Utc};
use pramana_core::HiType;
use pramana_core::chain::ConsentRegistry;
use pramana_core::chain::eip712::{ConsentSigner, Grant, Revoke, domain};
use pramana_core::chain::history::{ChainStatus, consent_status};
use pramana_tests::consent::{CONTRACT, register_eth, request, sign_grant};
use pramana_tests::{Platform, rpc_call, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};

fn now() -> u64 {
    Utc::now().timestamp() as u64
}

fn hex_sig(sig: [u8; 64]) -> String {
    pramana_core::hex0x(sig)
}

/// `incrementNonce()` sent as the patient (an impersonated Anvil account): voids every
/// signature of theirs not yet relayed.
async fn bump_nonce(p: &Platform, patient: Address) {
    let from = patient.to_string();
    rpc_call(&p.anvil.url, "anvil_setBalance", json!([from, "0xde0b6b3a7640000"])).await.unwrap();
    rpc_call(&p.anvil.url, "anvil_impersonateAccount", json!([from])).await.unwrap();
    let data = pramana_core::hex0x(ConsentRegistry::incrementNonceCall { account: patient }.abi_encode());
    let tx = json!([{"from": from, "to": p.contract.to_string(), "data": data, "gas": "0x100000"}]);
    rpc_call(&p.anvil.url, "eth_sendTransaction", tx).await.unwrap();
}

/// The stored grant of consent view `c`, with a new nonce and deadline, signed by `signer`.
fn resign_grant(signer: &ConsentSigner, c: &Value, nonce: u64, deadline: u64) -> Value {
    let time = |f: &str| c[f].as_str().unwrap().parse::<DateTime<Utc>>().unwrap().timestamp() as u64;
    let grant = Grant {
        consentId: c["chain_consent_id"].as_str().unwrap().parse().unwrap(),
        patient: c["patient_address"].as_str().unwrap().parse().unwrap(),
        grantee: c["grantee_address"].as_str().unwrap().parse().unwrap(),
        scopeHash: c["scope_hash"].as_str().unwrap().parse().unwrap(),
        validFrom: time("valid_from"),
        validUntil: time("data_erase_at"),
        nonce,
        deadline,
    };
    let signed = signer.sign_grant(grant, &domain(31337, CONTRACT.parse().unwrap())).unwrap();
    json!({"nonce": nonce, "deadline": deadline, "signature": hex_sig(signed.signature)})
}

fn revoke_body(signer: &ConsentSigner, c: &Value, nonce: u64, deadline: u64) -> Value {
    let revoke = Revoke {
        consentId: c["chain_consent_id"].as_str().unwrap().parse().unwrap(),
        patient: signer.address(),
        nonce,
        deadline,
    };
    let signed = signer.sign_revoke(revoke, &domain(31337, CONTRACT.parse().unwrap())).unwrap();
    json!({"nonce": nonce, "deadline": deadline, "signature": hex_sig(signed.signature)})
}

/// Rows that a refused request must leave alone.
async fn consent_state(p: &Platform, id: &str) -> (String, i64, Option<Vec<u8>>) {
    let id: uuid::Uuid = id.parse().unwrap();
    sqlx::query_as(
        "SELECT status, (SELECT count(*) FROM consent_chain_events WHERE consent_id = c.id), grant_signature
           FROM consents c WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&p.app.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_the_contract_would_refuse_are_refused_and_a_failed_one_is_signed_again() {
    let p = spawn_platform().await;
    let provider = RootProvider::new_http(p.anvil.url.parse().unwrap());
    let (hosp, hosp_addr) = p.hospital_with_keys().await;
    let patient = p.app.new_patient().await;
    let key = pramana_tests::register_x25519(&p.app, &patient.access).await;
    let signer = ConsentSigner::random();
    register_eth(&p.app, &patient.access, signer.address()).await;
    let c: Value =
        p.app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let chain_id: B256 = c["chain_consent_id"].as_str().unwrap().parse().unwrap();
    let post = |path: String, body: Value| {
        let (app, token) = (&p.app, patient.access.clone());
        async move { app.post(&path, Some(&token), &body).await }
    };
    let refused = |r: reqwest::Response, code: &'static str| async move {
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!((status.as_u16(), body["code"].as_str().unwrap()), (422, code), "{body}");
    };

    // Out of the contract's ranges, a malleated signature, a deadline already past: 422, nothing changed.
    let before = consent_state(&p, &id).await;
    let good = {
        let mut g = sign_grant(&signer, &c, hosp_addr, &[HiType::DiagnosticReport], now());
        g["headers"] = json!([]);
        g
    };
    for (field, value, code) in [
        ("deadline", json!(1u64 << 40), "invalid_deadline"),
        ("deadline", json!(u64::MAX), "invalid_deadline"),
        ("deadline", json!(now() - 10), "invalid_deadline"),
        ("nonce", json!(1u64 << 63), "invalid_nonce"),
        ("valid_from", json!(u64::MAX), "invalid_valid_from"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        refused(post(format!("/v1/consents/{id}/grant"), body).await, code).await;
    }
    let mut high_s = good.clone();
    let sig = hex::decode(good["signature"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let half_order_plus_one =
        U256::from_str_radix("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a1", 16).unwrap();
    let mut malleated = [0u8; 64];
    malleated[..32].copy_from_slice(&sig[..32]);
    malleated[32..].copy_from_slice(&half_order_plus_one.to_be_bytes::<32>());
    high_s["signature"] = json!(hex_sig(malleated));
    let r = post(format!("/v1/consents/{id}/grant"), high_s).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_signature");
    assert!(body["message"].as_str().unwrap().contains("low-s"), "{body}");
    assert_eq!(consent_state(&p, &id).await, before, "nothing changed");

    // The patient grants with nonce 0, then voids that signature on chain before the relay.
    let r = post(format!("/v1/consents/{id}/grant"), good).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let docs = p.upload_many(&patient, &key, 1, 1).await;
    let content = format!("/v1/documents/{}/content", docs[0].0);
    assert_eq!(p.app.get(&content, Some(&hosp)).await.status(), 200, "access while the grant is relayed");
    bump_nonce(&p, signer.address()).await;
    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let shown: Value = p.app.get(&format!("/v1/consents/{id}"), Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(
        (shown["chain"]["grant"]["state"].as_str(), shown["chain"]["grant"]["failure"].as_str()),
        (Some("failed"), Some("StaleNonce"))
    );
    assert_eq!(shown["status"], "GRANTED");
    assert_eq!(p.app.get(&content, Some(&hosp)).await.status(), 404, "no access on a grant the chain refused");
    assert_eq!(consent_status(&provider, p.contract, signer.address(), chain_id).await.unwrap(), ChainStatus::Unknown);

    // Re-signing: a stranger's signature or a past deadline is refused; nothing to revoke yet.
    let stranger = ConsentSigner::random();
    refused(
        post(format!("/v1/consents/{id}/resign"), resign_grant(&stranger, &shown, 1, now() + 600)).await,
        "invalid_signature",
    )
    .await;
    refused(
        post(format!("/v1/consents/{id}/resign"), resign_grant(&signer, &shown, 1, now() - 1)).await,
        "invalid_deadline",
    )
    .await;
    let r = post(format!("/v1/consents/{id}/resign"), resign_grant(&signer, &shown, 1, now() + 600)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["chain"]["grant"]["state"], "pending", "queued again");
    assert_eq!(p.app.get(&content, Some(&hosp)).await.status(), 200, "access is back with a signature the chain takes");
    let r = post(format!("/v1/consents/{id}/resign"), resign_grant(&signer, &shown, 1, now() + 600)).await;
    assert_eq!(
        (r.status().as_u16(), r.json::<Value>().await.unwrap()["code"].clone()),
        (409, json!("nothing_to_resign"))
    );
    run_worker_until_idle(&worker, &p.anvil.url).await;
    assert_eq!(consent_status(&provider, p.contract, signer.address(), chain_id).await.unwrap(), ChainStatus::Active);

    // A revocation refused the same way (voided before the relay) is signed again and lands.
    refused(
        post(format!("/v1/consents/{id}/revoke"), revoke_body(&signer, &c, 1, now() - 1)).await,
        "invalid_deadline",
    )
    .await;
    assert_eq!(consent_state(&p, &id).await.0, "GRANTED", "a past deadline revokes nothing");
    let r = post(format!("/v1/consents/{id}/revoke"), revoke_body(&signer, &c, 1, now() + 600)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    bump_nonce(&p, signer.address()).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let shown: Value = p.app.get(&format!("/v1/consents/{id}"), Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(shown["chain"]["revoke"]["failure"], "StaleNonce");
    assert_eq!(
        consent_status(&provider, p.contract, signer.address(), chain_id).await.unwrap(),
        ChainStatus::Active,
        "not revoked on chain yet"
    );
    let r = post(format!("/v1/consents/{id}/resign"), revoke_body(&signer, &c, 2, now() + 600)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let shown: Value = p.app.get(&format!("/v1/consents/{id}"), Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(shown["chain"]["revoke"]["state"], "confirmed");
    assert_eq!(consent_status(&provider, p.contract, signer.address(), chain_id).await.unwrap(), ChainStatus::Revoked);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE action = 'consent.resign'")
        .fetch_all(&p.app.pool)
        .await
        .unwrap();
    assert_eq!(actions.len(), 2, "each re-signing is audited");
}
