//! The API and Anvil together (`Platform`), the anchor worker on them, and the anchoring
//! invariants every anchoring test checks.

use serde_json::{Value, json};

use crate::anvil::{ANVIL_KEY_1, Anvil, deploy_registry, rpc_call, spawn_anvil};
use crate::app::{JWT_SECRET, Patient, TestApp, merge, register_x25519, seal_document, spawn_app_with, upload_params};
use crate::consent;
use pramana_api::Settings;

/// An API and an Anvil chain with ConsentRegistry deployed, the API configured for it.
#[derive(Debug)]
pub struct Platform {
    /// The API.
    pub app: TestApp,
    /// The chain.
    pub anvil: Anvil,
    /// The contract.
    pub contract: alloy::primitives::Address,
}

/// Spawns Anvil, deploys the contract and spawns the API pointed at both.
pub async fn spawn_platform() -> Platform {
    let anvil = spawn_anvil().await.expect("anvil");
    let contract = deploy_registry(&anvil.url).await.expect("deploy");
    let app = spawn_app_with(json!({"chain": {
        "rpc_url": anvil.url, "public_rpc_url": anvil.url, "contract_address": contract.to_string(),
    }}))
    .await;
    Platform { app, anvil, contract }
}

impl Platform {
    /// Worker settings for this platform (`rpc_url` may point at a proxy) plus `overrides`:
    /// anchorer `ANVIL_KEY_1`, one confirmation, no batch wait, health on port 0.
    pub fn worker_settings(&self, rpc_url: &str, overrides: Value) -> Settings {
        let mut config = json!({
            "database": {"url": self.app.database_url, "max_connections": 4},
            "auth": {"jwt_secret": JWT_SECRET},
            "telemetry": {"log_filter": "warn"},
            "worker": {"health_port": 0, "poll_interval_ms": 20, "batch_max_wait_ms": 0},
            "chain": {
                "rpc_url": rpc_url,
                "contract_address": self.contract.to_string(),
                "signer_key": ANVIL_KEY_1,
                "confirmations": 1,
                "stuck_after_secs": 3600,
                "rpc_timeout_secs": 5,
            },
        });
        merge(&mut config, overrides);
        Settings::from_overrides(config).expect("worker settings")
    }

    /// A hospital (HFR id `IN2710000001`) with an Ethereum address (`0x4242…42`) and an X25519
    /// key registered, as a consent needs: its access token and its address.
    pub async fn hospital_with_keys(&self) -> (String, alloy::primitives::Address) {
        let (hospital, _) = self.app.new_hospital("IN2710000001").await;
        let address = alloy::primitives::Address::repeat_byte(0x42);
        consent::register_eth(&self.app, &hospital, address).await;
        register_x25519(&self.app, &hospital).await;
        (hospital, address)
    }

    /// A worker on this platform's chain.
    pub async fn worker(&self, overrides: Value) -> pramana_anchor_worker::Worker {
        pramana_anchor_worker::Worker::build(&self.worker_settings(&self.anvil.url, overrides)).await.expect("worker")
    }

    /// Uploads `n` small documents for `patient` (who has registered `key`), `concurrency` at
    /// a time. Returns each document's id and plaintext.
    pub async fn upload_many(
        &self,
        patient: &Patient,
        key: &pramana_core::envelope::Identity,
        n: usize,
        concurrency: usize,
    ) -> Vec<(uuid::Uuid, Vec<u8>)> {
        use futures::StreamExt as _;
        let recipient = key.recipient();
        let api = &self.app.client_as(&patient.access);
        futures::stream::iter(0..n)
            .map(|_| async move {
                let doc = uuid::Uuid::new_v4();
                let body = format!("lab report {doc}: haemoglobin {} g/dL", rand::random::<u8>()).into_bytes();
                let (env, info) = seal_document(doc, &[recipient], &body);
                let q = upload_params(&info, "DiagnosticReport", "2026-01-10");
                let len = env.len() as u64;
                api.document_upload(doc, &q, env, len).await.unwrap_or_else(|e| panic!("upload: {e}"));
                (doc, body)
            })
            .buffer_unordered(concurrency)
            .collect()
            .await
    }
}

