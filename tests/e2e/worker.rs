//! The anchor worker's start-up checks and health endpoints; the chain info endpoint.

use pramana_anchor_worker::{StepOutcome, Worker};
use pramana_api::Settings;
use pramana_tests::{JWT_SECRET, fresh_database, register_x25519, spawn_app, spawn_app_with, spawn_platform};
use serde_json::json;

fn worker_settings(database_url: &str) -> Settings {
    Settings::from_overrides(json!({
        "database": {"url": database_url},
        "auth": {"jwt_secret": JWT_SECRET},
        "worker": {"health_port": 0},
    }))
    .unwrap()
}

#[tokio::test]
async fn worker_refuses_an_unmigrated_database() {
    let url = fresh_database().await.unwrap();
    let err = Worker::build(&worker_settings(&url)).await.unwrap_err();
    assert!(err.to_string().contains("migrat"), "{err}");
}

#[tokio::test]
async fn worker_serves_health_and_steps() {
    let p = spawn_platform().await;
    let app = &p.app;
    let worker = p.worker(json!({})).await;
    assert_eq!(worker.step().await.unwrap(), StepOutcome::Idle);
    let port = worker.health_port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let base = format!("http://127.0.0.1:{port}");
    assert_eq!(app.http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.http.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);

    // The running loop anchors a document on its own; its metrics appear.
    let patient = app.new_patient().await;
    let key = register_x25519(app, &patient.access).await;
    p.upload_many(&patient, &key, 1, 1).await;
    for _ in 0..500 {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM anchor_jobs WHERE anchored_at IS NULL")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let metrics = app.http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    for name in [
        "worker_up",
        "anchor_backlog",
        "anchor_batch_size",
        "anchor_documents_total",
        "anchor_gas_used_total",
        "anchor_confirmation_lag_seconds",
        "anchor_leader",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn chain_info_names_the_contract() {
    let app = spawn_app().await;
    let info = app.client().chain().await.unwrap();
    assert_eq!(info.chain_id, 31337);
    assert_eq!(info.contract_address, None);
    let app = spawn_app_with(
        json!({"chain": {"chain_id": 11155111, "contract_address": "0xa460fc9fee404671be62c835d1aa4384ea9dfc9a"}}),
    )
    .await;
    let info = app.client().chain().await.unwrap();
    assert_eq!(info.chain_id, 11155111);
    assert_eq!(info.contract_address.as_deref(), Some("0xa460FC9fee404671be62c835d1aa4384EA9Dfc9A"));
    assert_eq!(info.eip712_name, "Pramana ConsentRegistry");
}
