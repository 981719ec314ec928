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

    let (c, url, who) = (contract.to_string(), anvil.url.clone(), patient.address().to_string());
    let statuses = tokio::task::spawn_blocking(move || {
        [B256::repeat_byte(1), B256::repeat_byte(2), B256::repeat_byte(9)].map(|id| {
            pramana(&["consent", "status", &id.to_string(), "--patient", &who, "--rpc", &url, "--contract", &c]).1
                ["status"]
                .clone()
        })
    })
    .await
    .unwrap();
    assert_eq!(statuses, [Value::from("active"), Value::from("revoked"), Value::from("unknown")]);

    // Without `--contract`: the auditor's trust list, looked up by the endpoint's chain id.
    let home = std::env::temp_dir().join(format!("pramana-audit-{}", uuid::Uuid::new_v4()));
    let (c, url, h) = (contract.to_string(), anvil.url.clone(), home.to_str().unwrap().to_owned());
    let who = patient.address().to_string();
    let (none, added, listed, status) = tokio::task::spawn_blocking(move || {
        let env = [("PRAMANA_HOME", h.as_str())];
        let id = B256::repeat_byte(2).to_string();
        (
            common::pramana_json(&["audit", "--rpc", &url], &env),
            common::pramana_json(&["trust", "add", "--chain-id", "31337", &c], &env),
            common::pramana_json(&["audit", "--rpc", &url], &env),
            common::pramana_json(&["consent", "status", &id, "--patient", &who, "--rpc", &url], &env),
        )
    })
    .await
    .unwrap();
    assert_eq!(none.0, 2, "{none:?}");
    assert!(none.2.contains("no trusted ConsentRegistry for chain 31337") && none.2.contains("pramana trust add"));
    assert_eq!(added.0, 0, "{added:?}");
    assert_eq!(listed.0, 0, "{listed:?}");
    assert_eq!(listed.1["consents"].as_array().unwrap().len(), 2);
    assert_eq!(listed.1["trusted_contract"]["source"], "trust list");
    assert_eq!(listed.1["trusted_contract"]["address"], contract.to_string());
    assert_eq!((status.0, status.1["status"].clone()), (0, Value::from("revoked")), "{status:?}");

    // Bad input: a clear error and exit 2.
    let (url, who) = (anvil.url.clone(), patient.address().to_string());
    let (code, _, err) = tokio::task::spawn_blocking(move || {
        pramana(&["consent", "status", "0x12", "--patient", &who, "--rpc", &url, "--contract", "0x1"])
    })
    .await
    .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("not a consent id"), "{err}");
    let url = anvil.url.clone();
    let (code, _, err) = tokio::task::spawn_blocking(move || {
        let id = B256::repeat_byte(1).to_string();
        pramana(&["consent", "status", &id, "--patient", "0x12", "--rpc", &url, "--contract", "0x1"])
    })
    .await
    .unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("not an address"), "{err}");
}

/// A patient with an Ethereum key who granted `hosp`'s request (no documents in scope).
async fn granted_consent(
    app: &pramana_tests::TestApp,
    hosp: &str,
    hosp_addr: Address,
) -> (String, pramana_tests::Patient, ConsentSigner, Value) {
    use pramana_tests::consent::{register_eth, request, sign_grant};
    let patient = app.new_patient().await;
    let signer = ConsentSigner::random();
    register_eth(app, &patient.access, signer.address()).await;
    let c: Value = app.post("/v1/consents", Some(hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    let mut body = sign_grant(&signer, &c, hosp_addr, &[pramana_core::HiType::DiagnosticReport], now);
    body["headers"] = serde_json::json!([]);
    let id = c["id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/v1/consents/{id}/grant"), Some(&patient.access), &body).await;
    assert_eq!(r.status(), 200);
    (id, patient, signer, c)
}

/// `pramana audit --token`: the platform's signed consents against the chain. Clean after the
/// worker relayed everything; then the database is edited behind the API's back (a revocation
/// erased, a scope hash changed) and the auditor's command names both, with exit status 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_finds_what_the_database_says_and_the_chain_does_not() {
    use pramana_tests::consent::{register_eth, sign_revoke};
    use serde_json::json;

    let p = pramana_tests::spawn_platform().await;
    let app = &p.app;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let hosp_addr = Address::repeat_byte(0x42);
    register_eth(app, &hosp, hosp_addr).await;
    pramana_tests::register_x25519(app, &hosp).await;
    let mut consents = Vec::new();
    for _ in 0..2 {
        consents.push(granted_consent(app, &hosp, hosp_addr).await);
    }
    {
        let (b_id, b_patient, b_signer, b) = &consents[1];
        let now = chrono::Utc::now().timestamp() as u64;
        let body = sign_revoke(b_signer, b, now);
        let r = app.post(&format!("/v1/consents/{b_id}/revoke"), Some(&b_patient.access), &body).await;
        assert_eq!(r.status(), 200);
    }
    let worker = p.worker(json!({})).await;
    pramana_tests::run_worker_until_idle(&worker, &p.anvil.url).await;
    // A third grant is still queued when the auditor looks.
    consents.push(granted_consent(app, &hosp, hosp_addr).await);

    let auditor = app.new_auditor("auditor").await;
    let audit = |token: String| {
        let (api, url, c) = (app.base.clone(), p.anvil.url.clone(), p.contract.to_string());
        tokio::task::spawn_blocking(move || {
            common::pramana_json(
                &["audit", "--rpc", &url, "--contract", &c, "--token", &token],
                &[("PRAMANA_API", &api)],
            )
        })
    };
    let (code, v, err) = audit(auditor.clone()).await.unwrap();
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!((v["on_chain"].clone(), v["on_platform"].clone()), (json!(2), json!(3)), "{v}");
    assert_eq!(v["discrepancies"], json!([]));
    assert_eq!(v["in_flight"], json!([consents[2].3["chain_consent_id"]]), "queued, not a discrepancy");

    // Behind the API's back: B's revocation erased, A's scope hash changed.
    let b = &consents[1].3;
    let (a_id, b_id) = (uuid::Uuid::parse_str(&consents[0].0).unwrap(), uuid::Uuid::parse_str(&consents[1].0).unwrap());
    sqlx::query("DELETE FROM consent_chain_events WHERE consent_id = $1 AND kind = 'revoke'")
        .bind(b_id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE consents SET status = 'GRANTED', revoke_signature = NULL, revoke_nonce = NULL, revoke_deadline = NULL,
                revoked_at = NULL WHERE id = $1",
    )
    .bind(b_id)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE consents SET scope_hash = $2 WHERE id = $1")
        .bind(a_id)
        .bind(vec![0x5c_u8; 32])
        .execute(&app.pool)
        .await
        .unwrap();
    let (code, v, _) = audit(auditor.clone()).await.unwrap();
    assert_eq!(code, 1, "{v}");
    let found: Vec<(Value, Value)> =
        v["discrepancies"].as_array().unwrap().iter().map(|d| (d["consent_id"].clone(), d["kind"].clone())).collect();
    assert_eq!(
        found,
        [
            (consents[0].3["chain_consent_id"].clone(), json!("record_mismatch")),
            (b["chain_consent_id"].clone(), json!("revoked_on_chain")),
        ]
    );

    // Only auditors (and the operator) may list every consent.
    let (code, _, err) = audit(consents[0].1.access.clone()).await.unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("forbidden"), "{err}");
}

