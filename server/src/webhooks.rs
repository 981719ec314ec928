//! Consent webhooks (format in docs/webhooks.md): event types and payloads, recording an event
//! in the caller's transaction (the outbox), endpoint URL rules, secrets, the signature and the
//! retry schedule, the outcome classes of the delivery log, and (`address`) which IP addresses
//! a delivery may reach. The anchor worker delivers (`pramana_anchor_worker::webhooks`).

pub mod address;

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use pramana_core::consent::chain_consent_id;
use pramana_core::{ConsentStatus, hex0x};
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::store::StoreResult;
use crate::store::consents::{self, ConsentRow};
use crate::store::webhooks::{self as store, NewEvent};

/// Prefix of endpoint secrets.
pub const SECRET_PREFIX: &str = "whsec_";
/// Longest accepted endpoint URL.
pub const MAX_URL_LEN: usize = 2048;

/// What happened to a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The patient granted the hospital's request.
    Granted,
    /// The patient revoked a grant.
    Revoked,
    /// A grant's `data_erase_at` passed.
    Expired,
    /// The patient denied the hospital's request.
    Denied,
}

impl EventType {
    /// The wire name, e.g. `consent.granted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "consent.granted",
            Self::Revoked => "consent.revoked",
            Self::Expired => "consent.expired",
            Self::Denied => "consent.denied",
        }
    }

    /// The consent's status after the event.
    pub fn status(self) -> ConsentStatus {
        match self {
            Self::Granted => ConsentStatus::Granted,
            Self::Revoked => ConsentStatus::Revoked,
            Self::Expired => ConsentStatus::Expired,
            Self::Denied => ConsentStatus::Denied,
        }
    }
}

/// The JSON body delivered for `event` about consent `c`: only what the hospital already sees
/// through `GET /v1/consents/{id}`.
pub fn payload(event_id: Uuid, event: EventType, occurred_at: DateTime<Utc>, c: &ConsentRow) -> Value {
    json!({
        "id": event_id,
        "type": event.as_str(),
        "occurred_at": occurred_at,
        "consent": {
            "id": c.id,
            "status": event.status().code(),
            "purpose": c.purpose,
            "hi_types": c.hi_types,
            "date_range": {"from": c.date_from, "to": c.date_to},
            "data_erase_at": c.data_erase_at,
            "chain_consent_id": hex0x(chain_consent_id(&c.id)),
        },
    })
}

/// Records `event` for consent `consent_id` in the caller's transaction, if the consent's
/// hospital has an endpoint; called right after the state change it reports, so both commit
/// or neither does. Reads the consent as the transaction sees it (a grant's narrowed scope).
/// An event a consent already has is not recorded again. Returns whether one was recorded.
pub async fn record_consent_event(
    conn: &mut PgConnection,
    consent_id: Uuid,
    event: EventType,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let Some(c) = consents::find_consent_by_id(&mut *conn, consent_id).await? else { return Ok(false) };
    if store::find_endpoint_by_hospital(&mut *conn, c.hospital_id).await?.is_none() {
        return Ok(false);
    }
    // An expiry happened when data_erase_at passed, not when the worker noticed.
    let occurred_at = if event == EventType::Expired { c.data_erase_at } else { now };
    let id = Uuid::now_v7();
    let body = payload(id, event, occurred_at, &c);
    let new = NewEvent {
        id,
        hospital_id: c.hospital_id,
        consent_id,
        event_type: event.as_str(),
        payload: &body,
        created_at: now,
    };
    store::insert_event(conn, &new).await
}

/// A fresh endpoint secret: `whsec_` and 32 random bytes (base64url). Receivers use the whole
/// string, prefix included, as the HMAC key.
pub fn new_secret() -> String {
    crate::new_secret(SECRET_PREFIX)
}

/// `hex(HMAC-SHA256(secret, "<t>.<body>"))`.
pub fn signature(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The `Pramana-Signature` header: `t=<unix seconds>,v1=<signature>`.
pub fn signature_header(secret: &str, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", signature(secret, t, body))
}

/// Checks an endpoint URL: `https://` with a host name and no credentials or fragment, at most
/// 2,048 characters, not `localhost` nor an IP literal in a special-purpose range
/// ([`address::may_deliver_to`]); `allow_http` (development) also admits `http://`, `localhost`
/// and loopback and private literals. Returns the URL as it will be called, or what is wrong.
///
/// This is the early, friendly refusal; the worker decides again on every attempt, from the
/// addresses the name resolves to then.
pub fn check_url(raw: &str, allow_http: bool) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err("at most 2048 characters");
    }
    let url = url::Url::parse(raw).map_err(|_| "not a URL")?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http => {}
        _ => return Err("must be an https:// URL"),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials");
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment");
    }
    let refused = match url.host() {
        Some(url::Host::Ipv4(ip)) => !address::may_deliver_to(ip.into(), allow_http),
        Some(url::Host::Ipv6(ip)) => !address::may_deliver_to(ip.into(), allow_http),
        Some(url::Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            !allow_http && (name == "localhost" || name.ends_with(".localhost"))
        }
        None => true,
    };
    if refused {
        return Err("must not point at a loopback, private, link-local or other special-purpose address");
    }
    Ok(url.to_string())
}

