//! Consent relay benchmark against a real Postgres and a real Anvil chain
//! (`bash scripts/bench/relay.sh`):
//!
//! 1. gas per grant when the worker relays batches of 1, 16 and 128 patient-signed grants (whole
//!    `grantConsents` transactions, from the receipts);
//! 2. grants per second through the worker, draining a queue of 1,024 (Anvil automine, one
//!    confirmation).
//!
//! The queue is seeded straight into Postgres (artefacts with real EIP-712 grant signatures from
//! distinct patient keys, and their `consent_chain_events`), so only the relay is measured, not
//! the API. Prints Markdown. Not a test: numbers depend on the machine.

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a benchmark binary")]

use std::time::Instant;

use alloy::primitives::{Address, B256};
use pramana_core::chain::eip712::{ConsentSigner, Grant, domain};
use pramana_core::consent::chain_consent_id;
use pramana_tests::{Platform, run_worker_until_idle, spawn_anvil_with, spawn_platform_on};
use serde_json::json;

/// Queues `n` signed grants, each from its own patient key, to one hospital.
async fn seed(p: &Platform, n: usize) {
    let patient = p.app.new_patient().await;
    let (_, hospital) = p.app.new_hospital("IN2710000001").await;
    let d = domain(31337, p.contract);
    let now = chrono::Utc::now();
    let (from, until) = (now.timestamp() as u64 - 60, now.timestamp() as u64 + 30 * 86_400);
    for _ in 0..n {
        let id = uuid::Uuid::now_v7();
        let signer = ConsentSigner::random();
        let grant = Grant {
            consentId: B256::from(chain_consent_id(&id)),
            patient: signer.address(),
            grantee: Address::repeat_byte(0x42),
            scopeHash: B256::from(rand::random::<[u8; 32]>()),
            validFrom: from,
            validUntil: until,
            nonce: 0,
            deadline: until,
        };
        let signed = signer.sign_grant(grant.clone(), &d).unwrap();
        sqlx::query(
            "INSERT INTO consents (id, patient_id, hospital_id, purpose, hi_types, access_mode, date_from, date_to,
                    data_erase_at, frequency_unit, frequency_value, frequency_repeats, request_expires_at, status,
                    decided_at, chain_consent_id, scope_hash, patient_address, grantee_address, valid_from,
                    grant_nonce, grant_deadline, grant_signature)
             VALUES ($1, $2::uuid, $3::uuid, 'CAREMGT', ARRAY['DiagnosticReport'], 'VIEW', '2025-01-01', '2025-12-31',
                    to_timestamp($4), 'DAY', 1, 0, now(), 'EXPIRED', now(), $5, $6, $7, $8, to_timestamp($9), 0, $10, $11)",
        )
        .bind(id)
        .bind(&patient.id)
        .bind(&hospital)
        .bind(until as f64)
        .bind(grant.consentId.as_slice())
        .bind(grant.scopeHash.as_slice())
        .bind(grant.patient.as_slice())
        .bind(grant.grantee.as_slice())
        .bind(from as f64)
        .bind(until as i64)
        .bind(&signed.signature[..])
        .execute(&p.app.pool)
        .await
        .unwrap();
        sqlx::query("INSERT INTO consent_chain_events (consent_id, kind) VALUES ($1, 'grant')")
            .bind(id)
            .execute(&p.app.pool)
            .await
            .unwrap();
    }
}

async fn platform() -> Platform {
    spawn_platform_on(spawn_anvil_with(0, &[]).await.unwrap()).await
}

async fn confirmed(p: &Platform) -> i64 {
    let open: Vec<(i64, Option<i64>, Option<String>)> =
        sqlx::query_as("SELECT id, batch_id, failure FROM consent_chain_events WHERE confirmed_at IS NULL ORDER BY id")
            .fetch_all(&p.app.pool)
            .await
            .unwrap();
    if !open.is_empty() {
        let batches: Vec<(i64, String, i32)> =
            sqlx::query_as("SELECT id, status, leaf_count FROM anchor_batches ORDER BY id")
                .fetch_all(&p.app.pool)
                .await
                .unwrap();
        eprintln!("not confirmed (id, batch, failure): {open:?}; batches: {batches:?}");
    }
    sqlx::query_scalar("SELECT count(*) FROM consent_chain_events WHERE confirmed_at IS NOT NULL")
        .fetch_one(&p.app.pool)
        .await
        .unwrap()
}

#[tokio::main]
async fn main() {
    println!("| grants per batch | gas per transaction | gas per grant |");
    println!("|---:|---:|---:|");
    for n in [1usize, 16, 128] {
        // Should a batch be abandoned (its messages are then settled from the chain's events,
        // with no batch gas to read), measure again.
        for attempt in 1..=3 {
            let p = platform().await;
            seed(&p, n).await;
            let worker = p.worker(json!({"worker": {"batch_max_size": n}})).await;
            run_worker_until_idle(&worker, &p.anvil.url).await;
            assert_eq!(confirmed(&p).await, n as i64, "every grant relayed");
            let gas: Option<i64> = sqlx::query_scalar(
                "SELECT gas_used FROM anchor_batches WHERE kind = 'grant' AND status = 'confirmed' AND leaf_count = $1",
            )
            .bind(n as i32)
            .fetch_optional(&p.app.pool)
            .await
            .unwrap()
            .flatten();
            match gas {
                Some(gas) => {
                    println!("| {n} | {gas} | {:.0} |", gas as f64 / n as f64);
                    break;
                }
                None => eprintln!("batch of {n} abandoned (attempt {attempt}); measuring again"),
            }
        }
    }

    let n = 1024;
    let p = platform().await;
    seed(&p, n).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 1024}})).await;
    let t = Instant::now();
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(confirmed(&p).await, n as i64, "every grant relayed");
    let batches: Vec<String> = sqlx::query_scalar("SELECT status FROM anchor_batches WHERE kind = 'grant'")
        .fetch_all(&p.app.pool)
        .await
        .unwrap();
    let abandoned = batches.iter().filter(|s| *s == "abandoned").count();
    println!(
        "\nthroughput: {n} grants in {} batches ({abandoned} abandoned and re-checked) in {secs:.1} s, \
         {:.0} grants/s through the worker (each checked alone by eth_call first; automine, 1 confirmation)",
        batches.len(),
        n as f64 / secs
    );
}
