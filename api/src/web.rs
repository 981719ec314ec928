//! The web portal: the files `npm run build` wrote to `server.web_dir`, served at `/` with the
//! single-page app's fallback (any other path that is not the API's gets `index.html`), and
//! strict headers on every one of them. Script injection would defeat end-to-end encryption
//! (the page holds the unlocked keys), so the Content-Security-Policy allows only the portal's
//! own scripts and WebAssembly (the keystore's Argon2id), no inline script, no `eval`, and the
//! page talks only to its own origin and the chain's public RPC endpoint.
//!
//! `/pramana-chain.json` is the deployment file the verify page reads first (docs/verify-page.md):
//! the chain, the pinned contract and the public RPC endpoint, written here from the settings so
//! that a normal deployment needs nothing more, and copied as-is to a static-only host so the
//! page verifies with the API switched off.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse as _, Response};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;

/// The Content-Security-Policy for the portal's pages; `rpc_origin` is the chain's public RPC
/// endpoint the page reads proofs through.
pub fn content_security_policy(rpc_origin: Option<&str>) -> String {
    let connect = rpc_origin.map_or_else(|| "'self'".to_owned(), |o| format!("'self' {o}"));
    [
        "default-src 'none'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "frame-src blob:",
        &format!("connect-src {connect}"),
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
    .join("; ")
}

/// The origin (`scheme://host[:port]`) of an http(s) URL.
fn origin(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains(['\'', ';', ' ', ',']))
        .then(|| format!("{scheme}://{host}"))
}

/// Where the verify page looks for the deployment file.
pub const CHAIN_FILE_PATH: &str = "/pramana-chain.json";

/// The body of `/pramana-chain.json`: what the verify page trusts. `None` without a contract
/// (nothing is pinned, so the page must not be told anything).
pub fn chain_file(chain_id: u64, contract: Option<&str>, public_rpc_url: Option<&str>) -> Option<String> {
    let rpc = public_rpc_url.map(str::trim).filter(|u| !u.is_empty());
    contract
        .map(|c| serde_json::json!({ "chain_id": chain_id, "contract_address": c, "public_rpc_url": rpc }).to_string())
}

/// The router serving the portal from `dir`, for the app's fallback; `chain_file` is the body of
/// `/pramana-chain.json` (see [`chain_file`]).
pub fn router(dir: &Path, public_rpc_url: Option<&str>, chain_file: Option<String>) -> Router {
    let csp = content_security_policy(public_rpc_url.and_then(origin).as_deref());
    let chain_file: Option<std::sync::Arc<str>> = chain_file.map(Into::into);
    let index = dir.join("index.html");
    if !index.is_file() {
        tracing::warn!(dir = %dir.display(), "the web portal is not built (npm run build in web/); / answers 404");
    }
    let files = ServeDir::new(dir).append_index_html_on_directories(true).fallback(ServeFile::new(index));
    let header = |name: &'static str, value: &str| {
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("static header values are valid"),
        )
    };
    Router::new()
        .fallback_service(tower::service_fn(move |req: Request| {
            let files = files.clone();
            let chain_file = chain_file.clone();
            async move { Ok::<_, std::convert::Infallible>(serve(files, chain_file.as_deref(), req).await) }
        }))
        .layer(header("content-security-policy", &csp))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("referrer-policy", "no-referrer"))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("cross-origin-opener-policy", "same-origin"))
        .layer(header("cross-origin-resource-policy", "same-origin"))
        .layer(header("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"))
        // Browsers honour HSTS only over https, so it is harmless on plain http (local use).
        .layer(header("strict-transport-security", "max-age=63072000"))
}

/// Serves a file; `/v1/...` paths that reached the fallback are the API's 404, and only GET and
/// HEAD read files. The deployment file comes from the settings when they pin a contract (a
/// stale copy left in the web directory must not override them).
async fn serve(files: ServeDir<ServeFile>, chain_file: Option<&str>, req: Request) -> Response {
    let path = req.uri().path();
    if path == "/v1" || path.starts_with("/v1/") {
        return ApiError::NotFound.into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::BadRequest {
            status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
            code: "method_not_allowed",
            message: "method not allowed on this path".into(),
        }
        .into_response();
    }
    if path == CHAIN_FILE_PATH
        && let Some(body) = chain_file
    {
        let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-cache")];
        return (headers, body.to_owned()).into_response();
    }
    // Hashed build outputs never change; the page itself is checked on every load.
    let immutable = path.starts_with("/assets/");
    let mut response = match files.oneshot(req).await {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    if response.status() == axum::http::StatusCode::NOT_FOUND {
        return ApiError::NotFound.into_response();
    }
    let cache = if immutable { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_names_the_rpc_origin_only() {
        assert_eq!(origin("https://rpc.example.org/v1/key?x=1").as_deref(), Some("https://rpc.example.org"));
        assert_eq!(origin("http://127.0.0.1:8545").as_deref(), Some("http://127.0.0.1:8545"));
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("https://a.example'; script-src *"), None);
        let csp = content_security_policy(Some("https://rpc.example.org"));
        assert!(csp.contains("connect-src 'self' https://rpc.example.org;"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn chain_file_pins_the_contract_or_says_nothing() {
        let body =
            chain_file(31337, Some("0x5FbDB2315678afecb367f032d93F642f64180aa3"), Some(" http://127.0.0.1:8545 "));
        let v: serde_json::Value = serde_json::from_str(&body.unwrap()).unwrap();
        assert_eq!(v["chain_id"], 31337);
        assert_eq!(v["contract_address"], "0x5FbDB2315678afecb367f032d93F642f64180aa3");
        assert_eq!(v["public_rpc_url"], "http://127.0.0.1:8545");
        let no_rpc: serde_json::Value = serde_json::from_str(&chain_file(1, Some("0xab"), Some("")).unwrap()).unwrap();
        assert!(no_rpc["public_rpc_url"].is_null());
        assert_eq!(chain_file(1, None, Some("http://x")), None);
    }
}