/// How one delivery attempt ended: what the hospital's delivery log shows, by stable name. No
/// error text and no precise timing: the log is not a probe of what lies behind an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The endpoint answered `2xx`.
    Delivered,
    /// The endpoint answered another status (shown beside it; redirects are not followed).
    HttpError,
    /// No complete answer within `webhooks.timeout_secs`.
    Timeout,
    /// The host name did not resolve, or no connection or TLS session could be made.
    ConnectFailed,
    /// Every address of the host is special-purpose (loopback, private, link-local, ...), so
    /// nothing was sent.
    RefusedAddress,
    /// The endpoint had been removed; the event is cancelled.
    NoEndpoint,
}

impl DeliveryOutcome {
    /// Every outcome, in a fixed order.
    pub const ALL: [Self; 6] =
        [Self::Delivered, Self::HttpError, Self::Timeout, Self::ConnectFailed, Self::RefusedAddress, Self::NoEndpoint];

    /// The stable name, e.g. `refused_address`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::HttpError => "http_error",
            Self::Timeout => "timeout",
            Self::ConnectFailed => "connect_failed",
            Self::RefusedAddress => "refused_address",
            Self::NoEndpoint => "no_endpoint",
        }
    }
}

/// An attempt's duration as it is recorded and shown: rounded up to whole seconds, so the log
/// cannot time connections finely (a refused or closed port answers in microseconds).
pub fn coarse_duration(elapsed: Duration) -> Duration {
    Duration::from_secs(elapsed.as_secs() + u64::from(elapsed.subsec_nanos() > 0))
}

/// The retry schedule.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Delay after the first failed attempt, before jitter.
    pub base: Duration,
    /// Longest delay.
    pub cap: Duration,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Backoff {
    /// The delay after failed attempt number `attempt` (from 1): `base · 2^(attempt-1)`, capped,
    /// then "equal jitter" — between half of that and all of it, by `jitter` in `[0, 1)` — so
    /// receivers that failed together are not retried together, and every delay is positive.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let doubling = 2u32.saturating_pow(attempt.saturating_sub(1));
        let full = self.base.saturating_mul(doubling).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Known answer computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert!(signature_header("k", 5, b"x").starts_with("t=5,v1="));
        assert_ne!(signature("k", 5, b"x"), signature("k", 6, b"x"), "the timestamp is signed");
    }

    #[test]
    fn urls_must_be_https_to_a_public_host_unless_development() {
        assert_eq!(check_url(" https://h.example/hooks ", false), Ok("https://h.example/hooks".to_owned()));
        for bad in [
            "http://h.example/hooks",
            "ftp://h.example/",
            "https://",
            "not a url",
            "https://user:pw@h.example/",
            "https://h.example/#x",
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://localhost:8443/",
            "https://api.localhost/",
            "https://[::ffff:10.0.0.1]/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[fe80::1]/",
            "https://[2001:db8::1]/",
            "https://198.18.0.1/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url(&format!("https://h.example/{}", "a".repeat(2048)), false).is_err());
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("http://localhost:9000/hook", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/", true).is_err());
        assert!(check_url("http://169.254.169.254/", true).is_err(), "metadata stays refused in development");
        assert!(check_url("https://8.8.8.8/hook", false).is_ok(), "a public literal is fine");
    }

    #[test]
    fn durations_are_rounded_up_to_whole_seconds() {
        assert_eq!(coarse_duration(Duration::ZERO), Duration::ZERO);
        assert_eq!(coarse_duration(Duration::from_micros(30)), Duration::from_secs(1));
        assert_eq!(coarse_duration(Duration::from_millis(1000)), Duration::from_secs(1));
        assert_eq!(coarse_duration(Duration::from_millis(9_001)), Duration::from_secs(10));
        let names: Vec<&str> = DeliveryOutcome::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(names, ["delivered", "http_error", "timeout", "connect_failed", "refused_address", "no_endpoint"]);
    }

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap_with_jitter_below() {
        let b = Backoff { base: Duration::from_secs(1), cap: Duration::from_secs(3600), max_attempts: 20 };
        assert_eq!(b.delay(1, 0.999_999).as_millis(), 999);
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(b.delay(3, 0.0), Duration::from_secs(2));
        assert_eq!(b.delay(13, 0.0), Duration::from_secs(1800), "2^12 s capped at an hour");
        assert_eq!(b.delay(40, 0.0), Duration::from_secs(1800), "no overflow");
        for attempt in 1..30 {
            assert!(b.delay(attempt + 1, 0.0) >= b.delay(attempt, 0.0));
            assert!(b.delay(attempt, 0.5) > Duration::ZERO);
        }
    }
}
