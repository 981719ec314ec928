//! Per-client-IP rate limiting for the authentication endpoints (a keyed GCRA limiter).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::app::AppState;
use crate::error::ApiError;

/// A limiter keyed by client IP.
pub type IpLimiter = Arc<DefaultKeyedRateLimiter<IpAddr>>;

/// Builds a limiter allowing `per_minute` requests with bursts of `burst`.
pub fn ip_limiter(per_minute: u32, burst: u32) -> IpLimiter {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)))
}

/// Middleware: 429 once a client IP exceeds the auth quota.
pub async fn limit_auth(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip());
    if let Some(ip) = ip
        && state.auth_limiter.check_key(&ip).is_err()
    {
        return ApiError::RateLimited.into_response();
    }
    next.run(req).await
}
