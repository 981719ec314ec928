//! A patient who changed their signing key can still revoke. The account address stays the
//! first key's; a new key takes over only with a `RotateSigner` signed by the active key (refused
//! without one, or with a stranger's, changing nothing). The worker relays the rotation after the
//! grant signed before it; then a revocation signed by the old key is refused and one signed by
//! the new key reaches the chain under the account.

use alloy::primitives::{Address, B256};
use alloy::providers::RootProvider;
use chrono::Utc;
use pramana_core::HiType;
use pramana_core::chain::ConsentRegistry;
use pramana_core::chain::eip712::{ConsentSigner, Revoke, RotateSigner, domain};
use pramana_core::chain::history::{ChainStatus, consent_status};
use pramana_tests::consent::{CONTRACT, register_eth, request, sign_grant};
use pramana_tests::{Patient, Platform, TestApp, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};

fn now() -> u64 {
    Utc::now().timestamp() as u64
}

fn hex_sig(sig: [u8; 64]) -> String {
    pramana_core::hex0x(sig)
}

/// `POST /v1/keys` for `new` with `rotation` (if any).
async fn post_eth(app: &TestApp, patient: &Patient, new: Address, rotation: Option<Value>) -> reqwest::Response {
    let mut body = json!({"kind": "ethereum", "public_key": new.to_string().to_lowercase(),
        "password": app.password_of(&patient.access)});
    if let Some(r) = rotation {
        body["rotation"] = r;
    }
    app.post("/v1/keys", Some(&patient.access), &body).await
}

/// `signer`'s `RotateSigner(account, new, nonce, deadline)`, as the `rotation` body field.
fn rotation(signer: &ConsentSigner, account: Address, new: Address, nonce: u64) -> Value {
    let deadline = now() + 600;
    let message = RotateSigner { account, newSigner: new, nonce, deadline };
    let signed = signer.sign_rotation(message, &domain(31337, CONTRACT.parse().unwrap())).unwrap();
    json!({"nonce": nonce, "deadline": deadline, "signature": hex_sig(signed.signature)})
}

fn revoke_body(signer: &ConsentSigner, account: Address, c: &Value, nonce: u64) -> Value {
    let deadline = now() + 600;
    let revoke = Revoke {
        consentId: c["chain_consent_id"].as_str().unwrap().parse().unwrap(),
        patient: account,
        nonce,
        deadline,
    };
    let signed = signer.sign_revoke(revoke, &domain(31337, CONTRACT.parse().unwrap())).unwrap();
    json!({"nonce": nonce, "deadline": deadline, "signature": hex_sig(signed.signature)})
}

