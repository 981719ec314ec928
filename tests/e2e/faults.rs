//! Fault tests for the anchor worker: one run of 1,000 documents on a real Anvil chain and a
//! real Postgres, with a fault injected in each phase: the step cancelled at every await point, a
//! reorg after submission, a dropped transaction, a stuck transaction replaced, the nonce taken
//! by another transaction, RPC errors (before and after the node acted), and Anvil stopped and
//! restarted from its saved state. After each phase: every document anchored exactly once, and
//! every new proof verifies against the chain with the CLI's verification code. (SIGKILL of the
//! real binary is in `anchor-worker/tests/sigkill.rs`.)

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use pramana_anchor_worker::{StepOutcome, Worker};
use pramana_tests::{
    ANVIL_KEY_1, Platform, assert_anchored_once, register_x25519, rpc_call, run_worker_until_idle, spawn_anvil_with,
    spawn_faulty_rpc, spawn_platform_on,
};
use serde_json::{Value, json};

/// Polls `fut` at most `polls` times (with a short sleep between, so I/O moves on), then drops
/// it: a cancellation at whatever await point it reached.
async fn poll_at_most<F: Future>(fut: F, polls: usize) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    for _ in 0..polls {
        if let Poll::Ready(v) = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    None
}

async fn latest_tx_hash(p: &Platform) -> String {
    let hash: Vec<u8> = sqlx::query_scalar("SELECT tx_hash FROM anchor_txs ORDER BY id DESC LIMIT 1")
        .fetch_one(&p.app.pool)
        .await
        .unwrap();
    pramana_core::hex0x(hash)
}

async fn automine(p: &Platform, on: bool) {
    p.anvil.rpc("evm_setAutomine", json!([on])).await;
}

async fn step(worker: &Worker) -> StepOutcome {
    worker.step().await.unwrap()
}

struct Run {
    docs: Vec<(uuid::Uuid, Vec<u8>)>,
    patient: pramana_tests::Patient,
    key: pramana_core::envelope::Identity,
}

impl Run {
    async fn upload(&mut self, p: &Platform, n: usize) -> usize {
        let start = self.docs.len();
        self.docs.extend(p.upload_many(&self.patient, &self.key, n, 8).await);
        start
    }

    async fn check(&self, p: &Platform, phase_start: usize) {
        assert_anchored_once(p, self.docs.len(), &self.docs[phase_start..]).await;
    }
}

