//! Where the webhook client may connect: a DNS resolver that keeps only the addresses
//! `pramana_server::webhooks::address::may_deliver_to` admits and fails when none is left, so
//! the addresses checked are the addresses connected to (a name cannot pass the check and then
//! resolve elsewhere for the connection), on every attempt. IP literals never reach a resolver,
//! so [`literal_refused`] checks them before a request is made.

use std::net::SocketAddr;

use pramana_server::webhooks::address::may_deliver_to;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Resolves with the system resolver, then drops special-purpose addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilteringResolver {
    /// Also admit loopback and private addresses (`webhooks.allow_http`, development only).
    pub(crate) allow_local: bool,
}

/// Every address the host resolved to is special-purpose: nothing is sent.
#[derive(Debug, thiserror::Error)]
#[error("every address of the host is special-purpose")]
pub(crate) struct RefusedAddress;

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_local = self.allow_local;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found.iter().copied().filter(|a| may_deliver_to(a.ip(), allow_local)).collect();
            if kept.is_empty() && !found.is_empty() {
                return Err(RefusedAddress.into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

/// Whether `url` names an IP literal the client may not connect to (or cannot be parsed);
/// host names are left to [`FilteringResolver`].
pub(crate) fn literal_refused(url: &str, allow_local: bool) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else { return true };
    match url.host() {
        Some(url::Host::Ipv4(ip)) => !may_deliver_to(ip.into(), allow_local),
        Some(url::Host::Ipv6(ip)) => !may_deliver_to(ip.into(), allow_local),
        Some(url::Host::Domain(_)) => false,
        None => true,
    }
}

/// Whether a request failed because [`FilteringResolver`] refused every address.
pub(crate) fn is_refused_address(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<RefusedAddress>() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn resolve(allow_local: bool, host: &str) -> Result<Vec<SocketAddr>, String> {
        let r = FilteringResolver { allow_local };
        match r.resolve(host.parse().unwrap()).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(if e.is::<RefusedAddress>() { "refused".to_owned() } else { e.to_string() }),
        }
    }

    #[tokio::test]
    async fn localhost_is_refused_in_production_and_kept_in_development() {
        assert_eq!(resolve(false, "localhost").await, Err("refused".to_owned()));
        let kept = resolve(true, "localhost").await.unwrap();
        assert!(!kept.is_empty() && kept.iter().all(|a| a.ip().is_loopback()), "{kept:?}");
    }

    #[test]
    fn literals_are_checked_before_any_request() {
        for url in [
            "http://127.0.0.1:9/",
            "https://10.0.0.1/",
            "https://169.254.169.254/latest",
            "https://[::1]/",
            "https://[::ffff:7f00:1]/",
            "https://[fe80::1]/",
            "not a url",
        ] {
            assert!(literal_refused(url, false), "{url}");
        }
        assert!(literal_refused("http://169.254.169.254/", true), "metadata stays refused in development");
        assert!(!literal_refused("http://127.0.0.1:9/", true));
        assert!(!literal_refused("https://8.8.8.8/", false));
        assert!(!literal_refused("https://hooks.example/", false), "names are the resolver's");
    }
}
