//! Upload throughput against a real Postgres (`bash scripts/bench/uploads.sh`): `N` envelopes of
//! 4 KiB, sealed beforehand (only the API is measured), uploaded by `C` concurrent clients. Each
//! upload streams the envelope to local disk (temp file, fsync, rename), checks its framing and
//! hash, and commits the document row, its anchor job and its access-log entry in one
//! transaction. Prints uploads per second and latency percentiles; the script runs `pgbench -N`
//! on the same server right after, in the same run.
//!
//! Not a test: numbers depend on the machine.

#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "a benchmark binary")]

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use pramana_tests::{register_x25519, seal_document, spawn_app_with, upload_query};
use serde_json::json;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let n = env_usize("BENCH_UPLOADS", 4_000);
    let clients = env_usize("BENCH_CONNECTIONS", 32);
    let app = spawn_app_with(json!({
        "database": {"max_connections": clients},
        "telemetry": {"log_filter": "warn"},
    }))
    .await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let recipient = key.recipient();
    let body = vec![b'x'; 4096];
    let sealed: Vec<(uuid::Uuid, Vec<u8>, String)> = (0..n)
        .map(|_| {
            let doc = uuid::Uuid::new_v4();
            let (env, info) = seal_document(doc, &[recipient], &body);
            (doc, env, upload_query(&info, "DiagnosticReport", "2026-01-10"))
        })
        .collect();
    let envelope_bytes = sealed[0].1.len();

    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures::stream::iter(sealed)
        .map(|(doc, env, q)| {
            let (app, token) = (&app, patient.access.clone());
            async move {
                let t = Instant::now();
                let r = app
                    .http
                    .put(app.url(&format!("/v1/documents/{doc}?{q}")))
                    .bearer_auth(token)
                    .body(env)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201, "upload: {}", r.text().await.unwrap_or_default());
                t.elapsed()
            }
        })
        .buffer_unordered(clients)
        .collect()
        .await;
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM documents").fetch_one(&app.pool).await.unwrap();
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'document.upload'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    println!("| uploads ({n} × {envelope_bytes}-byte envelopes, {clients} clients) | throughput | p50 | p99 |");
    println!("|---|---:|---:|---:|");
    println!(
        "| `PUT /v1/documents/{{id}}` | {:.0} uploads/s | {:.1} ms | {:.1} ms |",
        n as f64 / secs,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!();
    println!("documents stored: {stored}; access-log entries for them: {audited}");
}
