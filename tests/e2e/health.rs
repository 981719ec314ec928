//! Health, readiness, metrics, OpenAPI and error-body basics.

use pramana_tests::{assert_error, spawn_app};

#[tokio::test]
async fn health_ready_metrics_and_docs() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    assert_eq!(app.get("/readyz", None).await.status(), 200);
    let _ = app.get("/healthz", None).await;
    let openapi: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(openapi["paths"]["/v1/auth/register"]["post"].is_object());
    assert!(openapi["paths"]["/v1/patients/me"]["patch"].is_object());
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"), "interactive docs are served");
    // A routed request shows up in the metrics.
    let _ = app.get("/v1/patients/me", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
}

#[tokio::test]
async fn unknown_paths_and_methods_get_the_error_body() {
    let app = spawn_app().await;
    assert_error(app.get("/v1/nothing-here", None).await, 404, "not_found").await;
    let r = app.http.delete(app.url("/v1/auth/login")).send().await.unwrap();
    assert_error(r, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn a_given_request_id_is_echoed() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/v1/nothing")).header("x-request-id", "req-abc-123").send().await.unwrap();
    let body = assert_error(r, 404, "not_found").await;
    assert_eq!(body["request_id"], "req-abc-123");
}
