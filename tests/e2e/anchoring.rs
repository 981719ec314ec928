//! Anchoring against a real Postgres and a real Anvil chain with ConsentRegistry deployed: the
//! outbox becomes Merkle batches, each root one transaction; proofs come out of the API and
//! verify against the chain; batching, confirmations, the signer lease and misconfiguration.

use pramana_anchor_worker::{StepOutcome, Worker, WorkerError};
use pramana_core::proof::ProofBundle;
use pramana_tests::{
    assert_all_anchored_once, assert_error, assert_refused, register_x25519, run_worker_until_idle, spawn_platform,
};
use serde_json::json;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn documents_are_anchored_and_their_proofs_verify_on_chain() {
    let p = spawn_platform().await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let docs = p.upload_many(&patient, &key, 5, 5).await;
    let (first, body) = &docs[0];

    // Before the worker runs: the job waits in the outbox, the proof is not there yet.
    let api = p.app.client_as(&patient.access);
    assert_refused(api.document_proof(*first).await, 409, "not_anchored");
    assert_eq!(api.document(*first).await.unwrap().anchor_state, "pending");

    let worker = p.worker(json!({})).await;
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(matches!(outcomes[0], StepOutcome::Submitted { leaves: 5, .. }), "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, StepOutcome::Confirmed { leaves: 5, .. })), "{outcomes:?}");
    assert_all_anchored_once(&p, &docs).await;
    let list = api.documents().await.unwrap();
    assert!(list.iter().all(|d| d.anchor_state == "confirmed"), "{list:?}");

    // The owner downloads the bundle; it verifies against the chain for this document only.
    let served = serde_json::to_string(&api.document_proof(*first).await.unwrap()).unwrap();
    let bundle = ProofBundle::from_json(&served).expect("a bundle of the supported format and version");
    assert_eq!(bundle.document_id, first.to_string());
    assert_eq!(bundle.merkle.leaf_count, 5);
    assert_eq!(bundle.anchor.contract, p.contract.to_checksum(None));
    let provider = alloy::providers::RootProvider::new_http(p.anvil.url.parse().unwrap());
    let sha: [u8; 32] = Sha256::digest(body).into();
    let v = bundle.verify_on_chain(&provider, &sha, p.contract).await.unwrap();
    assert!(v.verified, "{:?}", v.problems);
    assert_eq!(v.anchored_block, bundle.anchor.block_number);
    let other: [u8; 32] = Sha256::digest(b"another document").into();
    let v = bundle.verify_on_chain(&provider, &other, p.contract).await.unwrap();
    assert!(!v.verified);
    // Checked against another contract the verifier trusts: the bundle names a different one, so
    // it is not verified, whatever either contract holds; the problem names both.
    let elsewhere = pramana_tests::deploy_registry(&p.anvil.url).await.unwrap();
    let v = bundle.verify_on_chain(&provider, &sha, elsewhere).await.unwrap();
    let both = |m: &String| m.contains(&elsewhere.to_string()) && m.contains(&p.contract.to_string());
    assert!(!v.verified && v.problems.iter().any(both), "{v:?}");
    assert_eq!(v.contract, elsewhere.to_checksum(None), "the trusted contract is the one asked");

    // The same document as a FHIR R4 DocumentReference, with its SHA-256 and the same bundle.
    let r = p.app.get(&format!("/v1/documents/{first}/fhir"), Some(&patient.access)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/fhir+json");
    let fhir: serde_json::Value = r.json().await.unwrap();
    assert_eq!(fhir["resourceType"], "DocumentReference");
    assert_eq!(fhir["type"]["coding"][0]["code"], "721981007", "DiagnosticReport's SNOMED CT code");
    assert_eq!(fhir["subject"]["reference"], format!("Patient/{}", patient.id));
    assert_eq!(fhir["extension"][0]["valueString"], hex::encode(sha));
    let attached = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        fhir["content"][1]["attachment"]["data"].as_str().unwrap(),
    )
    .unwrap();
    let attached = ProofBundle::from_json(std::str::from_utf8(&attached).unwrap()).unwrap();
    assert_eq!(attached, bundle);

    // Another patient cannot see either, and no audit trail of theirs is created by asking.
    let stranger = p.app.new_patient().await;
    assert_refused(p.app.client_as(&stranger.access).document_proof(*first).await, 404, "not_found");
    let r = p.app.get(&format!("/v1/documents/{first}/fhir"), Some(&stranger.access)).await;
    assert_error(r, 404, "not_found").await;
    let reads: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'document.read_proof' AND outcome = 'ok'")
            .fetch_one(&p.app.pool)
            .await
            .unwrap();
    assert_eq!(reads, 1, "the owner's read is audited");
}

#[tokio::test]
async fn batches_fill_by_size_and_by_time_and_wait_for_confirmations() {
    let p = spawn_platform().await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let mut docs = p.upload_many(&patient, &key, 10, 4).await;

    // Size: 10 documents at most 4 per batch make batches of 4, 4 and 2.
    let worker = p.worker(json!({"worker": {"batch_max_size": 4}})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let sizes: Vec<i32> =
        sqlx::query_scalar("SELECT leaf_count FROM anchor_batches ORDER BY id").fetch_all(&p.app.pool).await.unwrap();
    assert_eq!(sizes, vec![4, 4, 2]);
    assert_all_anchored_once(&p, &docs).await;
    drop(worker); // releases the signer's lease

    // Time: with a long wait a small batch is held back, not sent.
    let worker = p.worker(json!({"worker": {"batch_max_wait_ms": 3_600_000}, "chain": {"confirmations": 3}})).await;
    docs.extend(p.upload_many(&patient, &key, 2, 2).await);
    assert_eq!(worker.step().await.unwrap(), StepOutcome::Filling { pending: 2 });
    assert_eq!(worker.step().await.unwrap(), StepOutcome::Filling { pending: 2 });
    drop(worker);

    // Confirmations: a mined batch is final only `confirmations` blocks deep.
    let worker = p.worker(json!({"chain": {"confirmations": 3}})).await;
    let step = worker.step().await.unwrap();
    assert!(matches!(step, StepOutcome::Submitted { leaves: 2, .. }), "{step:?}");
    let step = step_past_waiting(&worker).await;
    assert!(matches!(step, StepOutcome::Confirming { confirmations: 1, .. }), "{step:?}");
    p.anvil.rpc("evm_mine", json!([])).await;
    let step = worker.step().await.unwrap();
    assert!(matches!(step, StepOutcome::Confirming { confirmations: 2, .. }), "{step:?}");
    p.anvil.rpc("evm_mine", json!([])).await;
    let step = worker.step().await.unwrap();
    assert!(matches!(step, StepOutcome::Confirmed { leaves: 2, .. }), "{step:?}");
    assert_eq!(worker.step().await.unwrap(), StepOutcome::Idle);
    assert_all_anchored_once(&p, &docs).await;
}

/// The next step once the node serves the batch's receipt: Anvil mines a transaction as it
/// arrives, but under load it may answer a step or two before it serves the block it is sealing
/// (the transaction still pooled: `Waiting`; or known nowhere yet, so the stored bytes are sent
/// again: `Rebroadcast`). Nothing is mined here, so the confirmations counted afterwards are the
/// test's own blocks.
async fn step_past_waiting(worker: &pramana_anchor_worker::Worker) -> StepOutcome {
    for _ in 0..1_000 {
        match worker.step().await.unwrap() {
            StepOutcome::Waiting { .. } | StepOutcome::Rebroadcast { .. } => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            other => return other,
        }
    }
    panic!("the batch's transaction was never mined");
}

#[tokio::test]
async fn one_worker_per_signer_submits_and_another_takes_over() {
    let p = spawn_platform().await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let docs = p.upload_many(&patient, &key, 3, 3).await;

    let first = p.worker(json!({"chain": {"confirmations": 2}})).await;
    let second = p.worker(json!({"chain": {"confirmations": 2}})).await;
    assert!(matches!(first.step().await.unwrap(), StepOutcome::Submitted { .. }));
    assert_eq!(second.step().await.unwrap(), StepOutcome::StandBy, "the lease is taken");
    assert_eq!(second.step().await.unwrap(), StepOutcome::StandBy);
    // The submitter dies (its lease connection closes); the stand-by finishes the batch in flight.
    drop(first);
    let mut took_over = false;
    for _ in 0..100 {
        match second.step().await.unwrap() {
            StepOutcome::StandBy => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
            _ => {
                took_over = true;
                break;
            }
        }
    }
    assert!(took_over, "the stand-by worker never took the lease");
    run_worker_until_idle(&second, &p.anvil.url).await;
    let txs: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_txs").fetch_one(&p.app.pool).await.unwrap();
    assert_eq!(txs, 1, "the batch was finished, not sent again");
    assert_all_anchored_once(&p, &docs).await;
}

#[tokio::test]
async fn a_misconfigured_worker_refuses_clearly_and_changes_nothing() {
    let p = spawn_platform().await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    p.upload_many(&patient, &key, 2, 2).await;

    // No key: refuses to start.
    let mut s = p.worker_settings(&p.anvil.url, json!({}));
    s.chain.signer_key = None;
    let err = Worker::build(&s).await.unwrap_err();
    assert!(err.to_string().contains("no anchoring key"), "{err}");

    // A key that is not an anchorer: the step fails before signing anything.
    let stranger = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
    let worker = p.worker(json!({"chain": {"signer_key": stranger}})).await;
    let err = worker.step().await.unwrap_err();
    assert!(matches!(err, WorkerError::Misconfigured(_)) && err.to_string().contains("not an anchorer"), "{err}");

    // The wrong chain id: refused before any transaction.
    let worker = p.worker(json!({"chain": {"chain_id": 5}})).await;
    let err = worker.step().await.unwrap_err();
    assert!(matches!(err, WorkerError::Misconfigured(_)), "{err}");

    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_batches").fetch_one(&p.app.pool).await.unwrap();
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE batch_id IS NULL")
        .fetch_one(&p.app.pool)
        .await
        .unwrap();
    assert_eq!((batches, pending), (0, 2), "no batch, both jobs still waiting");
}

#[tokio::test]
async fn a_commitment_uploaded_twice_settles_on_the_root_already_anchored() {
    let p = spawn_platform().await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let data = b"discharge summary, ward 4".to_vec();
    let put = |doc: uuid::Uuid, env: Vec<u8>, query: String| {
        let (app, token) = (&p.app, patient.access.clone());
        async move {
            let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{query}"))).bearer_auth(token).body(env).send();
            assert_eq!(r.await.unwrap().status(), 201);
        }
    };
    let first = uuid::Uuid::new_v4();
    let (env, info) = pramana_tests::seal_document(first, &[key.recipient()], &data);
    put(first, env, pramana_tests::upload_query(&info, "DischargeSummary", "2026-02-01")).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 1}})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;

    // The same document and salt again under a new id: its one-leaf batch has the same root.
    let second = uuid::Uuid::new_v4();
    let (env, again) = pramana_tests::seal_document(second, &[key.recipient()], &data);
    let query = format!(
        "hi_type=DischargeSummary&care_date=2026-02-01&plaintext_sha256={}&salt={}&payload_sha256={}",
        hex::encode(info.plaintext_sha256),
        hex::encode(info.salt),
        hex::encode(again.payload_sha256)
    );
    put(second, env, query).await;
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(outcomes.iter().any(|o| matches!(o, StepOutcome::Confirmed { .. })), "{outcomes:?}");
    let txs: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_txs").fetch_one(&p.app.pool).await.unwrap();
    assert_eq!(txs, 1, "no transaction for a root already on chain");
    let proofs: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT proof FROM anchor_jobs ORDER BY id").fetch_all(&p.app.pool).await.unwrap();
    assert_eq!(proofs.len(), 2);
    assert_eq!(proofs[0]["anchor"], proofs[1]["anchor"], "both point at the one anchoring transaction");
    let provider = alloy::providers::RootProvider::new_http(p.anvil.url.parse().unwrap());
    let bundle = ProofBundle::from_json(&proofs[1].to_string()).unwrap();
    let sha: [u8; 32] = Sha256::digest(&data).into();
    assert!(bundle.verify_on_chain(&provider, &sha, p.contract).await.unwrap().verified);
}
