//! The anchor worker's start-up checks and health endpoints; the chain info endpoint.

use pramana_anchor_worker::{StepOutcome, Worker};
use pramana_api::Settings;
use pramana_tests::{JWT_SECRET, fresh_database, spawn_app, spawn_app_with, spawn_platform};
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
    let metrics = app.http.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("worker_up") && metrics.contains("anchor_backlog"), "{metrics}");
    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
}

#[tokio::test]
async fn chain_info_names_the_contract() {
    let app = spawn_app().await;
    let info: serde_json::Value = app.get("/v1/chain", None).await.json().await.unwrap();
    assert_eq!(info["chain_id"], 31337);
    assert_eq!(info["contract_address"], serde_json::Value::Null);
    let app = spawn_app_with(
        json!({"chain": {"chain_id": 11155111, "contract_address": "0xa460fc9fee404671be62c835d1aa4384ea9dfc9a"}}),
    )
    .await;
    let info: serde_json::Value = app.get("/v1/chain", None).await.json().await.unwrap();
    assert_eq!(info["chain_id"], 11155111);
    assert_eq!(info["contract_address"], "0xa460FC9fee404671be62c835d1aa4384EA9Dfc9A");
    assert_eq!(info["eip712_name"], "Pramana ConsentRegistry");
}