/// Steps the worker until nothing is pending or in flight, mining a block whenever a batch
/// waits for confirmations or sits in the pool (automine may be off). Step errors (injected
/// faults) are retried. Returns every outcome.
pub async fn run_worker_until_idle(
    worker: &pramana_anchor_worker::Worker,
    anvil_url: &str,
) -> Vec<pramana_anchor_worker::StepOutcome> {
    use pramana_anchor_worker::StepOutcome;
    let mut outcomes = Vec::new();
    let mut errors = 0;
    for _ in 0..20_000 {
        match worker.step().await {
            Ok(StepOutcome::Idle) => return outcomes,
            Ok(o) => {
                // Confirming, waiting in the pool, or consent messages waiting for their event's
                // block to be deep enough: a new block moves each on.
                if matches!(
                    o,
                    StepOutcome::Confirming { .. } | StepOutcome::Waiting { .. } | StepOutcome::Checked { .. }
                ) {
                    let _ = rpc_call(anvil_url, "evm_mine", json!([])).await;
                }
                if matches!(o, StepOutcome::Contended { .. }) {
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
                outcomes.push(o);
            }
            Err(e) => {
                errors += 1;
                assert!(errors < 2_000, "the worker keeps failing: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
    }
    panic!("the worker did not become idle: last outcomes {:?}", &outcomes[outcomes.len().saturating_sub(10)..]);
}

/// Checks the anchoring invariants: every anchor job is in exactly one confirmed batch, every
/// confirmed root is on chain exactly once with its leaf count, there is no other root, and
/// every document's proof bundle verifies against the chain with the CLI's verification code.
/// `docs` are the expected documents with their plaintexts.
pub async fn assert_all_anchored_once(platform: &Platform, docs: &[(uuid::Uuid, Vec<u8>)]) {
    assert_anchored_once(platform, docs.len(), docs).await;
}

/// [`assert_all_anchored_once`] for `total` documents, verifying the proofs of `docs` only.
#[allow(clippy::unwrap_used, reason = "an assertion helper: any failure is a test failure")]
pub async fn assert_anchored_once(platform: &Platform, total: usize, docs: &[(uuid::Uuid, Vec<u8>)]) {
    use alloy::providers::{Provider, RootProvider};
    use alloy::rpc::types::Filter;
    use alloy::sol_types::SolEvent as _;
    use pramana_core::chain::ConsentRegistry;
    use sha2::Digest as _;
    let pool = &platform.app.pool;
    let unanchored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE anchored_at IS NULL").fetch_one(pool).await.unwrap();
    assert_eq!(unanchored, 0, "every job anchored");
    let jobs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE kind = 'document'").fetch_one(pool).await.unwrap();
    assert_eq!(jobs as usize, total, "one job per document");
    // A worker that runs its loop also anchors the access log's tree heads, one leaf each.
    let heads: Vec<Value> =
        sqlx::query_scalar("SELECT proof FROM anchor_jobs WHERE kind = 'audit_head'").fetch_all(pool).await.unwrap();
    let batches: Vec<(Vec<u8>, i32)> = sqlx::query_as(
        "SELECT root, leaf_count FROM anchor_batches WHERE status = 'confirmed' AND kind = 'anchor' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_batches WHERE status = 'pending'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(pending, 0, "no batch left in flight");
    let docs_total = total;
    let total: i64 = batches.iter().map(|(_, n)| i64::from(*n)).sum();
    assert_eq!(total as usize, docs_total + heads.len(), "batches hold every document (and head) exactly once");
    for head in &heads {
        let anchor: pramana_core::auditlog::HeadAnchor = serde_json::from_value(head.clone()).unwrap();
        let root = anchor.check_offline().unwrap();
        assert!(batches.iter().any(|(r, _)| r[..] == root[..]), "head {} in a confirmed batch", anchor.tree_size);
    }

    let provider = RootProvider::new_http(platform.anvil.url.parse().unwrap());
    let filter = Filter::new()
        .address(platform.contract)
        .event_signature(ConsentRegistry::RootAnchored::SIGNATURE_HASH)
        .from_block(0);
    let logs = provider.get_logs(&filter).await.unwrap();
    let mut on_chain: Vec<(Vec<u8>, u64)> = logs
        .iter()
        .map(|l| {
            let e = ConsentRegistry::RootAnchored::decode_log(&l.inner).unwrap();
            (e.root.to_vec(), e.leafCount)
        })
        .collect();
    let mut expected: Vec<(Vec<u8>, u64)> = batches.iter().map(|(r, n)| (r.clone(), *n as u64)).collect();
    on_chain.sort();
    expected.sort();
    assert_eq!(on_chain, expected, "each confirmed root anchored exactly once on chain, and nothing else");

    for (id, body) in docs {
        let proof: Value = sqlx::query_scalar("SELECT proof FROM anchor_jobs WHERE document_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
        let bundle = pramana_core::proof::ProofBundle::from_json(&proof.to_string()).unwrap();
        let sha: [u8; 32] = sha2::Sha256::digest(body).into();
        let v = bundle.verify_on_chain(&provider, &sha, platform.contract).await.unwrap();
        assert!(v.verified, "document {id}: {:?}", v.problems);
    }
}

/// Spawns the API pointed at `anvil`, after deploying the contract there.
pub async fn spawn_platform_on(anvil: Anvil) -> Platform {
    let contract = deploy_registry(&anvil.url).await.expect("deploy");
    let app = spawn_app_with(json!({"chain": {
        "rpc_url": anvil.url, "public_rpc_url": anvil.url, "contract_address": contract.to_string(),
    }}))
    .await;
    Platform { app, anvil, contract }
}
