//! Rate limiting: keyed GCRA limiters, held in process, so every limit is per API replica.
//! `Limiters` holds the four the API applies (settings in `rate_limit`, README's configuration):
//! login attempts per account (`auth::service::login`), `/v1/auth/*` per client IP, and every
//! other route per authenticated subject or, without a valid token, per client IP (the
//! middlewares beside the router, `routes::limit_auth` and `app::limit_requests`).
//!
//! Memory is bounded: a key whose bucket has refilled is indistinguishable from a fresh one and
//! is dropped by [`Limiters::retain_recent`] (every minute, and at once when a limiter holds
//! `max_keys`); while a limiter is still full of keys used within their refill window, requests
//! are checked against one shared overflow bucket with the same quota instead, so no key can
//! get more than its quota by crowding the table, and the table does not grow.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};
use pramana_server::config::RateLimitSettings;
use uuid::Uuid;

/// Every limiter the API applies.
#[derive(Debug)]
pub struct Limiters {
    /// Login attempts per account (the normalised login name).
    pub login_per_account: KeyedLimiter<String>,
    /// Requests to `/v1/auth/*` per client IP (IPv6 per /64).
    pub auth_per_ip: KeyedLimiter<IpAddr>,
    /// Other requests with a valid access token, per subject.
    pub per_subject: KeyedLimiter<Uuid>,
    /// Other requests without one, per client IP (IPv6 per /64).
    pub per_ip: KeyedLimiter<IpAddr>,
    /// ABHA verification codes entered, per hospital.
    pub abha_verify_per_hospital: KeyedLimiter<Uuid>,
}

impl Limiters {
    /// The limiters `settings` describe.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let max = settings.max_keys;
        Self {
            login_per_account: KeyedLimiter::new(
                settings.login_per_account_per_minute,
                settings.login_per_account_burst,
                max,
            ),
            auth_per_ip: KeyedLimiter::new(settings.auth_per_ip_per_minute, settings.auth_per_ip_burst, max),
            per_subject: KeyedLimiter::new(settings.per_subject_per_minute, settings.per_subject_burst, max),
            per_ip: KeyedLimiter::new(settings.per_ip_per_minute, settings.per_ip_burst, max),
            abha_verify_per_hospital: KeyedLimiter::new(
                settings.abha_verify_per_hospital_per_minute,
                settings.abha_verify_per_hospital_burst,
                max,
            ),
        }
    }

    /// Drops every key whose bucket has refilled, in all of them.
    pub fn retain_recent(&self) {
        self.login_per_account.retain_recent();
        self.auth_per_ip.retain_recent();
        self.per_subject.retain_recent();
        self.per_ip.retain_recent();
        self.abha_verify_per_hospital.retain_recent();
    }

    /// Runs [`Self::retain_recent`] every `period` until the limiters are dropped (it holds
    /// only a weak reference). Needs a Tokio runtime.
    pub fn spawn_housekeeping(self: &Arc<Self>, period: Duration) {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(limiters) = weak.upgrade() else { break };
                limiters.retain_recent();
            }
        });
    }
}

/// The key a client IP is limited under: IPv4 (also when mapped into IPv6) as is, IPv6 by its
/// /64, the smallest block one subscriber usually gets.
pub fn ip_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

/// A request was refused; a retry may succeed after this many whole seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// A keyed limiter with bounded memory (see the module).
#[derive(Debug)]
pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    keyed: DefaultKeyedRateLimiter<K>,
    overflow: DefaultDirectRateLimiter,
    max_keys: usize,
    /// Unix seconds of the last pruning forced by a full table (at most one a second).
    last_forced_prune: AtomicU64,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// `per_minute` requests per key with bursts of `burst`, tracking at most `max_keys` keys.
    pub fn new(per_minute: u32, burst: u32, max_keys: usize) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            keyed: RateLimiter::keyed(quota),
            overflow: RateLimiter::direct(quota),
            max_keys: max_keys.max(1),
            last_forced_prune: AtomicU64::new(0),
        }
    }

    /// Counts one request for `key`: `Ok` if it is within the quota.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        if self.keyed.len() >= self.max_keys {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
            if self.last_forced_prune.swap(now, Ordering::Relaxed) != now {
                self.retain_recent();
            }
            if self.keyed.len() >= self.max_keys {
                return self.overflow.check().map_err(|n| retry_after(&n));
            }
        }
        self.keyed.check_key(key).map_err(|n| retry_after(&n))
    }

    /// Drops every key whose bucket has refilled.
    pub fn retain_recent(&self) {
        self.keyed.retain_recent();
        self.keyed.shrink_to_fit();
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.keyed.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.keyed.is_empty()
    }
}

fn retry_after(not_until: &NotUntil<<DefaultClock as Clock>::Instant>) -> RetryAfter {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    RetryAfter((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits_and_others_are_unaffected() {
        let l = KeyedLimiter::new(6, 3, 100);
        for _ in 0..3 {
            assert_eq!(l.check(&"a"), Ok(()));
        }
        let RetryAfter(secs) = l.check(&"a").unwrap_err();
        assert!((1..=10).contains(&secs), "one request per 10 s: {secs}");
        assert_eq!(l.check(&"b"), Ok(()));
    }

    #[test]
    fn memory_is_bounded_and_a_full_table_cannot_be_used_to_escape_the_quota() {
        let l = KeyedLimiter::new(1, 2, 10);
        for i in 0..10 {
            l.check(&i).unwrap();
        }
        assert_eq!(l.len(), 10);
        // The table is full of recent keys: new ones share one overflow bucket (burst 2).
        assert_eq!(l.check(&100), Ok(()));
        assert_eq!(l.check(&101), Ok(()));
        assert!(l.check(&102).is_err());
        assert!(l.check(&0).is_err(), "known keys too, so crowding the table gains nothing");
        assert_eq!(l.len(), 10, "no key was added");
    }

    #[test]
    fn refilled_keys_are_dropped() {
        // A huge rate refills a bucket within microseconds.
        let l = KeyedLimiter::new(u32::MAX, 1, 1000);
        for i in 0..100 {
            l.check(&i).unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
        l.retain_recent();
        assert!(l.is_empty(), "{} keys left", l.len());
    }

    #[test]
    fn ipv6_clients_are_limited_per_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        assert_eq!(ip_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7".parse::<IpAddr>().unwrap());
        assert_eq!(ip_key("192.0.2.7".parse().unwrap()), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