/// A stranger grants a platform consent's id first, with its own key and an endless validity.
/// `pramana consent status --patient` reads the patient's record only, and `pramana audit` with
/// an auditor's token matches the patient's consent to the patient's record and lists the
/// stranger's as someone else's (`foreign`), not as a discrepancy and never as the patient's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_squatted_consent_id_is_never_read_as_the_patients() {
    use alloy::sol_types::SolCall as _;
    use serde_json::json;

    let p = pramana_tests::spawn_platform().await;
    let app = &p.app;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let hosp_addr = Address::repeat_byte(0x42);
    pramana_tests::consent::register_eth(app, &hosp, hosp_addr).await;
    pramana_tests::register_x25519(app, &hosp).await;
    let (_, _, signer, c) = granted_consent(app, &hosp, hosp_addr).await;
    let id: B256 = c["chain_consent_id"].as_str().unwrap().parse().unwrap();

    // Before the worker relays the patient's grant, the stranger's own grant of the same id.
    let squatter = ConsentSigner::random();
    let now = chrono::Utc::now().timestamp() as u64;
    let squat = Grant {
        consentId: id,
        patient: squatter.address(),
        grantee: hosp_addr,
        scopeHash: B256::repeat_byte(0x5c),
        validFrom: now - 60,
        validUntil: (1 << 40) - 1,
        nonce: 0,
        deadline: now + 3_600,
    };
    let squat = squatter.sign_grant(squat, &domain(31_337, p.contract)).unwrap().to_request();
    let data = pramana_core::hex0x(ConsentRegistry::grantConsentCall { g: squat }.abi_encode());
    // Anvil's third development account (unlocked): the stranger's relayer.
    let tx = json!([{"from": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "to": p.contract.to_string(),
                     "data": data, "gas": "0x100000"}]);
    pramana_tests::rpc_call(&p.anvil.url, "eth_sendTransaction", tx).await.unwrap();

    let worker = p.worker(json!({})).await;
    pramana_tests::run_worker_until_idle(&worker, &p.anvil.url).await;

    let status = |who: Address| {
        let (url, c) = (p.anvil.url.clone(), p.contract.to_string());
        tokio::task::spawn_blocking(move || {
            let args =
                ["consent", "status", &id.to_string(), "--patient", &who.to_string(), "--rpc", &url, "--contract", &c];
            pramana(&args).1
        })
    };
    let v = status(signer.address()).await.unwrap();
    assert_eq!((v["status"].clone(), v["patient"].clone()), (json!("active"), json!(signer.address())), "{v}");
    assert_eq!(status(squatter.address()).await.unwrap()["status"], "active", "the stranger's own consent");
    assert_eq!(status(Address::repeat_byte(7)).await.unwrap()["status"], "unknown");

    let auditor = app.new_auditor("auditor").await;
    let (api, url, contract) = (app.base.clone(), p.anvil.url.clone(), p.contract.to_string());
    let (code, v, err) = tokio::task::spawn_blocking(move || {
        common::pramana_json(
            &["audit", "--rpc", &url, "--contract", &contract, "--token", &auditor],
            &[("PRAMANA_API", &api)],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!(v["discrepancies"], json!([]), "{v}");
    assert_eq!(v["foreign"], json!([{"consent_id": id, "patient": squatter.address()}]), "{v}");
    assert_eq!(v["on_chain"], json!(2), "two consents under one id: the patient's and the stranger's");
}
