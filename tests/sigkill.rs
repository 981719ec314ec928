//! The anchor worker as a process (its entry point `run_from_env`, built here as
//! `anchor-worker-under-test`), killed with SIGKILL again and again while it anchors
//! 300 documents on a real Anvil chain (one block a second) and a real Postgres: restarted each
//! time, it must finish with every document anchored exactly once and every proof verifying, and
//! stop cleanly on SIGTERM.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pramana_tests::{
    ANVIL_KEY_1, JWT_SECRET, Platform, assert_all_anchored_once, register_x25519, spawn_anvil_with, spawn_platform_on,
};

fn start_worker(p: &Platform) -> Child {
    Command::new(env!("CARGO_BIN_EXE_anchor-worker-under-test"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRAMANA_DATABASE__URL", &p.app.database_url)
        .env("PRAMANA_AUTH__JWT_SECRET", JWT_SECRET)
        .env("PRAMANA_TELEMETRY__LOG_FILTER", "warn")
        .env("PRAMANA_WORKER__HEALTH_PORT", "0")
        .env("PRAMANA_WORKER__POLL_INTERVAL_MS", "50")
        .env("PRAMANA_WORKER__BATCH_MAX_SIZE", "16")
        .env("PRAMANA_WORKER__BATCH_MAX_WAIT_MS", "0")
        .env("PRAMANA_CHAIN__RPC_URL", &p.anvil.url)
        .env("PRAMANA_CHAIN__CONTRACT_ADDRESS", p.contract.to_string())
        .env("PRAMANA_CHAIN__SIGNER_KEY", ANVIL_KEY_1)
        .env("PRAMANA_CHAIN__CONFIRMATIONS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pramana-anchor-worker")
}

async fn unanchored(p: &Platform) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE anchored_at IS NULL")
        .fetch_one(&p.app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let anvil = spawn_anvil_with(0, &["--block-time", "1"]).await.unwrap();
    let p = spawn_platform_on(anvil).await;
    let patient = p.app.new_patient().await;
    let key = register_x25519(&p.app, &patient.access).await;
    let docs = p.upload_many(&patient, &key, 300, 8).await;

    let mut kills = 0;
    let mut progress = Vec::new();
    while kills < 8 {
        let mut child = start_worker(&p);
        let ms = 300 + u64::from(rand::random::<u16>() % 900);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        progress.push(unanchored(&p).await);
    }
    assert!(progress.last().copied().unwrap_or(0) < 300, "the worker made progress between kills: {progress:?}");

    let mut child = start_worker(&p);
    for _ in 0..1200 {
        if unanchored(&p).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // SIGTERM: the worker finishes its step and exits cleanly.
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let mut exited = None;
    for _ in 0..300 {
        if let Some(code) = child.try_wait().unwrap() {
            exited = Some(code);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let Some(code) = exited else {
        child.kill().unwrap();
        panic!("the worker did not stop on SIGTERM");
    };
    assert!(code.success(), "graceful exit: {code:?}");
    assert_all_anchored_once(&p, &docs).await;
}
