//! Anchoring benchmark against a real Postgres and a real Anvil chain (`bash scripts/bench/anchor.sh`):
//!
//! 1. gas per document at batch sizes 1, 64 and 1,024 (whole-transaction gas from receipts);
//! 2. documents per second through the worker, draining a backlog of 8,192 jobs;
//! 3. latency from upload to anchored (`anchor_jobs.created_at` → `anchored_at`) with the worker
//!    running as in production, at low load (one upload every 500 ms) and at high load
//!    (8 clients uploading as fast as they can), with Anvil mining a block a second and the
//!    default two confirmations.
//!
//! Prints a Markdown table. Not a test: numbers depend on the machine.

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a benchmark binary")]

use std::time::{Duration, Instant};

use pramana_tests::{Platform, register_x25519, run_worker_until_idle, spawn_anvil_with, spawn_platform_on};
use serde_json::json;

async fn gas_per_document(sizes: &[usize]) -> Vec<(usize, i64)> {
    let mut out = Vec::new();
    for &n in sizes {
        let p = spawn_platform_on(spawn_anvil_with(0, &[]).await.unwrap()).await;
        let patient = p.app.new_patient().await;
        let key = register_x25519(&p.app, &patient.access).await;
        p.upload_many(&patient, &key, n, 8).await;
        let worker = p.worker(json!({"worker": {"batch_max_size": n}})).await;
        run_worker_until_idle(&worker, &p.anvil.url).await;
        let gas: i64 = sqlx::query_scalar("SELECT gas_used FROM anchor_batches").fetch_one(&p.app.pool).await.unwrap();
        out.push((n, gas));
    }
    out
}

async fn throughput(n: usize) -> (f64, usize) {
    let p = spawn_platform_on(spawn_anvil_with(0, &[]).await.unwrap()).await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    p.upload_many(&patient, &key, n, 8).await;
    let worker = p.worker(json!({"worker": {"batch_max_size": 1024}})).await;
    let t = Instant::now();
    run_worker_until_idle(&worker, &p.anvil.url).await;
    let secs = t.elapsed().as_secs_f64();
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_batches").fetch_one(&p.app.pool).await.unwrap();
    (n as f64 / secs, batches as usize)
}

/// Upload→anchored latencies (seconds, sorted) with the worker running on its own, and the
/// mean batch size.
async fn latency(p: &Platform, upload: impl AsyncFnOnce(&Platform)) -> (Vec<f64>, f64) {
    let worker = p
        .worker(json!({
            "worker": {"poll_interval_ms": 500, "batch_max_wait_ms": 1000, "batch_max_size": 1024},
            "chain": {"confirmations": 2},
        }))
        .await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run_until_stopped(async {
        let _ = stopped.await;
    }));
    upload(p).await;
    loop {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE anchored_at IS NULL")
            .fetch_one(&p.app.pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(());
    handle.await.unwrap().unwrap();
    let mut lat: Vec<f64> =
        sqlx::query_scalar("SELECT extract(epoch FROM anchored_at - created_at)::float8 FROM anchor_jobs")
            .fetch_all(&p.app.pool)
            .await
            .unwrap();
    lat.sort_by(f64::total_cmp);
    let sizes: Vec<i32> =
        sqlx::query_scalar("SELECT leaf_count FROM anchor_batches").fetch_all(&p.app.pool).await.unwrap();
    let mean = sizes.iter().map(|&b| f64::from(b)).sum::<f64>() / sizes.len().max(1) as f64;
    (lat, mean)
}

fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let sizes = [1usize, 64, 1024];
    let gas = gas_per_document(&sizes).await;
    println!("| batch size | gas per transaction | gas per document |");
    println!("|---:|---:|---:|");
    for (n, g) in &gas {
        println!("| {n} | {g} | {:.0} |", *g as f64 / *n as f64);
    }

    let (rate, batches) = throughput(8192).await;
    println!(
        "\nthroughput: 8192 documents in {batches} batches, {rate:.0} documents/s through the worker (automine, 1 confirmation)"
    );

    let p = spawn_platform_on(spawn_anvil_with(0, &["--block-time", "1"]).await.unwrap()).await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let (low, low_batch) = latency(&p, async |p: &Platform| {
        for _ in 0..30 {
            p.upload_many(&patient, &key, 1, 1).await;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
    let p = spawn_platform_on(spawn_anvil_with(0, &["--block-time", "1"]).await.unwrap()).await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let mut uploaded = 0;
    let (high, high_batch) = latency(&p, async |p: &Platform| {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            p.upload_many(&patient, &key, 64, 8).await;
            uploaded += 64;
        }
    })
    .await;
    println!("\n| load | documents | p50 latency | p90 | max | mean batch |");
    println!("|---|---:|---:|---:|---:|---|");
    println!(
        "| low (1 upload / 500 ms) | {} | {:.2} s | {:.2} s | {:.2} s | {low_batch:.1} |",
        low.len(),
        pct(&low, 0.5),
        pct(&low, 0.9),
        pct(&low, 1.0)
    );
    println!(
        "| high (8 clients, 20 s) | {uploaded} | {:.2} s | {:.2} s | {:.2} s | {high_batch:.1} |",
        pct(&high, 0.5),
        pct(&high, 0.9),
        pct(&high, 1.0)
    );
}
