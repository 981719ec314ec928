//! Fault injection: a JSON-RPC proxy that fails calls on demand.

/// A JSON-RPC proxy in front of a node that fails every `n`-th request (0: none) with HTTP 503:
/// alternately before forwarding it and after (the node acted, the answer is lost); and, when
/// asked, every request that carries a given string (one message's calls, say), before
/// forwarding it.
#[derive(Debug, Clone)]
pub struct FaultyRpc {
    /// The proxy's URL.
    pub url: String,
    fail_every: std::sync::Arc<std::sync::atomic::AtomicU64>,
    fail_containing: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// Faults injected so far.
    pub injected: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl FaultyRpc {
    /// Fails every `n`-th request from now on (0: none).
    pub fn fail_every(&self, n: u64) {
        self.fail_every.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Fails every request whose body contains `needle` from now on (`None`: none).
    pub fn fail_containing(&self, needle: Option<&str>) {
        if let Ok(mut n) = self.fail_containing.lock() {
            *n = needle.map(str::to_owned);
        }
    }
}

/// Starts a [`FaultyRpc`] in front of `upstream`.
pub async fn spawn_faulty_rpc(upstream: &str) -> FaultyRpc {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let fail_every = Arc::new(AtomicU64::new(0));
    let fail_containing = Arc::new(std::sync::Mutex::new(None::<String>));
    let injected = Arc::new(AtomicU64::new(0));
    let count = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (upstream, every, inj, containing) =
        (upstream.to_owned(), fail_every.clone(), injected.clone(), fail_containing.clone());
    let client = reqwest::Client::new();
    const JSON: [(axum::http::HeaderName, &str); 1] = [(axum::http::header::CONTENT_TYPE, "application/json")];
    let handler = move |body: axum::body::Bytes| {
        let (upstream, every, inj, count, client) =
            (upstream.clone(), every.clone(), inj.clone(), count.clone(), client.clone());
        let needle = containing.lock().ok().and_then(|n| n.clone());
        async move {
            if needle.is_some_and(|n| String::from_utf8_lossy(&body).contains(&n)) {
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, JSON, "injected fault for this call".to_owned());
            }
            let n = every.load(Ordering::SeqCst);
            let i = count.fetch_add(1, Ordering::SeqCst) + 1;
            let fault = n > 0 && i % n == 0;
            let fault_after = fault && inj.fetch_add(1, Ordering::SeqCst) % 2 == 1;
            if fault && !fault_after {
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, JSON, "injected fault".to_owned());
            }
            let answer = client.post(&upstream).header("content-type", "application/json").body(body).send().await;
            let text = match answer {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => return (axum::http::StatusCode::BAD_GATEWAY, JSON, "upstream down".to_owned()),
            };
            if fault_after {
                return (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    JSON,
                    "injected fault after forwarding".to_owned(),
                );
            }
            (axum::http::StatusCode::OK, JSON, text)
        }
    };
    let router = axum::Router::new().route("/", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await });
    FaultyRpc { url, fail_every, fail_containing, injected }
}
