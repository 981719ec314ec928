//! The chain mirror: patient-signed grants and revocations reach the ConsentRegistry through the
//! outbox, in batches, exactly once; the API shows each one's chain state. A message the
//! contract refuses for good is marked failed without holding up the others; one relayed by
//! someone else is settled on that transaction, also when it lands between our batch's signing
//! and its mining (the batch reverts, is abandoned, and its messages are checked again). A
//! stranger who grants a platform consent's id first, with its own key, squats nothing: the
//! patient's grant is still relayed and is the record read as the patient's consent.

use alloy::primitives::{Address, B256};
use alloy::providers::RootProvider;
use alloy::sol_types::SolCall as _;
use pramana_anchor_worker::StepOutcome;
use pramana_core::HiType;
use pramana_core::chain::ConsentRegistry;
use pramana_core::chain::eip712::{ConsentSigner, Grant, SignedGrant, domain};
use pramana_core::chain::history::{ChainStatus, consent_histories, consent_status};
use pramana_tests::{Patient, Platform, rpc_call, run_worker_until_idle, spawn_platform};
use serde_json::{Value, json};

use pramana_tests::consent::granted_scope;

use crate::consents::grants::{CONTRACT, register_eth, sign_grant, sign_revoke};
use crate::consents::request;

/// A third Anvil account: a stranger who relays a patient's signed message itself.
const STRANGER: &str = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";

struct Granted {
    patient: Patient,
    signer: ConsentSigner,
    consent: Value,
    grant_body: Value,
}

