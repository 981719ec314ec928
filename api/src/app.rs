//! Builds the application: router with its middleware stack, listener, and the serve loop with
//! graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, REQUEST_ID};
use crate::rate_limit::{RetryAfter, ip_key};
use crate::state::AppState;
use crate::storage::{BlobStore, IpfsStore, LocalStore, ResumableFiles, S3Config, S3Store};
use crate::{auth, routes};
use pramana_server::config::{Settings, StorageBackend};
use pramana_server::store;

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A bound, ready-to-serve API.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to Postgres, migrates (if configured), bootstraps the admin, binds the port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = store::connect_lazy(settings.database.url.expose_secret(), settings.database.max_connections)?;
        if settings.database.run_migrations {
            store::migrate(&pool).await?;
        }
        let addr = SocketAddr::new(settings.server.host, settings.server.port);
        let storage: Arc<dyn BlobStore> = match settings.storage.backend {
            StorageBackend::Local => Arc::new(LocalStore::open(&settings.storage.local_dir).await?),
            StorageBackend::Ipfs => Arc::new(
                IpfsStore::new(&settings.storage.ipfs_api_url, settings.storage.local_dir.join("ipfs-staging")).await?,
            ),
            StorageBackend::S3 => {
                let st = &settings.storage;
                Arc::new(S3Store::new(&S3Config {
                    endpoint: &st.s3_endpoint,
                    bucket: st.s3_bucket.as_deref().unwrap_or_default(),
                    region: &st.s3_region,
                    access_key_id: st.s3_access_key_id.as_deref().unwrap_or_default(),
                    secret_access_key: st.s3_secret_access_key.as_ref().map(|s| s.expose_secret()).unwrap_or_default(),
                })?)
            }
        };
        sweep_staging(&pool, &*storage, settings.storage.staging_max_age_secs).await;
        let resumable = Arc::new(ResumableFiles::open(settings.storage.local_dir.join("resumable")).await?);
        sweep_resumable(&pool, &resumable).await;
        let state = AppState::new(settings, pool, storage, resumable)?;
        state.limiters.spawn_housekeeping(Duration::from_secs(60));
        spawn_resumable_sweep(state.pool.clone(), state.resumable.clone(), Duration::from_secs(60));
        auth::service::bootstrap_admin(&state).await?;
        let sealed = store::second_factor::seal_plain_secrets(&state.pool, &state.totp_seal).await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed TOTP secrets stored before sealing");
        }
        let router = router(state.clone());
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, router, state })
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The state the router uses.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        tracing::info!(addr = ?self.listener.local_addr().ok(), "api listening");
        axum::serve(self.listener, self.router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// The full router: API routes, docs, health, metrics, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let contract = state.contract.map(|a| a.to_checksum());
    let chain_file =
        crate::web::chain_file(settings.chain.chain_id, contract.as_deref(), settings.chain.public_rpc_url.as_deref());
    let (api, openapi) = routes::api_router(state.clone()).split_for_parts();

    Router::new()
        .merge(api)
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi))
        .route_layer(middleware::from_fn_with_state(state.clone(), limit_requests))
        .route_layer(middleware::from_fn(track_metrics))
        .merge(routes::health::router())
        .fallback_service(crate::web::router(
            &settings.server.web_dir,
            settings.chain.public_rpc_url.as_deref(),
            chain_file,
        ))
        .method_not_allowed_fallback(|| async {
            ApiError::BadRequest {
                status: StatusCode::METHOD_NOT_ALLOWED,
                code: "method_not_allowed",
                message: "method not allowed on this path".into(),
            }
        })
        .with_state(state)
        .layer(DefaultBodyLimit::max(settings.server.max_json_body_bytes))
        .layer(CatchPanicLayer::custom(|_| ApiError::internal(anyhow::anyhow!("handler panicked")).into_response()))
        .layer(middleware::from_fn_with_state(
            Duration::from_secs(settings.server.request_timeout_secs),
            request_timeout,
        ))
        .layer(middleware::from_fn(request_context))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("http", method = %req.method(), uri = %req.uri().path(), request_id = %id)
        }))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION, header::COOKIE]))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
}

/// Answers 429 `rate_limited` once the caller has used its quota: an authenticated caller (a
/// valid access token; its session is the handler's to check) per subject, anyone else per
/// client IP. `/v1/auth/*` has its own limits (`routes::limit_auth`, and per account at login).
async fn limit_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/v1/auth/") {
        return next.run(req).await;
    }
    let subject = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| state.tokens.verify_access(token).ok())
        .map(|claims| claims.sub);
    let checked = match subject {
        Some(sub) => state.limiters.per_subject.check(&sub),
        None => match req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>() {
            Some(ci) => state.limiters.per_ip.check(&ip_key(ci.0.ip())),
            None => Ok(()),
        },
    };
    match checked {
        Ok(()) => next.run(req).await,
        Err(RetryAfter(secs)) => ApiError::RateLimited { retry_after_secs: secs }.into_response(),
    }
}

/// Answers 503 `timeout`, with the error body every error has, when the handler has not
/// answered within `limit` (what `tower_http`'s timeout layer did, without a body). Document
/// uploads (and resumable uploads' `PATCH`es) are exempt: their body has an idle timeout
/// instead (`routes::documents::is_upload`).
async fn request_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    if routes::documents::is_upload(&req) {
        return next.run(req).await;
    }
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "request timed out");
            ApiError::BadRequest {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "timeout",
                message: "the request took longer than the server allows".into(),
            }
            .into_response()
        }
    }
}

/// Removes what a crash left of uploads older than `max_age_secs`: staged objects and quota
/// reservations. A failure is logged and start-up goes on; the next start tries again.
async fn sweep_staging(pool: &sqlx::PgPool, storage: &dyn BlobStore, max_age_secs: u64) {
    match storage.sweep_staging(Duration::from_secs(max_age_secs)).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "stale staged uploads removed"),
        Err(e) => tracing::warn!(error = %e, "stale staged uploads not swept"),
    }
    match store::documents::delete_stale_upload_reservations(pool, max_age_secs).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(released = n, "stale upload reservations released"),
        Err(e) => tracing::warn!(error = %e, "stale upload reservations not released"),
    }
}

/// Removes expired resumable uploads (their rows, reservations and staged bytes) and staged
/// files no upload names. A failure is logged; the next sweep tries again.
async fn sweep_resumable(pool: &sqlx::PgPool, files: &ResumableFiles) {
    match crate::service::uploads::sweep(pool, files, chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "expired resumable uploads removed"),
        Err(e) => tracing::warn!(error = %e, "expired resumable uploads not swept"),
    }
}

/// Runs [`sweep_resumable`] every `every`, for as long as the runtime lives.
fn spawn_resumable_sweep(pool: sqlx::PgPool, files: Arc<ResumableFiles>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            sweep_resumable(&pool, &files).await;
        }
    });
}

/// Makes the request id available to error responses and the audit log.
async fn request_context(req: Request, next: Next) -> Response {
    let id = req.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    REQUEST_ID.scope(id, next.run(req)).await
}

/// Counts requests and their latency per route and status.
async fn track_metrics(req: Request, next: Next) -> Response {
    let path = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "path" => path)
        .record(start.elapsed().as_secs_f64());
    response
}
