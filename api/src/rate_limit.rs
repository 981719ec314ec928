//! Per-client-IP rate limiting for the authentication endpoints (a keyed GCRA limiter); the
//! middleware that applies it is `routes::limit_auth`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A limiter keyed by client IP.
pub type IpLimiter = Arc<DefaultKeyedRateLimiter<IpAddr>>;

/// Builds a limiter allowing `per_minute` requests with bursts of `burst`.
pub fn ip_limiter(per_minute: u32, burst: u32) -> IpLimiter {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)))
}