/// What a refused key registration must leave alone: the patient's keys and the queued rotations.
async fn key_state(p: &Platform, patient: &Patient) -> (Value, i64) {
    let keys: Value = p.app.get("/v1/keys", Some(&patient.access)).await.json().await.unwrap();
    let rotations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM signer_rotations").fetch_one(&p.app.pool).await.unwrap();
    (keys, rotations)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_who_rotated_their_key_revokes_with_the_new_one() {
    let p = spawn_platform().await;
    let provider = RootProvider::new_http(p.anvil.url.parse().unwrap());
    let registry = ConsentRegistry::new(p.contract, &provider);
    let (hosp, hosp_addr) = p.hospital_with_keys().await;
    let patient = p.app.new_patient().await;
    pramana_tests::register_x25519(&p.app, &patient.access).await;
    let (key_a, key_b) = (ConsentSigner::random(), ConsentSigner::random());
    let account = key_a.address();
    register_eth(&p.app, &patient.access, account).await;

    // The patient grants with key A.
    let c: Value =
        p.app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    let chain_id: B256 = c["chain_consent_id"].as_str().unwrap().parse().unwrap();
    let mut grant = sign_grant(&key_a, &c, hosp_addr, &[HiType::DiagnosticReport], now());
    grant["headers"] = json!([]);
    let r = p.app.post(&format!("/v1/consents/{id}/grant"), Some(&patient.access), &grant).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Key B without a rotation, or with one a stranger signed: 422, nothing changed.
    let before = key_state(&p, &patient).await;
    let refused = |r: reqwest::Response, code: &'static str| async move {
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!((status.as_u16(), body["code"].as_str().unwrap()), (422, code), "{body}");
    };
    refused(post_eth(&p.app, &patient, key_b.address(), None).await, "rotation_required").await;
    let stranger = ConsentSigner::random();
    let forged = rotation(&stranger, account, key_b.address(), 0);
    refused(post_eth(&p.app, &patient, key_b.address(), Some(forged)).await, "invalid_signature").await;
    let signed_for_another_key = rotation(&key_a, account, stranger.address(), 0);
    refused(post_eth(&p.app, &patient, key_b.address(), Some(signed_for_another_key)).await, "invalid_signature").await;
    assert_eq!(key_state(&p, &patient).await, before, "nothing changed");

    // Signed by A: B takes over the account.
    let r = post_eth(&p.app, &patient, key_b.address(), Some(rotation(&key_a, account, key_b.address(), 0))).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let keys: Value = p.app.get("/v1/keys", Some(&patient.access)).await.json().await.unwrap();
    let b = keys.as_array().unwrap().iter().find(|k| k["kind"] == "ethereum" && k["retired_at"].is_null()).unwrap();
    assert_eq!((&b["rotation"]["nonce"], &b["rotation"]["state"]), (&json!(0), &json!("pending")), "{keys}");
    // A second hand-over with the nonce this one consumes could never land.
    let key_c = ConsentSigner::random();
    let r = post_eth(&p.app, &patient, key_c.address(), Some(rotation(&key_b, account, key_c.address(), 0))).await;
    refused(r, "invalid_nonce").await;

    // A message signed by B with the nonce the rotation consumes could never land either.
    let r = p
        .app
        .post(&format!("/v1/consents/{id}/revoke"), Some(&patient.access), &revoke_body(&key_b, account, &c, 0))
        .await;
    refused(r, "invalid_nonce").await;

    // The old key no longer signs for the account.
    let r = p
        .app
        .post(&format!("/v1/consents/{id}/revoke"), Some(&patient.access), &revoke_body(&key_a, account, &c, 1))
        .await;
    refused(r, "invalid_signature").await;

    // The worker relays the grant (signed before the rotation), then the rotation.
    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    assert_eq!(consent_status(&provider, p.contract, account, chain_id).await.unwrap(), ChainStatus::Active);
    assert_eq!(registry.signerOf(account).call().await.unwrap(), key_b.address());
    assert_eq!(registry.nonces(account).call().await.unwrap(), 1, "the rotation consumed the nonce");
    let (tx_hash, failure): (Option<Vec<u8>>, Option<String>) =
        sqlx::query_as("SELECT tx_hash, failure FROM signer_rotations").fetch_one(&p.app.pool).await.unwrap();
    assert!(tx_hash.is_some() && failure.is_none(), "the rotation is settled on its transaction");
    let keys: Value = p.app.get("/v1/keys", Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(keys[0]["rotation"]["state"], "confirmed", "{keys}");

    // Revoked with key B, under the account: accepted, relayed, revoked on chain.
    let r = p
        .app
        .post(&format!("/v1/consents/{id}/revoke"), Some(&patient.access), &revoke_body(&key_b, account, &c, 1))
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let shown: Value = p.app.get(&format!("/v1/consents/{id}"), Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(shown["chain"]["revoke"]["state"], "confirmed", "{shown}");
    assert_eq!(shown["patient_address"].as_str().unwrap().to_lowercase(), account.to_string().to_lowercase());
    assert_eq!(consent_status(&provider, p.contract, account, chain_id).await.unwrap(), ChainStatus::Revoked);
}

/// `incrementNonce(account)` sent as the account's signer (an impersonated Anvil account).
async fn bump_nonce(p: &Platform, account: Address) {
    use alloy::sol_types::SolCall as _;
    let from = account.to_string();
    pramana_tests::rpc_call(&p.anvil.url, "anvil_setBalance", json!([from, "0xde0b6b3a7640000"])).await.unwrap();
    pramana_tests::rpc_call(&p.anvil.url, "anvil_impersonateAccount", json!([from])).await.unwrap();
    let data = pramana_core::hex0x(ConsentRegistry::incrementNonceCall { account }.abi_encode());
    let tx = json!([{"from": from, "to": p.contract.to_string(), "data": data, "gas": "0x100000"}]);
    pramana_tests::rpc_call(&p.anvil.url, "eth_sendTransaction", tx).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_the_chain_refuses_fails_alone_and_is_signed_again_by_the_key_before() {
    let p = spawn_platform().await;
    let provider: RootProvider = RootProvider::new_http(p.anvil.url.parse().unwrap());
    let registry = ConsentRegistry::new(p.contract, &provider);
    let patient = p.app.new_patient().await;
    let (key_a, key_b) = (ConsentSigner::random(), ConsentSigner::random());
    let account = key_a.address();
    register_eth(&p.app, &patient.access, account).await;
    let r = post_eth(&p.app, &patient, key_b.address(), Some(rotation(&key_a, account, key_b.address(), 0))).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // The patient voids the signed rotation on chain before the relay: it fails with the reason.
    bump_nonce(&p, account).await;
    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let keys: Value = p.app.get("/v1/keys", Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(keys[0]["rotation"]["state"], "failed", "{keys}");
    assert_eq!(keys[0]["rotation"]["failure"], "RotationStaleNonce");
    assert_eq!(registry.signerOf(account).call().await.unwrap(), account, "A still signs on chain");

    // B again: A is still the account's signer, so A signs the hand-over again, with the nonce now.
    let r = post_eth(&p.app, &patient, key_b.address(), None).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "rotation_required");
    let r = post_eth(&p.app, &patient, key_b.address(), Some(rotation(&key_b, account, key_b.address(), 1))).await;
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "invalid_signature", "B does not sign for the account yet");
    let r = post_eth(&p.app, &patient, key_b.address(), Some(rotation(&key_a, account, key_b.address(), 1))).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let keys: Value = p.app.get("/v1/keys", Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(keys[0]["rotation"]["state"], "confirmed", "{keys}");
    assert_eq!(registry.signerOf(account).call().await.unwrap(), key_b.address());
}

/// A later Ethereum key registered without a rotation (before accounts were fixed) never took
/// the account over on chain, so it signs nothing for it: the first key still does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_registered_without_a_rotation_does_not_sign_for_the_account() {
    let p = spawn_platform().await;
    let (hosp, hosp_addr) = p.hospital_with_keys().await;
    let patient = p.app.new_patient().await;
    let (first, later) = (ConsentSigner::random(), ConsentSigner::random());
    register_eth(&p.app, &patient.access, first.address()).await;
    // As the platform did before: the later key replaced the first one, no rotation.
    let patient_id: uuid::Uuid = sqlx::query_scalar("SELECT owner_id FROM public_keys WHERE public_key = $1")
        .bind(first.address().to_string().to_lowercase())
        .fetch_one(&p.app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE public_keys SET retired_at = now() WHERE owner_id = $1 AND kind = 'ethereum'")
        .bind(patient_id)
        .execute(&p.app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO public_keys (id, owner_role, owner_id, kind, public_key) VALUES ($1, 'patient', $2, 'ethereum', $3)")
        .bind(uuid::Uuid::now_v7())
        .bind(patient_id)
        .bind(later.address().to_string().to_lowercase())
        .execute(&p.app.pool)
        .await
        .unwrap();

    let c: Value =
        p.app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_owned();
    for (signer, status) in [(&later, 422), (&first, 200)] {
        let mut grant = sign_grant(signer, &c, hosp_addr, &[HiType::DiagnosticReport], now());
        grant["headers"] = json!([]);
        let r = p.app.post(&format!("/v1/consents/{id}/grant"), Some(&patient.access), &grant).await;
        assert_eq!(r.status(), status, "{}", r.text().await.unwrap());
    }
}
