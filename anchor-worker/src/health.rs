//! The worker's health listener: `/healthz` (the process answers), `/readyz` (Postgres answers)
//! and `/metrics` (Prometheus text). Three fixed answers need no web framework: a bare hyper
//! HTTP/1 connection per client, closed when the worker stops accepting.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use pramana_server::{store, telemetry};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Serves health requests on `listener` until `stop` turns true.
pub async fn serve(listener: TcpListener, pool: PgPool, mut stop: watch::Receiver<bool>) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "health listener: accept failed");
                    continue;
                }
            },
            _ = stop.wait_for(|stopped| *stopped) => return,
        };
        let pool = pool.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(pool.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "health connection ended");
            }
        });
    }
}

async fn answer(pool: PgPool, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match req.uri().path() {
        "/healthz" => (StatusCode::OK, "application/json", r#"{"status":"ok"}"#.to_owned()),
        "/readyz" => match store::ping(&pool).await {
            Ok(()) => (StatusCode::OK, "text/plain; charset=utf-8", "ready".to_owned()),
            Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "database unavailable".to_owned()),
        },
        "/metrics" => (StatusCode::OK, "text/plain; version=0.0.4", telemetry::metrics_handle().render()),
        _ => (StatusCode::NOT_FOUND, "text/plain; charset=utf-8", "not found".to_owned()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    Ok(response)
}