#[tokio::test]
async fn a_thousand_documents_through_every_fault() {
    let state = std::env::temp_dir().join(format!("pramana-anvil-state-{}.json", uuid::Uuid::new_v4()));
    let state_arg = state.to_string_lossy().to_string();
    let anvil = spawn_anvil_with(0, &["--dump-state", &state_arg]).await.unwrap();
    let mut p = spawn_platform_on(anvil).await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let mut run = Run { docs: Vec::new(), patient, key };
    let batch = json!({"worker": {"batch_max_size": 50}});

    // 1. Each step cancelled after 1 poll, then after 2, 3, … until it completes; then the
    //    next step gets the same treatment: a cancellation at every await point it reaches.
    let start = run.upload(&p, 250).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 25}})).await;
    let (mut cancelled, mut polls) = (0, 1usize);
    loop {
        match poll_at_most(worker.step(), polls).await {
            Some(Ok(StepOutcome::Idle)) => break,
            Some(_) => polls = 1,
            None => {
                cancelled += 1;
                polls += 1;
            }
        }
        assert!(cancelled < 20_000, "cancellation never let the worker finish");
    }
    assert!(cancelled > 20, "the sweep cancelled steps ({cancelled})");
    run.check(&p, start).await;
    drop(worker);

    // 2. Reorg after submission: the block holding the anchor is replaced by an empty one.
    let start = run.upload(&p, 150).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 50}, "chain": {"confirmations": 2}})).await;
    let (mut reorgs, mut resent) = (0, 0);
    loop {
        match step(&worker).await {
            StepOutcome::Submitted { batch_id, .. } => {
                // Reorg only once the anchor is mined (automine answers before it mines under load).
                let tx: Vec<u8> =
                    sqlx::query_scalar("SELECT tx_hash FROM anchor_txs WHERE batch_id = $1 ORDER BY id DESC LIMIT 1")
                        .bind(batch_id)
                        .fetch_one(&p.app.pool)
                        .await
                        .unwrap();
                let tx = pramana_core::hex0x(tx);
                for _ in 0..500 {
                    if !p.anvil.rpc("eth_getTransactionReceipt", json!([tx])).await.is_null() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                p.anvil.rpc("anvil_reorg", json!([1, []])).await;
                reorgs += 1;
            }
            StepOutcome::Rebroadcast { .. } => resent += 1,
            StepOutcome::Confirming { .. } => {
                p.anvil.rpc("evm_mine", json!([])).await;
            }
            StepOutcome::Idle => break,
            _ => {}
        }
    }
    assert_eq!((reorgs, resent), (3, 3), "each reorged-out anchor was sent again");
    run.check(&p, start).await;
    drop(worker);

    // 3. A dropped transaction is sent again from its stored bytes.
    let start = run.upload(&p, 100).await;
    let worker = p.worker(batch.clone()).await;
    automine(&p, false).await;
    assert!(matches!(step(&worker).await, StepOutcome::Submitted { .. }));
    assert!(matches!(step(&worker).await, StepOutcome::Waiting { .. }), "in the pool");
    let hash = latest_tx_hash(&p).await;
    p.anvil.rpc("anvil_dropTransaction", json!([hash])).await;
    assert!(matches!(step(&worker).await, StepOutcome::Rebroadcast { .. }));
    assert_eq!(latest_tx_hash(&p).await, hash, "the same transaction, not a new one");
    automine(&p, true).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    run.check(&p, start).await;
    drop(worker);

    // 4. A stuck transaction is replaced at the same nonce with fees at least 10 % higher.
    let start = run.upload(&p, 100).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 100}, "chain": {"stuck_after_secs": 0}})).await;
    automine(&p, false).await;
    let StepOutcome::Submitted { batch_id, .. } = step(&worker).await else { panic!("expected a submission") };
    assert!(matches!(step(&worker).await, StepOutcome::Replaced { .. }));
    assert!(matches!(step(&worker).await, StepOutcome::Replaced { .. }));
    let txs: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT nonce, max_fee_per_gas, max_priority_fee_per_gas FROM anchor_txs WHERE batch_id = $1 ORDER BY id",
    )
    .bind(batch_id)
    .fetch_all(&p.app.pool)
    .await
    .unwrap();
    assert_eq!(txs.len(), 3);
    for pair in txs.windows(2) {
        assert_eq!(pair[0].0, pair[1].0, "same nonce");
        assert!(pair[1].1 * 100 >= pair[0].1 * 110, "fee cap +10 %: {pair:?}");
        assert!(pair[1].2 * 100 >= pair[0].2 * 110, "tip +10 %: {pair:?}");
    }
    p.anvil.rpc("evm_mine", json!([])).await;
    automine(&p, true).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let mined: Vec<u8> = sqlx::query_scalar("SELECT tx_hash FROM anchor_batches WHERE id = $1")
        .bind(batch_id)
        .fetch_one(&p.app.pool)
        .await
        .unwrap();
    assert_eq!(pramana_core::hex0x(mined), latest_tx_hash(&p).await, "the last replacement was mined");
    run.check(&p, start).await;
    drop(worker);

    // 5. The batch's nonce is taken by another transaction from the same key: signed again.
    let start = run.upload(&p, 100).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 100}})).await;
    automine(&p, false).await;
    let StepOutcome::Submitted { batch_id, .. } = step(&worker).await else { panic!("expected a submission") };
    let hash = latest_tx_hash(&p).await;
    p.anvil.rpc("anvil_dropTransaction", json!([hash])).await;
    send_transfer_from_anchorer(&p).await;
    p.anvil.rpc("evm_mine", json!([])).await;
    // The worker trusts a taken nonce once its block has a successor.
    assert!(matches!(step(&worker).await, StepOutcome::Waiting { .. }));
    p.anvil.rpc("evm_mine", json!([])).await;
    automine(&p, true).await;
    assert!(matches!(step(&worker).await, StepOutcome::Resigned { .. }));
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let nonces: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT nonce FROM anchor_txs WHERE batch_id = $1")
        .bind(batch_id)
        .fetch_all(&p.app.pool)
        .await
        .unwrap();
    assert_eq!(nonces.len(), 2, "a second nonce");
    run.check(&p, start).await;
    drop(worker);

    // 6. RPC errors: every third request fails, before or after the node acted.
    let start = run.upload(&p, 150).await;
    let proxy = spawn_faulty_rpc(&p.anvil.url).await;
    let worker =
        Worker::build(&p.worker_settings(&proxy.url, json!({"worker": {"batch_max_size": 32}}))).await.unwrap();
    proxy.fail_every(3);
    run_worker_until_idle(&worker, &p.anvil.url).await;
    proxy.fail_every(0);
    assert!(proxy.injected.load(std::sync::atomic::Ordering::SeqCst) > 10);
    run.check(&p, start).await;
    drop(worker);

    // 7. Anvil stops with a transaction in its pool and restarts from its saved state: the
    //    worker fails while it is down, then finds its transaction gone and sends it again.
    let start = run.upload(&p, 150).await;
    let worker = p.worker(batch.clone()).await;
    assert!(matches!(step(&worker).await, StepOutcome::Submitted { .. }), "first batch mined at once");
    automine(&p, false).await;
    loop {
        if let StepOutcome::Submitted { .. } = step(&worker).await {
            break;
        }
    }
    let port = p.anvil.port();
    p.anvil.stop_gracefully();
    assert!(worker.step().await.is_err(), "the chain is down");
    let anvil = spawn_anvil_with(port, &["--load-state", &state_arg, "--dump-state", &state_arg]).await.unwrap();
    p.anvil = anvil;
    let outcomes = run_worker_until_idle(&worker, &p.anvil.url).await;
    assert!(outcomes.iter().any(|o| matches!(o, StepOutcome::Rebroadcast { .. })), "{outcomes:?}");
    run.check(&p, start).await;
    assert_eq!(run.docs.len(), 1_000);
    let _ = std::fs::remove_file(&state);
}

/// A plain transfer from the anchoring account at its next nonce (taking the batch's nonce).
async fn send_transfer_from_anchorer(p: &Platform) {
    use alloy::network::{EthereumWallet, TransactionBuilder as _};
    use alloy::primitives::{Address, U256};
    use alloy::providers::{Provider, ProviderBuilder};
    use alloy::rpc::types::TransactionRequest;
    use alloy::signers::local::PrivateKeySigner;
    let signer: PrivateKeySigner = ANVIL_KEY_1.parse().unwrap();
    let provider =
        ProviderBuilder::new().wallet(EthereumWallet::from(signer)).connect_http(p.anvil.url.parse().unwrap());
    let tx = TransactionRequest::default().with_to(Address::repeat_byte(0xde)).with_value(U256::from(1));
    let _pending = provider.send_transaction(tx).await.unwrap();
    let pool: Value = rpc_call(&p.anvil.url, "txpool_status", json!([])).await.unwrap();
    assert_eq!(pool["pending"], "0x1", "{pool}");
}
