//! Health, readiness, metrics, OpenAPI and error-body basics.

use pramana_tests::{assert_error, spawn_app, spawn_app_with};

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

/// The web portal's API client is generated from `web/src/api/openapi.json` (scripts/web.sh
/// checks the generated types); that copy must be the document the API serves. After an API
/// change: `PRAMANA_UPDATE_OPENAPI=1 cargo test -p pramana-tests --test e2e openapi_copy`.
#[tokio::test]
async fn openapi_copy_for_the_web_client_is_current() {
    let app = spawn_app().await;
    let served: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let text = serde_json::to_string_pretty(&served).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/api/openapi.json");
    if std::env::var_os("PRAMANA_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "web/src/api/openapi.json is not the served document; run \
         PRAMANA_UPDATE_OPENAPI=1 cargo test -p pramana-tests --test e2e openapi_copy, then npm run gen:api in web/"
    );
}

#[tokio::test]
async fn the_portal_is_served_with_strict_headers() {
    let app = spawn_app().await;
    // scripts/test.sh builds the portal (scripts/web.sh) before the Rust tests.
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist/index.html").is_file();
    // The SPA fallback answers any non-API path with the page.
    for path in ["/", "/documents", "/consents/some-id"] {
        let r = app.get(path, None).await;
        if !built {
            assert_error(r, 404, "not_found").await;
            continue;
        }
        assert_eq!(r.status(), 200, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(r.text().await.unwrap().contains("<div id=\"root\">"));
    }
    // API paths keep their JSON errors.
    assert_error(app.get("/v1/nothing-here", None).await, 404, "not_found").await;
}

/// The verify page reads `/pramana-chain.json` first, so it works from a static host with the API
/// off; the platform writes it from its settings, the same values as `/v1/chain`.
#[tokio::test]
async fn the_deployment_file_pins_the_chain_from_the_settings() {
    let contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    let app = spawn_app_with(serde_json::json!({"chain": {
        "chain_id": 31337, "contract_address": contract, "public_rpc_url": "https://rpc.example.org/key"
    }}))
    .await;
    let r = app.get("/pramana-chain.json", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let file: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        file,
        serde_json::json!({"chain_id": 31337, "contract_address": contract, "public_rpc_url": "https://rpc.example.org/key"})
    );
    let chain: serde_json::Value = app.get("/v1/chain", None).await.json().await.unwrap();
    for field in ["chain_id", "contract_address", "public_rpc_url"] {
        assert_eq!(file[field], chain[field], "{field}");
    }
}