/// A patient with an Ethereum key, a request from `hosp`, and the signed grant (not yet sent).
async fn signed_request(p: &Platform, hosp: &str, hosp_addr: Address) -> Granted {
    let patient = p.app.new_patient().await;
    let signer = ConsentSigner::random();
    register_eth(&p.app, &patient.access, signer.address()).await;
    let consent: Value =
        p.app.post("/v1/consents", Some(hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    let mut grant_body = sign_grant(&signer, &consent, hosp_addr, &[HiType::DiagnosticReport], now);
    grant_body["headers"] = json!([]);
    Granted { patient, signer, consent, grant_body }
}

async fn grant(p: &Platform, g: &Granted) -> Value {
    let id = g.consent["id"].as_str().unwrap();
    let r = p.app.post(&format!("/v1/consents/{id}/grant"), Some(&g.patient.access), &g.grant_body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn shown(p: &Platform, g: &Granted) -> Value {
    let id = g.consent["id"].as_str().unwrap();
    p.app.get(&format!("/v1/consents/{id}"), Some(&g.patient.access)).await.json().await.unwrap()
}

fn chain_id(g: &Granted) -> B256 {
    g.consent["chain_consent_id"].as_str().unwrap().parse().unwrap()
}

/// The contract call a stranger would send to relay `g`'s signed grant.
fn grant_call(g: &Granted, grantee: Address) -> String {
    let sig = hex::decode(g.grant_body["signature"].as_str().unwrap().trim_start_matches("0x")).unwrap();
    let erase: chrono::DateTime<chrono::Utc> = g.consent["data_erase_at"].as_str().unwrap().parse().unwrap();
    let grant = Grant {
        consentId: chain_id(g),
        patient: g.signer.address(),
        grantee,
        // The grant narrows the request to DiagnosticReport.
        scopeHash: B256::from(granted_scope(&[HiType::DiagnosticReport]).hash()),
        validFrom: g.grant_body["valid_from"].as_u64().unwrap(),
        validUntil: erase.timestamp() as u64,
        nonce: 0,
        deadline: g.grant_body["deadline"].as_u64().unwrap(),
    };
    let g = SignedGrant { grant, signature: sig.try_into().unwrap() }.to_request();
    pramana_core::hex0x(ConsentRegistry::grantConsentCall { g }.abi_encode())
}

/// Sends a transaction from an unlocked Anvil account; returns its hash.
async fn send_from(p: &Platform, from: &str, data: &str, tip_gwei: u64) -> String {
    let tx = json!([{
        "from": from, "to": p.contract.to_string(), "data": data, "gas": "0x100000",
        "maxPriorityFeePerGas": format!("0x{:x}", tip_gwei * 1_000_000_000),
        "maxFeePerGas": format!("0x{:x}", (tip_gwei + 100) * 1_000_000_000),
    }]);
    rpc_call(&p.anvil.url, "eth_sendTransaction", tx).await.unwrap().as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_and_revocations_reach_the_chain_once_and_bad_messages_fail_alone() {
    let p = spawn_platform().await;
    assert_eq!(p.contract.to_string(), CONTRACT, "the tests' EIP-712 domain");
    let provider = RootProvider::new_http(p.anvil.url.parse().unwrap());
    let (hosp, hosp_addr) = p.hospital_with_keys().await;

    // Four patients grant. One then bumps its on-chain nonce (its signature is stale); a
    // stranger relays another's signed grant before the platform does.
    let mut all = Vec::new();
    for _ in 0..4 {
        let g = signed_request(&p, &hosp, hosp_addr).await;
        let granted = grant(&p, &g).await;
        assert_eq!(granted["chain"]["grant"]["state"], "pending", "queued with the grant");
        assert_eq!(granted["chain"]["revoke"], Value::Null);
        all.push(g);
    }
    let stale = &all[2];
    let patient_addr = stale.signer.address().to_string();
    rpc_call(&p.anvil.url, "anvil_setBalance", json!([patient_addr, "0xde0b6b3a7640000"])).await.unwrap();
    rpc_call(&p.anvil.url, "anvil_impersonateAccount", json!([patient_addr])).await.unwrap();
    let bump = format!(
        "0x{}",
        hex::encode(ConsentRegistry::incrementNonceCall { account: stale.signer.address() }.abi_encode())
    );
    send_from(&p, &patient_addr, &bump, 1).await;
    let relayed_by_stranger = send_from(&p, STRANGER, &grant_call(&all[3], hosp_addr), 1).await;

    let worker = p.worker(json!({})).await;
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    let submitted: Vec<usize> =
        outcomes.iter().filter_map(|o| matches!(o, StepOutcome::Submitted { .. }).then_some(1)).collect();
    assert_eq!(submitted.len(), 1, "one batch for the two relayable grants: {outcomes:?}");
    assert!(outcomes.contains(&StepOutcome::Submitted { batch_id: 1, leaves: 2 }), "{outcomes:?}");

    // The API shows each grant's chain state.
    let batch_tx: Vec<u8> = sqlx::query_scalar("SELECT tx_hash FROM anchor_batches WHERE kind = 'grant'")
        .fetch_one(&p.app.pool)
        .await
        .unwrap();
    let batch_tx = pramana_core::hex0x(batch_tx);
    for g in &all[..2] {
        let c = shown(&p, g).await;
        assert_eq!(c["chain"]["grant"]["state"], "confirmed");
        assert_eq!(c["chain"]["grant"]["tx_hash"], batch_tx.as_str());
        assert!(c["chain"]["grant"]["block_number"].as_i64().unwrap() > 0);
        assert_eq!(
            consent_status(&provider, p.contract, g.signer.address(), chain_id(g)).await.unwrap(),
            ChainStatus::Active
        );
    }
    let c = shown(&p, stale).await;
    assert_eq!(c["chain"]["grant"]["state"], "failed");
    assert_eq!(c["chain"]["grant"]["failure"], "StaleNonce");
    assert_eq!(c["status"], "GRANTED", "the platform's own decision stands; the chain refused the signature");
    let c = shown(&p, &all[3]).await;
    assert_eq!(c["chain"]["grant"]["state"], "confirmed");
    assert_eq!(c["chain"]["grant"]["tx_hash"], relayed_by_stranger.as_str(), "settled on the stranger's transaction");

    // Revocations: queued at once (access already closed), relayed after their grant.
    for g in &all[..2] {
        let id = g.consent["id"].as_str().unwrap();
        let now = chrono::Utc::now().timestamp() as u64;
        let r = p
            .app
            .post(
                &format!("/v1/consents/{id}/revoke"),
                Some(&g.patient.access),
                &sign_revoke(&g.signer, &g.consent, now),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!((v["status"].clone(), v["chain"]["revoke"]["state"].clone()), (json!("REVOKED"), json!("pending")));
    }
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(outcomes.iter().any(|o| matches!(o, StepOutcome::Submitted { leaves: 2, .. })), "{outcomes:?}");
    for g in &all[..2] {
        assert_eq!(shown(&p, g).await["chain"]["revoke"]["state"], "confirmed");
        assert_eq!(
            consent_status(&provider, p.contract, g.signer.address(), chain_id(g)).await.unwrap(),
            ChainStatus::Revoked
        );
    }

    // Exactly once: three grants and two revocations on chain, whoever relayed them.
    let history = consent_histories(&provider, p.contract, 0).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history.iter().filter(|h| h.revoked.is_some()).count(), 2);
    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM consent_chain_events WHERE confirmed_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(&p.app.pool)
    .await
    .unwrap();
    assert_eq!(open, 0, "nothing left in the queue");
    assert_eq!(run_worker_until_idle(&worker, &p.anvil.url).await, vec![], "idle");

    // The operator's health view counts the refused grant as a failed relay, now and in this
    // hour's point.
    let admin = p.app.client_as(&p.app.admin_token().await);
    let health = admin.platform_health().await.unwrap();
    assert_eq!((health.relay.open, health.relay.failed_24h, health.relay.failed_total), (0, 1, 1), "{health:?}");
    assert_eq!(health.hours.iter().map(|h| h.relay_failed).sum::<i64>(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_reverts_because_a_stranger_got_there_first_is_abandoned_and_settled() {
    let p = spawn_platform().await;
    let provider = RootProvider::new_http(p.anvil.url.parse().unwrap());
    let (hosp, hosp_addr) = p.hospital_with_keys().await;
    let a = signed_request(&p, &hosp, hosp_addr).await;
    let b = signed_request(&p, &hosp, hosp_addr).await;
    grant(&p, &a).await;
    grant(&p, &b).await;

    // The worker signs and broadcasts its batch; before a block is mined, a stranger relays one
    // of its grants with a higher tip, so the stranger's transaction is mined first.
    rpc_call(&p.anvil.url, "evm_setAutomine", json!([false])).await.unwrap();
    let worker = p.worker(json!({})).await;
    let step = worker.step().await.unwrap();
    assert!(matches!(step, StepOutcome::Submitted { leaves: 2, .. }), "{step:?}");
    let stranger_tx = send_from(&p, STRANGER, &grant_call(&b, hosp_addr), 500).await;
    rpc_call(&p.anvil.url, "evm_mine", json!([])).await.unwrap();
    rpc_call(&p.anvil.url, "evm_setAutomine", json!([true])).await.unwrap();

    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(outcomes.iter().any(|o| matches!(o, StepOutcome::Abandoned { batch_id: 1 })), "{outcomes:?}");
    let status: Vec<String> =
        sqlx::query_scalar("SELECT status FROM anchor_batches ORDER BY id").fetch_all(&p.app.pool).await.unwrap();
    assert_eq!(status, ["abandoned", "confirmed"], "the reverted batch, then one for the grant still missing");
    assert_eq!(shown(&p, &b).await["chain"]["grant"]["tx_hash"], stranger_tx.as_str());
    assert_eq!(shown(&p, &a).await["chain"]["grant"]["state"], "confirmed");
    for g in [&a, &b] {
        assert_eq!(
            consent_status(&provider, p.contract, g.signer.address(), chain_id(g)).await.unwrap(),
            ChainStatus::Active
        );
    }
    assert_eq!(consent_histories(&provider, p.contract, 0).await.unwrap().len(), 2, "each grant on chain once");
}

/// One message the worker cannot settle must not hold up anything else. Here the chain holds a
/// grant (a stranger relayed the patient's signed message) but its event is older than the
/// worker's log search (`chain.log_lookback_blocks`, shrunk to 10 blocks), so the worker can
/// never find the transaction to settle it on. It is set aside with its reason and a retry time,
/// while the grant queued after it and the documents queued behind both are relayed and anchored;
/// when its time comes it is checked again (and set aside for twice as long), and a worker that
/// searches deep enough settles it on the stranger's transaction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_cannot_be_settled_is_set_aside_and_holds_up_nothing() {
    let p = spawn_platform().await;
    let (hosp, hosp_addr) = p.hospital_with_keys().await;

    let old = signed_request(&p, &hosp, hosp_addr).await;
    grant(&p, &old).await;
    let relayed_by_stranger = send_from(&p, STRANGER, &grant_call(&old, hosp_addr), 1).await;
    rpc_call(&p.anvil.url, "anvil_mine", json!(["0x32"])).await.unwrap();
    let fresh = signed_request(&p, &hosp, hosp_addr).await;
    grant(&p, &fresh).await;
    let patient = p.app.new_patient().await;
    let key = pramana_tests::register_x25519(&p.app, &patient.access).await;
    let docs = p.upload_many(&patient, &key, 3, 3).await;

    let shallow = json!({
        "chain": {"log_lookback_blocks": 10},
        "worker": {"relay_retry_base_secs": 3600, "relay_retry_cap_secs": 7200},
    });
    let worker = p.worker(shallow).await;
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(outcomes.contains(&StepOutcome::Submitted { batch_id: 1, leaves: 1 }), "the other grant: {outcomes:?}");
    assert_eq!(shown(&p, &fresh).await["chain"]["grant"]["state"], "confirmed");
    pramana_tests::assert_all_anchored_once(&p, &docs).await;

    let reason = "the contract holds it, but its ConsentGranted event is not in the last 10 blocks";
    let c = shown(&p, &old).await;
    assert_eq!(c["chain"]["grant"]["state"], "pending", "{c}");
    assert_eq!(c["chain"]["grant"]["set_aside"], reason, "{c}");
    assert!(c["chain"]["grant"]["retry_at"].is_string(), "{c}");
    let id = uuid::Uuid::parse_str(old.consent["id"].as_str().unwrap()).unwrap();
    let set_aside = |min_secs: i32| {
        sqlx::query_as::<_, (i32, bool)>(
            "SELECT set_aside_count, next_attempt_at > now() + make_interval(secs => $2)
               FROM consent_chain_events WHERE consent_id = $1 AND kind = 'grant'",
        )
        .bind(id)
        .bind(f64::from(min_secs))
        .fetch_one(&p.app.pool)
    };
    assert_eq!(set_aside(3000).await.unwrap(), (1, true), "set aside once, for the base delay");

    // Its retry time comes (moved here rather than waited for): checked again, still not
    // found, set aside for twice as long. Nothing else was waiting for it.
    let due = "UPDATE consent_chain_events SET next_attempt_at = now() WHERE consent_id = $1 AND kind = 'grant'";
    sqlx::query(due).bind(id).execute(&p.app.pool).await.unwrap();
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert_eq!(outcomes, [StepOutcome::Checked { settled: 0, failed: 0, set_aside: 1 }]);
    assert_eq!(set_aside(7000).await.unwrap(), (2, true), "the delay doubled");

    // A worker whose search reaches the event settles it on the stranger's transaction.
    sqlx::query(due).bind(id).execute(&p.app.pool).await.unwrap();
    drop(worker); // releases the signer's lease
    let deep = p.worker(json!({})).await;
    run_worker_until_idle(&deep, &p.anvil.url).await;
    let c = shown(&p, &old).await;
    assert_eq!(c["chain"]["grant"]["state"], "confirmed", "{c}");
    assert_eq!(c["chain"]["grant"]["tx_hash"], relayed_by_stranger.as_str());
    assert!(c["chain"]["grant"].get("set_aside").is_none(), "{c}");
}

/// The attack: the hospital learns a consent's chain id from `POST /v1/consents` before the
/// patient decides; a stranger grants that id first, signed by a throwaway key of its own with an
/// endless validity. The patient's real grant must still be relayed, confirmed and read as the
/// patient's consent; the stranger's record is a consent of its own, never read as the patient's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_who_grants_a_consent_id_first_with_its_own_key_squats_nothing() {
    let p = spawn_platform().await;
    let provider = RootProvider::new_http(p.anvil.url.parse().unwrap());
    let (hosp, hosp_addr) = p.hospital_with_keys().await;
    let g = signed_request(&p, &hosp, hosp_addr).await;
    let id = chain_id(&g);
    let patient = g.signer.address();

    let squatter = ConsentSigner::random();
    let now = chrono::Utc::now().timestamp() as u64;
    let squat = Grant {
        consentId: id,
        patient: squatter.address(),
        grantee: hosp_addr,
        scopeHash: B256::from(granted_scope(&[HiType::DiagnosticReport]).hash()),
        validFrom: now - 60,
        validUntil: (1 << 40) - 1,
        nonce: 0,
        deadline: now + 3_600,
    };
    let squat = squatter.sign_grant(squat, &domain(31_337, p.contract)).unwrap().to_request();
    let data = pramana_core::hex0x(ConsentRegistry::grantConsentCall { g: squat }.abi_encode());
    let squat_tx = send_from(&p, STRANGER, &data, 1).await;
    let receipt = rpc_call(&p.anvil.url, "eth_getTransactionReceipt", json!([squat_tx])).await.unwrap();
    assert_eq!(receipt["status"], "0x1", "the stranger's grant of its own record is mined");
    assert_eq!(consent_status(&provider, p.contract, squatter.address(), id).await.unwrap(), ChainStatus::Active);
    assert_eq!(consent_status(&provider, p.contract, patient, id).await.unwrap(), ChainStatus::Unknown);

    // The patient decides afterwards; the worker relays the real grant.
    grant(&p, &g).await;
    let worker = p.worker(json!({})).await;
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(outcomes.contains(&StepOutcome::Submitted { batch_id: 1, leaves: 1 }), "{outcomes:?}");
    let c = shown(&p, &g).await;
    assert_eq!(c["chain"]["grant"]["state"], "confirmed", "{c}");
    assert_ne!(c["chain"]["grant"]["tx_hash"], squat_tx.as_str(), "not settled on the stranger's record");
    assert_eq!(c["status"], "GRANTED");
    assert_eq!(c["patient_address"], patient.to_checksum(None), "whose record to read");
    assert_eq!(consent_status(&provider, p.contract, patient, id).await.unwrap(), ChainStatus::Active);

    // The patient revokes: the patient's consent ends; the stranger's record is untouched.
    let uuid = g.consent["id"].as_str().unwrap();
    let body = sign_revoke(&g.signer, &g.consent, chrono::Utc::now().timestamp() as u64);
    let r = p.app.post(&format!("/v1/consents/{uuid}/revoke"), Some(&g.patient.access), &body).await;
    assert_eq!(r.status(), 200);
    run_worker_until_idle(&worker, &p.anvil.url).await;
    assert_eq!(shown(&p, &g).await["chain"]["revoke"]["state"], "confirmed");
    assert_eq!(consent_status(&provider, p.contract, patient, id).await.unwrap(), ChainStatus::Revoked);
    assert_eq!(consent_status(&provider, p.contract, squatter.address(), id).await.unwrap(), ChainStatus::Active);

    // The history has two consents under the id, each with its own patient and fate.
    let history = consent_histories(&provider, p.contract, 0).await.unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    let ours = history.iter().find(|h| h.patient == patient).unwrap();
    let theirs = history.iter().find(|h| h.patient == squatter.address()).unwrap();
    assert_eq!((ours.consent_id, ours.status, ours.revoked.is_some()), (id, ChainStatus::Revoked, true));
    assert_eq!((theirs.consent_id, theirs.status, theirs.revoked.is_none()), (id, ChainStatus::Active, true));
    assert_ne!(ours.valid_until, theirs.valid_until);
}

/// The same when one message's dry run keeps failing: the endpoint errors on every call that
/// carries that consent id (and answers every other). The message is set aside with the error;
/// the other grant is relayed and the documents anchored; once the endpoint answers for it again
/// and its retry time comes, it is relayed too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_dry_run_keeps_failing_is_set_aside_and_holds_up_nothing() {
    let p = spawn_platform().await;
    let proxy = pramana_tests::spawn_faulty_rpc(&p.anvil.url).await;
    let (hosp, hosp_addr) = p.hospital_with_keys().await;
    let stuck = signed_request(&p, &hosp, hosp_addr).await;
    grant(&p, &stuck).await;
    let other = signed_request(&p, &hosp, hosp_addr).await;
    grant(&p, &other).await;
    let patient = p.app.new_patient().await;
    let key = pramana_tests::register_x25519(&p.app, &patient.access).await;
    let docs = p.upload_many(&patient, &key, 3, 3).await;

    proxy.fail_containing(Some(&hex::encode(chain_id(&stuck))));
    let settings = p.worker_settings(&proxy.url, json!({"worker": {"relay_retry_base_secs": 3600}}));
    let worker = pramana_anchor_worker::Worker::build(&settings).await.unwrap();
    run_worker_until_idle(&worker, &p.anvil.url).await;
    assert_eq!(shown(&p, &other).await["chain"]["grant"]["state"], "confirmed");
    pramana_tests::assert_all_anchored_once(&p, &docs).await;
    let c = shown(&p, &stuck).await;
    assert_eq!(c["chain"]["grant"]["state"], "pending", "{c}");
    assert!(c["chain"]["grant"]["set_aside"].as_str().unwrap().starts_with("dry run failed: rpc:"), "{c}");

    proxy.fail_containing(None);
    let id = uuid::Uuid::parse_str(stuck.consent["id"].as_str().unwrap()).unwrap();
    sqlx::query("UPDATE consent_chain_events SET next_attempt_at = now() WHERE consent_id = $1")
        .bind(id)
        .execute(&p.app.pool)
        .await
        .unwrap();
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let c = shown(&p, &stuck).await;
    assert_eq!(c["chain"]["grant"]["state"], "confirmed", "{c}");
    assert!(c["chain"]["grant"].get("set_aside").is_none(), "{c}");
}
